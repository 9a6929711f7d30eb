"""No route is reachable without a rules-engine declaration."""

from __future__ import annotations

import pytest
from litestar import get

from panel.core.authz.guard import OPT_KEY, Marker, Requires, _is_automatic_options
from panel.errors import PluginError
from panel.plugin import PluginMeta, hookimpl


def test_every_route_declares_what_it_needs(app):
    seen = 0
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if _is_automatic_options(handler):
                continue
            assert isinstance(handler.opt.get(OPT_KEY), (Requires, Marker)), route.path
            seen += 1
    assert seen > 10


class _Sloppy:
    PLUGIN_META = PluginMeta(name="sloppy", version="0.1.0", summary="forgets to declare")

    @staticmethod
    @hookimpl
    def panel_register_routes(register, settings):
        @get("/sloppy", sync_to_thread=False)
        def sloppy() -> str:
            return "open?"

        register(sloppy)


def test_a_route_without_declaration_stops_start_up(settings):
    from support import build_app

    with pytest.raises(PluginError, match="/sloppy"):
        build_app(settings, _Sloppy)
