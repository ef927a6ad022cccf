#!/bin/bash
# Instructions one crawl of the benchmark site costs, counted by callgrind (docs/performance.md, sixth and
# seventh passes): a count that repeats within 1-2 % where this machine's timings move by 15-25 %.
#
#   benchmarks/instructions.sh PAGES bare|harvester [TREE] [-s NAME=VALUE ...]
#
# The crawl is the one benchmarks/run.py times (same settings, one-off --out run). Every process that exits
# normally is counted and listed (the worker pool's forkserver and resource tracker are ended by a signal and
# leave no count). TREE: another checkout's harvester/ to measure instead (PYTHONPATH), e.g. a `git worktree`
# of an older commit, byte-compiled first (`python -m compileall -q TREE/harvester`); "" for this checkout.
# Arguments after TREE go to `harvester crawl` (e.g. -s HARVESTER_NORMALIZE_WORKERS=0).
set -euo pipefail
pages=${1:?pages}
side=${2:?bare or harvester}
tree=${3:-}
shift $(( $# < 3 ? $# : 3 ))
root=$(cd "$(dirname "$0")/.." && pwd)
python="$root/.venv/bin/python"
command -v valgrind > /dev/null || { echo "valgrind is not installed" >&2; exit 2; }
work=$(mktemp -d)
trap 'kill "$server" 2> /dev/null || true; rm -rf "$work"' EXIT
cd "$root"
"$python" -m benchmarks.site serve --pages "$pages" --max-seconds 7200 > "$work/server.json" &
server=$!
for _ in $(seq 50); do [ -s "$work/server.json" ] && break; sleep 0.1; done
port=$("$python" -c "import json, sys; print(json.load(open(sys.argv[1]))['port'])" "$work/server.json")
url="http://127.0.0.1:$port/search?search_api_fulltext=bench"
if [ "$side" = bare ]; then
  cmd=("$python" -m benchmarks.bare_spider --url "$url")
else
  cmd=("$root/.venv/bin/harvester" crawl wilson --start-url "$url" --out "$work/out.jsonl" --output-dir "$work/out.d"
       -s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=False -s ROBOTSTXT_OBEY=False -s CONCURRENT_REQUESTS=16
       -s CONCURRENT_REQUESTS_PER_DOMAIN=16 -s LOG_LEVEL=WARNING "$@")
fi
env ${tree:+PYTHONPATH=$tree} PYTHONHASHSEED=0 valgrind --tool=callgrind --trace-children=yes \
  --callgrind-out-file=/dev/null --log-file="$work/log.%p" "${cmd[@]}" > "$work/stdout" 2> "$work/stderr"
for log in "$work"/log.*; do
  count=$(awk '/Collected/ {print $NF}' "$log")
  [ -n "$count" ] && printf "  %6.3f G  %s\n" "$(echo "$count / 10^9" | bc -l)" "$(grep -m1 'Command:' "$log" | cut -d' ' -f3- | cut -c1-100)"
done
total=$(awk '/Collected/ {s += $NF} END {printf "%.0f", s}' "$work"/log.*)
printf "%s, %s pages%s: %.3f G instructions\n" "$side" "$pages" "${tree:+ ($tree)}" "$(echo "$total / 10^9" | bc -l)"
