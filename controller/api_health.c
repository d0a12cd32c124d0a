/*
 * api_health.c: /healthz, /readyz and /metrics.
 */
#include "api.h"

#include <stdlib.h>
#include <string.h>

#include "etcd.h"
#include "metrics.h"
#include "server.h"
#include "xmalloc.h"

void
api_healthz(struct server_req *sr)
{
	server_reply_text(sr, 200, "text/plain", "ok\n");
}

static void
readyz_cb(const struct etcd_result *res, void *arg)
{
	struct server_req *sr = arg;
	char *msg;

	if (res->ok) {
		server_reply_text(sr, 200, "text/plain", "ready\n");
		return;
	}
	msg = xasprintf("not ready: %s\n", res->error != NULL ? res->error : "etcd failed");
	server_reply_text(sr, 503, "text/plain", msg);
	free(msg);
}

void
api_readyz(struct server_req *sr)
{
	if (etcd_range(sr->srv->etcd, API_PREFIX "leader", ETCD_COUNT_ONLY, readyz_cb, sr) != 0)
		server_reply_text(sr, 503, "text/plain", "not ready: etcd client\n");
}

static void
metrics_cb(const struct etcd_result *res, void *arg)
{
	struct server_req *sr = arg;
	char *text;
	long n = 0;
	size_t i;

	if (res->ok) {
		for (i = 0; i < res->range.nkvs; i++) {
			char *name = api_spec_key_name(res->range.kvs[i].key,
			    res->range.kvs[i].key_len);

			n += name != NULL;
			free(name);
		}
		metrics_set_consortia(n);
	}
	text = metrics_render();
	server_reply_text(sr, 200, "text/plain; version=0.0.4", text);
	free(text);
}

void
api_metrics(struct server_req *sr)
{
	if (etcd_range(sr->srv->etcd, API_PREFIX "consortia/", ETCD_PREFIX | ETCD_KEYS_ONLY,
	    metrics_cb, sr) != 0) {
		char *text = metrics_render();

		server_reply_text(sr, 200, "text/plain; version=0.0.4", text);
		free(text);
	}
}
