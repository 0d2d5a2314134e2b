import pytest
from django.test import RequestFactory

from consultation.errors import ActionRefused
from consultation.ratelimit import check_rate, client_address, parse_rate


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
