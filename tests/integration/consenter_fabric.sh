# consenter_fabric.sh: issue 5's add-consenter and remove-consenter
# workflows end to end with REAL Fabric 2.5 (docs/workflows.md "Adding and
# removing consenters"): a real controller on its etcd, three real agents
# (one per org, each with its own state dir and signer) running their
# org's orderer and peer with the process runtime.
#
#  1. `apply --wait` creates channel trade with two consenters (Org1's and
#     Org2's orderers) and one member, Org1MSP.
#  2. One document adds Org2MSP and Org3MSP as members AND Org3MSP/orderer0
#     as a consenter: three workflows one after the other (add-org Org2MSP,
#     add-org Org3MSP, add-consenter), each update signed while the
#     document already declares the changes still to come. The controller
#     is SIGKILLed in the middle of the add-consenter workflow and
#     restarted; `apply --wait` sees them all through. The new members'
#     peers join and catch up. Fabric's own tools check: Org3's
#     orderer reports the channel as a "consenter" (osnadmin) at the
#     height of the others, the channel config names 3 consenters, and the
#     update the orderer accepted is signed by Org1MSP and Org2MSP (the
#     orderer orgs then: MAJORITY of 2), each through its own agent.
#  3. The document removes Org1MSP/orderer0: the update is signed by a
#     MAJORITY of the 3 orderer orgs; Org1's agent removes the channel from
#     its orderer (osnadmin lists it no more); the channel config names 2
#     consenters.
#  4. The two consenters left still order: Org1MSP is removed from the
#     channel's members, by an update fetched from and broadcast to them.
#
# All orgs run on this machine on 127.0.0.1 ephemeral ports.
# Needs FABRIC_BIN (peer, orderer, osnadmin, configtxlator; the sample
# config in FABRIC_CFG_PATH or $FABRIC_BIN/../config); skipped without it.

. "$FABFED_SRC/tests/integration/helpers/fabtools.sh"
fab_require consenter
. "$FABFED_SRC/tests/integration/lib.sh"
command -v jq >/dev/null || fail "jq is not installed (scripts/setup installs it)"

C=trade-finance
d=$T/ctl
ctrl_init "$d"
etcd_start "$T/etcd" >/dev/null
ctrl_start "$d" ctl --etcd "$ETCD_ENDPOINT"

declare -A PP OP
for n in 1 2 3; do
	PP[$n]=$(free_port)
	OP[$n]=$(free_port)
done
# doc CONSENTERS [MEMBERS]: the consortium with trade's consenters and members.
doc() { fab_doc "$1" "${2:-Org1MSP, Org2MSP, Org3MSP}"; }
doc "Org1MSP/orderer0, Org2MSP/orderer0" "Org1MSP" >"$T/c1.yaml"
expect_rc 0 ctl "$d" apply -f "$T/c1.yaml"

declare -A AGENT
for n in 1 2 3; do
	tok=$(ctl "$d" token create --consortium $C --org Org${n}MSP 2>/dev/null)
	"$FABFED_BIN/fabfed-agent" enroll --controller "https://$CTRL_ADDR" --token "$tok" \
		--state-dir "$T/a$n" >"$T/enroll$n.log" 2>&1 || fail "enroll $n: $(cat "$T/enroll$n.log")"
	"$FABFED_BIN/fabfed-agent" run --state-dir "$T/a$n" --poll-timeout 5 \
		--runtime process --fabric-bin "$FABRIC_BIN" >>"$T/agent$n.log" 2>&1 &
	AGENT[$n]=$!
	CTRL_PIDS="$CTRL_PIDS $!"
done
dump() {  # dump WORKFLOW: what a failure needs to be understood
	ctl "$d" describe workflow "$1" --consortium $C || true
	for n in 1 2 3; do echo "--- agent $n"; tail -n 25 "$T/agent$n.log"; done
}
rc=0
ctl "$d" apply -f "$T/c1.yaml" --wait --timeout 4m >"$T/wait1.out" 2>&1 || rc=$?
cat "$T/wait1.out"
[ "$rc" = 0 ] || { dump create-channel-trade; fail "apply --wait (create) exited $rc"; }
ok "channel trade created with consenters Org1MSP/orderer0 and Org2MSP/orderer0"

etcdrev() {
	ETCDCTL_API=3 etcdctl --endpoints "$ETCD_ENDPOINT" get "/fabfed/v1/consortia/$C/$1" \
		-w json | jq -r '.kvs[0].mod_revision'
}
osn() {  # osn N: trade as org N's orderer reports it (JSON), or "absent"
	local out
	out=$(fab_osnadmin "$1" 2>&1) || fail "osnadmin on org $1's orderer: $out"
	case "$out" in
	*"Status: 404"*) echo absent ;;
	*) sed -n '/^{/,$p' <<<"$out" ;;
	esac
}
consjq='[.data.data[0].payload.data.config.channel_group.groups.Orderer.values.ConsensusType.value.metadata.consenters[].port] | map(tostring) | join(",")'
sigjq='.data.data[0].payload.data.last_update.payload.data.signatures | map(.signature_header.creator.mspid) | sort | unique | join(",")'
ordorgs='.data.data[0].payload.data.config.channel_group.groups.Orderer.groups | keys | join(",")'
# config_is N ORD OUT WHEN PORTS ORGS: trade's config (fab_config_json N
# ORD OUT) has the consenters' ports PORTS and the orderer orgs ORGS after
# the WHEN; its last update's signers in $signers.
config_is() {
	local ports orgs
	fab_config_json "$1" "$2" "$3"
	ports=$(jq -r "$consjq" "$3")
	[ "$ports" = "$5" ] || fail "the consenters' ports after the $4: $ports, want $5"
	orgs=$(jq -r "$ordorgs" "$3")
	[ "$orgs" = "$6" ] || fail "the orderer orgs after the $4: $orgs"
	signers=$(jq -r "$sigjq" "$3")
}

# ---- add Org3MSP/orderer0, with a controller SIGKILL in the middle.
W=add-consenter-trade-Org3MSP.orderer0
doc "Org1MSP/orderer0, Org2MSP/orderer0, Org3MSP/orderer0" >"$T/c2.yaml"
expect_rc 0 ctl "$d" apply -f "$T/c2.yaml"
t0=$EPOCHREALTIME
wstep() {
	acurl "$d" /v1/consortia/$C/workflows 2>/dev/null |
		jq -r --arg w "$W" '.items[] | select(.id == $w) | .step' 2>/dev/null
}
s=''
for ((i = 0; i < 600; i++)); do
	s=$(wstep || true)
	case "$s" in sign | submit | join-orderer | null) break ;; esac
	sleep 0.1
done
case "$s" in sign | submit | join-orderer) ;;
*) dump "$W"; fail "the add-consenter workflow was not seen past prepare in 60 s (step: $s)" ;;
esac
urev=$(etcdrev "channels/trade/updates/$W")
ctrl_stop "$CTRL_PID" KILL
ok "controller SIGKILLed in the middle of $W (at $s)"
ctrl_start "$d" ctl2 --etcd "$ETCD_ENDPOINT" --listen "$CTRL_ADDR"
rc=0
ctl "$d" apply -f "$T/c2.yaml" --wait --timeout 4m >"$T/wait2.out" 2>&1 || rc=$?
t1=$EPOCHREALTIME
cat "$T/wait2.out"
[ "$rc" = 0 ] || { dump "$W"; fail "apply --wait (add consenter) exited $rc"; }
[ "$(etcdrev "channels/trade/updates/$W")" = "$urev" ] ||
	fail "the prepared update was rewritten after the restart"
expect_rc 0 ctl "$d" describe workflow "$W" --consortium $C
contains "$OUT" "succeeded"
contains "$OUT" "Org3MSP/orderer0"
# Org3's orderer onboards from the others: a consenter, at their height.
for ((i = 0; i < 60; i++)); do
	o1=$(osn 1) o3=$(osn 3)
	h1=$(jq -r .height <<<"$o1") h3=$(jq -r '.height // empty' <<<"$o3" 2>/dev/null || true)
	[ "$(jq -r .consensusRelation <<<"$o3" 2>/dev/null)" = consenter ] &&
		[ "$(jq -r .status <<<"$o3")" = active ] && [ "$h3" = "$h1" ] && break
	sleep 1
done
[ "$(jq -r .consensusRelation <<<"$o3" 2>/dev/null)" = consenter ] && [ "$h3" = "$h1" ] ||
	{ dump "$W"; tail -n 30 "$T/a3/process/orderer0/node.log"; fail "Org3's orderer: $o3 (Org1's at height $h1)"; }
config_is 1 1 "$T/config2.json" add "${OP[1]},${OP[2]},${OP[3]}" Org1MSP,Org2MSP,Org3MSP
[ "$signers" = "Org1MSP,Org2MSP" ] ||
	fail "the add-consenter update was signed by '$signers'; want Org1MSP,Org2MSP (MAJORITY of the 2 orderer orgs)"
ok "Org3MSP/orderer0 added in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s through a controller SIGKILL: a consenter at height $h3 like Org1's (osnadmin), 3 consenters in the config, the update signed by $signers, the prepared update not rewritten"
# The same apply made Org2MSP, then Org3MSP, members first: each update
# was signed while the document declared more to come; their peers joined
# and caught up.
for o in 2 3; do
	expect_rc 0 ctl "$d" describe workflow add-org-trade-Org${o}MSP --consortium $C
	contains "$OUT" "succeeded"
done
apporgs=$(jq -r '.data.data[0].payload.data.config.channel_group.groups.Application.groups | keys | join(",")' "$T/config2.json")
[ "$apporgs" = "Org1MSP,Org2MSP,Org3MSP" ] || fail "the channel's orgs after the apply: $apporgs"
for o in 2 3; do
	ph=''
	for ((i = 0; i < 30; i++)); do
		ph=$(fab_peer $o channel getinfo -c trade 2>/dev/null | sed -n 's/^Blockchain info: //p' | jq -r .height)
		[ "$ph" = "$h1" ] && break
		sleep 1
	done
	[ "$ph" = "$h1" ] || fail "Org$o's peer is at height '$ph', the orderers at $h1"
done
ok "the same apply added Org2MSP and Org3MSP as members, one after the other, before Org3's consenter: their peers are at height $ph like the orderers"

# ---- remove Org1MSP/orderer0: Org1's orderer leaves the channel.
W=remove-consenter-trade-Org1MSP.orderer0
doc "Org2MSP/orderer0, Org3MSP/orderer0" >"$T/c3.yaml"
rc=0
ctl "$d" apply -f "$T/c3.yaml" --wait --timeout 4m >"$T/wait3.out" 2>&1 || rc=$?
cat "$T/wait3.out"
[ "$rc" = 0 ] || { dump "$W"; fail "apply --wait (remove consenter) exited $rc"; }
[ "$(osn 1)" = absent ] || fail "Org1's orderer still has trade: $(osn 1)"
config_is 2 2 "$T/config3.json" removal "${OP[2]},${OP[3]}" Org2MSP,Org3MSP
[ "$(tr ',' '\n' <<<"$signers" | grep -c 'Org[123]MSP')" -ge 2 ] ||
	fail "the remove-consenter update was signed by '$signers'; want 2 of the 3 orderer orgs"
ok "Org1MSP/orderer0 removed: the update signed by $signers, Org1's orderer no longer has the channel (osnadmin), 2 consenters left"

# The two consenters left still order: Org1MSP leaves the channel too, by
# an update fetched from and broadcast to them (the tasks' "orderers").
h_before=$(jq -r .height <<<"$(osn 2)")
W=remove-org-trade-Org1MSP
doc "Org2MSP/orderer0, Org3MSP/orderer0" | sed 's/members: \[Org1MSP, /members: [/' >"$T/c4.yaml"
grep -q 'members: \[Org2MSP, Org3MSP\]' "$T/c4.yaml" || fail "c4.yaml was not written"
rc=0
ctl "$d" apply -f "$T/c4.yaml" --wait --timeout 4m >"$T/wait4.out" 2>&1 || rc=$?
cat "$T/wait4.out"
[ "$rc" = 0 ] || { dump "$W"; fail "apply --wait (remove Org1MSP) exited $rc"; }
for ((i = 0; i < 30; i++)); do
	o2=$(osn 2) o3=$(osn 3)
	[ "$(jq -r .height <<<"$o2")" = "$(jq -r .height <<<"$o3")" ] && break
	sleep 1
done
h2=$(jq -r .height <<<"$o2")
[ "$h2" = "$(jq -r .height <<<"$o3")" ] && [ "$h2" -gt "$h_before" ] ||
	fail "after the removal of Org1MSP: Org2's orderer $o2, Org3's $o3 (height before: $h_before)"
fab_config_json 2 3 "$T/config4.json"
apporgs=$(jq -r '.data.data[0].payload.data.config.channel_group.groups.Application.groups | keys | join(",")' "$T/config4.json")
[ "$apporgs" = "Org2MSP,Org3MSP" ] || fail "the channel's orgs after removing Org1MSP: $apporgs"
ok "the two consenters left order the next update (remove-org Org1MSP): both at height $h2, the channel's orgs $apporgs"
echo PASS
