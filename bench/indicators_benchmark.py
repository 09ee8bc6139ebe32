"""Benchmark of the quarterly indicator computation on a synthetic loan book.

    .venv/bin/python bench/indicators_benchmark.py [--contracts 1000000] [--keep]

Generates one institution with N financings (bench/_synthetic.py) straight into PostgreSQL with
COPY, then measures in one run:

(a) the full indicator computation of 2025Q4 through the real Celery task (a solo-pool worker
    subprocess), after a first 2025Q3 computation that also stores the earlier snapshots;
(b) a reference: one hand-written SQL statement computing outstanding and PAR30 at 2025-12-31,
    which must agree to the cent with the engine's stored snapshot;
(c) the peak resident memory of the worker (VmHWM; solo pool, so the worker process does the
    work).

Without DATABASE_URL / REDIS_URL it starts a throw-away PostgreSQL 15 cluster and Redis server
on 127.0.0.1 (as .ci/run does) and removes them at the end. With DATABASE_URL it works in a
separate database ``mfme_bench`` on that server (dropped first if it exists, and at the end
unless --keep), and never touches another database. Results: a table on stdout and
bench/results/<UTC timestamp>.json plus bench/results/last.json. Exits non-zero when a
correctness check fails; missed performance targets are only reported.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import io
import json
import os
import platform
import queue
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import _synthetic as synth
import numpy as np
import pandas as pd
import psycopg2
from psycopg2.extensions import quote_ident

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
BENCH_DB = "mfme_bench"
SETTINGS = "mfme.settings.local"
TARGET_A_SECONDS = 60.0
TARGET_A_OVER_B = 2.0
TARGET_WORKER_MIB = 4096.0
AS_OF = datetime.date(2025, 12, 31)
QUARTERS = ((2024, 4), (2025, 1), (2025, 2), (2025, 3), (2025, 4))
CHUNK_ROWS = 250_000
COMPUTATION_TIMEOUT = 30 * 60


def log(message: str) -> None:
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


class Timer:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def seconds(self) -> float:
        return round(time.perf_counter() - self.start, 3)


# --------------------------------------------------------------------------------------------
# Throw-away services
# --------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(*command: str | Path) -> list[str]:
    prefix = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--"]
    return (prefix if os.geteuid() == 0 else []) + [str(part) for part in command]


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(command, check=True, **kwargs)  # noqa: S603


def start_postgres(work_dir: Path, stack: contextlib.ExitStack, keep: bool) -> tuple[str, int]:
    """initdb + pg_ctl start in ``work_dir``; returns a URL of the maintenance database and the
    postmaster's process id."""
    data, sockets, pg_log = work_dir / "pgdata", work_dir / "pgsocket", work_dir / "postgres.log"
    data.mkdir()
    sockets.mkdir()
    pg_log.touch()
    if os.geteuid() == 0:
        for path in (data, sockets, pg_log):
            shutil.chown(path, "postgres", "postgres")
    port = _free_port()
    password = secrets.token_hex(16)
    _run(
        _as_postgres(
            PG_BIN / "initdb",
            "-D",
            data,
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        ),
        stdout=subprocess.DEVNULL,
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={sockets}"
        " -c max_wal_size=4GB"
    )
    _run(
        _as_postgres(PG_BIN / "pg_ctl", "-D", data, "-l", pg_log, "-w", "-t", "60", "start")
        + ["-o", options],
        stdout=subprocess.DEVNULL,
    )
    stop = _as_postgres(PG_BIN / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
    if keep:
        stack.callback(
            log,
            f"--keep: PostgreSQL still runs on 127.0.0.1:{port}; stop and remove it with:\n"
            f"    {' '.join(stop)} && rm -rf {work_dir}",
        )
    else:
        stack.callback(subprocess.run, stop, stdout=subprocess.DEVNULL, check=False)
    _run(
        _as_postgres(PG_BIN / "psql", "-h", sockets, "-p", str(port), "-U", "postgres", "-qAt")
        + ["-v", "ON_ERROR_STOP=1", "-c", f"CREATE ROLE mfme LOGIN CREATEDB PASSWORD '{password}'"]
        # CHECKPOINT after the load, so that its writes do not overlap the measurements.
        + ["-c", "GRANT pg_checkpoint TO mfme"],
        stdout=subprocess.DEVNULL,
    )
    log(f"PostgreSQL listening on 127.0.0.1:{port} (data in {data})")
    url = f"postgres://mfme:{password}@127.0.0.1:{port}/postgres"
    if keep:
        stack.callback(log, f"--keep: DATABASE_URL={_with_database(url, BENCH_DB)}")
    return url, int((data / "postmaster.pid").read_text().split()[0])


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(work_dir: Path, stack: contextlib.ExitStack) -> str:
    port = _free_port()
    pid_file = work_dir / "redis.pid"
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    _run(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--daemonize", "yes", "--dir", str(work_dir), "--pidfile", str(pid_file)]
        + ["--logfile", str(work_dir / "redis.log")]
    )

    def stop() -> None:
        if pid_file.exists() and pid_file.read_text().strip():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid_file.read_text()), signal.SIGTERM)

    stack.callback(stop)
    for _ in range(50):
        if _redis_ping(port):
            log(f"Redis listening on 127.0.0.1:{port}")
            return f"redis://127.0.0.1:{port}/0"
        time.sleep(0.2)
    raise RuntimeError("redis-server did not answer PING")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_bench_database(admin_url: str, stack: contextlib.ExitStack, drop_at_end: bool) -> str:
    """(Re)create ``mfme_bench`` on ``admin_url``'s server; returns its URL."""
    if urlsplit(admin_url).path.strip("/") == BENCH_DB:
        admin_url = _with_database(admin_url, "postgres")

    def execute(sql: str) -> None:
        connection = psycopg2.connect(admin_url)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    execute(f"CREATE DATABASE {BENCH_DB}")
    if drop_at_end:
        stack.callback(execute, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    return _with_database(admin_url, BENCH_DB)


# --------------------------------------------------------------------------------------------
# COPY: values to CSV with pandas, streamed to PostgreSQL by a second thread
# --------------------------------------------------------------------------------------------


class Fixed:
    """Integers in units of 10**-places (money: cents), written as decimals; NULL where -1."""

    def __init__(self, values: np.ndarray, places: int = 2) -> None:
        self.values, self.places = values, places


class Day:
    """Days since 1970-01-01, written as ISO dates; NULL where -1."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values


class NullableInt:
    """Integers, NULL where -1."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values


_DAY_BASE = synth.day("1990-01-01")
_DAY_LUT = np.append(
    np.datetime_as_string(
        np.arange(np.datetime64("1990-01-01"), np.datetime64("2041-01-01"))
    ).astype(object),
    None,
)
_FRACTION_LUT = {
    places: np.array([f".{i:0{places}d}" for i in range(10**places)], dtype=object)
    for places in (2, 3, 4)
}


def _encode(spec: object, lo: int, hi: int) -> object:
    if isinstance(spec, Fixed):
        values = spec.values[lo:hi]
        null = values == synth.NULL
        if (values[~null] < 0).any():
            raise ValueError("negative fixed-point value")
        unit = 10**spec.places
        text = (values // unit).astype(str).astype(object) + _FRACTION_LUT[spec.places][
            values % unit
        ]
        text[null] = None
        return text
    if isinstance(spec, Day):
        values = spec.values[lo:hi]
        index = np.where(values == synth.NULL, len(_DAY_LUT) - 1, values - _DAY_BASE)
        return _DAY_LUT[index]
    if isinstance(spec, NullableInt):
        values = spec.values[lo:hi]
        return pd.arrays.IntegerArray(values.astype(np.int64), values == synth.NULL)
    if isinstance(spec, np.ndarray):
        return spec[lo:hi]
    return np.full(hi - lo, spec, dtype=object)


def copy_plan(model: Any, values: dict[str, object], now: str) -> tuple[list[str], list, list]:
    """Columns of ``model`` to COPY, in table order: the generated ones, plus a value for every
    other NOT NULL column; fails if a NOT NULL column has none."""
    from django.db import models

    fields = model._meta.concrete_fields
    unknown = set(values) - {f.column for f in fields}
    if unknown:
        raise RuntimeError(f"{model.__name__} has no column {sorted(unknown)}")
    columns, specs, not_null_text = [], [], []
    for f in fields:
        if f.column in values:
            spec = values[f.column]
        elif f.null:
            continue
        elif f.column in ("created_at", "updated_at"):
            spec = now
        elif isinstance(f, models.BooleanField):
            spec = False
        elif isinstance(f, models.CharField | models.TextField) and f.blank:
            spec = ""
        elif f.has_default() and not callable(f.default):
            spec = str(f.get_default())
        else:
            raise RuntimeError(f"{model.__name__}.{f.column} is NOT NULL and nothing fills it")
        columns.append(f.column)
        specs.append(spec)
        if not f.null and isinstance(f, models.CharField | models.TextField):
            not_null_text.append(f.column)
    return columns, specs, not_null_text


class CopyPipe:
    """COPYs CSV chunks in a second thread, so pandas writes the next chunk meanwhile."""

    def __init__(self, connection: Any, depth: int = 3) -> None:
        self.connection = connection
        self.queue: queue.Queue[tuple[str, str, bytes] | None] = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.copy_seconds: dict[str, float] = defaultdict(float)
        self.thread = threading.Thread(target=self._run, name="copy", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with self.connection.cursor() as cursor:
            while (item := self.queue.get()) is not None:
                table, sql, payload = item
                if self.error is not None:
                    continue
                started = time.perf_counter()
                try:
                    cursor.copy_expert(sql, io.BytesIO(payload), size=len(payload) + 1)
                except BaseException as error:  # noqa: BLE001 - re-raised by the producer
                    self.error = error
                self.copy_seconds[table] += time.perf_counter() - started

    def put(self, item: tuple[str, str, bytes] | None) -> None:
        while True:
            if self.error is not None:
                raise self.error
            try:
                self.queue.put(item, timeout=0.5)
                return
            except queue.Full:
                if not self.thread.is_alive():
                    raise RuntimeError("the COPY thread died") from self.error

    def close(self) -> None:
        self.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


def copy_table(
    pipe: CopyPipe, model: Any, values: dict[str, object], rows: int, now: str
) -> dict[str, Any]:
    columns, specs, not_null_text = copy_plan(model, values, now)
    conn = pipe.connection
    options = "FORMAT csv"
    if not_null_text:
        options += f", FORCE_NOT_NULL ({', '.join(quote_ident(c, conn) for c in not_null_text)})"
    table = model._meta.db_table
    sql = (
        f"COPY {quote_ident(table, conn)} ({', '.join(quote_ident(c, conn) for c in columns)})"
        f" FROM STDIN WITH ({options})"
    )
    encode_seconds = 0.0
    size = 0
    for lo in range(0, rows, CHUNK_ROWS):
        hi = min(rows, lo + CHUNK_ROWS)
        started = time.perf_counter()
        frame = pd.DataFrame(
            {column: _encode(spec, lo, hi) for column, spec in zip(columns, specs, strict=True)},
            copy=False,
        )
        buffer = io.StringIO()
        frame.to_csv(buffer, header=False, index=False)
        payload = buffer.getvalue().encode()
        encode_seconds += time.perf_counter() - started
        size += len(payload)
        pipe.put((table, sql, payload))
    return {
        "rows": rows,
        "columns": len(columns),
        "csv_mib": round(size / 2**20, 1),
        "csv_seconds": round(encode_seconds, 3),
    }


# Indexes and foreign keys are dropped for the load and rebuilt afterwards (each in one pass,
# instead of row by row and, for Django's deferred foreign keys, one trigger event per row).
# Primary keys and CHECK constraints stay: every row is checked as it arrives.
_CONSTRAINTS_SQL = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = %s::regclass AND contype = %s ORDER BY conname
"""
_INDEXES_SQL = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
WHERE i.indrelid = %s::regclass AND NOT i.indisprimary ORDER BY 1
"""


def drop_secondary_structures(cursor: Any, tables: list[str]) -> list[str]:
    """Drop foreign keys, unique constraints and indexes (not primary keys) of ``tables``;
    returns the statements that recreate them."""
    foreign, unique, indexes = [], [], []
    for table in tables:
        quoted = quote_ident(table, cursor)
        for kind, bucket in (("f", foreign), ("u", unique)):
            cursor.execute(_CONSTRAINTS_SQL, (table, kind))
            for name, definition in cursor.fetchall():
                bucket.append((quoted, quote_ident(name, cursor), definition))
    for quoted, name, _definition in foreign + unique:
        cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {name}")
    for table in tables:
        cursor.execute(_INDEXES_SQL, (table,))
        indexes += cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return (
        [f"ALTER TABLE {t} ADD CONSTRAINT {n} {d}" for t, n, d in unique]
        + [definition for _name, definition in indexes]
        + [f"ALTER TABLE {t} ADD CONSTRAINT {n} {d}" for t, n, d in foreign]
    )


# --------------------------------------------------------------------------------------------
# Data: reference rows through the ORM, the loan book through COPY
# --------------------------------------------------------------------------------------------


def _money(cents: int) -> Decimal:
    return Decimal(int(cents)).scaleb(-2)


def create_institution() -> dict[str, Any]:
    from institutions.models import Branch, FinancingProduct, Institution, ReferenceData

    institution = Institution.objects.create(
        code="bench",
        name_en="Synthetic benchmark institution",
        country="MA",
        currency="MAD",
        legal_form=Institution.LegalForm.FINANCE_COMPANY,
        maturity_stage=Institution.MaturityStage.SHARIAH_COMPLIANT,
    )
    branches = Branch.objects.bulk_create(
        Branch(institution=institution, code=f"B{i + 1:02d}", name=f"Branch {i + 1}")
        for i in range(synth.BRANCHES)
    )
    products = FinancingProduct.objects.bulk_create(
        FinancingProduct(institution=institution, code=t.code, name=t.code, contract_type=t.code)
        for t in synth.TYPES
    )
    for year in (2024, 2025):
        ReferenceData.objects.create(
            country="MA",
            year=year,
            currency="MAD",
            exchange_rate_per_usd=Decimal("10"),
            gni_per_capita_usd=Decimal("3700"),
            gdp_per_capita_usd=Decimal("3900"),
            market_interest_rate=Decimal("25"),
            source="synthetic benchmark",
        )
    return {
        "institution": institution,
        "branch_ids": np.array([b.pk for b in branches]),
        "product_ids": np.array([p.pk for p in products]),
    }


def _next_id(model: Any) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1


def load_portfolio(url: str, portfolio: synth.Portfolio, setup: dict[str, Any]) -> dict[str, Any]:
    from institutions.models import (
        Client,
        FinancingContract,
        Instalment,
        Repayment,
        Restructuring,
        WriteOff,
    )

    p = portfolio
    now = datetime.datetime.now(datetime.UTC).isoformat(sep=" ", timespec="seconds")
    institution_id = setup["institution"].pk
    base = {m: _next_id(m) for m in (Client, FinancingContract, Instalment, Repayment)}
    client_ids = base[Client] + np.arange(len(p.clients["branch"]))
    contract_id = base[FinancingContract] + np.arange(len(p.contracts["financed"]))
    instalment_id = base[Instalment] + np.arange(len(p.instalments["contract"]))
    c, i, r = p.contracts, p.instalments, p.repayments
    rows = {  # model: (row count, column values)
        Client: (
            len(client_ids),
            {
                "id": client_ids,
                "institution_id": institution_id,
                "branch_id": setup["branch_ids"][p.clients["branch"]],
                "external_id": np.char.add("CL", np.char.zfill(client_ids.astype(str), 8)),
                "gender": p.clients["gender"],
                "birth_year": p.clients["birth_year"],
                "area": p.clients["area"],
                "first_financing_date": Day(p.clients["first_financing_date"]),
                "poverty_status": p.clients["poverty_status"],
            },
        ),
        FinancingContract: (
            len(contract_id),
            {
                "id": contract_id,
                "institution_id": institution_id,
                "branch_id": setup["branch_ids"][c["branch"]],
                "client_id": client_ids[c["client"]],
                "product_id": setup["product_ids"][c["type"]],
                "contract_type": c["code"],
                "external_id": np.char.add("F", np.char.zfill(contract_id.astype(str), 9)),
                "status": c["status"],
                "contract_date": Day(c["contract_date"]),
                "disbursement_date": Day(c["disbursement_date"]),
                "maturity_date": Day(c["maturity_date"]),
                "cycle_number": c["cycle_number"],
                "activity_sector": c["activity_sector"],
                "financed_amount": Fixed(c["financed"]),
                "profit_amount": Fixed(c["profit"]),
                "annual_profit_rate": Fixed(c["annual_profit_rate"], 4),
                "sale_price": Fixed(c["sale_price"]),
                "delivery_date": Day(c["delivery_date"]),
                "commodity": c["commodity"],
                "commodity_quantity": Fixed(c["commodity_quantity"], 3),
                "commodity_unit": c["commodity_unit"],
                "price_paid_date": Day(c["price_paid_date"]),
                "expected_sale_price": Fixed(c["expected_sale_price"]),
                "rent_amount": Fixed(c["rent_amount"]),
                "rent_start_date": Day(c["rent_start_date"]),
                "client_capital": Fixed(c["client_capital"]),
                "institution_profit_share": Fixed(c["institution_profit_share"], 4),
                "client_profit_share": Fixed(c["client_profit_share"], 4),
                "expected_roi": Fixed(c["expected_roi"], 4),
                "buyout_units": NullableInt(c["buyout_units"]),
            },
        ),
        Instalment: (
            len(instalment_id),
            {
                "id": instalment_id,
                "contract_id": contract_id[i["contract"]],
                "number": i["number"],
                "due_date": Day(i["due_date"]),
                "principal_due": Fixed(i["principal_due"]),
                "profit_due": Fixed(i["profit_due"]),
                "principal_paid": Fixed(i["principal_paid"]),
                "profit_paid": Fixed(i["profit_paid"]),
                "paid_date": Day(i["paid_date"]),
            },
        ),
        Repayment: (
            len(r["contract"]),
            {
                "id": base[Repayment] + np.arange(len(r["contract"])),
                "contract_id": contract_id[r["contract"]],
                "instalment_id": NullableInt(
                    np.where(
                        r["instalment"] == synth.NULL, synth.NULL, instalment_id[r["instalment"]]
                    )
                ),
                "value_date": Day(r["value_date"]),
                "principal_amount": Fixed(r["principal"]),
                "profit_amount": Fixed(r["profit"]),
            },
        ),
        Restructuring: (
            len(p.restructurings["contract"]),
            {
                "contract_id": contract_id[p.restructurings["contract"]],
                "external_id": "",
                "date": Day(p.restructurings["date"]),
                "amount_owed_before": Fixed(p.restructurings["before"]),
                "amount_owed_after": Fixed(p.restructurings["after"]),
                "maturity_before": Day(p.restructurings["maturity_before"]),
                "maturity_after": Day(p.restructurings["maturity_after"]),
                "reason": "synthetic rescheduling",
                "decided_by": "credit committee",
            },
        ),
        WriteOff: (
            len(p.write_offs["contract"]),
            {
                "contract_id": contract_id[p.write_offs["contract"]],
                "date": Day(p.write_offs["date"]),
                "principal_amount": Fixed(p.write_offs["principal"]),
                "profit_amount": Fixed(p.write_offs["profit"]),
                "reason": "more than 180 days late",
            },
        ),
    }
    for model, (_count, values) in rows.items():  # small tables get ids from their sequence
        if "id" not in values:
            values["id"] = _next_id(model) + np.arange(_count)

    tables = [model._meta.db_table for model in rows]
    timings: dict[str, Any] = {"tables": {}}
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            clock = Timer()
            rebuild = drop_secondary_structures(cursor, tables)
            timings["drop_indexes_seconds"] = clock.seconds
        clock = Timer()
        pipe = CopyPipe(connection)
        try:
            for model, (count, values) in rows.items():
                timings["tables"][model._meta.db_table] = copy_table(
                    pipe, model, values, count, now
                )
            pipe.close()
        except BaseException:
            with contextlib.suppress(BaseException):
                pipe.queue.put_nowait(None)
            raise
        timings["csv_and_copy_seconds"] = clock.seconds
        for table, seconds in pipe.copy_seconds.items():
            timings["tables"][table]["copy_seconds"] = round(seconds, 3)
        clock = Timer()
        slowest = []
        with connection.cursor() as cursor:
            for statement in rebuild:
                step = Timer()
                cursor.execute(statement)
                slowest.append((step.seconds, statement))
            timings["indexes_and_foreign_keys_seconds"] = clock.seconds
            timings["indexes_and_foreign_keys"] = len(rebuild)
            timings["slowest_rebuilds"] = [
                {"seconds": seconds, "sql": sql} for seconds, sql in sorted(slowest)[-5:][::-1]
            ]
            for table in tables:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), max(id)) FROM "
                    + quote_ident(table, cursor),
                    (table,),
                )
        clock = Timer()
        connection.commit()
        timings["commit_seconds"] = clock.seconds
        connection.autocommit = True
        clock = Timer()
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"VACUUM (ANALYZE) {quote_ident(table, cursor)}")
        timings["vacuum_analyze_seconds"] = clock.seconds
        clock = Timer()
        with connection.cursor() as cursor:
            try:  # needs pg_checkpoint (granted on the throw-away cluster)
                cursor.execute("CHECKPOINT")
                timings["checkpoint_seconds"] = clock.seconds
            except psycopg2.errors.InsufficientPrivilege:
                timings["checkpoint_seconds"] = None
    finally:
        connection.close()
    return timings


def create_periods(institution: Any, books: dict[tuple[int, int], dict[str, int]]) -> dict:
    """The quarters with balanced statements (gross portfolio = the computed outstanding) and
    staffing, so the computation runs its whole path."""
    from institutions.models import FinancialStatement, ReportingPeriod, StaffingSnapshot

    periods = {}
    for year, quarter in QUARTERS:
        period = ReportingPeriod.objects.create(institution=institution, year=year, quarter=quarter)
        book = books[(year, quarter)]
        gross = book["outstanding"]
        cash, short_term, other = gross * 8 // 100, gross * 2 // 100, gross * 3 // 100
        impairment = gross * 4 // 100
        assets = cash + short_term + gross + other - impairment
        third_party, other_liabilities = assets * 55 // 100, assets * 5 // 100
        liabilities = third_party + other_liabilities
        mudaraba = assets * 10 // 100
        equity = assets - liabilities - mudaraba
        income = book["profit_received"]
        amounts = {
            "cash_and_bank": cash,
            "short_term_investments": short_term,
            "gross_financing_portfolio": gross,
            "impairment_allowance": impairment,
            "other_assets": other,
            "total_assets": assets,
            "third_party_financing": third_party,
            "third_party_financing_short_term": third_party // 5,
            "other_liabilities": other_liabilities,
            "current_liabilities": third_party // 5 + other_liabilities,
            "total_liabilities": liabilities,
            "mudaraba_funds": mudaraba,
            "mudaraba_funds_short_term": mudaraba // 2,
            "total_equity": equity,
            "donated_equity": equity // 10,
            "financing_income": income,
            "other_operating_income": income * 3 // 100,
            "funding_expense_third_party": third_party * 2 // 100,
            "mudaraba_profit_distributed": mudaraba // 100,
            "provision_expense": gross * 5 // 1000,
            "personnel_expense": gross * 15 // 1000,
            "administrative_expense": gross // 100,
        }
        FinancialStatement.objects.create(
            period=period, **{name: _money(value) for name, value in amounts.items()}
        )
        StaffingSnapshot.objects.create(
            period=period, total_staff=320, financing_officers=190, women_staff=140
        )
        periods[(year, quarter)] = period
    return periods


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int, children: bool = False) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return (
        int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    )


def _child_pids(parent: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                pids.append(int(stat.parent.name))
    return pids


class OtherLoad:
    """CPU the machine spent on anything but this benchmark (other jobs, hypervisor steal)
    during a measurement, as a share of all its CPUs: how noisy the figure is. Ours: this
    process, the worker, and the throw-away PostgreSQL (its exited backends and parallel
    workers are in the postmaster's children time); on a given server, PostgreSQL counts as
    other load."""

    def __init__(self, pids: list[int], postmaster: int | None) -> None:
        self.pids, self.postmaster = pids, postmaster

    def _ours(self) -> int:
        ticks = sum(_cpu_ticks(pid) for pid in self.pids)
        if self.postmaster:
            ticks += _cpu_ticks(self.postmaster, children=True)
            ticks += sum(_cpu_ticks(pid) for pid in _child_pids(self.postmaster))
        return ticks

    @staticmethod
    def _busy() -> int:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (
            int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
        )
        return user + nice + system + irq + softirq + steal

    def __enter__(self) -> OtherLoad:
        self.started, self.busy, self.ours = time.perf_counter(), self._busy(), self._ours()
        return self

    def __exit__(self, *_exc: object) -> None:
        wall = time.perf_counter() - self.started
        other = (self._busy() - self.busy) - (self._ours() - self.ours)
        self.share = round(max(other, 0) / (_TICK * wall * len(os.sched_getaffinity(0))), 2)


def start_worker(
    env: dict[str, str], work_dir: Path, queue_name: str, stack: contextlib.ExitStack
) -> subprocess.Popen[bytes]:
    from mfme.celery import app

    celery = Path(sys.executable).parent / "celery"
    if not celery.exists():
        celery = ROOT / ".venv" / "bin" / "celery"
    hostname = f"{queue_name}@{socket.gethostname()}"
    output = open(work_dir / "celery.log", "wb")  # noqa: SIM115 - closed by the exit stack
    stack.callback(output.close)
    worker = subprocess.Popen(  # noqa: S603
        [str(celery), "-A", "mfme", "worker", "--pool=solo", "--concurrency=1"]
        + ["--loglevel=INFO", "-Q", queue_name, f"--hostname={hostname}"]
        + ["--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def stop() -> None:
        if worker.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()

    stack.callback(stop)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(
                f"the worker exited ({worker.returncode}); see {work_dir}/celery.log"
            )
        if app.control.ping(destination=[hostname], timeout=1.0):
            log(f"worker {hostname} (pid {worker.pid}) answers")
            return worker
    raise RuntimeError("the Celery worker did not answer a ping within 90 s")


def compute_through_worker(period: Any, meter: OtherLoad) -> dict[str, Any]:
    """computation_request (enqueued on commit), then poll the row until it is done."""
    from django.db import transaction

    from indicators.models import IndicatorComputation
    from indicators.services import computation_request

    Status = IndicatorComputation.Status
    with meter:
        started = time.perf_counter()
        with transaction.atomic():
            computation = computation_request(period=period, trigger="manual")
        while True:
            row = IndicatorComputation.objects.filter(pk=computation.pk).values(
                "status", "duration_seconds", "timings", "error", "created_at", "started_at"
            )[0]
            if row["status"] in (Status.SUCCEEDED, Status.FAILED):
                break
            if time.perf_counter() - started > COMPUTATION_TIMEOUT:
                raise RuntimeError(f"computation {computation.pk} still {row['status']}")
            time.sleep(0.02)
        wall = time.perf_counter() - started
    if row["status"] != Status.SUCCEEDED:
        raise RuntimeError(f"computation {computation.pk} failed:\n{row['error']}")
    return {
        "computation_id": computation.pk,
        "wall_seconds": round(wall, 3),
        "duration_seconds": round(row["duration_seconds"], 3),
        "queue_seconds": round((row["started_at"] - row["created_at"]).total_seconds(), 3),
        "timings": row["timings"],
        "other_load": meter.share,
    }


def reference_sql() -> str:
    from institutions.models import (
        DEBT_BASED_TYPES,
        FinancingContract,
        Instalment,
        Repayment,
        WriteOff,
    )

    debt = ", ".join(f"'{t}'" for t in sorted(DEBT_BASED_TYPES))
    return f"""
WITH paid AS (
  SELECT r.contract_id, sum(r.principal_amount) AS principal
  FROM {Repayment._meta.db_table} r
  WHERE r.value_date <= %(as_of)s
  GROUP BY r.contract_id
), late AS (
  SELECT i.contract_id, min(i.due_date) AS oldest_unpaid_due
  FROM {Instalment._meta.db_table} i
  WHERE i.due_date <= %(as_of)s AND (i.paid_date IS NULL OR i.paid_date > %(as_of)s)
  GROUP BY i.contract_id
), book AS (
  SELECT c.contract_type IN ({debt}) AS debt_based,
         c.financed_amount - coalesce(p.principal, 0) AS outstanding,
         CAST(%(as_of)s AS date) - l.oldest_unpaid_due AS days_late
  FROM {FinancingContract._meta.db_table} c
  LEFT JOIN paid p ON p.contract_id = c.id
  LEFT JOIN late l ON l.contract_id = c.id
  WHERE c.institution_id = %(institution_id)s AND c.disbursement_date <= %(as_of)s
    AND NOT EXISTS (SELECT 1 FROM {WriteOff._meta.db_table} w
                    WHERE w.contract_id = c.id AND w.date <= %(as_of)s)
)
SELECT sum(outstanding) AS outstanding,
       coalesce(sum(outstanding) FILTER (WHERE debt_based AND days_late > 30), 0) AS par30,
       coalesce(sum(outstanding) FILTER (WHERE days_late > 30), 0) AS par30_all
FROM book
WHERE outstanding > 0
"""


def run_reference(cursor: Any, institution_id: int, meter: OtherLoad) -> tuple[float, tuple]:
    with meter:
        clock = Timer()
        cursor.execute(reference_sql(), {"as_of": AS_OF, "institution_id": institution_id})
        result = cursor.fetchone()
        seconds = clock.seconds
    return seconds, result


def explain_engine(url: str, institution_id: int) -> list[str]:
    """EXPLAIN ANALYZE of the engine's statement for the first part of the contract-id range,
    with the settings portfolio_at gives it (run alone here, not beside the other parts)."""
    from django.db import connection as django_connection

    from indicators.portfolio import JIT_SETTINGS, _contract_id_range, _parts, _portfolio_sql

    with django_connection.cursor() as django_cursor:
        whole = _contract_id_range(django_cursor, institution_id)
    parts = _parts(*whole)
    first_id, last_id = parts[0]
    params = {
        "institution_id": institution_id,
        "as_of": AS_OF.isoformat(),
        "window_start": "2025-09-30",
        "first_id": first_id,
        "last_id": last_id,
    }
    connection = psycopg2.connect(url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for name, value in JIT_SETTINGS:  # as portfolio_at runs it
                cursor.execute(f"SET {name} = {value}")
            if len(parts) > 1:
                cursor.execute("SET max_parallel_workers_per_gather = 0")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + _portfolio_sql(), params)
            return [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


def _vm_hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmHWM")


def _machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().split()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "ram_gib": round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 2**20, 1),
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "psycopg2": psycopg2.__version__.split()[0],
    }


def _server(url: str) -> dict[str, Any]:
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            found: dict[str, Any] = {}
            for name in (
                "server_version",
                "shared_buffers",
                "work_mem",
                "max_parallel_workers_per_gather",
                "jit",
                "max_wal_size",
            ):
                cursor.execute(f"SHOW {name}")
                found[name] = cursor.fetchone()[0]
            cursor.execute(
                "SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class"
                " WHERE relname IN ('institutions_financingcontract', 'institutions_instalment',"
                " 'institutions_repayment', 'institutions_client') ORDER BY relname"
            )
            found["sizes"] = dict(cursor.fetchall())
            return found
    finally:
        connection.close()


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def _raise_exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _summary(values: list[float]) -> dict[str, float]:
    return {"best": min(values), "median": round(statistics.median(values), 3), "runs": values}


def benchmark(args: argparse.Namespace, stack: contextlib.ExitStack) -> dict[str, Any]:
    results: dict[str, Any] = {
        "contracts": args.contracts,
        "started_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
    }
    own_pg = not os.environ.get("DATABASE_URL")
    own_redis = not os.environ.get("REDIS_URL")
    work_dir = Path(tempfile.mkdtemp(prefix="mfme-bench."))
    work_dir.chmod(0o755)
    if not (args.keep and own_pg):
        stack.callback(shutil.rmtree, work_dir, ignore_errors=True)
    # Stopped in reverse order: the services go after everything that uses them.
    postmaster = None
    if own_pg:
        admin_url, postmaster = start_postgres(work_dir, stack, args.keep)
    else:
        admin_url = os.environ["DATABASE_URL"]
        if urlsplit(admin_url).scheme not in ("postgres", "postgresql", "pgsql"):
            raise SystemExit("DATABASE_URL must point at PostgreSQL")
    redis_url = start_redis(work_dir, stack) if own_redis else os.environ["REDIS_URL"]
    # A throw-away cluster is deleted whole; on a given server, drop our database unless --keep.
    url = create_bench_database(admin_url, stack, drop_at_end=not own_pg and not args.keep)
    results["services"] = {
        "postgresql": "throw-away cluster" if own_pg else f"DATABASE_URL, database {BENCH_DB}",
        "redis": "throw-away server" if own_redis else "REDIS_URL",
    }
    queue_name = f"mfme-bench-{os.getpid()}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "MFME_DEBUG": "false",  # as in production: no query log in the worker
    }
    os.environ.update(env)

    clock = Timer()
    migrate = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if migrate.returncode:
        raise RuntimeError(f"migrate failed:\n{migrate.stdout[-3000:]}{migrate.stderr[-3000:]}")
    results["migrate_seconds"] = clock.seconds
    log(f"migrated {BENCH_DB} in {results['migrate_seconds']} s")

    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connections

    from indicators.models import PortfolioSnapshot
    from institutions.models import ContractType, quarter_bounds
    from mfme.celery import app

    app.conf.task_default_queue = queue_name  # our worker only: never another one's tasks
    stack.callback(connections.close_all)
    if {t.code for t in synth.TYPES} != set(ContractType.values):
        raise RuntimeError("bench/_synthetic.py does not cover exactly the ContractType values")
    results["server"] = _server(url)

    # --- Generate and load ------------------------------------------------------------------
    setup = create_institution()
    clock = Timer()
    portfolio = synth.generate(args.contracts, seed=args.seed)
    results["generate_seconds"] = clock.seconds
    results["rows"] = portfolio.sizes
    log(f"generated {portfolio.sizes} in {results['generate_seconds']} s")
    books = {}
    for year, quarter in QUARTERS:
        start, end = quarter_bounds(year, quarter)
        window_start = start - datetime.timedelta(days=1)
        books[(year, quarter)] = synth.book_at(portfolio, synth.day(end), synth.day(window_start))
    clock = Timer()
    results["load"] = load_portfolio(url, portfolio, setup)
    results["load"]["total_seconds"] = clock.seconds
    log(
        f"loaded in {results['load']['total_seconds']} s (CSV + COPY "
        f"{results['load']['csv_and_copy_seconds']} s, indexes and foreign keys "
        f"{results['load']['indexes_and_foreign_keys_seconds']} s, VACUUM ANALYZE "
        f"{results['load']['vacuum_analyze_seconds']} s)"
    )
    del portfolio
    gc.collect()
    periods = create_periods(setup["institution"], books)
    expected = books[(2025, 4)]
    results["book_2025q4"] = {
        "outstanding": str(_money(expected["outstanding"])),
        "par30_debt_based": round(expected["late_30"] / expected["outstanding"], 4),
        "active_financings": expected["active_financings"],
    }
    results["server"]["sizes"] = _server(url)["sizes"]

    # --- (a) through the worker and (b) the reference, interleaved --------------------------
    worker = start_worker(env, work_dir, queue_name, stack)

    def meter() -> OtherLoad:
        return OtherLoad([os.getpid(), worker.pid], postmaster)

    log("(a) 2025Q3 first (it also stores the 2024Q4, 2025Q1 and 2025Q2 snapshots) …")
    cold = compute_through_worker(periods[(2025, 3)], meter())
    log(f"    {cold['wall_seconds']} s {cold['timings']}")
    institution_id = setup["institution"].pk
    runs, reference_runs = [], []
    connection = psycopg2.connect(url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for n in range(args.runs):
                runs.append(compute_through_worker(periods[(2025, 4)], meter()))
                log(
                    f"(a) 2025Q4 run {n + 1}: {runs[-1]['wall_seconds']} s {runs[-1]['timings']}"
                    f" (other load {runs[-1]['other_load']:.0%})"
                )
                gauge = meter()
                seconds, (outstanding, par30, par30_all) = run_reference(
                    cursor, institution_id, gauge
                )
                reference_runs.append({"seconds": seconds, "other_load": gauge.share})
                log(f"(b) reference run {n + 1}: {seconds} s (other load {gauge.share:.0%})")
    finally:
        connection.close()
    worker_peak = _vm_hwm_mib(worker.pid)
    wall = [run["wall_seconds"] for run in runs]
    best = runs[wall.index(min(wall))]
    results["a"] = {
        "first_2025q3": cold,
        "wall_seconds": _summary(wall),
        "duration_seconds": _summary([run["duration_seconds"] for run in runs]),
        "timings_of_best": best["timings"],
        "runs": runs,
    }
    results["b"] = {
        "seconds": _summary([run["seconds"] for run in reference_runs]),
        "runs": reference_runs,
        "sql": reference_sql(),
    }
    results["other_load"] = {
        "what": "share of the machine's CPUs used by other processes (or stolen) during a run",
        "max": max(r["other_load"] for r in runs + reference_runs),
    }

    # --- Checks -------------------------------------------------------------------------------
    snapshot = PortfolioSnapshot.objects.get(
        period=periods[(2025, 4)], source="loan_level", segment="total"
    )
    figures = {
        "outstanding": (snapshot.outstanding, outstanding, _money(expected["outstanding"])),
        "par30 (late_30, debt-based)": (snapshot.late_30, par30, _money(expected["late_30"])),
        "par30 all types (late_all_30)": (
            snapshot.late_all_30,
            par30_all,
            _money(expected["late_all_30"]),
        ),
    }
    results["checks"] = {
        name: {
            "engine": str(engine),
            "reference_sql": str(reference),
            "generator": str(generator),
            "ok": engine == reference == generator,
        }
        for name, (engine, reference, generator) in figures.items()
    }

    # --- (c) memory, verdicts ----------------------------------------------------------------
    results["c"] = {
        "worker_peak_rss_mib": worker_peak,
        "bench_process_peak_rss_mib": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
    }
    a_best, b_best = results["a"]["wall_seconds"]["best"], results["b"]["seconds"]["best"]
    results["a_over_b"] = round(a_best / b_best, 2)
    results["targets"] = {
        "a_seconds": {
            "target": TARGET_A_SECONDS,
            "value": a_best,
            "pass": a_best <= TARGET_A_SECONDS,
        },
        "a_over_b": {
            "target": TARGET_A_OVER_B,
            "value": results["a_over_b"],
            "pass": results["a_over_b"] <= TARGET_A_OVER_B,
        },
        "worker_peak_mib": {
            "target": TARGET_WORKER_MIB,
            "value": worker_peak,
            "pass": worker_peak <= TARGET_WORKER_MIB,
        },
    }
    if args.explain:
        log("EXPLAIN (ANALYZE, BUFFERS) of the engine's portfolio statement at 2025-12-31 …")
        results["explain_engine_book"] = explain_engine(url, institution_id)
        print("\n".join(results["explain_engine_book"]))
    return results


def _table(results: dict[str, Any]) -> str:
    load = results["load"]
    a, b, c = results["a"], results["b"], results["c"]
    targets = results["targets"]

    def verdict(name: str) -> str:
        return "pass" if targets[name]["pass"] else "FAIL"

    lines: list[tuple[str, str, str, str]] = [
        ("generate (numpy)", f"{results['generate_seconds']:.1f} s", "", ""),
        ("CSV (pandas) + COPY, overlapped", f"{load['csv_and_copy_seconds']:.1f} s", "", ""),
        ("indexes + foreign keys", f"{load['indexes_and_foreign_keys_seconds']:.1f} s", "", ""),
        ("VACUUM ANALYZE", f"{load['vacuum_analyze_seconds']:.1f} s", "", ""),
        ("load total", f"{load['total_seconds']:.1f} s", "", ""),
        ("(a) 2025Q3 first, 4 as-of dates", f"{a['first_2025q3']['wall_seconds']:.2f} s", "", ""),
        (
            "(a) 2025Q4 via Celery, best / median",
            f"{a['wall_seconds']['best']:.2f} / {a['wall_seconds']['median']:.2f} s",
            f"<= {TARGET_A_SECONDS:.0f} s",
            verdict("a_seconds"),
        ),
    ]
    lines += [
        (f"    step {step}", f"{seconds:.2f} s", "", "")
        for step, seconds in sorted(a["timings_of_best"].items(), key=lambda item: -item[1])
    ]
    lines += [
        (
            "(b) reference SQL, best / median",
            f"{b['seconds']['best']:.2f} / {b['seconds']['median']:.2f} s",
            "",
            "",
        ),
        (
            "a / b (best)",
            f"{results['a_over_b']:.2f}",
            f"<= {TARGET_A_OVER_B:.0f}",
            verdict("a_over_b"),
        ),
        (
            "(c) worker peak RSS",
            f"{c['worker_peak_rss_mib']:.0f} MiB",
            f"<= {TARGET_WORKER_MIB:.0f} MiB",
            verdict("worker_peak_mib"),
        ),
        ("bench process peak RSS", f"{c['bench_process_peak_rss_mib']:.0f} MiB", "", ""),
        ("other load on the machine, max", f"{results['other_load']['max']:.0%} of CPUs", "", ""),
    ]
    lines += [
        (f"check {name}", check["engine"], "= ref = gen", "ok" if check["ok"] else "MISMATCH")
        for name, check in results["checks"].items()
    ]
    widths = [max(len(row[i]) for row in lines) for i in range(4)]
    header = ("step", "value", "target", "result")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    render: Callable[[tuple[str, ...]], str] = lambda row: "  ".join(  # noqa: E731
        cell.ljust(width) for cell, width in zip(row, widths, strict=True)
    ).rstrip()
    return "\n".join(
        [render(header), render(tuple("-" * w for w in widths))] + [render(r) for r in lines]
    )


def _write(results: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(results, indent=2, default=str) + "\n"
    path = RESULTS / f"{stamp}.json"
    path.write_text(text)
    (RESULTS / "last.json").write_text(text)
    return path


@contextlib.contextmanager
def _signals() -> Iterator[None]:
    previous = {s: signal.signal(s, _raise_exit) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3, help="measured runs of (a) and (b)")
    parser.add_argument("--seed", type=int, default=20260331)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the bench database (and the throw-away cluster) for inspection",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="also EXPLAIN ANALYZE the engine's portfolio statement and store the plan in the JSON",
    )
    args = parser.parse_args()
    with _signals(), contextlib.ExitStack() as stack:
        results = benchmark(args, stack)
    print()
    print(_table(results))
    path = _write(results)
    print(f"\nresults: {path.relative_to(ROOT)} and bench/results/last.json")
    failed = [name for name, check in results["checks"].items() if not check["ok"]]
    if failed:
        print(f"CORRECTNESS CHECK FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
