# Shared by count.sh and ic-misses.sh, sourced from the repository root: where bundles and logs
# go, how a bench variant's server is bundled, and how its readiness and request are read.

# Beside node_modules, so a bundle's external requires resolve as the sources' do.
out=node_modules/.cache/brisk-instructions
mkdir -p "$out"
autocannon=node_modules/.bin/autocannon
# esbuild's ESM output calls `require` for the CommonJS packages it leaves external.
banner="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"

# bundle_spec_server <outfile>: spec-server.ts, every package external, so @brisk/* load from
# their builds as in the bench; the bench's own TypeScript is bundled so that no tsx runs.
bundle_spec_server() {
  ls packages/core/dist/index.js >/dev/null 2>&1 || { echo "build brisk first: npm run build:packages" >&2; exit 1; }
  node_modules/.bin/esbuild bench/instructions/spec-server.ts --bundle --platform=node --format=esm \
    --packages=external --outfile="$1" --log-level=warning --banner:js="$banner"
}

# await_ready <pid> <console log> <tries>: waits (0.2 s per try) for the server's `ready` line;
# without it, prints the log, stops the server and exits.
await_ready() {
  for _ in $(seq 1 "$3"); do grep -q '^ready' "$2" && break; sleep 0.2; done
  grep -q '^ready' "$2" || { cat "$2" >&2; kill "$1"; exit 1; }
}

# read_request <console log> <port>: sets `url` from the server's `ready <path>` line (`/` when
# it names none) and appends one `-H <field>` per `field` line to the caller's `request` array.
read_request() {
  local path
  path=$(grep -m1 '^ready' "$1" | cut -c7-)
  url="http://127.0.0.1:$2${path:-/}"
  while IFS= read -r field; do request+=(-H "$field"); done < <(grep '^field ' "$1" | cut -c7-)
}
