"""The partner console's Piccolo app: registered through `panel_register_piccolo_apps`."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel_partner_console.tables import PartnerAccount, PartnerLink, PartnerReminder

APP_CONFIG = AppConfig(
    app_name="partner_console",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[PartnerAccount, PartnerLink, PartnerReminder],
    migration_dependencies=["panel.core.piccolo_app"],
    commands=[],
)
