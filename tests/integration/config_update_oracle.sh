#!/usr/bin/env bash
# config_update_oracle.sh: the config updates and ConfigSignatures fabfed
# builds (lib/fabric_update.c) are what Fabric reads and computes.
#
# test_fabric_update (FABFED_UPDATE_OUT set) writes, for the example
# consortium with real PKIs, before/after configs (add an org, remove an
# org, set anchor peers, add and remove a consenter, change the batch size,
# no change), our ConfigUpdate for each, and a ConfigUpdateEnvelope signed
# by Org1's admin.
#  - The envelope is decoded layer by layer with `protoc --decode` against
#    the official fabric-protos files: ConfigUpdateEnvelope, ConfigUpdate,
#    SignatureHeader, msp.SerializedIdentity; the signature is checked with
#    `openssl dgst -sha256 -verify` over signature_header || config_update.
#  - With FABRIC_BIN holding configtxlator, `configtxlator compute_update`
#    on the same pairs gives the same update as ours (compared as decoded
#    JSON: Go writes map entries in random order), and refuses the pair
#    without differences as we do.
#
# Skips (77) only when tests/oracles/node_modules/fabric-protos is absent.
set -euo pipefail

src=${FABFED_SRC:?FABFED_SRC not set}
build=${FABFED_BUILD:?FABFED_BUILD not set}
. "$src/tests/integration/helpers/oracle.sh"
prog="$build/tests/test_fabric_update"

oracle_require_protos common/configtx.proto
command -v protoc >/dev/null 2>&1 ||
	{ echo "FAIL: protoc not found (Debian package protobuf-compiler)" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 ||
	{ echo "FAIL: python3 not found" >&2; exit 1; }
command -v openssl >/dev/null 2>&1 ||
	{ echo "FAIL: openssl not found" >&2; exit 1; }
[ -x "$prog" ] || { echo "FAIL: $prog is not built" >&2; exit 1; }

T=$(mktemp -d /tmp/fabfed-update-oracle.XXXXXX)
trap 'rm -rf "$T"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok - $*"; }

# extract TEXT FIELD OUT: the bytes of the first top-level `FIELD: "..."`
# line of protoc's TEXT, written raw to OUT.
extract() {
	python3 - "$@" <<'EOF'
import codecs, sys
text, field, out = sys.argv[1], sys.argv[2], sys.argv[3]
for line in open(text, encoding="latin-1"):
    s = line.rstrip("\n")
    if s.startswith(field + ': "') and s.endswith('"'):
        raw = s[len(field) + 3:-1].encode("latin-1")
        open(out, "wb").write(codecs.escape_decode(raw)[0])
        sys.exit(0)
sys.exit("no field %s found" % field)
EOF
}

want() {
	if grep -Eq -- "$2" "$1"; then ok "$3"; else fail "$3: no line /$2/ in $(basename "$1")"; fi
}

FABFED_UPDATE_OUT="$T" "$prog" >"$T/prog.log" 2>&1 ||
	{ cat "$T/prog.log" >&2; echo "FAIL: test_fabric_update could not write the pairs" >&2; exit 1; }
[ -s "$T/cases.txt" ] && [ -s "$T/envelope.pb" ] ||
	{ echo "FAIL: nothing written" >&2; exit 1; }

# The signed envelope, layer by layer.
decode common.ConfigUpdateEnvelope common/configtx.proto "$T/envelope.pb" "$T/env.txt"
[ "$(grep -c '^signatures {' "$T/env.txt" || true)" -eq 1 ] &&
	ok "envelope has one ConfigSignature" || fail "envelope has not one signature"
extract "$T/env.txt" config_update "$T/cu.bin"
decode common.ConfigUpdate common/configtx.proto "$T/cu.bin" "$T/cu.txt"
want "$T/cu.txt" '^channel_id: "trade"$' "config update for channel trade"
want "$T/cu.txt" '^read_set \{$' "config update has a read set"
want "$T/cu.txt" '^write_set \{$' "config update has a write set"
want "$T/cu.txt" '^ *key: "AnchorPeers"$' "write set holds AnchorPeers"
python3 - "$T/env.txt" "$T/shdr.bin" "$T/sig.der" <<'EOF' || fail "no signature_header/signature in the envelope"
import codecs, sys
text, hdr, sig = sys.argv[1:4]
got = {}
for line in open(text, encoding="latin-1"):
    s = line.strip()
    for f in ("signature_header", "signature"):
        if s.startswith(f + ': "') and f not in got:
            got[f] = codecs.escape_decode(s[len(f) + 3:-1].encode("latin-1"))[0]
open(hdr, "wb").write(got["signature_header"])
open(sig, "wb").write(got["signature"])
EOF
decode common.SignatureHeader common/common.proto "$T/shdr.bin" "$T/shdr.txt"
want "$T/shdr.txt" '^nonce: "' "signature header has a nonce"
extract "$T/shdr.txt" creator "$T/creator.bin"
decode msp.SerializedIdentity msp/identities.proto "$T/creator.bin" "$T/creator.txt"
want "$T/creator.txt" '^mspid: "Org1MSP"$' "creator is Org1MSP"
want "$T/creator.txt" '^id_bytes: "-----BEGIN CERTIFICATE-----' "creator carries a PEM certificate"
extract "$T/creator.txt" id_bytes "$T/creator.pem"
cmp -s "$T/creator.pem" "$T/admin.pem" && ok "creator certificate is the admin's" ||
	fail "creator certificate differs from the admin's"

# The signature covers signature_header || config_update.
cat "$T/shdr.bin" "$T/cu.bin" >"$T/signed.check"
cmp -s "$T/signed.check" "$T/signed.bin" && ok "signed bytes are signature_header || config_update" ||
	fail "signed bytes are not signature_header || config_update"
openssl x509 -in "$T/admin.pem" -pubkey -noout >"$T/admin.pub"
if openssl dgst -sha256 -verify "$T/admin.pub" -signature "$T/sig.der" \
    "$T/signed.check" >"$T/verify.out" 2>&1; then
	ok "openssl verifies the ConfigSignature"
else
	fail "openssl does not verify the ConfigSignature: $(cat "$T/verify.out")"
fi

# Every update decodes with the official files.
while read -r name what; do
	[ "$what" = differs ] || continue
	decode common.ConfigUpdate common/configtx.proto "$T/$name.ours.pb" "$T/$name.txt"
	want "$T/$name.txt" '^write_set \{$' "$name: ConfigUpdate decodes with a write set"
done <"$T/cases.txt"

if [ -z "${FABRIC_BIN:-}" ] || [ ! -x "$FABRIC_BIN/configtxlator" ]; then
	echo "note: FABRIC_BIN unset or without configtxlator: Fabric's compute_update not compared"
else
	ctl=$FABRIC_BIN/configtxlator
	while read -r name what; do
		if [ "$what" = same ]; then
			if "$ctl" compute_update --channel_id trade \
			    --original "$T/$name.orig.pb" --updated "$T/$name.upd.pb" \
			    --output "$T/$name.ctl.pb" >"$T/$name.ctl.err" 2>&1; then
				fail "$name: configtxlator found differences"
			elif grep -q "no differences detected" "$T/$name.ctl.err"; then
				ok "$name: configtxlator and fabfed both find no differences"
			else
				fail "$name: configtxlator failed otherwise: $(cat "$T/$name.ctl.err")"
			fi
			continue
		fi
		"$ctl" compute_update --channel_id trade --original "$T/$name.orig.pb" \
		    --updated "$T/$name.upd.pb" --output "$T/$name.ctl.pb" ||
			{ fail "$name: configtxlator compute_update failed"; continue; }
		"$ctl" proto_decode --type common.ConfigUpdate --input "$T/$name.ctl.pb" \
		    --output "$T/$name.ctl.json"
		"$ctl" proto_decode --type common.ConfigUpdate --input "$T/$name.ours.pb" \
		    --output "$T/$name.ours.json"
		if python3 - "$T/$name.ctl.json" "$T/$name.ours.json" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))
sys.exit(0 if a == b else 1)
EOF
		then
			ok "$name: our update equals configtxlator compute_update's"
		else
			fail "$name: our update differs from configtxlator's"
			diff <(python3 -m json.tool --sort-keys "$T/$name.ctl.json") \
			    <(python3 -m json.tool --sort-keys "$T/$name.ours.json") | head -40 >&2
		fi
	done <"$T/cases.txt"
	"$ctl" proto_decode --type common.ConfigUpdateEnvelope --input "$T/envelope.pb" \
	    --output "$T/envelope.json" && grep -q '"mspid": "Org1MSP"' "$T/envelope.json" &&
		ok "configtxlator reads the signed envelope" ||
		fail "configtxlator cannot read the signed envelope"
fi

if [ "$failures" -ne 0 ]; then
	echo "FAIL: $failures check(s) failed" >&2
	exit 1
fi
echo "PASS: config_update_oracle"
