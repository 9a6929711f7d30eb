from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T01:52:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "home-page arrangements move their account's data revision"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core_dashboard", description=DESCRIPTION)

    async def revisions() -> None:
        # Changes of these rows move their account's data revision (see panel.core.accounts.revisions).
        from piccolo.engine import engine_finder

        from panel.core.accounts import revisions

        engine = engine_finder()
        assert engine is not None
        await revisions.watch(engine, "panel_dashboard_arrangement", "account")

    manager.add_raw(revisions)

    return manager
