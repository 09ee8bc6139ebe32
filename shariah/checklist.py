"""Pure loader of the versioned table 2 checklist (``shariah/catalog/checklist-*.yaml``).

Reads and validates one file and returns frozen dataclasses; it touches no database.
``services.checklist_load`` stores the result. Every problem is collected before raising, so one
run shows all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from indicators.catalog import language_mapping
from institutions.models import ContractType

from .rules import RULES_BY_CODE

CHECKLIST_DIRECTORY = Path(__file__).resolve().parent / "catalog"
TABLE2_CHECKLIST_PATH = CHECKLIST_DIRECTORY / "checklist-table2-v1.yaml"

KINDS = frozenset({"procedure", "question", "verification", "heading"})
_ITEM_KEYS = frozenset({"number", "section", "kind", "text", "note", "rules"})


class ChecklistError(ValueError):
    """A checklist file is malformed; the message lists every problem, one per line."""


@dataclass(frozen=True)
class ChecklistEntry:
    contract_type: str
    number: int
    section: str
    section_names: Mapping[str, str]
    kind: str
    text: Mapping[str, str]
    note: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class Checklist:
    name: str
    version: int
    items: tuple[ChecklistEntry, ...]

    def count_by_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.contract_type] = counts.get(item.contract_type, 0) + 1
        return counts


def load_checklist(path: Path = TABLE2_CHECKLIST_PATH) -> Checklist:
    with path.open(encoding="utf-8") as stream:
        try:
            data = yaml.safe_load(stream)
        except yaml.YAMLError as error:
            raise ChecklistError(f"{path.name}: not valid YAML: {error}") from error
    return parse_checklist(data, source=path.name)


def parse_checklist(data: Any, *, source: str = "checklist") -> Checklist:
    errors: list[str] = []
    if not isinstance(data, Mapping):
        raise ChecklistError(f"{source}: the top level must be a mapping.")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        errors.append(f"{source}: 'version' must be a positive integer.")
        version = 0
    name = data.get("checklist")
    if not isinstance(name, str) or not name:
        errors.append(f"{source}: 'checklist' must be a non-empty name.")
        name = ""
    blocks = data.get("contract_types")
    if not isinstance(blocks, list) or not blocks:
        raise ChecklistError("\n".join([*errors, f"{source}: 'contract_types' must be a list."]))

    items: list[ChecklistEntry] = []
    seen_types: set[str] = set()
    for block in blocks:
        contract_type = block.get("contract_type") if isinstance(block, Mapping) else None
        where = f"{source}: {contract_type}"
        if contract_type not in ContractType.values:
            errors.append(f"{where}: unknown contract type.")
            continue
        if contract_type in seen_types:
            errors.append(f"{where}: appears more than once.")
        seen_types.add(contract_type)
        language_mapping(block.get("title"), f"{where}: title", errors)
        sections_data = block.get("sections")
        sections = {
            code: language_mapping(names, f"{where}: section {code}", errors)
            for code, names in (sections_data.items() if isinstance(sections_data, Mapping) else [])
        }
        if not sections:
            errors.append(f"{where}: 'sections' must name at least one section.")
        entries = block.get("items")
        if not isinstance(entries, list) or not entries:
            errors.append(f"{where}: 'items' must be a non-empty list.")
            continue
        for expected, entry in enumerate(entries, start=1):
            item_where = f"{where} item #{expected}"
            if not isinstance(entry, Mapping):
                errors.append(f"{item_where}: must be a mapping.")
                continue
            unknown = sorted(set(entry) - _ITEM_KEYS)
            if unknown:
                errors.append(f"{item_where}: unknown keys {', '.join(unknown)}.")
            if entry.get("number") != expected:
                errors.append(
                    f"{item_where}: numbers must run 1, 2, 3… (got {entry.get('number')})."
                )
            if entry.get("section") not in sections:
                errors.append(f"{item_where}: section {entry.get('section')!r} is not declared.")
            if entry.get("kind") not in KINDS:
                errors.append(f"{item_where}: kind must be one of {', '.join(sorted(KINDS))}.")
            rules = entry.get("rules", [])
            if not isinstance(rules, list) or any(code not in RULES_BY_CODE for code in rules):
                errors.append(f"{item_where}: 'rules' must list known rule codes.")
                rules = []
            note = entry.get("note", "")
            if not isinstance(note, str):
                errors.append(f"{item_where}: 'note' must be a text.")
                note = ""
            items.append(
                ChecklistEntry(
                    contract_type=contract_type,
                    number=expected,
                    section=str(entry.get("section", "")),
                    section_names=sections.get(entry.get("section"), {}),
                    kind=str(entry.get("kind", "")),
                    text=language_mapping(entry.get("text"), f"{item_where}: text", errors),
                    note=note.strip(),
                    rules=tuple(rules),
                )
            )
    if errors:
        raise ChecklistError("\n".join(errors))
    return Checklist(name=name, version=version, items=tuple(items))
