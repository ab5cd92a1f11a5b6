#!/usr/bin/env bash
# develop.sh LEG CONFIG PORT [HASS ARGS...]: runs the development Home
# Assistant of LEG on PORT, where that leg's Python is, and prints the URL it
# really serves once it listens. Ctrl-C stops it.
set -euo pipefail
source "$(dirname "$0")/python.sh"
leg="$1" config="$2" port="$3"
shift 3

ensure_leg "$leg"
python="$LEG_VENV/bin/python"
[ -n "$LEG_HASS_VENV" ] && python="$LEG_HASS_VENV/bin/python"

# The port: in YAML before 2026.10; from 2026.10 on, Home Assistant keeps its
# HTTP settings in storage and takes SETUP_PORT for a configuration that has
# none yet, so stored settings for another port are dropped first.
mkdir -p "$config/packages"
if "$python" -c 'import homeassistant.components.http.config' 2>/dev/null; then
  rm -f "$config/packages/develop_http.yaml"
  stored="$config/.storage/http"
  if [ -f "$stored" ] && ! "$python" -c 'import json, sys
sys.exit(json.load(open(sys.argv[1]))["data"]["stable"].get("server_port") != int(sys.argv[2]))' \
    "$stored" "$port"; then
    rm -f "$stored"
  fi
  export SETUP_PORT="$port"
else
  printf '%s\n' "# Written by scripts/develop at each start: the port it was given." \
    "http:" "  server_port: $port" >"$config/packages/develop_http.yaml"
fi

# Home Assistant imports custom_components/ from the working tree itself.
export PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}"
log="$config/home-assistant.log"
rm -f "$log"
echo "==> Starting $("$python" -c 'from homeassistant.const import __version__; print(__version__)') (config in $config)"
echo "    The first start installs Home Assistant's own requirements (the frontend and more)."
"$python" "$REPO_ROOT/scripts/lib/run_hass.py" --config "$config" "$@" &
hass=$!
trap 'kill -TERM "$hass" 2>/dev/null; wait "$hass"' INT TERM

# The URL is read from what Home Assistant says it listens on, not assumed.
while kill -0 "$hass" 2>/dev/null; do
  if listening="$(grep -oE 'Now listening on port [0-9]+' "$log" 2>/dev/null | tail -n1)" &&
    [ -n "$listening" ]; then
    echo "==> Home Assistant is up: http://localhost:${listening##* }"
    break
  fi
  sleep 1
done
wait "$hass"
