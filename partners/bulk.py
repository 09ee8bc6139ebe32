"""Bulk ingest of financing contracts with their schedules: parse, validate everything, then
apply everything in one transaction, or nothing.

Validation works on whole columns (pandas): each column is checked against its model field
(type, digits, length, choices, required), then the cross-column rules the database enforces
(dates in order, sale price = cost + markup, salam delivery, profit shares …), then references
(branch, client and product by the institution's own codes) by set lookup, then every contract
rule registered in ``institutions.contract_rules`` (the Shariah blocking rules) on the unsaved
contracts. Any error rejects the whole payload with ``{row, field, code, message}`` per error.

Writing is an upsert by ``(institution, external_id)`` (``bulk_create`` with
``update_conflicts``), and instalments by ``(contract, number)``: re-sending the same rows
updates them, never duplicates them. Paid amounts on instalments are kept.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import pandas as pd
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.contract_rules import violations_of, warnings_hand_over
from institutions.models import (
    EQUITY_TYPES,
    MONEY_TOLERANCE,
    SALE_BASED_TYPES,
    Branch,
    Client,
    ContractType,
    FinancingContract,
    FinancingProduct,
    Instalment,
    Institution,
)
from institutions.services import _require_can_enter_data
from users.models import User

MAX_ROWS = 100_000
MAX_REPORTED_ERRORS = 1_000
BATCH_SIZE = 2_000
CSV_INSTALMENT_PREFIX = "instalment_"

#: Contract columns a partner sends by reference (its own codes), resolved to foreign keys.
REFERENCE_FIELDS = ("branch", "client", "product")
#: Contract columns that are not the partner's to send.
EXCLUDED_FIELDS = {"id", "institution", "branch", "client", "product", "created_at", "updated_at"}
INSTALMENT_FIELDS = ("number", "due_date", "principal_due", "profit_due")

ErrorItem = dict[str, Any]


class BulkRejected(Exception):  # noqa: N818 - a rejection, reported to the partner
    """The payload was rejected as a whole; ``errors`` says why, row by row."""

    def __init__(self, errors: list[ErrorItem]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


def _error(code: str, message: Any, *, row: int | None, field: str | None) -> ErrorItem:
    item: ErrorItem = {"code": code, "field": field, "message": str(message)}
    if row is not None:
        item["row"] = row
    return item


# --- Parsing --------------------------------------------------------------------------------


def parse_payload(raw: bytes, *, content_type: str) -> list[dict[str, Any]]:
    """Rows from a JSON array, NDJSON or CSV body; each row gets its 1-based ``_row``."""
    media_type = content_type.split(";")[0].strip().lower()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BulkRejected(
            [_error("invalid_encoding", _("The body must be UTF-8."), row=None, field=None)]
        ) from error
    if media_type == "text/csv":
        rows = _parse_csv(text)
    elif media_type in {"application/x-ndjson", "application/jsonl", "application/ndjson"}:
        rows = _parse_ndjson(text)
    else:
        rows = _parse_json(text)
    if len(rows) > MAX_ROWS:
        raise BulkRejected(
            [
                _error(
                    "too_many_rows",
                    _("A request can carry at most {limit} rows.").format(limit=MAX_ROWS),
                    row=None,
                    field=None,
                )
            ]
        )
    return rows


def _parse_json(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BulkRejected(
            [_error("parse_error", _("The body is not valid JSON."), row=None, field=None)]
        ) from error
    if not isinstance(data, list):
        raise BulkRejected(
            [_error("parse_error", _("Send a JSON array of rows."), row=None, field=None)]
        )
    rows = []
    errors = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            errors.append(
                _error("parse_error", _("Each row must be an object."), row=index, field=None)
            )
            continue
        rows.append({**item, "_row": index})
    if errors:
        raise BulkRejected(errors[:MAX_REPORTED_ERRORS])
    return rows


def _parse_ndjson(text: str) -> list[dict[str, Any]]:
    rows = []
    errors = []
    for index, line in enumerate((line for line in text.splitlines() if line.strip()), start=1):
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            item = None
        if not isinstance(item, dict):
            errors.append(
                _error("parse_error", _("This line is not a JSON object."), row=index, field=None)
            )
            continue
        rows.append({**item, "_row": index})
    if errors:
        raise BulkRejected(errors[:MAX_REPORTED_ERRORS])
    return rows


def _parse_csv(text: str) -> list[dict[str, Any]]:
    try:
        return _parse_csv_rows(text)
    except csv.Error as error:
        # A malformed file (e.g. a bare carriage return inside an unquoted field) is the
        # partner's error (400 with a parse_error), never a server error.
        raise BulkRejected(
            [_error("parse_error", _("This CSV line cannot be read."), row=None, field=None)]
        ) from error


def _parse_csv_rows(text: str) -> list[dict[str, Any]]:
    """One line per contract, or one line per instalment with the contract's columns repeated
    and ``instalment_number``, ``instalment_due_date``, … columns; lines of one contract are
    grouped by ``external_id`` and the contract's row is its first line."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        return []
    contracts: dict[str, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    has_schedule = f"{CSV_INSTALMENT_PREFIX}number" in reader.fieldnames
    for index, line in enumerate(reader, start=1):
        contract_fields = {
            key: value
            for key, value in line.items()
            if key and not key.startswith(CSV_INSTALMENT_PREFIX)
        }
        external_id = contract_fields.get("external_id") or f"\0{index}"
        record = contracts.get(external_id) if has_schedule else None
        if record is None:
            record = {**contract_fields, "_row": index}
            if has_schedule:
                record["instalments"] = []
                contracts[external_id] = record
            rows.append(record)
        if has_schedule:
            instalment = {
                key.removeprefix(CSV_INSTALMENT_PREFIX): value
                for key, value in line.items()
                if key and key.startswith(CSV_INSTALMENT_PREFIX)
            }
            if any(value not in (None, "") for value in instalment.values()):
                record["instalments"].append({**instalment, "_row": index})
    return rows


# --- Column validation ----------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _missing(series: pd.Series) -> pd.Series:
    return series.isna() | series.map(lambda value: isinstance(value, str) and value.strip() == "")


class _Columns:
    """Validates a frame column by column against model fields, collecting row errors."""

    def __init__(self, frame: pd.DataFrame, *, rows: pd.Series, prefix: pd.Series | None = None):
        self.frame = frame
        self.rows = rows
        self.prefix = prefix  # per-row field path prefix (nested instalments)
        self.errors: list[ErrorItem] = []
        self.bad = pd.Series(False, index=frame.index)
        self.values: dict[str, list[Any]] = {}

    def _path(self, index: Any, field: str) -> str:
        return f"{self.prefix[index]}{field}" if self.prefix is not None else field

    def report(self, mask: pd.Series, *, field: str, code: str, message: Any) -> None:
        if not mask.any():
            return
        self.bad |= mask
        for index in mask[mask].index:
            self.errors.append(
                _error(code, message, row=int(self.rows[index]), field=self._path(index, field))
            )

    def validate(self, field: models.Field, *, required: bool) -> None:
        name = field.name
        column = (
            self.frame[name]
            if name in self.frame
            else pd.Series(None, index=self.frame.index, dtype=object)
        )
        missing = _missing(column)
        present = ~missing
        if required:
            self.report(missing, field=name, code="required", message=_("This field is required."))
        # Object dtype throughout (None where missing), so that an all-empty column still
        # takes the string accessor.
        text = pd.Series(
            [
                str(value).strip() if is_present else None
                for value, is_present in zip(column.tolist(), present.tolist(), strict=True)
            ],
            index=self.frame.index,
            dtype=object,
        )
        strings = text.astype("string")
        if isinstance(field, models.DateField):
            parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
            self.report(
                present & parsed.isna(),
                field=name,
                code="invalid_date",
                message=_("Enter a date as YYYY-MM-DD."),
            )
            self.values[name] = [
                value.date() if not pd.isna(value) else None for value in parsed.tolist()
            ]
        elif isinstance(field, models.DecimalField):
            whole = field.max_digits - field.decimal_places
            pattern = rf"^-?\d{{1,{whole}}}(\.\d{{1,{field.decimal_places}}})?$"
            valid = strings.str.fullmatch(pattern).fillna(False).astype(bool)
            self.report(
                present & ~valid,
                field=name,
                code="invalid_decimal",
                message=_(
                    "Enter a number with at most {whole} digits before the decimal point and "
                    "{places} after it."
                ).format(whole=whole, places=field.decimal_places),
            )
            self.values[name] = [
                Decimal(value) if ok else None
                for value, ok in zip(text.tolist(), (present & valid).tolist(), strict=True)
            ]
        elif isinstance(field, models.BooleanField):
            mapping = {
                "true": True,
                "1": True,
                "yes": True,
                "false": False,
                "0": False,
                "no": False,
            }
            lowered = text.map(lambda value: mapping.get(value.lower()), na_action="ignore")
            self.report(
                present & lowered.isna(),
                field=name,
                code="invalid_boolean",
                message=_("Enter true or false."),
            )
            self.values[name] = [
                None if pd.isna(value) else bool(value) for value in lowered.tolist()
            ]
        elif isinstance(field, models.IntegerField):
            valid = strings.str.fullmatch(r"^\d{1,9}$").fillna(False).astype(bool)
            numbers = pd.to_numeric(text.where(valid), errors="coerce")
            low = 1 if name in {"number", "cycle_number"} else 0
            upper = 32767 if isinstance(field, models.PositiveSmallIntegerField) else 2**31 - 1
            in_range = (numbers >= low) & (numbers <= upper)
            self.report(
                present & ~(valid & in_range),
                field=name,
                code="invalid_integer",
                message=_("Enter a whole number between {low} and {high}.").format(
                    low=low, high=upper
                ),
            )
            self.values[name] = [
                int(value) if not pd.isna(value) else None for value in numbers.tolist()
            ]
        else:
            too_long = strings.str.len().fillna(0) > (field.max_length or 10**9)
            self.report(
                present & too_long,
                field=name,
                code="max_length",
                message=_("Use at most {limit} characters.").format(limit=field.max_length),
            )
            if field.choices:
                allowed = {str(choice) for choice, _label in field.flatchoices}
                self.report(
                    present & ~strings.isin(allowed).fillna(False).astype(bool),
                    field=name,
                    code="invalid_choice",
                    message=_("Choose one of: {choices}.").format(
                        choices=", ".join(sorted(allowed))
                    ),
                )
            self.values[name] = text.tolist()  # None where missing: the model default applies


def _contract_fields() -> list[models.Field]:
    return [
        field
        for field in FinancingContract._meta.concrete_fields
        if field.name not in EXCLUDED_FIELDS
    ]


def _is_required(field: models.Field) -> bool:
    return not field.null and not field.blank and not field.has_default()


# --- Validation -----------------------------------------------------------------------------


def _references(institution: Institution) -> dict[str, dict[str, Any]]:
    return {
        "branch": dict(Branch.objects.filter(institution=institution).values_list("code", "id")),
        "client": dict(
            Client.objects.filter(institution=institution).values_list("external_id", "id")
        ),
        "product": {
            code: (pk, contract_type)
            for code, pk, contract_type in FinancingProduct.objects.filter(
                institution=institution
            ).values_list("code", "id", "contract_type")
        },
    }


def validate_contracts(
    *, institution: Institution, rows: list[dict[str, Any]]
) -> tuple[list[FinancingContract], dict[int, list[Instalment]], list[ErrorItem]]:
    """Validate every row; return unsaved contracts, their schedules (by position) and errors."""
    fields = _contract_fields()
    known = {field.name for field in fields} | set(REFERENCE_FIELDS) | {"instalments", "_row"}
    errors: list[ErrorItem] = []
    unknown = sorted({key for row in rows for key in row} - known)
    for name in unknown:
        errors.append(
            _error("unknown_field", _("This field does not exist."), row=None, field=name)
        )
    frame = pd.DataFrame.from_records(
        [{key: value for key, value in row.items() if key != "instalments"} for row in rows]
    )
    if frame.empty:
        return [], {}, errors
    columns = _Columns(frame, rows=frame["_row"])
    for field in fields:
        if field.name == "contract_type":
            columns.validate(field, required=False)  # taken from the product when absent
        else:
            columns.validate(field, required=_is_required(field))
    values = columns.values

    # References, by the institution's own codes.
    references = _references(institution)
    resolved: dict[str, list[Any]] = {}
    for name in REFERENCE_FIELDS:
        column = frame[name] if name in frame else pd.Series(None, index=frame.index, dtype=object)
        missing = _missing(column)
        columns.report(missing, field=name, code="required", message=_("This field is required."))
        lookup = references[name]
        keys = column.map(
            lambda value: None if value is None else str(value).strip(), na_action="ignore"
        )
        found = keys.map(lambda key, lookup=lookup: lookup.get(key), na_action="ignore")
        columns.report(
            ~missing & found.isna(),
            field=name,
            code="unknown_reference",
            message=_("No {kind} of this institution has this code.").format(
                kind=str(
                    {"branch": _("branch"), "client": _("client"), "product": _("product")}[name]
                )
            ),
        )
        resolved[name] = [None if _is_missing(value) else value for value in found.tolist()]

    # The contract type is the product's.
    product_types = pd.Series(
        [value[1] if value else None for value in resolved["product"]], index=frame.index
    )
    given_types = pd.Series(values["contract_type"], index=frame.index).fillna("")
    columns.report(
        (given_types != "") & product_types.notna() & (given_types != product_types),
        field="contract_type",
        code="contract_type_mismatch",
        message=_("The contract type must be the product's."),
    )
    types = product_types.where(product_types.notna(), given_types)

    # Duplicates within the payload.
    external_ids = pd.Series(values["external_id"], index=frame.index).fillna("")
    columns.report(
        (external_ids != "") & external_ids.duplicated(keep="first"),
        field="external_id",
        code="duplicate",
        message=_("This contract number appears more than once in the request."),
    )

    _cross_column_checks(columns, values=values, types=types)

    # Schedules.
    schedules, schedule_errors = _validate_instalments(rows)
    errors.extend(columns.errors)
    errors.extend(schedule_errors)

    # Unsaved contracts; then every registered contract rule (the Shariah blocking rules).
    contracts: list[FinancingContract] = []
    bad = columns.bad.tolist()
    data_names = [field.attname for field in fields]
    for position in range(len(frame)):
        if bad[position]:
            contracts.append(None)  # type: ignore[arg-type]
            continue
        contract = FinancingContract(
            institution=institution,
            branch_id=resolved["branch"][position],
            client_id=resolved["client"][position],
            product_id=resolved["product"][position][0],
            **{name: values[name][position] for name in data_names if name in values},
        )
        for field in fields:
            if values[field.name][position] is None and not field.null:
                setattr(contract, field.attname, field.get_default())
        contract.contract_type = types.iloc[position]
        contracts.append(contract)
        violations = violations_of(contract)
        contract._rule_warnings = [v for v in violations if not v.blocking]  # type: ignore[attr-defined]
        for violation in violations:
            if violation.blocking:
                errors.append(
                    _error(
                        violation.code,
                        violation.message,
                        row=int(frame["_row"].iloc[position]),
                        field=None
                        if violation.field in ("", NON_FIELD_ERRORS)
                        else violation.field,
                    )
                )
    return contracts, schedules, errors


def _cross_column_checks(
    columns: _Columns, *, values: dict[str, list[Any]], types: pd.Series
) -> None:
    index = types.index

    def dates(name: str) -> pd.Series:
        return pd.to_datetime(pd.Series(values[name], index=index), errors="coerce")

    def money(name: str) -> pd.Series:
        return pd.Series(
            [float(value) if value is not None else float("nan") for value in values[name]],
            index=index,
        )

    contract_date, disbursed, maturity = (
        dates("contract_date"),
        dates("disbursement_date"),
        dates("maturity_date"),
    )
    columns.report(
        disbursed < contract_date,
        field="disbursement_date",
        code="date_order",
        message=_("The disbursement date cannot be before the contract date."),
    )
    columns.report(
        maturity < disbursed,
        field="maturity_date",
        code="date_order",
        message=_("The maturity date cannot be before the disbursement date."),
    )
    financed, profit = money("financed_amount"), money("profit_amount").fillna(0)
    columns.report(
        financed <= 0,
        field="financed_amount",
        code="not_positive",
        message=_("The financed amount must be greater than zero."),
    )
    for name in (
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
    ):
        columns.report(
            money(name) < 0, field=name, code="negative", message=_("Amounts cannot be negative.")
        )
    sale_based = types.isin([t.value for t in SALE_BASED_TYPES])
    sale_price = money("sale_price")
    columns.report(
        sale_based
        & financed.notna()
        & ~((sale_price - financed - profit).abs() <= float(MONEY_TOLERANCE)),
        field="sale_price",
        code="sale_price_mismatch",
        message=_("For murabaha and istisna the sale price must equal the cost plus the markup."),
    )
    salam = types == ContractType.SALAM
    commodity = pd.Series(values["commodity"], index=index).fillna("")
    columns.report(
        salam & (dates("delivery_date").isna() | (commodity == "")),
        field="commodity",
        code="salam_incomplete",
        message=_("A salam needs a commodity and a delivery date."),
    )
    institution_share, client_share = (
        money("institution_profit_share"),
        money("client_profit_share"),
    )
    equity = types.isin([t.value for t in EQUITY_TYPES])
    columns.report(
        equity & institution_share.isna(),
        field="institution_profit_share",
        code="required",
        message=_("Musharaka, mudaraba and diminishing musharaka need profit-sharing ratios."),
    )
    either = institution_share.notna() | client_share.notna()
    shares_ok = (
        institution_share.between(0, 100)
        & client_share.between(0, 100)
        & ((institution_share + client_share - 100).abs() <= 0.00005)
    )
    columns.report(
        either & ~shares_ok,
        field="institution_profit_share",
        code="profit_shares",
        message=_("Profit shares must each be between 0 and 100 and add up to 100."),
    )
    columns.report(
        (types == ContractType.QARD_HASSAN) & (profit != 0),
        field="profit_amount",
        code="qard_hassan_profit",
        message=_("A qard hassan cannot carry a profit."),
    )


def _validate_instalments(
    rows: list[dict[str, Any]],
) -> tuple[dict[int, list[Instalment]], list[ErrorItem]]:
    errors: list[ErrorItem] = []
    records: list[dict[str, Any]] = []
    for position, row in enumerate(rows):
        schedule = row.get("instalments")
        if schedule in (None, ""):
            continue
        if not isinstance(schedule, list):
            errors.append(
                _error(
                    "invalid",
                    _("Send the schedule as a list."),
                    row=row["_row"],
                    field="instalments",
                )
            )
            continue
        for number, item in enumerate(schedule):
            if not isinstance(item, dict):
                errors.append(
                    _error(
                        "invalid",
                        _("Each instalment must be an object."),
                        row=row["_row"],
                        field=f"instalments[{number}]",
                    )
                )
                continue
            unknown = set(item) - set(INSTALMENT_FIELDS) - {"_row"}
            for name in sorted(unknown):
                errors.append(
                    _error(
                        "unknown_field",
                        _("This field does not exist."),
                        row=row["_row"],
                        field=f"instalments[{number}].{name}",
                    )
                )
            records.append(
                {
                    **{name: item.get(name) for name in INSTALMENT_FIELDS},
                    "_position": position,
                    "_row": item.get("_row", row["_row"]),
                    "_prefix": f"instalments[{number}].",
                }
            )
    if not records:
        return {}, errors
    frame = pd.DataFrame.from_records(records)
    columns = _Columns(frame, rows=frame["_row"], prefix=frame["_prefix"])
    for name in INSTALMENT_FIELDS:
        field = Instalment._meta.get_field(name)
        columns.validate(field, required=name != "profit_due")
    for name in ("principal_due", "profit_due"):
        amounts = pd.Series(
            [float(v) if v is not None else float("nan") for v in columns.values[name]]
        )
        columns.report(
            amounts < 0, field=name, code="negative", message=_("Amounts cannot be negative.")
        )
    numbers = pd.Series(columns.values["number"])
    duplicated = pd.DataFrame({"p": frame["_position"], "n": numbers}).duplicated(keep="first")
    columns.report(
        numbers.notna() & duplicated,
        field="number",
        code="duplicate",
        message=_("This instalment number appears more than once in the schedule."),
    )
    errors.extend(columns.errors)
    schedules: dict[int, list[Instalment]] = {}
    for index, position in enumerate(frame["_position"].tolist()):
        schedules.setdefault(position, []).append(
            Instalment(
                number=columns.values["number"][index],
                due_date=columns.values["due_date"][index],
                principal_due=columns.values["principal_due"][index],
                profit_due=columns.values["profit_due"][index] or Decimal("0"),
            )
        )
    return schedules, errors


# --- Applying -------------------------------------------------------------------------------


def _cap(errors: list[ErrorItem]) -> list[ErrorItem]:
    errors = sorted(errors, key=lambda item: item.get("row") or 0)
    if len(errors) <= MAX_REPORTED_ERRORS:
        return errors
    return [
        *errors[:MAX_REPORTED_ERRORS],
        _error(
            "too_many_errors",
            _("{count} more errors were not listed.").format(
                count=len(errors) - MAX_REPORTED_ERRORS
            ),
            row=None,
            field=None,
        ),
    ]


def _batches(items: list[Any], size: int = BATCH_SIZE) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def contracts_bulk_upsert(
    *,
    actor: User,
    institution: Institution,
    rows: list[dict[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Validate ``rows`` completely, then upsert every contract and schedule, or none.

    Raises ``BulkRejected`` with every error found (up to ``MAX_REPORTED_ERRORS``).
    """
    _require_can_enter_data(actor=actor, institution=institution)
    contracts, schedules, errors = validate_contracts(institution=institution, rows=rows)
    if errors:
        raise BulkRejected(_cap(errors))
    external_ids = [contract.external_id for contract in contracts]
    update_fields = [field.name for field in _contract_fields() if field.name != "external_id"] + [
        "branch",
        "client",
        "product",
        "updated_at",
    ]
    now = timezone.now()
    try:
        with transaction.atomic():
            existing = (
                set(
                    FinancingContract.objects.filter(
                        institution=institution, external_id__in=external_ids
                    ).values_list("external_id", flat=True)
                )
                if len(external_ids) <= 30_000
                else set(
                    FinancingContract.objects.filter(institution=institution).values_list(
                        "external_id", flat=True
                    )
                )
                & set(external_ids)
            )
            done = 0
            for batch in _batches(contracts):
                for contract in batch:
                    contract.created_at = contract.updated_at = now
                FinancingContract.objects.bulk_create(
                    batch,
                    update_conflicts=True,
                    unique_fields=["institution", "external_id"],
                    update_fields=update_fields,
                )
                done += len(batch)
                if progress is not None:
                    progress(done // 2 if schedules else done)
            ids = dict(
                FinancingContract.objects.filter(institution=institution).values_list(
                    "external_id", "id"
                )
            )
            for contract in contracts:
                contract.pk = ids[contract.external_id]
            instalments: list[Instalment] = []
            last_numbers: dict[int, int] = {}
            for position, schedule in schedules.items():
                contract_id = contracts[position].pk
                for instalment in schedule:
                    instalment.contract_id = contract_id
                instalments.extend(schedule)
                last_numbers[contract_id] = max(instalment.number for instalment in schedule)
            written = 0
            for batch in _batches(instalments, BATCH_SIZE * 5):
                Instalment.objects.bulk_create(
                    batch,
                    update_conflicts=True,
                    unique_fields=["contract", "number"],
                    update_fields=["due_date", "principal_due", "profit_due"],
                )
                written += len(batch)
                if progress is not None and instalments:
                    progress(
                        len(contracts) // 2 + len(contracts) * written // (2 * len(instalments))
                    )
            # A re-sent, shorter schedule drops the instalments it no longer has (unpaid ones).
            updated_ids = [ids[external_id] for external_id in existing if external_id in ids]
            if updated_ids and last_numbers:
                for batch in _batches([pk for pk in updated_ids if pk in last_numbers], 500):
                    stale = models.Q()
                    for pk in batch:
                        stale |= models.Q(contract_id=pk, number__gt=last_numbers[pk])
                    Instalment.objects.filter(stale, principal_paid=0, profit_paid=0).delete()
            # Warnings (non-blocking rule violations) are handed over once the rows exist.
            for contract in contracts:
                if contract._rule_warnings:  # type: ignore[attr-defined]
                    warnings_hand_over(contract, contract._rule_warnings)  # type: ignore[attr-defined]
    except IntegrityError as error:
        raise BulkRejected(
            [
                _error(
                    "constraint_violation",
                    _("The database refused the rows: {error}").format(error=error),
                    row=None,
                    field=None,
                )
            ]
        ) from error
    return {
        "rows": len(contracts),
        "created": len(contracts) - len(existing),
        "updated": len(existing),
        "instalments": len(instalments),
    }


def bulk_apply(
    *,
    kind: str,
    actor: User,
    institution: Institution,
    rows: list[dict[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Dispatch an import to the upsert of its kind."""
    if kind == "contracts":
        return contracts_bulk_upsert(
            actor=actor, institution=institution, rows=rows, progress=progress
        )
    raise BulkRejected(
        [
            _error(
                "unsupported_kind",
                _("This kind of import is not supported yet."),
                row=None,
                field=None,
            )
        ]
    )
