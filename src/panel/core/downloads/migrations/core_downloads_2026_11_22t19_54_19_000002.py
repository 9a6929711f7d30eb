from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T19:54:19:000002"
VERSION = "1.38.0"
DESCRIPTION = "one row per file and product; the list's order"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core_downloads", description=DESCRIPTION)

    async def indexes() -> None:
        from piccolo.engine import engine_finder

        engine = engine_finder()
        assert engine is not None
        for sql in (
            "CREATE UNIQUE INDEX IF NOT EXISTS panel_download_product_unique ON panel_download_product (file, product)",
            "CREATE INDEX IF NOT EXISTS panel_download_file_order ON panel_download_file (category, title, id)",
            "CREATE INDEX IF NOT EXISTS panel_download_category_order ON panel_download_category (sort, name, id)",
        ):
            await engine.run_ddl(sql)

    manager.add_raw(indexes)

    return manager
