"""URLs of the quarterly-return forms (balance sheet, income statement, staffing, portfolio summary)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
