#!/usr/bin/env bash
# System packages the test suite needs, from Debian: dbus-daemon for the emulated BlueZ bus,
# chromium and its driver for the report's layout test in a real headless browser, the
# sqlite3 shell as another program holding the store's lock (tests/host/test_faults_lock.py);
# and what stridepod.devtools.interpreters builds the 32-bit and RISC-V MicroPython with
# (../shared/micropython/README.md): gcc-multilib (i386), the riscv64-unknown-elf GCC and
# its picolibc, qemu-system-riscv32 (qemu-system-misc) to run the rv32 firmware.
set -euo pipefail
declare -A PACKAGE_OF=(
  [dbus-daemon]=dbus
  [chromium]=chromium
  [chromedriver]=chromium-driver
  [sqlite3]=sqlite3
  [riscv64-unknown-elf-gcc]=gcc-riscv64-unknown-elf
  [qemu-system-riscv32]=qemu-system-misc
)
# packages that bring no command of their own: asked of dpkg
LIBRARY_PACKAGES=(gcc-multilib picolibc-riscv64-unknown-elf)
missing=()
for cmd in dbus-daemon chromium chromedriver sqlite3 riscv64-unknown-elf-gcc qemu-system-riscv32; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$cmd]}")
done
for p in "${LIBRARY_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} from Debian packages"
  # other installs may hold the dpkg lock: wait for it instead of failing
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "missing system packages: ${missing[*]} (sudo apt-get install --no-install-recommends ${missing[*]})" >&2
  exit 1
fi
