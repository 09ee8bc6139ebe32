"""Shariah data for the demo institutions (``institutions.demo``): boards, product approvals,
approved charities, review findings, the warnings the contract rules raise on the demo book,
a table 2 audit per institution and purification-ledger movements.

Call :func:`shariah_demo_load` after ``institutions.demo.demo_load`` (``manage.py
load_shariah_demo`` does). It is deterministic and idempotent: an institution that already has
a Shariah policy is left alone. Like the demo loader it writes the high-volume rows (rule
findings, transfers, audit answers) in bulk: it is not a user entry path, and some demo quarters
are locked, which the services would rightly refuse to change.

Each institution tells a different story, so the analyst's screens have something to show:

* ``wifaq``: a model pupil. Every product approved before use, charity transfers every month,
  a completed audit with two non-compliant items.
* ``rahma``: late-payment charges booked as income in 2025Q4 (a critical finding, resolved, whose
  tainted income went to charity), an audit in progress.
* ``yusr``: its mudaraba product was used for months before the board approved it (a major
  finding, resolved); an open critical finding on musharaka profit guarantees.
* ``sabuj``: transfers to charity lag: only part of the balance is given, once a quarter, and
  none since 2026Q1, so the ledger holds amounts older than 90 days and the alert fires.

The others give the whole balance held at each month end to charity ten days later.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import Min

from institutions.demo import DATA_DATE, DEMO_CODES, HISTORY_START, QUARTERS
from institutions.models import (
    FinancingContract,
    FinancingProduct,
    Institution,
    ReportingPeriod,
)
from users.models import User

from . import purification, selectors, services
from .models import (
    ApprovedCharity,
    AuditAnswer,
    CharityTransfer,
    ChecklistItem,
    ShariahAudit,
    ShariahBoardMember,
    ShariahFinding,
    ShariahPolicy,
)
from .rules import RULES_BY_CODE, RuleContext, Stage, evaluate

D = datetime.date
CENT = Decimal("0.01")
#: Rule findings on contracts concluded before this date were dealt with in the demo's past.
RULE_FINDINGS_RESOLVED_BEFORE = D(2026, 4, 1)


@dataclass(frozen=True)
class BoardSeat:
    full_name: str
    role: str
    qualification: str


@dataclass(frozen=True)
class ReviewFinding:
    found_on: datetime.date
    severity: str
    description: str
    tainted_income: Decimal = Decimal("0")
    resolved_on: datetime.date | None = None
    resolution: str = ""
    contract_type: str = ""


@dataclass(frozen=True)
class ShariahStory:
    board: tuple[BoardSeat, ...]
    charities: tuple[str, ...]
    findings: tuple[ReviewFinding, ...]
    #: Share of the ledger's balance given to charity at each transfer.
    transfer_share: Decimal = Decimal("1")
    #: Months between transfers: each gives (a share of) the balance held at the last month end.
    transfer_every_months: int = 1
    #: No transfer after this date (the laggard).
    transfers_stop: datetime.date | None = None
    #: Product contract type approved late, and the approval date.
    late_approval: tuple[str, datetime.date] | None = None
    #: Items answered non-compliant in the audit, as (contract type, number, remark).
    exceptions: tuple[tuple[str, int, str], ...] = ()
    audit_complete: bool = True


CHAIR, MEMBER, SUPERVISOR = (
    ShariahBoardMember.Role.CHAIR,
    ShariahBoardMember.Role.MEMBER,
    ShariahBoardMember.Role.SUPERVISOR,
)

STORIES: dict[str, ShariahStory] = {
    "wifaq": ShariahStory(
        board=(
            BoardSeat("Dr Abdellah Ouazzani", CHAIR, "Doctorate in Islamic law, Al Quaraouiyine"),
            BoardSeat("Dr Souad El Fassi", MEMBER, "AAOIFI Certified Shariah Adviser and Auditor"),
            BoardSeat("M. Youssef Alami", SUPERVISOR, "Master in Islamic finance, ISEFI"),
        ),
        charities=("Association Al Amal pour l'enfance", "Banque alimentaire de Fès"),
        findings=(
            ReviewFinding(
                D(2025, 5, 12),
                "minor",
                "Two murabaha files lack the client's signed purchase order before the sale.",
                resolved_on=D(2025, 6, 30),
                resolution="Purchase-order template added to the murabaha checklist.",
                contract_type="murabaha",
            ),
        ),
        exceptions=(
            ("murabaha", 25, "Three supplier invoices in the client's name without a declaration."),
            ("ijara", 15, "The model ijara puts major maintenance on the lessee."),
        ),
    ),
    "rahma": ShariahStory(
        board=(
            BoardSeat("Oustaz Mamadou Diop", CHAIR, "Licence en charia, Université Al Azhar"),
            BoardSeat("Dr Fatou Ndiaye", MEMBER, "Certified Islamic Finance Professional (CIFP)"),
        ),
        charities=("Daara de Médina Baye", "Association Jamra"),
        findings=(
            ReviewFinding(
                D(2026, 1, 20),
                "critical",
                "Late-payment charges of 2025Q4 were credited to other operating income instead "
                "of the charity account.",
                tainted_income=Decimal("185000.00"),
                resolved_on=D(2026, 3, 5),
                resolution="Income reversed, amount transferred to an approved charity, posting "
                "rule corrected in the accounting system.",
            ),
            ReviewFinding(
                D(2026, 8, 18),
                "major",
                "Salam contracts of the rainy season do not state the delivery place precisely.",
                contract_type="salam",
            ),
        ),
        exceptions=(("salam", 22, "Delivery place given as the region only in 4 of 10 files."),),
        audit_complete=False,
    ),
    "yusr": ShariahStory(
        board=(
            BoardSeat(
                "Dr Khaled Al-Momani", CHAIR, "PhD in Islamic jurisprudence, University of Jordan"
            ),
            BoardSeat("Dr Lina Haddad", MEMBER, "AAOIFI CSAA"),
            BoardSeat("Sheikh Ahmad Qudah", MEMBER, "Graduate of Sharia college, Amman"),
        ),
        charities=("Tkiyet Um Ali", "Jordan Hashemite Charity Organization"),
        findings=(
            ReviewFinding(
                D(2025, 7, 10),
                "major",
                "The mudaraba product was offered for months before the Shariah board approved it; "
                "profits of those contracts were reviewed one by one.",
                tainted_income=Decimal("2350.00"),
                resolved_on=D(2025, 7, 31),
                resolution="Product approved on 1 July 2025; no new product is configured before "
                "its approval.",
                contract_type="mudaraba",
            ),
            ReviewFinding(
                D(2026, 9, 2),
                "critical",
                "Side letters in three musharaka files guarantee the institution's capital "
                "against ordinary business losses.",
                tainted_income=Decimal("4100.00"),
                contract_type="musharaka",
            ),
        ),
        late_approval=("mudaraba", D(2025, 7, 1)),
        exceptions=(
            ("musharaka", 22, "Capital guaranteed by the client in three files (side letters)."),
        ),
    ),
    "sabuj": ShariahStory(
        board=(
            BoardSeat("Mufti Abdur Rahman", CHAIR, "Kamil in fiqh, Islamic Arabic University"),
            BoardSeat("Dr Sharmin Chowdhury", MEMBER, "CIFP, INCEIF"),
        ),
        charities=("Anjuman Mufidul Islam", "Dhaka Ahsania Mission"),
        findings=(
            ReviewFinding(
                D(2026, 6, 15),
                "major",
                "Late-payment amounts are transferred to charity only once a year; balances wait "
                "far beyond the policy's 90 days.",
            ),
        ),
        transfer_share=Decimal("0.6"),
        transfer_every_months=3,
        transfers_stop=D(2026, 1, 1),
        exceptions=(("murabaha", 35, "Penalties of 2026 not yet transferred to the charity."),),
    ),
}


def _admin() -> User:
    user = (
        User.objects.filter(is_superuser=True).order_by("pk").first()
        or User.objects.filter(role=User.Role.ADMINISTRATOR).order_by("pk").first()
    )
    if user is None:
        raise RuntimeError("Load the institutions' demo first: it creates the demo users.")
    return user


def _auditor(institution: Institution) -> User:
    return (
        User.objects.filter(role=User.Role.AUDITOR, memberships__institution=institution).first()
        or User.objects.filter(role=User.Role.ANALYST).order_by("pk").first()
        or _admin()
    )


@transaction.atomic
def shariah_demo_load(*, codes: Iterable[str] = DEMO_CODES) -> dict[str, int]:
    """Load the Shariah demo data of the demo institutions; returns counts of what was written."""
    services.checklist_load()
    counts: dict[str, int] = {}
    admin = _admin()
    for institution in Institution.objects.filter(code__in=list(codes)).order_by("code"):
        story = STORIES.get(institution.code)
        if story is None or ShariahPolicy.objects.filter(institution=institution).exists():
            continue
        for name, count in _load_institution(institution, story, admin).items():
            counts[name] = counts.get(name, 0) + count
    return counts


def _load_institution(institution: Institution, story: ShariahStory, admin: User) -> dict[str, int]:
    services.policy_set(actor=admin, institution=institution, purification_alert_days=90)
    members = [
        services.board_member_add(
            actor=admin,
            institution=institution,
            full_name=seat.full_name,
            role=seat.role,
            has_shariah_training=True,
            qualification=seat.qualification,
            appointed_on=HISTORY_START - datetime.timedelta(days=365),
        )
        for seat in story.board
    ]
    chair = members[0]
    approvals = _approve_products(institution, story, chair, admin)
    charities = [
        services.charity_approve(
            actor=admin,
            institution=institution,
            name=name,
            approved_on=HISTORY_START - datetime.timedelta(days=200),
            approved_by=chair,
        )
        for name in story.charities
    ]
    review_findings = _review_findings(institution, story, chair, admin)
    rule_findings = _rule_findings(institution)
    transfers = _transfers(institution, story, charities)
    answers = _audit(institution, story)
    return {
        "Shariah board members": len(members),
        "product approvals": approvals,
        "approved charities": len(charities),
        "review findings": review_findings,
        "rule findings": rule_findings,
        "transfers to charity": transfers,
        "audit answers": answers,
    }


def _approve_products(
    institution: Institution, story: ShariahStory, chair: ShariahBoardMember, admin: User
) -> int:
    first_use = dict(
        FinancingContract.objects.filter(institution=institution)
        .values("product_id")
        .annotate(first=Min("contract_date"))
        .values_list("product_id", "first")
    )
    count = 0
    for product in FinancingProduct.objects.filter(institution=institution).order_by("code"):
        approved_on = first_use.get(product.pk, HISTORY_START) - datetime.timedelta(days=60)
        if story.late_approval and product.contract_type == story.late_approval[0]:
            approved_on = story.late_approval[1]
        services.product_approve(
            actor=admin,
            product=product,
            approved_by=chair,
            approved_on=approved_on,
            reference=f"SB/{approved_on.year}/{product.code}",
        )
        count += 1
    return count


def _review_findings(
    institution: Institution, story: ShariahStory, chair: ShariahBoardMember, admin: User
) -> int:
    for spec in story.findings:
        review = services.review_create(
            actor=admin,
            institution=institution,
            reviewed_on=spec.found_on,
            scope=f"Shariah review of {spec.contract_type or 'the accounts'}",
            reviewer=chair,
            period=selectors.period_covering(institution_id=institution.pk, date=spec.found_on),
        )
        contract = (
            FinancingContract.objects.filter(
                institution=institution,
                contract_type=spec.contract_type,
                contract_date__lte=spec.found_on,
            )
            .order_by("-contract_date", "pk")
            .first()
            if spec.contract_type
            else None
        )
        finding = services.finding_create(
            actor=admin,
            institution=institution,
            severity=spec.severity,
            description=spec.description,
            found_on=spec.found_on,
            tainted_income=spec.tainted_income,
            review=review,
            contract=contract,
        )
        if spec.resolved_on:
            services.finding_resolve(
                actor=admin,
                finding=finding,
                resolution=spec.resolution,
                resolved_on=spec.resolved_on,
            )
    return len(story.findings)


def _rule_findings(institution: Institution) -> int:
    """The warnings the rules raise on the demo book (it was written in bulk, so they were never
    raised at entry), as the quarter reviews would have recorded them."""
    periods = {
        (p.start_date, p.end_date): p
        for p in ReportingPeriod.objects.filter(institution=institution)
    }
    rows = []
    contracts = FinancingContract.objects.filter(
        institution=institution, contract_date__lte=DATA_DATE
    ).order_by("pk")
    for contract in contracts.iterator(chunk_size=5000):
        for violation in evaluate(contract, RuleContext(), stage=Stage.REVIEW):
            rule = RULES_BY_CODE[violation.code]
            period = next(
                (
                    p
                    for (start, end), p in periods.items()
                    if start <= contract.contract_date <= end
                ),
                None,
            )
            found_on = min(contract.contract_date + datetime.timedelta(days=7), DATA_DATE)
            resolved = contract.contract_date < RULE_FINDINGS_RESOLVED_BEFORE
            rows.append(
                ShariahFinding(
                    institution=institution,
                    period=period,
                    source=ShariahFinding.Source.RULE,
                    contract=contract,
                    rule_code=violation.code,
                    field=violation.field,
                    params=dict(violation.params),
                    description=str(violation.message),
                    severity="critical" if rule.blocking else rule.finding_severity,
                    found_on=found_on,
                    status="resolved" if resolved else "open",
                    resolved_on=found_on + datetime.timedelta(days=30) if resolved else None,
                    resolution="Advance rent held in a liability account until delivery; "
                    "confirmed by the finance department."
                    if resolved
                    else "",
                )
            )
    ShariahFinding.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _month_ends(every: int) -> list[datetime.date]:
    """Month ends from the first demo quarter to the data date, every ``every`` months."""
    year, quarter = QUARTERS[0]
    month, ends = 3 * quarter - 3 + every, []
    while True:
        next_month = datetime.date(year + month // 12, month % 12 + 1, 1)
        end = next_month - datetime.timedelta(days=1)
        if end > DATA_DATE:
            return ends
        ends.append(end)
        year, month = next_month.year, next_month.month - 1 + every
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1


def _transfers(
    institution: Institution, story: ShariahStory, charities: list[ApprovedCharity]
) -> int:
    """At each transfer date (monthly or quarterly), part or all of the balance the ledger held
    at the last month end goes to an approved charity."""
    inflows, _none = selectors.purification_records(institution_id=institution.pk, as_of=DATA_DATE)
    transfers: list[purification.Transfer] = []
    rows = []
    for index, end in enumerate(_month_ends(story.transfer_every_months)):
        date = end + datetime.timedelta(days=10)
        if date > DATA_DATE or (story.transfers_stop and date >= story.transfers_stop):
            continue
        balance = purification.position(inflows=inflows, transfers=transfers, as_of=end).balance
        amount = (balance * story.transfer_share).quantize(CENT, rounding=ROUND_DOWN)
        if amount <= 0:
            continue
        transfers.append(purification.Transfer(date=date, amount=amount))
        rows.append(
            CharityTransfer(
                institution=institution,
                charity=charities[index % len(charities)],
                date=date,
                amount=amount,
                reference=f"PUR-{end:%Y-%m}",
                note=f"Purification up to {end.isoformat()}.",
            )
        )
    CharityTransfer.objects.bulk_create(rows)
    return len(rows)


def _audit(institution: Institution, story: ShariahStory) -> int:
    """A table 2 audit of the last demo quarter, with 10 sampled contracts per type."""
    year, quarter = QUARTERS[-1]
    period = ReportingPeriod.objects.filter(
        institution=institution, year=year, quarter=quarter
    ).first()
    if period is None:
        return 0
    auditor = _auditor(institution)
    in_quarter = FinancingContract.objects.filter(
        institution=institution, contract_date__range=(period.start_date, period.end_date)
    )
    types = sorted(
        set(in_quarter.values_list("contract_type", flat=True))
        & set(ChecklistItem.objects.values_list("contract_type", flat=True))
    )
    audit = ShariahAudit.objects.create(
        period=period,
        auditor=auditor,
        auditor_role=ShariahAudit.AuditorRole.AUDITOR,
        checklist_version=selectors.checklist_latest_version() or 1,
        contract_types=types,
        started_on=period.end_date + datetime.timedelta(days=20),
        population_size=in_quarter.filter(contract_type__in=types).count(),
    )
    sample = []
    for contract_type in types:
        sample += list(in_quarter.filter(contract_type=contract_type).order_by("external_id")[:10])
    audit.sampled_contracts.set(sample)
    exceptions = {(t, n): remark for t, n, remark in story.exceptions}
    items = list(selectors.audit_items(audit=audit).order_by("contract_type", "number"))
    if not story.audit_complete:
        items = items[: len(items) // 2]
    answers = []
    for item in items:
        remark = exceptions.get((item.contract_type, item.number))
        agency = item.contract_type == "murabaha" and item.section == "agency"
        if remark:
            result, note = AuditAnswer.Result.NON_COMPLIANT, remark
        elif agency:
            result, note = (
                AuditAnswer.Result.NOT_APPLICABLE,
                "No purchase through an agent in the sample.",
            )
        else:
            result, note = AuditAnswer.Result.COMPLIANT, ""
        answers.append(
            AuditAnswer(
                audit=audit, item=item, result=result, evidence_note=note, answered_by=auditor
            )
        )
    AuditAnswer.objects.bulk_create(answers)
    if story.audit_complete:
        audit.status = ShariahAudit.Status.COMPLETED
        audit.completed_on = audit.started_on + datetime.timedelta(days=14)
        audit.conclusion = "Compliant overall, with the exceptions noted."
        audit.save(update_fields=["status", "completed_on", "conclusion", "updated_at"])
    return len(answers)
