from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T16:52:00:000002"
VERSION = "1.38.0"
DESCRIPTION = "one renewal per service and period, one reminder per invoice and step"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core_lifecycle", description=DESCRIPTION)

    async def composite_indexes() -> None:
        # The scheduled tasks rely on these to be safe to run twice.
        from piccolo.engine import engine_finder

        engine = engine_finder()
        assert engine is not None
        for sql in (
            "CREATE UNIQUE INDEX IF NOT EXISTS panel_lifecycle_renewal_unique"
            " ON panel_lifecycle_renewal (service, period_start)",
            "CREATE UNIQUE INDEX IF NOT EXISTS panel_lifecycle_reminder_unique ON panel_lifecycle_reminder (invoice, step)",
            "CREATE UNIQUE INDEX IF NOT EXISTS panel_lifecycle_cancellation_open"
            " ON panel_lifecycle_cancellation (service) WHERE (status = 'open')",
            "CREATE INDEX IF NOT EXISTS panel_service_due_status ON panel_service (next_due_date, status)",
        ):
            await engine.run_ddl(sql)

    manager.add_raw(composite_indexes)

    return manager
