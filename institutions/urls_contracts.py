"""URLs of contract create/edit forms."""

from django.urls import path

from . import views_contracts

urlpatterns = [
    path(
        "institutions/<slug:code>/contracts/new/",
        views_contracts.contract_create,
        name="contract_create",
    ),
    path("contracts/<int:contract_id>/edit/", views_contracts.contract_edit, name="contract_edit"),
]
