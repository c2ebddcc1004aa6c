"""Settings of the API benchmark's server: the project's own, read from the
environment as in production, with the floor's URLs added."""

from factcheck.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
