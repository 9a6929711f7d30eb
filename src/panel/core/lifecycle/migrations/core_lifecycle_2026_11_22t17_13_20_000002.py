from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T17:13:20:000002"
VERSION = "1.38.0"
DESCRIPTION = "one open package change per service"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core_lifecycle", description=DESCRIPTION)

    async def one_open_change() -> None:
        # request_change relies on this: two requests at once cannot both leave a change open.
        # (Raw steps run before a migration's tables are created, hence a migration of its own.)
        from piccolo.engine import engine_finder

        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS panel_lifecycle_package_change_open"
            " ON panel_lifecycle_package_change (service) WHERE (status = 'open')"
        )

    manager.add_raw(one_open_change)

    return manager
