# scripts/demo as a reader runs it (binaries already built by ctest's
# build): the controller on its embedded etcd, one agent per org (each in
# its own network namespace where this machine allows it, else all on
# 127.0.0.1), one `fabfedctl apply --wait` that converges, the converged
# consortium printed, and everything the demo started stopped and removed.
# Without FABRIC_BIN the agents use the manifests runtime and the demo must
# say which steps were rendered for GitOps rather than carried out; with
# FABRIC_BIN the channel must be on real peers, all at the same height.
. "$FABFED_SRC/tests/integration/lib.sh"

limit=300
[ -z "${FABRIC_BIN:-}" ] || limit=900
t0=$(date +%s)
rc=0
out=$(FABFED_DEMO_NO_BUILD=1 FABFED_BIN="$FABFED_BIN" timeout -k 20 "$limit" \
	bash "$FABFED_SRC/scripts/demo" 2>&1) || rc=$?
secs=$(($(date +%s) - t0))
[ "$rc" = 0 ] || fail "demo exited $rc after $secs s (limit $limit s): $out"
ok "scripts/demo finished in $secs s"

contains "$out" "trade-finance created"
contains "$out" "trade-finance unchanged"
contains "$out" "spec.orgs[1].mspId"
contains "$out" "region cn-south"
for n in 1 2 3; do contains "$out" "enrolled Org${n}MSP in consortium trade-finance"; done
[ "$(grep -c '^Org[123]MSP   ready ' <<<"$out")" -ge 6 ] || fail "demo: not every org ready (before and after the workflow): $out"
ok "the demo applies its consortium, rejects a broken one, enrolls three agents, all ready"

# Where the orgs ran: namespaces (endpoints and controller on the bridge's
# /24) or 127.0.0.1, with a note saying why.
if grep -q 'Starting over with every org on 127.0.0.1' <<<"$out"; then
	# This agent cannot join orderers from a namespace (its orderers' TLS
	# certificates lack 127.0.0.1): the demo said so and started over.
	contains "$out" "note: every org runs on 127.0.0.1 (the orderers' TLS certificates do not name 127.0.0.1)"
	where="127.0.0.1, after giving up namespaces (orderer TLS certificates without 127.0.0.1)"
elif grep -q '^Org1MSP: namespace ' <<<"$out"; then
	net=$(sed -n 's/^bridge [^ ]* at \([0-9.]*\)\.1\/24.*/\1/p' <<<"$out")
	[ -n "$net" ] || fail "demo: namespaces but no bridge address: $out"
	for n in 1 2 3; do contains "$out" "peer0 $net.$((10 + n)):7051, orderer0 $net.$((10 + n)):7050"; done
	contains "$out" "controller on https://$net.1:"
	grep -qE '^(tc netem: 25 ms|note: the links are not delayed: )' <<<"$out" ||
		fail "demo: says nothing about the links' delay: $out"
	where="namespaces on $net.0/24"
else
	contains "$out" "note: every org runs on 127.0.0.1"
	contains "$out" "controller on https://127.0.0.1:"
	where="127.0.0.1"
fi
ok "the orgs ran in $where"

# apply --wait converged, and the converged consortium is shown.
contains "$out" "apply -f"
grep -qE '^converged in [0-9]' <<<"$out" || fail "demo: apply --wait did not say it converged: $out"
contains "$out" "create-channel-trade   create-channel   trade"
contains "$out" "Name:         create-channel-trade"
if [ -z "${FABRIC_BIN:-}" ]; then
	contains "$out" "three agents run (manifests runtime: no FABRIC_BIN)"
	contains "$out" "State:        rendered"
	contains "$out" "workflow create-channel-trade ended rendered."
	contains "$out" "carried out by fabfed: collect, genesis"
	contains "$out" "rendered for GitOps, not carried out: join-orderers, join-peers, anchor-peers"
	contains "$out" "30-statefulset-peer0.yaml"
	for n in 1 2 3; do
		grep -qE "/org$n/manifests/channels/trade/: .*join-orderer0\.sh.*join-peer0\.sh.*trade\.block" <<<"$out" ||
			fail "demo: org $n's rendered join files are not listed: $out"
	done
	ok "without FABRIC_BIN: the workflow ended rendered, its rendered steps and files are listed"
else
	contains "$out" "three agents run (process runtime)"
	contains "$out" "trade: succeeded"
	contains "$out" "State:        succeeded"
	contains "$out" "channel trade heights: 4 4 4"
	hashes=$(sed -n 's/^Org[123]MSP peer0 at [^ ]*: {"height":4,"currentBlockHash":"\([^"]*\)".*/\1/p' <<<"$out" | sort -u)
	[ "$(grep -c . <<<"$hashes")" = 1 ] ||
		fail "demo: the three peers are not at height 4 with one block hash: $out"
	ok "with FABRIC_BIN: three real peers at height 4 with the same current block ($hashes)"
fi

# Everything it started is gone: processes, namespaces, links, state.
st=$(grep -oE '/tmp/fabfed-demo\.[A-Za-z0-9]+' <<<"$out" | sort -u)
for d in $st; do [ ! -e "$d" ] || fail "demo left $d behind"; done
for p in $(sed -n -e 's/^controller on .*(pid \([0-9]*\)).*/\1/p' \
    -e 's/^agent of Org[123]MSP: pid \([0-9]*\).*/\1/p' <<<"$out"); do
	! kill -0 "$p" 2>/dev/null || fail "demo left process $p running: $(ps -o args= -p "$p")"
done
for n in $(grep -oE 'namespace fabfed-demo-[0-9]+-org[123]' <<<"$out" | awk '{print $2}'); do
	! ip netns list 2>/dev/null | grep -qw "$n" || fail "demo left namespace $n"
done
for l in $(grep -oE 'veth ffd[0-9]+h[123] on ffd[0-9]+br' <<<"$out" | awk '{print $2, $4}'); do
	! ip link show "$l" >/dev/null 2>&1 || fail "demo left link $l"
done
ok "the demo stopped and removed everything it started ($st)"
