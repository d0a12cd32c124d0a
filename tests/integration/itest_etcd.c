/*
 * itest_etcd.c: the etcd client against real etcd 3.4 (started by
 * etcd_client.sh / etcd_cluster.sh on 127.0.0.1 ephemeral ports).
 *
 *	itest_etcd single    ETCD_ENDPOINT: one member
 *	itest_etcd cluster   ITEST_ENDPOINTS, ITEST_PIDS: three members in the
 *	                     same order (followers first, leader last); this
 *	                     program kills them one by one with SIGKILL.
 *
 * Every wait runs the libevent loop with a deadline; nothing blocks for
 * longer than a few seconds, and the whole run is bounded by a watchdog.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "etcd.h"
#include "itest.h"

#define MAXKV 8

static struct event_base *base;
static int in_call;          /* set while an etcd_* call runs */
static int sync_callbacks;   /* callbacks that ran inside an etcd_* call */

struct kvcopy {
	char *key;
	char *value;
	size_t value_len;
	int64_t mod_revision;
	int64_t create_revision;
	int64_t lease;
};

struct call {
	int calls;
	int ok;
	char *error;
	int http_status;
	int grpc_code;
	int64_t revision;
	int64_t count;
	int more;
	size_t nkvs;
	struct kvcopy kvs[MAXKV];
	int64_t deleted;
	int succeeded;
	size_t nresponses;
	enum etcd_op_type resp_type[MAXKV];
	size_t resp_nkvs[MAXKV];
	int64_t resp_deleted[MAXKV];
	char *resp_value0[MAXKV];
	int64_t lease_id;
	int64_t lease_ttl;
	double elapsed;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
call_reset(struct call *c)
{
	size_t i;

	free(c->error);
	for (i = 0; i < MAXKV; i++) {
		free(c->kvs[i].key);
		free(c->kvs[i].value);
		free(c->resp_value0[i]);
	}
	memset(c, 0, sizeof(*c));
}

static char *
memdup0(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void
call_cb(const struct etcd_result *res, void *arg)
{
	struct call *c = arg;
	size_t i;

	if (in_call)
		sync_callbacks++;
	if (c->calls++ > 0)
		return;   /* counted; a second call is a failure checked later */
	c->ok = res->ok;
	c->error = res->error != NULL ? strdup(res->error) : NULL;
	c->http_status = res->http_status;
	c->grpc_code = res->grpc_code;
	c->revision = res->revision;
	c->count = res->range.count;
	c->more = res->range.more;
	c->nkvs = res->range.nkvs;
	for (i = 0; i < res->range.nkvs && i < MAXKV; i++) {
		const struct etcd_kv *kv = &res->range.kvs[i];

		c->kvs[i].key = memdup0(kv->key, kv->key_len);
		c->kvs[i].value = memdup0(kv->value, kv->value_len);
		c->kvs[i].value_len = kv->value_len;
		c->kvs[i].mod_revision = kv->mod_revision;
		c->kvs[i].create_revision = kv->create_revision;
		c->kvs[i].lease = kv->lease;
	}
	c->deleted = res->deleted;
	c->succeeded = res->succeeded;
	c->nresponses = res->nresponses;
	for (i = 0; i < res->nresponses && i < MAXKV; i++) {
		const struct etcd_op_result *op = &res->responses[i];

		c->resp_type[i] = op->type;
		c->resp_nkvs[i] = op->range.nkvs;
		c->resp_deleted[i] = op->deleted;
		if (op->range.nkvs > 0)
			c->resp_value0[i] = memdup0(op->range.kvs[0].value,
			    op->range.kvs[0].value_len);
	}
	c->lease_id = res->lease_id;
	c->lease_ttl = res->lease_ttl;
	c->elapsed = res->elapsed;
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
}

/* Runs the loop until *counter reaches target or secs pass. */
static int
wait_count(const int *counter, int target, double secs)
{
	double deadline = now() + secs;

	while (*counter < target && now() < deadline)
		event_base_loop(base, EVLOOP_ONCE);
	return *counter >= target;
}

static void
run_for(double secs)
{
	double deadline = now() + secs;

	while (now() < deadline)
		event_base_loop(base, EVLOOP_ONCE);
}

/* One call, waited for; returns 0 when the callback ran exactly once. */
#define DO(c, expr) do {						\
	int _r;								\
	call_reset(c);							\
	in_call = 1;							\
	_r = (expr);							\
	in_call = 0;							\
	REQUIRE(_r == 0);						\
	REQUIRE(wait_count(&(c)->calls, 1, 30));			\
} while (0)

static struct etcd_client *
client(const char *endpoints, long timeout_ms)
{
	struct etcd_client *ec;
	char *cause = NULL;

	ec = etcd_client_new(base, endpoints, &cause);
	if (ec == NULL) {
		fprintf(stderr, "etcd_client_new(%s): %s\n", endpoints, cause);
		exit(1);
	}
	if (timeout_ms > 0)
		etcd_client_set_timeout(ec, timeout_ms);
	return ec;
}

/* A 127.0.0.1 port nobody listens on (bound then closed). */
static int
closed_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, port;

	REQUIRE((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	REQUIRE(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* A listener that never accepts: connects succeed, nothing answers. */
static int
silent_listener(int *fdp)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	REQUIRE((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	REQUIRE(listen(fd, 16) == 0);
	REQUIRE(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	*fdp = fd;
	return ntohs(sin.sin_port);
}

/* A fake member answering 503 "leader changed" to everything. */
static int fake_hits, fake_watch_hits, fake_watch_garbage;

static void
fake_handler(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();

	if (strcmp(evhttp_request_get_uri(req), "/v3/watch") == 0) {
		fake_watch_hits++;
		if (fake_watch_garbage)
			evbuffer_add_printf(b, "{\"result\":{\"events\":"
			    "[{\"kv\":{\"key\":\"!!\"}}]}}\n");
		else
			evbuffer_add_printf(b, "{\"result\":{\"header\":"
			    "{\"revision\":\"5\"},\"created\":true,"
			    "\"canceled\":true,\"cancel_reason\":"
			    "\"mvcc: watcher range is empty\"}}\n");
		evhttp_send_reply(req, 200, "OK", b);
		evbuffer_free(b);
		return;
	}
	fake_hits++;
	evbuffer_add_printf(b, "{\"error\":\"etcdserver: leader changed\","
	    "\"message\":\"etcdserver: leader changed\",\"code\":14}");
	evhttp_send_reply(req, 503, "Service Unavailable", b);
	evbuffer_free(b);
}

static struct evhttp *
fake_member(int *portp)
{
	struct evhttp *h;
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	REQUIRE((h = evhttp_new(base)) != NULL);
	evhttp_set_gencb(h, fake_handler, NULL);
	REQUIRE((bs = evhttp_bind_socket_with_handle(h, "127.0.0.1", 0))
	    != NULL);
	REQUIRE(getsockname(evhttp_bound_socket_get_fd(bs),
	    (struct sockaddr *)&sin, &len) == 0);
	*portp = ntohs(sin.sin_port);
	return h;
}

/* Test-only, blocking: POST a JSON body to etcd (for compaction). */
static int
blocking_post(const char *url, const char *body)
{
	CURL *e = curl_easy_init();
	FILE *devnull = fopen("/dev/null", "w");
	long code = 0;
	CURLcode rc;

	REQUIRE(e != NULL && devnull != NULL);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_WRITEDATA, devnull);
	rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(e);
	fclose(devnull);
	return rc == CURLE_OK && code == 200 ? 0 : -1;
}

/* Observer. */
static int observed;
static int observed_failed;

static void
observe(const char *method, int ok, double seconds, void *arg)
{
	observed++;
	if (!ok)
		observed_failed++;
	if (method == NULL || seconds < 0 || seconds > 60)
		observed = -100000;
}

/* Watches. */
#define MAXEV 64
struct watchlog {
	int n;
	int type[MAXEV];
	char *key[MAXEV];
	char *value[MAXEV];
	int64_t rev[MAXEV];
	int cancel_in_cb;
	struct etcd_watch *w;
};

static void
watch_cb(const struct etcd_event *ev, int64_t rev, void *arg)
{
	struct watchlog *l = arg;

	if (l->n < MAXEV) {
		l->type[l->n] = ev->type;
		l->key[l->n] = ev->kv != NULL ? memdup0(ev->kv->key,
		    ev->kv->key_len) : NULL;
		l->value[l->n] = ev->kv != NULL ? memdup0(ev->kv->value,
		    ev->kv->value_len) : NULL;
		l->rev[l->n] = rev;
	}
	l->n++;
	if (l->cancel_in_cb && l->w != NULL) {
		etcd_watch_cancel(l->w);
		l->w = NULL;
	}
}

static void
watchlog_clear(struct watchlog *l)
{
	int i;

	for (i = 0; i < l->n && i < MAXEV; i++) {
		free(l->key[i]);
		free(l->value[i]);
	}
	memset(l, 0, sizeof(*l));
}

/* Freeing the client from inside a callback. */
struct freer {
	struct etcd_client **ec;
	int calls;
};

static void
free_in_cb(const struct etcd_result *res, void *arg)
{
	struct freer *f = arg;

	f->calls++;
	etcd_client_free(*f->ec);
	*f->ec = NULL;
}

static void
test_single(const char *ep)
{
	struct etcd_client *ec;
	struct etcd_txn *txn;
	struct call c = { 0 }, many[200];
	struct watchlog wl = { 0 };
	struct etcd_watch *w;
	static const char bin[] = { 'a', '\0', 'b', '\0', (char)0xff, 'z' };
	char key[64], *eps, url[512];
	int64_t rev, lease;
	double t0;
	int i, port, port2, silent_fd, total;
	struct evhttp *fake;

	ec = client(ep, 0);
	etcd_client_set_observer(ec, observe, NULL);
	CHECK(strcmp(etcd_client_endpoint(ec), ep) == 0);

	/* put/range round trip, binary value with NULs */
	DO(&c, etcd_put(ec, "it/bin", bin, sizeof(bin), 0, call_cb, &c));
	CHECK(c.ok && c.revision > 0);
	rev = c.revision;
	DO(&c, etcd_range(ec, "it/bin", 0, call_cb, &c));
	CHECK(c.ok && c.count == 1 && c.nkvs == 1);
	CHECK(c.kvs[0].value_len == sizeof(bin) &&
	    memcmp(c.kvs[0].value, bin, sizeof(bin)) == 0);
	CHECK(strcmp(c.kvs[0].key, "it/bin") == 0);
	CHECK(c.kvs[0].mod_revision == rev && c.kvs[0].create_revision == rev);
	CHECK(observed == 2 && observed_failed == 0);

	/* missing key: ok, nothing */
	DO(&c, etcd_range(ec, "it/none", 0, call_cb, &c));
	CHECK(c.ok && c.count == 0 && c.nkvs == 0);

	/* prefix range, count_only, keys_only */
	DO(&c, etcd_put(ec, "it/p/1", "one", 3, 0, call_cb, &c));
	DO(&c, etcd_put(ec, "it/p/2", "two", 3, 0, call_cb, &c));
	DO(&c, etcd_put(ec, "it/p/3", "", 0, 0, call_cb, &c));
	DO(&c, etcd_put(ec, "it/p0", "out", 3, 0, call_cb, &c));
	DO(&c, etcd_range(ec, "it/p/", ETCD_PREFIX, call_cb, &c));
	CHECK(c.ok && c.count == 3 && c.nkvs == 3);
	CHECK(c.nkvs == 3 && strcmp(c.kvs[0].key, "it/p/1") == 0 &&
	    strcmp(c.kvs[2].key, "it/p/3") == 0);
	CHECK(c.nkvs == 3 && strcmp(c.kvs[1].value, "two") == 0 &&
	    c.kvs[2].value_len == 0);
	DO(&c, etcd_range(ec, "it/p/", ETCD_PREFIX | ETCD_COUNT_ONLY, call_cb,
	    &c));
	CHECK(c.ok && c.count == 3 && c.nkvs == 0);
	DO(&c, etcd_range(ec, "it/p/", ETCD_PREFIX | ETCD_KEYS_ONLY, call_cb,
	    &c));
	CHECK(c.ok && c.nkvs == 3 && c.kvs[0].value_len == 0 &&
	    strcmp(c.kvs[0].key, "it/p/1") == 0);

	/* delete prefix returns the count */
	DO(&c, etcd_delete(ec, "it/p/", ETCD_PREFIX, call_cb, &c));
	CHECK(c.ok && c.deleted == 3);
	DO(&c, etcd_range(ec, "it/p", ETCD_PREFIX | ETCD_COUNT_ONLY, call_cb,
	    &c));
	CHECK(c.ok && c.count == 1);   /* it/p0 is outside it/p/ */
	DO(&c, etcd_delete(ec, "it/p0", 0, call_cb, &c));
	CHECK(c.ok && c.deleted == 1);
	DO(&c, etcd_delete(ec, "it/p0", 0, call_cb, &c));
	CHECK(c.ok && c.deleted == 0);

	/* txn on mod_revision: success then failure branch */
	DO(&c, etcd_put(ec, "it/t", "v1", 2, 0, call_cb, &c));
	rev = c.revision;
	txn = etcd_txn_new();
	etcd_txn_cmp_int(txn, "it/t", ETCD_CMP_MOD, ETCD_CMP_EQUAL, rev);
	etcd_txn_put(txn, 1, "it/t", "v2", 2, 0);
	etcd_txn_range(txn, 0, "it/t", 0);
	DO(&c, etcd_txn(ec, txn, call_cb, &c));
	CHECK(c.ok && c.succeeded == 1 && c.nresponses == 1 &&
	    c.resp_type[0] == ETCD_OP_PUT && c.revision == rev + 1);
	DO(&c, etcd_txn(ec, txn, call_cb, &c));
	etcd_txn_free(txn);
	CHECK(c.ok && c.succeeded == 0 && c.nresponses == 1 &&
	    c.resp_type[0] == ETCD_OP_RANGE && c.resp_nkvs[0] == 1);
	CHECK(c.resp_value0[0] != NULL && strcmp(c.resp_value0[0], "v2") == 0);

	/* txn with a value compare and several ops */
	txn = etcd_txn_new();
	etcd_txn_cmp_value(txn, "it/t", ETCD_CMP_EQUAL, "v2", 2);
	etcd_txn_put(txn, 1, "it/t2", "x", 1, 0);
	etcd_txn_range(txn, 1, "it/t", ETCD_PREFIX | ETCD_COUNT_ONLY);
	etcd_txn_delete(txn, 1, "it/t3", 0);
	DO(&c, etcd_put(ec, "it/t3", "", 0, 0, call_cb, &c));
	DO(&c, etcd_txn(ec, txn, call_cb, &c));
	etcd_txn_free(txn);
	CHECK(c.ok && c.succeeded && c.nresponses == 3 &&
	    c.resp_type[1] == ETCD_OP_RANGE && c.resp_type[2] ==
	    ETCD_OP_DELETE && c.resp_deleted[2] == 1);

	/* create-if-absent */
	txn = etcd_txn_new();
	etcd_txn_cmp_int(txn, "it/new", ETCD_CMP_CREATE, ETCD_CMP_EQUAL, 0);
	etcd_txn_put(txn, 1, "it/new", "first", 5, 0);
	etcd_txn_range(txn, 0, "it/new", 0);
	DO(&c, etcd_txn(ec, txn, call_cb, &c));
	CHECK(c.ok && c.succeeded == 1);
	DO(&c, etcd_txn(ec, txn, call_cb, &c));
	CHECK(c.ok && c.succeeded == 0 && c.resp_value0[0] != NULL &&
	    strcmp(c.resp_value0[0], "first") == 0);
	etcd_txn_free(txn);

	/* leases */
	DO(&c, etcd_lease_grant(ec, 30, call_cb, &c));
	CHECK(c.ok && c.lease_id != 0 && c.lease_ttl == 30);
	lease = c.lease_id;
	DO(&c, etcd_put(ec, "it/leased", "x", 1, lease, call_cb, &c));
	CHECK(c.ok);
	DO(&c, etcd_range(ec, "it/leased", 0, call_cb, &c));
	CHECK(c.ok && c.nkvs == 1 && c.kvs[0].lease == lease);
	DO(&c, etcd_lease_keepalive(ec, lease, call_cb, &c));
	CHECK(c.ok && c.lease_id == lease && c.lease_ttl > 0 &&
	    c.lease_ttl <= 30);
	DO(&c, etcd_lease_revoke(ec, lease, call_cb, &c));
	CHECK(c.ok);
	DO(&c, etcd_range(ec, "it/leased", 0, call_cb, &c));
	CHECK(c.ok && c.count == 0 && c.nkvs == 0);
	DO(&c, etcd_lease_keepalive(ec, lease, call_cb, &c));
	CHECK(c.ok && c.lease_ttl == -1);
	DO(&c, etcd_lease_revoke(ec, lease, call_cb, &c));
	CHECK(!c.ok && c.http_status == 404 && c.grpc_code == 5 &&
	    c.error != NULL && strstr(c.error, "lease not found") != NULL);
	DO(&c, etcd_put(ec, "it/leased", "x", 1, 12345, call_cb, &c));
	CHECK(!c.ok && c.error != NULL &&
	    strcmp(c.error, "etcd: requested lease not found") == 0);

	/* watch: a put and a delete under a prefix */
	DO(&c, etcd_range(ec, "it/", ETCD_PREFIX | ETCD_COUNT_ONLY, call_cb,
	    &c));
	rev = c.revision;
	in_call = 1;
	w = etcd_watch(ec, "it/w/", ETCD_PREFIX, rev + 1, watch_cb, &wl);
	in_call = 0;
	REQUIRE(w != NULL);
	DO(&c, etcd_put(ec, "it/w/a", "hello", 5, 0, call_cb, &c));
	CHECK(c.ok);
	DO(&c, etcd_put(ec, "it/other", "x", 1, 0, call_cb, &c));
	DO(&c, etcd_delete(ec, "it/w/a", 0, call_cb, &c));
	CHECK(c.ok && c.deleted == 1);
	CHECK(wait_count(&wl.n, 2, 10));
	CHECK(wl.n == 2);
	CHECK(wl.type[0] == ETCD_EVENT_PUT && wl.key[0] != NULL &&
	    strcmp(wl.key[0], "it/w/a") == 0 && strcmp(wl.value[0],
	    "hello") == 0);
	CHECK(wl.type[1] == ETCD_EVENT_DELETE && wl.key[1] != NULL &&
	    strcmp(wl.key[1], "it/w/a") == 0 && wl.rev[1] == c.revision &&
	    wl.rev[1] > wl.rev[0]);
	etcd_watch_cancel(w);
	watchlog_clear(&wl);

	/* a watch cancelled from inside its own callback */
	wl.cancel_in_cb = 1;
	wl.w = etcd_watch(ec, "it/w/", ETCD_PREFIX, rev + 1, watch_cb, &wl);
	REQUIRE(wl.w != NULL);
	CHECK(wait_count(&wl.n, 1, 10));
	run_for(0.3);
	CHECK(wl.n == 1 && wl.w == NULL);
	watchlog_clear(&wl);

	/* compaction: the watch reports it and goes on from there */
	DO(&c, etcd_put(ec, "it/c/x", "1", 1, 0, call_cb, &c));
	rev = c.revision;
	DO(&c, etcd_put(ec, "it/c/x", "2", 1, 0, call_cb, &c));
	DO(&c, etcd_put(ec, "it/c/x", "3", 1, 0, call_cb, &c));
	snprintf(url, sizeof(url), "%s/v3/kv/compaction", ep);
	snprintf(key, sizeof(key), "{\"revision\":\"%lld\"}",
	    (long long)c.revision);
	REQUIRE(blocking_post(url, key) == 0);
	w = etcd_watch(ec, "it/c/", ETCD_PREFIX, rev, watch_cb, &wl);
	REQUIRE(w != NULL);
	CHECK(wait_count(&wl.n, 1, 10));
	CHECK(wl.type[0] == ETCD_EVENT_COMPACTED && wl.key[0] == NULL &&
	    wl.rev[0] == c.revision);
	DO(&c, etcd_put(ec, "it/c/x", "4", 1, 0, call_cb, &c));
	CHECK(wait_count(&wl.n, 3, 10));
	/* From the compact revision: the put at it ("3"), then "4". */
	CHECK(wl.n == 3 && wl.type[1] == ETCD_EVENT_PUT &&
	    strcmp(wl.value[1], "3") == 0 && strcmp(wl.value[2], "4") == 0);
	etcd_watch_cancel(w);
	watchlog_clear(&wl);


	/* 200 concurrent puts: all complete, each callback exactly once */
	memset(many, 0, sizeof(many));
	in_call = 1;
	for (i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "it/many/%03d", i);
		REQUIRE(etcd_put(ec, key, key, strlen(key), 0, call_cb,
		    &many[i]) == 0);
	}
	in_call = 0;
	for (i = 0; i < 200; i++)
		REQUIRE(wait_count(&many[i].calls, 1, 30));
	run_for(0.2);
	total = 0;
	for (i = 0; i < 200; i++) {
		CHECK(many[i].calls == 1);
		total += many[i].ok;
		call_reset(&many[i]);
	}
	CHECK(total == 200);
	DO(&c, etcd_range(ec, "it/many/", ETCD_PREFIX | ETCD_COUNT_ONLY,
	    call_cb, &c));
	CHECK(c.ok && c.count == 200);

	/* freeing the client drops pending requests without callbacks */
	memset(many, 0, sizeof(many));
	for (i = 0; i < 10; i++)
		REQUIRE(etcd_range(ec, "it/many/", ETCD_PREFIX, call_cb,
		    &many[i]) == 0);
	w = etcd_watch(ec, "it/", ETCD_PREFIX, 0, watch_cb, &wl);
	CHECK(w != NULL);
	etcd_client_free(ec);
	run_for(0.3);
	for (i = 0; i < 10; i++)
		CHECK(many[i].calls == 0);
	CHECK(wl.n == 0);
	CHECK(sync_callbacks == 0);

	/* ... and from inside a callback */
	{
		struct freer f = { &ec, 0 };

		ec = client(ep, 0);
		memset(many, 0, sizeof(many));
		REQUIRE(etcd_range(ec, "it/bin", 0, free_in_cb, &f) == 0);
		for (i = 0; i < 20; i++)
			REQUIRE(etcd_range(ec, "it/many/", ETCD_PREFIX,
			    call_cb, &many[i]) == 0);
		CHECK(wait_count(&f.calls, 1, 10));
		run_for(0.3);
		CHECK(f.calls == 1 && ec == NULL);
		/* Some may have finished before the freeing one; none after. */
		for (i = 0; i < 20; i++) {
			CHECK(many[i].calls <= 1);
			call_reset(&many[i]);
		}
	}

	/* an unreachable first endpoint, then a good one */
	port = closed_port();
	if (asprintf(&eps, "http://127.0.0.1:%d,%s", port, ep) == -1)
		abort();
	ec = client(eps, 0);
	free(eps);
	DO(&c, etcd_put(ec, "it/failover", "y", 1, 0, call_cb, &c));
	CHECK(c.ok);
	CHECK(strcmp(etcd_client_endpoint(ec), ep) == 0);
	DO(&c, etcd_range(ec, "it/failover", 0, call_cb, &c));
	CHECK(c.ok && c.nkvs == 1);
	etcd_client_free(ec);

	/* all endpoints down: a sentence, within the timeout */
	port = closed_port();
	port2 = closed_port();
	if (asprintf(&eps, "http://127.0.0.1:%d, http://127.0.0.1:%d/", port,
	    port2) == -1)
		abort();
	ec = client(eps, 1500);
	free(eps);
	t0 = now();
	DO(&c, etcd_put(ec, "it/x", "y", 1, 0, call_cb, &c));
	CHECK(!c.ok && c.error != NULL && now() - t0 < 3.0);
	CHECK(c.error != NULL && strncmp(c.error, "etcd: no member answered (",
	    26) == 0 && strstr(c.error, "Couldn't connect to server") != NULL);
	snprintf(key, sizeof(key), "127.0.0.1:%d", port2);
	CHECK(c.error != NULL && strstr(c.error, key) != NULL);
	fprintf(stderr, "all down: %s\n", c.error);
	DO(&c, etcd_range(ec, "it/x", 0, call_cb, &c));
	CHECK(!c.ok && c.error != NULL && now() - t0 < 3.0);
	etcd_client_free(ec);

	/* a member that accepts but never answers */
	port = silent_listener(&silent_fd);
	if (asprintf(&eps, "http://127.0.0.1:%d,%s", port, ep) == -1)
		abort();
	ec = client(eps, 3000);
	free(eps);
	t0 = now();
	DO(&c, etcd_range(ec, "it/bin", 0, call_cb, &c));
	/* a range may be resent: half the time on the silent one, then ep */
	CHECK(c.ok && c.nkvs == 1 && now() - t0 < 3.0);
	etcd_client_free(ec);
	if (asprintf(&eps, "http://127.0.0.1:%d,%s", port, ep) == -1)
		abort();
	ec = client(eps, 1500);
	free(eps);
	t0 = now();
	DO(&c, etcd_put(ec, "it/silent", "z", 1, 0, call_cb, &c));
	/* a put that was sent is not resent: it may have been applied */
	CHECK(!c.ok && c.error != NULL &&
	    strstr(c.error, "may have been applied") != NULL);
	CHECK(now() - t0 < 2.5);
	fprintf(stderr, "silent member, put: %s\n", c.error);
	etcd_client_free(ec);
	close(silent_fd);

	/* a member answering 503 "leader changed" */
	fake = fake_member(&port);
	if (asprintf(&eps, "http://127.0.0.1:%d,%s", port, ep) == -1)
		abort();
	ec = client(eps, 0);
	free(eps);
	DO(&c, etcd_range(ec, "it/bin", 0, call_cb, &c));
	CHECK(c.ok && c.nkvs == 1 && fake_hits == 1);
	etcd_client_free(ec);
	if (asprintf(&eps, "http://127.0.0.1:%d,%s", port, ep) == -1)
		abort();
	ec = client(eps, 0);
	free(eps);
	DO(&c, etcd_put(ec, "it/fake", "z", 1, 0, call_cb, &c));
	CHECK(!c.ok && c.http_status == 503 && c.grpc_code == 14 &&
	    fake_hits == 2 && c.error != NULL &&
	    strcmp(c.error, "etcd: leader changed") == 0);
	etcd_client_free(ec);

	/* a watch etcd cancels is reported once and not restarted */
	if (asprintf(&eps, "http://127.0.0.1:%d", port) == -1)
		abort();
	ec = client(eps, 0);
	free(eps);
	w = etcd_watch(ec, "it/", ETCD_PREFIX, 0, watch_cb, &wl);
	REQUIRE(w != NULL);
	CHECK(wait_count(&wl.n, 1, 10));
	run_for(0.5);
	CHECK(wl.n == 1 && wl.type[0] == ETCD_EVENT_CANCELED &&
	    fake_watch_hits == 1);
	etcd_watch_cancel(w);
	watchlog_clear(&wl);

	/* a stream of junk: no event, reconnects with a growing backoff */
	fake_watch_garbage = 1;
	fake_watch_hits = 0;
	w = etcd_watch(ec, "it/", ETCD_PREFIX, 0, watch_cb, &wl);
	REQUIRE(w != NULL);
	run_for(1.0);
	CHECK(wl.n == 0 && fake_watch_hits >= 2 && fake_watch_hits <= 6);
	etcd_watch_cancel(w);
	etcd_client_free(ec);
	evhttp_free(fake);

	/* bad endpoint lists */
	{
		char *cause = NULL;

		CHECK(etcd_client_new(base, "", &cause) == NULL &&
		    cause != NULL);
		free(cause);
		cause = NULL;
		CHECK(etcd_client_new(base, "ftp://x", &cause) == NULL &&
		    cause != NULL && strstr(cause, "http://") != NULL);
		free(cause);
		cause = NULL;
		CHECK(etcd_client_new(base, "http://a,,http://b", &cause) ==
		    NULL && cause != NULL);
		free(cause);
	}

	CHECK(sync_callbacks == 0);
	call_reset(&c);
}

/* 1 when nothing listens on the port of url (http://127.0.0.1:PORT). */
static int
port_closed(const char *url)
{
	struct sockaddr_in sin;
	const char *colon = strrchr(url, ':');
	long port;
	char *end;
	int fd, r;

	REQUIRE(colon != NULL);
	port = strtol(colon + 1, &end, 10);
	REQUIRE(end != colon + 1 && port > 0 && port < 65536);
	REQUIRE((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	r = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	return r == -1 && errno == ECONNREFUSED;
}

/*
 * SIGKILL a member (the shell's child) and wait, bounded, until its client
 * port refuses connections: a multi-threaded process shows as a zombie
 * before all its threads (and sockets) are gone.
 */
static void
kill_member(pid_t pid, const char *url)
{
	int i;

	REQUIRE(kill(pid, SIGKILL) == 0);
	for (i = 0; i < 100 && !port_closed(url); i++)
		run_for(0.05);
	REQUIRE(port_closed(url));
}

static void
test_cluster(const char *endpoints, const char *pidlist)
{
	struct etcd_client *ec;
	struct etcd_txn *txn;
	struct call c = { 0 };
	struct watchlog wl = { 0 };
	struct etcd_watch *w;
	char *eps[3], *copy, *p, key[64];
	pid_t pids[3];
	int i, n, ok, round;
	double t0;

	copy = strdup(endpoints);
	for (n = 0, p = copy; n < 3 && (eps[n] = strsep(&p, ",")) != NULL; n++)
		;
	REQUIRE(n == 3);
	for (i = 0; i < 3; i++) {
		char *end;
		long v = strtol(pidlist, &end, 10);

		REQUIRE(end != pidlist && v > 1);
		pids[i] = (pid_t)v;
		pidlist = end;
	}

	ec = client(endpoints, 5000);
	etcd_client_set_observer(ec, observe, NULL);
	DO(&c, etcd_put(ec, "cl/a", "1", 1, 0, call_cb, &c));
	CHECK(c.ok);
	CHECK(strcmp(etcd_client_endpoint(ec), eps[0]) == 0);
	w = etcd_watch(ec, "cl/w/", ETCD_PREFIX, c.revision + 1, watch_cb, &wl);
	REQUIRE(w != NULL);
	DO(&c, etcd_put(ec, "cl/w/1", "before", 6, 0, call_cb, &c));
	CHECK(c.ok);
	CHECK(wait_count(&wl.n, 1, 10));

	/* Kill the member the client prefers (a follower). */
	REQUIRE(strcmp(etcd_client_endpoint(ec), eps[0]) == 0);
	fprintf(stderr, "killing %s (pid %d)\n", eps[0], (int)pids[0]);
	kill_member(pids[0], eps[0]);

	ok = 0;
	for (round = 0; round < 20; round++) {
		snprintf(key, sizeof(key), "cl/k/%02d", round);
		DO(&c, etcd_put(ec, key, key, strlen(key), 0, call_cb, &c));
		CHECK(c.ok);
		if (!c.ok)
			fprintf(stderr, "put: %s\n", c.error);
		DO(&c, etcd_range(ec, key, 0, call_cb, &c));
		CHECK(c.ok && c.nkvs == 1 && strcmp(c.kvs[0].value, key) == 0);
		txn = etcd_txn_new();
		etcd_txn_cmp_int(txn, key, ETCD_CMP_VERSION, ETCD_CMP_EQUAL, 1);
		etcd_txn_put(txn, 1, key, "v2", 2, 0);
		DO(&c, etcd_txn(ec, txn, call_cb, &c));
		etcd_txn_free(txn);
		CHECK(c.ok && c.succeeded);
		ok += c.ok && c.succeeded;
	}
	CHECK(ok == 20);
	CHECK(strcmp(etcd_client_endpoint(ec), eps[0]) != 0);
	DO(&c, etcd_range(ec, "cl/k/", ETCD_PREFIX | ETCD_COUNT_ONLY, call_cb,
	    &c));
	CHECK(c.ok && c.count == 20);

	/* The watch moved to a live member and sees new events. */
	DO(&c, etcd_put(ec, "cl/w/2", "after", 5, 0, call_cb, &c));
	CHECK(c.ok);
	CHECK(wait_count(&wl.n, 2, 15));
	CHECK(wl.n == 2 && wl.value[1] != NULL &&
	    strcmp(wl.value[1], "after") == 0);

	/* One member left: no quorum; an error within the timeout. */
	etcd_client_set_timeout(ec, 2000);
	fprintf(stderr, "killing %s (pid %d)\n", eps[1], (int)pids[1]);
	kill_member(pids[1], eps[1]);
	t0 = now();
	DO(&c, etcd_range(ec, "cl/a", 0, call_cb, &c));
	CHECK(!c.ok && c.error != NULL && now() - t0 < 3.5);
	fprintf(stderr, "no quorum, range: %s (%.2f s)\n",
	    c.error != NULL ? c.error : "(none)", now() - t0);

	/* All members down: a sentence within the timeout, no hang. */
	fprintf(stderr, "killing %s (pid %d)\n", eps[2], (int)pids[2]);
	kill_member(pids[2], eps[2]);
	t0 = now();
	DO(&c, etcd_put(ec, "cl/b", "1", 1, 0, call_cb, &c));
	CHECK(!c.ok && c.error != NULL && now() - t0 < 3.0);
	CHECK(c.error != NULL && strncmp(c.error,
	    "etcd: no member answered (", 26) == 0);
	for (i = 0; i < 3; i++)
		CHECK(c.error != NULL && strstr(c.error, eps[i]) != NULL);
	fprintf(stderr, "all down, put: %s\n", c.error);
	t0 = now();
	DO(&c, etcd_range(ec, "cl/b", 0, call_cb, &c));
	CHECK(!c.ok && now() - t0 < 3.0);
	run_for(0.5);   /* the watch keeps retrying quietly */
	etcd_watch_cancel(w);
	etcd_client_free(ec);
	watchlog_clear(&wl);
	call_reset(&c);
	CHECK(sync_callbacks == 0);
	free(copy);
}

int
main(int argc, char **argv)
{
	struct event *t;
	struct timeval tv = { 0, 20 * 1000 };
	const char *ep;

	if (argc != 2) {
		fprintf(stderr, "usage: itest_etcd single|cluster\n");
		return 2;
	}
	alarm(240);   /* a watchdog: the run never hangs */
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	base = event_base_new();
	REQUIRE(base != NULL);
	t = event_new(base, -1, EV_PERSIST, tick, NULL);
	event_add(t, &tv);

	if (strcmp(argv[1], "single") == 0) {
		REQUIRE((ep = getenv("ETCD_ENDPOINT")) != NULL);
		test_single(ep);
	} else if (strcmp(argv[1], "cluster") == 0) {
		const char *eps = getenv("ITEST_ENDPOINTS");
		const char *pids = getenv("ITEST_PIDS");

		REQUIRE(eps != NULL && pids != NULL);
		test_cluster(eps, pids);
	} else {
		fprintf(stderr, "usage: itest_etcd single|cluster\n");
		return 2;
	}
	event_free(t);
	event_base_free(base);
	curl_global_cleanup();
	printf("itest_etcd %s: %d checks, %d failed\n", argv[1], nchecks,
	    nfailures);
	return nfailures == 0 ? 0 : 1;
}
