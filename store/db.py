"""The database: one SQLAlchemy engine and session factory per app, built from a URL.

SQLite (the default, a file in the instance folder) or PostgreSQL (``postgresql+psycopg://…``).
Nothing here knows Flask: the web layer passes ``DATABASE_URL`` in.

Transactions that change the ledger use :meth:`Database.write`. On SQLite it begins with
``BEGIN IMMEDIATE``, so the write lock is taken before anything is read and two clerks'
transactions run one after the other; on PostgreSQL the ledger locks the quota row with
``SELECT … FOR UPDATE`` (see :mod:`parks.ledger`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.schema import CreateColumn

from store.models import Base

_IMMEDIATE = "atlas_begin_immediate"
SQLITE_BUSY_TIMEOUT_S = 30


def _sqlite_events(engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event below emit BEGIN, instead of pysqlite's own logic.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for a writer
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        immediate = connection.get_execution_options().get(_IMMEDIATE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """Engine and sessions for one database URL."""

    def __init__(self, url: str):
        self.url = make_url(url)
        kwargs = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
        self.engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            _sqlite_events(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    def create_all(self) -> None:
        """Create the tables that are missing, and the columns added to a table since a
        database was made (each with its server default); never drops or changes anything."""
        Base.metadata.create_all(self.engine)
        for table in Base.metadata.sorted_tables:
            have = {c["name"] for c in inspect(self.engine).get_columns(table.name)}
            for column in (c for c in table.columns if c.name not in have):
                self._add_column(table.name, column)

    def _add_column(self, table: str, column) -> None:
        ddl = f"ALTER TABLE {table} ADD COLUMN {CreateColumn(column).compile(dialect=self.engine.dialect)}"
        try:
            with self.engine.begin() as conn:
                conn.exec_driver_sql(ddl)
        except DBAPIError:  # another worker starting at the same moment added it first
            if column.name not in {c["name"] for c in inspect(self.engine).get_columns(table)}:
                raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; anything it changes is rolled back."""
        with self._sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on error."""
        with self._sessions() as session, session.begin():
            if self.is_sqlite:
                session.connection(execution_options={_IMMEDIATE: True})
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
