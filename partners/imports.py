"""Browser imports of contracts, repayments and statements from Excel (.xlsx) or CSV files.

This module is the translation layer between a spreadsheet and the services that already
validate and write the same data for the partner API: a file whose headers are in Arabic,
French, English (or the API's machine names) and whose cells hold locale numbers and dates
becomes rows of machine names; every error the services find comes back on the spreadsheet row
the user sees and under the column header in the user's language.

Why it lives in ``partners``: contracts and repayments are validated and written by
``partners.bulk`` (``contracts_bulk_upsert``, ``repayments_bulk_upsert``), and ``institutions``
may not import ``partners`` (STYLE rule 3). Statements go through
``institutions.services.financial_statement_save``.

What a file may contain (the templates' second sheet says the same to the user):

* **Headers**: the first non-empty row. Each column is recognised by its header in any of the
  three languages or by its machine name, ignoring case, accents, Arabic diacritics, spaces and
  a trailing ``*`` (the templates mark required columns with it). An unknown, duplicated or
  missing required column rejects the file before any row is read.
* **Numbers**: numeric cells, or text such as ``1 234,56``, ``1234.56``, ``1,234.56``,
  ``1.234,56`` or ``(1 234,56)`` (negative); Arabic-Indic digits are accepted. When both ``.``
  and ``,`` appear, the last one is the decimal separator. A lone comma is a decimal separator,
  except in English for ``1,234`` (one to three digits, a comma, exactly three digits), which
  is read as one thousand two hundred and thirty-four. Percent columns take ``12.5`` for 12.5 %,
  a trailing ``%``, or a cell formatted as a percentage (0.125 shown as 12.5 %).
* **Dates**: date cells, or text ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``DD/MM/YYYY``, ``DD-MM-YYYY``
  or ``DD.MM.YYYY`` (day first, never month first).
* **Yes/no**: yes/no, oui/non, نعم/لا, true/false, 1/0.
* **Choices** (contract type, status, …): the label in any of the three languages or the
  machine value.
* **Rows**: empty rows are skipped; row numbers in errors are the spreadsheet's own.

Layouts:

* **Contracts with schedules**: one row per instalment, as the API's CSV: the contract's
  columns, then ``instalment_*`` columns. Rows of one contract share its contract number; the
  contract's columns are read from its first row and may be repeated or left empty on the
  others (a repeated value that differs is an error). A contract without a schedule is one row
  with empty instalment columns. Upserted by contract number.
* **Repayments**: one row per payment, upserted by (contract number, payment reference).
* **Statement** (the quarter's balance sheet and income statement): two columns, *line* and
  *amount*, one row per statement line, the line named by its label in any language or its
  machine name. A line left out or left empty is zero. This layout reads like the statement
  itself and survives translation of the line names; the template lists every line.

Preview and apply run the same code: preview applies inside a transaction that is always rolled
back (so the summary counts what would be created or updated, and errors that only the write
finds, such as repayments beyond a schedule, are shown too); apply commits. The Shariah blocking
rules run inside ``validate_contracts`` and come back as errors on their row and column; their
warnings (accepted contracts, recorded as findings) are collected by a warning sink this module
registers with ``institutions.contract_rules``, which listens only while an import runs.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from institutions.contract_rules import ContractViolation, register_warning_sink
from institutions.models import (
    FinancialStatement,
    FinancingContract,
    Instalment,
    Repayment,
    ReportingPeriod,
    ReturnSection,
)
from institutions.services import financial_statement_save, period_assert_editable
from institutions.services_return import return_draft_discard
from users.models import User

from . import bulk

T = TypeVar("T")

CONTRACTS = "contracts"
REPAYMENTS = "repayments"
STATEMENT = "statement"
KINDS = (CONTRACTS, REPAYMENTS, STATEMENT)

XLSX = "xlsx"
CSV = "csv"
FORMATS = (XLSX, CSV)

#: Limits of a browser import (the partner API takes larger loads as import jobs).
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLUMNS = 200

LANGUAGE_CODES = ("ar", "fr", "en")

# Column kinds.
TEXT, DATE, DECIMAL, INTEGER, BOOLEAN, CHOICE = (
    "text",
    "date",
    "decimal",
    "integer",
    "boolean",
    "choice",
)


# --- Columns and layouts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an import file: its machine name (the API's), its header and its type."""

    name: str
    label: Any  # lazy translated header
    kind: str = TEXT
    required: bool = False
    places: int = 0
    max_length: int | None = None
    percent: bool = False
    choices: tuple[tuple[str, Any], ...] = ()
    help: Any = ""
    example: str = ""

    def header(self) -> str:
        """The header in the active language, as written in the templates."""
        return capfirst(str(self.label)) + (" *" if self.required else "")

    def title(self) -> str:
        """The header without the required mark, for messages."""
        return capfirst(str(self.label))


@dataclass(frozen=True)
class Layout:
    """The columns of one kind of import, in template order."""

    kind: str
    title: Any
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.name == name), None)


def _kind_of(model_field: models.Field) -> str:
    if model_field.choices:
        return CHOICE
    if isinstance(model_field, models.DateField):
        return DATE
    if isinstance(model_field, models.DecimalField):
        return DECIMAL
    if isinstance(model_field, models.BooleanField):
        return BOOLEAN
    if isinstance(model_field, models.IntegerField):
        return INTEGER
    return TEXT


EXAMPLES = {
    "external_id": "C-2025-0001",
    "branch": "BR01",
    "client": "CL000123",
    "product": "MUR-01",
    "contract": "C-2025-0001",
    "purpose": "Sewing machine",
    "asset_description": "Sewing machine",
    "supplier_name": "Atlas Equipment",
    "commodity": "Wheat",
    "delivery_place": "Rabat warehouse",
    "cycle_number": "1",
    "buyout_units": "10",
    "number": "1",
    "instalment": "1",
    "instalment_number": "1",
}


def _field_column(
    model: type[models.Model],
    name: str,
    *,
    column_name: str | None = None,
    label: Any = None,
    required: bool | None = None,
) -> Column:
    model_field = model._meta.get_field(name)
    kind = _kind_of(model_field)
    if required is None:
        required = not model_field.null and not model_field.blank and not model_field.has_default()
    percent = kind == DECIMAL and model_field.decimal_places == 4  # the PERCENT columns
    return Column(
        name=column_name or name,
        label=label or model_field.verbose_name,
        kind=kind,
        required=required,
        places=getattr(model_field, "decimal_places", 0) or 0,
        max_length=getattr(model_field, "max_length", None),
        percent=percent,
        choices=tuple((str(value), text) for value, text in model_field.flatchoices)
        if kind == CHOICE
        else (),
        help=model_field.help_text,
        example=EXAMPLES.get(column_name or name, ""),
    )


def _reference_column(name: str, label: Any, help_text: Any) -> Column:
    """A required column naming another record by its code or number."""
    return Column(name, label, required=True, help=help_text, example=EXAMPLES[name])


def _contract_columns() -> tuple[Column, ...]:
    first = [
        _field_column(FinancingContract, "external_id"),
        _reference_column(
            "branch", gettext_lazy("branch code"), gettext_lazy("The branch's code in mfme.")
        ),
        _reference_column(
            "client",
            gettext_lazy("client number"),
            gettext_lazy("The client's number in the institution's records."),
        ),
        _reference_column(
            "product",
            gettext_lazy("product code"),
            gettext_lazy("The product's code; the contract type is the product's."),
        ),
        # Taken from the product when left empty (partners.bulk).
        _field_column(FinancingContract, "contract_type", required=False),
    ]
    rest = [
        _field_column(FinancingContract, model_field.name)
        for model_field in FinancingContract._meta.concrete_fields
        if model_field.name not in bulk.EXCLUDED_FIELDS
        and model_field.name not in {"external_id", "contract_type"}
    ]
    instalments = [
        _field_column(
            Instalment,
            "number",
            column_name=f"{bulk.CSV_INSTALMENT_PREFIX}number",
            label=gettext_lazy("instalment number"),
            required=False,
        ),
        _field_column(
            Instalment,
            "due_date",
            column_name=f"{bulk.CSV_INSTALMENT_PREFIX}due_date",
            label=gettext_lazy("instalment due date"),
            required=False,
        ),
        _field_column(
            Instalment,
            "principal_due",
            column_name=f"{bulk.CSV_INSTALMENT_PREFIX}principal_due",
            label=gettext_lazy("instalment principal due"),
            required=False,
        ),
        _field_column(
            Instalment,
            "profit_due",
            column_name=f"{bulk.CSV_INSTALMENT_PREFIX}profit_due",
            label=gettext_lazy("instalment profit due"),
            required=False,
        ),
    ]
    return (*first, *rest, *instalments)


def _repayment_columns() -> tuple[Column, ...]:
    return (
        _reference_column(
            "contract",
            gettext_lazy("contract number"),
            gettext_lazy("The institution's own contract number."),
        ),
        _field_column(Repayment, "external_id", required=True),
        _field_column(Repayment, "value_date", required=True),
        _field_column(Repayment, "principal_amount"),
        _field_column(Repayment, "profit_amount"),
        Column(
            "instalment",
            gettext_lazy("instalment number"),
            kind=INTEGER,
            help=gettext_lazy("Optional: the instalment this payment is for."),
            example=EXAMPLES["instalment"],
        ),
    )


#: Statement lines, in the statement's order (every amount of ``FinancialStatement``).
def statement_fields() -> list[models.DecimalField]:
    return [
        model_field
        for model_field in FinancialStatement._meta.concrete_fields
        if isinstance(model_field, models.DecimalField)
    ]


def _statement_columns() -> tuple[Column, ...]:
    return (
        Column(
            "line",
            gettext_lazy("line"),
            required=True,
            help=gettext_lazy("The statement line, as listed in the template."),
        ),
        Column(
            "amount",
            gettext_lazy("amount"),
            kind=DECIMAL,
            places=2,
            help=gettext_lazy("In the institution's currency; empty means zero."),
        ),
    )


_LAYOUTS: dict[str, Layout] = {}


def layout_for(kind: str) -> Layout:
    """The layout of ``kind`` (``contracts``, ``repayments`` or ``statement``)."""
    if not _LAYOUTS:
        _LAYOUTS.update(
            {
                CONTRACTS: Layout(
                    CONTRACTS, gettext_lazy("Contracts with schedules"), _contract_columns()
                ),
                REPAYMENTS: Layout(REPAYMENTS, gettext_lazy("Repayments"), _repayment_columns()),
                STATEMENT: Layout(
                    STATEMENT, gettext_lazy("Financial statement"), _statement_columns()
                ),
            }
        )
    return _LAYOUTS[kind]


# --- Errors -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    """One error, where the user will find it: the spreadsheet row and the column."""

    message: str
    row: int | None = None
    column: Column | None = None
    letter: str = ""  # the spreadsheet column letter (A, B, …), when the column is in the file
    header: str = ""  # the header as written in the file (for unknown columns)
    code: str = "invalid"

    @property
    def column_title(self) -> str:
        if self.column is not None:
            return self.column.title()
        return self.header

    def sort_key(self) -> tuple[int, int, str]:
        return (self.row or 0, _letter_index(self.letter), self.message)


def _letter_index(letter: str) -> int:
    index = 0
    for character in letter:
        index = index * 26 + ord(character) - 64
    return index


class ImportRefused(Exception):  # noqa: N818 - a refusal, shown to the user
    """The file cannot be imported; ``problems`` says why, row by row."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = sorted(problems, key=ImportProblem.sort_key)


# --- Reading files ------------------------------------------------------------------------------


@dataclass
class Table:
    """The cells of a file: its header row and its non-empty data rows, with row numbers."""

    file_format: str
    header_row: int
    headers: list[str]
    rows: list[tuple[int, list[Any], list[str]]] = field(default_factory=list)


def file_format_of(filename: str, data: bytes) -> str:
    """``xlsx`` or ``csv``, from the file's first bytes, else from its name."""
    if data.startswith(b"PK\x03\x04"):
        return XLSX
    if data.startswith(b"\xd0\xcf\x11\xe0") or filename.lower().endswith(".xls"):
        raise ImportRefused(
            [
                ImportProblem(
                    _(
                        "Old Excel files (.xls) cannot be read: save the file as an Excel "
                        "workbook (.xlsx) or as CSV UTF-8."
                    ),
                    code="unsupported_format",
                )
            ]
        )
    if filename.lower().endswith((".xlsx", ".xlsm")):
        return XLSX  # not a zip: reported as unreadable
    return CSV


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_table(data: bytes, *, filename: str) -> Table:
    """The header row and data rows of an .xlsx or CSV file (empty rows skipped)."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused(
            [
                ImportProblem(
                    _("The file is too large: {size} MB at most.").format(
                        size=MAX_FILE_BYTES // (1024 * 1024)
                    ),
                    code="file_too_large",
                )
            ]
        )
    if not data.strip():
        raise ImportRefused([ImportProblem(_("The file is empty."), code="empty")])
    file_format = file_format_of(filename, data)
    rows = _xlsx_rows(data) if file_format == XLSX else _csv_rows(data)
    table: Table | None = None
    for number, values, formats in rows:
        if all(_blank(value) for value in values):
            continue
        if table is None:
            if len(values) > MAX_COLUMNS:
                raise ImportRefused(
                    [
                        ImportProblem(
                            _("The file has more than {limit} columns.").format(limit=MAX_COLUMNS),
                            code="too_many_columns",
                        )
                    ]
                )
            headers = ["" if _blank(value) else str(value).strip() for value in values]
            table = Table(file_format, number, headers)
            continue
        if len(table.rows) >= MAX_ROWS:
            raise ImportRefused(
                [
                    ImportProblem(
                        _(
                            "The file has more than {limit} rows. Split it into several files, "
                            "or send it through the partner API, which takes larger loads."
                        ).format(limit=f"{MAX_ROWS:,}".replace(",", "\u202f")),
                        code="too_many_rows",
                    )
                ]
            )
        table.rows.append((number, values, formats))
    if table is None:
        raise ImportRefused([ImportProblem(_("The file is empty."), code="empty")])
    return table


def _xlsx_rows(data: bytes) -> Iterable[tuple[int, list[Any], list[str]]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise ImportRefused(
            [
                ImportProblem(
                    _("This file cannot be read as an Excel workbook (.xlsx)."),
                    code="unreadable",
                )
            ]
        ) from error
    try:
        sheet = workbook.worksheets[0]
        number = 0
        for cells in sheet.iter_rows():
            # Rows are numbered by the sheet's own row numbers; empty rows come as EmptyCells.
            number = next((cell.row for cell in cells if getattr(cell, "row", None)), number + 1)
            values = [cell.value for cell in cells]
            formats = [getattr(cell, "number_format", "") or "" for cell in cells]
            yield number, values, formats
    finally:
        workbook.close()


def _csv_rows(data: bytes) -> Iterable[tuple[int, list[Any], list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's "CSV (semicolon separated)" in French is Windows-1252.
        text = data.decode("cp1252", errors="replace")
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, values in enumerate(reader, start=1):
            yield number, list(values), [""] * len(values)
    except csv.Error as error:
        raise ImportRefused(
            [ImportProblem(_("This CSV file cannot be read."), code="unreadable")]
        ) from error


# --- Headers ------------------------------------------------------------------------------------


def normalize(text: Any) -> str:
    """Text compared without case, accents, Arabic diacritics, tatweel or extra spaces."""
    value = unicodedata.normalize("NFKD", str(text))
    value = "".join(character for character in value if not unicodedata.combining(character))
    value = value.replace("\u0640", "").replace("’", "'").casefold().strip()
    value = value.rstrip("*").strip()
    return re.sub(r"[\s_]+", " ", value)


def _in_every_language(text: Any) -> set[str]:
    names = set()
    for language in LANGUAGE_CODES:
        with translation.override(language):
            names.add(normalize(str(text)))
    return names


def header_aliases(layout: Layout) -> dict[str, Column]:
    """Every accepted spelling of every header (three languages and the machine name).

    A spelling two columns share in some language is dropped: only the machine name (or
    another language) then identifies those columns."""
    seen: dict[str, set[str]] = {}
    for column in layout.columns:
        for alias in {normalize(column.name)} | _in_every_language(column.label):
            seen.setdefault(alias, set()).add(column.name)
    return {
        alias: layout.column(next(iter(names)))  # type: ignore[misc]
        for alias, names in seen.items()
        if len(names) == 1
    }


def match_headers(table: Table, layout: Layout) -> list[Column | None]:
    """The column of each header of ``table``; refuses unknown, duplicate or missing columns."""
    aliases = header_aliases(layout)
    problems: list[ImportProblem] = []
    mapping: list[Column | None] = []
    found: dict[str, str] = {}
    for index, header in enumerate(table.headers):
        letter = get_column_letter(index + 1)
        if not header:
            has_data = any(
                index < len(values) and not _blank(values[index])
                for _number, values, _formats in table.rows
            )
            if has_data:
                problems.append(
                    ImportProblem(
                        _("This column has data but no header."),
                        row=table.header_row,
                        letter=letter,
                        code="missing_header",
                    )
                )
            mapping.append(None)
            continue
        column = aliases.get(normalize(header))
        if column is None:
            problems.append(
                ImportProblem(
                    _(
                        "Unknown column “{header}”. Use the headers of the template (in Arabic, "
                        "French or English); its second sheet lists them."
                    ).format(header=header),
                    row=table.header_row,
                    letter=letter,
                    header=header,
                    code="unknown_column",
                )
            )
        elif column.name in found:
            problems.append(
                ImportProblem(
                    _("The column “{header}” appears twice (also in column {letter}).").format(
                        header=column.title(), letter=found[column.name]
                    ),
                    row=table.header_row,
                    column=column,
                    letter=letter,
                    code="duplicate_column",
                )
            )
            column = None
        else:
            found[column.name] = letter
        mapping.append(column)
    for column in layout.columns:
        if column.required and column.name not in found:
            problems.append(
                ImportProblem(
                    _("The required column “{header}” is missing.").format(header=column.title()),
                    row=table.header_row,
                    column=column,
                    code="missing_column",
                )
            )
    if problems:
        raise ImportRefused(problems)
    return mapping


# --- Cells --------------------------------------------------------------------------------------

_DIGITS = str.maketrans(
    "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬−",  # Arabic-Indic and Persian digits, Arabic separators, minus
    "01234567890123456789.,-",
)
_NUMBER_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007']")


def parse_number(text: str, *, language: str) -> Decimal | None:
    """A decimal from text written the way people write numbers (see the module docstring)."""
    value = _NUMBER_SPACES.sub("", text.translate(_DIGITS))
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1]
    if value.startswith("-"):
        negative, value = True, value[1:]
    elif value.startswith("+"):
        value = value[1:]
    if not re.fullmatch(r"\d[\d.,]*|[.,]\d+", value):
        return None
    dots, commas = value.count("."), value.count(",")
    if dots and commas:
        decimal_mark = "." if value.rfind(".") > value.rfind(",") else ","
        grouping = "," if decimal_mark == "." else "."
        whole, _mark, fraction = value.rpartition(decimal_mark)
        if not re.fullmatch(rf"\d{{1,3}}(\{grouping}\d{{3}})*", whole) or not fraction.isdigit():
            return None
        value = whole.replace(grouping, "") + "." + fraction
    elif dots > 1 or commas > 1:
        grouping = "." if dots else ","
        if not re.fullmatch(rf"\d{{1,3}}(\{grouping}\d{{3}})+", value):
            return None
        value = value.replace(grouping, "")
    elif commas == 1:
        if language == "en" and re.fullmatch(r"\d{1,3},\d{3}", value):
            value = value.replace(",", "")
        else:
            value = value.replace(",", ".")
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return -number if negative else number


def parse_date(value: Any) -> datetime.date | None:
    """A date from a date cell, an Excel serial number, or ISO or day-first text."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            converted = from_excel(value)
            return converted.date() if isinstance(converted, datetime.datetime) else None
        return None
    text = str(value).strip().translate(_DIGITS)
    iso = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]00:00(?::00)?)?", text)
    day_first = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    try:
        if iso:
            return datetime.date(int(iso[1]), int(iso[2]), int(iso[3]))
        if day_first:
            return datetime.date(int(day_first[3]), int(day_first[2]), int(day_first[1]))
    except ValueError:
        return None
    return None


_TRUE = {"true", "yes", "y", "1", "oui", "o", "vrai", "نعم", "صحيح"}
_FALSE = {"false", "no", "n", "0", "non", "faux", "لا", "خطأ"}


def _boolean_words() -> tuple[set[str], set[str]]:
    true, false = {normalize(word) for word in _TRUE}, {normalize(word) for word in _FALSE}
    for language in LANGUAGE_CODES:
        with translation.override(language):
            true.add(normalize(_("Yes")))
            false.add(normalize(_("No")))
    return true, false


def _choice_lookup(column: Column) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for value, label in column.choices:
        lookup[normalize(value)] = value
        for alias in _in_every_language(label):
            lookup.setdefault(alias, value)
    return lookup


def _money_text(number: Decimal) -> str:
    return format(number, "f")


def _from_float(value: float, column: Column) -> Decimal:
    number = Decimal(repr(value))
    # A formula's binary fraction (0.1 + 0.2 = 0.30000000000000004) is the decimal the user
    # sees once rounded to the column's places; a real extra digit is left for validation.
    rounded = round(number, column.places)
    if number != rounded and abs(number - rounded) < Decimal("1e-9"):
        return rounded
    return number


class _CellReader:
    """Turns one cell into the API's text form for its column, or a message saying why not."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.true, self.false = _boolean_words()
        self.choices: dict[str, dict[str, str]] = {}

    def read(self, value: Any, number_format: str, column: Column) -> tuple[str | None, str]:
        if _blank(value):
            return None, ""
        kind = column.kind
        if kind == DATE:
            parsed = parse_date(value)
            if parsed is None:
                return None, _("Enter a date as YYYY-MM-DD or DD/MM/YYYY.")
            return parsed.isoformat(), ""
        if kind in (DECIMAL, INTEGER):
            number = self._number(value, number_format, column)
            if number is None:
                return None, _("Enter a number, such as 1 234,56 or 1234.56.")
            if kind == INTEGER:
                if number != number.to_integral_value():
                    return None, _("Enter a whole number.")
                return str(int(number)), ""
            return _money_text(number), ""
        if kind == BOOLEAN:
            if isinstance(value, bool):
                return ("true" if value else "false"), ""
            word = normalize(value)
            if word in self.true:
                return "true", ""
            if word in self.false:
                return "false", ""
            return None, _("Enter yes or no.")
        if kind == CHOICE:
            lookup = self.choices.get(column.name)
            if lookup is None:
                lookup = self.choices[column.name] = _choice_lookup(column)
            found = lookup.get(normalize(_text(value)))
            if found is None:
                return None, _("Choose one of: {choices}.").format(
                    choices=", ".join(str(label) for _value, label in column.choices)
                )
            return found, ""
        return _text(value), ""

    def _number(self, value: Any, number_format: str, column: Column) -> Decimal | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, float):
            number = _from_float(value, column)
        else:
            text = str(value).strip()
            if column.percent:
                text = text.removesuffix("%")
            return parse_number(text, language=self.language)
        if column.percent and "%" in number_format:
            # A cell formatted as a percentage holds the fraction: 0.125 is shown as 12.5 %.
            number = _from_float(float(number * 100), column)
        return number


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


# --- Files into rows ----------------------------------------------------------------------------


@dataclass
class Parsed:
    """A file read into the rows the services take, with the problems found in its cells."""

    kind: str
    table: Table
    rows: list[dict[str, Any]]
    problems: list[ImportProblem]
    letters: dict[str, str]  # column name → spreadsheet column letter
    line_rows: dict[str, int] = field(default_factory=dict)  # statement field → row
    summary: dict[str, Any] = field(default_factory=dict)


def parse_file(kind: str, data: bytes, *, filename: str, language: str | None = None) -> Parsed:
    """Read ``data`` into rows of machine names for ``kind``; no database access.

    Raises ``ImportRefused`` when the file as a whole cannot be read (format, size, headers);
    problems in single cells come back in ``Parsed.problems``.
    """
    language = language or translation.get_language() or "en"
    layout = layout_for(kind)
    table = read_table(data, filename=filename)
    mapping = match_headers(table, layout)
    letters = {
        column.name: get_column_letter(index + 1)
        for index, column in enumerate(mapping)
        if column is not None
    }
    reader = _CellReader(language)
    records: list[tuple[int, dict[str, str | None]]] = []
    problems: list[ImportProblem] = []
    for number, values, formats in table.rows:
        record: dict[str, str | None] = {}
        for index, column in enumerate(mapping):
            if column is None:
                continue
            value = values[index] if index < len(values) else None
            number_format = formats[index] if index < len(formats) else ""
            text, message = reader.read(value, number_format, column)
            if message:
                problems.append(
                    ImportProblem(
                        message,
                        row=number,
                        column=column,
                        letter=letters[column.name],
                        code="invalid_cell",
                    )
                )
                # Passed on as written, so that the services do not also call it missing.
                text = _text(value)
            record[column.name] = text
        if any(value is not None for value in record.values()):
            records.append((number, record))
    parsed = Parsed(kind, table, [], problems, letters)
    if kind == CONTRACTS:
        _group_contracts(parsed, records)
    elif kind == REPAYMENTS:
        parsed.rows = [{**record, "_row": number} for number, record in records]
        parsed.summary = {
            "file_rows": len(records),
            "principal": _total(record.get("principal_amount") for _n, record in records),
            "profit": _total(record.get("profit_amount") for _n, record in records),
        }
    else:
        _statement_rows(parsed, records)
    return parsed


def _total(values: Iterable[str | None]) -> Decimal:
    total = Decimal("0")
    for value in values:
        try:
            total += Decimal(value) if value else 0
        except InvalidOperation:
            continue
    return total


INSTALMENT_COLUMNS = {
    f"{bulk.CSV_INSTALMENT_PREFIX}{name}": name for name in bulk.INSTALMENT_FIELDS
}


def _group_contracts(parsed: Parsed, records: list[tuple[int, dict[str, str | None]]]) -> None:
    """One row per instalment into one row per contract with its schedule (as the API's CSV)."""
    layout = layout_for(CONTRACTS)
    contracts: dict[str, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    instalment_count = 0
    for number, record in records:
        contract_values = {
            name: value for name, value in record.items() if name not in INSTALMENT_COLUMNS
        }
        instalment = {
            INSTALMENT_COLUMNS[name]: value
            for name, value in record.items()
            if name in INSTALMENT_COLUMNS
        }
        external_id = contract_values.get("external_id")
        contract = contracts.get(external_id) if external_id else None
        if contract is None:
            contract = {**contract_values, "_row": number, "instalments": []}
            if external_id:
                contracts[external_id] = contract
            rows.append(contract)
        else:
            for name, value in contract_values.items():
                if value is not None and contract.get(name) not in (None, value):
                    column = layout.column(name)
                    parsed.problems.append(
                        ImportProblem(
                            _(
                                "Contract {number} has another value here on its first row "
                                "(row {row}): repeat the same value or leave it empty."
                            ).format(number=external_id, row=contract["_row"]),
                            row=number,
                            column=column,
                            letter=parsed.letters.get(name, ""),
                            code="conflicting_value",
                        )
                    )
                elif value is not None and contract.get(name) is None:
                    contract[name] = value
        if any(value is not None for value in instalment.values()):
            contract["instalments"].append({**instalment, "_row": number})
            instalment_count += 1
    for contract in rows:
        if not contract["instalments"]:
            del contract["instalments"]
    parsed.rows = rows
    parsed.summary = {
        "file_rows": len(records),
        "contracts": len(rows),
        "instalments": instalment_count,
        "financed": _total(row.get("financed_amount") for row in rows),
        "profit": _total(row.get("profit_amount") for row in rows),
    }


def statement_line_aliases() -> dict[str, str]:
    """Every accepted name of every statement line → its field name."""
    seen: dict[str, set[str]] = {}
    for model_field in statement_fields():
        for alias in {normalize(model_field.name)} | _in_every_language(model_field.verbose_name):
            seen.setdefault(alias, set()).add(model_field.name)
    return {alias: next(iter(names)) for alias, names in seen.items() if len(names) == 1}


def _statement_rows(parsed: Parsed, records: list[tuple[int, dict[str, str | None]]]) -> None:
    layout = layout_for(STATEMENT)
    aliases = statement_line_aliases()
    data: dict[str, Decimal] = {
        model_field.name: Decimal("0") for model_field in statement_fields()
    }
    for number, record in records:
        line = record.get("line")
        name = aliases.get(normalize(line)) if line else None
        if name is None:
            parsed.problems.append(
                ImportProblem(
                    _("Unknown statement line “{line}”: use the lines of the template.").format(
                        line=line or ""
                    )
                    if line
                    else _("Name the statement line."),
                    row=number,
                    column=layout.column("line"),
                    letter=parsed.letters.get("line", ""),
                    code="unknown_line",
                )
            )
            continue
        if name in parsed.line_rows:
            parsed.problems.append(
                ImportProblem(
                    _("This line already appears on row {row}.").format(row=parsed.line_rows[name]),
                    row=number,
                    column=layout.column("line"),
                    letter=parsed.letters.get("line", ""),
                    code="duplicate_line",
                )
            )
            continue
        parsed.line_rows[name] = number
        amount = record.get("amount")
        try:
            data[name] = Decimal(amount) if amount else Decimal("0")
        except InvalidOperation:
            continue  # already reported as a cell problem
    # A file without a single statement line is empty, not a statement of zeros.
    parsed.rows = [data] if parsed.line_rows else []
    statement = FinancialStatement(**data)
    parsed.summary = {
        "file_rows": len(records),
        "lines": len(parsed.line_rows),
        "total_assets": statement.total_assets,
        "liabilities_and_equity": statement.liabilities_and_equity,
        "net_income": statement.net_income,
    }


# --- Validating and applying --------------------------------------------------------------------


@dataclass
class Outcome:
    """What an import did (or, in a preview, would do)."""

    kind: str
    problems: list[ImportProblem]
    summary: dict[str, Any]
    applied: bool = False
    #: Non-blocking contract rule violations (Shariah warnings): accepted, and recorded as
    #: findings when the import is applied.
    warnings: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class _Rollback(Exception):  # noqa: N818 - control flow of the dry run
    pass


#: Warnings handed over while an import of this context runs (``None``: not collecting).
_collected_warnings: ContextVar[list[tuple[str, list[ContractViolation]]] | None] = ContextVar(
    "mfme_import_warnings", default=None
)


def _collect_warnings(contract: FinancingContract, warnings: list[ContractViolation]) -> None:
    """A warning sink (``contract_rules``) that only listens while an import collects: the
    warnings of a preview are shown to the user although its transaction is rolled back."""
    bucket = _collected_warnings.get()
    if bucket is not None:
        bucket.append((contract.external_id, list(warnings)))


register_warning_sink(_collect_warnings)


def _warnings(
    collected: list[tuple[str, list[ContractViolation]]], parsed: Parsed
) -> list[ImportProblem]:
    layout = layout_for(CONTRACTS)
    first_rows = {row.get("external_id"): row["_row"] for row in parsed.rows}
    found = []
    for external_id, violations in collected:
        for violation in violations:
            column = layout.column(violation.field) if violation.field else None
            found.append(
                ImportProblem(
                    violation.message,
                    row=first_rows.get(external_id),
                    column=column,
                    letter=parsed.letters.get(violation.field or "", ""),
                    code=violation.code,
                )
            )
    return sorted(found, key=ImportProblem.sort_key)


def _dry_run(apply: Callable[[], T]) -> T:
    """``apply()`` inside a transaction that is always rolled back."""
    result: list[T] = []
    try:
        with transaction.atomic():
            result.append(apply())
            raise _Rollback
    except _Rollback:
        pass
    return result[0]


def _problems_from_bulk(errors: list[dict[str, Any]], parsed: Parsed) -> list[ImportProblem]:
    layout = layout_for(parsed.kind)
    problems = []
    for error in errors:
        name = error.get("field") or None
        if name and name.startswith("instalments["):
            _head, _dot, rest = name.partition(".")
            name = f"{bulk.CSV_INSTALMENT_PREFIX}{rest}" if rest else None
        column = layout.column(name) if name else None
        message = str(error.get("message", ""))
        if name and column is None:
            message = _("{field}: {message}").format(field=name, message=message)
        problems.append(
            ImportProblem(
                message,
                row=error.get("row"),
                column=column,
                letter=parsed.letters.get(name or "", ""),
                code=str(error.get("code", "invalid")),
            )
        )
    return problems


def _merge(parsed: Parsed, found: list[ImportProblem]) -> list[ImportProblem]:
    """The cell problems, then what the services found elsewhere (a cell already reported as
    unreadable is not reported again in the services' words)."""
    reported = {(problem.row, problem.column.name) for problem in parsed.problems if problem.column}
    extra = [
        problem
        for problem in found
        if problem.column is None or (problem.row, problem.column.name) not in reported
    ]
    return sorted([*parsed.problems, *extra], key=ImportProblem.sort_key)


def _statement_problems(error: ValidationError, parsed: Parsed) -> list[ImportProblem]:
    layout = layout_for(STATEMENT)
    amount = layout.column("amount")
    problems = []
    # The ValidationErrors themselves, not their texts: a Shariah rule's code stays with it.
    errors = (
        error.error_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.error_list}
    )
    for name, items in errors.items():
        for item in items:
            code = item.code or "invalid"
            for text in item.messages:
                if name == NON_FIELD_ERRORS or name not in parsed.line_rows:
                    prefix = ""
                    if name != NON_FIELD_ERRORS:
                        prefix = capfirst(
                            str(FinancialStatement._meta.get_field(name).verbose_name)
                        )
                    problems.append(
                        ImportProblem(
                            _("{field}: {message}").format(field=prefix, message=text)
                            if prefix
                            else text,
                            code=code,
                        )
                    )
                else:
                    problems.append(
                        ImportProblem(
                            text,
                            row=parsed.line_rows[name],
                            column=amount,
                            letter=parsed.letters.get("amount", ""),
                            code=code,
                        )
                    )
    return problems


def _write(parsed: Parsed, *, actor: User, period: ReportingPeriod) -> dict[str, Any]:
    institution = period.institution
    if parsed.kind == CONTRACTS:
        return bulk.contracts_bulk_upsert(actor=actor, institution=institution, rows=parsed.rows)
    if parsed.kind == REPAYMENTS:
        return bulk.repayments_bulk_upsert(actor=actor, institution=institution, rows=parsed.rows)
    financial_statement_save(actor=actor, period=period, data=parsed.rows[0])
    # The file replaced the whole statement: drafts typed over the old one would hide it.
    for section in (ReturnSection.BALANCE_SHEET, ReturnSection.INCOME_STATEMENT):
        return_draft_discard(actor=actor, period=period, section=section)
    return {}


def run_import(
    kind: str,
    data: bytes,
    *,
    filename: str,
    actor: User,
    period: ReportingPeriod,
    apply: bool,
) -> Outcome:
    """Read, validate and (when ``apply``) write one file, all or nothing.

    With ``apply=False`` (the preview) the write runs in a transaction that is rolled back, so
    every error the services can find is found, and nothing is saved. Raises
    ``PermissionDenied`` for a user who may not enter the institution's data, and
    ``PeriodNotEditable`` when the quarter cannot change.
    """
    if not actor.can_enter_data:
        raise PermissionDenied(_("You cannot enter data for this institution."))
    period_assert_editable(period=period)
    try:
        parsed = parse_file(kind, data, filename=filename)
    except ImportRefused as refused:
        return Outcome(kind, refused.problems, {})
    if kind == STATEMENT and parsed.problems:
        # Unreadable amounts would be saved as zero: the statement is not checked further.
        return Outcome(kind, sorted(parsed.problems, key=ImportProblem.sort_key), parsed.summary)
    if not parsed.rows:
        return Outcome(
            kind, [ImportProblem(_("The file has no data rows."), code="empty")], parsed.summary
        )

    def write() -> dict[str, Any]:
        with transaction.atomic():
            report = _write(parsed, actor=actor, period=period)
            if parsed.problems:
                # Cell problems the services did not see: nothing may be kept.
                raise bulk.BulkRejected([])
            return report

    collected: list[tuple[str, list[ContractViolation]]] = []
    token = _collected_warnings.set(collected)
    try:
        report = write() if apply else _dry_run(write)
    except bulk.BulkRejected as rejected:
        return Outcome(
            kind, _merge(parsed, _problems_from_bulk(rejected.errors, parsed)), parsed.summary
        )
    except ValidationError as error:
        if kind != STATEMENT:
            raise
        return Outcome(kind, _merge(parsed, _statement_problems(error, parsed)), parsed.summary)
    finally:
        _collected_warnings.reset(token)
    report.pop("rows", None)  # the services count contracts; the summary counts file rows
    return Outcome(
        kind,
        [],
        {**parsed.summary, **report},
        applied=apply,
        warnings=_warnings(collected, parsed) if kind == CONTRACTS else [],
    )


# --- Templates ----------------------------------------------------------------------------------

_BRAND = "0B5647"
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor=_BRAND)
_REQUIRED_FILL = PatternFill("solid", fgColor="073D33")
_HELP_FILL = PatternFill("solid", fgColor="E3EFEB")
_THIN = Side(style="thin", color="D5DDE0")


def _type_text(column: Column, currency: str = "") -> str:
    if column.kind == DATE:
        return _("Date (YYYY-MM-DD or DD/MM/YYYY)")
    if column.kind == DECIMAL and column.percent:
        return _("Percentage: 12.5 means 12.5 %")
    if column.kind == DECIMAL and column.places == 2 and currency:
        return _("Amount in {currency}, 2 decimals at most").format(currency=currency)
    if column.kind == DECIMAL:
        return _("Number, {places} decimals at most").format(places=column.places)
    if column.kind == INTEGER:
        return _("Whole number")
    if column.kind == BOOLEAN:
        return _("Yes or no")
    if column.kind == CHOICE:
        return _("One of the allowed values")
    if column.max_length:
        return _("Text, {limit} characters at most").format(limit=column.max_length)
    return _("Text")


def _allowed_text(column: Column) -> str:
    if column.kind == CHOICE:
        return ", ".join(str(label) for _value, label in column.choices)
    if column.kind == BOOLEAN:
        return f"{_('Yes')}, {_('No')}"
    return ""


def _example_text(column: Column) -> str:
    language = translation.get_language() or "en"
    comma = language != "en"
    if column.example:
        return column.example
    if column.kind == DATE:
        return "2025-03-31"
    if column.kind == DECIMAL and column.percent:
        return "12,5" if comma else "12.5"
    if column.kind == DECIMAL:
        return "12\u202f500,00" if comma else "12,500.00"
    if column.kind == INTEGER:
        return "1"
    if column.kind == BOOLEAN:
        return _("No")
    if column.kind == CHOICE and column.choices:
        return str(column.choices[0][1])
    return ""


def column_help(column: Column, *, currency: str = "") -> dict[str, str]:
    """What the templates say about a column, in the active language."""
    return {
        "header": column.header(),
        "name": column.name,
        "required": _("Required") if column.required else _("Optional"),
        "type": _type_text(column, currency),
        "allowed": _allowed_text(column),
        "example": _example_text(column),
        "help": str(column.help or ""),
    }


def _is_rtl() -> bool:
    return translation.get_language_bidi()


def template_xlsx(
    kind: str, *, statement: FinancialStatement | None = None, currency: str = ""
) -> bytes:
    """The .xlsx template of ``kind`` in the active language: a data sheet with styled headers
    (a comment on each explains the column) and a second sheet describing every column."""
    layout = layout_for(kind)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(str(layout.title))
    sheet.sheet_view.rightToLeft = _is_rtl()
    for index, column in enumerate(layout.columns, start=1):
        described = column_help(column, currency=currency)
        cell = sheet.cell(row=1, column=index, value=described["header"])
        cell.font = _HEADER_FONT
        cell.fill = _REQUIRED_FILL if column.required else _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        note = "\n".join(
            part
            for part in (
                f"{described['required']} · {described['type']}",
                _("Allowed: {values}").format(values=described["allowed"])
                if described["allowed"]
                else "",
                _("Example: {value}").format(value=described["example"])
                if described["example"]
                else "",
                described["help"],
            )
            if part
        )
        cell.comment = Comment(note, "mfme", width=320, height=140)
        width = max(len(described["header"]) + 4, 14)
        if column.kind == CHOICE and column.choices:
            width = max(width, *(len(str(label)) + 4 for _value, label in column.choices))
        sheet.column_dimensions[get_column_letter(index)].width = min(width, 42)
        _add_list_validation(sheet, column, index)
    sheet.row_dimensions[1].height = 36
    sheet.freeze_panes = "A2"
    if kind == STATEMENT:
        _fill_statement_lines(sheet, statement)
    _help_sheet(workbook, layout, currency=currency)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _sheet_title(title: str) -> str:
    # Excel forbids []:*?/\ in sheet names and keeps at most 31 characters.
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "mfme"


def _add_list_validation(sheet: Any, column: Column, index: int) -> None:
    if column.kind == CHOICE:
        values = [str(label) for _value, label in column.choices]
    elif column.kind == BOOLEAN:
        values = [_("Yes"), _("No")]
    else:
        return
    formula = ",".join(values)
    # A list validation holds at most 255 characters and no commas inside a value.
    if len(formula) > 250 or any("," in value or '"' in value for value in values):
        return
    letter = get_column_letter(index)
    validation = DataValidation(type="list", formula1=f'"{formula}"', allow_blank=True)
    # A machine value (murabaha, true…) is accepted too: warn, never block.
    validation.showErrorMessage = False
    sheet.add_data_validation(validation)
    validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")


def _fill_statement_lines(sheet: Any, statement: FinancialStatement | None) -> None:
    sheet.column_dimensions["A"].width = 58
    sheet.column_dimensions["B"].width = 20
    for row, model_field in enumerate(statement_fields(), start=2):
        sheet.cell(row=row, column=1, value=capfirst(str(model_field.verbose_name)))
        amount = sheet.cell(row=row, column=2)
        if statement is not None:
            amount.value = float(getattr(statement, model_field.name))
        amount.number_format = "#,##0.00"


def _help_sheet(workbook: Workbook, layout: Layout, *, currency: str = "") -> None:
    sheet = workbook.create_sheet(_sheet_title(_("Columns")))
    sheet.sheet_view.rightToLeft = _is_rtl()
    headers = [
        _("Column"),
        _("Required"),
        _("Type"),
        _("Allowed values"),
        _("Example"),
        _("Notes"),
        _("Machine name"),
    ]
    widths = [36, 12, 30, 40, 18, 50, 26]
    for index, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = width
    for row, column in enumerate(layout.columns, start=2):
        described = column_help(column, currency=currency)
        values = [
            described["header"],
            described["required"],
            described["type"],
            described["allowed"],
            described["example"],
            described["help"],
            column.name,
        ]
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=index, value=value)
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.border = Border(bottom=_THIN)
            if column.required:
                cell.fill = _HELP_FILL
    notes_row = len(layout.columns) + 3
    for offset, note in enumerate(format_notes(layout.kind)):
        cell = sheet.cell(row=notes_row + offset, column=1, value=note)
        cell.alignment = Alignment(wrap_text=False)
    sheet.freeze_panes = "A2"


def general_notes() -> list[str]:
    """How every file is read, in the active language (templates and the import page)."""
    return [
        _("Columns marked * are required. Headers may be in Arabic, French or English."),
        _("Numbers: 1 234,56 or 1234.56; dates: YYYY-MM-DD or DD/MM/YYYY, or date cells."),
        _("Empty rows are skipped. Nothing is saved until you confirm the preview."),
    ]


def layout_note(kind: str) -> str:
    """How a file of ``kind`` is laid out, in the active language."""
    if kind == CONTRACTS:
        return _(
            "One row per instalment: repeat the contract number on each row of its "
            "schedule; the contract's other columns are read from its first row. A "
            "contract number already imported is updated, not duplicated."
        )
    if kind == REPAYMENTS:
        return _(
            "One row per payment. A payment reference already recorded for the contract "
            "is corrected, not duplicated."
        )
    return _("One row per statement line: the line's name and its amount; an empty amount is zero.")


def format_notes(kind: str) -> list[str]:
    return [*general_notes(), layout_note(kind)]


def template_csv(
    kind: str, *, statement: FinancialStatement | None = None, currency: str = ""
) -> bytes:
    """The CSV template of ``kind``: headers in the active language, UTF-8 with a byte-order
    mark (so that Excel shows Arabic), semicolons in French and Arabic (Excel's list separator
    where the decimal mark is a comma), commas in English. A CSV carries no explanations, so
    ``currency`` (kept for the same call as ``template_xlsx``) is not used."""
    layout = layout_for(kind)
    language = translation.get_language() or "en"
    output = io.StringIO()
    writer = csv.writer(output, delimiter="," if language == "en" else ";", lineterminator="\r\n")
    writer.writerow([column.header() for column in layout.columns])
    if kind == STATEMENT:
        for model_field in statement_fields():
            amount = getattr(statement, model_field.name) if statement is not None else ""
            writer.writerow([capfirst(str(model_field.verbose_name)), amount])
    return ("\ufeff" + output.getvalue()).encode("utf-8")
