import pytest
from django.db import transaction
from django.test import RequestFactory

from consultation.errors import ActionRefused
from consultation.ratelimit import (
    check_rate,
    client_address,
    count_on_commit,
    ensure_rate_left,
    parse_rate,
)


def _request(remote="10.0.0.2", forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


def test_without_proxies_only_the_socket_address_counts(settings):
    settings.TRUSTED_PROXY_HOPS = 0
    assert client_address(_request(forwarded="6.6.6.6")) == "10.0.0.2"


def test_behind_nginx_the_address_nginx_saw_counts_and_forged_entries_do_not(settings):
    settings.TRUSTED_PROXY_HOPS = 1
    assert client_address(_request(forwarded="203.0.113.7")) == "203.0.113.7"
    # A client that sends its own X-Forwarded-For only adds entries to the left.
    assert client_address(_request(forwarded="6.6.6.6, 203.0.113.7")) == "203.0.113.7"


def test_behind_a_load_balancer_and_nginx(settings):
    settings.TRUSTED_PROXY_HOPS = 2
    assert client_address(_request(forwarded="6.6.6.6, 203.0.113.7, 10.1.1.1")) == "203.0.113.7"
    assert client_address(_request(forwarded="")) == "10.0.0.2"


def test_people_behind_the_same_proxy_have_separate_budgets(settings):
    settings.TRUSTED_PROXY_HOPS = 1
    for _ in range(2):
        check_rate("signup", client_address(_request(forwarded="203.0.113.7")), "2/h")
    with pytest.raises(ActionRefused, match="Trop de demandes"):
        check_rate("signup", client_address(_request(forwarded="203.0.113.7")), "2/h")
    check_rate("signup", client_address(_request(forwarded="198.51.100.9")), "2/h")


@pytest.mark.parametrize("rate", ["10", "dix/h", "10/semaine", ""])
def test_a_malformed_rate_is_a_configuration_error(rate):
    with pytest.raises(ValueError, match="Limite de débit invalide"):
        parse_rate(rate)


# --- Counting what was written ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_hit_counts_when_its_transaction_commits_and_not_when_it_rolls_back():
    for _ in range(3):
        with pytest.raises(RuntimeError), transaction.atomic():
            count_on_commit("contribution", "7", "2/h")
            raise RuntimeError("the write failed")
    ensure_rate_left("contribution", "7", "2/h")  # nothing counted

    for _ in range(2):
        with transaction.atomic():
            count_on_commit("contribution", "7", "2/h")

    with pytest.raises(ActionRefused) as refused:
        ensure_rate_left("contribution", "7", "2/h")
    assert refused.value.code == "throttled"
    ensure_rate_left("contribution", "8", "2/h")  # another person's limit


def test_checking_the_limit_counts_nothing():
    for _ in range(5):
        ensure_rate_left("comment", "7", "1/h")


@pytest.mark.parametrize("rate", ["10", "10/semaine", "dix/h", ""])
def test_a_malformed_rate_is_a_french_configuration_error(rate):
    with pytest.raises(ValueError, match="Limite de débit invalide"):
        ensure_rate_left("comment", "7", rate)
    with pytest.raises(ValueError, match="Limite de débit invalide"):
        count_on_commit("comment", "7", rate)
