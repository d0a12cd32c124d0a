/*
 * server.c: HTTPS with mutual TLS on libevent, request routing, replies.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "api.h"
#include "log.h"
#include "metrics.h"
#include "opts.h"
#include "pki.h"
#include "topology.h"
#include "workflow.h"
#include "xmalloc.h"

#define SERVER_TIMEOUT_SECS 60

int
server_split_hostport(const char *s, char **host, int *port)
{
	const char *colon;
	long long p;
	char *h;

	if (s == NULL)
		return -1;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || end[1] != ':')
			return -1;
		h = xstrndup(s + 1, (size_t)(end - s - 1));
		colon = end + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL || strchr(s, ':') != colon)
			return -1;
		h = xstrndup(s, (size_t)(colon - s));
	}
	if (*h == '\0' || opts_number(colon + 1, 0, 65535, &p) != 0) {
		free(h);
		return -1;
	}
	*host = h;
	*port = (int)p;
	return 0;
}

static void
server_req_free(struct server_req *sr)
{
	if (sr == NULL)
		return;
	sr->srv->inflight--;
	TAILQ_REMOVE(&sr->srv->pending, sr, entry);
	if (sr->state != NULL && sr->state_free != NULL)
		sr->state_free(sr->state);
	free(sr->peer_uri);
	free(sr->name);
	free(sr->sub);
	free(sr->query);
	free(sr->body);
	free(sr);
}

static void
server_send(struct server_req *sr, int code, const char *ctype, const char *data,
    size_t len)
{
	struct evbuffer *out = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(sr->req);

	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (out != NULL)
		evbuffer_add(out, data, len);
	evhttp_send_reply(sr->req, code, NULL, out);
	if (out != NULL)
		evbuffer_free(out);
	metrics_request(sr->route, code);
	log_debug("%s %s -> %d", sr->route, sr->name != NULL ? sr->name : "", code);
	server_req_free(sr);
}

void
server_reply_text(struct server_req *sr, int code, const char *ctype, const char *text)
{
	server_send(sr, code, ctype, text, strlen(text));
}

void
server_reply_json(struct server_req *sr, int code, json_t *body)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

	if (text == NULL)
		server_send(sr, 500, "application/json",
		    "{\"error\":\"cannot encode the answer\"}", 36);
	else {
		server_send(sr, code, "application/json", text, strlen(text));
		free(text);
	}
	json_decref(body);
}

void
server_reply_error(struct server_req *sr, int code, const char *msg, json_t *details)
{
	server_reply_json(sr, code, api_error_body(msg, details));
}

/* Decodes one path segment; NULL if it holds '/', NUL or bad escapes. */
static char *
server_segment(const char *seg, size_t len)
{
	char *raw = xstrndup(seg, len), *dec;
	size_t n;

	dec = evhttp_uridecode(raw, 0, &n);
	free(raw);
	if (dec == NULL)
		return NULL;
	if (n != strlen(dec) || strchr(dec, '/') != NULL || n == 0) {
		free(dec);
		return NULL;
	}
	return dec;
}

static int
server_query_flag(const char *query, const char *key)
{
	struct evkeyvalq q;
	const char *v;
	int ret = 0;

	if (query == NULL)
		return 0;
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(query, &q) != 0)
		return -1;
	if ((v = evhttp_find_header(&q, key)) != NULL) {
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			ret = 1;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			ret = 0;
		else
			ret = -1;
	}
	evhttp_clear_headers(&q);
	return ret;
}

/*
 * TLS records of one answer leave in several writes; with Nagle on, the
 * last waits for the client's delayed ACK (~40 ms a request).
 */
static void
server_nodelay(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev;
	evutil_socket_t fd;
	int one = 1;

	if (evcon == NULL || (bev = evhttp_connection_get_bufferevent(evcon)) == NULL ||
	    (fd = bufferevent_getfd(bev)) < 0)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static enum server_role
server_role(struct evhttp_request *req, char **uri)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev;
	SSL *ssl;
	X509 *peer;

	*uri = NULL;
	if (evcon == NULL || (bev = evhttp_connection_get_bufferevent(evcon)) == NULL ||
	    (ssl = bufferevent_openssl_get_ssl(bev)) == NULL ||
	    (peer = SSL_get0_peer_certificate(ssl)) == NULL)
		return ROLE_ANONYMOUS;
	/* A presented certificate was verified in the handshake; be sure. */
	if (SSL_get_verify_result(ssl) != X509_V_OK)
		return ROLE_NONE;
	if ((*uri = pki_cert_uri(peer, "fabfed://")) == NULL)
		return ROLE_NONE;
	if (strcmp(*uri, "fabfed://admin") == 0)
		return ROLE_ADMIN;
	if (strstr(*uri, "/org/") != NULL)
		return ROLE_AGENT;
	return ROLE_NONE;
}

#define R_ANON  (1 << ROLE_ANONYMOUS)
#define R_NONE  (1 << ROLE_NONE)
#define R_ADMIN (1 << ROLE_ADMIN)
#define R_AGENT (1 << ROLE_AGENT)
#define R_CERT  (R_NONE | R_ADMIN | R_AGENT)   /* any certificate of the federation CA */

static const struct route {
	const char *tmpl;         /* segments; "{name}" matches one */
	int method;
	int roles;
	void (*handler)(struct server_req *);
} routes[] = {
	{ "/healthz", EVHTTP_REQ_GET, R_CERT, api_healthz },
	{ "/readyz", EVHTTP_REQ_GET, R_CERT, api_readyz },
	{ "/metrics", EVHTTP_REQ_GET, R_CERT, api_metrics },
	{ "/v1/consortia", EVHTTP_REQ_GET, R_ADMIN, api_consortia_list },
	{ "/v1/consortia/{name}", EVHTTP_REQ_GET, R_ADMIN, api_consortium_get },
	{ "/v1/consortia/{name}", EVHTTP_REQ_PUT, R_ADMIN, api_consortium_put },
	{ "/v1/consortia/{name}", EVHTTP_REQ_DELETE, R_ADMIN, api_consortium_delete },
	{ "/v1/consortia/{name}/tokens", EVHTTP_REQ_POST, R_ADMIN, api_token_create },
	{ "/v1/consortia/{name}/orgs", EVHTTP_REQ_GET, R_ADMIN, api_orgs_list },
	{ "/v1/consortia/{name}/orgs/{msp}", EVHTTP_REQ_GET, R_ADMIN, api_org_get },
	{ "/v1/consortia/{name}/workflows", EVHTTP_REQ_GET, R_ADMIN, api_workflows_list },
	{ "/v1/consortia/{name}/workflows/{id}", EVHTTP_REQ_GET, R_ADMIN, api_workflow_get },
	{ "/v1/consortia/{name}/workflows/{id}/retry", EVHTTP_REQ_POST, R_ADMIN,
	    api_workflow_retry },
	{ "/v1/agent/desired", EVHTTP_REQ_GET, R_AGENT, api_agent_desired },
	{ "/v1/agent/msp", EVHTTP_REQ_PUT, R_AGENT, api_agent_put },
	{ "/v1/agent/endpoints", EVHTTP_REQ_PUT, R_AGENT, api_agent_put },
	{ "/v1/agent/status", EVHTTP_REQ_PUT, R_AGENT, api_agent_put },
	{ "/v1/agent/heartbeat", EVHTTP_REQ_POST, R_AGENT, api_agent_heartbeat },
	{ "/v1/agent/tasks/{id}", EVHTTP_REQ_PUT, R_AGENT, api_agent_task_put },
	{ "/v1/agent/orgs/{msp}", EVHTTP_REQ_GET, R_AGENT, api_agent_org },
	{ "/v1/agent/renew", EVHTTP_REQ_POST, R_AGENT, api_agent_renew },
	{ "/v1/enroll/ca", EVHTTP_REQ_GET, R_ANON | R_CERT, api_enroll_ca },
	{ "/v1/enroll", EVHTTP_REQ_POST, R_ANON | R_CERT, api_enroll },
};

/*
 * Whether path matches tmpl, segment by segment (a trailing '/' is
 * ignored). A "{...}" segment matches one decoded segment: the first goes
 * to cap[0], the second to cap[1] (caller frees both).
 */
static int
server_match(const char *tmpl, const char *path, char *cap[2])
{
	size_t tl, pl;
	int n = 0;

	cap[0] = cap[1] = NULL;
	for (;;) {
		while (*tmpl == '/')
			tmpl++;
		while (*path == '/')
			path++;
		if (*tmpl == '\0' || *path == '\0')
			break;
		tl = strcspn(tmpl, "/");
		pl = strcspn(path, "/");
		if (tmpl[0] == '{' && tmpl[tl - 1] == '}' && n < 2) {
			if ((cap[n++] = server_segment(path, pl)) == NULL)
				break;
		} else if (tl != pl || strncmp(tmpl, path, tl) != 0)
			break;
		tmpl += tl;
		path += pl;
	}
	if (*tmpl == '\0' && *path == '\0')
		return 1;
	free(cap[0]);
	free(cap[1]);
	cap[0] = cap[1] = NULL;
	return 0;
}

static void
server_dispatch(struct evhttp_request *req, void *arg)
{
	struct server *srv = arg;
	struct server_req *sr;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in), i;
	const struct route *found = NULL;
	char allow[64] = "", *cap[2];

	sr = xcalloc(1, sizeof(*sr));
	sr->srv = srv;
	sr->req = req;
	sr->route = "other";
	sr->method = (int)evhttp_request_get_command(req);
	srv->inflight++;
	TAILQ_INSERT_TAIL(&srv->pending, sr, entry);
	sr->role = server_role(req, &sr->peer_uri);
	server_nodelay(req);

	if (path == NULL) {
		server_reply_error(sr, 400, "the request has no path", NULL);
		return;
	}
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!server_match(routes[i].tmpl, path, cap))
			continue;
		sr->route = routes[i].tmpl;
		if (routes[i].method == sr->method && found == NULL) {
			found = &routes[i];
			sr->name = cap[0];
			sr->sub = cap[1];
			continue;
		}
		free(cap[0]);
		free(cap[1]);
		snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
		    allow[0] != '\0' ? ", " : "",
		    routes[i].method == EVHTTP_REQ_GET ? "GET" :
		    routes[i].method == EVHTTP_REQ_PUT ? "PUT" :
		    routes[i].method == EVHTTP_REQ_POST ? "POST" : "DELETE");
	}
	/* Before anything else: who may see even that a route exists. */
	if (sr->role == ROLE_ANONYMOUS && (found == NULL || !(found->roles & R_ANON))) {
		server_reply_error(sr, 401, "a client certificate from the federation CA "
		    "is required", NULL);
		return;
	}
	if (found == NULL && allow[0] == '\0') {
		server_reply_error(sr, 404, "no such route", NULL);
		return;
	}
	if (found == NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
		server_reply_error(sr, 405, "method not allowed on this route", NULL);
		return;
	}
	sr->route = found->tmpl;
	if (!(found->roles & (1 << sr->role))) {
		server_reply_error(sr, 403, sr->role == ROLE_AGENT ?
		    "an agent certificate cannot call the admin API" :
		    "this certificate may not call this route", NULL);
		return;
	}
	if (len > SERVER_MAX_BODY) {
		server_reply_error(sr, 413, "the body is over the 1 MiB limit", NULL);
		return;
	}
	sr->body = xmalloc(len + 1);
	if (evbuffer_remove(in, sr->body, len) != (int)len) {
		server_reply_error(sr, 500, "cannot read the request body", NULL);
		return;
	}
	sr->body[len] = '\0';
	sr->body_len = len;
	sr->query = query != NULL ? xstrdup(query) : NULL;
	if ((sr->dry_run = server_query_flag(query, "dryRun")) < 0) {
		server_reply_error(sr, 400, "dryRun must be true or false", NULL);
		return;
	}
	found->handler(sr);
}

static struct bufferevent *
server_bevcb(struct event_base *base, void *arg)
{
	struct server *srv = arg;
	struct bufferevent *bev;
	SSL *ssl;

	if ((ssl = SSL_new(srv->ssl_ctx)) == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static SSL_CTX *
server_ssl_ctx(const char *ca, const char *cert, const char *key, char **cause)
{
	STACK_OF(X509_NAME) *names;
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		goto fail;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
		goto fail;
	if ((names = SSL_load_client_CA_file(ca)) == NULL)
		goto fail;
	SSL_CTX_set_client_CA_list(ctx, names);
	/*
	 * A client certificate is asked for and, when sent, must chain to the
	 * federation CA or the handshake fails. A client without one is let in
	 * for enrollment only (server_dispatch answers 401 elsewhere).
	 */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_verify_depth(ctx, 2);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
fail:
	*cause = pki_ssl_error("TLS setup");
	SSL_CTX_free(ctx);
	return NULL;
}

struct server *
server_new(struct event_base *base, struct etcd_client *etcd, const char *listen,
    const char *ca, const char *cakey, const char *cert, const char *key, char **cause)
{
	struct server *srv = xcalloc(1, sizeof(*srv));
	struct evhttp_bound_socket *bound;
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	char *host = NULL, ip[INET6_ADDRSTRLEN];
	int port, ok = 0;

	memset(&ss, 0, sizeof(ss));
	TAILQ_INIT(&srv->pending);
	srv->base = base;
	srv->etcd = etcd;
	if (server_split_hostport(listen, &host, &port) != 0) {
		*cause = xasprintf("--listen %s: expected HOST:PORT", listen);
		goto done;
	}
	if ((srv->ssl_ctx = server_ssl_ctx(ca, cert, key, cause)) == NULL)
		goto done;
	if ((srv->ca = pki_cert_read(ca, cause)) == NULL ||
	    (srv->cakey = pki_key_read(cakey, cause)) == NULL ||
	    pki_cert_sha256(srv->ca, srv->ca_sha256) != 0 ||
	    (srv->ca_pem = pki_cert_pem(srv->ca, NULL)) == NULL)
		goto done;
	if (X509_check_private_key(srv->ca, srv->cakey) != 1) {
		*cause = xasprintf("%s does not match %s", cakey, ca);
		goto done;
	}
	if ((srv->http = evhttp_new(base)) == NULL) {
		*cause = xstrdup("evhttp_new failed");
		goto done;
	}
	evhttp_set_bevcb(srv->http, server_bevcb, srv);
	evhttp_set_gencb(srv->http, server_dispatch, srv);
	/* evhttp answers 413 by itself past this; we answer JSON 413 below it. */
	evhttp_set_max_body_size(srv->http, 4 * SERVER_MAX_BODY);
	evhttp_set_max_headers_size(srv->http, SERVER_MAX_HEADERS);
	evhttp_set_timeout(srv->http, SERVER_TIMEOUT_SECS);
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_POST | EVHTTP_REQ_DELETE);
	if ((bound = evhttp_bind_socket_with_handle(srv->http, host, (ev_uint16_t)port)) == NULL) {
		*cause = xasprintf("cannot listen on %s: %s", listen, strerror(errno));
		goto done;
	}
	if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &slen) != 0) {
		*cause = xasprintf("getsockname: %s", strerror(errno));
		goto done;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(srv->addr, sizeof(srv->addr), "[%s]:%d", ip, ntohs(s6->sin6_port));
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(srv->addr, sizeof(srv->addr), "%s:%d", ip, ntohs(s4->sin_port));
	}
	/* The workflow engine: campaigns, and advances workflows while leading. */
	workflow_start(base, etcd);
	ok = 1;
done:
	free(host);
	if (!ok) {
		server_free(srv);
		return NULL;
	}
	return srv;
}

void
server_free(struct server *srv)
{
	struct server_req *sr;

	if (srv == NULL)
		return;
	workflow_stop();
	while ((sr = TAILQ_FIRST(&srv->pending)) != NULL)
		server_req_free(sr);
	if (srv->http != NULL)
		evhttp_free(srv->http);
	SSL_CTX_free(srv->ssl_ctx);
	X509_free(srv->ca);
	EVP_PKEY_free(srv->cakey);
	free(srv->ca_pem);
	free(srv);
}
