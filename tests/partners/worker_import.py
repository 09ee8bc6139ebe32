"""A bulk import through the real path: HTTP API → import job → Redis → Celery worker → the
real database, polled through the API until done. Run by ``test_worker_import.py`` (marker
``redis``) in .ci/run, where REDIS_URL points to a real Redis and a worker runs with the
``mfme`` database; it can also be run by hand against any such setup:

    DATABASE_URL=... REDIS_URL=... .venv/bin/python -m tests.partners.worker_import

The test suite's own databases are invisible to the worker, so this script works on the
configured database itself (the worker's): it creates a throw-away institution, imports
contracts and then repayments, each above the synchronous limit (so each becomes a job), checks
what the worker wrote, and deletes everything it created. Exit status 0 means success.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time

CONTRACTS = 30
SYNC_LIMIT = 10
TIMEOUT_SECONDS = 120


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mfme.settings.local")
    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction
    from rest_framework.test import APIClient

    from institutions.models import (
        Branch,
        Client,
        FinancingContract,
        FinancingProduct,
        Instalment,
        Institution,
        Repayment,
    )
    from partners.models import ApiClient, ImportJob
    from partners.services import api_client_create
    from users.models import User
    from users.services import user_create

    if settings.CELERY_TASK_ALWAYS_EAGER:
        print("REDIS_URL is not set: tasks would run in this process, not in a worker.")
        return 2
    settings.MFME_API_BULK_SYNC_MAX_ROWS = SYNC_LIMIT
    suffix = secrets.token_hex(3)
    admin = user_create(
        username=f"worker-check-{suffix}", password=None, role=User.Role.ADMINISTRATOR
    )
    institution = Institution.objects.create(
        code=f"wrk{suffix}", name_en=f"Worker check {suffix}", country="MA"
    )
    machine_users: list[int] = []
    try:
        branch = Branch.objects.create(institution=institution, code="B1", name="Main")
        Client.objects.create(
            institution=institution,
            branch=branch,
            external_id="C1",
            gender="female",
            birth_year=1980,
            area="rural",
        )
        FinancingProduct.objects.create(
            institution=institution, code="MUR", name="Murabaha", contract_type="murabaha"
        )
        api_client, token = api_client_create(
            actor=admin, institution=institution, name="worker check", access="read_write"
        )
        machine_users.append(api_client.user_id)
        http = APIClient(SERVER_NAME="localhost")
        http.credentials(HTTP_AUTHORIZATION=f"Token {token}")

        contracts = [
            {
                "external_id": f"W{number:03d}",
                "branch": "B1",
                "client": "C1",
                "product": "MUR",
                "contract_date": "2024-01-10",
                "disbursement_date": "2024-01-10",
                "maturity_date": "2024-12-10",
                "financed_amount": "1000.00",
                "profit_amount": "100.00",
                "sale_price": "1100.00",
                "instalments": [
                    {
                        "number": n,
                        "due_date": f"2024-{5 + 5 * (n - 1):02d}-10",
                        "principal_due": "500.00",
                        "profit_due": "50.00",
                    }
                    for n in (1, 2)
                ],
            }
            for number in range(CONTRACTS)
        ]
        repayments = [
            {
                "contract": contract["external_id"],
                "external_id": f"PAY-{contract['external_id']}",
                "value_date": "2024-05-10",
                "principal_amount": "500.00",
                "profit_amount": "50.00",
            }
            for contract in contracts
        ]
        for path, rows, expected in (
            ("/api/v1/contracts/bulk/", contracts, {"created": CONTRACTS}),
            ("/api/v1/repayments/bulk/", repayments, {"created": CONTRACTS}),
        ):
            response = http.post(path, data=json.dumps(rows), content_type="application/json")
            if response.status_code != 202:
                print(f"{path}: expected 202, got {response.status_code}: {response.content!r}")
                return 1
            job_url = response.json()["job"]
            deadline = time.monotonic() + TIMEOUT_SECONDS
            while True:
                job = http.get(job_url).json()
                if job["status"] in {"succeeded", "failed"}:
                    break
                if time.monotonic() > deadline:
                    print(f"{path}: the job is still {job['status']} after {TIMEOUT_SECONDS} s")
                    return 1
                time.sleep(0.5)
            print(f"{path}: job {job['id']} {job['status']}: {job['report']}")
            if job["status"] != "succeeded" or any(
                job["report"].get(key) != value for key, value in expected.items()
            ):
                print(f"{path}: unexpected job result: {job}")
                return 1
        # What the worker wrote, read back from the database it shares with this process.
        written = FinancingContract.objects.filter(institution=institution).count()
        settled = Instalment.objects.filter(
            contract__institution=institution, number=1, paid_date__isnull=False
        ).count()
        paid = Repayment.objects.filter(contract__institution=institution).count()
        print(f"contracts {written}, repayments {paid}, first instalments settled {settled}")
        if not written == paid == settled == CONTRACTS:
            return 1
        return 0
    finally:
        with transaction.atomic():
            for job in ImportJob.objects.filter(institution=institution):
                job.file.delete(save=False)
                job.delete()
            ApiClient.objects.filter(institution=institution).delete()
            # Contracts, clients and products protect what they point to: children first.
            for model in (FinancingContract, Client, FinancingProduct, Branch):
                model.objects.filter(institution=institution).delete()
            institution.delete()
            User.objects.filter(pk__in=[admin.pk, *machine_users]).delete()


if __name__ == "__main__":
    sys.exit(main())
