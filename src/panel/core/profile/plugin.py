"""Hook implementations of the core profile feature (a built-in plugin)."""

from __future__ import annotations

from panel import __version__
from panel.plugin import PluginMeta

PLUGIN_META = PluginMeta(name="core_profile", version=__version__, summary="core: profile", builtin=True)
