from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T02:00:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "one live partnership per child, one pending request per email, each reminder once"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="partner_console", description=DESCRIPTION)

    async def indexes() -> None:
        # Partial unique indexes: the same SQL on SQLite and PostgreSQL. A child has at
        # most one partner asking or managing at a time; a partner asks an email once
        # while the request is open; a reminder goes out once per link and day count.
        from piccolo.engine import engine_finder

        engine = engine_finder()
        assert engine is not None
        for sql in (
            "CREATE UNIQUE INDEX IF NOT EXISTS partner_link_live_child ON partner_link (child)"
            " WHERE child IS NOT NULL AND status IN ('pending', 'active')",
            "CREATE UNIQUE INDEX IF NOT EXISTS partner_link_open_invite ON partner_link (partner, invite_email)"
            " WHERE child IS NULL AND status = 'pending'",
            "CREATE UNIQUE INDEX IF NOT EXISTS partner_reminder_once ON partner_reminder (link, days_before)",
        ):
            await engine.run_ddl(sql)

    manager.add_raw(indexes)

    return manager
