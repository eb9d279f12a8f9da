#!/usr/bin/env bash
# Inline-cache misses per request of a bench server, by property name, from V8's IC log
# (`node --log-ic`): on Express's req/res every property read at a new site misses on every
# request (decisions 0006, 0009), and this names which reads a change adds or removes. With two
# variants, prints the difference (first minus second) for names that differ by at least a
# tenth of a miss per request.
#
#   bash bench/instructions/ic-misses.sh <scenario>/<variant> [<scenario>/<variant>] [requests=10000]
#
# Each server is warmed with 3 load runs of 2 × <requests>, then the misses of one more run of
# <requests> are counted. brisk loads from its builds: `npm run build:packages` first.
set -euo pipefail
cd "$(dirname "$0")/../.."
first="${1:?usage: ic-misses.sh <scenario>/<variant> [<scenario>/<variant>] [requests]}"
second="${2:-}"
if [[ "$second" =~ ^[0-9]+$ ]]; then requests="$second"; second=""; else requests="${3:-10000}"; fi
source bench/instructions/lib.sh
bundle_spec_server "$out/server.ic-misses.mjs"

# Prints "<kind>,<name> <misses per request>" for one variant, sorted by name.
misses() {
  local variant="$1" port=$((44000 + RANDOM % 2000))
  local log="$out/ic-log.${variant//\//.}" console="$out/ic-console.${variant//\//.}"
  rm -f "$log"
  NODE_ENV=production node --log-ic --no-logfile-per-isolate "--logfile=$log" \
    "$out/server.ic-misses.mjs" "${variant%%/*}" "${variant#*/}" "$port" >"$console" 2>&1 &
  local pid=$!
  await_ready "$pid" "$console" 300
  local url request=(-c 10)
  read_request "$console" "$port"
  for _ in 1 2 3; do "$autocannon" "${request[@]}" -a $((requests * 2)) "$url" >/dev/null 2>&1; done
  local before
  before=$(wc -l <"$log")
  "$autocannon" "${request[@]}" -a "$requests" "$url" >/dev/null 2>&1
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  # Fields: kind, pc, time, line, column, old state, new state, map, key, …
  tail -n +$((before + 1)) "$log" | awk -F, -v n="$requests" '$1 ~ /IC$/ { count[$1 "," $9]++ }
    END { for (k in count) printf "%s %.2f\n", k, count[k] / n }' | sort
}

if [[ -z "$second" ]]; then
  misses "$first" | sort -k2 -rn | awk '$2 >= 0.1'
  exit 0
fi
join -a1 -a2 -e0 -o 0,1.2,2.2 <(misses "$first") <(misses "$second") |
  awk '{ d = $2 - $3; if (d >= 0.1 || d <= -0.1) printf "%+.2f %s (%s vs %s)\n", d, $1, $2, $3 }' | sort -rn
