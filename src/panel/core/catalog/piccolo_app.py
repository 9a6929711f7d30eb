"""The catalog feature's Piccolo app: its tables and migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel.core.catalog.tables import (
    ConfigOption,
    OptionChoice,
    Price,
    Product,
    ProductAddon,
    ProductGroup,
    StoreProduct,
)

APP_CONFIG = AppConfig(
    app_name="core_catalog",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[ProductGroup, Product, ProductAddon, ConfigOption, OptionChoice, StoreProduct, Price],
    migration_dependencies=["panel.core.piccolo_app"],
    commands=[],
)
