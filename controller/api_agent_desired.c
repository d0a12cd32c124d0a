/*
 * api_agent_desired.c: the agent's desired state, GET /v1/agent/desired
 * (the consortium document, the orgs' public material and the org's open
 * workflow tasks), served from one in-memory mirror per consortium.
 *
 * The mirror: one range read of consortia/<c>/, then one etcd watch from
 * the revision after it, keep in memory what desired state is made of:
 * the spec, every org's msp and endpoints records, the workflow records,
 * the channels' genesis blocks and the orgs' task results. A desired
 * request reads no value from etcd: it costs one keys-only range of the
 * prefix (the barrier below) and the answer's own size, however many
 * agents a change wakes together. A mirror nobody asked for in
 * LP_LINGER_SECS is dropped; a compacted or cancelled watch reloads it.
 *
 * Barrier (an answer never misses a write etcd had acknowledged when the
 * request came, the agent's own result included): the keys-only range
 * gives etcd's revision H, the newest mod_revision M under the prefix and
 * its key count K. The mirror holds at least that state once it applied
 * an event at H or later, or once it is at M or later and holds K keys
 * (then nothing under the prefix changed between its revision and H).
 * Until then the request waits like a long poll.
 *
 * The desired revision of org X is the newest of:
 *  - the revisions at which the spec or an org's msp or endpoints record
 *    last changed (or went), and
 *  - for each workflow record that holds open tasks of X (X's tasks in
 *    its running steps without a final result), the revision at which X's
 *    open tasks in it last gained a task or saw one change (e.g. the
 *    submit task's signatures). So a new task wakes the org's long poll,
 *    while the record writes that other orgs' results cause (every member
 *    signs in the same record) do not wake it, nor move its revision. A
 *    task going away (answered, or its step over) moves nothing.
 * A change at revision E gives a revision of at least E, above any
 * revision handed out before it by this controller or another; a fresh
 * mirror counts a record at its mod_revision (at most one needless wake
 * per org after a controller restart).
 *
 * Long poll: GET /v1/agent/desired?since=REV answers at once when the
 * org's desired revision is past REV; otherwise the request waits on the
 * mirror until a change moves it, or until its timeout. No thread, no
 * timer per poll beyond one libevent timer.
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
#define LP_LINGER_SECS    120   /* an unused mirror is dropped after this */
#define LP_WAIT_SECS      10    /* a timeout=0 request waits at most this */

/* Which record of consortia/<c>/ a key is (record_kind). */
enum lp_kind {
	K_NONE, K_SPEC, K_MSP, K_ENDPOINTS, K_WORKFLOW, K_GENESIS, K_RESULT
};

/* One consortium's desired state, mirrored from etcd. */
struct lp_cons {
	char *consortium;
	char *prefix;
	size_t plen;
	struct etcd_client *etcd;
	struct etcd_watch *watch;
	struct event *linger;      /* drops the mirror when unused */
	struct event *kick;        /* looks at the waiters after a batch of events */
	int loading;               /* the range read is in flight */
	int ready;                 /* loaded, and the watch runs */
	int64_t rev;               /* revision of the newest event applied */
	int64_t nkeys;             /* keys under the prefix */
	int64_t base_rev;          /* newest change of the spec, msp, endpoints */
	json_t *spec;              /* NULL: the consortium does not exist */
	json_t *orgs;              /* {"<msp>": {"msp": .., "endpoints": ..}} */
	json_t *records;           /* {"<workflow id>": record} */
	json_t *genesis;           /* {"<channel>": genesis value} */
	json_t *results;           /* {"<msp>": {"<task id>": result}} */
	json_t *open;              /* {"<workflow id>": {"<msp>": {"tasks": [..],
	                              "rev": n}}}: each org's open tasks, and since when */
	TAILQ_HEAD(, ag_ctx) waiters;   /* every pending request of the consortium */
	LIST_ENTRY(lp_cons) entry;
};

static LIST_HEAD(, lp_cons) lp_conses = LIST_HEAD_INITIALIZER(lp_conses);

static void lp_load(struct lp_cons *);

/*
 * Which record of consortia/<c>/ a key is. K_SPEC to K_WORKFLOW are
 * desired state; genesis blocks and results are read with them. *msp gets
 * the org of K_MSP, K_ENDPOINTS and K_RESULT (caller frees).
 */
static enum lp_kind
record_kind(const char *key, size_t len, size_t plen, char **msp)
{
	const char *rest = key + plen, *slash;
	size_t rlen = len - plen;

	if (msp != NULL)
		*msp = NULL;
	if (len < plen)
		return K_NONE;
	if (rlen == 4 && memcmp(rest, "spec", 4) == 0)
		return K_SPEC;
	if (rlen > 10 && memcmp(rest, "workflows/", 10) == 0 &&
	    memchr(rest + 10, '/', rlen - 10) == NULL)
		return K_WORKFLOW;
	if (rlen > 9 && memcmp(rest, "channels/", 9) == 0 &&
	    (slash = memchr(rest + 9, '/', rlen - 9)) != NULL && slash > rest + 9 &&
	    (size_t)(rest + rlen - slash) == 8 && memcmp(slash, "/genesis", 8) == 0)
		return K_GENESIS;
	if (rlen < 5 || memcmp(rest, "orgs/", 5) != 0)
		return K_NONE;
	rest += 5;
	rlen -= 5;
	if ((slash = memchr(rest, '/', rlen)) == NULL)
		return K_NONE;
	if (msp != NULL)
		*msp = xstrndup(rest, (size_t)(slash - rest));
	rlen -= (size_t)(slash - rest) + 1;
	if (rlen == 3 && memcmp(slash + 1, "msp", 3) == 0)
		return K_MSP;
	if (rlen == 9 && memcmp(slash + 1, "endpoints", 9) == 0)
		return K_ENDPOINTS;
	if (rlen > 6 && memcmp(slash + 1, "tasks/", 6) == 0 &&
	    memchr(slash + 7, '/', rlen - 6) == NULL)
		return K_RESULT;
	if (msp != NULL) {
		free(*msp);
		*msp = NULL;
	}
	return K_NONE;
}

/* ---- the mirror's bookkeeping of open tasks ---- */

/* Whether every task of A has an equal one in B. */
static int
tasks_subset(const json_t *a, const json_t *b)
{
	const json_t *x, *y;
	size_t i, k;
	int found;

	json_array_foreach(a, i, x) {
		found = 0;
		json_array_foreach(b, k, y)
			if (json_equal(x, y)) {
				found = 1;
				break;
			}
		if (!found)
			return 0;
	}
	return 1;
}

/*
 * MSP's open tasks in REC and since when: {"tasks": [...], "rev": n}
 * (caller decrefs), or NULL when it has none. OLD is what was known before
 * (may be NULL): if every task is one of OLD's, its revision stays; else
 * it is REV. The block of join tasks is left out: a channel's genesis
 * block is never rewritten.
 */
static json_t *
open_entry(struct lp_cons *c, const json_t *rec, const char *msp, int64_t rev,
    const json_t *old)
{
	json_t *tasks = json_array();
	const json_t *otasks = json_object_get(old, "tasks");

	wf_open_tasks(rec, msp, json_object_get(c->results, msp), NULL, tasks);
	if (json_array_size(tasks) == 0) {
		json_decref(tasks);
		return NULL;
	}
	if (json_is_array(otasks) && tasks_subset(tasks, otasks))
		rev = json_integer_value(json_object_get(old, "rev"));
	return json_pack("{s:o, s:I}", "tasks", tasks, "rev", (json_int_t)rev);
}

/* Sets open[id][msp] to E (taken; NULL removes it). */
static void
open_set(struct lp_cons *c, const char *id, const char *msp, json_t *e)
{
	json_t *m = json_object_get(c->open, id);

	if (e == NULL) {
		if (m == NULL)
			return;
		json_object_del(m, msp);
		if (json_object_size(m) == 0)
			json_object_del(c->open, id);
		return;
	}
	if (m == NULL) {
		m = json_object();
		json_object_set_new(c->open, id, m);
	}
	json_object_set_new(m, msp, e);
}

/*
 * Record ID (REC, NULL when it went) changed at REV: every org it has
 * tasks of, or had open tasks in, gets its open tasks again. OLD is the
 * record's former {"<msp>": entry} (may be NULL).
 */
static void
open_record(struct lp_cons *c, const char *id, const json_t *rec, int64_t rev,
    const json_t *old)
{
	json_t *orgs = json_object();
	const json_t *step, *t, *e;
	const char *msp;
	size_t i, k;

	/* The caller holds OLD: it may be the entry deleted here. */
	json_object_del(c->open, id);
	if (rec != NULL) {
		json_array_foreach(json_object_get(rec, "steps"), i, step)
			json_array_foreach(json_object_get(step, "tasks"), k, t)
				if (json_is_string(json_object_get(t, "org")))
					json_object_set_new(orgs, json_string_value(
					    json_object_get(t, "org")), json_true());
		json_object_foreach(orgs, msp, e)
			open_set(c, id, msp, open_entry(c, rec, msp, rev,
			    json_object_get(old, msp)));
	}
	json_decref(orgs);
}

/* MSP's results changed at REV: its open tasks in every record again. */
static void
open_org(struct lp_cons *c, const char *msp, int64_t rev)
{
	const json_t *rec;
	const char *id;

	json_object_foreach(c->records, id, rec)
		open_set(c, id, msp, open_entry(c, rec, msp, rev,
		    json_object_get(json_object_get(c->open, id), msp)));
}

/* The desired revision of MSP (see the top of the file). */
static int64_t
org_revision(const struct lp_cons *c, const char *msp)
{
	const json_t *m, *e;
	const char *id;
	int64_t rev = c->base_rev, r;

	json_object_foreach(c->open, id, m) {
		if ((e = json_object_get(m, msp)) == NULL)
			continue;
		r = json_integer_value(json_object_get(e, "rev"));
		if (r > rev)
			rev = r;
	}
	return rev;
}

/*
 * Applies one key's PUT (its value) or DELETE at revision REV. While
 * loading, LOADREVS ({"<workflow id>": mod_revision}) gets the records'
 * revisions and open tasks are left for after the load; otherwise they
 * follow at once.
 */
static void
mirror_apply(struct lp_cons *c, const struct etcd_kv *kv, int put, int64_t rev,
    json_t *loadrevs)
{
	enum lp_kind kind;
	json_t *v = NULL, *org, *res, *old;
	const char *last;
	char *msp = NULL, *name;

	kind = record_kind(kv->key, kv->key_len, c->plen, &msp);
	if (kind == K_NONE)
		return;
	if (put)
		v = json_loadb(kv->value, kv->value_len, 0, NULL);
	switch (kind) {
	case K_SPEC:
		json_decref(c->spec);
		c->spec = v;   /* a spec that is not JSON: no consortium */
		v = NULL;
		if (rev > c->base_rev)
			c->base_rev = rev;
		break;
	case K_MSP:
	case K_ENDPOINTS:
		name = kind == K_MSP ? "msp" : "endpoints";
		if ((org = json_object_get(c->orgs, msp)) == NULL && put) {
			org = json_object();
			json_object_set_new(c->orgs, msp, org);
		}
		if (put) {
			json_object_set_new(org, name, v != NULL ? v : json_null());
			v = NULL;
		} else if (org != NULL) {
			json_object_del(org, name);
			if (json_object_size(org) == 0)
				json_object_del(c->orgs, msp);
		}
		if (rev > c->base_rev)
			c->base_rev = rev;
		break;
	case K_WORKFLOW:
		name = xstrndup(kv->key + c->plen + 10, kv->key_len - c->plen - 10);
		if (v != NULL)
			json_object_set(c->records, name, v);
		else
			json_object_del(c->records, name);
		if (loadrevs != NULL)
			json_object_set_new(loadrevs, name, json_integer((json_int_t)rev));
		else {
			old = json_incref(json_object_get(c->open, name));
			open_record(c, name, v, rev, old);
			json_decref(old);
		}
		free(name);
		break;
	case K_GENESIS:
		last = kv->key + kv->key_len - 8;   /* the '/' before "genesis" */
		name = xstrndup(kv->key + c->plen + 9, (size_t)(last - kv->key - c->plen - 9));
		if (v != NULL)
			json_object_set(c->genesis, name, v);
		else
			json_object_del(c->genesis, name);
		free(name);
		break;
	case K_RESULT:
		last = kv->key + kv->key_len;
		while (last > kv->key && last[-1] != '/')
			last--;
		name = xstrndup(last, (size_t)(kv->key + kv->key_len - last));
		if ((res = json_object_get(c->results, msp)) == NULL && v != NULL) {
			res = json_object();
			json_object_set_new(c->results, msp, res);
		}
		if (v != NULL)
			json_object_set(res, name, v);
		else if (res != NULL) {
			json_object_del(res, name);
			if (json_object_size(res) == 0)
				json_object_del(c->results, msp);
		}
		if (loadrevs == NULL)
			open_org(c, msp, rev);
		free(name);
		break;
	default:
		break;
	}
	json_decref(v);
	free(msp);
}

/* ---- requests waiting on a mirror ---- */

/* Takes a pending request off its mirror; an unused mirror lingers. */
void
api_lp_detach(struct ag_ctx *a)
{
	struct lp_cons *c = a->cons;
	struct timeval tv = { LP_LINGER_SECS, 0 };

	if (a->timer != NULL)
		evtimer_del(a->timer);
	if (c == NULL)
		return;
	TAILQ_REMOVE(&c->waiters, a, entry);
	a->cons = NULL;
	if (TAILQ_EMPTY(&c->waiters))
		evtimer_add(c->linger, &tv);
}

/* Whether the mirror holds at least what etcd had when A came. */
static int
caught_up(const struct lp_cons *c, const struct ag_ctx *a)
{
	return c->ready && (c->rev >= a->seen_rev ||
	    (c->rev >= a->seen_max && c->nkeys == a->seen_keys));
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The desired state of A's org as the mirror has it. */
static void
reply_desired(struct lp_cons *c, struct server_req *sr, int64_t rev)
{
	struct ag_ctx *a = sr->state;
	const char **ids, *id, *ch;
	const json_t *rec;
	json_t *tasks = json_array(), *results = json_object_get(c->results, a->msp);
	size_t n = 0, i;

	ids = xcalloc(json_object_size(c->records) + 1, sizeof(*ids));
	json_object_foreach(c->records, id, rec)
		ids[n++] = id;
	/* In key order: workflow order. */
	qsort(ids, n, sizeof(*ids), cmp_str);
	for (i = 0; i < n; i++) {
		rec = json_object_get(c->records, ids[i]);
		ch = json_string_value(json_object_get(rec, "channel"));
		wf_open_tasks(rec, a->msp, results, json_object_get(c->genesis,
		    ch != NULL ? ch : ""), tasks);
	}
	free(ids);
	server_reply_json(sr, 200, json_pack("{s:I, s:b, s:s, s:s, s:O, s:O, s:o}",
	    "revision", (json_int_t)rev, "changed", rev > a->since, "consortium",
	    a->consortium, "mspId", a->msp, "spec", c->spec, "orgs", c->orgs,
	    "tasks", tasks));
}

/*
 * Answers A if it can be: the mirror is caught up with it and the org's
 * revision is past its since (or it does not wait). FINAL (its deadline)
 * answers in any case.
 */
static void
lp_try(struct lp_cons *c, struct ag_ctx *a, int final)
{
	struct server_req *sr = a->sr;
	int64_t rev;

	if (!caught_up(c, a)) {
		if (!final)
			return;
		api_lp_detach(a);
		server_reply_error(sr, 503, "etcd: the controller's view of the consortium "
		    "is behind; try again", NULL);
		return;
	}
	if (c->spec == NULL) {
		api_lp_detach(a);
		server_reply_error(sr, 410, "the consortium no longer exists", NULL);
		return;
	}
	rev = org_revision(c, a->msp);
	if (rev <= a->since && a->poll_secs > 0) {
		if (!final)
			return;
		api_lp_detach(a);
		server_reply_json(sr, 200, json_pack("{s:I, s:b}", "revision",
		    (json_int_t)a->since, "changed", 0));
		return;
	}
	api_lp_detach(a);
	reply_desired(c, sr, rev);
}

/* Looks at every waiting request (after a batch of events, or a load). */
static void
lp_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lp_cons *c = arg;
	struct ag_ctx *a, *next;

	(void)fd;
	(void)what;
	for (a = TAILQ_FIRST(&c->waiters); a != NULL; a = next) {
		next = TAILQ_NEXT(a, entry);   /* answering frees only A */
		lp_try(c, a, 0);
	}
}

static void
lp_kick(struct lp_cons *c)
{
	struct timeval now = { 0, 0 };

	evtimer_add(c->kick, &now);
}

/* Answers every waiting request with an error. */
static void
lp_fail_all(struct lp_cons *c, int code, const char *msg)
{
	struct ag_ctx *a;

	while ((a = TAILQ_FIRST(&c->waiters)) != NULL) {
		api_lp_detach(a);
		server_reply_error(a->sr, code, msg, NULL);
	}
}

/* ---- the mirror's life ---- */

static void
lp_cons_free(struct lp_cons *c)
{
	struct ag_ctx *a;

	while ((a = TAILQ_FIRST(&c->waiters)) != NULL) {
		TAILQ_REMOVE(&c->waiters, a, entry);
		a->cons = NULL;
	}
	LIST_REMOVE(c, entry);
	if (c->watch != NULL)
		etcd_watch_cancel(c->watch);
	event_free(c->linger);
	event_free(c->kick);
	json_decref(c->spec);
	json_decref(c->orgs);
	json_decref(c->records);
	json_decref(c->genesis);
	json_decref(c->results);
	json_decref(c->open);
	free(c->consortium);
	free(c->prefix);
	free(c);
}

static void
lp_linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lp_cons *c = arg;
	struct timeval tv = { LP_LINGER_SECS, 0 };

	(void)fd;
	(void)what;
	if (!TAILQ_EMPTY(&c->waiters))
		return;
	if (c->loading) {   /* its read holds C: wait for it */
		evtimer_add(c->linger, &tv);
		return;
	}
	lp_cons_free(c);
}

static void
lp_event_cb(const struct etcd_event *ev, int64_t revision, void *arg)
{
	struct lp_cons *c = arg;

	if (ev->type == ETCD_EVENT_COMPACTED || ev->type == ETCD_EVENT_CANCELED) {
		log_warnx("agent API: the watch of consortium %s was %s; reading it again",
		    c->consortium, ev->type == ETCD_EVENT_COMPACTED ? "compacted" :
		    "cancelled");
		etcd_watch_cancel(c->watch);   /* allowed from its callback */
		c->watch = NULL;
		c->ready = 0;
		if (!c->loading)
			lp_load(c);
		return;
	}
	if (ev->kv == NULL || !c->ready)
		return;
	if (ev->type == ETCD_EVENT_DELETE)
		c->nkeys--;
	else if (ev->kv->version == 1)
		c->nkeys++;
	mirror_apply(c, ev->kv, ev->type == ETCD_EVENT_PUT, revision, NULL);
	if (revision > c->rev)
		c->rev = revision;
	lp_kick(c);
}

static void
lp_load_cb(const struct etcd_result *res, void *arg)
{
	struct lp_cons *c = arg;
	json_t *loadrevs, *old, *rec;
	const char *id;
	size_t i;

	c->loading = 0;
	if (!res->ok) {
		lp_fail_all(c, api_etcd_status(res), res->error);
		return;
	}
	/* Open tasks known before a reload keep their revisions. */
	old = c->open;
	json_decref(c->spec);
	json_decref(c->orgs);
	json_decref(c->records);
	json_decref(c->genesis);
	json_decref(c->results);
	c->spec = NULL;
	c->orgs = json_object();
	c->records = json_object();
	c->genesis = json_object();
	c->results = json_object();
	c->open = json_object();
	loadrevs = json_object();
	for (i = 0; i < res->range.nkvs; i++)
		mirror_apply(c, &res->range.kvs[i], 1, res->range.kvs[i].mod_revision,
		    loadrevs);
	json_object_foreach(c->records, id, rec)
		open_record(c, id, rec, json_integer_value(json_object_get(loadrevs, id)),
		    json_object_get(old, id));
	json_decref(loadrevs);
	json_decref(old);
	c->nkeys = (int64_t)res->range.nkvs;
	c->rev = res->revision;
	c->watch = etcd_watch(c->etcd, c->prefix, ETCD_PREFIX, res->revision + 1,
	    lp_event_cb, c);
	if (c->watch == NULL) {
		lp_fail_all(c, 503, "etcd: cannot watch the consortium");
		return;
	}
	c->ready = 1;
	lp_kick(c);
}

static void
lp_load(struct lp_cons *c)
{
	c->loading = 1;
	if (etcd_range(c->etcd, c->prefix, ETCD_PREFIX, lp_load_cb, c) != 0) {
		c->loading = 0;
		lp_fail_all(c, 503, "etcd: cannot queue the request");
	}
}

static struct lp_cons *
lp_cons_get(struct server_req *sr, const char *consortium)
{
	struct lp_cons *c;

	LIST_FOREACH(c, &lp_conses, entry)
		if (strcmp(c->consortium, consortium) == 0)
			return c;
	c = xcalloc(1, sizeof(*c));
	c->consortium = xstrdup(consortium);
	c->prefix = api_consortium_prefix(consortium);
	c->plen = strlen(c->prefix);
	c->etcd = sr->srv->etcd;
	if ((c->linger = evtimer_new(sr->srv->base, lp_linger_cb, c)) == NULL ||
	    (c->kick = evtimer_new(sr->srv->base, lp_kick_cb, c)) == NULL)
		fatalx("evtimer_new failed");
	c->orgs = json_object();
	c->records = json_object();
	c->genesis = json_object();
	c->results = json_object();
	c->open = json_object();
	TAILQ_INIT(&c->waiters);
	LIST_INSERT_HEAD(&lp_conses, c, entry);
	return c;
}

void
api_agent_shutdown(void)
{
	struct lp_cons *c;

	/* The workflow engine's watches and lease go before the client too. */
	workflow_stop();
	while ((c = LIST_FIRST(&lp_conses)) != NULL)
		lp_cons_free(c);
}

/* ---- GET /v1/agent/desired ---- */

static void
lp_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server_req *sr = arg;
	struct ag_ctx *a = sr->state;

	(void)fd;
	(void)what;
	if (a->cons != NULL)
		lp_try(a->cons, a, 1);
	else
		server_reply_error(sr, 503, "etcd: the consortium could not be read in time",
		    NULL);
}

/* The barrier's answer: what etcd has now; then wait on the mirror. */
static void
barrier_cb(const struct etcd_result *res, void *arg)
{
	struct server_req *sr = arg;
	struct ag_ctx *a = sr->state;
	struct lp_cons *c;
	struct timeval tv = { a->poll_secs > 0 ? a->poll_secs : LP_WAIT_SECS, 0 };
	size_t i;

	if (!res->ok) {
		server_reply_error(sr, api_etcd_status(res), res->error, NULL);
		return;
	}
	a->seen_rev = res->revision;
	a->seen_keys = (int64_t)res->range.nkvs;
	a->seen_max = 0;
	for (i = 0; i < res->range.nkvs; i++)
		if (res->range.kvs[i].mod_revision > a->seen_max)
			a->seen_max = res->range.kvs[i].mod_revision;
	c = lp_cons_get(sr, a->consortium);
	evtimer_del(c->linger);
	TAILQ_INSERT_TAIL(&c->waiters, a, entry);
	a->cons = c;
	evtimer_add(a->timer, &tv);
	if (c->ready)
		lp_try(c, a, 0);
	else if (!c->loading)
		lp_load(c);
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
	char *prefix;

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
	/* The barrier: keys only, no values. */
	prefix = api_consortium_prefix(a->consortium);
	if (etcd_range(sr->srv->etcd, prefix, ETCD_PREFIX | ETCD_KEYS_ONLY, barrier_cb,
	    sr) != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
	free(prefix);
}
