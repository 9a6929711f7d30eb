"""The core Piccolo app: core tables and their migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel.core.accounts.tables import Account, Membership
from panel.core.auth.tables import ActionToken, ApiToken, Session, User
from panel.core.authz.tables import CasbinRule, GrantChange
from panel.core.stores.tables import ResellerTier, Store

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[
        User,
        Session,
        ApiToken,
        ActionToken,
        Store,
        Account,
        Membership,
        CasbinRule,
        GrantChange,
        ResellerTier,
    ],
    migration_dependencies=[],
    commands=[],
)
