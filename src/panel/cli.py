"""The `panel` command line."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from panel.errors import PluginError, SettingsError

T = TypeVar("T")


class Context:
    """Settings and plugins, loaded once per CLI run."""

    def __init__(self) -> None:
        from panel.core.plugins import PanelPlugins
        from panel.settings import load_settings

        logging.getLogger("casbin").setLevel(logging.WARNING)
        self.settings = load_settings()
        self.plugins = PanelPlugins(self.settings)

    def run(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """Configure the database, load the rules engine, and run `work(authz)`."""
        from panel.app import load_authorizer
        from panel.core import db

        async def main() -> T:
            from panel.core import runtime

            db.configure(self.settings, self.plugins.piccolo_apps())
            runtime.install(runtime.from_plugins(self.settings, self.plugins))
            runtime.install_mailer(self.settings, self.plugins)
            await db.connect()
            try:
                await db.migrate()
                authz = await load_authorizer(self.settings, self.plugins)
                runtime.install(dataclasses.replace(runtime.current(), authz=authz))  # jobs that change grants
                return await work(authz)
            finally:
                await db.disconnect()

        return asyncio.run(main())


def _ctx() -> Context:
    root = click.get_current_context().find_root()
    if root.obj is None:
        root.obj = Context()
    return root.obj  # type: ignore[no-any-return]


@click.group()
def cli() -> None:
    """hostpanel: the control panel for hosting providers and resellers."""


@cli.command()
def init() -> None:
    """Create the data folder and a secret key (data/secret.key) if missing."""
    ctx = _ctx()
    path = ensure_secret_key(ctx.settings.data_path)
    click.echo(f"data folder: {ctx.settings.data_path}\nsecret key: {path}")


def ensure_secret_key(data: Path) -> Path:
    """Write a random secret key into the data folder unless one is there."""
    data.mkdir(parents=True, exist_ok=True)
    path = data / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48) + "\n")
        path.chmod(0o600)
    return path


@cli.command()
def migrate() -> None:
    """Run pending database migrations of core and enabled plugins."""
    from panel.core import db

    async def work(_: Any) -> list[str]:
        return await db.migrate()

    apps = _ctx().run(work)
    click.echo(f"migrations up to date: {', '.join(apps)}")


def _print_logins(logins: list[Any], base_url: str) -> None:
    click.echo("")
    click.echo(f"  hostpanel demo is ready at {base_url}")
    click.echo("  Demo logins (passwords are new on every run):")
    for login in logins:
        click.echo(f"    {login.email:<22} {login.password:<20} {login.what}")
    click.echo("")


@cli.command()
def demo() -> None:
    """Load the demo data and print its logins."""
    from panel.core.demo import load_demo

    ctx = _ctx()
    _print_logins(ctx.run(load_demo), ctx.settings.base_url)


@cli.command()
@click.option("--host", default=None, help="Address to bind (default: PANEL_HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default: PANEL_PORT or 8000).")
@click.option("--demo", "with_demo", is_flag=True, help="Create a secret key if missing and load demo data.")
def serve(host: str | None, port: int | None, with_demo: bool) -> None:
    """Run pending migrations, then serve the panel."""
    import uvicorn

    from panel.app import create_app
    from panel.core import db
    from panel.core.demo import load_demo

    ctx = _ctx()
    if with_demo:
        ensure_secret_key(ctx.settings.data_path)
    host = host or ctx.settings.host
    port = port or ctx.settings.port

    async def prepare(authz: Any) -> list[Any]:
        return await load_demo(authz) if with_demo else []

    logins = ctx.run(prepare)
    app = create_app(ctx.settings)
    if logins:
        _print_logins(logins, f"http://{host}:{port}")
    click.echo(f"database: {db.state.url.split('@')[-1]}")
    uvicorn.run(app, host=host, port=port, log_level="info")


@cli.group()
def users() -> None:
    """Manage users."""


@users.command("create-admin")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", default="")
def create_admin(email: str, password: str, name: str) -> None:
    """Create a provider admin (or make an existing user one, with this password)."""
    from panel.core.auth import services as auth

    async def work(authz: Any) -> int:
        user_id = await auth.user_id_by_email(email)
        if user_id is None:
            user_id = await auth.create_user(email, password, name)
        else:
            await auth.set_password(user_id, password)
        await auth.grant_staff_role(authz, user_id, "admin")
        return user_id

    user_id = _ctx().run(work)
    click.echo(f"admin {email} (user {user_id}) can log in at /login")


@cli.group()
def plugins() -> None:
    """Inspect plugins."""


@plugins.command("list")
def plugins_list() -> None:
    """Installed plugins, whether each is enabled, and their versions."""
    ctx = _ctx()
    click.echo(f"{'name':<20} {'version':<10} {'enabled':<8} source")
    for p in ctx.plugins.installed:
        state = "builtin" if p.meta.builtin else ("yes" if p.enabled else "no")
        click.echo(f"{p.meta.name:<20} {p.meta.version:<10} {state:<8} {p.source}")


@cli.group()
def policy() -> None:
    """Ask the rules engine."""


@policy.command("explain")
@click.option("--user", "email", required=True, help="The user's email.")
@click.option("--account", required=True, help="Account id, or 'platform' for the admin area.")
@click.option(
    "--action",
    "actions",
    required=True,
    multiple=True,
    help="OBJECT:VERB, e.g. invoice:7:read or subscription:update (repeat for several).",
)
@click.option("--partner", default="", help="Partner account id the user acts for, if any.")
@click.option("--impersonating", is_flag=True, help="Decide as in an impersonation session.")
def policy_explain(email: str, account: str, actions: tuple[str, ...], partner: str, impersonating: bool) -> None:
    """Print allow or deny, with the policy line and the grant that decided it (a block per action)."""
    from panel.core.auth.services import user_id_by_email
    from panel.core.authz import AuthzRequest

    asked = []
    for action in actions:
        obj, sep, verb = action.rpartition(":")
        if not sep or not obj or not verb:
            raise click.BadParameter("use OBJECT:VERB, e.g. invoice:7:read", param_hint="--action")
        asked.append((obj, verb))
    dom = "platform" if account == "platform" else f"acct:{account}"

    async def work(authz: Any) -> Any:
        user_id = await user_id_by_email(email)
        if user_id is None:
            raise click.BadParameter(f"no user has the email {email}", param_hint="--user")
        mode = "mode:impersonation" if impersonating else "mode:normal"
        org = f"acct:{partner}" if partner else ""
        return [authz.explain(AuthzRequest(f"user:{user_id}", org, dom, obj, verb, mode)) for obj, verb in asked]

    for n, decision in enumerate(_ctx().run(work)):
        if len(asked) > 1:
            click.echo(f"{actions[n]}:" if n == 0 else f"\n{actions[n]}:")
        click.echo("allow" if decision.allowed else "deny")
        click.echo(f"  rule:  {', '.join(decision.rule) if decision.rule else '(none)'}")
        click.echo(f"  grant: {', '.join(decision.grant) if decision.grant else '(none)'}")
        click.echo(f"  why:   {decision.reason}")


def main() -> None:
    """Entry point: one clear line and exit code 2 for a bad setting or plugin."""
    try:
        ctx = Context()
        for command in ctx.plugins.cli_commands():
            cli.add_command(command)
        cli.main(obj=ctx)
    except (SettingsError, PluginError) as exc:
        click.echo(f"panel: {exc}", err=True)
        sys.exit(2)
