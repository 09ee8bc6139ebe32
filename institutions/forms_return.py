"""Forms of the quarterly return: one per section, grouped as the guide's data needs
(guide-part4 §7), with numbers read and shown in the user's locale.

Moroccan usage for French and Arabic (``mfme/formats``): comma decimal, (narrow no-break) space
thousands, Western digits; English: point decimal, comma thousands. Input is forgiving where it
cannot be ambiguous: any kind of space groups thousands, Eastern Arabic digits and the Arabic
decimal and thousands signs are read as their Western equivalents, and in French or Arabic a
single point with no comma is read as a decimal point (a numeric keypad's key). Values are
``Decimal`` rounded nowhere: more than two decimals is an error, never silently cut.

The forms validate the shape of each value (a number, not negative, at most two decimals) and
the few cross-field rules whose message belongs next to a field; the services stay the truth and
their ``ValidationError`` is mapped back onto the form by ``apply_service_errors``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Model
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from .models import (
    INCOME_FIELDS,
    INCOME_STATEMENT_FIELDS,
    ContractType,
    FinancialStatement,
    PortfolioSummaryLine,
    ReturnSection,
    StaffingSnapshot,
)

# --- Locale numbers ---------------------------------------------------------------------------

#: Characters that group thousands in any locale we serve: space, no-break space, narrow
#: no-break space, thin space, and the Arabic thousands separator.
SPACES = " \u00a0\u202f\u2009\u066c"
_EASTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+$")


def number_separators(language: str | None = None) -> tuple[str, str]:
    """(decimal separator, thousands separator) of the active (or named) language."""
    language = language or get_language() or "en"
    return (
        formats.get_format("DECIMAL_SEPARATOR", lang=language),
        formats.get_format("THOUSAND_SEPARATOR", lang=language),
    )


def parse_locale_number(text: str, language: str | None = None) -> Decimal | None:
    """The ``Decimal`` written in ``text`` by a user of ``language``; ``None`` when blank.

    Raises ``ValueError`` when the text is not a number in that locale (letters, two decimal
    separators, thousands groups that are not three digits long).
    """
    decimal_separator, _group = number_separators(language)
    value = (text or "").strip().translate(_EASTERN_DIGITS)
    if not value:
        return None
    value = value.replace("\u066b", decimal_separator).replace("\u2212", "-")
    negative = value.startswith("-")
    if negative or value.startswith("+"):
        value = value[1:].lstrip(SPACES)
    # Groups separated by spaces must be three digits long (except the first).
    for space in SPACES:
        value = value.replace(space, " ")
    integer_and_decimals = value
    if decimal_separator == ",":
        if "," in value:
            # A point beside a comma groups thousands ("1.234.567,89").
            value = value.replace(".", " ")
        elif value.count(".") == 1:
            # A lone point is a keypad's decimal point ("1234.5").
            value = value.replace(".", ",")
        else:
            value = value.replace(".", " ")
        integer_part, _sep, decimals = value.partition(",")
    else:
        integer_part, _sep, decimals = value.partition(".")
        if "," in integer_part:
            if not _GROUPED.match(integer_part.replace(" ", "")):
                raise ValueError(integer_and_decimals)
            integer_part = integer_part.replace(",", " ")
    if " " in integer_part:
        groups = integer_part.split(" ")
        if not (1 <= len(groups[0]) <= 3 and all(len(group) == 3 for group in groups[1:])):
            raise ValueError(integer_and_decimals)
        integer_part = "".join(groups)
    if not integer_part and not decimals:
        raise ValueError(integer_and_decimals)
    if not re.fullmatch(r"\d*", integer_part) or not re.fullmatch(r"\d*", decimals):
        raise ValueError(integer_and_decimals)
    if _sep and not decimals:
        decimals = "0"
    try:
        number = Decimal(f"{integer_part or '0'}.{decimals or '0'}")
    except InvalidOperation as error:  # pragma: no cover - the patterns above exclude it
        raise ValueError(integer_and_decimals) from error
    return -number if negative else number


def format_locale_number(value: Any, *, decimal_places: int = 2) -> str:
    """``value`` as the active locale writes it, grouped, with ``decimal_places`` decimals."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    return formats.number_format(Decimal(value), decimal_places, use_l10n=True, force_grouping=True)


_CANONICAL = re.compile(r"-?\d+(?:\.\d+)?")


def draft_normalized(data: Mapping[str, Any]) -> dict[str, str]:
    """What was typed into a section, every number rewritten language-neutral ("1234.5"), so
    that a colleague working in another language reads it their way (a French "1 234,5" read
    as English would be refused). Text that is not a number in the writer's language stays as
    typed, to be shown and corrected."""
    normalized: dict[str, str] = {}
    for key, value in data.items():
        text = "" if value is None else str(value)
        try:
            number = parse_locale_number(text)
        except ValueError:
            normalized[key] = text
            continue
        normalized[key] = "" if number is None else format(number.normalize(), "f")
    return normalized


def draft_initial(data: Mapping[str, Any]) -> dict[str, Any]:
    """A draft's values as a form's initial data: the numbers ``draft_normalized`` stored
    become ``Decimal``s again, shown the reader's way."""
    return {
        key: Decimal(value) if isinstance(value, str) and _CANONICAL.fullmatch(value) else value
        for key, value in data.items()
    }


class LocaleNumberInput(forms.TextInput):
    """A text box for a number (``inputmode`` brings up the numeric keyboard on a tablet)."""

    def __init__(self, attrs: dict[str, Any] | None = None, *, decimal_places: int = 2) -> None:
        base = {
            "inputmode": "decimal" if decimal_places else "numeric",
            "autocomplete": "off",
            "class": "number-input",
            "spellcheck": "false",
            "dir": "ltr",
        }
        super().__init__({**base, **(attrs or {})})


class LocaleDecimalField(forms.Field):
    """A number written the user's way, cleaned to a ``Decimal`` with at most ``decimal_places``
    decimals (0 for a count, cleaned to ``int``)."""

    default_error_messages = {
        "invalid": _("Enter a number, for example {example}."),
        "min_value": _("This cannot be negative."),
        "max_decimal_places": _("Use at most {places} decimals."),
        "whole": _("Enter a whole number."),
        "too_large": _("This number is too large."),
    }

    def __init__(
        self,
        *,
        decimal_places: int = 2,
        allow_negative: bool = False,
        max_digits: int = 18,
        **kwargs: Any,
    ) -> None:
        self.decimal_places = decimal_places
        self.allow_negative = allow_negative
        self.max_digits = max_digits
        kwargs.setdefault("widget", LocaleNumberInput(decimal_places=decimal_places))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            return format_locale_number(value, decimal_places=self.decimal_places)
        return value

    def to_python(self, value: Any) -> Decimal | int | None:
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            number: Decimal | None = Decimal(value)
        else:
            try:
                number = parse_locale_number(str(value or ""))
            except ValueError as error:
                example = format_locale_number(
                    Decimal("1234567.89") if self.decimal_places else Decimal(1234),
                    decimal_places=self.decimal_places,
                )
                raise ValidationError(
                    str(self.error_messages["invalid"]).format(example=example), code="invalid"
                ) from error
        if number is None:
            return None
        if not self.allow_negative and number < 0:
            raise ValidationError(self.error_messages["min_value"], code="min_value")
        exponent = number.normalize().as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if places > self.decimal_places:
            if not self.decimal_places:
                raise ValidationError(self.error_messages["whole"], code="whole")
            raise ValidationError(
                str(self.error_messages["max_decimal_places"]).format(places=self.decimal_places),
                code="max_decimal_places",
            )
        quantized = number.quantize(Decimal(1).scaleb(-self.decimal_places))
        if len(quantized.as_tuple().digits) > self.max_digits:
            raise ValidationError(self.error_messages["too_large"], code="too_large")
        return int(quantized) if not self.decimal_places else quantized


# --- Section layouts --------------------------------------------------------------------------


@dataclass(frozen=True)
class Total:
    """A figure computed from others as the user types (and by the server for the stored
    totals): ``terms`` are field names or other totals' names, each with a sign."""

    name: str
    label: Any
    terms: tuple[tuple[int, str], ...]
    decimal_places: int = 2
    #: Shown as the balance check: zero when the balance sheet balances.
    balance_check: bool = False

    @property
    def formula(self) -> str:
        return " ".join(f"{'+' if sign > 0 else '-'}{name}" for sign, name in self.terms)


@dataclass(frozen=True)
class Group:
    """A fieldset of a section: a titled list of fields and the totals shown under them."""

    title: Any
    fields: tuple[str, ...]
    totals: tuple[Total, ...] = ()
    help: Any = ""


def _plus(*names: str) -> tuple[tuple[int, str], ...]:
    return tuple((1, name) for name in names)


ASSETS = ("cash_and_bank", "short_term_investments", "gross_financing_portfolio", "other_assets")
LIABILITIES = ("deposits", "third_party_financing", "other_liabilities")

TOTAL_ASSETS = Total(
    "total_assets",
    _("Total assets"),
    (*_plus(*ASSETS[:3]), (-1, "impairment_allowance"), (1, "other_assets")),
)
TOTAL_LIABILITIES = Total("total_liabilities", _("Total liabilities"), _plus(*LIABILITIES))
LIABILITIES_AND_EQUITY = Total(
    "liabilities_and_equity",
    _("Liabilities, mudaraba funds and equity"),
    _plus("total_liabilities", "mudaraba_funds", "total_equity"),
)
BALANCE_DIFFERENCE = Total(
    "balance_difference",
    _("Difference (assets − liabilities, mudaraba funds and equity)"),
    ((1, "total_assets"), (-1, "liabilities_and_equity")),
    balance_check=True,
)

BALANCE_SHEET_GROUPS = (
    Group(
        _("Assets"),
        (
            "cash_and_bank",
            "short_term_investments",
            "gross_financing_portfolio",
            "impairment_allowance",
            "other_assets",
        ),
        (TOTAL_ASSETS,),
        _(
            "Total assets = cash + short-term investments + gross financing portfolio "
            "− impairment allowance + other assets."
        ),
    ),
    Group(
        _("Memo lines of the portfolio (not added to the total)"),
        ("deferred_profit", "ijara_assets_net"),
        (),
        _(
            "The gross portfolio is already the unrecovered cost of every financing, net of "
            "deferred profit and including ijara assets."
        ),
    ),
    Group(
        _("Liabilities"),
        (
            "deposits",
            "third_party_financing",
            "third_party_financing_short_term",
            "other_liabilities",
            "current_liabilities",
        ),
        (TOTAL_LIABILITIES,),
        _(
            "Total liabilities = deposits + financing from other parties + other liabilities; "
            "“of which” and current liabilities are parts of these, not added again."
        ),
    ),
    Group(
        _("Mudaraba funds and equity"),
        (
            "mudaraba_funds",
            "mudaraba_funds_short_term",
            "restricted_mudaraba_funds",
            "total_equity",
            "donated_equity",
        ),
        (),
        _("Restricted mudaraba funds are off balance sheet and are not added."),
    ),
    Group(
        _("Balance"),
        (),
        (
            # The assets total again, beside the other side of the balance sheet.
            Total("balance_total_assets", _("Total assets"), ((1, "total_assets"),)),
            LIABILITIES_AND_EQUITY,
            BALANCE_DIFFERENCE,
        ),
    ),
)

INCOME = INCOME_FIELDS
#: Funding expenses (3), provisions and operating expenses (3), ijara depreciation, taxes.
EXPENSES = tuple(name for name in INCOME_STATEMENT_FIELDS if name not in INCOME_FIELDS)
TOTAL_INCOME = Total("total_income", _("Total income"), _plus(*INCOME))
TOTAL_EXPENSES = Total("total_expenses", _("Total expenses"), _plus(*EXPENSES))
NET_INCOME = Total("net_income", _("Net income"), ((1, "total_income"), (-1, "total_expenses")))
NET_INCOME_BEFORE_DONATIONS = Total(
    "net_income_before_donations",
    _("Net income before donations"),
    ((1, "net_income"), (-1, "donations")),
)

INCOME_STATEMENT_GROUPS = (
    Group(_("Income of the quarter"), INCOME, (TOTAL_INCOME,)),
    Group(
        _("Financial expenses"),
        ("ijara_depreciation", *EXPENSES[:3]),
        (),
        _("Funding expenses by source, and the depreciation deducted from ijara income."),
    ),
    Group(_("Provisions and operating expenses"), EXPENSES[3:6]),
    Group(_("Taxes"), ("taxes",), (TOTAL_EXPENSES, NET_INCOME, NET_INCOME_BEFORE_DONATIONS)),
    Group(
        _("Memo (not income)"),
        ("late_payment_collected",),
        (),
        _("Late-payment amounts go to charity: they are never income (DECISIONS D11)."),
    ),
)

STAFFING_GROUPS = (
    Group(
        _("Staff at the end of the quarter"),
        ("total_staff", "financing_officers", "women_staff"),
        (
            Total(
                "other_staff",
                _("Staff other than financing officers"),
                ((1, "total_staff"), (-1, "financing_officers")),
                decimal_places=0,
            ),
            Total(
                "men_staff",
                _("Men staff"),
                ((1, "total_staff"), (-1, "women_staff")),
                decimal_places=0,
            ),
        ),
    ),
    Group(_("Turnover"), ("staff_departures",)),
)

PORTFOLIO_FIELDS = (
    "outstanding",
    "gross_receivable",
    "number_of_financings",
    "active_clients",
    "par_1",
    "par_30",
    "par_60",
    "par_90",
    "par_180",
    "restructured_outstanding",
    "restructured_in_arrears",
    "written_off",
    "disbursed_amount",
    "number_disbursed",
)
PORTFOLIO_COUNTS = {"number_of_financings", "active_clients", "number_disbursed"}
PORTFOLIO_REQUIRED = ("outstanding", "number_of_financings", "active_clients")


# --- Forms --------------------------------------------------------------------------------------


def _model_field(model: type[Model], name: str) -> Any:
    return model._meta.get_field(name)


class SectionForm(forms.Form):
    """A section of the return built from a model's fields: labels and help from the model
    (translated), numbers in the user's locale."""

    model: type[Model]
    field_names: tuple[str, ...] = ()
    counts: frozenset[str] = frozenset()
    negative_allowed: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.field_names:
            model_field = _model_field(self.model, name)
            self.fields[name] = LocaleDecimalField(
                label=capfirst(model_field.verbose_name),
                help_text=model_field.help_text,
                decimal_places=0 if name in self.counts else 2,
                allow_negative=name in self.negative_allowed,
                required=False,
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name in self.field_names:
            if cleaned.get(name) is None and name not in self.errors:
                if name in self.optional:
                    continue
                model_field = _model_field(self.model, name)
                if model_field.has_default():
                    cleaned[name] = model_field.get_default()
                else:
                    self.add_error(name, ValidationError(_("This field is required."), "required"))
        return cleaned

    def _not_above(self, part: str, whole: str, message: Any) -> None:
        part_value, whole_value = self.cleaned_data.get(part), self.cleaned_data.get(whole)
        if part_value is not None and whole_value is not None and part_value > whole_value:
            self.add_error(part, message)

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.field_names}


class BalanceSheetForm(SectionForm):
    """The balance sheet at the end of the quarter (guide-part4 §7.1). The totals of assets and
    liabilities are computed from their lines, here and on the page as the user types."""

    model = FinancialStatement
    groups = BALANCE_SHEET_GROUPS
    field_names = tuple(dict.fromkeys(name for group in groups for name in group.fields))
    negative_allowed = frozenset({"total_equity"})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors:
            self._not_above(
                "third_party_financing_short_term",
                "third_party_financing",
                _("Short-term financing from other parties cannot exceed the total."),
            )
            self._not_above(
                "mudaraba_funds_short_term",
                "mudaraba_funds",
                _("Short-term mudaraba funds cannot exceed the total."),
            )
        return cleaned

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        data["total_assets"] = (
            data["cash_and_bank"]
            + data["short_term_investments"]
            + data["gross_financing_portfolio"]
            - data["impairment_allowance"]
            + data["other_assets"]
        )
        data["total_liabilities"] = sum((data[name] for name in LIABILITIES), Decimal(0))
        return data


class IncomeStatementForm(SectionForm):
    """The income statement of the quarter (guide-part4 §7.2): flows of the quarter only."""

    model = FinancialStatement
    groups = INCOME_STATEMENT_GROUPS
    field_names = tuple(dict.fromkeys(name for group in groups for name in group.fields))
    negative_allowed = frozenset({"non_operating_income"})


class StaffingForm(SectionForm):
    """Headcount at the end of the quarter (guide-part4 §7.4)."""

    model = StaffingSnapshot
    groups = STAFFING_GROUPS
    field_names = ("total_staff", "financing_officers", "women_staff", "staff_departures")
    counts = frozenset(field_names)
    optional = frozenset({"women_staff"})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._not_above(
            "financing_officers",
            "total_staff",
            _("Financing officers cannot outnumber the total staff."),
        )
        self._not_above(
            "women_staff", "total_staff", _("Women staff cannot outnumber the total staff.")
        )
        return cleaned


class PortfolioLineForm(SectionForm):
    """One contract type's line of the portfolio report (guide-part4 §7.3). A line left blank
    is not reported; a line with any figure needs its outstanding, financings and clients."""

    model = PortfolioSummaryLine
    field_names = PORTFOLIO_FIELDS
    counts = frozenset(PORTFOLIO_COUNTS)
    optional = frozenset({"gross_receivable"})

    def __init__(self, *args: Any, contract_type: str, **kwargs: Any) -> None:
        self.contract_type = contract_type
        super().__init__(*args, prefix=contract_type, **kwargs)

    @property
    def label(self) -> str:
        return str(ContractType(self.contract_type).label)

    def is_blank(self) -> bool:
        if not self.is_bound:
            return False
        return all(not str(self[name].value() or "").strip() for name in self.field_names)

    def full_clean(self) -> None:
        if self.is_bound and self.is_blank():
            self._errors = forms.utils.ErrorDict()
            self.cleaned_data = {}
            return
        super().full_clean()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # The database's own checks (nested PAR bands, restructured within outstanding), run
        # here so that their message shows next to this contract type's figures.
        line = PortfolioSummaryLine(contract_type=self.contract_type, **self.service_data())
        try:
            line.full_clean(exclude=["period"])
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(None if field == NON_FIELD_ERRORS else field, message)
        return cleaned

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.field_names}


class PortfolioSummaryForms:
    """One ``PortfolioLineForm`` per contract type, validated and saved together."""

    groups = ()

    def __init__(self, data: Mapping[str, Any] | None = None, *, initial: Mapping[str, Any]):
        self.is_bound = data is not None
        self.lines = [
            PortfolioLineForm(
                data,
                contract_type=contract_type,
                initial={
                    name: initial[f"{contract_type}-{name}"]
                    for name in PORTFOLIO_FIELDS
                    if f"{contract_type}-{name}" in initial
                },
            )
            for contract_type in ContractType.values
        ]
        self._non_field: list[str] = []

    def is_valid(self) -> bool:
        return all(form.is_valid() for form in self.lines) and not self._non_field

    def service_lines(self) -> list[dict[str, Any]]:
        return [
            {"contract_type": form.contract_type, **form.service_data()}
            for form in self.lines
            if not form.is_blank()
        ]

    def add_error(self, field: str | None, error: Any) -> None:
        self._non_field.extend(ValidationError(error).messages)

    def non_field_errors(self) -> list[str]:
        messages = list(self._non_field)
        for form in self.lines:
            messages.extend(
                gettext("{contract_type}: {message}").format(
                    contract_type=form.label, message=message
                )
                for message in form.non_field_errors()
            )
        return messages

    def error_fields(self) -> list[tuple[Any, list[str]]]:
        return [
            (form[name], list(form.errors[name]))
            for form in self.lines
            for name in form.errors
            if name != NON_FIELD_ERRORS
        ]

    @property
    def totals(self) -> list[Total]:
        return [
            Total(
                f"total-{name}",
                capfirst(_model_field(PortfolioSummaryLine, name).verbose_name),
                tuple((1, f"{contract_type}-{name}") for contract_type in ContractType.values),
                decimal_places=0 if name in PORTFOLIO_COUNTS else 2,
            )
            for name in PORTFOLIO_FIELDS
        ]


def apply_service_errors(form: Any, error: ValidationError, *, fields: Iterable[str]) -> list[str]:
    """Put a service's ``ValidationError`` onto ``form``: messages about a field the form shows
    go next to that field, the rest at the top. Returns the messages about the balance (the
    ``total_assets`` key), which the page shows both at the top and next to the totals."""
    shown = set(fields)
    balance: list[str] = []
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return balance
    for field, errors in error.error_dict.items():
        for item in errors:
            # The ValidationError itself, not its text: its code (e.g. a Shariah rule's) stays.
            if field in shown:
                form.add_error(field, item)
            elif field == "total_assets":
                balance.extend(ValidationError(item).messages)
                form.add_error(None, item)
            else:
                form.add_error(None, item)
    return balance


FORM_CLASSES: dict[str, type[SectionForm]] = {
    ReturnSection.BALANCE_SHEET: BalanceSheetForm,
    ReturnSection.INCOME_STATEMENT: IncomeStatementForm,
    ReturnSection.STAFFING: StaffingForm,
}
