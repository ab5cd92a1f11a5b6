#!/usr/bin/env bash
# sid_chroot.sh ROOT BIND... -- COMMAND...: mounts /proc, /dev and each BIND
# folder at its own path inside ROOT, runs COMMAND there with chroot, and
# unmounts everything again, whether COMMAND passes, fails or is interrupted.
# scripts/lib/sid_root.sh runs it in a private mount namespace.
set -uo pipefail
root="$1"
shift
binds=()
while [ "$1" != -- ]; do
  binds+=("$1")
  shift
done
shift

mounted=()
unmount_all() {
  local index
  for ((index = ${#mounted[@]} - 1; index >= 0; index--)); do
    umount -l "${mounted[index]}" 2>/dev/null
  done
  mounted=()
}
trap unmount_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bind() {
  mkdir -p "$root$2"
  mount --bind "$1" "$root$2" && mounted+=("$root$2")
  [ "${3:-}" = ro ] && mount -o remount,bind,ro "$root$2"
  return 0
}

mkdir -p "$root/proc" && mount -t proc proc "$root/proc" && mounted+=("$root/proc")
bind /dev /dev
[ -d /dev/pts ] && bind /dev/pts /dev/pts
[ -d /dev/shm ] && bind /dev/shm /dev/shm
for path in "${binds[@]}"; do
  if [ "$path" = "${binds[0]}" ]; then bind "$path" "$path"; else bind "$path" "$path" ro; fi
done

chroot "$root" /usr/bin/env HOME=/root "$@"
