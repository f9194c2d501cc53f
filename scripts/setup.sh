#!/usr/bin/env bash
# Installs everything termu's build, tests and benchmarks need on a fresh Debian machine:
# Debian packages (as root, or through sudo) and the npm packages in package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  qemu-utils qemu-system-x86 seabios   # reference qemu-img / qemu-system-i386, firmware
  nasm gcc gcc-multilib                # test programs for the CPU and Multiboot tests
  make python3 g++                     # node-gyp builds node-pty and native/seek-data at npm ci
  e2fsprogs xorriso mtools grub-pc-bin syslinux syslinux-common isolinux syslinux-utils memtest86+ cpio
  netcat-openbsd telnet libnbd-bin     # real clients for termu's servers
  zstd                                 # reference codec for qcow2 zstd clusters
  acpica-tools                         # iasl, to disassemble the ACPI tables termu builds
  xkb-data x11proto-dev                # sources of the generated keymaps and keysym table
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

npm ci --no-audit --no-fund
