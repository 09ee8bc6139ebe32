"""The translation layer of browser imports (partners/imports.py), without a database: files in
.xlsx and CSV with headers in Arabic, French, English or machine names, locale numbers and
dates, empty rows, unknown columns, and errors mapped back to spreadsheet rows and columns."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.utils import translation

from partners import imports

CONTRACT_VALUES = {
    "external_id": "K1",
    "branch": "B1",
    "client": "C1",
    "product": "MUR",
    "contract_date": "2024-01-10",
    "disbursement_date": "2024-01-10",
    "maturity_date": "2024-12-10",
    "financed_amount": "10000.00",
    "profit_amount": "1000.00",
    "sale_price": "11000.00",
}


def headers(kind: str, names: list[str], language: str) -> list[str]:
    layout = imports.layout_for(kind)
    with translation.override(language):
        return [layout.column(name).header() for name in names]  # type: ignore[union-attr]


def xlsx(header: list[str], rows: list[list[object]], *, blank_rows_before: int = 0) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for _ in range(blank_rows_before):
        sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def csv_bytes(header: list[str], rows: list[list[object]], delimiter: str = ",") -> bytes:
    output = io.StringIO()
    writer = csv.writer(output, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + output.getvalue()).encode()


# --- Numbers and dates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("1 234,56", "fr", "1234.56"),
        ("1\u202f234,56", "ar", "1234.56"),
        ("1\u00a0234,56", "fr", "1234.56"),
        ("1,234.56", "en", "1234.56"),
        ("1.234,56", "fr", "1234.56"),
        ("1234.56", "fr", "1234.56"),
        ("12,5", "en", "12.5"),
        ("1,234", "en", "1234"),
        ("1,234", "fr", "1.234"),
        ("1.234.567", "fr", "1234567"),
        ("(1 000)", "fr", "-1000"),
        ("-5", "en", "-5"),
        ("١٢٣٫٥", "ar", "123.5"),
    ],
)
def test_numbers_are_read_as_people_write_them(text, language, expected) -> None:
    assert imports.parse_number(text, language=language) == Decimal(expected)


@pytest.mark.parametrize("text", ["12a", "1,2,3", "1.2.3", "", "abc", "1,23,456.7"])
def test_text_that_is_no_number_is_refused(text) -> None:
    assert imports.parse_number(text, language="fr") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-01-31", datetime.date(2025, 1, 31)),
        ("31/01/2025", datetime.date(2025, 1, 31)),
        ("1/2/2025", datetime.date(2025, 2, 1)),
        ("31.12.2024", datetime.date(2024, 12, 31)),
        ("31-12-2024", datetime.date(2024, 12, 31)),
        ("2025/3/4", datetime.date(2025, 3, 4)),
        ("2025-01-31 00:00:00", datetime.date(2025, 1, 31)),
        (datetime.datetime(2025, 1, 31, 0, 0), datetime.date(2025, 1, 31)),
        (45678, datetime.date(2025, 1, 21)),
    ],
)
def test_dates_are_iso_or_day_first(value, expected) -> None:
    assert imports.parse_date(value) == expected


@pytest.mark.parametrize("value", ["31/13/2025", "2025-02-30", "01/31/2025x", "tomorrow"])
def test_impossible_dates_are_refused(value) -> None:
    assert imports.parse_date(value) is None


def test_a_formulas_binary_fraction_is_rounded_but_a_real_extra_digit_is_kept() -> None:
    money = imports.layout_for("contracts").column("financed_amount")
    assert imports._from_float(0.1 + 0.2, money) == Decimal("0.30")  # type: ignore[arg-type]
    assert imports._from_float(0.125, money) == Decimal("0.125")  # type: ignore[arg-type]


# --- Headers --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
@pytest.mark.parametrize("kind", imports.KINDS)
def test_headers_of_every_language_are_unique_and_recognised(kind, language) -> None:
    layout = imports.layout_for(kind)
    aliases = imports.header_aliases(layout)
    with translation.override(language):
        written = [column.header() for column in layout.columns]
    assert len(set(written)) == len(written)
    for column, header in zip(layout.columns, written, strict=True):
        assert aliases[imports.normalize(header)] is column
        assert aliases[imports.normalize(column.name)] is column


@pytest.mark.parametrize("language", ["ar", "fr", "en", "machine"])
@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_contract_file_with_headers_in_any_language(language, file_format) -> None:
    names = list(CONTRACT_VALUES)
    header = names if language == "machine" else headers("contracts", names, language)
    row = list(CONTRACT_VALUES.values())
    data = (
        xlsx(header, [row])
        if file_format == "xlsx"
        else csv_bytes(header, [row], ";" if language != "en" else ",")
    )
    parsed = imports.parse_file("contracts", data, filename=f"f.{file_format}", language="fr")
    assert parsed.problems == []
    assert parsed.rows == [{**CONTRACT_VALUES, "_row": 2}]


def test_headers_ignore_case_accents_spaces_and_the_required_mark() -> None:
    aliases = imports.header_aliases(imports.layout_for("contracts"))
    written = ["NUMERO DE CONTRAT", "  branch_code ", "client number*", "Date d’échéance finale *"]
    assert [aliases[imports.normalize(header)].name for header in written] == [
        "external_id",
        "branch",
        "client",
        "maturity_date",
    ]


def test_unknown_column_is_a_clear_error_naming_it() -> None:
    header = [*headers("contracts", ["external_id", "branch", "client", "product"], "en"), "Colour"]
    data = xlsx(header, [["K1", "B1", "C1", "MUR", "red"]])
    with pytest.raises(imports.ImportRefused) as refused:
        imports.parse_file("contracts", data, filename="f.xlsx")
    unknown = [p for p in refused.value.problems if p.code == "unknown_column"]
    assert len(unknown) == 1
    assert unknown[0].row == 1
    assert unknown[0].letter == "E"
    assert "Colour" in unknown[0].message


def test_missing_required_and_duplicate_columns_are_refused() -> None:
    header = ["external_id", "branch", "branch"]
    data = csv_bytes(header, [["K1", "B1", "B1"]])
    with pytest.raises(imports.ImportRefused) as refused:
        imports.parse_file("contracts", data, filename="f.csv")
    codes = {(p.code, p.column.name if p.column else None) for p in refused.value.problems}
    assert ("duplicate_column", "branch") in codes
    assert ("missing_column", "client") in codes
    assert ("missing_column", "maturity_date") in codes


# --- Cells ----------------------------------------------------------------------------------


def test_xlsx_numeric_date_and_percentage_cells() -> None:
    names = [
        *CONTRACT_VALUES,
        "annual_profit_rate",
        "paid_directly_to_supplier",
        "contract_type",
        "cycle_number",
    ]
    row = [
        "K1",
        "B1",
        "C1",
        "MUR",
        datetime.date(2024, 1, 10),
        datetime.datetime(2024, 1, 10),
        "10/12/2024",
        10000,
        0.1 + 0.2,  # a formula's binary fraction: 0.30000000000000004
        "11 000,00",
        0.125,
        "oui",
        "Mourabaha",
        2.0,
    ]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers("contracts", names, "fr"))
    sheet.append(row)
    sheet.cell(row=2, column=11).number_format = "0.0%"
    output = io.BytesIO()
    workbook.save(output)
    with translation.override("fr"):
        parsed = imports.parse_file("contracts", output.getvalue(), filename="f.xlsx")
    assert parsed.problems == []
    (contract,) = parsed.rows
    assert contract["contract_date"] == "2024-01-10"
    assert contract["disbursement_date"] == "2024-01-10"
    assert contract["maturity_date"] == "2024-12-10"
    assert contract["financed_amount"] == "10000"
    assert Decimal(contract["profit_amount"]) == Decimal("0.30")
    assert contract["sale_price"] == "11000.00"
    assert Decimal(contract["annual_profit_rate"]) == Decimal("12.5")
    assert contract["paid_directly_to_supplier"] == "true"
    assert contract["contract_type"] == "murabaha"
    assert contract["cycle_number"] == "2"


def test_empty_rows_are_skipped_and_rows_keep_their_spreadsheet_numbers() -> None:
    header = headers(
        "repayments", ["contract", "external_id", "value_date", "principal_amount"], "en"
    )
    rows: list[list[object]] = [
        ["K1", "P1", "2024-02-10", "100"],
        [None, None, None, None],
        ["", " ", "", ""],
        ["K1", "P2", "bad date", "100"],
    ]
    parsed = imports.parse_file(
        "repayments", xlsx(header, rows, blank_rows_before=2), filename="f.xlsx"
    )
    assert [row["_row"] for row in parsed.rows] == [4, 7]
    (problem,) = parsed.problems
    assert (problem.row, problem.letter, problem.column.name) == (7, "C", "value_date")  # type: ignore[union-attr]


def test_bad_cells_are_reported_by_row_and_column_in_the_users_language() -> None:
    header = headers("contracts", list(CONTRACT_VALUES), "ar")
    row = list(CONTRACT_VALUES.values())
    row[7] = "douze"  # financed_amount
    with translation.override("ar"):
        parsed = imports.parse_file("contracts", xlsx(header, [row]), filename="f.xlsx")
        (problem,) = parsed.problems
        assert problem.row == 2
        assert problem.letter == "H"
        assert problem.column_title == str(
            imports.layout_for("contracts").column("financed_amount").title()  # type: ignore[union-attr]
        )
    # Passed on as written, so that the services do not also call the cell missing.
    assert parsed.rows[0]["financed_amount"] == "douze"


def test_choices_accept_labels_in_every_language_and_refuse_others() -> None:
    names = [*CONTRACT_VALUES, "status"]
    rows = [
        [*CONTRACT_VALUES.values(), "Actif"],
        [*CONTRACT_VALUES.values(), "active"],
        [*CONTRACT_VALUES.values(), "sleeping"],
    ]
    for index, row in enumerate(rows):
        row[0] = f"K{index}"
    parsed = imports.parse_file(
        "contracts", csv_bytes(names, rows), filename="f.csv", language="en"
    )
    assert [row["status"] for row in parsed.rows[:2]] == ["active", "active"]
    (problem,) = parsed.problems
    assert (problem.row, problem.column.name) == (4, "status")  # type: ignore[union-attr]


def test_contract_rows_are_grouped_with_their_schedule() -> None:
    names = [
        *CONTRACT_VALUES,
        "instalment_number",
        "instalment_due_date",
        "instalment_principal_due",
        "instalment_profit_due",
    ]
    first = [*CONTRACT_VALUES.values(), 1, "2024-06-10", "5 000,00", "500"]
    second = ["K1", "", "", "", "", "", "", "", "", "", 2, "10/12/2024", "5000", "500"]
    other = ["K2", *list(CONTRACT_VALUES.values())[1:], None, None, None, None]
    parsed = imports.parse_file(
        "contracts", xlsx(names, [first, second, other]), filename="f.xlsx", language="fr"
    )
    assert parsed.problems == []
    k1, k2 = parsed.rows
    assert k1["_row"] == 2
    assert [
        (i["number"], i["due_date"], i["principal_due"], i["_row"]) for i in k1["instalments"]
    ] == [
        ("1", "2024-06-10", "5000.00", 2),
        ("2", "2024-12-10", "5000", 3),
    ]
    assert "instalments" not in k2
    assert parsed.summary["contracts"] == 2
    assert parsed.summary["instalments"] == 2
    assert parsed.summary["financed"] == Decimal("20000.00")


def test_a_repeated_contract_value_that_differs_is_an_error_on_its_row() -> None:
    names = [*CONTRACT_VALUES, "instalment_number"]
    first = [*CONTRACT_VALUES.values(), 1]
    second = [*CONTRACT_VALUES.values(), 2]
    second[7] = "9999"
    parsed = imports.parse_file("contracts", csv_bytes(names, [first, second]), filename="f.csv")
    (problem,) = parsed.problems
    assert (problem.row, problem.column.name, problem.letter) == (3, "financed_amount", "H")  # type: ignore[union-attr]


def test_bulk_errors_map_back_to_rows_and_instalment_columns() -> None:
    names = [*CONTRACT_VALUES, "instalment_number", "instalment_due_date"]
    parsed = imports.parse_file(
        "contracts",
        csv_bytes(names, [[*CONTRACT_VALUES.values(), 1, "2024-06-10"]]),
        filename="f.csv",
    )
    problems = imports._problems_from_bulk(
        [
            {"code": "invalid_date", "field": "instalments[0].due_date", "message": "x", "row": 2},
            {"code": "MUR-OWNERSHIP", "field": "ownership_date", "message": "y", "row": 2},
            {"code": "too_many_errors", "field": None, "message": "z"},
        ],
        parsed,
    )
    assert [(p.row, p.column.name if p.column else None, p.letter) for p in problems] == [
        (2, "instalment_due_date", "L"),
        (2, "ownership_date", ""),  # not in the file: named, without a letter
        (None, None, ""),
    ]


# --- Statement layout -----------------------------------------------------------------------


def test_statement_lines_in_any_language_and_missing_lines_are_zero() -> None:
    rows = [
        ["Caisse et dépôts bancaires", "1 000,50"],
        ["إجمالي الأصول", 1000.5],
        ["total_equity", "1000.50"],
        ["", None],
    ]
    parsed = imports.parse_file(
        "statement", xlsx(["Line", "Montant"], rows), filename="f.xlsx", language="fr"
    )
    assert parsed.problems == []
    (data,) = parsed.rows
    assert data["cash_and_bank"] == Decimal("1000.50")
    assert data["total_assets"] == Decimal("1000.5")
    assert data["total_equity"] == Decimal("1000.50")
    assert data["deposits"] == Decimal("0")
    assert parsed.line_rows == {"cash_and_bank": 2, "total_assets": 3, "total_equity": 4}


def test_unknown_and_repeated_statement_lines_are_errors() -> None:
    rows = [["Cash and bank deposits", "1"], ["Goodwill", "2"], ["cash and bank deposits", "3"]]
    parsed = imports.parse_file("statement", csv_bytes(["line", "amount"], rows), filename="f.csv")
    assert [(p.row, p.code) for p in parsed.problems] == [
        (3, "unknown_line"),
        (4, "duplicate_line"),
    ]


# --- Files and templates --------------------------------------------------------------------


def test_old_excel_and_unreadable_files_are_refused() -> None:
    with pytest.raises(imports.ImportRefused) as old:
        imports.read_table(b"\xd0\xcf\x11\xe0rest", filename="f.xls")
    assert old.value.problems[0].code == "unsupported_format"
    with pytest.raises(imports.ImportRefused) as broken:
        imports.read_table(b"PK\x03\x04 not really a zip", filename="f.xlsx")
    assert broken.value.problems[0].code == "unreadable"


def test_a_zip_that_is_no_workbook_is_refused_and_a_workbook_named_csv_is_read() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("hello.txt", "hello")
    with pytest.raises(imports.ImportRefused) as refused:
        imports.read_table(archive.getvalue(), filename="f.xlsx")
    assert refused.value.problems[0].code == "unreadable"
    table = imports.read_table(xlsx(["line", "amount"], [["taxes", 1]]), filename="f.csv")
    assert table.file_format == "xlsx"
    assert table.rows[0][1] == ["taxes", 1]


def test_too_many_rows_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    data = csv_bytes(["line", "amount"], [["taxes", "1"]] * 4)
    with pytest.raises(imports.ImportRefused) as refused:
        imports.read_table(data, filename="f.csv")
    assert refused.value.problems[0].code == "too_many_rows"


def test_semicolon_csv_in_windows_1252_is_read() -> None:
    text = "Numéro de contrat;Code agence\r\nK1;B1\r\n"
    table = imports.read_table(text.encode("cp1252"), filename="f.csv")
    assert table.headers == ["Numéro de contrat", "Code agence"]
    assert table.rows[0][1] == ["K1", "B1"]


@pytest.mark.parametrize("kind", imports.KINDS)
def test_arabic_xlsx_template_reads_right_to_left_and_imports_back(kind) -> None:
    with translation.override("ar"):
        data = imports.template_xlsx(kind)
        expected = [column.header() for column in imports.layout_for(kind).columns]
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet, help_sheet = workbook.worksheets
    assert sheet.sheet_view.rightToLeft
    assert help_sheet.sheet_view.rightToLeft
    assert [cell.value for cell in sheet[1]] == expected
    assert sheet["A1"].font.bold
    assert sheet["A1"].comment is not None
    assert help_sheet.max_row >= len(expected) + 1
    # The template is itself a valid file (empty, or the statement's lines with no amounts).
    parsed = imports.parse_file(kind, data, filename="t.xlsx", language="ar")
    assert parsed.problems == []


def test_csv_template_has_a_bom_and_the_languages_separator() -> None:
    with translation.override("fr"):
        data = imports.template_csv("repayments")
    assert data.startswith("\ufeff".encode())
    assert ";" in data.decode("utf-8-sig").splitlines()[0]
    with translation.override("en"):
        assert (
            imports.template_csv("repayments").decode("utf-8-sig").startswith("Contract number *,")
        )
