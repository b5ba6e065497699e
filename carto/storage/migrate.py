"""Schema migrations (Alembic), the same on SQLite and PostgreSQL.

The revisions live in ``carto/storage/migrations/versions``. A new database is created from the models and
stamped at the newest revision (the same schema, checked by the tests); an existing one is brought
up to date by ``carto db upgrade``. Indexes outside the models (the FTS5 table on SQLite,
expression indexes on PostgreSQL) belong to ``carto.storage.search_index``; migrations ignore them and
``upgrade`` recreates any that are missing.

To change a table: edit ``carto/models.py``, then ``carto db revision -m "what changed"``, read and
complete the generated file (server defaults for new NOT NULL columns, data moves), and commit it.
"""
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import DateTime, TypeDecorator, inspect
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

from carto.storage import models  # noqa: F401  (registers the tables
from carto.storage import freshness, search_index

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"
# Tables that are not ours: PostGIS' own, and the shadow tables of the SQLite virtual tables.
FOREIGN_TABLES = {"spatial_ref_sys", "geometry_columns", "geography_columns"}


class SchemaOutdated(RuntimeError):
    """The database is older (or other) than the code: it needs ``carto db upgrade``."""


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


@lru_cache
def head() -> str:
    return ScriptDirectory.from_config(config()).get_current_head()


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def is_ours(name: str, type_: str) -> bool:
    """What migrations compare and create: the models' tables, columns and indexes only."""
    if type_ == "column":
        return name not in search_index.PG_COLUMNS
    if type_ == "table":
        return name not in FOREIGN_TABLES and not name.startswith(search_index.SQLITE_TABLES)
    if type_ == "index":
        return name not in search_index.PG_INDEXES
    return True


def include_name(name, type_, _parent_names) -> bool:
    return is_ours(name, type_)


def include_object(obj, name, type_, _reflected, _compare_to) -> bool:
    return is_ours(name, type_)


def render_item(type_, obj, _autogen_context):
    """Write SQLModel's column types as the plain SQLAlchemy types they stand for, so that revisions
    do not depend on SQLModel's internals."""
    if type_ != "type":
        return False
    if isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    if isinstance(obj, TypeDecorator) and isinstance(obj.impl, DateTime):
        return f"sa.DateTime(timezone={obj.impl.timezone})"
    return False


def differences(connection: Connection) -> list:
    """What autogenerate finds between the database and ``carto/models.py`` ([] when in step)."""
    context = MigrationContext.configure(connection, opts={
        "include_name": include_name, "include_object": include_object, "compare_type": True})
    return compare_metadata(context, SQLModel.metadata)


def prepare(engine: Engine) -> None:
    """Make the database ready for this code: create a new one, or check an existing one is current.

    Raises ``SchemaOutdated`` for a database at an older revision (or made before migrations and
    different from the models): upgrading is a deliberate step, ``carto db upgrade``.
    """
    with engine.begin() as conn:
        tables = set(inspect(conn).get_table_names())
        revision = current(conn) if VERSION_TABLE in tables else None
        if revision is None:
            _create_or_adopt(conn, tables)
        elif revision != head():
            raise SchemaOutdated(
                f"la base est à la révision {revision}, ce code attend {head()} : lancez « carto db upgrade »")
    search_index.create(engine)


def _create_or_adopt(conn: Connection, tables: set[str]) -> None:
    SQLModel.metadata.create_all(conn)
    if tables & set(SQLModel.metadata.tables) and differences(conn):
        raise SchemaOutdated("base créée avant les migrations et différente des modèles : "
                             "repartez d'une base neuve (carto backup, puis export/import)")
    freshness.seed(conn)
    command.stamp(config(conn), "head")


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Apply the migrations up to ``revision``; returns (revision before, revision after).

    A new database is created at ``revision`` by the migrations themselves.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        tables = set(inspect(conn).get_table_names())
        if VERSION_TABLE not in tables and tables & set(SQLModel.metadata.tables):
            _create_or_adopt(conn, tables)  # made before migrations: adopted if it matches the models
    with engine.connect() as conn:
        if sqlite:
            # Batch migrations copy tables: the copy must not trip the foreign keys of other tables.
            # (The pragma is ignored inside a transaction, hence the commits around it.)
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        before = current(conn)
        command.upgrade(config(conn), revision)  # in the transaction ``current`` began
        conn.commit()
        after = current(conn)
        if sqlite:
            conn.commit()
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()
    if after == head():
        search_index.create(engine)
    return before, after


def revision(message: str) -> Path:
    """Write a new revision with the changes autogenerate finds against a database at head."""
    from sqlalchemy import create_engine
    engine = create_engine("sqlite://")
    upgrade(engine)
    with engine.begin() as conn:
        script = command.revision(config(conn), message=message, autogenerate=True)
    return Path(script.path)
