"""Writes to institution data. Views, the API, tasks and commands call only these.

Each service validates (``full_clean``, so database constraints produce translated messages
before the database sees the row), runs in one transaction, and records who made the change in
the audit trail (django-simple-history reads ``_history_user``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
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
    StaffingSnapshot,
)
from .signals import period_status_changed
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
    """The institution's manager sends the quarter for review."""
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


@transaction.atomic
def financial_statement_save(
    *, actor: User, period: ReportingPeriod, data: Mapping[str, Any]
) -> FinancialStatement:
    """Create or update the quarter's balance sheet and income statement.

    The balance sheet must balance (total assets = liabilities + mudaraba funds + equity, to
    the unit); every field error names the field.
    """
    return _save_period_record(
        actor=actor,
        period=period,
        model=FinancialStatement,
        data=data,
        validate=_validate_balanced,
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
    _stamp(contract, actor)
    contract.save()
    warnings = [v for v in violations if not v.blocking]
    if warnings:
        warnings_hand_over(contract, warnings)
    return contract
