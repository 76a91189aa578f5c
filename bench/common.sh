# Sourced by the bench scripts (`source "$(dirname "$0")/common.sh"`): the project root,
# made the working directory; the defaults every script shares: build (BUILD, default
# build/, holds qdse), peer (PEER_DIR, default ../shared/bench/peer from the root), the
# peer's Python (/usr/bin/python3, where Debian's torch and optuna are); and bench_run.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build="${BUILD:-$root/build}"
peer="${PEER_DIR:-$root/../shared/bench/peer}"
python=/usr/bin/python3
qdse="$build/qdse"

# bench_run DIR NAME CMD...: CMD under /usr/bin/time -v, its stdout, stderr and the
# time report in DIR/NAME.out, .err and .time; a failure prints the stderr's tail and
# exits 1.
bench_run() {
  local dir=$1 name=$2; shift 2
  echo "== $name: $*" >&2
  /usr/bin/time -v -o "$dir/$name.time" "$@" > "$dir/$name.out" 2> "$dir/$name.err" || {
    echo "$name failed:"; tail -20 "$dir/$name.err"; exit 1; }
}
