#!/usr/bin/env python3
"""The arithmetic of bench/capacity_check.sh (issue 22); Python 3 standard library only.

A window file has one measured window per line:
  NAME SECONDS SERVER_CPU_S PG_CPU_S REQUESTS SIGN_INS SUBMITS WRITES READS SUBMITS_201 WAL_B HISTORY_B
(the counts are the requests the server answered in the window, by kind; the first line of a
calibration file is the idle window).

  capacity_fit.py fit BASE_INPUTS OUT_INPUTS CAL_WINDOWS META_JSON
      per kind of request (sign-in, formal submission, other write, read) the CPU of the server
      and of PostgreSQL: least squares over the calibration windows of
      cpu_s = base_cores x seconds + sum over kinds of count x cpu_per_request
              + fading x count_all x half_rate / (half_rate + rate_all)
      (a per-request cost that fades as the total rate rises: wake-ups, loop turns and commits
      shared by more requests); half_rate is chosen from a grid by the smallest residual, the
      term kept only if it beats the fit without it by Akaike's criterion. Each
      window weighs its seconds, deadline-surge's (cal-mix-*) times META_JSON's mix_weight.
  capacity_fit.py check CAPACITY_SCRIPT INPUTS VAL_WINDOWS
      for each validation window, zhiyuan-capacity --rate ... at the rates of each kind the server
      answered, against the CPU measured; the last line is the largest |error| in percent.
  capacity_fit.py spread WINDOWS
      the repeats table (each window NAME-1 against NAME-2, CPU per request) as measured and in
      reference units of each part of the probe: whether the probe takes the noise out.
  capacity_fit.py mix INPUTS VAL_WINDOWS
      writes the shares of each kind the server answered over the windows into INPUTS' "mix"
      (the default split of zhiyuan-capacity --rate and of a province's requests).
"""
import json
import math
import subprocess
import sys

KINDS = ("sign_in", "submit", "write", "read")
FIELDS = ("seconds", "server", "postgresql", "requests") + KINDS + ("submits_201", "wal", "history",
                                                                   "probe_units", "probe_near", "probe_far",
                                                                   "probe_total", "server_switches", "pg_switches")
PROCS = ("server", "postgresql")
# What the reference workload's CPU per unit is taken from (bench/capacity_probe.cpp): both
# parts of its unit ("unit"), the L2-sized walk ("near"), the one beyond L2 ("far"), or the
# probe process's whole CPU ("all": the walks and each wake-up's kernel path; "wake": that path
# alone), recorded since 19:25 UTC 2026-12-07.
PROBE_PARTS = {"unit": ("probe_near", "probe_far"), "near": ("probe_near",), "far": ("probe_far",),
               "all": ("probe_total",), "wake": ("probe_wake",)}


def probe_us(w, part="unit"):
    """The reference workload's CPU µs per unit in window w, None if the window has no reading."""
    if w.get("probe_units", 0) <= 0 or any(f not in w for f in PROBE_PARTS[part]):
        return None
    return sum(w[f] for f in PROBE_PARTS[part]) / w["probe_units"] * 1e6


def in_reference(runs, reference, part="unit"):
    """The windows with their CPU converted to the reference machine state: each process's CPU
    times reference / the probe's µs per unit in that window (unchanged without a reading)."""
    out = []
    for r in runs:
        us = probe_us(r, part)
        f = reference / us if us and reference else 1.0
        out.append(dict(r, **{p: r[p] * f for p in PROCS}))
    return out


def windows(path):
    out = []
    for line in open(path):
        parts = line.split()
        if parts:
            w = {"name": parts[0], **dict(zip(FIELDS, (float(x) for x in parts[1:])))}
            if "probe_total" in w:
                w["probe_wake"] = w["probe_total"] - w["probe_near"] - w["probe_far"]
            out.append(w)
    return out


def solve(a, b):
    """Solves the square system a x = b by Gaussian elimination with partial pivoting."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        if abs(m[pivot][col]) < 1e-12:
            raise ArithmeticError(f"the calibration runs do not separate unknown {col}")
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(n):
            if r != col:
                f = m[r][col] / m[col][col]
                m[r] = [x - f * y for x, y in zip(m[r], m[col])]
    return [m[i][n] / m[i][i] for i in range(n)]


def least_squares(rows, ys, weight):
    """x minimising sum weight x ((row . x - y) / y)^2: relative errors count, each window as
    much as its weight (see `weights`)."""
    n = len(rows[0])
    w = [math.sqrt(t) / max(y, 1e-9) for y, t in zip(ys, weight)]
    ata = [[sum(wi * wi * r[i] * r[j] for r, wi in zip(rows, w)) for j in range(n)] for i in range(n)]
    aty = [sum(wi * wi * r[i] * y for r, y, wi in zip(rows, ys, w)) for i in range(n)]
    return solve(ata, aty)


def bounded_fit(rows, ys, lower, weight):
    """least_squares with each unknown at least its `lower` bound: an unknown that comes out
    below it is fixed there and the others are solved again (at most once per unknown).
    The first unknown is base_cores (a busy process burns at least its idle CPU: wake-ups, the
    writer's commits, timers); the others are per-request costs (never negative: PostgreSQL
    does next to nothing for a read the server answers from memory)."""
    fixed = {}
    for _ in range(len(lower)):
        free = [i for i in range(len(lower)) if i not in fixed]
        x = least_squares([[row[i] for i in free] for row in rows],
                          [y - sum(row[i] * v for i, v in fixed.items()) for row, y in zip(rows, ys)], weight)
        below = [(x[j] - lower[i], i) for j, i in enumerate(free) if x[j] < lower[i]]
        if not below:
            out = [0.0] * len(lower)
            for j, i in enumerate(free):
                out[i] = x[j]
            for i, v in fixed.items():
                out[i] = v
            return out
        fixed[min(below)[1]] = lower[min(below)[1]]
    return lower


# Half-rates tried for the fading term (requests/s): 5 to 5,000, geometric.
HALF_RATES = [5 * 1000 ** (i / 59) for i in range(60)]


def fade(requests, seconds, half_rate):
    """The fading term's regressor: requests x half_rate / (half_rate + rate), the share of each
    request's wake-up cost it still pays at the window's total rate (1 when alone, 1/2 at the
    half-rate, towards 0 when requests share their loop turns, batches and commits)."""
    return requests * half_rate / (half_rate + requests / max(seconds, 1e-9))


def weights(runs, mix_weight):
    """Each window's weight in the fit: its length in seconds (a longer window's CPU time is less
    noisy), times mix_weight for deadline-surge's own windows (cal-mix-*): they are the load
    being sized and carry how its cost falls with the rate; the one-kind windows tell the kinds
    apart."""
    return [r["seconds"] * (mix_weight if r["name"].startswith("cal-mix-") else 1) for r in runs]


def fit_process(runs, p, idle, weight):
    """base_cores, per-kind CPU (s) and the fading term of process p: the bounded least-squares
    fit with the lowest weighted residual over HALF_RATES, kept only if it beats the fit
    without the term by more than its two extra unknowns are worth (Akaike's criterion: noise
    alone must not buy a fade). Returns (x, half_rate or None, residuals in percent)."""
    ys = [r[p] for r in runs]
    n = len(runs)
    best = None
    for half in [None] + HALF_RATES:
        rows = [[r["seconds"]] + [r[k] for k in KINDS]
                + ([fade(r["requests"], r["seconds"], half)] if half else []) for r in runs]
        try:
            x = bounded_fit(rows, ys, [idle] + [0.0] * (len(rows[0]) - 1), weight)
        except ArithmeticError as e:
            if half is None:
                sys.exit(f"capacity_fit: {p}: {e} (base, then {', '.join(KINDS)})")
            continue  # this half-rate makes the term collinear with the others
        res = [sum(a * b for a, b in zip(row, x)) / y * 100 - 100 for row, y in zip(rows, ys)]
        if half and x[-1] <= 0:
            continue  # no fading at this half-rate: the same as the fit without the term
        ssr = sum(w * e * e for w, e in zip(weight, res)) / sum(weight)
        aic = n * math.log(max(ssr, 1e-12)) + 2 * len(x)
        if best is None or aic < best[0]:
            best = (aic, x, half, res)
    return best[1], best[2], best[3]


def fit(base, out, cal_path, meta_path):
    d = json.load(open(base))
    raw = windows(cal_path)
    meta = json.load(open(meta_path))
    part = meta.get("probe_part", "unit")
    # The reference machine state: the probe's CPU per unit over all the calibration windows
    # pooled; each window's CPU is converted to it (None: windows without a probe, unconverted).
    units = sum(w.get("probe_units", 0) for w in raw)
    reference = (sum(w[f] for w in raw for f in PROBE_PARTS[part]) / units * 1e6
                 if all(probe_us(w, part) for w in raw) else None)
    cal = in_reference(raw, reference, part)
    idle, runs = cal[0], cal[1:]
    for key in ("fixed_cores", "us_per_request", "login_share", "submit_share",
                "wal_bytes_per_submission", "reference"):
        d.pop(key, None)
    if reference:
        d["reference"] = {"probe_us_per_unit": reference, "part": part,
                          "probe": "bench/capacity_probe.cpp with its default work"}
    d["idle_cores"] = {p: idle[p] / idle["seconds"] for p in ("server", "postgresql")}
    d["base_cores"], d["cpu_us"], d["fading"] = {}, {}, {}
    top_rate = max(r["requests"] / r["seconds"] for r in runs)
    residuals = {}
    for p in ("server", "postgresql"):
        x, half, residuals[p] = fit_process(runs, p, d["idle_cores"][p],
                                            weights(runs, float(meta.get("mix_weight", 1))))
        d["base_cores"][p] = x[0]
        d["cpu_us"][p] = {k: v * 1e6 for k, v in zip(KINDS, x[1:5])}
        d["fading"][p] = {"us_per_request": x[5] * 1e6 if half else 0.0, "half_rate": half or 1.0,
                          "measured_up_to": top_rate}
    total = lambda f: sum(r[f] for r in runs)
    d["wal_bytes_per_request"] = total("wal") / total("requests")
    d["history_bytes_per_submission"] = total("history") / max(total("submits_201"), 1)
    # Each window as measured (CPU in seconds of this machine at the time), its probe reading
    # and the fit's error on it (in reference units).
    d["measured"] = dict(meta, calibration_runs=[
        {"name": w["name"], "seconds": round(w["seconds"], 3),
         **{k: int(w[k]) for k in ("requests",) + KINDS},
         "server_cpu_s": w["server"], "postgresql_cpu_s": w["postgresql"],
         "probe_us_per_unit": probe_us(w, part),
         "fit_error_pct": {p: round(residuals[p][i - 1], 1) for p in residuals} if i else None}
        for i, w in enumerate(raw)])
    with open(out, "w") as f:
        json.dump(d, f, indent=2)
        f.write("\n")
    for p in ("server", "postgresql"):
        fd = d["fading"][p]
        print(f"  {p}: idle {d['idle_cores'][p]:.4f} cores, base {d['base_cores'][p]:.4f}; us per request: "
              + ", ".join(f"{k} {v:.0f}" for k, v in d["cpu_us"][p].items())
              + f", + fading {fd['us_per_request']:.0f} x {fd['half_rate']:.0f} / ({fd['half_rate']:.0f} + rate)"
              + f" (rate held at {fd['measured_up_to']:.0f}/s above it)"
              + "; fit error per calibration run: "
              + ", ".join(f"{r['name']} {e:+.1f}%" for r, e in zip(runs, residuals[p])))
    if reference:
        print(f"  reference: the probe's {part} cost {reference:.1f} us per unit over these windows "
              f"(from {min(probe_us(w, part) for w in raw):.1f} to {max(probe_us(w, part) for w in raw):.1f}); "
              "the figures above are in this state's us")
    print_spread(raw[1:], runs if reference else None)


def print_spread(raw, converted=None):
    """The repeats table: the same window measured twice, as measured and in reference units."""
    for label, rows in (("as measured", raw), ("in reference units", converted)):
        repeats = spread(rows) if rows else []
        if repeats:
            print(f"  repeats {label} (the same window in both passes, CPU per request, second against first): "
                  + ", ".join(f"{name} zhiyuan {s:+.1f}% PostgreSQL {g:+.1f}%" for name, s, g in repeats)
                  + f"; largest {max(max(abs(s), abs(g)) for _, s, g in repeats):.1f}%, "
                  + f"root mean square {math.sqrt(sum(s * s + g * g for _, s, g in repeats) / (2 * len(repeats))):.1f}%")


def spread(runs):
    """(name, server %, postgresql %) for each window NAME-1 measured again as NAME-2: how much
    the CPU per request of the same load moved between the two passes (the noise)."""
    by_name = {r["name"]: r for r in runs}
    out = []
    for r in runs:
        second = by_name.get(r["name"][:-2] + "-2") if r["name"].endswith("-1") else None
        if second and r["requests"] and second["requests"]:
            per = lambda w, p: w[p] / w["requests"]
            out.append((r["name"][:-2], per(second, "server") / per(r, "server") * 100 - 100,
                        per(second, "postgresql") / per(r, "postgresql") * 100 - 100))
    return out


def check(capacity, inputs, val_path):
    worst = 0.0
    for r in windows(val_path):
        t = r["seconds"]
        rates = {k: r[k] / t for k in KINDS}
        # The machine's state in this window, when the inputs have a reference and the window a
        # probe reading: the prediction is scaled by it (zhiyuan-capacity --probe-us).
        reference = json.load(open(inputs)).get("reference")
        us = probe_us(r, reference["part"]) if reference else None
        state = ["--probe-us", f"{us:.4f}"] if us else []
        out = subprocess.run(
            [capacity, "--inputs", inputs, "--rate", f"{r['requests'] / t:.4f}",
             "--sign-in-rate", f"{rates['sign_in']:.4f}", "--submit-rate", f"{rates['submit']:.4f}",
             "--write-rate", f"{rates['write']:.4f}", *state, "--json"],
            check=True, capture_output=True, text=True).stdout
        p = json.loads(out)
        err = {}
        for proc in ("server", "postgresql"):
            err[proc] = (p[proc + "_cores"] - r[proc] / t) / (r[proc] / t) * 100
        both = (p["server_cores"] + p["postgresql_cores"]) / ((r["server"] + r["postgresql"]) / t) * 100 - 100
        worst = max(worst, abs(err["server"]), abs(err["postgresql"]))
        print(f"  {r['name']}: {r['requests'] / t:.1f}/s answered over {t:.0f} s (sign-in "
              f"{rates['sign_in']:.1f}, submit {rates['submit']:.1f}, write {rates['write']:.1f}, "
              f"read {rates['read']:.1f}/s): zhiyuan predicted {p['server_cores']:.3f} measured "
              f"{r['server'] / t:.3f} cores ({err['server']:+.1f}%); PostgreSQL predicted "
              f"{p['postgresql_cores']:.3f} measured {r['postgresql'] / t:.3f} "
              f"({err['postgresql']:+.1f}%); both {both:+.1f}%"
              + (f"; probe {us:.1f} us per unit, {us / reference['probe_us_per_unit']:.3f} x the reference"
                 if state else ""))
    print(f"{worst:.1f}")


def mix(inputs, val_path):
    d = json.load(open(inputs))
    runs = windows(val_path)
    total = sum(r["requests"] for r in runs)
    d["mix"] = {k: sum(r[k] for r in runs) / total for k in KINDS}
    with open(inputs, "w") as f:
        json.dump(d, f, indent=2)
        f.write("\n")
    print("  mix written to " + inputs + ": " + ", ".join(f"{k} {v:.3f}" for k, v in d["mix"].items()))


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "fit":
        fit(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "check":
        check(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "mix":
        mix(*sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "spread":
        rows = [w for w in windows(sys.argv[2]) if w["name"] != "idle"]
        print_spread(rows)
        for part in PROBE_PARTS:
            if all(probe_us(w, part) for w in rows):
                print(f" with the probe's {part} cost:")
                print_spread([], in_reference(rows, 1.0, part))
    else:
        sys.exit(__doc__)
