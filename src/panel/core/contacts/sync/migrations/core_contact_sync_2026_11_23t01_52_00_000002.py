from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T01:52:00:000002"
VERSION = "1.38.0"
DESCRIPTION = "one synced contact per member of an account"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core_contact_sync", description=DESCRIPTION)

    async def unique_member() -> None:
        # Two syncs racing for the same member (a join and the periodic run) cannot both add a contact.
        from piccolo.engine import engine_finder

        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS panel_contact_sync_link_member "
            'ON panel_contact_sync_link (account, "user")'
        )

    manager.add_raw(unique_member)

    return manager
