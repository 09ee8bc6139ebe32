"""Writes to institution data. Views, the API, tasks and commands call only these.

Each service validates (``full_clean``, so database constraints produce translated messages
before the database sees the row), runs in one transaction, and records who made the change in
the audit trail (django-simple-history reads ``_history_user``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from users.models import User

from .contract_rules import violations_of, warnings_hand_over
from .models import (
    Branch,
    Client,
    FinancialStatement,
    FinancingContract,
    FinancingProduct,
    Institution,
    InstitutionMembership,
    PeriodTransition,
    PortfolioSummaryLine,
    ReportingPeriod,
    ReturnDraft,
    ReturnSection,
    StaffingSnapshot,
)
from .signals import period_status_changed
from .statement_rules import violations_of as statement_violations_of
from .workflow import ANALYST, TRANSITIONS, may_act

Status = ReportingPeriod.Status


class PeriodNotEditable(ValidationError):
    """Raised when data of a submitted, approved or locked period would change."""


def _stamp(instance: Any, actor: User) -> None:
    instance._history_user = actor


# --- Institutions and access ----------------------------------------------------------------


@transaction.atomic
def institution_create(*, actor: User, **fields: Any) -> Institution:
    if not actor.sees_all_institutions:
        raise PermissionDenied(_("Only analysts and administrators can create institutions."))
    institution = Institution(**fields)
    institution.full_clean()
    _stamp(institution, actor)
    institution.save()
    return institution


@transaction.atomic
def membership_grant(*, actor: User, user: User, institution: Institution) -> InstitutionMembership:
    """Give ``user`` access to ``institution``.

    MFI staff and managers belong to exactly one institution; auditors may be granted several;
    analysts and administrators already see everything and need no membership.
    """
    if not (actor.role == User.Role.ADMINISTRATOR or actor.is_superuser):
        raise PermissionDenied(_("Only administrators can grant access to an institution."))
    if user.sees_all_institutions:
        raise ValidationError(
            {"user": _("Analysts and administrators already see every institution.")}
        )
    if user.is_institution_user and user.memberships.exclude(institution=institution).exists():
        raise ValidationError(
            {"user": _("MFI staff and managers can belong to one institution only.")}
        )
    membership, _created = InstitutionMembership.objects.get_or_create(
        user=user, institution=institution, defaults={}
    )
    return membership


# --- Reporting periods and their workflow ---------------------------------------------------


@transaction.atomic
def period_create(
    *, actor: User, institution: Institution, year: int, quarter: int
) -> ReportingPeriod:
    """Open a quarter for an institution (idempotent: an existing quarter is returned)."""
    _require_can_enter_data(actor=actor, institution=institution)
    existing = ReportingPeriod.objects.filter(
        institution=institution, year=year, quarter=quarter
    ).first()
    if existing is not None:
        return existing
    period = ReportingPeriod(institution=institution, year=year, quarter=quarter)
    period.full_clean(exclude=["start_date", "end_date"])
    _stamp(period, actor)
    period.save()
    return period


def _is_member(*, user: User, institution_id: int) -> bool:
    return user.memberships.filter(institution_id=institution_id).exists()


def _require_can_enter_data(*, actor: User, institution: Institution) -> None:
    if actor.sees_all_institutions:
        return
    if actor.can_enter_data and _is_member(user=actor, institution_id=institution.pk):
        return
    raise PermissionDenied(_("You cannot enter data for this institution."))


def period_assert_editable(*, period: ReportingPeriod) -> None:
    """Refuse any change to the data of a period that is not a draft or returned."""
    if period.status == Status.LOCKED:
        raise PeriodNotEditable(_("This quarter is locked: its data can no longer change."))
    if period.status == Status.APPROVED:
        raise PeriodNotEditable(
            _("This quarter is approved: an analyst must reopen it before it can change.")
        )
    if period.status == Status.SUBMITTED:
        raise PeriodNotEditable(
            _("This quarter is under review: it can change again only if it is returned.")
        )


def _transition(
    *, actor: User, period: ReportingPeriod, to_status: str, reason: str = ""
) -> ReportingPeriod:
    # Lock the row so two reviewers acting at once cannot both move the same period.
    current = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    step = TRANSITIONS.get((current.status, to_status))
    if step is None:
        raise ValidationError(
            _("A quarter that is “{current}” cannot become “{target}”.").format(
                current=current.get_status_display(), target=Status(to_status).label
            )
        )
    _action, who = step
    if not may_act(user=actor, period=current, who=who):
        if who == ANALYST:
            raise PermissionDenied(_("Only an analyst can review a quarter."))
        raise PermissionDenied(_("Only a manager of this institution can submit its quarter."))
    from_status = current.status
    current.status = to_status
    current.status_changed_at = timezone.now()
    if to_status == Status.RETURNED:
        current.return_reason = reason
    _stamp(current, actor)
    current.save(update_fields=["status", "status_changed_at", "return_reason", "updated_at"])
    PeriodTransition.objects.create(
        period=current, from_status=from_status, to_status=to_status, actor=actor, reason=reason
    )
    period_status_changed.send(
        sender=ReportingPeriod,
        period=current,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
    )
    period.refresh_from_db()
    return current


@transaction.atomic
def period_submit(*, actor: User, period: ReportingPeriod, comment: str = "") -> ReportingPeriod:
    """The institution's manager sends the quarter for review. Refused while a section has an
    unsaved draft: once submitted, what was typed there could no longer be saved."""
    drafts = sorted(ReturnDraft.objects.filter(period=period).values_list("section", flat=True))
    if drafts:
        raise ValidationError(
            _("Unsaved drafts in: {sections}. Save or discard them before submitting.").format(
                sections=", ".join(str(ReturnSection(section).label) for section in drafts)
            ),
            code="unsaved_drafts",
        )
    return _transition(actor=actor, period=period, to_status=Status.SUBMITTED, reason=comment)


@transaction.atomic
def period_return(*, actor: User, period: ReportingPeriod, reason: str) -> ReportingPeriod:
    """An analyst sends a submitted quarter back for revision; the reason is required."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the quarter is returned.")})
    return _transition(actor=actor, period=period, to_status=Status.RETURNED, reason=reason)


@transaction.atomic
def period_approve(*, actor: User, period: ReportingPeriod, comment: str = "") -> ReportingPeriod:
    return _transition(actor=actor, period=period, to_status=Status.APPROVED, reason=comment)


@transaction.atomic
def period_lock(*, actor: User, period: ReportingPeriod, comment: str = "") -> ReportingPeriod:
    """Freeze an approved quarter for good: nobody can change it afterwards."""
    return _transition(actor=actor, period=period, to_status=Status.LOCKED, reason=comment)


@transaction.atomic
def period_reopen(*, actor: User, period: ReportingPeriod, reason: str) -> ReportingPeriod:
    """An analyst reopens an approved (not locked) quarter so the institution can correct it."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the quarter is reopened.")})
    if period.status == Status.LOCKED:
        raise PeriodNotEditable(_("This quarter is locked: its data can no longer change."))
    return _transition(actor=actor, period=period, to_status=Status.RETURNED, reason=reason)


# --- Quarterly return data ------------------------------------------------------------------


def _save_period_record(
    *,
    actor: User,
    period: ReportingPeriod,
    model: type[Any],
    data: Mapping[str, Any],
    validate: Callable[[Any], None] | None = None,
) -> Any:
    _require_can_enter_data(actor=actor, institution=period.institution)
    period = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    period_assert_editable(period=period)
    instance = model.objects.filter(period=period).first() or model(period=period)
    for field, value in data.items():
        setattr(instance, field, value)
    instance.full_clean()
    if validate is not None:
        validate(instance)
    _stamp(instance, actor)
    instance.save()
    return instance


def _validate_balanced(statement: FinancialStatement) -> None:
    gap = statement.total_assets - statement.liabilities_and_equity
    if abs(gap) > FinancialStatement.BALANCE_TOLERANCE:
        raise ValidationError(
            {
                "total_assets": _(
                    "The balance sheet does not balance: total assets differ from liabilities, "
                    "mudaraba funds and equity by {gap}."
                ).format(gap=gap)
            }
        )


def _totals_match_lines(statement: FinancialStatement) -> dict[str, list[ValidationError]]:
    """Total assets and total liabilities must be the sums of their lines (as the return form
    computes them), when lines are given: a file or a partner may send totals alone."""
    s = statement
    sums = {
        "total_assets": (
            s.cash_and_bank,
            s.short_term_investments,
            s.gross_financing_portfolio,
            -s.impairment_allowance,
            s.other_assets,
        ),
        "total_liabilities": (s.deposits, s.third_party_financing, s.other_liabilities),
    }
    errors: dict[str, list[ValidationError]] = {}
    for field, lines in sums.items():
        total, expected = getattr(s, field), sum(lines, Decimal(0))
        if any(lines) and abs(total - expected) > FinancialStatement.BALANCE_TOLERANCE:
            label = FinancialStatement._meta.get_field(field).verbose_name
            errors[field] = [
                ValidationError(
                    _("{label} ({total}) is not the sum of its lines ({expected}).").format(
                        label=str(label).capitalize(), total=total, expected=expected
                    ),
                    code="total_mismatch",
                )
            ]
    return errors


def _validate_statement(statement: FinancialStatement) -> None:
    errors: dict[str, list[ValidationError]] = _totals_match_lines(statement)
    try:
        _validate_balanced(statement)
    except ValidationError as error:
        for field, messages in error.error_dict.items():
            errors.setdefault(field, []).extend(messages)
    # Rules registered by the apps above this one (the Shariah app: late-payment amounts are
    # never income, DECISIONS D11). A blocking violation names its field and its rule code.
    for violation in statement_violations_of(statement):
        if violation.blocking:
            errors.setdefault(violation.field or NON_FIELD_ERRORS, []).append(
                ValidationError(violation.message, code=violation.code)
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def financial_statement_save(
    *, actor: User, period: ReportingPeriod, data: Mapping[str, Any]
) -> FinancialStatement:
    """Create or update the quarter's balance sheet and income statement.

    The balance sheet must balance (total assets = liabilities + mudaraba funds + equity, to
    the unit), and the statement must pass every rule registered in ``statement_rules`` (the
    Shariah app refuses a late-payment memo line below the late-payment amounts the contract
    records show collected in the quarter). Every error names the field; a rule's error also
    carries the rule's code.
    """
    return _save_period_record(
        actor=actor,
        period=period,
        model=FinancialStatement,
        data=data,
        validate=_validate_statement,
    )


@transaction.atomic
def staffing_save(
    *, actor: User, period: ReportingPeriod, data: Mapping[str, Any]
) -> StaffingSnapshot:
    return _save_period_record(actor=actor, period=period, model=StaffingSnapshot, data=data)


@transaction.atomic
def portfolio_summary_save(
    *, actor: User, period: ReportingPeriod, lines: list[Mapping[str, Any]]
) -> list[PortfolioSummaryLine]:
    """Replace the quarter's portfolio summary with ``lines`` (one per contract type).

    All or nothing: an error in any line rejects them all, and names the line and the field.
    """
    _require_can_enter_data(actor=actor, institution=period.institution)
    period = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    period_assert_editable(period=period)
    # Replacing: the old lines go first (inside this transaction, so an error below restores
    # them) and the new ones are then validated against an empty quarter.
    PortfolioSummaryLine.objects.filter(period=period).delete()
    built: list[PortfolioSummaryLine] = []
    errors: dict[str, list[str]] = {}
    for index, line in enumerate(lines, start=1):
        instance = PortfolioSummaryLine(period=period, **line)
        try:
            instance.full_clean()
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    errors.setdefault(field, []).append(
                        _("Line {line}: {message}").format(line=index, message=message)
                    )
        built.append(instance)
    types = [line.contract_type for line in built]
    if len(types) != len(set(types)):
        errors.setdefault("contract_type", []).append(_("Each contract type may appear only once."))
    if errors:
        raise ValidationError(errors)
    for instance in built:
        _stamp(instance, actor)
        instance.save()
    return built


# --- Financing contracts --------------------------------------------------------------------


@transaction.atomic
def contract_create(
    *, actor: User, institution: Institution, data: Mapping[str, Any]
) -> FinancingContract:
    """Create one financing contract: the one write path every entry path (form, import, API)
    goes through, so every rule registered in ``contract_rules`` runs on every contract.

    The branch, client and product must belong to the institution, and the contract type is the
    product's. Errors name the field; a blocking rule rejects the contract with its code.
    """
    _require_can_enter_data(actor=actor, institution=institution)
    contract = FinancingContract(institution=institution, **data)
    errors: dict[str, list[str]] = {}
    for field, model in (("branch", Branch), ("client", Client), ("product", FinancingProduct)):
        related_id = getattr(contract, f"{field}_id")
        if (
            related_id is not None
            and not model.objects.filter(pk=related_id, institution=institution).exists()
        ):
            errors.setdefault(field, []).append(_("This does not belong to the institution."))
    if contract.product_id is not None and not errors.get("product"):
        product_type = FinancingProduct.objects.get(pk=contract.product_id).contract_type
        if contract.contract_type and contract.contract_type != product_type:
            errors.setdefault("contract_type", []).append(
                _("The contract type must be the product's ({type}).").format(type=product_type)
            )
        contract.contract_type = product_type
    if errors:
        raise ValidationError(errors)
    warnings = _valid_against_rules(contract)
    # A financing disbursed in a quarter that can no longer change belongs to its data.
    period_assert_date_editable(institution=institution, day=contract.disbursement_date)
    _stamp(contract, actor)
    contract.save()
    if warnings:
        warnings_hand_over(contract, warnings)
    return contract


def _valid_against_rules(contract: FinancingContract) -> list[Any]:
    """Model validation, then the contract rules: blocking ones raise, field by field (a
    ``ValidationError`` like the model's own); the warnings are returned, to be handed over
    once the contract is saved."""
    contract.full_clean()
    violations = violations_of(contract)
    blocking = [v for v in violations if v.blocking]
    if blocking:
        rule_errors: dict[str, list[ValidationError]] = {}
        for violation in blocking:
            rule_errors.setdefault(violation.field or NON_FIELD_ERRORS, []).append(
                ValidationError(violation.message, code=violation.code)
            )
        raise ValidationError(rule_errors)
    return [v for v in violations if not v.blocking]


# --- Partner writes: reference data, repayments, reschedulings, write-offs ------------------
#
# Added for the partner API (issue 5). Each is an upsert by the institution's own key (branch
# and product code, client number, payment and rescheduling reference, one write-off per
# contract), refuses dates inside a quarter that can no longer change, and leaves the
# instalments' paid columns consistent with the repayments (``instalments_settle``).


def periods_not_editable(*, institution: Institution) -> list[ReportingPeriod]:
    """The institution's quarters whose data can no longer change (submitted and beyond)."""
    return list(
        ReportingPeriod.objects.filter(institution=institution)
        .exclude(status__in=[Status.DRAFT, Status.RETURNED])
        .order_by("start_date")
    )


def period_assert_date_editable(*, institution: Institution, day: Any) -> None:
    """Refuse a record dated ``day`` if it falls inside a quarter that can no longer change."""
    if day is None:
        return
    for period in periods_not_editable(institution=institution):
        if period.start_date <= day <= period.end_date:
            period_assert_editable(period=period)


def _save_reference(
    *, actor: User, institution: Institution, model: type[Any], key: str, data: Mapping[str, Any]
) -> tuple[Any, bool]:
    """Create or update one of the institution's rows by its own ``key`` (code or number)."""
    _require_can_enter_data(actor=actor, institution=institution)
    instance = model.objects.filter(institution=institution, **{key: data.get(key)}).first()
    created = instance is None
    if created:
        instance = model(institution=institution)
    for field, value in data.items():
        setattr(instance, field, value)
    instance.full_clean()
    _stamp(instance, actor)
    instance.save()
    return instance, created


@transaction.atomic
def branch_save(
    *, actor: User, institution: Institution, data: Mapping[str, Any]
) -> tuple[Branch, bool]:
    """Create or update a branch by its ``code``; returns it and whether it was created."""
    return _save_reference(
        actor=actor, institution=institution, model=Branch, key="code", data=data
    )


@transaction.atomic
def product_save(
    *, actor: User, institution: Institution, data: Mapping[str, Any]
) -> tuple[FinancingProduct, bool]:
    """Create or update a product by its ``code``. A product's contract type cannot change once
    contracts use it (each contract's type is its product's)."""
    existing = FinancingProduct.objects.filter(
        institution=institution, code=data.get("code")
    ).first()
    if (
        existing is not None
        and "contract_type" in data
        and data["contract_type"] != existing.contract_type
        and existing.contracts.exists()
    ):
        raise ValidationError(
            {
                "contract_type": ValidationError(
                    _("Contracts use this product: its contract type can no longer change."),
                    code="product_in_use",
                )
            }
        )
    return _save_reference(
        actor=actor, institution=institution, model=FinancingProduct, key="code", data=data
    )


@transaction.atomic
def client_save(
    *, actor: User, institution: Institution, data: Mapping[str, Any]
) -> tuple[Client, bool]:
    """Create or update a client by its ``external_id`` (the institution's client number); its
    branch must be one of the institution's."""
    branch = data.get("branch")
    if branch is not None and branch.institution_id != institution.pk:
        raise ValidationError({"branch": _("This does not belong to the institution.")})
    return _save_reference(
        actor=actor, institution=institution, model=Client, key="external_id", data=data
    )


def _in_cents(name: str) -> Any:
    """The money column ``name`` as whole cents, computed by the database (cheaper to fetch
    than ``Decimal`` values, and exact: ``ROUND`` before the cast, also on SQLite)."""
    from django.db.models import BigIntegerField, F
    from django.db.models.functions import Cast, Round

    return Cast(Round(F(name) * 100), BigIntegerField())


def instalments_settle(*, contract_ids: Any) -> int:
    """Recompute the paid columns of the instalments of ``contract_ids`` from their repayments.

    Repayments settle a contract's instalments oldest first (by number), principal against
    principal due and profit against profit due; an instalment is fully paid on the value date
    of the repayment that completes both. Whole columns at a time (pandas, money in integer
    cents), a few queries per 10,000 contracts. Raises ``ValidationError`` (code ``overpaid``,
    naming the contracts' ``external_id``) if repayments exceed a contract's schedule. Returns
    the rows changed.
    """
    import numpy as np
    import pandas as pd

    from .models import Instalment, Repayment

    ids = sorted({int(pk) for pk in contract_ids})
    changed: list[pd.DataFrame] = []
    overpaid: list[int] = []
    for start in range(0, len(ids), 10_000):
        chunk = ids[start : start + 10_000]
        columns = ["id", "contract_id", "principal_due", "profit_due", "principal_paid"]
        columns += ["profit_paid", "paid_date"]
        schedule = pd.DataFrame.from_records(
            Instalment.objects.filter(contract_id__in=chunk)
            .order_by("contract_id", "number")
            .values_list(
                "id",
                "contract_id",
                _in_cents("principal_due"),
                _in_cents("profit_due"),
                _in_cents("principal_paid"),
                _in_cents("profit_paid"),
                "paid_date",
            ),
            columns=columns,
        )
        if schedule.empty:
            continue
        payments = pd.DataFrame.from_records(
            Repayment.objects.filter(contract_id__in=chunk)
            .order_by("contract_id", "value_date", "id")
            .values_list(
                "contract_id",
                "value_date",
                _in_cents("principal_amount"),
                _in_cents("profit_amount"),
            ),
            columns=["contract_id", "value_date", "principal", "profit"],
        )
        scheduled = set(schedule["contract_id"].tolist())
        dates: dict[str, np.ndarray] = {}
        new_paid: dict[str, Any] = {}
        owed: dict[str, np.ndarray] = {}
        for part, due_column in (("principal", "principal_due"), ("profit", "profit_due")):
            due = schedule[due_column].to_numpy(dtype=np.int64)
            owed[part] = due
            cumulative_due = (
                pd.Series(due, index=schedule.index).groupby(schedule["contract_id"]).cumsum()
            )
            before = cumulative_due.to_numpy() - due
            if payments.empty:
                total = pd.Series(0, index=schedule.index)
                paid_cents = payments.assign(cum=pd.Series(dtype="int64"))
            else:
                paid_cents = payments.assign(cum=payments[part].to_numpy(dtype=np.int64))
                paid_cents["cum"] = paid_cents.groupby("contract_id")["cum"].cumsum()
                totals = paid_cents.groupby("contract_id")["cum"].max()
                total = schedule["contract_id"].map(totals).fillna(0).astype("int64")
                last_due = cumulative_due.groupby(schedule["contract_id"]).max()
                over = totals[totals.index.isin(scheduled)] > last_due.reindex(
                    totals[totals.index.isin(scheduled)].index
                )
                overpaid.extend(int(pk) for pk in over[over].index)
            paid = (total.to_numpy() - before).clip(0, due)
            new_paid[part] = paid
            # The value date on which the cumulative repayments first reach this instalment's
            # cumulative due (NaT while unpaid, and for a part with nothing due).
            target = pd.DataFrame(
                {
                    "contract_id": schedule["contract_id"],
                    "cum": cumulative_due,
                    "row": np.arange(len(schedule)),
                }
            )
            complete = (paid == due) & (due > 0)
            found = np.full(len(schedule), np.datetime64("NaT"), dtype="datetime64[D]")
            if complete.any() and not paid_cents.empty:
                matched = pd.merge_asof(
                    target[complete].sort_values("cum"),
                    paid_cents[["contract_id", "cum", "value_date"]].sort_values("cum"),
                    on="cum",
                    by="contract_id",
                    direction="forward",
                )
                # Days through numpy: its range does not depend on pandas' resolution.
                found[matched["row"].to_numpy()] = np.array(
                    matched["value_date"].tolist(), dtype="datetime64[D]"
                )
            dates[part] = found
        fully_paid = (new_paid["principal"] == owed["principal"]) & (
            new_paid["profit"] == owed["profit"]
        )
        any_due = (owed["principal"] > 0) | (owed["profit"] > 0)
        # Fully paid on the later of the two parts' dates (a part with nothing due has none).
        paid_date = np.fmax(dates["principal"], dates["profit"])
        paid_date[~(fully_paid & any_due)] = np.datetime64("NaT")
        old_date = np.array(schedule["paid_date"].tolist(), dtype="datetime64[D]")
        same_date = (paid_date == old_date) | (np.isnat(paid_date) & np.isnat(old_date))
        differs = (
            (new_paid["principal"] != schedule["principal_paid"].to_numpy(dtype=np.int64))
            | (new_paid["profit"] != schedule["profit_paid"].to_numpy(dtype=np.int64))
            | ~same_date
        )
        if differs.any():
            changed.append(
                pd.DataFrame(
                    {
                        "id": schedule["id"].to_numpy()[differs],
                        "principal_paid": new_paid["principal"][differs],
                        "profit_paid": new_paid["profit"][differs],
                        "paid_date": paid_date[differs],
                    }
                )
            )
    if overpaid:
        from .models import FinancingContract as Contract

        numbers = sorted(
            Contract.objects.filter(pk__in=overpaid[:50]).values_list("external_id", flat=True)
        )
        raise ValidationError(
            _("Repayments exceed what the schedule of these contracts asks for: {numbers}.").format(
                numbers=", ".join(numbers)
            ),
            code="overpaid",
            params={"contracts": overpaid},
        )
    if not changed:
        return 0
    rows = pd.concat(changed, ignore_index=True)
    _instalments_write_paid(rows)
    return len(rows)


def _instalments_write_paid(rows: Any) -> None:
    """Store the paid columns: ``rows`` is a frame of instalment ``id``, ``principal_paid`` and
    ``profit_paid`` in cents, and ``paid_date`` (datetime64, NaT for none).

    On PostgreSQL one ``UPDATE … FROM unnest(arrays)`` per 50,000 rows; ``bulk_update`` writes a
    ``CASE WHEN`` per row and costs about a millisecond each (10,000 repayments took 11 s).
    Elsewhere (the embedded SQLite default, small volumes) ``bulk_update``."""
    from decimal import Decimal

    import numpy as np

    from .models import Instalment

    hundred = Decimal(100)
    ids = rows["id"].tolist()
    principal = [Decimal(value) / hundred for value in rows["principal_paid"].tolist()]
    profit = [Decimal(value) / hundred for value in rows["profit_paid"].tolist()]
    days = rows["paid_date"].to_numpy(dtype="datetime64[D]")
    paid_dates = days.astype(object)
    paid_dates[np.isnat(days)] = None
    paid_dates = paid_dates.tolist()
    if connection.vendor != "postgresql":
        Instalment.objects.bulk_update(
            [
                Instalment(pk=pk, principal_paid=p, profit_paid=q, paid_date=d)
                for pk, p, q, d in zip(ids, principal, profit, paid_dates, strict=True)
            ],
            ["principal_paid", "profit_paid", "paid_date"],
            batch_size=1_000,
        )
        return
    table = connection.ops.quote_name(Instalment._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 50_000):
            end = start + 50_000
            cursor.execute(
                f"UPDATE {table} AS i SET principal_paid = v.principal_paid, "
                "profit_paid = v.profit_paid, paid_date = v.paid_date "
                "FROM unnest(%s::bigint[], %s::numeric[], %s::numeric[], %s::date[]) "
                "AS v(id, principal_paid, profit_paid, paid_date) WHERE i.id = v.id",
                [ids[start:end], principal[start:end], profit[start:end], paid_dates[start:end]],
            )


def _by_reference(model: Any, contract: FinancingContract, reference: str | None) -> Any:
    """The contract's stored record with this partner reference, if any (blank: none)."""
    if not reference:
        return None
    return model.objects.filter(contract=contract, external_id=reference).first()


def _contract_event_prepare(
    *,
    model: Any,
    contract: FinancingContract,
    data: Mapping[str, Any],
    stored: Any,
    date_field: str,
) -> tuple[Any, bool]:
    """A repayment, rescheduling or write-off to save: ``stored`` (found by the caller's key)
    corrected with ``data``, or a new one for ``contract``; and whether it is new. Correcting a
    record dated in a quarter that can no longer change is refused before anything is applied."""
    if stored is not None:
        period_assert_date_editable(
            institution=contract.institution, day=getattr(stored, date_field)
        )
    instance = stored if stored is not None else model(contract=contract)
    for field, value in data.items():
        setattr(instance, field, value)
    return instance, stored is None


def _contract_event_store(
    instance: Any, *, actor: User, date_field: str, stamp: bool = True
) -> None:
    """Validate and save a prepared record; its (new) date must fall in a quarter that can still
    change."""
    instance.full_clean()
    period_assert_date_editable(
        institution=instance.contract.institution, day=getattr(instance, date_field)
    )
    if stamp:
        _stamp(instance, actor)
    instance.save()


@transaction.atomic
def repayment_save(
    *, actor: User, contract: FinancingContract, data: Mapping[str, Any]
) -> tuple[Any, bool]:
    """Record one repayment (or correct it: an upsert by its ``external_id``, the payment
    reference), then settle the contract's instalments; returns it and whether it is new.
    ``data`` may name the instalment by ``instalment_number``. Refused inside a quarter that
    can no longer change."""
    from .models import Instalment, Repayment

    institution = contract.institution
    _require_can_enter_data(actor=actor, institution=institution)
    data = dict(data)
    number = data.pop("instalment_number", None)
    instance, created = _contract_event_prepare(
        model=Repayment,
        contract=contract,
        data=data,
        stored=_by_reference(Repayment, contract, data.get("external_id")),
        date_field="value_date",
    )
    if number is not None:
        instance.instalment = Instalment.objects.filter(contract=contract, number=number).first()
        if instance.instalment is None:
            raise ValidationError(
                {
                    "instalment": ValidationError(
                        _("This contract has no instalment of this number."),
                        code="unknown_reference",
                    )
                }
            )
    _contract_event_store(instance, actor=actor, date_field="value_date", stamp=False)
    instalments_settle(contract_ids=[contract.pk])
    return instance, created


@transaction.atomic
def restructuring_save(
    *, actor: User, contract: FinancingContract, data: Mapping[str, Any]
) -> tuple[Any, bool]:
    """Record a rescheduling (an upsert by its ``external_id`` when it has one).

    A rescheduling may extend the term but never raise what the client owes (DECISIONS D9,
    Shariah rule RES-DEBT-RAISED): the database constraint refuses it and ``full_clean``
    reports it first, with the code ``RES-DEBT-RAISED`` on ``amount_owed_after``.
    """
    from .models import Restructuring

    institution = contract.institution
    _require_can_enter_data(actor=actor, institution=institution)
    instance, created = _contract_event_prepare(
        model=Restructuring,
        contract=contract,
        data=data,
        stored=_by_reference(Restructuring, contract, data.get("external_id")),
        date_field="date",
    )
    before, after = instance.amount_owed_before, instance.amount_owed_after
    if before is not None and after is not None and after > before:
        raise ValidationError(
            {
                "amount_owed_after": ValidationError(
                    _(
                        "A rescheduling cannot increase the amount owed or add profit "
                        "(from {before} to {after})."
                    ).format(before=before, after=after),
                    code="RES-DEBT-RAISED",
                )
            }
        )
    _contract_event_store(instance, actor=actor, date_field="date")
    return instance, created


@transaction.atomic
def write_off_save(
    *, actor: User, contract: FinancingContract, data: Mapping[str, Any]
) -> tuple[Any, bool]:
    """Write a financing off (DECISIONS D10), or correct its write-off: one per contract."""
    from .models import WriteOff

    institution = contract.institution
    _require_can_enter_data(actor=actor, institution=institution)
    instance, created = _contract_event_prepare(
        model=WriteOff,
        contract=contract,
        data=data,
        stored=WriteOff.objects.filter(contract=contract).first(),
        date_field="date",
    )
    _contract_event_store(instance, actor=actor, date_field="date")
    return instance, created


# --- Financing contracts: edits from the contract form ---------------------------------------

#: What an edit may never change: the contract's institution and its type (a murabaha cannot
#: become an ijara; a new contract is entered instead).
CONTRACT_FIXED_FIELDS = frozenset({"id", "pk", "institution", "institution_id", "contract_type"})


@transaction.atomic
def contract_update(
    *, actor: User, contract: FinancingContract, data: Mapping[str, Any]
) -> FinancingContract:
    """Change a saved contract's terms, through the same rules as ``contract_create``.

    The rules see the changed instance with its primary key set, so they run at the *update*
    stage (a murabaha sale price changed after signing, a change that raises the debt). A
    blocking rule rejects the change with its code on the field; warnings are accepted and
    handed to the registered sinks (the Shariah findings).
    """
    _require_can_enter_data(actor=actor, institution=contract.institution)
    current = FinancingContract.objects.select_for_update().get(pk=contract.pk)
    stored_disbursement = current.disbursement_date
    errors: dict[str, list[str]] = {}
    for field in data:
        if field in CONTRACT_FIXED_FIELDS:
            errors.setdefault(field, []).append(_("This cannot be changed on a saved contract."))
    if errors:
        raise ValidationError(errors)
    changed = []
    for field, value in data.items():
        attribute = FinancingContract._meta.get_field(field).attname
        if getattr(current, attribute) != getattr(FinancingContract(**{field: value}), attribute):
            changed.append(field)
        setattr(current, field, value)
    for field, model in (("branch", Branch), ("client", Client), ("product", FinancingProduct)):
        related_id = getattr(current, f"{field}_id")
        if not model.objects.filter(pk=related_id, institution_id=current.institution_id).exists():
            errors.setdefault(field, []).append(_("This does not belong to the institution."))
    if not errors.get("product"):
        product_type = FinancingProduct.objects.get(pk=current.product_id).contract_type
        if product_type != current.contract_type:
            errors.setdefault("product", []).append(
                _("The contract type must be the product's ({type}).").format(type=product_type)
            )
    if errors:
        raise ValidationError(errors)
    warnings = _valid_against_rules(current)
    if set(changed) - {"status"}:
        # Disbursed (before or after the change) in a quarter that can no longer change: only
        # the status may still move (``partners.bulk.FROZEN_CHANGEABLE``).
        for day in {stored_disbursement, current.disbursement_date}:
            period_assert_date_editable(institution=current.institution, day=day)
    if changed:
        _stamp(current, actor)
        current.save(update_fields=[*changed, "updated_at"])
    if warnings:
        warnings_hand_over(current, warnings)
    return current


@transaction.atomic
def contract_schedule_replace(
    *, actor: User, contract: FinancingContract, instalments: list[Mapping[str, Any]]
) -> list[Any]:
    """Replace the schedule of a contract nothing has been paid on yet.

    Once a repayment is recorded the schedule is history: it changes only through a
    rescheduling (``restructuring_save``). For debt-based contracts the principal of the
    instalments must add up to the financed amount (the cost recovered, DECISIONS D5), or the
    contract could never be repaid in full.
    """
    from decimal import Decimal

    from .models import DEBT_BASED_TYPES, Instalment, Repayment

    _require_can_enter_data(actor=actor, institution=contract.institution)
    contract = FinancingContract.objects.select_for_update().get(pk=contract.pk)
    period_assert_date_editable(institution=contract.institution, day=contract.disbursement_date)
    paid = (
        Instalment.objects.filter(contract=contract)
        .exclude(principal_paid=0, profit_paid=0)
        .exists()
    )
    if paid or Repayment.objects.filter(contract=contract).exists():
        raise ValidationError(
            {
                "instalments": _(
                    "Payments are recorded on this contract: its schedule can change only "
                    "through a rescheduling."
                )
            }
        )
    built = []
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(instalments, start=1):
        instalment = Instalment(contract=contract, **item)
        try:
            instalment.full_clean(exclude=["contract"], validate_unique=False)
        except ValidationError as error:
            for messages in error.message_dict.values():
                for message in messages:
                    errors.setdefault("instalments", []).append(
                        _("Instalment {number}: {message}").format(number=index, message=message)
                    )
        built.append(instalment)
    early = [
        index
        for index, instalment in enumerate(built, start=1)
        if instalment.due_date and instalment.due_date < contract.disbursement_date
    ]
    for index in early:
        errors.setdefault("instalments", []).append(
            _("Instalment {number}: {message}").format(
                number=index,
                message=_("An instalment cannot fall due before the disbursement ({date}).").format(
                    date=contract.disbursement_date.isoformat()
                ),
            )
        )
    numbers = [instalment.number for instalment in built]
    if len(numbers) != len(set(numbers)):
        errors.setdefault("instalments", []).append(
            _("Each instalment number may appear only once.")
        )
    if built and contract.contract_type in DEBT_BASED_TYPES and not errors:
        principal = sum((instalment.principal_due for instalment in built), Decimal("0"))
        if abs(principal - contract.financed_amount) > Decimal("0.01"):
            errors.setdefault("instalments", []).append(
                _(
                    "The instalments' principal adds up to {total}, not to the financed "
                    "amount {financed}."
                ).format(total=principal, financed=contract.financed_amount)
            )
    if errors:
        raise ValidationError(errors)
    Instalment.objects.filter(contract=contract).delete()
    return Instalment.objects.bulk_create(built)
