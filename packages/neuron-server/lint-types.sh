#!/usr/bin/env bash
# mypy --strict over the Neuron server's package (settings in pyproject.toml), with Debian's python3 and its
# python3-mypy, as the tests use Debian's packages. Missing mypy skips with the reason here and fails on CI.
set -euo pipefail
cd "$(dirname "$0")"
python="${NEURON_SERVER_PYTHON:-/usr/bin/python3}"
if ! "$python" -m mypy --version >/dev/null 2>&1; then
  if [ -n "${CI:-}" ]; then
    echo "mypy is missing for $python: apt-get install python3-mypy (.ci/system-packages lists it)." >&2
    exit 1
  fi
  echo "Skipping mypy: $python -m mypy is not installed (apt-get install python3-mypy); CI runs it."
  exit 0
fi
exec "$python" -m mypy neuron_server
