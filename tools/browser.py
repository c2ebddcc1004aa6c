"""How the project starts a browser: Debian's Chromium, headless, for the
end-to-end tests (tests/test_e2e_admin_workflow.py) and `make screenshots`."""

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling Google's hosts,
# which this closed network refuses, slowing every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
