"""SQLite for several OpenStack processes writing at once (the test bed's services only).

With pysqlite's deferred BEGIN two writers can both start reading, and the one that then
fails to upgrade its lock gets "database is locked" at once, whatever the busy timeout.
BEGIN IMMEDIATE takes the write lock when the transaction starts, where the busy timeout makes
the others wait instead (SQLAlchemy's documented recipe for pysqlite). oslo.db already emits
its own BEGIN unless conn.info["in_transaction"] is set; listeners on the Engine class run
before oslo.db's per-engine ones, so setting that marker here replaces its BEGIN. WAL lets
readers go on while one process writes.
"""
import sqlite3

try:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool
except ImportError:  # an interpreter without SQLAlchemy needs none of this
    pass
else:
    @event.listens_for(Pool, "connect")
    def _sqlite_connect(dbapi_con, _record):
        if isinstance(dbapi_con, sqlite3.Connection):
            dbapi_con.execute("PRAGMA busy_timeout = 60000")
            dbapi_con.execute("PRAGMA journal_mode = WAL")

    @event.listens_for(Engine, "begin")
    def _sqlite_begin_immediate(conn):
        if conn.dialect.name == "sqlite" and "in_transaction" not in conn.info:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            conn.info["in_transaction"] = True

    @event.listens_for(Engine, "commit")
    @event.listens_for(Engine, "rollback")
    def _sqlite_end(conn):
        conn.info.pop("in_transaction", None)
