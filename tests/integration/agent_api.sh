# The agent API on a real controller and etcd, with curl + openssl standing
# in for fabfed-agent: long-poll desired state, own-org records only,
# heartbeats on an etcd lease, the admin's view of every org's state.
. "$FABFED_SRC/tests/integration/lib.sh"
ex=$FABFED_SRC/examples/consortium.yaml

etcd_start "$T/etcd" >/dev/null
d=$T/ctl
ctrl_init "$d"
ctrl_start "$d" ctl --etcd "$ETCD_ENDPOINT"
expect_rc 0 ctl "$d" apply -f "$ex"
for o in 1 2; do
	agent_csr org$o
	[ "$(agent_enroll "$d" "$(tok_create "$d" Org${o}MSP)" org$o)" = 200 ] || fail "enroll org$o"
done
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# Desired state.
gcurl "$d" org1 "/v1/agent/desired?since=0" >"$T/des"
r0=$(json 'd["revision"]' <"$T/des")
[ "$(json 'd["mspId"], d["consortium"], d["spec"]["metadata"]["name"]' <"$T/des")" = "Org1MSP trade-finance trade-finance" ] ||
	fail "desired: $(cat "$T/des")"
[ "$(json 'd["changed"]' <"$T/des")" = True ] || fail "since=0 is not a change"
start=$(date +%s)
gcurl "$d" org1 "/v1/agent/desired?since=$r0&timeout=2" >"$T/des"
el=$(( $(date +%s) - start ))
[ "$(json 'd["changed"], d["revision"]' <"$T/des")" = "False $r0" ] || fail "idle poll: $(cat "$T/des")"
[ "$el" -ge 1 ] && [ "$el" -le 10 ] || fail "an idle poll returned after ${el}s, not ~2s"
ok "desired state: answered at once when newer, held until the timeout when not"

# A poll is woken by a change of the spec, before its timeout.
gcurl "$d" org1 "/v1/agent/desired?since=$r0&timeout=50" >"$T/poll1" &
p1=$!
gcurl "$d" org2 "/v1/agent/desired?since=$r0&timeout=50" >"$T/poll2" &
p2=$!
sleep 1
start=$(date +%s)
sed 's/timeout: 2s/timeout: 4s/' "$ex" >"$T/changed.yaml"
expect_rc 0 ctl "$d" apply -f "$T/changed.yaml"
wait "$p1" "$p2"
el=$(( $(date +%s) - start ))
[ "$el" -le 20 ] || fail "polls woke ${el}s after the change"
for f in poll1 poll2; do
	[ "$(json 'd["changed"]' <"$T/$f")" = True ] || fail "$f not woken: $(cat "$T/$f")"
	[ "$(json 'd["spec"]["spec"]["channels"][0]["batch"]["timeout"]' <"$T/$f")" = 4s ] || fail "$f has the old spec"
done
r1=$(json 'd["revision"]' <"$T/poll1")
[ "$r1" -gt "$r0" ] || fail "revision did not move"
ok "two polls on one consortium woken by an apply, with the new spec"

# Own records only; no private key ever.
msp='{"mspId":"Org1MSP","rootCerts":["-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"]}'
gcurl "$d" org2 "/v1/agent/desired?since=$r1&timeout=50" >"$T/poll3" &
p3=$!
sleep 1
[ "$(gcurl "$d" org1 -X PUT -d "$msp" -o "$T/o" -w '%{http_code}' /v1/agent/msp)" = 200 ] || fail "put msp: $(cat "$T/o")"
grep -q configured "$T/o" || fail "first put is not configured"
wait "$p3"
[ "$(json 'd["orgs"]["Org1MSP"]["msp"]["mspId"]' <"$T/poll3")" = Org1MSP ] || fail "org2 was not woken with org1's MSP"
[ "$(gcurl "$d" org1 -X PUT -d "$msp" -o "$T/o" -w '%{http_code}' /v1/agent/msp)" = 200 ] && grep -q unchanged "$T/o" || fail "same MSP again is not unchanged"
[ "$(gcurl "$d" org2 -X PUT -d "$msp" -o /dev/null -w '%{http_code}' /v1/agent/msp)" = 403 ] || fail "org2 wrote a record naming Org1MSP"
[ "$(gcurl "$d" org1 -X PUT -d '{"mspId":"Org1MSP","k":"-----BEGIN PRIVATE KEY-----\nAAA"}' -o /dev/null -w '%{http_code}' /v1/agent/msp)" = 422 ] || fail "a private key was accepted"
[ "$(gcurl "$d" org1 -X PUT -d 'nope' -o /dev/null -w '%{http_code}' /v1/agent/endpoints)" = 400 ] || fail "bad JSON"
[ "$(gcurl "$d" org1 -X PUT -d '{"peers":[{"name":"peer0","endpoint":"peer0.org1.example.com:7051"}]}' -o /dev/null -w '%{http_code}' /v1/agent/endpoints)" = 200 ] || fail "endpoints"
[ "$(gcurl "$d" org1 -X PUT -d '{"appliedRevision":'"$r1"'}' -o /dev/null -w '%{http_code}' /v1/agent/status)" = 200 ] || fail "status"
gcurl "$d" org2 /v1/agent/orgs/Org1MSP >"$T/o1"
[ "$(json 'd["msp"]["mspId"], d["endpoints"]["peers"][0]["name"], "status" in d' <"$T/o1")" = "Org1MSP peer0 False" ] || fail "org2's view of org1: $(cat "$T/o1")"
[ "$(gcurl "$d" org2 -o /dev/null -w '%{http_code}' /v1/agent/orgs/Org9MSP)" = 404 ] || fail "undeclared org"
ok "an agent writes only its own records, never a private key; others read its public material"

# Authorization matrix: agents never reach admin routes, admins never agent routes.
for r in "GET /v1/consortia" "GET /v1/consortia/trade-finance" "PUT /v1/consortia/trade-finance" \
	"DELETE /v1/consortia/trade-finance" "POST /v1/consortia/trade-finance/tokens" \
	"GET /v1/consortia/trade-finance/orgs" "GET /v1/consortia/trade-finance/orgs/Org1MSP"; do
	set -- $r
	for a in org1 org2; do
		[ "$(gcurl "$d" $a -X "$1" -d '{}' -o /dev/null -w '%{http_code}' "$2")" = 403 ] || fail "$a got past $r"
	done
done
for r in "GET /v1/agent/desired" "PUT /v1/agent/msp" "PUT /v1/agent/status" "POST /v1/agent/heartbeat" "GET /v1/agent/orgs/Org1MSP"; do
	set -- $r
	[ "$(acurl "$d" -X "$1" -d '{}' -o /dev/null -w '%{http_code}' "$2")" = 403 ] || fail "admin got into $r"
done
ok "authorization matrix: 403 for agents on every admin route and admins on every agent route"

# Liveness: heartbeats on a lease; the admin sees ready / unreachable / not enrolled.
[ "$(gcurl "$d" org1 -X POST -o "$T/hb" -w '%{http_code}' /v1/agent/heartbeat)" = 200 ] && grep -q live "$T/hb" || fail "heartbeat"
[ "$(gcurl "$d" org1 -X POST -o "$T/hb" -w '%{http_code}' /v1/agent/heartbeat)" = 200 ] && grep -q renewed "$T/hb" || fail "second heartbeat"
states() { acurl "$d" /v1/consortia/trade-finance/orgs | json '",".join(o["mspId"]+"="+o["state"] for o in d["items"])'; }
[ "$(states)" = "Org1MSP=ready,Org2MSP=unreachable,Org3MSP=not enrolled" ] || fail "states: $(states)"
lease=$(etcdctl --endpoints "$ETCD_ENDPOINT" get /fabfed/v1/agents/trade-finance/Org1MSP -w json | json '"%x" % d["kvs"][0]["lease"]')
etcdctl --endpoints "$ETCD_ENDPOINT" lease revoke "$lease" >/dev/null
[ "$(states)" = "Org1MSP=unreachable,Org2MSP=unreachable,Org3MSP=not enrolled" ] || fail "after lease loss: $(states)"
gcurl "$d" org1 -X POST -o /dev/null /v1/agent/heartbeat
[ "$(states)" = "Org1MSP=ready,Org2MSP=unreachable,Org3MSP=not enrolled" ] || fail "after a new heartbeat: $(states)"
acurl "$d" /v1/consortia/trade-finance/orgs/Org1MSP >"$T/org1"
[ "$(json 'd["status"]["appliedRevision"], d["msp"]["mspId"]' <"$T/org1")" = "$r1 Org1MSP" ] || fail "admin view: $(cat "$T/org1")"
ok "heartbeats keep an etcd lease; its loss shows the org unreachable; the admin sees each org's state"

etcdctl --endpoints "$ETCD_ENDPOINT" get --prefix / >"$T/dump"
! grep -q "PRIVATE KEY" "$T/dump" || fail "a private key is in etcd"
# Deleting the consortium ends polls with 410.
gcurl "$d" org1 -o "$T/gone" -w '%{http_code}' "/v1/agent/desired?since=999999&timeout=50" >"$T/gone.code" &
p4=$!
sleep 1
expect_rc 0 ctl "$d" delete consortium trade-finance
wait "$p4"
[ "$(cat "$T/gone.code")" = 410 ] || fail "a poll on a deleted consortium got $(cat "$T/gone.code"): $(cat "$T/gone")"
ok "a deleted consortium ends its agents' polls with 410"
