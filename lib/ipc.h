/*
 * ipc.h: local request/reply messages between fabfed processes (the agent
 * and its signer, fabfedctl and the agent's admin socket) over nanomsg
 * REQ/REP on ipc:// sockets.
 *
 * A message is a 16-byte header followed by a JSON object:
 *
 *	offset	size	field
 *	0	4	magic "FFSG"
 *	4	1	version (IPC_VERSION)
 *	5	1	type (enum ipc_type)
 *	6	2	flags (none are defined in version 1: must be 0)
 *	8	4	request id (the reply carries the request's)
 *	12	4	body length in bytes (at most IPC_MAX_BODY)
 *	16	...	body: one JSON object, UTF-8
 *
 * All integers are big-endian. Bodies:
 *	PING	{}			PONG	{"version", "software", "mspId", "kinds"}
 *	SIGN	{"kind", "payload" (base64), "context" (object, optional)}
 *	SIGNED	{"signature" (base64 DER), "identity" (PEM certificate)}
 *	REFUSED	{"reason"}		ERROR	{"reason"}
 */
#ifndef FABFED_IPC_H
#define FABFED_IPC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define IPC_MAGIC	"FFSG"
#define IPC_VERSION	1
#define IPC_HDR_LEN	16
#define IPC_MAX_BODY	((size_t)256 * 1024)
#define IPC_MAX_MSG	(IPC_HDR_LEN + IPC_MAX_BODY)
/*
 * What nanomsg accepts from the wire (NN_RCVMAXSIZE). A message between
 * IPC_MAX_MSG and this is read and answered with a precise ERROR; a larger
 * one is dropped by the transport (the peer's connection is closed).
 */
#define IPC_MAX_WIRE	(4 * IPC_MAX_MSG)

enum ipc_type {
	IPC_PING = 1,
	IPC_PONG = 2,
	IPC_SIGN = 3,
	IPC_SIGNED = 4,
	IPC_REFUSED = 5,
	IPC_ERROR = 6,
};

struct ipc_msg {
	int type;          /* enum ipc_type */
	uint16_t flags;
	uint32_t id;
	json_t *body;      /* owned; a JSON object */
};

/* "PING", "SIGN", ... or NULL for a type this version does not know. */
const char *ipc_type_name(int type);
/* Whether type is sent by a client (PING, SIGN). */
int ipc_type_is_request(int type);

/*
 * Encodes a message; body (borrowed) NULL means {}. *out is the caller's
 * (free). Returns 0, or -1 with *cause (unknown type, body too large).
 */
int ipc_encode(int type, uint32_t id, const json_t *body, unsigned char **out,
    size_t *outlen, char **cause);

/*
 * Decodes len bytes of data (borrowed). On success m holds the message
 * (ipc_msg_clear frees its body). On failure returns -1 with *cause (caller
 * frees) naming what is wrong; m->type and m->id then hold what the header
 * said if the header could be read (so an ERROR can answer the request),
 * else 0.
 */
int ipc_decode(const void *data, size_t len, struct ipc_msg *m, char **cause);
void ipc_msg_clear(struct ipc_msg *);

/* Standard padded base64. Caller frees. */
char *ipc_b64_encode(const void *, size_t);
/*
 * Decodes canonical standard padded base64 (no blanks, unused bits zero,
 * so one text per byte string) of at most max decoded bytes. Caller frees
 * (the result is NUL-terminated after *outlen bytes). NULL when the text is
 * not base64 or decodes to more than max bytes.
 */
unsigned char *ipc_b64_decode(const char *, size_t *outlen, size_t max);

/* The file path of an ipc:// URL (borrowed, inside url), or NULL. */
const char *ipc_url_path(const char *url);

/*
 * Server side. ipc_listen makes a NN_REP socket bound to url (ipc:// only)
 * with NN_RCVMAXSIZE = IPC_MAX_WIRE; the socket file is created mode 0600.
 * Returns the nanomsg socket, or -1 with *cause (another process already
 * listens there, path too long, ...).
 */
int ipc_listen(const char *url, char **cause);

enum ipc_recv_result {
	IPC_RECV_OK,       /* m holds a valid message */
	IPC_RECV_BAD,      /* a message came but is invalid: *cause; answer ERROR */
	IPC_RECV_NONE,     /* nothing (NN_DONTWAIT, timeout, signal) */
	IPC_RECV_FAIL,     /* the socket is unusable: *cause */
};

/* Receives one message (nn_recv flags, e.g. NN_DONTWAIT). */
enum ipc_recv_result ipc_recv(int sock, int flags, struct ipc_msg *m,
    char **cause);
/* Sends one message; body borrowed. Returns 0, or -1 with *cause. */
int ipc_send(int sock, int type, uint32_t id, const json_t *body, char **cause);
/* Closes a socket from ipc_listen and removes its socket file. */
void ipc_unlisten(int sock, const char *url);

/*
 * Client side: one request, one answer, on a fresh NN_REQ socket. Each of
 * sending and receiving waits at most timeout_ms. body is borrowed (NULL
 * means {}). On success returns 0 with the answer's type in *rtype and its
 * body in *rbody (caller json_decrefs); an ERROR or REFUSED answer is a
 * success here: look at *rtype. Returns -1 with *cause when there is no
 * valid answer (no such socket, timeout, malformed answer).
 */
int ipc_call(const char *url, int type, json_t *body, int timeout_ms,
    int *rtype, json_t **rbody, char **cause);

#endif
