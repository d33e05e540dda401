#!/bin/sh
# Rebuild spin.wasm (Debian: clang lld wasi-libc libclang-rt-14-dev-wasm32).
cd "$(dirname "$0")" && clang --target=wasm32-wasi -O2 -Wl,--max-memory=16777216 -Wl,--strip-all spin.c -o spin.wasm
