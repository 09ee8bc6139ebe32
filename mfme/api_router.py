"""The one DRF router: every app's ViewSets under /api/v1/, plus the OpenAPI schema and docs."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from indicators.api import views as indicator_views
from institutions.api import views as institution_views


class ApiRouter(DefaultRouter):
    """DRF's router whose every route also answers without its trailing slash.

    Partner systems post to ``/api/v1/branches`` as often as to ``/api/v1/branches/``; without
    a route, Django's APPEND_SLASH answers a POST with a 500 in debug and a 301 in production,
    which clients re-send as a GET: the write is lost. The slashless twin is unnamed, so that
    ``reverse()`` (a job's ``Location``, the API root's links) and the schema keep the canonical
    URL with its slash. (DRF's ``trailing_slash = "/?"`` would match both too, but every URL it
    reverses then loses its slash.)
    """

    def get_urls(self) -> list[Any]:
        urls = super().get_urls()
        twins = [
            re_path(url.pattern.regex.pattern.removesuffix("/$") + "$", url.callback)
            for url in urls
            if isinstance(url, URLPattern) and url.pattern.regex.pattern.endswith("/$")
        ]
        return [*urls, *twins]


def schema_without_slashless_twins(endpoints: list[Any], **kwargs: Any) -> list[Any]:
    """drf-spectacular preprocessing hook: document each route once, with its slash."""
    return [endpoint for endpoint in endpoints if endpoint[0].endswith("/")]


router = ApiRouter()
router.register("institutions", institution_views.InstitutionViewSet, basename="institution")
router.register("branches", institution_views.BranchViewSet, basename="branch")
router.register("periods", institution_views.PeriodViewSet, basename="period")
router.register("clients", institution_views.ClientViewSet, basename="client")
router.register("products", institution_views.ProductViewSet, basename="product")
router.register("contracts", institution_views.ContractViewSet, basename="contract")
router.register("repayments", institution_views.RepaymentViewSet, basename="repayment")
router.register("restructurings", institution_views.RestructuringViewSet, basename="restructuring")
router.register("write-offs", institution_views.WriteOffViewSet, basename="write-off")
router.register(
    "financial-statements",
    institution_views.FinancialStatementViewSet,
    basename="financial-statement",
)
router.register("staffing", institution_views.StaffingViewSet, basename="staffing")
router.register("import-jobs", institution_views.ImportJobViewSet, basename="import-job")
router.register(
    "indicator-values", indicator_views.IndicatorValueViewSet, basename="indicator-value"
)
router.register(
    "data-quality-findings",
    indicator_views.DataQualityFindingViewSet,
    basename="data-quality-finding",
)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    *router.urls,
]
