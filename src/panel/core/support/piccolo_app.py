"""The support feature's Piccolo app: its tables and migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel.core.support.tables import (
    SupportAttachment,
    SupportCannedResponse,
    SupportDepartment,
    SupportDepartmentStaff,
    SupportMessage,
    SupportTicket,
)

APP_CONFIG = AppConfig(
    app_name="core_support",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[
        SupportDepartment,
        SupportDepartmentStaff,
        SupportTicket,
        SupportMessage,
        SupportAttachment,
        SupportCannedResponse,
    ],
    migration_dependencies=["panel.core.piccolo_app", "panel.core.services.piccolo_app"],
    commands=[],
)
