"""Request bodies shared by the API tests."""

from __future__ import annotations


def contract_row(external_id: str = "K1", **overrides: object) -> dict:
    row = {
        "external_id": external_id,
        "branch": "B1",
        "client": "C1",
        "product": "MUR",
        "contract_date": "2024-01-10",
        "disbursement_date": "2024-01-10",
        "maturity_date": "2024-12-10",
        "financed_amount": "10000.00",
        "profit_amount": "1000.00",
        "sale_price": "11000.00",
        "instalments": [
            {
                "number": 1,
                "due_date": "2024-06-10",
                "principal_due": "5000.00",
                "profit_due": "500.00",
            },
            {
                "number": 2,
                "due_date": "2024-12-10",
                "principal_due": "5000.00",
                "profit_due": "500.00",
            },
        ],
    }
    row.update(overrides)
    return row
