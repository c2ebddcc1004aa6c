"""What the benchmarks share: a throw-away PostgreSQL database and the
environment Django reads before ``django.setup()``."""

from __future__ import annotations

import argparse
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

DEFAULT_DATABASE_URL = "postgres://root@127.0.0.1:5432/factcheck_bench"


def bench_database(parser: argparse.ArgumentParser) -> tuple[str, str]:
    """BENCH_DATABASE_URL and the database name in it; refuses a name without 'bench'."""
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    database_name = unquote(urlsplit(database_url).path.lstrip("/"))
    if "bench" not in database_name:
        # The benchmarks drop this database: never let it point at real data.
        parser.error(
            f"BENCH_DATABASE_URL must name a throw-away database with 'bench' in its name; got {database_name!r}"
        )
    return database_url, database_name


@contextmanager
def throwaway_database(database_url: str, database_name: str) -> Iterator[None]:
    """Configure the environment, create the database empty, and drop it on the way out, even on failure."""
    static_root = tempfile.TemporaryDirectory(prefix="factcheck-bench-static-")
    configure_environment(database_url, static_root.name)
    recreate_database(database_url, database_name)
    try:
        yield
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(database_url, database_name)
        static_root.cleanup()


def configure_environment(database_url: str, static_root: str) -> None:
    # Production-like: DEBUG off (no query log, no debug cursor), plain http
    # test client, a throw-away key. Tasks and cache stay in-process.
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "factcheck.settings",
            "DATABASE_URL": database_url,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "SITE_URL": "http://testserver",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SESSION_COOKIE_SECURE": "0",
            "DJANGO_CSRF_COOKIE_SECURE": "0",
            # Silences the start-up notice that tasks run in-process.
            "DJANGO_LOG_LEVEL": "ERROR",
            # WhiteNoise warns about a missing STATIC_ROOT; an empty one will do.
            "DJANGO_STATIC_ROOT": static_root,
        }
    )
    for name in ("CELERY_BROKER_URL", "CACHE_URL"):
        os.environ.pop(name, None)


def maintenance_connection(database_url: str):
    import psycopg

    parts = urlsplit(database_url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        dbname="postgres",
        autocommit=True,
    )


def recreate_database(database_url: str, name: str) -> None:
    from psycopg import sql

    with maintenance_connection(database_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(database_url: str, name: str) -> None:
    from psycopg import sql

    with maintenance_connection(database_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def server_version() -> str:
    from django.db import connection

    version = connection.pg_version
    return f"PostgreSQL {version // 10000}.{version % 10000}"
