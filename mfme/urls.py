"""URL wiring: admin, language switch, API, and the server-rendered UI (language-aware)."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path

from mfme.api.error_views import api_not_found

urlpatterns = [
    path("api/v1/", include("mfme.api_router")),
    # Anything else under /api/ is a JSON 404, not the site's HTML page.
    re_path(r"^api/", api_not_found),
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

# Under /api/, a JSON 500; elsewhere Django's page.
handler500 = "mfme.api.error_views.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
