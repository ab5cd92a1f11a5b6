#!/usr/bin/env bash
# leg.sh LEG [PYTEST ARGS...]: one leg of scripts/test (see use_leg in
# python.sh), run where that leg's Python is, here or inside the Debian sid
# root: ruff format --check, ruff check, mypy --strict, and pytest with the
# coverage gate, all against that leg's Home Assistant.
set -euo pipefail
source "$(dirname "$0")/python.sh"
cd "$REPO_ROOT"

leg="$1"
shift
ensure_leg "$leg"
if [ "$leg" = newest ]; then
  # tests/browser drives the frontend of what users run in headless Chromium:
  # Debian's package, at /usr/bin/chromium.
  ensure_apt_packages chromium
fi
if [ -n "$LEG_HASS_VENV" ]; then
  # tests/test_real_hass.py starts this Home Assistant instead of the plugin's.
  export OBICO_HASS_PYTHON="$LEG_HASS_VENV/bin/python"
fi
export PATH="$LEG_VENV/bin:$PATH"
export COVERAGE_FILE="$REPO_ROOT/.coverage.$leg"
# tests/test_supported_releases.py checks that the leg runs what it claims to.
export OBICO_LEG="$leg"

describe() {
  "$1" -c 'import sys; from homeassistant.const import __version__ as ha
print(f"Home Assistant {ha} on Python {sys.version.split()[0]}")'
}
plugin="$(python -m pip show pytest-homeassistant-custom-component | sed -n 's/^Version: //p')"
echo "==> [$leg] $(describe python), test plugin $plugin"
if [ -n "${OBICO_HASS_PYTHON:-}" ]; then
  echo "==> [$leg] real hass: $(describe "$OBICO_HASS_PYTHON")"
fi

echo "==> [$leg] ruff format --check"
ruff format --check custom_components tests scripts
echo "==> [$leg] ruff check"
ruff check custom_components tests scripts
echo "==> [$leg] mypy --strict custom_components/obico"
mypy --strict custom_components/obico
# The coverage gate holds for the whole suite, not for a chosen few tests.
gate=95
[ $# -gt 0 ] && gate=0
echo "==> [$leg] pytest"
pytest --cov=custom_components/obico --cov-branch --cov-report=term-missing:skip-covered \
  --cov-fail-under="$gate" "$@"
