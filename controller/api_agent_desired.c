/*
 * api_agent_desired.c: the agent's desired state, GET /v1/agent/desired
 * (the consortium document and the other orgs' public material), and the
 * etcd watches its waiting polls share.
 *
 * Long poll: GET /v1/agent/desired?since=REV answers at once when the
 * org's desired revision (the newest mod_revision of the spec, of every
 * org's msp and endpoints records, and of the workflow records that hold
 * an open task of this org) is past REV; otherwise the request waits, on
 * the one etcd watch this controller keeps per consortium with waiters,
 * until a relevant key changes or the poll times out. No thread, no timer
 * per poll beyond one libevent timer.
 */
#include "api.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api_agent_int.h"
#include "etcd.h"
#include "log.h"
#include "opts.h"
#include "server.h"
#include "workflow.h"
#include "xmalloc.h"

#define POLL_DEFAULT_SECS 30
#define POLL_MAX_SECS     60

/* One etcd watch per consortium that has waiting polls. */
struct lp_watch {
	char *consortium;
	char *prefix;
	struct etcd_watch *watch;
	int64_t last_rev;          /* newest relevant revision seen */
	TAILQ_HEAD(, ag_ctx) waiters;
	LIST_ENTRY(lp_watch) entry;
};

static LIST_HEAD(, lp_watch) lp_watches = LIST_HEAD_INITIALIZER(lp_watches);

static void desired_read(struct server_req *);

static void
lp_watch_free(struct lp_watch *w)
{
	LIST_REMOVE(w, entry);
	if (w->watch != NULL)
		etcd_watch_cancel(w->watch);
	free(w->consortium);
	free(w->prefix);
	free(w);
}

/* Takes a waiting poll off its watch; the watch goes when none are left. */
void
api_lp_detach(struct ag_ctx *a)
{
	struct lp_watch *w = a->watch;

	if (a->timer != NULL)
		evtimer_del(a->timer);
	if (w == NULL)
		return;
	TAILQ_REMOVE(&w->waiters, a, entry);
	a->watch = NULL;
	if (TAILQ_EMPTY(&w->waiters))
		lp_watch_free(w);
}

void
api_agent_shutdown(void)
{
	struct lp_watch *w;
	struct ag_ctx *a;

	/* The workflow engine's watches and lease go before the client too. */
	workflow_stop();
	while ((w = LIST_FIRST(&lp_watches)) != NULL) {
		while ((a = TAILQ_FIRST(&w->waiters)) != NULL) {
			TAILQ_REMOVE(&w->waiters, a, entry);
			a->watch = NULL;
		}
		lp_watch_free(w);
	}
}

/*
 * Which record of consortia/<c>/ a key is: 0 none, 1 spec, 2 msp,
 * 3 endpoints, 4 a workflow record, 5 a channel's genesis block, 6 an org's
 * task result. Kinds 1 to 4 are desired state (their revisions make the
 * desired revision and wake polls); 5 and 6 are read with them. *msp gets
 * the org of kinds 2, 3 and 6 (caller frees).
 */
static int
record_kind(const char *key, size_t len, size_t plen, char **msp)
{
	const char *rest = key + plen, *slash;
	size_t rlen = len - plen;

	if (msp != NULL)
		*msp = NULL;
	if (len < plen)
		return 0;
	if (rlen == 4 && memcmp(rest, "spec", 4) == 0)
		return 1;
	if (rlen > 10 && memcmp(rest, "workflows/", 10) == 0 &&
	    memchr(rest + 10, '/', rlen - 10) == NULL)
		return 4;
	if (rlen > 9 && memcmp(rest, "channels/", 9) == 0 &&
	    (slash = memchr(rest + 9, '/', rlen - 9)) != NULL &&
	    (size_t)(rest + rlen - slash) == 8 && memcmp(slash, "/genesis", 8) == 0)
		return 5;
	if (rlen < 5 || memcmp(rest, "orgs/", 5) != 0)
		return 0;
	rest += 5;
	rlen -= 5;
	if ((slash = memchr(rest, '/', rlen)) == NULL)
		return 0;
	if (msp != NULL)
		*msp = xstrndup(rest, (size_t)(slash - rest));
	rlen -= (size_t)(slash - rest) + 1;
	if (rlen == 3 && memcmp(slash + 1, "msp", 3) == 0)
		return 2;
	if (rlen == 9 && memcmp(slash + 1, "endpoints", 9) == 0)
		return 3;
	if (rlen > 6 && memcmp(slash + 1, "tasks/", 6) == 0 &&
	    memchr(slash + 7, '/', rlen - 6) == NULL)
		return 6;
	if (msp != NULL) {
		free(*msp);
		*msp = NULL;
	}
	return 0;
}

/* Whether a record kind is desired state (see record_kind). */
static int
kind_desired(int kind)
{
	return kind >= 1 && kind <= 4;
}

/*
 * Whether a workflow record holds a task of org MSP that is still open:
 * in a running step, not final in the record, nor in RESULTS (the org's
 * own results; may be NULL). Only such records count in that org's
 * desired revision and wake its long poll: a workflow step that concerns
 * other orgs (their signatures, their joins) does not wake every agent of
 * the consortium on each of its writes.
 */
static int
record_concerns(const json_t *rec, const char *msp, const json_t *results)
{
	json_t *tasks = json_array(), *none = NULL;
	int open;

	if (results == NULL)
		results = none = json_object();
	wf_open_tasks(rec, msp, results, NULL, tasks);
	open = json_array_size(tasks) > 0;
	json_decref(tasks);
	json_decref(none);
	return open;
}

/* ---- long poll ---- */

static void
lp_watch_cb(const struct etcd_event *ev, int64_t revision, void *arg)
{
	struct lp_watch *w = arg;
	struct ag_ctx *a, *next;
	TAILQ_HEAD(, ag_ctx) wake;
	size_t plen = strlen(w->prefix);
	json_t *rec = NULL;

	int kind = ev->kv != NULL ? record_kind(ev->kv->key, ev->kv->key_len, plen, NULL) : 0;
	/* The consortium itself went: every poll learns it (410), whatever its since. */
	int gone = ev->type == ETCD_EVENT_DELETE && kind == 1;

	if ((ev->type == ETCD_EVENT_PUT || ev->type == ETCD_EVENT_DELETE) &&
	    !kind_desired(kind))
		return;   /* status, agent records, results: not desired state */
	if (revision > w->last_rev)
		w->last_rev = revision;
	if (kind == 4 && ev->type == ETCD_EVENT_PUT && ev->kv != NULL)
		rec = json_loadb(ev->kv->value, ev->kv->value_len, 0, NULL);
	TAILQ_INIT(&wake);
	for (a = TAILQ_FIRST(&w->waiters); a != NULL; a = next) {
		next = TAILQ_NEXT(a, entry);
		if ((ev->type == ETCD_EVENT_PUT || ev->type == ETCD_EVENT_DELETE) && !gone &&
		    revision <= a->since)
			continue;
		/* A workflow record wakes only the orgs it has open tasks for. */
		if (rec != NULL && !record_concerns(rec, a->msp, NULL))
			continue;
		TAILQ_REMOVE(&w->waiters, a, entry);
		a->watch = NULL;
		TAILQ_INSERT_TAIL(&wake, a, entry);
	}
	json_decref(rec);
	if (TAILQ_EMPTY(&w->waiters))
		lp_watch_free(w);   /* allowed from inside its callback */
	while ((a = TAILQ_FIRST(&wake)) != NULL) {
		TAILQ_REMOVE(&wake, a, entry);
		evtimer_del(a->timer);
		desired_read(a->sr);   /* its request is still pending */
	}
}

static void
lp_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server_req *sr = arg;
	struct ag_ctx *a = sr->state;
	int64_t since = a->since;

	api_lp_detach(a);
	server_reply_json(sr, 200, json_pack("{s:I, s:b}", "revision", (json_int_t)since,
	    "changed", 0));
}

/* Waits for a change past a->since; read_rev is the revision just read. */
static void
lp_wait(struct server_req *sr, int64_t read_rev)
{
	struct ag_ctx *a = sr->state;
	struct lp_watch *w;
	struct timeval tv = { a->poll_secs, 0 };

	LIST_FOREACH(w, &lp_watches, entry)
		if (strcmp(w->consortium, a->consortium) == 0)
			break;
	if (w != NULL && w->last_rev > read_rev) {
		/* A change landed between our read and now: read again. */
		desired_read(sr);
		return;
	}
	if (w == NULL) {
		w = xcalloc(1, sizeof(*w));
		w->consortium = xstrdup(a->consortium);
		w->prefix = api_consortium_prefix(a->consortium);
		w->last_rev = read_rev;
		TAILQ_INIT(&w->waiters);
		w->watch = etcd_watch(sr->srv->etcd, w->prefix, ETCD_PREFIX, read_rev + 1,
		    lp_watch_cb, w);
		if (w->watch == NULL) {
			free(w->consortium);
			free(w->prefix);
			free(w);
			server_reply_error(sr, 503, "etcd: cannot watch the consortium", NULL);
			return;
		}
		LIST_INSERT_HEAD(&lp_watches, w, entry);
	}
	TAILQ_INSERT_TAIL(&w->waiters, a, entry);
	a->watch = w;
	evtimer_add(a->timer, &tv);
}

static void
desired_cb(const struct etcd_result *res, void *arg)
{
	struct server_req *sr = arg;
	struct ag_ctx *a = sr->state;
	json_t *spec = NULL, *orgs, *records, *genesis, *results, *tasks, *rec;
	char *prefix, *msp;
	int64_t rev = 0;
	size_t i, plen;

	if (!res->ok) {
		server_reply_error(sr, api_etcd_status(res), res->error, NULL);
		return;
	}
	prefix = api_consortium_prefix(a->consortium);
	plen = strlen(prefix);
	free(prefix);
	orgs = json_object();
	records = json_array();
	genesis = json_object();
	results = json_object();
	for (i = 0; i < res->range.nkvs; i++) {
		const struct etcd_kv *kv = &res->range.kvs[i];
		int kind = record_kind(kv->key, kv->key_len, plen, &msp);
		const char *last = kv->key + kv->key_len;
		json_t *v, *org;
		char *name;

		if (kind == 0)
			continue;
		if (kind_desired(kind) && kind != 4 && kv->mod_revision > rev)
			rev = kv->mod_revision;
		v = json_loadb(kv->value, kv->value_len, 0, NULL);
		switch (kind) {
		case 1:
			json_decref(spec);
			spec = v;
			break;
		case 4:   /* in key order: workflow order */
			if (v != NULL) {
				json_object_set_new(v, "_rev",
				    json_integer(kv->mod_revision));
				json_array_append_new(records, v);
			}
			break;
		case 5:   /* channels/<ch>/genesis */
			while (last > kv->key + plen + 9 && last[-1] != '/')
				last--;
			last--;   /* the '/' before "genesis" */
			name = xstrndup(kv->key + plen + 9, (size_t)(last - kv->key - plen - 9));
			if (v != NULL)
				json_object_set_new(genesis, name, v);
			free(name);
			break;
		case 6:   /* orgs/<msp>/tasks/<id>: this org's only */
			while (last > kv->key && last[-1] != '/')
				last--;
			name = xstrndup(last, (size_t)(kv->key + kv->key_len - last));
			if (v != NULL && strcmp(msp, a->msp) == 0)
				json_object_set_new(results, name, v);
			else
				json_decref(v);
			free(name);
			break;
		default:
			if ((org = json_object_get(orgs, msp)) == NULL) {
				org = json_object();
				json_object_set_new(orgs, msp, org);
			}
			json_object_set_new(org, kind == 2 ? "msp" : "endpoints",
			    v != NULL ? v : json_null());
			break;
		}
		free(msp);
	}
	if (spec == NULL) {
		server_reply_error(sr, 410, "the consortium no longer exists", NULL);
		goto done;
	}
	/* Workflow records count when they hold this org's open tasks (the
	 * results are all read by now). */
	json_array_foreach(records, i, rec) {
		json_int_t r = json_integer_value(json_object_get(rec, "_rev"));

		json_object_del(rec, "_rev");
		if (r > rev && record_concerns(rec, a->msp, results))
			rev = r;
	}
	if (rev <= a->since && a->poll_secs > 0) {
		lp_wait(sr, res->revision);
		goto done;
	}
	tasks = json_array();
	json_array_foreach(records, i, rec)
		wf_open_tasks(rec, a->msp, results, json_object_get(genesis,
		    json_string_value(json_object_get(rec, "channel")) != NULL ?
		    json_string_value(json_object_get(rec, "channel")) : ""), tasks);
	server_reply_json(sr, 200, json_pack("{s:I, s:b, s:s, s:s, s:O, s:O, s:o}",
	    "revision", (json_int_t)rev, "changed", rev > a->since, "consortium", a->consortium,
	    "mspId", a->msp, "spec", spec, "orgs", orgs, "tasks", tasks));
done:
	json_decref(spec);
	json_decref(orgs);
	json_decref(records);
	json_decref(genesis);
	json_decref(results);
}

static void
desired_read(struct server_req *sr)
{
	struct ag_ctx *a = sr->state;
	char *prefix = api_consortium_prefix(a->consortium);

	if (etcd_range(sr->srv->etcd, prefix, ETCD_PREFIX, desired_cb, sr) != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
	free(prefix);
}

/* A query parameter as a bounded number; -1 if absent, -2 if bad. */
static long long
query_number(const char *query, const char *name, long long min, long long max)
{
	struct evkeyvalq q;
	const char *v;
	long long n = -1;

	if (query == NULL)
		return -1;
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(query, &q) != 0)
		return -2;
	if ((v = evhttp_find_header(&q, name)) != NULL && opts_number(v, min, max, &n) != 0)
		n = -2;
	evhttp_clear_headers(&q);
	return n;
}

void
api_agent_desired(struct server_req *sr)
{
	struct ag_ctx *a;
	long long since, secs;

	if ((a = api_ag_new(sr)) == NULL)
		return;
	since = query_number(sr->query, "since", 0, INT64_MAX);
	secs = query_number(sr->query, "timeout", 0, POLL_MAX_SECS);
	if (since == -2 || secs == -2) {
		server_reply_error(sr, 400, "since must be a revision and timeout 0 to 60 "
		    "seconds", NULL);
		return;
	}
	a->since = since < 0 ? 0 : since;
	a->poll_secs = secs < 0 ? POLL_DEFAULT_SECS : (int)secs;
	a->timer = evtimer_new(sr->srv->base, lp_timeout_cb, sr);
	desired_read(sr);
}

