"""Create `dummy_note` (hand-written in the shape `piccolo migrations new --auto` writes).

Piccolo imports migration files by their bare module name, so the file name starts
with the app name to stay unique across every plugin's migrations folder.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-23T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "create dummy_note"


def _params(**overrides: object) -> dict[str, object]:
    params: dict[str, object] = {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    params.update(overrides)
    return params


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="dummy", description=DESCRIPTION)
    manager.add_table(class_name="DummyNote", tablename="dummy_note", schema=None, columns=None)
    manager.add_column(
        table_class_name="DummyNote",
        tablename="dummy_note",
        column_name="account_id",
        db_column_name="account_id",
        column_class_name="Integer",
        column_class=Integer,
        params=_params(default=0, index=True),
        schema=None,
    )
    manager.add_column(
        table_class_name="DummyNote",
        tablename="dummy_note",
        column_name="body",
        db_column_name="body",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=200, default=""),
        schema=None,
    )
    manager.add_column(
        table_class_name="DummyNote",
        tablename="dummy_note",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params=_params(default=TimestamptzNow()),
        schema=None,
    )
    return manager
