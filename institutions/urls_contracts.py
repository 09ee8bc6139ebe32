"""URLs of contract create/edit forms."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
