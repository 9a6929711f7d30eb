"""The audit feature's Piccolo app: the audit log table and its migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel.core.audit.tables import AuditEvent

APP_CONFIG = AppConfig(
    app_name="core_audit",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[AuditEvent],
    migration_dependencies=["panel.core.piccolo_app"],
    commands=[],
)
