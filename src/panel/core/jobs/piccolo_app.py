"""The job queue's Piccolo app: its tables and migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel.core.jobs.tables import Job, ScheduleRun

APP_CONFIG = AppConfig(
    app_name="core_jobs",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Job, ScheduleRun],
    migration_dependencies=["panel.core.piccolo_app"],
    commands=[],
)
