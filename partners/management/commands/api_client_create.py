"""Create an API client for one institution and print its token, once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from institutions.models import Institution
from partners.models import ApiClient
from partners.services import api_client_create
from users.models import User


class Command(BaseCommand):
    help = "Create an API client scoped to one institution and print its token (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--institution", required=True, help="Institution code.")
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--access", choices=[a.value for a in ApiClient.Access], default="read_write"
        )
        parser.add_argument(
            "--actor", help="Username of the administrator creating it (default: the first one)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            institution = Institution.objects.get(code=options["institution"])
        except Institution.DoesNotExist as error:
            raise CommandError(f"No institution with code {options['institution']!r}.") from error
        administrators = User.objects.filter(role=User.Role.ADMINISTRATOR) | User.objects.filter(
            is_superuser=True
        )
        if options["actor"]:
            administrators = administrators.filter(username=options["actor"])
        actor = administrators.order_by("pk").first()
        if actor is None:
            raise CommandError("No administrator to act as; create one or pass --actor.")
        client, token = api_client_create(
            actor=actor, institution=institution, name=options["name"], access=options["access"]
        )
        self.stderr.write(f"API client {client.pk} created for {institution.code}.")
        self.stdout.write(token)
