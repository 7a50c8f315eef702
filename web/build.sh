#!/usr/bin/env bash
# Builds the playground into web/dist: matcalc's core compiled to
# WebAssembly (size-optimised, profile wasm-release), its JavaScript glue
# by wasm-bindgen, KaTeX from web/node_modules (npm ci), and the page.
# Serve it with: python3 -m http.server -d web/dist
set -euo pipefail
cd "$(dirname "$0")"
WASM_BINDGEN_VERSION=0.2.129   # = the wasm-bindgen crate in web/Cargo.toml

if ! command -v wasm-bindgen >/dev/null 2>&1 || [ "$(wasm-bindgen --version)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  echo "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)" >&2
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --locked --quiet
fi
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
[ -d node_modules/katex ] || npm ci --no-audit --no-fund --silent

cargo build -p matcalc-web --target wasm32-unknown-unknown --profile wasm-release --quiet
rm -rf dist
mkdir -p dist/pkg dist/katex
wasm-bindgen --target web --no-typescript --out-dir dist/pkg \
  ../target/wasm32-unknown-unknown/wasm-release/matcalc_web.wasm
cp static/index.html static/style.css static/app.js static/worker.js dist/
cp node_modules/katex/dist/katex.min.js node_modules/katex/dist/katex.min.css dist/katex/
cp -r node_modules/katex/dist/fonts dist/katex/
# Only the WOFF2 fonts are needed by current browsers; the others are dropped.
find dist/katex/fonts -type f ! -name '*.woff2' -delete
echo "web/dist: $(du -sh dist | cut -f1); wasm $(stat -c %s dist/pkg/matcalc_web_bg.wasm) bytes" >&2
