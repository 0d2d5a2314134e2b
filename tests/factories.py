"""factory_boy factories for the domain. Defaults describe an open campaign in its
contribution phase, so a test only states what differs."""

from datetime import timedelta

import factory
from django.utils import timezone

from consultation import models

NOW = timezone.now


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Organisation
        django_get_or_create = ("slug",)

    name = "Préfecture du Pas-de-Calais"
    slug = "prefecture-pas-de-calais"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    display_name = factory.Sequence(lambda n: f"Habitant·e {n}")
    # Most tests are about people who verified their address; unverified_resident is not.
    email_verified_at = factory.LazyFunction(NOW)
    password = factory.PostGenerationMethodCall("set_password", "mot-de-passe-solide-42")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Campaign

    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Concertation résilience {n}")
    slug = factory.Sequence(lambda n: f"concertation-{n}")
    summary = "Imaginer ensemble le territoire après les inondations."
    context = "<p>Après les crues de l'hiver 2023-2024.</p>"
    status = models.Campaign.Status.PUBLISHED
    starts_at = factory.LazyFunction(lambda: NOW() - timedelta(days=30))
    ends_at = factory.LazyFunction(lambda: NOW() + timedelta(days=60))


class PhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Phase

    campaign = factory.SubFactory(CampaignFactory)
    kind = models.Phase.Kind.CONTRIBUTION
    title = "Contributions"
    position = 1
    starts_at = factory.LazyFunction(lambda: NOW() - timedelta(days=10))
    ends_at = factory.LazyFunction(lambda: NOW() + timedelta(days=20))
    allows_contributions = True
    allows_comments = True
    allows_supports = True
    allows_votes = True


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Area
        django_get_or_create = ("slug",)

    name = "Bassin de la Canche"
    slug = "canche"
    kind = models.Area.Kind.RIVER_BASIN


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Commune
        django_get_or_create = ("insee_code",)

    insee_code = factory.Sequence(lambda n: f"62{n:03d}")
    name = factory.Sequence(lambda n: f"Commune {n}")
    area = factory.SubFactory(AreaFactory)


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Theme

    campaign = factory.SubFactory(CampaignFactory)
    name = "Gestion de l'eau et des cours d'eau"
    slug = factory.Sequence(lambda n: f"theme-{n}")


class ContributionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Contribution

    campaign = factory.SubFactory(CampaignFactory)
    kind = models.Contribution.Kind.PROPOSAL
    title = factory.Sequence(lambda n: f"Restaurer les zones humides n°{n}")
    body = "Rendre aux prairies humides leur rôle d'éponge en amont des villages."
    author = factory.SubFactory(UserFactory)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Comment

    contribution = factory.SubFactory(ContributionFactory)
    author = factory.SubFactory(UserFactory)
    body = "Tout à fait d'accord, c'est ce qui a manqué en novembre."


class StatementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Statement

    campaign = factory.SubFactory(CampaignFactory)
    text = factory.Sequence(lambda n: f"Il faut interdire de construire en zone inondable ({n}).")


class WorkshopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Workshop

    campaign = factory.SubFactory(CampaignFactory)
    title = "Atelier du bassin de la Canche"
    venue = "Salle des fêtes"
    address = "Place de la Poissonnerie"
    commune = factory.SubFactory(CommuneFactory)
    starts_at = factory.LazyFunction(lambda: NOW() + timedelta(days=7))
    ends_at = factory.LazyFunction(lambda: NOW() + timedelta(days=7, hours=3))
    capacity = 30


class OfficialAnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.OfficialAnswer

    contribution = factory.SubFactory(ContributionFactory)
    status = models.OfficialAnswer.Status.UNDER_REVIEW
    body = "La préfecture étudie cette proposition avec le syndicat mixte du bassin."
