#!/bin/sh
# Runs a command with a private D-Bus session bus and a throw-away, unlocked gnome-keyring, so that
# tests never touch a person's real keychain. Keyring files live in a temp folder; the sockets (the
# bus, the keyring's control socket) in a short private folder under /tmp, since a Unix socket's path
# may not pass 108 bytes and TMPDIR can be long (pam_tmpdir, macOS, a nested run).
# This script starts both daemons itself, in the foreground as its own children, so that it knows
# their pids and stops exactly them, whatever way the command ends (exit, Ctrl-C, SIGTERM, a closed
# terminal), before it removes the folder. (Daemonized, gnome-keyring-daemon could outlive the run
# and re-create files in the removed folder; dbus-daemon survives a SIGHUP to dbus-run-session.)
set -eu
TOKENTRAY_TEST_KEYRING=$(mktemp -d "${TMPDIR:-/tmp}/keyring.XXXXXX")
export TOKENTRAY_TEST_KEYRING
sockets=""
started=""
stop() {
  for pid in $started; do kill "$pid" 2>/dev/null || true; done
  for pid in $started; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TOKENTRAY_TEST_KEYRING" ${sockets:+"$sockets"}
}
trap stop EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "with-keychain.sh: $1" >&2
  exit 1
}
# Polls (at most ~10 s) until `$1` succeeds, while the daemon `$2` lives.
await() {
  tries=0
  until sh -c "$1" >/dev/null 2>&1; do
    tries=$((tries + 1))
    { [ "$tries" -le 200 ] && kill -0 "$2" 2>/dev/null; } || fail "$3"
    sleep 0.05
  done
}

sockets=$(mktemp -d /tmp/tt-run.XXXXXX)
mkdir -p "$TOKENTRAY_TEST_KEYRING/data"
chmod 700 "$TOKENTRAY_TEST_KEYRING" "$sockets"
export XDG_DATA_HOME="$TOKENTRAY_TEST_KEYRING/data"
export XDG_RUNTIME_DIR="$sockets"
# What the tests write is theirs alone (key files, scripts): private unless they say otherwise.
umask 077

bus="$XDG_RUNTIME_DIR/bus"
export DBUS_SESSION_BUS_ADDRESS="unix:path=$bus"
dbus-daemon --session --nofork --nopidfile --syslog-only --address="$DBUS_SESSION_BUS_ADDRESS" &
started="$!"
await "test -S '$bus'" "$!" "dbus-daemon did not start (is the folder's path too long for a socket?)"

# The password only unlocks this throw-away keyring.
gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null <<PASSWORD &
tokentray-throwaway
PASSWORD
started="$! $started"
await "dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets | grep -q 'boolean true'" "$!" "gnome-keyring-daemon did not start"

# Keychain writes go to the daemon's in-memory "session" collection, not the login keyring on disk.
# gnome-keyring rewrites and re-encrypts a file-backed keyring whole on every change, so each write
# there costs more as the run adds items (400 writes: 6.5 s on disk, 0.5 s in memory), and one slow
# rewrite holds up every test that reads the keychain meanwhile. Same daemon, same Secret Service API.
dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
  org.freedesktop.Secret.Service.SetAlias string:default objpath:/org/freedesktop/secrets/collection/session >/dev/null ||
  fail "could not point the keychain's default collection at the in-memory one"

status=0
"$@" || status=$?
exit $status
