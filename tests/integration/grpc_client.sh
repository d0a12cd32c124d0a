# grpc_client.sh: the gRPC client (lib/grpc.c, run as itest_grpc) against a
# STAND-IN gRPC server, NOT a Fabric orderer: a small Node program using
# @grpc/grpc-js and @grpc/proto-loader that loads the OFFICIAL Fabric
# .proto files (the fabric-protos npm package in tests/oracles) and serves
# orderer.AtomicBroadcast over TLS with a client certificate required, on
# 127.0.0.1 port 0. What it proves: our HTTP/2 + gRPC framing, trailers,
# status mapping and TLS interoperate with Google's gRPC implementation and
# our protobuf-c messages with the official definitions. What it does not:
# that a real Fabric orderer accepts them (that needs FABRIC_BIN).
#
# The stand-in's behaviour, by the channel id in the request's envelope:
#   Broadcast: one BroadcastResponse per Envelope received, SUCCESS when the
#     envelope's Payload and ChannelHeader parse, else BAD_REQUEST + info.
#   Deliver "mychannel": 3 DeliverResponse{block} (numbers 0, 1, 2, each
#     with one 300-byte data entry), then DeliverResponse{status SUCCESS}.
#   Deliver "forbidden": fails with gRPC status 7 (PERMISSION_DENIED) and a
#     message with spaces, a percent sign and UTF-8.
#   Deliver "slow": answers nothing for 20 s (a client timeout).
# A second server (python3) speaks only HTTP/1.1 over TLS: the client must
# refuse it for lack of h2.
set -u

echo "NOTE: the gRPC server in this test is a stand-in (Node @grpc/grpc-js" \
    "with the official fabric-protos), not a Fabric orderer."
: "${FABFED_SRC:?}" "${FABFED_BUILD:?}"
. "$FABFED_SRC/tests/integration/helpers/standin.sh"
standin_need node python3 openssl
itest=$FABFED_BUILD/tests/itest_grpc
[[ -x "$itest" ]] || { echo "$itest not built"; exit 1; }
oracles=$FABFED_SRC/tests/oracles/node_modules
for m in @grpc/grpc-js @grpc/proto-loader protobufjs fabric-protos/protos; do
	[[ -e "$oracles/$m" ]] || { echo "$oracles/$m missing (npm ci --prefix tests/oracles): skipped"; exit 77; }
done
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

tmp=$(mktemp -d /tmp/fabfed-grpc.XXXXXX)
standin_trap "$tmp" server.log h1.log
standin_pki "$tmp" IP:127.0.0.1,DNS:localhost || exit 1

cat >"$tmp/server.cjs" <<'EOF'
// A STAND-IN for a Fabric orderer's AtomicBroadcast service (not Fabric).
const path = require("path");
const fs = require("fs");
const [, , dir, modules] = process.argv;
const grpc = require(path.join(modules, "@grpc/grpc-js"));
const loader = require(path.join(modules, "@grpc/proto-loader"));
const protobuf = require(path.join(modules, "protobufjs"));
const protos = path.join(modules, "fabric-protos/protos");
const gprotos = path.join(modules, "fabric-protos/google-protos");

const def = loader.loadSync("orderer/ab.proto", {
	keepCase: true, longs: String, enums: String, defaults: true,
	oneofs: true, includeDirs: [protos, gprotos],
});
const ab = grpc.loadPackageDefinition(def).orderer.AtomicBroadcast;

const root = new protobuf.Root();
root.resolvePath = (origin, target) =>
	fs.existsSync(path.join(protos, target)) ? path.join(protos, target) :
	path.join(gprotos, target);
root.loadSync(["common/common.proto", "orderer/ab.proto"], { keepCase: true });
const Payload = root.lookupType("common.Payload");
const ChannelHeader = root.lookupType("common.ChannelHeader");
const SeekInfo = root.lookupType("orderer.SeekInfo");

let broadcasts = 0;
// The channel id of an Envelope (decoded by grpc-js), or throws.
function channelOf(env) {
	const p = Payload.decode(env.payload);
	if (!p.header || !p.header.channel_header || p.header.channel_header.length === 0)
		throw new Error("the payload has no channel header");
	const ch = ChannelHeader.decode(p.header.channel_header);
	if (!ch.channel_id)
		throw new Error("the channel header has no channel id");
	return { ch, data: p.data };
}

function broadcast(call) {
	call.on("data", (env) => {
		broadcasts++;
		try {
			const { ch } = channelOf(env);
			console.log("broadcast: envelope for %s type %d", ch.channel_id, ch.type);
			call.write({ status: "SUCCESS", info: "" });
		} catch (e) {
			console.log("broadcast: bad envelope: %s", e.message);
			call.write({ status: "BAD_REQUEST", info: "bad envelope: " + e.message });
		}
	});
	call.on("end", () => call.end());
	call.on("error", (e) => console.log("broadcast: %s", e.message));
}

function deliver(call) {
	let timer = null;
	call.on("cancelled", () => { if (timer) clearTimeout(timer); });
	call.on("error", (e) => console.log("deliver: %s", e.message));
	call.on("data", (env) => {
		let ch, seek;
		try {
			const r = channelOf(env);
			ch = r.ch;
			seek = SeekInfo.decode(r.data);
			if (!seek.start || !seek.stop)
				throw new Error("the seek info has no start or stop");
		} catch (e) {
			console.log("deliver: bad envelope: %s", e.message);
			call.write({ status: "BAD_REQUEST" });
			call.end();
			return;
		}
		console.log("deliver: %s", ch.channel_id);
		if (ch.channel_id === "forbidden") {
			call.emit("error", {
				code: grpc.status.PERMISSION_DENIED,
				details: "access denied: 100% sure, café",
			});
			return;
		}
		if (ch.channel_id === "slow") {
			timer = setTimeout(() => call.end(), 20000);
			return;
		}
		for (let i = 0; i < 3; i++) {
			call.write({ block: {
				header: { number: String(i), previous_hash: Buffer.alloc(32, i),
				    data_hash: Buffer.alloc(32, 0x40 + i) },
				data: { data: [Buffer.alloc(300, 0x61 + i)] },
				metadata: { metadata: [Buffer.alloc(0), Buffer.alloc(0)] },
			} });
		}
		call.write({ status: "SUCCESS" });
		call.end();
	});
}

const server = new grpc.Server();
server.addService(ab.service, { Broadcast: broadcast, Deliver: deliver });
const creds = grpc.ServerCredentials.createSsl(
	fs.readFileSync(path.join(dir, "ca.crt")),
	[{ private_key: fs.readFileSync(path.join(dir, "server.key")),
	   cert_chain: fs.readFileSync(path.join(dir, "server.crt")) }],
	true);
server.bindAsync("127.0.0.1:0", creds, (err, port) => {
	if (err) { console.error("bind: %s", err.message); process.exit(1); }
	server.start();  // grpc-js 1.7 serves only after start()
	fs.writeFileSync(path.join(dir, "port.tmp"), port + "\n");
	fs.renameSync(path.join(dir, "port.tmp"), path.join(dir, "port"));
	console.log("stand-in AtomicBroadcast on 127.0.0.1:%d", port);
});
process.on("SIGTERM", () => { console.log("broadcasts %d", broadcasts); process.exit(0); });
EOF

cat >"$tmp/h1.py" <<'EOF'
# An HTTPS server that offers only HTTP/1.1 in ALPN (not gRPC).
import http.server, os, ssl, sys
d = sys.argv[1]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(d + "/server.crt", d + "/server.key")
ctx.set_alpn_protocols(["http/1.1"])
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"h1\n")
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(d + "/h1port.tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(d + "/h1port.tmp", d + "/h1port")
srv.serve_forever()
EOF

node "$tmp/server.cjs" "$tmp" "$oracles" >"$tmp/server.log" 2>&1 &
STANDIN_PIDS+=($!)
python3 "$tmp/h1.py" "$tmp" >"$tmp/h1.log" 2>&1 &
STANDIN_PIDS+=($!)
standin_wait 150 "$tmp/port" "${STANDIN_PIDS[0]}" "the stand-in gRPC server" \
    "$tmp/h1port" "${STANDIN_PIDS[1]}" "the HTTP/1.1 server" || exit 1
echo "stand-in gRPC server (not Fabric) at 127.0.0.1:$(cat "$tmp/port"), HTTP/1.1-only TLS server at 127.0.0.1:$(cat "$tmp/h1port")"

GRPC_PORT=$(cat "$tmp/port") GRPC_H1_PORT=$(cat "$tmp/h1port") GRPC_DIR=$tmp \
    timeout 120 "$itest"
rc=$?
[[ $rc -eq 0 ]] || echo "itest_grpc failed ($rc)"
# The stand-in saw our envelopes parse with the official definitions.
n=$(grep -c '^broadcast: envelope for mychannel' "$tmp/server.log")
if [[ $n -lt 2 ]]; then
	echo "the stand-in parsed $n good broadcast envelopes, expected at least 2"
	rc=1
fi
grep -q '^broadcast: bad envelope' "$tmp/server.log" ||
	{ echo "the stand-in never saw the bad envelope"; rc=1; }
[[ $rc -eq 0 ]] && echo "PASS (against the stand-in gRPC server, not a Fabric orderer)"
exit $rc
