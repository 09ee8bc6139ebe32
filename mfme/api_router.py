"""The one DRF router: every app's ViewSets under /api/v1/, plus the OpenAPI schema and docs."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from indicators.api import views as indicator_views
from institutions.api import views as institution_views

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

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    *router.urls,
]
