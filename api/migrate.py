"""Schema migrations, run by `voxroom migrate` and on every `voxroom up`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from api.settings import normalize_database_url

_SCRIPTS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.set_main_option("sqlalchemy.url", normalize_database_url(database_url))
    return config


def ensure_sqlite_dir(database_url: str) -> None:
    """Create the folder of a file-backed SQLite database (`.voxroom/` on first run)."""
    marker = ":///"
    if database_url.startswith("sqlite") and marker in database_url:
        path = database_url.split(marker, 1)[1].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def upgrade(database_url: str) -> None:
    """Bring the database to the newest schema. Blocking: call it off the event loop."""
    ensure_sqlite_dir(database_url)
    command.upgrade(alembic_config(database_url), "head")
