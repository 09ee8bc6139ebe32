"""URLs of file imports (templates, preview, apply)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
