from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShariahConfig(AppConfig):
    name = "shariah"
    verbose_name = _("Shariah compliance")
