"""The Piccolo app of the wordpress plugin's bulk changes (runs and their steps).

A second app of the same plugin, with its own migrations, so the bulk-change tables
grow on their own; it depends on the plugin's first app (`wordpress_site`).
"""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel_wordpress.run_tables import WordpressRun, WordpressRunStep

APP_CONFIG = AppConfig(
    app_name="wordpress_runs",
    migrations_folder_path=str(Path(__file__).parent / "run_migrations"),
    table_classes=[WordpressRun, WordpressRunStep],
    migration_dependencies=["panel_wordpress.piccolo_app", "panel.core.piccolo_app"],
    commands=[],
)
