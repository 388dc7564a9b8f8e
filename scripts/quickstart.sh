#!/usr/bin/env bash
# Install featurevault with what the demo uses ([server] for `featurevault serve`), scaffold the demo repo,
# apply, materialize, print a training frame and online features, push a fresh row and show it served.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/venv.sh "[server]"
export PATH="$PWD/.venv/bin:$PATH"

demo=${DEMO_DIR:-demo_repo}
rm -rf "$demo"
featurevault init "$demo"
cd "$demo"
featurevault apply
featurevault materialize-incremental now
featurevault get-online-features -f driver_stats_hourly:driver_conv_rate -f driver_stats_hourly:driver_acc_rate \
  -e driver_id=1001 -e driver_id=1002
python demo_workflow.py

cat <<EOF

Next, in $demo (with .venv/bin on your PATH):
  featurevault serve        # the HTTP feature server on http://127.0.0.1:6566 (Feast's routes, /metrics, /ready)
  featurevault readiness    # the production checklist; each gap says what to do next
  featurevault lint         # naming and design rules (the demo is clean)
EOF
if featurevault ui --help >/dev/null 2>&1; then
  echo "  featurevault ui           # the web dashboard"
fi
