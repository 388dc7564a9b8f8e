#!/usr/bin/env bash
# Install featurevault, scaffold the demo repo, apply, materialize, then print a training frame and online features.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
export PATH="$PWD/.venv/bin:$PATH"

demo=${DEMO_DIR:-demo_repo}
rm -rf "$demo"
featurevault init "$demo"
cd "$demo"
featurevault apply
featurevault materialize-incremental now
featurevault get-online-features -f driver_hourly_stats:conv_rate -f driver_hourly_stats:acc_rate -e driver_id=1001 -e driver_id=1002
python demo_workflow.py
