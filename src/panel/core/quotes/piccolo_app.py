"""The quotes feature's Piccolo app: its tables and migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel.core.quotes.tables import ClientQuote, ClientQuoteLine

APP_CONFIG = AppConfig(
    app_name="core_quotes",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[ClientQuote, ClientQuoteLine],
    migration_dependencies=["panel.core.billing.piccolo_app", "panel.core.catalog.piccolo_app"],
    commands=[],
)
