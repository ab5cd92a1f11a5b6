# shellcheck shell=bash
# Sourced by scripts/test: a Debian sid root, for a Python that this machine
# lacks. Home Assistant 2026.3 and newer need Python >= 3.14.2; Debian 12 and 13
# have at most 3.13, and sid ships 3.14. The root is built once with
# debootstrap, kept outside the working tree, and entered with chroot.

SID_ROOT="${OBICO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/obico-ha}/debian-sid"
# Inside the root: Python and venv to run Home Assistant, a compiler for any
# package without a wheel, the CA store pip checks against, and the JPEG
# library Home Assistant's camera component loads.
SID_PACKAGES="python3,python3-venv,python3-dev,gcc,libc6-dev,ca-certificates,libturbojpeg0,tzdata"

# The Debian mirror this machine's apt already uses; deb.debian.org otherwise.
host_debian_mirror() {
  local uri
  uri="$(
    {
      sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null
      sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
    } | tr ' ' '\n' | grep -E '^https?://.*/debian/?$' | head -n1
  )"
  echo "${uri:-http://deb.debian.org/debian}"
}

# Why a sid root cannot be had here, or nothing when it can.
sid_root_unavailable() {
  [ "$(id -u)" -eq 0 ] || { echo "not root (chroot and debootstrap need root)"; return; }
  command -v chroot >/dev/null 2>&1 || { echo "no chroot command"; return; }
  if ! command -v debootstrap >/dev/null 2>&1 && ! command -v apt-get >/dev/null 2>&1; then
    echo "no debootstrap, and no apt-get to install it"
  fi
}

sid_root_ready() {
  [ "$(cat "$SID_ROOT/.obico-ready" 2>/dev/null)" = "$SID_PACKAGES" ] && chroot "$SID_ROOT" /usr/bin/python3 -c \
    'import sys; sys.exit(sys.version_info[:3] < (3, 14, 2))' >/dev/null 2>&1
}

# Builds the root once; later calls find it ready.
ensure_sid_root() {
  sid_root_ready && return 0
  local mirror log building="$SID_ROOT.building" started=$SECONDS
  mirror="$(host_debian_mirror)"
  if ! command -v debootstrap >/dev/null 2>&1; then
    echo "==> Installing debootstrap"
    apt-get install -y -q debootstrap >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q debootstrap >/dev/null; } ||
      return 1
  fi
  echo "==> Building a Debian sid root for Python 3.14 in $SID_ROOT (from $mirror)"
  # --one-file-system: never into anything still mounted in an old root.
  rm -rf --one-file-system "$building" "$SID_ROOT"
  mkdir -p "$building"
  log="$(mktemp)"
  if ! debootstrap --variant=minbase --include="$SID_PACKAGES" sid "$building" "$mirror" \
    >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
  mv "$building" "$SID_ROOT"
  echo "$SID_PACKAGES" >"$SID_ROOT/.obico-ready"
  echo "==> Debian sid root built in $((SECONDS - started)) s"
  sid_root_ready
}

# The local folders the machine's pip configuration points at (find-links,
# file:// indexes, certificates, constraints): mounted read-only in the root so
# that pip there reaches the same index as here.
pip_local_paths() {
  {
    pip3 config list 2>/dev/null || python3 -m pip config list 2>/dev/null
    env | grep '^PIP_'
  } | grep -oE "(file://)?/[^' ]+" | sed 's|^file://||' | while IFS= read -r path; do
    while [ ! -e "$path" ] && [ "$path" != / ]; do path="$(dirname "$path")"; done
    [ "$path" != / ] && echo "$path"
  done | sort -u
}

# run_in_sid_root COMMAND...: runs COMMAND in the root, with the working tree,
# /proc, /dev and the machine's pip configuration and CA certificates in it.
# Everything is mounted in a private mount namespace where the kernel allows
# one, so nothing stays mounted when the command ends, however it ends; it is
# also unmounted explicitly, which is all there is where it does not.
run_in_sid_root() {
  local path
  mkdir -p "$SID_ROOT/etc/xdg"
  cp -L --remove-destination /etc/resolv.conf /etc/hosts /etc/localtime "$SID_ROOT/etc/"
  cp -L /etc/ssl/certs/ca-certificates.crt "$SID_ROOT/etc/ssl/certs/ca-certificates.crt"
  [ -f /etc/pip.conf ] && cp /etc/pip.conf "$SID_ROOT/etc/pip.conf"
  [ -d /etc/xdg/pip ] && rm -rf "$SID_ROOT/etc/xdg/pip" && cp -r /etc/xdg/pip "$SID_ROOT/etc/xdg/pip"
  for path in "$HOME/.config/pip" "$HOME/.pip"; do
    [ -d "$path" ] && mkdir -p "$SID_ROOT/root" && cp -r "$path" "$SID_ROOT/root/"
  done
  local -a binds=("$REPO_ROOT")
  while IFS= read -r path; do
    case "$path" in /etc/* | "$REPO_ROOT"*) ;; *) binds+=("$path") ;; esac
  done < <(pip_local_paths)
  local -a namespace=()
  if unshare --mount --propagation private true 2>/dev/null; then
    namespace=(unshare --mount --propagation private --)
  fi
  "${namespace[@]}" bash "$REPO_ROOT/scripts/lib/sid_chroot.sh" "$SID_ROOT" "${binds[@]}" -- "$@"
}

# run_for_leg LEG COMMAND...: runs COMMAND where LEG's Python is: here, or for
# the newest leg in the Debian sid root, with that leg's environments kept in
# the root. When neither can be had, prints "skipped: <why>" and returns 77,
# the exit code automake gives a skipped test.
run_for_leg() {
  local leg="$1" why
  shift
  use_leg "$leg" || return 2
  if find_python "$LEG_PYTHON_MIN" >/dev/null; then
    "$@"
    return
  fi
  if [ "$leg" != newest ]; then
    echo "skipped: no Python >= $LEG_PYTHON_MIN on PATH or under pyenv"
    return 77
  fi
  if why="$(sid_root_unavailable)" && [ -n "$why" ]; then
    echo "skipped: no Python >= $LEG_PYTHON_MIN on PATH or under pyenv, and no Debian sid root to get one: $why"
    return 77
  fi
  ensure_sid_root || { echo "error: could not build the Debian sid root" >&2; return 1; }
  run_in_sid_root env OBICO_VENV=/opt/obico/venv-newest \
    OBICO_HASS_VENV=/opt/obico/hass-newest "$@"
}
