from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T19:52:10:000002"
VERSION = "1.38.0"
DESCRIPTION = "support desk list indexes, one staff row per department and user"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core_support", description=DESCRIPTION)

    async def composite_indexes() -> None:
        # The client's and the desk's ticket lists filter by these and sort by last reply.
        from piccolo.engine import engine_finder

        engine = engine_finder()
        assert engine is not None
        for sql in (
            "CREATE INDEX IF NOT EXISTS panel_support_ticket_account_list"
            " ON panel_support_ticket (account, status, last_reply_at)",
            "CREATE INDEX IF NOT EXISTS panel_support_ticket_desk_list"
            " ON panel_support_ticket (status, department, last_reply_at)",
            "CREATE INDEX IF NOT EXISTS panel_support_ticket_assigned ON panel_support_ticket (assigned_to, status)",
            "CREATE INDEX IF NOT EXISTS panel_support_message_thread ON panel_support_message (ticket, created_at)",
            "CREATE UNIQUE INDEX IF NOT EXISTS panel_support_department_staff_unique"
            " ON panel_support_department_staff (department, \"user\")",
        ):
            await engine.run_ddl(sql)

    manager.add_raw(composite_indexes)

    return manager
