"""Knowledge bases: knowledge_bases, kb_documents, kb_chunks and their full-text index.

The DDL lives in kb.schema so the migration and the library's tests share one definition;
the full-text part branches on the dialect (FTS5 on SQLite, tsvector + GIN on Postgres).
"""

from alembic import op

from kb.schema import create_kb_schema, drop_kb_schema

revision = "0002_knowledge"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kb_schema(op.get_bind())


def downgrade() -> None:
    drop_kb_schema(op.get_bind())
