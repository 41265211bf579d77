"""The 0002_knowledge migration creates and drops exactly the schema the library uses."""

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import create_engine, inspect

pytestmark = pytest.mark.integration

MIGRATION = Path(__file__).parents[2] / "api/migrations/versions/0002_knowledge.py"


def _load_migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0002_knowledge", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_upgrade_creates_tables_and_fts_then_downgrade_removes_them(tmp_path: Path) -> None:
    migration = _load_migration()
    assert (migration.revision, migration.down_revision) == ("0002_knowledge", "0001_core")
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.begin() as connection, Operations.context(MigrationContext.configure(connection)):
        migration.upgrade()
    tables = set(inspect(engine).get_table_names())
    assert {"knowledge_bases", "kb_documents", "kb_chunks", "kb_chunks_fts"} <= tables
    with engine.begin() as connection, Operations.context(MigrationContext.configure(connection)):
        migration.downgrade()
    assert not {"knowledge_bases", "kb_documents", "kb_chunks", "kb_chunks_fts"} & set(
        inspect(engine).get_table_names()
    )
    engine.dispose()
