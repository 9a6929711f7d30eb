"""The services feature's Piccolo app: its tables and migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel.core.services.tables import Service, StaffTask

APP_CONFIG = AppConfig(
    app_name="core_services",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Service, StaffTask],
    migration_dependencies=["panel.core.piccolo_app", "panel.core.catalog.piccolo_app"],
    commands=[],
)
