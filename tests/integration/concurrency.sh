# Two controllers on one etcd, two leads applying at once: with the same
# If-Match exactly one wins and the other gets 409 with nothing changed.
. "$FABFED_SRC/tests/integration/lib.sh"
ex=$FABFED_SRC/examples/consortium.yaml

etcd_start "$T/etcd"
a=$T/a b=$T/b
ctrl_init "$a"
# The second controller shares only the federation CA (and etcd).
mkdir -m 700 "$b"
cp -p "$a/ca.crt" "$a/ca.key" "$b/"
ctrl_init "$b"
ctrl_start "$a" ctl-a --etcd "$ETCD_ENDPOINT"
pid_a=$CTRL_PID
ctrl_start "$b" ctl-b --etcd "$ETCD_ENDPOINT"
expect_rc 0 ctl "$a" apply -f "$ex"
expect_rc 0 ctl "$b" get consortium trade-finance -o json
contains "$OUT" "Org1MSP"
ok "a document applied through one controller is read through the other"

rev() { acurl "$1" /v1/consortia/trade-finance | python3 -c 'import json,sys; print(json.load(sys.stdin)["revision"])'; }
for round in $(seq 1 10); do
	r=$(rev "$a")
	sed "s/maxMessageCount: 500/maxMessageCount: $((round * 10 + 1))/" "$ex" >"$T/x.yaml"
	sed "s/maxMessageCount: 500/maxMessageCount: $((round * 10 + 2))/" "$ex" >"$T/y.yaml"
	acurl "$a" -X PUT -H "If-Match: $r" --data-binary @"$T/x.yaml" -o "$T/x.body" -w '%{http_code}\n' /v1/consortia/trade-finance >"$T/x.code" &
	p1=$!
	acurl "$b" -X PUT -H "If-Match: $r" --data-binary @"$T/y.yaml" -o "$T/y.body" -w '%{http_code}\n' /v1/consortia/trade-finance >"$T/y.code" &
	p2=$!
	wait "$p1" "$p2"
	codes=$(cat "$T/x.code" "$T/y.code" | sort | tr '\n' ' ')
	[ "$codes" = "200 409 " ] || fail "round $round: codes $codes, want exactly one 200 and one 409"
	winner=x; [ "$(cat "$T/x.code")" = 200 ] || winner=y
	want=$((round * 10 + 1)); [ $winner = x ] || want=$((round * 10 + 2))
	got=$(acurl "$b" /v1/consortia/trade-finance | python3 -c 'import json,sys; print(json.load(sys.stdin)["document"]["spec"]["channels"][0]["batch"]["maxMessageCount"])')
	[ "$got" = "$want" ] || fail "round $round: stored $got, the winner wrote $want"
done
ok "10 rounds of concurrent applies with the same If-Match: one 200, one 409, the winner's document stored"

# Without If-Match both land (last writer wins), each as a txn: never a 5xx.
zp=""
for i in $(seq 1 8); do
	sed "s/maxMessageCount: 500/maxMessageCount: $((900 + i))/" "$ex" >"$T/z$i.yaml"
	c=$a; [ $((i % 2)) = 0 ] && c=$b
	acurl "$c" -X PUT --data-binary @"$T/z$i.yaml" -o /dev/null -w '%{http_code}\n' /v1/consortia/trade-finance >"$T/z$i.code" &
	zp="$zp $!"
done
wait $zp
for i in $(seq 1 8); do
	[ "$(cat "$T/z$i.code")" = 200 ] || fail "concurrent apply $i without If-Match got $(cat "$T/z$i.code")"
done
ok "8 concurrent applies without If-Match all succeed"

# One controller going away leaves the other serving.
ctrl_stop "$pid_a" KILL
[ "$STOP_RC" = 137 ] || fail "SIGKILLed controller exited $STOP_RC"
expect_rc 0 ctl "$b" get consortium trade-finance -o json
ok "killing one controller leaves the other serving"
