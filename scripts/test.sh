#!/usr/bin/env bash
# Set up a virtual environment with the test extras, check the services, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
bash scripts/services.sh
exec .venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
