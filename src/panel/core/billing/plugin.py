"""Hook implementations of the core billing feature (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from panel import __version__
from panel.plugin import PluginMeta, hookimpl

PLUGIN_META = PluginMeta(name="core_billing", version=__version__, summary="core: billing", builtin=True)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.billing.piccolo_app")


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")
