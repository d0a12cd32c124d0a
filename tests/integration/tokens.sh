# Join tokens and enrollment, controller side, driven with curl and the
# openssl CLI as the "agent": single use, expiry (the token's etcd lease),
# CA pinning, a race for one token, and no private material in etcd.
. "$FABFED_SRC/tests/integration/lib.sh"
ex=$FABFED_SRC/examples/consortium.yaml

etcd_start "$T/etcd" >/dev/null
d=$T/ctl
ctrl_init "$d"
ctrl_start "$d" ctl --etcd "$ETCD_ENDPOINT"
expect_rc 0 ctl "$d" apply -f "$ex"

token() { tok_create "$d" "$@"; }
csr() { agent_csr "$1"; }
enroll() { agent_enroll "$d" "$1" "$2"; }

code=$(acurl "$d" -X POST -d '{"org":"Org9MSP"}' -o /dev/null -w '%{http_code}' /v1/consortia/trade-finance/tokens)
[ "$code" = 422 ] || fail "token for an undeclared org: $code"
code=$(acurl "$d" -X POST -d '{"org":"Org1MSP"}' -o /dev/null -w '%{http_code}' /v1/consortia/nosuch/tokens)
[ "$code" = 404 ] || fail "token for a missing consortium: $code"
for body in '{"org":"Org1MSP","ttl":59}' '{"org":"Org1MSP","ttl":604801}' '{"org":"Org1MSP","ttl":"1h"}' '{"org":"bad msp!"}' 'nope'; do
	code=$(acurl "$d" -X POST -d "$body" -o /dev/null -w '%{http_code}' /v1/consortia/trade-finance/tokens)
	[ "$code" = 400 ] || fail "token body $body: $code"
done
t1=$(token Org1MSP)
[[ "$t1" =~ ^fft1\.[A-Za-z0-9_-]{43}\.[0-9a-f]{64}$ ]] || fail "token shape: $t1"
[ "${t1##*.}" = "$(openssl x509 -in "$d/ca.crt" -outform der | sha256sum | cut -d' ' -f1)" ] ||
	fail "the token does not pin the federation CA's SHA-256"
ok "tokens: only for declared orgs, TTL bounds, the CA hash pinned inside"

# A bad CSR is refused and does not use the token up.
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/rsa.key" -out "$T/rsa.csr" -subj /CN=x 2>/dev/null
[ "$(enroll "$t1" rsa)" = 400 ] || fail "an RSA CSR was not refused"
csr a1
[ "$(enroll "$t1" a1)" = 200 ] || fail "enroll: $(cat "$T/a1.out")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["mspId"]=="Org1MSP" and d["consortium"]=="trade-finance"' "$T/a1.out"
openssl verify -CAfile "$d/ca.crt" "$T/a1.crt" >/dev/null || fail "the agent cert does not verify against the federation CA"
openssl x509 -in "$T/a1.crt" -noout -subject | grep -q "O = Org1MSP" || fail "subject O is not the MSP ID"
openssl x509 -in "$T/a1.crt" -noout -ext subjectAltName | grep -q "URI:fabfed://trade-finance/org/Org1MSP" || fail "URI SAN"
[ "$(enroll "$t1" a1)" = 401 ] || fail "a used token was accepted again"
grep -q "unknown, already used or expired" "$T/a1.out" || fail "401 message"
code=$(curl -sS --max-time 10 --cacert "$d/ca.crt" --cert "$T/a1.crt" --key "$T/a1.key" -o /dev/null -w '%{http_code}' "https://$CTRL_ADDR/healthz")
[ "$code" = 200 ] || fail "the agent cert is not accepted for mutual TLS: $code"
code=$(curl -sS --max-time 10 --cacert "$d/ca.crt" --cert "$T/a1.crt" --key "$T/a1.key" -o /dev/null -w '%{http_code}' "https://$CTRL_ADDR/v1/consortia")
[ "$code" = 403 ] || fail "the agent cert reached the admin API: $code"
ok "enroll: one certificate per token, O=MSP and URI SAN set by the controller, reuse refused"

# Garbage and a token pinned to another CA.
csr a2
[ "$(enroll "fft1.nope" a2)" = 400 ] || fail "malformed token not 400"
t2=$(token Org2MSP)
other="${t2%.*}.$(printf '%064d' 0)"
[ "$(enroll "$other" a2)" = 401 ] || fail "a token for another CA was accepted"
unknown="fft1.$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=' | cut -c1-42)A.${t2##*.}"
[ "$(enroll "$unknown" a2)" = 401 ] || fail "an unknown token was accepted"
[ "$(enroll "$t2" a2)" = 200 ] || fail "t2 was consumed by the failed attempts"
ok "malformed 400; unknown or foreign-CA token 401 and nothing consumed"

# Expiry is the token's etcd lease: revoke it (what expiry does) and the token is dead.
t3=$(token Org3MSP 60)
h=$(python3 -c 'import hashlib,base64,sys; s=sys.argv[1].split(".")[1]; print(hashlib.sha256(base64.urlsafe_b64decode(s+"=")).hexdigest())' "$t3")
lease=$(etcdctl --endpoints "$ETCD_ENDPOINT" get "/fabfed/v1/tokens/$h" -w json | python3 -c 'import json,sys; print("%x" % json.load(sys.stdin)["kvs"][0]["lease"])')
[ -n "$lease" ] && [ "$lease" != 0 ] || fail "the token is not on a lease"
ttl=$(etcdctl --endpoints "$ETCD_ENDPOINT" lease timetolive "$lease" | grep -o 'remaining([0-9]*s)' | tr -dc 0-9)
[ "$ttl" -gt 0 ] && [ "$ttl" -le 60 ] || fail "token lease TTL $ttl"
etcdctl --endpoints "$ETCD_ENDPOINT" lease revoke "$lease" >/dev/null
csr a3
[ "$(enroll "$t3" a3)" = 401 ] || fail "an expired token was accepted"
ok "a token lives on an etcd lease of its TTL; once expired it is refused"

# Eight agents race for one token: exactly one certificate.
t4=$(token Org3MSP)
pids=""
for i in $(seq 1 8); do csr r$i; done
for i in $(seq 1 8); do (enroll "$t4" r$i >"$T/r$i.code") & pids="$pids $!"; done
wait $pids
n=$(cat "$T"/r*.code | grep -o 200 | wc -l)
[ "$n" = 1 ] || fail "$n of 8 racing enrollments got a certificate: $(cat "$T"/r*.code "$T"/r1.out)"
ok "8 enrollments racing with one token: exactly one certificate"

# Nothing private in etcd: no key, no token secret.
etcdctl --endpoints "$ETCD_ENDPOINT" get --prefix / >"$T/dump"
! grep -q "PRIVATE KEY" "$T/dump" || fail "a private key is in etcd"
for t in "$t1" "$t2" "$t3" "$t4"; do
	s=${t#fft1.}; s=${s%%.*}
	! grep -qF "$s" "$T/dump" || fail "a token secret is in etcd"
	! grep -qF "$s" "$T/ctl.log" || fail "a token secret is in the controller's log"
done
grep -q '"certSha256"' "$T/dump" || fail "enrollment not recorded"
ok "etcd holds no private key and no token secret; logs hold no token"
