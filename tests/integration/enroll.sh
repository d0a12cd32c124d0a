# Enrollment end to end: "fabfedctl token create" and "fabfed-agent enroll"
# against a real controller and etcd: CA pinning, single-use tokens, the
# agent's certificate and key, and what that certificate may call.
# Token expiry is left to the controller's tests (the shortest TTL is 60 s).
. "$FABFED_SRC/tests/integration/lib.sh"
ex=$FABFED_SRC/examples/consortium.yaml
AGENT=$FABFED_BIN/fabfed-agent
tokre='^fft1\.[A-Za-z0-9_-]{43}\.[0-9a-f]{64}$'

etcd_start "$T/etcd"
d=$T/ctl
ctrl_init "$d"
ctrl_start "$d" ctl --etcd "$ETCD_ENDPOINT"
url=https://$CTRL_ADDR
expect_rc 0 ctl "$d" apply -f "$ex"

# snap DIR: names, modes and contents of DIR's files (or "absent").
snap() {
	if [ -d "$1" ]; then
		(cd "$1" && stat -c '%n %a %s' -- * 2>/dev/null | sort; sha256sum -- * 2>/dev/null | sort) || true
	else
		echo absent
	fi
}
# tokens_in_etcd: how many token records etcd holds.
tokens_in_etcd() {
	etcdctl --endpoints "$ETCD_ENDPOINT" get /fabfed/v1/tokens/ --prefix --keys-only | grep -c . || true
}

# ---- token create ----
tok1=$(ctl "$d" token create --consortium trade-finance --org Org1MSP --ttl 10m 2>"$T/tok1.err") ||
	fail "token create: $(cat "$T/tok1.err")"
[ "$(printf '%s\n' "$tok1" | wc -l)" = 1 ] || fail "token create printed more than one line on stdout"
[[ $tok1 =~ $tokre ]] || fail "not a token: $tok1"
contains "$(cat "$T/tok1.err")" "expires at "
grep -qF -- "${tok1:5:43}" "$T/tok1.err" && fail "the token's secret is on stderr too"
cahash=$(openssl x509 -in "$d/ca.crt" -outform DER | sha256sum | cut -d' ' -f1)
[ "${tok1##*.}" = "$cahash" ] || fail "token pins ${tok1##*.}, the CA's SHA-256 is $cahash"
[ "$(tokens_in_etcd)" = 1 ] || fail "etcd should hold one token record"
etcdctl --endpoints "$ETCD_ENDPOINT" get "" --prefix >"$T/etcd.dump"
grep -qF -- "${tok1:5:43}" "$T/etcd.dump" && fail "the token's secret is stored in etcd"
ok "token create prints one pinned token; etcd keeps only its hash"

expect_rc 1 ctl "$d" token create --consortium trade-finance --org Org9MSP
contains "$OUT" "error:"
expect_rc 1 ctl "$d" token create --consortium no-such --org Org1MSP
expect_rc 2 ctl "$d" token create --consortium trade-finance --org Org1MSP --ttl 59s
contains "$OUT" "--ttl"
expect_rc 2 ctl "$d" token create --consortium trade-finance
[ "$(tokens_in_etcd)" = 1 ] || fail "a refused token create stored something"
ok "token create refuses an org outside the consortium, an unknown consortium, a bad ttl"

# ---- enroll ----
a1=$T/agent1
expect_rc 0 "$AGENT" enroll --controller "$url" --token "$tok1" --state-dir "$a1"
contains "$OUT" "enrolled Org1MSP in consortium trade-finance (certificate valid until 20"
grep -qF -- "$tok1" <<<"$OUT" && fail "enroll printed the token"
[ "$(stat -c %a "$a1")" = 700 ] || fail "state dir is not 0700"
[ "$(stat -c %a "$a1/agent.key")" = 600 ] || fail "agent.key is not 0600"
for f in ca.crt agent.crt agent.json; do [ -s "$a1/$f" ] || fail "no $f"; done
cmp -s "$a1/ca.crt" "$d/ca.crt" || fail "ca.crt is not the federation CA"
text=$(openssl x509 -in "$a1/agent.crt" -noout -text)
contains "$text" "Subject: O = Org1MSP"
contains "$text" "URI:fabfed://trade-finance/org/Org1MSP"
contains "$text" "TLS Web Client Authentication"
openssl verify -CAfile "$d/ca.crt" "$a1/agent.crt" >/dev/null || fail "agent.crt does not verify against the CA"
[ "$(openssl x509 -in "$a1/agent.crt" -noout -pubkey)" = "$(openssl pkey -in "$a1/agent.key" -pubout)" ] ||
	fail "agent.crt is not for agent.key"
openssl pkey -in "$a1/agent.key" -noout -text | grep -q "NIST CURVE: P-256" || fail "agent.key is not P-256"
python3 - "$a1/agent.json" "$url" <<'EOF' || fail "agent.json"
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d) == ["controller", "consortium", "mspId", "enrolledAt"], d
assert d["controller"] == sys.argv[2] and d["consortium"] == "trade-finance" and d["mspId"] == "Org1MSP", d
assert d["enrolledAt"].endswith("Z"), d
EOF
[ "$(tokens_in_etcd)" = 0 ] || fail "the used token is still in etcd"
ok "enroll writes key 0600, CA, a cert O=Org1MSP URI fabfed://trade-finance/org/Org1MSP that verifies"

# The same token again: refused, nothing but the new agent's key appears.
a2=$T/agent2
expect_rc 1 "$AGENT" enroll --controller "$url" --token "$tok1" --state-dir "$a2"
contains "$OUT" "the join token is unknown, already used or expired"
[ "$(ls "$a2")" = agent.key ] || fail "a refused enroll left $(ls "$a2")"
before=$(snap "$a2")
expect_rc 1 "$AGENT" enroll --controller "$url" --token "$tok1" --state-dir "$a2"
[ "$(snap "$a2")" = "$before" ] || fail "a refused enroll changed $a2"
ok "a used token is refused (exit 1) and changes nothing"

# An unknown token with the right CA hash.
unknown="fft1.$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n').$cahash"
[[ $unknown =~ $tokre ]] || fail "test made a bad token: $unknown"
expect_rc 1 "$AGENT" enroll --controller "$url" --token "$unknown" --state-dir "$a2"
contains "$OUT" "the join token is unknown, already used or expired"
[ "$(snap "$a2")" = "$before" ] || fail "an unknown token changed $a2"
ok "an unknown token is refused"

# A token whose pinned hash is not this controller's CA: refused before
# the token is sent, so the token is still good for the real agent.
tok2=$(ctl "$d" token create --consortium trade-finance --org Org2MSP 2>/dev/null)
[ "$(tokens_in_etcd)" = 1 ] || fail "no record for the second token"
last=${tok2: -1}
[ "$last" = 0 ] && repl=1 || repl=0
bad=${tok2%?}$repl
a3=$T/agent3
expect_rc 1 "$AGENT" enroll --controller "$url" --token "$bad" --state-dir "$a3"
contains "$OUT" "does not match the token's pinned hash"
contains "$OUT" "nothing was sent"
contains "$OUT" "$cahash"
[ -z "$(ls "$a3")" ] || fail "a pin mismatch left $(ls "$a3")"
[ "$(tokens_in_etcd)" = 1 ] || fail "the token was consumed by an agent that refused the CA"
a4=$T/agent4
expect_rc 0 "$AGENT" enroll --controller "$url" --token "$tok2" --state-dir "$a4"
contains "$OUT" "enrolled Org2MSP in consortium trade-finance"
ok "a CA that does not match the pin is refused before sending; the token stays usable"

# A malformed token never reaches the network.
expect_rc 2 "$AGENT" enroll --controller "$url" --token "fft1.short.$cahash" --state-dir "$T/agent5"
contains "$OUT" "secret part has 5 characters"
ok "a malformed token is a usage error"

# The token from stdin (--token-file -), for scripts that keep it off argv.
tok3=$(ctl "$d" token create --consortium trade-finance --org Org3MSP 2>/dev/null)
OUT=$(printf '%s\n' "$tok3" | "$AGENT" enroll --controller "$CTRL_ADDR" --token-file - --state-dir "$T/agent6" 2>&1) ||
	fail "enroll --token-file -: $OUT"
contains "$OUT" "enrolled Org3MSP"
ok "--token-file - reads the token from stdin"

# ---- what the agent's certificate may do ----
acurl_agent() {
	local dir=$1 path=$2
	curl -sS --max-time 20 --cacert "$dir/ca.crt" --cert "$dir/agent.crt" --key "$dir/agent.key" \
		-o /dev/null -w '%{http_code}' "$url$path"
}
[ "$(acurl_agent "$a1" /healthz)" = 200 ] || fail "the agent's cert does not get /healthz"
[ "$(acurl_agent "$a1" /v1/consortia)" = 403 ] || fail "the agent's cert is not 403 on /v1/consortia"
[ "$(acurl_agent "$a1" /v1/consortia/trade-finance)" = 403 ] || fail "the agent's cert reads a consortium"
ok "the agent's certificate works for mutual TLS and gets 403 on the admin API"

# ---- enrolling again keeps the key ----
pub1=$(openssl pkey -in "$a1/agent.key" -pubout)
serial1=$(openssl x509 -in "$a1/agent.crt" -noout -serial)
tok4=$(ctl "$d" token create --consortium trade-finance --org Org1MSP 2>/dev/null)
before=$(snap "$a1")
expect_rc 1 "$AGENT" enroll --controller "$url" --token "$tok4" --state-dir "$a1"
contains "$OUT" "already enrolled"
[ "$(snap "$a1")" = "$before" ] || fail "a refused re-enroll changed $a1"
[ "$(tokens_in_etcd)" = 1 ] || fail "a refused re-enroll used the token"
expect_rc 0 "$AGENT" enroll --controller "$url" --token "$tok4" --state-dir "$a1" --force
[ "$(openssl pkey -in "$a1/agent.key" -pubout)" = "$pub1" ] || fail "re-enroll changed the agent's key"
[ "$(openssl x509 -in "$a1/agent.crt" -noout -serial)" != "$serial1" ] || fail "re-enroll kept the old cert"
openssl verify -CAfile "$d/ca.crt" "$a1/agent.crt" >/dev/null || fail "new agent.crt does not verify"
ok "an enrolled dir is refused without --force; with it, the same key gets a new certificate"

# No token ever reached a log.
for t in "$tok1" "$tok2" "$tok3" "$tok4"; do
	grep -qF -- "${t:5:43}" "$T"/*.log && fail "a token is in a log"
done
ok "no token in the controller's log"
