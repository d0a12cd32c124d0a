# httpc.sh: the HTTPS client (itest_httpc) against a real HTTPS server with
# mutual TLS: a small python3 http.server on 127.0.0.1 port 0 that requires
# a client certificate, with certificates made here by the openssl CLI.
#
# Routes: /echo (method, content type and body as JSON), /slow?ms=N,
# /big?n=N[&chunked=1], /status?code=N, /stats (TCP connections accepted).
set -u

: "${FABFED_SRC:?}" "${FABFED_BUILD:?}"
. "$FABFED_SRC/tests/integration/helpers/standin.sh"
standin_need python3 openssl
itest=$FABFED_BUILD/tests/itest_httpc
[[ -x "$itest" ]] || { echo "$itest not built"; exit 1; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

tmp=$(mktemp -d /tmp/fabfed-httpc.XXXXXX)
standin_trap "$tmp" server.log
standin_pki "$tmp" IP:127.0.0.1 || exit 1

cat >"$tmp/server.py" <<'EOF'
import http.server, json, socketserver, ssl, sys, threading, time
from urllib.parse import urlparse, parse_qs

d = sys.argv[1]
lock = threading.Lock()
accepts = 0

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(d + "/server.crt", d + "/server.key")
ctx.load_verify_locations(d + "/ca.crt")
ctx.verify_mode = ssl.CERT_REQUIRED

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    def get_request(self):
        global accepts
        sock, addr = self.socket.accept()
        with lock:
            accepts += 1
        # The handshake runs in the handler's thread, not in accept.
        return ctx.wrap_socket(sock, server_side=True,
                               do_handshake_on_connect=False), addr
    def handle_error(self, request, client_address):
        print("connection from %s: %s" % (client_address, sys.exc_info()[1]),
              flush=True)

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120

    def setup(self):
        self.request.settimeout(self.timeout)
        self.request.do_handshake()
        super().setup()

    def log_message(self, fmt, *args):
        sys.stdout.write("%s\n" % (fmt % args))
        sys.stdout.flush()

    def reply(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def route(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        if u.path == "/echo":
            out = {"method": self.command,
                   "ctype": self.headers.get("Content-Type") or "",
                   "len": len(body),
                   "body": body.decode("latin-1")}
            if len(body) > 1000:
                out["body"] = ""
            self.reply(200, json.dumps(out, separators=(",", ":")).encode())
        elif u.path == "/slow":
            time.sleep(int(q["ms"][0]) / 1000.0)
            self.reply(200, b'{"slow":true}')
        elif u.path == "/big":
            n = int(q["n"][0])
            if q.get("chunked", ["0"])[0] == "1":
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                left = n
                while left > 0:
                    k = min(left, 4096)
                    self.wfile.write(b"%x\r\n" % k + b"x" * k + b"\r\n")
                    left -= k
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.reply(200, b"x" * n, "application/octet-stream")
        elif u.path == "/status":
            code = int(q["code"][0])
            self.reply(code, json.dumps({"status": code}).encode())
        elif u.path == "/stats":
            with lock:
                a = accepts
            self.reply(200, json.dumps({"accepts": a}).encode())
        else:
            self.reply(404, b'{"error":"no such route"}')

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = route

srv = Server(("127.0.0.1", 0), Handler)
with open(d + "/port.tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
import os
os.rename(d + "/port.tmp", d + "/port")
srv.serve_forever()
EOF

python3 "$tmp/server.py" "$tmp" >"$tmp/server.log" 2>&1 &
SRV_PID=$!
STANDIN_PIDS+=("$SRV_PID")
standin_wait 100 "$tmp/port" "$SRV_PID" "the server" || exit 1
port=$(cat "$tmp/port")
echo "HTTPS server at 127.0.0.1:$port (pid $SRV_PID)"

# A port where nothing listens: bound then released by python.
closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

HTTPC_PORT=$port HTTPC_CLOSED_PORT=$closed HTTPC_DIR=$tmp timeout 120 "$itest"
rc=$?
[[ $rc -eq 0 ]] || echo "itest_httpc failed ($rc)"
# The client without a certificate was refused by the server's TLS.
if ! grep -q 'PEER_DID_NOT_RETURN_A_CERTIFICATE' "$tmp/server.log"; then
	echo "the server never refused a client without a certificate"
	rc=1
fi
exit $rc
