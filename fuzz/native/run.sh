#!/usr/bin/env bash
# `npm run fuzz:native`: builds the libFuzzer targets for the plain C++ codecs with clang
# (-fsanitize=fuzzer,address,undefined) and runs each for FUZZ_SECONDS (default 20):
# sockaddr_fuzzer for native/sockaddr.cc, cmsg_fuzzer for native/cmsg.cc. Installs clang and
# its fuzzer runtime with apt when they are missing.
# usage: bash fuzz/native/run.sh [extra libFuzzer flags]
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${FUZZ_SECONDS:-20}
out=build/fuzz-native
mkdir -p "$out"

# clang can build the target once it links a trivial fuzzer (libclang-rt-*-dev has libFuzzer).
can_link_fuzzer() {
  command -v clang++ >/dev/null 2>&1 || return 1
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' \
    >"$out/probe.cc"
  clang++ -fsanitize=fuzzer "$out/probe.cc" -o "$out/probe" >/dev/null 2>&1
}

if ! can_link_fuzzer; then
  if [ "$(id -u)" != 0 ]; then
    echo "fuzz:native: needs clang with libFuzzer (apt-get install clang libclang-rt-dev)" >&2
    exit 1
  fi
  echo "fuzz:native: installing clang and its fuzzer runtime"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian 12 ships the runtime as libclang-rt-14-dev; later releases name it for their clang.
  rt=$(apt-cache search --names-only '^libclang-rt-[0-9]+-dev$' | sort -V | tail -1 | cut -d' ' -f1)
  apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends clang ${rt:+"$rt"}
  can_link_fuzzer || { echo "fuzz:native: clang still cannot link -fsanitize=fuzzer" >&2; exit 1; }
fi

build() {
  clang++ -std=c++17 -g -O1 -D_GNU_SOURCE -Inative \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    "fuzz/native/$1_fuzzer.cc" "native/$1.cc" -o "$out/$1_fuzzer"
}

run() {
  local name=$1
  mkdir -p "$out/$name-corpus"
  echo "fuzz:native: running $out/${name}_fuzzer for ${seconds}s"
  "$out/${name}_fuzzer" -max_total_time="$seconds" -print_final_stats=1 -max_len=512 \
    -timeout=10 -artifact_prefix="$out/$name-" "${extra[@]}" "$out/$name-corpus" "$out/$name-seeds"
}

extra=("$@")
build sockaddr
build cmsg

# Seeds: one valid input per kind, so a run starts past the length checks.
seeds="$out/sockaddr-seeds"
mkdir -p "$seeds"
# The first byte is the direction (odd: decode); see the top of sockaddr_fuzzer.cc.
# decode: claimed length 16, AF_INET 127.0.0.1:80
printf '\x01\x10\x00\x00\x00\x02\x00\x00\x50\x7f\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00' >"$seeds/inet"
# decode: claimed length 28, AF_INET6 ::1 port 80 scope 1
printf '\x01\x1c\x00\x00\x00\x0a\x00\x00\x50\x00\x00\x00\x00%b\x01\x00\x00\x00' \
  "$(printf '\\x00%.0s' {1..15})\\x01" >"$seeds/inet6"
# decode: claimed length 9, AF_UNIX abstract "\0abc"
printf '\x01\x09\x00\x00\x00\x01\x00\x00abc\x00\x00' >"$seeds/abstract"
# decode: claimed length 9, AF_UNIX path "/a/b" with its NUL
printf '\x01\x09\x00\x00\x00\x01\x00/a/b\x00' >"$seeds/path"
# encode: AF_INET6 text "::1", port 80
printf '\x00\x01\x04\x50\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00::1' >"$seeds/enc-inet6"
# encode: AF_UNIX abstract name "name"
printf '\x00\x02\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00name' >"$seeds/enc-abstract"

# A control buffer as the kernel leaves it: struct cmsghdr is a 64-bit cmsg_len, then the
# int level and type, then the payload padded to 8 bytes.
seeds="$out/cmsg-seeds"
mkdir -p "$seeds"
# SOL_SOCKET SCM_RIGHTS with fds 3 and 4
printf '\x18\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00' >"$seeds/rights"
# IPPROTO_IP IP_TTL 64, then IPPROTO_IP IP_TOS as one byte
printf '\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x40\x00\x00\x00\x00\x00\x00\x00\x11\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00' >"$seeds/ttl-tos"

run sockaddr
run cmsg
echo "fuzz:native: no crash in ${seconds}s per target (corpora kept in $out)"
