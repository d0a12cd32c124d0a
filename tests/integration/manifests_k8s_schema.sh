#!/usr/bin/env bash
# manifests_k8s_schema.sh: every Kubernetes object the manifests runtime
# renders is valid against the official Kubernetes schemas.
#
# The renderer is driven by the unit test binary (test_manifests with
# FABFED_MANIFESTS_OUT set runs only its render_example case and leaves
# the files): the example consortium's three orgs, each with a real PKI
# made by lib/msp.c, plus a variant org with a CouchDB peer. The files are
# then checked by tests/oracles/validate-k8s.mjs, which uses the
# kubernetes-models npm package (schemas generated from Kubernetes' own
# OpenAPI spec; not written here) and a few API server rules.
#
# The validator is first shown to reject broken objects (a schema type
# error, an invalid name, a dangling reference), so a validator that
# accepts anything cannot make this test pass.
#
# Skips (77) only when node or npm is missing. Installs the validator's
# npm packages (tests/oracles, from its lock file) when they are missing.
set -euo pipefail

src=${FABFED_SRC:?FABFED_SRC not set}
build=${FABFED_BUILD:?FABFED_BUILD not set}
oracles="$src/tests/oracles"
validator="$oracles/validate-k8s.mjs"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "SKIP: node and npm are needed to validate manifests with kubernetes-models (scripts/setup installs them)"
	exit 77
fi
if [ ! -d "$oracles/node_modules/kubernetes-models" ] || [ ! -d "$oracles/node_modules/js-yaml" ]; then
	echo "installing the validator's npm packages into $oracles"
	if [ -f "$oracles/package-lock.json" ]; then
		npm ci --prefix "$oracles" --no-audit --no-fund >/dev/null
	else
		npm install --prefix "$oracles" --no-audit --no-fund >/dev/null
	fi
fi
renderer="$build/tests/test_manifests"
if [ ! -x "$renderer" ]; then
	echo "FAIL: $renderer is not built"
	exit 1
fi

tmp=$(mktemp -d /tmp/manifests_k8s_schema.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*"
	exit 1
}

# expect_reject NAME FILE PATTERN: the validator refuses FILE, saying PATTERN.
expect_reject() {
	local name=$1 dir=$2 pattern=$3 out rc=0
	out=$(node "$validator" "$dir" 2>&1) || rc=$?
	[ "$rc" -eq 1 ] || { echo "$out"; fail "validator accepted $name (exit $rc)"; }
	grep -q -- "$pattern" <<<"$out" || { echo "$out"; fail "validator rejected $name without saying \"$pattern\""; }
	echo "ok: validator rejects $name"
}

# 1. Render.
out="$tmp/out"
FABFED_MANIFESTS_OUT="$out" "$renderer" >"$tmp/render.log" 2>&1 || {
	cat "$tmp/render.log"
	fail "rendering the example consortium failed"
}
for ns in org1msp org2msp org3msp variant-org1msp; do
	[ -d "$out/$ns" ] || fail "no manifests for $ns"
done
nfiles=$(find "$out" -type f -name '*.yaml' | wc -l)
# 3 orgs x 13 objects + the CouchDB variant's 20
[ "$nfiles" -eq 59 ] || fail "expected 59 files, found $nfiles"

# 2. The validator rejects broken objects, each derived from a rendered
#    one so that the check is about the objects we make.
neg="$tmp/neg"
mkdir -p "$neg/type" "$neg/name" "$neg/ref" "$neg/empty"
node -e '
const fs = require("fs");
const [src, neg] = process.argv.slice(1);
const sts = JSON.parse(fs.readFileSync(src + "/org1msp/30-statefulset-peer0.yaml", "utf8"));
const bad = JSON.parse(JSON.stringify(sts));
bad.spec.template.spec.containers[0].ports[0].containerPort = "seven-o-five-one";
fs.writeFileSync(neg + "/type/30-statefulset-peer0.yaml", JSON.stringify(bad, null, 2));
const ns = JSON.parse(fs.readFileSync(src + "/org1msp/00-namespace-org1msp.yaml", "utf8"));
ns.metadata.name = "Org1_MSP";
fs.writeFileSync(neg + "/name/00-namespace.yaml", JSON.stringify(ns, null, 2));
// a StatefulSet alone: its ConfigMap, Secrets and Service are missing
fs.writeFileSync(neg + "/ref/30-statefulset-peer0.yaml", JSON.stringify(sts, null, 2));
' "$out" "$neg"
expect_reject "a containerPort that is a string" "$neg/type" "containerPort must be integer"
expect_reject "a namespace named Org1_MSP" "$neg/name" "is not a DNS-1123 label"
expect_reject "a StatefulSet whose ConfigMap is missing" "$neg/ref" "which is not in the set"
expect_reject "an empty directory" "$neg/empty" "no object found"

# 3. Every rendered object is valid.
rc=0
node "$validator" "$out" >"$tmp/validate.log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
	grep -v '^ok ' "$tmp/validate.log" || true
	fail "rendered manifests are invalid (validator exit $rc)"
fi
tail -n 1 "$tmp/validate.log"
grep -q "^validated $nfiles objects in $nfiles files: 0 invalid" "$tmp/validate.log" ||
	fail "the validator did not check all $nfiles objects"
for kind in Namespace Secret ConfigMap StatefulSet Service; do
	n=$(grep -c "^ok .*: $kind/" "$tmp/validate.log" || true)
	[ "$n" -gt 0 ] || fail "no $kind was validated"
	echo "ok: $n ${kind} objects valid"
done
echo "PASS: $nfiles rendered objects valid against the Kubernetes schemas (kubernetes-models)"
