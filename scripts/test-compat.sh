#!/usr/bin/env bash
# Run the fast suite and the real-process fleet test against each freqtrade release given.
#
#   scripts/test-compat.sh [--build-only] RELEASE...
#
# Each release gets its own virtualenv in .venv-compat/<release>/ (freqtrade[plot] and
# freqtrade-client of that release, freqfleet installed editable with its dev extras),
# built once and rebuilt when pyproject.toml changes. Suites run one after the other and
# a table of results and times is printed at the end; the exit code is 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
COMPAT=.venv-compat
E2E=tests/scenarios/test_fleet_e2e.py
build_only=0
if [ "${1:-}" = "--build-only" ]; then build_only=1; shift; fi
if [ $# -eq 0 ]; then echo "usage: $0 [--build-only] RELEASE..." >&2; exit 2; fi

build() {
    local release=$1 venv=$COMPAT/$1
    local stamp=$venv/.installed
    if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ]; then return 0; fi
    echo "== freqtrade $release: building $venv"
    if [ ! -x "$venv/bin/python" ]; then
        "$PYTHON" -m venv "$venv" 2>/dev/null || python3 -m venv "$venv" || return 1
    fi
    "$venv/bin/python" -m pip install -qq --upgrade pip || return 1
    "$venv/bin/python" -m pip install -qq -e '.[dev]' \
        "freqtrade[plot]==$release" "freqtrade-client==$release" || return 1
    local installed
    installed=$("$venv/bin/python" -c 'import freqtrade; print(freqtrade.__version__)') || return 1
    if [ "$installed" != "$release" ]; then
        echo "freqtrade $installed installed in $venv, expected $release" >&2
        return 1
    fi
    touch "$stamp"
}

for release in "$@"; do
    build "$release" || { echo "== freqtrade $release: could not build $COMPAT/$release" >&2; exit 1; }
done
[ "$build_only" = 1 ] && exit 0

rows=()
status=0
run() {  # run RELEASE LABEL pytest-args...
    local release=$1 label=$2; shift 2
    local start end result log
    log=$COMPAT/$release/$label.log
    echo "== freqtrade $release: $label (log: $log)"
    start=$(date +%s)
    if "$COMPAT/$release/bin/python" -m pytest "$@" 2>&1 | tee "$log"; then
        result=passed
    else
        result=FAILED
        status=1
    fi
    end=$(date +%s)
    summary=$(grep -E '[0-9]+ (passed|failed|errors?)\b' "$log" | tail -1 | tr -d '=' | sed -E 's/^ +| +$//g')
    rows+=("$(printf '%-9s %-6s %-7s %5ss  %s' "$release" "$label" "$result" "$((end - start))" "$summary")")
}

for release in "$@"; do
    run "$release" fast -m "not slow" -q -p no:cacheprovider -n 3 --dist loadfile
    run "$release" e2e "$E2E" -q -p no:cacheprovider
done

echo
echo "freqtrade suite  result   time  pytest"
printf '%s\n' "${rows[@]}"
exit $status
