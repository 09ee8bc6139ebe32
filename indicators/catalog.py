"""Pure loader of the versioned indicator catalogues (``indicators/catalog/*.yaml``).

A catalogue is data, never code (DECISIONS preamble, STYLE rule 7): each indicator has a stable
code, names in Arabic, French and English, a category, a unit, a direction, the formula of each
variant in the three languages, and its guide reference. This module reads and validates one
catalogue file and returns frozen dataclasses. It touches no database; the service that stores a
catalogue version calls :func:`load_catalogue` and persists the result.

Note: the module ``indicators.catalog`` and the data folder ``indicators/catalog/`` share a name.
The folder has no ``__init__.py``, so Python imports this module and the folder only holds data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CATALOGUE_DIRECTORY = Path(__file__).resolve().parent / "catalog"
FINANCIAL_CATALOGUE_PATH = CATALOGUE_DIRECTORY / "financial-v1.yaml"

LANGUAGES = ("ar", "en", "fr")
CATEGORIES = frozenset(
    {
        "portfolio_quality",
        "efficiency_productivity",
        "financial_management",
        "profitability_sustainability",
        "shariah_compliance",
    }
)
UNITS = frozenset(
    {"percent", "percent_points", "ratio_times", "currency", "clients_per_person", "count"}
)
DIRECTIONS = frozenset({"higher_better", "lower_better", "neutral"})
#: ``guide``: the guide gives the formula; ``derived``: named by the guide or needed by a ruling,
#: but the formula is ours (reports label it "not from the guide").
ORIGINS = frozenset({"guide", "derived"})
#: Allowed variant sets: the two columns of table 16, one of them, or one formula for both.
VARIANT_SETS = frozenset({("conventional", "islamic"), ("conventional",), ("islamic",), ("both",)})

_CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*$")
_TOP_LEVEL_KEYS = frozenset({"version", "catalogue", "indicators"})
_INDICATOR_KEYS = frozenset(
    {
        "code",
        "names",
        "category",
        "unit",
        "direction",
        "origin",
        "variants",
        "formula",
        "guide_ref",
        "decisions",
    }
)
_GUIDE_REF_KEYS = frozenset({"table_16_row", "lines"})
_DECISION_PATTERN = re.compile(r"^D\d+[a-z]?$")


class CatalogueError(ValueError):
    """A catalogue file is malformed; the message lists every problem found, one per line."""


@dataclass(frozen=True)
class GuideReference:
    """Where the guide defines an indicator: its table 16 row (None if not in the table) and the
    guide line ranges (``L12652–L12656``)."""

    table_16_row: str | None
    lines: tuple[str, ...]


@dataclass(frozen=True)
class IndicatorDefinition:
    """One indicator of a catalogue.

    ``names`` maps a language (ar, en, fr) to the name; ``formula`` maps a variant
    (``conventional``, ``islamic`` or ``both``) to a language → description mapping.
    """

    code: str
    names: Mapping[str, str]
    category: str
    unit: str
    direction: str
    formula: Mapping[str, Mapping[str, str]]
    guide_ref: GuideReference
    variants: tuple[str, ...]
    origin: str
    decisions: tuple[str, ...]

    def name(self, language: str) -> str:
        """The name in ``language`` (its first two letters), English when unknown."""
        return self.names.get(language[:2], self.names["en"])


@dataclass(frozen=True)
class Catalogue:
    """A versioned catalogue: its name (``financial``), version and indicators in file order."""

    name: str
    version: int
    indicators: tuple[IndicatorDefinition, ...]

    def get(self, code: str) -> IndicatorDefinition:
        """The indicator with this code; ``KeyError`` if the catalogue has none."""
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise KeyError(code)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(indicator.code for indicator in self.indicators)


def load_catalogue(path: Path = FINANCIAL_CATALOGUE_PATH) -> Catalogue:
    """Read and validate a catalogue file (the financial one by default)."""
    with path.open(encoding="utf-8") as stream:
        try:
            data = yaml.safe_load(stream)
        except yaml.YAMLError as error:
            raise CatalogueError(f"{path.name}: not valid YAML: {error}") from error
    return parse_catalogue(data, source=path.name)


def parse_catalogue(data: Any, *, source: str = "catalogue") -> Catalogue:
    """Validate already-parsed catalogue data and build the dataclasses.

    Every problem is collected before raising, so one run shows all of them.
    """
    errors: list[str] = []
    if not isinstance(data, Mapping):
        raise CatalogueError(f"{source}: the top level must be a mapping.")
    _check_keys(data, _TOP_LEVEL_KEYS, f"{source}", errors)
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        errors.append(f"{source}: 'version' must be a positive integer.")
        version = 0
    name = data.get("catalogue")
    if not isinstance(name, str) or not name:
        errors.append(f"{source}: 'catalogue' must be a non-empty name.")
        name = ""
    entries = data.get("indicators")
    if not isinstance(entries, list) or not entries:
        errors.append(f"{source}: 'indicators' must be a non-empty list.")
        entries = []

    indicators: list[IndicatorDefinition] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        indicator = _parse_indicator(entry, f"{source}: indicator #{position}", errors)
        if indicator is None:
            continue
        if indicator.code in seen:
            errors.append(f"{source}: code {indicator.code} is used more than once.")
        seen.add(indicator.code)
        indicators.append(indicator)

    if errors:
        raise CatalogueError("\n".join(errors))
    return Catalogue(name=name, version=version, indicators=tuple(indicators))


def _parse_indicator(entry: Any, where: str, errors: list[str]) -> IndicatorDefinition | None:
    if not isinstance(entry, Mapping):
        errors.append(f"{where}: must be a mapping.")
        return None
    code = entry.get("code")
    if not isinstance(code, str) or not _CODE_PATTERN.match(code):
        errors.append(f"{where}: 'code' must be upper-case letters, digits and underscores.")
        return None
    where = f"{where} ({code})"
    errors_before = len(errors)
    _check_keys(entry, _INDICATOR_KEYS, where, errors)

    names = language_mapping(entry.get("names"), f"{where}: names", errors)
    for field, allowed in (
        ("category", CATEGORIES),
        ("unit", UNITS),
        ("direction", DIRECTIONS),
        ("origin", ORIGINS),
    ):
        if entry.get(field) not in allowed:
            errors.append(
                f"{where}: {field} {entry.get(field)!r} is not one of {', '.join(sorted(allowed))}."
            )

    raw_variants = entry.get("variants")
    variants = tuple(raw_variants) if isinstance(raw_variants, list) else ()
    if variants not in VARIANT_SETS:
        errors.append(
            f"{where}: variants {raw_variants!r} must be [conventional, islamic], [conventional], "
            "[islamic] or [both]."
        )
    formula_data = entry.get("formula")
    formula: dict[str, Mapping[str, str]] = {}
    if not isinstance(formula_data, Mapping) or set(formula_data) != set(variants):
        errors.append(f"{where}: 'formula' must have exactly one entry per variant {variants}.")
    else:
        for variant in variants:
            formula[variant] = language_mapping(
                formula_data[variant], f"{where}: formula.{variant}", errors
            )

    guide_ref = _guide_reference(entry.get("guide_ref"), where, errors)
    decisions = entry.get("decisions", [])
    if not isinstance(decisions, list) or not all(
        isinstance(item, str) and _DECISION_PATTERN.match(item) for item in decisions
    ):
        errors.append(f"{where}: 'decisions' must be a list of ruling numbers such as D7.")
        decisions = []

    if len(errors) > errors_before or guide_ref is None:
        return None
    return IndicatorDefinition(
        code=code,
        names=names,
        category=entry["category"],
        unit=entry["unit"],
        direction=entry["direction"],
        formula=formula,
        guide_ref=guide_ref,
        variants=variants,
        origin=entry["origin"],
        decisions=tuple(decisions),
    )


def language_mapping(value: Any, where: str, errors: list[str]) -> dict[str, str]:
    """A {ar, en, fr} → non-empty text mapping; reports missing and unknown languages."""
    if not isinstance(value, Mapping):
        errors.append(f"{where}: must map each of {', '.join(LANGUAGES)} to a text.")
        return {}
    missing = [
        language
        for language in LANGUAGES
        if not isinstance(value.get(language), str) or not value[language].strip()
    ]
    if missing:
        errors.append(f"{where}: missing or empty text for {', '.join(missing)}.")
    unknown = sorted(set(value) - set(LANGUAGES))
    if unknown:
        errors.append(f"{where}: unknown languages {', '.join(map(str, unknown))}.")
    return {language: str(value.get(language, "")).strip() for language in LANGUAGES}


def _guide_reference(value: Any, where: str, errors: list[str]) -> GuideReference | None:
    if not isinstance(value, Mapping):
        errors.append(f"{where}: 'guide_ref' must give table_16_row and lines.")
        return None
    _check_keys(value, _GUIDE_REF_KEYS, f"{where}: guide_ref", errors)
    row = value.get("table_16_row")
    lines = value.get("lines")
    if row is not None and not isinstance(row, str):
        errors.append(f"{where}: guide_ref.table_16_row must be a text (quote numbers) or null.")
        return None
    if not isinstance(lines, list) or not lines or not all(isinstance(x, str) for x in lines):
        errors.append(f"{where}: guide_ref.lines must list at least one line range.")
        return None
    return GuideReference(table_16_row=row, lines=tuple(lines))


def _check_keys(
    data: Mapping[str, Any], allowed: frozenset[str], where: str, errors: list[str]
) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        errors.append(f"{where}: unknown keys {', '.join(map(str, unknown))} (a typo?).")
