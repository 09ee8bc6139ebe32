"""Ingest benchmark: N contracts with schedules through the partner API's bulk endpoint, against
PostgreSQL COPY of the same rows, in the same run.

(a) ``POST /api/v1/contracts/bulk/`` with a JSON array of N contracts, each with its schedule,
    through the whole request path (DRF test client in this process: middleware, token
    authentication, throttling, parser, view, ``partners.bulk`` validation including every
    registered contract rule, the upsert), synchronously (the sync limit is raised above N).
(b) PostgreSQL COPY of the same contracts and instalments (CSV prepared beforehand, into another
    institution, constraints and indexes in place): the floor for loading these rows.
(c) The same COPY with the two tables' foreign keys dropped inside the transaction, which is
    then rolled back: the floor without foreign-key checks, to show how much of (b) they take
    and whether any write path could reach the target on this machine.

Targets (issue 5): (a) at least 10,000 contracts per second end to end, and (a) at most 5 × (b).
Missed targets are reported, not treated as errors; the script exits non-zero only when the
import's result is wrong (row counts, sums to the cent). Results go to
``bench/results/ingest-last.json``.

    .venv/bin/python bench/ingest_benchmark.py                      # 100,000 contracts
    .venv/bin/python bench/ingest_benchmark.py --contracts 10000    # quick
    .venv/bin/python bench/ingest_benchmark.py --database-url postgres://u:p@host:port/db
    .venv/bin/python bench/ingest_benchmark.py --profile            # + cProfile of (a)

Without ``--database-url`` a throw-away PostgreSQL 15 cluster is started on a free loopback
port in its own temporary directory (as the indicators benchmark does) and removed at the end.
With it, the script works in a database named ``mfme_ingest_bench`` on that server, which it
drops and recreates (the role needs CREATEDB).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime
import io
import json
import os
import platform
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pandas as pd
import psycopg2

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BENCH_DB = "mfme_ingest_bench"
TARGET_PER_SECOND = 10_000
TARGET_OVER_COPY = 5.0
INSTALMENTS = 12
BRANCHES = 20


def log(message: str) -> None:
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", flush=True)


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _recreate_database(admin_url: str, stack: contextlib.ExitStack, keep: bool) -> str:
    def execute(sql: str) -> None:
        connection = psycopg2.connect(admin_url)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    def drop_at_end() -> None:
        # An autovacuum worker busy with the freshly loaded tables belongs to the superuser, and
        # a role without pg_signal_backend cannot end it: retry for a while, then leave the
        # database (the throw-away cluster goes anyway) rather than lose the results.
        for _attempt in range(30):
            try:
                execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
                return
            except psycopg2.errors.InsufficientPrivilege:
                time.sleep(2)
        log(f"could not drop {BENCH_DB} (autovacuum still running); drop it by hand")

    execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    execute(f"CREATE DATABASE {BENCH_DB}")
    if not keep:
        stack.callback(drop_at_end)
    return _with_database(admin_url, BENCH_DB)


# --------------------------------------------------------------------------------------------
# Synthetic rows
# --------------------------------------------------------------------------------------------


def generate(contracts: int, seed: int) -> dict[str, np.ndarray]:
    """Murabaha (80 %) and qard hassan (20 %) contracts with 12 monthly instalments; money in
    cents. Instalments split the principal and the markup evenly, the remainder on the last."""
    rng = np.random.default_rng(seed)
    financed = (rng.lognormal(np.log(150_000), 0.6, contracts).round() + 10_000).astype(np.int64)
    qard = rng.random(contracts) < 0.2
    profit = np.where(qard, 0, (financed * 0.12).round()).astype(np.int64)
    start = np.datetime64("2024-01-01") + rng.integers(0, 540, contracts).astype("timedelta64[D]")
    clients = max(1, int(contracts / 1.6))
    return {
        "financed": financed,
        "profit": profit,
        "qard": qard,
        "start": start,
        "branch": rng.integers(0, BRANCHES, contracts),
        "client": rng.integers(0, clients, contracts),
        "clients": np.array(clients),
    }


def _money(cents: np.ndarray) -> list[str]:
    return [f"{value // 100}.{value % 100:02d}" for value in cents.tolist()]


def schedules(data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One row per instalment, in contract order."""
    n = len(data["financed"])
    contract = np.repeat(np.arange(n), INSTALMENTS)
    number = np.tile(np.arange(1, INSTALMENTS + 1), n)
    principal = data["financed"] // INSTALMENTS
    profit = data["profit"] // INSTALMENTS
    last = number == INSTALMENTS
    principal_due = np.where(
        last,
        data["financed"][contract] - principal[contract] * (INSTALMENTS - 1),
        principal[contract],
    )
    profit_due = np.where(
        last, data["profit"][contract] - profit[contract] * (INSTALMENTS - 1), profit[contract]
    )
    months = data["start"][contract].astype("datetime64[M]") + number.astype("timedelta64[M]")
    due = months.astype("datetime64[D]") + 9
    return {
        "contract": contract,
        "number": number,
        "due": due,
        "principal": principal_due,
        "profit": profit_due,
    }


def payload(data: dict[str, np.ndarray], plan: dict[str, np.ndarray]) -> bytes:
    """The partner's JSON array (not timed: preparing it is the partner's side)."""
    n = len(data["financed"])
    dates = np.datetime_as_string(data["start"]).tolist()
    maturity = np.datetime_as_string(
        (data["start"].astype("datetime64[M]") + INSTALMENTS).astype("datetime64[D]") + 9
    ).tolist()
    financed, profit = _money(data["financed"]), _money(data["profit"])
    sale = _money(data["financed"] + data["profit"])
    due = np.datetime_as_string(plan["due"]).tolist()
    principal_due, profit_due = _money(plan["principal"]), _money(plan["profit"])
    numbers = plan["number"].tolist()
    branch, client, qard = data["branch"].tolist(), data["client"].tolist(), data["qard"].tolist()
    rows = []
    for i in range(n):
        lo = i * INSTALMENTS
        row = {
            "external_id": f"K{i:07d}",
            "branch": f"B{branch[i]:02d}",
            "client": f"C{client[i]:07d}",
            "product": "QH" if qard[i] else "MUR",
            "contract_date": dates[i],
            "disbursement_date": dates[i],
            "maturity_date": maturity[i],
            "financed_amount": financed[i],
            "profit_amount": profit[i],
            "instalments": [
                {
                    "number": numbers[j],
                    "due_date": due[j],
                    "principal_due": principal_due[j],
                    "profit_due": profit_due[j],
                }
                for j in range(lo, lo + INSTALMENTS)
            ],
        }
        if not qard[i]:
            row["sale_price"] = sale[i]
        rows.append(row)
    return json.dumps(rows).encode()


def repayments_payload(data: dict[str, np.ndarray], plan: dict[str, np.ndarray]) -> bytes:
    """One repayment per contract that pays its first instalment in full, on its due date."""
    first = plan["number"] == 1
    due = np.datetime_as_string(plan["due"][first]).tolist()
    principal, profit = _money(plan["principal"][first]), _money(plan["profit"][first])
    return json.dumps(
        [
            {
                "contract": f"K{i:07d}",
                "external_id": f"R{i:07d}",
                "value_date": due[i],
                "principal_amount": principal[i],
                "profit_amount": profit[i],
            }
            for i in range(len(data["financed"]))
        ]
    ).encode()


# --------------------------------------------------------------------------------------------
# The measurements
# --------------------------------------------------------------------------------------------


def setup_institution(code: str, data: dict[str, np.ndarray]) -> Any:
    from institutions.models import Branch, Client, FinancingProduct, Institution

    institution = Institution.objects.create(code=code, name_en=f"Ingest {code}", country="MA")
    branches = Branch.objects.bulk_create(
        Branch(institution=institution, code=f"B{i:02d}", name=f"Branch {i}")
        for i in range(BRANCHES)
    )
    Client.objects.bulk_create(
        (
            Client(
                institution=institution,
                branch=branches[i % BRANCHES],
                external_id=f"C{i:07d}",
                gender="female",
                birth_year=1980,
                area="rural",
            )
            for i in range(int(data["clients"]))
        ),
        batch_size=5_000,
    )
    FinancingProduct.objects.bulk_create(
        [
            FinancingProduct(
                institution=institution, code="MUR", name="Murabaha", contract_type="murabaha"
            ),
            FinancingProduct(
                institution=institution, code="QH", name="Qard hassan", contract_type="qard_hassan"
            ),
        ]
    )
    return institution


def measure_api(
    institution: Any, body: bytes, contracts: int, profile: bool, *, path: str = "contracts"
) -> tuple[dict[str, Any], str]:
    from django.conf import settings
    from rest_framework.test import APIClient

    from partners.services import api_client_create
    from users.models import User
    from users.services import user_create

    settings.MFME_API_BULK_SYNC_MAX_ROWS = contracts + 1
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    admin = User.objects.filter(username="bench-admin").first() or user_create(
        username="bench-admin", password=None, role=User.Role.ADMINISTRATOR
    )
    _client, token = api_client_create(
        actor=admin, institution=institution, name=f"bench {path}", access="read_write"
    )
    http = APIClient(SERVER_NAME="localhost")
    http.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    profiler = cProfile.Profile() if profile else None
    load_before = os.getloadavg()[0]
    cpu_started = time.process_time()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    response = http.post(f"/api/v1/{path}/bulk/", data=body, content_type="application/json")
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    if response.status_code != 200:
        raise RuntimeError(
            f"bulk import failed: {response.status_code} {response.content[:2000]!r}"
        )
    text = ""
    if profiler:
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(30)
        text = stream.getvalue()
    return {
        "seconds": round(seconds, 3),
        # This process only (parse, validate, build the COPY text); the server's work is in
        # "seconds" alone. With other jobs on the machine, wall time includes waiting for a CPU.
        "python_cpu_seconds": round(cpu_seconds, 3),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "report": response.json(),
    }, text


def _copy_statement(model: Any, frame: pd.DataFrame) -> tuple[str, str]:
    """The COPY statement and its CSV text for ``frame`` (every NOT NULL column filled)."""
    from django.db import models

    columns = []
    for field in model._meta.concrete_fields:
        if field.column in frame:
            columns.append(field.column)
        elif field.primary_key:
            continue  # from the sequence
        elif not field.null:
            if field.has_default() and not callable(field.default):
                frame[field.column] = field.get_default()
            elif isinstance(field, models.BooleanField):
                frame[field.column] = False
            elif isinstance(field, models.CharField | models.TextField):
                frame[field.column] = ""
            else:
                raise RuntimeError(f"{model.__name__}.{field.column} has no value")
            columns.append(field.column)
    text = [
        field.column
        for field in model._meta.concrete_fields
        if field.column in columns
        and not field.null
        and isinstance(field, models.CharField | models.TextField)
    ]
    force = f", FORCE_NOT_NULL ({', '.join(text)})" if text else ""
    buffer = io.StringIO()
    frame[columns].to_csv(buffer, header=False, index=False)
    sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv{force})"
    return sql, buffer.getvalue()


def copy_statements(
    institution: Any, data: dict[str, np.ndarray], plan: dict[str, np.ndarray]
) -> list[tuple[str, str]]:
    """COPY statements and CSV text for the rows of ``data`` in ``institution`` (contract ids
    taken from the sequence beforehand)."""
    from django.db import connection

    from institutions.models import Branch, Client, FinancingContract, FinancingProduct, Instalment

    n = len(data["financed"])
    branches = dict(Branch.objects.filter(institution=institution).values_list("code", "id"))
    clients = dict(Client.objects.filter(institution=institution).values_list("external_id", "id"))
    products = dict(
        FinancingProduct.objects.filter(institution=institution).values_list("code", "id")
    )
    now = datetime.datetime.now(datetime.UTC).isoformat()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            "(SELECT COALESCE(MAX(id), 0) FROM " + FinancingContract._meta.db_table + ") + %s)",
            [FinancingContract._meta.db_table, n + 1],
        )
        last = cursor.fetchone()[0]
    ids = np.arange(last - n, last)
    maturity = (data["start"].astype("datetime64[M]") + INSTALMENTS).astype("datetime64[D]") + 9
    contracts = pd.DataFrame(
        {
            "id": ids,
            "institution_id": institution.pk,
            "branch_id": [branches[f"B{b:02d}"] for b in data["branch"].tolist()],
            "client_id": [clients[f"C{c:07d}"] for c in data["client"].tolist()],
            "product_id": np.where(data["qard"], products["QH"], products["MUR"]),
            "external_id": [f"K{i:07d}" for i in range(n)],
            "contract_type": np.where(data["qard"], "qard_hassan", "murabaha"),
            "contract_date": data["start"],
            "disbursement_date": data["start"],
            "maturity_date": maturity,
            "financed_amount": data["financed"] / 100,
            "profit_amount": data["profit"] / 100,
            "sale_price": pd.array(
                np.where(data["qard"], 0, data["financed"] + data["profit"]) / 100,
                dtype="Float64",
            ),
            "created_at": now,
            "updated_at": now,
        }
    )
    contracts.loc[data["qard"], "sale_price"] = pd.NA
    instalments = pd.DataFrame(
        {
            "contract_id": ids[plan["contract"]],
            "number": plan["number"],
            "due_date": plan["due"],
            "principal_due": plan["principal"] / 100,
            "profit_due": plan["profit"] / 100,
            "principal_paid": 0,
            "profit_paid": 0,
        }
    )
    return [
        _copy_statement(FinancingContract, contracts),
        _copy_statement(Instalment, instalments),
    ]


def _foreign_keys(table: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


def measure_copy(statements: list[tuple[str, str]], *, foreign_keys: bool) -> dict[str, Any]:
    """Time the COPYs and the end of the transaction, which runs the deferred foreign-key checks
    as the API's commit does.

    With ``foreign_keys`` the rows are committed. Without, the transaction first drops every
    foreign key of the two tables, and ends by checking the (then none) constraints and rolling
    back. That is the floor for these rows with the schema's indexes and checks: nothing that
    keeps the foreign keys can load them faster."""
    from django.db import connection, transaction

    from institutions.models import FinancingContract, Instalment

    tables = [FinancingContract._meta.db_table, Instalment._meta.db_table]
    seconds = []
    with transaction.atomic(), connection.cursor() as cursor:
        if not foreign_keys:
            for table in tables:
                for name in _foreign_keys(table):
                    cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        started = time.perf_counter()
        for sql, text in statements:
            step = time.perf_counter()
            cursor.cursor.copy_expert(sql, io.StringIO(text))
            seconds.append(time.perf_counter() - step)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        total = time.perf_counter() - started
        if not foreign_keys:
            transaction.set_rollback(True)
    return {
        "seconds": round(total, 3),
        "contracts_seconds": round(seconds[0], 3),
        "instalments_seconds": round(seconds[1], 3),
        "constraint_check_seconds": round(total - sum(seconds), 3),
    }


def check(institution: Any, data: dict[str, np.ndarray], plan: dict[str, np.ndarray]) -> list[str]:
    """What the import wrote must be exactly what was sent."""
    from django.db.models import Count, Sum

    from institutions.models import FinancingContract, Instalment

    problems = []
    stored = FinancingContract.objects.filter(institution=institution).aggregate(
        n=Count("id"), financed=Sum("financed_amount"), profit=Sum("profit_amount")
    )
    if stored["n"] != len(data["financed"]):
        problems.append(f"contracts: {stored['n']} stored, {len(data['financed'])} sent")
    if round(stored["financed"] * 100) != int(data["financed"].sum()):
        problems.append("financed amounts differ")
    if round(stored["profit"] * 100) != int(data["profit"].sum()):
        problems.append("profit amounts differ")
    schedule = Instalment.objects.filter(contract__institution=institution).aggregate(
        n=Count("id"), principal=Sum("principal_due"), profit=Sum("profit_due")
    )
    if schedule["n"] != len(plan["number"]):
        problems.append(f"instalments: {schedule['n']} stored, {len(plan['number'])} sent")
    if round(schedule["principal"] * 100) != int(plan["principal"].sum()):
        problems.append("principal due differs")
    if round(schedule["profit"] * 100) != int(plan["profit"].sum()):
        problems.append("profit due differs")
    return problems


def check_repayments(
    institution: Any, data: dict[str, np.ndarray], plan: dict[str, np.ndarray]
) -> list[str]:
    """Every repayment stored, and every first instalment settled by it."""
    from django.db.models import Count, Sum

    from institutions.models import Instalment, Repayment

    problems = []
    first = plan["number"] == 1
    stored = Repayment.objects.filter(contract__institution=institution).aggregate(
        n=Count("id"), principal=Sum("principal_amount")
    )
    if stored["n"] != len(data["financed"]):
        problems.append(f"repayments: {stored['n']} stored, {len(data['financed'])} sent")
    if round(stored["principal"] * 100) != int(plan["principal"][first].sum()):
        problems.append("repaid principal differs")
    settled = Instalment.objects.filter(
        contract__institution=institution, paid_date__isnull=False
    ).aggregate(n=Count("id"), numbers=Sum("number"))
    if (settled["n"], settled["numbers"]) != (len(data["financed"]), len(data["financed"])):
        problems.append(f"settled instalments: {settled}")
    return problems


def benchmark(args: argparse.Namespace, stack: contextlib.ExitStack) -> dict[str, Any]:
    if args.database_url:
        admin_url = _with_database(args.database_url, "postgres")
    else:
        sys.path.insert(0, str(ROOT / "bench"))
        from indicators_benchmark import start_postgres

        work_dir = Path(tempfile.mkdtemp(prefix="mfme-ingest-bench."))
        work_dir.chmod(0o755)
        if not args.keep:
            import shutil

            stack.callback(shutil.rmtree, work_dir, ignore_errors=True)
        admin_url, _pid = start_postgres(work_dir, stack, args.keep)
    url = _recreate_database(admin_url, stack, args.keep)
    os.environ.update(
        {
            "DATABASE_URL": url,
            "REDIS_URL": "",
            "DJANGO_SETTINGS_MODULE": "mfme.settings.local",
            "MFME_DEBUG": "false",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    log("migrate")
    call_command("migrate", verbosity=0)
    stack.callback(connection.close)

    log(f"generate {args.contracts:,} contracts with {INSTALMENTS} instalments each")
    data = generate(args.contracts, args.seed)
    plan = schedules(data)
    body = payload(data, plan)
    log(f"payload: {len(body) / 2**20:.1f} MiB of JSON")
    copy_institution = setup_institution("copy", data)
    api_institution = setup_institution("api", data)
    floor_institution = setup_institution("floor", data)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")

    # Warm-up, not timed: the first large write of a fresh cluster also creates its WAL files,
    # which the later ones reuse; no measurement should pay for that alone.
    log("warm-up: COPY without foreign keys, rolled back")
    floor_rows = copy_statements(floor_institution, data, plan)
    measure_copy(floor_rows, foreign_keys=False)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM")
        cursor.execute("CHECKPOINT")
    log("(c) COPY without foreign keys, rolled back")
    floor = measure_copy(floor_rows, foreign_keys=False)
    log(f"(c) COPY without foreign keys: {floor['seconds']} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM")
        cursor.execute("CHECKPOINT")
    log("(b) COPY")
    copied = measure_copy(copy_statements(copy_institution, data, plan), foreign_keys=True)
    log(f"(b) COPY: {copied['seconds']} s")
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
    log("(a) POST /api/v1/contracts/bulk/")
    api, profile_text = measure_api(api_institution, body, args.contracts, args.profile)
    log(f"(a) API: {api['seconds']} s, {api['report']}")
    problems = check(api_institution, data, plan) + check(copy_institution, data, plan)
    log("(d) POST /api/v1/repayments/bulk/ (one per contract, paying its first instalment)")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
    repaid, repayments_profile = measure_api(
        api_institution,
        repayments_payload(data, plan),
        args.contracts,
        args.profile,
        path="repayments",
    )
    if repayments_profile:
        profile_text += "\n\n(d) repayments\n\n" + repayments_profile
    log(f"(d) API: {repaid['seconds']} s, {repaid['report']}")
    problems += check_repayments(api_institution, data, plan)

    per_second = args.contracts / api["seconds"]
    over_copy = api["seconds"] / copied["seconds"]
    result = {
        "benchmark": "ingest",
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "contracts": args.contracts,
        "instalments": int(len(plan["number"])),
        "payload_mib": round(len(body) / 2**20, 1),
        "api": api,
        "copy": copied,
        "copy_without_foreign_keys": floor,
        "repayments": repaid,
        "repayments_per_second": round(args.contracts / repaid["seconds"]),
        "contracts_per_second": round(per_second),
        "copy_contracts_per_second": round(args.contracts / copied["seconds"]),
        "copy_without_foreign_keys_contracts_per_second": round(args.contracts / floor["seconds"]),
        "api_over_copy": round(over_copy, 2),
        "targets": {
            "contracts_per_second": TARGET_PER_SECOND,
            "contracts_per_second_met": per_second >= TARGET_PER_SECOND,
            "api_over_copy": TARGET_OVER_COPY,
            "api_over_copy_met": over_copy <= TARGET_OVER_COPY,
        },
        "checks": problems or "passed",
    }
    if profile_text:
        (RESULTS / "ingest-profile.txt").write_text(profile_text)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--database-url", default="", help="an existing server (see above)")
    parser.add_argument("--keep", action="store_true", help="keep the database and cluster")
    parser.add_argument("--profile", action="store_true", help="cProfile (a) into bench/results")
    parser.add_argument("--no-save", action="store_true", help="do not write ingest-last.json")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        result = benchmark(args, stack)
    print(json.dumps(result, indent=2))
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "ingest-last.json").write_text(json.dumps(result, indent=2) + "\n")
    return 1 if result["checks"] != "passed" else 0


if __name__ == "__main__":
    sys.exit(main())
