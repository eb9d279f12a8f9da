#!/usr/bin/env bash
# User-space instructions per response of one server, counted by callgrind: a figure the
# machine's neighbours cannot move, unlike time. Each process is warmed with the same number of
# requests before counting; counts of the same code still differ between processes (JIT
# decisions), so run several and read the median.
#
#   bash bench/instructions/count.sh <variant> [requests=20000] [processes=3]
#
# Warm-up is BRISK_COUNT_WARMUPS (default 3) load runs of <requests> each, each on new
# connections: the first runs after the first end still deoptimize and recompile Node's own
# HTTP functions (a new socket's objects take other maps; seen with --trace-deopt: 15 deopts and
# 80 optimizations in the second run of 20k requests, none from the fourth on), and with a
# single warm-up run that compilation, 9-14k instructions per response, landed in the count.
#
# <variant> is one of bench/instructions/server.ts's layers over the Koa rate-limit route
# (brisk from its sources), or <scenario>/<variant> of the bench (`npm run bench -- --list`),
# e.g. cache-hits-express5/brisk-front: the server the bench starts, brisk from its builds
# (`npm run build:packages` first), sent the scenario's request.
#
# BRISK_COUNT_BY_FUNCTION=1 also keeps each process's instructions per function: callgrind dumps
# instruction addresses and node writes V8's perf map, which by-function.mjs reads to name the
# JIT-compiled JavaScript (the command to run is printed per process).
#
# BRISK_COUNT_NAME=<name> names the bundle, logs and dumps (default: the variant), so that two
# builds of one variant (before and after a change) can be counted side by side.
set -euo pipefail
cd "$(dirname "$0")/../.."
variant="${1:?usage: count.sh <variant> [requests] [processes]}"
requests="${2:-20000}"
processes="${3:-3}"
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install -y valgrind)" >&2; exit 1; }
source bench/instructions/lib.sh
# One bundle per variant, so that counts of different variants can run at once.
name="${BRISK_COUNT_NAME:-${variant//\//.}}"
if [[ "$variant" == */* ]]; then
  bundle_spec_server "$out/server.$name.mjs"
  args=("${variant%%/*}" "${variant#*/}")
else
  node_modules/.bin/esbuild bench/instructions/server.ts --bundle --platform=node --format=esm \
    --conditions=brisk-source --outfile="$out/server.$name.mjs" --external:koa --log-level=warning \
    --banner:js="$banner"
  args=("$variant")
fi
by_function="${BRISK_COUNT_BY_FUNCTION:-}"
counts=()
for i in $(seq 1 "$processes"); do
  port=$((42000 + RANDOM % 2000))
  file="$out/callgrind.$name.$i"
  log="$out/log.$name.$i"
  rm -f "$file"* "$out/perf-map.$name.$i" "$out/v8-log.$name.$i"
  node_flags=()
  dump_instr=no
  if [[ -n "$by_function" ]]; then
    # V8 also writes its code log with the perf map: into the cache, not the working directory.
    node_flags=(--perf-basic-prof --no-logfile-per-isolate "--logfile=$out/v8-log.$name.$i")
    dump_instr=yes
  fi
  NODE_ENV="${NODE_ENV:-production}" valgrind --tool=callgrind --callgrind-out-file="$file" --dump-instr=$dump_instr \
    node "${node_flags[@]}" "$out/server.$name.mjs" "${args[@]}" "$port" >"$log" 2>&1 &
  pid=$!
  await_ready "$pid" "$log" 900
  # The request: `/` for server.ts; the scenario's path and fields for a bench variant.
  request=(-c 10 -a "$requests")
  read_request "$log" "$port"
  for _ in $(seq 1 "${BRISK_COUNT_WARMUPS:-3}"); do "$autocannon" "${request[@]}" "$url" >/dev/null 2>&1; done
  callgrind_control -z "$pid" >/dev/null 2>&1
  "$autocannon" "${request[@]}" "$url" >/dev/null 2>&1
  callgrind_control -d "$pid" >/dev/null 2>&1
  if [[ -n "$by_function" ]]; then cp "/tmp/perf-$pid.map" "$out/perf-map.$name.$i" && rm -f "/tmp/perf-$pid.map"; fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
  dump=$(ls -t "$file".* | head -1)
  total=$(grep -h '^summary:\|^totals:' "$dump" | head -1 | awk '{print $2}')
  counts+=($((total / requests)))
  echo "$variant process $i: ${counts[-1]} instructions per response"
  if [[ -n "$by_function" ]]; then
    echo "  by function: node bench/instructions/by-function.mjs $dump $out/perf-map.$name.$i $requests"
  fi
done
median=$(printf '%s\n' "${counts[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "$variant median of $processes: $median"
