"""The Jinja2 environment: plugin folders first (they override), then core's."""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape

from panel.money import format_money, format_percent

CORE_TEMPLATE_DIRS: tuple[Path, ...] = tuple(
    Path(__file__).resolve().parent.parent / feature / "templates" for feature in ("web", "auth", "accounts", "admin")
)


def build_environment(plugin_dirs: list[Path], reload: bool = False) -> Environment:
    """An environment where plugin templates replace core ones of the same name.

    `core:<name>` always reaches the core template, so an override can extend it.
    `reload` re-reads a template file when it changes (debug mode): it costs a
    file-system check of every template on every render, so production keeps
    what it compiled once.
    """
    core = ChoiceLoader([FileSystemLoader(str(d)) for d in CORE_TEMPLATE_DIRS])
    loader = ChoiceLoader(
        [FileSystemLoader([str(d) for d in plugin_dirs]), PrefixLoader({"core": core}, delimiter=":"), core]
    )
    env = Environment(loader=loader, autoescape=select_autoescape(default=True), enable_async=False, auto_reload=reload)
    env.filters["money"] = format_money  # {{ invoice.total|money(invoice.currency) }}
    env.filters["percent"] = format_percent  # {{ rule.rate_bp|percent }}
    return env
