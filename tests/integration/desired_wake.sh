# Who a workflow write wakes, on real etcd and a real controller, with curl
# standing in for two orgs' agents (real MSP material through
# itest_workflow): in create-channel's join-peers step both orgs have an
# open task in the same record. Org1's result makes the leader rewrite the
# record (its task done), and that write must neither wake Org2's long poll
# nor move Org2's desired revision: Org2's open tasks did not change. A
# new task of Org2's (anchor-peers) still wakes it at once, with a higher
# revision (docs/workflows.md: "a new task wakes the org's long poll").
. "$FABFED_SRC/tests/integration/lib.sh"
. "$FABFED_SRC/tests/integration/helpers/curlagents.sh"

wf_spec "Org1MSP, Org2MSP" 2 >"$T/spec.yaml"

etcd_start "$T/etcd" >/dev/null
d=$T/ctl
ctrl_init "$d"
ctrl_start "$d" ctl --etcd "$ETCD_ENDPOINT"
ADDR=$CTRL_ADDR
AGENT_MAX_TIME=70	# org2 long-polls up to 30 s
rec_rev() {  # the record's mod_revision in etcd
	etcdctl --endpoints "$ETCD_ENDPOINT" get "/fabfed/v1/consortia/$C/workflows/$W" -w json |
		json 'd["kvs"][0]["mod_revision"]'
}

code=$(ac -X PUT --data-binary @"$T/spec.yaml" -o "$T/put" -w '%{http_code}' "/v1/consortia/$C")
[ "$code" = 201 ] || fail "apply: $code $(cat "$T/put")"
for o in 1 2; do
	agent_csr org$o
	[ "$(agent_enroll "$d" "$(tok_create "$d" Org${o}MSP)" org$o)" = 200 ] || fail "enroll org$o"
	wf_pki "$T/spec.yaml" $o
	wf_publish $o
done
hb
wait_for "join-orderers" "$(task_state "$ORD") == 'sent'"
[ "$(answer org1 "$ORD" '{"state":"done","message":"joined"}')" = 200 ] || fail "join-orderer: $(cat "$T/ans")"
wait_for "join-peers, both tasks sent" "$(step_state join-peers) == 'running' and $(task_state "$P10") == 'sent' and $(task_state "$P20") == 'sent'"

# Org2's desired state now: its join-peer task, at revision R2.
gc org2 "/v1/agent/desired?since=0&timeout=0" >"$T/d0"
[ "$(json '" ".join(t["id"] for t in d["tasks"])' <"$T/d0")" = "$P20" ] || fail "org2's tasks: $(cat "$T/d0")"
r2=$(json 'd["revision"]' <"$T/d0")
before=$(rec_rev)
[ "$r2" -ge "$before" ] || fail "org2's revision $r2 is below the record's $before, which holds its new task"

# Org2 waits (4 s); Org1 answers; the leader rewrites the record.
start=$EPOCHREALTIME
gc org2 "/v1/agent/desired?since=$r2&timeout=4" >"$T/poll" &
pp=$!
sleep 0.5
[ "$(answer org1 "$P10" '{"state":"done","message":"joined"}')" = 200 ] || fail "join-peer org1: $(cat "$T/ans")"
wait_for "org1's join-peer done in the record" "$(task_state "$P10") == 'done' and $(task_state "$P20") == 'sent'"
after=$(rec_rev)
[ "$after" -gt "$r2" ] || fail "the record was not rewritten after org1's result (mod_revision $after, org2 at $r2)"
wait "$pp" || fail "org2's poll failed"
el=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
[ "$(json 'd["changed"], d["revision"]' <"$T/poll")" = "False $r2" ] ||
	fail "org2's poll was woken by org1's result (record at $after): $(head -c 300 "$T/poll")"
[ "$el" -ge 3500 ] || fail "org2's poll returned after ${el} ms, before its 4 s timeout"
gc org2 "/v1/agent/desired?since=$r2&timeout=0" >"$T/d1"
[ "$(json 'd["changed"], d["revision"], " ".join(t["id"] for t in d["tasks"])' <"$T/d1")" = "False $r2 $P20" ] ||
	fail "org2's desired revision moved with a write that left its tasks as they were: $(head -c 300 "$T/d1")"
ok "org1's result rewrote the record (revision $r2 -> $after) but did not wake org2's poll nor move its revision"

# Org2 waits again; its own result ends join-peers; anchor-peers is a new task.
start=$EPOCHREALTIME
gc org2 "/v1/agent/desired?since=$r2&timeout=30" >"$T/poll" &
pp=$!
sleep 0.5
[ "$(answer org2 "$P20" '{"state":"done","message":"joined"}')" = 200 ] || fail "join-peer org2: $(cat "$T/ans")"
wait "$pp" || fail "org2's poll failed"
el=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
[ "$(json 'd["changed"], " ".join(t["id"] for t in d["tasks"])' <"$T/poll")" = "True $A2" ] ||
	fail "org2's poll was not woken with its anchor-peers task: $(head -c 300 "$T/poll")"
r3=$(json 'd["revision"]' <"$T/poll")
[ "$r3" -gt "$after" ] || fail "the new task's revision $r3 is not past $after"
[ "$el" -lt 20000 ] || fail "org2's poll was woken only after ${el} ms"
ok "a new task of org2 (anchor-peers) woke its poll after ${el} ms at revision $r3"

# Read your writes: right after answering, the org's desired state no longer lists the task.
wf >"$T/rec"
[ "$(answer org2 "$A2" '{"state":"done","message":"set"}')" = 200 ] || fail "anchor org2: $(cat "$T/ans")"
gc org2 "/v1/agent/desired?since=0&timeout=0" >"$T/d2"
[ "$(json '" ".join(t["id"] for t in d["tasks"])' <"$T/d2")" = "" ] || fail "an answered task is still listed: $(head -c 300 "$T/d2")"
ok "a task answered is gone from the very next desired state"
