"""Users with a role, created through ``users.services.user_create`` so that the role's admin
flags and permission group match what production gives them."""

from __future__ import annotations

from typing import Any

import factory

from users.models import User
from users.services import user_create

#: Every factory-made user can log in with this password.
DEFAULT_PASSWORD = "mfme-test-password"


class UserFactory(factory.django.DjangoModelFactory):
    """An active user; MFI staff unless ``role`` says otherwise.

    Memberships are not created here: use ``InstitutionMembershipFactory`` (or the conftest
    fixtures) to give MFI staff, managers and auditors their institution.
    """

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User {n}")
    role = User.Role.MFI_STAFF
    password = DEFAULT_PASSWORD

    class Meta:
        model = User

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        return user_create(**kwargs)


class MfiStaffFactory(UserFactory):
    role = User.Role.MFI_STAFF


class MfiManagerFactory(UserFactory):
    role = User.Role.MFI_MANAGER


class AnalystFactory(UserFactory):
    role = User.Role.ANALYST


class AuditorFactory(UserFactory):
    role = User.Role.AUDITOR


class AdministratorFactory(UserFactory):
    role = User.Role.ADMINISTRATOR
