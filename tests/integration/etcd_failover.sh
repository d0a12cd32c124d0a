# A controller on a 3-member etcd cluster keeps serving when a member dies,
# and says clearly when quorum is gone.
. "$FABFED_SRC/tests/integration/lib.sh"
ex=$FABFED_SRC/examples/consortium.yaml

etcd_cluster_start "$T/etcd"
d=$T/ctl
ctrl_init "$d"
ctrl_start "$d" ctl --etcd "$ETCD_ENDPOINTS"
expect_rc 0 ctl "$d" apply -f "$ex"
read -r -a pids <<<"$ETCD_PIDS"
kill -KILL "${pids[0]}"
sed 's/timeout: 2s/timeout: 5s/' "$ex" >"$T/changed.yaml"
ok=0
for ((i = 0; i < 20; i++)); do
	rc=0; ctl "$d" apply -f "$T/changed.yaml" >"$T/out" 2>&1 || rc=$?
	if [ $rc = 0 ]; then ok=1; break; fi
	sleep 0.5   # a leader election may be under way
done
[ $ok = 1 ] || fail "apply failed with one of three members dead: $(cat "$T/out")"
expect_rc 0 ctl "$d" get consortium trade-finance -o json
contains "$OUT" '"5s"'
expect_rc 0 ctl "$d" get consortia
ok "one member of three killed: apply and get keep working"

kill -KILL "${pids[1]}"
expect_rc 1 ctl "$d" apply -f "$ex"
contains "$OUT" "etcd"
code=$(acurl "$d" -o "$T/ready" -w '%{http_code}' /readyz || true)
[ "$code" = 503 ] || fail "readyz is $code without quorum"
ok "without quorum: a clear etcd error, readyz 503, no crash"
