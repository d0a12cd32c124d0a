#!/usr/bin/env bash
# fabric_tx_oracle.sh: the signed messages lib/fabric_tx.c builds are what
# Fabric's own message definitions read, and their signatures verify with
# openssl(1) over the bytes Fabric verifies.
#
# itest_fabric_tx writes one of each (see its header). Each is decoded
# layer by layer with `protoc --decode` against the official .proto files
# of the fabric-protos npm package (tests/oracles):
#   SignedProposal -> Proposal -> Header -> ChannelHeader (+ its
#     ChaincodeHeaderExtension) and SignatureHeader -> SerializedIdentity;
#     Proposal.payload -> ChaincodeProposalPayload -> ChaincodeInvocationSpec
#   Envelope -> Payload -> ChannelHeader, SignatureHeader -> SerializedIdentity;
#     Payload.data -> SeekInfo or ConfigUpdateEnvelope
# Bytes fields are taken out of protoc's text with Python's C-escape
# decoder. The tx_id is recomputed (SHA-256 of nonce || creator) and each
# signature is checked with `openssl dgst -sha256 -verify`.
#
# Skips (77) only when tests/oracles/node_modules/fabric-protos is absent.
set -euo pipefail

src=${FABFED_SRC:?FABFED_SRC not set}
build=${FABFED_BUILD:?FABFED_BUILD not set}
. "$src/tests/integration/helpers/oracle.sh"
prog="$build/tests/itest_fabric_tx"

oracle_require_protos common/common.proto
for c in protoc python3 openssl; do
	command -v "$c" >/dev/null 2>&1 || { echo "FAIL: $c not found" >&2; exit 1; }
done
[ -x "$prog" ] || { echo "FAIL: $prog is not built" >&2; exit 1; }

T=$(mktemp -d /tmp/fabfed-ftx-oracle.XXXXXX)
trap 'rm -rf "$T"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok - $*"; }

# extract TEXT FIELD OUT: the bytes of the first `FIELD: "..."` line of
# protoc's TEXT (any depth), written raw to OUT; "" if absent.
extract() {
	python3 - "$@" <<'EOF'
import codecs, sys
text, field, out = sys.argv[1:4]
data = b""
for line in open(text, encoding="latin-1"):
    s = line.strip()
    if s.startswith(field + ': "') and s.endswith('"'):
        data = codecs.escape_decode(s[len(field) + 3:-1].encode("latin-1"))[0]
        break
open(out, "wb").write(data)
EOF
}

# same TEXT EXPECTED_FILE WHAT: protoc's text equals the expected text.
same() {
	if diff -u "$2" "$1" >"$1.diff"; then ok "$3"; else fail "$3:"; cat "$1.diff" >&2; fi
}

# want FILE REGEX WHAT: FILE has a line matching REGEX.
want() {
	if grep -Eq -- "$2" "$1"; then ok "$3"; else fail "$3: no line /$2/ in $(basename "$1")"; cat "$1" >&2; fi
}

# verify MSG SIG WHAT: openssl verifies SIG (DER) over MSG with pub.pem.
verify() {
	if openssl dgst -sha256 -verify "$O/pub.pem" -signature "$2" "$1" >/dev/null 2>&1; then
		ok "$3: openssl verifies the signature"
	else
		fail "$3: openssl does not verify the signature"
	fi
}

# headers NAME CH_BYTES SH_BYTES TYPE CHANNEL: the channel header and
# signature header as Fabric reads them; creator and tx_id checked.
headers() {
	local n=$1
	decode common.ChannelHeader common/common.proto "$2" "$T/$n.ch"
	decode common.SignatureHeader common/common.proto "$3" "$T/$n.sh"
	want "$T/$n.ch" "^type: $4\$" "$n: header type $4"
	if [ -z "$5" ]; then
		if grep -q '^channel_id:' "$T/$n.ch"; then fail "$n: a channel is named"; else ok "$n: no channel (the peer itself)"; fi
	else
		want "$T/$n.ch" "^channel_id: \"$5\"\$" "$n: channel $5"
	fi
	if grep -Eq '^(version|epoch):' "$T/$n.ch"; then fail "$n: version or epoch not 0"; else ok "$n: version 0, epoch 0"; fi
	want "$T/$n.ch" '^  seconds: [0-9]+$' "$n: a timestamp"
	extract "$T/$n.sh" creator "$T/$n.creator"
	extract "$T/$n.sh" nonce "$T/$n.nonce"
	decode msp.SerializedIdentity msp/identities.proto "$T/$n.creator" "$T/$n.si"
	want "$T/$n.si" '^mspid: "Org1MSP"$' "$n: creator MSP Org1MSP"
	extract "$T/$n.si" id_bytes "$T/$n.idbytes"
	if cmp -s "$T/$n.idbytes" "$O/cert.pem"; then ok "$n: creator id_bytes is the PEM certificate"; else fail "$n: creator id_bytes differ from cert.pem"; fi
	[ "$(stat -c %s "$T/$n.nonce")" = 24 ] && ok "$n: 24-byte nonce" || fail "$n: nonce is not 24 bytes"
	local txid got
	txid=$(cat "$T/$n.nonce" "$T/$n.creator" | sha256sum | cut -d' ' -f1)
	got=$(sed -n 's/^tx_id: "\(.*\)"$/\1/p' "$T/$n.ch")
	[ "$got" = "$txid" ] && ok "$n: tx_id = sha256(nonce || creator)" ||
		fail "$n: tx_id $got, want $txid"
}

# proposal NAME CC TYPE: a SignedProposal down to its invocation; leaves
# $T/NAME.cis (protoc's text of the ChaincodeInvocationSpec).
proposal() {
	local n=$1
	decode protos.SignedProposal peer/proposal.proto "$O/$n.bin" "$T/$n.sp"
	extract "$T/$n.sp" proposal_bytes "$T/$n.prop"
	extract "$T/$n.sp" signature "$T/$n.sig"
	verify "$T/$n.prop" "$T/$n.sig" "$n (over proposal_bytes)"
	decode protos.Proposal peer/proposal.proto "$T/$n.prop" "$T/$n.p"
	if grep -q '^extension:' "$T/$n.p"; then fail "$n: proposal extension set"; fi
	extract "$T/$n.p" header "$T/$n.hdr"
	extract "$T/$n.p" payload "$T/$n.cppb"
	decode common.Header common/common.proto "$T/$n.hdr" "$T/$n.h"
	extract "$T/$n.h" channel_header "$T/$n.chb"
	extract "$T/$n.h" signature_header "$T/$n.shb"
	headers "$n" "$T/$n.chb" "$T/$n.shb" "$3" ""
	extract "$T/$n.ch" extension "$T/$n.extb"
	decode protos.ChaincodeHeaderExtension peer/proposal.proto "$T/$n.extb" "$T/$n.ext"
	printf 'chaincode_id {\n  name: "%s"\n}\n' "$2" >"$T/$n.ext.want"
	same "$T/$n.ext" "$T/$n.ext.want" "$n: ChaincodeHeaderExtension names $2"
	decode protos.ChaincodeProposalPayload peer/proposal.proto "$T/$n.cppb" "$T/$n.cpp"
	if grep -q 'TransientMap' "$T/$n.cpp"; then fail "$n: transient data"; fi
	extract "$T/$n.cpp" input "$T/$n.cisb"
	decode protos.ChaincodeInvocationSpec peer/chaincode.proto "$T/$n.cisb" "$T/$n.cis"
}

# envelope NAME TYPE: an Envelope down to its data ($T/NAME.data).
envelope() {
	local n=$1
	decode common.Envelope common/common.proto "$O/$n.bin" "$T/$n.env"
	extract "$T/$n.env" payload "$T/$n.pl"
	extract "$T/$n.env" signature "$T/$n.sig"
	verify "$T/$n.pl" "$T/$n.sig" "$n (over the payload)"
	decode common.Payload common/common.proto "$T/$n.pl" "$T/$n.payload"
	extract "$T/$n.payload" channel_header "$T/$n.chb"
	extract "$T/$n.payload" signature_header "$T/$n.shb"
	extract "$T/$n.payload" data "$T/$n.data"
	headers "$n" "$T/$n.chb" "$T/$n.shb" "$2" trade
}

O="$T/out"
mkdir "$O"
"$prog" "$O" >"$T/prog.log" 2>&1 || { cat "$T/prog.log" >&2; echo "FAIL: itest_fabric_tx failed" >&2; exit 1; }

# --- JoinChain ---------------------------------------------------------------
proposal join cscc 1
python3 - "$O/block.bin" >"$T/join.cis.want" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
def esc(bs):
    out = []
    for c in bs:
        if c == 9: out.append("\\t")
        elif c == 10: out.append("\\n")
        elif c == 13: out.append("\\r")
        elif c == 34: out.append('\\"')
        elif c == 39: out.append("\\'")
        elif c == 92: out.append("\\\\")
        elif c < 32 or c > 126: out.append("\\%03o" % c)
        else: out.append(chr(c))
    return "".join(out)
print('chaincode_spec {\n  type: GOLANG\n  chaincode_id {\n    name: "cscc"\n  }\n  input {\n'
      '    args: "JoinChain"\n    args: "%s"\n  }\n}' % esc(b))
EOF
same "$T/join.cis" "$T/join.cis.want" "join: ChaincodeInvocationSpec is cscc JoinChain(block), GOLANG"
if grep -q tls_cert_hash "$T/join.ch"; then fail "join: tls_cert_hash set"; fi

# --- GetChannels, GetChainInfo ---------------------------------------------------
proposal channels cscc 3
printf 'chaincode_spec {\n  type: GOLANG\n  chaincode_id {\n    name: "cscc"\n  }\n  input {\n    args: "GetChannels"\n  }\n}\n' >"$T/channels.cis.want"
same "$T/channels.cis" "$T/channels.cis.want" "channels: cscc GetChannels"
proposal chaininfo qscc 3
printf 'chaincode_spec {\n  type: GOLANG\n  chaincode_id {\n    name: "qscc"\n  }\n  input {\n    args: "GetChainInfo"\n    args: "trade"\n  }\n}\n' >"$T/chaininfo.cis.want"
same "$T/chaininfo.cis" "$T/chaininfo.cis.want" "chaininfo: qscc GetChainInfo(trade)"

# --- SeekInfo envelopes ----------------------------------------------------------
envelope seek_newest 5
decode orderer.SeekInfo orderer/ab.proto "$T/seek_newest.data" "$T/seek_newest.si"
cat >"$T/seek_newest.si.want" <<'EOF'
start {
  newest {
  }
}
stop {
  newest {
  }
}
behavior: FAIL_IF_NOT_READY
error_response: BEST_EFFORT
EOF
same "$T/seek_newest.si" "$T/seek_newest.si.want" "seek_newest: SeekInfo newest..newest, FAIL_IF_NOT_READY, BEST_EFFORT"
extract "$T/seek_newest.ch" tls_cert_hash "$T/seek_newest.tls"
python3 -c 'import sys; sys.exit(0 if open(sys.argv[1],"rb").read() == bytes(range(0xa0, 0xc0)) else 1)' \
	"$T/seek_newest.tls" && ok "seek_newest: tls_cert_hash carried" || fail "seek_newest: tls_cert_hash differs"

envelope seek_range 5
decode orderer.SeekInfo orderer/ab.proto "$T/seek_range.data" "$T/seek_range.si"
cat >"$T/seek_range.si.want" <<'EOF'
start {
  specified {
    number: 3
  }
}
stop {
  specified {
    number: 9
  }
}
EOF
same "$T/seek_range.si" "$T/seek_range.si.want" "seek_range: SeekInfo 3..9, BLOCK_UNTIL_READY, STRICT (defaults, not on the wire)"
if grep -q tls_cert_hash "$T/seek_range.ch"; then fail "seek_range: tls_cert_hash set"; fi

envelope seek_oldest 5
decode orderer.SeekInfo orderer/ab.proto "$T/seek_oldest.data" "$T/seek_oldest.si"
printf 'start {\n  oldest {\n  }\n}\nstop {\n  newest {\n  }\n}\n' >"$T/seek_oldest.si.want"
same "$T/seek_oldest.si" "$T/seek_oldest.si.want" "seek_oldest: SeekInfo oldest..newest"

# --- CONFIG_UPDATE envelope ---------------------------------------------------------
envelope config_update 2
if cmp -s "$T/config_update.data" "$O/cue.bin"; then ok "config_update: data is the ConfigUpdateEnvelope"; else fail "config_update: data differs"; fi
decode common.ConfigUpdateEnvelope common/configtx.proto "$T/config_update.data" "$T/config_update.cue"
printf 'config_update: "update"\n' >"$T/config_update.cue.want"
same "$T/config_update.cue" "$T/config_update.cue.want" "config_update: ConfigUpdateEnvelope decodes"

if [ "$failures" -ne 0 ]; then
	echo "FAIL: $failures check(s) failed" >&2
	exit 1
fi
echo "PASS: fabric_tx_oracle"
