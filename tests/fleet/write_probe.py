#!/usr/bin/env python3
"""Measures when writes succeed through the fleet: a sign-in (a write: the session and the login
record, committed by a node's writer before the answer) starts every --interval seconds through
HAProxy, each on its own connection and thread, whatever the earlier ones are doing.

  write_probe.py --port 8090 --exam-nos FILE --out FILE --stop-file FILE [--max-seconds S]

Writes one line per attempt: wall-clock send time, answer time, HTTP status (0: no answer).
Stops when --stop-file exists (or after --max-seconds), after the attempts in flight finish.
"""

import argparse
import os
import threading
import time

import fleetlib


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8090)
    ap.add_argument("--exam-nos", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--stop-file", required=True)
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--max-seconds", type=float, default=600)
    a = ap.parse_args()
    exam_nos = [line.strip() for line in open(a.exam_nos) if line.strip()]
    lines, lock, threads = [], threading.Lock(), []

    def attempt(exam_no):
        sent = time.time()
        # Longer than the nodes' writer deadline (10 s): the node answers, not this timeout.
        status, _ = fleetlib.Node(a.port, timeout=20).login(exam_no)
        with lock:
            lines.append("%.3f %.3f %d" % (sent, time.time(), status))

    start = time.monotonic()
    i = 0
    while not os.path.exists(a.stop_file) and time.monotonic() - start < a.max_seconds:
        threads = [t for t in threads if t.is_alive()]
        if len(threads) < 400:
            t = threading.Thread(target=attempt, args=(exam_nos[i % len(exam_nos)],), daemon=True)
            t.start()
            threads.append(t)
            i += 1
        time.sleep(a.interval)
    for t in threads:
        t.join(30)
    with open(a.out, "w") as f:
        f.write("\n".join(sorted(lines)) + "\n")


if __name__ == "__main__":
    main()
