#!/usr/bin/env bash
# Runs the vitest suite as a real unprivileged user (sockfd-ci, made if missing) in a copy of
# this checkout that the user owns, with node_modules, build/ and dist/ as they are here.
# Needs root to make the user and hand it the copy; for anyone else `npm test` is already a
# plain user's pass. usage: npm run test:as-user [-- [--lab] vitest args...]
# With --lab, vitest runs inside `sockfd lab --` (a user and network namespace of its own), as a
# plain user runs the lab's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
wrap=()
if [ "${1:-}" = --lab ]; then
  shift
  wrap=(node dist/tools/cli.js lab --)
fi

if [ "$(id -u)" != 0 ]; then
  echo "test:as-user: skipped: needs root to make the user; as $(id -un), npm test is that pass"
  exit 0
fi
user=${SOCKFD_CI_USER:-sockfd-ci}
if ! id "$user" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash "$user"
fi
home=$(getent passwd "$user" | cut -d: -f6)
# A copy per run: two checkouts testing at once must not delete each other's.
copy=$(mktemp -d "$home/sockfd.XXXXXX")
trap 'rm -rf "$copy"' EXIT
started=$(date +%s)
# build/asan is test:asan's own copy of the package, with a link back to this node_modules.
tar --exclude=./.git --exclude=./build/asan -cf - . | tar -C "$copy" -xf -
chown -R "$user": "$copy"

echo "test:as-user: running the suite as $user (uid $(id -u "$user")) in $copy"
# A clean environment with the user's HOME: under `npm run`, npm_config_cache and the like
# name root's directories, which the user cannot write.
keep=(PATH="$PATH" HOME="$home" USER="$user" LOGNAME="$user" LANG="${LANG:-C.UTF-8}")
if [ -n "${npm_config_nodedir:-}" ]; then keep+=(npm_config_nodedir="$npm_config_nodedir"); fi
runuser -u "$user" -- env -i "${keep[@]}" \
  bash -c 'cd "$1" && shift && "$@"' test-as-user "$copy" ${wrap[@]+"${wrap[@]}"} \
  node_modules/.bin/vitest run "$@"
rm -rf "$copy"
echo "test:as-user: passed in $(($(date +%s) - started)) s"
