"""Hook implementations of the core stores feature (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from panel import __version__
from panel.plugin import PluginMeta, hookimpl

PLUGIN_META = PluginMeta(name="core_stores", version=__version__, summary="core: stores", builtin=True)


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")
