"""The referral programme's Piccolo app: its tables and migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel.core.referrals.tables import Referral, ReferralCode, ReferralProgramme

APP_CONFIG = AppConfig(
    app_name="core_referrals",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[ReferralCode, Referral, ReferralProgramme],
    migration_dependencies=["panel.core.piccolo_app"],
    commands=[],
)
