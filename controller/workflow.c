/*
 * workflow.c: the workflow engine's I/O (workflow.h) and the admin's read
 * routes for workflows.
 *
 * Every controller campaigns (leader.c); the leader watches consortia/ and
 * agents/ and, 100 ms after the first change since the last pass (and
 * every 10 s regardless), makes one pass: one read-only txn reads every
 * consortium's keys and the live agents, wf_create_channel_step computes
 * each channel's record, and
 * each record that moved is written by a txn that holds only if this
 * controller still leads (the leader key's create_revision) and the record
 * is as read (its mod_revision). A genesis block is built only when no
 * block is stored, and written in the same txn as the record, created only
 * if absent: if another leader stored one first, the txn fails and the
 * next pass uses the stored one. Our own writes are changes too: passes go
 * on until one writes nothing. One pass at a time; a change during a pass
 * makes another after it.
 *
 * A channel taken out of the document keeps its record as it is: the
 * engine only evaluates channels the document declares.
 *
 * After a channel's create-channel record, its add-org / remove-org
 * workflow (wf_update_org.c): once create-channel succeeded, its members
 * are stored under channels/<ch>/members (created only if absent), and
 * wf_update_org_next picks the one workflow the channel runs; a prepared
 * update is stored in the txn of the record, created only if absent, and
 * the members a succeeded workflow leaves are written in its txn, on the
 * members' mod_revision as read.
 */
#include "workflow.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "api.h"
#include "b64.h"
#include "etcd.h"
#include "fabric_block.h"
#include "fabric_config.h"
#include "leader.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "topology.h"
#include "xmalloc.h"

#define WF_DEBOUNCE_MS   100
#define WF_RESYNC_SECS   10
#define WF_CONSORTIA     API_PREFIX "consortia/"
#define WF_AGENTS        API_PREFIX "agents/"

struct wf_engine {
	struct event_base *base;
	struct etcd_client *etcd;
	struct leader *leader;
	struct etcd_watch *wcons, *wagents;
	struct event *debounce;
	struct event *resync;
	int busy;        /* a pass is reading or writing */
	int dirty;       /* a change came during the pass */
	int writes;      /* writes of the pass in flight */
};

static struct wf_engine *engine;

static void wf_pass(struct wf_engine *);

static void
wf_schedule(struct wf_engine *e)
{
	struct timeval tv = { 0, WF_DEBOUNCE_MS * 1000 };

	if (!leader_is(e->leader))
		return;
	if (e->busy) {
		e->dirty = 1;
		return;
	}
	/* A window from the first change: a stream of N agents' results does
	 * not hold the pass back. */
	if (!evtimer_pending(e->debounce, NULL))
		evtimer_add(e->debounce, &tv);
}

static void
wf_debounce_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	wf_pass(arg);
}

static void
wf_resync_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wf_engine *e = arg;
	struct timeval tv = { WF_RESYNC_SECS, 0 };

	(void)fd;
	(void)what;
	evtimer_add(e->resync, &tv);
	wf_schedule(e);
}

static void
wf_watch_cb(const struct etcd_event *ev, int64_t revision, void *arg)
{
	struct wf_engine *e = arg;

	(void)revision;
	if (ev->type == ETCD_EVENT_CANCELED) {
		log_warnx("workflows: etcd cancelled a watch; relying on the %d s resync",
		    WF_RESYNC_SECS);
		return;
	}
	wf_schedule(e);
}

static void
wf_leader_cb(int leading, void *arg)
{
	struct wf_engine *e = arg;
	struct timeval tv = { WF_RESYNC_SECS, 0 };

	metrics_set_leader(leading);
	if (leading) {
		evtimer_add(e->resync, &tv);
		wf_schedule(e);
	} else {
		evtimer_del(e->debounce);
		evtimer_del(e->resync);
		metrics_set_workflows(NULL, -1);
	}
}

void
workflow_start(struct event_base *base, struct etcd_client *etcd)
{
	struct wf_engine *e;

	if (engine != NULL)
		return;
	e = xcalloc(1, sizeof(*e));
	e->base = base;
	e->etcd = etcd;
	if ((e->debounce = evtimer_new(base, wf_debounce_cb, e)) == NULL ||
	    (e->resync = evtimer_new(base, wf_resync_cb, e)) == NULL)
		fatalx("evtimer_new failed");
	e->wcons = etcd_watch(etcd, WF_CONSORTIA, ETCD_PREFIX, 0, wf_watch_cb, e);
	e->wagents = etcd_watch(etcd, WF_AGENTS, ETCD_PREFIX, 0, wf_watch_cb, e);
	e->leader = leader_new(base, etcd, wf_leader_cb, e);
	metrics_set_leader(0);
	log_info("workflows: controller %s campaigns for leadership", leader_id(e->leader));
	engine = e;
}

void
workflow_stop(void)
{
	struct wf_engine *e = engine;

	if (e == NULL)
		return;
	engine = NULL;
	leader_free(e->leader);
	if (e->wcons != NULL)
		etcd_watch_cancel(e->wcons);
	if (e->wagents != NULL)
		etcd_watch_cancel(e->wagents);
	event_free(e->debounce);
	event_free(e->resync);
	free(e);
}

int
workflow_leading(void)
{
	return engine != NULL && leader_is(engine->leader);
}

/* ---- one pass ---- */

/*
 * Sorts one consortium key into CONS ({"spec", "orgs", "results",
 * "records", "revs", "genesis"}), REST being the key after "<c>/".
 */
static void
wf_sort_key(json_t *cons, const char *rest, size_t len, const struct etcd_kv *kv)
{
	json_t *v = json_loadb(kv->value, kv->value_len, 0, NULL);
	char *r = xstrndup(rest, len), *a, *b, *c;

	if (v == NULL)
		goto done;
	if (strcmp(r, "spec") == 0) {
		json_object_set(cons, "spec", v);
		goto done;
	}
	a = r;
	if ((b = strchr(a, '/')) == NULL)
		goto done;
	*b++ = '\0';
	c = strchr(b, '/');
	if (c != NULL)
		*c++ = '\0';
	if (strcmp(a, "workflows") == 0 && c == NULL) {
		json_object_set(json_object_get(cons, "records"), b, v);
		json_object_set_new(json_object_get(cons, "revs"), b,
		    json_integer((json_int_t)kv->mod_revision));
	} else if (strcmp(a, "retries") == 0 && c == NULL) {
		json_object_set(json_object_get(cons, "retries"), b, v);
	} else if (strcmp(a, "channels") == 0 && c != NULL && strcmp(c, "genesis") == 0) {
		json_object_set(json_object_get(cons, "genesis"), b, v);
	} else if (strcmp(a, "channels") == 0 && c != NULL && strcmp(c, "members") == 0) {
		json_object_set(json_object_get(cons, "members"), b, v);
		json_object_set_new(json_object_get(cons, "mrevs"), b,
		    json_integer((json_int_t)kv->mod_revision));
	} else if (strcmp(a, "channels") == 0 && c != NULL && strncmp(c, "updates/", 8) == 0 &&
	    c[8] != '\0' && strchr(c + 8, '/') == NULL) {
		json_object_set(json_object_get(cons, "updates"), c + 8, v);
	} else if (strcmp(a, "orgs") == 0 && c != NULL) {
		json_t *orgs = json_object_get(cons, "orgs"), *org;

		if (strcmp(c, "msp") == 0 || strcmp(c, "endpoints") == 0) {
			if ((org = json_object_get(orgs, b)) == NULL) {
				org = json_object();
				json_object_set_new(orgs, b, org);
			}
			json_object_set(org, c, v);
		} else if (strncmp(c, "tasks/", 6) == 0 && strchr(c + 6, '/') == NULL &&
		    json_is_object(v)) {
			/* Only an org's own task ids count: ids name their org. */
			json_object_set_new(v, "org", json_string(b));
			json_object_set(json_object_get(cons, "results"), c + 6, v);
		}
	}
done:
	json_decref(v);
	free(r);
}

/* Results keyed by task id, only those answered by the task's own org. */
static json_t *
wf_results_for(const json_t *results, const json_t *record)
{
	json_t *out = json_object(), *r;
	const char *id;

	json_object_foreach((json_t *)results, id, r) {
		const char *org = json_string_value(json_object_get(r, "org"));

		if (org != NULL && wf_task_of(record, org, id))
			json_object_set(out, id, r);
	}
	return out;
}

/* Builds the genesis value {"block", "sha256", "workflow"}, or NULL + *cause. */
static json_t *
wf_genesis_build(const json_t *topo, const char *channel, const json_t *orgs,
    const char *wfid, char **cause)
{
	Common__Config *cfg;
	Common__Block *blk = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	uint8_t *bytes = NULL;
	char hex[2 * EVP_MAX_MD_SIZE + 1], *b64 = NULL;
	json_t *out = NULL;
	size_t len = 0, i;

	if ((cfg = fcfg_build_flags(topo, channel, orgs, FCFG_NO_ANCHORS, cause)) == NULL)
		return NULL;
	if ((blk = fblock_genesis(cfg, channel, (int64_t)time(NULL), NULL, cause)) == NULL)
		goto done;
	if ((bytes = fblock_pack(blk, &len)) == NULL) {
		*cause = xstrdup("cannot encode the block");
		goto done;
	}
	if (EVP_Digest(bytes, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
		*cause = xstrdup("SHA-256 failed");
		goto done;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	b64 = b64_encode(bytes, len, 0);
	out = json_pack("{s:s, s:s, s:s}", "block", b64, "sha256", hex, "workflow", wfid);
done:
	fcfg_free(cfg);
	fblock_free(blk);
	free(bytes);
	free(b64);
	return out;
}

static void
wf_write_cb(const struct etcd_result *res, void *arg)
{
	struct wf_engine *e = arg;

	if (!res->ok)
		log_warnx("workflows: write failed: %s", res->error);
	else if (!res->succeeded)
		log_debug("workflows: a record or the leadership changed under a write");
	if (!res->ok || !res->succeeded)
		e->dirty = 1;   /* read again */
	if (--e->writes == 0) {
		e->busy = 0;
		if (e->dirty) {
			e->dirty = 0;
			wf_schedule(e);
		}
	}
}

static void
wf_count(long counts[4], const char *st)
{
	if (st != NULL)
		counts[strcmp(st, "running") == 0 ? 0 : strcmp(st, "succeeded") == 0 ? 1 :
		    strcmp(st, "failed") == 0 ? 2 : 3]++;
}

static void
wf_put_json(struct etcd_txn *txn, const char *key, const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT);

	etcd_txn_put(txn, 1, key, text, strlen(text), 0);
	free(text);
}

/* Queues TXN; its write ends the pass when it is the last. */
static void
wf_queue(struct wf_engine *e, struct etcd_txn *txn)
{
	if (etcd_txn(e->etcd, txn, wf_write_cb, e) == 0)
		e->writes++;
	else
		e->dirty = 1;
	etcd_txn_free(txn);
}

/* A txn that holds only while this controller leads and KEY is at MOD. */
static struct etcd_txn *
wf_txn_fenced(struct wf_engine *e, const char *key, int64_t mod)
{
	struct etcd_txn *txn = etcd_txn_new();

	etcd_txn_cmp_int(txn, LEADER_KEY, ETCD_CMP_CREATE, ETCD_CMP_EQUAL,
	    leader_revision(e->leader));
	etcd_txn_cmp_int(txn, key, ETCD_CMP_MOD, ETCD_CMP_EQUAL, mod);
	return txn;
}

/*
 * The channel's add-org / remove-org workflow, one at a time, once the
 * channel has stored members (create-channel succeeded).
 */
static void
wf_channel_update(struct wf_engine *e, const char *cname, json_t *cons,
    const json_t *topo, const char *channel, const json_t *live, long counts[4])
{
	struct wf_input in;
	struct wf_output out;
	struct etcd_txn *txn;
	const json_t *stored = json_object_get(json_object_get(cons, "members"), channel);
	json_t *results, *mval, *consenters;
	char *type = NULL, *msp = NULL, *wfid = NULL, *cause = NULL, *rkey, *key, *cid;
	const char *st;
	int64_t mod;

	if (!json_is_array(json_object_get(stored, "members")))
		return;
	/* Stored before consenters were kept: those create-channel joined. */
	if (json_is_array(json_object_get(stored, "consenters")))
		consenters = json_incref(json_object_get(stored, "consenters"));
	else {
		cid = wf_create_channel_id(channel);
		consenters = wf_channel_consenters(json_object_get(json_object_get(cons,
		    "records"), cid));
		free(cid);
	}
	if (wf_update_org_next(topo, channel, json_object_get(stored, "members"),
	    consenters, json_object_get(cons, "records"), &type, &msp, &wfid) == 0) {
		json_decref(consenters);
		return;
	}
	memset(&in, 0, sizeof(in));
	in.record = json_object_get(json_object_get(cons, "records"), wfid);
	in.topo = topo;
	in.channel = channel;
	in.orgs = json_object_get(cons, "orgs");
	in.live = live;
	results = wf_results_for(json_object_get(cons, "results"), in.record);
	in.results = results;
	in.genesis = json_object_get(json_object_get(cons, "genesis"), channel);
	in.type = type;
	in.org = msp;
	in.members = json_object_get(stored, "members");
	in.consenters = consenters;
	in.id = wfid;
	in.update = json_object_get(json_object_get(cons, "updates"), wfid);
	in.now = (int64_t)time(NULL);
	if (wf_update_org_step(&in, &out, &cause) != 0) {
		log_warnx("workflows: %s/%s: %s", cname, wfid, cause);
		goto done;
	}
	st = json_string_value(json_object_get(out.record, "state"));
	wf_count(counts, st);
	if (!out.changed)
		goto out;
	mod = json_integer_value(json_object_get(json_object_get(cons, "revs"), wfid));
	rkey = xasprintf(WF_CONSORTIA "%s/workflows/%s", cname, wfid);
	txn = wf_txn_fenced(e, rkey, mod);
	if (out.store_update != NULL) {
		key = xasprintf(WF_CONSORTIA "%s/channels/%s/updates/%s", cname, channel,
		    wfid);
		etcd_txn_cmp_int(txn, key, ETCD_CMP_CREATE, ETCD_CMP_EQUAL, 0);
		wf_put_json(txn, key, out.store_update);
		free(key);
	}
	if (out.members != NULL || out.consenters != NULL) {
		/* The members change with the record, from the members as read. */
		key = xasprintf(WF_CONSORTIA "%s/channels/%s/members", cname, channel);
		etcd_txn_cmp_int(txn, key, ETCD_CMP_MOD, ETCD_CMP_EQUAL,
		    json_integer_value(json_object_get(json_object_get(cons, "mrevs"),
		    channel)));
		mval = json_pack("{s:O, s:O, s:s}", "members", out.members != NULL ?
		    out.members : json_object_get(stored, "members"), "consenters",
		    out.consenters != NULL ? out.consenters : consenters, "revision", wfid);
		wf_put_json(txn, key, mval);
		json_decref(mval);
		free(key);
	}
	wf_put_json(txn, rkey, out.record);
	log_info("workflows: %s/%s: %s", cname, wfid, st != NULL ? st : "?");
	wf_queue(e, txn);
	free(rkey);
out:
	json_decref(out.record);
	json_decref(out.store_update);
	json_decref(out.members);
	json_decref(out.consenters);
done:
	json_decref(results);
	json_decref(consenters);
	free(cause);
	free(wfid);
	free(type);
	free(msp);
}

/* Evaluates one channel; queues its writes. */
static void
wf_channel(struct wf_engine *e, const char *cname, json_t *cons, const json_t *topo,
    const char *channel, const json_t *live, long counts[4])
{
	struct wf_input in;
	struct wf_output out;
	struct etcd_txn *txn;
	json_t *genesis = NULL, *results, *members = NULL, *mval, *consenters = NULL;
	char *wfid = wf_create_channel_id(channel), *cause = NULL, *gerr = NULL;
	char *rkey, *gkey, *mkey;
	const char *st;
	int64_t mod;

	memset(&in, 0, sizeof(in));
	in.record = json_object_get(json_object_get(cons, "records"), wfid);
	in.topo = topo;
	in.channel = channel;
	in.orgs = json_object_get(cons, "orgs");
	in.live = live;
	results = wf_results_for(json_object_get(cons, "results"), in.record);
	in.results = results;
	in.genesis = json_object_get(json_object_get(cons, "genesis"), channel);
	in.now = (int64_t)time(NULL);
	if (wf_create_channel_step(&in, &out, &cause) != 0) {
		log_warnx("workflows: %s/%s: %s", cname, wfid, cause);
		goto done;
	}
	if (out.need_genesis) {
		/* Build it, and evaluate again as if it were stored. */
		if ((genesis = wf_genesis_build(topo, channel, in.orgs, wfid, &gerr)) == NULL)
			in.genesis_error = gerr;
		in.genesis = genesis;
		json_decref(out.record);
		if (wf_create_channel_step(&in, &out, &cause) != 0)
			goto done;
		if (gerr != NULL)
			log_warnx("workflows: %s/%s: the genesis block cannot be built: %s",
			    cname, wfid, gerr);
	}
	st = json_string_value(json_object_get(out.record, "state"));
	wf_count(counts, st);
	/* Succeeded: the channel's members, once, from the orgs it joined. */
	if (st != NULL && strcmp(st, "succeeded") == 0 &&
	    json_object_get(json_object_get(cons, "members"), channel) == NULL) {
		members = wf_channel_members(out.record);
		consenters = wf_channel_consenters(out.record);
	}
	if (!out.changed && members == NULL) {
		json_decref(out.record);
		goto done;
	}
	mod = json_integer_value(json_object_get(json_object_get(cons, "revs"), wfid));
	rkey = xasprintf(WF_CONSORTIA "%s/workflows/%s", cname, wfid);
	txn = wf_txn_fenced(e, rkey, mod);
	if (genesis != NULL) {
		gkey = xasprintf(WF_CONSORTIA "%s/channels/%s/genesis", cname, channel);
		etcd_txn_cmp_int(txn, gkey, ETCD_CMP_CREATE, ETCD_CMP_EQUAL, 0);
		wf_put_json(txn, gkey, genesis);
		free(gkey);
	}
	if (members != NULL) {
		mkey = xasprintf(WF_CONSORTIA "%s/channels/%s/members", cname, channel);
		etcd_txn_cmp_int(txn, mkey, ETCD_CMP_CREATE, ETCD_CMP_EQUAL, 0);
		mval = json_pack("{s:O, s:O, s:s}", "members", members, "consenters",
		    consenters, "revision", wfid);
		wf_put_json(txn, mkey, mval);
		json_decref(mval);
		free(mkey);
	}
	if (out.changed) {
		wf_put_json(txn, rkey, out.record);
		log_info("workflows: %s/%s: %s", cname, wfid, st != NULL ? st : "?");
	}
	wf_queue(e, txn);
	free(rkey);
	json_decref(out.record);
done:
	json_decref(results);
	json_decref(genesis);
	json_decref(members);
	json_decref(consenters);
	free(gerr);
	free(cause);
	free(wfid);
	wf_channel_update(e, cname, cons, topo, channel, live, counts);
}

static void
wf_read_cb(const struct etcd_result *res, void *arg)
{
	struct wf_engine *e = arg;
	json_t *all = json_object(), *live = json_object(), *cons, *ch, *l;
	size_t plen = strlen(WF_CONSORTIA), alen = strlen(WF_AGENTS), i;
	long counts[4] = { 0, 0, 0, 0 };
	const char *cname, *slash;
	char *c;

	if (!res->ok || res->nresponses != 2) {
		log_warnx("workflows: cannot read the consortia: %s",
		    res->ok ? "short answer" : res->error);
		e->busy = 0;
		goto done;
	}
	if (!leader_is(e->leader)) {
		e->busy = 0;
		goto done;
	}
	for (i = 0; i < res->responses[1].range.nkvs; i++) {
		const struct etcd_kv *kv = &res->responses[1].range.kvs[i];

		if (kv->key_len <= alen || (slash = memchr(kv->key + alen, '/',
		    kv->key_len - alen)) == NULL)
			continue;
		c = xstrndup(kv->key + alen, (size_t)(slash - kv->key - alen));
		if ((l = json_object_get(live, c)) == NULL) {
			l = json_object();
			json_object_set_new(live, c, l);
		}
		json_object_set_new(l, slash + 1, json_true());
		free(c);
	}
	for (i = 0; i < res->responses[0].range.nkvs; i++) {
		const struct etcd_kv *kv = &res->responses[0].range.kvs[i];

		if (kv->key_len <= plen || (slash = memchr(kv->key + plen, '/',
		    kv->key_len - plen)) == NULL)
			continue;
		c = xstrndup(kv->key + plen, (size_t)(slash - kv->key - plen));
		if ((cons = json_object_get(all, c)) == NULL) {
			cons = json_pack("{s:{}, s:{}, s:{}, s:{}, s:{}, s:{}, s:{}, s:{}, "
			    "s:{}}", "orgs", "results", "records", "revs", "genesis",
			    "members", "mrevs", "updates", "retries");
			json_object_set_new(all, c, cons);
		}
		wf_sort_key(cons, slash + 1, kv->key_len - (size_t)(slash + 1 - kv->key), kv);
		free(c);
	}
	e->writes = 1;   /* held until every channel is queued */
	json_object_foreach(all, cname, cons) {
		const json_t *spec = json_object_get(cons, "spec");
		const json_t *rec, *q;
		const char *id;

		/* A failed change someone asked to try again (wf_retry.c). */
		json_object_foreach(json_object_get(cons, "retries"), id, q) {
			json_t *r = json_object_get(json_object_get(cons, "records"), id);

			if (r != NULL)
				json_object_set_new(r, "retryRequested", json_true());
		}

		/* Records of channels no longer declared: counted, left as they are. */
		json_object_foreach(json_object_get(cons, "records"), id, rec) {
			const char *chn = json_string_value(json_object_get(rec, "channel"));
			const char *st = json_string_value(json_object_get(rec, "state"));
			const json_t *x;
			size_t k;
			int declared = 0;

			json_array_foreach(json_object_get(json_object_get(spec, "spec"),
			    "channels"), k, x)
				if (chn != NULL && json_is_string(json_object_get(x, "name")) &&
				    strcmp(chn, json_string_value(json_object_get(x, "name"))) == 0)
					declared = 1;
			/* Evaluated ones are counted as they come out of their step. */
			if (!declared || (wf_update_org_type(json_string_value(
			    json_object_get(rec, "type"))) && st != NULL &&
			    strcmp(st, "running") != 0))
				wf_count(counts, st);
		}
		if (spec == NULL)
			continue;
		json_array_foreach(json_object_get(json_object_get(spec, "spec"), "channels"),
		    i, ch) {
			const char *chn = json_string_value(json_object_get(ch, "name"));
			json_t *none = json_object();

			if (chn != NULL)
				wf_channel(e, cname, cons, spec, chn,
				    (l = json_object_get(live, cname)) != NULL ? l : none, counts);
			json_decref(none);
		}
	}
	metrics_set_workflows("running", counts[0]);
	metrics_set_workflows("succeeded", counts[1]);
	metrics_set_workflows("failed", counts[2]);
	metrics_set_workflows("rendered", counts[3]);
	if (--e->writes == 0) {
		e->busy = 0;
		if (e->dirty) {
			e->dirty = 0;
			wf_schedule(e);
		}
	}
done:
	json_decref(all);
	json_decref(live);
}

static void
wf_pass(struct wf_engine *e)
{
	struct etcd_txn *txn;

	if (!leader_is(e->leader) || e->busy)
		return;
	e->busy = 1;
	e->dirty = 0;
	txn = etcd_txn_new();
	etcd_txn_range(txn, 1, WF_CONSORTIA, ETCD_PREFIX);
	etcd_txn_range(txn, 1, WF_AGENTS, ETCD_PREFIX);
	if (etcd_txn(e->etcd, txn, wf_read_cb, e) != 0) {
		e->busy = 0;
		log_warnx("workflows: cannot queue a read of the consortia");
	}
	etcd_txn_free(txn);
}

/* ---- GET /v1/consortia/{name}/workflows[/{id}] (admin) ---- */

/*
 * {"<channel>": {"members": [...]}} from the keys under
 * …/channels/: the members each channel has as carried out (the
 * …/<channel>/members keys; the genesis blocks and updates there are
 * skipped).
 */
static json_t *
wf_api_channels(const struct etcd_range_result *r)
{
	static const char suffix[] = "/members";
	const size_t slen = sizeof(suffix) - 1;
	json_t *out = json_object(), *v;
	const char *k, *ch;
	char *name;
	size_t i, klen;

	for (i = 0; i < r->nkvs; i++) {
		k = r->kvs[i].key;
		klen = r->kvs[i].key_len;
		if (klen <= slen || memcmp(k + klen - slen, suffix, slen) != 0 ||
		    (ch = memmem(k, klen, "/channels/", 10)) == NULL)
			continue;
		ch += 10;
		if (ch >= k + klen - slen || memchr(ch, '/',
		    (size_t)(k + klen - slen - ch)) != NULL)
			continue;
		if ((v = json_loadb(r->kvs[i].value, r->kvs[i].value_len, 0,
		    NULL)) == NULL)
			continue;
		name = xstrndup(ch, (size_t)(k + klen - slen - ch));
		if (json_is_array(json_object_get(v, "members")))
			json_object_set_new(out, name, json_pack("{s:O}",
			    "members", json_object_get(v, "members")));
		if (json_is_array(json_object_get(v, "members")) &&
		    json_is_array(json_object_get(v, "consenters")))
			json_object_set(json_object_get(out, name), "consenters",
			    json_object_get(v, "consenters"));
		free(name);
		json_decref(v);
	}
	return out;
}

/* Whether the keys R (consortia/<c>/retries/...) hold one for ID. */
static int
wf_api_retried(const struct etcd_range_result *r, const char *cname, const char *id)
{
	char *key = xasprintf(WF_CONSORTIA "%s/retries/%s", cname, id);
	size_t i, len = strlen(key);
	int found = 0;

	for (i = 0; i < r->nkvs && !found; i++)
		if (r->kvs[i].key_len == len && memcmp(r->kvs[i].key, key, len) == 0)
			found = 1;
	free(key);
	return found;
}

static void
wf_api_cb(const struct etcd_result *res, void *arg)
{
	struct server_req *sr = arg;
	const struct etcd_range_result *recs;
	json_t *items, *item, *rec, *step, *first;
	char *msg;
	size_t i, k;

	if (!res->ok) {
		server_reply_error(sr, api_etcd_status(res), res->error, NULL);
		return;
	}
	if (res->nresponses < 2 || res->responses[0].range.nkvs == 0) {
		msg = xasprintf("consortium \"%s\" not found", sr->name);
		server_reply_error(sr, 404, msg, NULL);
		free(msg);
		return;
	}
	recs = &res->responses[1].range;
	if (sr->sub != NULL) {
		if (recs->nkvs == 0 || (rec = json_loadb(recs->kvs[0].value,
		    recs->kvs[0].value_len, 0, NULL)) == NULL) {
			msg = xasprintf("workflow \"%s\" not found in consortium \"%s\"",
			    sr->sub, sr->name);
			server_reply_error(sr, 404, msg, NULL);
			free(msg);
			return;
		}
		server_reply_json(sr, 200, rec);
		return;
	}
	items = json_array();
	for (i = 0; i < recs->nkvs; i++) {   /* etcd answers in key order */
		if ((rec = json_loadb(recs->kvs[i].value, recs->kvs[i].value_len, 0,
		    NULL)) == NULL)
			continue;
		first = NULL;
		json_array_foreach(json_object_get(rec, "steps"), k, step) {
			const char *st = json_string_value(json_object_get(step, "state"));

			if (st == NULL || (strcmp(st, "done") != 0 && strcmp(st, "rendered") != 0)) {
				first = step;
				break;
			}
		}
		item = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}",
		    "id", json_object_get(rec, "id"), "type", json_object_get(rec, "type"),
		    "channel", json_object_get(rec, "channel"),
		    "state", json_object_get(rec, "state"),
		    "step", json_object_get(first, "name"),
		    "updatedAt", json_object_get(rec, "updatedAt"));
		if (json_object_get(first, "waitingFor") != NULL)
			json_object_set(item, "waitingFor", json_object_get(first, "waitingFor"));
		else
			json_object_set_new(item, "waitingFor", json_array());
		if (res->nresponses == 4 && json_is_string(json_object_get(rec, "id")) &&
		    wf_api_retried(&res->responses[3].range, sr->name,
		    json_string_value(json_object_get(rec, "id"))))
			json_object_set_new(item, "retryRequested", json_true());
		json_array_append_new(items, item);
		json_decref(rec);
	}
	server_reply_json(sr, 200, json_pack("{s:s, s:o, s:o}", "consortium",
	    sr->name, "items", items, "channels", res->nresponses >= 3 ?
	    wf_api_channels(&res->responses[2].range) : json_object()));
}

static void
wf_api_read(struct server_req *sr)
{
	struct etcd_txn *txn;
	char *spec, *key;
	int queued;

	if (topology_valid_consortium_name(sr->name) != 0) {
		server_reply_error(sr, 404, "no such consortium", NULL);
		return;
	}
	spec = api_spec_key(sr->name);
	key = sr->sub != NULL ?
	    xasprintf(WF_CONSORTIA "%s/workflows/%s", sr->name, sr->sub) :
	    xasprintf(WF_CONSORTIA "%s/workflows/", sr->name);
	txn = etcd_txn_new();
	etcd_txn_range(txn, 1, spec, ETCD_KEYS_ONLY);
	etcd_txn_range(txn, 1, key, sr->sub != NULL ? 0 : ETCD_PREFIX);
	if (sr->sub == NULL) {
		/* The channels' members as carried out (…/channels/<ch>/members). */
		free(key);
		key = xasprintf(WF_CONSORTIA "%s/channels/", sr->name);
		etcd_txn_range(txn, 1, key, ETCD_PREFIX);
		/* The failed changes asked to be tried again (wf_retry.c). */
		free(key);
		key = xasprintf(WF_CONSORTIA "%s/retries/", sr->name);
		etcd_txn_range(txn, 1, key, ETCD_PREFIX | ETCD_KEYS_ONLY);
	}
	queued = etcd_txn(sr->srv->etcd, txn, wf_api_cb, sr);
	etcd_txn_free(txn);
	free(spec);
	free(key);
	if (queued != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
}

void
api_workflows_list(struct server_req *sr)
{
	wf_api_read(sr);
}

void
api_workflow_get(struct server_req *sr)
{
	wf_api_read(sr);
}
