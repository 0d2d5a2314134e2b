"""A live workshop in real browsers: a facilitator (console and projected screen) and two
participants on their phones, each in their own browser context, on a Daphne server.

A card typed on one phone appears on the other, on the console and on the projected board; the
timer, the lock and the vote reveal reach every screen; a phone that loses the network keeps the
card typed meanwhile and delivers it once when the network is back. axe-core checks the join and
board pages.
"""

import json
import re

import pytest
from playwright.sync_api import expect

from consultation.actions.boards import open_session
from consultation.models import Card
from tests.e2e.conftest import serious_accessibility_issues

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def session(facilitator, workshop):
    return open_session(facilitator, workshop, title="Atelier en direct de Béthune", dot_budget=3)


def session_url_base(page) -> str:
    scheme, _, host, *_rest = page.url.split("/")
    return f"{scheme}//{host}"


def join(page, code: str, nickname: str):
    page.set_viewport_size(PHONE)
    page.goto(f"/ateliers-en-direct/rejoindre/?code={code}")
    page.get_by_label("Votre pseudonyme").fill(nickname)
    page.get_by_role("button", name="Rejoindre").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Atelier en direct de Béthune")
    wait_online(page)


def wait_online(page):
    expect(page.locator("[data-live-connection]")).to_have_text(re.compile("^Connecté·e"))


def add_card(page, text: str, column: str = "Idées"):
    page.get_by_label("Colonne").select_option(label=column)
    page.get_by_label("Votre carte").fill(text)
    page.get_by_role("button", name="Ajouter ma carte").click()


def card(page, text: str):
    return page.locator(".live-card").filter(has_text=text)


def open_console(new_live_page, session, facilitator):
    """The facilitator's console, connected."""
    console = new_live_page(user=facilitator)
    console.goto(f"/ateliers-en-direct/{session.pk}/animer/")
    wait_online(console)
    return console


def console_command(console, name: str):
    console.get_by_role("button", name=name, exact=True).click()


def test_a_live_workshop_on_three_screens(new_live_page, session, facilitator):
    alice, bruno = new_live_page(), new_live_page()
    console = open_console(new_live_page, session, facilitator)
    projection = console.context.new_page()
    projection.goto(f"/ateliers-en-direct/{session.pk}/projection/")
    expect(projection.locator(".live-code--huge [aria-hidden]")).to_have_text(session.join_code)
    wait_online(projection)
    join(alice, session.join_code, "Alice")
    join(bruno, session.join_code, "Bruno")

    # A card typed on one phone appears on the other, the console and the projected board.
    add_card(alice, "Des repères de crue dans chaque village")
    for page in (alice, bruno, console, projection):
        expect(card(page, "Des repères de crue dans chaque village")).to_have_count(1)
    expect(card(alice, "Des repères de crue")).not_to_contain_text("En attente d'envoi")
    expect(card(bruno, "Des repères de crue").locator(".live-card__author")).to_have_text("Alice")

    # Plain text everywhere: markup typed on a phone is shown, never run.
    add_card(bruno, "<img src=x onerror=alert(1)> Curer les fossés")
    for page in (alice, projection):
        expect(card(page, "<img src=x onerror=alert(1)> Curer les fossés")).to_have_count(1)
        assert page.locator(".live-card img").count() == 0

    # The timer runs on every screen from the server's clock.
    console.get_by_label("Durée en minutes").fill("2")
    console_command(console, "Démarrer")
    for page in (alice, projection):
        expect(page.locator("[data-live-timer-label]")).to_have_text("Temps restant")
        expect(page.locator("[data-live-timer]")).to_have_text(re.compile(r"^0[12]:\d\d$"))
    console_command(console, "Pause")
    expect(alice.locator("[data-live-timer-label]")).to_have_text("Minuteur en pause")

    # Locked: the phones say so, and a card typed then is refused with the reason, text kept.
    console_command(console, "Verrouiller le tableau")
    expect(bruno.get_by_text("Tableau verrouillé")).to_be_visible()
    add_card(bruno, "Une carte trop tard")
    expect(bruno.locator("[data-live-errors]")).to_contain_text("verrouillé")
    expect(bruno.get_by_label("Votre carte")).to_have_value("Une carte trop tard")
    expect(card(alice, "Une carte trop tard")).to_have_count(0)
    console_command(console, "Déverrouiller")
    expect(bruno.get_by_text("Tableau verrouillé")).to_be_hidden()

    # Dot votes stay hidden until the facilitator reveals them.
    console.get_by_label("Étape en cours").select_option("vote")
    console_command(console, "Changer d'étape")
    expect(bruno.locator("[data-live-step]")).to_have_text("Vote")
    card(bruno, "Des repères de crue").get_by_role(
        "button", name=re.compile("Ajouter une gommette")
    ).click()
    expect(bruno.locator("[data-live-dots-left]")).to_have_text("Gommettes restantes : 2")
    expect(card(alice, "Des repères de crue").locator(".live-card__dots")).to_have_count(0)
    expect(card(projection, "Des repères de crue").locator(".live-card__dots")).to_have_count(0)
    expect(card(console, "Des repères de crue").locator(".live-card__dots")).to_have_text(
        "1 gommette"
    )
    console_command(console, "Révéler les votes")
    expect(card(alice, "Des repères de crue").locator(".live-card__dots")).to_have_text(
        "1 gommette"
    )
    expect(card(projection, "Des repères de crue").locator(".live-card__dots")).to_have_text(
        "1 gommette"
    )

    # Back to writing; one phone loses the network and its card waits, then arrives once.
    console.get_by_label("Étape en cours").select_option("divergence")
    console_command(console, "Changer d'étape")
    expect(bruno.locator("[data-live-step]")).to_have_text("Expression")
    bruno.context.set_offline(True)
    expect(bruno.locator("[data-live-connection]")).to_have_text(re.compile("^Connexion perdue"))
    add_card(bruno, "Une carte écrite sans réseau", column="Actions")
    pending = card(bruno, "Une carte écrite sans réseau")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text("En attente d'envoi")
    expect(card(alice, "Une carte écrite sans réseau")).to_have_count(0)
    assert not Card.objects.filter(text="Une carte écrite sans réseau").exists()
    bruno.context.set_offline(False)
    for page in (bruno, alice, console, projection):
        expect(card(page, "Une carte écrite sans réseau")).to_have_count(1)
    expect(card(bruno, "Une carte écrite sans réseau")).not_to_contain_text("En attente d'envoi")
    # Reloading the phone resends nothing twice.
    bruno.reload()
    wait_online(bruno)
    expect(card(bruno, "Une carte écrite sans réseau")).to_have_count(1)
    assert Card.objects.filter(text="Une carte écrite sans réseau").count() == 1


def test_the_facilitators_pending_step_choice_survives_other_events(
    new_live_page, session, facilitator
):
    """Choosing the next step, then locking the board before confirming: the lock's event
    redraws the console, and the step still chosen is the one sent (CI once sent the old one)."""
    phone = new_live_page()
    join(phone, session.join_code, "Alice")
    console = open_console(new_live_page, session, facilitator)
    step = console.get_by_label("Étape en cours")
    expect(step).to_have_value("divergence")
    step.select_option("vote")
    console_command(console, "Verrouiller le tableau")
    expect(phone.get_by_text("Tableau verrouillé")).to_be_visible()
    expect(console.get_by_role("button", name="Déverrouiller", exact=True)).to_be_visible()
    expect(step).to_have_value("vote")
    console_command(console, "Changer d'étape")
    expect(phone.locator("[data-live-step]")).to_have_text("Vote")
    # Past the writing steps, the phone's card form gives way to a note; the console keeps its.
    expect(phone.get_by_label("Votre carte")).to_be_hidden()
    expect(phone.get_by_text("À cette étape, on n'ajoute plus de cartes")).to_be_visible()
    # A step changed elsewhere (another console, the server) still reaches this select.
    console2 = open_console(new_live_page, session, facilitator)
    console2.get_by_label("Étape en cours").select_option("divergence")
    console_command(console2, "Changer d'étape")
    expect(phone.locator("[data-live-step]")).to_have_text("Expression")
    expect(step).to_have_value("divergence")
    expect(phone.get_by_label("Votre carte")).to_be_visible()
    expect(phone.get_by_text("À cette étape, on n'ajoute plus de cartes")).to_be_hidden()


def test_a_choice_not_yet_sent_on_a_card_survives_cards_arriving(
    new_live_page, session, facilitator
):
    """The console redraws every card when one arrives from a phone: a cluster chosen for a
    card, a reason picked, a cluster's new name being typed stay as the facilitator left them."""
    phone = new_live_page()
    join(phone, session.join_code, "Alice")
    console = open_console(new_live_page, session, facilitator)
    add_card(phone, "Planter des haies")
    console.get_by_label("Nouveau regroupement").fill("Haies et bocage")
    console.get_by_role("button", name="Créer").click()
    rename = console.get_by_label("Nom du regroupement")
    expect(rename).to_have_value("Haies et bocage")
    hedge = card(console, "Planter des haies")
    hedge.locator("summary").click()
    hedge.get_by_label("Regroupement", exact=True).select_option(label="Haies et bocage")
    hedge.get_by_label("Motif").select_option(label="Données personnelles")
    rename.fill("Haies, bocage et talus")

    add_card(phone, "Curer les fossés")
    expect(card(console, "Curer les fossés")).to_have_count(1)
    hedge = card(console, "Planter des haies")
    expect(hedge.get_by_label("Regroupement", exact=True)).to_have_value(
        str(session.boards.get().clusters.get().pk)
    )
    expect(hedge.get_by_label("Motif")).to_have_value("personal_data")
    expect(rename).to_have_value("Haies, bocage et talus")

    # Sent: the card moves on every screen, and the server's value rules again afterwards.
    hedge.get_by_role("button", name="Déplacer").click()
    expect(card(phone, "Planter des haies")).to_contain_text("Regroupement : Haies et bocage")
    console.get_by_role("button", name="Renommer").click()
    expect(card(phone, "Planter des haies")).to_contain_text(
        "Regroupement : Haies, bocage et talus"
    )


def test_a_phone_without_javascript_takes_part_with_plain_forms(
    new_live_page, session, facilitator
):
    """Joining, adding, editing and deleting a card, placing and removing dots: every move of a
    participant works with JavaScript off, one page load per move."""
    phone = new_live_page(javascript=False)
    phone.set_viewport_size(PHONE)
    phone.goto(f"/ateliers-en-direct/rejoindre/?code={session.join_code}")
    phone.get_by_label("Votre pseudonyme").fill("Alice")
    phone.get_by_role("button", name="Rejoindre").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Atelier en direct de Béthune")
    expect(phone.locator("[data-live-connection]")).to_contain_text("rechargez la page")
    add_card(phone, "Curer les fossés")
    expect(phone.get_by_text("Votre carte est ajoutée au tableau.")).to_be_visible()
    add_card(phone, "Une carte de trop")

    mine = card(phone, "Curer les fossés")
    mine.locator("summary").click()
    mine.get_by_label("Texte de la carte").fill("Curer les fossés avant l'hiver")
    mine.get_by_role("button", name="Enregistrer").click()
    expect(phone.get_by_text("Votre carte est modifiée.")).to_be_visible()
    expect(card(phone, "Curer les fossés avant l'hiver")).to_have_count(1)

    extra = card(phone, "Une carte de trop")
    extra.locator("summary").click()
    extra.get_by_role("button", name="Supprimer ma carte").click()
    expect(phone.get_by_text("Votre carte est supprimée.")).to_be_visible()
    expect(card(phone, "Une carte de trop")).to_have_count(0)

    console = open_console(new_live_page, session, facilitator)
    console.get_by_label("Étape en cours").select_option("vote")
    console_command(console, "Changer d'étape")
    expect(console.locator("[data-live-step]")).to_have_text("Vote")

    phone.reload()
    expect(phone.locator("[data-live-dots-left]")).to_have_text("Gommettes restantes : 3")
    for left in (2, 1):
        card(phone, "Curer les fossés").get_by_role(
            "button", name=re.compile("Ajouter une gommette")
        ).click()
        expect(phone.locator("[data-live-dots-left]")).to_have_text(f"Gommettes restantes : {left}")
    card(phone, "Curer les fossés").get_by_role(
        "button", name=re.compile("Retirer une gommette")
    ).click()
    expect(phone.locator("[data-live-dots-left]")).to_have_text("Gommettes restantes : 2")
    expect(card(console, "Curer les fossés").locator(".live-card__dots")).to_have_text("1 gommette")
    # Locked meanwhile: the next move is refused with the reason, on the page.
    console_command(console, "Verrouiller le tableau")
    expect(console.get_by_role("button", name="Déverrouiller", exact=True)).to_be_visible()
    card(phone, "Curer les fossés").get_by_role(
        "button", name=re.compile("Ajouter une gommette")
    ).click()
    expect(card(phone, "Curer les fossés")).to_contain_text("verrouillé")
    expect(phone.locator("[data-live-dots-left]")).to_have_text("Gommettes restantes : 2")
    # axe needs scripts: the same person's page, drawn by the server, with board.js blocked.
    same_person = phone.context.browser.new_context(
        base_url=session_url_base(phone), storage_state=phone.context.storage_state()
    )
    checked = same_person.new_page()
    checked.route("**/board.js", lambda route: route.abort())
    checked.goto(f"/ateliers-en-direct/{session.pk}/")
    card(checked, "Curer les fossés").locator("summary").click()
    expect(card(checked, "Curer les fossés").get_by_label("Texte de la carte")).to_be_visible()
    assert serious_accessibility_issues(checked) == []
    same_person.close()


def test_closing_the_session_tells_the_phones_and_keeps_the_board(
    new_live_page, session, facilitator
):
    phone = new_live_page()
    join(phone, session.join_code, "Alice")
    add_card(phone, "Des repères de crue dans chaque village")
    expect(card(phone, "Des repères de crue")).not_to_contain_text("En attente d'envoi")
    expect(phone.get_by_text("Session terminée")).to_be_hidden()

    console = new_live_page(user=facilitator)
    console.goto(f"/ateliers-en-direct/{session.pk}/animer/")
    console.get_by_role("link", name="Terminer la session").click()
    console.get_by_role("button", name="Oui, terminer la session").click()
    expect(console.get_by_text("La session est terminée : plus aucune carte")).to_be_visible()
    expect(phone.get_by_text("Session terminée")).to_be_visible()
    expect(phone.get_by_text("La session est terminée : merci pour vos cartes.")).to_be_visible()
    expect(phone.get_by_label("Votre carte")).to_be_hidden()
    expect(phone.get_by_text("Tableau verrouillé")).to_be_hidden()
    expect(card(phone, "Des repères de crue")).to_have_count(1)
    expect(card(phone, "Des repères de crue").get_by_role("button")).to_have_count(0)
    # The same page drawn again by the server says the same.
    phone.reload()
    expect(phone.get_by_text("Session terminée")).to_be_visible()
    expect(phone.get_by_label("Votre carte")).to_have_count(0)
    expect(card(phone, "Des repères de crue")).to_have_count(1)


def test_the_join_and_board_pages_pass_axe(new_live_page, session, facilitator):
    page = new_live_page()
    page.goto(f"/ateliers-en-direct/rejoindre/?code={session.join_code}")
    issues = {"rejoindre": serious_accessibility_issues(page)}
    join(page, session.join_code, "Alice")
    add_card(page, "Une haie le long du chemin")
    expect(card(page, "Une haie le long du chemin")).not_to_contain_text("En attente d'envoi")
    issues["tableau"] = serious_accessibility_issues(page)
    # Offline, a card waits with its badge: that state too is read by people on a weak network.
    page.context.set_offline(True)
    expect(page.locator("[data-live-connection]")).to_have_text(re.compile("^Connexion perdue"))
    add_card(page, "Une carte écrite sans réseau")
    expect(card(page, "Une carte écrite sans réseau")).to_contain_text("En attente d'envoi")
    issues["hors ligne"] = serious_accessibility_issues(page)
    page.context.set_offline(False)
    console = open_console(new_live_page, session, facilitator)
    issues["animer"] = serious_accessibility_issues(console)
    hedge = card(console, "Une haie le long du chemin")
    hedge.locator("summary").click()
    hedge.get_by_label("Motif").select_option(label="Hors sujet")
    hedge.get_by_role("button", name="Masquer").click()
    expect(card(console, "Une haie le long du chemin")).to_contain_text("Masquée")
    issues["carte masquée"] = serious_accessibility_issues(console)
    console.goto(f"/ateliers-en-direct/{session.pk}/projection/")
    wait_online(console)
    issues["projection"] = serious_accessibility_issues(console)
    assert issues == {
        "rejoindre": [],
        "tableau": [],
        "hors ligne": [],
        "animer": [],
        "carte masquée": [],
        "projection": [],
    }


def test_the_facilitator_moderates_groups_and_spotlights_from_the_console(
    new_live_page, session, facilitator
):
    alice, bruno = new_live_page(), new_live_page()
    alice.on("dialog", lambda dialog: dialog.accept())
    console = open_console(new_live_page, session, facilitator)
    projection = console.context.new_page()
    projection.goto(f"/ateliers-en-direct/{session.pk}/projection/")
    wait_online(projection)
    join(alice, session.join_code, "Alice")
    join(bruno, session.join_code, "Bruno")
    add_card(alice, "Le numéro du voisin : 06 00 00 00 00")
    add_card(alice, "Planter des haies")
    add_card(alice, "Une carte à retirer")
    expect(card(bruno, "Une carte à retirer")).to_have_count(1)

    # Authors edit and delete their own cards.
    card(alice, "Planter des haies").get_by_role("button", name=re.compile("^Modifier")).click()
    alice.get_by_label("Texte de la carte").fill("Planter des haies vives")
    alice.get_by_role("button", name="Enregistrer").click()
    expect(card(bruno, "Planter des haies vives")).to_have_count(1)
    card(alice, "Une carte à retirer").get_by_role("button", name=re.compile("^Supprimer")).click()
    expect(card(bruno, "Une carte à retirer")).to_have_count(0)
    assert (
        card(bruno, "Le numéro du voisin")
        .get_by_role("button", name=re.compile("^Modifier"))
        .count()
        == 0
    )

    # Hidden with a reason: gone from the phones and the projection, kept for the console.
    phone_card = card(console, "Le numéro du voisin")
    phone_card.locator("summary").click()
    phone_card.get_by_label("Motif").select_option(label="Données personnelles")
    phone_card.get_by_role("button", name="Masquer").click()
    expect(card(bruno, "Le numéro du voisin")).to_have_count(0)
    expect(card(projection, "Le numéro du voisin")).to_have_count(0)
    expect(card(console, "Le numéro du voisin")).to_contain_text("Masquée")

    # Spotlight on every screen.
    hedge = card(console, "Planter des haies vives")
    hedge.locator("summary").click()
    hedge.get_by_role("button", name="Mettre en avant").click()
    expect(projection.locator("[data-live-spotlight-text]")).to_have_text("Planter des haies vives")

    # A cluster, then the card put in it.
    console.get_by_label("Nouveau regroupement").fill("Haies et bocage")
    console.get_by_role("button", name="Créer").click()
    expect(console.get_by_label("Nom du regroupement")).to_have_value("Haies et bocage")
    hedge = card(console, "Planter des haies vives")
    if not hedge.locator("details").evaluate("d => d.open"):
        hedge.locator("summary").click()
    hedge.get_by_label("Regroupement", exact=True).select_option(label="Haies et bocage")
    hedge.get_by_role("button", name="Déplacer").click()
    expect(card(bruno, "Planter des haies vives")).to_contain_text("Regroupement : Haies et bocage")

    # Anonymous mode: the phones no longer show who wrote what; the console does.
    console_command(console, "Activer le mode anonyme")
    expect(card(bruno, "Planter des haies vives").locator(".live-card__author")).to_have_count(0)
    expect(card(console, "Planter des haies vives").locator(".live-card__author")).to_have_text(
        "Alice"
    )

    # Removing someone closes their board.
    console.on("dialog", lambda dialog: dialog.accept())
    console.locator("[data-live-presence] li").filter(has_text="Bruno").get_by_role(
        "button", name=re.compile("^Retirer")
    ).click()
    expect(bruno.locator("[data-live-errors]")).to_contain_text("vous n'y avez plus accès")


def test_a_missed_event_is_asked_for_again(new_live_page, session):
    """An event lost on the way (here dropped by a proxy in the browser) leaves a gap in the
    numbering: the client asks for what it missed with its last number, and shows the card."""
    alice, bruno = new_live_page(), new_live_page()
    dropped, hellos = [], []

    def proxy(route):
        server = route.connect_to_server()

        def from_server(message):
            data = json.loads(message)
            card = data.get("card")
            if data.get("type") == "card.added" and "perdue" in card["text"] and not dropped:
                dropped.append(data["seq"])
                return
            route.send(message)

        def from_page(message):
            data = json.loads(message)
            if data.get("type") == "hello":
                hellos.append(data)
            server.send(message)

        server.on_message(from_server)
        route.on_message(from_page)

    alice.route_web_socket(re.compile(r"/ws/sessions/"), proxy)
    join(alice, session.join_code, "Alice")
    join(bruno, session.join_code, "Bruno")
    add_card(bruno, "Une carte perdue en route")
    expect(card(bruno, "Une carte perdue en route")).not_to_contain_text("En attente d'envoi")
    add_card(bruno, "La carte suivante")
    for text in ("Une carte perdue en route", "La carte suivante"):
        expect(card(alice, text)).to_have_count(1)
    assert dropped, "the proxy dropped nothing: the test proves nothing"
    assert {"type": "hello", "protocol": 1, "last_seq": dropped[0] - 1} in hellos
