"""The members feature's Piccolo app: invitations and ownership offers."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel.core.members.tables import Invitation, OwnershipOffer

APP_CONFIG = AppConfig(
    app_name="core_members",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Invitation, OwnershipOffer],
    migration_dependencies=["panel.core.piccolo_app"],
    commands=[],
)
