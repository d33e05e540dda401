#!/usr/bin/env bash
# Builds checksum.wasm (Debian: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32).
set -euo pipefail
cd "$(dirname "$0")"
clang --target=wasm32-wasi -O2 -s checksum.c -o checksum.wasm
