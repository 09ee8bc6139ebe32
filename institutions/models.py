"""Microfinance institutions and everything they report: branches, clients, products, financing
contracts of every Islamic type with their schedules and events, quarterly statements, and the
reference data (per country and year) that indicators need.

Conventions used throughout:

* Money is ``Decimal`` with 2 places in the institution's currency (``MONEY`` below).
* Percentages are stored as percent values (12.5 means 12.5 %), never as fractions.
* The outstanding balance of a financing is the institution's unrecovered cost (DECISIONS D5):
  ``financed_amount`` is that cost (cost price, salam price, leased-asset cost, qard principal or
  capital invested); instalments split what is due into ``principal_due`` (recovery of that cost)
  and ``profit_due`` (markup, rent margin, or the buy-out/rent split of a diminishing musharaka).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from mfme.models import TimeStampedModel

MONEY = {"max_digits": 18, "decimal_places": 2}
PERCENT = {"max_digits": 9, "decimal_places": 4}
ZERO = Decimal("0")
# Equalities between sums of decimals are checked within half a unit of the last stored place:
# SQLite evaluates decimal arithmetic in floating point (0.10 + 0.20 != 0.30 there), while
# PostgreSQL's numeric is exact, so on PostgreSQL the tolerance admits nothing extra.
MONEY_TOLERANCE = Decimal("0.005")
SHARE_TOLERANCE = Decimal("0.00005")


def _non_negative(field: str, app_model: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 0}) | Q(**{f"{field}__isnull": True}),
        name=f"{app_model}_{field}_non_negative",
        violation_error_message=_("Amounts cannot be negative."),
    )


class ContractType(models.TextChoices):
    """The Islamic financing contracts mfme treats as first-class (guide ch.1 §2, table 2)."""

    MURABAHA = "murabaha", _("Murabaha")
    SALAM = "salam", _("Salam")
    ISTISNA = "istisna", _("Istisna")
    IJARA = "ijara", _("Ijara")
    IJARA_MUNTAHIA_BITTAMLEEK = "ijara_mb", _("Ijara muntahia bittamleek")
    QARD_HASSAN = "qard_hassan", _("Qard hassan")
    MUSHARAKA = "musharaka", _("Musharaka")
    MUDARABA = "mudaraba", _("Mudaraba")
    DIMINISHING_MUSHARAKA = "diminishing_musharaka", _("Diminishing musharaka")


#: Sale-based contracts whose sale price is cost plus a disclosed markup.
SALE_BASED_TYPES = frozenset({ContractType.MURABAHA, ContractType.ISTISNA})
#: Lease contracts.
LEASE_TYPES = frozenset({ContractType.IJARA, ContractType.IJARA_MUNTAHIA_BITTAMLEEK})
#: Profit-and-loss sharing contracts: capital shares and profit-sharing ratios apply.
EQUITY_TYPES = frozenset(
    {ContractType.MUSHARAKA, ContractType.MUDARABA, ContractType.DIMINISHING_MUSHARAKA}
)
#: Contracts with a repayment schedule, the base of PAR (DECISIONS D7).
DEBT_BASED_TYPES = frozenset(
    {
        ContractType.MURABAHA,
        ContractType.SALAM,
        ContractType.ISTISNA,
        ContractType.IJARA,
        ContractType.IJARA_MUNTAHIA_BITTAMLEEK,
        ContractType.QARD_HASSAN,
        ContractType.DIMINISHING_MUSHARAKA,
    }
)


# --------------------------------------------------------------------------------------------
# Institutions
# --------------------------------------------------------------------------------------------


class Institution(TimeStampedModel):
    """A microfinance institution monitored by mfme (guide ch.1: its maturity stage)."""

    class LegalForm(models.TextChoices):
        ASSOCIATION = "association", _("Association / NGO")
        FOUNDATION = "foundation", _("Foundation")
        COOPERATIVE = "cooperative", _("Cooperative")
        FINANCE_COMPANY = "finance_company", _("Non-bank finance company")
        MICROFINANCE_BANK = "microfinance_bank", _("Microfinance bank")
        PARTICIPATIVE_BANK = "participative_bank", _("Islamic / participative bank")
        BANK_WINDOW = "bank_window", _("Islamic window of a bank")

    class MaturityStage(models.TextChoices):
        CONVENTIONAL = "conventional", _("Conventional")
        SHARIAH_COMPLIANT = "shariah_compliant", _("Shariah-compliant")
        ECONOMIC_EMPOWERMENT = "economic_empowerment", _("Economic empowerment")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200, blank=True)
    country = CountryField(_("country"))
    currency = models.CharField(
        _("currency"), max_length=3, help_text=_("ISO 4217 code, for example MAD.")
    )
    legal_form = models.CharField(_("legal form"), max_length=30, choices=LegalForm.choices)
    deposit_taking = models.BooleanField(_("takes deposits"), default=False)
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year start month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    maturity_stage = models.CharField(
        _("maturity stage"), max_length=30, choices=MaturityStage.choices
    )
    transition_phase = models.PositiveSmallIntegerField(
        _("transition phase"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
        help_text=_("Phase 1 to 6 of the transition to economic empowerment (guide figure 2)."),
    )
    mission_statement = models.TextField(_("mission statement"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name_en="") | ~Q(name_fr="") | ~Q(name_ar=""),
                name="institutions_institution_has_a_name",
                violation_error_message=_("Give the institution a name in at least one language."),
            ),
            models.CheckConstraint(
                condition=Q(fiscal_year_start_month__gte=1, fiscal_year_start_month__lte=12),
                name="institutions_institution_fiscal_month_valid",
                violation_error_message=_("The fiscal year start month must be between 1 and 12."),
            ),
            models.CheckConstraint(
                condition=Q(transition_phase__isnull=True)
                | Q(transition_phase__gte=1, transition_phase__lte=6),
                name="institutions_institution_transition_phase_valid",
                violation_error_message=_("The transition phase must be between 1 and 6."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language, falling back to the others."""
        language = (get_language() or "en")[:2]
        preferred = {"ar": self.name_ar, "fr": self.name_fr, "en": self.name_en}.get(language)
        return preferred or self.name_en or self.name_fr or self.name_ar


class Branch(TimeStampedModel):
    """A branch (agency) of an institution; every client and financing belongs to one."""

    institution = models.ForeignKey(
        Institution, models.CASCADE, related_name="branches", verbose_name=_("institution")
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=120, blank=True)
    region = models.CharField(_("region"), max_length=120, blank=True)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["institution", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "code"],
                name="institutions_branch_unique_code",
                violation_error_message=_("This institution already has a branch with this code."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class InstitutionMembership(TimeStampedModel):
    """Grants a user access to one institution.

    MFI staff and managers have exactly one membership (their employer); auditors have one per
    institution they are granted. Analysts and administrators need none: they see everything.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    institution = models.ForeignKey(
        Institution, models.CASCADE, related_name="memberships", verbose_name=_("institution")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("institution membership")
        verbose_name_plural = _("institution memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "institution"],
                name="institutions_institutionmembership_unique",
                violation_error_message=_("This user already has access to this institution."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.institution}"


# --------------------------------------------------------------------------------------------
# Reporting periods and their workflow
# --------------------------------------------------------------------------------------------


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of a calendar quarter (DECISIONS D1)."""
    start = datetime.date(year, 3 * quarter - 2, 1)
    next_start = datetime.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return start, next_start - datetime.timedelta(days=1)


class ReportingPeriod(TimeStampedModel):
    """A calendar quarter of one institution, with its review workflow.

    draft → submitted → (returned → submitted …) → approved → locked. An approved period can be
    reopened by an analyst, with a reason; a locked period never changes again.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for revision")
        APPROVED = "approved", _("Approved")
        LOCKED = "locked", _("Locked")

    #: Statuses in which the institution may change the period's data.
    EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.RETURNED})

    institution = models.ForeignKey(
        Institution,
        models.CASCADE,
        related_name="reporting_periods",
        verbose_name=_("institution"),
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    start_date = models.DateField(_("start date"), editable=False)
    end_date = models.DateField(_("end date"), editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    return_reason = models.TextField(_("reason for return"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        ordering = ["institution", "-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "year", "quarter"],
                name="institutions_reportingperiod_unique_quarter",
                violation_error_message=_("This institution already has this quarter."),
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4),
                name="institutions_reportingperiod_quarter_valid",
                violation_error_message=_("The quarter must be between 1 and 4."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")),
                name="institutions_reportingperiod_dates_ordered",
                violation_error_message=_("The period must end after it starts."),
            ),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(return_reason=""),
                name="institutions_reportingperiod_return_has_reason",
                violation_error_message=_("A returned period needs a reason."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution.code} {self.label}"

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE_STATUSES

    def save(self, *args: object, **kwargs: object) -> None:
        # Dates are a pure function of (year, quarter); keeping them as columns lets the
        # portfolio SQL filter by date without recomputing quarter bounds.
        if self.year and self.quarter:
            self.start_date, self.end_date = quarter_bounds(self.year, self.quarter)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class PeriodTransition(models.Model):
    """One step of a period's review workflow: the timeline shown to users and auditors."""

    period = models.ForeignKey(
        ReportingPeriod,
        models.CASCADE,
        related_name="transitions",
        verbose_name=_("reporting period"),
    )
    from_status = models.CharField(
        _("from status"), max_length=20, choices=ReportingPeriod.Status.choices
    )
    to_status = models.CharField(
        _("to status"), max_length=20, choices=ReportingPeriod.Status.choices
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="period_transitions",
        verbose_name=_("by"),
    )
    reason = models.TextField(_("reason or comment"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("period transition")
        verbose_name_plural = _("period transitions")
        ordering = ["period", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.period}: {self.from_status} → {self.to_status}"


class ReturnSection(models.TextChoices):
    """The sections of a quarterly return, as the guide groups its data needs (guide-part4 §7).
    Drafts are autosaved and review comments are written per section."""

    BALANCE_SHEET = "balance_sheet", _("Balance sheet")
    INCOME_STATEMENT = "income_statement", _("Income statement")
    STAFFING = "staffing", _("Staffing and outreach")
    PORTFOLIO_SUMMARY = "portfolio_summary", _("Portfolio summary")
    CONTRACTS = "contracts", _("Contracts and repayments")
    GENERAL = "general", _("General")


class ReviewComment(models.Model):
    """An analyst's comment on one section of a quarter, given with a review step (typically a
    return for revision), shown to the institution next to that section and in the timeline."""

    transition = models.ForeignKey(
        PeriodTransition,
        models.CASCADE,
        related_name="comments",
        verbose_name=_("review step"),
    )
    section = models.CharField(_("section"), max_length=32, choices=ReturnSection.choices)
    comment = models.TextField(_("comment"))

    class Meta:
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")
        ordering = ["transition", "section"]
        constraints = [
            models.UniqueConstraint(
                fields=["transition", "section"],
                name="institutions_reviewcomment_one_per_section",
                violation_error_message=_("There is already a comment on this section."),
            ),
            models.CheckConstraint(
                condition=~Q(comment=""),
                name="institutions_reviewcomment_not_empty",
                violation_error_message=_("A review comment cannot be empty."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transition_id} {self.section}"


class ReturnDraft(models.Model):
    """What a user has typed into one section of a quarter's return and not yet saved: autosaved
    as they type, restored when they come back, discarded once the section is saved. The values
    are raw form input (strings, possibly invalid): validation happens when the section is saved."""

    period = models.ForeignKey(
        ReportingPeriod,
        models.CASCADE,
        related_name="return_drafts",
        verbose_name=_("reporting period"),
    )
    section = models.CharField(_("section"), max_length=32, choices=ReturnSection.choices)
    data = models.JSONField(_("values"), default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("return draft")
        verbose_name_plural = _("return drafts")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "section"],
                name="institutions_returndraft_one_per_section",
                violation_error_message=_("This section already has a draft."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_id} {self.section}"


# --------------------------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------------------------


class Client(TimeStampedModel):
    """A client of an institution, with the socio-economic baseline collected at application.

    The baseline fields are the guide's client-profile items (guide-part1 §4.6, stage 1 and 2):
    they let mfme compare who is reached with who the institution is mandated to serve.
    """

    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")

    class Area(models.TextChoices):
        RURAL = "rural", _("Rural")
        URBAN = "urban", _("Urban")
        PERI_URBAN = "peri_urban", _("Peri-urban")

    class PovertyStatus(models.TextChoices):
        EXTREME_POOR = "extreme_poor", _("Extremely poor")
        POOR = "poor", _("Poor")
        VULNERABLE = "vulnerable", _("Vulnerable non-poor")
        NON_POOR = "non_poor", _("Non-poor")
        UNKNOWN = "unknown", _("Unknown")

    class Education(models.TextChoices):
        NONE = "none", _("No schooling")
        PRIMARY = "primary", _("Primary")
        SECONDARY = "secondary", _("Secondary")
        HIGHER = "higher", _("Higher")

    class Schooling(models.TextChoices):
        ALL = "all", _("All school-age children in school")
        SOME = "some", _("Some school-age children in school")
        NONE = "none", _("No school-age child in school")
        NOT_APPLICABLE = "not_applicable", _("No school-age children")

    class Dwelling(models.TextChoices):
        OWNED_SOLID = "owned_solid", _("Owned, solid construction")
        OWNED_PRECARIOUS = "owned_precarious", _("Owned, precarious construction")
        RENTED = "rented", _("Rented")
        SHARED = "shared", _("Shared / hosted")

    class Toilet(models.TextChoices):
        PRIVATE_FLUSH = "private_flush", _("Private flush toilet")
        PRIVATE_PIT = "private_pit", _("Private pit latrine")
        SHARED = "shared", _("Shared toilet")
        NONE = "none", _("No toilet")

    class Energy(models.TextChoices):
        GRID = "grid", _("Electricity grid")
        SOLAR = "solar", _("Solar")
        GAS = "gas", _("Gas")
        WOOD_CHARCOAL = "wood_charcoal", _("Wood or charcoal")
        NONE = "none", _("None")

    class Transport(models.TextChoices):
        NONE = "none", _("None")
        BICYCLE = "bicycle", _("Bicycle")
        ANIMAL = "animal", _("Animal or cart")
        MOTORCYCLE = "motorcycle", _("Motorcycle")
        CAR = "car", _("Car or truck")

    class Sector(models.TextChoices):
        AGRICULTURE = "agriculture", _("Agriculture and livestock")
        TRADE = "trade", _("Trade")
        CRAFTS = "crafts", _("Crafts and manufacturing")
        SERVICES = "services", _("Services")
        HOUSING = "housing", _("Housing")
        SOCIAL = "social", _("Social needs (health, education)")

    institution = models.ForeignKey(
        Institution, models.CASCADE, related_name="clients", verbose_name=_("institution")
    )
    branch = models.ForeignKey(
        Branch, models.PROTECT, related_name="clients", verbose_name=_("branch")
    )
    external_id = models.CharField(
        _("client number"), max_length=64, help_text=_("The institution's own client number.")
    )
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    birth_year = models.PositiveSmallIntegerField(
        _("birth year"), validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    area = models.CharField(_("area"), max_length=12, choices=Area.choices)
    first_financing_date = models.DateField(_("first financing date"), null=True, blank=True)
    poverty_status = models.CharField(
        _("poverty status"),
        max_length=15,
        choices=PovertyStatus.choices,
        default=PovertyStatus.UNKNOWN,
    )
    # Household baseline (guide-part1 §4.6). All optional: partner systems rarely have them all.
    education_level = models.CharField(
        _("education level"), max_length=12, choices=Education.choices, blank=True
    )
    household_size = models.PositiveSmallIntegerField(
        _("household size"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    three_meals_a_day = models.BooleanField(_("affords three meals a day"), null=True, blank=True)
    children_schooling = models.CharField(
        _("children's schooling"), max_length=16, choices=Schooling.choices, blank=True
    )
    dwelling_type = models.CharField(
        _("type of dwelling"), max_length=20, choices=Dwelling.choices, blank=True
    )
    number_of_beds = models.PositiveSmallIntegerField(_("number of beds"), null=True, blank=True)
    toilet = models.CharField(_("toilet"), max_length=16, choices=Toilet.choices, blank=True)
    energy_source = models.CharField(
        _("energy source"), max_length=16, choices=Energy.choices, blank=True
    )
    owns_land = models.BooleanField(_("owns land"), null=True, blank=True)
    owns_livestock = models.BooleanField(_("owns livestock"), null=True, blank=True)
    owns_poultry = models.BooleanField(_("owns poultry"), null=True, blank=True)
    means_of_transport = models.CharField(
        _("means of transport"), max_length=12, choices=Transport.choices, blank=True
    )
    affords_health_care = models.BooleanField(_("affords health care"), null=True, blank=True)
    activity_sector = models.CharField(
        _("activity sector"), max_length=12, choices=Sector.choices, blank=True
    )
    has_bank_account = models.BooleanField(_("has a bank account"), null=True, blank=True)
    current_debt = models.DecimalField(
        _("current debts at application"), null=True, blank=True, **MONEY
    )
    financially_literate = models.BooleanField(_("financially literate"), null=True, blank=True)
    needs_training = models.BooleanField(_("needs training"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["institution", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "external_id"],
                name="institutions_client_unique_number",
                violation_error_message=_(
                    "This institution already has a client with this number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(birth_year__gte=1900, birth_year__lte=2100),
                name="institutions_client_birth_year_valid",
                violation_error_message=_("The birth year must be between 1900 and 2100."),
            ),
            models.CheckConstraint(
                condition=Q(household_size__isnull=True) | Q(household_size__gte=1),
                name="institutions_client_household_size_valid",
                violation_error_message=_("A household has at least one person."),
            ),
            _non_negative("current_debt", "institutions_client"),
        ]
        indexes = [models.Index(fields=["institution", "branch"], name="client_inst_branch_idx")]

    def __str__(self) -> str:
        return self.external_id


# --------------------------------------------------------------------------------------------
# Products and contracts
# --------------------------------------------------------------------------------------------


class FinancingProduct(TimeStampedModel):
    """A financing product of an institution; each product uses one contract type."""

    institution = models.ForeignKey(
        Institution, models.CASCADE, related_name="products", verbose_name=_("institution")
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    contract_type = models.CharField(
        _("contract type"), max_length=30, choices=ContractType.choices
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("financing product")
        verbose_name_plural = _("financing products")
        ordering = ["institution", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "code"],
                name="institutions_financingproduct_unique_code",
                violation_error_message=_("This institution already has a product with this code."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


#: Contract amounts that cannot be negative: a constraint each in the database, and checked
#: before writing by the bulk import (``partners.bulk``).
NON_NEGATIVE_CONTRACT_AMOUNTS: tuple[str, ...] = (
    "profit_amount",
    "sale_price",
    "client_quoted_price",
    "commodity_quantity",
    "expected_sale_price",
    "rent_amount",
    "security_deposit",
    "advance_rent",
    "service_fee",
    "declared_actual_cost",
    "client_capital",
)


class FinancingContract(TimeStampedModel):
    """One financing, of any contract type.

    One table holds every type: the common columns feed the portfolio computations (which must
    scan millions of rows in one SQL statement), and the type-specific columns are nullable and
    guarded by check constraints per type.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REPAID = "repaid", _("Fully repaid")
        WRITTEN_OFF = "written_off", _("Written off")

    class SalamUnit(models.TextChoices):
        KILOGRAM = "kg", _("kilogram")
        TONNE = "t", _("tonne")
        LITRE = "l", _("litre")
        UNIT = "unit", _("unit")

    institution = models.ForeignKey(
        Institution, models.CASCADE, related_name="contracts", verbose_name=_("institution")
    )
    branch = models.ForeignKey(
        Branch, models.PROTECT, related_name="contracts", verbose_name=_("branch")
    )
    client = models.ForeignKey(
        Client, models.PROTECT, related_name="contracts", verbose_name=_("client")
    )
    product = models.ForeignKey(
        FinancingProduct, models.PROTECT, related_name="contracts", verbose_name=_("product")
    )
    contract_type = models.CharField(
        _("contract type"), max_length=30, choices=ContractType.choices
    )
    external_id = models.CharField(
        _("contract number"), max_length=64, help_text=_("The institution's own contract number.")
    )
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.ACTIVE
    )
    contract_date = models.DateField(_("contract date"))
    disbursement_date = models.DateField(
        _("disbursement date"),
        help_text=_("Date the institution paid the supplier, the client or the capital."),
    )
    maturity_date = models.DateField(_("maturity date"))
    cycle_number = models.PositiveSmallIntegerField(
        _("financing cycle"), default=1, validators=[MinValueValidator(1)]
    )
    activity_sector = models.CharField(
        _("activity sector"), max_length=12, choices=Client.Sector.choices, blank=True
    )
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)

    # The institution's outlay: cost price (murabaha, istisna), salam price, leased-asset cost,
    # qard principal, or capital invested (musharaka, mudaraba, diminishing musharaka).
    financed_amount = models.DecimalField(_("financed amount (cost)"), **MONEY)
    profit_amount = models.DecimalField(
        _("profit amount"),
        default=ZERO,
        help_text=_("Markup, or the profit part of rentals; zero for qard hassan."),
        **MONEY,
    )
    annual_profit_rate = models.DecimalField(
        _("annual profit rate (%)"), null=True, blank=True, **PERCENT
    )

    # Murabaha and istisna.
    sale_price = models.DecimalField(
        _("sale price"), null=True, blank=True, help_text=_("Cost price plus markup."), **MONEY
    )
    asset_description = models.CharField(_("asset description"), max_length=200, blank=True)
    supplier_name = models.CharField(_("supplier"), max_length=200, blank=True)
    paid_directly_to_supplier = models.BooleanField(
        _("paid directly to the supplier"), null=True, blank=True
    )
    client_quoted_price = models.DecimalField(
        _("price quoted to the client"),
        null=True,
        blank=True,
        help_text=_("The spot price the client was offered alone (guide table 8, P0)."),
        **MONEY,
    )
    supplier_invoice_date = models.DateField(_("supplier invoice date"), null=True, blank=True)
    ownership_date = models.DateField(
        _("date the institution took possession"), null=True, blank=True
    )
    wakala_used = models.BooleanField(_("purchased through an agent (wakala)"), default=False)

    # Delivery: the asset's delivery to the client (murabaha, ijara), or the commodity's
    # contractual delivery to the institution (salam, istisna).
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    delivery_place = models.CharField(_("delivery place"), max_length=200, blank=True)

    # Salam.
    commodity = models.CharField(_("commodity"), max_length=120, blank=True)
    commodity_quantity = models.DecimalField(
        _("commodity quantity"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    commodity_unit = models.CharField(
        _("commodity unit"), max_length=5, choices=SalamUnit.choices, blank=True
    )
    price_paid_date = models.DateField(_("salam price paid on"), null=True, blank=True)
    expected_sale_price = models.DecimalField(
        _("expected sale price of the commodity"), null=True, blank=True, **MONEY
    )

    # Ijara.
    rent_amount = models.DecimalField(_("periodic rent"), null=True, blank=True, **MONEY)
    rent_start_date = models.DateField(_("rent start date"), null=True, blank=True)
    security_deposit = models.DecimalField(_("security deposit"), null=True, blank=True, **MONEY)
    advance_rent = models.DecimalField(_("advance rent"), null=True, blank=True, **MONEY)

    # Qard hassan.
    service_fee = models.DecimalField(_("service fee"), null=True, blank=True, **MONEY)
    declared_actual_cost = models.DecimalField(
        _("declared actual administrative cost"), null=True, blank=True, **MONEY
    )

    # Musharaka, mudaraba, diminishing musharaka.
    client_capital = models.DecimalField(_("client's capital"), null=True, blank=True, **MONEY)
    institution_profit_share = models.DecimalField(
        _("institution's profit share (%)"), null=True, blank=True, **PERCENT
    )
    client_profit_share = models.DecimalField(
        _("client's profit share (%)"), null=True, blank=True, **PERCENT
    )
    institution_loss_share = models.DecimalField(
        _("institution's loss share (%)"),
        null=True,
        blank=True,
        help_text=_("Must equal its share of the capital (guide table 2, musharaka item 20)."),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        **PERCENT,
    )
    expected_roi = models.DecimalField(
        _("expected annual return on investment (%)"),
        null=True,
        blank=True,
        help_text=_("From the appraisal; used for unrealised income (DECISIONS D8)."),
        **PERCENT,
    )
    buyout_units = models.PositiveIntegerField(
        _("buy-out units"),
        null=True,
        blank=True,
        help_text=_("Number of ownership units the client buys back (diminishing musharaka)."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("financing contract")
        verbose_name_plural = _("financing contracts")
        ordering = ["institution", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "external_id"],
                name="institutions_financingcontract_unique_number",
                violation_error_message=_(
                    "This institution already has a contract with this number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(disbursement_date__gte=F("contract_date")),
                name="institutions_financingcontract_disbursed_after_contract",
                violation_error_message=_(
                    "The disbursement date cannot be before the contract date."
                ),
            ),
            models.CheckConstraint(
                condition=Q(maturity_date__gte=F("disbursement_date")),
                name="institutions_financingcontract_matures_after_disbursement",
                violation_error_message=_(
                    "The maturity date cannot be before the disbursement date."
                ),
            ),
            models.CheckConstraint(
                condition=Q(financed_amount__gt=0),
                name="institutions_financingcontract_financed_amount_positive",
                violation_error_message=_("The financed amount must be greater than zero."),
            ),
            *[
                _non_negative(field, "institutions_financingcontract")
                for field in NON_NEGATIVE_CONTRACT_AMOUNTS
            ],
            models.CheckConstraint(
                condition=(
                    Q(institution_profit_share__isnull=True, client_profit_share__isnull=True)
                    | (
                        Q(
                            institution_profit_share__gte=0,
                            institution_profit_share__lte=100,
                            client_profit_share__gte=0,
                            client_profit_share__lte=100,
                        )
                        & Q(
                            institution_profit_share__gte=Decimal("100")
                            - F("client_profit_share")
                            - SHARE_TOLERANCE
                        )
                        & Q(
                            institution_profit_share__lte=Decimal("100")
                            - F("client_profit_share")
                            + SHARE_TOLERANCE
                        )
                    )
                ),
                name="institutions_financingcontract_profit_shares_sum_to_100",
                violation_error_message=_(
                    "Profit shares must each be between 0 and 100 and add up to 100."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(contract_type__in=sorted(t.value for t in SALE_BASED_TYPES))
                | Q(
                    sale_price__gte=F("financed_amount") + F("profit_amount") - MONEY_TOLERANCE,
                    sale_price__lte=F("financed_amount") + F("profit_amount") + MONEY_TOLERANCE,
                ),
                name="institutions_financingcontract_sale_price_is_cost_plus_markup",
                violation_error_message=_(
                    "For murabaha and istisna the sale price must equal the cost plus the markup."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(contract_type=ContractType.SALAM)
                | (Q(delivery_date__isnull=False) & ~Q(commodity="")),
                name="institutions_financingcontract_salam_has_commodity_and_delivery",
                violation_error_message=_("A salam needs a commodity and a delivery date."),
            ),
            models.CheckConstraint(
                condition=~Q(contract_type__in=sorted(t.value for t in EQUITY_TYPES))
                | Q(institution_profit_share__isnull=False),
                name="institutions_financingcontract_equity_has_profit_shares",
                violation_error_message=_(
                    "Musharaka, mudaraba and diminishing musharaka need profit-sharing ratios."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(contract_type=ContractType.QARD_HASSAN) | Q(profit_amount=0),
                name="institutions_financingcontract_qard_hassan_without_profit",
                violation_error_message=_("A qard hassan cannot carry a profit."),
            ),
        ]
        indexes = [
            models.Index(fields=["institution", "contract_type"], name="contract_inst_type_idx"),
            models.Index(fields=["institution", "branch"], name="contract_inst_branch_idx"),
            models.Index(fields=["client"], name="contract_client_idx"),
        ]

    def __str__(self) -> str:
        return self.external_id

    @property
    def total_repayable(self) -> Decimal:
        """What the client owes over the life of a debt-based financing (cost plus profit)."""
        return self.financed_amount + self.profit_amount


_SALE = ["profit_amount", "annual_profit_rate", "sale_price", "asset_description"]
_LEASE = [
    "profit_amount",
    "annual_profit_rate",
    "asset_description",
    "supplier_name",
    "ownership_date",
    "delivery_date",
    "rent_amount",
    "rent_start_date",
    "security_deposit",
    "advance_rent",
]
_PARTNERSHIP = [
    "client_capital",
    "institution_profit_share",
    "client_profit_share",
    "institution_loss_share",
    "expected_roi",
]

#: The type-specific columns of each contract type, in display order: the terms form of each
#: type (``forms_contracts``) and the contract page.
CONTRACT_TYPE_FIELDS: dict[str, list[str]] = {
    ContractType.MURABAHA: [
        *_SALE,
        "supplier_name",
        "paid_directly_to_supplier",
        "client_quoted_price",
        "supplier_invoice_date",
        "ownership_date",
        "wakala_used",
        "delivery_date",
        "delivery_place",
    ],
    ContractType.SALAM: [
        "profit_amount",
        "commodity",
        "commodity_quantity",
        "commodity_unit",
        "price_paid_date",
        "delivery_date",
        "delivery_place",
        "expected_sale_price",
    ],
    ContractType.ISTISNA: [*_SALE, "supplier_name", "delivery_date", "delivery_place"],
    ContractType.IJARA: _LEASE,
    ContractType.IJARA_MUNTAHIA_BITTAMLEEK: _LEASE,
    ContractType.QARD_HASSAN: ["service_fee", "declared_actual_cost"],
    ContractType.MUSHARAKA: [*_PARTNERSHIP, "profit_amount"],
    ContractType.MUDARABA: [*_PARTNERSHIP[1:], "profit_amount"],
    ContractType.DIMINISHING_MUSHARAKA: [
        *_PARTNERSHIP,
        "profit_amount",
        "rent_amount",
        "buyout_units",
    ],
}

#: The type-specific terms of a financing, in display order (each is empty on the contract
#: types it does not apply to): what the contract page lists and the demo generates. The
#: profit amount, which most types have, is shown with the common columns instead.
CONTRACT_TERM_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(
        name for names in CONTRACT_TYPE_FIELDS.values() for name in names if name != "profit_amount"
    )
)


class Instalment(models.Model):
    """One scheduled instalment of a financing, with what has been paid against it.

    For a salam the single instalment is the commodity delivery due on the delivery date; for
    a diminishing musharaka each instalment is a buy-out unit (principal) plus rent (profit).

    ``principal_paid``, ``profit_paid`` and ``paid_date`` (the day the instalment became fully
    settled) are maintained by the repayment services from ``Repayment`` rows. Instalments are
    high-volume (about 12 per contract): they are written in bulk, kept physically ordered by
    contract (see spec/perf-calibration.md §2.4), and carry no per-row history table.
    """

    contract = models.ForeignKey(
        FinancingContract,
        models.CASCADE,
        related_name="instalments",
        verbose_name=_("contract"),
        db_index=False,  # instalment_covering_idx leads with it
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    due_date = models.DateField(_("due date"))
    principal_due = models.DecimalField(_("principal due"), **MONEY)
    profit_due = models.DecimalField(_("profit due"), default=ZERO, **MONEY)
    principal_paid = models.DecimalField(_("principal paid"), default=ZERO, **MONEY)
    profit_paid = models.DecimalField(_("profit paid"), default=ZERO, **MONEY)
    paid_date = models.DateField(_("fully paid on"), null=True, blank=True)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "number"],
                name="institutions_instalment_unique_number",
                violation_error_message=_(
                    "This contract already has an instalment with this number."
                ),
            ),
            *[
                _non_negative(field, "institutions_instalment")
                for field in ("principal_due", "profit_due", "principal_paid", "profit_paid")
            ],
            models.CheckConstraint(
                condition=Q(
                    principal_paid__lte=F("principal_due"), profit_paid__lte=F("profit_due")
                ),
                name="institutions_instalment_not_overpaid",
                violation_error_message=_("An instalment cannot be paid beyond what is due."),
            ),
        ]
        indexes = [
            # What the portfolio computation reads of an instalment, so that it reads the index
            # alone (an index-only scan, bench/README.md). The paid amounts are not in it: a
            # partial payment stays a HOT update; only the one that settles the instalment
            # (``paid_date``) writes a new index entry.
            models.Index(
                fields=["contract", "due_date"],
                include=["paid_date", "principal_due", "profit_due"],
                name="instalment_covering_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} #{self.number}"


#: An instalment's columns, in the order every listing shows them (the admin, the API, the
#: bulk write).
INSTALMENT_COLUMNS: tuple[str, ...] = (
    "number",
    "due_date",
    "principal_due",
    "profit_due",
    "principal_paid",
    "profit_paid",
    "paid_date",
)


def repayment_date_problem(
    value_date: datetime.date, disbursement_date: datetime.date | None
) -> tuple[str, str] | None:
    """Why a repayment cannot carry this value date (code, message), or ``None``: money is
    not received before it was disbursed, nor in the future. (A repayment dated before the
    disbursement would also settle instalments of quarters already closed.)"""
    if disbursement_date is not None and value_date < disbursement_date:
        return "before_disbursement", str(
            _("A repayment cannot be dated before the disbursement ({date}).")
        ).format(date=disbursement_date.isoformat())
    if value_date > timezone.localdate():
        return "future_date", str(_("A repayment cannot be dated in the future."))
    return None


class Repayment(models.Model):
    """A payment received on a financing, at its value date. Corrections are new rows."""

    contract = models.ForeignKey(
        FinancingContract,
        models.CASCADE,
        related_name="repayments",
        verbose_name=_("contract"),
        db_index=False,  # repayment_covering_idx leads with it
    )
    instalment = models.ForeignKey(
        Instalment,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="repayments",
        verbose_name=_("instalment"),
    )
    external_id = models.CharField(_("payment reference"), max_length=64, blank=True)
    value_date = models.DateField(_("value date"))
    principal_amount = models.DecimalField(_("principal repaid"), default=ZERO, **MONEY)
    profit_amount = models.DecimalField(_("profit repaid"), default=ZERO, **MONEY)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")
        ordering = ["contract", "value_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "external_id"],
                condition=~Q(external_id=""),
                name="institutions_repayment_unique_reference",
                violation_error_message=_("This payment reference is already recorded."),
            ),
            _non_negative("principal_amount", "institutions_repayment"),
            _non_negative("profit_amount", "institutions_repayment"),
            models.CheckConstraint(
                condition=Q(principal_amount__gt=0) | Q(profit_amount__gt=0),
                name="institutions_repayment_not_empty",
                violation_error_message=_("A repayment must have an amount."),
            ),
        ]
        indexes = [
            # The portfolio computation's per-contract sums by value date, from the index alone.
            models.Index(
                fields=["contract", "value_date"],
                include=["principal_amount", "profit_amount"],
                name="repayment_covering_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.value_date}"

    def clean(self) -> None:
        super().clean()
        if self.value_date is None or self.contract_id is None:
            return
        problem = repayment_date_problem(self.value_date, self.contract.disbursement_date)
        if problem is not None:
            code, message = problem
            raise ValidationError({"value_date": ValidationError(message, code=code)})


class Restructuring(TimeStampedModel):
    """A rescheduling of a financing. An Islamic rescheduling may extend the term but never raise
    what the client owes (DECISIONS D9): the database refuses it."""

    contract = models.ForeignKey(
        FinancingContract,
        models.CASCADE,
        related_name="restructurings",
        verbose_name=_("contract"),
    )
    external_id = models.CharField(_("rescheduling reference"), max_length=64, blank=True)
    date = models.DateField(_("date"))
    amount_owed_before = models.DecimalField(_("amount owed before"), **MONEY)
    amount_owed_after = models.DecimalField(_("amount owed after"), **MONEY)
    maturity_before = models.DateField(_("maturity before"))
    maturity_after = models.DateField(_("maturity after"))
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.CharField(_("decided by"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("restructuring")
        verbose_name_plural = _("restructurings")
        ordering = ["contract", "date"]
        constraints = [
            _non_negative("amount_owed_after", "institutions_restructuring"),
            models.CheckConstraint(
                condition=Q(amount_owed_after__lte=F("amount_owed_before")),
                name="institutions_restructuring_does_not_raise_debt",
                violation_error_message=_(
                    "A rescheduling cannot increase the amount owed or add profit."
                ),
            ),
            models.UniqueConstraint(
                fields=["contract", "external_id"],
                condition=~Q(external_id=""),
                name="institutions_restructuring_unique_reference",
                violation_error_message=_(
                    "This contract already has a rescheduling with this reference."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.date}"


class WriteOff(TimeStampedModel):
    """The write-off of a financing (DECISIONS D10). A financing is written off at most once."""

    contract = models.OneToOneField(
        FinancingContract,
        models.CASCADE,
        related_name="write_off",
        verbose_name=_("contract"),
    )
    date = models.DateField(_("date"))
    principal_amount = models.DecimalField(_("principal written off"), **MONEY)
    profit_amount = models.DecimalField(_("profit written off"), default=ZERO, **MONEY)
    reason = models.TextField(_("reason"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("write-off")
        verbose_name_plural = _("write-offs")
        constraints = [
            _non_negative("principal_amount", "institutions_writeoff"),
            _non_negative("profit_amount", "institutions_writeoff"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.date}"


class LatePaymentCharge(TimeStampedModel):
    """A late-payment amount (gharamat) charged to a client. It is never income: it goes to the
    charity (purification) ledger (DECISIONS D11)."""

    contract = models.ForeignKey(
        FinancingContract,
        models.CASCADE,
        related_name="late_payment_charges",
        verbose_name=_("contract"),
    )
    date = models.DateField(_("date charged"))
    amount = models.DecimalField(_("amount"), **MONEY)
    collected_on = models.DateField(_("collected on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("late-payment charge")
        verbose_name_plural = _("late-payment charges")
        ordering = ["contract", "date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="institutions_latepaymentcharge_amount_positive",
                violation_error_message=_("A late-payment charge must be greater than zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.date} {self.amount}"


# --------------------------------------------------------------------------------------------
# Quarterly return: statements, staffing, portfolio summary
# --------------------------------------------------------------------------------------------


#: The income-statement lines of ``FinancialStatement`` (the quarter's flows), in statement
#: order; the late-payment memo line is not income (D11) and is not among them.
INCOME_FIELDS: tuple[str, ...] = (
    "financing_income",
    "other_operating_income",
    "non_operating_income",
    "donations",
)
INCOME_STATEMENT_FIELDS: tuple[str, ...] = (
    *INCOME_FIELDS,
    "funding_expense_deposits",
    "funding_expense_third_party",
    "mudaraba_profit_distributed",
    "provision_expense",
    "personnel_expense",
    "administrative_expense",
    "ijara_depreciation",
    "taxes",
)


class FinancialStatement(TimeStampedModel):
    """The balance sheet at the end of a quarter and the income statement for that quarter.

    Lines follow the data the 15 ratios need (guide-part4 §7.1–7.2), with Islamic funding split
    into deposits, third-party financing and mudaraba funds (DECISIONS D14). Unrestricted mudaraba
    funds (investment accounts) sit between liabilities and equity; restricted mudaraba is off
    balance sheet. Income-statement amounts cover the quarter only, not the year to date.

    Total assets = cash and bank + short-term investments + gross financing portfolio −
    impairment allowance + other assets. The gross financing portfolio is already the
    unrecovered cost of every financing, ijara included and net of deferred profit (D5), so
    ``deferred_profit`` and ``ijara_assets_net`` are disclosure (memo) lines, not added again.
    """

    period = models.OneToOneField(
        ReportingPeriod,
        models.CASCADE,
        related_name="financial_statement",
        verbose_name=_("reporting period"),
    )
    # Balance sheet (end of quarter).
    cash_and_bank = models.DecimalField(_("cash and bank deposits"), default=ZERO, **MONEY)
    short_term_investments = models.DecimalField(
        _("short-term investments (under 3 months)"), default=ZERO, **MONEY
    )
    gross_financing_portfolio = models.DecimalField(
        _("gross financing portfolio"), default=ZERO, **MONEY
    )
    deferred_profit = models.DecimalField(_("deferred (unearned) profit"), default=ZERO, **MONEY)
    ijara_assets_net = models.DecimalField(
        _("ijara assets, net of depreciation"), default=ZERO, **MONEY
    )
    impairment_allowance = models.DecimalField(_("impairment allowance"), default=ZERO, **MONEY)
    other_assets = models.DecimalField(_("other assets"), default=ZERO, **MONEY)
    total_assets = models.DecimalField(_("total assets"), default=ZERO, **MONEY)
    deposits = models.DecimalField(_("deposits (amanah / qard accounts)"), default=ZERO, **MONEY)
    third_party_financing = models.DecimalField(
        _("financing from other parties"), default=ZERO, **MONEY
    )
    third_party_financing_short_term = models.DecimalField(
        _("of which short-term (under 3 months)"), default=ZERO, **MONEY
    )
    other_liabilities = models.DecimalField(_("other liabilities"), default=ZERO, **MONEY)
    current_liabilities = models.DecimalField(_("current liabilities"), default=ZERO, **MONEY)
    total_liabilities = models.DecimalField(_("total liabilities"), default=ZERO, **MONEY)
    mudaraba_funds = models.DecimalField(
        _("mudaraba funds (unrestricted investment accounts)"), default=ZERO, **MONEY
    )
    mudaraba_funds_short_term = models.DecimalField(
        _("of which short-term mudaraba funds"), default=ZERO, **MONEY
    )
    restricted_mudaraba_funds = models.DecimalField(
        _("restricted mudaraba funds (off balance sheet)"), default=ZERO, **MONEY
    )
    total_equity = models.DecimalField(_("total equity"), default=ZERO, **MONEY)
    donated_equity = models.DecimalField(_("of which donated equity"), default=ZERO, **MONEY)
    # Income statement (the quarter's flows).
    financing_income = models.DecimalField(
        _("income from the financing portfolio"), default=ZERO, **MONEY
    )
    other_operating_income = models.DecimalField(_("other operating income"), default=ZERO, **MONEY)
    non_operating_income = models.DecimalField(_("non-operating income"), default=ZERO, **MONEY)
    donations = models.DecimalField(_("donations and grants received"), default=ZERO, **MONEY)
    funding_expense_deposits = models.DecimalField(
        _("funding expense on deposits"), default=ZERO, **MONEY
    )
    funding_expense_third_party = models.DecimalField(
        _("funding expense on financing from other parties"), default=ZERO, **MONEY
    )
    mudaraba_profit_distributed = models.DecimalField(
        _("profit distributed to mudaraba fund holders"), default=ZERO, **MONEY
    )
    provision_expense = models.DecimalField(
        _("provision (impairment) expense"), default=ZERO, **MONEY
    )
    personnel_expense = models.DecimalField(_("personnel expense"), default=ZERO, **MONEY)
    administrative_expense = models.DecimalField(
        _("other administrative expense"),
        default=ZERO,
        help_text=_("Including depreciation of the institution's own fixed assets."),
        **MONEY,
    )
    ijara_depreciation = models.DecimalField(
        _("depreciation of ijara assets"),
        default=ZERO,
        help_text=_("Deducted from ijara income (DECISIONS D12)."),
        **MONEY,
    )
    taxes = models.DecimalField(_("taxes"), default=ZERO, **MONEY)
    late_payment_collected = models.DecimalField(
        _("late-payment amounts collected (memo, not income)"), default=ZERO, **MONEY
    )
    history = HistoricalRecords()

    BALANCE_TOLERANCE = Decimal("1.00")

    class Meta:
        verbose_name = _("financial statement")
        verbose_name_plural = _("financial statements")
        constraints = [
            *[
                _non_negative(field, "institutions_financialstatement")
                for field in (
                    "cash_and_bank",
                    "short_term_investments",
                    "gross_financing_portfolio",
                    "deferred_profit",
                    "ijara_assets_net",
                    "impairment_allowance",
                    "other_assets",
                    "total_assets",
                    "deposits",
                    "third_party_financing",
                    "third_party_financing_short_term",
                    "other_liabilities",
                    "current_liabilities",
                    "total_liabilities",
                    "mudaraba_funds",
                    "mudaraba_funds_short_term",
                    "restricted_mudaraba_funds",
                    "donated_equity",
                    # Non-operating income may be a loss.
                    *(f for f in INCOME_STATEMENT_FIELDS if f != "non_operating_income"),
                    "late_payment_collected",
                )
            ],
            models.CheckConstraint(
                condition=Q(third_party_financing_short_term__lte=F("third_party_financing")),
                name="institutions_financialstatement_short_term_financing_within_total",
                violation_error_message=_(
                    "Short-term financing from other parties cannot exceed the total."
                ),
            ),
            models.CheckConstraint(
                condition=Q(mudaraba_funds_short_term__lte=F("mudaraba_funds")),
                name="institutions_financialstatement_short_term_mudaraba_within_total",
                violation_error_message=_("Short-term mudaraba funds cannot exceed the total."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.period)

    @property
    def liabilities_and_equity(self) -> Decimal:
        return self.total_liabilities + self.mudaraba_funds + self.total_equity

    @property
    def operating_expense(self) -> Decimal:
        return self.personnel_expense + self.administrative_expense

    @property
    def financial_expense(self) -> Decimal:
        return (
            self.funding_expense_deposits
            + self.funding_expense_third_party
            + self.mudaraba_profit_distributed
        )

    @property
    def net_income(self) -> Decimal:
        """Net income after tax, donations included (guide-part4 IS50)."""
        return (
            self.financing_income
            + self.other_operating_income
            + self.non_operating_income
            + self.donations
            - self.ijara_depreciation
            - self.financial_expense
            - self.provision_expense
            - self.operating_expense
            - self.taxes
        )

    @property
    def net_income_before_donations(self) -> Decimal:
        """Net income after tax and before donations (DECISIONS D13)."""
        return self.net_income - self.donations


class StaffingSnapshot(TimeStampedModel):
    """Headcount at the end of a quarter (DECISIONS D16)."""

    period = models.OneToOneField(
        ReportingPeriod,
        models.CASCADE,
        related_name="staffing",
        verbose_name=_("reporting period"),
    )
    total_staff = models.PositiveIntegerField(_("total staff"))
    financing_officers = models.PositiveIntegerField(_("financing officers"))
    women_staff = models.PositiveIntegerField(_("women staff"), null=True, blank=True)
    staff_departures = models.PositiveIntegerField(
        _("staff who left during the quarter"), default=0
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("staffing snapshot")
        verbose_name_plural = _("staffing snapshots")
        constraints = [
            models.CheckConstraint(
                condition=Q(financing_officers__lte=F("total_staff")),
                name="institutions_staffingsnapshot_officers_within_staff",
                violation_error_message=_("Financing officers cannot outnumber the total staff."),
            ),
            models.CheckConstraint(
                condition=Q(women_staff__isnull=True) | Q(women_staff__lte=F("total_staff")),
                name="institutions_staffingsnapshot_women_within_staff",
                violation_error_message=_("Women staff cannot outnumber the total staff."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.period)


class PortfolioSummaryLine(TimeStampedModel):
    """The quarterly return's portfolio report for one contract type (guide-part4 §7.3).

    Institutions without loan-level data report these totals; where contracts exist the
    indicator engine computes the same figures and compares them. ``par_n`` is the whole
    outstanding of this type's financings more than n days late (at least one day for
    ``par_1``), for equity-based types too (their scheduled returns of capital).
    """

    period = models.ForeignKey(
        ReportingPeriod,
        models.CASCADE,
        related_name="portfolio_summary",
        verbose_name=_("reporting period"),
    )
    contract_type = models.CharField(
        _("contract type"), max_length=30, choices=ContractType.choices
    )
    outstanding = models.DecimalField(_("outstanding balance"), **MONEY)
    gross_receivable = models.DecimalField(
        _("gross receivable (including deferred profit)"), null=True, blank=True, **MONEY
    )
    number_of_financings = models.PositiveIntegerField(_("active financings"))
    active_clients = models.PositiveIntegerField(_("active clients"))
    par_1 = models.DecimalField(_("outstanding more than 1 day late"), default=ZERO, **MONEY)
    par_30 = models.DecimalField(_("outstanding more than 30 days late"), default=ZERO, **MONEY)
    par_60 = models.DecimalField(_("outstanding more than 60 days late"), default=ZERO, **MONEY)
    par_90 = models.DecimalField(_("outstanding more than 90 days late"), default=ZERO, **MONEY)
    par_180 = models.DecimalField(_("outstanding more than 180 days late"), default=ZERO, **MONEY)
    restructured_outstanding = models.DecimalField(
        _("restructured outstanding"), default=ZERO, **MONEY
    )
    restructured_in_arrears = models.DecimalField(
        _("restructured and in arrears"), default=ZERO, **MONEY
    )
    written_off = models.DecimalField(_("written off in the quarter"), default=ZERO, **MONEY)
    disbursed_amount = models.DecimalField(_("disbursed in the quarter"), default=ZERO, **MONEY)
    number_disbursed = models.PositiveIntegerField(
        _("financings disbursed in the quarter"), default=0
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("portfolio summary line")
        verbose_name_plural = _("portfolio summary lines")
        ordering = ["period", "contract_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "contract_type"],
                name="institutions_portfoliosummaryline_unique_type",
                violation_error_message=_(
                    "This quarter already has a line for this contract type."
                ),
            ),
            *[
                _non_negative(field, "institutions_portfoliosummaryline")
                for field in (
                    "outstanding",
                    "gross_receivable",
                    "par_180",
                    "restructured_in_arrears",
                    "written_off",
                    "disbursed_amount",
                )
            ],
            models.CheckConstraint(
                condition=Q(
                    par_1__lte=F("outstanding"),
                    par_30__lte=F("par_1"),
                    par_60__lte=F("par_30"),
                    par_90__lte=F("par_60"),
                    par_180__lte=F("par_90"),
                ),
                name="institutions_portfoliosummaryline_par_bands_nested",
                violation_error_message=_(
                    "Late portfolio must shrink as lateness grows: outstanding ≥ PAR1 ≥ PAR30 ≥ "
                    "PAR60 ≥ PAR90 ≥ PAR180."
                ),
            ),
            models.CheckConstraint(
                condition=Q(
                    restructured_in_arrears__lte=F("restructured_outstanding"),
                    restructured_outstanding__lte=F("outstanding"),
                ),
                name="institutions_portfoliosummaryline_restructured_within_outstanding",
                violation_error_message=_(
                    "Restructured amounts cannot exceed the outstanding balance."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.contract_type}"


# --------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------


class ReferenceData(TimeStampedModel):
    """Country-year reference values used by indicators and impact formulas (DECISIONS D22–D23).

    Versioned: a correction is a new version, the old one stays so past results can be
    reproduced; selectors use the highest version unless told otherwise.
    """

    country = CountryField(_("country"))
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    currency = models.CharField(_("currency"), max_length=3)
    exchange_rate_per_usd = models.DecimalField(
        _("exchange rate (local currency per USD)"), max_digits=18, decimal_places=6
    )
    gni_per_capita_usd = models.DecimalField(_("GNI per capita (USD)"), **MONEY)
    gdp_per_capita_usd = models.DecimalField(_("GDP per capita (USD)"), **MONEY)
    poverty_line_usd_per_day = models.DecimalField(
        _("poverty line (USD per person per day)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("2.50"),
    )
    market_interest_rate = models.DecimalField(
        _("market interest rate of conventional microloans (% per year)"), **PERCENT
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("reference data")
        verbose_name_plural = _("reference data")
        ordering = ["country", "-year", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "year", "version"],
                name="institutions_referencedata_unique_version",
                violation_error_message=_("This country and year already have this version."),
            ),
            models.CheckConstraint(
                condition=Q(
                    exchange_rate_per_usd__gt=0,
                    gni_per_capita_usd__gt=0,
                    gdp_per_capita_usd__gt=0,
                    poverty_line_usd_per_day__gt=0,
                    market_interest_rate__gte=0,
                ),
                name="institutions_referencedata_values_positive",
                violation_error_message=_("Reference values must be positive."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.year} v{self.version}"

    @property
    def poverty_line_local_per_day(self) -> Decimal:
        return self.poverty_line_usd_per_day * self.exchange_rate_per_usd
