#!/usr/bin/env bash
# `npm run test:asan`: builds the addon with AddressSanitizer and UndefinedBehaviorSanitizer
# and runs the whole vitest suite on it (or the test files given), with the ASan runtime
# preloaded into node.
#
# The build happens in a copy of the package under build/asan/ (sources, dist/ and a link to
# node_modules), so build/Release stays the regular addon and `npm test` is unaffected, even
# while this runs. Every process the suite starts (vitest's forks, the fuzz, soak and fault
# children) inherits LD_PRELOAD and loads the sanitized addon from the copy.
#
# Leak detection is off for node (detect_leaks=0): Node and V8 free little at exit, so LSan
# would report thousands of their blocks, and a suppression cannot single out our frames
# (every stack runs through node's). Leaks of the addon are checked by `npm run test:valgrind`
# (definite losses with sockfd.node on the stack) and by the soak's RSS bound.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tree=$root/build/asan

if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_api.h ]; then
  export npm_config_nodedir=/usr
fi

# gcc's ASan and UBSan runtimes come with g++ on Debian (libasan8, libubsan1).
asan_lib() { gcc -print-file-name=libasan.so 2>/dev/null; }
if ! command -v g++ >/dev/null 2>&1 || [ ! -f "$(asan_lib)" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "test:asan: needs g++ with libasan (apt-get install g++)" >&2
    exit 1
  fi
  echo "test:asan: installing g++ and the sanitizer runtimes"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends g++ make python3
fi
libasan=$(readlink -f "$(asan_lib)")

started=$(date +%s)
echo "test:asan: copying the package to $tree"
rm -rf "$tree"
mkdir -p "$tree"
tar -C "$root" --exclude=./node_modules --exclude=./build --exclude=./.git -cf - . |
  tar -C "$tree" -xf -
ln -s "$root/node_modules" "$tree/node_modules"

echo "test:asan: building the addon with -fsanitize=address,undefined"
# node-gyp's Makefile appends CXXFLAGS and LDFLAGS from the environment. node-addon-api builds
# without RTTI, which UBSan's vptr check needs, so that one check is left out.
sanitize="-fsanitize=address,undefined -fno-sanitize=vptr -fno-sanitize-recover=all"
(
  cd "$tree"
  CXXFLAGS="$sanitize -fno-omit-frame-pointer -g -O1" LDFLAGS="$sanitize" \
    "$root/node_modules/.bin/node-gyp" rebuild >build.log 2>&1 || {
    cat build.log
    exit 1
  }
)
addon=$tree/build/Release/sockfd.node
if ! readelf -d "$addon" | grep -q 'libasan'; then
  echo "test:asan: $addon is not linked with libasan; the sanitizer flags did not apply" >&2
  exit 1
fi
echo "test:asan: built in $(($(date +%s) - started)) s; running the suite with $libasan"

cd "$tree"
export LD_PRELOAD=$libasan
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
"$root/node_modules/.bin/vitest" run "$@"
echo "test:asan: passed in $(($(date +%s) - started)) s with no sanitizer report"
