from __future__ import annotations

import os
from pathlib import Path

import pytest
import urllib3.util.connection
from django.contrib.auth.models import Group
from django.core.cache import cache

from claims.defaults import ensure_default_scale
from claims.management.commands.train_checkworthiness import DEFAULT_EMBEDDING_DIR
from claims.models import Rating, RatingScale
from claims.review.roles import EDITORS, REVIEWERS, sync_role_groups

from .factories import UserFactory
from .httpserver import LocalHTTPServer
from .tiplines_support import BOT_TOKEN, TELEGRAM_SECRET, FakeGraphAPI, FakeTelegram, configure_whatsapp

# Beside the repository; a git worktree elsewhere points at it with FACTCHECK_SHARED_DATA.
SHARED_DATA = Path(
    os.environ.get("FACTCHECK_SHARED_DATA") or Path(__file__).resolve().parent.parent.parent / "shared" / "data"
)


# The check-worthiness scorer's static embedding model, which only training reads
# (`make checkworthiness-embedding`; CI makes it): where train_checkworthiness looks.
CHECKWORTHINESS_EMBEDDING = DEFAULT_EMBEDDING_DIR


@pytest.fixture
def checkworthiness_embedding() -> Path:
    if not (CHECKWORTHINESS_EMBEDDING / "model.safetensors").is_file():
        pytest.skip(
            f"the check-worthiness embedding model is not at {CHECKWORTHINESS_EMBEDDING} "
            "(make it with `make checkworthiness-embedding`)"
        )
    return CHECKWORTHINESS_EMBEDDING


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache: the API throttles count requests there."""
    cache.clear()


@pytest.fixture
def urllib3_connections(monkeypatch) -> list[tuple[str, int]]:
    """Every connection urllib3 opens, as (host, port); only 127.0.0.1 is let through."""
    attempts: list[tuple[str, int]] = []
    real_create_connection = urllib3.util.connection.create_connection

    def create_connection(address, *args, **kwargs):
        attempts.append(address)
        assert address[0] == "127.0.0.1", f"test tried to connect to {address}"
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return attempts


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (it sits beside the repository in CI)")
    return SHARED_DATA


@pytest.fixture
def default_scale(db) -> RatingScale:
    return ensure_default_scale(RatingScale, Rating)


@pytest.fixture
def roles(db) -> dict[str, Group]:
    return sync_role_groups()


@pytest.fixture
def editor(roles):
    user = UserFactory(username="editor")
    user.groups.add(roles[EDITORS])
    return user


@pytest.fixture
def reviewer(roles):
    user = UserFactory(username="reviewer")
    user.groups.add(roles[REVIEWERS])
    return user


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


# Fake WhatsApp Graph API and Telegram Bot API servers on 127.0.0.1 (tests/tiplines_support.py).
@pytest.fixture
def graph(settings):
    with LocalHTTPServer() as server:
        fake = FakeGraphAPI(server)
        configure_whatsapp(settings, fake.base)
        yield fake


@pytest.fixture
def telegram(settings):
    with LocalHTTPServer() as server:
        fake = FakeTelegram(server)
        settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]
        settings.CELERY_TASK_ALWAYS_EAGER = False
        settings.TELEGRAM_BOT_TOKEN = BOT_TOKEN
        settings.TELEGRAM_SECRET_TOKEN = TELEGRAM_SECRET
        settings.TELEGRAM_API_URL = server.url("")
        yield fake


@pytest.fixture
def fresh_matching():
    """Matching's in-process caches emptied: a rolled-back test leaves as many rows as the
    last one, which the SQLite index (checked by row count) would take for the same rows."""
    from claims.matching import backends

    backends.forget_stats()
    backends.forget_memory_indexes()
    yield
    backends.forget_stats()
    backends.forget_memory_indexes()
