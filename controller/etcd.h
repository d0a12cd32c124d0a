/*
 * etcd.h: an etcd v3 client over etcd's HTTP/JSON gateway (/v3/...), driven
 * by libcurl multi on the caller's libevent loop. Keys and values are bytes
 * (base64 on the wire). Endpoints are a list: on a connection failure a
 * request moves on to the next member, so a cluster that lost a member keeps
 * serving. Every call is asynchronous: the callback runs later on the loop,
 * exactly once, with either a result or an error sentence.
 */
#ifndef FABFED_ETCD_H
#define FABFED_ETCD_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct etcd_client;

/* The largest answer (or watch message) accepted from etcd. */
#define ETCD_MAX_ANSWER (64u * 1024 * 1024)
/* Default per-request timeout (ms), covering all endpoints tried. */
#define ETCD_DEFAULT_TIMEOUT_MS 5000

struct etcd_kv {
	char *key;           /* NUL-terminated copy */
	size_t key_len;
	char *value;         /* NUL-terminated copy (may hold NULs before) */
	size_t value_len;
	int64_t create_revision;
	int64_t mod_revision;
	int64_t version;
	int64_t lease;
};

/* What a range (or a range inside a txn) returned. */
struct etcd_range_result {
	struct etcd_kv *kvs;
	size_t nkvs;
	int64_t count;       /* total matches (count_only or limit) */
	int more;
};

enum etcd_op_type { ETCD_OP_RANGE, ETCD_OP_PUT, ETCD_OP_DELETE };

struct etcd_op_result {
	enum etcd_op_type type;
	struct etcd_range_result range;  /* ETCD_OP_RANGE */
	int64_t deleted;                 /* ETCD_OP_DELETE */
};

struct etcd_result {
	int ok;                  /* 1: etcd answered and did the call */
	char *error;             /* !ok: a sentence ("etcd: no member answered (...)") */
	int http_status;         /* !ok: etcd's HTTP status, 0 if none */
	int grpc_code;           /* !ok: etcd's gRPC code (5 not found, 9 failed
	                            precondition, 11 compacted, 14 unavailable),
	                            0 if none */
	int64_t revision;        /* header.revision */
	struct etcd_range_result range;   /* range */
	int64_t deleted;                  /* deleterange */
	struct etcd_kv prev_kv;           /* put/delete with prev_kv */
	int has_prev_kv;
	int succeeded;                    /* txn */
	struct etcd_op_result *responses; /* txn: one per op that ran */
	size_t nresponses;
	int64_t lease_id;                 /* lease grant / keepalive */
	int64_t lease_ttl;                /* lease grant / keepalive (-1: gone) */
	double elapsed;                   /* seconds, request to answer */
};

/* The result is borrowed for the duration of the callback only. */
typedef void (*etcd_cb)(const struct etcd_result *, void *arg);

/* Range flags. */
#define ETCD_KEYS_ONLY  0x01
#define ETCD_COUNT_ONLY 0x02
#define ETCD_PREFIX     0x04   /* range_end = prefix end of key */

/* Txn building. A txn holds compares and two op lists; all strings copied. */
enum etcd_cmp_target { ETCD_CMP_VERSION, ETCD_CMP_CREATE, ETCD_CMP_MOD, ETCD_CMP_VALUE };
enum etcd_cmp_result { ETCD_CMP_EQUAL, ETCD_CMP_GREATER, ETCD_CMP_LESS, ETCD_CMP_NOT_EQUAL };

struct etcd_txn;
struct etcd_txn *etcd_txn_new(void);
void etcd_txn_free(struct etcd_txn *);
/* Compare an int target (VERSION/CREATE/MOD) of key. */
void etcd_txn_cmp_int(struct etcd_txn *, const char *key, enum etcd_cmp_target,
    enum etcd_cmp_result, int64_t value);
void etcd_txn_cmp_value(struct etcd_txn *, const char *key, enum etcd_cmp_result,
    const void *value, size_t len);
/* success != 0 adds to the success list, else to the failure list. */
void etcd_txn_put(struct etcd_txn *, int success, const char *key,
    const void *value, size_t len, int64_t lease);
void etcd_txn_range(struct etcd_txn *, int success, const char *key, int flags);
void etcd_txn_delete(struct etcd_txn *, int success, const char *key, int flags);

/*
 * Failover (see etcd.c): a request starts at the endpoint that last worked
 * and tries each endpoint at most once, all within the timeout. It moves on
 * when nothing was sent (connect refused, DNS, connect timeout), and, for
 * calls that are safe to repeat (range, read-only txn, keepalive, revoke),
 * also on a timeout, a broken connection or a 503 / "leader changed" / "no
 * leader" answer. A put, delete, mutating txn or lease grant that failed
 * after it was sent is NOT resent, since etcd may have applied it: the
 * error then says "... after the request was sent; it may have been
 * applied". When every member failed: "etcd: no member answered (URL:
 * why; URL: why; ...)".
 *
 * endpoints: comma-separated base URLs ("http://127.0.0.1:2379,http://...").
 * Returns NULL and sets *cause (caller frees) when the list is unusable.
 */
struct etcd_client *etcd_client_new(struct event_base *, const char *endpoints,
    char **cause);
/* Cancels pending requests without calling their callbacks. NULL is a no-op. */
void etcd_client_free(struct etcd_client *);
/* Per-request timeout in milliseconds (default 5000). */
void etcd_client_set_timeout(struct etcd_client *, long ms);
/* The endpoint the client currently prefers (borrowed). */
const char *etcd_client_endpoint(const struct etcd_client *);

/* Observer called after every round trip (for metrics); may be NULL. */
typedef void (*etcd_observe_cb)(const char *method, int ok, double seconds, void *arg);
void etcd_client_set_observer(struct etcd_client *, etcd_observe_cb, void *arg);

/* Each returns 0 when the request was queued (cb will run), -1 otherwise. */
int etcd_range(struct etcd_client *, const char *key, int flags, etcd_cb, void *arg);
int etcd_put(struct etcd_client *, const char *key, const void *value, size_t len,
    int64_t lease, etcd_cb, void *arg);
int etcd_delete(struct etcd_client *, const char *key, int flags, etcd_cb, void *arg);
/* The txn is borrowed: it can be freed as soon as etcd_txn() returns. */
int etcd_txn(struct etcd_client *, const struct etcd_txn *, etcd_cb, void *arg);
int etcd_lease_grant(struct etcd_client *, int64_t ttl, etcd_cb, void *arg);
int etcd_lease_keepalive(struct etcd_client *, int64_t id, etcd_cb, void *arg);
int etcd_lease_revoke(struct etcd_client *, int64_t id, etcd_cb, void *arg);

/*
 * Watch: a long-lived stream of events on key (or prefix with ETCD_PREFIX;
 * other flags are ignored), from start_revision (0: from now). The callback
 * runs for every event; the watch restarts on the next member after a
 * failure (backoff 100 ms doubling to 5 s), from the revision after the
 * last one seen. Compaction: see ETCD_EVENT_COMPACTED. Returns NULL only
 * for bad arguments. Freed by etcd_watch_cancel (also from its callback).
 */
struct etcd_watch;
#define ETCD_EVENT_PUT       0
#define ETCD_EVENT_DELETE    1
/*
 * The watch's next revision was compacted away: events were lost. kv is
 * NULL and revision is etcd's compact revision; the watch goes on from that
 * revision, so the caller must re-read (range) what it mirrors.
 */
#define ETCD_EVENT_COMPACTED 2
/*
 * etcd cancelled the watch for good (e.g. an empty key range): kv is NULL,
 * revision 0; no more events come. The caller still calls etcd_watch_cancel.
 */
#define ETCD_EVENT_CANCELED  3
struct etcd_event {
	int type;                  /* ETCD_EVENT_* */
	const struct etcd_kv *kv;  /* borrowed; NULL for COMPACTED, CANCELED */
};
/* revision: the event's mod_revision (for a DELETE, the deletion's). */
typedef void (*etcd_watch_cb)(const struct etcd_event *, int64_t revision, void *arg);
struct etcd_watch *etcd_watch(struct etcd_client *, const char *key, int flags,
    int64_t start_revision, etcd_watch_cb, void *arg);
void etcd_watch_cancel(struct etcd_watch *);

/*
 * Codec (pure functions, unit-tested without etcd): build request bodies and
 * parse answers. Exposed for tests and the fuzz target.
 */
/* The prefix end of key: last byte incremented (etcd's GetPrefixRangeEnd). Caller frees. */
char *etcd_prefix_end(const char *key, size_t len, size_t *outlen);
/* Caller frees. */
char *etcd_encode_range(const char *key, size_t len, int flags);
char *etcd_encode_put(const char *key, const void *value, size_t len, int64_t lease);
char *etcd_encode_delete(const char *key, size_t len, int flags);
char *etcd_encode_txn(const struct etcd_txn *);
/*
 * Parse a gateway answer (HTTP status + body) for method ("range", "put",
 * "deleterange", "txn", "lease_grant", "lease_keepalive", "lease_revoke")
 * into *res. Returns 0, or -1 with res->error set. Free with etcd_result_clear.
 */
int etcd_decode(const char *method, int http_status, const char *body, size_t len,
    struct etcd_result *res);
void etcd_result_clear(struct etcd_result *);

/* {"<field>":"<v>"} for the lease calls ("TTL" or "ID"). Caller frees. */
char *etcd_encode_lease(const char *field, int64_t v);
/* {"create_request":{...}}; start_revision 0 = from now. Caller frees. */
char *etcd_encode_watch(const char *key, size_t len, int flags,
    int64_t start_revision);
/* Compares plus ops in both branches (etcd refuses more than 128 by default). */
size_t etcd_txn_nops(const struct etcd_txn *);
/* 1 when the txn holds no put and no delete (safe to resend). */
int etcd_txn_read_only(const struct etcd_txn *);

/* One message of a watch stream ({"result":{...}}), decoded. */
struct etcd_watch_event {
	int type;                  /* ETCD_EVENT_PUT or ETCD_EVENT_DELETE */
	struct etcd_kv kv;
};
struct etcd_watch_response {
	int64_t revision;          /* header.revision */
	int64_t watch_id;
	int created;
	int canceled;
	int64_t compact_revision;  /* canceled because compacted */
	char *cancel_reason;       /* NULL if none */
	struct etcd_watch_event *events;
	size_t nevents;
};
/*
 * Returns 0, or -1 with *cause set (caller frees) for junk or an error
 * message in the stream. Free with etcd_watch_response_clear.
 */
int etcd_decode_watch(const char *body, size_t len,
    struct etcd_watch_response *, char **cause);
void etcd_watch_response_clear(struct etcd_watch_response *);

#endif
