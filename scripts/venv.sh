#!/usr/bin/env bash
# Sourced by the other scripts: create .venv if needed and install featurevault with the extras given.
# usage: source scripts/venv.sh EXTRAS   (EXTRAS like "" or "[test]")
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".$1"
