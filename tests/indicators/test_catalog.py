"""Pure tests of the financial catalogue and its loader (indicators/catalog.py): no database."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from indicators.catalog import (
    FINANCIAL_CATALOGUE_PATH,
    LANGUAGES,
    CatalogueError,
    load_catalogue,
    parse_catalogue,
)
from indicators.engine import compute
from indicators.inputs import BalancePoint, EngineInputs, Flows

ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")


def raw_catalogue() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(FINANCIAL_CATALOGUE_PATH.read_text(encoding="utf-8"))
    return data


def emitted_variants() -> dict[str, list[str]]:
    """What the engine emits, per code in emission order, on empty inputs (codes do not depend
    on the data: a value that cannot be computed is still emitted, with a reason)."""
    start, end = datetime.date(2024, 4, 1), datetime.date(2024, 6, 30)
    zeros: dict[str, Any] = {f.name: Decimal(0) for f in dataclasses.fields(Flows)}
    zeros.update(start=start, end=end, months=3)
    closing: dict[str, Any] = {f.name: Decimal(0) for f in dataclasses.fields(BalancePoint)}
    closing.update(date=end)
    inputs = EngineInputs(
        basis="quarter",
        flows=Flows(**zeros),
        balance_points=(BalancePoint(**closing),),
        portfolio_points=(),
        staff_points=(),
    )
    emitted: dict[str, list[str]] = {}
    for result in compute(inputs):
        emitted.setdefault(result.code, []).append(result.variant)
    return emitted


def test_financial_catalogue_loads_with_version_and_name() -> None:
    catalogue = load_catalogue()

    assert catalogue.name == "financial"
    assert catalogue.version == 1
    assert len(catalogue.codes) == len(set(catalogue.codes))


def test_every_indicator_has_names_and_formulas_in_three_languages() -> None:
    for indicator in load_catalogue().indicators:
        assert set(indicator.names) == set(LANGUAGES), indicator.code
        assert all(indicator.names[language] for language in LANGUAGES), indicator.code
        assert ARABIC_LETTER.search(indicator.names["ar"]), indicator.code
        for variant in indicator.variants:
            assert all(indicator.formula[variant][language] for language in LANGUAGES)
        assert indicator.guide_ref.lines, indicator.code


def test_engine_emits_exactly_the_catalogue_codes_and_variants_in_order() -> None:
    catalogue = load_catalogue()
    emitted = emitted_variants()

    assert list(emitted) == list(catalogue.codes)
    for indicator in catalogue.indicators:
        assert tuple(emitted[indicator.code]) == indicator.variants, indicator.code


def test_catalogue_corrects_the_guide_translation_slips() -> None:
    catalogue = load_catalogue()

    restructured = catalogue.get("F2_RESTRUCTURED")
    assert "المعاد هيكلتها" in restructured.names["ar"]
    assert "غير المهيكلة" not in str(restructured.names)
    assert "المكتتبة" not in str(catalogue.get("F3_WRITE_OFF").formula)
    assert catalogue.get("F9_COST_OF_FUNDS").names["ar"] == "نسبة تكلفة الأموال"


def test_catalogue_leaves_out_what_the_data_cannot_support() -> None:
    codes = load_catalogue().codes

    assert "FSS" not in codes


def test_the_yield_gap_is_derived_from_the_schedules() -> None:
    catalogue = load_catalogue()
    gap = catalogue.get("YIELD_GAP")
    contractual = catalogue.get("F12A_CONTRACTUAL_YIELD")

    assert (gap.unit, gap.direction, gap.origin) == ("percent_points", "lower_better", "derived")
    assert (contractual.unit, contractual.origin) == ("percent", "derived")
    assert "L14232–L14238" in gap.guide_ref.lines
    assert "loan-level" in contractual.formula["both"]["en"]


def test_table_16_rows_are_all_covered() -> None:
    rows = {i.guide_ref.table_16_row for i in load_catalogue().indicators}

    expected = {"1 / 1a", "1b", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12a"}
    assert expected | {"12b", "13", "14", "15"} <= rows


# --------------------------------------------------------------------------------------------
# Validation errors are clear and complete
# --------------------------------------------------------------------------------------------


def broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(raw_catalogue())
    change(data)
    return data


def test_duplicate_codes_are_refused() -> None:
    data = broken(lambda d: d["indicators"].append(copy.deepcopy(d["indicators"][0])))

    with pytest.raises(CatalogueError, match="code PAR1 is used more than once"):
        parse_catalogue(data)


def test_a_missing_language_is_named() -> None:
    data = broken(lambda d: d["indicators"][1]["names"].pop("fr"))

    with pytest.raises(CatalogueError, match=r"\(PAR30\): names: missing or empty text for fr"):
        parse_catalogue(data)


@pytest.mark.parametrize(
    ("field", "value"),
    [("category", "growth"), ("unit", "days"), ("direction", "up"), ("origin", "folklore")],
)
def test_unknown_enumeration_values_are_refused(field: str, value: str) -> None:
    data = broken(lambda d: d["indicators"][0].update({field: value}))

    with pytest.raises(CatalogueError, match=rf"{field} '{value}' is not one of"):
        parse_catalogue(data)


def test_formula_must_match_the_variants() -> None:
    data = broken(lambda d: d["indicators"][0].update(variants=["both"]))

    with pytest.raises(CatalogueError, match="exactly one entry per variant"):
        parse_catalogue(data)


def test_unknown_keys_and_all_problems_are_reported_together() -> None:
    def change(d: dict[str, Any]) -> None:
        d["indicators"][0]["unti"] = "percent"
        d["indicators"][2]["names"]["ar"] = " "

    with pytest.raises(CatalogueError) as error:
        parse_catalogue(broken(change))

    message = str(error.value)
    assert "unknown keys unti" in message
    assert "(PAR60): names: missing or empty text for ar" in message


def test_top_level_shape_is_checked() -> None:
    with pytest.raises(CatalogueError, match="top level must be a mapping"):
        parse_catalogue([])
    with pytest.raises(CatalogueError, match="'version' must be a positive integer"):
        parse_catalogue(broken(lambda d: d.update(version="one")))


def test_invalid_yaml_is_reported_with_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "financial-v9.yaml"
    path.write_text("indicators: [unclosed", encoding="utf-8")

    with pytest.raises(CatalogueError, match="financial-v9.yaml: not valid YAML"):
        load_catalogue(path)
