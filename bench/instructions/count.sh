#!/usr/bin/env bash
# User-space instructions per response of one server variant (bench/instructions/server.ts),
# counted by callgrind: a figure the machine's neighbours cannot move, unlike time. Each process
# is warmed with the same number of requests before counting; counts of the same code still
# differ between processes (JIT decisions), so run several and read the median.
#
#   bash bench/instructions/count.sh <variant> [requests=20000] [processes=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
variant="${1:?usage: count.sh <variant> [requests] [processes]}"
requests="${2:-20000}"
processes="${3:-3}"
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install -y valgrind)" >&2; exit 1; }
# Bundled beside node_modules, so its external requires resolve as the sources' do.
out=node_modules/.cache/brisk-instructions
mkdir -p "$out"
node_modules/.bin/esbuild bench/instructions/server.ts --bundle --platform=node --format=esm \
  --conditions=brisk-source --outfile="$out/server.mjs" --external:koa --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
autocannon=node_modules/.bin/autocannon
counts=()
for i in $(seq 1 "$processes"); do
  port=$((42000 + RANDOM % 2000))
  file="$out/callgrind.$variant.$i"
  rm -f "$file"*
  valgrind --tool=callgrind --callgrind-out-file="$file" --dump-instr=no \
    node "$out/server.mjs" "$variant" "$port" >"$out/log.$i" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do grep -q ready "$out/log.$i" && break; sleep 0.2; done
  "$autocannon" -c 10 -a "$requests" "http://127.0.0.1:$port/" >/dev/null 2>&1
  callgrind_control -z "$pid" >/dev/null 2>&1
  "$autocannon" -c 10 -a "$requests" "http://127.0.0.1:$port/" >/dev/null 2>&1
  callgrind_control -d "$pid" >/dev/null 2>&1
  kill "$pid"; wait "$pid" 2>/dev/null || true
  dump=$(ls -t "$file".* | head -1)
  total=$(grep -h '^summary:\|^totals:' "$dump" | head -1 | awk '{print $2}')
  counts+=($((total / requests)))
  echo "$variant process $i: ${counts[-1]} instructions per response"
done
median=$(printf '%s\n' "${counts[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "$variant median of $processes: $median"
