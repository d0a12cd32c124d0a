# participation_client.sh: the orderer channel participation client
# (lib/participation.c, run as itest_participation) against a STAND-IN
# HTTPS server, NOT a Fabric orderer: a small python3 server on 127.0.0.1
# port 0 that requires a client certificate and mimics the answers of
# Fabric 2.5's orderer/common/channelparticipation/restapi.go:
#   POST /participation/v1/channels (multipart/form-data, exactly one file
#     part "config-block"): 201 + {name,url,consensusRelation,status,height}
#     the first time, 405 {"error":"cannot join: channel already exists"}
#     after; 400 {"error":...} for a form without that part;
#     a block starting with "PENDING" gets 409 "cannot join: channel
#     pending removal" (an error for the client).
#   GET /participation/v1/channels: {"systemChannel":null,"channels":[...]}
#   GET /participation/v1/channels/NAME: 200 info, or 404 "channel does not exist"
#   DELETE /participation/v1/channels/NAME: 204, or 404.
# The channel name is the block's first line (the stand-in does not parse
# protobuf); the stand-in checks the part's bytes are exactly those sent
# (their SHA-256 is in the block's second line).
#
# With FABRIC_BIN set, a real orderer check belongs to the Fabric
# end-to-end test, not here; this test never needs it.
set -u

echo "NOTE: the HTTPS server in this test is a stand-in (python3), not a" \
    "Fabric orderer; it mimics Fabric 2.5's channel participation answers."
: "${FABFED_SRC:?}" "${FABFED_BUILD:?}"
. "$FABFED_SRC/tests/integration/helpers/standin.sh"
standin_need python3 openssl
itest=$FABFED_BUILD/tests/itest_participation
[[ -x "$itest" ]] || { echo "$itest not built"; exit 1; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

tmp=$(mktemp -d /tmp/fabfed-part.XXXXXX)
standin_trap "$tmp" server.log
standin_pki "$tmp" IP:127.0.0.1 || exit 1

cat >"$tmp/server.py" <<'EOF'
# A STAND-IN for a Fabric orderer's channel participation API (not Fabric).
import hashlib, http.server, json, os, re, socketserver, ssl, sys, threading

d = sys.argv[1]
lock = threading.Lock()
channels = {}   # name -> height
BASE = "/participation/v1/channels"

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(d + "/server.crt", d + "/server.key")
ctx.load_verify_locations(d + "/ca.crt")
ctx.verify_mode = ssl.CERT_REQUIRED

def info(name):
    return {"name": name, "url": BASE + "/" + name,
            "consensusRelation": "consenter", "status": "active",
            "height": channels[name]}

def parse_multipart(ctype, body):
    m = re.match(r'multipart/form-data;\s*boundary=(.+)$', ctype)
    if not m:
        return None, "not multipart/form-data: %r" % ctype
    b = m.group(1).strip('"').encode()
    parts = body.split(b"--" + b)
    if len(parts) < 3 or not parts[-1].startswith(b"--"):
        return None, "no closing boundary"
    out = []
    for p in parts[1:-1]:
        if not p.startswith(b"\r\n") or not p.endswith(b"\r\n"):
            return None, "bad part framing"
        head, sep, data = p[2:-2].partition(b"\r\n\r\n")
        if not sep:
            return None, "part without headers"
        hdrs = head.decode("latin-1")
        nm = re.search(r'name="([^"]*)"', hdrs)
        fn = re.search(r'filename="([^"]*)"', hdrs)
        out.append((nm.group(1) if nm else None, fn is not None, data))
    return out, None

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    def get_request(self):
        sock, addr = self.socket.accept()
        return ctx.wrap_socket(sock, server_side=True,
                               do_handshake_on_connect=False), addr
    def handle_error(self, request, client_address):
        print("connection from %s: %s" % (client_address, sys.exc_info()[1]),
              flush=True)

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60
    def setup(self):
        self.request.settimeout(self.timeout)
        self.request.do_handshake()
        super().setup()
    def log_message(self, fmt, *args):
        print(fmt % args, flush=True)
    def reply(self, code, obj=None, raw=None):
        body = raw if raw is not None else (
            b"" if obj is None else (json.dumps(obj) + "\n").encode())
        self.send_response(code)
        if body:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def err(self, code, msg):
        self.reply(code, {"error": msg})
    def name(self):
        if not self.path.startswith(BASE + "/"):
            return None
        return self.path[len(BASE) + 1:]
    def do_GET(self):
        with lock:
            if self.path == BASE:
                self.reply(200, {"systemChannel": None, "channels":
                    [{"name": n, "url": BASE + "/" + n} for n in sorted(channels)] or None})
            elif self.path == BASE + "/huge":
                self.reply(200, raw=b'{"name":"huge","pad":"' + b"x" * (5 << 20) + b'"}')
            elif self.path == BASE + "/garbled":
                self.reply(200, raw=b"<html>not json</html>")
            elif self.name() in channels:
                self.reply(200, info(self.name()))
            else:
                self.err(404, "channel does not exist")
    def do_DELETE(self):
        with lock:
            n = self.name()
            if n in channels:
                del channels[n]
                print("removed %s" % n, flush=True)
                self.reply(204)
            else:
                self.err(404, "channel does not exist")
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        if self.path != BASE:
            return self.err(405, "invalid request method: POST")
        parts, why = parse_multipart(self.headers.get("Content-Type") or "", body)
        if parts is None:
            return self.err(400, "cannot read form from request body: " + why)
        files = [p for p in parts if p[1]]
        if not any(p[0] == "config-block" and p[1] for p in parts):
            return self.err(400, "form does not contains part key: config-block")
        if len(files) != 1 or len(parts) != 1:
            return self.err(400, "form contains too many parts")
        block = parts[0][2]
        lines = block.split(b"\n")
        if len(lines) < 3 or hashlib.sha256(b"\n".join(lines[2:])).hexdigest().encode() != lines[1]:
            print("join: block bytes altered (%d bytes)" % len(block), flush=True)
            return self.err(400, "cannot unmarshal file part config-block into a block")
        print("join: config-block of %d bytes intact" % len(block), flush=True)
        name = lines[0].decode()
        with lock:
            if name.startswith("pending"):
                return self.err(409, "cannot join: channel pending removal")
            if name in channels:
                return self.err(405, "cannot join: channel already exists")
            channels[name] = 1
            print("joined %s" % name, flush=True)
            self.reply(201, info(name))

srv = Server(("127.0.0.1", 0), H)
with open(d + "/port.tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(d + "/port.tmp", d + "/port")
srv.serve_forever()
EOF

python3 "$tmp/server.py" "$tmp" >"$tmp/server.log" 2>&1 &
STANDIN_PIDS+=($!)
standin_wait 100 "$tmp/port" "${STANDIN_PIDS[0]}" "the stand-in server" || exit 1
echo "stand-in participation API (not Fabric) at 127.0.0.1:$(cat "$tmp/port")"

PART_PORT=$(cat "$tmp/port") PART_DIR=$tmp timeout 120 "$itest"
rc=$?
[[ $rc -eq 0 ]] || echo "itest_participation failed ($rc)"
n=$(grep -c '^join: config-block of .* bytes intact' "$tmp/server.log")
if [[ $n -ne 4 ]]; then
	echo "the stand-in received $n intact config blocks, expected 4"
	rc=1
fi
# Only the one the test altered on purpose.
n=$(grep -c '^join: block bytes altered' "$tmp/server.log")
if [[ $n -ne 1 ]]; then
	echo "the stand-in received $n altered config blocks, expected 1"
	rc=1
fi
[[ $rc -eq 0 ]] && echo "PASS (against the stand-in participation API, not a Fabric orderer)"
exit $rc
