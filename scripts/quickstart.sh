#!/usr/bin/env bash
# Install featurevault, scaffold the demo repo, apply, materialize, then print a training frame and online features.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/venv.sh ""
export PATH="$PWD/.venv/bin:$PATH"

demo=${DEMO_DIR:-demo_repo}
rm -rf "$demo"
featurevault init "$demo"
cd "$demo"
featurevault apply
featurevault materialize-incremental now
featurevault get-online-features -f driver_hourly_stats:conv_rate -f driver_hourly_stats:acc_rate -e driver_id=1001 -e driver_id=1002
python demo_workflow.py
