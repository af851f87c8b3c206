#!/bin/sh
# Runs test suites (default: every dist/test/*.test.js; not the benchmarks in dist/test/bench nor
# the helpers in dist/test/support) with node:test under with-keychain.sh, with a
# private TMPDIR made for this run. Fails if the run left anything in it (files a test forgot,
# browser profiles, keyring folders), then removes it. Arguments: what `node --test` runs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
run_tmp=$(mktemp -d "${TMPDIR:-/tmp}/tokentray-run.XXXXXX")
export TMPDIR="$run_tmp"
status=0
[ $# -gt 0 ] || set -- dist/test/*.test.js
sh "$here/with-keychain.sh" node --test --test-concurrency=1 --test-timeout=120000 --test-force-exit "$@" || status=$?
left=$(find "$run_tmp" -mindepth 1 -maxdepth 2 | sed "s|^$run_tmp/||" | head -n 40)
if [ -n "$left" ]; then
  echo "run-tests.sh: the tests left these in their temp folder ($run_tmp):" >&2
  echo "$left" >&2
  [ "$status" -ne 0 ] || status=1
fi
rm -rf "$run_tmp"
exit $status
