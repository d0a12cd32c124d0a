/*
 * httpc.h: an asynchronous HTTPS client, libcurl multi driven by the
 * caller's libevent loop (the hiperfifo pattern). For the agent's calls to
 * the controller: one connection reused, mutual TLS, hard limits on time
 * and answer size. Every callback runs exactly once, later, on the loop.
 */
#ifndef FABFED_HTTPC_H
#define FABFED_HTTPC_H

#include <stddef.h>

struct event_base;
struct httpc;

struct httpc_tls {
	const char *ca_file;      /* verify the server with this CA (PEM file) */
	const char *cert_file;    /* client certificate (PEM), may be NULL */
	const char *key_file;     /* its key (PEM), may be NULL */
};

struct httpc_answer {
	int ok;                   /* 1: an HTTP answer arrived (any status) */
	long status;              /* HTTP status when ok */
	const char *body;         /* NUL-terminated, borrowed for the callback */
	size_t len;
	const char *error;        /* !ok: a sentence (curl's reason, or the limit hit) */
	double elapsed;           /* seconds */
};

typedef void (*httpc_cb)(const struct httpc_answer *, void *arg);

/* tls is copied. Returns NULL + *cause (caller frees). */
struct httpc *httpc_new(struct event_base *, const struct httpc_tls *, char **cause);
/* Cancels pending requests without calling their callbacks. NULL: no-op. */
void httpc_free(struct httpc *);

/*
 * Queues METHOD url with body (may be NULL; copied) as application/json.
 * timeout_ms bounds the whole request; max_answer bounds the body kept
 * (past it the request fails with an error). Returns a request id > 0, or
 * 0 when nothing was queued (cb will not run).
 */
unsigned long httpc_request(struct httpc *, const char *method, const char *url,
    const char *body, size_t len, long timeout_ms, size_t max_answer,
    httpc_cb, void *arg);
/* Cancels one pending request; its callback does not run. */
void httpc_cancel(struct httpc *, unsigned long id);
/* Requests queued and not yet answered. */
size_t httpc_pending(const struct httpc *);

#endif
