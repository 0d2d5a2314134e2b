"""The staff gate (consultation/identity/second_factor.py): which accounts are asked, which
pages are closed to them until the second factor, and what counts as one.

Every URL pattern of the project is walked: a page added tomorrow is closed to staff without
a second factor unless someone puts it in OPEN_PAGES on purpose.
"""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from consultation.identity import second_factor
from consultation.identity.second_factor import OPEN_PAGES, mark_second_factor
from consultation.models import CampaignRole, Topic
from tests import factories
from tests.staff import sign_in, verify_session

pytestmark = pytest.mark.django_db

SETUP = reverse("frontend:second_factor_setup")
VERIFY = reverse("frontend:second_factor")


def named_patterns(resolver=None, namespace=None, prefix=""):
    """(name or None, pattern, URLPattern) for every route of the project, admin included."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or namespace
            if entry.namespace and namespace:
                inner = f"{namespace}:{entry.namespace}"
            yield from named_patterns(entry, inner, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield name, prefix + str(entry.pattern), entry


SAMPLE = {"app_label": "consultation", "model_name": "campaign", "slug": "campagne"}


def sample_url(pattern: str) -> str:
    """A URL that this pattern matches (the gate answers before the view looks anything up)."""
    url = re.sub(r"\(\?P<app_label>[^)]*\)", "consultation", pattern)
    url = re.sub(r"\(\?P<format>[^)]*\)", "json", url)
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", "1", url)
    url = re.sub(r"\(\?:[^)]*\)\??", "", url)
    url = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) == "int" else "x", url)
    url = url.replace("/?", "/").replace("^", "").replace("$", "").replace("\\Z", "")
    return "/" + url.replace("\\", "")


def staff_password_only(client, user):
    client.force_login(user)  # the password step, nothing more
    return client


def test_every_route_is_closed_to_staff_without_the_second_factor_unless_open(moderator):
    client = staff_password_only(Client(), moderator)
    checked = 0
    for name, pattern, entry in named_patterns():
        url = sample_url(pattern)
        response = client.get(url)
        if entry.callback.__module__ in second_factor.OPEN_VIEW_MODULES:
            assert response.status_code == 404, url  # media files in development: no file here
        elif name in ("frontend:second_factor", "frontend:second_factor_setup"):
            assert response.status_code in (200, 302), name  # the pages the gate sends to
        elif name in OPEN_PAGES:
            location = response.get("Location", "")
            assert not location.startswith((SETUP, VERIFY)), (name, url)
        elif url.startswith("/api/"):
            assert response.status_code == 403, (name, url, response.status_code)
            assert response.json()["code"] == "second_factor_required"
        else:
            assert response.status_code == 302, (name, url, response.status_code)
            assert response["Location"].startswith(SETUP), (name, url)
        checked += 1
    assert checked > 80  # the walk reached the frontend, the admin and the API


# Staff pages, one per kind: each opens with the second factor and is closed without it.
STAFF_PAGES = [
    ("moderator", "frontend:moderation", "slug"),
    ("moderator", "frontend:moderation_log", "slug"),
    ("moderator", "frontend:workbench_themes", "slug"),
    ("moderator", "frontend:workbench_duplicates", "slug"),
    ("moderator", "frontend:workbench_synthesis", "slug"),
    ("moderator", "frontend:workbench_opinions", "slug"),
    ("organiser", "frontend:answer_topic", "topic"),
    ("organiser", "frontend:results", "slug"),
    ("facilitator", "frontend:live_console", "live"),
    ("facilitator", "frontend:live_projection", "live"),
    ("facilitator", "frontend:live_export", "live"),
    ("admin", "admin:index", None),
    ("admin", "admin:consultation_campaign_changelist", None),
]


def page_url(name, kind, campaign, live_session=None):
    if kind == "slug":
        return reverse(name, kwargs={"slug": campaign.slug})
    if kind == "topic":
        topic = Topic.objects.create(campaign=campaign, label="Entretien des fossés")
        return reverse(name, kwargs={"slug": campaign.slug, "topic_pk": topic.pk})
    if kind == "live":
        return reverse(name, kwargs={"pk": live_session.pk})
    return reverse(name)


@pytest.mark.parametrize(("persona", "name", "kind"), STAFF_PAGES)
def test_staff_pages_need_the_second_factor(request, campaign, persona, name, kind):
    if persona == "admin":
        user = factories.UserFactory(is_staff=True, is_superuser=True)
    else:
        user = request.getfixturevalue(persona)
    live = request.getfixturevalue("live_session") if kind == "live" else None
    url = page_url(name, kind, campaign, live)

    without = staff_password_only(Client(), user).get(url)
    with_it = Client()
    sign_in(with_it, user)

    assert without.status_code == 302
    assert without["Location"] == f"{SETUP}?next={url.replace('/', '%2F')}"
    assert with_it.get(url).status_code == 200


def test_a_staff_post_without_the_second_factor_changes_nothing(campaign, moderator, proposal):
    client = staff_password_only(Client(), moderator)
    url = reverse("frontend:moderation", kwargs={"slug": campaign.slug})

    response = client.post(url, {"action": "hide", "target": proposal.pk}, HTTP_REFERER=url)

    assert response.status_code == 302
    assert response["Location"].startswith(SETUP)
    proposal.refresh_from_db()
    assert proposal.visibility == "published"


def test_residents_are_never_asked(client, campaign, resident, proposal):
    client.force_login(resident)
    urls = [
        reverse("frontend:home"),
        reverse("frontend:campaign", kwargs={"slug": campaign.slug}),
        reverse("frontend:contribution", kwargs={"slug": campaign.slug, "pk": proposal.pk}),
        reverse("frontend:account"),
        reverse("frontend:results", kwargs={"slug": campaign.slug}),
        reverse("frontend:moderation", kwargs={"slug": campaign.slug}),  # refused, not asked
    ]
    for url in urls:
        response = client.get(url)
        assert not response.get("Location", "").startswith((SETUP, VERIFY)), url
    assert client.get(SETUP)["Location"] == reverse("frontend:account")


def test_a_staff_account_without_a_local_password_needs_a_second_factor_too(campaign, moderator):
    # Signed in through a provider whose ACR did not vouch for two factors: the provider's
    # password alone does not open staff pages.
    moderator.set_unusable_password()
    moderator.save()
    client = staff_password_only(Client(), moderator)

    url = reverse("frontend:moderation", kwargs={"slug": campaign.slug})
    assert client.get(url)["Location"].startswith(SETUP)
    session = client.session
    session[second_factor.SESSION_KEY] = "proconnect"  # what a ProConnect 2FA sign-in marks
    session.save()
    assert client.get(url).status_code == 200


def test_a_proconnect_sign_in_with_two_factors_counts(rf, moderator):
    request = rf.get("/")
    request.user = moderator
    request.session = Client().session
    assert not second_factor.passes(request)

    mark_second_factor(request, "proconnect")

    assert second_factor.passes(request)


def test_a_device_deleted_since_no_longer_counts(campaign, moderator):
    client = Client()
    client.force_login(moderator)
    session = client.session
    device = verify_session(session, moderator)
    url = reverse("frontend:moderation", kwargs={"slug": campaign.slug})
    assert client.get(url).status_code == 200

    device.delete()  # an administrator reset this person's second factor

    assert client.get(url)["Location"].startswith(SETUP)


def test_someone_elses_device_in_the_session_does_not_count(campaign, moderator, organiser):
    client = Client()
    client.force_login(moderator)
    session = client.session
    verify_session(session, organiser)  # a session forged with another person's device

    url = reverse("frontend:moderation", kwargs={"slug": campaign.slug})
    assert client.get(url)["Location"].startswith(SETUP)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda c: factories.UserFactory(), False),
        (lambda c: factories.UserFactory(is_staff=True), True),
        (lambda c: factories.UserFactory(is_superuser=True), True),
        (lambda c: _with_role(c, CampaignRole.Role.ORGANISER), True),
        (lambda c: _with_role(c, CampaignRole.Role.MODERATOR), True),
        (lambda c: _with_role(c, CampaignRole.Role.FACILITATOR), True),
        (lambda c: AnonymousUser(), False),
    ],
)
def test_who_is_staff(campaign, make, expected):
    assert second_factor.is_required(make(campaign)) is expected


def _with_role(campaign, role):
    user = factories.UserFactory()
    CampaignRole.objects.create(campaign=campaign, user=user, role=role)
    return user


def test_the_api_refuses_a_staff_session_without_the_second_factor_in_french(
    campaign, organiser, proposal
):
    client = staff_password_only(Client(), organiser)

    response = client.put(
        f"/api/v1/contributions/{proposal.pk}/answer/",
        {"body": "Réponse", "status": "accepted"},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"
    assert "Double authentification requise" in response.json()["detail"]
    assert not TOTPDevice.objects.exists()
