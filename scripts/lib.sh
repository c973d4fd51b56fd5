# Shared by scripts/demo and scripts/test: installs the Debian packages the build needs,
# then configures and builds with a CMake preset. Sourced, not run.

NOBILL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The packages of ../shared/notes/toolchain.md (verified on a minimal Debian 12), plus
# what the tests use: xvfb/xauth for real windows, dbus and gnome-keyring for QtKeychain.
NOBILL_PACKAGES=(
  g++ cmake ninja-build dpkg-dev file pkg-config git clang-format
  qt6-base-dev libqt6opengl6-dev libqt6sql6-psql
  qt6-httpserver-dev qt6-websockets-dev qt6-charts-dev
  qt6-tools-dev qt6-l10n-tools qt6-tools-dev-tools
  qtkeychain-qt6-dev libsecret-1-0 gnome-keyring dbus dbus-x11
  libssl-dev libpq-dev postgresql postgresql-contrib
  xvfb xauth fonts-dejavu-core
  # the packaging_metadata test: validators of the desktop file, metainfo and systemd unit
  desktop-file-utils appstream systemd
  # scripts/fuzz: libFuzzer comes with clang's runtime libraries
  clang libclang-rt-14-dev
)

nobill_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

nobill_install_packages() {
  local missing=()
  local pkg
  for pkg in "${NOBILL_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  nobill_log "Installing missing packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo)
    elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
      sudo=(sudo)
    else
      echo "These packages are missing and this script can neither run as root nor use sudo:" >&2
      echo "  ${missing[*]}" >&2
      echo "Install them with: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "This script installs packages with apt-get (Debian 12 / Ubuntu 22.04 or newer)." >&2
    echo "Install the equivalent of: ${missing[*]}" >&2
    exit 1
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# nobill_build PRESET [TARGET...]
nobill_build() {
  local preset=$1
  shift
  cd "$NOBILL_ROOT"
  if [ ! -f "build/$preset/build.ninja" ]; then
    nobill_log "Configuring ($preset)"
    cmake --preset "$preset" >/dev/null
  fi
  nobill_log "Building ($preset)"
  # Two jobs at most: the machines this runs on have two cores and little memory per job.
  cmake --build --preset "$preset" --parallel "${NOBILL_JOBS:-2}" -- "$@"
}
