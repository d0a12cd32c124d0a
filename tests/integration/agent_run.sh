# Three member orgs end to end: a real etcd, a real controller, and three
# real fabfed-agent processes (manifests runtime) that enroll with one-time
# tokens, build their PKI, publish their public MSPs, learn each other's,
# render manifests (validated with kubernetes-models), follow a spec change,
# and survive restarts of themselves and of the controller with their
# identities unchanged. No private key reaches etcd.
. "$FABFED_SRC/tests/integration/lib.sh"
ex=$FABFED_SRC/examples/consortium.yaml
agent_pids=""

etcd_start "$T/etcd" >/dev/null
d=$T/ctl
ctrl_init "$d"
ctrl_start "$d" ctl --etcd "$ETCD_ENDPOINT"
expect_rc 0 ctl "$d" apply -f "$ex"

start_agent() {   # start_agent N: agent of Org<N>MSP, pid in AGENT_PID[N]
	"$FABFED_BIN/fabfed-agent" run --state-dir "$T/a$1" --poll-timeout 5 \
		>>"$T/agent$1.log" 2>&1 &
	AGENT_PID[$1]=$!
	agent_pids="$agent_pids $!"
	CTRL_PIDS="$CTRL_PIDS $!"   # stopped by PID on exit, logs checked for sanitizers
}
for n in 1 2 3; do
	tok=$(ctl "$d" token create --consortium trade-finance --org Org${n}MSP 2>/dev/null)
	"$FABFED_BIN/fabfed-agent" enroll --controller "https://$CTRL_ADDR" --token "$tok" \
		--state-dir "$T/a$n" >"$T/enroll$n.log" 2>&1 || fail "enroll $n: $(cat "$T/enroll$n.log")"
	start_agent $n
done

spec_rev() { acurl "$d" /v1/consortia/trade-finance | python3 -c 'import json,sys; print(json.load(sys.stdin)["revision"])'; }
# converged REV: every org ready, its MSP published, REV applied (bounded).
converged() {
	local i
	for ((i = 0; i < 150; i++)); do
		acurl "$d" /v1/consortia/trade-finance/orgs >"$T/orgs.json" 2>/dev/null
		if python3 - "$T/orgs.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); want = int(sys.argv[2])
ok = all(o["state"] == "ready" and o["msp"] and o["msp"]["rootCerts"]
         and o["status"] and o["status"]["appliedRevision"] >= want for o in d["items"])
sys.exit(0 if ok and len(d["items"]) == 3 else 1)
PY
		then return 0; fi
		sleep 0.2
	done
	cat "$T/orgs.json" >&2
	return 1
}
r=$(spec_rev)
converged "$r" || fail "the three orgs did not converge"
expect_rc 0 ctl "$d" get orgs --consortium trade-finance
contains "$OUT" "ready"
acurl "$d" /v1/consortia/trade-finance/orgs/Org1MSP | python3 -c '
import json, sys
d = json.load(sys.stdin)
nodes = {(n["kind"], n["name"]): n["state"] for n in d["status"]["nodes"]}
assert nodes == {("peer", "peer0"): "ready", ("orderer", "orderer0"): "ready"}, nodes
' || fail "org 1's status does not report its nodes as the runtime sees them"
ok "three agents enrolled, published their MSPs and applied revision $r; node states reported"

# MSP exchange: each org sees the others' public material, which verifies.
for n in 1 2 3; do
	for m in 1 2 3; do
		[ $n = $m ] && continue
		curl -sS --max-time 10 --cacert "$T/a$n/ca.crt" --cert "$T/a$n/agent.crt" --key "$T/a$n/agent.key" \
			"https://$CTRL_ADDR/v1/agent/orgs/Org${m}MSP" >"$T/view"
		python3 - "$T/view" "$T/a$m/pki/msp/cacerts" <<'PY' || fail "org $n's view of org $m"
import json, os, sys
v = json.load(open(sys.argv[1]))
ca = open(os.path.join(sys.argv[2], os.listdir(sys.argv[2])[0])).read()
assert v["msp"]["rootCerts"][0].strip() == ca.strip(), "root cert differs from the org's own"
assert v["endpoints"]["orderers"][0]["tlsCert"].startswith("-----BEGIN CERTIFICATE-----")
PY
	done
done
ok "every org reads the others' root certs (equal to their own files) and orderer TLS certs"

# Manifests, validated against Kubernetes' schemas by a tool we did not write.
for n in 1 2 3; do
	ls "$T/a$n/manifests" | grep -q "statefulset-peer0" || fail "agent $n rendered no peer StatefulSet"
done
if command -v node >/dev/null 2>&1 && [ -d "$FABFED_SRC/tests/oracles/node_modules/kubernetes-models" ]; then
	node "$FABFED_SRC/tests/oracles/validate-k8s.mjs" "$T/a1/manifests" "$T/a2/manifests" "$T/a3/manifests" \
		>"$T/validate.log" 2>&1 || { cat "$T/validate.log"; fail "rendered manifests are invalid"; }
	ok "rendered manifests: $(tail -n 1 "$T/validate.log")"
else
	echo "note: kubernetes-models not installed (scripts/setup installs it): schema check skipped here"
fi

# The local admin socket, and the signer the agent runs beside itself.
expect_rc 0 "$FABFED_BIN/fabfedctl" agent status --state-dir "$T/a1"
contains "$OUT" "Org1MSP"
contains "$OUT" "running"
expect_rc 0 "$FABFED_BIN/fabfedctl" agent status --state-dir "$T/a2" -o json
spid=$(python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); assert d["mspId"]=="Org2MSP" and d["appliedRevision"]>='"$r"'; print(d["signerPid"])' <<<"$OUT") || fail "agent status json: $OUT"
[ "$spid" -gt 0 ] && kill -0 "$spid" || fail "no signer process for org 2"
grep -q "signer" "/proc/$spid/cmdline" || fail "pid $spid is not a signer"
[ "$(stat -c %a "$T/a2/signer.sock")" = 600 ] || fail "signer socket is not 0600"
[ "$(stat -c %a "$T/a2/admin.sock")" = 600 ] || fail "admin socket is not 0600"
kill -KILL "$spid"
for ((i = 0; i < 150; i++)); do
	n=$("$FABFED_BIN/fabfedctl" agent status --state-dir "$T/a2" -o json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["signerPid"])' 2>/dev/null || echo 0)
	[ "$n" -gt 0 ] && [ "$n" != "$spid" ] && kill -0 "$n" 2>/dev/null && break
	sleep 0.2
done
[ "$n" -gt 0 ] && [ "$n" != "$spid" ] || fail "the signer was not restarted after SIGKILL"
expect_rc 2 "$FABFED_BIN/fabfedctl" agent status --state-dir "$T/nowhere"
contains "$OUT" "no answer from the agent"
ok "fabfedctl agent status over the admin socket; the signer runs beside each agent and is restarted if killed"

# Identities before restarts.
fp() { (cd "$T/a$1" && find . -name '*.key' -o -name 'priv_sk' -o -name '*.crt' -o -name '*.pem' | sort | xargs sha256sum) ; }
for n in 1 2 3; do fp $n >"$T/fp$n.before"; done

# A spec change reaches the org it concerns: Org1 gets a second peer.
python3 - "$ex" "$T/more.yaml" <<'PY'
import sys
s = open(sys.argv[1]).read()
old = "        - name: peer0            # unique within the org\n"
assert old in s, "example layout changed: update this test"
s = s.replace(old, "        - name: peer1\n          endpoint: peer1.org1.example.com:7051\n" + old, 1)
open(sys.argv[2], "w").write(s)
PY
expect_rc 0 ctl "$d" apply -f "$T/more.yaml"
r2=$(spec_rev)
converged "$r2" || fail "no convergence after adding peer1"
ls "$T/a1/manifests" | grep -q "statefulset-peer1" || fail "peer1 was not rendered"
[ -f "$T/a1/pki/peers/peer1.org1.example.com/msp/keystore/priv_sk" ] || fail "peer1 has no identity"
ok "adding a peer: its identity is made and its objects rendered, revision $r2 applied"

# Restart an agent and the controller (SIGKILL): identities unchanged.
ctrl_stop "${AGENT_PID[1]}" TERM
[ "$STOP_RC" = 0 ] || fail "agent 1 did not stop cleanly ($STOP_RC)"
start_agent 1
ctrl_stop "$CTRL_PID" KILL
# Same address (agents keep the URL they enrolled with), after a pause.
sleep 2
ctrl_start "$d" ctl2 --etcd "$ETCD_ENDPOINT" --listen "$CTRL_ADDR"
# Only heartbeats sent to the new controller count: drop the old leases.
for l in $(etcdctl --endpoints "$ETCD_ENDPOINT" get --prefix /fabfed/v1/agents/ -w json |
	python3 -c 'import json,sys; [print("%x" % kv["lease"]) for kv in json.load(sys.stdin).get("kvs", [])]'); do
	etcdctl --endpoints "$ETCD_ENDPOINT" lease revoke "$l" >/dev/null
done
converged "$r2" || fail "no convergence after the restarts"
resumed=$(grep -o "resuming after revision [0-9]*" "$T/agent1.log" | tail -1 | grep -o "[0-9]*$")
[ -n "$resumed" ] && [ "$resumed" -ge "$r2" ] || fail "agent 1 did not resume from its revision (${resumed:-none})"
fp 1 | grep -v peer1 >"$T/fp1.after"
grep -v peer1 "$T/fp1.before" | diff - "$T/fp1.after" || fail "agent 1's identities changed across restarts"
for n in 2 3; do fp $n | diff "$T/fp$n.before" - || fail "agent $n's identities changed"; done
ok "agent SIGTERM + restart and controller SIGKILL + restart: converged again, every key and cert unchanged"

# Certificate renewal: same key, new certificate, recorded by the controller.
old_serial=$(openssl x509 -in "$T/a3/agent.crt" -noout -serial)
old_pub=$(openssl x509 -in "$T/a3/agent.crt" -noout -pubkey)
ctrl_stop "${AGENT_PID[3]}" TERM
"$FABFED_BIN/fabfed-agent" run --state-dir "$T/a3" --poll-timeout 5 --renew-before 100 \
	>>"$T/agent3.log" 2>&1 &
AGENT_PID[3]=$!
CTRL_PIDS="$CTRL_PIDS $!"
for ((i = 0; i < 100; i++)); do grep -q "agent certificate renewed" "$T/agent3.log" && break; sleep 0.1; done
grep -q "agent certificate renewed" "$T/agent3.log" || fail "agent 3 did not renew its certificate"
[ "$(openssl x509 -in "$T/a3/agent.crt" -noout -serial)" != "$old_serial" ] || fail "renewal kept the old certificate"
[ "$(openssl x509 -in "$T/a3/agent.crt" -noout -pubkey)" = "$old_pub" ] || fail "renewal changed the agent's key"
openssl verify -CAfile "$T/a3/ca.crt" "$T/a3/agent.crt" >/dev/null || fail "the renewed certificate does not verify"
want=$(openssl x509 -in "$T/a3/agent.crt" -outform der | sha256sum | cut -d' ' -f1)
for ((i = 0; i < 50; i++)); do
	got=$(etcdctl --endpoints "$ETCD_ENDPOINT" get /fabfed/v1/consortia/trade-finance/orgs/Org3MSP/agent --print-value-only |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["certSha256"])')
	[ "$got" = "$want" ] && break
	sleep 0.1
done
[ "$got" = "$want" ] || fail "the controller did not record the renewed certificate"
curl -sS --max-time 10 --cacert "$T/a3/ca.crt" --cert "$T/a3/agent.crt" --key "$T/a3/agent.key" \
	-X POST -o /dev/null -w '%{http_code}' "https://$CTRL_ADDR/v1/agent/heartbeat" | grep -q 200 ||
	fail "the renewed certificate is not accepted"
ok "certificate renewal: new certificate for the same key, recorded by the controller, accepted"

# Nothing private in etcd: no key of any agent, in any encoding we store.
etcdctl --endpoints "$ETCD_ENDPOINT" get --prefix / >"$T/dump"
! grep -q "PRIVATE KEY" "$T/dump" || fail "a PEM private key is in etcd"
nkeys=0
while IFS= read -r k; do
	body=$(grep -v '^-----' "$k" | tr -d '\n')
	[ -n "$body" ] || fail "empty key file $k"
	! grep -qF "${body:0:40}" "$T/dump" || fail "private key $k is in etcd"
	nkeys=$((nkeys + 1))
done < <(find "$T/a1" "$T/a2" "$T/a3" -name 'priv_sk' -o -name '*.key' -o -name 'server.key' | sort -u)
[ "$nkeys" -ge 12 ] || fail "only $nkeys private keys found to check"
ok "etcd holds none of the $nkeys private keys the agents made"
