"""Compliance indicators of a quarter, computed by hand for a small portfolio.

Institution ``amana``, quarter 2025Q1 (1 January – 31 March 2025):

Contracts concluded in the quarter (written in bulk, as the demo loader does, so the rules see
them only in the quarter's review):
    1. murabaha, compliant                                  passes
    2. murabaha owned on 20 Jan, sold on 15 Jan             MUR-OWNERSHIP
    3. salam on gold                                        SAL-FORBIDDEN-COMMODITY
    4. qard hassan, fee 80.00 above its cost 60.00          QH-FEE-ABOVE-COST
    5. musharaka, compliant                                 passes
    (a murabaha of 2025Q2 is outside the quarter)
    → 2 passing / 5 checked = 40.0000 %

Findings at 31 March: critical found 1 Feb (open); major found 20 Jan, resolved 15 Mar (closed);
major found 1 Mar, resolved 10 Apr (open at the quarter end); minor found 31 Mar (open); minor
found 5 Apr (after the quarter) → critical 1, major 1, minor 1.

Audit of the quarter, qard hassan sub-table (15 answerable items): 10 compliant, 2 non-compliant,
3 not applicable → 10 / 12 = 83.3333 %.

Purification ledger: charge collected 1 Nov 2024 200.00; charge collected 10 Jan 2025 200.00;
the critical finding taints 300.00 (1 Feb); transfer 120.00 on 1 Feb (the quarter's purified
amount). Pending at 31 March: 700.00 − 120.00 = 580.00. First in, first out, the transfer
settles 120.00 of the November charge: its 80.00 rest has waited 150 days (> 90) → overdue 80.00.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from indicators.catalog import CATALOGUE_DIRECTORY, load_catalogue
from institutions.models import ContractType, Institution, ReportingPeriod
from shariah import compliance, selectors, services
from shariah.models import AuditAnswer, ChecklistItem, ShariahAudit, ShariahFinding
from tests.factories import (
    FinancialStatementFactory,
    FinancingContractFactory,
    LatePaymentChargeFactory,
    ReportingPeriodFactory,
)
from tests.factories.shariah import (
    CharityTransferFactory,
    ProductApprovalFactory,
    ShariahAuditFactory,
    ShariahBoardMemberFactory,
    ShariahFindingFactory,
)
from users.models import User

pytestmark = pytest.mark.django_db
D = datetime.date
M = Decimal
T = ContractType
SHARIAH_CATALOGUE = CATALOGUE_DIRECTORY / "shariah-v1.yaml"


@pytest.fixture
def quarter(institution: Institution) -> ReportingPeriod:
    return ReportingPeriodFactory(institution=institution, year=2025, quarter=1)


@pytest.fixture
def portfolio(institution: Institution) -> list[object]:
    def contract(contract_type: str, day: datetime.date, **fields: object) -> object:
        defaults: dict[str, object] = {"annual_profit_rate": None}
        if contract_type in (T.MUSHARAKA, T.MUDARABA):
            defaults.update(client_capital=M("5000.00"), profit_amount=M("0.00"))
        defaults.update(fields)
        return FinancingContractFactory(
            institution=institution, contract_type=contract_type, contract_date=day, **defaults
        )

    return [
        contract(T.MURABAHA, D(2025, 1, 15), ownership_date=D(2025, 1, 14)),
        contract(T.MURABAHA, D(2025, 1, 15), ownership_date=D(2025, 1, 20)),
        contract(T.SALAM, D(2025, 2, 1), commodity="Gold", delivery_place="Fès"),
        contract(
            T.QARD_HASSAN,
            D(2025, 2, 3),
            service_fee=M("80.00"),
            declared_actual_cost=M("60.00"),
        ),
        contract(T.MUSHARAKA, D(2025, 3, 31)),
        contract(T.MURABAHA, D(2025, 4, 1), ownership_date=D(2025, 4, 5)),
    ]


@pytest.fixture
def findings(institution: Institution) -> None:
    def finding(severity: str, found: datetime.date, resolved: datetime.date | None = None,
                **fields: object) -> None:  # fmt: skip
        ShariahFindingFactory(
            institution=institution,
            severity=severity,
            found_on=found,
            status="resolved" if resolved else "open",
            resolved_on=resolved,
            resolution="Corrected." if resolved else "",
            **fields,
        )

    finding("critical", D(2025, 2, 1), tainted_income=M("300.00"))
    finding("major", D(2025, 1, 20), D(2025, 3, 15))
    finding("major", D(2025, 3, 1), D(2025, 4, 10))
    finding("minor", D(2025, 3, 31))
    finding("minor", D(2025, 4, 5))


@pytest.fixture
def audit(quarter: ReportingPeriod, checklist: int) -> ShariahAudit:
    audit = ShariahAuditFactory(period=quarter, contract_types=["qard_hassan"])
    items = list(ChecklistItem.objects.filter(contract_type="qard_hassan").order_by("number"))
    results = ["compliant"] * 10 + ["non_compliant"] * 2 + ["not_applicable"] * 3
    for item, result in zip(items, results, strict=True):
        AuditAnswer.objects.create(
            audit=audit,
            item=item,
            result=result,
            evidence_note="" if result == "compliant" else "See the working papers.",
            answered_by=audit.auditor,
        )
    return audit


@pytest.fixture
def ledger(institution: Institution) -> None:
    contract = FinancingContractFactory(institution=institution, contract_date=D(2024, 6, 1))
    LatePaymentChargeFactory(contract=contract, amount=M("200.00"), collected_on=D(2024, 11, 1))
    LatePaymentChargeFactory(contract=contract, amount=M("200.00"), collected_on=D(2025, 1, 10))
    CharityTransferFactory(institution=institution, date=D(2025, 2, 1), amount=M("120.00"))


def test_compliance_figures_by_hand(
    quarter: ReportingPeriod,
    portfolio: list[object],
    findings: None,
    audit: ShariahAudit,
    ledger: None,
) -> None:
    figures = selectors.compliance_for_period(period=quarter)
    assert (figures.contracts_checked, figures.contracts_passing) == (6 - 1 - 1 + 1, 2)
    assert figures.passing_percent == M("40.0000")
    assert figures.failures_by_rule == {
        "MUR-OWNERSHIP": 1,
        "SAL-FORBIDDEN-COMMODITY": 1,
        "QH-FEE-ABOVE-COST": 1,
    }
    assert figures.open_findings == {"critical": 1, "major": 1, "minor": 1}
    assert figures.audit is not None
    assert (figures.audit.compliant, figures.audit.non_compliant) == (10, 2)
    assert (figures.audit.not_applicable, figures.audit.unanswered) == (3, 0)
    assert figures.audit.value == M("83.3333")
    assert figures.purified_in_period == M("120.00")
    assert figures.purification.balance == M("580.00")
    assert figures.purification.overdue == M("80.00")
    assert figures.purification.alert

    values = {value.code: value for value in compliance.indicator_values(figures)}
    assert {code: value.value for code, value in values.items()} == {
        "SHARIAH_CONTRACTS_PASSING": M("40.0000"),
        "SHARIAH_OPEN_FINDINGS_CRITICAL": M("1"),
        "SHARIAH_OPEN_FINDINGS_MAJOR": M("1"),
        "SHARIAH_OPEN_FINDINGS_MINOR": M("1"),
        "SHARIAH_AUDIT_SCORE": M("83.3333"),
        "SHARIAH_PURIFIED": M("120.00"),
        "SHARIAH_PURIFICATION_PENDING": M("580.00"),
        "SHARIAH_PURIFICATION_OVERDUE": M("80.00"),
    }
    passing = values["SHARIAH_CONTRACTS_PASSING"]
    assert (passing.numerator, passing.denominator) == (M("2"), M("5"))
    assert (values["SHARIAH_AUDIT_SCORE"].numerator, values["SHARIAH_AUDIT_SCORE"].denominator) == (
        M("10"),
        M("12"),
    )


def test_an_unapproved_product_fails_the_quarters_review_once_a_board_exists(
    institution: Institution, quarter: ReportingPeriod, portfolio: list[object]
) -> None:
    member = ShariahBoardMemberFactory(institution=institution)
    approved = portfolio[:4]  # every product but the musharaka's
    for contract in approved:
        ProductApprovalFactory(product=contract.product, approved_by=member)  # type: ignore[attr-defined]
    figures = selectors.compliance_for_period(period=quarter)
    assert figures.contracts_passing == 1
    assert figures.failures_by_rule["PRODUCT-NOT-APPROVED"] == 1
    assert figures.unapproved_products == (portfolio[4].product.code,)  # type: ignore[attr-defined]


def test_a_quarter_without_contracts_or_audit_has_reasons_not_zeros(
    quarter: ReportingPeriod,
) -> None:
    values = {v.code: v for v in compliance.indicator_values(
        selectors.compliance_for_period(period=quarter))}  # fmt: skip
    assert values["SHARIAH_CONTRACTS_PASSING"].value is None
    assert values["SHARIAH_CONTRACTS_PASSING"].reason_code == "no_contracts"
    assert values["SHARIAH_AUDIT_SCORE"].value is None
    assert values["SHARIAH_AUDIT_SCORE"].reason_code == "no_audit"
    assert values["SHARIAH_PURIFICATION_PENDING"].value == M("0")


def test_the_catalogue_defines_every_compliance_indicator_in_three_languages(
    quarter: ReportingPeriod,
) -> None:
    catalogue = load_catalogue(SHARIAH_CATALOGUE)
    assert catalogue.name == "shariah"
    computed = [v.code for v in compliance.indicator_values(
        selectors.compliance_for_period(period=quarter))]  # fmt: skip
    assert list(catalogue.codes) == computed
    for definition in catalogue.indicators:
        assert definition.category == "shariah_compliance"
        assert all(definition.names[language] for language in ("ar", "en", "fr"))
        assert definition.variants == ("islamic",)
    financial = load_catalogue()
    assert not set(catalogue.codes) & set(financial.codes)


def test_late_payment_amounts_recognised_as_income_are_caught(
    quarter: ReportingPeriod, ledger: None
) -> None:
    # 200.00 was collected on 10 January: the memo line must carry all of it.
    FinancialStatementFactory(period=quarter, late_payment_collected=M("200.00"))
    assert selectors.statement_late_payment_violations(period=quarter) == []
    quarter.financial_statement.late_payment_collected = M("150.00")
    quarter.financial_statement.save()
    (violation,) = selectors.statement_late_payment_violations(period=quarter)
    assert (violation.code, violation.field, violation.blocking) == (
        "LATE-AS-INCOME",
        "late_payment_collected",
        True,
    )
    assert violation.params["gap"] == "50.00"
    assert "50.00" in str(violation.message)


def test_the_analyst_sees_the_quarters_compliance_and_other_institutions_do_not(
    quarter: ReportingPeriod,
    portfolio: list[object],
    findings: None,
    analyst: User,
    other_staff: User,
) -> None:
    page = selectors.compliance_for_user(user=analyst, period_id=quarter.pk)
    assert page["figures"].contracts_checked == 5
    assert {f.severity for f in page["findings"]} >= {"critical", "minor"}
    with pytest.raises(Http404):
        selectors.compliance_for_user(user=other_staff, period_id=quarter.pk)


def test_audit_score_counts_only_applicable_answers() -> None:
    score = compliance.audit_score(
        answers=["compliant", "compliant", "non_compliant", "not_applicable"], items=6
    )
    assert (score.applicable, score.unanswered) == (3, 2)
    assert score.value == M("66.6667")
    assert compliance.audit_score(answers=["not_applicable"], items=1).value is None


def test_finding_resolution_needs_a_text(institution: Institution, analyst: User) -> None:
    finding = ShariahFindingFactory(institution=institution)
    with pytest.raises(ValidationError, match="resolved"):
        services.finding_resolve(actor=analyst, finding=finding, resolution="  ")
    services.finding_resolve(actor=analyst, finding=finding, resolution="Model contract fixed.")
    finding.refresh_from_db()
    assert finding.status == ShariahFinding.Status.RESOLVED
