"""The API benchmark's HTTP load generator: asyncio, HTTP/1.1 keep-alive, GET only.

Two ways to load a server, both bounded in time and sending only to loopback:

- ``closed_loop``: N connections, each sending its next request when the last
  answer arrives; the completion rate is the server's maximum throughput.
- ``open_loop``: requests sent on a fixed schedule (rate per second) whatever
  the server does; each latency counts from the *scheduled* send time, so time
  spent waiting for a free connection or in the server's queue shows (no
  coordinated omission).

The same code drives the app and the floor. Its own CPU time per request is
reported, so one can see it is small next to the server's.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


class ServerError(RuntimeError):
    pass


class Connection:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def open(self) -> Connection:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def get(self, target: bytes, headers: bytes = b"") -> tuple[int, bytes, bytes]:
        """(status, head, body) of GET target; reconnects once if the server closed the idle connection."""
        return await self.exchange(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n" % (target, headers), target)

    async def post(self, target: bytes, body: bytes, headers: bytes = b"") -> tuple[int, bytes, bytes]:
        """(status, head, body) of POST target with a JSON body, as ``get``; an answer without
        Content-Length is taken as empty."""
        request = (
            b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n%s\r\n%s" % (target, len(body), headers, body)
        )
        return await self.exchange(request, target, require_length=False)

    async def exchange(self, request: bytes, target: bytes, *, require_length: bool = True) -> tuple[int, bytes, bytes]:
        """Send one HTTP/1.1 request and read its answer (status, head, body); reconnects
        once if the server closed the idle connection."""
        for attempt in (1, 2):
            if self.writer is None:
                await self.open()
            try:
                self.writer.write(request)
                head = await self.reader.readuntil(b"\r\n\r\n")
                break
            except (asyncio.IncompleteReadError, ConnectionError):
                self.close()
                if attempt == 2:
                    raise
        status = int(head[9:12])
        lowered = head.lower()
        start = lowered.find(b"\r\ncontent-length:")
        if start < 0 and require_length:
            raise ServerError(f"no Content-Length in the answer to {target!r}: {head[:200]!r}")
        end = lowered.find(b"\r\n", start + 2)
        body = await self.reader.readexactly(int(head[start + 17 : end]) if start >= 0 else 0)
        if b"\r\nconnection: close" in lowered:
            self.close()
        return status, head, body


@dataclass
class Result:
    mode: str
    requests: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    client_cpu_us_per_request: float
    statuses: dict[int, int]
    offered_rate: float | None = None
    max_send_lag_ms: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, pct: float) -> float:
        ordered = sorted(self.latencies_ms)
        # Nearest rank: the sample at or above pct% of the others.
        rank = max(1, -int(-pct * len(ordered) // 100))
        return ordered[rank - 1]


def _check(status: int, statuses: dict[int, int]) -> None:
    statuses[status] = statuses.get(status, 0) + 1


async def _closed_loop(host, port, targets, *, connections, seconds, warmup) -> Result:
    connections_ = [await Connection(host, port).open() for _ in range(connections)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    counter = iter(range(10**12))
    sent = 0
    measuring_from = time.perf_counter() + warmup
    stop_at = measuring_from + seconds

    async def client(conn: Connection):
        nonlocal sent
        while True:
            started = time.perf_counter()
            if started >= stop_at:
                return
            status, _, _ = await conn.get(targets[next(counter) % len(targets)])
            sent += 1
            if started >= measuring_from:
                latencies.append((time.perf_counter() - started) * 1000)
                _check(status, statuses)

    await asyncio.sleep(0)
    cpu = time.process_time()
    await asyncio.gather(*(client(c) for c in connections_))
    cpu = time.process_time() - cpu
    for conn in connections_:
        conn.close()
    total = sum(statuses.values())
    return Result("closed", total, seconds, latencies, cpu / max(sent, 1) * 1e6, statuses)


async def _open_loop(host, port, targets, *, rate, seconds, warmup, max_connections) -> Result:
    idle: asyncio.LifoQueue[Connection] = asyncio.LifoQueue()
    opened = 0
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    max_lag = 0.0
    total_requests = int(rate * (seconds + warmup))
    warmup_requests = int(rate * warmup)
    interval = 1.0 / rate
    start = time.perf_counter() + 0.05

    async def one(i: int, scheduled: float):
        nonlocal opened
        if idle.empty() and opened < max_connections:
            opened += 1
            conn = Connection(host, port)
        else:
            conn = await idle.get()
        try:
            status, _, _ = await conn.get(targets[i % len(targets)])
        finally:
            idle.put_nowait(conn)
        if i >= warmup_requests:
            latencies.append((time.perf_counter() - scheduled) * 1000)
            _check(status, statuses)

    tasks = []
    cpu = time.process_time()
    for i in range(total_requests):
        scheduled = start + i * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif i >= warmup_requests:
            max_lag = max(max_lag, -delay * 1000)
        tasks.append(asyncio.create_task(one(i, scheduled)))
    await asyncio.gather(*tasks)
    cpu = time.process_time() - cpu
    while not idle.empty():
        idle.get_nowait().close()
    measured = total_requests - warmup_requests
    return Result(
        "open",
        measured,
        seconds,
        latencies,
        cpu / max(total_requests, 1) * 1e6,
        statuses,
        offered_rate=rate,
        max_send_lag_ms=max_lag,
    )


def closed_loop(
    host: str, port: int, targets: list[bytes], *, connections: int, seconds: float, warmup: float
) -> Result:
    return asyncio.run(_closed_loop(host, port, targets, connections=connections, seconds=seconds, warmup=warmup))


def open_loop(
    host: str, port: int, targets: list[bytes], *, rate: float, seconds: float, warmup: float, max_connections: int = 64
) -> Result:
    return asyncio.run(
        _open_loop(host, port, targets, rate=rate, seconds=seconds, warmup=warmup, max_connections=max_connections)
    )


def fetch(
    host: str, port: int, target: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One GET, for checks: (status, headers with lower-case names, body)."""
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items()).encode()

    async def go():
        conn = Connection(host, port)
        try:
            return await conn.get(target.encode(), extra)
        finally:
            conn.close()

    status, head, body = asyncio.run(go())
    lines = head.decode("latin-1").split("\r\n")[1:]
    parsed = {}
    for line in lines:
        if ":" in line:
            name, value = line.split(":", 1)
            parsed[name.strip().lower()] = value.strip()
    return status, parsed, body


def merge(results: list[Result]) -> Result:
    """One result from several runs of the same load (turns of a measurement)."""
    statuses: dict[int, int] = {}
    for result in results:
        for status, count in result.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    requests = sum(r.requests for r in results)
    return Result(
        results[0].mode,
        requests,
        sum(r.seconds for r in results),
        [latency for r in results for latency in r.latencies_ms],
        sum(r.client_cpu_us_per_request * r.requests for r in results) / max(requests, 1),
        statuses,
        offered_rate=results[0].offered_rate,
        max_send_lag_ms=max(r.max_send_lag_ms for r in results),
    )
