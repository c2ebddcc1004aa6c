"""Settings of the tiplines benchmark's server: the project's own, read from the
environment as in production, with the floor's URL added."""

from factcheck.settings import *  # noqa: F403

ROOT_URLCONF = "bench.tiplines_urls"
