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
from mfme.api.parsers import (
    BulkCsvParser,
    BulkJsonLinesParser,
    BulkJsonParser,
    BulkNdjsonAliasParser,
    BulkNdjsonParser,
)
from mfme.api.viewsets import ScopedViewSet, target_institution

from . import filters, serializers

#: Above this many rows a bulk request becomes an import job (202) processed by a worker.
DEFAULT_BULK_SYNC_MAX_ROWS = 5_000

ERROR_RESPONSES = {
    400: OpenApiResponse(description="Validation errors: {errors: [{code, field, message, row?}]}"),
    404: OpenApiResponse(description="Not found (or another institution's)."),
}


def _bulk_action(
    *,
    kind: str,
    summary: str,
    description: str,
    rows: Any,
    report: Any,
    responses: dict[int, Any] | None = None,
) -> Any:
    """The ``POST …/bulk/`` action of a resource: JSON array, NDJSON or CSV, applied by
    ``_bulk`` (all or nothing; an import job above the sync limit), documented alike."""

    @extend_schema(
        operation_id=f"{kind}_bulk",
        summary=summary,
        description=description,
        request={
            "application/json": rows(many=True),
            "application/x-ndjson": OpenApiTypes.STR,
            "text/csv": OpenApiTypes.STR,
        },
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            200: report,
            202: serializers.BulkAcceptedSerializer,
            **(responses or {}),
            413: OpenApiResponse(description="The body is too large."),
            **ERROR_RESPONSES,
        },
    )
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[
            BulkJsonParser,
            BulkNdjsonParser,
            BulkJsonLinesParser,
            BulkNdjsonAliasParser,
            BulkCsvParser,
        ],
        filter_backends=[],
        pagination_class=None,
    )
    def bulk(self: Any, request: Request) -> Response:
        return _bulk(request, kind=kind)

    return bulk


class ReadOnlyScopedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    pass


class InstitutionViewSet(ReadOnlyScopedViewSet):
    model = Institution
    serializer_class = serializers.InstitutionSerializer
    filterset_fields = ["code", "country", "legal_form", "maturity_stage"]
    ordering_fields = ("id", "code")


class _ReferenceWriteMixin(mixins.CreateModelMixin, mixins.UpdateModelMixin):
    """Create or update one of an institution's reference rows by its own key (``code`` or
    client number) through its service: POST is an upsert (201 created, 200 updated); PUT and
    PATCH change the row at the URL, whose key cannot change."""

    input_serializer: Any
    save_service: Any
    key: str
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def _resolve(self, institution: Institution, data: dict[str, Any]) -> dict[str, Any]:
        return data

    def _save(self, institution: Institution, data: dict[str, Any]) -> tuple[Any, bool]:
        return type(self).save_service(
            actor=self.request.user, institution=institution, data=self._resolve(institution, data)
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = dict(_valid(self.input_serializer, request))
        institution = target_institution(request, data.pop("institution", None))
        instance, created = self._save(institution, data)
        return Response(
            self.get_serializer(instance).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        data = dict(_valid(self.input_serializer, request, partial=kwargs.get("partial", False)))
        data.pop("institution", None)
        key = getattr(instance, self.key)
        if data.get(self.key, key) != key:
            raise ApiError(
                status_code=status.HTTP_400_BAD_REQUEST,
                code="key_immutable",
                message=_("This code identifies the record: it cannot change."),
                errors=[
                    {
                        "code": "key_immutable",
                        "field": self.key,
                        "message": str(_("This code identifies the record: it cannot change.")),
                    }
                ],
            )
        data[self.key] = key
        instance, _created = self._save(instance.institution, data)
        return Response(self.get_serializer(instance).data)


def _write_schema(input_serializer: Any, output_serializer: Any) -> dict[str, Any]:
    return {
        "create": extend_schema(
            request=input_serializer,
            parameters=[IDEMPOTENCY_PARAMETER],
            responses={201: output_serializer, 200: output_serializer, **ERROR_RESPONSES},
        ),
        "update": extend_schema(
            request=input_serializer, responses={200: output_serializer, **ERROR_RESPONSES}
        ),
        "partial_update": extend_schema(
            request=input_serializer, responses={200: output_serializer, **ERROR_RESPONSES}
        ),
    }


@extend_schema_view(
    **_write_schema(serializers.BranchInputSerializer, serializers.BranchSerializer)
)
class BranchViewSet(_ReferenceWriteMixin, ReadOnlyScopedViewSet):
    model = Branch
    serializer_class = serializers.BranchSerializer
    input_serializer = serializers.BranchInputSerializer
    save_service = services.branch_save
    key = "code"
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
        responses={
            201: serializers.PeriodSerializer,
            200: serializers.PeriodSerializer,
            **ERROR_RESPONSES,
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Open a quarter (idempotent: an existing quarter is returned, with 200)."""
        data = _valid(serializers.PeriodCreateInputSerializer, request)
        institution = target_institution(request, data.get("institution"))
        quarter = {"year": data["year"], "quarter": data["quarter"]}
        existed = selectors.period_exists(institution=institution, **quarter)
        period = services.period_create(actor=request.user, institution=institution, **quarter)
        return Response(
            serializers.PeriodSerializer(period).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )

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


@extend_schema_view(
    **_write_schema(serializers.ClientInputSerializer, serializers.ClientSerializer)
)
class ClientViewSet(_ReferenceWriteMixin, ReadOnlyScopedViewSet):
    model = Client
    serializer_class = serializers.ClientSerializer
    input_serializer = serializers.ClientInputSerializer
    save_service = services.client_save
    key = "external_id"
    filterset_class = filters.ClientFilter
    select_related = ("branch",)
    ordering_fields = ("id", "external_id")

    def _resolve(self, institution: Institution, data: dict[str, Any]) -> dict[str, Any]:
        if "branch" in data:
            data["branch"] = _reference(institution, Branch, "code", data["branch"], "branch")
        return data

    bulk = _bulk_action(
        kind="clients",
        summary="Bulk upsert of clients",
        description=(
            "Up to 100,000 clients as a JSON array, NDJSON (`application/x-ndjson`) or CSV "
            "(`text/csv`), each with its branch by code. Validated completely first, then "
            "applied entirely or rejected entirely with row errors. Re-sending a client number "
            "(`external_id`) updates the client. Large payloads are accepted as an import job "
            "(202)."
        ),
        rows=serializers.ClientInputSerializer,
        report=serializers.ClientBulkReportSerializer,
    )


@extend_schema_view(
    **_write_schema(serializers.ProductInputSerializer, serializers.ProductSerializer)
)
class ProductViewSet(_ReferenceWriteMixin, ReadOnlyScopedViewSet):
    model = FinancingProduct
    serializer_class = serializers.ProductSerializer
    input_serializer = serializers.ProductInputSerializer
    save_service = services.product_save
    key = "code"
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

    bulk = _bulk_action(
        kind="contracts",
        summary="Bulk upsert of contracts with schedules",
        description=(
            "Up to 100,000 contracts (with `instalments`) as a JSON array, NDJSON "
            "(`application/x-ndjson`) or CSV (`text/csv`, one line per instalment with "
            "`instalment_number`, `instalment_due_date`, `instalment_principal_due`, "
            "`instalment_profit_due` columns). Validated completely first, then applied "
            "entirely or rejected entirely with row errors. Re-sending a contract updates it by "
            "`external_id`. Large payloads are accepted as an import job (202)."
        ),
        rows=serializers.ContractInputSerializer,
        report=serializers.BulkReportSerializer,
    )


def _bulk(request: Request, *, kind: str) -> Response:
    """A bulk upsert of ``kind``: applied now up to the sync limit, else an import job (202).

    Rejected rows give 400 with every row error, or 409 when the only errors are rows dated in
    a quarter that can no longer change.
    """
    from partners.bulk import BulkRejected, bulk_apply, parse_payload
    from partners.services import import_job_create

    institution = target_institution(request)
    # An empty body is not parsed at all (DRF hands back an empty dict).
    raw: bytes = request.data if isinstance(request.data, bytes) else b""
    content_type = request.content_type or "application/json"
    try:
        rows = parse_payload(raw, content_type=content_type)
        limit = int(getattr(settings, "MFME_API_BULK_SYNC_MAX_ROWS", DEFAULT_BULK_SYNC_MAX_ROWS))
        if len(rows) > limit:
            job = import_job_create(
                actor=request.user,
                institution=institution,
                kind=kind,
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
        report = bulk_apply(kind=kind, actor=request.user, institution=institution, rows=rows)
    except BulkRejected as rejected:
        locked_only = bool(rejected.errors) and all(
            item.get("code") == "period_not_editable" for item in rejected.errors
        )
        raise ApiError(
            status_code=status.HTTP_409_CONFLICT if locked_only else status.HTTP_400_BAD_REQUEST,
            code="bulk_rejected",
            message=_("The rows were rejected."),
            errors=rejected.errors,
        ) from rejected
    return Response(report)


def _reference(institution: Institution, model: Any, key: str, value: Any, field: str) -> Any:
    """One of the institution's rows by its own key, or a 400 naming ``field``."""
    found = model.objects.filter(institution=institution, **{key: value}).first()
    if found is None:
        message = _("No record of this institution has this code.")
        raise ApiError(
            status_code=status.HTTP_400_BAD_REQUEST,
            code="unknown_reference",
            message=message,
            errors=[{"code": "unknown_reference", "field": field, "message": str(message)}],
        )
    return found


class _ContractEventViewSet(ReadOnlyScopedViewSet, mixins.CreateModelMixin):
    """A record about one contract (named by its number), upserted through its service:
    201 when created, 200 when a re-send corrected it."""

    input_serializer: Any
    save_service: Any
    select_related = ("contract",)

    def _data(self, data: dict[str, Any]) -> dict[str, Any]:
        return data

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = dict(_valid(self.input_serializer, request))
        institution = target_institution(request, data.pop("institution", None))
        contract = _reference(
            institution, FinancingContract, "external_id", data.pop("contract"), "contract"
        )
        instance, created = type(self).save_service(
            actor=request.user, contract=contract, data=self._data(data)
        )
        return Response(
            self.get_serializer(instance).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def _event_schema(input_serializer: Any, output_serializer: Any) -> Any:
    return extend_schema_view(
        create=extend_schema(
            request=input_serializer,
            parameters=[IDEMPOTENCY_PARAMETER],
            responses={
                201: output_serializer,
                200: output_serializer,
                409: OpenApiResponse(
                    description="The date falls in a quarter that can no longer change."
                ),
                **ERROR_RESPONSES,
            },
        )
    )


@_event_schema(serializers.RepaymentInputSerializer, serializers.RepaymentSerializer)
class RepaymentViewSet(_ContractEventViewSet):
    model = Repayment
    serializer_class = serializers.RepaymentSerializer
    input_serializer = serializers.RepaymentInputSerializer
    save_service = services.repayment_save
    filterset_class = filters.RepaymentFilter
    ordering_fields = ("id", "value_date")
    select_related = ()

    def _data(self, data: dict[str, Any]) -> dict[str, Any]:
        number = data.pop("instalment", None)
        if number is not None:
            data["instalment_number"] = number
        return data

    bulk = _bulk_action(
        kind="repayments",
        summary="Bulk upsert of repayments",
        description=(
            "Up to 100,000 repayments as a JSON array, NDJSON (`application/x-ndjson`) or CSV "
            "(`text/csv`, columns `contract`, `external_id`, `value_date`, `principal_amount`, "
            "`profit_amount`, optional `instalment`). `contract` is the contract's number, "
            "`external_id` the payment reference. Validated completely first, then applied "
            "entirely or rejected entirely with row errors (409 if the only errors are dates "
            "in a quarter that can no longer change). Re-sending a payment reference corrects "
            "the repayment, never duplicates it; instalments are then settled oldest first. "
            "Large payloads are accepted as an import job (202)."
        ),
        rows=serializers.RepaymentInputSerializer,
        report=serializers.RepaymentBulkReportSerializer,
        responses={
            409: OpenApiResponse(description="Rows dated in a quarter that can no longer change.")
        },
    )


@_event_schema(serializers.RestructuringInputSerializer, serializers.RestructuringSerializer)
class RestructuringViewSet(_ContractEventViewSet):
    """Reschedulings. One that raises what the client owes is refused (Shariah rule
    RES-DEBT-RAISED, DECISIONS D9)."""

    model = Restructuring
    serializer_class = serializers.RestructuringSerializer
    input_serializer = serializers.RestructuringInputSerializer
    save_service = services.restructuring_save
    filterset_class = filters.RestructuringFilter


@_event_schema(serializers.WriteOffInputSerializer, serializers.WriteOffSerializer)
class WriteOffViewSet(_ContractEventViewSet):
    """Write-offs: one per contract; a re-send corrects it."""

    model = WriteOff
    serializer_class = serializers.WriteOffSerializer
    input_serializer = serializers.WriteOffInputSerializer
    save_service = services.write_off_save
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
        if selectors.period_record_exists(model=self.model, period=period):
            created_status = status.HTTP_200_OK  # an upsert that updated
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
        responses={
            201: serializers.FinancialStatementSerializer,
            200: serializers.FinancialStatementSerializer,
            **ERROR_RESPONSES,
        },
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
        responses={
            201: serializers.StaffingSerializer,
            200: serializers.StaffingSerializer,
            **ERROR_RESPONSES,
        },
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
