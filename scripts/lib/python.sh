# shellcheck shell=bash
# Sourced by the scripts: finds Python interpreters and keeps virtual
# environments in step with their requirements files.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# python_meets PYTHON MIN: whether PYTHON really runs and is at least MIN
# (e.g. 3.14.2).
python_meets() {
  "$1" -c "import sys; sys.exit(sys.version_info[:3] < tuple(map(int, '$2'.split('.'))))" \
    >/dev/null 2>&1
}

# find_python MIN: prints the newest interpreter on PATH or under pyenv that is
# at least MIN. pyenv's shims answer `command -v python3.13` for versions they
# cannot start, so every candidate is run, not just looked up.
find_python() {
  local min="$1" candidates=() candidate root
  for candidate in python3.15 python3.14 python3.13 python3; do
    command -v "$candidate" >/dev/null 2>&1 && candidates+=("$(command -v "$candidate")")
  done
  if command -v pyenv >/dev/null 2>&1 && root="$(pyenv root 2>/dev/null)"; then
    while IFS= read -r candidate; do
      candidates+=("$candidate")
    done < <(ls -d "$root"/versions/3.1[3-9]*/bin/python3 2>/dev/null | sort -rV)
  fi
  for candidate in "${candidates[@]}"; do
    if python_meets "$candidate" "$min"; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

# The requirements files a requirements file pulls in with `-r`, itself first.
requirements_closure() {
  local file="$1" dir included
  dir="$(dirname "$file")"
  echo "$file"
  while IFS= read -r included; do
    requirements_closure "$dir/$included"
  done < <(sed -n 's/^-r[[:space:]]*//p' "$file")
}

# ensure_apt_packages PACKAGE...: installs the Debian packages that are missing,
# as root; otherwise says which are missing and fails.
ensure_apt_packages() {
  local package missing=() log
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: please install the Debian packages ${missing[*]}" >&2
    return 1
  fi
  echo "==> Installing ${missing[*]}"
  log="$(mktemp)"
  if ! { apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; }; } \
    >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    rm -f "$log"
    echo "error: could not install ${missing[*]}" >&2
    return 1
  fi
  rm -f "$log"
}

# make_venv PYTHON VENV: a fresh virtual environment. Debian ships Python's
# venv support apart, as pythonX.Y-venv; as root, it is installed when missing.
make_venv() {
  local python="$1" venv="$2" version
  "$python" -m venv "$venv" && return 0
  version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  apt-get install -y -q "python$version-venv" && rm -rf "$venv" && "$python" -m venv "$venv"
}

# ensure_venv VENV PYTHON REQUIREMENTS: (re)builds VENV with PYTHON when the
# interpreter or any requirements file it names has changed. pip's output goes
# to a log that is shown only when the install fails.
ensure_venv() {
  local venv="$1" python="$2" requirements="$3" stamp flags=() log
  stamp="$("$python" -c 'import sys; print(sys.version)' | head -n1) $(
    requirements_closure "$requirements" | xargs cat | sha256sum | cut -d' ' -f1
  )"
  if [ -f "$venv/.obico-stamp" ] && [ "$(cat "$venv/.obico-stamp")" = "$stamp" ] &&
    [ -x "$venv/bin/python" ]; then
    return 0
  fi
  echo "==> Building $venv with $python ($("$python" --version 2>&1))"
  # Home Assistant 2026.2 declares Python >= 3.13.2; 3.13.0 runs the library
  # and the test plugin fine, so only there is pip told to ignore that.
  python_meets "$python" 3.13.2 || flags+=(--ignore-requires-python)
  rm -rf "$venv"
  log="$(mktemp)"
  if ! { make_venv "$python" "$venv" &&
    "$venv/bin/python" -m pip install --upgrade pip &&
    "$venv/bin/python" -m pip install "${flags[@]}" -r "$requirements"; } >"$log" 2>&1; then
    grep -v "^WARNING: Location" "$log" | tail -n 40 >&2
    rm -f "$log"
    echo "error: could not build $venv" >&2
    return 1
  fi
  rm -f "$log"
  echo "$stamp" >"$venv/.obico-stamp"
}

# use_leg LEG: sets LEG_PYTHON_MIN, LEG_REQUIREMENTS and LEG_VENV for a Home
# Assistant leg, and LEG_HASS_VENV where the leg has a `hass` of its own.
#   oldest  the release hacs.json names, through the test plugin that pins it
#   newest  the newest test plugin's release, plus the newest homeassistant
#           itself in an environment of its own for a real `hass`
use_leg() {
  LEG_HASS_VENV=""
  case "$1" in
    oldest)
      LEG_PYTHON_MIN=3.13
      LEG_REQUIREMENTS="$REPO_ROOT/requirements_test.txt"
      LEG_VENV="${OBICO_VENV:-$REPO_ROOT/.venv}"
      ;;
    newest)
      LEG_PYTHON_MIN=3.14.2
      LEG_REQUIREMENTS="$REPO_ROOT/requirements_test_newest.txt"
      LEG_VENV="${OBICO_VENV:-$REPO_ROOT/.venv-newest}"
      LEG_HASS_VENV="${OBICO_HASS_VENV:-$REPO_ROOT/.venv-hass-newest}"
      ;;
    *)
      echo "error: unknown leg '$1' (oldest or newest)" >&2
      return 2
      ;;
  esac
}

# ensure_leg LEG: finds the leg's Python and builds its environments.
ensure_leg() {
  local python
  use_leg "$1" || return
  python="$(find_python "$LEG_PYTHON_MIN")" || {
    echo "error: the $1 leg needs Python >= $LEG_PYTHON_MIN; none runs here" >&2
    return 1
  }
  # What a real Home Assistant finds on its machine: the JPEG library under
  # PyTurboJPEG, which its camera loads, and FFmpeg, which its ffmpeg
  # integration (set up with onboarding's text-to-speech) checks for.
  ensure_apt_packages libturbojpeg0 ffmpeg || return
  ensure_venv "$LEG_VENV" "$python" "$LEG_REQUIREMENTS" || return
  if [ -n "$LEG_HASS_VENV" ]; then
    # Some requirements of its integrations (pymicro-vad, pyspeex-noise) have
    # no wheels for this Python: pip builds them.
    ensure_apt_packages g++ || return
    ensure_venv "$LEG_HASS_VENV" "$python" "$REPO_ROOT/requirements_hass_newest.txt"
  fi
}
