"""Hook implementations of the core mail feature (a built-in plugin)."""

from __future__ import annotations

from panel import __version__
from panel.plugin import PluginMeta

PLUGIN_META = PluginMeta(name="core_mail", version=__version__, summary="core: mail", builtin=True)
