"""Configuration comes from the environment; a bad value stops start-up naming it."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "factcheck" / "settings.py"

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k3q-production-like-secret-" + "abcdefghijklmnopqrstuvwxyz0123456789",
    "DJANGO_ALLOWED_HOSTS": "factcheck.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://factcheck.example.org",
    "SITE_URL": "https://factcheck.example.org",
}


def load_settings(monkeypatch, **env: str) -> dict:
    for name in list(os.environ):
        if name.startswith(("DJANGO_", "DATABASE_", "CELERY_", "CACHE_", "FACTCHECK_", "SITE_URL")):
            monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_production_like_values_load(monkeypatch):
    settings = load_settings(monkeypatch, **PRODUCTION_ENV, DATABASE_URL="postgres://app@db.internal:5432/factcheck")
    assert settings["DEBUG"] is False
    assert settings["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings["DATABASES"]["default"]["NAME"] == "factcheck"
    assert settings["SITE_URL"] == "https://factcheck.example.org"
    assert settings["CELERY_TASK_ALWAYS_EAGER"] is True


def test_no_database_url_means_embedded_sqlite(monkeypatch):
    settings = load_settings(monkeypatch, DJANGO_DEBUG="1")
    db = settings["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(ROOT / "db.sqlite3")


def test_broker_url_turns_off_eager_tasks(monkeypatch):
    settings = load_settings(monkeypatch, DJANGO_DEBUG="1", CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    assert settings["CELERY_TASK_ALWAYS_EAGER"] is False


def test_missing_secret_key_outside_debug_is_refused(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        load_settings(monkeypatch, DJANGO_DEBUG="0")


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DJANGO_DEBUG", "maybe", "boolean"),
        ("DATABASE_URL", "mongodb://127.0.0.1/x", "database URL"),
        ("DATABASE_URL", "not a url", "database URL"),
        ("DATABASE_URL", "mysql://127.0.0.1/x", "PostgreSQL"),
        ("DATABASE_URL", "postgres://127.0.0.1:5432", "name a database"),
        ("DATABASE_CONN_MAX_AGE", "forever", "whole number"),
        ("DATABASE_CONN_MAX_AGE", "-1", "at least 0"),
        ("CELERY_BROKER_URL", "localhost:6379", "absolute URL"),
        ("CACHE_URL", "memcached://127.0.0.1", "redis://"),
        ("SITE_URL", "factcheck.example.org", "absolute URL"),
        ("SITE_URL", "ftp://factcheck.example.org", "http://"),
        ("DJANGO_CSRF_TRUSTED_ORIGINS", "factcheck.example.org", "origins"),
        ("DJANGO_SECURE_HSTS_SECONDS", "a year", "whole number"),
        ("DJANGO_TIME_ZONE", "Mars/Olympus", "IANA time zone"),
        ("DJANGO_LOG_LEVEL", "LOUD", "one of"),
        ("FACTCHECK_MIN_INDEPENDENT_SOURCES", "0", "at least 1"),
        ("FACTCHECK_TRIAGE_SLA_HOURS", "two days", "whole number"),
        ("FACTCHECK_EXTRACT_THRESHOLD", "high", "number between"),
        ("FACTCHECK_EXTRACT_THRESHOLD", "1.5", "number between"),
        ("FACTCHECK_FETCH_MAX_BYTES", "5MB", "whole number"),
    ],
)
def test_malformed_variable_stops_start_up_naming_it(monkeypatch, variable, value, expected):
    env = {**PRODUCTION_ENV, variable: value}
    with pytest.raises(ImproperlyConfigured) as excinfo:
        load_settings(monkeypatch, **env)
    message = str(excinfo.value)
    assert message.startswith(variable), message
    assert expected in message, message


def test_check_deploy_is_silent_with_production_like_values(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "CELERY_", "CACHE_", "FACTCHECK_", "SITE_URL"))
    }
    env.update(PRODUCTION_ENV, DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "security.W" not in result.stdout + result.stderr


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "CELERY_", "CACHE_", "FACTCHECK_", "SITE_URL"))
    }
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_serving_without_a_broker_says_once_that_tasks_run_in_process():
    result = run_python("import factcheck.wsgi", DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("CELERY_BROKER_URL is not set: background tasks run eagerly in-process") == 1


def test_serving_with_a_broker_says_nothing_about_eager_tasks():
    result = run_python("import factcheck.wsgi", DJANGO_DEBUG="1", CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    assert result.returncode == 0, result.stderr
    assert "eagerly" not in result.stderr


def test_email_from_email_url(monkeypatch):
    monkeypatch.setenv("EMAIL_URL", "smtp://desk%40example.org:p%40ss@mail.example.org:587?tls=1")
    settings = load_settings(monkeypatch, **PRODUCTION_ENV)
    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (settings["EMAIL_HOST"], settings["EMAIL_PORT"]) == ("mail.example.org", 587)
    assert (settings["EMAIL_HOST_USER"], settings["EMAIL_HOST_PASSWORD"]) == ("desk@example.org", "p@ss")
    assert settings["EMAIL_USE_TLS"] is True and settings["EMAIL_USE_SSL"] is False


def test_email_from_email_variables_and_the_debug_default(monkeypatch):
    for name in ("EMAIL_URL", "EMAIL_HOST"):
        monkeypatch.delenv(name, raising=False)
    assert load_settings(monkeypatch, DJANGO_DEBUG="1")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    monkeypatch.setenv("EMAIL_HOST", "smtp.example.org")
    monkeypatch.setenv("EMAIL_PORT", "465")
    monkeypatch.setenv("EMAIL_USE_SSL", "1")
    settings = load_settings(monkeypatch, **PRODUCTION_ENV)
    assert (settings["EMAIL_HOST"], settings["EMAIL_PORT"], settings["EMAIL_USE_SSL"]) == (
        "smtp.example.org",
        465,
        True,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EMAIL_URL": "http://mail.example.org"}, "EMAIL_URL must look like smtp://"),
        ({"EMAIL_URL": "smtp://mail.example.org:99999"}, "port is not a number"),
        ({"EMAIL_URL": "smtp://mail.example.org?starttls=1"}, "unknown option(s) starttls"),
        ({"EMAIL_URL": "smtps://mail.example.org?tls=1"}, "not both"),
        ({"EMAIL_HOST": "mail.example.org", "EMAIL_PORT": "twenty-five"}, "EMAIL_PORT must be a whole number"),
        ({"EMAIL_HOST": "mail.example.org", "EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"}, "not both"),
        ({"DEFAULT_FROM_EMAIL": "desk"}, "DEFAULT_FROM_EMAIL must be an e-mail address"),
    ],
)
def test_bad_email_settings_stop_start_up_naming_the_variable(monkeypatch, env, message):
    for name in ("EMAIL_URL", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "EMAIL_USE_SSL", "DEFAULT_FROM_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as refused:
        load_settings(monkeypatch, **PRODUCTION_ENV)
    assert message in str(refused.value)
