"""Piccolo's configuration module, filled in at run time.

Piccolo looks up `DB` and `APP_REGISTRY` in the module named by `PICCOLO_CONF`.
`panel.core.db.configure` sets them from the panel's settings and enabled plugins,
so the engine is never created at import time. When Piccolo's own CLI imports this
module first (a developer running `piccolo migrations new core --auto`), the
settings are read from the environment.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name not in {"DB", "APP_REGISTRY"}:
        raise AttributeError(name)
    from panel.core import db

    if db.state.engine is None:
        db.configure_from_environment()
    return db.state.engine if name == "DB" else db.state.registry
