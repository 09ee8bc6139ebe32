"""Shariah compliance of an institution: its Shariah board and product approvals, the table 2
audit checklist and audits, review findings, and the purification (charity) ledger.

References between rows of one institution use ``RESTRICT``: a board member who approved a
product, or a charity that received transfers, cannot be deleted alone, but deleting the whole
institution cascades through them.

The purification ledger has no balance column: its balance is always derived from the records
that feed it (late-payment charges collected, income declared non-compliant by findings, and
transfers to charity), so it reconciles with them by construction (``purification.py``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from institutions.models import (
    MONEY,
    ContractType,
    FinancingContract,
    FinancingProduct,
    Institution,
    ReportingPeriod,
)
from mfme.models import TimeStampedModel

from .purification import DEFAULT_ALERT_DAYS
from .rules import message_for

ZERO = Decimal("0")


def _in_language(*, ar: str, en: str, fr: str) -> str:
    language = (get_language() or "en")[:2]
    return {"ar": ar, "fr": fr}.get(language) or en


# --------------------------------------------------------------------------------------------
# Policy, board, approvals
# --------------------------------------------------------------------------------------------


class ShariahPolicy(TimeStampedModel):
    """An institution's Shariah settings (methodology data it may change)."""

    institution = models.OneToOneField(
        Institution,
        models.CASCADE,
        related_name="shariah_policy",
        verbose_name=_("institution"),
    )
    purification_alert_days = models.PositiveSmallIntegerField(
        _("days before undisbursed purification amounts raise an alert"),
        default=DEFAULT_ALERT_DAYS,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Late-payment amounts and tainted income must be given to charity within this many "
            "days."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Shariah policy")
        verbose_name_plural = _("Shariah policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(purification_alert_days__gte=1),
                name="shariah_shariahpolicy_alert_days_positive",
                violation_error_message=_("The alert period must be at least one day."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.institution)


class ShariahBoardMember(TimeStampedModel):
    """A member of an institution's Shariah supervisory board, or its Shariah supervisor.

    An institution with at least one member uses the Shariah module: from then on its products
    must be approved by the board before new contracts use them.
    """

    class Role(models.TextChoices):
        CHAIR = "chair", _("Chair of the Shariah board")
        MEMBER = "member", _("Shariah board member")
        SUPERVISOR = "supervisor", _("Shariah supervisor")

    institution = models.ForeignKey(
        Institution,
        models.CASCADE,
        related_name="shariah_board_members",
        verbose_name=_("institution"),
    )
    full_name = models.CharField(_("full name"), max_length=200)
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.MEMBER)
    has_shariah_training = models.BooleanField(_("trained in Shariah and Islamic finance"))
    qualification = models.CharField(
        _("Shariah qualification or training"), max_length=300, blank=True
    )
    appointed_on = models.DateField(_("appointed on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Shariah board member")
        verbose_name_plural = _("Shariah board members")
        ordering = ["institution", "role", "full_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("appointed_on")),
                name="shariah_shariahboardmember_leaves_after_appointment",
                violation_error_message=_("A member cannot leave before being appointed."),
            ),
            models.CheckConstraint(
                condition=Q(has_shariah_training=False) | ~Q(qualification=""),
                name="shariah_shariahboardmember_training_described",
                violation_error_message=_("Describe the member's Shariah training."),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name


class ProductApproval(TimeStampedModel):
    """The Shariah board's approval (fatwa) of a financing product. Until a product has an
    approval dated on or before a contract's date, that contract cannot use it."""

    product = models.ForeignKey(
        FinancingProduct,
        models.CASCADE,
        related_name="shariah_approvals",
        verbose_name=_("product"),
    )
    approved_on = models.DateField(_("approved on"))
    approved_by = models.ForeignKey(
        ShariahBoardMember,
        models.RESTRICT,
        related_name="product_approvals",
        verbose_name=_("approved by"),
    )
    reference = models.CharField(_("resolution reference"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product approval")
        verbose_name_plural = _("product approvals")
        ordering = ["product", "-approved_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=F("approved_on")),
                name="shariah_productapproval_withdrawn_after_approval",
                violation_error_message=_("An approval can only be withdrawn after it is given."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.approved_on}"


# --------------------------------------------------------------------------------------------
# Reviews and findings
# --------------------------------------------------------------------------------------------


class ShariahReview(TimeStampedModel):
    """A Shariah review of the institution by its board or supervisor (its findings hang off)."""

    institution = models.ForeignKey(
        Institution,
        models.CASCADE,
        related_name="shariah_reviews",
        verbose_name=_("institution"),
    )
    period = models.ForeignKey(
        ReportingPeriod,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="shariah_reviews",
        verbose_name=_("reporting period"),
    )
    reviewed_on = models.DateField(_("reviewed on"))
    reviewer = models.ForeignKey(
        ShariahBoardMember,
        models.RESTRICT,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name=_("reviewer"),
    )
    scope = models.CharField(_("scope"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Shariah review")
        verbose_name_plural = _("Shariah reviews")
        ordering = ["institution", "-reviewed_on"]

    def __str__(self) -> str:
        return f"{self.institution} {self.reviewed_on}"


class ShariahFinding(TimeStampedModel):
    """A Shariah non-compliance found by a review, an audit or a contract rule's warning.

    A finding may taint income: that amount is declared non-compliant and flows into the
    purification ledger on the day the finding is recorded, whatever becomes of the finding.
    """

    class Severity(models.TextChoices):
        CRITICAL = "critical", _("Critical")
        MAJOR = "major", _("Major")
        MINOR = "minor", _("Minor")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    class Source(models.TextChoices):
        RULE = "rule", _("Contract rule")
        REVIEW = "review", _("Shariah review")
        AUDIT = "audit", _("Shariah audit")

    institution = models.ForeignKey(
        Institution,
        models.CASCADE,
        related_name="shariah_findings",
        verbose_name=_("institution"),
    )
    period = models.ForeignKey(
        ReportingPeriod,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="shariah_findings",
        verbose_name=_("reporting period"),
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    review = models.ForeignKey(
        ShariahReview,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("review"),
    )
    audit = models.ForeignKey(
        "ShariahAudit",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("audit"),
    )
    # A contract with findings cannot be deleted alone: the finding (and any income it
    # tainted) is part of the Shariah record. Deleting the institution removes both.
    contract = models.ForeignKey(
        FinancingContract,
        models.RESTRICT,
        null=True,
        blank=True,
        related_name="shariah_findings",
        verbose_name=_("contract"),
    )
    rule_code = models.CharField(_("rule"), max_length=40, blank=True)
    field = models.CharField(_("field"), max_length=60, blank=True)
    params = models.JSONField(_("details"), default=dict, blank=True)
    description = models.TextField(_("description"))
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    found_on = models.DateField(_("found on"))
    tainted_income = models.DecimalField(
        _("income declared non-compliant"),
        default=ZERO,
        help_text=_("Goes to the purification ledger, to be given to charity."),
        **MONEY,
    )
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Shariah finding")
        verbose_name_plural = _("Shariah findings")
        ordering = ["institution", "-found_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tainted_income__gte=0),
                name="shariah_shariahfinding_tainted_income_non_negative",
                violation_error_message=_("Amounts cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(status="open", resolved_on__isnull=True)
                | (Q(status="resolved", resolved_on__gte=F("found_on")) & ~Q(resolution="")),
                name="shariah_shariahfinding_resolution_complete",
                violation_error_message=_(
                    "A resolved finding needs a resolution and a date on or after it was found; "
                    "an open one has neither."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(source="rule") | (Q(contract__isnull=False) & ~Q(rule_code="")),
                name="shariah_shariahfinding_rule_names_contract",
                violation_error_message=_("A rule's finding names its contract and its rule."),
            ),
            models.UniqueConstraint(
                fields=["contract", "rule_code", "field"],
                condition=Q(source="rule", status="open"),
                name="shariah_shariahfinding_one_open_per_rule",
                violation_error_message=_("This rule already has an open finding on the contract."),
            ),
        ]
        indexes = [
            models.Index(fields=["institution", "status", "severity"], name="finding_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.institution} {self.rule_code or self.source} {self.found_on}"

    @property
    def message(self) -> str:
        """The finding in the reader's language when it comes from a known rule."""
        if self.rule_code:
            rendered = message_for(self.rule_code, self.params or {})
            if rendered is not None:
                return str(rendered)
        return self.description


# --------------------------------------------------------------------------------------------
# Purification (charity) ledger
# --------------------------------------------------------------------------------------------


class ApprovedCharity(TimeStampedModel):
    """A charity the Shariah board approved to receive purification amounts (table 2-A 34)."""

    institution = models.ForeignKey(
        Institution,
        models.CASCADE,
        related_name="approved_charities",
        verbose_name=_("institution"),
    )
    name = models.CharField(_("name"), max_length=200)
    approved_on = models.DateField(_("approved on"))
    approved_by = models.ForeignKey(
        ShariahBoardMember,
        models.RESTRICT,
        null=True,
        blank=True,
        related_name="approved_charities",
        verbose_name=_("approved by"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("approved charity")
        verbose_name_plural = _("approved charities")
        ordering = ["institution", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "name"],
                name="shariah_approvedcharity_unique_name",
                violation_error_message=_("This charity is already approved."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CharityTransfer(TimeStampedModel):
    """A transfer from the purification ledger to an approved charity."""

    institution = models.ForeignKey(
        Institution,
        models.CASCADE,
        related_name="charity_transfers",
        verbose_name=_("institution"),
    )
    charity = models.ForeignKey(
        ApprovedCharity,
        models.RESTRICT,
        related_name="transfers",
        verbose_name=_("charity"),
    )
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("transfer to charity")
        verbose_name_plural = _("transfers to charity")
        ordering = ["institution", "date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="shariah_charitytransfer_amount_positive",
                violation_error_message=_("A transfer must be greater than zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.charity} {self.date} {self.amount}"


# --------------------------------------------------------------------------------------------
# Table 2 checklist and audits
# --------------------------------------------------------------------------------------------


class ChecklistItem(models.Model):
    """One check of the guide's table 2 (loaded from versioned YAML by
    ``load_shariah_checklist``). Numbers restart at 1 for each contract type, as in the guide."""

    class Kind(models.TextChoices):
        PROCEDURE = "procedure", _("Audit procedure")
        QUESTION = "question", _("Control question")
        VERIFICATION = "verification", _("Compliance test")
        HEADING = "heading", _("Sub-heading")

    version = models.PositiveSmallIntegerField(_("checklist version"))
    contract_type = models.CharField(
        _("contract type"), max_length=30, choices=ContractType.choices
    )
    number = models.PositiveSmallIntegerField(_("number"))
    section = models.CharField(_("section"), max_length=40)
    section_ar = models.CharField(_("section (Arabic)"), max_length=200)
    section_en = models.CharField(_("section (English)"), max_length=200)
    section_fr = models.CharField(_("section (French)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    text_ar = models.TextField(_("text (Arabic)"))
    text_en = models.TextField(_("text (English)"))
    text_fr = models.TextField(_("text (French)"))
    note = models.TextField(_("note"), blank=True)
    rule_codes = models.JSONField(_("automatic rules"), default=list, blank=True)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["version", "contract_type", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "contract_type", "number"],
                name="shariah_checklistitem_unique_number",
                violation_error_message=_("This checklist already has an item with this number."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_contract_type_display()} {self.number}"

    @property
    def text(self) -> str:
        return _in_language(ar=self.text_ar, en=self.text_en, fr=self.text_fr)

    @property
    def section_name(self) -> str:
        return _in_language(ar=self.section_ar, en=self.section_en, fr=self.section_fr)

    @property
    def is_answerable(self) -> bool:
        return self.kind != self.Kind.HEADING


class ShariahAudit(TimeStampedModel):
    """The Shariah audit of an institution's quarter against table 2: who audited, which
    contracts were sampled, and an answer per item (``AuditAnswer``)."""

    class AuditorRole(models.TextChoices):
        SUPERVISOR = "supervisor", _("Shariah supervisor (internal)")
        AUDITOR = "auditor", _("Shariah auditor (external)")

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")

    period = models.OneToOneField(
        ReportingPeriod,
        models.CASCADE,
        related_name="shariah_audit",
        verbose_name=_("reporting period"),
    )
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="shariah_audits",
        verbose_name=_("auditor"),
    )
    auditor_role = models.CharField(_("auditor's role"), max_length=12, choices=AuditorRole.choices)
    checklist_version = models.PositiveSmallIntegerField(_("checklist version"))
    contract_types = models.JSONField(
        _("contract types audited"),
        default=list,
        help_text=_("The sub-tables of table 2 this audit covers."),
    )
    started_on = models.DateField(_("started on"))
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.IN_PROGRESS
    )
    sampled_contracts = models.ManyToManyField(
        FinancingContract,
        blank=True,
        related_name="shariah_audits",
        verbose_name=_("sampled contracts"),
    )
    population_size = models.PositiveIntegerField(
        _("contracts in the population"),
        default=0,
        help_text=_("Contracts of the audited types concluded in the quarter."),
    )
    conclusion = models.TextField(_("conclusion"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Shariah audit")
        verbose_name_plural = _("Shariah audits")
        ordering = ["-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="in_progress", completed_on__isnull=True)
                | Q(status="completed", completed_on__gte=F("started_on")),
                name="shariah_shariahaudit_completion_dated",
                violation_error_message=_(
                    "A completed audit needs a completion date on or after its start."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.get_status_display()}"


def _evidence_path(instance: AuditAnswer, filename: str) -> str:
    return f"shariah/evidence/{instance.audit.period_id}/{filename}"


class AuditAnswer(TimeStampedModel):
    """The auditor's answer to one table 2 item, with the evidence for it."""

    class Result(models.TextChoices):
        COMPLIANT = "compliant", _("Compliant")
        NON_COMPLIANT = "non_compliant", _("Non-compliant")
        NOT_APPLICABLE = "not_applicable", _("Not applicable")

    audit = models.ForeignKey(
        ShariahAudit, models.CASCADE, related_name="answers", verbose_name=_("audit")
    )
    item = models.ForeignKey(
        ChecklistItem, models.PROTECT, related_name="answers", verbose_name=_("checklist item")
    )
    result = models.CharField(_("result"), max_length=15, choices=Result.choices)
    evidence_note = models.TextField(_("evidence or remarks"), blank=True)
    evidence_file = models.FileField(
        _("evidence file"), upload_to=_evidence_path, blank=True, max_length=300
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="shariah_audit_answers",
        verbose_name=_("answered by"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("audit answer")
        verbose_name_plural = _("audit answers")
        ordering = ["audit", "item"]
        constraints = [
            models.UniqueConstraint(
                fields=["audit", "item"],
                name="shariah_auditanswer_unique_item",
                violation_error_message=_("This item is already answered in this audit."),
            ),
            models.CheckConstraint(
                condition=Q(result="compliant") | ~Q(evidence_note=""),
                name="shariah_auditanswer_exception_explained",
                violation_error_message=_(
                    "Explain a non-compliant or not-applicable answer in the remarks."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.audit} {self.item}: {self.result}"
