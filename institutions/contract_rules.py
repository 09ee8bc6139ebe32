"""Extension point for rules that every financing contract must pass, whatever its entry path.

Institutions cannot import the apps above it (STYLE rule 3), so those apps register their
contract rules here at start-up (``AppConfig.ready``), and ``services.contract_create`` — the
one write path of a contract — runs every registered rule before saving. A rule returns
violations; a *blocking* one rejects the contract with its message, naming the field; a
*warning* is accepted and handed to the registered ``on_warnings`` callbacks (the Shariah app
records them as findings).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .models import FinancingContract


@dataclass(frozen=True)
class ContractViolation:
    """One rule a contract breaks: a stable code, the field concerned, a translated message."""

    code: str
    field: str
    message: str
    blocking: bool


ContractRule = Callable[[FinancingContract], Iterable[ContractViolation]]
WarningSink = Callable[[FinancingContract, list[ContractViolation]], None]
#: The same rule over many contracts at once (bulk imports): loads its context in a few queries
#: instead of a few per contract, and returns one list of violations per contract, in order.
BatchContractRule = Callable[[Sequence[FinancingContract]], list[list[ContractViolation]]]

_rules: list[ContractRule] = []
_batch_forms: dict[ContractRule, BatchContractRule] = {}
_warning_sinks: list[WarningSink] = []


def register_rule(rule: ContractRule) -> ContractRule:
    if rule not in _rules:
        _rules.append(rule)
    return rule


def register_batch_form(rule: ContractRule, batch: BatchContractRule) -> None:
    """Declare ``batch`` as the many-contracts form of the registered ``rule``."""
    _batch_forms[rule] = batch


def register_warning_sink(sink: WarningSink) -> WarningSink:
    if sink not in _warning_sinks:
        _warning_sinks.append(sink)
    return sink


def violations_of(contract: FinancingContract) -> list[ContractViolation]:
    """Every violation of every registered rule, in registration order."""
    return [violation for rule in _rules for violation in rule(contract)]


def violations_of_many(contracts: Sequence[FinancingContract]) -> list[list[ContractViolation]]:
    """``[violations_of(c) for c in contracts]``, using each rule's batch form when it has one.

    A contract with a primary key is checked as a change to the saved row (the update stage),
    one without as a new contract.
    """
    result: list[list[ContractViolation]] = [[] for _ in contracts]
    for rule in _rules:
        batch = _batch_forms.get(rule)
        found = batch(contracts) if batch else [list(rule(contract)) for contract in contracts]
        for position, violations in enumerate(found):
            result[position].extend(violations)
    return result


def warnings_hand_over(contract: FinancingContract, warnings: list[ContractViolation]) -> None:
    for sink in _warning_sinks:
        sink(contract, warnings)
