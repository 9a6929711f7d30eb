from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T00:00:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "account data revisions"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def revisions() -> None:
        # Changes of these rows move their account's data revision (see panel.core.accounts.revisions).
        from piccolo.engine import engine_finder

        from panel.core.accounts import revisions

        engine = engine_finder()
        assert engine is not None
        await revisions.setup(engine)
        await revisions.watch(engine, "panel_account", "id")
        await revisions.watch(engine, "panel_membership", "account")
        await engine.run_ddl(
            f"INSERT INTO {revisions.REVISIONS} (account, revision) SELECT id, 0 FROM panel_account "
            f"WHERE id NOT IN (SELECT account FROM {revisions.REVISIONS})"
        )

    manager.add_raw(revisions)

    return manager
