"""Hook implementations of the core members feature (a built-in plugin)."""

from __future__ import annotations

from panel import __version__
from panel.plugin import PluginMeta

PLUGIN_META = PluginMeta(name="core_members", version=__version__, summary="core: members", builtin=True)
