import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client

PATHS = [
    "/api/v1/auth/token/",
    "/api/v1/campaigns/",
    "/api/v1/campaigns/{slug}/",
    "/api/v1/themes/",
    "/api/v1/areas/",
    "/api/v1/communes/",
    "/api/v1/contributions/",
    "/api/v1/contributions/{id}/",
    "/api/v1/contributions/{id}/support/",
    "/api/v1/contributions/{id}/follow/",
    "/api/v1/contributions/{id}/comments/",
    "/api/v1/contributions/{id}/answer/",
    "/api/v1/statements/",
    "/api/v1/statements/{id}/",
    "/api/v1/statements/{id}/vote/",
    "/api/v1/workshops/",
    "/api/v1/workshops/{id}/",
    "/api/v1/workshops/{id}/registration/",
]


ENGLISH = re.compile(r"\b(the|request|not found|unauthorized|forbidden)\b", re.IGNORECASE)


@pytest.fixture
def schema(api, db):
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_openapi_3_and_lists_every_endpoint(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "API de la plateforme de concertation"
    assert sorted(schema["paths"]) == sorted(PATHS)


def test_every_4xx_is_documented_with_the_error_shape_in_french(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            errors = {code: r for code, r in operation["responses"].items() if code[0] == "4"}
            assert "429" in errors, f"{method} {path}"
            for code, response in errors.items():
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/Error"), f"{method} {path} {code}"
                description = response["description"]
                assert description.endswith("."), f"{method} {path} {code}"
                assert not ENGLISH.search(description), description


def test_write_endpoints_document_401_and_403(schema):
    paths = schema["paths"]
    for path, method in [
        ("/api/v1/contributions/", "post"),
        ("/api/v1/contributions/{id}/answer/", "put"),
        ("/api/v1/statements/{id}/vote/", "post"),
        ("/api/v1/workshops/{id}/registration/", "post"),
    ]:
        assert {"400", "401", "403"} <= set(paths[path][method]["responses"]), f"{method} {path}"


def test_the_list_filters_are_documented(schema):
    operation = schema["paths"]["/api/v1/contributions/"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}

    assert names >= {"campaign", "kind", "theme", "area", "commune", "answer_status"}
    assert names >= {"provenance", "q", "ordering", "page", "page_size"}


def test_the_schema_is_also_served_as_yaml(api, db):
    response = api.get("/api/schema/")

    assert response.status_code == 200
    assert "/api/v1/contributions/" in yaml.safe_load(response.content)["paths"]


def test_drf_spectacular_validates_the_schema_without_warnings(tmp_path, db):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert "/api/v1/statements/{id}/vote/" in yaml.safe_load(target.read_text())["paths"]


def test_the_docs_page_uses_local_assets_only(db):
    response = Client().get("/api/docs/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "cdn.jsdelivr.net" not in html
    assets = re.findall(r'(?:src|href)="(/static/drf_spectacular_sidecar/[^"]+)"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset


def test_the_docs_assets_are_served(settings, db):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client = Client()

    response = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")

    assert response.status_code == 200
    assert b"SwaggerUIBundle" in b"".join(response.streaming_content)
