from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_role_groups(sender: AppConfig, **kwargs: object) -> None:
    # Permissions exist only after every app has migrated; refresh the role groups then.
    from .services import role_groups_sync

    role_groups_sync()


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = _("Users")

    def ready(self) -> None:
        post_migrate.connect(_sync_role_groups, sender=self)
