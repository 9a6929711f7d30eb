from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T19:54:09:000002"
VERSION = "1.38.0"
DESCRIPTION = "one vote per reader and article; full-text search (FTS5 on SQLite, tsvector on PostgreSQL)"

# SQLite: an external-content FTS5 table over the article's title, words and tags,
# kept in step by triggers (an update of views or votes does not touch it). The
# porter tokenizer stems English words, as the PostgreSQL 'english' configuration does.
SQLITE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS panel_kb_article_fts USING fts5("
    "title, search_text, tags, content='panel_kb_article', content_rowid='id',"
    " tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS panel_kb_article_fts_insert AFTER INSERT ON panel_kb_article BEGIN"
    " INSERT INTO panel_kb_article_fts (rowid, title, search_text, tags)"
    " VALUES (new.id, new.title, new.search_text, new.tags); END",
    "CREATE TRIGGER IF NOT EXISTS panel_kb_article_fts_delete AFTER DELETE ON panel_kb_article BEGIN"
    " INSERT INTO panel_kb_article_fts (panel_kb_article_fts, rowid, title, search_text, tags)"
    " VALUES ('delete', old.id, old.title, old.search_text, old.tags); END",
    "CREATE TRIGGER IF NOT EXISTS panel_kb_article_fts_update"
    " AFTER UPDATE OF title, search_text, tags ON panel_kb_article BEGIN"
    " INSERT INTO panel_kb_article_fts (panel_kb_article_fts, rowid, title, search_text, tags)"
    " VALUES ('delete', old.id, old.title, old.search_text, old.tags);"
    " INSERT INTO panel_kb_article_fts (rowid, title, search_text, tags)"
    " VALUES (new.id, new.title, new.search_text, new.tags); END",
    "INSERT INTO panel_kb_article_fts (panel_kb_article_fts) VALUES ('rebuild')",
)

# PostgreSQL: a stored generated tsvector (title weighs most, then tags, then the words)
# and a GIN index on it.
POSTGRES = (
    "ALTER TABLE panel_kb_article ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(title, '')), 'A')"
    " || setweight(to_tsvector('english', coalesce(tags, '')), 'B')"
    " || setweight(to_tsvector('english', coalesce(search_text, '')), 'C')) STORED",
    "CREATE INDEX IF NOT EXISTS panel_kb_article_search ON panel_kb_article USING GIN (search_vector)",
)

BOTH = (
    "CREATE UNIQUE INDEX IF NOT EXISTS panel_kb_vote_unique ON panel_kb_vote (article, voter)",
    "CREATE INDEX IF NOT EXISTS panel_kb_article_listed ON panel_kb_article (category, published, title)",
    "CREATE INDEX IF NOT EXISTS panel_kb_category_order ON panel_kb_category (sort, name, id)",
    "CREATE INDEX IF NOT EXISTS panel_kb_article_changed ON panel_kb_article (updated_at, id)",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core_knowledgebase", description=DESCRIPTION)

    async def search_and_indexes() -> None:
        from piccolo.engine import engine_finder

        engine = engine_finder()
        assert engine is not None
        own = SQLITE if engine.engine_type == "sqlite" else POSTGRES
        for sql in (*BOTH, *own):
            await engine.run_ddl(sql)

    manager.add_raw(search_and_indexes)

    return manager
