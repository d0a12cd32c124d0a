#!/usr/bin/env bash
# Runs the controller_api benchmark against a real etcd and a real
# controller, both started here on 127.0.0.1 ephemeral ports and stopped by
# PID at the end. Prints figures; asserts nothing about time.
#
#   tests/bench/controller_api.sh [BUILD_DIR] [-- benchmark options]
#
# For figures that mean something, build without sanitizers first:
#   FABFED_BUILD_TYPE=release ./scripts/build
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
export FABFED_SRC=$top
. "$top/tests/integration/etcd_lib.sh"

T=$(mktemp -d /tmp/fabfed-bench.XXXXXX)
ctl_pid=
cleanup() {
	set +e
	if [ -n "$ctl_pid" ]; then
		kill -TERM "$ctl_pid" 2>/dev/null
		for _ in $(seq 1 100); do kill -0 "$ctl_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$ctl_pid" 2>/dev/null
		wait "$ctl_pid" 2>/dev/null
	fi
	etcd_stop_all
	rm -rf "$T"
}
trap cleanup EXIT

etcd_start "$T/etcd" >/dev/null
"$build/bin/fabfed-controller" init --state-dir "$T/ctl" >/dev/null 2>&1
"$build/bin/fabfed-controller" run --state-dir "$T/ctl" --listen 127.0.0.1:0 \
	--etcd "$ETCD_ENDPOINT" >"$T/ctl.log" 2>&1 &
ctl_pid=$!
for _ in $(seq 1 200); do
	[ -s "$T/ctl/controller.addr" ] && break
	sleep 0.05
done
[ -s "$T/ctl/controller.addr" ] || { cat "$T/ctl.log"; exit 1; }
sanitized=no
nm "$build/bin/fabfed-controller" 2>/dev/null | grep -q __asan_init && sanitized="yes (ASan+UBSan: figures are pessimistic)"
echo "controller https://$(cat "$T/ctl/controller.addr"), etcd $ETCD_ENDPOINT (etcd $(etcd --version | head -1 | awk '{print $3}')), sanitizers: $sanitized, $(nproc) cores"
"$build/bench/controller_api" --config "$T/ctl/admin.conf" --clients 1,8 "$@"
