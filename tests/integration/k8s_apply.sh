# k8s_apply.sh: the kubernetes runtime (member-agent/rt_kubernetes.c,
# driven by itest_k8s) against a STAND-IN Kubernetes API server.
#
# THE SERVER HERE IS A STAND-IN, NOT A REAL KUBERNETES API SERVER: a small
# python3 HTTPS server written for this test (no kube-apiserver on this
# machine). It checks what the runtime sends (method, path, content type
# application/apply-patch+yaml, fieldManager=fabfed-agent, force=true,
# bearer token or client certificate, body kind/name/namespace matching the
# path, the namespace existing first), stores objects, answers GETs with a
# StatefulSet status that becomes ready on the second GET, lists with label
# selectors in pages of 2 (continue tokens), makes PVCs for a StatefulSet's
# volumeClaimTemplates as the StatefulSet controller would, and answers
# with real-looking Status objects: 422 for a StatefulSet named "badpeer",
# 409 for one named "conflict0", 401 for a wrong token. It proves the
# runtime speaks the protocol as documented; it does not prove a real API
# server accepts every object (tests/integration/manifests_k8s_schema.sh
# checks the objects against Kubernetes' schemas).
#
# Checked: every object applied with the right content type, field manager
# and path, in apply order (Namespace first); bodies are JSON of the right
# kind; readiness from StatefulSet status; in-cluster credentials, a
# kubeconfig with a client certificate, one with a token and a CA file; a
# 422 and a 409 become FAILED with the API's message; removal deletes the
# StatefulSet, Services, ConfigMap and Secrets and keeps the PVCs (and says
# so); a render with a shrunk topology prunes the left node's objects; a
# wrong token, a wrong CA and insecure-skip-tls-verify give clear errors and
# no crash; the token never appears in the runtime's output.
set -u

: "${FABFED_SRC:?}" "${FABFED_BUILD:?}"
. "$FABFED_SRC/tests/integration/helpers/standin.sh"
standin_need python3 openssl jq
itest=$FABFED_BUILD/tests/itest_k8s
[[ -x "$itest" ]] || { echo "$itest not built"; exit 1; }
# exit code 99 for a sanitizer finding: a crash is never mistaken for a
# refusal the driver printed
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:exitcode=99
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}:exitcode=99

echo "NOTE: this test runs the kubernetes runtime against a STAND-IN API"
echo "NOTE: server (python3, written for this test), not a real Kubernetes API server."

tmp=$(mktemp -d /tmp/fabfed-k8s.XXXXXX)
standin_trap "$tmp" server.out

nfail=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; nfail=$((nfail + 1)); }
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

# --- certificates (openssl CLI): the API server's CA and certificate, a
# client CA and a client certificate, and an unrelated CA
for c in ca clientca otherca; do
	standin_ca "$tmp" "$c" "/CN=k8s_apply $c" || { echo "cannot make CAs"; exit 1; }
done
standin_leaf "$tmp" server ca 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
    "/CN=kube-apiserver" || { echo "cannot make the server certificate"; exit 1; }
standin_leaf "$tmp" client clientca 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' \
    "/O=fabfed:agents/CN=fabfed-agent-org1msp" ||
    { echo "cannot make the client certificate"; exit 1; }

TOKEN=$(openssl rand -hex 24)
WRONG=$(openssl rand -hex 24)
[[ ${#TOKEN} -eq 48 ]] || { echo "cannot make a token"; exit 1; }

# --- the stand-in API server
cat >"$tmp/standin.py" <<'EOF'
# A STAND-IN for a Kubernetes API server, for k8s_apply.sh only. Not a real
# API server: it implements just what the fabfed kubernetes runtime uses,
# and checks that the runtime uses it as Kubernetes documents it.
import http.server, json, re, socketserver, ssl, sys, threading
from urllib.parse import urlparse, parse_qs

d, token = sys.argv[1], sys.argv[2]
lock = threading.Lock()
store = {}        # (plural, ns, name) -> object
gets = {}         # StatefulSet GET counts
logf = open(d + "/requests.jsonl", "a")

KINDS = {"namespaces": ("Namespace", "v1"), "secrets": ("Secret", "v1"),
         "configmaps": ("ConfigMap", "v1"), "services": ("Service", "v1"),
         "persistentvolumeclaims": ("PersistentVolumeClaim", "v1"),
         "statefulsets": ("StatefulSet", "apps/v1")}
CORE = re.compile(r"^/api/v1/namespaces/([a-z0-9-]+)(?:/(secrets|configmaps|services|persistentvolumeclaims)(?:/([a-z0-9.-]+))?)?$")
APPS = re.compile(r"^/apis/apps/v1/namespaces/([a-z0-9-]+)/(statefulsets)(?:/([a-z0-9.-]+))?$")

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(d + "/server.crt", d + "/server.key")
ctx.load_verify_locations(d + "/clientca.crt")
ctx.verify_mode = ssl.CERT_OPTIONAL

def status(code, reason, message, details=None):
    s = {"kind": "Status", "apiVersion": "v1", "metadata": {},
         "status": "Failure", "message": message, "reason": reason,
         "code": code}
    if details:
        s["details"] = details
    return code, s

def dump_store():
    with open(d + "/store.json.tmp", "w") as f:
        json.dump(sorted("%s/%s/%s" % k for k in store), f)
    import os
    os.replace(d + "/store.json.tmp", d + "/store.json")

def selected(obj, sel):
    labels = obj.get("metadata", {}).get("labels", {}) or {}
    for term in filter(None, sel.split(",")):
        k, _, v = term.partition("=")
        if labels.get(k) != v:
            return False
    return True

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    def get_request(self):
        sock, addr = self.socket.accept()
        return ctx.wrap_socket(sock, server_side=True,
                               do_handshake_on_connect=False), addr
    def handle_error(self, request, client_address):
        print("stand-in: connection from %s: %s" % (client_address,
              sys.exc_info()[1]), flush=True)

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60

    def setup(self):
        self.request.settimeout(self.timeout)
        self.request.do_handshake()
        super().setup()

    def log_message(self, fmt, *args):
        print("stand-in: " + (fmt % args), flush=True)

    def handle_one(self):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        rec = {"method": self.command, "path": u.path, "query": q,
               "ctype": self.headers.get("Content-Type") or "",
               "accept": self.headers.get("Accept") or "",
               "ua": self.headers.get("User-Agent") or ""}
        authz = self.headers.get("Authorization") or ""
        cert = self.request.getpeercert()
        if authz == "Bearer " + token:
            rec["auth"] = "token"
        elif cert:
            rec["auth"] = "cert"
        else:
            rec["auth"] = "none"
        with lock:
            code, out = self.route(rec, u.path, q, body)
            rec["status"] = code
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
            dump_store()
        data = json.dumps(out).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PATCH = do_DELETE = do_POST = do_PUT = handle_one

    def route(self, rec, path, q, body):
        if rec["auth"] == "none":
            return status(401, "Unauthorized", "Unauthorized")
        m = CORE.match(path) or APPS.match(path)
        if not m:
            return status(404, "NotFound", "the server could not find the requested resource")
        ns, plural, name = m.group(1), m.group(2), m.group(3)
        if plural is None:
            plural, name, ns = "namespaces", ns, ""
        kind, apiver = KINDS[plural]
        key = (plural, ns, name)
        if self.command == "PATCH":
            return self.apply(rec, kind, apiver, key, q, body)
        if self.command == "GET" and name is not None:
            return self.get(kind, key)
        if self.command == "GET":
            return self.list(rec, kind, apiver, plural, ns, q)
        if self.command == "DELETE" and name is not None:
            if key not in store:
                return status(404, "NotFound", '%s "%s" not found' % (plural, name))
            del store[key]
            return 200, {"kind": "Status", "apiVersion": "v1", "status": "Success",
                         "details": {"name": name, "kind": plural}}
        return status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    def apply(self, rec, kind, apiver, key, q, body):
        plural, ns, name = key
        if name is None:
            return status(405, "MethodNotAllowed", "PATCH needs an object path")
        if rec["ctype"] != "application/apply-patch+yaml":
            return status(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
        if not q.get("fieldManager"):
            return status(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch")
        if q.get("fieldManager") != "fabfed-agent" or q.get("force") != "true":
            return status(400, "BadRequest", "stand-in: expected fieldManager=fabfed-agent&force=true")
        try:
            obj = json.loads(body)
        except Exception as e:
            return status(400, "BadRequest", "stand-in: body is not JSON: %s" % e)
        rec["kind"] = obj.get("kind")
        md = obj.get("metadata") or {}
        rec["name"] = md.get("name")
        if obj.get("kind") != kind or obj.get("apiVersion") != apiver:
            return status(400, "BadRequest", "the kind or apiVersion of the object does not match the path")
        if md.get("name") != name or (ns and md.get("namespace") != ns):
            return status(400, "BadRequest", "the name of the object (%s) does not match the name on the URL (%s)" % (md.get("name"), name))
        if ns and ("namespaces", "", ns) not in store:
            return status(404, "NotFound", 'namespaces "%s" not found' % ns, {"name": ns, "kind": "namespaces"})
        if kind == "StatefulSet" and name == "badpeer":
            return status(422, "Invalid", 'StatefulSet.apps "badpeer" is invalid: spec.template.spec.containers[0].image: Required value',
                          {"name": name, "group": "apps", "kind": "StatefulSet",
                           "causes": [{"reason": "FieldValueRequired", "message": "Required value", "field": "spec.template.spec.containers[0].image"}]})
        if kind == "StatefulSet" and name == "conflict0":
            return status(409, "Conflict", 'Apply failed with 1 conflict: conflict with "helm" using apps/v1: .spec.replicas',
                          {"name": name, "group": "apps", "kind": "StatefulSet",
                           "causes": [{"reason": "FieldManagerConflict", "message": 'conflict with "helm" using apps/v1', "field": ".spec.replicas"}]})
        old = store.get(key)
        gen = 1 if old is None else old["metadata"]["generation"] + (old.get("spec") != obj.get("spec"))
        obj["metadata"]["generation"] = gen
        obj["metadata"]["uid"] = "stand-in-%s-%s" % (plural, name)
        if kind == "StatefulSet":
            obj["status"] = {"observedGeneration": gen, "replicas": 1, "readyReplicas": 0}
            sel = obj["spec"]["selector"]["matchLabels"]
            for t in obj["spec"].get("volumeClaimTemplates", []):
                pvc = "%s-%s-0" % (t["metadata"]["name"], name)
                store.setdefault(("persistentvolumeclaims", ns, pvc), {
                    "kind": "PersistentVolumeClaim", "apiVersion": "v1",
                    "metadata": {"name": pvc, "namespace": ns, "labels": dict(sel), "generation": 1},
                    "spec": t["spec"]})
        store[key] = obj
        return (201 if old is None else 200), obj

    def get(self, kind, key):
        if key not in store:
            return status(404, "NotFound", '%s "%s" not found' % (key[0], key[2]))
        obj = store[key]
        if kind == "StatefulSet":
            gets[key] = gets.get(key, 0) + 1
            if gets[key] >= 2:
                obj["status"]["readyReplicas"] = 1
        return 200, obj

    def list(self, rec, kind, apiver, plural, ns, q):
        sel = q.get("labelSelector", "")
        items = [store[k] for k in sorted(store)
                 if k[0] == plural and k[1] == ns and selected(store[k], sel)]
        start = int(q.get("continue", "0"))
        page = min(int(q.get("limit", "500")), 2)  # fewer than asked: allowed
        chunk = items[start:start + page]
        meta = {"resourceVersion": "1"}
        if start + page < len(items):
            meta["continue"] = str(start + page)
        partial = "as=PartialObjectMetadataList" in rec["accept"]
        rec["partial"] = partial
        if partial:
            chunk = [{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                      "metadata": i["metadata"]} for i in chunk]
            return 200, {"kind": "PartialObjectMetadataList",
                         "apiVersion": "meta.k8s.io/v1", "metadata": meta, "items": chunk}
        return 200, {"kind": kind + "List", "apiVersion": apiver, "metadata": meta, "items": chunk}

srv = Server(("127.0.0.1", 0), Handler)
with open(d + "/port.tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.replace(d + "/port.tmp", d + "/port")
print("stand-in Kubernetes API server (NOT a real one) on 127.0.0.1:%d" %
      srv.server_address[1], flush=True)
srv.serve_forever()
EOF

python3 "$tmp/standin.py" "$tmp" "$TOKEN" >"$tmp/server.out" 2>&1 &
SRV_PID=$!
STANDIN_PIDS+=("$SRV_PID")
standin_wait 100 "$tmp/port" "$SRV_PID" "the stand-in server" || exit 1
PORT=$(cat "$tmp/port")
echo "stand-in API server (not a real Kubernetes API server) on 127.0.0.1:$PORT, pid $SRV_PID"

# --- topologies: the example consortium; one with nodes the stand-in
# refuses; one with Org1MSP's orderer gone
TOPO=$FABFED_SRC/examples/consortium.yaml
cat >"$tmp/topo-refused.yaml" <<'EOF'
apiVersion: fabfed.io/v1alpha1
kind: Consortium
metadata: {name: trade-finance}
spec:
  orgs:
    - mspId: Org1MSP
      domain: org1.example.com
      cluster: {name: beijing-prod, region: cn-north}
      peers:
        - {name: peer0, endpoint: peer0.org1.example.com:7051, anchor: true}
        - {name: badpeer, endpoint: badpeer.org1.example.com:7051}
      orderers:
        - {name: orderer0, endpoint: orderer0.org1.example.com:7050}
        - {name: conflict0, endpoint: conflict0.org1.example.com:7050}
EOF
cat >"$tmp/topo-shrunk.yaml" <<'EOF'
apiVersion: fabfed.io/v1alpha1
kind: Consortium
metadata: {name: trade-finance}
spec:
  orgs:
    - mspId: Org1MSP
      domain: org1.example.com
      cluster: {name: beijing-prod, region: cn-north}
      peers:
        - {name: peer0, endpoint: peer0.org1.example.com:7051, anchor: true}
EOF

# --- credentials: a service account directory, kubeconfigs
mkdir -p "$tmp/sa"
printf '%s' "$TOKEN" >"$tmp/sa/token"
cp "$tmp/ca.crt" "$tmp/sa/ca.crt"
printf 'fabfed-system' >"$tmp/sa/namespace"
b64() { base64 -w0 <"$1"; }
SERVER="https://127.0.0.1:$PORT"
kubeconfig() { # FILE CLUSTER-EXTRA USER-BODY
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: standin
  cluster:
    server: $SERVER
$2
users:
- name: agent
  user:
$3
contexts:
- name: other
  context: {cluster: nowhere, user: nobody}
- name: org1
  context:
    cluster: standin
    user: agent
    namespace: fabfed-system
current-context: org1
EOF
}
kubeconfig "$tmp/kc-cert" "    certificate-authority-data: $(b64 "$tmp/ca.crt")" \
"    client-certificate-data: $(b64 "$tmp/client.crt")
    client-key-data: $(b64 "$tmp/client.key")"
cp "$tmp/ca.crt" "$tmp/kc-ca.crt"
kubeconfig "$tmp/kc-token" "    certificate-authority: kc-ca.crt" "    token: $TOKEN"
kubeconfig "$tmp/kc-wrong" "    certificate-authority: kc-ca.crt" "    token: $WRONG"
kubeconfig "$tmp/kc-otherca" "    certificate-authority-data: $(b64 "$tmp/otherca.crt")" "    token: $TOKEN"
kubeconfig "$tmp/kc-insecure" "    insecure-skip-tls-verify: true" "    token: $TOKEN"

PKI=$tmp/pki
runs=0
# run NAME [itest args...]: output in $tmp/NAME.out, exit code in $tmp/NAME.rc
run() {
	local name=$1
	shift
	runs=$((runs + 1))
	: >"$tmp/requests.jsonl"
	timeout 120 "$itest" -m Org1MSP -p "$PKI" "$@" >"$tmp/$name.out" 2>&1
	echo $? >"$tmp/$name.rc"
	cp "$tmp/requests.jsonl" "$tmp/$name.req"
	echo "--- $name (exit $(cat "$tmp/$name.rc"))"
	sed 's/^/    /' "$tmp/$name.out"
}
incluster() {
	KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$PORT \
	    FABFED_K8S_SA_DIR=$tmp/sa run "$@"
}
has() { grep -qF -- "$2" "$tmp/$1.out"; }
rc_is() { [[ $(cat "$tmp/$1.rc") == "$2" ]]; }
in_store() { jq -e --arg k "$1" 'index($k) != null' "$tmp/store.json" >/dev/null; }

# 1. In-cluster credentials: render twice, readiness.
incluster apply -t "$TOPO" render wait:peer0:10 wait:orderer0:10 render
check "in-cluster: driver ran to the end" rc_is apply 0
check "in-cluster: runtime started from the service account" has apply "credentials from the pod's service account"
check "in-cluster: both renders applied" [ "$(grep -c '^render: ok' "$tmp/apply.out")" = 2 ]
check "readiness: peer0 pending on the first observe" has apply "observe peer0: pending: StatefulSet org1msp/peer0: 0 of 1 replicas ready"
check "readiness: peer0 ready on the second" has apply "wait peer0: ready after 2 observes"
check "readiness: orderer0 ready from the StatefulSet status" has apply "observe orderer0: ready: StatefulSet org1msp/orderer0: 1 of 1 replicas ready"

cat >"$tmp/check_apply.py" <<'EOF'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
want_auth = sys.argv[2]
rank = {"Namespace": 0, "Secret": 1, "ConfigMap": 2, "StatefulSet": 3, "Service": 4}
plural = {"Namespace": "namespaces", "Secret": "secrets", "ConfigMap": "configmaps",
          "Service": "services", "StatefulSet": "statefulsets"}
errs = []
patches = [r for r in reqs if r["method"] == "PATCH"]
if not patches:
    errs.append("no PATCH at all")
for r in reqs:
    if r["auth"] != want_auth:
        errs.append("%s %s authenticated as %s" % (r["method"], r["path"], r["auth"]))
    if not r["ua"].startswith("fabfed-agent/"):
        errs.append("user agent %r" % r["ua"])
# each render: a run of PATCHes starting with the Namespace, kinds in order
renders, cur = [], None
for r in patches:
    if r.get("kind") == "Namespace":
        cur = []
        renders.append(cur)
    if cur is None:
        errs.append("a PATCH before the Namespace: %s" % r["path"])
        continue
    cur.append(r)
for rs in renders:
    last = -1
    for r in rs:
        k = r.get("kind")
        if k not in rank:
            errs.append("PATCH %s: body kind %r" % (r["path"], k))
            continue
        if rank[k] < last:
            errs.append("PATCH %s (%s) out of apply order" % (r["path"], k))
        last = rank[k]
        if r["ctype"] != "application/apply-patch+yaml":
            errs.append("PATCH %s: content type %r" % (r["path"], r["ctype"]))
        if r["query"] != {"fieldManager": "fabfed-agent", "force": "true"}:
            errs.append("PATCH %s: query %r" % (r["path"], r["query"]))
        pfx = "/apis/apps/v1" if k == "StatefulSet" else "/api/v1"
        if k == "Namespace":
            want = "/api/v1/namespaces/%s" % r["name"]
        else:
            want = "%s/namespaces/org1msp/%s/%s" % (pfx, plural[k], r["name"])
        if r["path"] != want:
            errs.append("PATCH %s: expected path %s" % (r["path"], want))
        if r["status"] not in (200, 201) and r.get("name") not in ("badpeer", "conflict0"):
            errs.append("PATCH %s answered %d" % (r["path"], r["status"]))
for r in reqs:
    if r["method"] == "GET" and "labelSelector" in r["query"] and not r.get("partial"):
        errs.append("list %s without the metadata-only Accept" % r["path"])
    if r["method"] == "DELETE" and "persistentvolumeclaims" in r["path"]:
        errs.append("a PVC was deleted: %s" % r["path"])
print("%d requests, %d PATCHes in %d render(s) of %s objects" % (len(reqs),
      len(patches), len(renders), "/".join(str(len(x)) for x in renders)))
for e in errs:
    print("  " + e)
sys.exit(1 if errs else 0)
EOF
check "in-cluster: every PATCH right (content type, field manager, path, order, kind)" python3 "$tmp/check_apply.py" "$tmp/apply.req" token
check "in-cluster: 13 objects applied per render (Namespace, 2x(2 Secrets, ConfigMap, StatefulSet, 2 Services))" \
    [ "$(jq -s '[.[] | select(.method == "PATCH")] | length' "$tmp/apply.req")" = 26 ]
check "in-cluster: the first request applies the Namespace" \
    [ "$(jq -rs '[.[] | select(.method == "PATCH")][0].path' "$tmp/apply.req")" = /api/v1/namespaces/org1msp ]
check "prune lists followed continue tokens (pages of 2)" \
    [ "$(jq -s '[.[] | select(.method == "GET" and .query.continue != null)] | length' "$tmp/apply.req")" -gt 0 ]
check "in-cluster: nothing deleted when nothing left the topology" \
    [ "$(jq -s '[.[] | select(.method == "DELETE")] | length' "$tmp/apply.req")" = 0 ]

# 2. A kubeconfig with a client certificate (inline data), no token.
run cert -k "$tmp/kc-cert" -t "$TOPO" render observe:peer0
check "kubeconfig with a client certificate: applied" has cert "render: ok"
check "kubeconfig with a client certificate: reported as such" has cert "(client certificate)"
check "kubeconfig with a client certificate: every request authenticated by it" python3 "$tmp/check_apply.py" "$tmp/cert.req" cert
check "kubeconfig with a client certificate: peer0 ready" has cert "observe peer0: ready"

# 3. A kubeconfig with a token and a CA file named relative to it.
run token -k "$tmp/kc-token" -t "$TOPO" render
check "kubeconfig with a token and a relative CA file: applied" has token "render: ok"
check "kubeconfig with a token: every request authenticated by it" python3 "$tmp/check_apply.py" "$tmp/token.req" token

# 4. A wrong token: a clear error, no crash.
run wrong -k "$tmp/kc-wrong" -t "$TOPO" render observe:peer0 remove:peer0
check "wrong token: the driver ran to the end (no crash)" rc_is wrong 0
check "wrong token: render says the credentials were refused" has wrong "render: failed: the API server at $SERVER refused the credentials from $tmp/kc-wrong (context org1) (401 Unauthorized: Unauthorized)"
check "wrong token: observe cannot tell, and says why" has wrong "observe peer0: failed: the API server at $SERVER refused the credentials"
check "wrong token: remove fails with the same reason" has wrong "remove:peer0: failed: the API server at $SERVER refused the credentials"
check "wrong token: stopped at the first 401 (no request storm)" [ "$(jq -s '[.[] | select(.method == "PATCH")] | length' "$tmp/wrong.req")" = 1 ]

# 5. A CA that did not sign the server's certificate: refused by TLS.
run otherca -k "$tmp/kc-otherca" -t "$TOPO" render
check "wrong CA: the driver ran to the end" rc_is otherca 0
check "wrong CA: render fails at TLS verification" has otherca "render: failed: no answer from the API server at $SERVER to PATCH /api/v1/namespaces/org1msp?fieldManager=fabfed-agent&force=true: SSL certificate problem"
check "wrong CA: nothing reached the server" [ ! -s "$tmp/otherca.req" ]

# 6. insecure-skip-tls-verify is refused before anything is sent.
run insecure -k "$tmp/kc-insecure" -t "$TOPO" render
check "insecure-skip-tls-verify: the runtime does not start (exit 3)" rc_is insecure 3
check "insecure-skip-tls-verify: says why" has insecure "insecure-skip-tls-verify is set: the agent always verifies the API server"

# 7. Objects the API server refuses: 422 and 409 become FAILED with the
# API's message; the other nodes are applied and ready.
incluster refused -t "$tmp/topo-refused.yaml" render observe:badpeer observe:conflict0 wait:peer0:10 observe:orderer0
check "refusals: the driver ran to the end" rc_is refused 0
check "refusals: render fails and says why" has refused "render: failed: the API server refused 2 of 25 objects of org Org1MSP; first: StatefulSet org1msp/badpeer: 422 Invalid: StatefulSet.apps \"badpeer\" is invalid: spec.template.spec.containers[0].image: Required value"
check "refusals: 422 -> badpeer FAILED with the API's message" has refused "observe badpeer: failed: StatefulSet org1msp/badpeer: 422 Invalid: StatefulSet.apps \"badpeer\" is invalid: spec.template.spec.containers[0].image: Required value"
check "refusals: 409 -> conflict0 FAILED with the API's message" has refused "observe conflict0: failed: StatefulSet org1msp/conflict0: 409 Conflict: Apply failed with 1 conflict: conflict with \"helm\" using apps/v1: .spec.replicas"
check "refusals: peer0 still applied and ready" has refused "observe peer0: ready"
check "refusals: orderer0 still applied and ready" has refused "observe orderer0: ready"
check "refusals: the objects after the refused ones were still applied" python3 "$tmp/check_apply.py" "$tmp/refused.req" token
check "refusals: a render that had refusals deletes nothing" [ "$(jq -s '[.[] | select(.method == "DELETE")] | length' "$tmp/refused.req")" = 0 ]

# 8. Removing a node deletes its objects and keeps its PVCs.
check "before removal: peer0's PVC exists" in_store "persistentvolumeclaims/org1msp/data-peer0-0"
incluster remove -t "$TOPO" remove:peer0 observe:peer0 remove:peer0
check "remove: ok twice (idempotent)" [ "$(grep -c '^remove:peer0: ok' "$tmp/remove.out")" = 2 ]
check "remove: peer0 absent after" has remove "observe peer0: absent: StatefulSet org1msp/peer0 does not exist"
check "remove: the log says the PVCs are kept, by name" has remove "its ledger PersistentVolumeClaims are kept: data-peer0-0"
for p in /apis/apps/v1/namespaces/org1msp/statefulsets/peer0 \
    /api/v1/namespaces/org1msp/services/peer0 \
    /api/v1/namespaces/org1msp/services/peer0-external \
    /api/v1/namespaces/org1msp/configmaps/peer0-env \
    /api/v1/namespaces/org1msp/secrets/peer0-msp \
    /api/v1/namespaces/org1msp/secrets/peer0-tls; do
	check "remove: DELETE $p (background propagation)" \
	    [ "$(jq -s --arg p "$p" '[.[] | select(.method == "DELETE" and .path == $p and .query.propagationPolicy == "Background")] | length' "$tmp/remove.req")" = 1 ]
done
check "remove: the StatefulSet deleted before the Secrets" \
    [ "$(jq -rs '[.[] | select(.method == "DELETE")][0].path' "$tmp/remove.req")" = /apis/apps/v1/namespaces/org1msp/statefulsets/peer0 ]
check "remove: no PVC deleted" [ "$(jq -s '[.[] | select(.method == "DELETE" and (.path | contains("persistentvolumeclaims")))] | length' "$tmp/remove.req")" = 0 ]
check "remove: peer0's PVC still exists" in_store "persistentvolumeclaims/org1msp/data-peer0-0"
check "remove: orderer0 untouched" in_store "statefulsets/org1msp/orderer0"

# 9. A render with orderer0 gone from the topology prunes its objects (and
# the refused nodes' leftovers), keeps its PVC.
incluster prune -t "$tmp/topo-shrunk.yaml" render observe:orderer0
check "prune: render ok" has prune "render: ok"
check "prune: orderer0's objects deleted" [ "$(jq '[.[] | select(contains("orderer0") and (contains("persistentvolumeclaims") | not))] | length' "$tmp/store.json")" = 0 ]
check "prune: badpeer's leftover Secrets deleted" [ "$(jq '[.[] | select(contains("badpeer"))] | length' "$tmp/store.json")" = 0 ]
check "prune: orderer0's PVC kept, and said so" has prune "its ledger PersistentVolumeClaims are kept: data-orderer0-0"
check "prune: orderer0's PVC still exists" in_store "persistentvolumeclaims/org1msp/data-orderer0-0"
check "prune: orderer0 observed absent (no objects left)" has prune "observe orderer0: absent: orderer0 has no objects in namespace org1msp"
check "prune: peer0 re-applied" in_store "statefulsets/org1msp/peer0"
check "prune: the Namespace is never deleted" in_store "namespaces//org1msp"

# 10. The token never appears in anything the runtime printed.
leak=0
for f in "$tmp"/*.out; do
	[[ $f == "$tmp/server.out" ]] && continue
	if grep -qF -e "$TOKEN" -e "$WRONG" -e "Bearer" "$f"; then
		echo "    token in $f"
		leak=1
	fi
done
check "no token in the runtime's output ($runs runs)" [ $leak = 0 ]
check "no private key in the runtime's output" bash -c "! grep -l 'PRIVATE KEY' '$tmp'/*.out | grep -v server.out"

for f in "$tmp"/*.rc; do
	[[ $(cat "$f") == 99 ]] && bad "sanitizer report in $(basename "$f" .rc)"
done
echo "(the API server above was a stand-in written for this test, not a real Kubernetes API server)"
if ((nfail > 0)); then
	echo "$nfail check(s) failed"
	exit 1
fi
echo "all checks passed"
