# The create-channel workflow on real etcd and two real controllers, with
# curl standing in for the orgs' agents (real MSP material from lib/msp.c
# through itest_workflow): collect -> genesis -> join-orderers -> join-peers
# -> anchor-peers; the genesis block in the consenter org's desired state
# decodes with Fabric's official protos as block 0 of the channel; results
# are the org's own and final ones are never rewritten; leader election:
# only the leader advances, and when it is SIGKILLed mid-workflow the other
# controller takes over after the lease TTL and finishes without rebuilding
# the block.
. "$FABFED_SRC/tests/integration/lib.sh"
. "$FABFED_SRC/tests/integration/helpers/curlagents.sh"
official="$FABFED_SRC/tests/oracles/node_modules/fabric-protos"
command -v protoc >/dev/null 2>&1 || fail "protoc not found (Debian package protobuf-compiler)"
[ -f "$official/protos/common/common.proto" ] || { echo "SKIP: $official is absent"; exit 77; }

wf_spec "Org1MSP, Org2MSP" 2 >"$T/spec.yaml"

ekey() { etcdctl --endpoints "$ETCD_ENDPOINT" get "$1" -w json; }

etcd_start "$T/etcd" >/dev/null
d=$T/ctl
ctrl_init "$d"
ctrl_start "$d" ctl1 --etcd "$ETCD_ENDPOINT"
PID1=$CTRL_PID ADDR1=$CTRL_ADDR
ctrl_start "$d" ctl2 --etcd "$ETCD_ENDPOINT"
PID2=$CTRL_PID ADDR2=$CTRL_ADDR
ADDR=$ADDR1   # the controller the test talks to

code=$(ac -X PUT --data-binary @"$T/spec.yaml" -o "$T/put" -w '%{http_code}' "/v1/consortia/$C")
[ "$code" = 201 ] || fail "apply: $code $(cat "$T/put")"
for o in 1 2; do
	agent_csr org$o
	[ "$(agent_enroll "$d" "$(tok_create "$d" Org${o}MSP)" org$o)" = 200 ] || fail "enroll org$o"
done

# Leader election: exactly one controller leads, and the key names it.
for ((i = 0; i < 100; i++)); do
	lid=$(ekey /fabfed/v1/leader | python3 -c 'import json,sys,base64; d=json.load(sys.stdin); print(json.loads(base64.b64decode(d["kvs"][0]["value"]))["id"] if d.get("kvs") else "")')
	[ -n "$lid" ] && break
	sleep 0.2
done
lpid=$(cut -d: -f2 <<<"$lid")
if [ "$lpid" = "$PID1" ]; then LEADER=$PID1 OTHER=$PID2 OADDR=$ADDR2 OLOG=ctl2 LLOG=ctl1
elif [ "$lpid" = "$PID2" ]; then LEADER=$PID2 OTHER=$PID1 OADDR=$ADDR1 OLOG=ctl1 LLOG=ctl2
else fail "the leader key names \"$lid\", neither controller ($PID1, $PID2)"; fi
for a in "$ADDR1" "$ADDR2"; do
	ADDR=$a
	m=$(ac /metrics | grep '^fabfed_leader ' || true)
	[ "$a" = "$OADDR" ] && [ "$m" != "fabfed_leader 0" ] && fail "follower metrics: $m"
	[ "$a" != "$OADDR" ] && [ "$m" != "fabfed_leader 1" ] && fail "leader metrics: $m"
done
ADDR=$OADDR
ok "one leader of two controllers ($lid); /metrics says which"

# collect: nothing published yet.
wait_for "collect waits for both orgs" "d['state'] == 'running' and $(step_state collect) == 'waiting' and d['steps'][0]['waitingFor'] == ['Org1MSP', 'Org2MSP']"
ac "/v1/consortia/$C/workflows" >"$T/list"
[ "$(json '[(i["id"], i["state"], i["step"], i["waitingFor"]) for i in d["items"]]' <"$T/list")" = "[('$W', 'running', 'collect', ['Org1MSP', 'Org2MSP'])]" ] ||
	fail "list: $(cat "$T/list")"
[ "$(ac -o /dev/null -w '%{http_code}' "/v1/consortia/$C/workflows/create-channel-nope")" = 404 ] || fail "unknown workflow"
[ "$(ac -o /dev/null -w '%{http_code}' "/v1/consortia/nope/workflows")" = 404 ] || fail "unknown consortium"
[ "$(gc org1 -o /dev/null -w '%{http_code}' "/v1/consortia/$C/workflows")" = 403 ] || fail "an agent read the workflows"
ok "collect waits for the orgs that have not published, by name; read routes answer 404 for unknowns"

# Both publish real MSP material; no heartbeat yet: the task waits.
for o in 1 2; do
	wf_pki "$T/spec.yaml" $o
	wf_publish $o
done
wait_for "join-orderers with a waiting task" "$(step_state genesis) == 'done' and $(step_state join-orderers) in ('running', 'waiting') and $(task_state "$ORD") == 'waiting'"
json "[t['message'] for s in d['steps'] for t in s.get('tasks', [])][0]" <"$T/rec" | grep -q "Org1MSP's agent is unreachable" ||
	fail "no sentence for the unreachable org: $(cat "$T/rec")"
ok "published material -> genesis built -> join-orderers; an unreachable org's task waits with a sentence"

hb
wait_for "the task is sent once the agent is live" "$(task_state "$ORD") == 'sent'"
[ "$(desired_tasks org1)" = "$ORD" ] || fail "org1's tasks: $(cat "$T/des.org1")"
[ "$(desired_tasks org2)" = "" ] || fail "org2 has tasks: $(cat "$T/des.org2")"
json 'd["tasks"][0]["block"]' <"$T/des.org1" | base64 -d >"$T/block.pb"
sha=$(sha256sum "$T/block.pb" | cut -d' ' -f1)
[ "$sha" = "$(json 'd["tasks"][0]["blockSha256"]' <"$T/des.org1")" ] || fail "blockSha256 is not the block's"
gen=$(ekey /fabfed/v1/consortia/$C/channels/trade/genesis)
[ "$(json 'json.loads(__import__("base64").b64decode(d["kvs"][0]["value"]))["sha256"]' <<<"$gen")" = "$sha" ] || fail "the task's block is not the stored genesis"
genrev=$(json 'd["kvs"][0]["mod_revision"]' <<<"$gen")
# The block through Fabric's own protos: Block -> Envelope -> Payload -> ChannelHeader.
pd() { protoc --decode="$1" -I "$official/protos" -I "$official/google-protos" "$2" <"$3" >"$4" 2>"$4.err" || fail "protoc $1: $(cat "$4.err")"; }
field() { python3 - "$@" <<'PY'
import codecs, sys
text, field, out = sys.argv[1], sys.argv[2], sys.argv[3]
for line in open(text, encoding="latin-1"):
    s = line.strip()
    if s.startswith(field + ': "') and s.endswith('"'):
        open(out, "wb").write(codecs.escape_decode(s[len(field) + 3:-1].encode("latin-1"))[0])
        sys.exit(0)
sys.exit("no field " + field)
PY
}
pd common.Block common/common.proto "$T/block.pb" "$T/block.txt"
grep -q '^  number:' "$T/block.txt" && fail "the block's number is not 0: $(grep number "$T/block.txt")"
field "$T/block.txt" data "$T/env.pb"
pd common.Envelope common/common.proto "$T/env.pb" "$T/env.txt"
field "$T/env.txt" payload "$T/payload.pb"
pd common.Payload common/common.proto "$T/payload.pb" "$T/payload.txt"
field "$T/payload.txt" channel_header "$T/chdr.pb"
pd common.ChannelHeader common/common.proto "$T/chdr.pb" "$T/chdr.txt"
grep -q 'channel_id: "trade"' "$T/chdr.txt" || fail "channel header: $(cat "$T/chdr.txt")"
grep -q '^type: 1$' "$T/chdr.txt" || fail "not a CONFIG header: $(cat "$T/chdr.txt")"
pd common.ConfigEnvelope common/configtx.proto <(python3 - "$T/payload.txt" <<'PY'
import codecs, sys
lines = open(sys.argv[1], encoding="latin-1").read().splitlines()
data = [l.strip() for l in lines if l.startswith('data: "')][0]
sys.stdout.buffer.write(codecs.escape_decode(data[7:-1].encode("latin-1"))[0])
PY
) "$T/cfg.txt"
grep -q 'Org2MSP' "$T/cfg.txt" || fail "the config does not hold Org2MSP"
ok "org1's desired state has its join-orderer task; its block decodes with Fabric's protos as block 0 (CONFIG) of trade"

# Results: own tasks only; final results never rewritten.
[ "$(answer org2 "$ORD" '{"state":"done","message":"joined"}')" = 404 ] || fail "org2 answered org1's task: $(cat "$T/ans")"
[ "$(answer org1 "$W.join-orderer.Org1MSP.nope" '{"state":"done"}')" = 404 ] || fail "an unknown task"
[ "$(answer org1 "$ORD" '{"state":"maybe"}')" = 400 ] || fail "a bad state"
[ "$(answer org1 "$ORD" '{"state":"done","detail":{"k":"-----BEGIN PRIVATE KEY-----"}}')" = 422 ] || fail "a private key"
[ "$(answer org1 "$ORD" '{"state":"retry","message":"orderer0 is starting"}')" = 200 ] || fail "retry: $(cat "$T/ans")"
wait_for "a retry is counted" "[t for s in d['steps'] for t in s.get('tasks', []) if t['id'] == '$ORD'][0].get('attempts') == 1"
[ "$(answer org1 "$ORD" '{"state":"done","message":"joined (channel participation)","detail":{"blockNumber":0}}')" = 200 ] || fail "done: $(cat "$T/ans")"
[ "$(json 'd["id"], d["state"]' <"$T/ans")" = "$ORD done" ] || fail "answer: $(cat "$T/ans")"
[ "$(answer org1 "$ORD" '{"state":"done","message":"joined again"}')" = 200 ] || fail "the same final result again"
[ "$(answer org1 "$ORD" '{"state":"failed","message":"no"}')" = 409 ] || fail "a final result rewritten: $(cat "$T/ans")"
wait_for "join-peers" "$(step_state join-orderers) == 'done' and $(step_state join-peers) == 'running'"
[ "$(json "[t for s in d['steps'] for t in s.get('tasks', []) if t['id'] == '$ORD'][0]['message']" <"$T/rec")" = "joined (channel participation)" ] ||
	fail "the record has not the first final result: $(cat "$T/rec")"
[ "$(desired_tasks org2)" = "$P20" ] || fail "org2's tasks: $(cat "$T/des.org2")"
ok "an org answers only its own tasks; a final result is never rewritten (409), the same again is 200; join-peers next"

# Only the leader wrote records.
grep -q "workflows: $C/$W" "$T/$LLOG.log" || fail "the leader logged no write"
! grep -q "workflows: $C/$W" "$T/$OLOG.log" || fail "the follower advanced a workflow"
# SIGKILL the leader mid-workflow: the other takes over after the lease TTL.
kill -KILL "$LEADER"
wait "$LEADER" 2>/dev/null || true
start=$(date +%s)
for ((i = 0; i < 150; i++)); do
	lid2=$(ekey /fabfed/v1/leader | python3 -c 'import json,sys,base64; d=json.load(sys.stdin); print(json.loads(base64.b64decode(d["kvs"][0]["value"]))["id"] if d.get("kvs") else "")')
	[ "$(cut -d: -f2 <<<"$lid2")" = "$OTHER" ] && break
	(( i % 25 == 0 )) && hb
	sleep 0.2
done
el=$(( $(date +%s) - start ))
[ "$(cut -d: -f2 <<<"$lid2")" = "$OTHER" ] || fail "no takeover in 30 s: leader key \"$lid2\""
[ "$el" -ge 5 ] || fail "took over in ${el}s, before the lease could run out"
ok "SIGKILLed leader replaced by the other controller after ${el}s ($lid2)"

hb
for t in "org1 $P10" "org2 $P20"; do
	set -- $t
	[ "$(answer "$1" "$2" '{"state":"done","message":"joined (cscc JoinChain)"}')" = 200 ] || fail "$2: $(cat "$T/ans")"
done
wait_for "anchor-peers" "$(step_state join-peers) == 'done' and $(step_state anchor-peers) == 'running'" 30
[ "$(desired_tasks org1)" = "$A1" ] || fail "org1's tasks: $(cat "$T/des.org1")"
[ "$(json '"block" in d["tasks"][0], d["tasks"][0]["type"]' <"$T/des.org1")" = "False anchor-peers" ] || fail "anchor task: $(cat "$T/des.org1")"
for t in "org1 $A1" "org2 $A2"; do
	set -- $t
	[ "$(answer "$1" "$2" '{"state":"done","message":"anchor peers set"}')" = 200 ] || fail "$2: $(cat "$T/ans")"
done
wait_for "succeeded" "d['state'] == 'succeeded' and d['lastError'] is None"
[ "$(desired_tasks org1)$(desired_tasks org2)" = "" ] || fail "tasks left: $(cat "$T/des.org1" "$T/des.org2")"
gen2=$(ekey /fabfed/v1/consortia/$C/channels/trade/genesis)
[ "$(json 'd["kvs"][0]["mod_revision"], d["kvs"][0]["version"]' <<<"$gen2")" = "$genrev 1" ] ||
	fail "the genesis key was rewritten: $genrev -> $(json 'd["kvs"][0]["mod_revision"]' <<<"$gen2")"
ac "/v1/consortia/$C/workflows" >"$T/list"
[ "$(json '[(i["state"], i["step"]) for i in d["items"]]' <"$T/list")" = "[('succeeded', None)]" ] || fail "list: $(cat "$T/list")"
ac /metrics >"$T/metrics"
grep -q '^fabfed_leader 1$' "$T/metrics" || fail "the new leader's metrics: $(grep leader "$T/metrics")"
grep -q '^fabfed_workflows{state="succeeded"} 1$' "$T/metrics" || fail "workflow metrics: $(grep workflows "$T/metrics")"
ok "the new leader finished the workflow: succeeded, the genesis key written once (mod_revision $genrev)"

# A channel taken out of the document keeps its record as it is.
sed -e 's/- name: trade$/- name: other/' "$T/spec.yaml" >"$T/spec2.yaml"
[ "$(ac -X PUT --data-binary @"$T/spec2.yaml" -o "$T/put" -w '%{http_code}' "/v1/consortia/$C")" = 200 ] || fail "re-apply: $(cat "$T/put")"
for ((i = 0; i < 50; i++)); do
	ac "/v1/consortia/$C/workflows" >"$T/list"
	[ "$(json 'len(d["items"])' <"$T/list")" = 2 ] && break
	sleep 0.2
done
[ "$(json '[(i["id"], i["state"]) for i in d["items"]]' <"$T/list")" = "[('create-channel-other', 'running'), ('$W', 'succeeded')]" ] ||
	fail "after removing the channel: $(cat "$T/list")"
ok "a channel removed from the document keeps its workflow as it was; a new one starts"
