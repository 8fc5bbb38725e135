"""Helpers of the fleet drills (tests/fleet/): synthetic passwords, HTTP to the nodes, timing.

Standard library only. Every address is loopback.
"""

import http.client
import json
import time

MASK = (1 << 64) - 1
LETTERS = "abcdefghjkmnpqrstuvwxyz"
DIGITS = "23456789"


def _derive(purpose, prefix, exam_no):
    # loadtest/synthetic_passwords.hpp, version 1: FNV-1a 64, splitmix64 finaliser.
    h = 0xCBF29CE484222325
    for b in (purpose + ":" + exam_no).encode():
        h = ((h ^ b) * 0x100000001B3) & MASK
    x = h ^ 0x7A68697975616E31
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    x ^= x >> 31
    out = prefix
    for kind in "LLDLLDLL":
        alphabet = LETTERS if kind == "L" else DIGITS
        out += alphabet[x % len(alphabet)]
        x //= len(alphabet)
    return out


def login_password(exam_no):
    return _derive("login", "Dl", exam_no)


def save_password(exam_no):
    return _derive("save", "Bc", exam_no)


assert login_password("23010100100001") == "Dlca3fy4vg"
assert save_password("23010100100001") == "Bcgr5uu4jc"


class Node:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1:port, reopened after any failure."""

    def __init__(self, port, timeout=3.0):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def request(self, method, path, body=None, token=None, headers=None):
        """(status, parsed JSON body or None); status 0 when no answer came."""
        h = {"Host": "zhiyuan"}
        if token:
            h["Authorization"] = "Bearer " + token
        if body is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        data = None if body is None else json.dumps(body)
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                self.conn.request(method, path, body=data, headers=h)
                res = self.conn.getresponse()
                raw = res.read()
                try:
                    parsed = json.loads(raw) if raw else None
                except ValueError:
                    parsed = None
                return res.status, parsed
            except (OSError, http.client.HTTPException):
                self.close()
                # A reused keep-alive connection the server had closed: once more, fresh.
                if attempt == 1:
                    return 0, None
        return 0, None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def login(self, exam_no):
        status, body = self.request(
            "POST", "/api/v1/auth/login", {"exam_no": exam_no, "password": login_password(exam_no)}
        )
        return status, (body or {}).get("token")


def percentile(values, p):
    """The p-th percentile (nearest rank) of a non-empty list."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def now():
    return time.monotonic()
