"""Contact sync's Piccolo app: its tables and migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel.core.contacts.sync.tables import ContactSyncLink, ContactSyncSetting

APP_CONFIG = AppConfig(
    app_name="core_contact_sync",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[ContactSyncSetting, ContactSyncLink],
    migration_dependencies=["panel.core.piccolo_app", "panel.core.contacts.piccolo_app"],
    commands=[],
)
