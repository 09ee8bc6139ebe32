"""Extension point: other apps add their own indicators, findings and alerts to a quarter's
computation. Imports flow one way (STYLE rule 3): the indicator engine never imports the apps
that contribute; they register a contributor at start-up (``AppConfig.ready``), and
``services.computation_run`` stores what each returns with the period's other results, in the
same transaction and with the same replace-on-recompute guarantee.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from institutions.models import ReportingPeriod

from . import engine, quality


@dataclass(frozen=True)
class Contribution:
    """What a contributor adds: values (codes of a loaded catalogue), findings and alerts."""

    results: list[engine.RatioResult] = field(default_factory=list)
    findings: list[quality.Finding] = field(default_factory=list)
    alerts: list[engine.Alert] = field(default_factory=list)


Contributor = Callable[[ReportingPeriod], Contribution]

_contributors: list[Contributor] = []


def register(contributor: Contributor) -> Contributor:
    if contributor not in _contributors:
        _contributors.append(contributor)
    return contributor


def contributions_for(period: ReportingPeriod) -> Contribution:
    """Every registered contributor's additions for ``period``, merged in registration order."""
    merged = Contribution()
    for contributor in _contributors:
        part = contributor(period)
        merged.results.extend(part.results)
        merged.findings.extend(part.findings)
        merged.alerts.extend(part.alerts)
    return merged
