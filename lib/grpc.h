/*
 * grpc.h: a gRPC client over HTTP/2 with libcurl, for the agent's calls to
 * its own org's Fabric nodes (orderer Broadcast and Deliver, peer
 * ProcessProposal). TLS with ALPN h2 (the server must negotiate h2),
 * length-prefixed messages, grpc-status / grpc-message from the trailers.
 * Messages are opaque bytes here: the caller packs and unpacks them with
 * the protobuf-c code generated from proto/fabric/.
 *
 * Calls are synchronous (one libcurl easy handle, bounded by timeout_ms):
 * unary and server-streaming calls, and client-streaming calls whose
 * request messages are all known up front (Broadcast of N envelopes).
 */
#ifndef FABFED_GRPC_H
#define FABFED_GRPC_H

#include <stddef.h>

/* Method paths: "/" package "." service "/" method, as in the .proto. */
#define GRPC_ORDERER_BROADCAST	"/orderer.AtomicBroadcast/Broadcast"
#define GRPC_ORDERER_DELIVER	"/orderer.AtomicBroadcast/Deliver"
#define GRPC_PEER_PROCESS_PROPOSAL "/protos.Endorser/ProcessProposal"
#define GRPC_PEER_DELIVER	"/protos.Deliver/Deliver"

/* Fabric's gRPC servers accept and send messages up to 100 MiB. */
#define GRPC_MAX_MSG_DEFAULT	(100UL * 1024 * 1024)
/* All the messages of one answer together (a Deliver stream). */
#define GRPC_MAX_TOTAL_DEFAULT	(1024UL * 1024 * 1024)

/* gRPC status codes (grpc/doc/statuscodes.md). */
enum grpc_code {
	GRPC_OK = 0,
	GRPC_CANCELLED = 1,
	GRPC_UNKNOWN = 2,
	GRPC_INVALID_ARGUMENT = 3,
	GRPC_DEADLINE_EXCEEDED = 4,
	GRPC_NOT_FOUND = 5,
	GRPC_ALREADY_EXISTS = 6,
	GRPC_PERMISSION_DENIED = 7,
	GRPC_RESOURCE_EXHAUSTED = 8,
	GRPC_FAILED_PRECONDITION = 9,
	GRPC_ABORTED = 10,
	GRPC_OUT_OF_RANGE = 11,
	GRPC_UNIMPLEMENTED = 12,
	GRPC_INTERNAL = 13,
	GRPC_UNAVAILABLE = 14,
	GRPC_DATA_LOSS = 15,
	GRPC_UNAUTHENTICATED = 16
};

/* The node to call. Strings are borrowed for the duration of a call. */
struct grpc_target {
	const char *host;         /* name or IP; the server cert must match it */
	unsigned int port;
	const char *ca_file;      /* the org's TLS CA (PEM file) */
	const char *cert_file;    /* client TLS certificate (PEM), may be NULL */
	const char *key_file;     /* its key (PEM), may be NULL */
	size_t max_msg;           /* largest answer message; 0: default */
	size_t max_total;         /* all answer messages; 0: default */
};

/* One request message (unframed bytes, borrowed). */
struct grpc_msg {
	const void *data;
	size_t len;
};

/*
 * Called once per answer message, in order; msg is borrowed for the call.
 * Returns 0 to go on, > 0 to end the call early as a success (e.g. the
 * block wanted has come), < 0 to fail the call.
 */
typedef int (*grpc_msg_cb)(const void *msg, size_t len, void *arg);

/*
 * Calls path (one of GRPC_* above) on target with one request message
 * req/len and hands each answer message to on_msg. Returns 0 when the
 * server ended the call with grpc-status 0 (or on_msg ended it early),
 * else -1 and *cause (caller frees), a sentence with the status name and
 * the server's grpc-message.
 */
int grpc_call(const struct grpc_target *, const char *path, const void *req,
    size_t len, grpc_msg_cb on_msg, void *arg, long timeout_ms, char **cause);

/*
 * grpc_call with n request messages sent in order (n may be 0), and the
 * call's gRPC status in *code (may be NULL): GRPC_OK, the server's status,
 * the status a transport failure maps to (UNAVAILABLE, DEADLINE_EXCEEDED,
 * RESOURCE_EXHAUSTED for a limit, INTERNAL for a protocol error), or
 * GRPC_CANCELLED when on_msg failed it.
 */
int grpc_call_msgs(const struct grpc_target *, const char *path,
    const struct grpc_msg *msgs, size_t n, grpc_msg_cb on_msg, void *arg,
    long timeout_ms, int *code, char **cause);

/* "UNAVAILABLE", ...; "UNRECOGNIZED" for a code outside 0..16. */
const char *grpc_code_name(int code);

/*
 * The framing of an answer body, separate from the transport so that it
 * can be fed a recorded byte stream: 1 byte flag (0: not compressed),
 * 4 bytes big-endian length, the message.
 */
struct grpc_reader;

struct grpc_reader *grpc_reader_new(size_t max_msg, size_t max_total);
/* NULL: no-op. */
void grpc_reader_free(struct grpc_reader *);
/*
 * Feeds len bytes; calls on_msg for each message completed. Returns 0,
 * 1 when on_msg asked to stop, or -1 and *cause (caller frees) for a
 * framing error, a limit passed, or on_msg failing.
 */
int grpc_reader_feed(struct grpc_reader *, const void *data, size_t len,
    grpc_msg_cb on_msg, void *arg, char **cause);
/* 1 when the bytes fed so far end on a message boundary. */
int grpc_reader_idle(const struct grpc_reader *);
/* Messages completed so far. */
size_t grpc_reader_count(const struct grpc_reader *);

/*
 * Decodes a grpc-message value (percent-encoded UTF-8) into a printable
 * string: control bytes become '?', at most max bytes kept. Caller frees.
 */
char *grpc_message_decode(const char *s, size_t len, size_t max);

#endif
