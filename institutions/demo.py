"""Demo data: four fictional Islamic microfinance institutions with eight quarters of history.

``manage.py load_demo`` calls :func:`demo_load`. The loader is deterministic (one seeded PCG64
generator per institution) and idempotent (it does nothing when the demo institutions exist,
unless asked to reset them). Generation is pure numpy/pandas over whole columns, with no Python
loop per client, contract or instalment; :class:`BulkWriter` then writes the columns in one
transaction (``executemany`` on SQLite, ``COPY`` on PostgreSQL).

Behaviour model (everything as seen on the data date, 30 September 2026):

* **Institutions.** Morocco (association, Arabic and French names), Senegal (mutual, French),
  Jordan (finance company, Arabic and English) and Bangladesh (foundation, English, fiscal year
  from July), each with 5–8 branches. A branch has its own rural share.
* **Clients.** About two thirds are women and 30–50 % rural; ages 18–68 at the first financing;
  poverty status depends on the area; 86 % have the household baseline of the application form.
  About a third are returning clients whose earlier cycles predate October 2023.
* **Cycles.** A client's financings follow one another: the next starts 0–45 days after the
  previous one matures, while the client continues (probability 0.85 per cycle) and the data
  date is not reached. Each institution has a product mix; farmers also take salam.
* **Contracts.** Murabaha and istisna: sale price = cost + markup (flat annual rate); ijara and
  ijara muntahia bittamleek: monthly rent from the delivery of the asset; qard hassan: no profit
  and a service fee below the declared cost; salam: signed in the country's signing window
  before sowing, price paid at signing, one "instalment" (the delivery) at harvest; musharaka and
  mudaraba: the capital comes back in one bullet or quarterly, with the institution's share of
  the expected profit; diminishing musharaka: one buy-out unit a month plus rent on the
  institution's remaining share. Principal and profit are split evenly over the schedule, the
  rounding remainder on the last instalment, so they add up exactly to the contract amounts.
* **Repayment behaviour** (per client): good (about 80 % of contracts) pay 97 % of instalments
  0–3 days early and 3 % 1–15 days late; irregular (about 13 %) pay 45 % on time, 50 % late by an
  exponential delay (mean 25 days, at most 200) and 5 % in two parts; defaulters (about 7 %)
  stop paying their last financing from a random instalment on, sometimes after paying part of
  it. An instalment is never settled before the previous one (settlement dates are made
  non-decreasing within a contract). Payments after the data date are unknown.
* **Events.** A fifth of the irregular clients' last financings are rescheduled 15–45 days after
  an instalment fell due: the remaining instalments move 2–6 months later, the amount owed does
  not change (DECISIONS D9), and the client then pays on time. A defaulted financing is written
  off 181–240 days after its oldest unpaid instalment fell due (D10). Half the instalments
  settled more than 30 days late carry a late-payment charge (2 % of the instalment), collected
  with the instalment; it is never income (D11).
* **Quarterly return.** The portfolio summary lines use the definitions of
  ``indicators/portfolio.py`` (D5, D7): outstanding = cost − principal repaid by the quarter end,
  over financings disbursed by then and not written off by then; PAR(n) = outstanding of
  financings whose oldest instalment due and not fully paid by the date is more than n days late
  (PAR1: at least one day). The balance sheet balances exactly: third-party financing closes the
  funding gap, equity rolls forward with the quarter's net income. ``ijara_assets_net`` and
  ``deferred_profit`` are memo lines: ijara assets are already inside the gross financing
  portfolio (D5) and the portfolio is net of deferred profit.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction

from users.models import User, UserRole
from users.services import user_create

from .models import (
    CONTRACT_TERM_FIELDS,
    DEBT_BASED_TYPES,
    Branch,
    Client,
    ContractType,
    FinancialStatement,
    FinancingContract,
    FinancingProduct,
    Instalment,
    Institution,
    LatePaymentCharge,
    PeriodTransition,
    PortfolioSummaryLine,
    ReferenceData,
    Repayment,
    ReportingPeriod,
    Restructuring,
    StaffingSnapshot,
    WriteOff,
    quarter_bounds,
)
from .services import institution_create, membership_grant

SEED = 20261123
#: Payments after this date are unknown: the demo is an extraction made at this date.
DATA_DATE = datetime.date(2026, 9, 30)
#: The first financings of the demo book (a year before the first reported quarter).
HISTORY_START = datetime.date(2023, 10, 1)
QUARTERS: tuple[tuple[int, int], ...] = (
    (2024, 4),
    (2025, 1),
    (2025, 2),
    (2025, 3),
    (2025, 4),
    (2026, 1),
    (2026, 2),
    (2026, 3),
)
#: The documented password of every demo user (printed by the command; demo data only).
DEMO_PASSWORD = "demo-mfme-2026"  # noqa: S105
DEMO_URL = "http://127.0.0.1:8000"

CONTRACT_TYPES: tuple[ContractType, ...] = tuple(ContractType)
TYPE_INDEX: dict[ContractType, int] = {kind: index for index, kind in enumerate(CONTRACT_TYPES)}
MURABAHA, SALAM, ISTISNA, IJARA, IJARA_MB, QARD_HASSAN, MUSHARAKA, MUDARABA, DIMINISHING = (
    TYPE_INDEX[kind] for kind in CONTRACT_TYPES
)
DEBT_TYPE_MASK = np.array([kind in DEBT_BASED_TYPES for kind in CONTRACT_TYPES])

GOOD, IRREGULAR, DEFAULTER = 0, 1, 2
CONTINUE_PROBABILITY = 0.85
MAX_CYCLES = 10
RETURNING_SHARE = 0.35

Array = np.ndarray


# --------------------------------------------------------------------------------------------
# Dates as day numbers (days since 1970-01-01), so that date arithmetic stays vectorised
# --------------------------------------------------------------------------------------------

EPOCH = datetime.date(1970, 1, 1)
#: A day number far beyond any demo date: "never" (not paid, not written off).
NEVER = 10**7


def day_number(date: datetime.date) -> int:
    return (date - EPOCH).days


def _month_index(days: Array) -> Array:
    """Months since January 1970 of each day."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _month_start(months: Array) -> Array:
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _day_of_month(days: Array) -> Array:
    return days - _month_start(_month_index(days)) + 1


def _months_later(anchor: Array, months: Array) -> Array:
    """The date ``months`` after ``anchor``, on the same day of the month capped at the 28th
    (schedules fall on a day that exists in every month)."""
    return _month_start(_month_index(anchor) + months) + np.minimum(_day_of_month(anchor), 28) - 1


def _year(days: Array) -> Array:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _seconds_at(days: Array, hour: int) -> Array:
    """Timestamps (seconds since the epoch, UTC) at ``hour`` o'clock on each day."""
    return np.asarray(days, dtype=np.int64) * 86_400 + hour * 3_600


# --------------------------------------------------------------------------------------------
# Institution profiles
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BranchProfile:
    code: str
    name: str
    city: str
    region: str
    rural_share: float
    weight: float
    opened_on: datetime.date


@dataclass(frozen=True)
class SalamSeason:
    """A crop financed by salam: signed in a two-month window before sowing, delivered at harvest."""

    commodity: str
    signing_month: int
    delivery_month: int
    price_per_kg: float


@dataclass(frozen=True)
class FundingProfile:
    """How an institution funds its portfolio (shares of the gross financing portfolio)."""

    equity_share: float
    deposit_share: float = 0.0
    mudaraba_share: float = 0.0
    restricted_mudaraba_share: float = 0.0
    third_party_rate: float = 6.0  # % a year
    deposit_rate: float = 1.0  # % a year (hiba on qard / amanah accounts)
    mudaraba_rate: float = 5.0  # % a year distributed to investment account holders
    yearly_donation_share: float = 0.0
    donated_equity_share: float = 0.0
    tax_rate: float = 0.0


@dataclass(frozen=True)
class InstitutionProfile:
    number: int
    code: str
    prefix: str
    name_en: str
    name_fr: str
    name_ar: str
    country: str
    currency: str
    legal_form: str
    deposit_taking: bool
    fiscal_year_start_month: int
    maturity_stage: str
    transition_phase: int | None
    mission_statement: str
    language: str
    branches: tuple[BranchProfile, ...]
    clients: int
    women_share: float
    sectors: Mapping[str, float]
    #: Product mix of clients outside agriculture (weights); farmers also take salam.
    contract_mix: Mapping[ContractType, float]
    farmer_salam_weight: float
    seasons: tuple[SalamSeason, ...]
    median_amount: int
    amount_step: int
    minimum_charge: int
    household_mean: float
    behaviour: tuple[float, float, float]
    clients_per_officer: int
    women_staff_share: float
    monthly_salary: int
    funding: FundingProfile
    suppliers: tuple[str, ...]
    #: Status of each quarter of QUARTERS, oldest first.
    period_statuses: tuple[str, ...]
    return_reason: str


@dataclass(frozen=True)
class ContractTerms:
    """How one contract type is sized, scheduled and priced."""

    months: tuple[int, ...]
    month_weights: tuple[float, ...]
    amount_factor: float
    #: Annual profit rate, rent rate or expected return on investment (%), uniform range.
    rate: tuple[float, float]


TERMS: dict[ContractType, ContractTerms] = {
    ContractType.MURABAHA: ContractTerms((6, 9, 12, 18), (0.15, 0.15, 0.6, 0.1), 1.0, (16, 24)),
    ContractType.SALAM: ContractTerms((), (), 0.7, (0, 0)),
    ContractType.ISTISNA: ContractTerms((12, 18), (0.7, 0.3), 1.7, (15, 20)),
    ContractType.IJARA: ContractTerms((12, 18, 24), (0.3, 0.4, 0.3), 1.8, (14, 20)),
    ContractType.IJARA_MUNTAHIA_BITTAMLEEK: ContractTerms(
        (18, 24, 36), (0.3, 0.5, 0.2), 2.6, (13, 18)
    ),
    ContractType.QARD_HASSAN: ContractTerms((4, 6, 10, 12), (0.2, 0.4, 0.2, 0.2), 0.3, (0, 0)),
    ContractType.MUSHARAKA: ContractTerms((6, 9, 12), (0.3, 0.3, 0.4), 2.2, (40, 70)),
    ContractType.MUDARABA: ContractTerms((6, 9, 12), (0.3, 0.3, 0.4), 2.0, (40, 70)),
    ContractType.DIMINISHING_MUSHARAKA: ContractTerms((24, 36), (0.6, 0.4), 3.5, (12, 16)),
}

Sector = Client.Sector
LOCKED, APPROVED, SUBMITTED, RETURNED, DRAFT = (
    ReportingPeriod.Status.LOCKED,
    ReportingPeriod.Status.APPROVED,
    ReportingPeriod.Status.SUBMITTED,
    ReportingPeriod.Status.RETURNED,
    ReportingPeriod.Status.DRAFT,
)


def _branch(
    code: str, name: str, city: str, region: str, rural: float, weight: float, year: int
) -> BranchProfile:
    return BranchProfile(code, name, city, region, rural, weight, datetime.date(year, 3, 1))


PROFILES: tuple[InstitutionProfile, ...] = (
    InstitutionProfile(
        number=1,
        code="wifaq",
        prefix="WFQ",
        name_en="Al Wifaq Islamic Microfinance Association",
        name_fr="Association Al Wifaq Tamwil Islami",
        name_ar="جمعية الوفاق للتمويل الإسلامي الأصغر",
        country="MA",
        currency="MAD",
        legal_form=Institution.LegalForm.ASSOCIATION,
        deposit_taking=False,
        fiscal_year_start_month=1,
        maturity_stage=Institution.MaturityStage.SHARIAH_COMPLIANT,
        transition_phase=3,
        mission_statement=(
            "Offrir aux femmes et aux jeunes des zones rurales et périurbaines du Maroc des "
            "financements conformes à la Charia qui développent leurs activités génératrices "
            "de revenus et renforcent leur autonomie économique."
        ),
        language="fr",
        branches=(
            _branch(
                "CAS",
                "Agence Casablanca Derb Sultan",
                "Casablanca",
                "Casablanca-Settat",
                0.08,
                1.4,
                2012,
            ),
            _branch("FES", "Agence Fès Médina", "Fès", "Fès-Meknès", 0.25, 1.1, 2013),
            _branch(
                "MRK",
                "Agence Marrakech Sidi Youssef",
                "Marrakech",
                "Marrakech-Safi",
                0.3,
                1.2,
                2014,
            ),
            _branch(
                "BML", "Agence Béni Mellal", "Béni Mellal", "Béni Mellal-Khénifra", 0.65, 0.9, 2016
            ),
            _branch("AGA", "Agence Agadir Inezgane", "Agadir", "Souss-Massa", 0.45, 1.0, 2015),
            _branch("OUJ", "Agence Oujda", "Oujda", "Oriental", 0.35, 0.7, 2018),
            _branch("TRD", "Agence Taroudant", "Taroudant", "Souss-Massa", 0.8, 0.7, 2019),
        ),
        clients=8_000,
        women_share=0.68,
        sectors={
            Sector.AGRICULTURE: 0.2,
            Sector.TRADE: 0.38,
            Sector.CRAFTS: 0.17,
            Sector.SERVICES: 0.15,
            Sector.HOUSING: 0.05,
            Sector.SOCIAL: 0.05,
        },
        contract_mix={
            ContractType.MURABAHA: 55,
            ContractType.QARD_HASSAN: 17,
            ContractType.IJARA: 6,
            ContractType.ISTISNA: 5,
            ContractType.IJARA_MUNTAHIA_BITTAMLEEK: 4,
            ContractType.MUSHARAKA: 4,
            ContractType.MUDARABA: 4,
            ContractType.DIMINISHING_MUSHARAKA: 3,
        },
        farmer_salam_weight=40,
        seasons=(
            SalamSeason("Blé dur", 10, 6, 4.20),
            SalamSeason("Orge", 10, 5, 3.10),
        ),
        median_amount=8_000,
        amount_step=100,
        minimum_charge=20,
        household_mean=4.6,
        behaviour=(0.79, 0.13, 0.08),
        clients_per_officer=320,
        women_staff_share=0.46,
        monthly_salary=11_000,
        funding=FundingProfile(
            equity_share=0.35,
            third_party_rate=5.5,
            yearly_donation_share=0.01,
            donated_equity_share=0.6,
        ),
        suppliers=(
            "Société Atlas Équipement",
            "Comptoir Souss Matériel",
            "Ets. Fès Textile",
            "Dar Al Hiraf SARL",
            "Maroc Agri Distribution",
        ),
        period_statuses=(LOCKED, LOCKED, LOCKED, LOCKED, LOCKED, APPROVED, APPROVED, SUBMITTED),
        return_reason="",
    ),
    InstitutionProfile(
        number=2,
        code="rahma",
        prefix="RHM",
        name_en="Rahma Islamic Finance Mutual",
        name_fr="Mutuelle Rahma de Finance Islamique",
        name_ar="",
        country="SN",
        currency="XOF",
        legal_form=Institution.LegalForm.COOPERATIVE,
        deposit_taking=True,
        fiscal_year_start_month=1,
        maturity_stage=Institution.MaturityStage.ECONOMIC_EMPOWERMENT,
        transition_phase=4,
        mission_statement=(
            "Mobiliser l'épargne de nos membres et financer, selon les principes de la finance "
            "islamique, les activités agricoles et commerciales des ménages ruraux du Sénégal, "
            "en priorité celles des femmes."
        ),
        language="fr",
        branches=(
            _branch("DKR", "Agence de Dakar Pikine", "Dakar", "Dakar", 0.05, 1.2, 2014),
            _branch("THS", "Agence de Thiès", "Thiès", "Thiès", 0.35, 1.0, 2015),
            _branch("KLK", "Agence de Kaolack", "Kaolack", "Kaolack", 0.65, 1.1, 2016),
            _branch("TBA", "Agence de Touba", "Touba", "Diourbel", 0.5, 0.9, 2017),
            _branch("STL", "Agence de Saint-Louis", "Saint-Louis", "Saint-Louis", 0.45, 0.7, 2018),
            _branch("ZIG", "Agence de Ziguinchor", "Ziguinchor", "Ziguinchor", 0.6, 0.6, 2020),
        ),
        clients=4_500,
        women_share=0.74,
        sectors={
            Sector.AGRICULTURE: 0.3,
            Sector.TRADE: 0.4,
            Sector.CRAFTS: 0.1,
            Sector.SERVICES: 0.12,
            Sector.HOUSING: 0.03,
            Sector.SOCIAL: 0.05,
        },
        contract_mix={
            ContractType.MURABAHA: 55,
            ContractType.QARD_HASSAN: 15,
            ContractType.IJARA: 8,
            ContractType.ISTISNA: 5,
            ContractType.MUSHARAKA: 7,
            ContractType.MUDARABA: 10,
        },
        farmer_salam_weight=60,
        seasons=(
            SalamSeason("Arachide", 6, 11, 300),
            SalamSeason("Mil", 6, 10, 250),
        ),
        median_amount=350_000,
        amount_step=5_000,
        minimum_charge=1_000,
        household_mean=7.5,
        behaviour=(0.76, 0.15, 0.09),
        clients_per_officer=280,
        women_staff_share=0.4,
        monthly_salary=380_000,
        funding=FundingProfile(
            equity_share=0.2,
            deposit_share=0.45,
            mudaraba_share=0.15,
            third_party_rate=6.0,
            yearly_donation_share=0.003,
            donated_equity_share=0.3,
        ),
        suppliers=(
            "Ets. Ndiaye et Frères",
            "Comptoir Kaolack Agri",
            "Sahel Équipement SARL",
            "Quincaillerie Touba Darou Salam",
        ),
        period_statuses=(LOCKED, LOCKED, LOCKED, LOCKED, LOCKED, LOCKED, APPROVED, RETURNED),
        return_reason=(
            "Les dépôts du bilan ne correspondent pas au grand livre de l'épargne (écart de "
            "12 400 000 XOF). Merci de rapprocher les deux et de soumettre à nouveau."
        ),
    ),
    InstitutionProfile(
        number=3,
        code="yusr",
        prefix="YSR",
        name_en="Al Yusr Islamic Microfinance Company",
        name_fr="",
        name_ar="شركة اليسر للتمويل الإسلامي الأصغر",
        country="JO",
        currency="JOD",
        legal_form=Institution.LegalForm.FINANCE_COMPANY,
        deposit_taking=False,
        fiscal_year_start_month=1,
        maturity_stage=Institution.MaturityStage.ECONOMIC_EMPOWERMENT,
        transition_phase=5,
        mission_statement=(
            "To empower low-income women and youth in Jordan's governorates with Shariah-"
            "compliant financing, asset ownership and business training that lift their "
            "households out of poverty."
        ),
        language="en",
        branches=(
            _branch("AMM", "Amman East Branch", "Amman", "Amman", 0.05, 1.3, 2011),
            _branch("ZRQ", "Zarqa Branch", "Zarqa", "Zarqa", 0.15, 1.1, 2012),
            _branch("IRB", "Irbid Branch", "Irbid", "Irbid", 0.4, 1.0, 2013),
            _branch("MFQ", "Mafraq Branch", "Mafraq", "Mafraq", 0.7, 0.7, 2016),
            _branch("KRK", "Karak Branch", "Karak", "Karak", 0.6, 0.6, 2018),
        ),
        clients=3_500,
        women_share=0.62,
        sectors={
            Sector.AGRICULTURE: 0.08,
            Sector.TRADE: 0.4,
            Sector.CRAFTS: 0.15,
            Sector.SERVICES: 0.22,
            Sector.HOUSING: 0.1,
            Sector.SOCIAL: 0.05,
        },
        contract_mix={
            ContractType.MURABAHA: 50,
            ContractType.QARD_HASSAN: 10,
            ContractType.IJARA: 8,
            ContractType.IJARA_MUNTAHIA_BITTAMLEEK: 10,
            ContractType.ISTISNA: 6,
            ContractType.DIMINISHING_MUSHARAKA: 8,
            ContractType.MUSHARAKA: 4,
            ContractType.MUDARABA: 4,
        },
        farmer_salam_weight=0,
        seasons=(),
        median_amount=900,
        amount_step=10,
        minimum_charge=2,
        household_mean=5.2,
        behaviour=(0.84, 0.11, 0.05),
        clients_per_officer=350,
        women_staff_share=0.35,
        monthly_salary=950,
        funding=FundingProfile(
            equity_share=0.3,
            restricted_mudaraba_share=0.1,
            third_party_rate=6.5,
            tax_rate=0.2,
        ),
        suppliers=(
            "Al Hussein Trading Est.",
            "Irbid Equipment Co.",
            "Zarqa Motors",
            "Jordan Home Appliances",
        ),
        period_statuses=(LOCKED, LOCKED, LOCKED, LOCKED, LOCKED, APPROVED, APPROVED, DRAFT),
        return_reason="",
    ),
    InstitutionProfile(
        number=4,
        code="sabuj",
        prefix="SBJ",
        name_en="Sabuj Islamic Microfinance Foundation",
        name_fr="",
        name_ar="",
        country="BD",
        currency="BDT",
        legal_form=Institution.LegalForm.FOUNDATION,
        deposit_taking=True,
        fiscal_year_start_month=7,
        maturity_stage=Institution.MaturityStage.SHARIAH_COMPLIANT,
        transition_phase=2,
        mission_statement=(
            "To bring interest-free and profit-sharing finance, savings and skills training to "
            "landless and marginal farming households of northern Bangladesh, above all to the "
            "women who run them."
        ),
        language="en",
        branches=(
            _branch("DHK", "Dhaka Mirpur Branch", "Dhaka", "Dhaka", 0.05, 1.0, 2010),
            _branch("GZP", "Gazipur Branch", "Gazipur", "Dhaka", 0.3, 0.9, 2012),
            _branch("MYM", "Mymensingh Branch", "Mymensingh", "Mymensingh", 0.6, 1.0, 2013),
            _branch("BOG", "Bogura Branch", "Bogura", "Rajshahi", 0.7, 1.1, 2014),
            _branch("RNG", "Rangpur Branch", "Rangpur", "Rangpur", 0.75, 1.0, 2015),
            _branch("RAJ", "Rajshahi Branch", "Rajshahi", "Rajshahi", 0.55, 0.9, 2016),
            _branch("KHL", "Khulna Branch", "Khulna", "Khulna", 0.45, 0.8, 2017),
            _branch("SYL", "Sylhet Branch", "Sylhet", "Sylhet", 0.5, 0.7, 2019),
        ),
        clients=7_000,
        women_share=0.72,
        sectors={
            Sector.AGRICULTURE: 0.35,
            Sector.TRADE: 0.3,
            Sector.CRAFTS: 0.15,
            Sector.SERVICES: 0.12,
            Sector.HOUSING: 0.03,
            Sector.SOCIAL: 0.05,
        },
        contract_mix={
            ContractType.MURABAHA: 50,
            ContractType.QARD_HASSAN: 14,
            ContractType.IJARA: 8,
            ContractType.IJARA_MUNTAHIA_BITTAMLEEK: 6,
            ContractType.ISTISNA: 5,
            ContractType.MUSHARAKA: 6,
            ContractType.MUDARABA: 5,
            ContractType.DIMINISHING_MUSHARAKA: 6,
        },
        farmer_salam_weight=35,
        seasons=(
            SalamSeason("Aman paddy", 7, 12, 32),
            SalamSeason("Boro paddy", 12, 5, 30),
        ),
        median_amount=40_000,
        amount_step=500,
        minimum_charge=100,
        household_mean=4.9,
        behaviour=(0.82, 0.12, 0.06),
        clients_per_officer=300,
        women_staff_share=0.3,
        monthly_salary=45_000,
        funding=FundingProfile(
            equity_share=0.25,
            deposit_share=0.35,
            third_party_rate=5.0,
            yearly_donation_share=0.005,
            donated_equity_share=0.5,
        ),
        suppliers=(
            "Padma Traders",
            "Bogura Agro Machinery",
            "Jamuna Electric House",
            "Karatoa Cycle Store",
        ),
        period_statuses=(LOCKED, LOCKED, LOCKED, LOCKED, LOCKED, LOCKED, APPROVED, APPROVED),
        return_reason="",
    ),
)
DEMO_CODES: tuple[str, ...] = tuple(profile.code for profile in PROFILES)

#: Texts shown on contracts, in the institution's working language.
PURPOSES: dict[str, dict[ContractType, tuple[str, ...]]] = {
    "fr": {
        ContractType.MURABAHA: (
            "Achat de marchandises",
            "Machine à coudre",
            "Stock de tissus",
            "Matériel de coiffure",
            "Réfrigérateur commercial",
            "Aliments pour bétail",
        ),
        ContractType.SALAM: ("Préfinancement de la récolte",),
        ContractType.ISTISNA: (
            "Fabrication d'une serre",
            "Construction d'une boutique",
            "Fabrication d'un métier à tisser",
        ),
        ContractType.IJARA: (
            "Location d'un motoculteur",
            "Location d'un four professionnel",
            "Location d'un triporteur",
        ),
        ContractType.IJARA_MUNTAHIA_BITTAMLEEK: (
            "Véhicule utilitaire en location-vente",
            "Équipement de boulangerie en location-vente",
        ),
        ContractType.QARD_HASSAN: (
            "Frais de scolarité",
            "Soins de santé",
            "Urgence familiale",
            "Petit fonds de roulement",
        ),
        ContractType.MUSHARAKA: (
            "Commerce de bétail en partenariat",
            "Atelier de couture en partenariat",
        ),
        ContractType.MUDARABA: ("Commerce de fruits et légumes", "Négoce de céréales"),
        ContractType.DIMINISHING_MUSHARAKA: (
            "Acquisition d'un local commercial",
            "Achat d'un véhicule de transport",
        ),
    },
    "en": {
        ContractType.MURABAHA: (
            "Stock of goods",
            "Sewing machine",
            "Fabric stock",
            "Hairdressing equipment",
            "Commercial refrigerator",
            "Livestock feed",
        ),
        ContractType.SALAM: ("Pre-harvest financing",),
        ContractType.ISTISNA: ("Greenhouse construction", "Shop construction", "Loom manufacture"),
        ContractType.IJARA: ("Power tiller lease", "Commercial oven lease", "Cargo tricycle lease"),
        ContractType.IJARA_MUNTAHIA_BITTAMLEEK: (
            "Pick-up van, lease to own",
            "Bakery equipment, lease to own",
        ),
        ContractType.QARD_HASSAN: (
            "School fees",
            "Health care",
            "Family emergency",
            "Small working capital",
        ),
        ContractType.MUSHARAKA: ("Livestock trading partnership", "Tailoring workshop partnership"),
        ContractType.MUDARABA: ("Fruit and vegetable trade", "Grain trading"),
        ContractType.DIMINISHING_MUSHARAKA: (
            "Shop premises purchase",
            "Transport vehicle purchase",
        ),
    },
}
PRODUCT_NAMES: dict[str, dict[ContractType, str]] = {
    "fr": {
        ContractType.MURABAHA: "Mourabaha Tijara",
        ContractType.SALAM: "Salam Récolte",
        ContractType.ISTISNA: "Istisna Construction",
        ContractType.IJARA: "Ijara Équipement",
        ContractType.IJARA_MUNTAHIA_BITTAMLEEK: "Ijara Tamlik (location-vente)",
        ContractType.QARD_HASSAN: "Qard Hassan Social",
        ContractType.MUSHARAKA: "Moucharaka Projet",
        ContractType.MUDARABA: "Moudaraba Commerce",
        ContractType.DIMINISHING_MUSHARAKA: "Moucharaka Dégressive",
    },
    "en": {
        ContractType.MURABAHA: "Murabaha Business",
        ContractType.SALAM: "Salam Harvest",
        ContractType.ISTISNA: "Istisna Build",
        ContractType.IJARA: "Ijara Equipment",
        ContractType.IJARA_MUNTAHIA_BITTAMLEEK: "Ijara Lease-to-Own",
        ContractType.QARD_HASSAN: "Qard Hassan Welfare",
        ContractType.MUSHARAKA: "Musharaka Venture",
        ContractType.MUDARABA: "Mudaraba Trade",
        ContractType.DIMINISHING_MUSHARAKA: "Diminishing Musharaka Home & Shop",
    },
}
PRODUCT_CODES: dict[ContractType, str] = {
    ContractType.MURABAHA: "MRB",
    ContractType.SALAM: "SLM",
    ContractType.ISTISNA: "IST",
    ContractType.IJARA: "IJR",
    ContractType.IJARA_MUNTAHIA_BITTAMLEEK: "IMB",
    ContractType.QARD_HASSAN: "QRD",
    ContractType.MUSHARAKA: "MSH",
    ContractType.MUDARABA: "MDR",
    ContractType.DIMINISHING_MUSHARAKA: "DMS",
}
RESCHEDULING_REASONS: dict[str, tuple[str, ...]] = {
    "fr": (
        "Mauvaise récolte",
        "Maladie dans le ménage",
        "Baisse d'activité saisonnière",
        "Perte de marchandises",
    ),
    "en": ("Poor harvest", "Illness in the household", "Seasonal slowdown", "Loss of stock"),
}
CREDIT_COMMITTEE = {"fr": "Comité de crédit", "en": "Credit committee"}
WRITE_OFF_REASON = {
    "fr": "Impayé depuis plus de 180 jours, recouvrement amiable épuisé.",
    "en": "More than 180 days past due; amicable recovery exhausted.",
}

#: Country reference data for 2024, 2025, 2026: (exchange rate per USD, GNI and GDP per
#: capita in USD, market rate of conventional microloans in % a year). Illustrative values.
REFERENCE_VALUES: dict[str, tuple[tuple[float, float, float, float], ...]] = {
    "MA": ((10.00, 3720, 3950, 28), (9.60, 3890, 4150, 28), (9.20, 4050, 4300, 27)),
    "SN": ((610.0, 1640, 1720, 27), (590.0, 1720, 1790, 27), (565.0, 1800, 1870, 26)),
    "JO": ((0.709, 4540, 4480, 24), (0.709, 4680, 4620, 24), (0.709, 4800, 4750, 23)),
    "BD": ((117.0, 2650, 2550, 24), (121.0, 2720, 2620, 24), (122.5, 2800, 2700, 24)),
}
REFERENCE_YEARS = (2024, 2025, 2026)


# --------------------------------------------------------------------------------------------
# Small vectorised draws
# --------------------------------------------------------------------------------------------


def _weights(options: Mapping[Any, float]) -> tuple[list[Any], Array]:
    labels = list(options)
    weights = np.array([options[label] for label in labels], dtype=float)
    return labels, weights / weights.sum()


def _pick(rng: np.random.Generator, options: Mapping[str, float], size: int) -> Array:
    """``size`` labels drawn from ``options`` (label → weight), as an object array."""
    labels, weights = _weights(options)
    return np.array(labels, dtype=object)[rng.choice(len(labels), size=size, p=weights)]


def _pick_where(
    rng: np.random.Generator,
    condition: Array,
    when_true: Mapping[str, float],
    when_false: Mapping[str, float],
) -> Array:
    size = len(condition)
    return np.where(condition, _pick(rng, when_true, size), _pick(rng, when_false, size))


def _chance(rng: np.random.Generator, probability: Array | float, size: int) -> Array:
    return rng.random(size) < probability


def _round_to(values: Array, step: int) -> Array:
    return np.maximum(np.rint(values / step), 1).astype(np.int64) * step


def _numbered(prefix: str, numbers: Array, width: int) -> Array:
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width)).astype(object)


def _texts(rng: np.random.Generator, choices: Sequence[str], size: int) -> Array:
    return np.array(choices, dtype=object)[rng.integers(0, len(choices), size)]


def _nullable_int(values: Array, present: Array) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), ~np.asarray(present))


def _nullable_bool(values: Array, present: Array) -> pd.arrays.BooleanArray:
    return pd.arrays.BooleanArray(np.asarray(values, dtype=bool), ~np.asarray(present))


def _group_starts(sizes: Array) -> Array:
    """Offset of each group's first row when groups of ``sizes`` rows are laid end to end."""
    return np.concatenate(([0], np.cumsum(sizes)[:-1]))


def _running_max_within(values: Array, groups: Array) -> Array:
    """Running maximum of ``values`` restarting at each group (rows sorted by group)."""
    span = int(values.max() - values.min()) + 1
    shifted = values - values.min() + groups.astype(np.int64) * span
    return np.maximum.accumulate(shifted) - groups.astype(np.int64) * span + values.min()


# --------------------------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------------------------

RURAL_POVERTY = {
    "extreme_poor": 0.18,
    "poor": 0.37,
    "vulnerable": 0.28,
    "non_poor": 0.12,
    "unknown": 0.05,
}
URBAN_POVERTY = {
    "extreme_poor": 0.07,
    "poor": 0.28,
    "vulnerable": 0.37,
    "non_poor": 0.23,
    "unknown": 0.05,
}
MEALS_BY_POVERTY = {
    "extreme_poor": 0.35,
    "poor": 0.7,
    "vulnerable": 0.9,
    "non_poor": 0.98,
    "unknown": 0.85,
}
HEALTH_CARE_BY_POVERTY = {
    "extreme_poor": 0.2,
    "poor": 0.45,
    "vulnerable": 0.7,
    "non_poor": 0.9,
    "unknown": 0.6,
}


def _draw_clients(
    profile: InstitutionProfile, rng: np.random.Generator, count: int
) -> pd.DataFrame:
    """Who the clients are, where they live, and when their first financing in the book starts."""
    history_start, data_date = day_number(HISTORY_START), day_number(DATA_DATE)
    branch_weights = np.array([branch.weight for branch in profile.branches])
    branch = rng.choice(len(profile.branches), size=count, p=branch_weights / branch_weights.sum())
    rural_share = np.array([branch.rural_share for branch in profile.branches])[branch]
    area_draw = rng.random(count)
    rural = area_draw < rural_share
    area = np.where(rural, "rural", np.where(area_draw < rural_share + 0.15, "peri_urban", "urban"))
    sector = _pick(rng, profile.sectors, count)
    sector[rural & _chance(rng, 0.3, count)] = Sector.AGRICULTURE

    returning = _chance(rng, RETURNING_SHARE, count)
    prior_cycles = np.where(returning, rng.integers(1, 6, count), 0)
    # New clients arrive at a rate growing linearly over the history (density ∝ 1 + t).
    span = data_date - history_start
    growth = np.sqrt(1 + 3 * rng.random(count)) - 1
    first_start = np.where(
        returning,
        history_start + rng.integers(0, 330, count),
        history_start + np.floor(span * growth).astype(np.int64),
    )
    earlier_start = first_start - prior_cycles * rng.integers(330, 420, count)
    age = np.clip(np.rint(rng.normal(36, 10, count)), 18, 68).astype(np.int64)

    poverty = _pick_where(rng, rural, RURAL_POVERTY, URBAN_POVERTY)
    # Clients enrolled before the application form asked these questions have no baseline.
    with_baseline = _chance(rng, np.where(returning, 0.7, 0.95), count)
    baseline = _household_baseline(profile, rng, rural=rural, poverty=poverty)
    has_debt = baseline.pop("has_debt")
    baseline["current_debt"] = np.where(has_debt, baseline["current_debt"], 0)
    answers = {}
    for column, values in baseline.items():
        if values.dtype == object:
            answers[column] = np.where(with_baseline, values, "")
        elif values.dtype == bool:
            answers[column] = _nullable_bool(values, with_baseline)
        else:
            answers[column] = _nullable_int(values, with_baseline)

    return pd.DataFrame(
        {
            "branch": branch,
            "gender": np.where(_chance(rng, profile.women_share, count), "female", "male"),
            "area": area,
            "poverty_status": poverty,
            "activity_sector": sector,
            "returning": returning,
            "prior_cycles": prior_cycles,
            "first_start": first_start,
            "earlier_start": earlier_start,
            "age": age,
            "behaviour": rng.choice(3, size=count, p=np.array(profile.behaviour)),
            "cycles": rng.geometric(1 - CONTINUE_PROBABILITY, count),
            **answers,
        }
    )


def _household_baseline(
    profile: InstitutionProfile, rng: np.random.Generator, *, rural: Array, poverty: Array
) -> dict[str, Array]:
    """The application form's household questions (guide-part1 §4.6), answered for everyone;
    the caller blanks them for the clients who have no baseline."""
    count = len(rural)
    household_size = 1 + rng.poisson(profile.household_mean - 1, count)
    meals = np.vectorize(MEALS_BY_POVERTY.get, otypes=[float])(poverty)
    health = np.vectorize(HEALTH_CARE_BY_POVERTY.get, otypes=[float])(poverty)
    return {
        "education_level": _pick(
            rng, {"none": 0.28, "primary": 0.38, "secondary": 0.26, "higher": 0.08}, count
        ),
        "household_size": household_size,
        "three_meals_a_day": _chance(rng, meals, count),
        "children_schooling": _pick(
            rng, {"all": 0.55, "some": 0.2, "none": 0.07, "not_applicable": 0.18}, count
        ),
        "dwelling_type": _pick_where(
            rng,
            rural,
            {"owned_solid": 0.4, "owned_precarious": 0.35, "rented": 0.1, "shared": 0.15},
            {"owned_solid": 0.35, "owned_precarious": 0.1, "rented": 0.4, "shared": 0.15},
        ),
        "number_of_beds": 1 + rng.binomial(household_size, 0.35),
        "toilet": _pick_where(
            rng,
            rural,
            {"private_flush": 0.25, "private_pit": 0.45, "shared": 0.15, "none": 0.15},
            {"private_flush": 0.65, "private_pit": 0.15, "shared": 0.17, "none": 0.03},
        ),
        "energy_source": _pick_where(
            rng,
            rural,
            {"grid": 0.6, "solar": 0.15, "gas": 0.1, "wood_charcoal": 0.14, "none": 0.01},
            {"grid": 0.9, "solar": 0.02, "gas": 0.06, "wood_charcoal": 0.02},
        ),
        "owns_land": _chance(rng, np.where(rural, 0.5, 0.08), count),
        "owns_livestock": _chance(rng, np.where(rural, 0.45, 0.05), count),
        "owns_poultry": _chance(rng, np.where(rural, 0.6, 0.1), count),
        "means_of_transport": _pick_where(
            rng,
            rural,
            {"none": 0.35, "bicycle": 0.25, "animal": 0.2, "motorcycle": 0.17, "car": 0.03},
            {"none": 0.5, "bicycle": 0.2, "motorcycle": 0.24, "car": 0.06},
        ),
        "affords_health_care": _chance(rng, health, count),
        "has_bank_account": _chance(rng, np.where(rural, 0.2, 0.4), count),
        "has_debt": _chance(rng, 0.3, count),
        "current_debt": _round_to(
            profile.median_amount * 0.5 * rng.lognormal(0, 0.6, count), profile.amount_step
        )
        * 100,
        "financially_literate": _chance(rng, 0.45, count),
        "needs_training": _chance(rng, 0.6, count),
    }


# --------------------------------------------------------------------------------------------
# Contracts: cycles, dates and amounts
# --------------------------------------------------------------------------------------------


def _draw_contract_types(
    profile: InstitutionProfile, rng: np.random.Generator, farmer: Array
) -> Array:
    """Each financing's contract type (an index into CONTRACT_TYPES) from the product mix;
    salam is offered to farmers only."""
    mix = np.array([profile.contract_mix.get(kind, 0.0) for kind in CONTRACT_TYPES])
    farmer_mix = mix.copy()
    farmer_mix[SALAM] += profile.farmer_salam_weight if profile.seasons else 0.0
    size = len(farmer)
    others = rng.choice(len(mix), size=size, p=mix / mix.sum())
    farmers = rng.choice(len(mix), size=size, p=farmer_mix / farmer_mix.sum())
    return np.where(farmer, farmers, others)


def _draw_term_months(rng: np.random.Generator, kind: Array) -> Array:
    months = np.zeros(len(kind), dtype=np.int64)
    for contract_type, terms in TERMS.items():
        rows = np.flatnonzero(kind == TYPE_INDEX[contract_type])
        if terms.months and rows.size:
            months[rows] = rng.choice(terms.months, size=rows.size, p=terms.month_weights)
    return months


def _salam_dates(
    profile: InstitutionProfile, rng: np.random.Generator, start: Array
) -> tuple[Array, Array, Array]:
    """Signing date (the first day of the season's signing window not before ``start``), delivery
    date at the next harvest, and the season of each salam."""
    season = rng.integers(0, len(profile.seasons), len(start))
    signing_month = np.array([s.signing_month for s in profile.seasons])[season]
    delivery_month = np.array([s.delivery_month for s in profile.seasons])[season]
    month = _month_index(start)
    month_of_year = month % 12 + 1
    into_window = (month_of_year - signing_month) % 12
    in_window = into_window < 2
    window_start = np.where(in_window, month - into_window, month + (12 - into_window) % 12)
    signed = np.maximum(start, _month_start(window_start) + rng.integers(0, 45, len(start)))
    months_to_harvest = (delivery_month - signing_month) % 12
    delivery = _month_start(window_start + months_to_harvest) + rng.integers(9, 28, len(start))
    return signed, delivery, season


def _draw_cycle(
    profile: InstitutionProfile,
    rng: np.random.Generator,
    clients: Array,
    start: Array,
    farmer: Array,
) -> pd.DataFrame:
    """One financing for each of ``clients``, starting on or after ``start``: its type, its dates
    and the shape of its schedule (``n`` instalments every ``interval`` months from
    ``first_offset`` months after ``anchor``; a salam's single instalment is its delivery)."""
    size = len(clients)
    kind = _draw_contract_types(profile, rng, farmer)
    months = _draw_term_months(rng, kind)
    contract_date = start.copy()
    delivery = np.full(size, -1, dtype=np.int64)
    season = np.full(size, -1, dtype=np.int64)
    salam = np.flatnonzero(kind == SALAM)
    if salam.size:
        contract_date[salam], delivery[salam], season[salam] = _salam_dates(
            profile, rng, start[salam]
        )

    def gap(low: int, high: int) -> Array:
        return rng.integers(low, high + 1, size)

    disbursement_gap = np.select(
        [kind == SALAM, kind == MURABAHA, kind == QARD_HASSAN, kind == ISTISNA],
        [0, gap(0, 3), gap(0, 2), gap(0, 7)],
        gap(0, 5),
    )
    disbursement = contract_date + disbursement_gap
    lease = (kind == IJARA) | (kind == IJARA_MB)
    delivery = np.select(
        [kind == MURABAHA, lease, kind == ISTISNA],
        [contract_date + gap(0, 3), disbursement + gap(0, 7), disbursement + gap(45, 120)],
        delivery,
    )
    rent_start = np.where(lease, delivery + gap(0, 3), -1)
    anchor = np.select([lease, kind == ISTISNA], [rent_start, delivery], disbursement)

    equity = (kind == MUSHARAKA) | (kind == MUDARABA)
    bullet = equity & _chance(rng, 0.5, size)
    quarterly = equity & ~bullet
    n = np.select([kind == SALAM, bullet, quarterly], [1, 1, months // 3], months)
    interval = np.select([bullet, quarterly], [months, 3], 1)
    first_offset = np.select([bullet, quarterly], [months, 3], 1)
    last_due = _months_later(anchor, first_offset + (n - 1) * interval)
    maturity = np.where(kind == SALAM, delivery, last_due)
    return pd.DataFrame(
        {
            "client": clients,
            "kind": kind,
            "months": months,
            "contract_date": contract_date,
            "disbursement_date": disbursement,
            "delivery_date": delivery,
            "rent_start_date": rent_start,
            "season": season,
            "anchor": anchor,
            "first_offset": first_offset,
            "interval": interval,
            "n": n,
            "maturity_date": maturity,
        }
    )


def _draw_contracts(
    profile: InstitutionProfile, rng: np.random.Generator, clients: pd.DataFrame
) -> pd.DataFrame:
    """Every client's successive financings up to the data date, ordered by contract date."""
    data_date = day_number(DATA_DATE)
    start = clients["first_start"].to_numpy().copy()
    cycles = clients["cycles"].to_numpy()
    farmer = (clients["activity_sector"] == Sector.AGRICULTURE).to_numpy()
    pieces = []
    for cycle in range(MAX_CYCLES):
        who = np.flatnonzero((cycle < cycles) & (start <= data_date))
        if not who.size:
            break
        piece = _draw_cycle(profile, rng, who, start[who], farmer[who])
        piece = piece[piece["contract_date"].to_numpy() <= data_date].assign(cycle=cycle)
        pieces.append(piece)
        start[:] = NEVER
        start[piece["client"].to_numpy()] = piece["maturity_date"].to_numpy() + rng.integers(
            0, 46, len(piece)
        )
    contracts = pd.concat(pieces, ignore_index=True)
    last = contracts.groupby("client")["cycle"].transform("max").to_numpy()
    contracts["is_last"] = contracts["cycle"].to_numpy() == last
    contracts = contracts.sort_values(["contract_date", "client"], kind="stable", ignore_index=True)
    prior = clients["prior_cycles"].to_numpy()[contracts["client"].to_numpy()]
    contracts["cycle_number"] = prior + contracts["cycle"].to_numpy() + 1
    return contracts


def _price_contracts(
    profile: InstitutionProfile, rng: np.random.Generator, contracts: pd.DataFrame
) -> None:
    """Financed amount (cents), rates and shares, in place. Percentages are scaled by 10⁴."""
    size = len(contracts)
    kind = contracts["kind"].to_numpy()
    cycle_growth = np.minimum(1 + 0.12 * (contracts["cycle_number"].to_numpy() - 1), 1.8)
    factor = np.array([TERMS[contract_type].amount_factor for contract_type in CONTRACT_TYPES])
    target = (
        profile.median_amount
        * factor[kind]
        * cycle_growth
        * np.clip(rng.lognormal(0, 0.45, size), 0.3, 4)
    )
    financed = _round_to(target, profile.amount_step) * 100
    salam = kind == SALAM
    if salam.any():
        price = np.array([s.price_per_kg for s in profile.seasons])[
            np.maximum(contracts["season"].to_numpy(), 0)
        ]
        kilograms = np.maximum(np.rint(target / price / 10), 10) * 10
        contracts["commodity_quantity"] = (kilograms * 1000).astype(np.int64)
        financed = np.where(salam, np.rint(kilograms * price * 100).astype(np.int64), financed)
    contracts["financed_amount"] = financed

    low = np.array([TERMS[t].rate[0] for t in CONTRACT_TYPES])[kind]
    high = np.array([TERMS[t].rate[1] for t in CONTRACT_TYPES])[kind]
    rate = np.round(rng.uniform(low, high), 2)
    contracts["rate"] = rate
    equity = (kind == MUSHARAKA) | (kind == MUDARABA) | (kind == DIMINISHING)
    capital_share = np.select(
        [kind == MUSHARAKA, kind == DIMINISHING],
        [rng.uniform(0.2, 0.5, size), rng.uniform(0.1, 0.3, size)],
        0.0,
    )
    client_capital = (
        _round_to(financed / 100 * capital_share / (1 - capital_share), profile.amount_step) * 100
    )
    contracts["client_capital"] = np.where(kind == MUDARABA, 0, client_capital)
    institution_share = np.select(
        [kind == MUSHARAKA, kind == MUDARABA, kind == DIMINISHING],
        [
            rng.integers(40, 71, size),
            rng.integers(30, 51, size),
            np.rint(100 * (1 - capital_share)),
        ],
        0,
    ).astype(np.int64)
    contracts["institution_share"] = np.where(equity, institution_share, -1)
    contracts["expected_roi"] = np.select(
        [kind == DIMINISHING, equity], [np.round(rng.uniform(14, 20, size), 2), rate], -1
    )


def _flat_profit(contracts: pd.DataFrame) -> Array:
    """Profit (cents) of every contract except diminishing musharaka, whose rent comes from its
    schedule: flat markup or rent margin, the institution's share of the expected profit of a
    partnership, nothing on qard hassan and salam."""
    kind = contracts["kind"].to_numpy()
    financed = contracts["financed_amount"].to_numpy()
    years = contracts["months"].to_numpy() / 12
    rate = contracts["rate"].to_numpy() / 100
    partnership = (kind == MUSHARAKA) | (kind == MUDARABA)
    capital = financed + contracts["client_capital"].to_numpy()
    share = contracts["institution_share"].to_numpy() / 100
    profit = np.where(partnership, capital * rate * years * share, financed * rate * years)
    no_profit = (kind == QARD_HASSAN) | (kind == SALAM) | (kind == DIMINISHING)
    profit = np.where(no_profit, 0, np.rint(profit)).astype(np.int64)
    return profit


# --------------------------------------------------------------------------------------------
# Schedules and events
# --------------------------------------------------------------------------------------------


def _choose_reschedulings(
    rng: np.random.Generator, contracts: pd.DataFrame, clients: pd.DataFrame
) -> tuple[Array, Array, Array]:
    """Which contracts are rescheduled: from which instalment, when, and by how many months.
    ``from_instalment`` is 0 for contracts that are not rescheduled."""
    size = len(contracts)
    kind = contracts["kind"].to_numpy()
    n = contracts["n"].to_numpy()
    behaviour = clients["behaviour"].to_numpy()[contracts["client"].to_numpy()]
    candidate = (
        (behaviour == IRREGULAR)
        & contracts["is_last"].to_numpy()
        & DEBT_TYPE_MASK[kind]
        & (kind != SALAM)
        & (n >= 6)
        & _chance(rng, 0.2, size)
    )
    from_instalment = rng.integers(2, np.maximum(n, 3))
    original_due = _months_later(
        contracts["anchor"].to_numpy(),
        contracts["first_offset"].to_numpy()
        + (from_instalment - 1) * contracts["interval"].to_numpy(),
    )
    date = original_due + rng.integers(15, 46, size)
    rescheduled = candidate & (date <= day_number(DATA_DATE))
    extension = rng.choice([2, 3, 4, 6], size=size)
    return np.where(rescheduled, from_instalment, 0), date, extension


def _build_schedules(
    contracts: pd.DataFrame, reschedule_from: Array, extension: Array
) -> pd.DataFrame:
    """Every instalment, in contract order. Principal and profit are split evenly with the
    remainder on the last instalment; diminishing musharaka rent is charged monthly on the
    institution's remaining share. Sets ``profit_amount`` and ``maturity_date`` on contracts."""
    n = contracts["n"].to_numpy()
    contract = np.repeat(np.arange(len(contracts)), n)
    number = np.arange(len(contract)) - np.repeat(_group_starts(n), n) + 1
    last = number == n[contract]
    kind = contracts["kind"].to_numpy()[contract]

    shift = np.where(
        (reschedule_from[contract] > 0) & (number >= reschedule_from[contract]),
        extension[contract],
        0,
    )
    due = _months_later(
        contracts["anchor"].to_numpy()[contract],
        contracts["first_offset"].to_numpy()[contract]
        + (number - 1) * contracts["interval"].to_numpy()[contract]
        + shift,
    )
    due = np.where(kind == SALAM, contracts["delivery_date"].to_numpy()[contract], due)

    financed = contracts["financed_amount"].to_numpy()
    principal = _split_evenly(financed, n, contract, last)
    profit = _split_evenly(_flat_profit(contracts), n, contract, last)
    # Diminishing musharaka: rent on the institution's share still held before each buy-out.
    repaid_before = np.cumsum(principal) - principal
    repaid_before -= np.repeat(repaid_before[_group_starts(n)], n)
    remaining = financed[contract] - repaid_before
    monthly_rent = contracts["rate"].to_numpy()[contract] / 100 / 12
    profit = np.where(kind == DIMINISHING, np.rint(remaining * monthly_rent), profit).astype(
        np.int64
    )

    contracts["profit_amount"] = np.bincount(contract, weights=profit, minlength=len(n)).astype(
        np.int64
    )
    contracts["maturity_date"] = np.where(
        kind[last] == SALAM, contracts["maturity_date"].to_numpy(), due[last]
    )
    return pd.DataFrame(
        {
            "contract": contract,
            "number": number,
            "due_date": due,
            "principal_due": principal,
            "profit_due": profit,
        }
    )


def _split_evenly(total: Array, parts: Array, contract: Array, last: Array) -> Array:
    share = total // parts
    split = share[contract].copy()
    split[last] += (total - share * parts)[contract[last]]
    return split


def _simulate_settlement(
    rng: np.random.Generator,
    contracts: pd.DataFrame,
    schedule: pd.DataFrame,
    behaviour: Array,
    reschedule_from: Array,
) -> pd.DataFrame:
    """When each instalment is settled (``settled``; NEVER if not), and whether part of it is
    paid earlier (``part_date``, ``part_fraction``), before the data date is applied."""
    size = len(schedule)
    contract = schedule["contract"].to_numpy()
    number = schedule["number"].to_numpy()
    due = schedule["due_date"].to_numpy()
    n = contracts["n"].to_numpy()
    kind_of = behaviour[contract]
    # After a rescheduling the client pays on time.
    kind_of = np.where(
        (reschedule_from[contract] > 0) & (number >= reschedule_from[contract]), GOOD, kind_of
    )

    draw = rng.random(size)
    early = rng.integers(0, 4, size)
    good_delay = np.where(draw < 0.97, -early, rng.integers(1, 16, size))
    late_delay = np.minimum(np.ceil(rng.exponential(25, size)), 200).astype(np.int64)
    irregular_delay = np.where(draw < 0.45, -np.minimum(early, 2), late_delay)
    settled = due + np.where(kind_of == GOOD, good_delay, irregular_delay)
    principal_due = schedule["principal_due"].to_numpy()
    split = (kind_of != GOOD) & (draw >= 0.95) & (principal_due >= 100)
    part_date = due + rng.integers(0, 11, size)
    settled = np.where(
        split, part_date + np.minimum(np.ceil(rng.exponential(40, size)), 150), settled
    )

    # Defaulters stop paying from a random instalment of their last financing.
    default_from = np.where(
        (behaviour == DEFAULTER) & contracts["is_last"].to_numpy(), rng.integers(1, n + 1), 0
    )[contract]
    defaulted = (default_from > 0) & (number >= default_from)
    first_default = (default_from > 0) & (number == default_from)
    settled = np.where(defaulted, NEVER, settled)
    split = np.where(
        defaulted, first_default & _chance(rng, 0.3, size) & (principal_due >= 100), split
    )
    part_date = np.where(defaulted, due + rng.integers(0, 21, size), part_date)

    settled = np.maximum(settled, contracts["disbursement_date"].to_numpy()[contract])
    settled = _running_max_within(settled, contract)
    return pd.DataFrame(
        {
            "settled": settled,
            "part_date": np.where(split, np.minimum(part_date, settled), NEVER),
            "part_fraction": np.where(split, np.round(rng.uniform(0.3, 0.7, size), 2), 0.0),
        }
    )


def _write_off_dates(
    rng: np.random.Generator, schedule: pd.DataFrame, settled: Array, contracts: pd.DataFrame
) -> Array:
    """Write-off date of each contract (NEVER if not written off by the data date): 181–240
    days after the oldest instalment that was never settled fell due."""
    size = len(contracts)
    contract = schedule["contract"].to_numpy()
    never = np.flatnonzero(settled >= NEVER)
    oldest = np.full(size, NEVER, dtype=np.int64)
    unpaid_contracts, first = np.unique(contract[never], return_index=True)
    oldest[unpaid_contracts] = schedule["due_date"].to_numpy()[never[first]]
    written_off = oldest + rng.integers(181, 241, size)
    return np.where(written_off <= day_number(DATA_DATE), written_off, NEVER)


def _apply_data_date(
    schedule: pd.DataFrame, settlement: pd.DataFrame, horizon: Array
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What is known on each contract's horizon (the data date, or the write-off date): the
    instalments' paid columns, and the repayment rows (one per payment, in contract order)."""
    contract = schedule["contract"].to_numpy()
    limit = horizon[contract]
    settled = settlement["settled"].to_numpy()
    part_date = settlement["part_date"].to_numpy()
    fraction = settlement["part_fraction"].to_numpy()
    principal_due = schedule["principal_due"].to_numpy()
    profit_due = schedule["profit_due"].to_numpy()

    full = settled <= limit
    part = part_date <= limit
    part_principal = np.where(part, np.floor(principal_due * fraction), 0).astype(np.int64)
    part_profit = np.where(part, np.floor(profit_due * fraction), 0).astype(np.int64)
    schedule = schedule.assign(
        principal_paid=np.where(full, principal_due, part_principal),
        profit_paid=np.where(full, profit_due, part_profit),
        paid_date=_nullable_int(np.where(full, settled, 0), full),
    )

    rows = np.arange(len(schedule))
    parts = pd.DataFrame(
        {
            "instalment": rows[part],
            "value_date": part_date[part],
            "principal_amount": part_principal[part],
            "profit_amount": part_profit[part],
        }
    )
    rests = pd.DataFrame(
        {
            "instalment": rows[full],
            "value_date": settled[full],
            "principal_amount": (principal_due - part_principal)[full],
            "profit_amount": (profit_due - part_profit)[full],
        }
    )
    repayments = pd.concat([parts, rests], ignore_index=True)
    repayments["contract"] = contract[repayments["instalment"].to_numpy()]
    repayments = repayments.sort_values(
        ["contract", "value_date", "instalment"], kind="stable", ignore_index=True
    )
    return schedule, repayments


def _late_charges(
    profile: InstitutionProfile,
    rng: np.random.Generator,
    contracts: pd.DataFrame,
    schedule: pd.DataFrame,
    horizon: Array,
) -> pd.DataFrame:
    """A late-payment charge on half the instalments settled (or still unpaid at the horizon)
    more than 30 days after they fell due; collected with the instalment."""
    contract = schedule["contract"].to_numpy()
    due = schedule["due_date"].to_numpy()
    paid_date = schedule["paid_date"].to_numpy(dtype=np.int64, na_value=NEVER)
    charge_date = due + 30
    charged = (
        (np.minimum(paid_date, horizon[contract]) > charge_date)
        & (contracts["kind"].to_numpy()[contract] != QARD_HASSAN)
        & _chance(rng, 0.5, len(schedule))
    )
    instalment_total = (schedule["principal_due"] + schedule["profit_due"]).to_numpy()
    amount = np.maximum(
        np.rint(instalment_total * 0.02 / 100) * 100, profile.minimum_charge * 100
    ).astype(np.int64)
    collected = paid_date < NEVER
    return pd.DataFrame(
        {
            "contract": contract[charged],
            "date": charge_date[charged],
            "amount": amount[charged],
            "collected_on": _nullable_int(
                np.where(collected, paid_date, 0)[charged], collected[charged]
            ),
        }
    )


# --------------------------------------------------------------------------------------------
# Quarterly figures
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """The book at one quarter end and the flows of the quarter, per contract type (arrays of
    length len(CONTRACT_TYPES)) and in total."""

    outstanding: Array
    gross_receivable: Array
    financings: Array
    clients: Array
    par: dict[int, Array]
    restructured: Array
    restructured_in_arrears: Array
    written_off: Array
    disbursed: Array
    number_disbursed: Array
    active_clients: int
    allowance: int
    deferred_profit: int
    lease_outstanding: int
    profit_collected: int
    lease_principal_collected: int
    lease_profit_collected: int
    fees_collected: int
    late_charges_collected: int


#: PAR(n) counts financings more than this many days late (indicators/portfolio.py).
LATE_THRESHOLDS: dict[int, int] = {1: 0, 30: 30, 60: 60, 90: 90, 180: 180}
#: Impairment allowance: share of the outstanding provided when more than so many days late
#: (first match wins); current financings carry CURRENT_PROVISION.
PROVISIONING: tuple[tuple[int, float], ...] = ((180, 1.0), (90, 0.5), (30, 0.25), (0, 0.05))
CURRENT_PROVISION = 0.01


def _position(
    *,
    start: int,
    end: int,
    contracts: pd.DataFrame,
    schedule: pd.DataFrame,
    repayments: pd.DataFrame,
    late_charges: pd.DataFrame,
    write_off_date: Array,
    written_off_principal: Array,
    reschedule_date: Array,
) -> Position:
    """Figures for the quarter ``(start, end]`` (day numbers), computed as the indicator SQL
    computes them from the stored rows."""
    size = len(contracts)
    kind = contracts["kind"].to_numpy()
    financed = contracts["financed_amount"].to_numpy()
    disbursed = contracts["disbursement_date"].to_numpy()

    value_date = repayments["value_date"].to_numpy()
    paid_contract = repayments["contract"].to_numpy()
    by_end = value_date <= end
    in_quarter = by_end & (value_date > start)

    def per_contract(mask: Array, column: str) -> Array:
        weights = repayments[column].to_numpy()[mask]
        return np.rint(np.bincount(paid_contract[mask], weights=weights, minlength=size)).astype(
            np.int64
        )

    principal_paid = per_contract(by_end, "principal_amount")
    profit_paid = per_contract(by_end, "profit_amount")
    outstanding = financed - principal_paid
    in_book = (disbursed <= end) & (write_off_date > end) & (outstanding > 0)
    outstanding = np.where(in_book, outstanding, 0)
    receivable = np.where(
        DEBT_TYPE_MASK[kind],
        financed + contracts["profit_amount"].to_numpy() - principal_paid - profit_paid,
        outstanding,
    )
    receivable = np.where(in_book, receivable, 0)
    days_late = _days_late(schedule, end, size)
    rescheduled = in_book & (reschedule_date <= end)

    def by_type(values: Array, mask: Array | None = None) -> Array:
        weights = values if mask is None else np.where(mask, values, 0)
        return np.rint(np.bincount(kind, weights=weights, minlength=len(CONTRACT_TYPES))).astype(
            np.int64
        )

    client = contracts["client"].to_numpy()
    type_client = np.unique(kind[in_book] * (client.max() + 1) + client[in_book])
    written_off_now = (write_off_date > start) & (write_off_date <= end)
    disbursed_now = (disbursed > start) & (disbursed <= end)
    lease = ((kind == IJARA) | (kind == IJARA_MB))[paid_contract]
    sale_based = (kind == MURABAHA) | (kind == ISTISNA)
    charge_collected = late_charges["collected_on"].to_numpy(dtype=np.int64, na_value=NEVER)
    provision_rate = np.select(
        [days_late > threshold for threshold, _ in PROVISIONING],
        [rate for _, rate in PROVISIONING],
        CURRENT_PROVISION,
    )
    return Position(
        outstanding=by_type(outstanding),
        gross_receivable=by_type(receivable),
        financings=by_type(np.ones(size), in_book),
        clients=np.bincount(type_client // (client.max() + 1), minlength=len(CONTRACT_TYPES)),
        par={n: by_type(outstanding, days_late > days) for n, days in LATE_THRESHOLDS.items()},
        restructured=by_type(outstanding, rescheduled),
        restructured_in_arrears=by_type(outstanding, rescheduled & (days_late > 0)),
        written_off=by_type(written_off_principal, written_off_now),
        disbursed=by_type(financed, disbursed_now),
        number_disbursed=by_type(np.ones(size), disbursed_now),
        active_clients=len(np.unique(client[in_book])),
        allowance=int(np.rint((outstanding * provision_rate).sum())),
        deferred_profit=int((receivable - outstanding)[in_book & sale_based].sum()),
        lease_outstanding=int(outstanding[(kind == IJARA) | (kind == IJARA_MB)].sum()),
        profit_collected=int(repayments["profit_amount"].to_numpy()[in_quarter & ~lease].sum()),
        lease_principal_collected=int(
            repayments["principal_amount"].to_numpy()[in_quarter & lease].sum()
        ),
        lease_profit_collected=int(
            repayments["profit_amount"].to_numpy()[in_quarter & lease].sum()
        ),
        fees_collected=int(
            contracts["service_fee"].to_numpy(dtype=np.int64, na_value=0)[disbursed_now].sum()
        ),
        late_charges_collected=int(
            late_charges["amount"]
            .to_numpy()[(charge_collected > start) & (charge_collected <= end)]
            .sum()
        ),
    )


def _days_late(schedule: pd.DataFrame, end: int, size: int) -> Array:
    """Days late at ``end`` of each contract's oldest instalment due by then and not fully paid
    by then (0 when none)."""
    due = schedule["due_date"].to_numpy()
    paid_date = schedule["paid_date"].to_numpy(dtype=np.int64, na_value=NEVER)
    unpaid = np.flatnonzero((due <= end) & (paid_date > end))
    days_late = np.zeros(size, dtype=np.int64)
    late_contracts, first = np.unique(schedule["contract"].to_numpy()[unpaid], return_index=True)
    days_late[late_contracts] = end - due[unpaid[first]]
    return days_late


def _quarter_ends() -> list[tuple[int, int]]:
    """(previous quarter end, quarter end) as day numbers for every demo quarter."""
    windows = []
    for year, quarter in QUARTERS:
        start, end = quarter_bounds(year, quarter)
        windows.append((day_number(start) - 1, day_number(end)))
    return windows


def _summary_lines(positions: Sequence[Position], offered: Sequence[int]) -> pd.DataFrame:
    rows = []
    for period, position in enumerate(positions):
        for kind in offered:
            rows.append(
                {
                    "period": period,
                    "contract_type": CONTRACT_TYPES[kind].value,
                    "outstanding": position.outstanding[kind],
                    "gross_receivable": position.gross_receivable[kind],
                    "number_of_financings": position.financings[kind],
                    "active_clients": position.clients[kind],
                    **{f"par_{n}": position.par[n][kind] for n in LATE_THRESHOLDS},
                    "restructured_outstanding": position.restructured[kind],
                    "restructured_in_arrears": position.restructured_in_arrears[kind],
                    "written_off": position.written_off[kind],
                    "disbursed_amount": position.disbursed[kind],
                    "number_disbursed": position.number_disbursed[kind],
                }
            )
    return pd.DataFrame(rows)


def _financial_statements(
    profile: InstitutionProfile,
    rng: np.random.Generator,
    opening: Position,
    positions: Sequence[Position],
    staff: Array,
) -> pd.DataFrame:
    """Balance sheet and income statement of each quarter, in cents.

    Equity rolls forward with net income; third-party financing closes the funding gap so that
    cash stays near 10 % of the portfolio; the balance sheet balances to the cent.
    """
    funding = profile.funding
    rows = []
    previous_gfp = int(opening.outstanding.sum())
    previous_allowance = opening.allowance
    equity = round(previous_gfp * funding.equity_share)
    donated_equity = round(equity * funding.donated_equity_share)
    third_party = max(
        0,
        round(
            previous_gfp
            * (1.1 - funding.deposit_share - funding.mudaraba_share - funding.equity_share)
        ),
    )
    deposits = round(previous_gfp * funding.deposit_share)
    mudaraba = round(previous_gfp * funding.mudaraba_share)
    for period, position in enumerate(positions):
        gfp = int(position.outstanding.sum())
        quarter = QUARTERS[period][1]
        financing_income = (
            position.profit_collected
            + position.lease_principal_collected
            + position.lease_profit_collected
            + position.fees_collected
        )
        donations = round(gfp * funding.yearly_donation_share) if quarter == 1 else 0
        expenses = {
            "funding_expense_deposits": round(deposits * funding.deposit_rate / 400),
            "funding_expense_third_party": round(third_party * funding.third_party_rate / 400),
            "mudaraba_profit_distributed": round(mudaraba * funding.mudaraba_rate / 400),
            "provision_expense": max(
                0, position.allowance - previous_allowance + int(position.written_off.sum())
            ),
            "personnel_expense": round(
                staff[period] * profile.monthly_salary * 300 * rng.uniform(0.97, 1.03)
            ),
        }
        expenses["administrative_expense"] = round(expenses["personnel_expense"] * 0.8)
        income = {
            "financing_income": financing_income,
            "other_operating_income": round(financing_income * 0.03),
            "non_operating_income": round(gfp * 0.0005),
            "donations": donations,
        }
        before_tax = (
            sum(income.values()) - position.lease_principal_collected - sum(expenses.values())
        )
        taxes = max(0, round((before_tax - donations) * funding.tax_rate))
        equity += before_tax - taxes
        donated_equity += donations

        deposits = round(gfp * funding.deposit_share * rng.uniform(0.97, 1.03))
        mudaraba = round(gfp * funding.mudaraba_share * rng.uniform(0.97, 1.03))
        other_liabilities = round(gfp * 0.02) + position.late_charges_collected
        short_term_investments = round(gfp * (0.06 if profile.deposit_taking else 0.03))
        other_assets = round(gfp * 0.03)
        non_cash_assets = short_term_investments + gfp - position.allowance + other_assets
        cash_target = round(gfp * rng.uniform(0.08, 0.12))
        third_party = max(
            0, cash_target + non_cash_assets - deposits - mudaraba - other_liabilities - equity
        )
        total_liabilities = deposits + third_party + other_liabilities
        total_assets = total_liabilities + mudaraba + equity
        third_party_short_term = round(third_party * 0.2)
        rows.append(
            {
                "period": period,
                "cash_and_bank": total_assets - non_cash_assets,
                "short_term_investments": short_term_investments,
                "gross_financing_portfolio": gfp,
                "deferred_profit": position.deferred_profit,
                "ijara_assets_net": position.lease_outstanding,
                "impairment_allowance": position.allowance,
                "other_assets": other_assets,
                "total_assets": total_assets,
                "deposits": deposits,
                "third_party_financing": third_party,
                "third_party_financing_short_term": third_party_short_term,
                "other_liabilities": other_liabilities,
                "current_liabilities": deposits + third_party_short_term + other_liabilities,
                "total_liabilities": total_liabilities,
                "mudaraba_funds": mudaraba,
                "mudaraba_funds_short_term": round(mudaraba * 0.3),
                "restricted_mudaraba_funds": round(gfp * funding.restricted_mudaraba_share),
                "total_equity": equity,
                "donated_equity": donated_equity,
                **income,
                **expenses,
                "ijara_depreciation": position.lease_principal_collected,
                "taxes": taxes,
                "late_payment_collected": position.late_charges_collected,
            }
        )
        previous_allowance = position.allowance
    return pd.DataFrame(rows)


def _staffing(
    profile: InstitutionProfile, rng: np.random.Generator, positions: Sequence[Position]
) -> pd.DataFrame:
    """Headcount at each quarter end: one financing officer per ``clients_per_officer`` active
    clients, about 1.6 staff per officer. ``workload`` is the same headcount before rounding;
    salaries follow it, so that a demo shrunk by ``--scale`` keeps realistic cost ratios."""
    active = np.array([position.active_clients for position in positions])
    workload = active / profile.clients_per_officer * rng.uniform(1.5, 1.7, len(active))
    officers = np.maximum(np.ceil(active / profile.clients_per_officer), 1).astype(np.int64)
    total = np.maximum(np.rint(workload), officers).astype(np.int64)
    return pd.DataFrame(
        {
            "period": np.arange(len(positions)),
            "workload": workload,
            "total_staff": total,
            "financing_officers": officers,
            "women_staff": np.rint(total * profile.women_staff_share).astype(np.int64),
            "staff_departures": rng.binomial(total, 0.04),
        }
    )


# --------------------------------------------------------------------------------------------
# One institution's book
# --------------------------------------------------------------------------------------------


@dataclass
class InstitutionBook:
    """Everything generated for one institution, with references as row positions (``client``
    is a row of ``clients``, ``contract`` a row of ``contracts``, ``period`` an index into
    QUARTERS), and money in cents. The writer turns positions into database ids."""

    profile: InstitutionProfile
    offered: list[int]
    clients: pd.DataFrame
    contracts: pd.DataFrame
    instalments: pd.DataFrame
    repayments: pd.DataFrame
    restructurings: pd.DataFrame
    write_offs: pd.DataFrame
    late_charges: pd.DataFrame
    summary_lines: pd.DataFrame
    statements: pd.DataFrame
    staffing: pd.DataFrame


def build_book(
    profile: InstitutionProfile, *, scale: float = 1.0, seed: int = SEED
) -> InstitutionBook:
    """Generate one institution's demo book. Pure: no database access."""
    rng = np.random.Generator(np.random.PCG64([seed, profile.number]))
    clients = _draw_clients(profile, rng, max(40, round(profile.clients * scale)))
    contracts = _draw_contracts(profile, rng, clients)
    _price_contracts(profile, rng, contracts)
    reschedule_from, reschedule_date, extension = _choose_reschedulings(rng, contracts, clients)
    original_maturity = contracts["maturity_date"].to_numpy().copy()
    schedule = _build_schedules(contracts, reschedule_from, extension)

    behaviour = clients["behaviour"].to_numpy()[contracts["client"].to_numpy()]
    settlement = _simulate_settlement(rng, contracts, schedule, behaviour, reschedule_from)
    write_off_date = _write_off_dates(rng, schedule, settlement["settled"].to_numpy(), contracts)
    horizon = np.minimum(write_off_date, day_number(DATA_DATE))
    schedule, repayments = _apply_data_date(schedule, settlement, horizon)
    late_charges = _late_charges(profile, rng, contracts, schedule, horizon)

    written_off = write_off_date < NEVER
    principal_paid = np.bincount(
        schedule["contract"], weights=schedule["principal_paid"], minlength=len(contracts)
    ).astype(np.int64)
    profit_paid = np.bincount(
        schedule["contract"], weights=schedule["profit_paid"], minlength=len(contracts)
    ).astype(np.int64)
    settled_all = (
        np.bincount(
            schedule["contract"], weights=schedule["paid_date"].notna(), minlength=len(contracts)
        )
        == contracts["n"].to_numpy()
    )
    contracts["status"] = np.select(
        [written_off, settled_all],
        [FinancingContract.Status.WRITTEN_OFF, FinancingContract.Status.REPAID],
        FinancingContract.Status.ACTIVE,
    )
    _describe_contracts(profile, rng, contracts, clients)

    rescheduled = np.flatnonzero(reschedule_from > 0)
    owed_by_date = _amount_owed_at(
        contracts, schedule, repayments, rescheduled, reschedule_date[rescheduled]
    )
    restructurings = pd.DataFrame(
        {
            "contract": rescheduled,
            "external_id": "",
            "date": reschedule_date[rescheduled],
            "amount_owed_before": owed_by_date,
            "amount_owed_after": owed_by_date,
            "maturity_before": original_maturity[rescheduled],
            "maturity_after": contracts["maturity_date"].to_numpy()[rescheduled],
            "reason": _texts(rng, RESCHEDULING_REASONS[profile.language], len(rescheduled)),
            "decided_by": CREDIT_COMMITTEE[profile.language],
        }
    )
    written_off_rows = np.flatnonzero(written_off)
    write_offs = pd.DataFrame(
        {
            "contract": written_off_rows,
            "date": write_off_date[written_off_rows],
            "principal_amount": (contracts["financed_amount"].to_numpy() - principal_paid)[
                written_off_rows
            ],
            "profit_amount": (contracts["profit_amount"].to_numpy() - profit_paid)[
                written_off_rows
            ],
            "reason": WRITE_OFF_REASON[profile.language],
        }
    )
    written_off_principal = np.zeros(len(contracts), dtype=np.int64)
    written_off_principal[written_off_rows] = write_offs["principal_amount"].to_numpy()
    reschedule_dates = np.where(reschedule_from > 0, reschedule_date, NEVER)

    windows = _quarter_ends()
    opening_end = windows[0][0]
    quarter_arguments = {
        "contracts": contracts,
        "schedule": schedule,
        "repayments": repayments,
        "late_charges": late_charges,
        "write_off_date": write_off_date,
        "written_off_principal": written_off_principal,
        "reschedule_date": reschedule_dates,
    }
    opening = _position(start=opening_end - 92, end=opening_end, **quarter_arguments)
    positions = [_position(start=start, end=end, **quarter_arguments) for start, end in windows]
    offered = sorted(set(contracts["kind"].tolist()))
    staffing = _staffing(profile, rng, positions)
    return InstitutionBook(
        profile=profile,
        offered=offered,
        clients=clients,
        contracts=contracts,
        instalments=schedule,
        repayments=repayments,
        restructurings=restructurings,
        write_offs=write_offs,
        late_charges=late_charges,
        summary_lines=_summary_lines(positions, offered),
        statements=_financial_statements(
            profile, rng, opening, positions, staffing.pop("workload").to_numpy()
        ),
        staffing=staffing,
    )


def _amount_owed_at(
    contracts: pd.DataFrame,
    schedule: pd.DataFrame,
    repayments: pd.DataFrame,
    rows: Array,
    dates: Array,
) -> Array:
    """Cost plus profit still owed on ``rows`` on ``dates`` (payments up to that day)."""
    total = (contracts["financed_amount"] + contracts["profit_amount"]).to_numpy()[rows]
    if not len(rows):
        return total
    date_of = np.full(len(contracts), -1, dtype=np.int64)
    date_of[rows] = dates
    paid_contract = repayments["contract"].to_numpy()
    counted = repayments["value_date"].to_numpy() <= date_of[paid_contract]
    amounts = (repayments["principal_amount"] + repayments["profit_amount"]).to_numpy()
    paid = np.bincount(paid_contract[counted], weights=amounts[counted], minlength=len(contracts))
    return total - np.rint(paid[rows]).astype(np.int64)


def _describe_contracts(
    profile: InstitutionProfile,
    rng: np.random.Generator,
    contracts: pd.DataFrame,
    clients: pd.DataFrame,
) -> None:
    """The type-specific columns and texts, in place (money in cents, percentages × 10⁴)."""
    size = len(contracts)
    kind = contracts["kind"].to_numpy()
    financed = contracts["financed_amount"].to_numpy()
    profit = contracts["profit_amount"].to_numpy()
    contract_date = contracts["contract_date"].to_numpy()
    client = contracts["client"].to_numpy()
    sale_based = (kind == MURABAHA) | (kind == ISTISNA)
    lease = (kind == IJARA) | (kind == IJARA_MB)
    equity = (kind == MUSHARAKA) | (kind == MUDARABA) | (kind == DIMINISHING)
    salam = kind == SALAM
    qard = kind == QARD_HASSAN
    with_asset = sale_based | lease | (kind == DIMINISHING)

    purposes = np.empty(size, dtype=object)
    for contract_type, texts in PURPOSES[profile.language].items():
        rows = np.flatnonzero(kind == TYPE_INDEX[contract_type])
        purposes[rows] = _texts(rng, texts, rows.size)
    contracts["purpose"] = purposes
    contracts["asset_description"] = np.where(with_asset, purposes, "")
    contracts["activity_sector"] = np.where(
        salam, Sector.AGRICULTURE, clients["activity_sector"].to_numpy()[client]
    )
    contracts["branch"] = clients["branch"].to_numpy()[client]

    contracts["annual_profit_rate"] = _nullable_int(
        np.rint(contracts["rate"].to_numpy() * 10_000),
        sale_based | lease | (kind == DIMINISHING),
    )
    contracts["sale_price"] = _nullable_int(financed + profit, sale_based)
    contracts["supplier_name"] = np.where(
        sale_based | lease, _texts(rng, profile.suppliers, size), ""
    )
    contracts["paid_directly_to_supplier"] = _nullable_bool(_chance(rng, 0.9, size), sale_based)
    quoted = _round_to(financed / 100 * rng.uniform(1.0, 1.12, size), profile.amount_step) * 100
    contracts["client_quoted_price"] = _nullable_int(quoted, sale_based)
    ownership = contract_date - rng.integers(0, 4, size)
    murabaha = kind == MURABAHA
    contracts["ownership_date"] = _nullable_int(ownership, murabaha)
    contracts["supplier_invoice_date"] = _nullable_int(
        ownership - rng.integers(0, 3, size), murabaha
    )
    contracts["wakala_used"] = murabaha & _chance(rng, 0.2, size)

    delivery = contracts["delivery_date"].to_numpy()
    contracts["delivery_date"] = _nullable_int(delivery, delivery >= 0)
    city = np.array([branch.city for branch in profile.branches], dtype=object)
    contracts["delivery_place"] = np.where(delivery >= 0, city[contracts["branch"].to_numpy()], "")

    season = np.maximum(contracts["season"].to_numpy(), 0)
    commodity = np.array([s.commodity for s in profile.seasons] or [""], dtype=object)
    contracts["commodity"] = np.where(salam, commodity[np.minimum(season, len(commodity) - 1)], "")
    quantity = contracts.get("commodity_quantity", pd.Series(np.zeros(size, dtype=np.int64)))
    contracts["commodity_quantity"] = _nullable_int(quantity.fillna(0).to_numpy(), salam)
    contracts["commodity_unit"] = np.where(salam, FinancingContract.SalamUnit.KILOGRAM, "")
    contracts["price_paid_date"] = _nullable_int(contract_date, salam)
    contracts["expected_sale_price"] = _nullable_int(
        _round_to(financed / 100 * rng.uniform(1.15, 1.3, size), profile.amount_step) * 100, salam
    )

    rent_start = contracts["rent_start_date"].to_numpy()
    contracts["rent_start_date"] = _nullable_int(rent_start, lease)
    n = contracts["n"].to_numpy()
    regular_rent = financed // n + profit // n  # every instalment but the last
    contracts["rent_amount"] = _nullable_int(regular_rent, lease)
    contracts["security_deposit"] = _nullable_int(
        _round_to(financed / 100 * 0.1, profile.amount_step) * 100, lease & _chance(rng, 0.6, size)
    )
    contracts["advance_rent"] = _nullable_int(regular_rent, lease & _chance(rng, 0.3, size))

    fee = (
        np.maximum(
            _round_to(financed / 100 * rng.uniform(0.01, 0.02, size), 1), profile.minimum_charge
        )
        * 100
    )
    contracts["service_fee"] = _nullable_int(fee, qard)
    cost = np.ceil(fee * rng.uniform(1.0, 1.5, size) / 100).astype(np.int64) * 100
    contracts["declared_actual_cost"] = _nullable_int(cost, qard)

    institution_share = contracts["institution_share"].to_numpy()
    contracts["client_capital"] = _nullable_int(contracts["client_capital"].to_numpy(), equity)
    contracts["institution_profit_share"] = _nullable_int(institution_share * 10_000, equity)
    contracts["client_profit_share"] = _nullable_int((100 - institution_share) * 10_000, equity)
    # Losses follow the capital (table 2, musharaka item 20): the institution's share of it,
    # all of it on a mudaraba (the client brings no capital).
    financed = contracts["financed_amount"].to_numpy()
    capital = financed + np.where(equity, contracts["client_capital"].fillna(0).to_numpy(), 0)
    loss_share = np.rint(financed * 1_000_000 / np.maximum(capital, 1)).astype(np.int64)
    contracts["institution_loss_share"] = _nullable_int(loss_share, equity)
    contracts["expected_roi"] = _nullable_int(
        np.rint(contracts["expected_roi"].to_numpy() * 10_000), equity
    )
    contracts["buyout_units"] = _nullable_int(n, kind == DIMINISHING)


# --------------------------------------------------------------------------------------------
# Writing: raw bulk inserts (SQLite executemany, PostgreSQL COPY)
# --------------------------------------------------------------------------------------------


class BulkWriter:
    """Writes pandas frames whose columns are a model's field attnames, converting each column
    by field type: decimals are scaled integers (cents for money), dates are day numbers,
    datetimes are seconds since the epoch (UTC), missing values are pandas NA."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"

    def next_id(self, model: type[models.Model]) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COALESCE(MAX({self._quote(model._meta.pk.column)}), 0) "
                f"FROM {self._quote(model._meta.db_table)}"
            )
            return int(cursor.fetchone()[0]) + 1

    def insert(self, model: type[models.Model], frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        fields = [model._meta.get_field(name) for name in frame.columns]
        columns = [
            self._db_column(field, frame[name])
            for field, name in zip(fields, frame.columns, strict=True)
        ]
        table = self._quote(model._meta.db_table)
        names = ", ".join(self._quote(field.column) for field in fields)
        rows = zip(*columns, strict=True)
        with connection.cursor() as cursor:
            if self.postgres:
                self._copy(cursor, table, names, fields, rows)
            else:
                placeholders = ", ".join(["%s"] * len(fields))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)

    def reset_sequences(self, model_list: Iterable[type[models.Model]]) -> None:
        """After explicit ids, move PostgreSQL sequences past them (a no-op on SQLite)."""
        statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def _copy(
        self, cursor: Any, table: str, names: str, fields: list[Any], rows: Iterable[Any]
    ) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        buffer.seek(0)
        # In CSV an unquoted empty field is NULL; blank (not null) text columns must read it as "".
        text_columns = [
            self._quote(field.column)
            for field in fields
            if field.get_internal_type() in {"CharField", "TextField", "SlugField"}
            and not field.null
        ]
        options = "FORMAT csv"
        if text_columns:
            options += f", FORCE_NOT_NULL ({', '.join(text_columns)})"
        cursor.cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN WITH ({options})", buffer)

    def _db_column(self, field: Any, column: pd.Series) -> list[Any]:
        missing = column.isna().to_numpy()
        kind = field.get_internal_type()
        if kind == "DecimalField":
            scaled = column.to_numpy(dtype=np.int64, na_value=0)
            if self.postgres:
                values = _decimal_text(scaled, field.decimal_places)
            else:
                values = scaled / 10**field.decimal_places
        elif kind == "DateField":
            values = np.datetime_as_string(
                column.to_numpy(dtype=np.int64, na_value=0).astype("datetime64[D]")
            )
        elif kind == "DateTimeField":
            stamps = column.to_numpy(dtype=np.int64, na_value=0).astype("datetime64[s]")
            values = np.char.replace(np.datetime_as_string(stamps), "T", " ")
            if self.postgres:
                values = np.char.add(values, "+00:00")
        elif kind == "BooleanField":
            values = column.to_numpy(dtype=bool, na_value=False)
        elif kind in {"CharField", "TextField", "SlugField"}:
            values = column.to_numpy(dtype=object)
        else:
            values = column.to_numpy(dtype=np.int64, na_value=0)
        values = np.asarray(values).astype(object)
        values[missing] = None
        return values.tolist()

    @staticmethod
    def _quote(name: str) -> str:
        return connection.ops.quote_name(name)


def _decimal_text(scaled: Array, places: int) -> Array:
    """Exact decimal text of integers scaled by 10^places (PostgreSQL input)."""
    magnitude = np.abs(scaled)
    text = (magnitude // 10**places).astype(str)
    if places:
        fraction = np.char.zfill((magnitude % 10**places).astype(str), places)
        text = np.char.add(np.char.add(text, "."), fraction)
    return np.where(scaled < 0, np.char.add("-", text), text)


# --------------------------------------------------------------------------------------------
# Users, institutions, periods (small: through services and the ORM)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    language: str
    institutions: tuple[str, ...] = ()


def _demo_users() -> tuple[DemoUser, ...]:
    people = {
        "wifaq": (("Khadija", "El Idrissi", "fr"), ("Hassan", "Bennani", "ar")),
        "rahma": (("Aminata", "Sow", "fr"), ("Ousmane", "Fall", "fr")),
        "yusr": (("Rania", "Haddad", "ar"), ("Omar", "Khalil", "en")),
        "sabuj": (("Nasrin", "Akter", "en"), ("Rafiqul", "Islam", "en")),
    }
    users = [
        DemoUser("admin", UserRole.ADMINISTRATOR, "Salma", "Kettani", "en"),
        DemoUser("analyst", UserRole.ANALYST, "Ibrahim", "Diallo", "en"),
        DemoUser("auditor", UserRole.AUDITOR, "Nadia", "Rahmani", "fr", ("wifaq", "rahma")),
    ]
    for code, (staff, manager) in people.items():
        users.append(DemoUser(f"{code}-staff", UserRole.MFI_STAFF, *staff, (code,)))
        users.append(DemoUser(f"{code}-manager", UserRole.MFI_MANAGER, *manager, (code,)))
    return tuple(users)


DEMO_USERS = _demo_users()


def _ensure_users() -> dict[str, User]:
    """Create the demo users that do not exist yet (all share DEMO_PASSWORD)."""
    existing = {
        user.username: user
        for user in User.objects.filter(username__in=[u.username for u in DEMO_USERS])
    }
    missing = [spec for spec in DEMO_USERS if spec.username not in existing]
    if not missing:
        return existing
    # One hash for every demo user: hashing is deliberately slow, and this is a public password.
    password_hash = make_password(DEMO_PASSWORD)
    for spec in missing:
        user = user_create(
            username=spec.username,
            password=None,
            role=spec.role,
            email=f"{spec.username}@demo.mfme.example",
            first_name=spec.first_name,
            last_name=spec.last_name,
            preferred_language=spec.language,
        )
        user.password = password_hash
        user.save(update_fields=["password"])
        existing[spec.username] = user
    return existing


def _create_institution(profile: InstitutionProfile, admin: User) -> Institution:
    institution = institution_create(
        actor=admin,
        code=profile.code,
        name_en=profile.name_en,
        name_fr=profile.name_fr,
        name_ar=profile.name_ar,
        country=profile.country,
        currency=profile.currency,
        legal_form=profile.legal_form,
        deposit_taking=profile.deposit_taking,
        fiscal_year_start_month=profile.fiscal_year_start_month,
        maturity_stage=profile.maturity_stage,
        transition_phase=profile.transition_phase,
        mission_statement=profile.mission_statement,
    )
    for spec in profile.branches:
        Branch.objects.create(
            institution=institution,
            code=spec.code,
            name=spec.name,
            city=spec.city,
            region=spec.region,
            opened_on=spec.opened_on,
        )
    return institution


def _create_products(institution: Institution, book: InstitutionBook) -> dict[int, int]:
    names = PRODUCT_NAMES[book.profile.language]
    products = {}
    for kind in book.offered:
        contract_type = CONTRACT_TYPES[kind]
        product = FinancingProduct.objects.create(
            institution=institution,
            code=f"{PRODUCT_CODES[contract_type]}-01",
            name=names[contract_type],
            contract_type=contract_type,
        )
        products[kind] = product.pk
    return products


#: Workflow steps leading to each final status: (from, to, actor role, days after the previous
#: step). The first step comes 22 days after the quarter ends.
WORKFLOW: dict[str, tuple[tuple[str, str, str, int], ...]] = {
    DRAFT: (),
    SUBMITTED: ((DRAFT, SUBMITTED, "manager", 22),),
    RETURNED: ((DRAFT, SUBMITTED, "manager", 22), (SUBMITTED, RETURNED, "analyst", 9)),
    APPROVED: ((DRAFT, SUBMITTED, "manager", 22), (SUBMITTED, APPROVED, "analyst", 8)),
    LOCKED: (
        (DRAFT, SUBMITTED, "manager", 22),
        (SUBMITTED, APPROVED, "analyst", 8),
        (APPROVED, LOCKED, "analyst", 45),
    ),
}
#: The 2025Q2 return of every institution, answered before approval.
REVISION = (
    (SUBMITTED, RETURNED, "analyst", 7),
    (RETURNED, SUBMITTED, "manager", 5),
)
REVISION_REASON = {
    "fr": "Le nombre de clients actifs du résumé du portefeuille diffère des contrats transmis.",
    "en": "Active clients in the portfolio summary differ from the contracts you sent.",
}


def _create_periods(
    institution: Institution, profile: InstitutionProfile, users: Mapping[str, User]
) -> tuple[list[ReportingPeriod], pd.DataFrame]:
    """The eight quarters with their statuses, and the transitions that led there."""
    actors = {"manager": users[f"{profile.code}-manager"].pk, "analyst": users["analyst"].pk}
    periods, transitions = [], []
    for (year, quarter), status in zip(QUARTERS, profile.period_statuses, strict=True):
        steps = list(WORKFLOW[status])
        if (year, quarter) == (2025, 2) and status in {APPROVED, LOCKED}:
            steps[1:1] = REVISION
        _, end = quarter_bounds(year, quarter)
        moment = day_number(end)
        return_reason = ""
        for from_status, to_status, actor, days in steps:
            moment += days
            reason = ""
            if to_status == RETURNED:
                reason = (
                    profile.return_reason
                    if status == RETURNED
                    else REVISION_REASON[profile.language]
                )
                return_reason = reason
            transitions.append(
                {
                    "period": len(periods),
                    "from_status": from_status,
                    "to_status": to_status,
                    "actor_id": actors[actor],
                    "reason": reason,
                    "created_at": _seconds_at(np.array([moment]), 10)[0],
                }
            )
        changed_at = (
            datetime.datetime.combine(
                EPOCH + datetime.timedelta(days=moment), datetime.time(10), tzinfo=datetime.UTC
            )
            if steps
            else None
        )
        period = ReportingPeriod(
            institution=institution,
            year=year,
            quarter=quarter,
            status=status,
            status_changed_at=changed_at,
            return_reason=return_reason,
        )
        period.save()
        periods.append(period)
    return periods, pd.DataFrame(transitions)


def _ensure_reference_data() -> None:
    for country, values in REFERENCE_VALUES.items():
        currency = next(profile.currency for profile in PROFILES if profile.country == country)
        for year, (rate, gni, gdp, market) in zip(REFERENCE_YEARS, values, strict=True):
            ReferenceData.objects.get_or_create(
                country=country,
                year=year,
                version=1,
                defaults={
                    "currency": currency,
                    "exchange_rate_per_usd": f"{rate:.6f}",
                    "gni_per_capita_usd": gni,
                    "gdp_per_capita_usd": gdp,
                    "market_interest_rate": market,
                    "source": "mfme demo values (illustrative, not official statistics)",
                },
            )


# --------------------------------------------------------------------------------------------
# Writing one book
# --------------------------------------------------------------------------------------------

#: Tables written with explicit ids, whose PostgreSQL sequences must move past them.
EXPLICIT_ID_MODELS = (Client, FinancingContract, Instalment)


def _write_book(
    writer: BulkWriter, book: InstitutionBook, users: Mapping[str, User], admin: User
) -> dict[str, int]:
    profile = book.profile
    institution = _create_institution(profile, admin)
    for spec in DEMO_USERS:
        if profile.code in spec.institutions:
            membership_grant(actor=admin, user=users[spec.username], institution=institution)
    branch_ids = np.array(
        [Branch.objects.get(institution=institution, code=b.code).pk for b in profile.branches]
    )
    product_ids = _create_products(institution, book)
    periods, transitions = _create_periods(institution, profile, users)
    period_ids = np.array([period.pk for period in periods])

    client_ids = writer.next_id(Client) + np.arange(len(book.clients))
    contract_ids = writer.next_id(FinancingContract) + np.arange(len(book.contracts))
    instalment_ids = writer.next_id(Instalment) + np.arange(len(book.instalments))

    writer.insert(Client, _client_rows(book, institution.pk, branch_ids, client_ids))
    writer.insert(
        FinancingContract,
        _contract_rows(book, institution.pk, branch_ids, client_ids, product_ids, contract_ids),
    )
    instalments = book.instalments
    writer.insert(
        Instalment,
        pd.DataFrame(
            {
                "id": instalment_ids,
                "contract_id": contract_ids[instalments["contract"].to_numpy()],
                "number": instalments["number"],
                "due_date": instalments["due_date"],
                "principal_due": instalments["principal_due"],
                "profit_due": instalments["profit_due"],
                "principal_paid": instalments["principal_paid"],
                "profit_paid": instalments["profit_paid"],
                "paid_date": instalments["paid_date"],
            }
        ),
    )
    repayments = book.repayments
    writer.insert(
        Repayment,
        pd.DataFrame(
            {
                "contract_id": contract_ids[repayments["contract"].to_numpy()],
                "instalment_id": instalment_ids[repayments["instalment"].to_numpy()],
                "external_id": _numbered(
                    f"{profile.prefix}-P", np.arange(1, len(repayments) + 1), 7
                ),
                "value_date": repayments["value_date"],
                "principal_amount": repayments["principal_amount"],
                "profit_amount": repayments["profit_amount"],
                "created_at": _seconds_at(repayments["value_date"].to_numpy(), 16),
            }
        ),
    )
    for model, frame in (
        (Restructuring, book.restructurings),
        (WriteOff, book.write_offs),
        (LatePaymentCharge, book.late_charges),
    ):
        writer.insert(model, _contract_event_rows(frame, contract_ids))
    for model, frame in (
        (PortfolioSummaryLine, book.summary_lines),
        (FinancialStatement, book.statements),
        (StaffingSnapshot, book.staffing),
    ):
        writer.insert(model, _period_rows(frame, period_ids))
    if not transitions.empty:
        period_of = period_ids[transitions["period"].to_numpy()]
        writer.insert(
            PeriodTransition, transitions.drop(columns="period").assign(period_id=period_of)
        )
    return {
        "clients": len(book.clients),
        "contracts": len(book.contracts),
        "instalments": len(book.instalments),
        "repayments": len(book.repayments),
        "restructurings": len(book.restructurings),
        "write_offs": len(book.write_offs),
        "late_payment_charges": len(book.late_charges),
    }


def _client_rows(
    book: InstitutionBook, institution_id: int, branch_ids: Array, client_ids: Array
) -> pd.DataFrame:
    clients = book.clients
    contracts = book.contracts
    first_contract = np.full(len(clients), NEVER, dtype=np.int64)
    np.minimum.at(
        first_contract, contracts["client"].to_numpy(), contracts["contract_date"].to_numpy()
    )
    has_contract = first_contract < NEVER
    returning = clients["returning"].to_numpy()
    first_financing = np.where(returning, clients["earlier_start"].to_numpy(), first_contract)
    enrolled = np.where(has_contract, first_contract, clients["first_start"].to_numpy())
    baseline_columns = [
        "education_level",
        "household_size",
        "three_meals_a_day",
        "children_schooling",
        "dwelling_type",
        "number_of_beds",
        "toilet",
        "energy_source",
        "owns_land",
        "owns_livestock",
        "owns_poultry",
        "means_of_transport",
        "affords_health_care",
        "has_bank_account",
        "current_debt",
        "financially_literate",
        "needs_training",
    ]
    return pd.DataFrame(
        {
            "id": client_ids,
            "created_at": _seconds_at(enrolled, 9),
            "updated_at": _seconds_at(enrolled, 9),
            "institution_id": institution_id,
            "branch_id": branch_ids[clients["branch"].to_numpy()],
            "external_id": _numbered(f"{book.profile.prefix}-C", np.arange(1, len(clients) + 1), 6),
            "gender": clients["gender"],
            "birth_year": _year(np.minimum(first_financing, enrolled)) - clients["age"].to_numpy(),
            "area": clients["area"],
            "first_financing_date": _nullable_int(first_financing, returning | has_contract),
            "poverty_status": clients["poverty_status"],
            "activity_sector": clients["activity_sector"],
            **{column: clients[column] for column in baseline_columns},
        }
    )


CONTRACT_COLUMNS = (
    "status",
    "contract_date",
    "disbursement_date",
    "maturity_date",
    "cycle_number",
    "activity_sector",
    "purpose",
    "financed_amount",
    "profit_amount",
    *CONTRACT_TERM_FIELDS,
)


def _contract_rows(
    book: InstitutionBook,
    institution_id: int,
    branch_ids: Array,
    client_ids: Array,
    product_ids: Mapping[int, int],
    contract_ids: Array,
) -> pd.DataFrame:
    contracts = book.contracts
    kind = contracts["kind"].to_numpy()
    product_of_kind = np.zeros(len(CONTRACT_TYPES), dtype=np.int64)
    for index, product_id in product_ids.items():
        product_of_kind[index] = product_id
    contract_date = contracts["contract_date"].to_numpy()
    return pd.DataFrame(
        {
            "id": contract_ids,
            "created_at": _seconds_at(contract_date, 11),
            "updated_at": _seconds_at(contract_date, 11),
            "institution_id": institution_id,
            "branch_id": branch_ids[contracts["branch"].to_numpy()],
            "client_id": client_ids[contracts["client"].to_numpy()],
            "product_id": product_of_kind[kind],
            "contract_type": np.array([t.value for t in CONTRACT_TYPES], dtype=object)[kind],
            "external_id": _numbered(
                f"{book.profile.prefix}-F", np.arange(1, len(contracts) + 1), 7
            ),
            **{column: contracts[column] for column in CONTRACT_COLUMNS},
        }
    )


def _contract_event_rows(frame: pd.DataFrame, contract_ids: Array) -> pd.DataFrame:
    stamp = _seconds_at(frame["date"].to_numpy(), 12)
    return frame.drop(columns="contract").assign(
        contract_id=contract_ids[frame["contract"].to_numpy()], created_at=stamp, updated_at=stamp
    )


def _period_rows(frame: pd.DataFrame, period_ids: Array) -> pd.DataFrame:
    ends = np.array([day_number(quarter_bounds(*quarter)[1]) for quarter in QUARTERS])
    stamp = _seconds_at(ends[frame["period"].to_numpy()] + 20, 9)
    return frame.drop(columns="period").assign(
        period_id=period_ids[frame["period"].to_numpy()], created_at=stamp, updated_at=stamp
    )


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLoadResult:
    loaded: bool
    counts: Mapping[str, int]


def demo_exists() -> bool:
    return Institution.objects.filter(code__in=DEMO_CODES).exists()


def demo_load(*, scale: float = 1.0, reset: bool = False, seed: int = SEED) -> DemoLoadResult:
    """Load the demo: users, reference data, and the institutions with their books.

    Does nothing when the demo institutions already exist, unless ``reset``: then they are
    deleted and loaded again, in the same transaction. ``scale`` multiplies the number of
    clients (and so of everything else).
    """
    if not reset and demo_exists():
        return DemoLoadResult(loaded=False, counts={})
    # Generation is pure and takes a second: do it before taking the database's write lock.
    books = [build_book(profile, scale=scale, seed=seed) for profile in PROFILES]
    writer = BulkWriter()
    totals: dict[str, int] = {"institutions": len(books)}
    with transaction.atomic():
        demo_delete()
        users = _ensure_users()
        _ensure_reference_data()
        for book in books:
            counts = _write_book(writer, book, users, users["admin"])
            for name, count in counts.items():
                totals[name] = totals.get(name, 0) + count
        writer.reset_sequences(EXPLICIT_ID_MODELS)
    return DemoLoadResult(loaded=True, counts=totals)


#: Bulk tables, children first, and the path from each to its institution.
BULK_TABLES: tuple[tuple[type[models.Model], str], ...] = (
    (Repayment, "contract"),
    (LatePaymentCharge, "contract"),
    (WriteOff, "contract"),
    (Restructuring, "contract"),
    (Instalment, "contract"),
    (FinancingContract, "institution"),
    (Client, "institution"),
)


@transaction.atomic
def demo_delete() -> None:
    """Delete the demo institutions and everything they own (the users stay).

    The high-volume tables are emptied with one DELETE each: the ORM would load every row to
    cascade. The rest goes through the ORM cascade.
    """
    institution_ids = list(
        Institution.objects.filter(code__in=DEMO_CODES).values_list("pk", flat=True)
    )
    if not institution_ids:
        return
    quote = connection.ops.quote_name
    contracts = quote(FinancingContract._meta.db_table)
    placeholders = ", ".join(["%s"] * len(institution_ids))
    with connection.cursor() as cursor:
        for model, path in BULK_TABLES:
            table = quote(model._meta.db_table)
            if path == "contract":
                column = quote(model._meta.get_field("contract").column)
                condition = (
                    f"{column} IN (SELECT id FROM {contracts} "
                    f"WHERE institution_id IN ({placeholders}))"
                )
            else:
                condition = (
                    f"{quote(model._meta.get_field('institution').column)} IN ({placeholders})"
                )
            cursor.execute(f"DELETE FROM {table} WHERE {condition}", institution_ids)
    Institution.objects.filter(pk__in=institution_ids).delete()


def demo_user_rows() -> list[tuple[str, str, str]]:
    """(username, role, institutions) of every demo user, for the command's table."""
    users = {
        user.username: user
        for user in User.objects.filter(
            username__in=[spec.username for spec in DEMO_USERS]
        ).prefetch_related("memberships__institution")
    }
    rows = []
    for spec in DEMO_USERS:
        user = users.get(spec.username)
        if user is None:
            continue
        if user.sees_all_institutions:
            scope = "all"
        else:
            scope = ", ".join(sorted(m.institution.code for m in user.memberships.all())) or "-"
        rows.append((user.username, str(UserRole(user.role).label), scope))
    return rows
