#!/usr/bin/env bash
# The whole province's streamed unfiled CSV export (goal ≤ 5 s) with the server's RSS before
# and after: bench/admin_stats_vs_baseline.sh with MODE=export (same env; see its --help).
set -euo pipefail
MODE=export exec "$(dirname "${BASH_SOURCE[0]}")/admin_stats_vs_baseline.sh" "$@"
