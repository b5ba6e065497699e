"""Alembic environment: the connection comes from ``carto.storage.migrate`` (or the settings' URL)."""
from alembic import context
from sqlmodel import SQLModel

from carto.storage import migrate
from carto.storage.db import make_engine
from carto.core.settings import get_settings

config = context.config
OPTIONS = dict(
    target_metadata=SQLModel.metadata,
    include_name=migrate.include_name,
    include_object=migrate.include_object,
    render_item=migrate.render_item,
    compare_type=True,
    render_as_batch=True,  # SQLite alters tables by copying them; a no-op elsewhere
)


def run_offline() -> None:
    """``--sql`` mode: print the SQL for the settings' database instead of running it."""
    context.configure(url=get_settings().database_url, literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(get_settings().database_url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(connection=connection, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
