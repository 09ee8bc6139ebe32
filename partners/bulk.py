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
updates them, never duplicates them. Paid amounts on instalments are kept. A re-sent contract
is checked by the contract rules as an update of the stored row (it carries that row's ``pk``),
through ``violations_of_many`` (one call for the whole payload). On PostgreSQL new contracts
and their schedules go in by COPY straight into the tables, re-sent ones through a temporary
table and ``INSERT … ON CONFLICT`` (``_write_postgres``); every contract gets an audit-trail
row (simple-history: ``+`` created, ``~`` updated, by the importing user).

Repayments (``validate_repayments``, ``repayments_bulk_upsert``) name their contract by number,
are upserted by ``(contract, external_id)`` (the payment reference), are refused inside a
quarter that can no longer change, and leave the contracts' instalments settled
(``institutions.services.instalments_settle``). ``bulk_apply`` dispatches an import job by kind.

Public interface (also used by the browser import): ``parse_payload``, ``validate_contracts``,
``validate_repayments``, ``contracts_bulk_upsert``, ``repayments_bulk_upsert``, ``bulk_apply``,
``BulkRejected``; errors are ``{row, field, code, message}``.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from itertools import islice
from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.contract_rules import violations_of_many, warnings_hand_over
from institutions.models import (
    DEBT_BASED_TYPES,
    EQUITY_TYPES,
    INSTALMENT_COLUMNS,
    MONEY_TOLERANCE,
    NON_NEGATIVE_CONTRACT_AMOUNTS,
    SALE_BASED_TYPES,
    Branch,
    Client,
    ContractType,
    FinancingContract,
    FinancingProduct,
    Instalment,
    Institution,
    Repayment,
    repayment_date_problem,
)
from institutions.services import (
    _in_cents,
    _require_can_enter_data,
    instalments_settle,
    periods_not_editable,
)
from users.models import User

MAX_ROWS = 100_000
MAX_REPORTED_ERRORS = 1_000
BATCH_SIZE = 2_000
CSV_INSTALMENT_PREFIX = "instalment_"
#: Ids per ``IN (…)`` list when looking rows up by key.
ID_CHUNK = 10_000

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


def _history_record(model: Any, rows: list[Any], *, existing: set[str], actor: User) -> None:
    """The audit trail of a bulk upsert: a ``+`` history row for each new record, a ``~`` for each
    one that was already stored (by its ``external_id``), all by ``actor``."""
    for changed in (False, True):
        model.history.bulk_history_create(
            [row for row in rows if (row.external_id in existing) is changed],
            batch_size=BATCH_SIZE,
            update=changed,
            default_user=actor,
        )


@contextmanager
def _all_or_nothing() -> Iterator[None]:
    """One transaction for a whole bulk write. A row the database still refuses (a constraint the
    validation could not see, e.g. a concurrent insert) rejects the whole payload, with nothing
    written."""
    try:
        with transaction.atomic():
            yield
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
    return _numbered_rows(data, _("Each row must be an object."))


def _parse_ndjson(text: str) -> list[dict[str, Any]]:
    def decoded(line: str) -> Any:
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            return None

    lines = (decoded(line) for line in text.splitlines() if line.strip())
    return _numbered_rows(lines, _("This line is not a JSON object."))


def _numbered_rows(items: Iterable[Any], not_an_object: Any) -> list[dict[str, Any]]:
    """The rows, each with its number (from 1) under ``_row``; every item that is not an
    object is an error on its row, and any error rejects the payload."""
    rows = []
    errors = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors.append(_error("parse_error", not_an_object, row=index, field=None))
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


def _unknown_fields(
    rows: list[dict[str, Any]], known: set[str] | frozenset[str]
) -> list[ErrorItem]:
    """One error per column no field takes, on the first row that carries it."""
    unknown = {key for row in rows for key in row} - known
    first: dict[str, int] = {}
    for row in rows if unknown else ():
        for key in unknown.intersection(row).difference(first):
            first[key] = row["_row"]
    return [
        _error("unknown_field", _("This field does not exist."), row=first[name], field=name)
        for name in sorted(unknown)
    ]


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
        if name not in self.frame:
            # An absent column: nothing to check value by value (most of a contract's columns
            # are absent from most payloads).
            missing = pd.Series(True, index=self.frame.index)
            if required:
                self.report(
                    missing, field=name, code="required", message=_("This field is required.")
                )
            self.values[name] = [None] * len(self.frame)
            return
        column = self.frame[name]
        missing = _missing(column)
        present = ~missing
        if required:
            self.report(missing, field=name, code="required", message=_("This field is required."))
        # Object dtype throughout (None where missing), so that an all-empty column still
        # takes the string accessor.
        raw = column.tolist()
        if isinstance(field, models.BooleanField):
            raw = [{True: "true", False: "false"}.get(v, v) if type(v) is bool else v for v in raw]
        texts, wrong = _texts(raw)
        text = pd.Series(
            [t if is_present else None for t, is_present in zip(texts, present, strict=True)],
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
            # datetime.date objects, None where missing or invalid; through numpy, which is
            # an order of magnitude faster than a Timestamp per value.
            days = parsed.to_numpy(dtype="datetime64[D]")
            objects = days.astype(object)
            objects[np.isnat(days)] = None
            self.values[name] = objects.tolist()
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
            self.report(
                present & pd.Series(wrong, index=self.frame.index),
                field=name,
                code="invalid",
                message=_("Not a valid string."),
            )
            self.report(
                present & strings.str.contains("\x00", regex=False).fillna(False).astype(bool),
                field=name,
                code="invalid",
                message=_("Text cannot contain NUL characters."),
            )
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
                    present & ~wrong & ~strings.isin(allowed).fillna(False).astype(bool),
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


def _chunks(items: list[Any], size: int = ID_CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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


def _stored_contract_ids(institution: Institution | int, external_ids: list[Any]) -> dict[str, int]:
    """The stored contracts' ids by number, among ``external_ids`` (a few queries)."""
    return _stored_ids(FinancingContract, institution, external_ids)


def _stored_ids(
    model: type[models.Model], institution: Institution | int, external_ids: list[Any]
) -> dict[str, int]:
    """The institution's stored ``model`` rows' ids by number (``external_id``), among
    ``external_ids`` (a few queries)."""
    # A value with U+0000 is already an error (PostgreSQL text cannot hold it): never query it.
    wanted = sorted(
        {
            str(value).strip()
            for value in external_ids
            if isinstance(value, str | int) and value != "" and "\x00" not in str(value)
        }
    )
    if len(wanted) > 30_000:
        # One scan of the institution's rows beats many long IN lists.
        every = model.objects.filter(institution=institution).values_list("external_id", "id")
        wanted_set = set(wanted)
        return {number: pk for number, pk in every if number in wanted_set}
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        found.update(
            model.objects.filter(institution=institution, external_id__in=chunk).values_list(
                "external_id", "id"
            )
        )
    return found


def _with_stored_values(
    model: type[models.Model],
    institution: Institution,
    rows: list[dict[str, Any]],
    *,
    fields: list[models.Field],
    references: dict[str, str],
) -> list[dict[str, Any]]:
    """``rows`` where a row whose number (``external_id``) is already stored takes the stored
    value of every column it does not carry: re-sending a record updates the columns sent and
    keeps the others, as a single POST does. A column sent empty (or null) is cleared.

    ``references`` names the foreign keys a row gives by code, and the related field of that
    code (e.g. ``{"branch": "code"}``). A few queries per 10,000 stored rows; none when
    nothing is stored."""
    numbers = [row.get("external_id") for row in rows]
    stored = _stored_ids(model, institution, numbers)
    if not stored:
        return rows
    names = [field.name for field in fields if field.name != "external_id"]
    lookups = [*(f"{name}__{code}" for name, code in references.items()), *names]
    by_pk: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(stored.values()))):
        for values in model.objects.filter(pk__in=chunk).values("pk", *lookups):
            record: dict[str, Any] = {}
            for name, code in references.items():
                record[name] = values[f"{name}__{code}"]
            for name in names:
                value = values[name]
                if isinstance(value, datetime.date):
                    value = value.isoformat()
                elif isinstance(value, Decimal):
                    value = str(value)
                record[name] = value
            by_pk[values["pk"]] = record
    merged = []
    for row, number in zip(rows, numbers, strict=True):
        pk = stored.get(str(number).strip()) if isinstance(number, str | int) else None
        merged.append({**by_pk[pk], **row} if pk is not None else row)
    return merged


def validate_contracts(
    *, institution: Institution, rows: list[dict[str, Any]]
) -> tuple[list[FinancingContract], dict[int, list[Instalment]], list[ErrorItem]]:
    """Validate every row; return unsaved contracts, their schedules (by position) and errors.

    Nothing is written. A contract whose number is already stored comes back with that row's
    ``pk`` (it was checked as an update); a row with errors comes back as ``None``.
    """
    contracts, schedule, errors = _validate(institution=institution, rows=rows)
    return contracts, _schedule_objects(schedule), errors


def _validate(
    *, institution: Institution, rows: list[dict[str, Any]]
) -> tuple[list[FinancingContract], pd.DataFrame, list[ErrorItem]]:
    """``validate_contracts`` with the schedules as one frame (see ``_validate_instalments``)."""
    fields = _contract_fields()
    rows = _with_stored_values(
        FinancingContract,
        institution,
        rows,
        fields=fields,
        references={"branch": "code", "client": "external_id", "product": "code"},
    )
    known = {field.name for field in fields} | set(REFERENCE_FIELDS) | {"instalments", "_row"}
    errors: list[ErrorItem] = _unknown_fields(rows, known)
    frame = pd.DataFrame.from_records(
        [{key: value for key, value in row.items() if key != "instalments"} for row in rows]
    )
    if frame.empty:
        return [], _validate_instalments([])[0], errors
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
    schedule, schedule_errors = _validate_instalments(rows)
    errors.extend(columns.errors)
    errors.extend(schedule_errors)
    if not schedule_errors:
        errors.extend(_schedule_against_terms(schedule, values=values, types=types))

    # Unsaved contracts; then every registered contract rule (the Shariah blocking rules), once
    # over all of them. A row whose contract number is already stored carries the stored
    # row's ``pk``: the rules check it as an update of that contract (the update stage, e.g. a
    # murabaha's sale price changed after signing).
    stored_ids = _stored_contract_ids(institution, external_ids.tolist())
    contracts: list[FinancingContract] = []
    bad = columns.bad.tolist()
    # Positional construction (as ``Model.from_db`` does) in the table's column order: several
    # times cheaper than keyword arguments for a model of this width.
    branch_ids, client_ids = resolved["branch"], resolved["client"]
    product_ids = [value[0] if value else None for value in resolved["product"]]
    type_list = types.tolist()
    sources: list[tuple[str, Any, list[Any] | None]] = []
    for field in FinancingContract._meta.concrete_fields:
        default = None if field.null else field.get_default()
        sources.append((field.attname, default, values.get(field.name)))
    institution_field = FinancingContract._meta.get_field("institution")
    attnames = [attname for attname, _default, _column in sources]
    new_contract = FinancingContract.__new__
    for position in range(len(frame)):
        if bad[position]:
            contracts.append(None)  # type: ignore[arg-type]
            continue
        special = {
            "id": stored_ids.get(values["external_id"][position]),
            "institution_id": institution.pk,
            "branch_id": branch_ids[position],
            "client_id": client_ids[position],
            "product_id": product_ids[position],
            "contract_type": type_list[position],
        }
        arguments = []
        for attname, default, column in sources:
            if attname in special:
                arguments.append(special[attname])
                continue
            value = column[position] if column is not None else None
            arguments.append(default if value is None else value)
        # What ``Model.__init__`` does for plain values, without its per-field machinery (no
        # receiver listens to this model's ``pre_init``/``post_init``).
        contract = new_contract(FinancingContract)
        contract._state = ModelState()
        contract.__dict__.update(zip(attnames, arguments, strict=True))
        institution_field.set_cached_value(contract, institution)
        contracts.append(contract)
    checked = [contract for contract in contracts if contract is not None]
    positions = [position for position, contract in enumerate(contracts) if contract is not None]
    row_numbers = frame["_row"].tolist()
    for position, contract, violations in zip(
        positions, checked, violations_of_many(checked), strict=True
    ):
        contract._rule_warnings = [v for v in violations if not v.blocking]  # type: ignore[attr-defined]
        for violation in violations:
            if violation.blocking:
                errors.append(
                    _error(
                        violation.code,
                        violation.message,
                        row=int(row_numbers[position]),
                        field=None
                        if violation.field in ("", NON_FIELD_ERRORS)
                        else violation.field,
                    )
                )
    errors.extend(_frozen_quarter_errors(institution, contracts, schedule, row_numbers))
    return contracts, schedule, errors


def _schedule_against_terms(
    schedule: pd.DataFrame, *, values: dict[str, list[Any]], types: pd.Series
) -> list[ErrorItem]:
    """A schedule must fit its contract, as ``contract_schedule_replace`` requires on the
    other paths: nothing falls due before the disbursement, and for debt-based contracts the
    principal adds up to the financed amount (the cost recovered, DECISIONS D5)."""
    if schedule.empty:
        return []
    errors: list[ErrorItem] = []
    positions = schedule["position"].to_numpy()
    disbursed = pd.to_datetime(pd.Series(values["disbursement_date"], dtype=object))
    early = (schedule["due_date"].to_numpy() < disbursed.to_numpy()[positions]) & ~pd.isna(
        disbursed.to_numpy()[positions]
    )
    slots = schedule.groupby("position").cumcount().to_numpy()
    for index in np.flatnonzero(early).tolist():
        errors.append(
            _error(
                "before_disbursement",
                _("An instalment cannot fall due before the disbursement ({date}).").format(
                    date=values["disbursement_date"][positions[index]].isoformat()
                ),
                row=int(schedule["row"].iat[index]),
                field=f"instalments[{slots[index]}].due_date",
            )
        )
    principal = schedule.groupby("position")["principal_due"].sum()
    debt_based = types.isin([t.value for t in DEBT_BASED_TYPES]).to_numpy()
    rows = schedule.groupby("position")["row"].first()
    for position, total in principal.items():
        financed = values["financed_amount"][position]
        if not debt_based[position] or financed is None:
            continue
        if abs(int(total) - int(financed * 100)) > 1:
            errors.append(
                _error(
                    "schedule_total",
                    _(
                        "The instalments' principal adds up to {total}, not to the financed "
                        "amount {financed}."
                    ).format(total=Decimal(int(total)).scaleb(-2), financed=financed),
                    row=int(rows[position]),
                    field="instalments",
                )
            )
    return errors


#: What may still change on a contract disbursed in a quarter that can no longer change.
FROZEN_CHANGEABLE = {"status", "created_at", "updated_at"}


def _frozen_quarter_errors(
    institution: Institution,
    contracts: list[FinancingContract | None],
    schedule: pd.DataFrame,
    row_numbers: list[int],
) -> list[ErrorItem]:
    """A contract disbursed in a quarter that is submitted, approved or locked is part of that
    quarter's data: a new one is refused, and a stored one (by its stored or its new
    disbursement date) may be re-sent unchanged, or with a new status, but its terms and its
    schedule cannot change (``period_not_editable``), as repayments dated there cannot."""
    positions = [p for p, c in enumerate(contracts) if c is not None and c.disbursement_date]
    if not positions or not periods_not_editable(institution=institution):
        return []
    new_dates = pd.Series(
        [contracts[p].disbursement_date for p in positions], index=positions, dtype=object
    )
    stored_pks = [contracts[p].pk for p in positions if contracts[p].pk is not None]
    stored: dict[int, FinancingContract] = {}
    for chunk in _chunks(stored_pks):
        stored.update((c.pk, c) for c in FinancingContract.objects.filter(pk__in=chunk))
    old_dates = pd.Series(
        [
            stored[contracts[p].pk].disbursement_date if contracts[p].pk in stored else None
            for p in positions
        ],
        index=positions,
        dtype=object,
    )
    new_locked, new_messages = _locked_dates(institution, pd.to_datetime(new_dates))
    old_locked, old_messages = _locked_dates(institution, pd.to_datetime(old_dates))
    frozen = [p for p in positions if new_locked[p] or old_locked[p]]
    if not frozen:
        return []
    # Which frozen stored contracts would change: a column, or their schedule.
    compared = [
        field.attname
        for field in FinancingContract._meta.concrete_fields
        if field.name not in FROZEN_CHANGEABLE and not field.primary_key
    ]
    changed: set[int] = set()
    frozen_stored = [p for p in frozen if contracts[p].pk in stored]
    for position in frozen_stored:
        contract, before = contracts[position], stored[contracts[position].pk]
        if any(getattr(contract, name) != getattr(before, name) for name in compared):
            changed.add(position)
    sent = schedule[schedule["position"].isin(frozen_stored)]
    if len(sent):
        pk_of = {p: contracts[p].pk for p in frozen_stored}
        sent = pd.DataFrame(
            {
                "contract_id": sent["position"].map(pk_of).to_numpy(),
                "number": sent["number"].to_numpy(),
                "due_date": pd.to_datetime(sent["due_date"]).dt.date.to_numpy(),
                "principal_due": sent["principal_due"].to_numpy(),
                "profit_due": sent["profit_due"].to_numpy(),
            }
        )
        kept = pd.DataFrame.from_records(
            [
                row
                for chunk in _chunks(sorted(set(sent["contract_id"].tolist())))
                for row in Instalment.objects.filter(contract_id__in=chunk).values_list(
                    "contract_id",
                    "number",
                    "due_date",
                    _in_cents("principal_due"),
                    _in_cents("profit_due"),
                )
            ],
            columns=["contract_id", "number", "due_date", "principal_due", "profit_due"],
        )
        both = sent.merge(kept, how="outer", indicator=True)
        moved = set(both.loc[both["_merge"] != "both", "contract_id"].tolist())
        changed |= {p for p in frozen_stored if contracts[p].pk in moved}
    errors = []
    for position in frozen:
        if contracts[position].pk in stored and position not in changed:
            continue  # re-sent unchanged (or with a new status only)
        message = old_messages.get(position) or new_messages[position]
        errors.append(
            _error(
                "period_not_editable",
                message,
                row=int(row_numbers[position]),
                field="disbursement_date",
            )
        )
    return errors


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
    for name in NON_NEGATIVE_CONTRACT_AMOUNTS:
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


_WHOLE = re.compile(r"[0-9]{1,9}")
_MONEY_TEXT = re.compile(r"-?[0-9]{1,16}(?:\.[0-9]{1,2})?")  # ASCII digits only
#: Below this, ``rint(float(text) * 100)`` is the exact number of cents of a money text.
_FLOAT_EXACT = 1e11


def _texts(values: Iterable[Any]) -> tuple[list[str | None], np.ndarray]:
    """Each value as the text it stands for (``None`` when absent), and which ones are of a
    type no column takes (a list, an object, true/false): those are ``None`` too.

    A JSON number is written back as Python writes it (the shortest text that reads back as
    the same number); a whole float as an integer (pandas turns 5 into 5.0 in a column where
    other rows lack the key)."""
    values = values if isinstance(values, list) else list(values)
    kinds = set(map(type, values))
    if kinds <= {str}:  # the usual cases: a pass in C
        return list(map(str.strip, values)), np.zeros(len(values), dtype=bool)
    if kinds == {int}:
        return list(map(str, values)), np.zeros(len(values), dtype=bool)
    texts: list[str | None] = []
    wrong: list[bool] = []
    for value in values:
        if value is None or value is pd.NA or type(value) in (bool, dict, list):
            texts.append(None)
            wrong.append(type(value) in (bool, dict, list))
        elif type(value) is str:
            texts.append(value.strip())
            wrong.append(False)
        elif isinstance(value, float):
            texts.append(str(int(value)) if value.is_integer() else str(value))
            wrong.append(False)
        else:
            texts.append(str(value).strip())
            wrong.append(False)
    return texts, np.array(wrong, dtype=bool)


def _money_shape(texts: list[str]) -> np.ndarray:
    """``_MONEY_TEXT.fullmatch`` of every text, as one array operation on their characters:
    an optional leading minus, 1 to 16 digits, then optionally a point and 1 or 2 digits."""
    width = 20  # the longest money text: "-" + 16 digits + "." + 2 digits
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    codes = np.array(texts, dtype=f"U{width}").view(np.uint32).reshape(len(texts), width)
    inside = np.arange(width) < lengths[:, None]
    digit = (codes >= ord("0")) & (codes <= ord("9"))
    point = (codes == ord(".")) & inside
    minus = codes[:, 0] == ord("-")
    allowed = digit | point
    allowed[:, 0] |= minus
    points = point.sum(axis=1)
    at = np.where(points == 1, point.argmax(axis=1), lengths)  # where the decimals start
    whole = at - minus
    places = lengths - at - 1
    return (
        (lengths <= width)
        & (allowed | ~inside).all(axis=1)
        & (whole >= 1)
        & (whole <= 16)
        & ((points == 0) | ((points == 1) & (places >= 1) & (places <= 2)))
    )


def _money_cents(texts: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """Which texts are money (at most 16 digits before the point and 2 after it, optionally
    negative), and their exact value in integer cents (0 where not money)."""
    if None in texts:
        match = _MONEY_TEXT.fullmatch
        valid = np.fromiter(
            (text is not None and match(text) is not None for text in texts),
            dtype=bool,
            count=len(texts),
        )
    else:  # the usual case, by whole arrays (a regular expression per value costs 1 µs)
        valid = (
            np.concatenate(
                [
                    _money_shape(texts[start : start + 250_000])
                    for start in range(0, len(texts), 250_000)
                ]
            )
            if texts
            else np.zeros(0, dtype=bool)
        )
    amounts = pd.to_numeric(pd.Series(texts, dtype=object).where(valid), errors="coerce")
    floats = amounts.to_numpy(dtype=float, na_value=0.0)
    cents = np.rint(floats * 100).astype(np.int64)
    # Beyond 10^11 a double no longer holds every cent: those few are read digit by digit.
    for index in np.flatnonzero(np.abs(floats) >= _FLOAT_EXACT).tolist():
        text = texts[index]
        whole, _point, fraction = text.lstrip("-").partition(".")
        value = int(whole) * 100 + int((fraction + "00")[:2])
        cents[index] = -value if text.startswith("-") else value
    return valid, cents


SCHEDULE_COLUMNS = ("position", "row", "number", "due_date", "principal_due", "profit_due")


def _validate_instalments(
    rows: list[dict[str, Any]],
) -> tuple[pd.DataFrame, list[ErrorItem]]:
    """Every schedule of ``rows`` as one frame (one line per instalment: the contract's
    ``position``, the payload ``row``, ``number``, ``due_date`` (datetime64), and the amounts
    in integer cents), and the errors found. Whole columns at a time: no model instance and no
    Python work per value beyond collecting it, so that 1.2 million instalments validate in a
    few seconds."""
    errors: list[ErrorItem] = []
    allowed = frozenset((*INSTALMENT_FIELDS, "_row"))
    # Flatten every schedule (one list comprehension per column, no work per value beyond it).
    sizes: list[int] = []
    schedules: list[list[Any]] = []
    for row in rows:
        schedule = row.get("instalments")
        if schedule is None or schedule == "":
            sizes.append(0)
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
            sizes.append(0)
            continue
        sizes.append(len(schedule))
        schedules.append(schedule)
    items = [item for schedule in schedules for item in schedule]
    counts = np.array(sizes, dtype=np.int64)
    position_array = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
    slot_array = np.arange(len(items), dtype=np.int64) - np.repeat(
        np.cumsum(counts) - counts, counts
    )
    row_array = np.repeat(np.array([row["_row"] for row in rows], dtype=np.int64), counts)
    is_dict = np.fromiter((type(item) is dict for item in items), dtype=bool, count=len(items))
    if not is_dict.all():
        for index in np.flatnonzero(~is_dict).tolist():
            errors.append(
                _error(
                    "invalid",
                    _("Each instalment must be an object."),
                    row=int(row_array[index]),
                    field=f"instalments[{slot_array[index]}]",
                )
            )
        items = [item for item, ok in zip(items, is_dict.tolist(), strict=True) if ok]
        position_array, slot_array, row_array = (
            position_array[is_dict],
            slot_array[is_dict],
            row_array[is_dict],
        )
    keys: set[str] = set()
    for item in items:
        keys.update(item)
    if keys - allowed:
        for index, item in enumerate(items):
            for name in sorted(item.keys() - allowed):
                errors.append(
                    _error(
                        "unknown_field",
                        _("This field does not exist."),
                        row=int(row_array[index]),
                        field=f"instalments[{slot_array[index]}].{name}",
                    )
                )
    if "_row" in keys:  # CSV: each instalment has its own line
        row_array = np.array(
            [item.get("_row", row) for item, row in zip(items, row_array.tolist(), strict=True)],
            dtype=np.int64,
        )
    collected = {name: [item.get(name) for item in items] for name in INSTALMENT_FIELDS}
    number_list, due_list = collected["number"], collected["due_date"]
    positions, row_numbers, slots = position_array, row_array.tolist(), slot_array.tolist()
    frame = pd.DataFrame({"position": positions, "row": row_numbers}, dtype="int64")
    if frame.empty:
        return frame.assign(
            number=pd.Series(dtype="int64"),
            due_date=pd.Series(dtype="datetime64[ns]"),
            principal_due=pd.Series(dtype="int64"),
            profit_due=pd.Series(dtype="int64"),
        ), errors
    bad = np.zeros(len(frame), dtype=bool)

    def report(mask: np.ndarray, name: str, code: str, message: Any) -> None:
        nonlocal bad
        mask = np.asarray(mask, dtype=bool) & ~bad
        bad |= mask
        for index in np.flatnonzero(mask).tolist():
            errors.append(
                _error(
                    code,
                    message,
                    row=int(row_numbers[index]),
                    field=f"instalments[{slots[index]}].{name}",
                )
            )

    def present(texts: list[str | None], wrong: np.ndarray) -> np.ndarray:
        # Blank text is absent; a value of the wrong type is present (and invalid).
        array = np.empty(len(texts), dtype=object)
        array[:] = texts
        return array.astype(bool) | wrong

    # number: a whole number from 1 to 32767.
    number_texts, wrong = _texts(number_list)
    given = present(number_texts, wrong)
    report(~given, "number", "required", _("This field is required."))
    if all(type(value) is int for value in number_list):  # the usual case
        numbers = np.array(number_list, dtype=float)
        number_ok = np.ones(len(numbers), dtype=bool)
    else:
        whole_number = _WHOLE.fullmatch
        number_ok = np.fromiter(
            (text is not None and whole_number(text) is not None for text in number_texts),
            dtype=bool,
            count=len(number_texts),
        )
        numbers = pd.to_numeric(
            pd.Series(number_texts, dtype=object).where(number_ok), errors="coerce"
        ).to_numpy(dtype=float, na_value=np.nan)
    in_range = number_ok & (numbers >= 1) & (numbers <= 32767)
    report(
        given & ~in_range,
        "number",
        "invalid_integer",
        _("Enter a whole number between {low} and {high}.").format(low=1, high=32767),
    )
    # due_date: an ISO date.
    due_texts, wrong = _texts(due_list)
    given = present(due_texts, wrong)
    report(~given, "due_date", "required", _("This field is required."))
    texts = [v if isinstance(v, str) else None for v in due_texts]
    dates = pd.to_datetime(pd.Series(texts, dtype=object), format="%Y-%m-%d", errors="coerce")
    report(
        given & dates.isna().to_numpy(),
        "due_date",
        "invalid_date",
        _("Enter a date as YYYY-MM-DD."),
    )
    # Amounts: at most 16 digits before the point and 2 after it, not negative; checked on
    # the text, exactly (a JSON number is checked as Python writes it: 100000.005 is refused).
    cents: dict[str, np.ndarray] = {}
    for name in ("principal_due", "profit_due"):
        amount_texts, wrong = _texts(collected[name])
        given = present(amount_texts, wrong)
        if name == "principal_due":
            report(~given, name, "required", _("This field is required."))
        valid, amounts = _money_cents(amount_texts)
        report(
            given & ~valid,
            name,
            "invalid_decimal",
            _(
                "Enter a number with at most {whole} digits before the decimal point and "
                "{places} after it."
            ).format(whole=16, places=2),
        )
        report(given & valid & (amounts < 0), name, "negative", _("Amounts cannot be negative."))
        cents[name] = np.where(given & valid, amounts, 0)
    # Out of range (reported above) becomes 0, not an overflowing cast.
    frame["number"] = np.where(in_range, numbers, 0).astype(np.int64)
    frame["due_date"] = dates.to_numpy()
    frame["principal_due"] = cents["principal_due"]
    frame["profit_due"] = cents["profit_due"]
    duplicated = frame.duplicated(["position", "number"], keep="first").to_numpy()
    report(
        duplicated & (frame["number"].to_numpy() > 0),
        "number",
        "duplicate",
        _("This instalment number appears more than once in the schedule."),
    )
    return frame, errors


def _schedule_objects(frame: pd.DataFrame) -> dict[int, list[Instalment]]:
    """The schedule frame as unsaved ``Instalment`` objects, by contract position."""
    schedules: dict[int, list[Instalment]] = {}
    hundred = Decimal(100)
    for position, number, due, principal, profit in zip(
        frame["position"].tolist(),
        frame["number"].tolist(),
        frame["due_date"].tolist(),
        frame["principal_due"].tolist(),
        frame["profit_due"].tolist(),
        strict=True,
    ):
        schedules.setdefault(position, []).append(
            Instalment(
                number=number,
                due_date=due.date() if not pd.isna(due) else None,
                principal_due=Decimal(principal) / hundred,
                profit_due=Decimal(profit) / hundred,
            )
        )
    return schedules


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

    On PostgreSQL by COPY (see ``_write_postgres``); elsewhere by ``bulk_create`` with
    ``update_conflicts``.
    Raises ``BulkRejected`` with every error found (up to ``MAX_REPORTED_ERRORS``).
    """
    _require_can_enter_data(actor=actor, institution=institution)
    contracts, schedule, errors = _validate(institution=institution, rows=rows)
    if errors:
        raise BulkRejected(_cap(errors))
    now = timezone.now()
    # Rows already stored carry their pk from validation (they were checked as updates); the
    # upsert itself goes by (institution, external_id).
    existing = {contract.external_id for contract in contracts if contract.pk is not None}
    for contract in contracts:
        contract.pk = None
        contract.created_at = contract.updated_at = now
    write = _write_postgres if connection.vendor == "postgresql" else _write_orm
    with _all_or_nothing():
        updated = write(
            actor=actor,
            contracts=contracts,
            schedule=schedule,
            existing=existing,
            progress=progress,
        )
        _settle_resent_schedules(contracts, schedule, updated, rows)
        # Warnings (non-blocking rule violations) are handed over once the rows exist.
        for contract in contracts:
            if contract._rule_warnings:  # type: ignore[attr-defined]
                warnings_hand_over(contract, contract._rule_warnings)  # type: ignore[attr-defined]
    return {
        "rows": len(contracts),
        "created": len(contracts) - len(updated),
        "updated": len(updated),
        "instalments": len(schedule),
    }


def _settle_resent_schedules(
    contracts: list[FinancingContract],
    schedule: pd.DataFrame,
    updated: set[int],
    rows: list[dict[str, Any]],
) -> None:
    """A stored contract sent again with its schedule had its paid columns cleared by the
    write: settle them again from its repayments against the new schedule (an instalment made
    larger is no longer fully paid; a shorter schedule takes the payments on its remaining
    instalments). Repayments beyond the new schedule reject the row (``overpaid``)."""
    resent = {
        contracts[position].pk
        for position in set(schedule["position"].tolist())
        if contracts[position].pk in updated
    }
    if not resent:
        return
    _settle(
        resent,
        rows=rows,
        row_contracts=[contract.pk for contract in contracts],
        field="instalments",
        message=_("The repayments already recorded exceed this schedule."),
    )


def _settle(
    contract_ids: set[int],
    *,
    rows: list[dict[str, Any]],
    row_contracts: list[int],
    field: str,
    message: str,
) -> int:
    """``instalments_settle``; repayments beyond a contract's schedule reject every row of that
    contract (``overpaid``, on ``field``). ``row_contracts`` is each row's contract id."""
    try:
        return instalments_settle(contract_ids=contract_ids)
    except ValidationError as error:
        if error.code != "overpaid":
            raise
        overpaid = set(error.params["contracts"])  # type: ignore[index]
        raise BulkRejected(
            _cap(
                [
                    _error("overpaid", message, row=int(row["_row"]), field=field)
                    for row, contract_id in zip(rows, row_contracts, strict=True)
                    if contract_id in overpaid
                ]
            )
        ) from error


def _update_fields() -> list[str]:
    return [field.name for field in _contract_fields() if field.name != "external_id"] + [
        "branch",
        "client",
        "product",
        "updated_at",
    ]


def _write_orm(
    *,
    actor: User,
    contracts: list[FinancingContract],
    schedule: pd.DataFrame,
    existing: set[str],
    progress: Callable[[int], None] | None,
) -> set[int]:
    """The portable write: ``bulk_create`` upserts, in batches, and the contracts' audit trail
    (one history row each, ``+`` created or ``~`` updated, by ``actor``). A re-sent schedule's
    paid columns are cleared, to be settled again (``_settle_resent_schedules``). Returns the
    ids of the contracts that were already stored."""
    updated = bool(existing)
    institution_id = contracts[0].institution_id if contracts else None
    done = 0
    for batch in _batches(contracts):
        FinancingContract.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["institution", "external_id"],
            update_fields=_update_fields(),
        )
        done += len(batch)
        if progress is not None:
            progress(done // 2 if len(schedule) else done)
    stored = {
        external_id: (pk, created_at)
        for external_id, pk, created_at in FinancingContract.objects.filter(
            institution_id=institution_id
        ).values_list("external_id", "id", "created_at")
    }
    for contract in contracts:
        # An updated contract keeps its creation time, in the table and in its history row.
        contract.pk, contract.created_at = stored[contract.external_id]
    _history_record(FinancingContract, contracts, existing=existing, actor=actor)
    schedules = _schedule_objects(schedule)
    instalments: list[Instalment] = []
    last_numbers: dict[int, int] = {}
    for position, items in schedules.items():
        contract_id = contracts[position].pk
        for instalment in items:
            instalment.contract_id = contract_id
        instalments.extend(items)
        last_numbers[contract_id] = max(instalment.number for instalment in items)
    written = 0
    for batch in _batches(instalments, BATCH_SIZE * 5):
        Instalment.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["contract", "number"],
            # The paid columns too: cleared, to be settled again (_settle_resent_schedules).
            update_fields=[name for name in INSTALMENT_COLUMNS if name != "number"],
        )
        written += len(batch)
        if progress is not None:
            progress(len(contracts) // 2 + len(contracts) * written // (2 * len(instalments)))
    # A re-sent, shorter schedule drops the instalments it no longer has (their repayments
    # stay, on the contract, and settle the remaining instalments).
    if updated and last_numbers:
        for batch in _batches(list(last_numbers), 500):
            stale = models.Q()
            for pk in batch:
                stale |= models.Q(contract_id=pk, number__gt=last_numbers[pk])
            Instalment.objects.filter(stale).delete()
    return {contract.pk for contract in contracts if contract.external_id in existing}


_CENTS_LUT = np.array([f".{i:02d}" for i in range(100)], dtype=object)


def _decimal_text(cents: np.ndarray) -> np.ndarray:
    """Integer cents as decimal text (``12345`` → ``"123.45"``), whole arrays at a time."""
    cents = np.asarray(cents, dtype=np.int64)
    sign = np.where(cents < 0, "-", "").astype(object)
    magnitude = np.abs(cents)
    return sign + (magnitude // 100).astype(str).astype(object) + _CENTS_LUT[magnitude % 100]


class _Chunks:
    """The file ``copy_expert`` reads, on its own thread: the text chunks another thread puts
    in ``queue``; ``None`` ends the data, an exception aborts the COPY."""

    def __init__(self) -> None:
        self.queue: queue.Queue[str | BaseException | None] = queue.Queue(maxsize=4)

    def read(self, size: int = -1) -> str:
        chunk = self.queue.get()
        if isinstance(chunk, BaseException):
            raise chunk
        return chunk or ""


def _copy_in(
    cursor: Any, table: str, columns: list[str], chunks: Iterable[str], not_null: list[str]
) -> None:
    """COPY the CSV text of ``chunks`` into ``table``, while the chunks are still being made.

    ``copy_expert`` runs on a second thread and sends each chunk as soon as it is made; it waits
    on the socket without the GIL, so this thread builds the next chunk while PostgreSQL
    stores the last one. A failure on either side ends both, and is raised here (a database
    error as Django's, so that ``_all_or_nothing`` reports it)."""
    options = "FORMAT csv"
    if not_null:
        options += f", FORCE_NOT_NULL ({', '.join(not_null)})"
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH ({options})"
    source = _Chunks()
    failed: list[BaseException] = []

    def copy() -> None:
        try:
            cursor.copy_expert(sql, source)
        except BaseException as error:  # handed to the calling thread
            failed.append(error)

    worker = threading.Thread(target=copy, name="bulk-copy", daemon=True)
    worker.start()

    def hand_over(item: str | BaseException | None) -> None:
        while worker.is_alive():  # a COPY that already failed reads no more
            try:
                source.queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    try:
        for chunk in chunks:
            if not worker.is_alive():
                break
            hand_over(chunk)
    except BaseException as error:
        hand_over(RuntimeError(f"the rows for {table} could not be prepared: {error!r}"))
        worker.join()
        raise
    hand_over(None)
    worker.join()
    if failed:
        with connection.wrap_database_errors:
            raise failed[0]


def _copy_new(model: type[models.Model], objects: list[Any]) -> None:
    """PostgreSQL: COPY the unsaved ``objects`` of ``model`` into its table (ids from the
    sequence, not read back), in place of ``bulk_create``'s parameters per row."""
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    with connection.cursor() as cursor:
        _copy_in(
            cursor.cursor,
            quote(model._meta.db_table),
            [quote(field.column) for field in fields],
            _csv_chunks(map(attrgetter(*(field.attname for field in fields)), objects)),
            [
                quote(field.column)
                for field in fields
                if not field.null and isinstance(field, models.CharField | models.TextField)
            ],
        )


#: ``pg_advisory_xact_lock`` class of the contract bulk write (the institution's id is the key).
_CONTRACTS_LOCK = 0x6D66_6D65  # "mfme"


#: Rows per chunk of COPY text (see ``_copy_in``).
COPY_CHUNK = 50_000


def _csv_chunks(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """``rows`` as CSV text, ``COPY_CHUNK`` rows at a time."""
    iterator = iter(rows)
    while batch := list(islice(iterator, COPY_CHUNK)):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(batch)
        yield buffer.getvalue()


def _schedule_chunks(
    schedule: pd.DataFrame, contract_ids: np.ndarray, *, unpaid: bool = False
) -> Iterator[str]:
    """The schedule rows as CSV (contract id, number, due date, amounts due, and with
    ``unpaid`` two zero amounts paid), a column at a time, ``COPY_CHUNK`` rows per chunk."""
    end = ",0,0\n" if unpaid else "\n"
    for start in range(0, len(schedule), COPY_CHUNK):
        part = schedule.iloc[start : start + COPY_CHUNK]
        lines = zip(
            contract_ids[part["position"].to_numpy()].astype(str).tolist(),
            part["number"].astype(str).tolist(),
            np.datetime_as_string(part["due_date"].to_numpy().astype("datetime64[D]")).tolist(),
            _decimal_text(part["principal_due"].to_numpy()).tolist(),
            _decimal_text(part["profit_due"].to_numpy()).tolist(),
            strict=True,
        )
        yield end.join(",".join(line) for line in lines) + end


def _write_postgres(
    *,
    actor: User,
    contracts: list[FinancingContract],
    schedule: pd.DataFrame,
    existing: set[str],
    progress: Callable[[int], None] | None,
) -> set[int]:
    """PostgreSQL: same result as ``_write_orm``, at a fraction of its cost (measured in
    bench/ingest_benchmark.py).

    - New contracts take their ids from the sequence and go in by COPY, straight into the
      table; so do their schedules. Nothing is compared with the stored rows.
    - Contracts already stored (by number) are COPYed into a temporary table and merged with
      one ``INSERT … ON CONFLICT DO UPDATE``; so are their schedules (paid columns cleared,
      to be settled again), and the instalments a shorter schedule no longer has are deleted.
    - One statement writes the audit trail (``+`` created, ``~`` updated, by ``actor``).

    Bulk writes of one institution take turns (an advisory lock until the commit), so the
    contracts found stored here stay the only ones until the rows are in. A contract created
    meanwhile by another path (the web form) makes the COPY fail on the unique number, and
    the whole payload is rejected with nothing written (``_all_or_nothing``). Returns the ids
    of the contracts that were already stored.
    """
    if not contracts:
        return set()
    quote = connection.ops.quote_name
    meta = FinancingContract._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    columns = [quote(field.column) for field in fields]
    attnames = [field.attname for field in fields]
    not_null = [
        quote(field.column)
        for field in fields
        if not field.null and isinstance(field, models.CharField | models.TextField)
    ]
    table = quote(meta.db_table)
    instalment_table = quote(Instalment._meta.db_table)
    institution_id = contracts[0].institution_id
    instalment_columns = ["contract_id", "number", "due_date", "principal_due", "profit_due"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_CONTRACTS_LOCK, institution_id])
        # Read again under the lock: ``existing`` (from validation) may be out of date.
        stored = _stored_contract_ids(institution_id, [c.external_id for c in contracts])
        is_new = np.array([c.external_id not in stored for c in contracts], dtype=bool)
        new = [c for c, fresh in zip(contracts, is_new.tolist(), strict=True) if fresh]
        old = [c for c, fresh in zip(contracts, is_new.tolist(), strict=True) if not fresh]

        if new:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [meta.db_table, len(new)],
            )
            for contract, (pk,) in zip(new, cursor.fetchall(), strict=True):
                contract.pk = pk
            _copy_in(
                cursor.cursor,
                table,
                [quote(meta.pk.column), *columns],
                _csv_chunks(map(attrgetter("id", *attnames), new)),
                not_null,
            )
        if old:
            cursor.execute("DROP TABLE IF EXISTS _bulk_contracts, _bulk_instalments, _bulk_stale")
            cursor.execute(
                f"CREATE TEMPORARY TABLE _bulk_contracts ON COMMIT DROP AS "
                f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA"
            )
            _copy_in(
                cursor.cursor,
                "_bulk_contracts",
                columns,
                _csv_chunks(map(attrgetter(*attnames), old)),
                not_null,
            )
            kept = {"institution_id", "external_id", "created_at"}
            assignments = ", ".join(
                f"{column} = EXCLUDED.{column}"
                for field, column in zip(fields, columns, strict=True)
                if field.column not in kept
            )
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"SELECT {', '.join(columns)} FROM _bulk_contracts "
                f"ON CONFLICT ({quote('institution_id')}, {quote('external_id')}) "
                f"DO UPDATE SET {assignments} RETURNING {quote('external_id')}, {quote('id')}"
            )
            ids = dict(cursor.fetchall())
            for contract in old:
                contract.pk = ids[contract.external_id]

        # The audit trail: one history row per contract, as ``bulk_history_create`` writes it,
        # from the rows as stored (an updated contract keeps its ``created_at``).
        history = FinancingContract.history.model  # type: ignore[attr-defined]
        source = [quote(field.column) for field in meta.concrete_fields]
        cursor.execute(
            f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(source)}, history_date, "
            "history_change_reason, history_type, history_user_id) "
            f"SELECT {', '.join('c.' + column for column in source)}, %s, NULL, "
            "CASE WHEN c.id = ANY(%s) THEN '~' ELSE '+' END, %s "
            f"FROM {table} AS c JOIN unnest(%s::bigint[]) AS written(id) ON c.id = written.id",
            [timezone.now(), [c.id for c in old], actor.pk, [c.id for c in contracts]],
        )
        if progress is not None:
            progress(len(contracts) // 2 if len(schedule) else len(contracts))
        if not len(schedule):
            return {contract.pk for contract in old}

        contract_ids = np.array([contract.id for contract in contracts], dtype=np.int64)
        to_new = is_new[schedule["position"].to_numpy()]
        if to_new.any():
            fresh = schedule[to_new] if not to_new.all() else schedule
            _copy_in(
                cursor.cursor,
                instalment_table,
                [*instalment_columns, "principal_paid", "profit_paid"],
                _schedule_chunks(fresh, contract_ids, unpaid=True),
                [],
            )
        if not to_new.all():
            cursor.execute(
                "CREATE TEMPORARY TABLE _bulk_instalments (contract_id bigint, number integer, "
                "due_date date, principal_due numeric, profit_due numeric) ON COMMIT DROP"
            )
            _copy_in(
                cursor.cursor,
                "_bulk_instalments",
                instalment_columns,
                _schedule_chunks(schedule[~to_new], contract_ids),
                [],
            )
            cursor.execute(
                f"INSERT INTO {instalment_table} (contract_id, number, due_date, principal_due, "
                "profit_due, principal_paid, profit_paid) "
                "SELECT contract_id, number, due_date, principal_due, profit_due, 0, 0 "
                "FROM _bulk_instalments ON CONFLICT (contract_id, number) DO UPDATE SET "
                "due_date = EXCLUDED.due_date, principal_due = EXCLUDED.principal_due, "
                "profit_due = EXCLUDED.profit_due, principal_paid = 0, profit_paid = 0, "
                "paid_date = NULL"
            )
            # A re-sent, shorter schedule drops the instalments it no longer has; their
            # repayments stay on the contract (``on_delete=SET_NULL``, done here by hand).
            cursor.execute(
                "CREATE TEMPORARY TABLE _bulk_stale ON COMMIT DROP AS "
                f"SELECT i.id FROM {instalment_table} AS i JOIN (SELECT contract_id, "
                "MAX(number) AS last FROM _bulk_instalments GROUP BY contract_id) AS sent "
                "ON i.contract_id = sent.contract_id AND i.number > sent.last"
            )
            cursor.execute(
                f"UPDATE {quote(Repayment._meta.db_table)} SET instalment_id = NULL "
                "WHERE instalment_id IN (SELECT id FROM _bulk_stale)"
            )
            cursor.execute(
                f"DELETE FROM {instalment_table} WHERE id IN (SELECT id FROM _bulk_stale)"
            )
        if progress is not None:
            progress(len(contracts))
    return {contract.pk for contract in old}


# --- Repayments -----------------------------------------------------------------------------

#: Repayment columns a partner sends; ``contract`` is the contract's ``external_id`` and
#: ``instalment`` (optional) the instalment's number.
REPAYMENT_FIELDS = ("external_id", "value_date", "principal_amount", "profit_amount")
REPAYMENT_COLUMNS = frozenset({"contract", "instalment", *REPAYMENT_FIELDS, "_row"})


def _locked_dates(institution: Institution, dates: pd.Series) -> tuple[pd.Series, dict[int, str]]:
    """Which ``dates`` fall in a quarter that can no longer change, and that quarter's message."""
    locked = pd.Series(False, index=dates.index)
    messages: dict[int, str] = {}
    for period in periods_not_editable(institution=institution):
        inside = (dates >= pd.Timestamp(period.start_date)) & (
            dates <= pd.Timestamp(period.end_date)
        )
        if inside.any():
            message = _(
                "This date falls in {year} Q{quarter}, which is {status}: its data can no "
                "longer change."
            ).format(
                year=period.year,
                quarter=period.quarter,
                status=str(period.get_status_display()).lower(),
            )
            for index in inside[inside & ~locked].index:
                messages[index] = message
            locked |= inside
    return locked, messages


def _instalment_field() -> models.Field:
    field = Instalment._meta.get_field("number").clone()
    field.name = field.attname = "instalment"
    return field


def validate_repayments(
    *, institution: Institution, rows: list[dict[str, Any]]
) -> tuple[list[Repayment], list[ErrorItem]]:
    """Validate every repayment row; nothing is written.

    Returns one unsaved ``Repayment`` per row (``None`` for a row with errors), with ``pk`` set
    when the row corrects a stored repayment (same contract and ``external_id``), and the
    errors ``{row, field, code, message}``. A row names its contract by the partner's contract
    number (``contract``), carries its payment reference (``external_id``), ``value_date``,
    ``principal_amount`` and ``profit_amount``, and optionally the ``instalment`` number.
    Dates inside a quarter that is submitted, approved or locked are refused
    (``period_not_editable``), and so is a correction of a repayment stored in such a quarter.
    Work is by whole columns: a few queries in all, none per row.
    """
    errors: list[ErrorItem] = _unknown_fields(rows, REPAYMENT_COLUMNS)
    if not rows:
        return [], errors
    frame = pd.DataFrame.from_records(rows)
    columns = _Columns(frame, rows=frame["_row"])
    for name in REPAYMENT_FIELDS:
        field = Repayment._meta.get_field(name)
        columns.validate(field, required=name in {"external_id", "value_date"})
    columns.validate(_instalment_field(), required=False)
    values = columns.values
    index = frame.index

    # The contract, by the partner's contract number.
    contract_column = (
        frame["contract"] if "contract" in frame else pd.Series(None, index=index, dtype=object)
    )
    missing = _missing(contract_column)
    columns.report(missing, field="contract", code="required", message=_("This field is required."))
    contract_ids: dict[str, int] = {}
    disbursed: dict[int, Any] = {}
    for number, pk, disbursement_date in FinancingContract.objects.filter(
        institution=institution
    ).values_list("external_id", "id", "disbursement_date"):
        contract_ids[number] = pk
        disbursed[pk] = disbursement_date
    keys = contract_column.map(lambda value: str(value).strip(), na_action="ignore")
    contract_of = keys.map(contract_ids.get, na_action="ignore")
    columns.report(
        ~missing & contract_of.isna(),
        field="contract",
        code="unknown_reference",
        message=_("No contract of this institution has this number."),
    )

    # Amounts.
    def money(name: str) -> pd.Series:
        return pd.Series(
            [float(value) if value is not None else 0.0 for value in values[name]], index=index
        )

    principal, profit = money("principal_amount"), money("profit_amount")
    for name, amounts in (("principal_amount", principal), ("profit_amount", profit)):
        columns.report(
            amounts < 0, field=name, code="negative", message=_("Amounts cannot be negative.")
        )
    columns.report(
        (principal <= 0) & (profit <= 0) & ~columns.bad,  # not when an amount is unreadable
        field="principal_amount",
        code="empty_repayment",
        message=_("A repayment must have an amount."),
    )

    # Duplicates within the payload.
    references = pd.Series(values["external_id"], index=index)
    columns.report(
        references.notna()
        & contract_of.notna()
        & pd.DataFrame({"c": contract_of, "r": references}).duplicated(keep="first"),
        field="external_id",
        code="duplicate",
        message=_("This payment reference appears more than once for this contract."),
    )

    # Instalments by number, and stored repayments by reference: a few queries per 10,000
    # contracts.
    numbers = pd.Series(values["instalment"], index=index, dtype=object)
    columns.report(
        numbers.notna() & (numbers.fillna(1) == 0),
        field="instalment",
        code="invalid_integer",
        message=_("Instalments are numbered from 1."),
    )
    referenced = sorted({int(pk) for pk in contract_of.dropna().tolist()})
    with_numbers = sorted(
        {int(pk) for pk in contract_of[numbers.notna() & contract_of.notna()].tolist()}
    )
    instalment_ids: dict[tuple[int, int], int] = {}
    for chunk in _chunks(with_numbers):
        for contract_id, number, pk in Instalment.objects.filter(contract_id__in=chunk).values_list(
            "contract_id", "number", "id"
        ):
            instalment_ids[(contract_id, number)] = pk
    stored: dict[tuple[int, str], tuple[int, Any]] = {}
    for chunk in _chunks(referenced):
        for contract_id, reference, pk, value_date in (
            Repayment.objects.filter(contract_id__in=chunk)
            .exclude(external_id="")
            .values_list("contract_id", "external_id", "id", "value_date")
        ):
            stored[(contract_id, reference)] = (pk, value_date)
    pairs = list(zip(contract_of.tolist(), numbers.tolist(), strict=True))
    instalment_of = [
        instalment_ids.get((int(c), int(n))) if not _is_missing(c) and not _is_missing(n) else None
        for c, n in pairs
    ]
    columns.report(
        numbers.notna()
        & contract_of.notna()
        & pd.Series([i is None for i in instalment_of], index=index),
        field="instalment",
        code="unknown_reference",
        message=_("This contract has no instalment of this number."),
    )
    existing = [
        stored.get((int(c), r)) if not _is_missing(c) and r is not None else None
        for c, r in zip(contract_of.tolist(), references.tolist(), strict=True)
    ]

    # Not before the disbursement, not in the future (``Repayment.clean``, by whole columns).
    value_dates = pd.to_datetime(pd.Series(values["value_date"], index=index), errors="coerce")
    disbursement_dates = pd.to_datetime(
        contract_of.map(disbursed.get, na_action="ignore"), errors="coerce"
    )
    early = value_dates < disbursement_dates
    columns.bad |= early
    for position in early[early].index:
        code, message = repayment_date_problem(  # type: ignore[misc] - early: never None
            values["value_date"][position], disbursed[int(contract_of[position])]
        )
        columns.errors.append(
            _error(code, message, row=int(frame["_row"][position]), field="value_date")
        )
    columns.report(
        value_dates > pd.Timestamp(timezone.localdate()),
        field="value_date",
        code="future_date",
        message=_("A repayment cannot be dated in the future."),
    )

    # Quarters that can no longer change: the new value date, and a stored row's old one.
    for field_dates in (
        pd.to_datetime(pd.Series(values["value_date"], index=index), errors="coerce"),
        pd.to_datetime(
            pd.Series([e[1] if e else None for e in existing], index=index), errors="coerce"
        ),
    ):
        locked, messages = _locked_dates(institution, field_dates)
        if locked.any():
            columns.bad |= locked
            for position in locked[locked].index:
                columns.errors.append(
                    _error(
                        "period_not_editable",
                        messages[position],
                        row=int(frame["_row"][position]),
                        field="value_date",
                    )
                )
    errors.extend(columns.errors)

    repayments: list[Repayment] = []
    bad = columns.bad.tolist()
    for position in range(len(frame)):
        if bad[position]:
            repayments.append(None)  # type: ignore[arg-type]
            continue
        stored_row = existing[position]
        repayments.append(
            Repayment(
                pk=stored_row[0] if stored_row else None,
                contract_id=int(contract_of.iloc[position]),
                instalment_id=instalment_of[position],
                external_id=values["external_id"][position],
                value_date=values["value_date"][position],
                principal_amount=values["principal_amount"][position] or Decimal("0"),
                profit_amount=values["profit_amount"][position] or Decimal("0"),
            )
        )
    return repayments, errors


def repayments_bulk_upsert(
    *,
    actor: User,
    institution: Institution,
    rows: list[dict[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Validate ``rows`` completely, then record every repayment, or none.

    An upsert by ``(contract, external_id)``: re-sending a payment reference corrects the stored
    repayment, never duplicates it. Afterwards the instalments of every contract concerned are
    settled again (``institutions.services.instalments_settle``: oldest first, paid columns and
    fully-paid date), so the schedule and the repayments always agree; repayments beyond a
    contract's schedule reject the payload (``overpaid`` on each of its rows).
    Raises ``BulkRejected`` with every error found (up to ``MAX_REPORTED_ERRORS``).
    """
    _require_can_enter_data(actor=actor, institution=institution)
    repayments, errors = validate_repayments(institution=institution, rows=rows)
    if errors:
        raise BulkRejected(_cap(errors))
    new = [repayment for repayment in repayments if repayment.pk is None]
    changed = [repayment for repayment in repayments if repayment.pk is not None]
    now = timezone.now()
    done = 0
    with _all_or_nothing():
        for repayment in new:
            repayment.created_at = now
        if connection.vendor == "postgresql" and new:
            _copy_new(Repayment, new)
            done = len(new)
            if progress is not None:
                progress(done)
        else:
            for batch in _batches(new):
                Repayment.objects.bulk_create(batch)
                done += len(batch)
                if progress is not None:
                    progress(done)
        for batch in _batches(changed, 1_000):
            Repayment.objects.bulk_update(
                batch, ["instalment", "value_date", "principal_amount", "profit_amount"]
            )
            done += len(batch)
            if progress is not None:
                progress(done)
        settled = _settle(
            {repayment.contract_id for repayment in repayments},
            rows=rows,
            row_contracts=[repayment.contract_id for repayment in repayments],
            field="principal_amount",
            message=_("With this repayment the contract is repaid beyond its schedule."),
        )
    return {
        "rows": len(repayments),
        "created": len(new),
        "updated": len(changed),
        "instalments_settled": settled,
    }


# --- Clients --------------------------------------------------------------------------------

#: Client columns that are not the partner's to send (``branch`` comes by code).
CLIENT_EXCLUDED = {"id", "institution", "branch", "created_at", "updated_at"}


def _client_fields() -> list[models.Field]:
    return [f for f in Client._meta.concrete_fields if f.name not in CLIENT_EXCLUDED]


def validate_clients(
    *, institution: Institution, rows: list[dict[str, Any]]
) -> tuple[list[Client], list[ErrorItem]]:
    """Validate every client row (its branch by code); nothing is written. Returns one unsaved
    ``Client`` per row (``None`` for a row with errors), with ``pk`` set when the client number
    is already stored, and the errors ``{row, field, code, message}``."""
    fields = _client_fields()
    rows = _with_stored_values(
        Client, institution, rows, fields=fields, references={"branch": "code"}
    )
    known = {field.name for field in fields} | {"branch", "_row"}
    errors: list[ErrorItem] = _unknown_fields(rows, known)
    if not rows:
        return [], errors
    frame = pd.DataFrame.from_records(rows)
    columns = _Columns(frame, rows=frame["_row"])
    for field in fields:
        columns.validate(field, required=_is_required(field))
    values = columns.values
    index = frame.index
    branch_column = (
        frame["branch"] if "branch" in frame else pd.Series(None, index=index, dtype=object)
    )
    missing = _missing(branch_column)
    columns.report(missing, field="branch", code="required", message=_("This field is required."))
    branches = dict(Branch.objects.filter(institution=institution).values_list("code", "id"))
    branch_of = branch_column.map(
        lambda value: branches.get(str(value).strip()), na_action="ignore"
    )
    columns.report(
        ~missing & branch_of.isna(),
        field="branch",
        code="unknown_reference",
        message=_("No {kind} of this institution has this code.").format(kind=_("branch")),
    )
    numbers = pd.Series(values["external_id"], index=index)
    columns.report(
        numbers.notna() & numbers.duplicated(keep="first"),
        field="external_id",
        code="duplicate",
        message=_("This client number appears more than once in the request."),
    )
    for name, low, high in (("birth_year", 1900, 2100), ("household_size", 1, 32767)):
        years = pd.Series(values[name], index=index, dtype=object)
        numeric = pd.to_numeric(years, errors="coerce")
        columns.report(
            years.notna() & ~numeric.between(low, high),
            field=name,
            code="out_of_range",
            message=_("Enter a whole number between {low} and {high}.").format(low=low, high=high),
        )
    debt = pd.to_numeric(pd.Series(values["current_debt"], index=index, dtype=object))
    columns.report(
        debt < 0, field="current_debt", code="negative", message=_("Amounts cannot be negative.")
    )
    errors.extend(columns.errors)
    stored: dict[str, int] = {}
    # A value with U+0000 is already an error (PostgreSQL text cannot hold it): never query it.
    lookup = sorted({n for n in numbers.dropna().tolist() if "\x00" not in str(n)})
    for chunk in _chunks(lookup):
        stored.update(
            Client.objects.filter(institution=institution, external_id__in=chunk).values_list(
                "external_id", "id"
            )
        )
    clients: list[Client] = []
    bad = columns.bad.tolist()
    branch_ids = branch_of.tolist()
    for position in range(len(frame)):
        if bad[position]:
            clients.append(None)  # type: ignore[arg-type]
            continue
        client = Client(
            institution=institution,
            branch_id=int(branch_ids[position]),
            **{field.attname: values[field.name][position] for field in fields},
        )
        for field in fields:
            if getattr(client, field.attname) is None and not field.null:
                setattr(client, field.attname, field.get_default())
        client.pk = stored.get(client.external_id)
        clients.append(client)
    return clients, errors


def clients_bulk_upsert(
    *,
    actor: User,
    institution: Institution,
    rows: list[dict[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Validate ``rows`` completely, then upsert every client by its number, or none; each
    client gets an audit-trail row (``+`` created, ``~`` updated, by ``actor``)."""
    _require_can_enter_data(actor=actor, institution=institution)
    clients, errors = validate_clients(institution=institution, rows=rows)
    if errors:
        raise BulkRejected(_cap(errors))
    existing = {client.external_id for client in clients if client.pk is not None}
    now = timezone.now()
    update_fields = [f.name for f in _client_fields() if f.name != "external_id"] + [
        "branch",
        "updated_at",
    ]
    with _all_or_nothing():
        done = 0
        for batch in _batches(clients):
            for client in batch:
                client.pk = None
                client.created_at = client.updated_at = now
            Client.objects.bulk_create(
                batch,
                update_conflicts=True,
                unique_fields=["institution", "external_id"],
                update_fields=update_fields,
            )
            done += len(batch)
            if progress is not None:
                progress(done)
        ids: dict[str, int] = {}
        for chunk in _chunks([client.external_id for client in clients]):
            ids.update(
                Client.objects.filter(institution=institution, external_id__in=chunk).values_list(
                    "external_id", "id"
                )
            )
        for client in clients:
            client.pk = ids[client.external_id]
        _history_record(Client, clients, existing=existing, actor=actor)
    return {"rows": len(clients), "created": len(clients) - len(existing), "updated": len(existing)}


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
    if kind == "repayments":
        return repayments_bulk_upsert(
            actor=actor, institution=institution, rows=rows, progress=progress
        )
    if kind == "clients":
        return clients_bulk_upsert(
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
