# Sourced by scripts/test, scripts/demo and bench/run: installs the Debian packages roomtemp
# needs for building, testing and running, but only those that are missing.
ROOMTEMP_PACKAGES=(
  cmake g++ make pkg-config
  libmosquitto-dev mosquitto mosquitto-clients openssl
  libpqxx-dev postgresql-15 postgresql-client-15
  nlohmann-json3-dev libyaml-cpp-dev libcpp-httplib-dev libsystemd-dev zlib1g-dev
  libspdlog-dev libcli11-dev libgtest-dev libbenchmark-dev libhowardhinnant-date-dev tzdata
  systemd curl procps dpkg-dev
  libjs-chart.js chromium
)

# Configures build directory $1 with clang, ASan + UBSan and libFuzzer coverage on every object
# (-DROOMTEMP_FUZZ=ON), tests included: scripts/fuzz builds its harnesses there and
# scripts/sanitize (SANITIZE_COMPILER=clang) the unit tests, so that .ci/run compiles the
# libraries under the sanitizers once for both.
roomtemp_configure_clang_sanitized() {
  roomtemp_install_deps clang libclang-rt-dev
  # -g1 (line tables): sanitizer reports keep file:line; full debug info would slow the build.
  # Unity sources as in scripts/test (CMakeLists.txt, ROOMTEMP_UNITY_BUILD).
  CC=clang CXX=clang++ cmake -S . -B "$1" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROOMTEMP_FUZZ=ON \
    -DBUILD_TESTING=ON "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
    -DROOMTEMP_UNITY_BUILD=ON >/dev/null
}

roomtemp_install_deps() {
  local missing=()
  for p in "${ROOMTEMP_PACKAGES[@]}" "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  # Debian's postgresql-15 does not put initdb/postgres on PATH.
  if ! command -v initdb >/dev/null && [ -d /usr/lib/postgresql/15/bin ]; then
    export PATH="/usr/lib/postgresql/15/bin:$PATH"
  fi
}
