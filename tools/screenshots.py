"""`make screenshots`: the README's pictures, taken from the demo data.

Migrates a throw-away SQLite database, loads the demo (`manage.py demo`), serves
it with `runserver` on a free port, and takes PNG screenshots at 1366 x 768 with
Playwright and Debian's Chromium (/usr/bin/chromium): the triage queue and a
claim page as the demo editor, and the published fact-check as the public sees
it. They land in docs/img/, which README.md shows. Nothing here touches the
developer's own database.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tools.browser import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img"
VIEWPORT = {"width": 1366, "height": 768}
EDITOR = ("editor", "demo-editor-pass")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 (our own manage.py, arguments from this file)
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own local server)
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer at {url} within {seconds} s")


def take(base: str, claim_id: int, slug: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    shots = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            desk = browser.new_context(viewport=VIEWPORT).new_page()
            desk.goto(f"{base}/admin/login/")
            desk.fill("#id_username", EDITOR[0])
            desk.fill("#id_password", EDITOR[1])
            desk.click("input[type=submit]")
            desk.wait_for_url(f"{base}/admin/")
            for name, path in (
                ("triage-queue.png", "/admin/claims/claim/?queue=triage"),
                ("claim-page.png", f"/admin/claims/claim/{claim_id}/change/"),
            ):
                desk.goto(base + path)
                desk.wait_for_load_state("networkidle")
                desk.screenshot(path=OUT / name)
                shots.append(OUT / name)
            public = browser.new_context(viewport=VIEWPORT).new_page()
            public.goto(f"{base}/fact-checks/{slug}/")
            public.wait_for_load_state("networkidle")
            public.screenshot(path=OUT / "fact-check.png")
            shots.append(OUT / "fact-check.png")
        finally:
            browser.close()
    return shots


def main() -> None:
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as scratch:
        port = free_port()
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DATABASE_", "CELERY_", "CACHE_", "SITE_URL"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="factcheck.settings",
            DJANGO_DEBUG="1",
            DATABASE_URL=f"sqlite:///{scratch}/screenshots.sqlite3",
            DJANGO_LOG_LEVEL="ERROR",
            PORT=str(port),
        )
        manage(env, "migrate", "--noinput")
        manage(env, "demo")
        # The demo's claim in review, and its published fact-check.
        found = manage(
            env,
            "shell",
            "-c",
            "from claims.models import Claim;"
            "c = Claim.objects.exclude(slug='').first();"
            "r = Claim.objects.filter(status__in=['in_review', 'in_research']).order_by('-status').first() or c;"
            "print(r.pk, c.slug)",
        ).split()
        claim_id, slug = int(found[-2]), found[-1]
        server = subprocess.Popen(  # noqa: S603 (our own manage.py)
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base}/healthz")
            shots = take(base, claim_id, slug)
        finally:
            server.terminate()
            server.wait(timeout=30)
    for shot in shots:
        print(f"{shot.relative_to(ROOT)}: {shot.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
