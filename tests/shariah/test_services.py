"""Shariah board, product approvals, reviews and findings, and the table 2 audit workflow."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile

from institutions.models import FinancingProduct, Institution, ReportingPeriod
from shariah import selectors, services
from shariah.models import ChecklistItem, ShariahAudit, ShariahBoardMember, ShariahFinding
from tests.factories import (
    FinancingContractFactory,
    FinancingProductFactory,
    ReportingPeriodFactory,
)
from tests.factories.shariah import ShariahBoardMemberFactory
from users.models import User

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def product(institution: Institution) -> FinancingProduct:
    return FinancingProductFactory(institution=institution, contract_type="murabaha")


def test_board_members_and_their_training(institution: Institution, staff: User) -> None:
    member = services.board_member_add(
        actor=staff,
        institution=institution,
        full_name="Dr Amina Benali",
        role=ShariahBoardMember.Role.CHAIR,
        has_shariah_training=True,
        qualification="PhD in Islamic jurisprudence; CSAA",
        appointed_on=D(2020, 1, 1),
    )
    assert selectors.institution_has_shariah_board(institution_id=institution.pk)
    assert member.history.first().history_user == staff
    with pytest.raises(ValidationError, match="training"):
        services.board_member_add(
            actor=staff,
            institution=institution,
            full_name="Mr Untrained",
            has_shariah_training=True,
            appointed_on=D(2020, 1, 1),
        )
    with pytest.raises(ValidationError):
        services.board_member_leave(actor=staff, member=member, left_on=D(2019, 1, 1))


def test_a_product_is_approved_by_a_trained_sitting_member_of_its_own_board(
    institution: Institution,
    other_institution: Institution,
    product: FinancingProduct,
    staff: User,
) -> None:
    untrained = ShariahBoardMemberFactory(
        institution=institution, has_shariah_training=False, qualification=""
    )
    foreign = ShariahBoardMemberFactory(institution=other_institution)
    later = ShariahBoardMemberFactory(institution=institution, appointed_on=D(2025, 6, 1))
    for member, message in (
        (untrained, "trained"),
        (foreign, "not on the institution's Shariah board"),
        (later, "not on the Shariah board on that date"),
    ):
        with pytest.raises(ValidationError, match=message):
            services.product_approve(
                actor=staff, product=product, approved_by=member, approved_on=D(2025, 1, 1)
            )
    member = ShariahBoardMemberFactory(institution=institution)
    approval = services.product_approve(
        actor=staff, product=product, approved_by=member, approved_on=D(2025, 1, 1)
    )
    assert selectors.product_is_approved(product_id=product.pk, on=D(2025, 1, 1))
    assert not selectors.product_is_approved(product_id=product.pk, on=D(2024, 12, 31))
    services.product_approval_withdraw(actor=staff, approval=approval, withdrawn_on=D(2025, 5, 1))
    assert not selectors.product_is_approved(product_id=product.pk, on=D(2025, 5, 1))


def test_reviews_and_findings_stay_inside_the_institution(
    institution: Institution, other_institution: Institution, auditor: User, other_staff: User
) -> None:
    review = services.review_create(
        actor=auditor, institution=institution, reviewed_on=D(2025, 3, 10), scope="Murabaha files"
    )
    foreign_contract = FinancingContractFactory(institution=other_institution)
    with pytest.raises(ValidationError) as error:
        services.finding_create(
            actor=auditor,
            institution=institution,
            severity="major",
            description="Invoice in the client's name.",
            review=review,
            contract=foreign_contract,
        )
    assert "contract" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.finding_create(
            actor=other_staff, institution=institution, severity="minor", description="x"
        )
    finding = services.finding_create(
        actor=auditor,
        institution=institution,
        severity="critical",
        description="Late-payment charges booked as income.",
        review=review,
        found_on=D(2025, 3, 10),
        tainted_income=Decimal("420.00"),
    )
    assert finding.status == ShariahFinding.Status.OPEN
    assert list(selectors.finding_list_for_user(user=other_staff)) == []


@pytest.fixture
def quarter(institution: Institution) -> ReportingPeriod:
    return ReportingPeriodFactory(institution=institution, year=2025, quarter=1)


def test_the_table_2_audit_of_a_quarter(
    institution: Institution,
    quarter: ReportingPeriod,
    auditor: User,
    checklist: int,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    in_quarter = [
        FinancingContractFactory(
            institution=institution, contract_type="qard_hassan", contract_date=D(2025, 2, 1)
        )
        for _ in range(3)
    ]
    outside = FinancingContractFactory(
        institution=institution, contract_type="qard_hassan", contract_date=D(2025, 5, 1)
    )
    audit = services.audit_open(
        actor=auditor, period=quarter, auditor_role=ShariahAudit.AuditorRole.AUDITOR
    )
    assert audit.contract_types == ["qard_hassan"]  # the types concluded in the quarter
    assert audit.population_size == 3
    with pytest.raises(ValidationError, match="already has"):
        services.audit_open(actor=auditor, period=quarter, auditor_role="auditor")

    with pytest.raises(ValidationError, match="not in the audited population"):
        services.audit_sample_set(actor=auditor, audit=audit, contracts=[outside])
    services.audit_sample_set(actor=auditor, audit=audit, contracts=in_quarter[:2])
    assert audit.sampled_contracts.count() == 2

    items = list(ChecklistItem.objects.filter(contract_type="qard_hassan").order_by("number"))
    murabaha_item = ChecklistItem.objects.get(contract_type="murabaha", number=1)
    with pytest.raises(ValidationError, match="not part of the audit"):
        services.audit_answer_record(
            actor=auditor, audit=audit, item=murabaha_item, result="compliant"
        )
    with pytest.raises(ValidationError, match="Explain"):
        services.audit_answer_record(
            actor=auditor, audit=audit, item=items[6], result="non_compliant"
        )
    for item in items[:-1]:
        services.audit_answer_record(actor=auditor, audit=audit, item=item, result="compliant")
    with pytest.raises(ValidationError, match="1 items"):
        services.audit_complete(actor=auditor, audit=audit)

    answer = services.audit_answer_record(
        actor=auditor,
        audit=audit,
        item=items[-1],
        result="non_compliant",
        evidence_note="No approved charity list.",
        evidence_file=ContentFile(b"minutes", name="charities.txt"),
    )
    assert answer.evidence_file.name.startswith(f"shariah/evidence/{quarter.pk}/")
    # Changing an answer replaces it.
    services.audit_answer_record(
        actor=auditor, audit=audit, item=items[0], result="not_applicable", evidence_note="No QH."
    )
    score = selectors.audit_score_for(audit=audit)
    assert (score.compliant, score.non_compliant, score.not_applicable) == (13, 1, 1)
    assert score.value == Decimal("92.8571")

    services.audit_complete(actor=auditor, audit=audit, conclusion="Broadly compliant.")
    with pytest.raises(ValidationError, match="completed"):
        services.audit_answer_record(actor=auditor, audit=audit, item=items[1], result="compliant")


def test_an_audit_needs_the_checklist_and_access(
    quarter: ReportingPeriod, auditor: User, other_staff: User
) -> None:
    with pytest.raises(ValidationError, match="not loaded"):
        services.audit_open(actor=auditor, period=quarter, auditor_role="auditor")
    services.checklist_load()
    with pytest.raises(PermissionDenied):
        services.audit_open(actor=other_staff, period=quarter, auditor_role="auditor")
    audit = services.audit_open(
        actor=auditor, period=quarter, auditor_role="supervisor", contract_types=["salam"]
    )
    assert selectors.audit_items(audit=audit).count() == 27
    with pytest.raises(ValidationError, match="no checklist for: istisna"):
        services.audit_open(
            actor=auditor,
            period=ReportingPeriodFactory(institution=quarter.institution, year=2025, quarter=2),
            auditor_role="auditor",
            contract_types=["istisna"],
        )


def test_loss_share_not_proportional_to_capital_is_refused_by_contract_create(
    institution, staff
) -> None:
    import datetime

    from django.core.exceptions import ValidationError

    from institutions.models import FinancingContract
    from institutions.services import contract_create
    from tests.factories import BranchFactory, ClientFactory, FinancingProductFactory

    branch = BranchFactory(institution=institution)
    data = {
        "branch": branch,
        "client": ClientFactory(institution=institution, branch=branch),
        "product": FinancingProductFactory(institution=institution, contract_type="musharaka"),
        "external_id": "MSH-1",
        "contract_date": datetime.date(2025, 1, 10),
        "disbursement_date": datetime.date(2025, 1, 10),
        "maturity_date": datetime.date(2026, 1, 10),
        "financed_amount": Decimal("6000"),
        "client_capital": Decimal("4000"),
        "institution_profit_share": Decimal("50"),
        "client_profit_share": Decimal("50"),
        "institution_loss_share": Decimal("40"),  # capital share is 60 %
    }
    with pytest.raises(ValidationError) as error:
        contract_create(actor=staff, institution=institution, data=data)
    assert "institution_loss_share" in error.value.message_dict
    assert not FinancingContract.objects.filter(external_id="MSH-1").exists()
    contract = contract_create(
        actor=staff, institution=institution, data={**data, "institution_loss_share": Decimal(60)}
    )
    assert contract.institution_loss_share == Decimal(60)
