# consortium_fabric.sh: issue 5's create-channel workflow end to end with
# REAL Fabric 2.5: a real controller on its etcd, three real agents (one
# per org, each with its own state dir and signer) running their org's
# orderer and peer with the process runtime, and one
# `fabfedctl apply --wait`. Then Fabric's own tools (osnadmin, peer,
# configtxlator: not ours) check the result: the channel exists on the
# three orderers and the three peers at the same height (block 0 plus one
# anchor peer update per org), and each org's anchor peer is in the
# channel config, set by an update its own admin signed. A controller
# SIGKILLed and restarted afterwards repeats nothing (the genesis block and
# every workflow record keep their etcd revisions).
#
# The orgs are in three regions on three networks: where this machine
# allows it (root, `ip netns`, veth, bridge), each org, the fourth one
# added later included, has its own network namespace with its own
# address on a 10.78.X.0/24 bridge this run makes (scripts/lib/netns.sh,
# as scripts/demo does it); its agent runs there, and so do the peer and
# orderer that agent starts, listening on the org's address (ephemeral
# ports; the orderer's admin port on the namespace's own loopback). The
# controller listens on the bridge's host address, its etcd on the host's
# 127.0.0.1. Fabric's tools run as each org's admin from that org's
# namespace. Elsewhere every org runs on 127.0.0.1, and the test says so.
# Traffic goes only to 127.0.0.1 and to this run's bridge addresses.
#
# Needs FABRIC_BIN (peer, orderer, osnadmin, configtxlator; the sample
# config in FABRIC_CFG_PATH or $FABRIC_BIN/../config); skipped without it.

. "$FABFED_SRC/tests/integration/helpers/fabtools.sh"
fab_require workflow
. "$FABFED_SRC/tests/integration/lib.sh"
command -v jq >/dev/null || fail "jq is not installed (scripts/setup installs it)"

# ---- where the orgs live: one network namespace each, or 127.0.0.1.
# Names carry this shell's PID (fabfed-cf-<pid>-orgN, ffc<pid>br,
# ffc<pid>hN); the /24 is 10.78.X with X from the PID, the first X no
# address or route of this host uses (the demo takes 10.77.X).
# shellcheck disable=SC2034  # read by scripts/lib/netns.sh
NS_BASE=fabfed-cf NS_STEM=ffc NS_PREFIX=10.78 NS_FIRST=$(($$ % 255))
NS_LOCK=/tmp/fabfed-cf-netns.lock
. "$FABFED_SRC/scripts/lib/netns.sh"
AGENTS=""
# On exit: the agents first (each stops its peer and orderer), then
# whatever is still in the namespaces, the namespaces and links, and then
# lib.sh's cleanup (controllers, etcd, sanitizer check, $T).
cf_exit() {
	local rc=$? p i left
	set +e
	# (CONT: the test may have stopped one.)
	for p in $AGENTS; do kill -CONT "$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null; done
	for ((i = 0; i < 150; i++)); do
		left=""
		for p in $AGENTS; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
		[ -n "$left" ] || break
		sleep 0.1
	done
	ns_kill 50
	ns_remove
	(exit "$rc")
	_cleanup
}
trap cf_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

declare -a IP
why=$(ns_why)
if [ -z "$why" ]; then
	ns_sweep
	ns_bridge || fail "netns: $NS_ERR"
	HOSTIP=$NS_HOST_IP
	for n in 1 2 3; do
		ns_org $n || fail "netns: $NS_ERR"
		IP[$n]=${NS_IP[$n]}
		[ -z "$(ip -n "${NS_NS[$n]}" route show default)" ] ||
			fail "namespace ${NS_NS[$n]} has a default route"
	done
	ok "three orgs in three network namespaces (${NS_NS[*]}) at ${IP[*]} on bridge $NS_BRIDGE ($NS_NET.0/24; the controller's side $HOSTIP)"
else
	HOSTIP=127.0.0.1
	IP=([1]=127.0.0.1 [2]=127.0.0.1 [3]=127.0.0.1)
	echo "note: every org runs on 127.0.0.1, not in its own network namespace: $why"
fi
# nsx N: the command prefix that runs in org N's namespace (none without).
nsx() {
	NSX=()
	[ -z "${NS_NS[$1]:-}" ] || NSX=(ip netns exec "${NS_NS[$1]}")
}
# org_ps N: the programs running in org N's namespace, sorted, unique.
org_ps() {
	local p
	for p in $(ip netns pids "${NS_NS[$1]}" 2>/dev/null); do
		basename "$(readlink "/proc/$p/exe" 2>/dev/null)" 2>/dev/null
	done | sort -u | tr '\n' ' '
}
# start_agent N: enroll org N's agent and run it (process runtime), from
# org N's namespace; its PID (ip netns exec execs it) in AGENT[N].
declare -A AGENT
start_agent() {
	local n=$1 tok
	tok=$(ctl "$d" token create --consortium trade-finance --org Org${n}MSP 2>/dev/null) ||
		fail "token create for Org${n}MSP"
	ns_exec "$n" "$FABFED_BIN/fabfed-agent" enroll --controller "https://$CTRL_ADDR" \
		--token "$tok" --state-dir "$T/a$n" >"$T/enroll$n.log" 2>&1 ||
		fail "enroll $n: $(cat "$T/enroll$n.log")"
	nsx "$n"
	"${NSX[@]}" "$FABFED_BIN/fabfed-agent" run --state-dir "$T/a$n" --poll-timeout 5 \
		--runtime process --fabric-bin "$FABRIC_BIN" >>"$T/agent$n.log" 2>&1 &
	AGENT[$n]=$!
	AGENTS="$AGENTS $!"
	CTRL_PIDS="$CTRL_PIDS $!"
}

d=$T/ctl
# With namespaces the controller's certificate also names the bridge
# address the orgs dial, and it listens there (the last --listen wins over
# lib.sh's 127.0.0.1:0).
initargs=(--state-dir "$d")
[ -z "$NS_NET" ] || initargs+=(--san "$HOSTIP")
"$FABFED_BIN/fabfed-controller" init "${initargs[@]}" >"$T/init.log" 2>&1 ||
	fail "fabfed-controller init ${initargs[*]}: $(cat "$T/init.log")"
etcd_start "$T/etcd" >/dev/null
ctrl_start "$d" ctl --etcd "$ETCD_ENDPOINT" --listen "$HOSTIP:0"
case $CTRL_ADDR in
"$HOSTIP":*) ;;
*) fail "the controller serves on $CTRL_ADDR, not on $HOSTIP" ;;
esac

declare -A PP OP
for n in 1 2 3; do
	PP[$n]=$(free_port)
	OP[$n]=$(free_port)
done
fab_doc "Org1MSP/orderer0, Org2MSP/orderer0, Org3MSP/orderer0" "Org1MSP, Org2MSP, Org3MSP" \
	>"$T/consortium.yaml"
expect_rc 0 ctl "$d" apply -f "$T/consortium.yaml"

declare -A OH PH
for n in 1 2 3; do start_agent $n; done

# In the middle of the workflow (genesis built, joins under way): freeze
# Org3's agent (SIGSTOP: its tasks wait) and SIGKILL the controller;
# restart the controller, thaw the agent, and let apply --wait see it
# through.
t0=$EPOCHREALTIME
wstep() {
	acurl "$d" /v1/consortia/trade-finance/workflows 2>/dev/null |
		jq -r '.items[] | select(.id == "create-channel-trade") | .step' 2>/dev/null
}
for ((i = 0; i < 600; i++)); do
	s=$(wstep || true)
	case "$s" in join-orderers | join-peers | anchor-peers | null) break ;; esac
	sleep 0.1
done
case "$s" in join-orderers | join-peers | anchor-peers) ;;
*) fail "the workflow was not seen between genesis and its end in 60 s (step: $s)" ;;
esac
kill -STOP "${AGENT[3]}"
etcdrev() {
	ETCDCTL_API=3 etcdctl --endpoints "$ETCD_ENDPOINT" get "/fabfed/v1/consortia/trade-finance/$1" \
		-w json | jq -r '.kvs[0].mod_revision'
}
gbefore=$(etcdrev channels/trade/genesis)
ctrl_stop "$CTRL_PID" KILL
ok "controller SIGKILLed at step $s"
ctrl_start "$d" ctl2 --etcd "$ETCD_ENDPOINT" --listen "$CTRL_ADDR"
sleep 2
kill -CONT "${AGENT[3]}"
rc=0
ctl "$d" apply -f "$T/consortium.yaml" --wait --timeout 4m >"$T/wait.out" 2>&1 || rc=$?
t1=$EPOCHREALTIME
cat "$T/wait.out"
if [ "$rc" != 0 ]; then
	ctl "$d" describe workflow create-channel-trade --consortium trade-finance || true
	for n in 1 2 3; do echo "--- agent $n"; tail -n 20 "$T/agent$n.log"; done
	fail "apply --wait exited $rc"
fi
[ "$(etcdrev channels/trade/genesis)" = "$gbefore" ] ||
	fail "the genesis block was rebuilt after the restart"
ok "apply to converged, through a controller SIGKILL and restart: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s; the genesis block was not rebuilt"
expect_rc 0 ctl "$d" get workflows --consortium trade-finance
contains "$OUT" "succeeded"

# Fabric's own tools, as each org's admin (helpers/fabtools.sh).
FAB_IN=ns_exec
heights() {
	local n
	for n in 1 2 3; do
		fab_osnadmin $n >"$T/osn$n.json" 2>&1 ||
			fail "osnadmin on org $n's orderer: $(cat "$T/osn$n.json")"
		OH[$n]=$(sed -n '/^{/,$p' "$T/osn$n.json" | jq -r .height)
		fab_peer $n channel getinfo -c trade >"$T/info$n.out" 2>&1 ||
			fail "peer channel getinfo on org $n: $(cat "$T/info$n.out")"
		PH[$n]=$(sed -n 's/^Blockchain info: //p' "$T/info$n.out" | jq -r .height)
	done
}
# The orderers have the blocks when the workflow ends; the peers pull them
# from the orderers (Fabric's deliver client) a moment later.
for ((i = 0; i < 60; i++)); do
	heights
	[ "${OH[*]} ${PH[*]}" = "4 4 4 4 4 4" ] && break
	sleep 1
done
echo "orderer heights: ${OH[*]}; peer heights: ${PH[*]}"
for n in 1 2 3; do
	[ "${OH[$n]}" = 4 ] && [ "${PH[$n]}" = 4 ] ||
		{ tail -n 20 "$T"/a$n/process/peer0/node.log; fail "org $n: orderer height ${OH[$n]}, peer height ${PH[$n]}, want 4 (genesis + 3 anchor updates)"; }
done
ok "the channel is on 3 real orderers and 3 real peers, all at height 4 (osnadmin, peer channel getinfo)"
if [ -n "$NS_NET" ]; then
	for n in 1 2 3; do
		ps=$(org_ps $n)
		for prog in fabfed-agent orderer peer; do
			grep -qw -- "$prog" <<<"$ps" ||
				fail "no $prog runs in Org${n}MSP's namespace ${NS_NS[$n]} (there: $ps)"
		done
	done
	ok "each org's agent, orderer and peer run in the org's own namespace, at its own address (${IP[*]})"
fi

FABRIC_CFG_PATH=$FCFG CORE_PEER_LOCALMSPID=Org1MSP CORE_PEER_MSPCONFIGPATH="$(admin 1)/msp" \
    CORE_PEER_ADDRESS="${IP[1]}:${PP[1]}" CORE_PEER_TLS_ENABLED=true \
    CORE_PEER_TLS_ROOTCERT_FILE="$(tlsca 1)" \
    ns_exec 1 "$FABRIC_BIN/peer" channel fetch config "$T/config.block" -c trade \
    -o "${IP[1]}:${OP[1]}" --tls --cafile "$(tlsca 1)" >"$T/fetch.out" 2>&1 ||
	fail "peer channel fetch config: $(cat "$T/fetch.out")"
"$FABRIC_BIN/configtxlator" proto_decode --type common.Block --input "$T/config.block" \
	--output "$T/config.json" || fail "configtxlator cannot decode the config block"
for n in 1 2 3; do
	anchor=$(jq -r ".data.data[0].payload.data.config.channel_group.groups.Application.groups.Org${n}MSP.values.AnchorPeers.value.anchor_peers[0] | \"\\(.host):\\(.port)\"" "$T/config.json")
	[ "$anchor" = "${IP[$n]}:${PP[$n]}" ] || fail "Org${n}MSP's anchor peer in the channel config is $anchor, want ${IP[$n]}:${PP[$n]}"
done
signer=$(jq -r '.data.data[0].payload.data.last_update.payload.data.signatures | map(.signature_header.creator.mspid) | join(",")' "$T/config.json")
case "$signer" in Org[123]MSP) ;; *) fail "the last update's signatures: $signer (want one org's own admin)";; esac
ok "each org's anchor peer is in the channel config; the last update was signed by $signer alone"

# Once converged, a restart changes nothing: the finished workflow record
# is not rewritten and no org submits another update (heights stay 4).
wbefore=$(etcdrev workflows/create-channel-trade)
ctrl_stop "$CTRL_PID" KILL
ctrl_start "$d" ctl3 --etcd "$ETCD_ENDPOINT" --listen "$CTRL_ADDR"
expect_rc 0 ctl "$d" apply -f "$T/consortium.yaml" --wait --timeout 1m
sleep 3
[ "$(etcdrev workflows/create-channel-trade)" = "$wbefore" ] ||
	fail "the finished workflow was rewritten after a restart"
for n in 1 2 3; do
	FABRIC_CFG_PATH=$FCFG CORE_PEER_LOCALMSPID=Org${n}MSP \
	    CORE_PEER_MSPCONFIGPATH="$(admin $n)/msp" CORE_PEER_ADDRESS="${IP[$n]}:${PP[$n]}" \
	    CORE_PEER_TLS_ENABLED=true CORE_PEER_TLS_ROOTCERT_FILE="$(tlsca $n)" \
	    ns_exec $n "$FABRIC_BIN/peer" channel getinfo -c trade >"$T/info$n.out" 2>&1
	h=$(sed -n 's/^Blockchain info: //p' "$T/info$n.out" | jq -r .height)
	[ "$h" = 4 ] || fail "org $n's peer is at height $h after the second restart, want 4"
done
ok "a converged consortium survives a controller restart untouched (record revision and heights unchanged)"

# ---- add a fourth org: the existing orgs' agents sign, its peer joins.
# Org4 gets a namespace of its own on the same bridge.
if [ -n "$NS_NET" ]; then
	ns_org 4 || fail "netns: $NS_ERR"
	IP[4]=${NS_IP[4]}
else
	IP[4]=127.0.0.1
fi
PP[4]=$(free_port)
sed -e '/^  channels:/,$d' "$T/consortium.yaml" >"$T/c4.yaml"
cat >>"$T/c4.yaml" <<YAML
    - mspId: Org4MSP
      domain: org4.example.com
      cluster: {name: chengdu, region: cn-west}
      peers: [{name: peer0, endpoint: "${IP[4]}:${PP[4]}", anchor: true}]
  channels:
    - name: trade
      consenters: [Org1MSP/orderer0, Org2MSP/orderer0, Org3MSP/orderer0]
      members: [Org1MSP, Org2MSP, Org3MSP, Org4MSP]
      batch: {timeout: 200ms}
YAML
expect_rc 0 ctl "$d" apply -f "$T/c4.yaml"
start_agent 4
t0=$EPOCHREALTIME
# SIGKILL the controller in the middle of the add-org workflow (once the
# update is prepared), restart it, and let apply --wait see it through.
astep() {
	acurl "$d" /v1/consortia/trade-finance/workflows 2>/dev/null |
		jq -r '.items[] | select(.id == "add-org-trade-Org4MSP") | .step' 2>/dev/null
}
s=''
for ((i = 0; i < 600; i++)); do
	s=$(astep || true)
	case "$s" in sign | submit | join-peers | anchor-peers | null) break ;; esac
	sleep 0.1
done
case "$s" in sign | submit | join-peers | anchor-peers) ;;
*) fail "the add-org workflow was not seen past prepare in 60 s (step: $s)" ;;
esac
urev=$(etcdrev channels/trade/updates/add-org-trade-Org4MSP)
ctrl_stop "$CTRL_PID" KILL
ok "controller SIGKILLed in the middle of add-org-trade-Org4MSP (at $s)"
ctrl_start "$d" ctl4 --etcd "$ETCD_ENDPOINT" --listen "$CTRL_ADDR"
rc=0
ctl "$d" apply -f "$T/c4.yaml" --wait --timeout 4m >"$T/wait4.out" 2>&1 || rc=$?
t1=$EPOCHREALTIME
[ "$(etcdrev channels/trade/updates/add-org-trade-Org4MSP)" = "$urev" ] ||
	fail "the prepared update was rewritten after the restart"
cat "$T/wait4.out"
if [ "$rc" != 0 ]; then
	ctl "$d" describe workflow add-org-trade-Org4MSP --consortium trade-finance || true
	for n in 1 2 3 4; do echo "--- agent $n"; tail -n 20 "$T/agent$n.log"; done
	fail "apply --wait (add Org4MSP) exited $rc"
fi
expect_rc 0 ctl "$d" describe workflow add-org-trade-Org4MSP --consortium trade-finance
contains "$OUT" "succeeded"
peer_height() {  # peer_height N: org N's peer's height of trade, as its admin
	fab_peer "$1" channel getinfo -c trade 2>/dev/null |
		sed -n 's/^Blockchain info: //p' | jq -r .height
}
h1='' h4=''
for ((i = 0; i < 60; i++)); do
	h1=$(peer_height 1 || true)
	h4=$(peer_height 4 || true)
	[ -n "$h4" ] && [ "$h4" = "$h1" ] && [ "$h1" -ge 5 ] && break
	sleep 1
done
# Exactly one more block: the add-org update, submitted once (Org4's own
# anchor peers came with its group, so its anchor-peers task had nothing
# to change).
[ "$h4" = 5 ] && [ "$h1" = 5 ] ||
	fail "Org4's peer is at height '$h4', Org1's at '$h1' (want 5 both: one block for the add)"
config_json() {  # config_json N OUT: the channel's config block, decoded, as org N
	fab_config_json "$1" 1 "$2"
}
appjq='.data.data[0].payload.data.config.channel_group.groups.Application.groups | keys | join(",")'
sigjq='.data.data[0].payload.data.last_update.payload.data.signatures | map(.signature_header.creator.mspid) | sort | unique | join(",")'
config_json 1 "$T/config4.json"
apporgs=$(jq -r "$appjq" "$T/config4.json")
[ "$apporgs" = "Org1MSP,Org2MSP,Org3MSP,Org4MSP" ] || fail "the channel's orgs after the add: $apporgs"
signers=$(jq -r "$sigjq" "$T/config4.json")
nsig=$(tr ',' '\n' <<<"$signers" | grep -c 'Org[123]MSP' || true)
[ "$nsig" -ge 2 ] && ! grep -q Org4MSP <<<"$signers" ||
	fail "the add-org update was signed by $signers; want at least 2 of Org1-3MSP (MAJORITY of 3), not Org4MSP"
if [ -n "$NS_NET" ]; then
	ps=$(org_ps 4)
	for prog in fabfed-agent peer; do
		grep -qw -- "$prog" <<<"$ps" || fail "no $prog runs in Org4MSP's namespace ${NS_NS[4]} (there: $ps)"
	done
fi
ok "Org4MSP added in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s through a controller SIGKILL: the update the orderer accepted is signed by $signers (each by its own agent's signer); Org4's peer joined${NS_NS[4]:+ from its own namespace at ${IP[4]}} and is at height $h4 like Org1's"

# ---- remove Org2MSP from the channel: a MAJORITY of the 4 members sign.
sed -e 's/members: \[Org1MSP, Org2MSP, Org3MSP, Org4MSP\]/members: [Org1MSP, Org3MSP, Org4MSP]/' \
	"$T/c4.yaml" >"$T/c5.yaml"
grep -q 'members: \[Org1MSP, Org3MSP, Org4MSP\]' "$T/c5.yaml" || fail "c5.yaml was not written"
rc=0
ctl "$d" apply -f "$T/c5.yaml" --wait --timeout 4m >"$T/wait5.out" 2>&1 || rc=$?
cat "$T/wait5.out"
if [ "$rc" != 0 ]; then
	ctl "$d" describe workflow remove-org-trade-Org2MSP --consortium trade-finance || true
	fail "apply --wait (remove Org2MSP) exited $rc"
fi
config_json 1 "$T/config5.json"
apporgs=$(jq -r "$appjq" "$T/config5.json")
[ "$apporgs" = "Org1MSP,Org3MSP,Org4MSP" ] || fail "the channel's orgs after the removal: $apporgs"
signers=$(jq -r "$sigjq" "$T/config5.json")
[ "$(tr ',' '\n' <<<"$signers" | wc -l)" -ge 3 ] ||
	fail "the remove-org update was signed by $signers; want 3 of 4 (MAJORITY)"
ok "Org2MSP removed from the channel: the update is signed by $signers"
echo PASS
