"""Many rows into PostgreSQL at once by ``COPY … FROM STDIN``: the batch write path's transport.

An ``INSERT … SELECT FROM unnest(arrays)`` had psycopg encode every element of every array in
Python (its list dumper: 3.5 of the 7.2 s of Python profiled for 20,000 sites) and the server
unpack the arrays; ``COPY`` has psycopg format each row in C and the server read it as typed text,
row by row as it arrives (so a generator of rows is computed while the server stores the first
ones). A row is a tuple of values in the order of the columns, as psycopg adapts them (str, int,
float, bool, None, dates, ``Json``).

COPY inserts only: an upsert or an update first copies its rows into a temporary table
(``stage``), then joins it.
"""
from collections.abc import Iterable, Mapping, Sequence
from itertools import count

import psycopg
from psycopg.types.string import StrDumper
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

_staged = count(1)


def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Write ``rows`` into ``table`` (its ``columns``, in that order), in the connection's transaction."""
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with conn.connection.driver_connection.cursor() as cursor:
        # psycopg's own text dumper (in C), not the connection's, which drops NUL characters from query
        # parameters in Python: the write path's values are validated text, and a row holds dozens.
        cursor.adapters.register_dumper(str, StrDumper)
        # SQLAlchemy does not run COPY itself: its listeners (an audit, the tests' guard of the write
        # path) see the statement all the same, as they see every other.
        for listener in conn.dispatch.before_cursor_execute:
            listener(conn, cursor, statement, None, None, False)
        try:
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as e:  # as SQLAlchemy raises the driver's errors of every other statement
            raise DBAPIError.instance(statement, None, e, psycopg.Error, dialect=conn.dialect) from e


def stage(conn: Connection, like: str, columns: Sequence[str] | Mapping[str, str], rows: Iterable[tuple]) -> str:
    """Copy ``rows`` into a new temporary table, dropped at the end of the transaction, whose
    columns are typed as those of the table ``like``; returns its name. ``columns``: names of
    ``like``'s columns, or a mapping of the staged names to expressions over ``like``'s columns
    (``{"expected_version": "version"}``)."""
    named = columns if isinstance(columns, Mapping) else {c: c for c in columns}
    name = f"staged_{like}_{next(_staged)}"
    select = ", ".join(f"{expression} AS {staged}" for staged, expression in named.items())
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} ON COMMIT DROP AS SELECT {select} FROM {like} WITH NO DATA")
    copy_rows(conn, name, list(named), rows)
    return name
