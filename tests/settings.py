"""Test settings: the project's settings with a test secret and fast hashing.

Everything else (database, broker) comes from the environment exactly as in
production, so `make test` runs against SQLite by default and against
PostgreSQL when DATABASE_URL points there.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-that-is-long-enough-to-look-real-0123456789")
# Production settings need SITE_URL; the tests keep the address they were written for.
os.environ.setdefault("SITE_URL", "http://127.0.0.1:8000")

from factcheck.settings import *  # noqa: E402,F403
from factcheck.settings import BASE_DIR, DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests use the plain test client over http.
SECURE_SSL_REDIRECT = False

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file rather than memory, so that a real Celery worker in another
    # process can see the rows a test commits.
    # One file per test run, so that runs side by side never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f"test-db-{os.getpid()}.sqlite3")}

# The manifest storage needs collectstatic; tests render pages without it.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# Serve static files from the apps' folders: tests never run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
