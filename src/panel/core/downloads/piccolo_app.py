"""The downloads feature's Piccolo app: its tables and migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel.core.downloads.tables import DownloadCategory, DownloadFile, DownloadProduct

APP_CONFIG = AppConfig(
    app_name="core_downloads",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[DownloadCategory, DownloadFile, DownloadProduct],
    migration_dependencies=["panel.core.piccolo_app", "panel.core.catalog.piccolo_app"],
    commands=[],
)
