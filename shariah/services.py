"""Writes of Shariah compliance. Views, the admin, tasks and commands call only these.

Each service checks who may act, validates (``full_clean``: database constraints give their
translated messages first), runs in one transaction and records the actor in the history
(django-simple-history reads ``_history_user``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.contract_rules import ContractViolation
from institutions.models import (
    FinancingContract,
    FinancingProduct,
    Institution,
    ReportingPeriod,
)
from institutions.services import _require_can_enter_data, period_assert_editable
from users.models import User

from . import purification, selectors
from .checklist import TABLE2_CHECKLIST_PATH, load_checklist
from .models import (
    ApprovedCharity,
    AuditAnswer,
    CharityTransfer,
    ChecklistItem,
    ProductApproval,
    ShariahAudit,
    ShariahBoardMember,
    ShariahFinding,
    ShariahPolicy,
    ShariahReview,
)
from .rules import RULES_BY_CODE, FindingSeverity, RuleViolation


def _stamp(instance: Any, actor: User | None) -> None:
    instance._history_user = actor


def _require_can_review(*, actor: User, institution: Institution) -> None:
    """Shariah reviews, audits and findings: analysts and administrators, or anyone granted the
    institution (its staff and Shariah supervisor, the auditors it has been assigned)."""
    if actor.sees_all_institutions:
        return
    if actor.is_active and actor.memberships.filter(institution=institution).exists():
        return
    raise PermissionDenied(_("You cannot review this institution."))


# --- Policy, board, approvals -----------------------------------------------------------------


@transaction.atomic
def policy_set(
    *, actor: User, institution: Institution, purification_alert_days: int
) -> ShariahPolicy:
    """Set the institution's Shariah policy (creates it on first use)."""
    _require_can_enter_data(actor=actor, institution=institution)
    policy = ShariahPolicy.objects.filter(institution=institution).first() or ShariahPolicy(
        institution=institution
    )
    policy.purification_alert_days = purification_alert_days
    policy.full_clean()
    _stamp(policy, actor)
    policy.save()
    return policy


@transaction.atomic
def board_member_add(
    *,
    actor: User,
    institution: Institution,
    full_name: str,
    has_shariah_training: bool,
    appointed_on: datetime.date,
    role: str = ShariahBoardMember.Role.MEMBER,
    qualification: str = "",
) -> ShariahBoardMember:
    """Add a member to the Shariah board. From the first member on, the institution's products
    must be approved before new contracts use them (rule ``PRODUCT-NOT-APPROVED``)."""
    _require_can_enter_data(actor=actor, institution=institution)
    member = ShariahBoardMember(
        institution=institution,
        full_name=full_name,
        role=role,
        has_shariah_training=has_shariah_training,
        qualification=qualification,
        appointed_on=appointed_on,
    )
    member.full_clean()
    _stamp(member, actor)
    member.save()
    return member


@transaction.atomic
def board_member_leave(
    *, actor: User, member: ShariahBoardMember, left_on: datetime.date
) -> ShariahBoardMember:
    _require_can_enter_data(actor=actor, institution=member.institution)
    member.left_on = left_on
    member.full_clean()
    _stamp(member, actor)
    member.save(update_fields=["left_on", "updated_at"])
    return member


def _require_sitting_member(
    *, member: ShariahBoardMember, institution_id: int, on: datetime.date, field: str
) -> None:
    if member.institution_id != institution_id:
        raise ValidationError({field: _("This person is not on the institution's Shariah board.")})
    if member.appointed_on > on or (member.left_on is not None and member.left_on < on):
        raise ValidationError({field: _("This person was not on the Shariah board on that date.")})


@transaction.atomic
def product_approve(
    *,
    actor: User,
    product: FinancingProduct,
    approved_by: ShariahBoardMember,
    approved_on: datetime.date,
    reference: str = "",
    note: str = "",
) -> ProductApproval:
    """Record the Shariah board's approval of a product: a member trained in Shariah, sitting
    on the board on that day, approves it."""
    _require_can_enter_data(actor=actor, institution=product.institution)
    _require_sitting_member(
        member=approved_by,
        institution_id=product.institution_id,
        on=approved_on,
        field="approved_by",
    )
    if not approved_by.has_shariah_training:
        raise ValidationError(
            {"approved_by": _("A product must be approved by a member trained in Shariah.")}
        )
    approval = ProductApproval(
        product=product,
        approved_by=approved_by,
        approved_on=approved_on,
        reference=reference,
        note=note,
    )
    approval.full_clean()
    _stamp(approval, actor)
    approval.save()
    return approval


@transaction.atomic
def product_approval_withdraw(
    *, actor: User, approval: ProductApproval, withdrawn_on: datetime.date, note: str = ""
) -> ProductApproval:
    """Withdraw an approval: new contracts dated from then on cannot use the product."""
    _require_can_enter_data(actor=actor, institution=approval.product.institution)
    approval.withdrawn_on = withdrawn_on
    if note:
        approval.note = f"{approval.note}\n{note}".strip()
    approval.full_clean()
    _stamp(approval, actor)
    approval.save(update_fields=["withdrawn_on", "note", "updated_at"])
    return approval


# --- Reviews and findings ---------------------------------------------------------------------


@transaction.atomic
def review_create(
    *,
    actor: User,
    institution: Institution,
    reviewed_on: datetime.date,
    scope: str,
    reviewer: ShariahBoardMember | None = None,
    period: ReportingPeriod | None = None,
    summary: str = "",
) -> ShariahReview:
    _require_can_review(actor=actor, institution=institution)
    if reviewer is not None:
        _require_sitting_member(
            member=reviewer, institution_id=institution.pk, on=reviewed_on, field="reviewer"
        )
    if period is not None and period.institution_id != institution.pk:
        raise ValidationError({"period": _("This does not belong to the institution.")})
    review = ShariahReview(
        institution=institution,
        reviewed_on=reviewed_on,
        scope=scope,
        reviewer=reviewer,
        period=period,
        summary=summary,
    )
    review.full_clean()
    _stamp(review, actor)
    review.save()
    return review


@transaction.atomic
def finding_create(
    *,
    actor: User,
    institution: Institution,
    severity: str,
    description: str,
    source: str = ShariahFinding.Source.REVIEW,
    found_on: datetime.date | None = None,
    tainted_income: Decimal = Decimal("0"),
    review: ShariahReview | None = None,
    audit: ShariahAudit | None = None,
    contract: FinancingContract | None = None,
    period: ReportingPeriod | None = None,
) -> ShariahFinding:
    """Record a finding of a review or an audit. Income it taints flows into the purification
    ledger on ``found_on`` (today by default)."""
    _require_can_review(actor=actor, institution=institution)
    found_on = found_on or timezone.localdate()
    errors: dict[str, list[str]] = {}
    for field, related, institution_id in (
        ("review", review, review.institution_id if review else None),
        ("audit", audit, audit.period.institution_id if audit else None),
        ("contract", contract, contract.institution_id if contract else None),
        ("period", period, period.institution_id if period else None),
    ):
        if related is not None and institution_id != institution.pk:
            errors.setdefault(field, []).append(_("This does not belong to the institution."))
    if errors:
        raise ValidationError(errors)
    if period is None:
        period = (audit.period if audit else None) or selectors.period_covering(
            institution_id=institution.pk, date=found_on
        )
    finding = ShariahFinding(
        institution=institution,
        source=source,
        severity=severity,
        description=description,
        found_on=found_on,
        tainted_income=tainted_income,
        review=review,
        audit=audit,
        contract=contract,
        period=period,
    )
    finding.full_clean()
    _stamp(finding, actor)
    finding.save()
    return finding


@transaction.atomic
def finding_resolve(
    *,
    actor: User,
    finding: ShariahFinding,
    resolution: str,
    resolved_on: datetime.date | None = None,
) -> ShariahFinding:
    """Close a finding with what was done. Income it tainted stays in the ledger: resolving the
    cause does not make that income permissible."""
    _require_can_review(actor=actor, institution=finding.institution)
    if finding.status == ShariahFinding.Status.RESOLVED:
        raise ValidationError(_("This finding is already resolved."))
    if not resolution.strip():
        raise ValidationError({"resolution": _("Say how the finding was resolved.")})
    finding.status = ShariahFinding.Status.RESOLVED
    finding.resolution = resolution.strip()
    finding.resolved_on = resolved_on or timezone.localdate()
    finding.full_clean()
    _stamp(finding, actor)
    finding.save(update_fields=["status", "resolution", "resolved_on", "updated_at"])
    return finding


def findings_record_from_warnings(
    contract: FinancingContract, warnings: list[ContractViolation]
) -> list[ShariahFinding]:
    """The warning sink registered with ``institutions.contract_rules``: every warning a contract
    is accepted with becomes an open finding that the institution and the analyst see.

    Runs inside ``contract_create``'s transaction, so the contract and its findings are saved
    together. A warning already open on the same contract, rule and field is not repeated.
    """
    actor = getattr(contract, "_history_user", None)
    period = selectors.period_covering(
        institution_id=contract.institution_id, date=contract.contract_date
    )
    recorded = []
    for warning in warnings:
        rule = RULES_BY_CODE.get(warning.code)
        already_open = ShariahFinding.objects.filter(
            contract=contract,
            rule_code=warning.code,
            field=warning.field,
            source=ShariahFinding.Source.RULE,
            status=ShariahFinding.Status.OPEN,
        ).exists()
        if already_open:
            continue
        finding = ShariahFinding(
            institution_id=contract.institution_id,
            period=period,
            source=ShariahFinding.Source.RULE,
            contract=contract,
            rule_code=warning.code,
            field=warning.field,
            params=dict(warning.params) if isinstance(warning, RuleViolation) else {},
            description=str(warning.message),
            severity=rule.finding_severity if rule else FindingSeverity.MINOR,
            found_on=timezone.localdate(),
        )
        finding.full_clean()
        _stamp(finding, actor)
        finding.save()
        recorded.append(finding)
    return recorded


# --- Purification ledger ----------------------------------------------------------------------


@transaction.atomic
def charity_approve(
    *,
    actor: User,
    institution: Institution,
    name: str,
    approved_on: datetime.date,
    approved_by: ShariahBoardMember | None = None,
) -> ApprovedCharity:
    _require_can_enter_data(actor=actor, institution=institution)
    if approved_by is not None:
        _require_sitting_member(
            member=approved_by, institution_id=institution.pk, on=approved_on, field="approved_by"
        )
    charity = ApprovedCharity(
        institution=institution, name=name, approved_on=approved_on, approved_by=approved_by
    )
    charity.full_clean()
    _stamp(charity, actor)
    charity.save()
    return charity


@transaction.atomic
def charity_transfer_record(
    *,
    actor: User,
    charity: ApprovedCharity,
    date: datetime.date,
    amount: Decimal,
    reference: str = "",
    note: str = "",
) -> CharityTransfer:
    """Record a transfer from the purification ledger to an approved charity.

    A transfer cannot exceed what the ledger holds, on its date or on any later day on which
    transfers are already recorded; the institution's policy row is locked so that two
    transfers recorded at once cannot both spend the same balance.
    """
    institution = charity.institution
    _require_can_enter_data(actor=actor, institution=institution)
    ShariahPolicy.objects.get_or_create(institution=institution)
    ShariahPolicy.objects.select_for_update().get(institution=institution)
    errors: dict[str, list[str]] = {}
    if date > timezone.localdate():
        errors.setdefault("date", []).append(_("A transfer cannot be dated in the future."))
    if date < charity.approved_on:
        errors.setdefault("charity", []).append(_("The charity was not yet approved on that date."))
    if errors:
        raise ValidationError(errors)
    period = selectors.period_covering(institution_id=institution.pk, date=date)
    if period is not None:
        period_assert_editable(period=period)
    transfer = CharityTransfer(
        institution=institution,
        charity=charity,
        date=date,
        amount=amount,
        reference=reference,
        note=note,
    )
    transfer.full_clean()
    inflows, transfers = selectors.purification_records(institution_id=institution.pk)
    available = purification.transferable(inflows=inflows, transfers=transfers, on=date)
    if amount > available:
        raise ValidationError(
            {
                "amount": _(
                    "The purification ledger holds {available} on that date: a transfer of "
                    "{amount} would exceed it."
                ).format(available=available, amount=amount)
            }
        )
    _stamp(transfer, actor)
    transfer.save()
    return transfer


# --- Table 2 checklist and audits -------------------------------------------------------------


@transaction.atomic
def checklist_load(*, path: Path = TABLE2_CHECKLIST_PATH) -> int:
    """Store the checklist file's items (idempotent upsert by version, type and number)."""
    checklist = load_checklist(path)
    for entry in checklist.items:
        ChecklistItem.objects.update_or_create(
            version=checklist.version,
            contract_type=entry.contract_type,
            number=entry.number,
            defaults={
                "section": entry.section,
                "section_ar": entry.section_names["ar"],
                "section_en": entry.section_names["en"],
                "section_fr": entry.section_names["fr"],
                "kind": entry.kind,
                "text_ar": entry.text["ar"],
                "text_en": entry.text["en"],
                "text_fr": entry.text["fr"],
                "note": entry.note,
                "rule_codes": list(entry.rules),
            },
        )
    return len(checklist.items)


def _contract_types_in(period: ReportingPeriod) -> list[str]:
    return sorted(
        set(
            FinancingContract.objects.filter(
                institution_id=period.institution_id,
                contract_date__range=(period.start_date, period.end_date),
            ).values_list("contract_type", flat=True)
        )
    )


@transaction.atomic
def audit_open(
    *,
    actor: User,
    period: ReportingPeriod,
    auditor_role: str,
    started_on: datetime.date | None = None,
    contract_types: Sequence[str] | None = None,
) -> ShariahAudit:
    """Open the table 2 audit of a quarter. It covers the sub-tables of the contract types the
    institution concluded in the quarter unless ``contract_types`` names others."""
    _require_can_review(actor=actor, institution=period.institution)
    version = selectors.checklist_latest_version()
    if version is None:
        raise ValidationError(_("The table 2 checklist is not loaded yet."))
    if ShariahAudit.objects.filter(period=period).exists():
        raise ValidationError(_("This quarter already has a Shariah audit."))
    types = (
        sorted(set(contract_types)) if contract_types is not None else _contract_types_in(period)
    )
    covered = set(
        ChecklistItem.objects.filter(version=version).values_list("contract_type", flat=True)
    )
    uncovered = [t for t in types if t not in covered]
    if uncovered:
        raise ValidationError(
            {
                "contract_types": _("Table 2 has no checklist for: {types}.").format(
                    types=", ".join(uncovered)
                )
            }
        )
    audit = ShariahAudit(
        period=period,
        auditor=actor,
        auditor_role=auditor_role,
        checklist_version=version,
        contract_types=types,
        started_on=started_on or timezone.localdate(),
        population_size=FinancingContract.objects.filter(
            institution_id=period.institution_id,
            contract_type__in=types,
            contract_date__range=(period.start_date, period.end_date),
        ).count(),
    )
    audit.full_clean()
    _stamp(audit, actor)
    audit.save()
    return audit


def _require_in_progress(audit: ShariahAudit) -> None:
    if audit.status != ShariahAudit.Status.IN_PROGRESS:
        raise ValidationError(_("This audit is completed: it can no longer change."))


@transaction.atomic
def audit_sample_set(
    *, actor: User, audit: ShariahAudit, contracts: Iterable[FinancingContract]
) -> ShariahAudit:
    """Record the contracts sampled for review: contracts of the audited types concluded by the
    institution in the quarter."""
    _require_can_review(actor=actor, institution=audit.period.institution)
    _require_in_progress(audit)
    contracts = list(contracts)
    period = audit.period
    outside = [
        contract.external_id
        for contract in contracts
        if contract.institution_id != period.institution_id
        or contract.contract_type not in audit.contract_types
        or not (period.start_date <= contract.contract_date <= period.end_date)
    ]
    if outside:
        raise ValidationError(
            {
                "sampled_contracts": _(
                    "These contracts are not in the audited population: {contracts}."
                ).format(contracts=", ".join(outside))
            }
        )
    audit.sampled_contracts.set(contracts)
    _stamp(audit, actor)
    audit.save(update_fields=["updated_at"])
    return audit


@transaction.atomic
def audit_answer_record(
    *,
    actor: User,
    audit: ShariahAudit,
    item: ChecklistItem,
    result: str,
    evidence_note: str = "",
    evidence_file: File | None = None,
) -> AuditAnswer:
    """Answer one item (or change the answer): compliant, non-compliant or not applicable, with
    remarks; a non-compliant or not-applicable answer must say why."""
    _require_can_review(actor=actor, institution=audit.period.institution)
    _require_in_progress(audit)
    if (
        item.version != audit.checklist_version
        or item.contract_type not in audit.contract_types
        or not item.is_answerable
    ):
        raise ValidationError({"item": _("This item is not part of the audit.")})
    answer = AuditAnswer.objects.filter(audit=audit, item=item).first() or AuditAnswer(
        audit=audit, item=item
    )
    answer.result = result
    answer.evidence_note = evidence_note.strip()
    answer.answered_by = actor
    if evidence_file is not None:
        answer.evidence_file = evidence_file
    answer.full_clean()
    _stamp(answer, actor)
    answer.save()
    return answer


@transaction.atomic
def audit_complete(
    *,
    actor: User,
    audit: ShariahAudit,
    completed_on: datetime.date | None = None,
    conclusion: str = "",
) -> ShariahAudit:
    """Close the audit once every item in its scope is answered; its score is then final."""
    _require_can_review(actor=actor, institution=audit.period.institution)
    _require_in_progress(audit)
    score = selectors.audit_score_for(audit=audit)
    if score.unanswered:
        raise ValidationError(
            _("{count} items of the checklist are not answered yet.").format(count=score.unanswered)
        )
    audit.status = ShariahAudit.Status.COMPLETED
    audit.completed_on = completed_on or timezone.localdate()
    audit.conclusion = conclusion
    audit.full_clean()
    _stamp(audit, actor)
    audit.save(update_fields=["status", "completed_on", "conclusion", "updated_at"])
    return audit
