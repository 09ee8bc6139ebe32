"""The one DRF router: every app's ViewSets under /api/v1/, plus the OpenAPI schema and docs."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path, re_path
from django.urls.resolvers import RegexPattern, RoutePattern
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from indicators.api import views as indicator_views
from institutions.api import views as institution_views


def _with_slashless_twins(urls: list[Any]) -> list[Any]:
    """``urls`` followed by an unnamed twin of each route that ends with a slash, without it.

    Partner systems post to ``/api/v1/branches`` as often as to ``/api/v1/branches/``; without
    a route, Django's APPEND_SLASH answers a POST with a 500 in debug and a 301 in production,
    which clients re-send as a GET: the write is lost. The twins are unnamed, so ``reverse()``
    (a job's ``Location``, the API root's links) and the schema keep the canonical URL with its
    slash. (DRF's ``trailing_slash = "/?"`` matches both too, but every URL reversed through it
    loses its slash.)
    """
    twins = []
    for url in urls:
        if not isinstance(url, URLPattern):
            continue
        pattern = url.pattern
        if isinstance(pattern, RoutePattern) and str(pattern).endswith("/"):
            twins.append(path(str(pattern).removesuffix("/"), url.callback, url.default_args))
        elif isinstance(pattern, RegexPattern) and pattern.regex.pattern.endswith("/$"):
            regex = pattern.regex.pattern.removesuffix("/$") + "$"
            twins.append(re_path(regex, url.callback, url.default_args))
    return [*urls, *twins]


def schema_without_slashless_twins(endpoints: list[Any], **kwargs: Any) -> list[Any]:
    """drf-spectacular preprocessing hook: document each route once, with its slash."""
    return [endpoint for endpoint in endpoints if endpoint[0].endswith("/")]


router = DefaultRouter()
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

urlpatterns = _with_slashless_twins(
    [
        path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
        path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
        path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
        *router.urls,
    ]
)
