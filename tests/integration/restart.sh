# The embedded default survives a controller killed with SIGKILL: its etcd
# child dies with it (no orphan), and a restart finds every document intact.
. "$FABFED_SRC/tests/integration/lib.sh"
ex=$FABFED_SRC/examples/consortium.yaml

d=$T/ctl
ctrl_init "$d"
ctrl_start "$d" ctl1
expect_rc 0 ctl "$d" apply -f "$ex"
for n in alpha beta trade; do
	sed "s/name: trade-finance/name: $n/" "$ex" >"$T/$n.yaml"
	expect_rc 0 ctl "$d" apply -f "$T/$n.yaml"
done
before=$(acurl "$d" /v1/consortia)
# Sorted by name, not by etcd key ("trade-finance/spec" < "trade/spec").
[ "$(python3 -c 'import json,sys; print(" ".join(i["name"] for i in json.load(sys.stdin)["items"]))' <<<"$before")" = "alpha beta trade trade-finance" ] ||
	fail "consortia not sorted by name: $before"
etcd_pid=$(pgrep -f -- "--data-dir $d/etcd" | head -1)
[ -n "$etcd_pid" ] || fail "no embedded etcd running"
kill -KILL "$CTRL_PID"
for ((i = 0; i < 100; i++)); do kill -0 "$etcd_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$etcd_pid" 2>/dev/null && { kill -KILL "$etcd_pid"; fail "embedded etcd outlived its controller"; }
ok "SIGKILL of the controller takes its embedded etcd down too"

ctrl_start "$d" ctl2
after=$(acurl "$d" /v1/consortia)
# The documents, each with its own revision; not the answer's top-level
# etcd revision, which the controller's own writes (its leader key,
# workflow records) move.
items() { python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["items"], sort_keys=True))'; }
[ "$(items <<<"$before")" = "$(items <<<"$after")" ] || fail "documents changed across the restart:
$before
$after"
for n in trade-finance alpha beta trade; do
	expect_rc 0 ctl "$d" get consortium "$n" -o json
	contains "$OUT" "Org3MSP"
done
expect_rc 0 ctl "$d" apply -f "$ex"
contains "$OUT" "unchanged"
ok "after a restart every document and revision is intact"

# etcd dying under the controller is restarted by it.
etcd_pid=$(pgrep -f -- "--data-dir $d/etcd" | head -1)
kill -KILL "$etcd_pid"
for ((i = 0; i < 150; i++)); do
	[ "$(acurl "$d" -o /dev/null -w '%{http_code}' /readyz 2>/dev/null)" = 200 ] && break
	sleep 0.2
done
[ "$(acurl "$d" -o /dev/null -w '%{http_code}' /readyz)" = 200 ] || fail "embedded etcd not restarted"
expect_rc 0 ctl "$d" get consortium alpha -o json
ok "the controller restarts an embedded etcd that died"
ctrl_stop "$CTRL_PID" TERM
[ "$STOP_RC" = 0 ] || fail "controller did not exit 0"
[ -z "$(pgrep -f -- "--data-dir $d/etcd")" ] || fail "etcd left running after SIGTERM"
ok "SIGTERM stops the controller and its etcd"
