#!/usr/bin/env bash
# Set up a virtual environment with the test extras, check the services, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh "[test]"
bash scripts/services.sh
exec .venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
