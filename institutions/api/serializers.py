"""Serializers of the institutions API: output shapes (read) and input shapes (write) apart."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from institutions.models import (
    INSTALMENT_COLUMNS,
    Branch,
    Client,
    FinancialStatement,
    FinancingContract,
    FinancingProduct,
    Instalment,
    Institution,
    Repayment,
    ReportingPeriod,
    Restructuring,
    StaffingSnapshot,
    WriteOff,
)

# --- Output ---------------------------------------------------------------------------------


class InstitutionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    country = serializers.CharField(source="country.code", read_only=True)
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Institution
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "name_fr",
            "name_ar",
            "country",
            "currency",
            "legal_form",
            "deposit_taking",
            "fiscal_year_start_month",
            "maturity_stage",
            "transition_phase",
        ]


class BranchSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Branch
        fields = ["id", "institution", "code", "name", "city", "region", "opened_on"]


class PeriodSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = ReportingPeriod
        fields = [
            "id",
            "institution",
            "year",
            "quarter",
            "start_date",
            "end_date",
            "status",
            "status_changed_at",
            "return_reason",
        ]


class ClientSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    branch_code = serializers.CharField(source="branch.code", read_only=True)

    class Meta:
        model = Client
        exclude = ["created_at", "updated_at"]


class ProductSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = FinancingProduct
        fields = ["id", "institution", "code", "name", "contract_type", "is_active"]


class InstalmentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Instalment
        fields = list(INSTALMENT_COLUMNS)


class ContractSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    branch_code = serializers.CharField(source="branch.code", read_only=True)
    client_external_id = serializers.CharField(source="client.external_id", read_only=True)
    product_code = serializers.CharField(source="product.code", read_only=True)

    class Meta:
        model = FinancingContract
        exclude = ["created_at"]


class ContractDetailSerializer(ContractSerializer):
    instalments = InstalmentSerializer(many=True, read_only=True)


class RepaymentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Repayment
        fields = [
            "id",
            "contract",
            "instalment",
            "external_id",
            "value_date",
            "principal_amount",
            "profit_amount",
            "created_at",
        ]


class RestructuringSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Restructuring
        exclude = ["created_at", "updated_at"]


class WriteOffSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = WriteOff
        exclude = ["created_at", "updated_at"]


class FinancialStatementSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = FinancialStatement
        exclude = ["created_at"]


class StaffingSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = StaffingSnapshot
        exclude = ["created_at"]


class ImportJobSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    total_rows = serializers.IntegerField(allow_null=True)
    processed_rows = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())
    report = serializers.DictField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class BulkReportSerializer(serializers.Serializer):  # type: ignore[type-arg]
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    instalments = serializers.IntegerField()


class BulkAcceptedSerializer(serializers.Serializer):  # type: ignore[type-arg]
    job = serializers.URLField(help_text=_("Poll this URL for progress and the final report."))
    id = serializers.IntegerField()
    status = serializers.CharField()


# --- Input ----------------------------------------------------------------------------------


class PeriodCreateInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    institution = serializers.CharField(
        required=False, help_text=_("Institution code; API clients may leave it out.")
    )
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    quarter = serializers.IntegerField(min_value=1, max_value=4)


class PeriodSubmitInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class InstalmentInputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Instalment
        fields = ["number", "due_date", "principal_due", "profit_due"]


class ContractInputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A contract as a partner sends it: branch, client and product by the institution's own
    codes, the schedule nested."""

    institution = serializers.CharField(
        required=False, help_text=_("Institution code; API clients may leave it out.")
    )
    branch = serializers.CharField(help_text=_("Branch code."))
    client = serializers.CharField(help_text=_("The institution's client number."))
    product = serializers.CharField(help_text=_("Product code."))
    contract_type = serializers.ChoiceField(
        choices=FinancingContract._meta.get_field("contract_type").choices,
        required=False,
        help_text=_("Taken from the product when left out."),
    )
    instalments = InstalmentInputSerializer(many=True, required=False)

    class Meta:
        model = FinancingContract
        exclude = ["id", "created_at", "updated_at"]
        validators: list[object] = []


class FinancialStatementInputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    period = serializers.IntegerField(help_text=_("Reporting period id."))

    class Meta:
        model = FinancialStatement
        exclude = ["id", "created_at", "updated_at"]
        validators: list[object] = []


class StaffingInputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    period = serializers.IntegerField(help_text=_("Reporting period id."))

    class Meta:
        model = StaffingSnapshot
        exclude = ["id", "created_at", "updated_at"]
        validators: list[object] = []


class _InstitutionCodeMixin(serializers.Serializer):  # type: ignore[type-arg]
    institution = serializers.CharField(
        required=False, help_text=_("Institution code; API clients may leave it out.")
    )


class BranchInputSerializer(_InstitutionCodeMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """A branch, created or updated by its ``code``."""

    class Meta:
        model = Branch
        fields = ["institution", "code", "name", "city", "region", "opened_on"]
        validators: list[object] = []
        extra_kwargs = {"code": {"validators": []}}


class ProductInputSerializer(_InstitutionCodeMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """A financing product, created or updated by its ``code``."""

    class Meta:
        model = FinancingProduct
        fields = ["institution", "code", "name", "contract_type", "is_active"]
        validators: list[object] = []
        extra_kwargs = {"code": {"validators": []}}


class ClientInputSerializer(_InstitutionCodeMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """A client, created or updated by its ``external_id`` (the institution's client number);
    its branch by the branch's code."""

    branch = serializers.CharField(help_text=_("Branch code."))

    class Meta:
        model = Client
        exclude = ["id", "created_at", "updated_at"]
        validators: list[object] = []
        extra_kwargs = {"external_id": {"validators": []}}


class _ContractNumberMixin(_InstitutionCodeMixin):
    contract = serializers.CharField(
        max_length=64, help_text=_("The contract's number (its external_id).")
    )


class RepaymentInputSerializer(_ContractNumberMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """A repayment: its contract by number, optionally the instalment it pays by number;
    ``external_id`` (the payment reference) makes a re-send a correction, not a duplicate."""

    instalment = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=32767,
        help_text=_("The instalment's number, if the payment is for a given instalment."),
    )

    class Meta:
        model = Repayment
        fields = [
            "institution",
            "contract",
            "instalment",
            "external_id",
            "value_date",
            "principal_amount",
            "profit_amount",
        ]
        validators: list[object] = []


class ClientBulkReportSerializer(serializers.Serializer):  # type: ignore[type-arg]
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class RepaymentBulkReportSerializer(serializers.Serializer):  # type: ignore[type-arg]
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    instalments_settled = serializers.IntegerField(
        help_text=_("Instalments whose paid amounts changed.")
    )


class RestructuringInputSerializer(_ContractNumberMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """A rescheduling of a contract (by number); re-sending its ``external_id`` corrects it."""

    class Meta:
        model = Restructuring
        fields = [
            "institution",
            "contract",
            "external_id",
            "date",
            "amount_owed_before",
            "amount_owed_after",
            "maturity_before",
            "maturity_after",
            "reason",
            "decided_by",
        ]
        validators: list[object] = []


class WriteOffInputSerializer(_ContractNumberMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """The write-off of a contract (by number): one per contract, a re-send corrects it."""

    class Meta:
        model = WriteOff
        fields = ["institution", "contract", "date", "principal_amount", "profit_amount", "reason"]
        validators: list[object] = []
