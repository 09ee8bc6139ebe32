"""Users get the admin flags and permission group their role implies."""

from __future__ import annotations

import pytest

from users.models import User
from users.services import role_groups_sync, user_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "is_staff", "is_superuser"),
    [
        (User.Role.MFI_STAFF, False, False),
        (User.Role.MFI_MANAGER, False, False),
        (User.Role.AUDITOR, False, False),
        (User.Role.ANALYST, True, False),
        (User.Role.ADMINISTRATOR, True, True),
    ],
)
def test_role_sets_admin_flags(role: str, is_staff: bool, is_superuser: bool) -> None:
    user = user_create(username=f"u-{role}", password="a-long-password-1", role=role)
    assert (user.is_staff, user.is_superuser) == (is_staff, is_superuser)
    assert user.check_password("a-long-password-1")


def test_analyst_reads_but_does_not_change_institution_data() -> None:
    analyst = user_create(username="ana", password="a-long-password-1", role=User.Role.ANALYST)
    analyst = User.objects.get(pk=analyst.pk)  # fresh permission cache
    assert analyst.has_perm("institutions.view_financingcontract")
    assert analyst.has_perm("institutions.view_reportingperiod")
    assert not analyst.has_perm("institutions.change_financingcontract")
    assert not analyst.has_perm("institutions.change_reportingperiod")
    assert analyst.has_perm("institutions.change_referencedata")


def test_role_groups_sync_is_idempotent() -> None:
    role_groups_sync()
    role_groups_sync()
    from django.contrib.auth.models import Group

    assert Group.objects.filter(name=User.Role.ANALYST).count() == 1


def test_unknown_role_is_refused() -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        user_create(username="x", password="a-long-password-1", role="wizard")
