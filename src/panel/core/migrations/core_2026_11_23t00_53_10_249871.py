from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-23T00:53:10:249871"
VERSION = "1.38.0"
DESCRIPTION = "user profile image"


async def forwards() -> MigrationManager:
    """Add `panel_user.image`."""
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    manager.add_column(
        table_class_name="User",
        tablename="panel_user",
        column_name="image",
        db_column_name="image",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 80,
            "default": "",
            "null": False,
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
