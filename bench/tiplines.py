"""The WhatsApp tipline under load: signed webhook messages at a fixed rate into
gunicorn, next to a bare signed-200 endpoint measured in the same run, then the
time until a Celery worker has stored, matched and answered every tip.

Set-up (all on loopback): a throw-away PostgreSQL database (BENCH_DATABASE_URL)
holding imported fact-checks, the fake Graph API of the tests
(``tests/tiplines_support.FakeGraphAPI``) receiving the replies, gunicorn with
the project's config serving the app plus ``/floor/webhooks/whatsapp/`` (the
same HMAC check over the raw body, then 200: the floor), ``relay_outbox`` and
a Celery worker on the broker (BENCH_BROKER_URL, default
redis://127.0.0.1:6379/15; queues prefixed per run).

Load: an open loop (latency counted from each request's scheduled send time, so
queueing shows) at ``--rate`` per second on each side for ``--seconds``, the two
interleaved (floor, app, floor, app... half an interval apart), so that whatever
else the machine does, the worker's drain or a stall of the load generator
itself, falls on both sides alike. Every app message is a different
person asking about one of the fact-checks in new words; the bench then waits
until every tip is stored and every reply is in the fake Graph API, and checks
that each person was answered exactly once. Target (issue 17): the webhook's p99
within 2x the floor's.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench.api import HOST, free_port, stop_server
from bench.api_load import Connection, Result
from bench.common import bench_database, server_version, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-app-secret"  # noqa: S105 -- a throw-away secret for the loopback run
PHONE_ID = "1065550100"
FACT_CHECKS = [
    ("Unemployment fell by 3 percent in 2025 across the whole country.", "unemployment fell 3 percent in 2025"),
    ("The new bridge over the Elbe cost 900 million euros.", "the Elbe bridge cost 900 million euros"),
    ("Drinking hot water cures the flu within two days.", "hot water cures flu in two days"),
    ("The city banned all cars from the centre on Sundays.", "cars banned from the city centre on Sundays"),
    ("Vaccines contain microchips for tracking people.", "vaccines have microchips to track people"),
]
STATUS_ONLY = {
    "object": "whatsapp_business_account",
    "entry": [
        {
            "id": "WABA-BENCH",
            "changes": [
                {
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "statuses": [{"id": "wamid.none", "status": "delivered", "timestamp": "1700000000"}],
                    },
                }
            ],
        }
    ],
}
FLOOR_PATH = b"/floor/webhooks/whatsapp/"
APP_PATH = b"/webhooks/whatsapp/"
ASKS = ["Is it true that {}?", "I got this: {}. Real?", "{} - true or false?", "My uncle says {}. Is that right?"]


async def _open_loop(port: int, requests: list[tuple[bytes, bytes, bytes]], rate: float) -> dict[bytes, Result]:
    """Send ``requests`` at ``rate`` per second on schedule (an open loop) and time each
    from its scheduled send; one result per target path."""
    idle: asyncio.LifoQueue[Connection] = asyncio.LifoQueue()
    latencies: dict[bytes, list[float]] = {target: [] for target, _, _ in requests}
    statuses: dict[bytes, dict[int, int]] = {target: {} for target in latencies}
    lags: dict[bytes, float] = dict.fromkeys(latencies, 0.0)
    interval = 1.0 / rate
    start = time.perf_counter() + 0.05

    async def one(target: bytes, body: bytes, headers: bytes, scheduled: float):
        conn = Connection(HOST, port) if idle.empty() else await idle.get()
        try:
            status, _, _ = await conn.post(target, body, headers)
        finally:
            idle.put_nowait(conn)
        latencies[target].append((time.perf_counter() - scheduled) * 1000)
        statuses[target][status] = statuses[target].get(status, 0) + 1

    tasks = []
    cpu = time.process_time()
    for i, (target, body, headers) in enumerate(requests):
        scheduled = start + i * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            lags[target] = max(lags[target], -delay * 1000)
        tasks.append(asyncio.create_task(one(target, body, headers, scheduled)))
    await asyncio.gather(*tasks)
    cpu = time.process_time() - cpu
    while not idle.empty():
        idle.get_nowait().close()
    seconds = len(requests) / rate
    per_request_us = cpu / max(len(requests), 1) * 1e6
    return {
        target: Result("open", len(times), seconds, times, per_request_us, statuses[target], rate, lags[target])
        for target, times in latencies.items()
    }


def message(n: int, run: str) -> tuple[bytes, bytes]:
    """The n-th person's signed message (its body and its signature header)."""
    claim, short = FACT_CHECKS[n % len(FACT_CHECKS)][0], FACT_CHECKS[n % len(FACT_CHECKS)][1]
    text = ASKS[(n // len(FACT_CHECKS)) % len(ASKS)].format(short if n % 2 else claim.rstrip("."))
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA-BENCH",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550100", "phone_number_id": PHONE_ID},
                            "contacts": [{"profile": {"name": "Reader"}, "wa_id": f"1555{n:07d}"}],
                            "messages": [
                                {
                                    "from": f"1555{n:07d}",
                                    "id": f"wamid.bench.{run}.{n}",
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, b"X-Hub-Signature-256: %s\r\n" % signature.encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tiplines", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=100.0, help="signed messages per second (default 100)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds on each side (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per gunicorn worker (default 4, as in gunicorn.conf.py)"
    )
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes (default 2)")
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=10,
        help="niceness of the Celery worker and the relay (default 10: background work yields the CPU "
        "to the web server, as the README advises on a shared host; 0 to run them at the server's priority)",
    )
    parser.add_argument("--drain-timeout", type=float, default=600, help="seconds to wait for every answer")
    args = parser.parse_args(argv)
    database_url, database_name = bench_database(parser)
    broker = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/15")
    with throwaway_database(database_url, database_name):
        return run(args, broker)


def run(args: argparse.Namespace, broker: str) -> int:
    from tests.fake_channels import FakeGraphAPI
    from tests.httpserver import LocalHTTPServer

    with LocalHTTPServer() as graph_server:
        graph = FakeGraphAPI(graph_server)
        prefix = f"bench-{uuid.uuid4().hex[:8]}-"
        os.environ.update(
            {
                "CELERY_BROKER_URL": broker,
                "FACTCHECK_QUEUE_PREFIX": prefix,
                "FACTCHECK_FETCH_TEST_HOSTS": "localhost",
                "WHATSAPP_APP_SECRET": SECRET,
                "WHATSAPP_VERIFY_TOKEN": "bench-verify",
                "WHATSAPP_ACCESS_TOKEN": "test-access-token",
                "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
                "WHATSAPP_GRAPH_URL": graph.base,
                "DJANGO_ALLOWED_HOSTS": HOST,
            }
        )
        import django

        django.setup()
        from django.core.management import call_command

        from claims.models import ExternalReview, Tip, TipReply

        call_command("migrate", interactive=False, verbosity=0)
        for i, (claim, _) in enumerate(FACT_CHECKS):
            ExternalReview.objects.create(
                url=f"https://checks.example.org/{i}",
                publisher_name="Other Desk",
                claim_reviewed=claim,
                rating_text="False",
                source="claimreview",
            )
        print(f"tiplines benchmark on {server_version()}: {len(FACT_CHECKS)} imported fact-checks")
        port = free_port()
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.tiplines_settings"}
        niced = ["nice", "-n", str(args.worker_nice)] if args.worker_nice else []
        processes = [
            subprocess.Popen(  # noqa: S603 -- our own command lines
                command, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL
            )
            for command in (
                [sys.executable, "-m", "gunicorn", "factcheck.wsgi:application",
                 "--config", str(ROOT / "gunicorn.conf.py"), "--bind", f"{HOST}:{port}",
                 "--workers", str(args.workers), "--threads", str(args.threads), "--log-level", "warning"],
                [*niced, sys.executable, "-m", "celery", "-A", "factcheck", "worker", "--loglevel", "WARNING",
                 "-Q", f"{prefix}fetch,{prefix}extract,default", "--concurrency", str(args.concurrency),
                 "--hostname", f"{prefix}worker@%h", "--without-gossip", "--without-mingle"],
                [*niced, sys.executable, "manage.py", "relay_outbox", "--interval", "0.05"],
            )
        ]  # fmt: skip
        try:
            wait_ready(port)
            return measure(args, port, graph, Tip, TipReply)
        finally:
            for process in processes:
                stop_server(process)


def wait_ready(port: int, timeout: float = 60) -> None:
    from bench import api_load

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if api_load.fetch(HOST, port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("bench.tiplines: gunicorn did not answer /healthz")


def measure(args, port: int, graph, Tip, TipReply) -> int:
    total = int(args.rate * args.seconds)
    run_id = uuid.uuid4().hex[:6]
    bodies = [message(n, run_id) for n in range(total)]
    floor_bodies = [message(n, run_id + "f") for n in range(total)]
    # Warm both sides (imports, database connections) with unmeasured requests; the app's
    # carry a delivery status only (signed, parsed, kept; a worker updates no reply), so
    # they make no tip.
    status = json.dumps(STATUS_ONLY).encode()
    signed = (
        b"X-Hub-Signature-256: sha256=%s\r\n" % hmac.new(SECRET.encode(), status, hashlib.sha256).hexdigest().encode()
    )
    warm = [(FLOOR_PATH, *floor_bodies[0]), (APP_PATH, status, signed)] * 20
    asyncio.run(_open_loop(port, warm, args.rate))
    # Interleaved: a floor request, then an app request, half an interval apart, each side
    # at ``rate`` per second. Whatever else the machine does (the worker draining, a stall
    # of the load generator itself) falls on both sides alike.
    interleaved = []
    for (floor_body, floor_headers), (body, headers) in zip(floor_bodies, bodies, strict=True):
        interleaved += [(FLOOR_PATH, floor_body, floor_headers), (APP_PATH, body, headers)]
    started = time.monotonic()
    # The load generator shares its process with Django and the fake Graph API: a full
    # collection of that heap would stall it for tens of milliseconds, counted as latency
    # on whichever requests were due. The collector is off while it sends.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        results = asyncio.run(_open_loop(port, interleaved, 2 * args.rate))
    finally:
        gc.enable()
    last_sent = time.monotonic()
    app, floor = results[APP_PATH], results[FLOOR_PATH]
    deadline = last_sent + args.drain_timeout
    while time.monotonic() < deadline:
        if Tip.objects.count() >= total and len(graph.sent) >= total:
            break
        time.sleep(0.2)
    drained = time.monotonic()
    stored = Tip.objects.count()
    answered = Tip.objects.filter(status=Tip.Status.ANSWERED).count()
    recipients = [m["to"] for m in graph.sent]
    time.sleep(2)  # anything sent twice would arrive now
    recipients = [m["to"] for m in graph.sent]
    sent_rows = TipReply.objects.filter(status=TipReply.Status.SENT).count()
    once = len(recipients) == len(set(recipients)) == total
    ratio = app.percentile(99) / floor.percentile(99)
    print(
        f"signed messages at {args.rate:.0f}/s on each side, interleaved, for {args.seconds:.0f} s "
        f"(gunicorn {args.workers}x{args.threads}, worker concurrency {args.concurrency}, "
        f"worker and relay at niceness {args.worker_nice}):"
    )
    for name, result in (("bare signed-200 floor", floor), ("WhatsApp webhook", app)):
        print(
            f"  {name:22s} {result.requests:5d} requests  p50 {result.percentile(50):7.2f} ms  "
            f"p99 {result.percentile(99):7.2f} ms  statuses {result.statuses}  max send lag {result.max_send_lag_ms:.1f} ms"
        )
    print(f"  p99 ratio webhook/floor: {ratio:.2f}x (target <= 2x) {'OK' if ratio <= 2 else 'MISSED'}")
    print(
        f"  tips stored {stored}/{total}, answered at once {answered}, replies sent {sent_rows}, "
        f"received by the fake Graph API {len(recipients)} ({len(set(recipients))} people)"
    )
    print(
        f"  every tip stored and answered {drained - last_sent:.1f} s after the last message "
        f"({drained - started:.1f} s after the first); each person answered exactly once: {'yes' if once else 'NO'}"
    )
    return 0 if once and app.statuses == {200: app.requests} else 1


if __name__ == "__main__":
    sys.exit(main())
