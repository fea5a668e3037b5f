#!/usr/bin/env bash
# System packages the test suite needs: dbus-daemon for the emulated BlueZ bus.
set -euo pipefail
if command -v dbus-daemon >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing dbus (dbus-daemon) from Debian packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dbus >/dev/null
else
  echo "dbus-daemon is missing: install the 'dbus' package (sudo apt-get install dbus)" >&2
  exit 1
fi
