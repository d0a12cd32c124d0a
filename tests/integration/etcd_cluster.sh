# etcd_cluster.sh: the etcd client against a real 3-member etcd cluster on
# free 127.0.0.1 ports. itest_etcd cluster gets the endpoints ordered
# followers first, leader last, with their PIDs in the same order; it
# SIGKILLs the member it prefers and checks that puts, ranges, txns and a
# watch go on through the other two; then kills the second (no quorum: a
# bounded error) and the last (all down: "etcd: no member answered (...)"
# within the timeout).
set -u

command -v etcd >/dev/null || { echo "etcd not installed"; exit 77; }
command -v etcdctl >/dev/null || { echo "etcdctl not installed"; exit 77; }
: "${FABFED_SRC:?}" "${FABFED_BUILD:?}"
itest=$FABFED_BUILD/tests/itest_etcd
[[ -x "$itest" ]] || { echo "$itest not built"; exit 1; }

. "$FABFED_SRC/tests/integration/etcd_lib.sh"

tmp=$(mktemp -d)
trap 'etcd_stop_all; rm -rf "$tmp"' EXIT

etcd_cluster_start "$tmp" >/dev/null || { echo "cluster did not start"; exit 1; }
echo "cluster: $ETCD_ENDPOINTS (pids $ETCD_PIDS)"

# Wait (bounded) until every member agrees on one leader.
order=
for ((i = 0; i < 50; i++)); do
	status=$(ETCDCTL_API=3 etcdctl --endpoints="$ETCD_ENDPOINTS" \
	    --command-timeout=2s endpoint status -w json 2>/dev/null)
	order=$(ETCD_MEMBER_ENDPOINTS=$ETCD_MEMBER_ENDPOINTS ETCD_PIDS=$ETCD_PIDS \
	    python3 -c '
import json, os, sys
st = json.loads(sys.argv[1])
eps = os.environ["ETCD_MEMBER_ENDPOINTS"].split()
pids = os.environ["ETCD_PIDS"].split()
by_ep = {s["Endpoint"]: s["Status"] for s in st}
if len(by_ep) != 3 or set(by_ep) != set(eps):
    sys.exit(1)
leaders = {s["leader"] for s in by_ep.values()}
if len(leaders) != 1 or 0 in leaders:
    sys.exit(1)
leader = leaders.pop()
members = list(zip(eps, pids))
members.sort(key=lambda m: by_ep[m[0]]["header"]["member_id"] == leader)
print(",".join(m[0] for m in members), " ".join(m[1] for m in members))
' "$status" 2>/dev/null) && break
	sleep 0.2
done
[[ -n "$order" ]] || { echo "no stable leader"; exit 1; }
read -r eps pids <<<"$order"
echo "order (followers first, leader last): $eps (pids $pids)"

ITEST_ENDPOINTS=$eps ITEST_PIDS=$pids timeout 300 "$itest" cluster
rc=$?
if [[ $rc -ne 0 ]]; then
	echo "itest_etcd cluster failed ($rc)"
	for f in "$tmp"/etcd-m*/etcd.log; do
		echo "== $f"
		tail -n 5 "$f"
	done
fi
exit $rc
