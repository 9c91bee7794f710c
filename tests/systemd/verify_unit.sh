#!/usr/bin/env bash
# Installs roomtemp into a throw-away prefix and checks the unit as systemd would read it:
# `systemd-analyze verify` must pass and the offline security exposure must be <= 1.5.
# Usage: verify_unit.sh BUILD_DIR
set -euo pipefail
build_dir=$1
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze not installed"; exit 77; }
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
# Re-configure a copy of the install rules for this prefix (the unit embeds absolute paths).
cmake -S "$(dirname "$0")/../.." -B "$prefix/build" -DCMAKE_INSTALL_PREFIX="$prefix/root" \
  -DBUILD_TESTING=OFF -DROOMTEMP_PREBUILT_BIN_DIR="$build_dir/bin" >/dev/null
cmake --install "$prefix/build" >/dev/null
unit="$prefix/root/lib/systemd/system/roomtempd.service"
test -f "$unit"
grep -q '^Type=notify' "$unit"
grep -q '^WatchdogSec=' "$unit"
grep -q "^ExecStartPre=$prefix/root/bin/roomtempd --check-config" "$unit"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID' "$unit"
"$prefix/root/bin/roomtempd" --version

echo "== systemd-analyze verify"
systemd-analyze verify "$unit"

echo "== systemd-analyze security --offline=true"
out=$(systemd-analyze security --offline=true "$unit" 2>&1)
echo "$out" | tail -3
score=$(echo "$out" | sed -n 's/.*Overall exposure level for roomtempd.service: \([0-9.]*\).*/\1/p')
test -n "$score" || { echo "no exposure score found"; exit 1; }
echo "exposure: $score (must be <= 1.5)"
awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }'
