/*
 * etcd_int.h: what etcd.c (requests) and etcd_watch.c (watches) share;
 * not for other modules (they use etcd.h).
 */
#ifndef FABFED_ETCD_INT_H
#define FABFED_ETCD_INT_H

#include <sys/queue.h>

#include <curl/curl.h>

#include "curlev.h"
#include "etcd.h"

struct etcd_req;

struct etcd_client {
	struct curlev *cv;
	struct curl_slist *headers;
	char **endpoints;
	size_t nendpoints;
	size_t preferred;
	long timeout_ms;
	etcd_observe_cb observe;
	void *observe_arg;
	TAILQ_HEAD(, etcd_req) reqs;
	TAILQ_HEAD(, etcd_watch) watches;
	int freeing;                         /* etcd_client_free called */
};

/*
 * A POST of body (borrowed: it must outlive the handle) to ep + path with
 * the client's headers and TCP keepalive; curl's message goes to errbuf
 * (CURL_ERROR_SIZE). NULL when curl cannot make a handle.
 */
CURL *etcd_easy_new(struct etcd_client *c, const char *ep, const char *path,
    const char *body, char *errbuf);

/* curlev's after hook (arg: the client): the bytes curl buffered, to the
 * watch callbacks. */
void etcd_watch_deliver(void *arg);

/* etcd_client_free's part: frees c's watches (those inside their callback
 * once it returns). */
void etcd_watch_free_all(struct etcd_client *c);

#endif
