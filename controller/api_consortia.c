/*
 * api_consortia.c: /v1/consortia — the consortium documents in etcd.
 *
 * A PUT is a small state machine (memcached's drive_machine shape): read the
 * stored document and its mod_revision, decide, then write with a txn that
 * compares that mod_revision, so no concurrent writer's update is lost. A
 * lost race without If-Match re-reads (bounded); with If-Match it is a 409.
 */
#include "api.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "etcd.h"
#include "log.h"
#include "server.h"
#include "topology.h"
#include "xmalloc.h"

#define API_MAX_ATTEMPTS 8

enum wr_state { WR_READ, WR_DECIDE, WR_WRITE, WR_WRITTEN };

/* One PUT or DELETE in progress. */
struct wr_ctx {
	enum wr_state state;
	int is_delete;
	char *key;            /* the spec key */
	json_t *doc;          /* PUT: the normalized new document */
	json_t *warnings;     /* PUT: warnings as JSON */
	int has_if_match;
	long long if_match;
	int64_t read_rev;     /* mod_revision read, 0 = absent */
	json_t *stored;       /* what was read, NULL = absent */
	int attempts;
};

static void wr_drive(struct server_req *, const struct etcd_result *);

static void
wr_free(void *arg)
{
	struct wr_ctx *w = arg;

	if (w == NULL)
		return;
	free(w->key);
	json_decref(w->doc);
	json_decref(w->warnings);
	json_decref(w->stored);
	free(w);
}

/* Answers and frees the request and its state. */
static void
wr_reply(struct server_req *sr, int code, json_t *body)
{
	server_reply_json(sr, code, body);  /* frees sr->state with sr */
}

static void
wr_error(struct server_req *sr, int code, const char *msg, json_t *details)
{
	wr_reply(sr, code, api_error_body(msg, details));
}

static void
wr_etcd_cb(const struct etcd_result *res, void *arg)
{
	wr_drive(arg, res);
}

/* Parses If-Match into w; returns -1 after answering 400. */
static int
wr_if_match(struct server_req *sr, struct wr_ctx *w)
{
	const char *v = evhttp_find_header(evhttp_request_get_input_headers(sr->req),
	    "If-Match");

	if (v == NULL)
		return 0;
	if (api_parse_if_match(v, &w->if_match) != 0) {
		wr_error(sr, 400, "If-Match must be a revision number", NULL);
		return -1;
	}
	w->has_if_match = 1;
	return 0;
}

static void
wr_start_read(struct server_req *sr)
{
	struct wr_ctx *w = sr->state;

	w->state = WR_READ;
	json_decref(w->stored);
	w->stored = NULL;
	w->read_rev = 0;
	if (etcd_range(sr->srv->etcd, w->key, 0, wr_etcd_cb, sr) != 0)
		wr_error(sr, 503, "etcd: cannot queue the request", NULL);
}

static json_t *
wr_put_answer(struct server_req *sr, const char *result, int64_t rev)
{
	struct wr_ctx *w = sr->state;
	json_t *o = json_pack("{s:s, s:I, s:s, s:O}", "name", sr->name, "revision",
	    (json_int_t)rev, "result", result, "warnings", w->warnings);

	if (sr->dry_run) {
		json_object_set_new(o, "dryRun", json_true());
		json_object_set(o, "document", w->doc);
		json_object_set(o, "current", w->stored != NULL ? w->stored : json_null());
	}
	return o;
}

/* Having read the stored document: answer now, or write. */
static void
wr_decide(struct server_req *sr)
{
	struct wr_ctx *w = sr->state;
	struct etcd_txn *txn;
	char *value, *prefix;
	int queued;

	w->state = WR_DECIDE;
	if (w->is_delete && w->stored == NULL && w->read_rev == 0) {
		char *msg = xasprintf("consortium \"%s\" not found", sr->name);

		wr_error(sr, 404, msg, NULL);
		free(msg);
		return;
	}
	if (w->has_if_match && w->if_match != w->read_rev) {
		char *msg = xasprintf("stale revision: consortium \"%s\" is at revision %lld, "
		    "not %lld; nothing was changed", sr->name, (long long)w->read_rev,
		    w->if_match);

		wr_error(sr, 409, msg, NULL);
		free(msg);
		return;
	}
	if (!w->is_delete && w->stored != NULL && json_equal(w->stored, w->doc)) {
		wr_reply(sr, 200, wr_put_answer(sr, "unchanged", w->read_rev));
		return;
	}
	if (!w->is_delete && sr->dry_run) {
		wr_reply(sr, 200, wr_put_answer(sr, w->read_rev == 0 ? "created" :
		    "configured", w->read_rev));
		return;
	}

	txn = etcd_txn_new();
	etcd_txn_cmp_int(txn, w->key, ETCD_CMP_MOD, ETCD_CMP_EQUAL, w->read_rev);
	if (w->is_delete) {
		prefix = api_consortium_prefix(sr->name);
		etcd_txn_delete(txn, 1, prefix, ETCD_PREFIX);
		free(prefix);
	} else {
		value = json_dumps(w->doc, JSON_COMPACT);
		etcd_txn_put(txn, 1, w->key, value, strlen(value), 0);
		free(value);
	}
	w->state = WR_WRITE;
	queued = etcd_txn(sr->srv->etcd, txn, wr_etcd_cb, sr);
	etcd_txn_free(txn);
	if (queued != 0)
		wr_error(sr, 503, "etcd: cannot queue the request", NULL);
}

static void
wr_drive(struct server_req *sr, const struct etcd_result *res)
{
	struct wr_ctx *w = sr->state;
	json_error_t jerr;

	if (!res->ok) {
		/* A failed write may still have been applied: say so. */
		char *msg = xasprintf("%s%s", res->error != NULL ? res->error : "etcd failed",
		    w->state == WR_WRITE ? " (the change may or may not have been "
		    "applied: read the consortium back)" : "");

		log_warnx("%s %s: %s", sr->route, sr->name, msg);
		wr_error(sr, api_etcd_status(res), msg, NULL);
		free(msg);
		return;
	}
	switch (w->state) {
	case WR_READ:
		if (res->range.nkvs > 0) {
			const struct etcd_kv *kv = &res->range.kvs[0];

			w->read_rev = kv->mod_revision;
			w->stored = json_loadb(kv->value, kv->value_len, 0, &jerr);
			if (w->stored == NULL)
				log_warnx("%s: stored document is not JSON (%s); it will be "
				    "replaced", w->key, jerr.text);
		}
		wr_decide(sr);
		break;
	case WR_WRITE:
		if (res->succeeded) {
			w->state = WR_WRITTEN;
			if (w->is_delete)
				wr_reply(sr, 200, json_pack("{s:s, s:b, s:I}", "name",
				    sr->name, "deleted", 1, "revision", (json_int_t)res->revision));
			else if (w->read_rev == 0)
				wr_reply(sr, 201, wr_put_answer(sr, "created", res->revision));
			else
				wr_reply(sr, 200, wr_put_answer(sr, "configured", res->revision));
			return;
		}
		/* Somebody else wrote between our read and our txn. */
		if (w->has_if_match) {
			char *msg = xasprintf("stale revision: consortium \"%s\" changed after "
			    "revision %lld; nothing was changed", sr->name, w->if_match);

			wr_error(sr, 409, msg, NULL);
			free(msg);
		} else if (++w->attempts >= API_MAX_ATTEMPTS)
			wr_error(sr, 409, "too many concurrent changes to this consortium; "
			    "nothing was changed, try again", NULL);
		else
			wr_start_read(sr);
		break;
	default:
		log_warnx("%s: etcd answer in state %d", sr->route, (int)w->state);
		wr_error(sr, 500, "internal error: unexpected etcd answer", NULL);
		break;
	}
}

/* 400 when the body is not YAML/JSON at all, 422 when it is but is invalid. */
static int
api_invalid_status(const struct topo_diags *d)
{
	return d->syntax ? 400 : 422;
}

void
api_consortium_put(struct server_req *sr)
{
	struct wr_ctx *w = xcalloc(1, sizeof(*w));
	struct topo_diags d;
	const char *docname;
	char *msg;

	sr->state = w;
	sr->state_free = wr_free;
	topo_diags_init(&d);
	if (wr_if_match(sr, w) != 0)
		goto done;
	if (topology_valid_consortium_name(sr->name) != 0) {
		wr_error(sr, 400, "invalid consortium name in the path: use [a-z0-9-], "
		    "1 to 63 characters", NULL);
		goto done;
	}
	if (sr->body_len == 0) {
		wr_error(sr, 400, "empty body: send the consortium document (YAML or JSON)",
		    NULL);
		goto done;
	}
	if ((w->doc = topology_load(sr->body, sr->body_len, &d)) == NULL) {
		msg = xasprintf("the consortium document has %zu error%s", d.nerrors,
		    d.nerrors == 1 ? "" : "s");
		wr_error(sr, api_invalid_status(&d), msg, topo_diags_json(&d, 0));
		free(msg);
		goto done;
	}
	docname = topology_name(w->doc);
	if (docname == NULL || strcmp(docname, sr->name) != 0) {
		json_t *det = json_pack("[{s:s, s:i, s:i, s:s}]", "path", "metadata.name",
		    "line", 0, "column", 0, "message", "must equal the name in the URL");

		msg = xasprintf("metadata.name \"%s\" does not match \"%s\" in the URL",
		    docname != NULL ? docname : "", sr->name);
		wr_error(sr, 422, msg, det);
		free(msg);
		goto done;
	}
	w->warnings = topo_diags_json(&d, 1);
	w->key = api_spec_key(sr->name);
	wr_start_read(sr);
done:
	topo_diags_free(&d);
}

void
api_consortium_delete(struct server_req *sr)
{
	struct wr_ctx *w = xcalloc(1, sizeof(*w));

	sr->state = w;
	sr->state_free = wr_free;
	w->is_delete = 1;
	if (wr_if_match(sr, w) != 0)
		return;
	if (topology_valid_consortium_name(sr->name) != 0) {
		char *msg = xasprintf("consortium \"%s\" not found", sr->name);

		wr_error(sr, 404, msg, NULL);
		free(msg);
		return;
	}
	w->key = api_spec_key(sr->name);
	wr_start_read(sr);
}

static void
get_cb(const struct etcd_result *res, void *arg)
{
	struct server_req *sr = arg;
	const struct etcd_kv *kv;
	json_error_t jerr;
	json_t *doc;
	char *msg;

	if (!res->ok) {
		server_reply_error(sr, api_etcd_status(res), res->error, NULL);
		return;
	}
	if (res->range.nkvs == 0) {
		msg = xasprintf("consortium \"%s\" not found", sr->name);
		server_reply_error(sr, 404, msg, NULL);
		free(msg);
		return;
	}
	kv = &res->range.kvs[0];
	if ((doc = json_loadb(kv->value, kv->value_len, 0, &jerr)) == NULL) {
		msg = xasprintf("the stored document of \"%s\" is not JSON: %s", sr->name,
		    jerr.text);
		server_reply_error(sr, 500, msg, NULL);
		free(msg);
		return;
	}
	server_reply_json(sr, 200, json_pack("{s:s, s:I, s:I, s:o}", "name", sr->name,
	    "revision", (json_int_t)kv->mod_revision, "createRevision",
	    (json_int_t)kv->create_revision, "document", doc));
}

void
api_consortium_get(struct server_req *sr)
{
	char *key, *msg;

	if (topology_valid_consortium_name(sr->name) != 0) {
		msg = xasprintf("consortium \"%s\" not found", sr->name);
		server_reply_error(sr, 404, msg, NULL);
		free(msg);
		return;
	}
	key = api_spec_key(sr->name);
	if (etcd_range(sr->srv->etcd, key, 0, get_cb, sr) != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
	free(key);
}

static int
list_cmp(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "name")),
	    json_string_value(json_object_get(*(json_t *const *)b, "name")));
}

/* The items sorted by "name"; steals items. */
static json_t *
list_sorted(json_t *items)
{
	size_t n = json_array_size(items), i;
	json_t **v = xcalloc(n, sizeof(*v)), *out = json_array();

	for (i = 0; i < n; i++)
		v[i] = json_array_get(items, i);
	qsort(v, n, sizeof(*v), list_cmp);
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(items);
	return out;
}

static void
list_cb(const struct etcd_result *res, void *arg)
{
	struct server_req *sr = arg;
	json_t *items;
	size_t i;

	if (!res->ok) {
		server_reply_error(sr, api_etcd_status(res), res->error, NULL);
		return;
	}
	items = json_array();
	for (i = 0; i < res->range.nkvs; i++) {
		const struct etcd_kv *kv = &res->range.kvs[i];
		char *name = api_spec_key_name(kv->key, kv->key_len);
		json_t *doc, *spec, *orgs, *org;
		size_t j, peers = 0, orderers = 0;

		if (name == NULL)
			continue;
		doc = json_loadb(kv->value, kv->value_len, 0, NULL);
		spec = json_object_get(doc, "spec");
		orgs = json_object_get(spec, "orgs");
		json_array_foreach(orgs, j, org) {
			peers += json_array_size(json_object_get(org, "peers"));
			orderers += json_array_size(json_object_get(org, "orderers"));
		}
		json_array_append_new(items, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}",
		    "name", name, "revision", (json_int_t)kv->mod_revision,
		    "orgs", (json_int_t)json_array_size(orgs),
		    "peers", (json_int_t)peers, "orderers", (json_int_t)orderers,
		    "channels", (json_int_t)json_array_size(json_object_get(spec, "channels"))));
		json_decref(doc);
		free(name);
	}
	/*
	 * etcd sorts by key, and ".../trade-x/spec" comes before ".../trade/spec"
	 * ('-' < '/'): sort by name.
	 */
	items = list_sorted(items);
	server_reply_json(sr, 200, json_pack("{s:o, s:I}", "items", items, "revision",
	    (json_int_t)res->revision));
}

void
api_consortia_list(struct server_req *sr)
{
	if (etcd_range(sr->srv->etcd, API_PREFIX "consortia/", ETCD_PREFIX, list_cb, sr) != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
}
