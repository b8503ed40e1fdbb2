#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS (default 300; `make test` uses 30) on its seeds plus the
# corpus it has grown (build/fuzz/corpus/<target>), and prints one line per target: executions,
# executions per second, coverage, and crashes. A crash leaves its input in build/fuzz/crashes/
# and fails the run: turn it into a regression test before fixing it.
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-300}
status=0
mkdir -p build/fuzz/crashes
node fuzz/seeds.mjs || exit 1
# Inputs that once crashed a target, kept as regression tests: each must now pass.
for target in exec import store; do
  if ls fuzz/regressions/$target/* >/dev/null 2>&1; then
    if ! build/fuzz/fuzz_$target fuzz/regressions/$target/* >build/fuzz/$target-regressions.log 2>&1; then
      echo "fuzz: a regression input of $target crashes again (build/fuzz/$target-regressions.log)"
      status=1
    fi
  fi
done
printf '%-12s %12s %10s %8s %8s  %s\n' target executions exec/s cov ft result
for target in exec import store; do
  corpus=build/fuzz/corpus/$target
  mkdir -p "$corpus"
  log=build/fuzz/$target.log
  build/fuzz/fuzz_$target -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -dict=fuzz/json.dict \
    -artifact_prefix=build/fuzz/crashes/"$target"- "$corpus" build/fuzz/seeds/"$target" >"$log" 2>&1
  rc=$?
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$')
  rate=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$')
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 | grep -Eo '[0-9]+')
  ft=$(grep -Eo 'ft: [0-9]+' "$log" | tail -n 1 | grep -Eo '[0-9]+')
  result=ok
  if [ $rc -ne 0 ]; then
    result="CRASH (see $log)"
    status=1
  fi
  printf '%-12s %12s %10s %8s %8s  %s\n' "$target" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$result"
done
exit $status
