from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-22T19:57:03:119044"
VERSION = "1.38.0"
DESCRIPTION = "cart items: an addon for a service the account already has"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="core_orders", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="CartItem",
        tablename="panel_order_cart_item",
        column_name="for_service",
        db_column_name="for_service",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
