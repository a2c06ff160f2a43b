"""Cutting PostgreSQL sessions of the test database, as a server restart or a network blip does.

One place for what four fault tests did each in their own words: a second session (autocommit)
on the same server, and from it `pg_terminate_backend` of this process's session, or of every
other session of the test database while new ones are refused.
"""

import contextlib
from collections.abc import Iterator

import psycopg
from django.db import connection


def session_params(dbname: str | None = None) -> dict[str, object]:
    """psycopg's connection arguments for the test database's server (`dbname`: another one)."""
    settings = connection.settings_dict
    params: dict[str, object] = {
        "dbname": dbname or settings["NAME"],
        "user": settings["USER"],
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or 5432,
    }
    if settings["PASSWORD"]:
        params["password"] = settings["PASSWORD"]
    return params


@contextlib.contextmanager
def second_session(dbname: str | None = None) -> Iterator[psycopg.Connection]:
    """A session of its own (autocommit), which the cuts below leave alone."""
    with psycopg.connect(**session_params(dbname), autocommit=True) as session:
        yield session


def own_backend_pid() -> int:
    """The server process of this thread's Django connection (opened if it was not)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    return pid


def session_cut(pid: int, *, session: psycopg.Connection | None = None, wait_ms: int = 0) -> None:
    """Terminates the server process `pid`. With `wait_ms`, returns once it is gone (up to that
    long), so that the next statement on it fails rather than racing the termination."""
    statement, params = "SELECT pg_terminate_backend(%s)", [pid]
    if wait_ms:
        statement, params = "SELECT pg_terminate_backend(%s, %s)", [pid, wait_ms]
    if session is not None:
        session.execute(statement, params)
        return
    with second_session() as other:
        other.execute(statement, params)


def own_session_cut() -> None:
    """What a database restart does to a kept connection: its server process ends."""
    session_cut(own_backend_pid())


def connections_cut(database: str, *, allowed: bool) -> None:
    """Refuses new connections to `database` and ends every session of it but this thread's
    (allowed=False), or lets connections in again (allowed=True). Runs from the server's
    maintenance database: a database cannot refuse its own session."""
    watcher = own_backend_pid()
    with second_session("postgres") as admin:
        name = connection.ops.quote_name(database)
        admin.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {'true' if allowed else 'false'}")
        if not allowed:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
                [database, watcher],
            )
