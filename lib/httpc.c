/*
 * httpc.c: an asynchronous HTTPS client. One libcurl multi handle driven by
 * the caller's libevent loop through curlev (curlev.h: the hiperfifo
 * pattern, the dispatch guard, timers). No threads, no blocking calls.
 *
 * A request's life:
 *
 *	QUEUED (easy in the multi) --curl done----------------> DONE (cb once)
 *	     |---------------------- answer past max_answer --> DONE (!ok)
 *	     |---------------------- queueing failed later ----> DEFERRED
 *	     '---------------------- httpc_cancel -------------> freed, no cb
 *	DEFERRED (zero timer) -----------------------------------> DONE (!ok)
 *
 * Callbacks run from the loop after curl has returned (never inside a curl
 * callback, never inside httpc_request), exactly once per request. A
 * callback may queue requests, cancel other requests or free the client: the
 * client counts how deep the dispatch is and, when freed inside it, is torn
 * down once the dispatch unwinds.
 *
 * Transport: TLS 1.3 only, the peer verified against ca_file alone (no
 * system store) including its name, an optional client certificate (mutual
 * TLS), HTTP/1.1 with keep-alive; the multi handle's connection cache keeps
 * connections open for reuse by later requests, so an agent's calls go over
 * one connection while nothing else is in flight. Proxies are never used,
 * whatever the environment says (CURLOPT_PROXY ""): the agent talks to its
 * controller directly. Only https:// URLs are accepted, and redirects are
 * not followed.
 */
#include "httpc.h"

#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "curlev.h"
#include "log.h"
#include "xmalloc.h"

#define HTTPC_MAX_TIMEOUT_MS  (3600L * 1000)
#define HTTPC_CONNECT_MS      10000L
#define HTTPC_MAX_URL         4096
#define HTTPC_MAXCONNECTS     16L

struct httpc_req {
	TAILQ_ENTRY(httpc_req) entry;
	struct httpc *h;
	unsigned long id;
	const char *method;                  /* one of methods[] */
	char *where;                         /* url without query, for errors */
	char *body;                          /* owned; NULL: none */
	httpc_cb cb;
	void *arg;
	CURL *easy;
	struct buf answer;
	int too_big;
	char errbuf[CURL_ERROR_SIZE];
	struct curlev_timer *later;          /* deferred failure */
	char *pending_error;                 /* its sentence */
	double start;
};

struct httpc {
	struct curlev *cv;
	struct curl_slist *hdr_body;         /* with a body */
	struct curl_slist *hdr_nobody;       /* without */
	char *ca_file;
	char *cert_file;
	char *key_file;
	unsigned long next_id;
	size_t npending;
	TAILQ_HEAD(, httpc_req) reqs;
	int freeing;                         /* httpc_free called */
};

static const char *const methods[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"
};

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The curlev's release hook: the client's last moment. */
static void
client_destroy(void *arg)
{
	struct httpc *h = arg;

	curl_slist_free_all(h->hdr_body);
	curl_slist_free_all(h->hdr_nobody);
	free(h->ca_file);
	free(h->cert_file);
	free(h->key_file);
	free(h);
}

/* The client. */

static int
tls_file(const char *what, const char *path, char **dst, char **cause)
{
	if (path == NULL)
		return 0;
	if (*path == '\0') {
		*cause = xasprintf("httpc: the %s file name is empty", what);
		return -1;
	}
	if (access(path, R_OK) == -1) {
		*cause = xasprintf("httpc: cannot read the %s file %s", what,
		    path);
		return -1;
	}
	*dst = xstrdup(path);
	return 0;
}

struct httpc *
httpc_new(struct event_base *base, const struct httpc_tls *tls, char **cause)
{
	struct httpc *h;
	char *why;

	*cause = NULL;
	if (base == NULL || tls == NULL) {
		*cause = xstrdup("httpc: no event loop or no TLS settings");
		return NULL;
	}
	if (tls->ca_file == NULL) {
		*cause = xstrdup("httpc: no CA file to verify the server with");
		return NULL;
	}
	if (tls->key_file != NULL && tls->cert_file == NULL) {
		*cause = xstrdup("httpc: a client key without a client "
		    "certificate");
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	h->next_id = 1;
	TAILQ_INIT(&h->reqs);
	if (tls_file("CA", tls->ca_file, &h->ca_file, cause) == -1 ||
	    tls_file("client certificate", tls->cert_file, &h->cert_file,
	    cause) == -1 ||
	    tls_file("client key", tls->key_file, &h->key_file, cause) == -1)
		goto fail;
	if ((h->cv = curlev_new(base, HTTPC_MAXCONNECTS, &why)) == NULL) {
		*cause = xasprintf("httpc: %s", why);
		free(why);
		goto fail;
	}
	h->hdr_body = curl_slist_append(NULL, "Content-Type: application/json");
	if (h->hdr_body != NULL)
		h->hdr_body = curl_slist_append(h->hdr_body,
		    "Accept: application/json");
	if (h->hdr_body != NULL)
		h->hdr_body = curl_slist_append(h->hdr_body, "Expect:");
	h->hdr_nobody = curl_slist_append(NULL, "Accept: application/json");
	if (h->hdr_body == NULL || h->hdr_nobody == NULL) {
		*cause = xstrdup("httpc: out of memory");
		goto fail;
	}
	curlev_set_release(h->cv, client_destroy, h);
	return h;
 fail:
	curlev_free(h->cv);
	client_destroy(h);
	return NULL;
}

/* Requests. */

static void
req_drop_easy(struct httpc_req *r)
{
	if (r->easy == NULL)
		return;
	curlev_remove(r->h->cv, r->easy);
	curl_easy_cleanup(r->easy);
	r->easy = NULL;
}

static void
req_free(struct httpc_req *r)
{
	req_drop_easy(r);
	curlev_timer_free(r->later);
	free(r->where);
	free(r->body);
	buf_free(&r->answer);
	free(r->pending_error);
	free(r);
}

/* Unlinks r, hands ans to the callback (unless freeing) and frees r. */
static void
req_finish(struct httpc_req *r, struct httpc_answer *ans)
{
	struct httpc *h = r->h;

	TAILQ_REMOVE(&h->reqs, r, entry);
	h->npending--;
	req_drop_easy(r);
	ans->elapsed = now_seconds() - r->start;
	if (!h->freeing)
		r->cb(ans, r->arg);
	req_free(r);
}

static void
req_finish_error(struct httpc_req *r, const char *error)
{
	struct httpc_answer ans;

	memset(&ans, 0, sizeof(ans));
	ans.body = "";
	ans.error = error;
	req_finish(r, &ans);
}

static void
req_deferred(void *arg)
{
	struct httpc_req *r = arg;
	char *error = r->pending_error;

	r->pending_error = NULL;
	req_finish_error(r, error);
	free(error);
}

/* Fails r from a zero timer: never inside the httpc_request that queued it. */
static void
req_fail_later(struct httpc_req *r, char *error)
{
	req_drop_easy(r);
	free(r->pending_error);
	r->pending_error = error;
	if (r->later == NULL)
		r->later = curlev_timer_new(r->h->cv, req_deferred, r);
	curlev_timer_add(r->later, 0);
}

static size_t
req_write(char *p, size_t size, size_t n, void *arg)
{
	struct httpc_req *r = arg;

	if (size != 1 || buf_add(&r->answer, p, n) == -1) {
		r->too_big = 1;
		return 0;        /* curl aborts with CURLE_WRITE_ERROR */
	}
	return n;
}

/* curlev's done callback: r->easy is out of the multi. */
static void
req_done(CURL *easy, CURLcode rc, void *arg)
{
	struct httpc_req *r = arg;
	struct httpc_answer ans;
	const char *why;
	char *error;
	long status = 0;

	if (r->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		error = xasprintf("httpc: %s %s: answer over %zu bytes",
		    r->method, r->where, r->answer.max);
		req_finish_error(r, error);
		free(error);
		return;
	}
	if (rc != CURLE_OK) {
		why = r->errbuf[0] != '\0' ? r->errbuf : curl_easy_strerror(rc);
		error = xasprintf("httpc: %s %s: %s", r->method, r->where, why);
		req_finish_error(r, error);
		free(error);
		return;
	}
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	memset(&ans, 0, sizeof(ans));
	ans.ok = 1;
	ans.status = status;
	ans.body = r->answer.data != NULL ? r->answer.data : "";
	ans.len = r->answer.len;
	req_finish(r, &ans);
}

static const char *
method_lookup(const char *method)
{
	size_t i;

	if (method == NULL)
		return NULL;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(method, methods[i]) == 0)
			return methods[i];
	return NULL;
}

static CURL *
easy_new(struct httpc_req *r, const char *url, long timeout_ms,
    size_t max_answer, size_t len)
{
	struct httpc *h = r->h;
	CURL *easy;

	if ((easy = curl_easy_init()) == NULL)
		return NULL;
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(easy, CURLOPT_PROXY, "");
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(easy, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_3);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(easy, CURLOPT_CAINFO, h->ca_file);
	curl_easy_setopt(easy, CURLOPT_CAPATH, NULL);
	if (h->cert_file != NULL) {
		curl_easy_setopt(easy, CURLOPT_SSLCERT, h->cert_file);
		curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (h->key_file != NULL) {
		curl_easy_setopt(easy, CURLOPT_SSLKEY, h->key_file);
		curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
	}
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
	    timeout_ms < HTTPC_CONNECT_MS ? timeout_ms : HTTPC_CONNECT_MS);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, 10L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, 5L);
	curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)max_answer);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, req_write);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, r->errbuf);
	r->errbuf[0] = '\0';

	if (strcmp(r->method, "HEAD") == 0)
		curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
	else if (strcmp(r->method, "GET") != 0 &&
	    strcmp(r->method, "POST") != 0)
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r->method);
	if (r->body != NULL) {
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len);
		curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h->hdr_body);
	} else
		curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h->hdr_nobody);
	return easy;
}

unsigned long
httpc_request(struct httpc *h, const char *method, const char *url,
    const char *body, size_t len, long timeout_ms, size_t max_answer,
    httpc_cb cb, void *arg)
{
	struct httpc_req *r;
	const char *m;
	size_t ulen;

	if (h == NULL || h->freeing || cb == NULL || url == NULL)
		return 0;
	if ((m = method_lookup(method)) == NULL) {
		log_warnx("httpc: method %.16s is not supported",
		    method != NULL ? method : "(none)");
		return 0;
	}
	ulen = strnlen(url, HTTPC_MAX_URL + 1);
	if (ulen > HTTPC_MAX_URL || strncmp(url, "https://", 8) != 0 ||
	    ulen == 8 || strpbrk(url, " \t\r\n") != NULL) {
		log_warnx("httpc: \"%.64s\" is not an https:// URL of at most "
		    "%d characters", url, HTTPC_MAX_URL);
		return 0;
	}
	if (body == NULL && len > 0)
		return 0;
	/* A body goes with POST, PUT, PATCH and DELETE only. */
	if (body != NULL && (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)) {
		log_warnx("httpc: a %s request cannot carry a body", m);
		return 0;
	}
	if (timeout_ms <= 0 || max_answer == 0 || max_answer == SIZE_MAX)
		return 0;
	if (timeout_ms > HTTPC_MAX_TIMEOUT_MS)
		timeout_ms = HTTPC_MAX_TIMEOUT_MS;
	/* POST and PUT always send a (maybe empty) body. */
	if (body == NULL && (strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 ||
	    strcmp(m, "PATCH") == 0))
		body = "";

	r = xcalloc(1, sizeof(*r));
	r->h = h;
	r->id = h->next_id++;
	if (h->next_id == 0)
		h->next_id = 1;
	r->method = m;
	r->where = xstrndup(url, strcspn(url, "?#"));
	if (body != NULL) {
		r->body = xmalloc(len + 1);
		if (len > 0)
			memcpy(r->body, body, len);
		r->body[len] = '\0';
	}
	r->cb = cb;
	r->arg = arg;
	buf_init(&r->answer, max_answer);
	r->start = now_seconds();
	TAILQ_INSERT_TAIL(&h->reqs, r, entry);
	h->npending++;

	if ((r->easy = easy_new(r, url, timeout_ms, max_answer, len)) == NULL)
		req_fail_later(r, xasprintf("httpc: %s %s: curl_easy_init "
		    "failed", m, r->where));
	else if (curlev_add(h->cv, r->easy, req_done, r) == -1) {
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
		req_fail_later(r, xasprintf("httpc: %s %s: "
		    "curl_multi_add_handle failed", m, r->where));
	}
	return r->id;
}

void
httpc_cancel(struct httpc *h, unsigned long id)
{
	struct httpc_req *r;

	if (h == NULL || id == 0 || h->freeing)
		return;
	TAILQ_FOREACH(r, &h->reqs, entry) {
		if (r->id == id) {
			TAILQ_REMOVE(&h->reqs, r, entry);
			h->npending--;
			req_free(r);
			return;
		}
	}
}

size_t
httpc_pending(const struct httpc *h)
{
	if (h == NULL || h->freeing)
		return 0;
	return h->npending;
}

void
httpc_free(struct httpc *h)
{
	struct httpc_req *r;

	if (h == NULL || h->freeing)
		return;
	h->freeing = 1;
	while ((r = TAILQ_FIRST(&h->reqs)) != NULL) {
		TAILQ_REMOVE(&h->reqs, r, entry);
		req_free(r);
	}
	h->npending = 0;
	/* Inside a callback, the client goes once the dispatch unwinds. */
	curlev_free(h->cv);
}
