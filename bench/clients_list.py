"""Benchmark of the admin clients list at hosting-provider scale, on SQLite.

Usage: uv run python bench/clients_list.py [--accounts 100000] [--runs 7] [--db PATH]

Migrates a fresh SQLite file, fills it by bulk insert with N accounts, each with its
owner (a user), a primary contact, and every tenth account an extra contact; 3
stores; 2% of accounts suspended. Then times `search_clients` (the query behind
`/admin/clients` and `GET /api/v1/admin/clients`): the first page, a search, a
filtered page and a deep page. Each figure is the median of `--runs` calls after one
warm-up call, with its ratio to the 100 ms target (below 1 is within target). It
reports, and never asserts: the exit status is always 0.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from panel.core import db
from panel.core.clients.search import ClientFilters, ClientPage, search_clients
from panel.core.plugins import PanelPlugins
from panel.settings import load_settings

TARGET_MS = 100.0
FIRST = ("Anna", "Ben", "Carla", "David", "Eva", "Felix", "Greta", "Hugo", "Ida", "Jonas")
LAST = ("Meyer", "Schulz", "Novak", "Rossi", "Dubois", "Jansen", "Silva", "Kowalski", "Berg", "Smith")
KINDS = ("Hosting", "Web", "Media", "Studio", "Consulting", "Shop", "Labs", "Design")


def fill(path: Path, n: int) -> None:
    """Bulk-insert the synthetic provider straight into the migrated tables."""
    now = datetime.now(UTC).isoformat()
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO panel_store (id, name, slug, currency, is_default, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (1, "Main store", "main", "USD", True, now),
                (2, "Acme Reseller", "acme", "EUR", False, now),
                (3, "Nordic", "nordic", "SEK", False, now),
            ],
        )
        conn.executemany(
            "INSERT INTO panel_user (id, email, name, password_hash, is_active, language, created_at) "
            "VALUES (?, ?, ?, '', 1, 'en', ?)",
            ((i, f"owner{i}@client{i % 997}.example", f"Owner {i}", now) for i in range(1, n + 1)),
        )
        conn.executemany(
            "INSERT INTO panel_account (id, name, status, owner, store, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                (
                    i,
                    f"{LAST[i % 10]} {KINDS[i % 8]} {i}",
                    "suspended" if i % 50 == 0 else "active",
                    i,
                    1 + i % 3,
                    now,
                )
                for i in range(1, n + 1)
            ),
        )
        contacts = []
        for i in range(1, n + 1):
            name = f"{FIRST[i % 10]} {LAST[(i // 10) % 10]}"
            contacts.append((i, name, f"{LAST[i % 10]} {KINDS[i % 8]} GmbH", f"c{i}@example.com", True, True))
            if i % 10 == 0:
                contacts.append((i, f"Agency {i}", "Agency Partners Ltd", f"a{i}@agency.example", False, False))
        conn.executemany(
            "INSERT INTO panel_contacts_contact (account, name, company, email, phone, address1, address2, city, "
            "region, postcode, country, vat_id, is_primary, is_billing, created_at, updated_at) "
            f"VALUES (?, ?, ?, ?, '', '', '', '', '', '', 'DE', '', ?, ?, '{now}', '{now}')",
            contacts,
        )
    conn.execute("ANALYZE")
    conn.close()


async def timed(call: Callable[[], Awaitable[ClientPage]], runs: int) -> tuple[float, ClientPage]:
    """Median milliseconds of `runs` calls after one warm-up, and the last answer."""
    answer = await call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        answer = await call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), answer


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file to create (default: a temporary one)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-clients-"))
    path = args.db or folder / "bench.sqlite3"
    path.unlink(missing_ok=True)
    settings = load_settings(
        environ={"PANEL_DATABASE_URL": f"sqlite:///{path}", "PANEL_DATA_DIR": str(folder), "PANEL_PLUGINS": "all"},
        config=Path("/nonexistent/panel.toml"),
    )
    db.configure(settings, PanelPlugins(settings, discover=False).piccolo_apps())
    await db.migrate()
    start = time.perf_counter()
    fill(path, args.accounts)
    with sqlite3.connect(path) as conn:
        conn.execute("ANALYZE")
    print(f"filled {args.accounts:,} accounts (owners, contacts, stores) in {time.perf_counter() - start:.1f} s")

    cases: list[tuple[str, ClientFilters, int]] = [
        ("first page, no filter", ClientFilters(), 0),
        ("search 'schulz web' (name)", ClientFilters(q="schulz web 4"), 0),
        ("search 'client42.' (owner email)", ClientFilters(q="client42."), 0),
        ("search 'agency 777' (contact)", ClientFilters(q="agency 777"), 0),
        ("filtered: suspended in store 2", ClientFilters(status="suspended", store_id=2), 0),
        ("filtered: active, page 100", ClientFilters(status="active"), 99 * 50),
    ]
    print(f"{'case':40} {'median ms':>10} {'target':>8} {'ratio':>6} {'matches':>8}")
    for label, filters, offset in cases:
        ms, answer = await timed(lambda f=filters, o=offset: search_clients(f, 50, o), args.runs)
        print(f"{label:40} {ms:10.1f} {TARGET_MS:8.0f} {ms / TARGET_MS:6.2f} {answer.total:8,}")


if __name__ == "__main__":
    asyncio.run(main())
