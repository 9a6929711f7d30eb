from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T19:54:02:000002"
VERSION = "1.38.0"
DESCRIPTION = "the lists' indexes"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core_announcements", description=DESCRIPTION)

    async def indexes() -> None:
        # The client list asks for published rows whose publish_at has come, newest first.
        from piccolo.engine import engine_finder

        engine = engine_finder()
        assert engine is not None
        for sql in (
            "CREATE INDEX IF NOT EXISTS panel_announcement_shown ON panel_announcement (published, publish_at, id)",
            # staff's list: every announcement by publish time
            "CREATE INDEX IF NOT EXISTS panel_announcement_time ON panel_announcement (publish_at, id)",
        ):
            await engine.run_ddl(sql)

    manager.add_raw(indexes)

    return manager
