"""factory_boy factories for unit tests; integration tests use the scenarios."""

from __future__ import annotations

from datetime import UTC, date, datetime

import factory
from django.contrib.auth import get_user_model

from reports import roles
from reports.models import (
    Agency,
    AuthorityType,
    ContentItem,
    Jurisdiction,
    LegalProvision,
    Persona,
    PlatformAccount,
    ReporterAccount,
)
from reports.tenancy import exercise_default


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


def user_in_role(username: str, role: str, *, staff: bool = True):
    user = UserFactory(username=username, is_staff=staff)
    # Tests that commit data flush the database, groups included: restore them first.
    user.groups.add(roles.ensure_role_groups()[role])
    return user


class JurisdictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("code",)

    code = "KZ"
    name = "Kazakhstan"


class ProvisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalProvision
        django_get_or_create = ("code",)

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    code = factory.Sequence(lambda n: f"KZ-TEST-{n}")
    statute = "Criminal Code"
    article = factory.Sequence(lambda n: f"art. {n}")
    title = "A test provision"
    categories = factory.LazyFunction(lambda: ["hate_speech"])
    in_force_from = date(2015, 1, 1)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    code = factory.Sequence(lambda n: f"agency-{n}")
    name = factory.Sequence(lambda n: f"Agency {n}")
    authority_type = AuthorityType.MINISTRY


class ReporterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReporterAccount

    user = factory.SubFactory(UserFactory)
    exercise = factory.LazyFunction(exercise_default)
    agency = factory.SubFactory(AgencyFactory)
    official_title = "Content liaison officer"
    work_email = factory.LazyAttribute(lambda a: f"{a.user.username}@gov.example")
    verification = ReporterAccount.Verification.VERIFIED


class PlatformAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlatformAccount

    exercise = factory.LazyFunction(exercise_default)
    handle = factory.Sequence(lambda n: f"account{n}")
    display_name = factory.Sequence(lambda n: f"Account {n}")
    persona = Persona.ORDINARY_USER
    country = "KZ"


class ContentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContentItem

    exercise = factory.LazyFunction(exercise_default)
    code = factory.Sequence(lambda n: f"zz-{n:04d}")
    author = factory.SubFactory(PlatformAccountFactory)
    text = "An ordinary post about the weather in Almaty."
    language = "en"
    country = "KZ"
    posted_at = datetime(2021, 10, 1, 9, 0, tzinfo=UTC)
