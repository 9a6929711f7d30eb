from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T01:10:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "partial indexes for the list of sites across clients"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="wordpress", description=DESCRIPTION)

    async def fleet_indexes() -> None:
        # The staff and reseller lists (panel_wordpress.fleet) filter on these; the
        # conditions are the list's own, so both databases know the index covers them.
        from piccolo.engine import engine_finder

        engine = engine_finder()
        assert engine is not None
        for sql in (
            "CREATE INDEX IF NOT EXISTS wordpress_site_pending ON wordpress_site (account)"
            " WHERE (core_update <> '' OR plugin_updates > 0 OR theme_updates > 0)",
            "CREATE INDEX IF NOT EXISTS wordpress_site_unhealthy ON wordpress_site (account)"
            " WHERE (health_status = 'critical' OR status = 'error')",
        ):
            await engine.run_ddl(sql)

    manager.add_raw(fleet_indexes)

    return manager
