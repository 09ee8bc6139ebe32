"""The portfolio SQL against a small book computed by hand.

The book (as of 2025-12-31, quarter window from 2025-09-30), one line per financing:

  C1  murabaha  B1 F rural   3,000 cost; 1,000 paid Sep 30 (due Aug 31) and Oct 31 → 1,000
  C2  murabaha  B2 M urban   2,000; 1,000 due Oct 15 unpaid → 77 days late, 1,000 in arrears
  C3  ijara     B1 F urban   4,000; 2,000 due Nov 30, 500 paid Dec 10 → 3,500, 31 days, 1,500 arrears
  C4  salam     B1 M rural   5,000 due on delivery Jun 30, not delivered → 184 days late
  C5  qard      B2 F rural   1,000; 400 paid Sep 30; 300 due Dec 31 (today: not late) → 600
  C6  musharaka B2 M urban   10,000 capital, expected ROI 30 %, 550 profit received in Dec
  C7  murabaha  B1 F rural   6,000; 3,000 paid Jul 31; 3,000 due Nov 30 unpaid, restructured Oct 20
  C8  murabaha  B2 M rural   2,000 due Mar 31 unpaid, written off Nov 15 (leaves the book)
  C9  dim. mush B1 F urban   8,000; 4,000 paid Nov 30 → 4,000 (no appraised ROI)
  C10 istisna   B2 F rural   disbursed 2026-01-10 → not yet in the book
  C11 mudaraba  B1 F rural   3,000 disbursed Nov 1 (in the quarter), bullet in 2026
  C12 ijara MB  B1 (C1's client) 1,000, first instalment 2026 → 1,000
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from indicators.portfolio import SegmentPortfolio, portfolio_at
from institutions.models import Institution
from tests.factories import ClientFactory, FinancingContractFactory
from tests.indicators.conftest import AS_OF, WINDOW_START, D, _money


def _segments(book: dict[str, object], as_of: datetime.date, window_start: datetime.date) -> dict:
    institution = book["institution"]
    rows = portfolio_at(institution_id=institution.pk, as_of=as_of, window_start=window_start)
    return {(row.segment, row.segment_value): row for row in rows}


@pytest.mark.django_db
def test_whole_portfolio_at_quarter_end(book: dict[str, object]) -> None:
    total = _segments(book, AS_OF, WINDOW_START)[("total", "")]
    # C1 1,000 + C2 2,000 + C3 3,500 + C4 5,000 + C5 600 + C6 10,000 + C7 3,000 + C9 4,000
    # + C11 3,000 + C12 1,000 = 33,100 (C8 written off, C10 not yet disbursed)
    assert total.outstanding == _money(33100)
    # Debt-based: all but C6 (musharaka) and C11 (mudaraba): 33,100 − 13,000 = 20,100
    assert total.outstanding_debt_based == _money(20100)
    # Late: C2 77 days (2,000), C3 31 (3,500), C4 184 (5,000), C7 31 (3,000); C5 due today: not late
    assert total.late == {
        1: _money(13500),
        30: _money(13500),
        60: _money(7000),  # C2 + C4
        90: _money(5000),  # C4
        180: _money(5000),  # C4: 184 > 180
    }
    assert total.late_all == total.late  # nothing late outside the debt-based book
    # Principal past due and unpaid: C2 1,000 + C3 1,500 + C4 5,000 + C7 3,000 (C5's is due today)
    assert total.arrears == _money(10500)
    assert (total.restructured, total.restructured_in_arrears) == (_money(3000), _money(3000))
    assert total.active_financings == 10
    assert total.active_clients == 9  # C1 and C12 share a client
    # Equity-based capital: C6 10,000 + C9 4,000 + C11 3,000; only C6 has an appraised ROI
    assert total.equity_capital == _money(17000)
    assert total.equity_capital_appraised == _money(10000)
    assert total.equity_expected_income == _money(3000)  # 10,000 × 30 %
    assert total.equity_profit_in_period == _money(550)
    assert total.profit_received_in_period == _money(1050)  # C1 100 + C6 550 + C9 400
    # Gross receivable: debt-based cost + profit − repaid; equity: capital.
    # 1,100 + 2,200 + 3,900 + 5,000 + 600 + 10,000 + 3,300 + 4,400 + 3,000 + 1,100
    assert total.gross_receivable == _money(34600)
    # Flows of the quarter: C11 disbursed, C8 written off.
    assert (total.disbursed_in_period, total.number_disbursed_in_period) == (_money(3000), 1)
    assert total.written_off_in_period == _money(2000)
    # Profit falling due in the quarter by the schedules (the contractual income of the yield
    # gap): C1 #2 100 + C2 #1 100 + C3 #1 200 + C7 #2 300 + C9 #1 400 (C5's is profit-free;
    # C4 and C8 fell due before the quarter, the others after it).
    assert total.profit_due_in_period == _money(1100)


@pytest.mark.django_db
def test_breakdowns_sum_to_the_total(book: dict[str, object]) -> None:
    segments = _segments(book, AS_OF, WINDOW_START)
    total = segments[("total", "")]
    additive = ("outstanding", "outstanding_debt_based", "arrears", "restructured",
                "active_financings", "equity_capital", "written_off_in_period",
                "disbursed_in_period", "gross_receivable")  # fmt: skip
    for kind in ("contract_type", "branch", "gender", "area"):
        rows: list[SegmentPortfolio] = [row for key, row in segments.items() if key[0] == kind]
        for field in additive:
            assert sum(getattr(row, field) for row in rows) == getattr(total, field), (kind, field)
        for n in (1, 30, 60, 90, 180):
            assert sum(row.late[n] for row in rows) == total.late[n], (kind, n)


@pytest.mark.django_db
def test_segments_by_hand(book: dict[str, object]) -> None:
    segments = _segments(book, AS_OF, WINDOW_START)
    murabaha = segments[("contract_type", "murabaha")]
    assert murabaha.outstanding == _money(6000)  # C1 1,000 + C2 2,000 + C7 3,000
    assert murabaha.late[30] == _money(5000)  # C2 + C7
    assert murabaha.written_off_in_period == _money(2000)
    salam = segments[("contract_type", "salam")]
    assert salam.late[180] == _money(5000)
    branch_1 = segments[("branch", str(book["b1"].pk))]
    # C1 1,000 + C3 3,500 + C4 5,000 + C7 3,000 + C9 4,000 + C11 3,000 + C12 1,000
    assert branch_1.outstanding == _money(20500)
    assert branch_1.active_clients == 6  # C1/C12 share a client
    women = segments[("gender", "female")]
    # C1 1,000 + C3 3,500 + C5 600 + C7 3,000 + C9 4,000 + C11 3,000 + C12 1,000
    assert women.outstanding == _money(16100)
    assert ("contract_type", "istisna") not in segments  # C10 not yet disbursed


@pytest.mark.django_db
def test_a_past_date_is_computed_as_it_was_then(book: dict[str, object]) -> None:
    segments = _segments(book, WINDOW_START, D(2025, 6, 30))
    total = segments[("total", "")]
    # At 2025-09-30: C3's partial payment (Dec 10) had not happened; C8 was still in the book,
    # 183 days late (due Mar 31); C4 92 days; C7 not yet restructured nor late.
    assert segments[("contract_type", "ijara")].outstanding == _money(4000)
    assert total.late[180] == _money(2000)  # C8
    assert total.late[90] == _money(7000)  # C8 + C4
    assert total.restructured == _money(0)
    assert segments[("contract_type", "murabaha")].outstanding == _money(2000 + 2000 + 3000 + 2000)


@pytest.mark.django_db
def test_other_institutions_are_not_counted(book: dict[str, object]) -> None:
    FinancingContractFactory(disbursement_date=D(2025, 1, 1), contract_date=D(2025, 1, 1))
    assert _segments(book, AS_OF, WINDOW_START)[("total", "")].outstanding == _money(33100)


@pytest.mark.django_db
def test_empty_book(institution: Institution) -> None:
    rows = portfolio_at(institution_id=institution.pk, as_of=AS_OF, window_start=WINDOW_START)
    assert [(row.segment, row.outstanding, row.active_clients) for row in rows] == [
        ("total", Decimal("0.00"), 0)
    ]


@pytest.mark.django_db
def test_a_financing_repaid_in_odd_cents_leaves_the_book(institution: Institution) -> None:
    from tests.factories import RepaymentFactory

    contract = FinancingContractFactory(
        institution=institution,
        contract_date=D(2025, 1, 1),
        disbursement_date=D(2025, 1, 1),
        financed_amount=Decimal("1.00"),
        profit_amount=Decimal("0.00"),
        sale_price=Decimal("1.00"),
    )
    # 0.70 + 0.10 + 0.10 + 0.10 is 0.9999999999999999 in floating point (SQLite's arithmetic).
    for cents in ("0.70", "0.10", "0.10", "0.10"):
        RepaymentFactory(
            contract=contract,
            value_date=D(2025, 6, 1),
            principal_amount=Decimal(cents),
            profit_amount=Decimal("0"),
        )
    rows = portfolio_at(institution_id=institution.pk, as_of=AS_OF, window_start=WINDOW_START)
    total = next(row for row in rows if row.segment == "total")
    assert (total.active_financings, total.outstanding) == (0, Decimal("0.00"))


@pytest.mark.django_db
def test_contracts_of_another_institution_inside_the_id_range_are_not_counted(
    book: dict[str, object], other_institution: Institution
) -> None:
    """Instalments and repayments are filtered by the institution's contract-id range, not by a
    join: another institution's financings numbered between its own must still not count."""
    from institutions.models import FinancingContract
    from tests.indicators.conftest import _contract, _instalment

    institution = book["institution"]
    before = _segments(book, AS_OF, WINDOW_START)
    last_id = FinancingContract.objects.filter(institution=institution).order_by("-pk")[0].pk
    other_client = ClientFactory(institution=other_institution, gender="male", area="peri_urban")
    stranger = _contract(other_institution, other_client, "murabaha", 7000, 700, id=last_id + 10)
    _instalment(stranger, 1, D(2025, 6, 30), 3000, 300, paid_on=D(2025, 11, 1))
    _instalment(stranger, 2, D(2025, 10, 31), 4000, 400)  # 61 days late at the date
    # One more financing of the institution after it: the stranger is inside the range now.
    own_client = ClientFactory(institution=institution, branch=book["b1"])
    own = _contract(institution, own_client, "murabaha", 500, 50, id=last_id + 20)
    _instalment(own, 1, D(2026, 3, 31), 500, 50)

    after = _segments(book, AS_OF, WINDOW_START)
    total, was = after[("total", "")], before[("total", "")]
    assert total.outstanding == was.outstanding + _money(500)
    assert total.late == was.late
    assert total.arrears == was.arrears
    assert total.profit_received_in_period == was.profit_received_in_period
    assert (total.active_financings, total.active_clients) == (
        was.active_financings + 1,
        was.active_clients + 1,
    )
    assert set(after) == set(before)  # no segment of the other institution's appears


@pytest.mark.django_db
@pytest.mark.parametrize("parts", [2, 3, 5, 50])
def test_the_result_does_not_depend_on_how_many_parts_compute_it(
    book: dict[str, object], settings, parts: int
) -> None:
    """The contract-id range is cut into parts whose cells are summed and whose client ids are
    de-duplicated together: C1 and C12 share a client and fall in different parts."""
    settings.MFME_PORTFOLIO_PARTS = 1
    whole = _segments(book, AS_OF, WINDOW_START)
    settings.MFME_PORTFOLIO_PARTS = parts
    assert _segments(book, AS_OF, WINDOW_START) == whole
    assert whole[("total", "")].active_clients == 9


def test_parts_cover_the_range_exactly(settings) -> None:
    from indicators.portfolio import _parts

    settings.MFME_PORTFOLIO_PARTS = 3
    assert _parts(10, 40) == [(10, 19), (20, 29), (30, 40)]
    assert _parts(1, 5) == [(1, 5)]  # too few ids to cut
    assert _parts(0, -1) == [(0, -1)]  # no contracts
    settings.MFME_PORTFOLIO_PARTS = 1
    assert _parts(10, 40) == [(10, 40)]


@pytest.mark.django_db(transaction=True)
def test_parts_run_at_once_on_their_own_connections_on_postgresql(
    book: dict[str, object], settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside a transaction on PostgreSQL, the second part runs on another connection in the
    snapshot exported by the first; the result is the one statement's."""
    from django.db import connection

    from indicators import portfolio

    settings.MFME_PORTFOLIO_PARTS = 1
    whole = _segments(book, AS_OF, WINDOW_START)
    calls: list[str] = []
    real = portfolio._fetch_in_snapshot

    def recording(snapshot: str, params: dict[str, object]) -> list[dict[str, object]]:
        calls.append(snapshot)
        return real(snapshot, params)

    monkeypatch.setattr(portfolio, "_fetch_in_snapshot", recording)
    settings.MFME_PORTFOLIO_PARTS = 2
    assert not connection.in_atomic_block
    assert _segments(book, AS_OF, WINDOW_START) == whole
    assert len(calls) == (1 if connection.vendor == "postgresql" else 0)


@pytest.mark.django_db
def test_profit_falling_due_in_the_quarter(book: dict[str, object]) -> None:
    """By branch; a financing repaid in full during the quarter (out of the book at its end)
    still had its profit fall due in it; one written off before the quarter did not."""
    from tests.factories import WriteOffFactory
    from tests.indicators.conftest import _contract, _instalment

    institution = book["institution"]
    segments = _segments(book, AS_OF, WINDOW_START)
    # B1: C1 100 + C3 200 + C7 300 + C9 400; B2: C2 100.
    assert segments[("branch", str(book["b1"].pk))].profit_due_in_period == _money(1000)
    assert segments[("branch", str(book["b2"].pk))].profit_due_in_period == _money(100)

    repaid = _contract(institution, ClientFactory(institution=institution, branch=book["b2"]),
                       "murabaha", 900, 90)  # fmt: skip
    _instalment(repaid, 1, D(2025, 11, 10), 900, 90, paid_on=D(2025, 11, 10))
    gone = _contract(institution, ClientFactory(institution=institution, branch=book["b2"]),
                     "murabaha", 700, 70)  # fmt: skip
    _instalment(gone, 1, D(2025, 12, 1), 700, 70)
    WriteOffFactory(contract=gone, date=D(2025, 9, 1), principal_amount=Decimal(700))

    after = _segments(book, AS_OF, WINDOW_START)
    total, was = after[("total", "")], segments[("total", "")]
    assert total.profit_due_in_period == _money(1190)  # 1,100 + the repaid one's 90
    assert total.outstanding == was.outstanding  # neither is in the book at the date
    assert total.active_financings == was.active_financings
    assert after[("branch", str(book["b2"].pk))].profit_due_in_period == _money(190)


@pytest.mark.django_db
def test_islamic_arrears_cover_only_the_debt_based_financings(institution: Institution) -> None:
    """Audit probe: a murabaha of 1,000 (current) and a musharaka of 5,000 whose bullet fell due
    on 1 Oct 2025, unpaid. At 31 Dec the overdue amounts are 5,000 over every type (the
    conventional numerator) and 0 over the debt-based types: the Islamic arrears rate is
    0 / 1,000 = 0 %, not 5,000 / 1,000 = 500 %."""
    from tests.indicators.conftest import _contract, _instalment

    client = ClientFactory(institution=institution)
    murabaha = _contract(institution, client, "murabaha", 1000, 100)
    _instalment(murabaha, 1, D(2026, 3, 31), 1000, 100)
    musharaka = _contract(institution, client, "musharaka", 5000, expected_roi=Decimal("20"))
    _instalment(musharaka, 1, D(2025, 10, 1), 5000)
    total = _segments({"institution": institution}, AS_OF, WINDOW_START)[("total", "")]
    assert (total.outstanding, total.outstanding_debt_based) == (_money(6000), _money(1000))
    assert total.arrears == _money(5000)  # conventional: every type
    assert total.arrears_debt_based == _money(0)  # Islamic: the murabaha only


@pytest.mark.django_db
def test_an_instalment_with_nothing_due_is_never_late(institution: Institution) -> None:
    """Audit probe: qard hassan 1,000 with a 0/0 grace-period row due 1 Oct 2025 and 1,000 due
    1 Mar 2026; 100 repaid on 1 Nov. Settling never gives a paid date to a row with nothing due.
    At 31 Dec the only instalment with something due falls due in March: not late, so PAR1 …
    PAR90 hold 0 (was 900, as 91 days late from 1 Oct); outstanding 1,000 − 100 = 900."""
    from tests.factories import RepaymentFactory
    from tests.indicators.conftest import _contract, _instalment

    client = ClientFactory(institution=institution)
    qard = _contract(institution, client, "qard_hassan", 1000)
    _instalment(qard, 1, D(2025, 10, 1), 0)  # the grace-period row: 0 principal, 0 profit
    _instalment(qard, 2, D(2026, 3, 1), 1000)
    RepaymentFactory(
        contract=qard, value_date=D(2025, 11, 1), principal_amount=Decimal(100), profit_amount=0
    )
    total = _segments({"institution": institution}, AS_OF, WINDOW_START)[("total", "")]
    assert total.outstanding == _money(900)
    assert total.late == {n: _money(0) for n in (1, 30, 60, 90, 180)}
    assert total.late_all == total.late
    assert total.arrears == _money(0)


@pytest.mark.django_db
def test_lateness_and_window_boundaries(institution: Institution) -> None:
    """Boundaries at 31 Dec 2025, window (30 Sep, 31 Dec]; D7: PAR(n) = more than n days late.

      A  1,000 due 30 Dec unpaid → 1 day late: in no PAR (PAR1 is more than 1 day)
      B  2,000 due 29 Dec unpaid → 2 days: PAR1
      C  4,000 due  1 Dec unpaid → 30 days: PAR1, not PAR30
      D  8,000 due 30 Nov unpaid → 31 days: PAR30
      E 16,000 due  2 Oct unpaid → 90 days (29 + 30 + 31): PAR60, not PAR90
      F 32,000 due  1 Oct unpaid → 91 days: PAR90
      G 64,000 due 30 Nov, paid on 5 Jan 2026 (after the date) → 31 days late at the date,
        and its 64,000 still outstanding then
      H    500 disbursed on 30 Sep (the window start) → in the book, not disbursed in the window
      I    700 written off on 30 Sep (the window start) → out of the book, not a write-off of it
      J    300 disbursed on 1 Oct → disbursed in the window
      K    900 written off on 1 Oct → written off in the window

    PAR1 = B + C + D + E + F + G = 2,000 + 4,000 + 8,000 + 16,000 + 32,000 + 64,000 = 126,000
    PAR30 = D + E + F + G = 120,000; PAR60 = E + F = 48,000; PAR90 = F = 32,000; PAR180 = 0
    outstanding = A…G 127,000 + H 500 + J 300 = 127,800"""
    from tests.factories import WriteOffFactory
    from tests.indicators.conftest import _contract, _instalment

    client = ClientFactory(institution=institution)
    for amount, due, paid_on in (
        (1000, D(2025, 12, 30), None),
        (2000, D(2025, 12, 29), None),
        (4000, D(2025, 12, 1), None),
        (8000, D(2025, 11, 30), None),
        (16000, D(2025, 10, 2), None),
        (32000, D(2025, 10, 1), None),
        (64000, D(2025, 11, 30), D(2026, 1, 5)),
    ):
        contract = _contract(institution, client, "murabaha", amount)
        _instalment(contract, 1, due, amount, paid_on=paid_on)
    h = _contract(institution, client, "murabaha", 500, disbursed=WINDOW_START)
    _instalment(h, 1, D(2026, 6, 30), 500)
    j = _contract(institution, client, "murabaha", 300, disbursed=D(2025, 10, 1))
    _instalment(j, 1, D(2026, 6, 30), 300)
    for amount, written_off_on in ((700, WINDOW_START), (900, D(2025, 10, 1))):
        gone = _contract(institution, client, "murabaha", amount)
        _instalment(gone, 1, D(2026, 6, 30), amount)
        WriteOffFactory(contract=gone, date=written_off_on, principal_amount=Decimal(amount))

    total = _segments({"institution": institution}, AS_OF, WINDOW_START)[("total", "")]
    assert total.late == {
        1: _money(126000),
        30: _money(120000),
        60: _money(48000),
        90: _money(32000),
        180: _money(0),
    }
    assert total.late_all == total.late
    assert total.outstanding == _money(127800)
    assert (total.disbursed_in_period, total.number_disbursed_in_period) == (_money(300), 1)
    assert total.written_off_in_period == _money(900)


@pytest.mark.django_db
def test_salam_is_late_from_its_delivery_date_whatever_its_schedule(
    institution: Institution,
) -> None:
    """D7: salam lateness counts from the contractual delivery date. At 31 Dec 2025:

      S1 2,000, no schedule, delivery 30 Nov, undelivered → 31 days late
      S2 3,000, instalment dated 31 Mar 2026, delivery 31 Oct → 61 days late
      S3 4,000, instalment dated 30 Nov (unpaid), delivery 28 Feb 2026 → not late yet
      S4 1,500, delivery 31 Dec (the date itself) → 0 days, not late

    PAR1 = PAR30 = S1 + S2 = 5,000; PAR60 = S2 = 3,000; PAR90 = 0. Arrears: the undelivered
    balance past its delivery date, S1 2,000 + S2 3,000 = 5,000 (S3's schedule row is not
    overdue: delivery is what is due). Outstanding 2,000 + 3,000 + 4,000 + 1,500 = 10,500."""
    from tests.indicators.conftest import _contract, _instalment

    client = ClientFactory(institution=institution)
    _contract(institution, client, "salam", 2000, delivery_date=D(2025, 11, 30))
    s2 = _contract(institution, client, "salam", 3000, delivery_date=D(2025, 10, 31))
    _instalment(s2, 1, D(2026, 3, 31), 3000)
    s3 = _contract(institution, client, "salam", 4000, delivery_date=D(2026, 2, 28))
    _instalment(s3, 1, D(2025, 11, 30), 4000)
    _contract(institution, client, "salam", 1500, delivery_date=AS_OF)

    total = _segments({"institution": institution}, AS_OF, WINDOW_START)[("total", "")]
    assert total.outstanding == _money(10500)
    assert total.late == {
        1: _money(5000),
        30: _money(5000),
        60: _money(3000),
        90: _money(0),
        180: _money(0),
    }
    assert total.arrears == _money(5000)
