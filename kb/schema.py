"""DDL of the knowledge-base tables and their full-text index: the one definition used by
the Alembic migration (api/migrations/versions/0002_knowledge.py) and by tests.

Functions take a synchronous SQLAlchemy Connection (what `op.get_bind()` returns); async
callers use `await conn.run_sync(create_kb_schema)`.
"""

from sqlalchemy import Connection, text
from sqlmodel import SQLModel

from kb.models import KB_TABLES

# Porter stemming lets "cancel" match "cancellation"; remove_diacritics folds "café".
_SQLITE_CREATE = (
    """
    CREATE VIRTUAL TABLE kb_chunks_fts USING fts5(
        title, content, content='kb_chunks', content_rowid='seq',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    # External-content FTS5 tables are kept in sync by triggers; a delete must repeat the
    # exact indexed values, hence the same coalesce() everywhere.
    """
    CREATE TRIGGER kb_chunks_fts_ai AFTER INSERT ON kb_chunks BEGIN
        INSERT INTO kb_chunks_fts(rowid, title, content)
        VALUES (new.seq, coalesce(new.title, ''), new.content);
    END
    """,
    """
    CREATE TRIGGER kb_chunks_fts_ad AFTER DELETE ON kb_chunks BEGIN
        INSERT INTO kb_chunks_fts(kb_chunks_fts, rowid, title, content)
        VALUES ('delete', old.seq, coalesce(old.title, ''), old.content);
    END
    """,
    """
    CREATE TRIGGER kb_chunks_fts_au AFTER UPDATE OF title, content ON kb_chunks BEGIN
        INSERT INTO kb_chunks_fts(kb_chunks_fts, rowid, title, content)
        VALUES ('delete', old.seq, coalesce(old.title, ''), old.content);
        INSERT INTO kb_chunks_fts(rowid, title, content)
        VALUES (new.seq, coalesce(new.title, ''), new.content);
    END
    """,
)
_SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS kb_chunks_fts_au",
    "DROP TRIGGER IF EXISTS kb_chunks_fts_ad",
    "DROP TRIGGER IF EXISTS kb_chunks_fts_ai",
    "DROP TABLE IF EXISTS kb_chunks_fts",
)
# A generated column keeps the index in sync without triggers; content weighs more than the
# heading path because headings repeat across many chunks.
_POSTGRES_CREATE = (
    """
    ALTER TABLE kb_chunks ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'B')
        || setweight(to_tsvector('english', content), 'A')
    ) STORED
    """,
    "CREATE INDEX ix_kb_chunks_search_vector ON kb_chunks USING gin (search_vector)",
)
_POSTGRES_DROP = (
    "DROP INDEX IF EXISTS ix_kb_chunks_search_vector",
    "ALTER TABLE IF EXISTS kb_chunks DROP COLUMN IF EXISTS search_vector",
)


def _statements(connection: Connection, create: bool) -> tuple[str, ...]:
    dialect = connection.dialect.name
    if dialect == "sqlite":
        return _SQLITE_CREATE if create else _SQLITE_DROP
    if dialect == "postgresql":
        return _POSTGRES_CREATE if create else _POSTGRES_DROP
    raise NotImplementedError(f"Knowledge-base search does not support {dialect}")


def create_search_index(connection: Connection) -> None:
    for statement in _statements(connection, create=True):
        connection.execute(text(statement))


def drop_search_index(connection: Connection) -> None:
    for statement in _statements(connection, create=False):
        connection.execute(text(statement))


def create_kb_schema(connection: Connection) -> None:
    """Create the three knowledge-base tables, their indexes and the full-text index."""
    SQLModel.metadata.create_all(connection, tables=list(KB_TABLES))
    create_search_index(connection)


def drop_kb_schema(connection: Connection) -> None:
    drop_search_index(connection)
    SQLModel.metadata.drop_all(connection, tables=list(reversed(KB_TABLES)))
