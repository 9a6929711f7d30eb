"""The dummy plugin's Piccolo app: registered through `panel_register_piccolo_apps`."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from dummy_plugin.tables import DummyNote

APP_CONFIG = AppConfig(
    app_name="dummy",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[DummyNote],
    migration_dependencies=["panel.core.piccolo_app"],
    commands=[],
)
