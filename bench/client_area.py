"""Benchmark of the client area at hosting-provider scale, beside a bare Litestar page, on SQLite and PostgreSQL.

Usage: uv run python bench/client_area.py [--accounts 100000] [--tickets 100000] [--db sqlite|postgres|both]
       [--pg-url URL] [--workers CORES] [--connections 32] [--seconds 5] [--rounds 3] [--profile]

Migrates a fresh database and fills it by bulk insert: N accounts, each with its owner
(a user), membership and grants; T support tickets with their first message, spread
over the accounts (the benchmark user's account holds 60 of them, and the user is also
a member of two more accounts). Then it serves, with uvicorn and the same number of
workers, in turn: a bare Litestar app that renders a Jinja page of 50 rows from a
Python list (the ceiling), and the real panel (in-app job worker off). It logs the
benchmark user in through the login form and loads, with wrk at `--connections`
concurrent connections, the bare page, the client-area home `/` and the ticket list
`/tickets`: requests per second, p50 and p99 latency, and each page's ratio to the bare
page against the targets of issue 6 (home at >= 50% on PostgreSQL, >= 35% on SQLite;
p99 <= 50 ms). Last, `--connections` clients post ticket replies at once and the
`database is locked` errors are counted (target 0).

`--profile` instead runs the panel in this process and profiles a few hundred
sequential requests of each page (no network, no other load): where the CPU time of a
request goes, by package. Never asserts; exits 0. wrk is installed with apt-get if
missing. `--pg-url` (or PANEL_TEST_PG_URL) names a PostgreSQL server; a database
`hostpanel_bench_client_area` is created in it and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TARGET_HOME = {"sqlite": 0.35, "postgres": 0.50}
TARGET_P99_MS = 50.0
PASSWORD = "bench-password-123"
BENCH_EMAIL = "bench@client.example"
OWN_TICKETS = 60
SECRET = "bench-secret-key-that-is-long-enough-0123456789"
PG_NAME = "hostpanel_bench_client_area"

# -- the apps uvicorn serves (imported by its workers: keep module level light) -----------

BARE_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<link rel="stylesheet" href="/static/panel.css"></head>
<body><header><nav><a href="/">Home</a> <a href="/services">Services</a> <a href="/invoices">Invoices</a>
<a href="/tickets">Support</a></nav><p>Logged in as {{ user }}</p></header>
<main><h1>{{ title }}</h1>
<table><thead><tr><th>#</th><th>Subject</th><th>Status</th><th>Priority</th><th>Updated</th></tr></thead>
<tbody>
{% for row in rows %}<tr><td><a href="/tickets/{{ row.id }}">{{ row.number }}</a></td><td>{{ row.subject }}</td>
<td><span class="badge badge-{{ row.status }}">{{ row.status|title }}</span></td><td>{{ row.priority }}</td>
<td>{{ row.updated }}</td></tr>
{% endfor %}</tbody></table></main>
<footer>hostpanel</footer></body></html>
"""


def bare_app() -> Any:
    """The ceiling: a Litestar app rendering a Jinja page of 50 rows from a Python list."""
    from jinja2 import DictLoader, Environment
    from litestar import Litestar, get
    from litestar.plugins.jinja import JinjaTemplateEngine
    from litestar.response import Template
    from litestar.template.config import TemplateConfig

    rows = [
        {
            "id": i,
            "number": f"TKT-{i:07d}",
            "subject": f"Mail delivery to example{i}.org bounces since the upgrade",
            "status": ("open", "answered", "customer_reply")[i % 3],
            "priority": ("low", "medium", "high")[i % 3],
            "updated": f"2026-11-{1 + i % 28:02d} 10:{i % 60:02d}",
        }
        for i in range(1, 51)
    ]

    @get("/")
    async def index() -> Template:
        return Template("page.html", context={"title": "Tickets", "user": "bench@client.example", "rows": rows})

    environment = Environment(loader=DictLoader({"page.html": BARE_TEMPLATE}), autoescape=True)
    return Litestar(
        [index],
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment)),
        signature_namespace={"Template": Template},
    )


def panel_app() -> Any:
    """The real panel, configured from the environment the benchmark sets."""
    from panel.app import create_app
    from panel.settings import load_settings

    return create_app(load_settings(config=Path("/nonexistent/panel.toml")))


# -- filling the database ------------------------------------------------------------------


def rows(accounts: int, tickets: int, password_hash: str) -> Iterator[tuple[str, str, list[tuple[Any, ...]]]]:
    """(table, columns, rows) to insert, in dependency order. User/account i owns account i."""
    now = datetime.now(UTC)
    yield (
        "panel_store",
        "id, name, slug, currency, is_default, created_at",
        [(1, "Main store", "main", "USD", True, now)],
    )
    yield (
        "panel_user",
        "id, email, name, password_hash, is_active, language, created_at",
        [
            (i, BENCH_EMAIL if i == 1 else f"owner{i}@client{i % 997}.example", f"Owner {i}",
             password_hash if i == 1 else "", True, "en", now)
            for i in range(1, accounts + 1)
        ],
    )  # fmt: skip
    yield (
        "panel_account",
        "id, name, status, owner, store, created_at",
        [(i, f"Client {i:06d} Hosting", "active", i, 1, now) for i in range(1, accounts + 1)],
    )
    extra = [(1, 2), (1, 3)]  # the benchmark user also works in two more accounts
    yield (
        "panel_membership",
        "user, account, created_at",
        [(i, i, now) for i in range(1, accounts + 1)] + [(u, a, now) for u, a in extra],
    )
    grants = [
        ("g", f"user:{i}", role, f"acct:{i}") for i in range(1, accounts + 1) for role in ("role:owner", "role:member")
    ]
    grants += [("g", f"user:{u}", role, f"acct:{a}") for u, a in extra for role in ("role:member", "perm:tickets")]
    yield "panel_casbin_rule", "ptype, v0, v1, v2", grants
    yield (
        "panel_support_department",
        "id, name, description, email, is_active, sort_order, created_at",
        [(d, name, "", "", True, d, now) for d, name in enumerate(("Technical support", "Billing", "Sales"), 1)],
    )
    statuses = ("open", "answered", "customer_reply", "in_progress", "closed")
    ticket_rows = []
    for t in range(1, tickets + 1):
        account = 1 if t <= OWN_TICKETS else 2 + (t * 7919) % max(accounts - 1, 1)
        when = now - timedelta(minutes=t)
        status = "closed" if (t <= OWN_TICKETS and t % 3 == 0) else statuses[t % 5]
        ticket_rows.append(
            (t, account, 1 + t % 3, f"TKT-{t:07d}", f"Mail delivery to example{t}.org bounces since the upgrade",
             status, ("low", "medium", "high", "urgent")[t % 4], account, when, when, when, "client")
        )  # fmt: skip
    yield (
        "panel_support_ticket",
        "id, account, department, number, subject, status, priority, opened_by, created_at, updated_at, "
        "last_reply_at, last_reply_by",
        ticket_rows,
    )
    yield (
        "panel_support_message",
        "ticket, author, author_name, author_email, is_staff, is_internal, body, via, email_message_id, created_at",
        [
            (
                r[0],
                r[7],
                f"Owner {r[7]}",
                "",
                False,
                False,
                "Since this morning every message bounces.",
                "web",
                "",
                r[8],
            )
            for r in ticket_rows
        ],
    )


def fill_sqlite(path: Path, accounts: int, tickets: int, password_hash: str) -> None:
    """Bulk insert into the migrated SQLite file."""
    conn = sqlite3.connect(path)
    with conn:
        for table, columns, values in rows(accounts, tickets, password_hash):
            marks = ", ".join("?" for _ in columns.split(","))
            conn.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                [tuple(v.isoformat() if isinstance(v, datetime) else v for v in row) for row in values],
            )
    conn.execute("ANALYZE")
    conn.close()


async def fill_postgres(url: str, accounts: int, tickets: int, password_hash: str) -> None:
    """Bulk copy into the migrated PostgreSQL database, then move the id sequences past the rows."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        for table, columns, values in rows(accounts, tickets, password_hash):
            await conn.copy_records_to_table(table, records=values, columns=[c.strip() for c in columns.split(",")])
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def environment(url: str, data: Path) -> dict[str, str]:
    """The panel's settings for the benchmark (production defaults, the in-app job worker off)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANEL_")}
    env.update(
        {
            "PANEL_DATABASE_URL": url,
            "PANEL_SECRET_KEY": SECRET,
            "PANEL_DATA_DIR": str(data),
            "PANEL_PLUGINS": "all",
            "PANEL_CORE_JOBS_WORKER": "false",  # no renewal run over 100,000 accounts in the middle of it
        }
    )
    return env


async def prepare(kind: str, url: str, data: Path, accounts: int, tickets: int) -> None:
    """Migrate and fill the database."""
    from panel.core import db
    from panel.core.auth.passwords import hash_password
    from panel.core.plugins import PanelPlugins
    from panel.settings import load_settings

    settings = load_settings(environ=environment(url, data), config=Path("/nonexistent/panel.toml"))
    db.configure(settings, PanelPlugins(settings).piccolo_apps())
    await db.migrate()
    await db.disconnect()
    started = time.perf_counter()
    hashed = await hash_password(PASSWORD)
    if kind == "sqlite":
        fill_sqlite(Path(db.sqlite_path(url)), accounts, tickets, hashed)
    else:
        await fill_postgres(url, accounts, tickets, hashed)
    print(f"[{kind}] filled {accounts:,} accounts and {tickets:,} tickets in {time.perf_counter() - started:.1f} s")


# -- serving and loading -------------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@dataclass
class Server:
    """A uvicorn server in a subprocess."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def stop(self) -> None:
        """Stop the server and wait for it."""
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def serve(factory: str, env: dict[str, str], workers: int, log: Path) -> Server:
    """Start uvicorn on `factory` (a function of this file) and wait until it answers."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", f"client_area:{factory}", "--factory", "--app-dir", str(Path(__file__).parent),
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-access-log",
        "--log-level", "warning", "--loop", "uvloop", "--http", "httptools",
    ]  # fmt: skip
    out = log.open("ab")
    process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return Server(process, f"http://127.0.0.1:{port}", log)
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def ensure_wrk() -> str:
    """The wrk binary; installs the Debian package if missing."""
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (apt-get install -y wrk)")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is missing and could not be installed: apt-get install -y wrk")
    return found


@dataclass
class Load:
    """What wrk measured for one URL."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int  # non-2xx/3xx answers and socket errors


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if found is None:
        raise RuntimeError(f"wrk printed a latency this script cannot read: {text!r}")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk(url: str, cookie: str, connections: int, seconds: int) -> Load:
    """Load `url` with wrk (2 threads) after a 2-second warm-up."""
    binary = ensure_wrk()
    base = [binary, "-t2", f"-c{connections}", "--latency", "-H", f"Cookie: {cookie}"]
    subprocess.run([*base, "-d2s", url], check=True, capture_output=True)
    out = subprocess.run([*base, f"-d{seconds}s", url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errors:
        bad += sum(int(n) for n in errors.groups())
    return Load(rps, p50, p99, requests, bad)


async def log_in(client: Any) -> None:
    """Log the benchmark user in through the form, then pick their own account (they have three)."""
    form = await client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
    answer = await client.post("/login", data={"email": BENCH_EMAIL, "password": PASSWORD, "_csrf_token": token})
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"login failed: {answer.status_code} {answer.text[:300]}")
    if answer.headers.get("location", "/") != "/":  # the account picker
        picker = await client.get("/accounts/choose")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', picker.text).group(1)
        await client.post("/accounts/switch", data={"account_id": "1", "_csrf_token": token})


async def session_cookies(base: str) -> dict[str, str]:
    """A logged-in session's cookies (session and CSRF) for wrk and the writers."""
    import httpx

    async with httpx.AsyncClient(base_url=base, follow_redirects=False) as client:
        await log_in(client)
        return dict(client.cookies.items())


async def concurrent_replies(base: str, cookies: dict[str, str], clients: int, each: int) -> tuple[int, int, float]:
    """`clients` clients post `each` replies at once to the user's tickets; (ok, failed, seconds)."""
    import httpx

    token = cookies.get("csrftoken", "")
    ok = failed = 0

    async def one(n: int) -> None:
        nonlocal ok, failed
        async with httpx.AsyncClient(base_url=base, cookies=cookies, follow_redirects=False, timeout=120) as client:
            for i in range(each):
                ticket = 1 + (n * each + i) % OWN_TICKETS
                answer = await client.post(
                    f"/tickets/{ticket}/reply", data={"body": f"Reply {n}.{i}: still bouncing.", "_csrf_token": token}
                )
                if answer.status_code in (302, 303):
                    ok += 1
                else:
                    failed += 1

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(clients)))
    return ok, failed, time.perf_counter() - started


def check_page(base: str, path: str, cookie: str, marker: str) -> str:
    """Fetch a page once; fail loudly unless it answers 200 with `marker` in it."""
    import httpx

    answer = httpx.get(base + path, headers={"cookie": cookie}, follow_redirects=False, timeout=30)
    if answer.status_code != 200 or marker not in answer.text:
        raise RuntimeError(f"{path} answered {answer.status_code}; expected 200 with {marker!r}:\n{answer.text[:500]}")
    return f"{len(answer.content) / 1024:.1f} KB"


def report(kind: str, label: str, load: Load, bare: Load | None, target: float | None, size: str) -> None:
    """One line of results."""
    line = f"[{kind}] {label:16} {load.rps:8.0f} rps  p50 {load.p50_ms:6.1f} ms  p99 {load.p99_ms:6.1f} ms"
    line += f"  {size:>7}"
    if bare is not None:
        ratio = load.rps / bare.rps
        line += f"  {ratio:5.0%} of bare"
        if target is not None:
            line += f" (target >= {target:.0%}: {'met' if ratio >= target else 'MISSED'})"
    line += f"  p99 target {TARGET_P99_MS:.0f} ms: {'met' if load.p99_ms <= TARGET_P99_MS else 'MISSED'}"
    if load.bad:
        line += f"  {load.bad} errors!"
    print(line, flush=True)


def median_load(loads: list[Load]) -> Load:
    """The run with the median requests per second (its latencies with it)."""
    return sorted(loads, key=lambda x: x.rps)[len(loads) // 2]


def run_load(kind: str, url: str, data: Path, args: argparse.Namespace) -> None:
    """Serve the bare app and the panel side by side; load each page in turn, `--rounds` times; report medians.

    Taking turns, round after round, spreads whatever else the machine does over all
    pages alike, so the ratios hold even when the absolute figures move.
    """
    env = environment(url, data)
    log = data / "server.log"
    bare_server = serve("bare_app", env, args.workers, log)
    server = serve("panel_app", env, args.workers, log)
    try:
        cookies = asyncio.run(session_cookies(server.base))
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        sizes = {
            "/": check_page(server.base, "/", cookie, "Client 000001 Hosting"),
            "/tickets": check_page(server.base, "/tickets", cookie, "TKT-0000001"),
        }
        runs: dict[str, list[Load]] = {"bare": [], "/": [], "/tickets": []}
        for _ in range(args.rounds):
            runs["bare"].append(wrk(bare_server.base + "/", "", args.connections, args.seconds))
            for path in ("/", "/tickets"):
                runs[path].append(wrk(server.base + path, cookie, args.connections, args.seconds))
        bare = median_load(runs["bare"])
        print(
            f"[{kind}] uvicorn, {args.workers} worker(s), wrk -t2 -c{args.connections} -d{args.seconds}s, "
            f"median of {args.rounds} rounds (bare rps: {', '.join(f'{x.rps:.0f}' for x in runs['bare'])})"
        )
        report(kind, "bare page", bare, None, None, "")
        report(kind, "home /", median_load(runs["/"]), bare, TARGET_HOME[kind], sizes["/"])
        report(kind, "tickets /tickets", median_load(runs["/tickets"]), bare, None, sizes["/tickets"])
        before = log.read_text(errors="replace").count("database is locked")
        ok, failed, seconds = asyncio.run(concurrent_replies(server.base, cookies, args.connections, 10))
        locked = log.read_text(errors="replace").count("database is locked") - before
        print(
            f"[{kind}] concurrent writes: {args.connections} clients x 10 ticket replies: {ok} saved, {failed} failed "
            f"in {seconds:.1f} s ({ok / seconds:.0f}/s); 'database is locked' errors: {locked} (target 0: "
            f"{'met' if locked == 0 and failed == 0 else 'MISSED'})",
            flush=True,
        )
    finally:
        server.stop()
        bare_server.stop()


# -- profiling in process ------------------------------------------------------------------

GROUPS = (
    ("piccolo", "piccolo ORM (query building, results)"),
    ("asyncpg", "asyncpg driver"),
    ("aiosqlite", "aiosqlite (thread hand-off)"),
    ("sqlite3", "sqlite3"),
    ("jinja2", "Jinja rendering"),
    ("markupsafe", "Jinja rendering"),
    ("litestar", "Litestar (routing, middleware, CSRF, responses)"),
    ("panel/core/authz", "rules engine"),
    ("casbin", "rules engine"),
    ("panel/core/auth", "panel: session and login"),
    ("panel/core/web", "panel: page() shared context"),
    ("panel/", "panel: handlers, queries, widgets"),
    ("httpx", "test client (httpx)"),
    ("asyncio", "asyncio event loop"),
    ("msgspec", "Litestar (routing, middleware, CSRF, responses)"),
)


def _label(filename: str) -> str | None:
    if filename == "~" or filename.startswith("<"):
        return None  # a builtin or frozen module: charged to whoever called it
    return next((label for key, label in GROUPS if key in filename), "other (Python, stdlib)")


def _by_package(stats: dict[Any, Any]) -> dict[str, float]:
    """Own time per package; a builtin's time goes to the packages of its callers (in proportion)."""
    groups: dict[str, float] = {}

    def charge(func: Any, spent: float, depth: int = 0) -> None:
        label = _label(func[0])
        callers = stats.get(func, (0, 0, 0, 0, {}))[4]
        if label is None and callers and depth < 5:
            total = sum(edge[2] for edge in callers.values()) or 1.0
            for caller, edge in callers.items():
                charge(caller, spent * edge[2] / total, depth + 1)
            return
        label = label or "other (Python, stdlib)"
        groups[label] = groups.get(label, 0.0) + spent

    for func, (_, _, tottime, _, _) in stats.items():
        charge(func, tottime)
    return groups


async def profile(kind: str, url: str, data: Path, requests: int) -> None:
    """Profile sequential requests of each page in this process; print CPU per request by package."""
    import cProfile
    import pstats

    import httpx

    os.environ.update(environment(url, data))
    logging.getLogger("httpx").setLevel(logging.WARNING)
    bare = bare_app()
    async with bare.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=bare), base_url="http://b") as c:
        for _ in range(50):
            await c.get("/")
        started = time.process_time()
        for _ in range(requests):
            await c.get("/")
        bare_us = (time.process_time() - started) / requests * 1e6
    print(f"[{kind}] bare page: {bare_us:.0f} us CPU per request (in process, through httpx)")
    app = panel_app()
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench.local", follow_redirects=False
        ) as client:
            await log_in(client)
            for path in ("/", "/tickets"):
                for _ in range(20):
                    assert (await client.get(path)).status_code == 200
                started = time.process_time()
                for _ in range(requests):
                    await client.get(path)
                per = (time.process_time() - started) / requests * 1e6
                profiler = cProfile.Profile(time.process_time)
                profiler.enable()
                for _ in range(requests):
                    await client.get(path)
                profiler.disable()
                if os.environ.get("BENCH_PROFILE_DUMP"):
                    profiler.dump_stats(os.environ["BENCH_PROFILE_DUMP"] + path.replace("/", "_") + ".prof")
                groups = _by_package(pstats.Stats(profiler).stats)  # type: ignore[attr-defined]
                total = sum(groups.values())
                print(
                    f"[{kind}] {path}: {per:.0f} us CPU per request, {per / bare_us:.1f}x the bare page "
                    f"(a {bare_us / per:.0%} ratio at best); profile (x{total / requests * 1e6 / per:.1f} slower):"
                )
                for label, spent in sorted(groups.items(), key=lambda kv: -kv[1]):
                    print(f"    {spent / total:5.1%}  {label}")
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"panel/", 25)
                pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


# -- main ----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=os.environ.get("PANEL_TEST_PG_URL", ""))
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="uvicorn workers of each app (default: cores)"
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each page, taken in turns; medians reported")
    parser.add_argument("--profile", type=int, nargs="?", const=300, default=0, help="profile N requests per page")
    return parser.parse_args()


def bench(kind: str, url: str, data: Path, args: argparse.Namespace) -> None:
    """Fill, then load or profile."""
    asyncio.run(prepare(kind, url, data, args.accounts, args.tickets))
    if args.profile:
        asyncio.run(profile(kind, url, data, args.profile))
    else:
        run_load(kind, url, data, args)


def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-client-area-") as tmp:
        data = Path(tmp)
        if args.db == "sqlite":
            bench("sqlite", f"sqlite:///{data}/bench.sqlite3", data, args)
            return
        if not args.pg_url:
            print("[postgres] skipped: give --pg-url or PANEL_TEST_PG_URL")
            return
        import asyncpg

        async def admin(sql: str) -> None:
            conn = await asyncpg.connect(args.pg_url)
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
        asyncio.run(admin(f'CREATE DATABASE "{PG_NAME}"'))
        try:
            bench("postgres", args.pg_url.rsplit("/", 1)[0] + f"/{PG_NAME}", data, args)
        finally:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.db == "both":  # one process per database: the panel configures one engine per process
        for db_kind in ("sqlite", "postgres"):
            command = [sys.executable, __file__, *sys.argv[1:]]
            if "--db" in command:
                command[command.index("--db") + 1] = db_kind
            else:
                command += ["--db", db_kind]
            subprocess.run(command, check=False)
    else:
        main(arguments)
