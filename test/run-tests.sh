#!/bin/sh
# Runs test suites (default: every dist/test/*.test.js; not the benchmarks in dist/test/bench nor
# the helpers in dist/test/support) with node:test under with-keychain.sh, the slowest files first,
# with a private TMPDIR made for this run. Fails if the run left anything in it (files a test forgot,
# browser profiles, keyring folders), then removes it. Arguments: test files, and any number of
# --test-name-pattern=RE.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# One file more than there are cores, on a machine with two cores or more (each file's sandboxes have
# their own home, keychain service and ports): every file waits part of its time on children, sockets
# and the browser, and the extra file fills those waits (on 2 cores, 2026-12-05: 100-116 s at
# three files, 136 s at two, 108-116 s at four). TOKENTRAY_TEST_CONCURRENCY=1 runs them one by one.
cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
if [ "$cores" -ge 2 ] 2>/dev/null; then default_concurrency=$((cores + 1)); else default_concurrency=1; fi
concurrency=${TOKENTRAY_TEST_CONCURRENCY:-$default_concurrency}
case $concurrency in '' | *[!0-9]* | 0) echo "run-tests.sh: TOKENTRAY_TEST_CONCURRENCY is a number of files, not $concurrency" >&2; exit 2 ;; esac
run_tmp=$(mktemp -d "${TMPDIR:-/tmp}/tokentray-run.XXXXXX")
export TMPDIR="$run_tmp"
# electron-builder's config loader (jiti), used in-process by the packaging tests, would keep a
# compile cache in the temp folder.
export JITI_FS_CACHE=false
status=0
# Only the suites: not bench or support files.
[ $# -gt 0 ] || set -- dist/test/*.test.js
# node:test's run() with the slowest files started first (test/support/run-files.ts, built into dist).
sh "$here/with-keychain.sh" node "$here/../dist/test/support/run-files.js" --concurrency="$concurrency" "$@" || status=$?
left=$(find "$run_tmp" -mindepth 1 -maxdepth 2 | sed "s|^$run_tmp/||" | head -n 40)
if [ -n "$left" ]; then
  echo "run-tests.sh: the tests left these in their temp folder ($run_tmp):" >&2
  echo "$left" >&2
  [ "$status" -ne 0 ] || status=1
fi
rm -rf "$run_tmp"
exit $status
