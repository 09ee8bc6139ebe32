"""Factories for the Shariah domain. Every default is valid against the models' constraints."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory

from shariah.models import (
    ApprovedCharity,
    CharityTransfer,
    ProductApproval,
    ShariahAudit,
    ShariahBoardMember,
    ShariahFinding,
    ShariahPolicy,
    ShariahReview,
)

from .institutions import (
    FinancingProductFactory,
    InstitutionFactory,
    ReportingPeriodFactory,
)
from .users import AuditorFactory


class ShariahPolicyFactory(factory.django.DjangoModelFactory):
    institution = factory.SubFactory(InstitutionFactory)
    purification_alert_days = 90

    class Meta:
        model = ShariahPolicy


class ShariahBoardMemberFactory(factory.django.DjangoModelFactory):
    """A trained board member appointed long before any test date."""

    institution = factory.SubFactory(InstitutionFactory)
    full_name = factory.Sequence(lambda n: f"Sheikh Member {n}")
    role = ShariahBoardMember.Role.MEMBER
    has_shariah_training = True
    qualification = "Certified Shariah Adviser and Auditor (AAOIFI)"
    appointed_on = datetime.date(2015, 1, 1)

    class Meta:
        model = ShariahBoardMember


class ProductApprovalFactory(factory.django.DjangoModelFactory):
    product = factory.SubFactory(FinancingProductFactory)
    approved_on = datetime.date(2015, 6, 1)
    approved_by = factory.SubFactory(
        ShariahBoardMemberFactory, institution=factory.SelfAttribute("..product.institution")
    )
    reference = factory.Sequence(lambda n: f"SB-{n:04d}")

    class Meta:
        model = ProductApproval


class ShariahReviewFactory(factory.django.DjangoModelFactory):
    institution = factory.SubFactory(InstitutionFactory)
    reviewed_on = datetime.date(2025, 3, 15)
    scope = "Murabaha files of the quarter"

    class Meta:
        model = ShariahReview


class ShariahFindingFactory(factory.django.DjangoModelFactory):
    institution = factory.SubFactory(InstitutionFactory)
    source = ShariahFinding.Source.REVIEW
    description = "Supplier invoice issued in the client's name without a declaration."
    severity = ShariahFinding.Severity.MAJOR
    found_on = datetime.date(2025, 2, 10)
    tainted_income = Decimal("0.00")

    class Meta:
        model = ShariahFinding


class ApprovedCharityFactory(factory.django.DjangoModelFactory):
    institution = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"Charity {n}")
    approved_on = datetime.date(2015, 1, 1)

    class Meta:
        model = ApprovedCharity


class CharityTransferFactory(factory.django.DjangoModelFactory):
    """A transfer row as stored; it does not check the ledger's balance (the service does)."""

    institution = factory.SubFactory(InstitutionFactory)
    charity = factory.SubFactory(
        ApprovedCharityFactory, institution=factory.SelfAttribute("..institution")
    )
    date = datetime.date(2025, 3, 1)
    amount = Decimal("100.00")

    class Meta:
        model = CharityTransfer


class ShariahAuditFactory(factory.django.DjangoModelFactory):
    period = factory.SubFactory(ReportingPeriodFactory)
    auditor = factory.SubFactory(AuditorFactory)
    auditor_role = ShariahAudit.AuditorRole.AUDITOR
    checklist_version = 1
    contract_types = factory.LazyFunction(lambda: ["murabaha"])
    started_on = factory.LazyAttribute(lambda audit: audit.period.end_date)

    class Meta:
        model = ShariahAudit
