"""The Pas-de-Calais territory of the demo: river basins and real communes.

INSEE codes and postal codes were checked one by one against the Code officiel géographique
2025 (the `communes.json` of @etalab/decoupage-administratif 6.0.0). Hesdin and Marconne merged
on 1 January 2025 into Hesdin-la-Forêt, which kept Hesdin's code 62447.

Each commune is placed in the basin of the river that crosses it (the Lawe at Béthune flows
into the Lys; the Ternoise at Saint-Pol into the Canche; the Hem joins the Aa). Arras, on the
Scarpe, belongs to none of these basins: it hosts the farmers' workshop and sits in the district
of Arras.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class AreaSpec:
    slug: str
    name: str
    kind: str
    description: str


@dataclass(frozen=True)
class CommuneSpec:
    insee_code: str
    name: str
    postal_code: str
    area: str
    short: str  # how residents say it: "Hesdin", "Le Touquet"


RIVER_BASINS = [
    AreaSpec(
        "aa",
        "Bassin de l'Aa",
        "river_basin",
        "De Bourthes au delta de l'Aa et au marais audomarois : Lumbres, Wizernes, Blendecques, "
        "Arques, Saint-Omer, puis les wateringues jusqu'à la mer.",
    ),
    AreaSpec(
        "canche",
        "Bassin de la Canche",
        "river_basin",
        "La Canche et ses affluents (Ternoise, Course, Créquoise) : Saint-Pol, Frévent, Hesdin, "
        "Montreuil-sur-Mer, jusqu'à l'estuaire d'Étaples et du Touquet.",
    ),
    AreaSpec(
        "liane",
        "Bassin de la Liane",
        "river_basin",
        "De Quesques à Boulogne-sur-Mer par Wirwignes, Carly, Hesdigneul, Isques et Saint-Léonard.",
    ),
    AreaSpec(
        "authie",
        "Bassin de l'Authie",
        "river_basin",
        "La rive pas-de-calaisienne de l'Authie, d'Auxi-le-Château à la baie d'Authie.",
    ),
    AreaSpec(
        "lys",
        "Bassin de la Lys",
        "river_basin",
        "La Lys amont et ses affluents (Laquette, Lawe, Clarence) : Thérouanne, Aire-sur-la-Lys, "
        "Isbergues, Béthune, Lestrem.",
    ),
    AreaSpec(
        "hem",
        "Bassin de la Hem",
        "river_basin",
        "La Hem, affluent de l'Aa : Tournehem, Nordausques, Zouafques, Recques-sur-Hem.",
    ),
    AreaSpec(
        "wimereux",
        "Bassin du Wimereux",
        "river_basin",
        "Le Wimereux, de Belle-et-Houllefort à la mer : Pernes, Conteville, Wimille, Wimereux.",
    ),
    AreaSpec(
        "slack",
        "Bassin de la Slack",
        "river_basin",
        "La Slack, de Hardinghen à Ambleteuse par Rinxent et Marquise.",
    ),
]

ARRAS_DISTRICT = AreaSpec(
    "arrondissement-arras",
    "Arrondissement d'Arras",
    "district",
    "Accueille l'atelier réservé aux agriculteurs et agricultrices.",
)

COMMUNES = [
    # Canche
    CommuneSpec("62588", "Montreuil-sur-Mer", "62170", "canche", "Montreuil"),
    CommuneSpec("62447", "Hesdin-la-Forêt", "62140", "canche", "Hesdin"),
    CommuneSpec("62550", "Marconnelle", "62140", "canche", "Marconnelle"),
    CommuneSpec("62318", "Étaples", "62630", "canche", "Étaples"),
    CommuneSpec("62826", "Le Touquet-Paris-Plage", "62520", "canche", "Le Touquet"),
    CommuneSpec("62100", "Beaurainville", "62990", "canche", "Beaurainville"),
    CommuneSpec("62767", "Saint-Pol-sur-Ternoise", "62130", "canche", "Saint-Pol"),
    CommuneSpec("62361", "Frévent", "62270", "canche", "Frévent"),
    CommuneSpec("62177", "Brimeux", "62170", "canche", "Brimeux"),
    CommuneSpec("62044", "Attin", "62170", "canche", "Attin"),
    CommuneSpec("62610", "Neuville-sous-Montreuil", "62170", "canche", "Neuville"),
    CommuneSpec("62046", "Aubin-Saint-Vaast", "62140", "canche", "Aubin-Saint-Vaast"),
    # Authie
    CommuneSpec("62060", "Auxi-le-Château", "62390", "authie", "Auxi-le-Château"),
    CommuneSpec("62275", "Douriez", "62870", "authie", "Douriez"),
    CommuneSpec("62390", "Groffliers", "62600", "authie", "Groffliers"),
    CommuneSpec("62866", "Waben", "62180", "authie", "Waben"),
    # Aa
    CommuneSpec("62765", "Saint-Omer", "62500", "aa", "Saint-Omer"),
    CommuneSpec("62040", "Arques", "62510", "aa", "Arques"),
    CommuneSpec("62139", "Blendecques", "62575", "aa", "Blendecques"),
    CommuneSpec("62902", "Wizernes", "62570", "aa", "Wizernes"),
    CommuneSpec("62534", "Lumbres", "62380", "aa", "Lumbres"),
    CommuneSpec("62309", "Esquerdes", "62380", "aa", "Esquerdes"),
    CommuneSpec("62403", "Hallines", "62570", "aa", "Hallines"),
    CommuneSpec("62325", "Fauquembergues", "62560", "aa", "Fauquembergues"),
    CommuneSpec("62057", "Audruicq", "62370", "aa", "Audruicq"),
    CommuneSpec("62225", "Clairmarais", "62500", "aa", "Clairmarais"),
    # Liane
    CommuneSpec("62160", "Boulogne-sur-Mer", "62200", "liane", "Boulogne"),
    CommuneSpec("62755", "Saint-Léonard", "62360", "liane", "Saint-Léonard"),
    CommuneSpec("62746", "Saint-Étienne-au-Mont", "62360", "liane", "Saint-Étienne-au-Mont"),
    CommuneSpec("62474", "Isques", "62360", "liane", "Isques"),
    CommuneSpec("62446", "Hesdigneul-lès-Boulogne", "62360", "liane", "Hesdigneul"),
    CommuneSpec("62214", "Carly", "62830", "liane", "Carly"),
    CommuneSpec("62773", "Samer", "62830", "liane", "Samer"),
    CommuneSpec("62896", "Wirwignes", "62240", "liane", "Wirwignes"),
    # Wimereux
    CommuneSpec("62893", "Wimereux", "62930", "wimereux", "Wimereux"),
    CommuneSpec("62894", "Wimille", "62126", "wimereux", "Wimille"),
    CommuneSpec("62653", "Pernes-lès-Boulogne", "62126", "wimereux", "Pernes"),
    CommuneSpec("62237", "Conteville-lès-Boulogne", "62126", "wimereux", "Conteville"),
    # Slack
    CommuneSpec("62560", "Marquise", "62250", "slack", "Marquise"),
    CommuneSpec("62711", "Rinxent", "62720", "slack", "Rinxent"),
    CommuneSpec("62025", "Ambleteuse", "62164", "slack", "Ambleteuse"),
    # Hem
    CommuneSpec("62827", "Tournehem-sur-la-Hem", "62890", "hem", "Tournehem"),
    CommuneSpec("62618", "Nordausques", "62890", "hem", "Nordausques"),
    CommuneSpec("62699", "Recques-sur-Hem", "62890", "hem", "Recques-sur-Hem"),
    CommuneSpec("62904", "Zouafques", "62890", "hem", "Zouafques"),
    # Lys
    CommuneSpec("62014", "Aire-sur-la-Lys", "62120", "lys", "Aire-sur-la-Lys"),
    CommuneSpec("62811", "Thérouanne", "62129", "lys", "Thérouanne"),
    CommuneSpec("62265", "Delettes", "62129", "lys", "Delettes"),
    CommuneSpec("62473", "Isbergues", "62330", "lys", "Isbergues"),
    CommuneSpec("62119", "Béthune", "62400", "lys", "Béthune"),
    CommuneSpec("62502", "Lestrem", "62136", "lys", "Lestrem"),
    # Scarpe (no basin of this campaign): the farmers' workshop
    CommuneSpec("62041", "Arras", "62000", ARRAS_DISTRICT.slug, "Arras"),
]

RIVER_OF_BASIN = {
    "aa": "l'Aa",
    "canche": "la Canche",
    "liane": "la Liane",
    "authie": "l'Authie",
    "lys": "la Lys",
    "hem": "la Hem",
    "wimereux": "le Wimereux",
    "slack": "la Slack",
}

# Rivers as residents name them near a given commune, when it is not the basin's main river.
LOCAL_RIVER = {
    "62119": "la Lawe",
    "62767": "la Ternoise",
    "62014": "la Lys",
    "62588": "la Canche",
}


def river_near(commune: CommuneSpec) -> str:
    return LOCAL_RIVER.get(commune.insee_code) or RIVER_OF_BASIN.get(commune.area, "la rivière")


def of_place(name: str) -> str:
    """'de Hesdin', "d'Étaples", 'du Touquet'."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name[0] in "AEÉIOUY":
        return "d'" + name
    return "de " + name


def at_place(name: str) -> str:
    """'à Hesdin', 'au Touquet'."""
    if name.startswith("Le "):
        return "au " + name[3:]
    return "à " + name
