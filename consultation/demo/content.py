"""Texts of the demo: campaign, themes, people, and the pieces contributions are written from.

Every generated text is assembled from fragments written for this flood concertation, so that two
contributions read differently while staying plausible (places, rivers and measures agree).
"""

from dataclasses import dataclass
from random import Random

from consultation.demo.territory import CommuneSpec, at_place, of_place, river_near

CAMPAIGN_SLUG = "inventons-le-territoire-de-demain"
CAMPAIGN_TITLE = "Concertation résilience : inventons le territoire de demain"
CAMPAIGN_SUMMARY = (
    "Après les inondations de l'hiver 2023-2024, la préfecture du Pas-de-Calais invite "
    "habitants, élus, agriculteurs et associations à imaginer, bassin versant par bassin "
    "versant, un territoire mieux préparé aux crues."
)
CAMPAIGN_CONTEXT = """<h2>Pourquoi cette concertation ?</h2>
<p>Entre novembre 2023 et janvier 2024, le Pas-de-Calais a connu des inondations d'une ampleur
exceptionnelle. L'Aa, la Liane, la Canche, la Hem et de nombreux autres cours d'eau sont sortis
de leur lit à plusieurs reprises ; des centaines de communes ont été reconnues en état de
catastrophe naturelle, des milliers de logements, d'exploitations agricoles et d'entreprises ont
été touchés.</p>
<p>La reconstruction ne peut pas consister à refaire à l'identique. La préfecture du
Pas-de-Calais, avec l'équipe d'intelligence collective de la <abbr title="Direction
interministérielle de la transformation publique">DITP</abbr>, ouvre une concertation pour
imaginer ensemble le territoire de demain.</p>
<h2>Qui peut participer ?</h2>
<p>Toutes celles et ceux qui vivent, travaillent ou cultivent dans les bassins versants
concernés : habitants, élus, agriculteurs, associations, entreprises.</p>
<h2>Comment ça marche ?</h2>
<ul>
<li><strong>En ligne</strong> : déposez des propositions, des questions ou des témoignages,
commentez, soutenez les idées qui vous semblent utiles et votez sur les affirmations.</li>
<li><strong>En atelier</strong> : des ateliers ont lieu à Montreuil-sur-Mer, Béthune et
Saint-Omer, et un atelier est réservé aux agriculteurs à Arras.</li>
<li><strong>Sur papier</strong> : les contributions déposées en mairie sont saisies et
publiées ici.</li>
</ul>
<p>La préfecture répond publiquement aux contributions et publiera une synthèse des
propositions retenues, bassin par bassin.</p>"""

THEMES = [
    (
        "amenagement-et-urbanisme",
        "Aménagement et urbanisme",
        "Où et comment construire, adapter les logements, désimperméabiliser, relocaliser.",
    ),
    (
        "agriculture",
        "Agriculture",
        "Pratiques agricoles, ruissellement, prairies, haies, indemnisation des exploitations.",
    ),
    (
        "gestion-de-crise",
        "Gestion de crise",
        "Alerte, plans communaux de sauvegarde, évacuation, entraide, indemnisation.",
    ),
    (
        "culture-du-risque",
        "Culture du risque",
        "Mémoire des crues, information des habitants, exercices, éducation.",
    ),
    (
        "gestion-de-l-eau",
        "Gestion de l'eau et des cours d'eau",
        "Entretien des cours d'eau et des wateringues, zones d'expansion de crues, ouvrages.",
    ),
]

PHASES = [
    # kind, title, description, start (days from seeding), end, allows (contrib, comment,
    # support, vote)
    (
        "information",
        "Information",
        "Présentation du diagnostic des crues de l'hiver 2023-2024, bassin par bassin.",
        -50,
        -30,
        (False, False, False, False),
    ),
    (
        "contribution",
        "Contributions",
        "Déposez vos propositions, questions et témoignages ; commentez, soutenez, votez.",
        -30,
        45,
        (True, True, True, True),
    ),
    (
        "workshops",
        "Ateliers",
        "Ateliers territoriaux à Montreuil-sur-Mer, Béthune, Saint-Omer et Arras.",
        45,
        75,
        (False, True, False, True),
    ),
    (
        "synthesis",
        "Synthèse",
        "L'équipe d'intelligence collective regroupe les contributions par bassin et par thème.",
        75,
        105,
        (False, False, False, False),
    ),
    (
        "restitution",
        "Restitution",
        "La préfecture présente ce qui est retenu, avec un calendrier et des responsables.",
        105,
        150,
        (False, False, False, False),
    ),
]

FIRST_NAMES = [
    "Martine", "Jean-Pierre", "Sylvie", "Didier", "Nathalie", "Thierry", "Isabelle", "Pascal",
    "Véronique", "Laurent", "Sandrine", "Christophe", "Catherine", "Philippe", "Brigitte",
    "Francis", "Élodie", "Julien", "Aurélie", "Mickaël", "Céline", "Sébastien", "Audrey",
    "Damien", "Virginie", "Grégory", "Justine", "Kévin", "Manon", "Lucas", "Chantal",
    "Bernard", "Monique", "Gérard", "Odile", "Hervé", "Léa", "Théo", "Camille", "Maxime",
    "Solène", "Bruno", "Agnès", "Yannick", "Fabienne", "Régis", "Pauline", "Antoine",
]  # fmt: skip

FAMILY_NAMES = [
    "Lefebvre", "Dubois", "Leroy", "Caron", "Delattre", "Lemaire", "Fournier", "Delannoy",
    "Hochart", "Boulanger", "Dufour", "Lecointe", "Vasseur", "Delpierre", "Fourny", "Poulain",
]  # fmt: skip

ROLES_OF_RESIDENTS = [
    "agriculteur", "agricultrice", "élue municipale", "conseiller municipal", "commerçante",
    "retraité", "enseignante", "pompier volontaire", "membre d'une association de sinistrés",
]  # fmt: skip


def resident_display_name(rng: Random, commune: CommuneSpec, index: int) -> str:
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    style = rng.random()
    if style < 0.65:
        return f"{first} {of_place(commune.short)}"
    if style < 0.85:
        return f"{first} {rng.choice(FAMILY_NAMES)[0]}. ({commune.short})"
    role = rng.choice(ROLES_OF_RESIDENTS)
    return f"{first}, {role} {at_place(commune.short)}"[:60]


# --- Contributions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    commune: CommuneSpec

    @property
    def name(self) -> str:
        return self.commune.short

    @property
    def of(self) -> str:
        return of_place(self.commune.short)

    @property
    def at(self) -> str:
        return at_place(self.commune.short)

    @property
    def river(self) -> str:
        return river_near(self.commune)


def _fill(template: str, place: Place) -> str:
    river = place.river
    # French contractions: "de le Wimereux" -> "du Wimereux", "à le" -> "au".
    of_river = "du " + river[3:] if river.startswith("le ") else "de " + river
    to_river = "au " + river[3:] if river.startswith("le ") else "à " + river
    template = template.replace("de {river}", "{of_river}").replace("à {river}", "{to_river}")
    text = template.format(
        place=place.name,
        of=place.of,
        at=place.at,
        river=river,
        of_river=of_river,
        to_river=to_river,
    )
    return text[0].upper() + text[1:]


CRUE_MOMENTS = [
    "En novembre 2023",
    "Début novembre 2023",
    "Lors des crues de novembre puis de janvier",
    "Pendant l'hiver 2023-2024",
    "Le 2 janvier 2024, pour la deuxième fois en deux mois",
    "Cet hiver-là",
]

OPENERS = [
    "{moment}, {river} a débordé {at} en quelques heures.",
    "{moment}, l'eau a envahi les rues basses {of} et plusieurs maisons ont été évacuées.",
    "{moment}, nous avons vu {river} monter plus vite que tout ce que les anciens avaient connu.",
    "{moment}, les caves et les rez-de-chaussée {of} ont été inondés, certains à plus d'un mètre.",
    "{moment}, les routes autour {of} sont restées coupées plusieurs jours.",
    "{moment}, les champs en amont {of} sont devenus des lacs et l'eau a dévalé vers le bourg.",
]

ARGUMENTS = [
    "Ce serait bien moins cher que de réparer les dégâts à chaque crue.",
    "Plusieurs communes voisines l'ont déjà fait et les résultats sont visibles.",
    "Il faut le prévoir maintenant, avant le prochain hiver pluvieux.",
    "Cela demande de mettre autour de la table la commune, l'intercommunalité et le syndicat "
    "de bassin.",
    "Les habitants sont prêts à participer si on leur explique le projet.",
    "C'est une mesure simple qui protège d'abord les plus exposés.",
    "Les financements du fonds Barnier pourraient être mobilisés.",
]

CLOSINGS = [
    "",
    "Merci de prendre en compte cette proposition.",
    "Je suis disponible pour en parler lors d'un atelier.",
    "Nous ne voulons pas revivre ça.",
    "Il en va de la sécurité de nos enfants.",
    "Qu'en pensent les autres habitants du bassin ?",
]

# theme slug -> list of (title, core sentence); {river}, {of}, {at}, {place} are filled in.
PROPOSALS = {
    "gestion-de-l-eau": [
        (
            "Créer une zone d'expansion de crues en amont {of}",
            "Je propose d'aménager une zone d'expansion de crues dans les prairies en amont, "
            "pour que {river} puisse déborder là où ses débordements ne font pas de dégâts, en "
            "indemnisant les exploitants concernés.",
        ),
        (
            "Entretenir chaque année les fossés et les buses {of}",
            "Beaucoup de fossés sont comblés et des buses bouchées : l'eau ne s'évacue plus. Un "
            "calendrier d'entretien public, avec un responsable par tronçon, éviterait que l'eau "
            "des champs arrive directement dans les rues.",
        ),
        (
            "Relancer l'entretien des wateringues et de leurs pompes",
            "Les wateringues ont été conçues pour évacuer l'eau vers la mer, mais les watergangs "
            "s'envasent et plusieurs stations de pompage ont saturé. Il faut un plan de curage et "
            "de modernisation des pompes, financé durablement.",
        ),
        (
            "Restaurer les zones humides le long de {river}",
            "Les zones humides jouent le rôle d'éponge : en les restaurant le long de {river}, on "
            "ralentirait la montée des eaux tout en protégeant la biodiversité.",
        ),
        (
            "Construire un bassin de rétention pour protéger le centre {of}",
            "Un bassin de rétention à l'entrée du bourg permettrait de stocker les eaux de "
            "ruissellement des coteaux avant qu'elles ne rejoignent {river}.",
        ),
        (
            "Laisser de la place à {river} plutôt que de rehausser les digues",
            "Rehausser les digues {at} ne fait que déplacer le problème vers l'aval. Il vaut mieux "
            "reculer les protections et rendre à {river} une partie de son lit majeur.",
        ),
        (
            "Installer des sondes de niveau sur {river} et ses affluents",
            "Des sondes de niveau reliées à un site public permettraient à chacun de suivre la "
            "montée de {river} en temps réel et aux maires d'anticiper.",
        ),
    ],
    "agriculture": [
        (
            "Planter des haies et poser des fascines sur les coteaux {of}",
            "Des haies perpendiculaires à la pente et des fascines en bas des parcelles freinent "
            "le ruissellement et retiennent la terre. Il faudrait aider les agriculteurs à les "
            "implanter et à les entretenir.",
        ),
        (
            "Rémunérer les agriculteurs qui acceptent de stocker l'eau de crue",
            "Les exploitants dont les prairies servent de champ d'expansion devraient être "
            "indemnisés par un contrat pluriannuel, pas au cas par cas après chaque crue.",
        ),
        (
            "Généraliser les couverts végétaux en hiver dans la vallée {of}",
            "Un sol nu en hiver ruisselle beaucoup plus. Des couverts végétaux entre deux cultures "
            "limiteraient les coulées de boue vers les villages.",
        ),
        (
            "Remettre des prairies permanentes dans les fonds de vallée",
            "Les prairies des fonds de vallée absorbent l'eau bien mieux que les cultures. Un "
            "accompagnement financier aiderait les exploitants à revenir à l'herbe sur les "
            "parcelles les plus inondables.",
        ),
        (
            "Implanter des bandes enherbées le long de {river}",
            "Des bandes enherbées plus larges le long de {river} et des fossés filtreraient l'eau "
            "et limiteraient l'érosion des berges.",
        ),
    ],
    "amenagement-et-urbanisme": [
        (
            "Désimperméabiliser les cours d'école et les parkings {of}",
            "Remplacer le bitume des cours d'école et des parkings par des revêtements perméables "
            "et des espaces plantés permettrait à l'eau de pluie de s'infiltrer sur place.",
        ),
        (
            "Ne plus autoriser de constructions nouvelles en zone inondable {at}",
            "Des lotissements ont été construits ces dernières années dans des terrains qui ont "
            "encore été inondés. Le plan local d'urbanisme doit en tirer les conséquences.",
        ),
        (
            "Accompagner la relocalisation des maisons les plus exposées {at}",
            "Pour les familles inondées plusieurs fois, il faut proposer un rachat au juste prix "
            "et une aide au relogement dans la commune, sans attendre la prochaine crue.",
        ),
        (
            "Financer les travaux d'adaptation des logements inondables",
            "Rehausser les prises et la chaudière, poser des batardeaux, créer une pièce refuge à "
            "l'étage : ces travaux coûtent peu comparés aux dégâts, mais beaucoup de ménages ne "
            "peuvent pas les avancer.",
        ),
        (
            "Réaliser un diagnostic de vulnérabilité gratuit pour chaque maison inondée {at}",
            "Un technicien qui passe dans chaque maison sinistrée et indique les travaux utiles "
            "permettrait de reconstruire mieux plutôt qu'à l'identique.",
        ),
    ],
    "gestion-de-crise": [
        (
            "Mettre à jour le plan communal de sauvegarde {of} avec les habitants",
            "Le plan communal de sauvegarde doit être revu à la lumière de cet hiver : qui "
            "prévient qui, où sont les personnes fragiles, quels bâtiments servent d'abri.",
        ),
        (
            "Prévenir par SMS tous les habitants des zones inondables",
            "Beaucoup d'habitants ont appris la crue en voyant l'eau arriver. Une alerte par SMS "
            "et par FR-Alert, déclenchée à partir des niveaux de {river}, aurait laissé le temps "
            "de monter les meubles.",
        ),
        (
            "Prévoir des stocks de sacs de sable et des pompes dans chaque commune",
            "Pendant la crue, les sacs de sable ont manqué et il a fallu attendre des pompes "
            "venues de loin. Un stock dans chaque commune, avec un inventaire connu, ferait "
            "gagner des heures.",
        ),
        (
            "Créer une réserve communale de sécurité civile {at}",
            "De nombreux bénévoles se sont proposés mais personne ne savait comment les "
            "organiser. Une réserve communale, formée à l'avance, permettrait d'aider sans se "
            "mettre en danger.",
        ),
        (
            "Accélérer les indemnisations après la reconnaissance CatNat",
            "Des sinistrés attendent encore le passage de l'expert et le versement de leur "
            "assurance. Un guichet unique et des délais garantis après l'arrêté de catastrophe "
            "naturelle sont indispensables.",
        ),
    ],
    "culture-du-risque": [
        (
            "Poser des repères de crues dans le centre {of}",
            "Des repères de crues bien visibles sur les bâtiments publics rappelleraient où l'eau "
            "est montée et aideraient les nouveaux habitants à comprendre le risque.",
        ),
        (
            "Organiser chaque année un exercice d'inondation {at}",
            "Un exercice annuel, avec les écoles, les commerces et les habitants des rues basses, "
            "permettrait que chacun sache quoi faire le jour venu.",
        ),
        (
            "Informer chaque nouvel arrivant du risque d'inondation",
            "Lors d'un achat ou d'une location, l'information sur le risque est noyée dans les "
            "papiers. Un rendez-vous d'accueil en mairie avec la carte des zones inondables serait "
            "plus utile.",
        ),
        (
            "Parler des crues dans toutes les écoles du bassin de {river}",
            "Les enfants sont les meilleurs relais auprès des familles. Des interventions en "
            "classe, avec une visite des ouvrages et des repères de crues, créeraient une vraie "
            "culture du risque.",
        ),
        (
            "Recueillir la mémoire des crues de 2023-2024 {at}",
            "Photos, vidéos, récits : ces souvenirs se perdront si personne ne les collecte. Une "
            "exposition ou un site de mémoire aiderait aussi à préparer la suite.",
        ),
    ],
}

QUESTIONS = [
    (
        "gestion-de-l-eau",
        "Qui doit entretenir les fossés le long des routes {of} ?",
        "Entre la commune, le département, les riverains et les agriculteurs, personne ne semble "
        "savoir à qui revient l'entretien des fossés. Pouvez-vous clarifier ?",
    ),
    (
        "amenagement-et-urbanisme",
        "Comment savoir si ma maison {at} est en zone inondable ?",
        "Nous avons acheté il y a trois ans et personne ne nous a parlé du risque. Où trouver "
        "une carte à jour qui tient compte des crues de cet hiver ?",
    ),
    (
        "gestion-de-l-eau",
        "Quand les travaux sur {river} commenceront-ils ?",
        "On entend parler de travaux depuis la crue mais rien ne bouge {at}. Existe-t-il un "
        "calendrier public ?",
    ),
    (
        "gestion-de-l-eau",
        "Les stations de pompage des wateringues ont-elles fonctionné pendant la crue ?",
        "Certains disent que les pompes ont saturé, d'autres qu'elles ont été arrêtées. Que "
        "s'est-il passé exactement et que va-t-on changer ?",
    ),
    (
        "gestion-de-crise",
        "Que couvre exactement la garantie catastrophe naturelle ?",
        "Mon assureur refuse de prendre en charge le garage et le jardin. Est-ce normal avec "
        "l'arrêté CatNat ?",
    ),
    (
        "gestion-de-crise",
        "Pourquoi l'alerte est-elle arrivée si tard {at} ?",
        "Nous avons reçu le message alors que l'eau était déjà dans la rue. Comment l'alerte "
        "est-elle déclenchée et par qui ?",
    ),
    (
        "amenagement-et-urbanisme",
        "Pourra-t-on reconstruire à l'identique après l'inondation ?",
        "Notre maison {at} doit être en partie refaite. Aurons-nous le droit de reconstruire au "
        "même endroit, et avec quelles obligations ?",
    ),
    (
        "agriculture",
        "Les agriculteurs inondés seront-ils indemnisés pour les récoltes perdues ?",
        "Plusieurs exploitations autour {of} ont perdu leurs semis d'hiver. Quelles aides "
        "existent et comment les demander ?",
    ),
    (
        "gestion-de-l-eau",
        "Qui décide du curage de {river} ?",
        "Certains réclament un curage, d'autres disent que cela aggrave les crues en aval. Qui "
        "tranche, et sur quelles études ?",
    ),
    (
        "culture-du-risque",
        "Existe-t-il un plan familial de mise en sûreté à remplir ?",
        "J'aimerais préparer ma famille à une prochaine crue {at}. Y a-t-il un modèle simple ?",
    ),
]

TESTIMONY_TITLES = [
    "La nuit où l'eau est entrée chez nous {at}",
    "Deux inondations en deux mois {at}",
    "La solidarité entre voisins {at}",
    "Ce que la crue nous a appris {at}",
    "Six mois après, toujours pas rentrés chez nous",
    "Les bénévoles {of} ont été formidables",
    "Commerçante {at}, j'ai tout perdu en une nuit",
]

TESTIMONY_FACTS = [
    "L'eau est montée à {height} dans le salon en moins de deux heures.",
    "Nous avons tout monté à l'étage à la lampe de poche, l'électricité était coupée.",
    "Les pompiers sont venus chercher nos voisins âgés en barque.",
    "Le chauffage, la cuisine et les papiers : tout a été perdu.",
    "Nous avons dormi chez ma sœur pendant un mois, les enfants ont changé d'école.",
    "Les voisins sont venus aider à vider la maison dès que l'eau est redescendue.",
    "L'expert de l'assurance n'est passé qu'au bout de sept semaines.",
    "Les murs ont mis des mois à sécher ; il a fallu refaire les plâtres.",
    "La salle des fêtes a servi de dortoir, la mairie a été formidable.",
]

FARM_TITLE = "Notre exploitation sous l'eau près {of}"
FARM_FACTS = [
    "Nos semis d'hiver sont restés sous l'eau trois semaines ; une partie des terres est "
    "encore abîmée.",
    "Il a fallu sortir les bêtes en urgence et les loger chez un voisin pendant un mois.",
    "Le limon a recouvert les prairies et le foin stocké dans le hangar est perdu.",
    "Les coulées de boue ont emporté la terre des parcelles en pente jusque sur la route.",
]

TESTIMONY_ENDINGS = [
    "Je témoigne pour que ce qui s'est passé ne soit pas oublié.",
    "Aujourd'hui, à chaque grosse pluie, nous avons peur.",
    "Nous voulons rester {at}, mais pas à n'importe quelles conditions.",
    "Il faut que les leçons soient tirées, vraiment.",
    "Merci à toutes celles et ceux qui nous ont aidés.",
]

HEIGHTS = ["40 centimètres", "60 centimètres", "80 centimètres", "un mètre", "1,20 mètre"]


def proposal_text(rng: Random, theme: str, place: Place) -> tuple[str, str]:
    title, core = rng.choice(PROPOSALS[theme])
    opener = rng.choice(OPENERS).format(
        moment=rng.choice(CRUE_MOMENTS), river="{river}", at="{at}", of="{of}"
    )
    parts = [opener, core, rng.choice(ARGUMENTS), rng.choice(CLOSINGS)]
    body = " ".join(_fill(part, place) for part in parts if part)
    return _fill(title, place), body


def question_text(rng: Random, place: Place) -> tuple[str, str, str]:
    theme, title, body = rng.choice(QUESTIONS)
    return theme, _fill(title, place), _fill(body, place)


def testimony_text(rng: Random, place: Place) -> tuple[str, str]:
    if rng.random() < 0.2:
        title, facts = FARM_TITLE, rng.sample(FARM_FACTS, 2) + rng.sample(TESTIMONY_FACTS[6:], 1)
    else:
        title, facts = rng.choice(TESTIMONY_TITLES), rng.sample(TESTIMONY_FACTS, 3)
    opener = rng.choice(OPENERS).format(
        moment=rng.choice(CRUE_MOMENTS), river="{river}", at="{at}", of="{of}"
    )
    parts = [opener, *facts, rng.choice(TESTIMONY_ENDINGS)]
    body = " ".join(_fill(part.replace("{height}", rng.choice(HEIGHTS)), place) for part in parts)
    return _fill(title, place), body


# --- Comments, statements, answers --------------------------------------------------------

COMMENTS_FOR = [
    "Tout à fait d'accord, c'est exactement ce qui a manqué cet hiver.",
    "Je soutiens. Chez nous aussi, l'eau venait des champs et non de la rivière.",
    "Bonne idée, à condition que l'entretien soit prévu dans la durée.",
    "Oui ! Et il faudrait le faire dans toutes les communes du bassin, pas seulement ici.",
    "D'accord avec vous. Les anciens le faisaient, on a perdu cette habitude.",
    "C'est du bon sens. On aurait évité beaucoup de dégâts rue du Moulin.",
    "Entièrement d'accord, et les agriculteurs que je connais sont prêts à s'y mettre.",
]
COMMENTS_AGAINST = [
    "Je ne suis pas convaincu : cela déplacera le problème vers l'aval.",
    "Sur le principe oui, mais qui paie ? Les communes rurales n'en ont pas les moyens.",
    "Attention, cela prend des terres agricoles qui font vivre des familles.",
    "Je suis plutôt contre : la priorité, c'est l'entretien de ce qui existe déjà.",
    "Cela a déjà été essayé il y a vingt ans sans résultat.",
]
COMMENTS_NEUTRAL = [
    "Est-ce qu'une étude a déjà été faite sur ce secteur ?",
    "Il faudrait connaître le coût avant de se prononcer.",
    "Question : le syndicat de bassin a-t-il été consulté ?",
    "Intéressant. Comment ça se passe dans les communes voisines ?",
    "À discuter lors de l'atelier, je pense.",
]
# Questions and testimonies call for answers and support rather than for or against.
COMMENTS_ON_QUESTION = [
    "Même question chez nous, personne n'a su nous répondre en mairie.",
    "La carte des zones inondables est consultable sur Géorisques, mais elle date d'avant "
    "cet hiver.",
    "Le syndicat de bassin a fait une réunion publique sur ce sujet, il faudrait la refaire.",
    "Bonne question, j'attends aussi la réponse de la préfecture.",
    "Chez nous, c'est l'intercommunalité qui s'en occupe depuis la compétence GEMAPI.",
]
COMMENTS_ON_TESTIMONY = [
    "Merci pour ce témoignage, nous avons vécu la même chose deux rues plus loin.",
    "Courage à vous. Le plus dur, c'est l'attente après.",
    "Ce récit devrait être lu par tous ceux qui décident où construire.",
    "Nous aussi, l'assurance a mis des semaines. Il faut que ça change.",
    "Bravo aux bénévoles, ils ont été formidables partout dans la vallée.",
]

REPLIES = [
    "Merci pour la précision, je ne le savais pas.",
    "Justement, c'est pour ça qu'il faut en parler maintenant.",
    "Je vous rejoins en partie, mais il faut commencer quelque part.",
    "Le syndicat mixte a présenté une étude l'an dernier, elle est en ligne.",
    "Chez nous la commune a trouvé des financements, ça vaut le coup de demander.",
    "Vous avez raison sur le coût, mais les dégâts coûtent bien plus cher.",
]

STATEMENTS = [
    ("gestion-de-l-eau", "Il faut rendre aux rivières une partie de leur lit naturel."),
    (
        "amenagement-et-urbanisme",
        "Aucune nouvelle construction ne devrait être autorisée en zone inondable.",
    ),
    ("agriculture", "Les agriculteurs qui stockent l'eau de crue doivent être rémunérés."),
    ("gestion-de-l-eau", "L'entretien des fossés est la priorité numéro un."),
    ("gestion-de-crise", "J'ai été prévenu·e à temps de l'arrivée de l'eau."),
    (
        "gestion-de-crise",
        "Une alerte par SMS devrait être envoyée à tous les habitants des zones inondables.",
    ),
    (
        "amenagement-et-urbanisme",
        "Les maisons inondées plusieurs fois devraient pouvoir être rachetées par l'État.",
    ),
    ("gestion-de-l-eau", "Le curage des rivières réduit le risque d'inondation."),
    (
        "agriculture",
        "Il faut replanter des haies sur les coteaux, même si cela réduit les surfaces cultivées.",
    ),
    ("culture-du-risque", "Je sais où trouver la carte des zones inondables de ma commune."),
    ("culture-du-risque", "Des repères de crues devraient être posés dans chaque commune touchée."),
    ("gestion-de-crise", "Mon assurance m'a indemnisé·e dans des délais raisonnables."),
    ("gestion-de-l-eau", "Les wateringues doivent être modernisées en priorité."),
    (
        "amenagement-et-urbanisme",
        "Les cours d'école et les parkings devraient être désimperméabilisés.",
    ),
    ("culture-du-risque", "Un exercice d'inondation chaque année serait utile dans ma commune."),
    ("gestion-de-crise", "Ma commune a un plan communal de sauvegarde à jour."),
    ("agriculture", "Les pratiques agricoles ont aggravé les coulées de boue cet hiver."),
    (
        "gestion-de-l-eau",
        "Les décisions sur l'eau doivent se prendre à l'échelle du bassin, pas de la commune.",
    ),
    (
        "amenagement-et-urbanisme",
        "Je serais prêt·e à déménager si ma maison était de nouveau inondée.",
    ),
    ("culture-du-risque", "Les crues de 2023-2024 se reproduiront dans les dix prochaines années."),
]

# Share of agree / disagree among voters, per statement (the rest pass): consensus and divides.
STATEMENT_LEANINGS = [
    (0.8, 0.1), (0.55, 0.35), (0.7, 0.2), (0.75, 0.15), (0.3, 0.6), (0.85, 0.08), (0.5, 0.35),
    (0.45, 0.45), (0.6, 0.3), (0.35, 0.5), (0.8, 0.1), (0.25, 0.6), (0.7, 0.15), (0.65, 0.2),
    (0.6, 0.25), (0.3, 0.4), (0.5, 0.4), (0.75, 0.1), (0.4, 0.45), (0.7, 0.15),
]  # fmt: skip

ANSWERS = {
    "under_review": (
        "Merci pour cette contribution. Les services de l'État l'étudient avec le syndicat mixte "
        "du bassin concerné ; une réponse détaillée sera apportée lors de la phase de synthèse."
    ),
    "accepted": (
        "Cette proposition est retenue. Elle sera intégrée au plan d'action du bassin et mise en "
        "œuvre avec les collectivités concernées ; un premier point d'étape sera présenté lors de "
        "la restitution."
    ),
    "partially_accepted": (
        "Cette proposition est partiellement retenue : son principe rejoint le programme "
        "d'actions de prévention des inondations, mais son périmètre doit être adapté aux "
        "études hydrauliques en cours."
    ),
    "rejected": (
        "Cette proposition n'est pas retenue en l'état : les études montrent qu'elle "
        "aggraverait le risque pour les communes situées en aval. D'autres solutions sont "
        "étudiées pour le même secteur."
    ),
    "already_done": (
        "Cette mesure existe déjà : elle est prévue par le plan de gestion des risques "
        "d'inondation et plusieurs communes du bassin l'ont engagée. La préfecture en publiera "
        "la carte pour la faire mieux connaître."
    ),
}

PAPER_LABELS = [
    "Courrier déposé en mairie {of}",
    "Cahier de doléances de la mairie {of}",
    "Lettre reçue en sous-préfecture",
]
WORKSHOP_TABLES = ["Table {n} de l'atelier de lancement", "Groupe {n}, atelier de Boulogne"]
