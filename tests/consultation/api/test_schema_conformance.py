"""What the API answers matches what /api/schema/ says it answers.

Every read endpoint is called on data where the optional parts are both present and absent (a
statement voted on and one not, a workshop with a registration and one without, an answered
contribution and one without, a reply and a top-level comment), and each 200 body is validated
against its documented schema with jsonschema. A null the schema does not allow, a field it does
not list as required or a wrong type fails here, as it would in a client generated from it.
"""

import copy

import jsonschema
import pytest

from consultation.actions.answers import answer_contribution
from consultation.actions.comments import post_comment
from consultation.actions.statements import cast_vote
from consultation.actions.workshops import register
from consultation.models import Comment, StatementVote
from tests import factories

pytestmark = pytest.mark.django_db


def as_json_schema(node):
    """OpenAPI 3.0 to JSON Schema: `nullable: true` becomes a null alternative."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: as_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture
def documented(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    components = as_json_schema(copy.deepcopy(schema["components"]))

    def check(path: str, url: str, client) -> dict:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        content = schema["paths"][path]["get"]["responses"]["200"]["content"]
        body_schema = as_json_schema(content["application/json"]["schema"])
        validator = jsonschema.Draft7Validator({**body_schema, "components": components})
        errors = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(response.json())
        ]
        assert errors == [], (url, errors)
        return response.json()

    return check


@pytest.fixture
def world(campaign, theme, commune, resident, other_resident, organiser):
    answered = factories.ContributionFactory(
        campaign=campaign, theme=theme, commune=commune, author=other_resident
    )
    factories.ContributionFactory(campaign=campaign, author=other_resident)
    answer_contribution(organiser, answered, status="accepted", body="Retenue pour 2027.")
    top = post_comment(resident, answered, body="Oui, et vite.", alignment=Comment.Alignment.FOR)
    post_comment(other_resident, answered, body="Pourquoi pas.", parent=top)
    voted, _not_voted = factories.StatementFactory.create_batch(2, campaign=campaign)
    cast_vote(resident, voted, StatementVote.Choice.AGREE)
    booked = factories.WorkshopFactory(campaign=campaign, commune=commune)
    factories.WorkshopFactory(campaign=campaign, commune=commune, title="Atelier d'Arras")
    register(resident, booked)
    return {"campaign": campaign, "answered": answered, "voted": voted, "booked": booked}


@pytest.mark.parametrize("who", ["anonymous", "resident"])
def test_every_read_answers_as_documented(documented, api, api_as, resident, world, who):
    client = api if who == "anonymous" else api_as(resident)
    slug = world["campaign"].slug
    answered, voted, booked = world["answered"], world["voted"], world["booked"]
    checks = [
        ("/api/v1/campaigns/", "/api/v1/campaigns/"),
        ("/api/v1/campaigns/{slug}/", f"/api/v1/campaigns/{slug}/"),
        ("/api/v1/themes/", f"/api/v1/themes/?campaign={slug}"),
        ("/api/v1/areas/", "/api/v1/areas/"),
        ("/api/v1/communes/", "/api/v1/communes/"),
        ("/api/v1/contributions/", f"/api/v1/contributions/?campaign={slug}"),
        ("/api/v1/contributions/{id}/", f"/api/v1/contributions/{answered.pk}/"),
        ("/api/v1/contributions/{id}/comments/", f"/api/v1/contributions/{answered.pk}/comments/"),
        ("/api/v1/statements/", f"/api/v1/statements/?campaign={slug}"),
        ("/api/v1/statements/{id}/", f"/api/v1/statements/{voted.pk}/"),
        ("/api/v1/workshops/", f"/api/v1/workshops/?campaign={slug}"),
        ("/api/v1/workshops/{id}/", f"/api/v1/workshops/{booked.pk}/"),
    ]
    bodies = {url: documented(path, url, client) for path, url in checks}
    # The optional parts were there to be checked, both ways.
    statements = bodies[f"/api/v1/statements/?campaign={slug}"]["results"]
    workshops = bodies[f"/api/v1/workshops/?campaign={slug}"]["results"]
    if who == "resident":
        assert sorted(s["my_vote"] or "" for s in statements) == ["", "agree"]
        assert sorted(w["my_registration"] or "" for w in workshops) == ["", "confirmed"]
    comments = bodies[f"/api/v1/contributions/{answered.pk}/comments/"]["results"]
    assert sorted(c["parent"] is None for c in comments) == [False, True]
