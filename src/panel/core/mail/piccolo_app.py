"""The mail feature's Piccolo app: the outbox table and its migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel.core.mail.tables import OutgoingEmail

APP_CONFIG = AppConfig(
    app_name="core_mail",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[OutgoingEmail],
    migration_dependencies=["panel.core.piccolo_app"],
    commands=[],
)
