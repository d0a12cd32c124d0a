# Three member orgs, each in its own network namespace, as if each ran in
# its own cluster on its own network: a real etcd and a real controller in
# the host namespace, the controller serving on the address of a bridge
# (its TLS certificate carries that IP); per org a namespace, a veth pair
# whose host end is an isolated port of the bridge, an address of a /24
# only this run uses, no default route, and (where the kernel has netem)
# 50 ms of delay each way, like a leased line between regions. Three real
# fabfed-agent processes enroll from inside their namespaces with one-time
# tokens, publish their MSPs and converge; their traffic is seen crossing
# their own links. Cutting one org's link makes that org `unreachable` in
# `fabfedctl get orgs` within the heartbeat lease while the other two stay
# ready; healing it brings it back to ready, without a new enrollment, with
# every key and certificate unchanged, and following spec changes again.
# Skipped (77) where the machine does not allow network namespaces.
. "$FABFED_SRC/tests/integration/lib.sh"

if ! netns_check; then
	echo "skipped: $NETNS_SKIP"
	exit 77
fi
netns_init
ex=$FABFED_SRC/examples/consortium.yaml
victim=2                 # the org whose link is cut
lease=30                 # the controller's heartbeat lease (api_agent.c)

now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

netns_bridge
for n in 1 2 3; do
	netns_site $n
	netns_delay $n 50
	[ -z "$(ip -n "${NETNS_NS[$n]}" route show default)" ] ||
		fail "namespace ${NETNS_NS[$n]} has a default route"
done
ok "three namespaces on $NETNS_NET.0/24 (bridge $NETNS_BRIDGE at $NETNS_HOST_IP), netem: $NETNS_NETEM"

etcd_start "$T/etcd" >/dev/null
d=$T/ctl
"$FABFED_BIN/fabfed-controller" init --state-dir "$d" --san "$NETNS_HOST_IP" >"$T/init.log" 2>&1 ||
	fail "controller init --san $NETNS_HOST_IP"
openssl x509 -in "$d/server.crt" -noout -ext subjectAltName 2>/dev/null | grep -q "IP Address:$NETNS_HOST_IP" ||
	fail "the server certificate does not carry $NETNS_HOST_IP"
# The last --listen wins: the bridge address, not lib.sh's 127.0.0.1.
ctrl_start "$d" ctl --listen "$NETNS_HOST_IP:0" --etcd "$ETCD_ENDPOINT"
case $CTRL_ADDR in
"$NETNS_HOST_IP":*) ;;
*) fail "the controller serves on $CTRL_ADDR, not on $NETNS_HOST_IP" ;;
esac
port=${CTRL_ADDR##*:}
expect_rc 0 ctl "$d" apply -f "$ex"

# Enrollment from inside each namespace, over its own link.
for n in 1 2 3; do
	tok=$(ctl "$d" token create --consortium trade-finance --org Org${n}MSP 2>/dev/null) ||
		fail "token for Org${n}MSP"
	t0=$(now_ms)
	ip netns exec "${NETNS_NS[$n]}" "$FABFED_BIN/fabfed-agent" enroll \
		--controller "https://$CTRL_ADDR" --token "$tok" --state-dir "$T/a$n" \
		>"$T/enroll$n.log" 2>&1 || fail "enroll $n: $(cat "$T/enroll$n.log")"
	enroll_ms[$n]=$(($(now_ms) - t0))
	[ -s "$T/a$n/agent.crt" ] || fail "enroll $n wrote no certificate"
done
ok "three agents enrolled from their namespaces ($(secs ${enroll_ms[1]}) s, $(secs ${enroll_ms[2]}) s, $(secs ${enroll_ms[3]}) s)"

if [ "$NETNS_NETEM" = 1 ]; then
	rtt=$(ip netns exec "${NETNS_NS[1]}" curl -sS --max-time 20 -o /dev/null -w '%{time_connect}' \
		--cacert "$T/a1/ca.crt" --cert "$T/a1/agent.crt" --key "$T/a1/agent.key" \
		"https://$CTRL_ADDR/readyz") || fail "curl from ${NETNS_NS[1]}"
	python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 0.09 else 1)' "$rtt" ||
		fail "a TCP connect across org 1's link took ${rtt} s: netem's 2 x 50 ms is not in effect"
	ok "a TCP connect across a link takes $rtt s (netem 50 ms each way)"
fi

for n in 1 2 3; do bytes0[$n]=$(netns_bytes $n); done
t_run=$(now_ms)
for n in 1 2 3; do
	netns_spawn $n "$T/agent$n.log" "$FABFED_BIN/fabfed-agent" run --state-dir "$T/a$n" --poll-timeout 5
	AGENT_PID[$n]=$NETNS_PID
done

spec_rev() { acurl "$d" /v1/consortia/trade-finance | python3 -c 'import json,sys; print(json.load(sys.stdin)["revision"])'; }
# converged REV SECONDS: every org ready, its MSP published, REV applied.
converged() {
	local deadline=$(($(now_ms) + $2 * 1000)) i
	for ((i = 0; i < $2 * 10; i++)); do
		acurl "$d" /v1/consortia/trade-finance/orgs >"$T/orgs.json" 2>/dev/null || true
		if python3 - "$T/orgs.json" "$1" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit(1)
want = int(sys.argv[2])
ok = all(o["state"] == "ready" and o["msp"] and o["msp"]["rootCerts"]
         and o["status"] and o["status"]["appliedRevision"] >= want for o in d["items"])
sys.exit(0 if ok and len(d["items"]) == 3 else 1)
PY
		then return 0; fi
		[ "$(now_ms)" -lt "$deadline" ] || break
		sleep 0.2
	done
	cat "$T/orgs.json" >&2
	return 1
}
# states: "Org1MSP=ready Org2MSP=..." from `fabfedctl get orgs -o json`.
states() {
	ctl "$d" get orgs --consortium trade-finance -o json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
items = d["items"] if isinstance(d, dict) else d
print(" ".join("%s=%s" % (o["mspId"], o["state"]) for o in sorted(items, key=lambda o: o["mspId"])))'
}

r=$(spec_rev)
converged "$r" 60 || fail "the three orgs did not converge"
converge_ms=$(($(now_ms) - t_run))
for n in 1 2 3; do
	kill -0 "${AGENT_PID[$n]}" 2>/dev/null || fail "agent $n exited"
	[ "$(ip netns identify "${AGENT_PID[$n]}")" = "${NETNS_NS[$n]}" ] ||
		fail "agent $n (pid ${AGENT_PID[$n]}) is not in ${NETNS_NS[$n]}"
done
[ "$(states)" = "Org1MSP=ready Org2MSP=ready Org3MSP=ready" ] || fail "get orgs: $(states)"
ok "three agents in their namespaces converged on revision $r in $(secs $converge_ms) s (netem: $NETNS_NETEM)"

# Each agent's traffic crosses its own link: its eth0 counters grew, and
# the controller holds connections from each org's address.
for n in 1 2 3; do
	read -r rx0 tx0 <<<"${bytes0[$n]}"
	read -r rx1 tx1 <<<"$(netns_bytes $n)"
	[ $((rx1 - rx0)) -ge 2048 ] && [ $((tx1 - tx0)) -ge 2048 ] ||
		fail "org $n's link carried only $((rx1 - rx0)) B in, $((tx1 - tx0)) B out"
	link_rx[$n]=$((rx1 - rx0))
	link_tx[$n]=$((tx1 - tx0))
done
for n in 1 2 3; do
	for ((i = 0; i < 50; i++)); do
		ss -Htn state established "( sport = :$port )" >"$T/ss" 2>/dev/null || true
		grep -qF " ${NETNS_IP[$n]}:" "$T/ss" && break
		sleep 0.2
	done
	grep -qF " ${NETNS_IP[$n]}:" "$T/ss" || { cat "$T/ss" >&2; fail "no connection from org $n's ${NETNS_IP[$n]}"; }
done
ok "links carried ${link_tx[1]}/${link_tx[2]}/${link_tx[3]} B out and ${link_rx[1]}/${link_rx[2]}/${link_rx[3]} B in; the controller holds a connection from each org's address"

fp() { (cd "$T/a$1" && find . -name '*.key' -o -name 'priv_sk' -o -name '*.crt' -o -name '*.pem' | sort | xargs sha256sum); }
for n in 1 2 3; do fp $n >"$T/fp$n.before"; done
agentfp=$(openssl x509 -in "$T/a$victim/agent.crt" -noout -fingerprint -sha256)
acurl "$d" /v1/consortia/trade-finance/orgs/Org${victim}MSP >"$T/victim.before"
# agent_record N: the etcd record enrollment writes (cert hash) and its
# mod revision: a new enrollment or renewal would change it.
agent_record() {
	etcdctl --endpoints "$ETCD_ENDPOINT" get -w json \
		"/fabfed/v1/consortia/trade-finance/orgs/Org${1}MSP/agent" | python3 -c '
import base64, json, sys
kv = json.load(sys.stdin)["kvs"][0]
print(kv["mod_revision"], base64.b64decode(kv["value"]).decode())'
}
record=$(agent_record $victim)
hash=$(openssl x509 -in "$T/a$victim/agent.crt" -outform DER | sha256sum | cut -d' ' -f1)
grep -qF "$hash" <<<"$record" || fail "etcd's enrollment record of org $victim does not hold its cert hash: $record"
lives=$(grep -c "agent of Org${victim}MSP in trade-finance is live" "$T/ctl.log" || true)

# Partition: org $victim's line is cut. Its lease runs out; the others' not.
t0=$(now_ms)
netns_cut $victim
want_cut="Org1MSP=ready Org2MSP=ready Org3MSP=ready"
want_cut=${want_cut/Org${victim}MSP=ready/Org${victim}MSP=unreachable}
limit=$((lease + 15))
seen=""
for ((i = 0; i < limit * 4; i++)); do
	s=$(states) || s="(get orgs failed)"
	for n in 1 2 3; do
		[ $n = $victim ] && continue
		grep -qw "Org${n}MSP=ready" <<<"$s" || fail "org $n is not ready while org $victim is cut off: $s"
	done
	if [ "$s" = "$want_cut" ]; then seen=1; break; fi
	[ $(($(now_ms) - t0)) -lt $((limit * 1000)) ] || break
	sleep 0.25
done
[ -n "$seen" ] || fail "org $victim not unreachable $limit s after its link was cut: $s"
cut_ms=$(($(now_ms) - t0))
kill -0 "${AGENT_PID[$victim]}" 2>/dev/null || fail "agent $victim exited during the partition"
# The other two stay ready for a while longer (heartbeats every 10 s).
for ((i = 0; i < 12; i++)); do
	s=$(states) || s="(get orgs failed)"
	[ "$s" = "$want_cut" ] || fail "during the partition: $s, want $want_cut"
	sleep 0.5
done
ok "org $victim's link cut: unreachable after $(secs $cut_ms) s (lease $lease s), the other two stayed ready"

# Heal: back to ready, same process, no new enrollment, same identities.
t0=$(now_ms)
netns_heal $victim
seen=""
for ((i = 0; i < 60 * 4; i++)); do
	s=$(states) || s="(get orgs failed)"
	if [ "$s" = "Org1MSP=ready Org2MSP=ready Org3MSP=ready" ]; then seen=1; break; fi
	[ $(($(now_ms) - t0)) -lt 60000 ] || break
	sleep 0.25
done
[ -n "$seen" ] || fail "org $victim not ready 60 s after its link was healed: $s"
heal_ms=$(($(now_ms) - t0))
kill -0 "${AGENT_PID[$victim]}" 2>/dev/null || fail "agent $victim exited"
lives2=$(grep -c "agent of Org${victim}MSP in trade-finance is live" "$T/ctl.log" || true)
[ "$lives2" -gt "$lives" ] || fail "the controller did not log org $victim live again ($lives -> $lives2)"
[ "$(openssl x509 -in "$T/a$victim/agent.crt" -noout -fingerprint -sha256)" = "$agentfp" ] ||
	fail "agent $victim's client certificate changed"
for n in 1 2 3; do fp $n | diff "$T/fp$n.before" - || fail "org $n's keys or certificates changed"; done
acurl "$d" /v1/consortia/trade-finance/orgs/Org${victim}MSP >"$T/victim.after"
python3 - "$T/victim.before" "$T/victim.after" <<'PY' || fail "org $victim's published MSP changed"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a["msp"] == b["msp"], "msp differs"
assert a["endpoints"] == b["endpoints"], "endpoints differ"
PY
[ "$(agent_record $victim)" = "$record" ] ||
	fail "org $victim's enrollment record changed: $record -> $(agent_record $victim)"
ok "link healed: org $victim ready again after $(secs $heal_ms) s, same pid, $agentfp, every key and cert unchanged"

# The healed org follows spec changes again: a second peer for it.
python3 - "$ex" "$T/more.yaml" "$victim" <<'PY'
import sys
s = open(sys.argv[1]).read(); n = sys.argv[3]
old = "        - {name: peer0, endpoint: peer0.org%s.example.com:7051, anchor: true}\n" % n
assert old in s, "example layout changed: update this test"
s = s.replace(old, old + "        - {name: peer1, endpoint: peer1.org%s.example.com:7051}\n" % n, 1)
open(sys.argv[2], "w").write(s)
PY
t0=$(now_ms)
expect_rc 0 ctl "$d" apply -f "$T/more.yaml"
r2=$(spec_rev)
[ "$r2" -gt "$r" ] || fail "the spec revision did not move ($r -> $r2)"
converged "$r2" 90 || fail "no convergence on revision $r2 after the heal"
compgen -G "$T/a$victim/manifests/*statefulset-peer1*" >/dev/null || fail "org $victim did not render peer1"
ok "after the heal, org $victim applied revision $r2 (a new peer) in $(secs $(($(now_ms) - t0))) s"

echo "timings: enroll $(secs ${enroll_ms[1]})/$(secs ${enroll_ms[2]})/$(secs ${enroll_ms[3]}) s," \
	"converge $(secs $converge_ms) s, unreachable after $(secs $cut_ms) s, ready after heal $(secs $heal_ms) s" \
	"(netem 50 ms each way: $NETNS_NETEM)"
