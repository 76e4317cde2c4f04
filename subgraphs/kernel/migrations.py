"""Alembic, one migration history per subgraph (each owns its database).

`subgraphs/<name>/migrations/env.py` calls `run_env(metadata)`; the rest of the
Alembic configuration is built here, so there is no alembic.ini to copy around.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

SUBGRAPHS_DIR = Path(__file__).resolve().parent.parent


def alembic_config(subgraph: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SUBGRAPHS_DIR / subgraph / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(subgraph: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(subgraph, url), revision)


async def migrate(subgraph: str, url: str) -> None:
    """Create the database if it is a PostgreSQL one that does not exist yet, then
    upgrade to head (Alembic runs its own event loop, so in a thread)."""
    await ensure_database(url)
    await asyncio.to_thread(upgrade, subgraph, url)


async def ensure_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        return  # SQLite files are created on first connect
    server = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with server.connect() as connection:
            exists = await connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            )
            if not exists:
                try:
                    await connection.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
                except sa.exc.ProgrammingError as error:  # created meanwhile by another replica
                    if "already exists" not in str(error):
                        raise
    finally:
        await server.dispose()


def revision(subgraph: str, url: str, message: str) -> None:
    """Autogenerate a revision from the difference between tables.py and the database."""
    command.revision(alembic_config(subgraph, url), message=message, autogenerate=True)


def _render_item(kind: str, obj: object, _autogen_context: object) -> str | bool:
    """Migrations are frozen snapshots: render kernel column types as plain SQLAlchemy."""
    from .db import UtcDateTime

    if kind == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_env(metadata: sa.MetaData) -> None:
    from .db import create_engine

    url = context.config.get_main_option("sqlalchemy.url")
    assert url
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def run(connection: sa.Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            render_item=_render_item,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                if connection.dialect.name == "postgresql":
                    # Replicas starting together: one migrates, the others wait and find nothing to do.
                    await connection.execute(sa.text("SELECT pg_advisory_xact_lock(7401)"))
                await connection.run_sync(run)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(main())
