"""URLs of file imports (templates, preview, apply), under the quarter being prepared.

The views live in ``partners.views_import`` because imports go through ``partners.bulk``; this
module is wiring only, the one place in ``institutions`` that names ``partners`` (STYLE rule 3
keeps the app code itself one-way).
"""

from django.urls import path

from partners import views_import

urlpatterns = [
    path("periods/<int:period_id>/import/", views_import.import_page, name="period_import"),
    path(
        "periods/<int:period_id>/import/template/<slug:kind>.<slug:file_format>",
        views_import.import_template,
        name="period_import_template",
    ),
    path(
        "periods/<int:period_id>/import/<str:token>/confirm/",
        views_import.import_confirm,
        name="period_import_confirm",
    ),
    path(
        "periods/<int:period_id>/import/<str:token>/cancel/",
        views_import.import_cancel,
        name="period_import_cancel",
    ),
]
