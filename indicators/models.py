"""The indicator catalogue and what the engine computes for each institution-quarter.

Results of one computation replace the previous ones atomically (a computation is a row with a
status; its values, portfolio snapshots, findings and alerts hang off the period and are
rewritten together), so recomputing is always safe and never duplicates.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from institutions.models import MONEY, ContractType, ReportingPeriod
from mfme.models import TimeStampedModel

RATIO = {"max_digits": 24, "decimal_places": 6}


class Indicator(TimeStampedModel):
    """One indicator of the catalogue (loaded from versioned YAML by ``load_indicator_catalog``)."""

    class Category(models.TextChoices):
        PORTFOLIO_QUALITY = "portfolio_quality", _("Portfolio quality")
        EFFICIENCY_PRODUCTIVITY = "efficiency_productivity", _("Efficiency and productivity")
        FINANCIAL_MANAGEMENT = "financial_management", _("Financial management")
        PROFITABILITY_SUSTAINABILITY = (
            "profitability_sustainability",
            _("Profitability and sustainability"),
        )
        SHARIAH_COMPLIANCE = "shariah_compliance", _("Shariah compliance")
        OUTREACH = "outreach", _("Outreach")

    class Direction(models.TextChoices):
        HIGHER_BETTER = "higher_better", _("Higher is better")
        LOWER_BETTER = "lower_better", _("Lower is better")
        NEUTRAL = "neutral", _("Neither")

    code = models.CharField(_("code"), max_length=60, unique=True)
    catalogue = models.CharField(_("catalogue"), max_length=40)
    catalogue_version = models.PositiveIntegerField(_("catalogue version"))
    category = models.CharField(_("category"), max_length=40, choices=Category.choices)
    unit = models.CharField(_("unit"), max_length=30)
    direction = models.CharField(_("direction"), max_length=20, choices=Direction.choices)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    formula_en = models.TextField(_("formula (English)"), blank=True)
    formula_fr = models.TextField(_("formula (French)"), blank=True)
    formula_ar = models.TextField(_("formula (Arabic)"), blank=True)
    guide_reference = models.CharField(_("guide reference"), max_length=200, blank=True)
    variants = models.JSONField(_("variants"), default=list)
    display_order = models.PositiveIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["display_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        language = (get_language() or "en")[:2]
        return {"ar": self.name_ar, "fr": self.name_fr}.get(language) or self.name_en

    @property
    def formula(self) -> str:
        language = (get_language() or "en")[:2]
        return {"ar": self.formula_ar, "fr": self.formula_fr}.get(language) or self.formula_en


class IndicatorComputation(TimeStampedModel):
    """One run of the engine for an institution-quarter: a row with a status (long work is a
    row, STYLE rule 15). The latest succeeded run's results are the period's results."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        SUBMISSION = "submission", _("Quarter submitted")
        APPROVAL = "approval", _("Quarter approved")
        MANUAL = "manual", _("On demand")

    class Source(models.TextChoices):
        LOAN_LEVEL = "loan_level", _("Loan-level contracts")
        SUMMARY = "summary", _("Portfolio summary of the quarterly return")

    period = models.ForeignKey(
        ReportingPeriod,
        models.CASCADE,
        related_name="indicator_computations",
        verbose_name=_("reporting period"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    trigger = models.CharField(_("trigger"), max_length=12, choices=Trigger.choices)
    source = models.CharField(
        _("portfolio source"), max_length=12, choices=Source.choices, blank=True
    )
    engine_version = models.CharField(_("engine version"), max_length=20, blank=True)
    catalogue_version = models.PositiveIntegerField(_("catalogue version"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_seconds = models.FloatField(_("duration (seconds)"), null=True, blank=True)
    timings = models.JSONField(_("timings per step"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("indicator computation")
        verbose_name_plural = _("indicator computations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["period", "status"], name="computation_period_status_idx")]

    def __str__(self) -> str:
        return f"{self.period} {self.status}"


class PortfolioSnapshot(models.Model):
    """The portfolio of an institution at a quarter end, for one segment (the whole portfolio, a
    contract type, a branch, a gender or an area), computed from contracts or taken from the
    quarterly return's summary. Amounts follow DECISIONS D5 (outstanding = unrecovered cost)."""

    class Segment(models.TextChoices):
        TOTAL = "total", _("Whole portfolio")
        CONTRACT_TYPE = "contract_type", _("Contract type")
        BRANCH = "branch", _("Branch")
        GENDER = "gender", _("Gender")
        AREA = "area", _("Area")

    period = models.ForeignKey(
        ReportingPeriod,
        models.CASCADE,
        related_name="portfolio_snapshots",
        verbose_name=_("reporting period"),
    )
    source = models.CharField(
        _("source"), max_length=12, choices=IndicatorComputation.Source.choices
    )
    segment = models.CharField(_("segment"), max_length=15, choices=Segment.choices)
    segment_value = models.CharField(_("segment value"), max_length=64, blank=True)
    outstanding = models.DecimalField(_("outstanding"), **MONEY)
    gross_receivable = models.DecimalField(_("gross receivable"), null=True, **MONEY)
    outstanding_debt_based = models.DecimalField(_("outstanding, debt-based"), **MONEY)
    late_1 = models.DecimalField(_("debt-based outstanding more than 1 day late"), **MONEY)
    late_30 = models.DecimalField(_("debt-based outstanding more than 30 days late"), **MONEY)
    late_60 = models.DecimalField(_("debt-based outstanding more than 60 days late"), **MONEY)
    late_90 = models.DecimalField(_("debt-based outstanding more than 90 days late"), **MONEY)
    late_180 = models.DecimalField(_("debt-based outstanding more than 180 days late"), **MONEY)
    late_all_1 = models.DecimalField(_("outstanding more than 1 day late"), null=True, **MONEY)
    late_all_30 = models.DecimalField(_("outstanding more than 30 days late"), null=True, **MONEY)
    late_all_60 = models.DecimalField(_("outstanding more than 60 days late"), null=True, **MONEY)
    late_all_90 = models.DecimalField(_("outstanding more than 90 days late"), null=True, **MONEY)
    late_all_180 = models.DecimalField(_("outstanding more than 180 days late"), null=True, **MONEY)
    arrears = models.DecimalField(_("amount in arrears"), null=True, **MONEY)
    arrears_debt_based = models.DecimalField(_("amount in arrears, debt-based"), null=True, **MONEY)
    restructured = models.DecimalField(_("restructured outstanding"), **MONEY)
    restructured_in_arrears = models.DecimalField(_("restructured and in arrears"), **MONEY)
    written_off_in_period = models.DecimalField(_("written off in the quarter"), **MONEY)
    disbursed_in_period = models.DecimalField(_("disbursed in the quarter"), null=True, **MONEY)
    number_disbursed_in_period = models.PositiveIntegerField(
        _("financings disbursed in the quarter"), null=True
    )
    profit_received_in_period = models.DecimalField(
        _("profit received in the quarter"), null=True, **MONEY
    )
    profit_due_in_period = models.DecimalField(
        _("profit falling due in the quarter"), null=True, **MONEY
    )
    active_financings = models.PositiveIntegerField(_("active financings"))
    active_clients = models.PositiveIntegerField(_("active clients"))
    equity_capital = models.DecimalField(_("equity-based capital outstanding"), **MONEY)
    equity_capital_appraised = models.DecimalField(
        _("equity-based capital with an appraised return"), default=0, **MONEY
    )
    equity_expected_income = models.DecimalField(
        _("equity-based expected annual income"), null=True, **MONEY
    )
    equity_realised_income = models.DecimalField(
        _("equity-based realised income, annualised"), null=True, **MONEY
    )

    class Meta:
        verbose_name = _("portfolio snapshot")
        verbose_name_plural = _("portfolio snapshots")
        ordering = ["period", "source", "segment", "segment_value"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "source", "segment", "segment_value"],
                name="indicators_portfoliosnapshot_unique_segment",
                violation_error_message=_("This segment is already computed for this quarter."),
            ),
            models.CheckConstraint(
                condition=Q(
                    late_1__gte=models.F("late_30"),
                    late_30__gte=models.F("late_60"),
                    late_60__gte=models.F("late_90"),
                    late_90__gte=models.F("late_180"),
                ),
                name="indicators_portfoliosnapshot_late_bands_nested",
                violation_error_message=_("Late portfolio must shrink as lateness grows."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.segment}={self.segment_value}"

    @property
    def segment_label(self) -> str:
        if self.segment == self.Segment.CONTRACT_TYPE:
            return str(ContractType(self.segment_value).label)
        return self.segment_value


#: What a reason code (D4) means, as users read it next to a value that could not be computed.
REASON_TEXTS = {
    "zero_denominator": _("Not computable: the denominator is zero."),
    "negative_denominator": _(
        "Not computable: the denominator is negative, so the ratio would be meaningless."
    ),
    "missing_opening_balance": _(
        "Not computable: the opening balance (the previous quarter's figures) is missing."
    ),
    "missing_data": _("Not computable: data this indicator needs was not reported."),
    "not_applicable": _("Not applicable to this institution or period."),
    "no_contracts": _("No contract was concluded in the quarter."),
    "no_audit": _("No Shariah audit was recorded for the quarter."),
    "none": _("The audit has no applicable answer yet."),
}


class IndicatorValue(models.Model):
    """One computed value: numerator, denominator, convention and averaging points are kept with
    it (DECISIONS D3); a value that cannot be computed is NULL with a reason (D4)."""

    class Variant(models.TextChoices):
        CONVENTIONAL = "conventional", _("Conventional")
        ISLAMIC = "islamic", _("Islamic")
        BOTH = "both", _("Conventional and Islamic")

    class Basis(models.TextChoices):
        QUARTER = "quarter", _("Quarter (annualised)")
        YEAR_TO_DATE = "ytd", _("Year to date")
        TRAILING_TWELVE_MONTHS = "ttm", _("Trailing twelve months")

    period = models.ForeignKey(
        ReportingPeriod,
        models.CASCADE,
        related_name="indicator_values",
        verbose_name=_("reporting period"),
    )
    computation = models.ForeignKey(
        IndicatorComputation,
        models.CASCADE,
        related_name="values",
        verbose_name=_("computation"),
    )
    indicator = models.ForeignKey(
        Indicator, models.PROTECT, related_name="values", verbose_name=_("indicator")
    )
    variant = models.CharField(_("variant"), max_length=12, choices=Variant.choices)
    basis = models.CharField(_("basis"), max_length=8, choices=Basis.choices)
    segment = models.CharField(
        _("segment"), max_length=15, choices=PortfolioSnapshot.Segment.choices, default="total"
    )
    segment_value = models.CharField(_("segment value"), max_length=64, blank=True)
    value = models.DecimalField(_("value"), null=True, blank=True, **RATIO)
    numerator = models.DecimalField(_("numerator"), null=True, blank=True, **RATIO)
    denominator = models.DecimalField(_("denominator"), null=True, blank=True, **RATIO)
    averaging_points = models.PositiveSmallIntegerField(_("averaging points"), default=0)
    reason_code = models.CharField(_("reason code"), max_length=40, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["period", "indicator__display_order", "variant", "basis"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "indicator", "variant", "basis", "segment", "segment_value"],
                name="indicators_indicatorvalue_unique_key",
                violation_error_message=_("This value is already computed for this quarter."),
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=False) | ~Q(reason_code=""),
                name="indicators_indicatorvalue_null_has_reason",
                violation_error_message=_("A value that cannot be computed needs a reason."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.indicator_id} {self.variant} {self.basis}"

    @property
    def reason_display(self) -> str:
        """Why there is no value, in the reader's language. The stored ``reason`` is the engine's
        detailed English note (for logs and the admin); users see the translated reason code."""
        text = REASON_TEXTS.get(self.reason_code)
        return str(text) if text is not None else self.reason


class DataQualityFinding(models.Model):
    """A data-quality problem found while computing a quarter, shown to the institution and the
    analyst. ``message`` is rendered in English at computation time; ``code`` and ``params`` let
    the UI render it in the reader's language."""

    class Severity(models.TextChoices):
        INFO = "info", _("Information")
        WARNING = "warning", _("Warning")
        ERROR = "error", _("Error")

    period = models.ForeignKey(
        ReportingPeriod,
        models.CASCADE,
        related_name="data_quality_findings",
        verbose_name=_("reporting period"),
    )
    computation = models.ForeignKey(
        IndicatorComputation,
        models.CASCADE,
        related_name="findings",
        verbose_name=_("computation"),
    )
    code = models.CharField(_("code"), max_length=60)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    message = models.TextField(_("message"))
    params = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("data-quality finding")
        verbose_name_plural = _("data-quality findings")
        ordering = ["period", "-severity", "code"]

    def __str__(self) -> str:
        return f"{self.period} {self.code}"

    @property
    def message_display(self) -> str:
        """The finding in the reader's language (``message`` is the stored English text)."""
        from .messages import finding_message

        return finding_message(code=self.code, params=self.params or {}, fallback=self.message)


class Alert(models.Model):
    """A benchmark alert on a quarter (guide ch.5 benchmarks: OSS, ROA, OER trend, D/E, spread)."""

    period = models.ForeignKey(
        ReportingPeriod,
        models.CASCADE,
        related_name="indicator_alerts",
        verbose_name=_("reporting period"),
    )
    computation = models.ForeignKey(
        IndicatorComputation,
        models.CASCADE,
        related_name="alerts",
        verbose_name=_("computation"),
    )
    code = models.CharField(_("code"), max_length=60)
    severity = models.CharField(
        _("severity"), max_length=10, choices=DataQualityFinding.Severity.choices
    )
    message = models.TextField(_("message"))
    value = models.DecimalField(_("value"), null=True, blank=True, **RATIO)
    threshold = models.DecimalField(_("threshold"), null=True, blank=True, **RATIO)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["period", "code"]

    def __str__(self) -> str:
        return f"{self.period} {self.code}"

    @property
    def message_display(self) -> str:
        """The alert in the reader's language (``message`` is the stored English text)."""
        from .messages import alert_message

        return alert_message(
            code=self.code, value=self.value, threshold=self.threshold, fallback=self.message
        )


class QuarterIndicators(ReportingPeriod):
    """A reporting period seen from the indicator engine: the admin's "indicators by quarter"
    page, with the period's values, findings, alerts and snapshots (no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = _("indicators of a quarter")
        verbose_name_plural = _("indicators by quarter")
