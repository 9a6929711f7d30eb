from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T00:00:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "sites move their account's data revision"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="wordpress", description=DESCRIPTION)

    async def revisions() -> None:
        # The home page's "WordPress updates" tile is kept while the revision stays (panel.core.accounts.revisions).
        from piccolo.engine import engine_finder

        from panel.core.accounts import revisions

        engine = engine_finder()
        assert engine is not None
        await revisions.watch(engine, "wordpress_site", "account")

    manager.add_raw(revisions)

    return manager
