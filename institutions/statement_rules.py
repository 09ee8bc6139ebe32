"""Extension point for rules that every quarterly financial statement must pass when it is saved.

The same pattern as ``contract_rules``: institutions cannot import the apps above it (STYLE rule
3), so those apps register their statement rules here at start-up (``AppConfig.ready``), and
``services.financial_statement_save`` — the one write path of a statement (browser forms, the
REST API, the admin's statement form) — runs every registered rule on the candidate statement
before saving it. A rule returns violations (``contract_rules.ContractViolation``: a stable
code, the field concerned, a translated message that names the rule's code, and whether it
blocks); a blocking violation rejects the statement with its message on its field.

Rules read the candidate (unsaved values) and may query the database for the records it must
agree with (the Shariah app compares the late-payment memo line with the charges collected in
the quarter).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .contract_rules import ContractViolation
from .models import FinancialStatement

#: A statement rule violation has the same shape as a contract rule violation.
StatementViolation = ContractViolation
StatementRule = Callable[[FinancialStatement], Iterable[StatementViolation]]

_rules: list[StatementRule] = []


def register_rule(rule: StatementRule) -> StatementRule:
    if rule not in _rules:
        _rules.append(rule)
    return rule


def violations_of(statement: FinancialStatement) -> list[StatementViolation]:
    """Every violation of every registered rule by ``statement``, in registration order."""
    return [violation for rule in _rules for violation in rule(statement)]
