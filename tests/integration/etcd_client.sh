# etcd_client.sh: the etcd client (itest_etcd single) against one real etcd
# on free 127.0.0.1 ports, with a temporary data directory.
set -u

command -v etcd >/dev/null || { echo "etcd not installed"; exit 77; }
: "${FABFED_SRC:?}" "${FABFED_BUILD:?}"
itest=$FABFED_BUILD/tests/itest_etcd
[[ -x "$itest" ]] || { echo "$itest not built"; exit 1; }

. "$FABFED_SRC/tests/integration/etcd_lib.sh"

tmp=$(mktemp -d)
trap 'etcd_stop_all; rm -rf "$tmp"' EXIT

etcd_start "$tmp" >/dev/null || { echo "etcd did not start"; exit 1; }
echo "etcd at $ETCD_ENDPOINT (pid $ETCD_PID)"
timeout 300 "$itest" single
rc=$?
if [[ $rc -ne 0 ]]; then
	echo "itest_etcd single failed ($rc); etcd log tail:"
	tail -n 20 "$tmp"/etcd-single.*/etcd.log
fi
exit $rc
