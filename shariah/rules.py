"""Shariah rules that a financing contract's own data can decide (guide table 2, DECISIONS D24).

Each rule has a stable code, the field it names, a translated message, a severity and the
contract types it applies to. A *blocking* rule is certainly non-compliant: the contract is
rejected with the rule's message on the field. A *warning* is accepted and recorded as a Shariah
finding that the institution and the analyst see (``services.findings_record_from_warnings``).

The checks are pure functions of a ``FinancingContract`` instance and a ``RuleContext``; the two
facts that live in other rows are passed in the context, never queried here:

* ``original``: the contract's terms as signed (its first historical record), for the rules that
  fire only when an existing contract is updated (``contract.pk`` set): a murabaha sale price is
  fixed at signing, and no change may raise what a client owes.
* ``product_approved``: whether the institution's Shariah board approved the product by the
  contract date; ``None`` when the institution has no Shariah board (it does not use the Shariah
  module yet), in which case the product-approval rule does not apply.

Rules run at three stages: ``create`` (a new contract, ``contract.pk`` unset), ``update`` (a
saved contract being changed: the admin's change form) and ``review`` (the saved contracts of a
quarter re-checked in bulk for the compliance indicators). ``MUR-PRICE-CHANGED`` compares the
sale price with the price as signed, ``RES-DEBT-RAISED`` the amount owed with the lower of the
signed and the stored amounts (``RuleContext.stored``), so both run on updates only;
``PRODUCT-NOT-APPROVED`` runs on new contracts and in reviews, never on corrections of an old
contract.

The rules (B = blocking, W = warning with the finding's severity; then the table 2 items):

MUR-OWNERSHIP          B murabaha sold before the institution took possession       M 10, 16
MUR-INVOICE            B murabaha sold before the supplier's invoice                M 26
MUR-PRICE-CHANGED      B murabaha sale price changed after signing (updates)        M 9, 20
SAL-PRICE-DEFERRED     B salam price not paid in full on the contract date          S 15
SAL-FORBIDDEN-COMMODITY B salam on gold, silver or currency                         S 19
SAL-DELIVERY-PLACE     W salam without a delivery place (minor)                     S 22
QH-ABOVE-PRINCIPAL     B qard hassan repayable above its principal                  Q 6
QH-FEE-ABOVE-COST      B qard hassan fee above the declared actual cost             Q 7
QH-FEE-COST-UNDECLARED W qard hassan fee with no declared cost (major)              Q 7
IJA-RENT-BEFORE-DELIVERY B rent starting before delivery or the contract date      I 18
IJA-ADVANCE-RENT       W advance rent taken before delivery (minor)                 I 19, 20
EQU-LUMP-SUM-PROFIT    B musharaka/mudaraba profit fixed as a rate on capital       Mu 19, Md 17
EQU-PROFIT-RATIO       W a profit share of 0 % or 100 % (major)                     Mu 17, Md 14
EQU-LOSS-SHARE         B loss share not proportional to capital                     Mu 20, DM 11
EQU-CAPITAL-UNKNOWN    W partner's capital not recorded (major)                     Mu 14, DM 11
RES-DEBT-RAISED        B a change that raises the amount owed (updates)             D9
PRODUCT-NOT-APPROVED   B product not approved by the Shariah board (new contracts)

``contract_violations`` is what ``apps.ShariahConfig.ready`` registers with
``institutions.contract_rules``: it builds the context from the database and runs every rule;
``contract_violations_many`` is its batch form for bulk imports (the context of many contracts
loaded in a few queries, the same violations). ``evaluate`` is the pure core. The share of a
quarter's contracts passing all rules is counted in the database from the same rules written as
conditions (``rule_conditions``; a test keeps the two in agreement).

``statement_violations`` is registered with ``institutions.statement_rules``: a quarter's
statement is refused at save when its late-payment memo line is below the late-payment amounts
collected in the quarter (``LATE-AS-INCOME``, DECISIONS D11).

What the rules do not decide, and why:

* Missing evidence (a murabaha without an ownership date, an ijara without a delivery date) is
  not a rule violation: the rules judge the data present, and the table 2 audit checks evidence.
* Loss shares (``EQU-LOSS-SHARE``) are judged when the contract records the institution's agreed
  loss share (``institution_loss_share``); a contract without it has nothing to judge.
* Late-payment amounts recognised as income are a statement matter (DECISIONS D11):
  :func:`late_payment_income_violations` checks a quarter's statement against the charges
  collected, blocking at statement save (:func:`statement_violations`). A rescheduling that raises the debt is refused by the database constraint
  ``institutions_restructuring_does_not_raise_debt``; :func:`restructuring_violations` is the same
  rule for callers that want the coded message before saving.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.functional import Promise, lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from institutions.contract_rules import ContractViolation
from institutions.models import (
    DEBT_BASED_TYPES,
    LEASE_TYPES,
    ContractType,
    FinancialStatement,
    FinancingContract,
)

ZERO = Decimal("0")


class Stage:
    """When rules run (see ``ContractRule.stages``)."""

    CREATE = "create"
    UPDATE = "update"
    REVIEW = "review"


class FindingSeverity:
    """Severities of a Shariah finding (the values of ``models.ShariahFinding.Severity``)."""

    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


@dataclass(frozen=True)
class RuleContext:
    """Facts a rule needs that are not columns of the contract (see the module docstring)."""

    original: Mapping[str, Any] | None = None
    #: The saved row as it stands before this change (it may differ from ``original`` after an
    #: earlier change).
    stored: Mapping[str, Any] | None = None
    product_approved: bool | None = None


@dataclass(frozen=True)
class RuleViolation(ContractViolation):
    """A contract violation raised by a Shariah rule, with the values its message quotes, so a
    finding can render the message again in the reader's language."""

    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    """One breach found by a check: the field concerned and the values the message quotes."""

    field: str
    params: Mapping[str, str] = field(default_factory=dict)


Check = Callable[[FinancingContract, RuleContext], Iterable[Hit]]

#: How a violation reads on the form: the rule's name and code, then what is wrong.
_VIOLATION_MESSAGE = _("{rule} ({code}): {message}")


@dataclass(frozen=True)
class ContractRule:
    """One rule: code, name, message template, severity, the contract types it applies to."""

    code: str
    name: Promise
    message: Promise
    blocking: bool
    contract_types: frozenset[str]
    check: Check
    #: Severity of the finding recorded when a warning fires (blocking rules record none).
    finding_severity: str = FindingSeverity.MINOR
    #: Table 2 items this rule automates, as ``contract_type:number``.
    checklist_items: tuple[str, ...] = ()
    #: When the rule runs: on a new contract, on a change to a saved one, or when the saved
    #: contracts of a quarter are reviewed in bulk (the compliance indicators).
    stages: frozenset[str] = frozenset({"create", "update", "review"})

    def render(self, params: Mapping[str, str]) -> Promise:
        """The message with its values, rendered lazily in the active language."""
        return format_lazy(self.message, **_localized(params))

    def violations(
        self, contract: FinancingContract, context: RuleContext, *, stage: str
    ) -> Iterator[RuleViolation]:
        if stage not in self.stages or contract.contract_type not in self.contract_types:
            return
        for hit in self.check(contract, context):
            yield self.violation(hit)

    def violation(self, hit: Hit) -> RuleViolation:
        return RuleViolation(
            code=self.code,
            field=hit.field,
            message=format_lazy(  # type: ignore[arg-type]
                _VIOLATION_MESSAGE,
                rule=self.name,
                code=self.code,
                message=self.render(hit.params),
            ),
            blocking=self.blocking,
            params=dict(hit.params),
        )


def _date(value: Any) -> str:
    return value.isoformat() if value is not None else ""


_STORED_MONEY = re.compile(r"-?\d+\.\d{2}")
_STORED_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _shown(value: str) -> str:
    """A stored value (``_money``, ``_date``) the reader's way: 15 400,16 and 1 octobre 2026 in
    French. The values stay stored language-neutral."""
    if _STORED_MONEY.fullmatch(value):
        return formats.number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)
    if _STORED_DATE.fullmatch(value):
        try:
            return formats.date_format(datetime.date.fromisoformat(value))
        except ValueError:
            return value
    return value


def _localized(params: Mapping[str, str]) -> dict[str, Promise | str]:
    """``params`` formatted lazily, in the language active when the message is rendered."""
    return {key: lazy(_shown, str)(value) for key, value in params.items()}


def _money(value: Decimal | None) -> str:
    return f"{value:.2f}" if value is not None else ""


# --- Murabaha ---------------------------------------------------------------------------------


def _murabaha_sold_before_owned(contract: FinancingContract, context: RuleContext) -> list[Hit]:
    if contract.ownership_date and contract.ownership_date > contract.contract_date:
        return [
            Hit(
                "ownership_date",
                {
                    "owned": _date(contract.ownership_date),
                    "sold": _date(contract.contract_date),
                },
            )
        ]
    return []


def _murabaha_sold_before_invoice(contract: FinancingContract, context: RuleContext) -> list[Hit]:
    if contract.supplier_invoice_date and contract.supplier_invoice_date > contract.contract_date:
        return [
            Hit(
                "supplier_invoice_date",
                {
                    "invoiced": _date(contract.supplier_invoice_date),
                    "sold": _date(contract.contract_date),
                },
            )
        ]
    return []


def _murabaha_price_changed(contract: FinancingContract, context: RuleContext) -> list[Hit]:
    if context.original is None:
        return []
    signed = context.original.get("sale_price")
    if signed is not None and contract.sale_price is not None and contract.sale_price != signed:
        return [Hit("sale_price", {"signed": _money(signed), "new": _money(contract.sale_price)})]
    return []


# --- Salam ------------------------------------------------------------------------------------

#: Commodities a salam may not be concluded on (table 2-B item 19): gold, silver and currency are
#: ribawi items that must be exchanged hand to hand. Matched as whole words, in the three
#: languages, against the contract's commodity text. Methodology data: extend when an
#: institution records a currency by another name.
FORBIDDEN_SALAM_COMMODITIES = (
    # English
    "gold",
    "silver",
    "currency",
    "currencies",
    "money",
    "cash",
    "banknote",
    "banknotes",
    "coin",
    "coins",
    "dollar",
    "dollars",
    "euro",
    "euros",
    "dirham",
    "dirhams",
    "dinar",
    "dinars",
    "riyal",
    "riyals",
    "franc",
    "francs",
    "bullion",
    # French ("or" alone is also the English conjunction: only its unambiguous forms)
    "d'or",
    "d’or",
    "l'or",
    "l’or",
    "lingot",
    "lingots",
    "argent",
    "monnaie",
    "monnaies",
    "devise",
    "devises",
    # Arabic
    "ذهب",
    "الذهب",
    "فضة",
    "الفضة",
    "عملة",
    "العملة",
    "عملات",
    "نقود",
    "النقود",
    "دولار",
    "يورو",
    "درهم",
    "دينار",
    "ريال",
)
_FORBIDDEN_COMMODITY_PATTERN = re.compile(
    r"(?<!\w)(" + "|".join(re.escape(word) for word in FORBIDDEN_SALAM_COMMODITIES) + r")(?!\w)",
    re.IGNORECASE,
)


def forbidden_salam_commodity(commodity: str) -> str | None:
    """The forbidden word found in a salam commodity, if any (``"Gold bars"`` → ``"Gold"``)."""
    found = _FORBIDDEN_COMMODITY_PATTERN.search(commodity or "")
    return found.group(1) if found else None


def _salam_price_deferred(contract: FinancingContract, context: RuleContext) -> list[Hit]:
    hits = []
    signed = _date(contract.contract_date)
    if contract.price_paid_date and contract.price_paid_date != contract.contract_date:
        hits.append(
            Hit("price_paid_date", {"paid": _date(contract.price_paid_date), "signed": signed})
        )
    if contract.disbursement_date and contract.disbursement_date > contract.contract_date:
        hits.append(
            Hit(
                "disbursement_date",
                {"paid": _date(contract.disbursement_date), "signed": signed},
            )
        )
    return hits


def _salam_forbidden_commodity(contract: FinancingContract, context: RuleContext) -> list[Hit]:
    word = forbidden_salam_commodity(contract.commodity)
    return [Hit("commodity", {"commodity": contract.commodity, "word": word})] if word else []


def _salam_without_delivery_place(contract: FinancingContract, context: RuleContext) -> list[Hit]:
    return [] if (contract.delivery_place or "").strip() else [Hit("delivery_place")]


# --- Qard hassan ------------------------------------------------------------------------------


def _qard_above_principal(contract: FinancingContract, context: RuleContext) -> list[Hit]:
    principal = _money(contract.financed_amount)
    hits = []
    if contract.profit_amount and contract.profit_amount > ZERO:
        hits.append(
            Hit(
                "profit_amount",
                {"principal": principal, "repayable": _money(contract.total_repayable)},
            )
        )
    if contract.sale_price is not None and contract.sale_price > contract.financed_amount:
        hits.append(
            Hit("sale_price", {"principal": principal, "repayable": _money(contract.sale_price)})
        )
    if contract.annual_profit_rate is not None and contract.annual_profit_rate > ZERO:
        hits.append(
            Hit(
                "annual_profit_rate",
                {"principal": principal, "repayable": f"{contract.annual_profit_rate} %"},
            )
        )
    return hits


def _qard_fee_above_cost(contract: FinancingContract, context: RuleContext) -> list[Hit]:
    fee, cost = contract.service_fee, contract.declared_actual_cost
    if fee is not None and cost is not None and fee > cost:
        return [Hit("service_fee", {"fee": _money(fee), "cost": _money(cost)})]
    return []


def _qard_fee_cost_undeclared(contract: FinancingContract, context: RuleContext) -> list[Hit]:
    fee = contract.service_fee
    if fee is not None and fee > ZERO and contract.declared_actual_cost is None:
        return [Hit("declared_actual_cost", {"fee": _money(fee)})]
    return []


# --- Ijara ------------------------------------------------------------------------------------


def _ijara_rent_before_delivery(contract: FinancingContract, context: RuleContext) -> list[Hit]:
    start = contract.rent_start_date
    if start is None:
        return []
    if contract.delivery_date and start < contract.delivery_date:
        return [
            Hit(
                "rent_start_date",
                {"start": _date(start), "before": _date(contract.delivery_date)},
            )
        ]
    if start < contract.contract_date:
        return [
            Hit(
                "rent_start_date",
                {"start": _date(start), "before": _date(contract.contract_date)},
            )
        ]
    return []


def _ijara_advance_rent(contract: FinancingContract, context: RuleContext) -> list[Hit]:
    advance = contract.advance_rent
    if advance is None or advance <= ZERO:
        return []
    delivery = contract.delivery_date
    if delivery is not None and delivery <= contract.contract_date:
        return []
    return [
        Hit(
            "advance_rent",
            {
                "amount": _money(advance),
                "delivery": _date(delivery) if delivery else "—",
            },
        )
    ]


# --- Musharaka, mudaraba, diminishing musharaka ------------------------------------------------


def _lump_sum_profit(contract: FinancingContract, context: RuleContext) -> list[Hit]:
    rate = contract.annual_profit_rate
    if rate is not None and rate > ZERO:
        return [Hit("annual_profit_rate", {"rate": f"{rate.normalize():f} %"})]
    return []


def _degenerate_profit_ratio(contract: FinancingContract, context: RuleContext) -> list[Hit]:
    share = contract.institution_profit_share
    if share is not None and (share <= ZERO or share >= Decimal("100")):
        return [Hit("institution_profit_share", {"share": f"{share.normalize():f} %"})]
    return []


def capital_share(institution_capital: Decimal, client_capital: Decimal | None) -> Decimal | None:
    """The institution's share of the partnership capital, in percent (None if unknown)."""
    total = institution_capital + (client_capital or ZERO)
    if total <= ZERO:
        return None
    return institution_capital * 100 / total


#: Loss shares may differ from capital shares by rounding only (percentage points).
LOSS_SHARE_TOLERANCE = Decimal("0.01")


def _loss_share_not_proportional(contract: FinancingContract, context: RuleContext) -> list[Hit]:
    loss_share = contract.institution_loss_share
    if loss_share is None or contract.client_capital is None:
        return []
    expected = capital_share(contract.financed_amount, contract.client_capital)
    if expected is None or abs(Decimal(loss_share) - expected) <= LOSS_SHARE_TOLERANCE:
        return []
    return [
        Hit(
            "institution_loss_share",
            {
                "loss_share": f"{Decimal(loss_share).normalize():f} %",
                "capital_share": f"{expected.quantize(Decimal('0.01'))} %",
            },
        )
    ]


def _partner_capital_unknown(contract: FinancingContract, context: RuleContext) -> list[Hit]:
    if contract.client_capital is None or contract.client_capital <= ZERO:
        return [Hit("client_capital")]
    return []


# --- Every type -------------------------------------------------------------------------------


def _amount_owed(terms: Mapping[str, Any]) -> Decimal:
    return (terms.get("financed_amount") or ZERO) + (terms.get("profit_amount") or ZERO)


def _debt_raised(contract: FinancingContract, context: RuleContext) -> list[Hit]:
    # The debt may never exceed what was signed, nor what is owed after an earlier reduction.
    known = [terms for terms in (context.original, context.stored) if terms is not None]
    if not known:
        return []
    before = min(_amount_owed(terms) for terms in known)
    after = contract.financed_amount + (contract.profit_amount or ZERO)
    if after > before:
        return [Hit("profit_amount", {"before": _money(before), "after": _money(after)})]
    return []


def _product_not_approved(contract: FinancingContract, context: RuleContext) -> list[Hit]:
    if context.product_approved is False:
        return [Hit("product", {"date": _date(contract.contract_date)})]
    return []


ALL_TYPES = frozenset(ContractType.values)
PARTNERSHIP_TYPES = frozenset({ContractType.MUSHARAKA, ContractType.MUDARABA})
CAPITAL_SHARING_TYPES = frozenset({ContractType.MUSHARAKA, ContractType.DIMINISHING_MUSHARAKA})

RULES: tuple[ContractRule, ...] = (
    ContractRule(
        code="MUR-OWNERSHIP",
        name=_("Murabaha sold before the institution owned the asset"),
        message=_(
            "The institution took possession of the asset on {owned}, after selling it to the "
            "client on {sold}: a murabaha may only sell what the institution already owns."
        ),
        blocking=True,
        contract_types=frozenset({ContractType.MURABAHA}),
        check=_murabaha_sold_before_owned,
        checklist_items=("murabaha:10", "murabaha:11", "murabaha:16"),
    ),
    ContractRule(
        code="MUR-INVOICE",
        name=_("Murabaha sold before the supplier's invoice"),
        message=_(
            "The supplier's invoice is dated {invoiced}, after the sale to the client on {sold}: "
            "the institution must buy the asset before it sells it."
        ),
        blocking=True,
        contract_types=frozenset({ContractType.MURABAHA}),
        check=_murabaha_sold_before_invoice,
        checklist_items=("murabaha:26",),
    ),
    ContractRule(
        code="MUR-PRICE-CHANGED",
        name=_("Murabaha sale price changed after signing"),
        message=_(
            "The sale price was {signed} when the murabaha was signed and cannot become {new}: "
            "a murabaha price is fixed once agreed."
        ),
        blocking=True,
        contract_types=frozenset({ContractType.MURABAHA}),
        check=_murabaha_price_changed,
        checklist_items=("murabaha:9", "murabaha:20"),
        stages=frozenset({Stage.UPDATE}),
    ),
    ContractRule(
        code="SAL-PRICE-DEFERRED",
        name=_("Salam price not paid in full at signing"),
        message=_(
            "The salam price was paid on {paid} but the contract was signed on {signed}: the "
            "price must be paid in full when the salam is concluded."
        ),
        blocking=True,
        contract_types=frozenset({ContractType.SALAM}),
        check=_salam_price_deferred,
        checklist_items=("salam:15",),
    ),
    ContractRule(
        code="SAL-FORBIDDEN-COMMODITY",
        name=_("Salam on gold, silver or currency"),
        message=_(
            "A salam cannot be concluded on gold, silver or currency (“{word}” in “{commodity}”)."
        ),
        blocking=True,
        contract_types=frozenset({ContractType.SALAM}),
        check=_salam_forbidden_commodity,
        checklist_items=("salam:19",),
    ),
    ContractRule(
        code="SAL-DELIVERY-PLACE",
        name=_("Salam without a delivery place"),
        message=_("The contract must state the exact place where the commodity is delivered."),
        blocking=False,
        contract_types=frozenset({ContractType.SALAM}),
        check=_salam_without_delivery_place,
        finding_severity=FindingSeverity.MINOR,
        checklist_items=("salam:22",),
    ),
    ContractRule(
        code="QH-ABOVE-PRINCIPAL",
        name=_("Qard hassan repayable above the principal"),
        message=_(
            "A qard hassan is repaid at its principal ({principal}) and nothing more; this "
            "contract asks for {repayable}."
        ),
        blocking=True,
        contract_types=frozenset({ContractType.QARD_HASSAN}),
        check=_qard_above_principal,
        checklist_items=("qard_hassan:6",),
    ),
    ContractRule(
        code="QH-FEE-ABOVE-COST",
        name=_("Qard hassan fee above the actual cost"),
        message=_(
            "The service fee ({fee}) is above the declared actual cost of administering the "
            "loan ({cost}): a qard hassan fee may only recover the actual cost."
        ),
        blocking=True,
        contract_types=frozenset({ContractType.QARD_HASSAN}),
        check=_qard_fee_above_cost,
        checklist_items=("qard_hassan:7",),
    ),
    ContractRule(
        code="QH-FEE-COST-UNDECLARED",
        name=_("Qard hassan fee without a declared cost"),
        message=_(
            "A service fee of {fee} is charged but the actual administrative cost it recovers is "
            "not declared."
        ),
        blocking=False,
        contract_types=frozenset({ContractType.QARD_HASSAN}),
        check=_qard_fee_cost_undeclared,
        finding_severity=FindingSeverity.MAJOR,
        checklist_items=("qard_hassan:7",),
    ),
    ContractRule(
        code="IJA-RENT-BEFORE-DELIVERY",
        name=_("Ijara rent due before delivery of the asset"),
        message=_(
            "Rent starts on {start}, before {before}: rent is due only after the contract date "
            "and after the asset is delivered."
        ),
        blocking=True,
        contract_types=LEASE_TYPES,
        check=_ijara_rent_before_delivery,
        checklist_items=("ijara:18",),
    ),
    ContractRule(
        code="IJA-ADVANCE-RENT",
        name=_("Advance rent taken before delivery"),
        message=_(
            "An advance rent of {amount} is taken before the asset is delivered (delivery: "
            "{delivery}); it must be held as a liability, not recognised as income, until "
            "delivery."
        ),
        blocking=False,
        contract_types=LEASE_TYPES,
        check=_ijara_advance_rent,
        finding_severity=FindingSeverity.MINOR,
        checklist_items=("ijara:19", "ijara:20"),
    ),
    ContractRule(
        code="EQU-LUMP-SUM-PROFIT",
        name=_("Partnership profit fixed as a lump sum"),
        message=_(
            "A fixed return of {rate} on the capital is a lump-sum profit: musharaka and "
            "mudaraba profit must be shared by a ratio of the actual profit."
        ),
        blocking=True,
        contract_types=PARTNERSHIP_TYPES,
        check=_lump_sum_profit,
        checklist_items=("musharaka:19", "mudaraba:17"),
    ),
    ContractRule(
        code="EQU-PROFIT-RATIO",
        name=_("Profit-sharing ratio that leaves a partner nothing"),
        message=_(
            "The institution's profit share is {share}: each partner must receive a share of "
            "the profit."
        ),
        blocking=False,
        contract_types=PARTNERSHIP_TYPES,
        check=_degenerate_profit_ratio,
        finding_severity=FindingSeverity.MAJOR,
        checklist_items=("musharaka:17", "mudaraba:14"),
    ),
    ContractRule(
        code="EQU-LOSS-SHARE",
        name=_("Loss shares not proportional to capital"),
        message=_(
            "The institution bears {loss_share} of losses but holds {capital_share} of the "
            "capital: losses must be shared in proportion to capital."
        ),
        blocking=True,
        contract_types=CAPITAL_SHARING_TYPES,
        check=_loss_share_not_proportional,
        checklist_items=("musharaka:20", "diminishing_musharaka:11"),
    ),
    ContractRule(
        code="EQU-CAPITAL-UNKNOWN",
        name=_("Partner's capital not recorded"),
        message=_(
            "The client's capital is not recorded: both partners' capital must be known so that "
            "losses can be shared in proportion to it."
        ),
        blocking=False,
        contract_types=CAPITAL_SHARING_TYPES,
        check=_partner_capital_unknown,
        finding_severity=FindingSeverity.MAJOR,
        checklist_items=("musharaka:14", "diminishing_musharaka:11"),
    ),
    ContractRule(
        code="RES-DEBT-RAISED",
        name=_("Rescheduling that raises the amount owed"),
        message=_(
            "The amount owed is {before} and cannot become {after}: a rescheduling may extend "
            "the term but never raise the debt or add profit."
        ),
        blocking=True,
        contract_types=DEBT_BASED_TYPES - {ContractType.MURABAHA},
        check=_debt_raised,
        stages=frozenset({Stage.UPDATE}),
    ),
    ContractRule(
        code="PRODUCT-NOT-APPROVED",
        name=_("Product not approved by the Shariah board"),
        message=_(
            "This product was not approved by the institution's Shariah board on {date}: it "
            "cannot be used for new contracts until it is approved."
        ),
        blocking=True,
        contract_types=ALL_TYPES,
        check=_product_not_approved,
        # An existing contract concluded before the board existed may still be corrected.
        stages=frozenset({Stage.CREATE, Stage.REVIEW}),
    ),
)

RULES_BY_CODE: dict[str, ContractRule] = {rule.code: rule for rule in RULES}


def evaluate(
    contract: FinancingContract,
    context: RuleContext | None = None,
    *,
    stage: str | None = None,
    rules: Iterable[ContractRule] = RULES,
) -> list[RuleViolation]:
    """Every violation of ``rules`` by ``contract`` (pure: no database access).

    ``stage`` defaults to ``create`` for an unsaved contract and ``update`` for a saved one.
    """
    context = context or RuleContext()
    if stage is None:
        stage = Stage.CREATE if contract.pk is None else Stage.UPDATE
    return [
        violation for rule in rules for violation in rule.violations(contract, context, stage=stage)
    ]


def contract_violations(contract: FinancingContract) -> list[RuleViolation]:
    """The rule registered with ``institutions.contract_rules``: loads the context, runs all."""
    from .selectors import contract_rule_context

    return evaluate(contract, contract_rule_context(contract=contract))


def contract_violations_many(
    contracts: Sequence[FinancingContract | None],
) -> list[list[RuleViolation]]:
    """The batch form of :func:`contract_violations` (``contract_rules.register_batch_form``):
    the same violations for each contract, in order, with the context of all of them loaded in
    a few queries (``selectors.contract_rule_contexts``). A contract with a primary key is
    checked as a change to its saved row (the update stage), one without as a new contract."""
    from .selectors import contract_rule_contexts

    contexts = contract_rule_contexts(contracts=contracts)
    # The rules that apply to a stage and a contract type, found once per pair rather than
    # asked of every rule for every contract (a bulk import has 100,000 contracts, 17 rules).
    applicable: dict[tuple[str, str], tuple[ContractRule, ...]] = {}
    found: list[list[RuleViolation]] = []
    for contract, context in zip(contracts, contexts, strict=True):
        if contract is None:
            found.append([])
            continue
        stage = Stage.CREATE if contract.pk is None else Stage.UPDATE
        key = (stage, contract.contract_type)
        rules = applicable.get(key)
        if rules is None:
            rules = applicable[key] = tuple(
                rule
                for rule in RULES
                if stage in rule.stages and contract.contract_type in rule.contract_types
            )
        found.append(evaluate(contract, context, stage=stage, rules=rules) if rules else [])
    return found


# --- Checks on other records ------------------------------------------------------------------


def restructuring_violations(
    *, amount_owed_before: Decimal, amount_owed_after: Decimal
) -> list[RuleViolation]:
    """A rescheduling may extend the term but never raise the debt (DECISIONS D9)."""
    if amount_owed_after <= amount_owed_before:
        return []
    params = {"before": _money(amount_owed_before), "after": _money(amount_owed_after)}
    return [RULES_BY_CODE["RES-DEBT-RAISED"].violation(Hit("amount_owed_after", params))]


LATE_PAYMENT_AS_INCOME = "LATE-AS-INCOME"
_LATE_PAYMENT_AS_INCOME_NAME = _("Late-payment amounts recognised as income")
_LATE_PAYMENT_AS_INCOME_MESSAGE = _(
    "Late-payment amounts of {collected} were collected in the quarter but only {memo} is "
    "reported on the late-payment memo line: the difference, {gap}, is being treated as income. "
    "Late-payment amounts are never income; they go to charity."
)


def late_payment_income_violations(
    *, collected: Decimal, reported_memo: Decimal
) -> list[RuleViolation]:
    """Late-payment amounts are never income (DECISIONS D11).

    ``collected`` is what the contract records show as collected in the quarter; the statement's
    ``late_payment_collected`` memo line must account for all of it, or the difference has been
    booked as income.
    """
    if collected <= reported_memo:
        return []
    params = {
        "collected": _money(collected),
        "memo": _money(reported_memo),
        "gap": _money(collected - reported_memo),
    }
    return [
        RuleViolation(
            code=LATE_PAYMENT_AS_INCOME,
            field="late_payment_collected",
            message=format_lazy(  # type: ignore[arg-type]
                _VIOLATION_MESSAGE,
                rule=_LATE_PAYMENT_AS_INCOME_NAME,
                code=LATE_PAYMENT_AS_INCOME,
                message=format_lazy(_LATE_PAYMENT_AS_INCOME_MESSAGE, **_localized(params)),
            ),
            blocking=True,
            params=params,
        )
    ]


def statement_violations(statement: FinancialStatement) -> list[RuleViolation]:
    """The rule registered with ``institutions.statement_rules``: the statement being saved
    (its unsaved values) against the late-payment amounts collected in its quarter."""
    from .selectors import late_payment_collected_in

    return late_payment_income_violations(
        collected=late_payment_collected_in(period=statement.period),
        reported_memo=statement.late_payment_collected or ZERO,
    )


def message_for(code: str, params: Mapping[str, str]) -> Promise | None:
    """The message of a rule code with its values, in the active language; None if unknown."""
    if code == LATE_PAYMENT_AS_INCOME:
        return format_lazy(_LATE_PAYMENT_AS_INCOME_MESSAGE, **_localized(params))
    rule = RULES_BY_CODE.get(code)
    return rule.render(params) if rule else None
