"""gunicorn's configuration, read automatically when gunicorn starts in this folder.

    gunicorn factcheck.wsgi --bind 0.0.0.0:8000 --workers 3

Threads and workers come from the command line (or GUNICORN_CMD_ARGS). The
hook keeps the garbage collector off the objects every worker loads once and
keeps for its whole life (Django, the URL map, the settings): without it each
full collection walks them all, which shows as latency spikes at p99 (see
`python -m bench.api --gc off`). FACTCHECK_GC_THRESHOLD sets the collector's
thresholds after that (three integers, Python's gc.set_threshold), or "off"
for Python's defaults and no freeze.
"""

import gc
import os

worker_class = "gthread"
threads = 4
keepalive = 5

GC_THRESHOLD = os.environ.get("FACTCHECK_GC_THRESHOLD", "50000,20,100")
if GC_THRESHOLD != "off":
    try:
        _thresholds = tuple(int(n) for n in GC_THRESHOLD.split(","))
        if len(_thresholds) != 3 or min(_thresholds) < 0:
            raise ValueError
    except ValueError:
        raise SystemExit(
            f'FACTCHECK_GC_THRESHOLD must be three non-negative integers ("50000,20,100") or "off"; got {GC_THRESHOLD!r}'
        ) from None


def post_worker_init(worker):
    if GC_THRESHOLD == "off":
        return
    gc.collect()
    # Everything allocated so far lives as long as the worker: leave it out of
    # every future collection (and out of copy-on-write page faults).
    gc.freeze()
    gc.set_threshold(*_thresholds)
