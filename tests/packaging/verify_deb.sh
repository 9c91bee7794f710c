#!/usr/bin/env bash
# Builds the .deb (from the binaries already built in BUILD_DIR) and inspects it:
# its files, its control fields and its runtime dependencies.
# Usage: verify_deb.sh BUILD_DIR
set -euo pipefail
build_dir=$1
for tool in cpack dpkg-deb dpkg-shlibdeps; do
  command -v $tool >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake -S "$(dirname "$0")/../.." -B "$work/build" -DCMAKE_INSTALL_PREFIX=/usr \
  -DBUILD_TESTING=OFF -DROOMTEMP_PREBUILT_BIN_DIR="$build_dir/bin" >/dev/null
(cd "$work/build" && cpack -G DEB >/dev/null)
deb=$(ls "$work"/build/roomtemp_*.deb)
echo "== $deb"
dpkg-deb -I "$deb" | tee "$work/info"
dpkg-deb -c "$deb" | awk '{print $6}' | tee "$work/files"
for f in ./usr/bin/roomtempd ./usr/bin/roomtemp-sim ./etc/roomtemp/roomtemp.yaml \
         ./usr/lib/systemd/system/roomtempd.service ./usr/lib/systemd/system/roomtemp-sim.service \
         ./usr/lib/sysusers.d/roomtemp.conf ./usr/lib/tmpfiles.d/roomtemp.conf; do
  grep -qx "$f" "$work/files" || { echo "missing from the package: $f"; exit 1; }
done
# Runtime dependencies are Debian's runtime packages, not -dev ones.
depends=$(sed -n 's/^ Depends: //p' "$work/info")
echo "Depends: $depends"
for lib in libmosquitto1 libpqxx libyaml-cpp libsystemd0 libdate-tz3 tzdata; do
  echo "$depends" | grep -q "$lib" || { echo "Depends lacks $lib"; exit 1; }
done
if echo "$depends" | grep -q -- "-dev"; then echo "Depends names a -dev package"; exit 1; fi
mkdir "$work/x" && dpkg-deb -e "$deb" "$work/x"
grep -qx /etc/roomtemp/roomtemp.yaml "$work/x/conffiles"
grep -q "ExecStart=/usr/bin/roomtempd --config /etc/roomtemp/roomtemp.yaml" \
  <(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/systemd/system/roomtempd.service)
echo "package ok"
