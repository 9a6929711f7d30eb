"""The two-factor feature's Piccolo app: its tables and migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel.core.twofactor.tables import TwoFactorAccountRule, TwoFactorEnrolment, TwoFactorRecoveryCode

APP_CONFIG = AppConfig(
    app_name="core_twofactor",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[TwoFactorEnrolment, TwoFactorRecoveryCode, TwoFactorAccountRule],
    migration_dependencies=["panel.core.piccolo_app"],
    commands=[],
)
