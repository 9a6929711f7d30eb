"""The orders feature's Piccolo app: its tables and migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel.core.orders.tables import Cart, CartItem, Order, OrderItem, PromoCode, TaxRule

APP_CONFIG = AppConfig(
    app_name="core_orders",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Cart, CartItem, PromoCode, TaxRule, Order, OrderItem],
    migration_dependencies=["panel.core.piccolo_app", "panel.core.catalog.piccolo_app"],
    commands=[],
)
