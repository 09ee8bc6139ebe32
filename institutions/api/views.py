"""ViewSets of the institutions API: thin, scoped through ``scoped_queryset`` (another
institution's object is a 404), writes through the services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from institutions import selectors, services
from institutions.models import (
    Branch,
    Client,
    FinancialStatement,
    FinancingContract,
    FinancingProduct,
    Institution,
    Repayment,
    ReportingPeriod,
    Restructuring,
    StaffingSnapshot,
    WriteOff,
)
from mfme.api.exception_handler import ApiError
from mfme.api.idempotency import IDEMPOTENCY_PARAMETER
from mfme.api.parsers import BulkCsvParser, BulkJsonParser, BulkNdjsonParser
from mfme.api.viewsets import ScopedViewSet, target_institution

from . import filters, serializers

#: Above this many rows a bulk request becomes an import job (202) processed by a worker.
DEFAULT_BULK_SYNC_MAX_ROWS = 5_000

ERROR_RESPONSES = {
    400: OpenApiResponse(description="Validation errors: {errors: [{code, field, message, row?}]}"),
    404: OpenApiResponse(description="Not found (or another institution's)."),
}


class ReadOnlyScopedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    pass


class InstitutionViewSet(ReadOnlyScopedViewSet):
    model = Institution
    serializer_class = serializers.InstitutionSerializer
    filterset_fields = ["code", "country", "legal_form", "maturity_stage"]
    ordering_fields = ("id", "code")


class BranchViewSet(ReadOnlyScopedViewSet):
    model = Branch
    serializer_class = serializers.BranchSerializer
    filterset_class = filters.BranchFilter
    ordering_fields = ("id", "code")


@extend_schema_view(create=extend_schema(parameters=[IDEMPOTENCY_PARAMETER]))
class PeriodViewSet(ReadOnlyScopedViewSet, mixins.CreateModelMixin):
    model = ReportingPeriod
    serializer_class = serializers.PeriodSerializer
    filterset_class = filters.PeriodFilter
    select_related = ("institution",)
    ordering_fields = ("id", "year", "quarter")

    @extend_schema(
        request=serializers.PeriodCreateInputSerializer,
        responses={201: serializers.PeriodSerializer, **ERROR_RESPONSES},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Open a quarter (idempotent: an existing quarter is returned)."""
        data = _valid(serializers.PeriodCreateInputSerializer, request)
        institution = target_institution(request, data.get("institution"))
        period = services.period_create(
            actor=request.user, institution=institution, year=data["year"], quarter=data["quarter"]
        )
        return Response(serializers.PeriodSerializer(period).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.PeriodSubmitInputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            200: serializers.PeriodSerializer,
            409: OpenApiResponse(description="The quarter cannot be submitted in its status."),
            **ERROR_RESPONSES,
        },
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """Send the quarter for review; its indicators are then computed."""
        period = self.get_object()
        data = _valid(serializers.PeriodSubmitInputSerializer, request)
        try:
            period = services.period_submit(
                actor=request.user, period=period, comment=data["comment"]
            )
        except ValidationError as error:
            raise ApiError(
                status_code=status.HTTP_409_CONFLICT,
                code="invalid_transition",
                message=" ".join(error.messages),
            ) from error
        return Response(serializers.PeriodSerializer(period).data)


class ClientViewSet(ReadOnlyScopedViewSet):
    model = Client
    serializer_class = serializers.ClientSerializer
    filterset_class = filters.ClientFilter
    select_related = ("branch",)
    ordering_fields = ("id", "external_id")


class ProductViewSet(ReadOnlyScopedViewSet):
    model = FinancingProduct
    serializer_class = serializers.ProductSerializer
    filterset_class = filters.ProductFilter
    ordering_fields = ("id", "code")


@extend_schema_view(create=extend_schema(parameters=[IDEMPOTENCY_PARAMETER]))
class ContractViewSet(ReadOnlyScopedViewSet, mixins.CreateModelMixin):
    model = FinancingContract
    filterset_class = filters.ContractFilter
    select_related = ("branch", "client", "product")
    ordering_fields = ("id", "external_id", "disbursement_date", "maturity_date")

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve":
            return serializers.ContractDetailSerializer
        return serializers.ContractSerializer

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("instalments")
        return queryset

    @extend_schema(
        request=serializers.ContractInputSerializer,
        responses={201: serializers.ContractDetailSerializer, **ERROR_RESPONSES},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create one contract, with its schedule, through every contract rule (Shariah
        blocking rules included)."""
        from partners.services import contract_with_schedule_create

        data = dict(_valid(serializers.ContractInputSerializer, request))
        institution = target_institution(request, data.pop("institution", None))
        instalments = data.pop("instalments", [])
        errors = []
        for field, model, key in (
            ("branch", Branch, "code"),
            ("client", Client, "external_id"),
            ("product", FinancingProduct, "code"),
        ):
            found = model.objects.filter(institution=institution, **{key: data[field]}).first()
            if found is None:
                errors.append(
                    {
                        "code": "unknown_reference",
                        "field": field,
                        "message": _("No record of this institution has this code."),
                    }
                )
            data[field] = found
        if errors:
            raise ApiError(
                status_code=status.HTTP_400_BAD_REQUEST,
                code="unknown_reference",
                message=errors[0]["message"],
                errors=errors,
            )
        contract = contract_with_schedule_create(
            actor=request.user, institution=institution, data=data, instalments=instalments
        )
        contract = self.get_queryset().prefetch_related("instalments").get(pk=contract.pk)
        output = serializers.ContractDetailSerializer(contract).data
        return Response(output, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="contracts_bulk",
        summary="Bulk upsert of contracts with schedules",
        description=(
            "Up to 100,000 contracts (with `instalments`) as a JSON array, NDJSON "
            "(`application/x-ndjson`) or CSV (`text/csv`, one line per instalment with "
            "`instalment_number`, `instalment_due_date`, `instalment_principal_due`, "
            "`instalment_profit_due` columns). Validated completely first, then applied "
            "entirely or rejected entirely with row errors. Re-sending a contract updates it by "
            "`external_id`. Large payloads are accepted as an import job (202)."
        ),
        request={
            "application/json": serializers.ContractInputSerializer(many=True),
            "application/x-ndjson": OpenApiTypes.STR,
            "text/csv": OpenApiTypes.STR,
        },
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            200: serializers.BulkReportSerializer,
            202: serializers.BulkAcceptedSerializer,
            413: OpenApiResponse(description="The body is too large."),
            **ERROR_RESPONSES,
        },
    )
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[BulkJsonParser, BulkNdjsonParser, BulkCsvParser],
        filter_backends=[],
        pagination_class=None,
    )
    def bulk(self, request: Request) -> Response:
        from partners.bulk import BulkRejected, contracts_bulk_upsert, parse_payload
        from partners.services import import_job_create

        institution = target_institution(request)
        # An empty body is not parsed at all (DRF hands back an empty dict).
        raw: bytes = request.data if isinstance(request.data, bytes) else b""
        content_type = request.content_type or "application/json"
        try:
            rows = parse_payload(raw, content_type=content_type)
            limit = int(
                getattr(settings, "MFME_API_BULK_SYNC_MAX_ROWS", DEFAULT_BULK_SYNC_MAX_ROWS)
            )
            if len(rows) > limit:
                job = import_job_create(
                    actor=request.user,
                    institution=institution,
                    kind="contracts",
                    content_type=content_type.split(";")[0].strip(),
                    payload=raw,
                    total_rows=len(rows),
                )
                url = reverse("import-job-detail", args=[job.pk], request=request)
                return Response(
                    {"job": url, "id": job.pk, "status": job.status},
                    status=status.HTTP_202_ACCEPTED,
                    headers={"Location": url},
                )
            report = contracts_bulk_upsert(actor=request.user, institution=institution, rows=rows)
        except BulkRejected as rejected:
            raise ApiError(
                status_code=status.HTTP_400_BAD_REQUEST,
                code="bulk_rejected",
                message=_("The rows were rejected."),
                errors=rejected.errors,
            ) from rejected
        return Response(report)


class RepaymentViewSet(ReadOnlyScopedViewSet):
    model = Repayment
    serializer_class = serializers.RepaymentSerializer
    filterset_class = filters.RepaymentFilter
    ordering_fields = ("id", "value_date")


class RestructuringViewSet(ReadOnlyScopedViewSet):
    model = Restructuring
    serializer_class = serializers.RestructuringSerializer
    filterset_class = filters.RestructuringFilter


class WriteOffViewSet(ReadOnlyScopedViewSet):
    model = WriteOff
    serializer_class = serializers.WriteOffSerializer
    filterset_class = filters.WriteOffFilter


class _PeriodRecordViewSet(ReadOnlyScopedViewSet, mixins.CreateModelMixin, mixins.UpdateModelMixin):
    """A quarter's record (one per period), created or replaced through its service."""

    input_serializer: Any
    save_service: Any
    http_method_names = ["get", "post", "put", "head", "options"]

    def _save(self, request: Request, period_id: object, created_status: int) -> Response:
        data = dict(_valid(self.input_serializer, request, partial=request.method == "PUT"))
        data.pop("period", None)
        period = selectors.period_get_for_user(user=request.user, period_id=period_id)
        instance = type(self).save_service(actor=request.user, period=period, data=data)
        return Response(self.get_serializer(instance).data, status=created_status)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create or replace the quarter's record (upsert by period)."""
        period_id = request.data.get("period") if isinstance(request.data, dict) else None
        return self._save(request, period_id, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        return self._save(request, instance.period_id, status.HTTP_200_OK)


@extend_schema_view(
    create=extend_schema(
        request=serializers.FinancialStatementInputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: serializers.FinancialStatementSerializer, **ERROR_RESPONSES},
    ),
    update=extend_schema(
        request=serializers.FinancialStatementInputSerializer,
        responses={200: serializers.FinancialStatementSerializer, **ERROR_RESPONSES},
    ),
)
class FinancialStatementViewSet(_PeriodRecordViewSet):
    model = FinancialStatement
    serializer_class = serializers.FinancialStatementSerializer
    input_serializer = serializers.FinancialStatementInputSerializer
    save_service = services.financial_statement_save
    filterset_class = filters.FinancialStatementFilter
    select_related = ("period",)


@extend_schema_view(
    create=extend_schema(
        request=serializers.StaffingInputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: serializers.StaffingSerializer, **ERROR_RESPONSES},
    ),
    update=extend_schema(
        request=serializers.StaffingInputSerializer,
        responses={200: serializers.StaffingSerializer, **ERROR_RESPONSES},
    ),
)
class StaffingViewSet(_PeriodRecordViewSet):
    model = StaffingSnapshot
    serializer_class = serializers.StaffingSerializer
    input_serializer = serializers.StaffingInputSerializer
    save_service = services.staffing_save
    filterset_class = filters.StaffingFilter
    select_related = ("period",)


class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Bulk import jobs: poll one for its progress and final report."""

    serializer_class = serializers.ImportJobSerializer
    filterset_fields = ["status", "kind"]

    def get_queryset(self) -> QuerySet[Any]:
        from partners.selectors import import_job_list_for_user

        return import_job_list_for_user(user=self.request.user)


def _valid(serializer_class: Any, request: Request, *, partial: bool = False) -> Any:
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
