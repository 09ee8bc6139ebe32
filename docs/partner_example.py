"""A partner system's quarter, end to end, through the REST API alone.

Against `make run` (demo data loaded), in another terminal:

    TOKEN=$(.venv/bin/python manage.py api_client_create --institution wifaq --name example)
    MFME_TOKEN=$TOKEN .venv/bin/python docs/partner_example.py

It opens a quarter, upserts a branch and a client (by their codes), upserts two contracts with
their schedules in one bulk request, records the quarter's repayments in another (instalments
are settled from them), saves the quarter's financial statement and staffing, submits the
quarter, and reads back the computed indicators. Every POST carries an Idempotency-Key, so the script can be re-run safely.
Standard library only; the OpenAPI schema is at /api/v1/schema/ and the docs at /api/v1/docs/.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import urllib.error
import urllib.request
import uuid
from typing import Any

BASE = os.environ.get("MFME_URL", "http://127.0.0.1:8000").rstrip("/") + "/api/v1"
TOKEN = os.environ["MFME_TOKEN"]
# The quarter after the demo's last (2026Q3), with no demo activity in it.
YEAR, QUARTER = int(os.environ.get("MFME_YEAR", "2026")), int(os.environ.get("MFME_QUARTER", "4"))
TODAY = datetime.datetime.now(tz=datetime.UTC).date().isoformat()  # the server keeps UTC
RUN = uuid.uuid5(uuid.NAMESPACE_URL, f"{TOKEN}/{YEAR}Q{QUARTER}").hex[:8]


def call(method: str, path: str, body: Any = None, key: str | None = None) -> Any:
    url = path if path.startswith("http") else BASE + path
    headers = {"Authorization": f"Token {TOKEN}", "Accept-Language": "en"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if key:
        headers["Idempotency-Key"] = f"{RUN}-{key}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310 - a URL we build
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        print(f"{method} {url} → {error.code}: {error.read().decode()}", file=sys.stderr)
        raise


def first(path: str) -> dict[str, Any]:
    return call("GET", path + ("&" if "?" in path else "?") + "page_size=1")["results"][0]


institution = first("/institutions/")
# Reference data is upserted by the institution's own codes: re-sending updates, never duplicates.
branch = call("POST", "/branches/", {"code": "API-B1", "name": "Partner branch"}, key="branch")
client = call(
    "POST",
    "/clients/",
    {
        "external_id": "API-C1",
        "branch": branch["code"],
        "gender": "female",
        "birth_year": 1984,
        "area": "rural",
        "activity_sector": "trade",
    },
    key="client",
)
product = first("/products/?contract_type=murabaha")
print(f"Institution {institution['code']}: branch {branch['code']}, client {client['external_id']}")

period = call("POST", "/periods/", {"year": YEAR, "quarter": QUARTER}, key="period")
print(f"Quarter {YEAR}Q{QUARTER}: period {period['id']} ({period['status']})")
# A submitted, approved or locked quarter's data can no longer change (409): only read it back.
editable = period["status"] in {"draft", "returned"}

start = f"{YEAR}-{3 * QUARTER - 2:02d}-05"
contracts = [
    {
        "external_id": f"API-{RUN}-{n}",
        "branch": branch["code"],
        "client": client["external_id"],
        "product": product["code"],
        "contract_date": start,
        "disbursement_date": start,
        "maturity_date": f"{YEAR + 1}-{3 * QUARTER - 2:02d}-05",
        "financed_amount": "12000.00",
        "profit_amount": "1200.00",
        "sale_price": "13200.00",
        "annual_profit_rate": "10.0000",
        "instalments": [
            {
                "number": month,
                "due_date": f"{YEAR + (3 * QUARTER - 2 + month - 1) // 12}-"
                f"{(3 * QUARTER - 2 + month - 1) % 12 + 1:02d}-05",
                "principal_due": "1000.00",
                "profit_due": "100.00",
            }
            for month in range(1, 13)
        ],
    }
    for n in (1, 2)
]
if editable:
    print("Bulk contracts:", call("POST", "/contracts/bulk/", contracts, key="contracts"))

# The quarter's repayments: the first two instalments of each contract, paid on their due dates
# when these have come (a repayment cannot be dated in the future).
# `contract` is the contract's number, `external_id` the payment reference (a re-send corrects
# the payment instead of adding one); instalments are settled oldest first.
repayments = [
    {
        "contract": contract["external_id"],
        "external_id": f"PAY-{contract['external_id']}-{instalment['number']}",
        "value_date": instalment["due_date"],
        "principal_amount": instalment["principal_due"],
        "profit_amount": instalment["profit_due"],
        "instalment": instalment["number"],
    }
    for contract in contracts
    for instalment in contract["instalments"][:2]
    if instalment["due_date"] <= TODAY
]
if editable and repayments:
    print("Bulk repayments:", call("POST", "/repayments/bulk/", repayments, key="repayments"))

statement = {
    "period": period["id"],
    "cash_and_bank": "150000.00",
    "gross_financing_portfolio": "850000.00",
    "impairment_allowance": "20000.00",
    "other_assets": "20000.00",
    "total_assets": "1000000.00",
    "third_party_financing": "500000.00",
    "other_liabilities": "50000.00",
    "current_liabilities": "120000.00",
    "total_liabilities": "550000.00",
    "total_equity": "450000.00",
    "financing_income": "60000.00",
    "personnel_expense": "25000.00",
    "administrative_expense": "12000.00",
    "provision_expense": "3000.00",
}
if editable:
    call("POST", "/financial-statements/", statement, key="statement")
    call(
        "POST",
        "/staffing/",
        {"period": period["id"], "total_staff": 40, "financing_officers": 18, "women_staff": 15},
        key="staffing",
    )
    period = call("POST", f"/periods/{period['id']}/submit/", {}, key="submit")
print(f"Period {period['id']} is now {period['status']}")

values = call("GET", f"/indicator-values/?period={period['id']}&page_size=1000")["results"]
print(f"{len(values)} indicator values, for example:")
for value in [v for v in values if v["segment"] == "total" and v["basis"] == "quarter"][:8]:
    print(f"  {value['indicator']:<40} {value['value']}")
findings = call("GET", f"/data-quality-findings/?period={period['id']}")["results"]
print(f"{len(findings)} data-quality findings")
