#!/bin/sh
# Runs a command inside a private D-Bus session with a throw-away, unlocked gnome-keyring, so that
# tests never touch a person's real keychain. Keyring files and sockets live in a temp folder.
set -eu
if [ -z "${TOKENTRAY_TEST_KEYRING:-}" ]; then
  TOKENTRAY_TEST_KEYRING=$(mktemp -d "${TMPDIR:-/tmp}/tokentray-keyring.XXXXXX")
  export TOKENTRAY_TEST_KEYRING
  status=0
  dbus-run-session -- sh "$0" "$@" || status=$?
  rm -rf "$TOKENTRAY_TEST_KEYRING"
  exit $status
fi
mkdir -p "$TOKENTRAY_TEST_KEYRING/data" "$TOKENTRAY_TEST_KEYRING/run"
chmod 700 "$TOKENTRAY_TEST_KEYRING/run"
export XDG_DATA_HOME="$TOKENTRAY_TEST_KEYRING/data"
export XDG_RUNTIME_DIR="$TOKENTRAY_TEST_KEYRING/run"
# The password only unlocks this throw-away keyring.
printf 'tokentray-throwaway\n' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
"$@"
