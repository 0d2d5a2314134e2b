from consultation.models import Contribution, Follow, User
from consultation.rules import check_permission


def follow(user: User, contribution: Contribution) -> bool:
    check_permission(user, "follow", contribution)
    _, created = Follow.objects.get_or_create(contribution=contribution, user=user)
    return created


def unfollow(user: User, contribution: Contribution) -> bool:
    deleted, _ = Follow.objects.filter(contribution=contribution, user=user).delete()
    return deleted > 0
