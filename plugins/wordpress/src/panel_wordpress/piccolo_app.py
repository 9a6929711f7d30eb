"""The wordpress plugin's Piccolo app: registered through `panel_register_piccolo_apps`."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel_wordpress.digest_tables import WordpressDigestPref, WordpressDigestSent
from panel_wordpress.tables import WordpressIgnored, WordpressItem, WordpressSite, WordpressUser

APP_CONFIG = AppConfig(
    app_name="wordpress",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[
        WordpressSite,
        WordpressItem,
        WordpressUser,
        WordpressIgnored,
        WordpressDigestPref,
        WordpressDigestSent,
    ],
    migration_dependencies=["panel.core.piccolo_app", "panel.core.services.piccolo_app"],
    commands=[],
)
