# The controller's API end to end: a real etcd, a real controller, real TLS,
# driven by fabfedctl and curl.
. "$FABFED_SRC/tests/integration/lib.sh"
ex=$FABFED_SRC/examples/consortium.yaml
key=/fabfed/v1/consortia/trade-finance/spec

etcd_start "$T/etcd"
d=$T/ctl
ctrl_init "$d"
sum1=$(sha256sum "$d/ca.crt" "$d/ca.key")
"$FABFED_BIN/fabfed-controller" init --state-dir "$d" >"$T/init2.out"
[ "$sum1" = "$(sha256sum "$d/ca.crt" "$d/ca.key")" ] || fail "second init replaced the CA"
contains "$(cat "$T/init2.out")" "kept the existing"
[ "$(stat -c %a "$d/ca.key")" = 600 ] || fail "ca.key is not mode 0600"
[ "$(stat -c %a "$d/admin.key")" = 600 ] || fail "admin.key is not mode 0600"
ok "init creates the CA once and keeps it"

expect_rc 0 "$FABFED_BIN/fabfed-controller" run --state-dir "$d" --etcd "$ETCD_ENDPOINT" -n
expect_rc 1 "$FABFED_BIN/fabfed-controller" run --state-dir "$T/nope" -n
contains "$OUT" "fabfed-controller init"
ok "-n checks the configuration"

ctrl_start "$d" ctl --etcd "$ETCD_ENDPOINT"
[ "$(acurl "$d" -o /dev/null -w '%{http_code}' /healthz)" = 200 ] || fail healthz
[ "$(acurl "$d" /readyz)" = ready ] || fail readyz
grep -q "\"controller\": \"https://$CTRL_ADDR\"" "$d/admin.conf" || fail "admin.conf not updated"
ok "healthz, readyz, admin.conf points at the controller"

expect_rc 0 ctl "$d" apply -f "$ex"
contains "$OUT" "created"
rev1=$(etcdctl --endpoints "$ETCD_ENDPOINT" get "$key" -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)["kvs"][0]["mod_revision"])')
contains "$OUT" "$rev1"
expect_rc 0 ctl "$d" apply -f "$ex"
contains "$OUT" "unchanged"
etcdctl --endpoints "$ETCD_ENDPOINT" get "$key" --print-value-only | python3 -c '
import json,sys
d=json.load(sys.stdin)
assert d["metadata"]["name"]=="trade-finance", d
assert [o["mspId"] for o in d["spec"]["orgs"]]==["Org1MSP","Org2MSP","Org3MSP"], d
assert d["spec"]["fabricVersion"]=="2.5"
assert d["spec"]["orgs"][1]["peers"][0]["stateDatabase"]=="leveldb"
' || fail "the stored document is not the normalized example"
ok "apply creates, re-apply is unchanged, etcd holds the normalized document"

expect_rc 0 ctl "$d" get consortia
contains "$OUT" "trade-finance"
expect_rc 0 ctl "$d" get consortium trade-finance -o json
contains "$OUT" "Org3MSP"
expect_rc 0 ctl "$d" get consortium trade-finance
contains "$OUT" "cn-south"
expect_rc 0 ctl "$d" get consortium trade-finance -o yaml
contains "$OUT" "mspId: Org2MSP"
expect_rc 1 ctl "$d" get consortium nosuch
contains "$OUT" "not found"
ok "get consortia / consortium in table, json, yaml; missing is exit 1"

sed 's/timeout: 2s/timeout: 3s/' "$ex" >"$T/changed.yaml"
expect_rc 1 ctl "$d" diff -f "$T/changed.yaml"
contains "$OUT" "batch.timeout"
expect_rc 0 ctl "$d" diff -f "$ex"
expect_rc 0 ctl "$d" apply -f "$T/changed.yaml"
contains "$OUT" "configured"
ok "diff shows the change; apply configures"

# Every mistake at once, with line and column.
line=$(grep -n 'mspId: Org2MSP' "$ex" | cut -d: -f1)
col=$(grep 'mspId: Org2MSP' "$ex" | awk '{print index($0, "Org2MSP")}')
sed -e 's/mspId: Org2MSP/mspId: Org1MSP/' -e 's/orderer0.org3.example.com:7050/orderer0.org3.example.com:70500/' \
	"$ex" >"$T/broken.yaml"
expect_rc 1 ctl "$d" apply -f "$T/broken.yaml"
contains "$OUT" "spec.orgs[1].mspId"
contains "$OUT" ":$line:$col"
contains "$OUT" "spec.orgs[2].orderers[0].endpoint"
[ "$(acurl "$d" -X PUT --data-binary @"$T/broken.yaml" -o /dev/null -w '%{http_code}' /v1/consortia/trade-finance)" = 422 ] || fail "invalid document is not 422"
ok "an invalid document gets 422 and every error with path, line, column"

printf 'apiVersion: [unclosed\n' >"$T/malformed.yaml"
[ "$(acurl "$d" -X PUT --data-binary @"$T/malformed.yaml" -o "$T/body" -w '%{http_code}' /v1/consortia/trade-finance)" = 400 ] || fail "malformed is not 400"
python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); assert b["error"] and b["details"][0]["line"]>=1, b' "$T/body" || fail "400 body"
head -c 1100000 /dev/zero | tr '\0' 'a' >"$T/big"
[ "$(acurl "$d" -X PUT --data-binary @"$T/big" -o "$T/body" -w '%{http_code}' /v1/consortia/trade-finance)" = 413 ] || fail "1.1 MB body is not 413"
grep -q '"error"' "$T/body" || fail "413 body is not JSON"
head -c 5000000 /dev/zero | tr '\0' 'a' >"$T/huge"
[ "$(acurl "$d" -X PUT --data-binary @"$T/huge" -o /dev/null -w '%{http_code}' /v1/consortia/trade-finance)" = 413 ] || fail "5 MB body is not 413"
sed 's/name: trade-finance/name: other/' "$ex" >"$T/other.yaml"
[ "$(acurl "$d" -X PUT --data-binary @"$T/other.yaml" -o /dev/null -w '%{http_code}' /v1/consortia/trade-finance)" = 422 ] || fail "name mismatch is not 422"
[ "$(acurl "$d" -X POST -o /dev/null -w '%{http_code}' /v1/consortia/trade-finance)" = 405 ] || fail "POST is not 405"
[ "$(acurl "$d" -o /dev/null -w '%{http_code}' /v1/nothing)" = 404 ] || fail "unknown route is not 404"
ok "malformed 400, too big 413, name mismatch 422, 405, 404"

rev=$(acurl "$d" /v1/consortia/trade-finance | python3 -c 'import json,sys; print(json.load(sys.stdin)["revision"])')
[ "$(acurl "$d" -X PUT -H "If-Match: $((rev - 1))" --data-binary @"$ex" -o "$T/body" -w '%{http_code}' /v1/consortia/trade-finance)" = 409 ] || fail "stale If-Match is not 409"
grep -q "stale revision" "$T/body" || fail "409 body"
[ "$(acurl "$d" /v1/consortia/trade-finance | python3 -c 'import json,sys; print(json.load(sys.stdin)["revision"])')" = "$rev" ] || fail "a 409 changed the document"
[ "$(acurl "$d" -X PUT -H "If-Match: \"$rev\"" --data-binary @"$ex" -o /dev/null -w '%{http_code}' /v1/consortia/trade-finance)" = 200 ] || fail "fresh If-Match is not 200"
[ "$(acurl "$d" -X PUT -H "If-Match: abc" --data-binary @"$ex" -o /dev/null -w '%{http_code}' /v1/consortia/trade-finance)" = 400 ] || fail "bad If-Match is not 400"
ok "If-Match: stale 409 changes nothing, fresh 200, garbage 400"

# Who may talk: no cert, a cert from another CA, an agent cert, TLS 1.2.
# Without a certificate: enrollment only (the CA and POST /v1/enroll).
for p in /healthz /metrics /v1/consortia /v1/consortia/trade-finance /v1/nothing; do
	code=$(curl -sS --max-time 10 --cacert "$d/ca.crt" -o "$T/nocert" -w '%{http_code}' "https://$CTRL_ADDR$p")
	[ "$code" = 401 ] || fail "a client without a certificate got $code on $p"
	grep -q 'client certificate' "$T/nocert" || fail "401 body on $p: $(cat "$T/nocert")"
done
code=$(curl -sS --max-time 10 --cacert "$d/ca.crt" -X PUT --data-binary @"$ex" -o /dev/null -w '%{http_code}' "https://$CTRL_ADDR/v1/consortia/trade-finance")
[ "$code" = 401 ] || fail "a client without a certificate got $code on PUT"
curl -sS --max-time 10 --cacert "$d/ca.crt" "https://$CTRL_ADDR/v1/enroll/ca" >"$T/ca.pem"
cmp -s "$T/ca.pem" "$d/ca.crt" || fail "GET /v1/enroll/ca is not the federation CA"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/rogue.key" \
	-out "$T/rogue.crt" -subj "/CN=admin/O=fabfed/OU=admin" -days 1 \
	-addext "subjectAltName=URI:fabfed://admin" 2>/dev/null
rc=0; curl -sS --max-time 10 --cacert "$d/ca.crt" --cert "$T/rogue.crt" --key "$T/rogue.key" \
	"https://$CTRL_ADDR/v1/consortia" >"$T/rogue" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a certificate from another CA got an answer: $(cat "$T/rogue")"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/agent.key" \
	-out "$T/agent.csr" -subj "/CN=agent/O=Org1MSP" 2>/dev/null
printf 'subjectAltName=URI:fabfed://trade-finance/org/Org1MSP\nextendedKeyUsage=clientAuth\n' >"$T/agent.ext"
openssl x509 -req -in "$T/agent.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
	-out "$T/agent.crt" -days 1 -extfile "$T/agent.ext" 2>/dev/null
code=$(curl -sS --max-time 10 --cacert "$d/ca.crt" --cert "$T/agent.crt" --key "$T/agent.key" \
	-o "$T/body" -w '%{http_code}' "https://$CTRL_ADDR/v1/consortia")
[ "$code" = 403 ] || fail "an agent certificate on the admin API got $code"
rc=0; curl -sS --max-time 10 --tls-max 1.2 --cacert "$d/ca.crt" --cert "$d/admin.crt" \
	--key "$d/admin.key" "https://$CTRL_ADDR/healthz" >/dev/null 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a TLS 1.2 client was served"
ok "no cert gets 401 except for enrollment; foreign CA and TLS 1.2 fail the handshake; an agent cert gets 403"

m=$(acurl "$d" /metrics)
contains "$m" 'fabfed_http_requests_total{route="/v1/consortia/{name}",code="201"} 1'
contains "$m" 'code="409"'
contains "$m" "fabfed_consortia 1"
python3 -c '
import re,sys
m=sys.stdin.read()
c=int(re.search(r"^fabfed_etcd_request_duration_seconds_count (\d+)$", m, re.M).group(1))
assert c >= 10, c
' <<<"$m" || fail "etcd latency histogram is empty"
ok "metrics: requests by route and code, etcd latency, consortia count"

expect_rc 0 ctl "$d" delete consortium trade-finance
contains "$OUT" "deleted"
expect_rc 1 ctl "$d" delete consortium trade-finance
contains "$OUT" "not found"
[ -z "$(etcdctl --endpoints "$ETCD_ENDPOINT" get --prefix /fabfed/v1/consortia/trade-finance/ --keys-only)" ] || fail "delete left keys in etcd"
ok "delete removes the consortium's keys; deleting again is 404"

# Warnings do not block an apply; they come with path, line and column.
python3 - "$ex" "$T/warn.yaml" <<'PY'
import sys
src = open(sys.argv[1]).read()
out = src.replace("consenters: [Org1MSP/orderer0, Org2MSP/orderer0, Org3MSP/orderer0]",
                  "consenters: [Org1MSP/orderer0, Org2MSP/orderer0]")
assert out != src, "example changed: update this test"
open(sys.argv[2], "w").write(out.replace("name: trade-finance", "name: warned", 1))
PY
expect_rc 0 ctl "$d" apply -f "$T/warn.yaml"
contains "$OUT" "warning: $T/warn.yaml:"
contains "$OUT" "spec.channels[0].consenters"
contains "$OUT" "created"
expect_rc 0 env FABFED_CONFIG="$d/admin.conf" "$FABFED_BIN/fabfedctl" get consortium warned -o json
contains "$OUT" '"Org2MSP/orderer0"'
expect_rc 0 ctl "$d" delete consortium warned
ok "warnings (even consenters) are printed with line and column, the apply goes through; FABFED_CONFIG works"

expect_rc 2 ctl "$d" frobnicate
expect_rc 2 "$FABFED_BIN/fabfedctl" --config "$T/missing.conf" get consortia
ok "usage and config errors exit 2"

# Stop while a request waits on etcd (etcd frozen with SIGSTOP): the
# controller still exits 0, and ASan/LSan find nothing (checked at exit).
kill -STOP "$ETCD_PID"
acurl "$d" -o /dev/null /v1/consortia 2>/dev/null &
pending=$!
sleep 0.5
ctrl_stop "$CTRL_PID" TERM
kill -CONT "$ETCD_PID"
wait "$pending" 2>/dev/null || true
[ "$STOP_RC" = 0 ] || fail "controller did not exit 0 on SIGTERM (status $STOP_RC)"
[ ! -e "$d/controller.addr" ] || fail "controller.addr left behind"
ok "SIGTERM stops the controller cleanly"
