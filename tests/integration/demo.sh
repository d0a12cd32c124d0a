# scripts/demo on the embedded default (binaries already built by ctest's build).
. "$FABFED_SRC/tests/integration/lib.sh"
out=$(FABFED_DEMO_NO_BUILD=1 FABFED_BIN="$FABFED_BIN" bash "$FABFED_SRC/scripts/demo" 2>&1) || fail "demo failed: $out"
contains "$out" "trade-finance created"
contains "$out" "trade-finance unchanged"
contains "$out" "Org3MSP"
contains "$out" "cn-south"
contains "$out" "spec.orgs[1].mspId"
ok "scripts/demo applies and shows the example consortium"
