"""The lifecycle feature's Piccolo app: its tables and migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel.core.lifecycle.tables import CancellationRequest, PackageChange, ReminderSent, Renewal

APP_CONFIG = AppConfig(
    app_name="core_lifecycle",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Renewal, ReminderSent, CancellationRequest, PackageChange],
    migration_dependencies=["panel.core.services.piccolo_app", "panel.core.billing.piccolo_app"],
    commands=[],
)
