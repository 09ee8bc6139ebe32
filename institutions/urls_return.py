"""URLs of the quarterly-return forms (balance sheet, income statement, staffing, portfolio summary).

``periods/<id>/<action>/`` (institutions.urls) takes one segment only, so these deeper paths never
collide with the review actions.
"""

from django.urls import path

from . import views_return

urlpatterns: list = [
    path(
        "periods/<int:period_id>/data/<slug:section>/",
        views_return.return_section,
        name="return_section",
    ),
    path(
        "periods/<int:period_id>/data/<slug:section>/draft/",
        views_return.return_autosave,
        name="return_autosave",
    ),
    path(
        "periods/<int:period_id>/data/<slug:section>/draft/discard/",
        views_return.return_draft_discard,
        name="return_draft_discard",
    ),
]
