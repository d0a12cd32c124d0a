/*
 * api_agent.c: the agent API (an agent's certificate names its consortium
 * and org: URI SAN fabfed://<consortium>/org/<msp>) and the admin's view of
 * the orgs.
 *
 * An agent reads its desired state (the consortium document and the other
 * orgs' public material) with a long poll, and writes only its own org's
 * records: there is no path that names another org's record to write.
 *
 * This file holds the agent's identity, its record writes (msp, endpoints,
 * status), heartbeats, task results and the admin's org views; the desired
 * state long poll is in api_agent_desired.c, what both share in
 * api_agent_int.h.
 */
#include "api.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>

#include "api_agent_int.h"
#include "etcd.h"
#include "log.h"
#include "server.h"
#include "topology.h"
#include "workflow.h"
#include "xmalloc.h"

#define AGENT_MAX_BODY    (256 * 1024)
#define HEARTBEAT_TTL     30
#define AGENT_MAX_TRIES   8

static void
ag_free(void *arg)
{
	struct ag_ctx *a = arg;

	if (a == NULL)
		return;
	api_lp_detach(a);
	if (a->timer != NULL)
		event_free(a->timer);
	free(a->consortium);
	free(a->msp);
	free(a->key);
	json_decref(a->value);
	free(a);
}

/*
 * The agent's consortium and MSP ID from its certificate's URI. Answers
 * 403 and returns NULL when the URI is not a well-formed agent identity.
 */
struct ag_ctx *
api_ag_new(struct server_req *sr)
{
	const char *uri = sr->peer_uri, *org;
	struct ag_ctx *a;
	char *c;

	if (uri == NULL || strncmp(uri, "fabfed://", 9) != 0 ||
	    (org = strstr(uri + 9, "/org/")) == NULL) {
		server_reply_error(sr, 403, "this certificate names no agent identity", NULL);
		return NULL;
	}
	c = xstrndup(uri + 9, (size_t)(org - uri - 9));
	if (topology_valid_consortium_name(c) != 0 ||
	    topology_valid_msp_id(org + 5) != 0) {
		free(c);
		server_reply_error(sr, 403, "this certificate's agent identity is malformed",
		    NULL);
		return NULL;
	}
	a = xcalloc(1, sizeof(*a));
	a->sr = sr;
	a->consortium = c;
	a->msp = xstrdup(org + 5);
	sr->state = a;
	sr->state_free = ag_free;
	return a;
}

static char *
consortium_prefix(const char *c)
{
	return api_consortium_prefix(c);
}

/* ---- records: PUT /v1/agent/{msp,endpoints,status} ---- */

enum { PUT_READ, PUT_WRITE };

/* Whether a JSON value holds private key material anywhere. */
static int
has_private_key(const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_string(v))
		return strstr(json_string_value(v), "PRIVATE KEY") != NULL;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x)
			if (strstr(k, "PRIVATE KEY") != NULL || has_private_key(x))
				return 1;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			if (has_private_key(x))
				return 1;
	}
	return 0;
}

static void put_drive(const struct etcd_result *, void *);

static void
put_read(struct server_req *sr)
{
	struct ag_ctx *a = sr->state;
	struct etcd_txn *txn = etcd_txn_new();
	char *spec = api_spec_key(a->consortium);
	int queued;

	/* One round trip: the spec (the org must be declared) and the record. */
	etcd_txn_range(txn, 1, spec, 0);
	etcd_txn_range(txn, 1, a->key, 0);
	a->state = PUT_READ;
	queued = etcd_txn(sr->srv->etcd, txn, put_drive, sr);
	etcd_txn_free(txn);
	free(spec);
	if (queued != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
}

static int
spec_declares(const struct etcd_kv *kv, const char *msp)
{
	json_t *doc = json_loadb(kv->value, kv->value_len, 0, NULL);
	int found = topology_find_org(doc, msp) != NULL;

	json_decref(doc);
	return found;
}

static void
put_drive(const struct etcd_result *res, void *arg)
{
	struct server_req *sr = arg;
	struct ag_ctx *a = sr->state;
	const struct etcd_kv *spec, *cur;
	struct etcd_txn *txn;
	json_t *old;
	char *text, *speckey;
	int queued, same;

	if (!res->ok) {
		server_reply_error(sr, api_etcd_status(res), res->error, NULL);
		return;
	}
	if (a->state == PUT_WRITE) {
		if (res->succeeded) {
			server_reply_json(sr, 200, json_pack("{s:s, s:I}", "result",
			    "configured", "revision", (json_int_t)res->revision));
			return;
		}
		if (++a->tries >= AGENT_MAX_TRIES) {
			server_reply_error(sr, 409, "the record keeps changing; try again", NULL);
			return;
		}
		put_read(sr);
		return;
	}
	if (res->nresponses != 2 || res->responses[0].range.nkvs == 0) {
		server_reply_error(sr, 410, "the consortium no longer exists", NULL);
		return;
	}
	spec = &res->responses[0].range.kvs[0];
	if (!spec_declares(spec, a->msp)) {
		server_reply_error(sr, 403, "this org is no longer declared in the consortium",
		    NULL);
		return;
	}
	cur = res->responses[1].range.nkvs > 0 ? &res->responses[1].range.kvs[0] : NULL;
	if (cur != NULL) {
		old = json_loadb(cur->value, cur->value_len, 0, NULL);
		same = old != NULL && json_equal(old, a->value);
		json_decref(old);
		if (same) {
			/* No write: other agents' polls are not woken for nothing. */
			server_reply_json(sr, 200, json_pack("{s:s, s:I}", "result",
			    "unchanged", "revision", (json_int_t)cur->mod_revision));
			return;
		}
	}
	text = json_dumps(a->value, JSON_COMPACT);
	speckey = api_spec_key(a->consortium);
	txn = etcd_txn_new();
	etcd_txn_cmp_int(txn, speckey, ETCD_CMP_MOD, ETCD_CMP_EQUAL, spec->mod_revision);
	etcd_txn_cmp_int(txn, a->key, ETCD_CMP_MOD, ETCD_CMP_EQUAL,
	    cur != NULL ? cur->mod_revision : 0);
	etcd_txn_put(txn, 1, a->key, text, strlen(text), 0);
	a->state = PUT_WRITE;
	queued = etcd_txn(sr->srv->etcd, txn, put_drive, sr);
	etcd_txn_free(txn);
	free(text);
	free(speckey);
	if (queued != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
}

json_t *
api_agent_record_parse(const char *body, size_t len, const char *msp, int *status,
    char **msg)
{
	json_error_t jerr;
	json_t *v, *m;

	if (len > AGENT_MAX_BODY) {
		*status = 413;
		*msg = xstrdup("the record is over 256 KiB");
		return NULL;
	}
	v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL || !json_is_object(v)) {
		*status = 400;
		*msg = xasprintf("the body must be a JSON object (%s at line %d, column %d)",
		    v == NULL ? jerr.text : "not an object", v == NULL ? jerr.line : 1,
		    v == NULL ? jerr.column : 1);
		json_decref(v);
		return NULL;
	}
	if (has_private_key(v)) {
		*status = 422;
		*msg = xstrdup("the record holds private key material: private keys never "
		    "leave the org");
		json_decref(v);
		return NULL;
	}
	m = json_object_get(v, "mspId");
	if (m != NULL && (!json_is_string(m) || strcmp(json_string_value(m), msp) != 0)) {
		*status = 403;
		*msg = xstrdup("an agent writes only its own org's records");
		json_decref(v);
		return NULL;
	}
	return v;
}

void
api_agent_put(struct server_req *sr)
{
	const char *record = strrchr(sr->route, '/') + 1;
	struct ag_ctx *a;
	char *msg = NULL;
	int status = 0;

	if ((a = api_ag_new(sr)) == NULL)
		return;
	a->value = api_agent_record_parse(sr->body, sr->body_len, a->msp, &status, &msg);
	if (a->value == NULL) {
		if (status == 422)
			log_warnx("agent %s/%s sent private key material to %s: refused",
			    a->consortium, a->msp, sr->route);
		server_reply_error(sr, status, msg, NULL);
		free(msg);
		return;
	}
	if (strcmp(record, "status") == 0)
		json_object_set_new(a->value, "reportedAt", json_integer((json_int_t)time(NULL)));
	a->key = xasprintf(API_PREFIX "consortia/%s/orgs/%s/%s", a->consortium, a->msp,
	    record);
	put_read(sr);
}

/* ---- POST /v1/agent/heartbeat ---- */

enum { HB_READ, HB_KEEPALIVE, HB_GRANT, HB_PUT };

static void
hb_drive(const struct etcd_result *res, void *arg)
{
	struct server_req *sr = arg;
	struct ag_ctx *a = sr->state;
	json_t *v;
	char *text;
	int queued = 0;

	if (!res->ok) {
		server_reply_error(sr, api_etcd_status(res), res->error, NULL);
		return;
	}
	switch (a->state) {
	case HB_READ:
		if (res->range.nkvs > 0 && res->range.kvs[0].lease != 0) {
			a->state = HB_KEEPALIVE;
			queued = etcd_lease_keepalive(sr->srv->etcd, res->range.kvs[0].lease,
			    hb_drive, sr);
			break;
		}
		/* FALLTHROUGH */
	case HB_KEEPALIVE:
		if (a->state == HB_KEEPALIVE && res->lease_ttl > 0) {
			server_reply_json(sr, 200, json_pack("{s:i, s:s}", "ttl",
			    HEARTBEAT_TTL, "result", "renewed"));
			return;
		}
		a->state = HB_GRANT;
		queued = etcd_lease_grant(sr->srv->etcd, HEARTBEAT_TTL, hb_drive, sr);
		break;
	case HB_GRANT:
		v = json_pack("{s:I, s:I}", "lease", (json_int_t)res->lease_id, "since",
		    (json_int_t)time(NULL));
		text = json_dumps(v, JSON_COMPACT);
		a->state = HB_PUT;
		queued = etcd_put(sr->srv->etcd, a->key, text, strlen(text), res->lease_id,
		    hb_drive, sr);
		free(text);
		json_decref(v);
		break;
	case HB_PUT:
		log_info("agent of %s in %s is live", a->msp, a->consortium);
		server_reply_json(sr, 200, json_pack("{s:i, s:s}", "ttl", HEARTBEAT_TTL,
		    "result", "live"));
		return;
	}
	if (queued != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
}

void
api_agent_heartbeat(struct server_req *sr)
{
	struct ag_ctx *a;

	if ((a = api_ag_new(sr)) == NULL)
		return;
	a->key = xasprintf(API_PREFIX "agents/%s/%s", a->consortium, a->msp);
	a->state = HB_READ;
	if (etcd_range(sr->srv->etcd, a->key, 0, hb_drive, sr) != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
}

/* ---- org views: agents (public material), admins (with state) ---- */

/*
 * One txn, two ranges: the consortium's records and its live agents. Builds
 * {"<msp>": {mspId, state, enrolled, msp, endpoints, status}} for every org
 * the spec declares. Caller decrefs; NULL if there is no spec.
 */
static json_t *
orgs_view(const struct etcd_result *res, const char *c)
{
	char *prefix = consortium_prefix(c), *live = xasprintf(API_PREFIX "agents/%s/", c);
	size_t plen = strlen(prefix), llen = strlen(live), i;
	json_t *spec = NULL, *out = NULL, *org, *row;
	const char *msp;

	if (res->nresponses != 2)
		goto done;
	for (i = 0; i < res->responses[0].range.nkvs; i++) {
		const struct etcd_kv *kv = &res->responses[0].range.kvs[i];

		if (kv->key_len == plen + 4 && memcmp(kv->key + plen, "spec", 4) == 0)
			spec = json_loadb(kv->value, kv->value_len, 0, NULL);
	}
	if (spec == NULL)
		goto done;
	out = json_object();
	json_array_foreach(json_object_get(json_object_get(spec, "spec"), "orgs"), i, org) {
		if ((msp = json_string_value(json_object_get(org, "mspId"))) == NULL)
			continue;
		json_object_set_new(out, msp, json_pack("{s:s, s:s, s:b, s:n, s:n, s:n}",
		    "mspId", msp, "state", "not enrolled", "enrolled", 0, "msp",
		    "endpoints", "status"));
	}
	for (i = 0; i < res->responses[0].range.nkvs; i++) {
		const struct etcd_kv *kv = &res->responses[0].range.kvs[i];
		const char *rest = kv->key + plen, *slash;
		char *m, *rec;

		if (kv->key_len <= plen + 5 || memcmp(rest, "orgs/", 5) != 0 ||
		    (slash = memchr(rest + 5, '/', kv->key_len - plen - 5)) == NULL)
			continue;
		m = xstrndup(rest + 5, (size_t)(slash - rest - 5));
		rec = xstrndup(slash + 1, kv->key_len - (size_t)(slash + 1 - kv->key));
		if ((row = json_object_get(out, m)) != NULL) {
			if (strcmp(rec, "agent") == 0) {
				json_object_set_new(row, "enrolled", json_true());
				json_object_set_new(row, "state", json_string("unreachable"));
			} else if (strcmp(rec, "msp") == 0 || strcmp(rec, "endpoints") == 0 ||
			    strcmp(rec, "status") == 0)
				json_object_set_new(row, rec, json_loadb(kv->value, kv->value_len,
				    0, NULL));
		}
		free(m);
		free(rec);
	}
	for (i = 0; i < res->responses[1].range.nkvs; i++) {
		const struct etcd_kv *kv = &res->responses[1].range.kvs[i];
		char *m;

		if (kv->key_len <= llen)
			continue;
		m = xstrndup(kv->key + llen, kv->key_len - llen);
		if ((row = json_object_get(out, m)) != NULL)
			json_object_set_new(row, "state", json_string("ready"));
		free(m);
	}
done:
	json_decref(spec);
	free(prefix);
	free(live);
	return out;
}

static int
orgs_fetch(struct server_req *sr, const char *c, etcd_cb cb)
{
	struct etcd_txn *txn = etcd_txn_new();
	char *prefix = consortium_prefix(c), *live = xasprintf(API_PREFIX "agents/%s/", c);
	int ret;

	etcd_txn_range(txn, 1, prefix, ETCD_PREFIX);
	etcd_txn_range(txn, 1, live, ETCD_PREFIX);
	ret = etcd_txn(sr->srv->etcd, txn, cb, sr);
	etcd_txn_free(txn);
	free(prefix);
	free(live);
	return ret;
}

static void
orgs_cb(const struct etcd_result *res, void *arg)
{
	struct server_req *sr = arg;
	struct ag_ctx *a = sr->state;    /* agent reads; NULL for admins */
	const char *c = a != NULL ? a->consortium : sr->name;
	const char *want = sr->sub != NULL ? sr->sub : sr->name;
	json_t *view, *row, *items;
	const char *k;
	char *msg;

	if (!res->ok) {
		server_reply_error(sr, api_etcd_status(res), res->error, NULL);
		return;
	}
	if ((view = orgs_view(res, c)) == NULL) {
		msg = xasprintf("consortium \"%s\" not found", c);
		server_reply_error(sr, 404, msg, NULL);
		free(msg);
		return;
	}
	if (strcmp(sr->route, "/v1/consortia/{name}/orgs") == 0) {
		items = json_array();
		json_object_foreach(view, k, row)
			json_array_append(items, row);
		server_reply_json(sr, 200, json_pack("{s:s, s:o}", "consortium", c, "items",
		    items));
	} else if ((row = json_object_get(view, want)) == NULL) {
		msg = xasprintf("org \"%s\" is not declared in consortium \"%s\"", want, c);
		server_reply_error(sr, 404, msg, NULL);
		free(msg);
	} else {
		if (a != NULL) {
			/* Agents see others' public material, not their status. */
			json_object_del(row, "status");
			json_object_del(row, "state");
		}
		json_incref(row);
		server_reply_json(sr, 200, row);
	}
	json_decref(view);
}

void
api_orgs_list(struct server_req *sr)
{
	if (topology_valid_consortium_name(sr->name) != 0) {
		server_reply_error(sr, 404, "no such consortium", NULL);
		return;
	}
	if (orgs_fetch(sr, sr->name, orgs_cb) != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
}

void
api_org_get(struct server_req *sr)
{
	api_orgs_list(sr);
}

void
api_agent_org(struct server_req *sr)
{
	struct ag_ctx *a;

	if ((a = api_ag_new(sr)) == NULL)
		return;
	if (orgs_fetch(sr, a->consortium, orgs_cb) != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
}

/* ---- PUT /v1/agent/tasks/{id}: results ---- */

enum { TASK_READ, TASK_WRITE };

json_t *
api_agent_result_parse(const char *body, size_t len, int *status, char **msg)
{
	static const char *states[] = { "done", "rendered", "retry", "failed", NULL };
	json_error_t jerr;
	json_t *v = NULL, *x;
	const char *k, *st;
	char *text;
	size_t i;

	*status = 400;
	*msg = NULL;
	if (len > WF_MAX_RESULT) {
		*status = 413;
		*msg = xasprintf("the result is over %d bytes", WF_MAX_RESULT);
		goto fail;
	}
	v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL || !json_is_object(v)) {
		*msg = xasprintf("the body must be a JSON object (%s at line %d, column %d)",
		    v == NULL ? jerr.text : "not an object", v == NULL ? jerr.line : 1,
		    v == NULL ? jerr.column : 1);
		goto fail;
	}
	json_object_foreach(v, k, x) {
		if (strcmp(k, "state") != 0 && strcmp(k, "message") != 0 &&
		    strcmp(k, "detail") != 0) {
			*msg = xasprintf("unknown field \"%.64s\": a result has state, "
			    "message and detail", k);
			goto fail;
		}
	}
	st = json_string_value(json_object_get(v, "state"));
	for (i = 0; st != NULL && states[i] != NULL; i++)
		if (strcmp(st, states[i]) == 0)
			break;
	if (st == NULL || states[i] == NULL) {
		*msg = xstrdup("state must be one of done, rendered, retry, failed");
		goto fail;
	}
	x = json_object_get(v, "message");
	if (x != NULL && (!json_is_string(x) || json_string_length(x) > WF_MAX_MESSAGE)) {
		*msg = xasprintf("message must be a string of at most %d bytes",
		    WF_MAX_MESSAGE);
		goto fail;
	}
	if ((x = json_object_get(v, "detail")) != NULL) {
		if (!json_is_object(x)) {
			*msg = xstrdup("detail must be an object");
			goto fail;
		}
		text = json_dumps(x, JSON_COMPACT);
		i = text != NULL ? strlen(text) : 0;
		free(text);
		if (i > WF_MAX_DETAIL) {
			*status = 413;
			*msg = xasprintf("detail is over %d bytes", WF_MAX_DETAIL);
			goto fail;
		}
	}
	if (has_private_key(v)) {
		*status = 422;
		*msg = xstrdup("the result holds private key material: private keys never "
		    "leave the org");
		goto fail;
	}
	return v;
fail:
	json_decref(v);
	return NULL;
}

static void task_drive(const struct etcd_result *, void *);

static void
task_read(struct server_req *sr)
{
	struct ag_ctx *a = sr->state;
	struct etcd_txn *txn = etcd_txn_new();
	char *spec = api_spec_key(a->consortium);
	char *wfs = xasprintf(API_PREFIX "consortia/%s/workflows/", a->consortium);
	int queued;

	etcd_txn_range(txn, 1, spec, 0);
	etcd_txn_range(txn, 1, wfs, ETCD_PREFIX);
	etcd_txn_range(txn, 1, a->key, 0);
	a->state = TASK_READ;
	queued = etcd_txn(sr->srv->etcd, txn, task_drive, sr);
	etcd_txn_free(txn);
	free(spec);
	free(wfs);
	if (queued != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
}

static void
task_drive(const struct etcd_result *res, void *arg)
{
	struct server_req *sr = arg;
	struct ag_ctx *a = sr->state;
	const struct etcd_range_result *wfs;
	const struct etcd_kv *cur;
	const char *st = json_string_value(json_object_get(a->value, "state"));
	const char *old_st;
	struct etcd_txn *txn;
	json_t *old = NULL, *rec, *v;
	json_int_t attempts = 0;
	char *text, *msg;
	size_t i;
	int found = 0, queued;

	if (!res->ok) {
		server_reply_error(sr, api_etcd_status(res), res->error, NULL);
		return;
	}
	if (a->state == TASK_WRITE) {
		if (res->succeeded) {
			log_info("agent of %s in %s answered task %s: %s", a->msp,
			    a->consortium, sr->name, st);
			server_reply_json(sr, 200, json_pack("{s:s, s:s, s:I}", "id", sr->name,
			    "state", st, "revision", (json_int_t)res->revision));
			return;
		}
		if (++a->tries >= AGENT_MAX_TRIES) {
			server_reply_error(sr, 409, "the result keeps changing; try again", NULL);
			return;
		}
		task_read(sr);
		return;
	}
	if (res->nresponses != 3 || res->responses[0].range.nkvs == 0) {
		server_reply_error(sr, 410, "the consortium no longer exists", NULL);
		return;
	}
	if (!spec_declares(&res->responses[0].range.kvs[0], a->msp)) {
		server_reply_error(sr, 403, "this org is no longer declared in the consortium",
		    NULL);
		return;
	}
	wfs = &res->responses[1].range;
	for (i = 0; i < wfs->nkvs && !found; i++) {
		rec = json_loadb(wfs->kvs[i].value, wfs->kvs[i].value_len, 0, NULL);
		found = rec != NULL && wf_task_of(rec, a->msp, sr->name);
		json_decref(rec);
	}
	if (!found) {
		msg = xasprintf("task \"%s\" is not one of %s's tasks", sr->name, a->msp);
		server_reply_error(sr, 404, msg, NULL);
		free(msg);
		return;
	}
	cur = res->responses[2].range.nkvs > 0 ? &res->responses[2].range.kvs[0] : NULL;
	if (cur != NULL)
		old = json_loadb(cur->value, cur->value_len, 0, NULL);
	old_st = json_string_value(json_object_get(old, "state"));
	attempts = json_integer_value(json_object_get(old, "attempts"));
	if (wf_state_final(old_st)) {
		if (strcmp(old_st, st) != 0) {
			msg = xasprintf("task \"%s\" already has the final result \"%s\"; "
			    "a final result is never rewritten", sr->name, old_st);
			server_reply_error(sr, 409, msg, NULL);
			free(msg);
		} else
			server_reply_json(sr, 200, json_pack("{s:s, s:s, s:I}", "id", sr->name,
			    "state", st, "revision", (json_int_t)cur->mod_revision));
		json_decref(old);
		return;
	}
	json_decref(old);
	if (strcmp(st, "retry") == 0)
		attempts++;
	v = json_deep_copy(a->value);
	if (attempts > 0)
		json_object_set_new(v, "attempts", json_integer(attempts));
	json_object_set_new(v, "answeredAt", json_integer((json_int_t)time(NULL)));
	text = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	txn = etcd_txn_new();
	etcd_txn_cmp_int(txn, a->key, ETCD_CMP_MOD, ETCD_CMP_EQUAL,
	    cur != NULL ? cur->mod_revision : 0);
	etcd_txn_put(txn, 1, a->key, text, strlen(text), 0);
	a->state = TASK_WRITE;
	queued = etcd_txn(sr->srv->etcd, txn, task_drive, sr);
	etcd_txn_free(txn);
	free(text);
	if (queued != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
}

void
api_agent_task_put(struct server_req *sr)
{
	struct ag_ctx *a;
	char *msg = NULL;
	int status = 0;

	if ((a = api_ag_new(sr)) == NULL)
		return;
	if (sr->name == NULL || strlen(sr->name) > 512) {
		server_reply_error(sr, 404, "no such task", NULL);
		return;
	}
	a->value = api_agent_result_parse(sr->body, sr->body_len, &status, &msg);
	if (a->value == NULL) {
		if (status == 422)
			log_warnx("agent %s/%s sent private key material in a result: refused",
			    a->consortium, a->msp);
		server_reply_error(sr, status, msg, NULL);
		free(msg);
		return;
	}
	a->key = xasprintf(API_PREFIX "consortia/%s/orgs/%s/tasks/%s", a->consortium,
	    a->msp, sr->name);
	task_read(sr);
}
