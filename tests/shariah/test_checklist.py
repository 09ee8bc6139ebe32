"""The table 2 checklist is seeded complete: 169 items in three languages, idempotently."""

from __future__ import annotations

import re
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from shariah.checklist import TABLE2_CHECKLIST_PATH, ChecklistError, load_checklist, parse_checklist
from shariah.models import ChecklistItem
from shariah.rules import RULES

pytestmark = pytest.mark.django_db

EXPECTED_COUNTS = {
    "murabaha": 35,
    "salam": 27,
    "qard_hassan": 15,
    "ijara": 25,
    "diminishing_musharaka": 19,
    "musharaka": 22,
    "mudaraba": 26,
}
ARABIC = re.compile(r"[\u0600-\u06FF]")


def test_the_checklist_is_seeded_complete(checklist: int) -> None:
    assert checklist == 169
    assert ChecklistItem.objects.count() == 169
    counts = Counter(ChecklistItem.objects.values_list("contract_type", flat=True))
    assert counts == EXPECTED_COUNTS
    for contract_type, count in EXPECTED_COUNTS.items():
        numbers = list(
            ChecklistItem.objects.filter(contract_type=contract_type)
            .order_by("number")
            .values_list("number", flat=True)
        )
        assert numbers == list(range(1, count + 1))


def test_every_item_has_its_text_and_section_in_three_languages(checklist: int) -> None:
    for item in ChecklistItem.objects.all():
        label = f"{item.contract_type} {item.number}"
        assert ARABIC.search(item.text_ar), label
        assert ARABIC.search(item.section_ar), label
        assert item.text_en.strip(), label
        assert item.text_fr.strip(), label
        assert not ARABIC.search(item.text_en + item.text_fr), label
        assert item.text_fr != item.text_en, label
        assert item.section_en, label
        assert item.section_fr, label
        assert "**" not in item.text_en + item.text_fr, label


def test_the_guides_odd_rows_are_kept_and_marked(checklist: int) -> None:
    heading = ChecklistItem.objects.get(contract_type="mudaraba", number=15)
    assert heading.kind == ChecklistItem.Kind.HEADING
    assert not heading.is_answerable
    assert ChecklistItem.objects.filter(kind=ChecklistItem.Kind.HEADING).count() == 1
    duplicate = ChecklistItem.objects.get(contract_type="musharaka", number=13)
    assert "item 11" in duplicate.note


def test_items_name_the_rules_that_automate_them(checklist: int) -> None:
    salam_price = ChecklistItem.objects.get(contract_type="salam", number=15)
    assert salam_price.rule_codes == ["SAL-PRICE-DEFERRED"]
    linked = {code for codes in ChecklistItem.objects.values_list("rule_codes", flat=True)
              for code in codes}  # fmt: skip
    # Every rule that automates a table 2 item points back to a seeded item.
    for rule in RULES:
        for reference in rule.checklist_items:
            contract_type, number = reference.split(":")
            item = ChecklistItem.objects.get(contract_type=contract_type, number=int(number))
            assert rule.code in item.rule_codes, (rule.code, reference)
    assert "MUR-OWNERSHIP" in linked


def test_text_in_the_readers_language(checklist: int) -> None:
    from django.utils import translation

    item = ChecklistItem.objects.get(contract_type="salam", number=19)
    with translation.override("fr"):
        assert "l'or" in item.text
        assert item.section_name == "Règles juridiques"
    with translation.override("ar"):
        assert "الذهب" in item.text
    with translation.override("en"):
        assert "gold, silver or currency" in item.text


def test_loading_twice_changes_nothing(checklist: int) -> None:
    before = list(ChecklistItem.objects.order_by("pk").values())
    out = StringIO()
    call_command("load_shariah_checklist", stdout=out)
    assert "169 checklist items loaded" in out.getvalue()
    assert list(ChecklistItem.objects.order_by("pk").values()) == before


def test_a_malformed_checklist_lists_every_problem(tmp_path: Path) -> None:
    data = yaml.safe_load(TABLE2_CHECKLIST_PATH.read_text(encoding="utf-8"))
    murabaha = data["contract_types"][0]
    murabaha["items"][0]["text"].pop("fr")
    murabaha["items"][1]["number"] = 7
    murabaha["items"][2]["kind"] = "guess"
    murabaha["items"][3]["rules"] = ["NO-SUCH-RULE"]
    with pytest.raises(ChecklistError) as error:
        parse_checklist(data)
    message = str(error.value)
    assert "missing or empty text for fr" in message
    assert "numbers must run" in message
    assert "kind must be one of" in message
    assert "known rule codes" in message

    path = tmp_path / "checklist-table2-v9.yaml"
    path.write_text("version: [", encoding="utf-8")
    with pytest.raises(ChecklistError, match="checklist-table2-v9.yaml: not valid YAML"):
        load_checklist(path)
