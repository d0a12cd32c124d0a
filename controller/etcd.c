/*
 * etcd.c: the etcd v3 client's I/O half. One libcurl multi handle driven by
 * the caller's libevent loop through curlev (curlev.h: the hiperfifo
 * pattern, the dispatch guard, timers). No threads, no blocking calls.
 *
 * A request is a small state machine over the endpoint list:
 *
 *	ATTEMPT(ep) --answer ok----------------------------> DONE (ok)
 *	     |------answer: etcd error -------------------->  DONE (!ok)
 *	     |------failure, safe to resend, time left ---->  ATTEMPT(next ep)
 *	     '------failure, not safe or no endpoint left -->  DONE (!ok)
 *
 * It starts at the endpoint that last worked and tries each endpoint at
 * most once, all within one deadline (the client's timeout). Resending is
 * safe when the request never left us (connect refused, DNS, a timeout
 * before any byte was sent) or when the call cannot change anything twice
 * (range, read-only txn, keepalive, revoke). A put, delete, mutating txn or
 * lease grant that failed after it was sent (timeout, connection reset,
 * 503 "leader changed") may have been applied by etcd; it is NOT resent and
 * fails with a sentence saying so: the caller decides (a txn guarded by
 * mod_revision can simply be retried by the caller after a re-read).
 *
 * Callbacks run from the loop, after curl has returned, exactly once per
 * request; a failure found while queueing is delivered from a zero timer.
 * etcd_client_free() drops pending requests without calling them, even from
 * inside a callback (the client is then torn down once the dispatch unwinds).
 *
 * Watches are in etcd_watch.c; etcd_int.h holds what the two share.
 */
#include "etcd.h"
#include "etcd_int.h"

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "curlev.h"
#include "log.h"
#include "xmalloc.h"

#define ETCD_MAX_ENDPOINTS    32
#define ETCD_MAX_ENDPOINT_LEN 256
#define ETCD_MAX_TIMEOUT_MS   (3600L * 1000)
#define ETCD_MAX_REASONS      1024

struct etcd_method {
	const char *name;     /* etcd_decode's and the observer's name */
	const char *path;
	int mutating;         /* not resent once it may have been sent */
};

static const struct etcd_method method_range = { "range", "/v3/kv/range", 0 };
static const struct etcd_method method_put = { "put", "/v3/kv/put", 1 };
static const struct etcd_method method_delete = { "deleterange",
    "/v3/kv/deleterange", 1 };
static const struct etcd_method method_txn = { "txn", "/v3/kv/txn", 1 };
static const struct etcd_method method_txn_ro = { "txn", "/v3/kv/txn", 0 };
static const struct etcd_method method_grant = { "lease_grant",
    "/v3/lease/grant", 1 };
static const struct etcd_method method_keepalive = { "lease_keepalive",
    "/v3/lease/keepalive", 0 };
/* Revoking twice leaves the same state (the second says "not found"). */
static const struct etcd_method method_revoke = { "lease_revoke",
    "/v3/lease/revoke", 0 };

struct etcd_req {
	TAILQ_ENTRY(etcd_req) entry;
	struct etcd_client *client;
	const struct etcd_method *method;
	char *body;
	etcd_cb cb;
	void *arg;
	CURL *easy;
	struct buf answer;
	int too_big;
	char errbuf[CURL_ERROR_SIZE];
	struct curlev_timer *later;          /* deferred completion */
	size_t first;                        /* endpoint tried first */
	size_t tried;                        /* endpoints tried so far */
	size_t cur;                          /* endpoint of this attempt */
	double start;
	double deadline;
	struct buf reasons;                  /* "ep: why; ep: why" */
	int last_http;
	int last_grpc;
	char *pending_error;                 /* for the deferred completion */
};

static void	 req_attempt(struct etcd_req *);
static void	 req_done(CURL *, CURLcode, void *);

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* curlev's release hook: the client's last moment. */
static void
client_destroy(void *arg)
{
	struct etcd_client *c = arg;
	size_t i;

	curl_slist_free_all(c->headers);
	for (i = 0; i < c->nendpoints; i++)
		free(c->endpoints[i]);
	free(c->endpoints);
	free(c);
}

/* Endpoints. */

static int
parse_endpoints(struct etcd_client *c, const char *list, char **cause)
{
	char *copy, *p, *tok, *ep;
	size_t n;
	int ret = -1;

	p = copy = xstrdup(list);
	while ((tok = strsep(&p, ",")) != NULL) {
		tok += strspn(tok, " \t");
		n = strcspn(tok, " \t");
		if (tok[n] != '\0' && tok[n + strspn(tok + n, " \t")] != '\0') {
			*cause = xasprintf("etcd: endpoint \"%.64s\" has a "
			    "blank inside", tok);
			goto done;
		}
		tok[n] = '\0';
		while (n > 0 && tok[n - 1] == '/')
			tok[--n] = '\0';
		if (n == 0) {
			*cause = xstrdup("etcd: an endpoint in the list is "
			    "empty");
			goto done;
		}
		if (n > ETCD_MAX_ENDPOINT_LEN) {
			*cause = xasprintf("etcd: an endpoint is longer than "
			    "%d characters", ETCD_MAX_ENDPOINT_LEN);
			goto done;
		}
		if ((strncmp(tok, "http://", 7) != 0 || n == 7) &&
		    (strncmp(tok, "https://", 8) != 0 || n == 8)) {
			*cause = xasprintf("etcd: endpoint \"%.64s\" is not an "
			    "http:// or https:// URL", tok);
			goto done;
		}
		if (strpbrk(tok, "?#") != NULL) {
			*cause = xasprintf("etcd: endpoint \"%.64s\" has a "
			    "query or fragment", tok);
			goto done;
		}
		if (c->nendpoints == ETCD_MAX_ENDPOINTS) {
			*cause = xasprintf("etcd: more than %d endpoints",
			    ETCD_MAX_ENDPOINTS);
			goto done;
		}
		ep = xstrdup(tok);
		c->endpoints = xreallocarray(c->endpoints, c->nendpoints + 1,
		    sizeof(*c->endpoints));
		c->endpoints[c->nendpoints++] = ep;
	}
	if (c->nendpoints == 0) {
		*cause = xstrdup("etcd: no endpoint given");
		goto done;
	}
	ret = 0;
 done:
	free(copy);
	return ret;
}

struct etcd_client *
etcd_client_new(struct event_base *base, const char *endpoints, char **cause)
{
	struct etcd_client *c;
	char *why;

	*cause = NULL;
	if (base == NULL || endpoints == NULL) {
		*cause = xstrdup("etcd: no event loop or no endpoints");
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->timeout_ms = ETCD_DEFAULT_TIMEOUT_MS;
	TAILQ_INIT(&c->reqs);
	TAILQ_INIT(&c->watches);
	if (parse_endpoints(c, endpoints, cause) == -1)
		goto fail;
	if ((c->cv = curlev_new(base, 64L, &why)) == NULL) {
		*cause = xasprintf("etcd: %s", why);
		free(why);
		goto fail;
	}
	/* Watch streams are parsed after curl returns, before done. */
	curlev_set_after(c->cv, etcd_watch_deliver, c);
	c->headers = curl_slist_append(NULL, "Content-Type: application/json");
	c->headers = curl_slist_append(c->headers, "Expect:");
	if (c->headers == NULL) {
		*cause = xstrdup("etcd: out of memory");
		goto fail;
	}
	curlev_set_release(c->cv, client_destroy, c);
	return c;
 fail:
	curlev_free(c->cv);
	client_destroy(c);
	return NULL;
}

void
etcd_client_set_timeout(struct etcd_client *c, long ms)
{
	if (ms <= 0)
		ms = ETCD_DEFAULT_TIMEOUT_MS;
	if (ms > ETCD_MAX_TIMEOUT_MS)
		ms = ETCD_MAX_TIMEOUT_MS;
	c->timeout_ms = ms;
}

const char *
etcd_client_endpoint(const struct etcd_client *c)
{
	return c->endpoints[c->preferred];
}

void
etcd_client_set_observer(struct etcd_client *c, etcd_observe_cb cb, void *arg)
{
	c->observe = cb;
	c->observe_arg = arg;
}

/* Requests. */

static void
req_drop_easy(struct etcd_req *r)
{
	if (r->easy == NULL)
		return;
	curlev_remove(r->client->cv, r->easy);
	curl_easy_cleanup(r->easy);
	r->easy = NULL;
}

static void
req_free(struct etcd_req *r)
{
	req_drop_easy(r);
	curlev_timer_free(r->later);
	free(r->body);
	buf_free(&r->answer);
	buf_free(&r->reasons);
	free(r->pending_error);
	free(r);
}

/* Hands res to the callback (exactly once) and frees r. */
static void
req_finish(struct etcd_req *r, struct etcd_result *res)
{
	struct etcd_client *c = r->client;

	TAILQ_REMOVE(&c->reqs, r, entry);
	req_drop_easy(r);
	res->elapsed = now_seconds() - r->start;
	if (c->observe != NULL)
		c->observe(r->method->name, res->ok, res->elapsed,
		    c->observe_arg);
	if (!c->freeing)
		r->cb(res, r->arg);
	req_free(r);
}

static void
req_finish_error(struct etcd_req *r, const char *error)
{
	struct etcd_result res;

	memset(&res, 0, sizeof(res));
	res.error = xstrdup(error);
	res.http_status = r->last_http;
	res.grpc_code = r->last_grpc;
	req_finish(r, &res);
	etcd_result_clear(&res);
}

static void
req_deferred(void *arg)
{
	struct etcd_req *r = arg;
	char *error = r->pending_error;

	r->pending_error = NULL;
	req_finish_error(r, error);
	free(error);
}

/* Fails r from a zero timer: never inside the etcd_* call that queued it. */
static void
req_fail_later(struct etcd_req *r, char *error)
{
	req_drop_easy(r);
	free(r->pending_error);
	r->pending_error = error;
	if (r->later == NULL)
		r->later = curlev_timer_new(r->client->cv, req_deferred, r);
	curlev_timer_add(r->later, 0);
}

static void
req_note(struct etcd_req *r, const char *why)
{
	if (strncmp(why, "etcd: ", 6) == 0)
		why += 6;
	if (r->reasons.len >= ETCD_MAX_REASONS)
		return;
	buf_printf(&r->reasons, "%s%s: %.200s", r->reasons.len > 0 ? "; " :
	    "", r->client->endpoints[r->cur], why);
}

/* All endpoints (or the time) used up: the one sentence for the caller. */
static void
req_give_up(struct etcd_req *r, const char *why_stop)
{
	char *error;

	error = xasprintf("etcd: no member answered%s (%s)", why_stop,
	    r->reasons.len > 0 ? r->reasons.data : "nothing tried");
	req_finish_error(r, error);
	free(error);
}

static size_t
req_write(char *p, size_t size, size_t n, void *arg)
{
	struct etcd_req *r = arg;

	if (size != 1 || buf_add(&r->answer, p, n) == -1) {
		r->too_big = 1;
		return 0;
	}
	return n;
}

CURL *
etcd_easy_new(struct etcd_client *c, const char *ep, const char *path,
    const char *body, char *errbuf)
{
	CURL *easy;
	char *url;

	if ((easy = curl_easy_init()) == NULL)
		return NULL;
	url = xasprintf("%s%s", ep, path);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_PROXY, "");
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)strlen(body));
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, 10L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, 5L);
	errbuf[0] = '\0';
	return easy;
}

static void
req_attempt(struct etcd_req *r)
{
	struct etcd_client *c = r->client;
	double remaining;
	long ms, connect_ms;
	size_t left;

	remaining = r->deadline - now_seconds();
	/* The first attempt always starts: its end is never synchronous. */
	if (r->tried > 0 && remaining <= 0.001) {
		req_give_up(r, " in time");
		return;
	}
	r->cur = (r->first + r->tried) % c->nendpoints;
	r->tried++;
	left = c->nendpoints - r->tried + 1;
	ms = remaining > 0.001 ? (long)(remaining * 1000) : 1;
	/*
	 * Connecting gets a share of the time (at least a second), so that a
	 * member that drops SYNs leaves time for the others. A request that
	 * may be resent gets the same share to answer in, so that a member
	 * that accepts connections but never answers does too; one that may
	 * not be resent keeps all the time left.
	 */
	connect_ms = ms;
	if (left > 1 && ms / (long)left >= 1000)
		connect_ms = ms / (long)left;
	else if (left > 1 && ms > 1000)
		connect_ms = 1000;
	if (!r->method->mutating)
		ms = connect_ms;
	buf_reset(&r->answer);
	r->too_big = 0;
	r->easy = etcd_easy_new(c, c->endpoints[r->cur], r->method->path,
	    r->body, r->errbuf);
	if (r->easy == NULL) {
		req_fail_later(r, xstrdup("etcd: curl_easy_init failed"));
		return;
	}
	curl_easy_setopt(r->easy, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)ETCD_MAX_ANSWER);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, req_write);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS,
	    connect_ms > 0 ? connect_ms : 1L);
	if (curlev_add(c->cv, r->easy, req_done, r) == -1) {
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
		req_fail_later(r, xstrdup("etcd: curl_multi_add_handle "
		    "failed"));
	}
}

/* An etcd answer meaning "this member cannot serve now, another may". */
static int
answer_unavailable(const struct etcd_result *res)
{
	if (res->http_status == 503 || res->grpc_code == 14)
		return 1;
	if (res->error == NULL)
		return 0;
	return strstr(res->error, "leader changed") != NULL ||
	    strstr(res->error, "no leader") != NULL ||
	    strstr(res->error, "not leader") != NULL;
}

/* Curl failures where nothing of the request reached the server. */
static int
curl_not_sent(CURL *easy, CURLcode rc)
{
	long sent = -1;

	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
		return 1;
	default:
		break;
	}
	if (curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &sent) == CURLE_OK &&
	    sent == 0)
		return 1;
	return 0;
}

/* curlev's done callback: r->easy is out of the multi. */
static void
req_done(CURL *easy, CURLcode rc, void *arg)
{
	struct etcd_req *r = arg;
	struct etcd_client *c = r->client;
	struct etcd_result res;
	long http = 0;
	int more, sent;
	char *error;

	more = r->tried < c->nendpoints;
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &http);
	if (rc == CURLE_OK) {
		etcd_decode(r->method->name, (int)http, r->answer.data,
		    r->answer.len, &res);
		if (res.ok) {
			c->preferred = r->cur;
			req_finish(r, &res);
		} else if (answer_unavailable(&res) &&
		    !r->method->mutating && more) {
			r->last_http = res.http_status;
			r->last_grpc = res.grpc_code;
			req_note(r, res.error);
			req_drop_easy(r);
			req_attempt(r);
		} else if (answer_unavailable(&res) && r->tried > 1) {
			/* Say what the other members did too. */
			r->last_http = res.http_status;
			r->last_grpc = res.grpc_code;
			req_note(r, res.error);
			req_give_up(r, "");
		} else
			req_finish(r, &res);
		etcd_result_clear(&res);
		return;
	}
	if (r->too_big) {
		error = xasprintf("etcd: the answer from %s is larger than "
		    "%u bytes", c->endpoints[r->cur], (unsigned)ETCD_MAX_ANSWER);
		req_finish_error(r, error);
		free(error);
		return;
	}
	sent = !curl_not_sent(r->easy, rc);
	req_note(r, curl_easy_strerror(rc));
	if (sent && r->method->mutating) {
		error = xasprintf("etcd: %s: %s after the request was sent; "
		    "it may have been applied%s%s%s", c->endpoints[r->cur],
		    curl_easy_strerror(rc), r->tried > 1 ? " (" : "",
		    r->tried > 1 ? r->reasons.data : "",
		    r->tried > 1 ? ")" : "");
		req_finish_error(r, error);
		free(error);
		return;
	}
	if (!more) {
		req_give_up(r, "");
		return;
	}
	req_drop_easy(r);
	req_attempt(r);
}

static int
req_queue(struct etcd_client *c, const struct etcd_method *m, char *body,
    etcd_cb cb, void *arg)
{
	struct etcd_req *r;

	if (c == NULL || c->freeing || cb == NULL) {
		free(body);
		return -1;
	}
	r = xcalloc(1, sizeof(*r));
	r->client = c;
	r->method = m;
	r->body = body;
	r->cb = cb;
	r->arg = arg;
	buf_init(&r->answer, ETCD_MAX_ANSWER);
	buf_init(&r->reasons, 0);
	r->start = now_seconds();
	r->deadline = r->start + (double)c->timeout_ms / 1000.0;
	r->first = c->preferred;
	TAILQ_INSERT_TAIL(&c->reqs, r, entry);
	req_attempt(r);
	return 0;
}

int
etcd_range(struct etcd_client *c, const char *key, int flags, etcd_cb cb,
    void *arg)
{
	if (key == NULL)
		return -1;
	return req_queue(c, &method_range,
	    etcd_encode_range(key, strlen(key), flags), cb, arg);
}

int
etcd_put(struct etcd_client *c, const char *key, const void *value,
    size_t len, int64_t lease, etcd_cb cb, void *arg)
{
	if (key == NULL || (value == NULL && len > 0))
		return -1;
	if (value == NULL)
		value = "";
	return req_queue(c, &method_put, etcd_encode_put(key, value, len,
	    lease), cb, arg);
}

int
etcd_delete(struct etcd_client *c, const char *key, int flags, etcd_cb cb,
    void *arg)
{
	if (key == NULL)
		return -1;
	return req_queue(c, &method_delete,
	    etcd_encode_delete(key, strlen(key), flags), cb, arg);
}

int
etcd_txn(struct etcd_client *c, const struct etcd_txn *txn, etcd_cb cb,
    void *arg)
{
	if (txn == NULL)
		return -1;
	return req_queue(c, etcd_txn_read_only(txn) ? &method_txn_ro :
	    &method_txn, etcd_encode_txn(txn), cb, arg);
}

int
etcd_lease_grant(struct etcd_client *c, int64_t ttl, etcd_cb cb, void *arg)
{
	if (ttl <= 0)
		return -1;
	return req_queue(c, &method_grant, etcd_encode_lease("TTL", ttl), cb,
	    arg);
}

int
etcd_lease_keepalive(struct etcd_client *c, int64_t id, etcd_cb cb, void *arg)
{
	return req_queue(c, &method_keepalive, etcd_encode_lease("ID", id), cb,
	    arg);
}

int
etcd_lease_revoke(struct etcd_client *c, int64_t id, etcd_cb cb, void *arg)
{
	return req_queue(c, &method_revoke, etcd_encode_lease("ID", id), cb,
	    arg);
}

void
etcd_client_free(struct etcd_client *c)
{
	struct etcd_req *r;

	if (c == NULL || c->freeing)
		return;
	c->freeing = 1;
	while ((r = TAILQ_FIRST(&c->reqs)) != NULL) {
		TAILQ_REMOVE(&c->reqs, r, entry);
		req_free(r);
	}
	etcd_watch_free_all(c);
	/* Inside a callback, the client goes once the dispatch unwinds. */
	curlev_free(c->cv);
}
