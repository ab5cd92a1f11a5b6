#!/usr/bin/env bash
# develop.sh LEG CONFIG PORT [HASS ARGS...]: runs the development Home
# Assistant of LEG on PORT, where that leg's Python is, with the ML API
# simulator and the demo printer (scripts/lib/develop.py). Ctrl-C stops it.
set -euo pipefail
source "$(dirname "$0")/python.sh"
leg="$1" config="$2" port="$3"
shift 3

ensure_leg "$leg"
python="$LEG_VENV/bin/python"
[ -n "$LEG_HASS_VENV" ] && python="$LEG_HASS_VENV/bin/python"

# Home Assistant, the ML API simulator and the demo printer, set up and onboarded.
exec "$python" "$REPO_ROOT/scripts/lib/develop.py" --config "$config" --port "$port" "$@"
