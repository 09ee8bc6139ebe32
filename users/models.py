"""People who use mfme, and the role that decides what they may do."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserRole(models.TextChoices):
    """What a user may do in mfme."""

    MFI_STAFF = "mfi_staff", _("MFI staff")
    MFI_MANAGER = "mfi_manager", _("MFI manager")
    ANALYST = "analyst", _("IsDB analyst")
    AUDITOR = "auditor", _("Auditor")
    ADMINISTRATOR = "administrator", _("Administrator")


class User(AbstractUser):
    """A person (or, for the partner API, a machine client) signing in to mfme.

    The role decides what a user may do; which institutions they may see is decided by
    ``institutions.InstitutionMembership`` (MFI staff, managers and auditors) or by the role
    itself (analysts and administrators see every institution).
    """

    Role = UserRole

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MFI_STAFF)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=5,
        blank=True,
        choices=[("ar", _("Arabic")), ("fr", _("French")), ("en", _("English"))],
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in UserRole]),
                name="users_user_role_valid",
                violation_error_message=_("Unknown role."),
            ),
        ]

    @property
    def sees_all_institutions(self) -> bool:
        """Analysts and administrators work across every institution."""
        return self.is_superuser or self.role in {self.Role.ANALYST, self.Role.ADMINISTRATOR}

    @property
    def is_institution_user(self) -> bool:
        return self.role in {self.Role.MFI_STAFF, self.Role.MFI_MANAGER}

    @property
    def can_enter_data(self) -> bool:
        return self.role in {self.Role.MFI_STAFF, self.Role.MFI_MANAGER}

    @property
    def can_submit_periods(self) -> bool:
        return self.role == self.Role.MFI_MANAGER

    @property
    def can_review_periods(self) -> bool:
        return self.role in {self.Role.ANALYST, self.Role.ADMINISTRATOR} or self.is_superuser
