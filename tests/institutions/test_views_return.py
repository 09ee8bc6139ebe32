"""The quarterly-return pages: who may read and fill in each section, locale numbers, validation
messages in the user's language, autosaved drafts, and returning a quarter with comments."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from institutions import services_return
from institutions.forms_return import format_locale_number, parse_locale_number
from institutions.models import (
    FinancialStatement,
    PeriodTransition,
    PortfolioSummaryLine,
    ReportingPeriod,
    ReturnDraft,
    ReviewComment,
    StaffingSnapshot,
)
from tests.factories import (
    FinancialStatementFactory,
    PortfolioSummaryLineFactory,
    ReportingPeriodFactory,
    StaffingSnapshotFactory,
)

Status = ReportingPeriod.Status
SECTIONS = ["balance_sheet", "income_statement", "staffing", "portfolio_summary"]


@pytest.fixture
def period(institution):
    return ReportingPeriodFactory(institution=institution, year=2026, quarter=2)


@pytest.fixture
def other_period(other_institution):
    return ReportingPeriodFactory(institution=other_institution, year=2026, quarter=2)


def _url(period, section, name="return_section"):
    return reverse(name, kwargs={"period_id": period.pk, "section": section})


def _in(client: Client, language: str) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


BALANCED_FR = {
    # Assets: 150 000 + 50 000 + 800 000 − 20 000 + 60 000 = 1 040 000,00
    "cash_and_bank": "150 000,00",
    "short_term_investments": "50\u202f000",
    "gross_financing_portfolio": "800\u00a0000,00",
    "impairment_allowance": "20 000",
    "other_assets": "60 000",
    "deferred_profit": "40 000",
    "ijara_assets_net": "0",
    # Liabilities 550 000 + mudaraba 100 000 + equity 390 000 = 1 040 000,00
    "deposits": "0",
    "third_party_financing": "500 000",
    "third_party_financing_short_term": "100 000",
    "other_liabilities": "50 000",
    "current_liabilities": "150 000",
    "mudaraba_funds": "100 000",
    "mudaraba_funds_short_term": "20 000",
    "restricted_mudaraba_funds": "0",
    "total_equity": "390 000,00",
    "donated_equity": "50 000",
}


# --- Locale numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("fr", "1 234 567,89", Decimal("1234567.89")),
        ("fr", "1\u00a0234\u00a0567,89", Decimal("1234567.89")),
        ("fr", "1\u202f234\u202f567,89", Decimal("1234567.89")),
        ("fr", "1234567,8", Decimal("1234567.8")),
        ("fr", "1.234.567,89", Decimal("1234567.89")),
        ("fr", "1234.5", Decimal("1234.5")),
        ("fr", "-12,50", Decimal("-12.50")),
        ("ar", "1 234 567,89", Decimal("1234567.89")),
        ("ar", "1\u202f234\u202f567,89", Decimal("1234567.89")),
        ("ar", "١٬٢٣٤٬٥٦٧٫٨٩", Decimal("1234567.89")),
        ("en", "1,234,567.89", Decimal("1234567.89")),
        ("en", "1 234 567.89", Decimal("1234567.89")),
        ("en", "0.5", Decimal("0.5")),
        ("en", "  ", None),
    ],
)
def test_locale_numbers_are_read_the_users_way(language, text, expected):
    assert parse_locale_number(text, language) == expected


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("fr", "12 34,5"),
        ("fr", "1,2,3"),
        ("fr", "abc"),
        ("en", "1,23.5"),
        ("en", "1.2.3"),
        ("ar", "12a"),
        ("fr", ","),
    ],
)
def test_malformed_numbers_are_refused(language, text):
    with pytest.raises(ValueError):  # noqa: PT011 - the parser's one error
        parse_locale_number(text, language)


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
def test_numbers_round_trip_without_loss(language):
    value = Decimal("1234567.89")
    with translation.override(language):
        shown = format_locale_number(value)
    assert parse_locale_number(shown, language) == value
    if language == "en":
        assert shown == "1,234,567.89"
    else:
        assert shown == "1\u202f234\u202f567,89"


# --- Permissions ---------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login(client, period):
    for section in SECTIONS:
        response = client.get(_url(period, section))
        assert response.status_code == 302
        assert "/login/" in response["Location"]
        response = client.post(_url(period, section, "return_autosave"), {})
        assert response.status_code == 302


@pytest.mark.parametrize("role", ["staff", "manager"])
@pytest.mark.parametrize("status", [Status.DRAFT, Status.RETURNED])
def test_institution_users_edit_a_draft_or_returned_quarter(
    request, client_for, institution, role, status
):
    period = ReportingPeriodFactory(institution=institution, year=2026, quarter=1, status=status)
    client = client_for(request.getfixturevalue(role))
    for section in SECTIONS:
        response = client.get(_url(period, section))
        assert response.status_code == 200, section
        html = response.content.decode()
        assert "data-autosave-url" in html
        assert 'class="number-input"' in html
        assert 'data-testid="read-only"' not in html


@pytest.mark.parametrize("role", ["analyst", "auditor", "administrator"])
def test_reviewers_and_auditors_read_without_inputs(request, client_for, period, role):
    FinancialStatementFactory(period=period)
    client = client_for(request.getfixturevalue(role))
    for section in SECTIONS:
        response = client.get(_url(period, section))
        assert response.status_code == 200, section
        html = response.content.decode()
        assert 'data-testid="read-only"' in html
        assert "number-input" not in html
        assert "data-autosave-url" not in html
    response = client.post(_url(period, "balance_sheet"), BALANCED_FR)
    assert response.status_code == 403
    response = client.post(_url(period, "balance_sheet", "return_autosave"), {"cash_and_bank": "1"})
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "permission_denied"
    assert not ReturnDraft.objects.exists()
    assert FinancialStatement.objects.get(period=period).cash_and_bank == Decimal("150000.00")


def test_another_institutions_quarter_is_a_404(client_for, staff, other_period):
    client = client_for(staff)
    for section in SECTIONS:
        assert client.get(_url(other_period, section)).status_code == 404
        assert client.post(_url(other_period, section), {}).status_code == 404
        assert client.post(_url(other_period, section, "return_autosave"), {}).status_code == 404
        assert (
            client.post(_url(other_period, section, "return_draft_discard"), {}).status_code == 404
        )
    assert not ReturnDraft.objects.exists()


def test_an_unknown_section_is_a_404(client_for, staff, period):
    client = client_for(staff)
    assert client.get(_url(period, "contracts")).status_code == 404
    assert client.post(_url(period, "general", "return_autosave"), {}).status_code == 404


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.APPROVED, Status.LOCKED])
def test_a_quarter_that_cannot_change_is_read_only_and_refuses_drafts(
    client_for, staff, institution, status
):
    period = ReportingPeriodFactory(institution=institution, year=2025, quarter=4, status=status)
    FinancialStatementFactory(period=period)
    client = client_for(staff)
    response = client.get(_url(period, "balance_sheet"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="read-only"' in html
    assert "number-input" not in html
    assert "data-autosave-url" not in html
    response = client.post(_url(period, "balance_sheet", "return_autosave"), {"cash_and_bank": "1"})
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "not_editable"
    response = client.post(_url(period, "balance_sheet"), BALANCED_FR)
    assert response.status_code == 302
    assert not ReturnDraft.objects.exists()
    assert FinancialStatement.objects.get(period=period).cash_and_bank == Decimal("150000.00")


def test_autosave_needs_the_csrf_token(staff, period):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post(_url(period, "balance_sheet", "return_autosave"), {"cash_and_bank": "1"})
    assert response.status_code == 403
    assert not ReturnDraft.objects.exists()


def test_autosave_with_the_token_from_the_page(staff, period):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    client.get(_url(period, "balance_sheet"))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        _url(period, "balance_sheet", "return_autosave"),
        {"cash_and_bank": "1 000"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200


# --- Saving a section ----------------------------------------------------------------------


def test_staff_saves_the_balance_sheet_in_french_numbers(client_for, staff, period):
    client = _in(client_for(staff), "fr")
    response = client.post(_url(period, "balance_sheet"), BALANCED_FR)
    assert response.status_code == 302, response.content.decode()[:3000]
    statement = FinancialStatement.objects.get(period=period)
    assert statement.gross_financing_portfolio == Decimal("800000.00")
    # Totals are computed from the lines, not typed.
    assert statement.total_assets == Decimal("1040000.00")
    assert statement.total_liabilities == Decimal("550000.00")
    html = client.get(_url(period, "balance_sheet")).content.decode()
    assert 'value="800\u202f000,00"' in html
    assert "1\u202f040\u202f000,00" in html


def test_staff_saves_in_english_numbers(client_for, staff, period):
    def english(text: str) -> str:
        number = parse_locale_number(text, "fr")
        return f"{number:,.2f}"

    data = {key: english(value) for key, value in BALANCED_FR.items()}
    assert data["total_equity"] == "390,000.00"
    client = _in(client_for(staff), "en")
    response = client.post(_url(period, "balance_sheet"), data)
    assert response.status_code == 302
    assert FinancialStatement.objects.get(period=period).total_equity == Decimal("390000.00")


@pytest.mark.parametrize(
    ("language", "unbalanced", "required"),
    [
        ("fr", "Le bilan n'est pas équilibré", "Ce champ est obligatoire."),
        ("ar", "الميزانية غير متوازنة", "هذا الحقل إلزامي."),
    ],
)
def test_unbalanced_balance_sheet_is_refused_in_the_users_language(
    client_for, staff, period, language, unbalanced, required
):
    FinancialStatementFactory(period=period)
    before = FinancialStatement.objects.get(period=period).cash_and_bank
    client = _in(client_for(staff), language)
    data = {**BALANCED_FR, "total_equity": "389 000"}
    response = client.post(_url(period, "balance_sheet"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'lang="{language}"' in html
    assert 'class="error-summary"' in html
    # At the top and next to the totals.
    assert html.count(unbalanced.replace("'", "&#x27;")) >= 2, unbalanced
    assert 'id="balance-error"' in html
    assert FinancialStatement.objects.get(period=period).cash_and_bank == before
    # What was typed is kept as the draft.
    draft = ReturnDraft.objects.get(period=period, section="balance_sheet")
    assert draft.data["total_equity"] == "389000"  # kept language-neutral

    response = client.post(_url(period, "staffing"), {"financing_officers": "3"})
    assert response.status_code == 400
    html = response.content.decode()
    assert required in html
    assert 'href="#id_total_staff"' in html
    assert not StaffingSnapshot.objects.filter(period=period).exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "Les chargés de financement ne peuvent pas être plus nombreux"),
        ("ar", "لا يمكن أن يتجاوز عدد مسؤولي التمويل إجمالي الموظفين."),
    ],
)
def test_staffing_field_error_in_arabic_and_french(client_for, staff, period, language, message):
    StaffingSnapshotFactory(period=period, total_staff=40, financing_officers=22)
    client = _in(client_for(staff), language)
    response = client.post(
        _url(period, "staffing"),
        {
            "total_staff": "10",
            "financing_officers": "12",
            "women_staff": "",
            "staff_departures": "0",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_financing_officers-error"' in html
    assert message in html
    assert StaffingSnapshot.objects.get(period=period).total_staff == 40


def test_malformed_number_is_an_inline_error_and_nothing_changes(client_for, staff, period):
    FinancialStatementFactory(period=period, other_assets=Decimal("60000.00"))
    client = _in(client_for(staff), "fr")
    response = client.post(
        _url(period, "balance_sheet"), {**BALANCED_FR, "other_assets": "60 0000"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_other_assets-error"' in html
    assert 'aria-invalid="true"' in html
    assert FinancialStatement.objects.get(period=period).other_assets == Decimal("60000.00")


def test_income_statement_and_staffing_save(client_for, staff, period):
    client = _in(client_for(staff), "ar")
    response = client.post(
        _url(period, "income_statement"),
        {
            "financing_income": "60 000,50",
            "personnel_expense": "25\u202f000",
            "non_operating_income": "-100",
        },
    )
    assert response.status_code == 302
    statement = FinancialStatement.objects.get(period=period)
    assert statement.financing_income == Decimal("60000.50")
    assert statement.non_operating_income == Decimal("-100")
    assert statement.net_income == Decimal("60000.50") - Decimal("25000") - Decimal("100")
    response = client.post(
        _url(period, "staffing"),
        {
            "total_staff": "40",
            "financing_officers": "22",
            "women_staff": "",
            "staff_departures": "",
        },
    )
    assert response.status_code == 302
    staffing = StaffingSnapshot.objects.get(period=period)
    assert (staffing.total_staff, staffing.women_staff, staffing.staff_departures) == (40, None, 0)


def test_portfolio_summary_saves_filled_lines_only(client_for, staff, period):
    PortfolioSummaryLineFactory(period=period, contract_type="ijara")
    client = _in(client_for(staff), "fr")
    response = client.post(
        _url(period, "portfolio_summary"),
        {
            "murabaha-outstanding": "500 000",
            "murabaha-number_of_financings": "400",
            "murabaha-active_clients": "380",
            "murabaha-par_1": "40 000",
            "murabaha-par_30": "25 000",
            "salam-outstanding": "10 000,50",
            "salam-number_of_financings": "3",
            "salam-active_clients": "3",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    lines = {
        line.contract_type: line for line in PortfolioSummaryLine.objects.filter(period=period)
    }
    assert set(lines) == {"murabaha", "salam"}
    assert lines["murabaha"].par_30 == Decimal("25000")
    assert lines["salam"].outstanding == Decimal("10000.50")


def test_portfolio_summary_error_names_the_line_and_changes_nothing(client_for, staff, period):
    PortfolioSummaryLineFactory(period=period)
    client = _in(client_for(staff), "fr")
    response = client.post(
        _url(period, "portfolio_summary"),
        {
            "murabaha-outstanding": "500 000",
            "murabaha-number_of_financings": "400",
            "murabaha-active_clients": "380",
            "murabaha-par_1": "10 000",
            "murabaha-par_30": "25 000",
            "salam-outstanding": "1 000",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_salam-active_clients-error"' in html
    assert "Mourabaha" in html or "Murabaha" in html
    line = PortfolioSummaryLine.objects.get(period=period)
    assert line.par_1 == Decimal("40000.00")


# --- Drafts ---------------------------------------------------------------------------------


def test_autosave_creates_then_updates_one_draft_and_saving_deletes_it(client_for, staff, period):
    client = _in(client_for(staff), "fr")
    url = _url(period, "balance_sheet", "return_autosave")
    response = client.post(url, {"cash_and_bank": "1 000", "other_assets": "abc"})
    assert response.status_code == 200
    payload = response.json()
    assert payload["message"]
    assert ReturnDraft.objects.count() == 1
    response = client.post(url, {"cash_and_bank": "2 000"})
    assert response.status_code == 200
    draft = ReturnDraft.objects.get()
    assert draft.data == {"cash_and_bank": "2000"}  # kept language-neutral
    assert draft.updated_by == staff

    # Restored over the stored figures, with a note and a way to discard it.
    html = client.get(_url(period, "balance_sheet")).content.decode()
    assert 'id="draft-note"' in html
    with translation.override("fr"):
        assert f'value="{format_locale_number(Decimal(2000))}"' in html
    assert _url(period, "balance_sheet", "return_draft_discard") in html

    response = client.post(_url(period, "balance_sheet"), BALANCED_FR)
    assert response.status_code == 302
    assert not ReturnDraft.objects.exists()


def test_discarding_a_draft(client_for, staff, period):
    client = client_for(staff)
    client.post(_url(period, "staffing", "return_autosave"), {"total_staff": "9"})
    assert ReturnDraft.objects.filter(section="staffing").exists()
    response = client.post(_url(period, "staffing", "return_draft_discard"))
    assert response.status_code == 302
    assert not ReturnDraft.objects.exists()


def test_a_draft_is_not_a_dump(client_for, staff, period):
    client = client_for(staff)
    response = client.post(
        _url(period, "balance_sheet", "return_autosave"), {"cash_and_bank": "9" * 200}
    )
    assert response.status_code == 400
    assert not ReturnDraft.objects.exists()


def test_drafts_of_other_users_are_not_shown_to_readers(client_for, staff, analyst, period):
    client_for(staff).post(
        _url(period, "balance_sheet", "return_autosave"), {"cash_and_bank": "77"}
    )
    html = client_for(analyst).get(_url(period, "balance_sheet")).content.decode()
    assert 'id="draft-note"' not in html
    assert ">77<" not in html


def test_draft_services_check_role_and_status(staff, analyst, period):
    with pytest.raises(PermissionDenied):
        services_return.return_draft_save(
            actor=analyst, period=period, section="balance_sheet", data={}
        )
    with pytest.raises(ValidationError):
        services_return.return_draft_save(actor=staff, period=period, section="general", data={})
    ReportingPeriod.objects.filter(pk=period.pk).update(status=Status.LOCKED)
    with pytest.raises(ValidationError):
        services_return.return_draft_save(
            actor=staff, period=period, section="balance_sheet", data={}
        )


# --- Review with comments per section ----------------------------------------------------------


@pytest.fixture
def submitted(institution):
    return ReportingPeriodFactory(
        institution=institution, year=2026, quarter=1, status=Status.SUBMITTED
    )


def test_analyst_returns_with_comments_per_section_and_staff_see_them(
    client_for, analyst, staff, submitted
):
    client = client_for(analyst)
    page = client.get(reverse("period_detail", args=[submitted.pk])).content.decode()
    assert 'name="comment_balance_sheet"' in page
    assert "Data-quality findings" in page
    response = client.post(
        reverse("period_action", args=[submitted.pk, "return"]),
        {
            "reason": "Please correct the statements.",
            "comment_balance_sheet": "Cash does not match the bank letter.",
            "comment_staffing": "  ",
            "comment_contracts": "Three contracts lack a schedule.",
        },
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.RETURNED
    transition = PeriodTransition.objects.get(period=submitted, to_status=Status.RETURNED)
    comments = {c.section: c.comment for c in ReviewComment.objects.filter(transition=transition)}
    assert comments == {
        "balance_sheet": "Cash does not match the bank letter.",
        "contracts": "Three contracts lack a schedule.",
    }

    staff_client = client_for(staff)
    section = staff_client.get(_url(submitted, "balance_sheet")).content.decode()
    assert "Cash does not match the bank letter." in section
    assert "Three contracts lack a schedule." not in section
    quarter = staff_client.get(reverse("period_detail", args=[submitted.pk])).content.decode()
    assert "Cash does not match the bank letter." in quarter
    assert "Three contracts lack a schedule." in quarter
    assert 'class="timeline__comments"' in quarter


def test_return_without_reason_stores_no_comment(client_for, analyst, submitted):
    response = client_for(analyst).post(
        reverse("period_action", args=[submitted.pk, "return"]),
        {"reason": " ", "comment_balance_sheet": "Something."},
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert not ReviewComment.objects.exists()


def test_return_with_comments_refuses_an_unknown_section(analyst, submitted):
    with pytest.raises(ValidationError):
        services_return.period_return_with_comments(
            actor=analyst, period=submitted, reason="x", comments={"nonsense": "y"}
        )
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_staff_cannot_return_with_comments(client_for, manager, submitted):
    response = client_for(manager).post(
        reverse("period_action", args=[submitted.pk, "return"]),
        {"reason": "x", "comment_balance_sheet": "y"},
    )
    assert response.status_code == 403
    assert not ReviewComment.objects.exists()


def test_quarter_page_links_the_sections(client_for, staff, analyst, period):
    html = client_for(staff).get(reverse("period_detail", args=[period.pk])).content.decode()
    for section in SECTIONS:
        assert _url(period, section) in html
    assert "button--primary" in html
    analyst_html = (
        client_for(analyst).get(reverse("period_detail", args=[period.pk])).content.decode()
    )
    for section in SECTIONS:
        assert _url(period, section) in analyst_html


def test_autosave_answer_is_json(client_for, staff, period):
    response = client_for(staff).post(
        _url(period, "income_statement", "return_autosave"), {"taxes": "1"}
    )
    assert response["Content-Type"].startswith("application/json")
    assert set(json.loads(response.content)) == {"saved_at", "message"}


def test_read_only_pages_show_totals_without_script(client_for, auditor, period):
    PortfolioSummaryLineFactory(period=period, outstanding=Decimal("500000"), gross_receivable=None)
    PortfolioSummaryLineFactory(
        period=period,
        contract_type="salam",
        outstanding=Decimal("1000"),
        **dict.fromkeys(
            ["par_1", "par_30", "par_60", "par_90", "par_180", "restructured_outstanding"],
            Decimal(0),
        ),
        restructured_in_arrears=Decimal(0),
    )
    client = _in(client_for(auditor), "fr")
    html = client.get(_url(period, "portfolio_summary")).content.decode()
    assert 'data-name="total-outstanding"' in html
    total = html.split('data-name="total-outstanding"')[1].split("</output>")[0]
    assert total.endswith(">501\u202f000,00")


def test_a_draft_reads_in_the_readers_language(client_for, staff, manager, period):
    """Staff type in Arabic (Moroccan usage: 479 417,47); the manager, in English, sees
    479,417.47 and can save it. Text that is not a number stays as typed."""
    url = _url(period, "income_statement", "return_autosave")
    response = _in(client_for(staff), "ar").post(
        url, {"financing_income": "479\u202f417,47", "taxes": "abc"}
    )
    assert response.status_code == 200
    assert ReturnDraft.objects.get().data == {"financing_income": "479417.47", "taxes": "abc"}
    html = _in(client_for(manager), "en").get(_url(period, "income_statement")).content.decode()
    assert 'value="479,417.47"' in html
    assert 'value="abc"' in html
