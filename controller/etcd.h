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
	char *error;             /* !ok: a sentence ("etcd: no member reachable (...)") */
	int http_status;         /* !ok: etcd's HTTP status, 0 if none */
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
 * Watch: a long-lived stream of events on key (or prefix). The callback runs
 * for every event; the watch restarts on another member after a failure,
 * from the revision after the last one seen. Freed by etcd_watch_cancel.
 */
struct etcd_watch;
struct etcd_event {
	int type;                  /* 0 = PUT, 1 = DELETE */
	const struct etcd_kv *kv;  /* borrowed */
};
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

#endif
