# shellcheck shell=bash
# Sourced by scripts/test, scripts/develop and scripts/bench: finds a Python
# that Home Assistant accepts and keeps .venv in step with requirements_test.txt.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$REPO_ROOT/.venv"
REQUIREMENTS="$REPO_ROOT/requirements_test.txt"
STAMP="$VENV/.obico-stamp"

# Prints the first interpreter that really runs and is >= 3.13. pyenv's shims
# answer `command -v python3.13` for versions they cannot start, so every
# candidate is executed, not just looked up.
find_python() {
  local candidates=() candidate root
  for candidate in python3.14 python3.13; do
    command -v "$candidate" >/dev/null 2>&1 && candidates+=("$(command -v "$candidate")")
  done
  if command -v pyenv >/dev/null 2>&1 && root="$(pyenv root 2>/dev/null)"; then
    while IFS= read -r candidate; do
      candidates+=("$candidate")
    done < <(ls -d "$root"/versions/3.1[3-9]*/bin/python3 2>/dev/null | sort -rV)
  fi
  for candidate in "${candidates[@]}"; do
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 13))' >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  echo "error: Home Assistant needs Python >= 3.13; none was found on PATH or under pyenv." >&2
  return 1
}

# Home Assistant 2026.2 declares Python >= 3.13.2; 3.13.0 runs the library and
# the test plugin fine, so only there is pip told to ignore that declaration.
pip_python_flags() {
  "$1" -c 'import sys; sys.exit(sys.version_info >= (3, 13, 2))' && echo "--ignore-requires-python"
}

ensure_venv() {
  local python stamp flags
  python="$(find_python)" || return 1
  stamp="$("$python" -c 'import sys; print(sys.version)' | head -n1) $(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
  if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$stamp" ] && [ -x "$VENV/bin/python" ]; then
    return 0
  fi
  echo "==> Building .venv with $python ($("$python" --version))"
  rm -rf "$VENV"
  "$python" -m venv "$VENV"
  flags="$(pip_python_flags "$python")"
  # shellcheck disable=SC2086
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  # shellcheck disable=SC2086
  "$VENV/bin/python" -m pip install --quiet $flags -r "$REQUIREMENTS"
  echo "$stamp" >"$STAMP"
}
