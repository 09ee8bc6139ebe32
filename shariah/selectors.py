"""Reads of Shariah compliance, scoped like every institution read (an object outside the user's
scope is a 404), and the loaders that feed the pure modules (rules, ledger, indicators)."""

from __future__ import annotations

import datetime
import operator
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import reduce
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.models import (
    ContractType,
    FinancialStatement,
    FinancingContract,
    FinancingProduct,
    Institution,
    LatePaymentCharge,
    ReportingPeriod,
)
from institutions.selectors import institution_ids_for_user, period_get_for_user
from users.models import User

from . import compliance, purification, rule_conditions
from .models import (
    AuditAnswer,
    CharityTransfer,
    ChecklistItem,
    ProductApproval,
    ShariahAudit,
    ShariahBoardMember,
    ShariahFinding,
    ShariahPolicy,
)
from .rules import (
    RuleContext,
    RuleViolation,
    forbidden_salam_commodity,
    late_payment_income_violations,
)

ZERO = Decimal("0")
#: The contract fields whose value at signing the update-only rules compare with.
SIGNED_TERMS = ("sale_price", "financed_amount", "profit_amount")


# --- Scope ----------------------------------------------------------------------------------


def _scoped(queryset: QuerySet[Any], *, user: User, path: str = "institution_id") -> QuerySet[Any]:
    visible = institution_ids_for_user(user=user)
    if visible is None:
        return queryset
    return queryset.filter(**{f"{path}__in": visible})


def finding_list_for_user(
    *, user: User, institution: Institution | None = None, status: str | None = None
) -> QuerySet[ShariahFinding]:
    queryset = _scoped(ShariahFinding.objects.all(), user=user).select_related(
        "institution", "contract", "period"
    )
    if institution is not None:
        queryset = queryset.filter(institution=institution)
    if status is not None:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-found_on", "-id")


def finding_get_for_user(*, user: User, finding_id: object) -> ShariahFinding:
    try:
        return finding_list_for_user(user=user).get(pk=finding_id)
    except (ShariahFinding.DoesNotExist, ValueError, TypeError) as error:
        raise Http404(_("Not found.")) from error


def audit_get_for_user(*, user: User, audit_id: object) -> ShariahAudit:
    try:
        return _scoped(
            ShariahAudit.objects.select_related("period__institution"),
            user=user,
            path="period__institution_id",
        ).get(pk=audit_id)
    except (ShariahAudit.DoesNotExist, ValueError, TypeError) as error:
        raise Http404(_("Not found.")) from error


def charity_transfer_list_for_user(
    *, user: User, institution: Institution
) -> QuerySet[CharityTransfer]:
    return (
        _scoped(CharityTransfer.objects.all(), user=user)
        .filter(institution=institution)
        .select_related("charity")
        .order_by("-date", "-id")
    )


# --- Contract rules ---------------------------------------------------------------------------


def institution_has_shariah_board(*, institution_id: int) -> bool:
    """An institution with a Shariah board uses the Shariah module (product approvals apply)."""
    return ShariahBoardMember.objects.filter(institution_id=institution_id).exists()


def product_is_approved(*, product_id: int, on: datetime.date) -> bool:
    """Whether the product had an approval in force on ``on``."""
    return (
        ProductApproval.objects.filter(product_id=product_id, approved_on__lte=on)
        .filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=on))
        .exists()
    )


def contract_terms_as_signed(*, contract_id: int) -> dict[str, Any] | None:
    """The contract's terms when it was first recorded: its first historical record, or the
    stored row when it has no history (rows written in bulk by the demo loader have none)."""
    first = (
        FinancingContract.history.filter(id=contract_id)
        .order_by("history_date", "history_id")
        .values(*SIGNED_TERMS)
        .first()
    )
    if first is not None:
        return first
    return FinancingContract.objects.filter(pk=contract_id).values(*SIGNED_TERMS).first()


def contract_rule_context(*, contract: FinancingContract) -> RuleContext:
    """What the rules need beyond the contract's own columns (see ``rules.RuleContext``)."""
    original = stored = None
    if contract.pk is not None:
        original = contract_terms_as_signed(contract_id=contract.pk)
        stored = FinancingContract.objects.filter(pk=contract.pk).values(*SIGNED_TERMS).first()
    approved: bool | None = None
    if contract.product_id is not None and institution_has_shariah_board(
        institution_id=contract.institution_id
    ):
        approved = product_is_approved(product_id=contract.product_id, on=contract.contract_date)
    return RuleContext(original=original, stored=stored, product_approved=approved)


#: Ids per query when loading the rule context of many contracts (well under SQLite's limit on
#: query parameters).
_CONTEXT_CHUNK = 5000


def _chunks(values: list[Any], size: int = _CONTEXT_CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _approved_on(windows: list[tuple[Any, Any]], on: datetime.date) -> bool:
    """``product_is_approved`` over the product's approval windows, already loaded."""
    return any(start <= on and (end is None or end > on) for start, end in windows)


def contract_rule_contexts(
    *, contracts: Sequence[FinancingContract | None]
) -> list[RuleContext | None]:
    """``[contract_rule_context(contract=c) for c in contracts]`` in a few queries whatever the
    number of contracts: boards per institution, approval windows per product, and for saved
    contracts (``pk`` set) the stored rows and the terms as signed (``None`` entries stay
    ``None``)."""
    present = [contract for contract in contracts if contract is not None]
    ids = sorted({contract.pk for contract in present if contract.pk is not None})
    stored: dict[int, dict[str, Any]] = {}
    signed: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        for row in FinancingContract.objects.filter(pk__in=chunk).values("id", *SIGNED_TERMS):
            stored[row.pop("id")] = row
        history = (
            FinancingContract.history.filter(id__in=chunk)
            .order_by("id", "history_date", "history_id")
            .values("id", *SIGNED_TERMS)
        )
        for row in history:
            contract_id = row.pop("id")
            signed.setdefault(contract_id, row)  # the first historical record
    institution_ids = sorted({contract.institution_id for contract in present})
    with_board = set(
        ShariahBoardMember.objects.filter(institution_id__in=institution_ids)
        .values_list("institution_id", flat=True)
        .distinct()
    )
    product_ids = sorted(
        {
            contract.product_id
            for contract in present
            if contract.product_id is not None and contract.institution_id in with_board
        }
    )
    windows: dict[int, list[tuple[Any, Any]]] = {}
    for chunk in _chunks(product_ids):
        for product_id, approved_on, withdrawn_on in ProductApproval.objects.filter(
            product_id__in=chunk
        ).values_list("product_id", "approved_on", "withdrawn_on"):
            windows.setdefault(product_id, []).append((approved_on, withdrawn_on))

    contexts: list[RuleContext | None] = []
    for contract in contracts:
        if contract is None:
            contexts.append(None)
            continue
        original = current = None
        if contract.pk is not None:
            current = stored.get(contract.pk)
            # As ``contract_terms_as_signed``: the stored row when there is no history.
            original = signed.get(contract.pk, current)
        approved: bool | None = None
        if contract.product_id is not None and contract.institution_id in with_board:
            approved = _approved_on(windows.get(contract.product_id, []), contract.contract_date)
        contexts.append(RuleContext(original=original, stored=current, product_approved=approved))
    return contexts


def period_covering(*, institution_id: int, date: datetime.date) -> ReportingPeriod | None:
    return ReportingPeriod.objects.filter(
        institution_id=institution_id, start_date__lte=date, end_date__gte=date
    ).first()


# --- Purification ledger ------------------------------------------------------------------------


def alert_days_for(*, institution_id: int) -> int:
    policy = ShariahPolicy.objects.filter(institution_id=institution_id).first()
    return policy.purification_alert_days if policy else purification.DEFAULT_ALERT_DAYS


def purification_records(
    *, institution_id: int, as_of: datetime.date | None = None
) -> tuple[list[purification.Inflow], list[purification.Transfer]]:
    """The ledger's source records: late-payment charges collected, income tainted by findings,
    and transfers to charity (all of them, or those dated on or before ``as_of``)."""
    charges = LatePaymentCharge.objects.filter(
        contract__institution_id=institution_id, collected_on__isnull=False
    )
    findings = ShariahFinding.objects.filter(institution_id=institution_id, tainted_income__gt=0)
    transfers = CharityTransfer.objects.filter(institution_id=institution_id)
    if as_of is not None:
        charges = charges.filter(collected_on__lte=as_of)
        findings = findings.filter(found_on__lte=as_of)
        transfers = transfers.filter(date__lte=as_of)
    inflows = [
        purification.Inflow(
            date=collected_on,
            amount=amount,
            source=purification.InflowSource.LATE_PAYMENT,
            reference=f"charge:{pk}",
        )
        for pk, collected_on, amount in charges.values_list("pk", "collected_on", "amount")
    ] + [
        purification.Inflow(
            date=found_on,
            amount=amount,
            source=purification.InflowSource.TAINTED_INCOME,
            reference=f"finding:{pk}",
        )
        for pk, found_on, amount in findings.values_list("pk", "found_on", "tainted_income")
    ]
    return inflows, [
        purification.Transfer(date=date, amount=amount)
        for date, amount in transfers.values_list("date", "amount")
    ]


def purification_position(
    *, institution_id: int, as_of: datetime.date | None = None
) -> purification.PurificationPosition:
    """The purification ledger of an institution at a date (today by default)."""
    as_of = as_of or timezone.localdate()
    inflows, transfers = purification_records(institution_id=institution_id, as_of=as_of)
    return purification.position(
        inflows=inflows,
        transfers=transfers,
        as_of=as_of,
        alert_days=alert_days_for(institution_id=institution_id),
    )


def purification_alerts(
    *, as_of: datetime.date | None = None, institution_ids: Iterable[int] | None = None
) -> list[tuple[Institution, purification.PurificationPosition]]:
    """Institutions holding amounts undisbursed for longer than their policy allows."""
    as_of = as_of or timezone.localdate()
    institutions = Institution.objects.filter(
        Q(contracts__late_payment_charges__collected_on__isnull=False)
        | Q(shariah_findings__tainted_income__gt=0)
    ).distinct()
    if institution_ids is not None:
        institutions = institutions.filter(pk__in=list(institution_ids))
    alerts = []
    for institution in institutions.order_by("code"):
        position = purification_position(institution_id=institution.pk, as_of=as_of)
        if position.alert:
            alerts.append((institution, position))
    return alerts


def late_payment_collected_in(*, period: ReportingPeriod) -> Decimal:
    total = LatePaymentCharge.objects.filter(
        contract__institution_id=period.institution_id,
        collected_on__range=(period.start_date, period.end_date),
    ).aggregate(total=Sum("amount"))["total"]
    return total or ZERO


def statement_late_payment_violations(*, period: ReportingPeriod) -> list[RuleViolation]:
    """Late-payment amounts collected in the quarter that the statement does not set aside on
    its memo line are being treated as income (DECISIONS D11)."""
    statement = FinancialStatement.objects.filter(period=period).first()
    if statement is None:
        return []
    return late_payment_income_violations(
        collected=late_payment_collected_in(period=period),
        reported_memo=statement.late_payment_collected,
    )


# --- Audits -----------------------------------------------------------------------------------


def checklist_latest_version() -> int | None:
    return ChecklistItem.objects.order_by("-version").values_list("version", flat=True).first()


def audit_items(*, audit: ShariahAudit) -> QuerySet[ChecklistItem]:
    """The answerable checklist items in the audit's scope (its version and contract types)."""
    return ChecklistItem.objects.filter(
        version=audit.checklist_version, contract_type__in=audit.contract_types
    ).exclude(kind=ChecklistItem.Kind.HEADING)


def audit_score_for(*, audit: ShariahAudit) -> compliance.AuditScore:
    answers = AuditAnswer.objects.filter(
        audit=audit, item__in=audit_items(audit=audit)
    ).values_list("result", flat=True)
    return compliance.audit_score(answers=answers, items=audit_items(audit=audit).count())


# --- Compliance of a quarter ------------------------------------------------------------------


def contracts_rule_review(*, period: ReportingPeriod) -> tuple[int, int, Counter[str], set[int]]:
    """The rules of the ``review`` stage over the contracts concluded in the quarter, counted in
    the database (``rule_conditions``: one condition per rule, no Python loop per contract).

    Returns (contracts checked, contracts passing every rule, failures per rule code, ids of the
    products used without an approval).
    """
    contracts = FinancingContract.objects.filter(
        institution_id=period.institution_id,
        contract_date__range=(period.start_date, period.end_date),
    )
    has_board = institution_has_shariah_board(institution_id=period.institution_id)
    # The multilingual word match runs once per distinct salam commodity text, not per contract.
    commodities = (
        contracts.filter(contract_type=ContractType.SALAM)
        .values_list("commodity", flat=True)
        .distinct()
    )
    conditions = rule_conditions.review_conditions(
        forbidden_commodities=[text for text in commodities if forbidden_salam_commodity(text)],
        has_shariah_board=has_board,
    )
    codes = list(conditions)
    any_rule = reduce(operator.or_, conditions.values())
    counts = contracts.aggregate(
        checked=Count("pk"),
        failing=Count("pk", filter=any_rule),
        **{
            f"rule_{index}": Count("pk", filter=conditions[code])
            for index, code in enumerate(codes)
        },
    )
    failures: Counter[str] = Counter(
        {
            code: counts[f"rule_{index}"]
            for index, code in enumerate(codes)
            if counts[f"rule_{index}"]
        }
    )
    unapproved: set[int] = set()
    if has_board:
        unapproved = set(
            contracts.filter(conditions["PRODUCT-NOT-APPROVED"])
            .values_list("product_id", flat=True)
            .distinct()
        )
    return counts["checked"], counts["checked"] - counts["failing"], failures, unapproved


def open_findings_at(*, institution_id: int, date: datetime.date) -> dict[str, int]:
    """Findings open at the end of ``date``, by severity."""
    rows = (
        ShariahFinding.objects.filter(institution_id=institution_id, found_on__lte=date)
        .filter(Q(status=ShariahFinding.Status.OPEN) | Q(resolved_on__gt=date))
        .values_list("severity", flat=True)
    )
    counts = Counter(rows)
    return {severity: counts.get(severity, 0) for severity in ShariahFinding.Severity.values}


def compliance_for_period(*, period: ReportingPeriod) -> compliance.ComplianceFigures:
    """An institution's Shariah compliance for one quarter (the figures behind the ``shariah``
    indicators and the analyst's compliance page)."""
    checked, passing, failures, unapproved = contracts_rule_review(period=period)
    audit = ShariahAudit.objects.filter(period=period).first()
    purified = CharityTransfer.objects.filter(
        institution_id=period.institution_id,
        date__range=(period.start_date, period.end_date),
    ).aggregate(total=Sum("amount"))["total"]
    return compliance.ComplianceFigures(
        period_id=period.pk,
        contracts_checked=checked,
        contracts_passing=passing,
        failures_by_rule=dict(failures),
        open_findings=open_findings_at(institution_id=period.institution_id, date=period.end_date),
        audit=audit_score_for(audit=audit) if audit else None,
        purified_in_period=purified or ZERO,
        purification=purification_position(
            institution_id=period.institution_id, as_of=period.end_date
        ),
        has_shariah_board=institution_has_shariah_board(institution_id=period.institution_id),
        unapproved_products=tuple(
            FinancingProduct.objects.filter(pk__in=unapproved)
            .order_by("code")
            .values_list("code", flat=True)
        ),
    )


def compliance_for_user(*, user: User, period_id: object) -> dict[str, Any]:
    """Everything the quarter's compliance page shows, for a user allowed to see the period."""
    period = period_get_for_user(user=user, period_id=period_id)
    figures = compliance_for_period(period=period)
    audit = ShariahAudit.objects.filter(period=period).select_related("auditor").first()
    return {
        "period": period,
        "institution": period.institution,
        "figures": figures,
        "indicator_values": compliance.indicator_values(figures),
        "audit": audit,
        "findings": list(
            ShariahFinding.objects.filter(institution_id=period.institution_id)
            .filter(found_on__lte=period.end_date)
            .filter(Q(status=ShariahFinding.Status.OPEN) | Q(found_on__gte=period.start_date))
            .select_related("contract")
            .order_by("status", "severity", "-found_on")[:200]
        ),
        "transfers": list(
            CharityTransfer.objects.filter(
                institution_id=period.institution_id,
                date__range=(period.start_date, period.end_date),
            )
            .select_related("charity")
            .order_by("date")
        ),
    }
