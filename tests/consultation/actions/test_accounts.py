import pytest
from rest_framework.authtoken.models import Token

from consultation.actions.accounts import sign_up
from consultation.actions.contributions import submit_contribution
from consultation.actions.privacy import delete_account, export_personal_data
from consultation.actions.supports import add_support
from consultation.errors import ActionRefused
from consultation.models import Contribution, Follow, Support, User


def test_sign_up_creates_an_account_that_logs_in_by_email(db, client):
    user = sign_up(email=" Jeanne@Exemple.FR ", password="inondations-2024!", display_name="Jeanne")
    assert user.email == "jeanne@exemple.fr"
    assert client.login(email="jeanne@exemple.fr", password="inondations-2024!")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "pas-une-adresse"}, "Adresse électronique invalide"),
        ({"email": "camille@exemple.fr"}, "existe déjà"),
        ({"password": "123"}, "trop court"),
        ({"password": "password123"}, "trop courant"),
        ({"display_name": ""}, "Nom affiché : ce champ est obligatoire"),
        ({"display_name": "n" * 61}, "60 caractères"),
        ({"postal_code": "62A00"}, "5 chiffres"),
    ],
)
def test_sign_up_rejects_bad_input(resident, fields, message):
    data = {
        "email": "nouveau@exemple.fr",
        "password": "inondations-2024!",
        "display_name": "Nouveau",
        **fields,
    }
    with pytest.raises(ActionRefused, match=message):
        sign_up(**data)
    assert not User.objects.filter(email="nouveau@exemple.fr").exists()


def test_deleting_an_account_keeps_contributions_signed_deleted(
    resident, campaign, proposal, client
):
    mine = submit_contribution(
        resident,
        campaign,
        kind="question",
        title="Qui prévient les riverains ?",
        body="Lors de la crue, personne n'a prévenu notre rue à Hesdin.",
    )
    add_support(resident, proposal)
    Token.objects.create(user=resident)

    delete_account(resident)

    mine.refresh_from_db()
    assert mine.signature == "Participant·e supprimé·e"
    assert Support.objects.filter(contribution=proposal).count() == 1  # still counted
    resident.refresh_from_db()
    assert resident.email is None and resident.display_name == "" and not resident.is_active
    assert not Token.objects.filter(user=resident).exists()
    assert not Follow.objects.filter(user=resident).exists()
    assert not client.login(email="camille@exemple.fr", password="mot-de-passe-solide-42")
    assert Contribution.objects.count() == 2


def test_personal_data_export_holds_only_the_persons_data(
    resident, other_resident, campaign, proposal
):
    submit_contribution(
        resident,
        campaign,
        kind="proposal",
        title="Curer les fossés de Beutin",
        body="Les fossés ne sont plus curés depuis dix ans, l'eau stagne.",
    )
    add_support(resident, proposal)
    data = export_personal_data(resident)
    assert data["compte"]["adresse_electronique"] == "camille@exemple.fr"
    assert [c["titre"] for c in data["contributions"]] == ["Curer les fossés de Beutin"]
    assert data["soutiens"][0]["contribution"] == proposal.pk
    assert "dominique@exemple.fr" not in str(data)
