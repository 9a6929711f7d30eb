from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T01:30:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "one site per address per account"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="wordpress", description=DESCRIPTION)

    async def one_site_per_address() -> None:
        # `url` is stored normalised (panel_wordpress.client.normalise_url), so equal
        # addresses are equal strings. A site connected twice before this index existed
        # keeps its oldest row (lowest id); the newer copies go, with what was read from
        # them and their run steps (foreign keys cascade). Same SQL on SQLite and PostgreSQL.
        from piccolo.engine import engine_finder

        engine = engine_finder()
        assert engine is not None
        for sql in (
            "DELETE FROM wordpress_site WHERE EXISTS (SELECT 1 FROM wordpress_site older"
            " WHERE older.account = wordpress_site.account AND older.url = wordpress_site.url"
            " AND older.id < wordpress_site.id)",
            "CREATE UNIQUE INDEX IF NOT EXISTS wordpress_site_account_url ON wordpress_site (account, url)",
        ):
            await engine.run_ddl(sql)

    manager.add_raw(one_site_per_address)

    return manager
