#!/usr/bin/env bash
# Checks the monitoring that ships with the code (ctest `monitoring`):
#   1. prometheus.yml and both rule files parse (promtool check config / check rules);
#   2. the alert unit tests pass (promtool test rules tests/*.yml);
#   3. every dashboard query parses as PromQL (written as recording rules into a throwaway
#      file and checked by promtool);
#   4. every metric a rule or a query reads is listed in docs/metrics.md;
#   5. alerts and runbooks pair one to one: each alert's runbook_url is
#      docs/runbooks/<alert>.md, that page exists, and each page names an alert;
#   6. every metric a rule or a query reads is emitted: docs/metrics.md marks it `exists` and a
#      source file under server/ or storage/ names it (tests/server/metrics_integration_test.cpp
#      checks the `exists` rows against a running server's /metrics).
# Needs promtool (Debian package prometheus, installed by scripts/setup.sh) and python3.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
here=$root/deploy/monitoring
cd "$here"

if ! command -v promtool >/dev/null; then
  echo "monitoring: promtool not installed (scripts/setup.sh installs the prometheus package)"
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

promtool check config prometheus.yml >"$work/config.log" 2>&1 || {
  cat "$work/config.log"
  exit 1
}
promtool check rules rules/*.yml >"$work/rules.log" 2>&1 || {
  cat "$work/rules.log"
  exit 1
}
echo "monitoring: prometheus.yml and $(ls rules/*.yml | wc -l) rule files parse"

promtool test rules tests/*.yml >"$work/tests.log" 2>&1 || {
  cat "$work/tests.log"
  exit 1
}
cases=$(cat tests/*.yml | grep -c '^  - name:')
echo "monitoring: promtool_rule_tests: $cases passed"

# Steps 3-5 read JSON and the rule files' text: python3's standard library only (no PyYAML).
python3 - "$root" "$work" <<'EOF'
import glob, json, os, re, sys

root, work = sys.argv[1], sys.argv[2]
mon = os.path.join(root, "deploy/monitoring")
failures = []

def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))

# 3. Dashboard queries, with Grafana's variables replaced by values PromQL accepts.
queries = []
dashboards = sorted(glob.glob(os.path.join(mon, "dashboards/*.json")))
for path in dashboards:
    with open(path) as f:
        board = json.load(f)
    for panel in walk_panels(board.get("panels", [])):
        for t in panel.get("targets", []):
            if t.get("expr"):
                queries.append((os.path.basename(path), panel.get("title", "?"), t["expr"]))
    for var in board.get("templating", {}).get("list", []):
        q = var.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        m = re.fullmatch(r"\s*label_values\((.*),\s*\w+\)\s*", q or "") if var.get("type") == "query" else None
        if m:
            queries.append((os.path.basename(path), "variable " + var.get("name", "?"), m.group(1)))

def substitute(expr):
    expr = re.sub(r"\$__(rate_interval|interval|range)", "5m", expr)
    return re.sub(r"\$\{(\w+)(:\w+)?\}|\$(\w+)", "x", expr)

with open(os.path.join(work, "dashboard_rules.yml"), "w") as f:
    f.write("groups:\n  - name: dashboard_queries\n    rules:\n")
    for i, (_, _, expr) in enumerate(queries):
        f.write(f"      - record: dashboard_query_{i}\n        expr: {json.dumps(substitute(expr))}\n")
if os.system(f"promtool check rules {work}/dashboard_rules.yml > {work}/dashboard.log 2>&1") != 0:
    print(open(os.path.join(work, "dashboard.log")).read())
    for i, (board, title, expr) in enumerate(queries):
        print(f"  dashboard_query_{i}: {board}, panel \"{title}\": {expr}")
    failures.append("a dashboard query does not parse (promtool output above)")
print(f"monitoring: {len(queries)} dashboard queries in {len(dashboards)} dashboards parse"
      if not failures else "monitoring: dashboard queries FAILED")

# 4. Metric names read by rules and queries must be documented, and the panels the metrics
# page names must exist.
with open(os.path.join(root, "docs/metrics.md")) as f:
    metrics_md = f.read()
documented = set(re.findall(r"^\| `(\w+)`", metrics_md, re.M))
titles = set()
for path in dashboards:
    with open(path) as f:
        titles |= {p.get("title") for p in walk_panels(json.load(f).get("panels", []))}
named = set()
for m in re.finditer(r'panels? ((?:"[^"|]+"(?:, )?)+)', metrics_md):
    named |= set(re.findall(r'"([^"|]+)"', m.group(1)))
missing_panels = sorted(named - titles)
if missing_panels:
    failures.append("docs/metrics.md names panels the dashboard lacks: " + ", ".join(missing_panels))
rule_texts = []
for path in sorted(glob.glob(os.path.join(mon, "rules/*.yml"))):
    with open(path) as f:
        rule_texts.append("".join(l for l in f if not l.lstrip().startswith(("#", "- name:"))))
read = set()
for text in rule_texts + [q for _, _, q in queries]:
    read |= set(re.findall(r"(?<![\w:.])(?:zhiyuan|process)_[a-z0-9_]+", text))
    read |= set(re.findall(r"(?<![\w:.])up(?=\{)", text))
def base(name):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in documented:
            return name[: -len(suffix)]
    return name
undocumented = sorted({n for n in read if base(n) not in documented})
if undocumented:
    failures.append("read by a rule or query but not in docs/metrics.md: " + ", ".join(undocumented))
else:
    print(f"monitoring: all {len(read)} metric names read are in docs/metrics.md; "
          f"the {len(named)} panels it names exist")

# 6. What is read must be emitted: not `planned`, and named by the source that renders it.
status = dict(re.findall(r"^\| `(\w+)` \|.*\| (exists|planned) \|\s*$", metrics_md, re.M))
sources = ""
for pattern in ("server/**/*.cpp", "server/**/*.hpp", "storage/**/*.cpp", "storage/**/*.hpp"):
    for path in glob.glob(os.path.join(root, pattern), recursive=True):
        with open(path, encoding="utf-8", errors="replace") as f:
            sources += f.read()
not_emitted = sorted(n for n in {base(n) for n in read} - {"up"}
                     if status.get(n) != "exists" or not re.search(rf"(?<!\w){n}(?!\w)", sources))
if not_emitted:
    failures.append("read by a rule or query but not emitted: " + ", ".join(not_emitted))
else:
    print(f"monitoring: all {len(read)} metric names read are emitted (exists, named in server/ or storage/)")

# 5. Alerts and runbooks, one to one.
alerts = {}
for text in rule_texts:
    for block in re.split(r"\n(?=\s*- (?:alert|record):)", text):
        m = re.match(r"\s*- alert:\s*(\w+)", block)
        if not m:
            continue
        url = re.search(r"runbook_url:\s*(\S+)", block)
        alerts.setdefault(m.group(1), set()).add(url.group(1) if url else None)
pages = {os.path.splitext(os.path.basename(p))[0]
         for p in glob.glob(os.path.join(root, "docs/runbooks/*.md"))} - {"README"}
paired = 0
for name, urls in sorted(alerts.items()):
    want = f"docs/runbooks/{name}.md"
    if urls != {want}:
        failures.append(f"alert {name}: runbook_url must be {want} on every rule (found {sorted(map(str, urls))})")
    elif name not in pages:
        failures.append(f"alert {name}: no page {want}")
    else:
        paired += 1
for page in sorted(pages - set(alerts)):
    failures.append(f"docs/runbooks/{page}.md names no alert")
print(f"monitoring: alerts_with_runbooks: {paired} of {len(alerts)}; "
      f"runbook pages without an alert: {len(pages - set(alerts))}")

for f in failures:
    print("monitoring: FAILED:", f)
sys.exit(1 if failures else 0)
EOF
echo "monitoring: ok"
