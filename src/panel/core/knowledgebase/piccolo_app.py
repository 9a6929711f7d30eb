"""The knowledgebase feature's Piccolo app: its tables and migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel.core.knowledgebase.tables import KbArticle, KbCategory, KbVote

APP_CONFIG = AppConfig(
    app_name="core_knowledgebase",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[KbCategory, KbArticle, KbVote],
    migration_dependencies=["panel.core.piccolo_app"],
    commands=[],
)
