import pytest

from consultation.actions.supports import add_support, remove_support
from consultation.errors import PermissionRefused
from consultation.models import Contribution, Support


def test_a_resident_supports_a_proposal_once(resident, proposal):
    assert add_support(resident, proposal) is True
    assert add_support(resident, proposal) is False
    assert Support.objects.filter(contribution=proposal).count() == 1


def test_it_withdraws_a_support(resident, proposal):
    add_support(resident, proposal)
    assert remove_support(resident, proposal) is True
    assert not Support.objects.exists()


def test_it_refuses_supports_on_questions(resident, proposal):
    proposal.kind = Contribution.Kind.QUESTION
    proposal.save()
    with pytest.raises(PermissionRefused, match="Seules les propositions"):
        add_support(resident, proposal)
    assert not Support.objects.exists()


def test_it_refuses_anonymous_visitors(anonymous, proposal):
    with pytest.raises(PermissionRefused) as refused:
        add_support(anonymous, proposal)
    assert refused.value.needs_login
