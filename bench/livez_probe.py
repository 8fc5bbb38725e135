#!/usr/bin/env python3
"""The /livez probe of bench/hostile_clients.sh's overload (issue 21), loopback only, bounded: GET
/livez every --probe-ms on one keep-alive connection (reopened on close), the latency of each
from send to the complete answer. (The slow and idle clients are zhiyuan-hostile-clients,
bench/hostile_clients.cpp.)

Runs for --duration seconds, then prints one JSON line: counts (opened, failed) and the probe's
latency percentiles in ms. With --metrics, also the
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
        self.failed = 0


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
    ap.add_argument("--probe-ms", type=float, default=20)
    ap.add_argument("--duration", type=float, required=True)
    ap.add_argument("--delay", type=float, default=0, help="seconds to wait before starting")
    ap.add_argument("--metrics", action="store_true", help="the server's side of the seconds run")
    a = ap.parse_args()
    await asyncio.sleep(a.delay)
    before = scrape(a.port) if a.metrics else None
    stop = time.monotonic() + a.duration
    pr = counts()
    samples = []
    tasks = [asyncio.create_task(probe(a.port, stop, a.probe_ms / 1000, samples, pr))]
    await asyncio.gather(*tasks)
    server = server_side(before, scrape(a.port)) if a.metrics else None
    print(json.dumps({
        "probe": vars(pr),
        "probe_samples": len(samples), "probe_p50_ms": pct(samples, 0.50),
        "probe_p99_ms": pct(samples, 0.99), "probe_max_ms": pct(samples, 1.0),
        **({"server": server} if server is not None else {}),
    }))


asyncio.run(main())
