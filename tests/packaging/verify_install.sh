#!/usr/bin/env bash
# `cmake --install` as README.md's "Install and enable" does it (prefix /usr), into a temp
# DESTDIR: every file lands where the README says, the units name the installed binary and
# config, and the installed binary accepts the installed config. Installs the binaries already
# built in BUILD_DIR (nothing is compiled).
# Usage: verify_install.sh BUILD_DIR
set -euo pipefail
build_dir=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
for b in roomtempd roomtemp-sim; do
  [ -x "$build_dir/bin/$b" ] || { echo "FAIL: $build_dir/bin/$b is not built"; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root

cmake -S "$src" -B "$work/build" -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF \
  -DROOMTEMP_PREBUILT_BIN_DIR="$build_dir/bin" >/dev/null
DESTDIR=$root cmake --install "$work/build" >"$work/install.log"
echo "== installed:"
(cd "$root" && find . -type f -o -type l | sort | sed 's|^\.||') | tee "$work/files"

fail=0
# What the README's "### Install and enable" says, for the README to be checked against below.
readme=$(awk '/^### Install and enable/{on=1; next} on && /^##/{exit} on' "$src/README.md")
[ -n "$readme" ] || { echo "FAIL: README.md has no \"### Install and enable\" subsection"; exit 1; }

# expect PATH: PATH exists in the installed tree and the README's install subsection names it.
expect() {
  local path=$1
  if [ ! -e "$root$path" ]; then
    echo "FAIL: $path was not installed"; fail=1
  fi
  if ! grep -qF -- "$path" <<<"$readme"; then
    echo "FAIL: README.md's \"Install and enable\" does not say where $path goes"; fail=1
  fi
}
expect /usr/bin/roomtempd
expect /usr/bin/roomtemp-sim
expect /etc/roomtemp/roomtemp.yaml
expect /usr/lib/systemd/system/roomtempd.service
expect /usr/lib/systemd/system/roomtemp-sim.service
expect /usr/lib/sysusers.d/roomtemp.conf
expect /usr/lib/tmpfiles.d/roomtemp.conf
expect /usr/share/roomtemp/sql/

for b in roomtempd roomtemp-sim; do
  [ -x "$root/usr/bin/$b" ] || { echo "FAIL: /usr/bin/$b is not executable"; fail=1; }
done
# Every migration, byte for byte.
for f in "$src"/sql/*.sql; do
  cmp -s "$f" "$root/usr/share/roomtemp/sql/$(basename "$f")" ||
    { echo "FAIL: sql/$(basename "$f") is not in /usr/share/roomtemp/sql/"; fail=1; }
done
cmp -s "$src/config/roomtemp.yaml" "$root/etc/roomtemp/roomtemp.yaml" ||
  { echo "FAIL: /etc/roomtemp/roomtemp.yaml is not config/roomtemp.yaml"; fail=1; }

# The units start the installed binary with the installed config, as the installed user.
unit=$root/usr/lib/systemd/system/roomtempd.service
for line in "ExecStartPre=/usr/bin/roomtempd --check-config --config /etc/roomtemp/roomtemp.yaml" \
            "ExecStart=/usr/bin/roomtempd --config /etc/roomtemp/roomtemp.yaml"; do
  grep -qxF -- "$line" "$unit" || { echo "FAIL: roomtempd.service lacks: $line"; fail=1; }
done
grep -q '^ExecStart=/usr/bin/roomtemp-sim' "$root/usr/lib/systemd/system/roomtemp-sim.service" ||
  { echo "FAIL: roomtemp-sim.service does not start /usr/bin/roomtemp-sim"; fail=1; }
user=$(sed -n 's/^User=//p' "$unit")
grep -qE "^u $user " "$root/usr/lib/sysusers.d/roomtemp.conf" ||
  { echo "FAIL: sysusers.d/roomtemp.conf does not create the unit's User=$user"; fail=1; }
# tmpfiles.d makes the example config's spool directory, owned by that user.
spool=$(sed -n 's/^  dir: *\([^ #]*\).*/\1/p' "$src/config/roomtemp.yaml" | head -1)
grep -qE "^d $spool [0-7]+ $user $user" "$root/usr/lib/tmpfiles.d/roomtemp.conf" ||
  { echo "FAIL: tmpfiles.d/roomtemp.conf does not create spool.dir $spool for $user"; fail=1; }

# The installed binary runs and accepts the installed config.
version=$("$root/usr/bin/roomtempd" --version)
[[ $version =~ ^roomtempd\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "FAIL: --version said: $version"; fail=1; }
if ! out=$("$root/usr/bin/roomtempd" --check-config --config "$root/etc/roomtemp/roomtemp.yaml" 2>&1); then
  echo "FAIL: the installed config does not pass --check-config:"; echo "$out"; fail=1
fi

[ $fail = 0 ] && echo "install ok"
exit $fail
