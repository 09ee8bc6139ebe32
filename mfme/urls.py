"""URL wiring: admin, language switch, API, and the server-rendered UI (language-aware)."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("mfme.api_router")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("users.urls")),
    # Before institutions: its periods/<id>/<action>/ would otherwise catch periods/<id>/indicators/.
    path("", include("indicators.urls")),
    path("", include("shariah.urls")),
    # Also before institutions.urls, for the same reason; one module per area of the UI.
    path("", include("institutions.urls_return")),
    path("", include("institutions.urls_import")),
    path("", include("institutions.urls_contracts")),
    path("", include("institutions.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
