"""The dashboard feature's Piccolo app: its table and migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel.core.dashboard.tables import DashboardArrangement

APP_CONFIG = AppConfig(
    app_name="core_dashboard",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[DashboardArrangement],
    migration_dependencies=["panel.core.piccolo_app"],
    commands=[],
)
