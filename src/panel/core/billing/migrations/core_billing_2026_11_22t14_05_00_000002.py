from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T14:05:00:000002"
VERSION = "1.38.0"
DESCRIPTION = "multi-column indexes"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core_billing", description=DESCRIPTION)

    async def composite_indexes() -> None:
        # Piccolo columns cannot declare multi-column unique indexes; these keep the
        # uniqueness rules the services rely on, on SQLite and PostgreSQL alike.
        from piccolo.engine import engine_finder

        engine = engine_finder()
        assert engine is not None
        for sql in (
            "CREATE UNIQUE INDEX IF NOT EXISTS panel_billing_sequence_unique ON panel_billing_sequence (store, kind)",
            "CREATE UNIQUE INDEX IF NOT EXISTS panel_billing_invoice_number_unique ON panel_billing_invoice (store, kind, seq)",
            "CREATE UNIQUE INDEX IF NOT EXISTS panel_billing_credit_balance_unique ON panel_billing_credit_balance (account, currency)",
            "CREATE UNIQUE INDEX IF NOT EXISTS panel_billing_payment_reference_unique ON panel_billing_payment (gateway, reference) WHERE (reference <> '')",
        ):
            await engine.run_ddl(sql)

    manager.add_raw(composite_indexes)

    return manager
