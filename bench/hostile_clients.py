#!/usr/bin/env python3
"""Hostile and probing clients for bench/hostile_clients.sh (issue 21), loopback only, bounded.

  slowloris N: N connections that send a request head a line at a time, one line every
               --trickle seconds, never finishing it; a connection the server cuts is opened
               again (at most one reopen per connection per second).
  idle N:      N keep-alive connections that send one GET /livez, read the answer and then say
               nothing; reopened when the server closes them.
  probe:       GET /livez every --probe-ms on one keep-alive connection (reopened on close),
               latency of each from send to the complete answer.

Runs for --duration seconds, then prints one JSON line: counts (opened, cut by the server,
answered 503 at connect) and the probe's latency percentiles in ms. With --metrics, also the
server's side of those seconds from two /metrics snapshots (at the start and the end): per
route the answers' time from parsed to ready (p50/p99 from the histogram's buckets), each
pool's queue wait, the writer's queue wait and commit time, and what was shed.
"""
import argparse
import asyncio
import json
import re
import time
import urllib.request


async def open_conn(port):
    return await asyncio.open_connection("127.0.0.1", port)


async def read_answer(reader):
    """Reads one HTTP answer (head + Content-Length body); returns the status or None at EOF."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


class counts:
    def __init__(self):
        self.opened = 0
        self.cut = 0
        self.busy = 0
        self.failed = 0


async def slowloris(port, stop, trickle, c):
    while time.monotonic() < stop:
        started = time.monotonic()
        try:
            reader, writer = await open_conn(port)
            c.opened += 1
            writer.write(b"GET /api/v1/ping HTTP/1.1\r\nHost: x\r\n")
            await writer.drain()
            i = 0
            while time.monotonic() < stop:
                # The server may answer (503 at the cap, 408) or just close.
                try:
                    data = await asyncio.wait_for(reader.read(4096), timeout=trickle)
                    if data.startswith(b"HTTP/1.1 503"):
                        c.busy += 1
                    c.cut += 1
                    break
                except asyncio.TimeoutError:
                    pass
                writer.write(b"X-Slow-%d: a\r\n" % i)
                i += 1
                await writer.drain()
            writer.close()
        except (OSError, asyncio.IncompleteReadError):
            c.failed += 1
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


async def idle(port, stop, c):
    while time.monotonic() < stop:
        started = time.monotonic()
        try:
            reader, writer = await open_conn(port)
            c.opened += 1
            writer.write(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            if await read_answer(reader) == 503:
                c.busy += 1
            remaining = stop - time.monotonic()
            if remaining > 0:
                try:
                    if await asyncio.wait_for(reader.read(1), timeout=remaining) == b"":
                        c.cut += 1
                except asyncio.TimeoutError:
                    pass
            writer.close()
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            c.failed += 1
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


async def probe(port, stop, every, samples, c):
    reader = writer = None
    while time.monotonic() < stop:
        tick = time.monotonic()
        try:
            if writer is None:
                reader, writer = await open_conn(port)
                c.opened += 1
            t0 = time.perf_counter()
            writer.write(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            await asyncio.wait_for(read_answer(reader), timeout=10)
            samples.append((time.perf_counter() - t0) * 1000)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
            c.failed += 1
            samples.append(10000.0)
            writer = None
        await asyncio.sleep(max(0.0, every - (time.monotonic() - tick)))


def scrape(port):
    """The server's /metrics as {(name, labels): value} (labels as their text)."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    out = {}
    for line in text.splitlines():
        m = re.match(r"^([a-z_]+)(?:\{(.*)\})? (\S+)$", line)
        if m:
            out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def bucket_quantile(delta, name, keep, q):
    """The q-quantile (upper bucket bound, seconds) of histogram `name`'s series whose labels
    (le removed) equal `keep`, over the snapshots' difference; None without samples."""
    rows = []
    for (n, labels), v in delta.items():
        if n != name + "_bucket":
            continue
        le = re.search(r'le="([^"]+)"', labels).group(1)
        if re.sub(r',?le="[^"]+"', "", labels) == keep:
            rows.append((float("inf") if le == "+Inf" else float(le), v))
    rows.sort()
    if not rows or rows[-1][1] <= 0:
        return None
    for bound, cum in rows:
        if cum >= q * rows[-1][1]:
            return bound
    return rows[-1][0]


def server_side(before, after):
    """The snapshots' difference summarised: what the server did between them."""
    delta = {k: v - before.get(k, 0) for k, v in after.items()}
    out = {}
    for (n, labels), v in delta.items():
        if n.endswith("_count") and v > 0 and (
                n.startswith("zhiyuan_http_request_duration") or n.startswith("zhiyuan_pool_wait")
                or n.startswith("zhiyuan_pool_submission_wait")
                or n.startswith("zhiyuan_writer_")):
            base = n[:-len("_count")]
            # Seconds as ms; other histograms (the writer's batch size) as they are.
            scale = 1000 if base.endswith("_seconds") else 1
            out[f"{base}{{{labels}}}"] = {
                "n": int(v), "p50_ms": (bucket_quantile(delta, base, labels, 0.5) or 0) * scale,
                "p99_ms": (bucket_quantile(delta, base, labels, 0.99) or 0) * scale}
        elif (n.endswith("_shed_total") or n.endswith("_rejected_total")
              or n.endswith("shed_browsing_total")) and v > 0:
            out[f"{n}{{{labels}}}"] = int(v)
    return out


def pct(values, q):
    if not values:
        return None
    v = sorted(values)
    return round(v[min(len(v) - 1, int(q * len(v)))], 2)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--slowloris", type=int, default=0)
    ap.add_argument("--idle", type=int, default=0)
    ap.add_argument("--probe", action="store_true")
    ap.add_argument("--probe-ms", type=float, default=20)
    ap.add_argument("--trickle", type=float, default=5)
    ap.add_argument("--ramp", type=float, default=5, help="seconds to open the connections over")
    ap.add_argument("--duration", type=float, required=True)
    ap.add_argument("--delay", type=float, default=0, help="seconds to wait before starting")
    ap.add_argument("--metrics", action="store_true", help="the server's side of the seconds run")
    a = ap.parse_args()
    await asyncio.sleep(a.delay)
    before = scrape(a.port) if a.metrics else None
    if a.slowloris + a.idle > 20000:
        raise SystemExit("at most 20000 connections")
    stop = time.monotonic() + a.duration
    sl, il, pr = counts(), counts(), counts()
    samples = []
    tasks = []
    total = a.slowloris + a.idle
    for i in range(total):
        # Spread the connects over the ramp so that the listen backlog is not the test.
        if total and i % 100 == 0:
            await asyncio.sleep(a.ramp * 100 / total)
        if i < a.slowloris:
            tasks.append(asyncio.create_task(slowloris(a.port, stop, a.trickle, sl)))
        else:
            tasks.append(asyncio.create_task(idle(a.port, stop, il)))
    if a.probe:
        tasks.append(asyncio.create_task(probe(a.port, stop, a.probe_ms / 1000, samples, pr)))
    await asyncio.gather(*tasks)
    server = server_side(before, scrape(a.port)) if a.metrics else None
    print(json.dumps({
        "slowloris": vars(sl), "idle": vars(il), "probe": vars(pr),
        "probe_samples": len(samples), "probe_p50_ms": pct(samples, 0.50),
        "probe_p99_ms": pct(samples, 0.99), "probe_max_ms": pct(samples, 1.0),
        **({"server": server} if server is not None else {}),
    }))


asyncio.run(main())
