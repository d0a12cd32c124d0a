/*
 * server.h: the controller's HTTPS server: libevent evhttp over
 * bufferevent_openssl, TLS 1.3 only, mutual TLS against the federation CA.
 * A request becomes a struct server_req handed to an api_* handler, which
 * answers it exactly once (now or later, from an etcd callback) with one of
 * the server_reply_* functions; the reply frees the server_req.
 */
#ifndef FABFED_SERVER_H
#define FABFED_SERVER_H

#include <stddef.h>
#include <sys/queue.h>

#include <jansson.h>

struct event_base;
struct evhttp_request;
struct etcd_client;
struct topo_diags;

#define SERVER_MAX_BODY    ((size_t)1024 * 1024)       /* 413 past this */
#define SERVER_MAX_HEADERS (16 * 1024)

enum server_role {
	ROLE_ANONYMOUS,   /* no client certificate: enrollment only */
	ROLE_NONE,        /* a federation CA certificate with no fabfed role */
	ROLE_ADMIN,       /* URI SAN fabfed://admin */
	ROLE_AGENT,       /* URI SAN fabfed://<consortium>/org/<msp> */
};

struct server_req;

struct server {
	struct event_base *base;
	struct evhttp *http;
	struct ssl_ctx_st *ssl_ctx;
	struct etcd_client *etcd;    /* borrowed */
	char addr[128];              /* "HOST:PORT" actually bound */
	struct x509_st *ca;          /* the federation CA, to issue agent certs */
	struct evp_pkey_st *cakey;   /* its key: never leaves this process */
	char *ca_pem;                /* ca.crt as read */
	unsigned char ca_sha256[32]; /* SHA-256 of its DER, pinned by join tokens */
	unsigned long inflight;      /* requests handed out and not answered */
	TAILQ_HEAD(, server_req) pending;  /* those requests, freed by server_free */
};

struct server_req {
	struct server *srv;
	struct evhttp_request *req;
	const char *route;          /* route template, for metrics */
	enum server_role role;
	char *peer_uri;             /* the client certificate's fabfed:// URI */
	char *name;                 /* first {...} of the path, decoded */
	char *sub;                  /* second {...} of the path, decoded */
	char *query;                /* the raw query string, or NULL */
	int method;                 /* EVHTTP_REQ_* */
	char *body;                 /* request body, NUL-terminated */
	size_t body_len;
	int dry_run;                /* ?dryRun=true */
	void *state;                /* handler's own state */
	void (*state_free)(void *); /* frees state if the server goes first */
	TAILQ_ENTRY(server_req) entry;
};

/*
 * listen: "HOST:PORT" (port 0 picks one). Certificates and the CA are files
 * in PEM. Returns NULL and *cause (caller frees) on failure.
 */
struct server *server_new(struct event_base *, struct etcd_client *,
    const char *listen, const char *ca, const char *cakey, const char *cert,
    const char *key, char **cause);
/*
 * Frees the server and every request still waiting on etcd: free the etcd
 * client first (it drops its callbacks), then the server.
 */
void server_free(struct server *);

void server_reply_json(struct server_req *, int code, json_t *body /* stolen */);
void server_reply_text(struct server_req *, int code, const char *ctype, const char *text);
/* {"error": msg, "details": details} ; details stolen, may be NULL. */
void server_reply_error(struct server_req *, int code, const char *msg, json_t *details);

/* Splits "HOST:PORT" / "[V6]:PORT". Returns 0; host is caller-freed. */
int server_split_hostport(const char *s, char **host, int *port);

#endif
