"""Benchmark of the daily renewal run at hosting-provider scale, on SQLite and PostgreSQL.

Usage: uv run python bench/renewals.py [--services 100000] [--db sqlite|postgres|both] [--pg-url URL]

Migrates a fresh database, fills it by bulk insert with N services (5 per account,
annual, due dates spread evenly over the next 365 days), then times what the daily
`lifecycle.renewals` task does (`issue_due_renewals`): the first run, which invoices
every service due within `renew_days_before` (14) days, and the next day's run, which
invoices one day's worth. Each invoice is written with its lines, renewal rows, audit
event and queued email, as in production. Memory: the process's resident size
before and after each run and its peak (the run walks services in batches of 500, so
none should grow with N; `tracemalloc` is not used because it slows Python several
times over). Prints figures and ratios to the
targets of the issue (60 s on SQLite, 30 s on PostgreSQL; below 1 is within target);
never asserts, exits 0. `--pg-url` (or PANEL_TEST_PG_URL) names a PostgreSQL server;
a database `hostpanel_bench_renewals` is created in it and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from panel.core import db, runtime
from panel.core.lifecycle.config import LifecycleConfig
from panel.core.lifecycle.renewals import issue_due_renewals
from panel.core.plugins import PanelPlugins
from panel.settings import load_settings

TARGETS = {"sqlite": 60.0, "postgres": 30.0}
PER_ACCOUNT = 5
PRICE = 12000


def rss_mib() -> float:
    """The peak resident set size of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rows(n: int, today: date) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """(table, rows) to insert, in dependency order."""
    now = datetime.now(UTC)
    accounts = (n + PER_ACCOUNT - 1) // PER_ACCOUNT
    yield "panel_store", [(1, "Main store", "main", "USD", True, now)]
    yield (
        "panel_user",
        [(i, f"owner{i}@client.example", f"Owner {i}", "", True, "en", now) for i in range(1, accounts + 1)],
    )
    yield "panel_account", [(i, f"Client {i}", "active", i, 1, now) for i in range(1, accounts + 1)]
    yield "panel_catalog_product", [(1, "Hosting", "hosting", "dummy.thing", "{}", now)]
    yield (
        "panel_service",
        [
            (
                i, 1 + (i - 1) // PER_ACCOUNT, 1, 1, "dummy.thing", f"site{i}.example", "active", "annual", "USD",
                PRICE, today + timedelta(days=i % 365), now, "{}", "{}", "{}", "", "", now,
            )
            for i in range(1, n + 1)
        ],
    )  # fmt: skip


COLUMNS = {
    "panel_store": "id, name, slug, currency, is_default, created_at",
    "panel_user": "id, email, name, password_hash, is_active, language, created_at",
    "panel_account": "id, name, status, owner, store, created_at",
    "panel_catalog_product": "id, name, slug, product_type, config, created_at",
    "panel_service": "id, account, store, product, product_type, label, status, cycle, currency, recurring_amount, "
    "next_due_date, activated_at, options, fields, data, provision_error, suspend_reason, created_at",
}


def fill_sqlite(path: Path, n: int, today: date) -> None:
    conn = sqlite3.connect(path)
    with conn:
        for table, values in rows(n, today):
            marks = ", ".join("?" for _ in COLUMNS[table].split(","))
            conn.executemany(
                f"INSERT INTO {table} ({COLUMNS[table]}) VALUES ({marks})",
                [tuple(v.isoformat() if isinstance(v, date | datetime) else v for v in row) for row in values],
            )
    conn.close()


async def fill_postgres(url: str, n: int, today: date) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        for table, values in rows(n, today):
            columns = [c.strip() for c in COLUMNS[table].split(",")]
            await conn.copy_records_to_table(table, records=values, columns=columns)
        for table in COLUMNS:
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def current_rss_mib() -> float:
    """The resident set size of this process now, in MiB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


async def timed_run(today: date) -> tuple[float, int, int]:
    """(seconds, invoices, services) of one daily run."""
    started = time.perf_counter()
    run = await issue_due_renewals(today, LifecycleConfig())
    return time.perf_counter() - started, len(run.invoices), run.services


async def bench(kind: str, url: str, n: int, data: Path) -> None:
    os.environ["PANEL_DATABASE_URL"] = url
    settings = load_settings(
        environ={"PANEL_DATABASE_URL": url, "PANEL_DATA_DIR": str(data), "PANEL_SECRET_KEY": "x" * 40},
        config=Path("/nonexistent/panel.toml"),
    )
    plugins = PanelPlugins(settings)
    db.configure(settings, plugins.piccolo_apps())
    await db.migrate()
    runtime.install(runtime.from_plugins(settings, plugins))
    runtime.install_mailer(settings, plugins)
    today = datetime.now(UTC).date()
    started = time.perf_counter()
    if kind == "sqlite":
        fill_sqlite(Path(db.sqlite_path(url)), n, today)
    else:
        await fill_postgres(url, n, today)
    print(f"[{kind}] filled {n:,} services in {time.perf_counter() - started:.1f} s; RSS {rss_mib():.0f} MiB")
    await db.connect()
    try:
        for label, day in (("first run (15 days due)", today), ("next day", today + timedelta(days=1))):
            before = current_rss_mib()
            seconds, invoices, services = await timed_run(day)
            target = TARGETS[kind]
            print(
                f"[{kind}] {label}: {services:,} services on {invoices:,} invoices in {seconds:.1f} s "
                f"({services / seconds:,.0f}/s; target {target:.0f} s, ratio {seconds / target:.2f}); "
                f"RSS {before:.0f} -> {current_rss_mib():.0f} MiB (peak {rss_mib():.0f})"
            )
    finally:
        await db.disconnect()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=os.environ.get("PANEL_TEST_PG_URL", ""))
    return parser.parse_args()


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if args.db == "sqlite":
            await bench("sqlite", f"sqlite:///{tmp}/bench.sqlite3", args.services, Path(tmp))
        if args.db == "postgres":
            if not args.pg_url:
                print("[postgres] skipped: give --pg-url or PANEL_TEST_PG_URL")
                return
            import asyncpg

            admin = await asyncpg.connect(args.pg_url)
            name = "hostpanel_bench_renewals"
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
            try:
                await bench("postgres", args.pg_url.rsplit("/", 1)[0] + f"/{name}", args.services, Path(tmp))
            finally:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await admin.close()


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.db == "both":  # one process per database: the panel configures one engine per process
        for kind in ("sqlite", "postgres"):
            run = [sys.executable, __file__, "--services", str(arguments.services), "--db", kind]
            subprocess.run([*run, "--pg-url", arguments.pg_url], check=False)
    else:
        asyncio.run(main(arguments))
