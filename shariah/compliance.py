"""Compliance figures of an institution-quarter and the indicators built from them: pure.

``selectors.compliance_for_period`` loads the inputs (a frozen ``ComplianceFigures``); this module
turns them into the values of the ``shariah`` indicator catalogue
(``indicators/catalog/shariah-v1.yaml``), with numerator and denominator kept, and a reason
instead of a value when a figure cannot be computed (DECISIONS D4). Decimal only, rounded in one
helper as the financial engine does (ROUND_HALF_EVEN, 4 places).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.utils.translation import gettext_lazy

from .purification import PurificationPosition

ZERO = Decimal("0")
HUNDRED = Decimal("100")
PLACES = 4


def quantize(value: Decimal, places: int = PLACES) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


class Answer:
    """Answers to a table 2 item (the values of ``models.AuditAnswer.Result``)."""

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class AuditScore:
    """Share of the applicable answered items found compliant, in percent.

    Not-applicable answers leave the score unchanged; unanswered items are reported as missing
    (coverage), never counted as failures. No applicable answer: no score.
    """

    compliant: int
    non_compliant: int
    not_applicable: int
    unanswered: int

    @property
    def applicable(self) -> int:
        return self.compliant + self.non_compliant

    @property
    def value(self) -> Decimal | None:
        if not self.applicable:
            return None
        return quantize(Decimal(self.compliant) * HUNDRED / Decimal(self.applicable))


def audit_score(*, answers: Iterable[str], items: int) -> AuditScore:
    """Score from the answers given and the number of answerable items in the audit's scope."""
    answers = list(answers)
    return AuditScore(
        compliant=answers.count(Answer.COMPLIANT),
        non_compliant=answers.count(Answer.NON_COMPLIANT),
        not_applicable=answers.count(Answer.NOT_APPLICABLE),
        unanswered=max(items - len(answers), 0),
    )


@dataclass(frozen=True)
class ComplianceFigures:
    """An institution's Shariah compliance for one quarter, as the analyst sees it."""

    period_id: int
    contracts_checked: int
    contracts_passing: int
    failures_by_rule: Mapping[str, int]
    open_findings: Mapping[str, int]
    audit: AuditScore | None
    purified_in_period: Decimal
    purification: PurificationPosition
    has_shariah_board: bool = False
    unapproved_products: tuple[str, ...] = field(default_factory=tuple)

    @property
    def passing_percent(self) -> Decimal | None:
        if not self.contracts_checked:
            return None
        return quantize(Decimal(self.contracts_passing) * HUNDRED / Decimal(self.contracts_checked))


#: What a reason code means, as users read it next to a value that could not be computed.
REASON_TEXTS = {
    "no_contracts": gettext_lazy("No contract was concluded in the quarter."),
    "no_audit": gettext_lazy("No Shariah audit was recorded for the quarter."),
    "none": gettext_lazy("The audit has no applicable answer yet."),
}


@dataclass(frozen=True)
class ComplianceIndicatorValue:
    """One value for the indicator catalogue: ``value`` is None only with a reason."""

    code: str
    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    reason_code: str = ""
    reason: str = ""

    @property
    def reason_display(self) -> str:
        """Why there is no value, in the reader's language (``reason`` is the English note)."""
        text = REASON_TEXTS.get(self.reason_code)
        return str(text) if text is not None else self.reason


def indicator_values(figures: ComplianceFigures) -> list[ComplianceIndicatorValue]:
    """The ``shariah`` catalogue's values for a quarter, in catalogue order."""
    passing = figures.passing_percent
    values = [
        ComplianceIndicatorValue(
            code="SHARIAH_CONTRACTS_PASSING",
            value=passing,
            numerator=Decimal(figures.contracts_passing),
            denominator=Decimal(figures.contracts_checked),
            reason_code="" if passing is not None else "no_contracts",
            reason="" if passing is not None else "No contract was concluded in the quarter.",
        ),
    ]
    for severity in ("critical", "major", "minor"):
        values.append(
            ComplianceIndicatorValue(
                code=f"SHARIAH_OPEN_FINDINGS_{severity.upper()}",
                value=Decimal(figures.open_findings.get(severity, 0)),
            )
        )
    score = figures.audit.value if figures.audit else None
    values.append(
        ComplianceIndicatorValue(
            code="SHARIAH_AUDIT_SCORE",
            value=score,
            numerator=Decimal(figures.audit.compliant) if figures.audit else None,
            denominator=Decimal(figures.audit.applicable) if figures.audit else None,
            reason_code="" if score is not None else ("no_audit" if not figures.audit else "none"),
            reason=""
            if score is not None
            else (
                "No Shariah audit was recorded for the quarter."
                if not figures.audit
                else "The audit has no applicable answer yet."
            ),
        )
    )
    position = figures.purification
    values += [
        ComplianceIndicatorValue(code="SHARIAH_PURIFIED", value=figures.purified_in_period),
        ComplianceIndicatorValue(code="SHARIAH_PURIFICATION_PENDING", value=position.balance),
        ComplianceIndicatorValue(code="SHARIAH_PURIFICATION_OVERDUE", value=position.overdue),
    ]
    return values
