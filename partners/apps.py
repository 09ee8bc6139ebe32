from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    """Partner systems: API clients and their tokens, idempotent requests and bulk import jobs."""

    name = "partners"
    verbose_name = _("Partner systems")
