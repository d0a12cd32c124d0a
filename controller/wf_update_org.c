/*
 * wf_update_org.c: the state machine of the workflows that change a live
 * channel with a signed config update, as a pure function
 * (docs/workflows.md, "Adding and removing orgs" and "Adding and removing
 * consenters"), and the choice of which one a channel runs next. No I/O:
 * workflow.c reads the inputs from etcd and writes what comes out.
 *
 * add-org:          collect, prepare, sign, submit, join-peers, anchor-peers
 * remove-org:       prepare, sign, submit
 * add-consenter:    collect, prepare, sign, submit, join-orderer
 * remove-consenter: prepare, sign, submit, leave-orderer
 *
 * The record freezes, when it starts, the signers ("members": the
 * channel's current members, or for a consenter change the orgs owning
 * its current consenters), the channel's consenters ("consenters") and
 * the org it adds or removes ("org"; for a consenter, its owner, with
 * "consenter" and "node"). As in
 * create-channel, a step that is done is copied as it is and a step that
 * has begun keeps its task list. The prepared update is stored once under
 * channels/<ch>/updates/<id>; the record carries a copy ("update") so that
 * the tasks an agent sees can be made from the record alone, and the
 * submit task carries the signatures collected so far.
 */
#include "workflow.h"
#include "wf_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "b64.h"
#include "fabric_update.h"
#include "xmalloc.h"

enum uo_step {
	UO_COLLECT, UO_PREPARE, UO_SIGN, UO_SUBMIT, UO_PEERS, UO_ANCHORS,
	UO_JOIN_ORD, UO_LEAVE_ORD, UO_NSTEPS
};

static const char *uo_names[UO_NSTEPS] = {
	"collect", "prepare", "sign", "submit", "join-peers", "anchor-peers",
	"join-orderer", "leave-orderer"
};
static const char *uo_types[UO_NSTEPS] = {
	NULL, "update-prepare", "update-sign", "update-submit", "join-peer",
	"anchor-peers", "join-orderer", "leave-orderer"
};

static const char *
sget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int
is_add(const char *type)
{
	return type != NULL && (strcmp(type, WF_ADD_ORG) == 0 ||
	    strcmp(type, WF_ADD_CONSENTER) == 0);
}

static int
is_consenter_type(const char *type)
{
	return type != NULL && (strcmp(type, WF_ADD_CONSENTER) == 0 ||
	    strcmp(type, WF_REMOVE_CONSENTER) == 0);
}

int
wf_update_org_type(const char *type)
{
	return type != NULL && (strcmp(type, WF_ADD_ORG) == 0 ||
	    strcmp(type, WF_REMOVE_ORG) == 0 || is_consenter_type(type));
}

/* Whether TYPE's workflow has step S. */
static int
has_step(const char *type, enum uo_step s)
{
	int add = is_add(type), cons = is_consenter_type(type);

	switch (s) {
	case UO_COLLECT:
		return add;
	case UO_PREPARE:
	case UO_SIGN:
	case UO_SUBMIT:
		return 1;
	case UO_PEERS:
	case UO_ANCHORS:
		return add && !cons;
	case UO_JOIN_ORD:
		return add && cons;
	case UO_LEAVE_ORD:
		return !add && cons;
	default:
		return 0;
	}
}

char *
wf_update_org_id(const char *type, const char *channel, const char *subject)
{
	char *id = xasprintf("%s-%s-%s", type, channel, subject), *p;

	/* Task ids are [A-Za-z0-9._-]: "MSP/node" is written "MSP.node". */
	for (p = id; *p != '\0'; p++)
		if (*p == '/')
			*p = '.';
	return id;
}

/* The MSP ID of a consenter "MSP/node" (caller frees), or NULL. */
static char *
ref_msp(const char *ref)
{
	const char *slash = ref != NULL ? strchr(ref, '/') : NULL;

	return slash != NULL && slash != ref ? xstrndup(ref, (size_t)(slash - ref)) :
	    NULL;
}

static const json_t *
find_named(const json_t *arr, const char *key, const char *name)
{
	const json_t *c;
	size_t i;

	json_array_foreach(arr, i, c) {
		const char *n = sget(c, key);

		if (n != NULL && strcmp(n, name) == 0)
			return c;
	}
	return NULL;
}

static const json_t *
doc_channel(const json_t *topo, const char *name)
{
	return find_named(json_object_get(json_object_get(topo, "spec"), "channels"),
	    "name", name);
}

static int
str_in(const json_t *a, const char *s)
{
	const json_t *x;
	size_t i;

	json_array_foreach(a, i, x)
		if (json_is_string(x) && strcmp(json_string_value(x), s) == 0)
			return 1;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The strings of A, unique, in strcmp order, as a new array. */
static json_t *
sorted_strings(const json_t *a)
{
	const char **v;
	const json_t *x;
	json_t *out = json_array();
	size_t i, n = 0;

	v = xcalloc(json_array_size(a) + 1, sizeof(*v));
	json_array_foreach(a, i, x)
		if (json_is_string(x))
			v[n++] = json_string_value(x);
	qsort(v, n, sizeof(*v), cmp_str);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
			json_array_append_new(out, json_string(v[i]));
	free(v);
	return out;
}

/* ---- which workflow a channel runs next ---- */

/*
 * Of a create-channel record's tasks in steps S1 or S2 (may be NULL), the
 * orgs, or with NODES the "org/node" refs, sorted, once each.
 */
static json_t *
record_task_orgs(const json_t *create_record, const char *s1, const char *s2,
    int nodes)
{
	const json_t *step, *t;
	json_t *v = json_array(), *out;
	size_t i, k;

	json_array_foreach(json_object_get(create_record, "steps"), i, step) {
		const char *n = sget(step, "name");

		if (n == NULL || (strcmp(n, s1) != 0 && (s2 == NULL ||
		    strcmp(n, s2) != 0)))
			continue;
		json_array_foreach(json_object_get(step, "tasks"), k, t) {
			if (sget(t, "org") == NULL || (nodes && sget(t, "node") == NULL))
				continue;
			json_array_append_new(v, nodes ? json_sprintf("%s/%s",
			    sget(t, "org"), sget(t, "node")) : json_string(sget(t, "org")));
		}
	}
	out = sorted_strings(v);
	json_decref(v);
	return out;
}

json_t *
wf_channel_members(const json_t *create_record)
{
	return record_task_orgs(create_record, "join-peers", "anchor-peers", 0);
}

json_t *
wf_channel_consenters(const json_t *create_record)
{
	return record_task_orgs(create_record, "join-orderers", NULL, 1);
}

/* The subject of a record: the consenter of a consenter change, else the org. */
static const char *
record_subject(const json_t *rec)
{
	return is_consenter_type(sget(rec, "type")) ? sget(rec, "consenter") :
	    sget(rec, "org");
}

/*
 * The id under which TYPE of SUBJECT starts now, or NULL: the first
 * generation ("<base>", then "<base>-2", "-3"...) with no record, passing
 * over records of other changes that happen to bear the id, over
 * succeeded ones (the change was undone since: it runs again) and over
 * failed ones marked "retryRequested" (workflow.c marks those with a
 * retry request), stopping at another failed one (a failed change is not
 * tried again by itself).
 */
static char *
free_id(const json_t *records, const char *type, const char *channel,
    const char *subject)
{
	char *base = wf_update_org_id(type, channel, subject), *id;
	const json_t *rec;
	const char *st;
	int g;

	for (g = 1; g <= WF_MAX_GENERATIONS; g++) {
		id = g == 1 ? xstrdup(base) : xasprintf("%s-%d", base, g);
		rec = json_object_get(records, id);
		if (rec == NULL) {
			free(base);
			return id;
		}
		st = sget(rec, "state");
		/* Failed, and asked to be tried again (wf_retry.c): the next. */
		if (st != NULL && strcmp(st, "failed") == 0 &&
		    json_is_true(json_object_get(rec, "retryRequested"))) {
			free(id);
			continue;
		}
		if (sget(rec, "type") != NULL && strcmp(sget(rec, "type"), type) == 0 &&
		    record_subject(rec) != NULL && strcmp(record_subject(rec),
		    subject) == 0 && (st == NULL || strcmp(st, "succeeded") != 0)) {
			free(id);
			break;
		}
		free(id);
	}
	free(base);
	return NULL;
}

int
wf_update_org_next(const json_t *topo, const char *channel, const json_t *members,
    const json_t *consenters, const json_t *records, char **type, char **subject,
    char **id)
{
	static const char *order[4] = { WF_ADD_ORG, WF_ADD_CONSENTER,
	    WF_REMOVE_CONSENTER, WF_REMOVE_ORG };
	const json_t *ch = doc_channel(topo, channel), *rec, *x;
	json_t *want[2], *have[2], *cands[4];
	const char *rid, *st;
	char *wfid;
	size_t i, k;
	int found = 0;

	*type = *subject = *id = NULL;
	/* A running one first: one at a time per channel. */
	json_object_foreach((json_t *)records, rid, rec) {
		st = sget(rec, "state");
		if (wf_update_org_type(sget(rec, "type")) && record_subject(rec) != NULL &&
		    sget(rec, "channel") != NULL && strcmp(sget(rec, "channel"), channel) == 0 &&
		    st != NULL && strcmp(st, "running") == 0) {
			*type = xstrdup(sget(rec, "type"));
			*subject = xstrdup(record_subject(rec));
			*id = xstrdup(rid);
			return 1;
		}
	}
	if (ch == NULL || !json_is_array(members))
		return 0;
	want[0] = sorted_strings(json_object_get(ch, "members"));
	have[0] = sorted_strings(members);
	/* Without stored consenters, none are compared. */
	want[1] = sorted_strings(json_is_array(consenters) ?
	    json_object_get(ch, "consenters") : NULL);
	have[1] = sorted_strings(consenters);
	for (k = 0; k < 4; k++)
		cands[k] = json_array();
	for (k = 0; k < 2; k++) {
		/* k 0: orgs (cands 0 and 3); k 1: consenters (cands 1 and 2). */
		json_array_foreach(want[k], i, x)
			if (!str_in(have[k], json_string_value(x)))
				json_array_append(cands[k == 0 ? 0 : 1], (json_t *)x);
		json_array_foreach(have[k], i, x)
			if (!str_in(want[k], json_string_value(x)))
				json_array_append(cands[k == 0 ? 3 : 2], (json_t *)x);
	}
	for (k = 0; k < 4 && !found; k++) {
		json_array_foreach(cands[k], i, x) {
			wfid = free_id(records, order[k], channel, json_string_value(x));
			if (wfid == NULL)
				continue;
			*type = xstrdup(order[k]);
			*subject = xstrdup(json_string_value(x));
			*id = wfid;
			found = 1;
			break;
		}
	}
	for (k = 0; k < 2; k++) {
		json_decref(want[k]);
		json_decref(have[k]);
	}
	for (k = 0; k < 4; k++)
		json_decref(cands[k]);
	return found;
}

/* ---- the step function ---- */

struct uo_eval {
	const struct wf_input *in;
	const char *wfid;
	const char *type;
	const char *org;           /* the org added or removed; a consenter's owner */
	const char *consenter;     /* consenter changes: "MSP/node" */
	const char *node;          /* consenter changes: its node */
	const json_t *members;     /* the signers: members (or orderer orgs) before */
	const json_t *consenters;  /* the channel's consenters before, or NULL */
	const json_t *update;      /* the stored (or just prepared) update */
	int add;
	int cons;                  /* a consenter change */
	int owner_keeps;           /* the owner is an orderer org before and after */
	int failed;
	int applied;               /* prepare found the change already made */
	json_t *last_error;        /* owned */
};

static void
set_error(struct uo_eval *ev, json_t *e)
{
	if (ev->last_error == NULL)
		ev->last_error = e;
	else
		json_decref(e);
}

/* The admins policy of the channel and how many of N signatures it needs. */
static const char *
admins_policy(const json_t *topo, const char *channel, size_t n, size_t *need)
{
	const char *p = sget(json_object_get(doc_channel(topo, channel), "policies"),
	    "admins");

	if (p != NULL && strcmp(p, "ANY") == 0) {
		*need = n > 0 ? 1 : 0;
		return "ANY";
	}
	if (p != NULL && strcmp(p, "ALL") == 0) {
		*need = n;
		return "ALL";
	}
	*need = n / 2 + 1;
	return "MAJORITY";
}

/*
 * Sets each task's state from its result and its org's liveness; counts
 * them. A done result CHECK rejects counts as failed with its reason.
 */
struct uo_count {
	size_t n, ndone, nfailed, nwaiting, nrendered;
};

static void
eval_tasks(struct uo_eval *ev, json_t *step, json_t *tasks, struct uo_count *c,
    char *(*check)(const json_t *result))
{
	const struct wf_input *in = ev->in;
	json_t *t, *waiting = json_array();
	size_t i;

	memset(c, 0, sizeof(*c));
	c->n = json_array_size(tasks);
	json_array_foreach(tasks, i, t) {
		const char *id = sget(t, "id"), *org = sget(t, "org");
		const json_t *r = id != NULL ? json_object_get(in->results, id) : NULL;
		const char *rs = sget(r, "state"), *rm = sget(r, "message");
		json_t *att = json_object_get(r, "attempts");
		char *bad = NULL;

		json_object_del(t, "message");
		json_object_del(t, "attempts");
		if (json_is_integer(att) && json_integer_value(att) > 0)
			json_object_set(t, "attempts", att);
		if (wf_state_final(rs)) {
			if (strcmp(rs, "done") == 0 && check != NULL &&
			    (bad = check(r)) != NULL) {
				rs = "failed";
				rm = bad;
			}
			json_object_set_new(t, "state", json_string(rs));
			if (rm != NULL)
				json_object_set_new(t, "message", json_string(rm));
			if (strcmp(rs, "done") == 0)
				c->ndone++;
			else if (strcmp(rs, "rendered") == 0)
				c->nrendered++;
			else
				c->nfailed++;
			free(bad);
			continue;
		}
		if (org != NULL && json_object_get(in->live, org) == NULL) {
			char *msg = xasprintf("%s's agent is unreachable (no heartbeat); "
			    "waiting for it", org);

			json_object_set_new(t, "state", json_string("waiting"));
			json_object_set_new(t, "message", json_string(msg));
			free(msg);
			if (!str_in(waiting, org))
				json_array_append_new(waiting, json_string(org));
			c->nwaiting++;
			continue;
		}
		json_object_set_new(t, "state", json_string("sent"));
		if (rm != NULL && rs != NULL && strcmp(rs, "retry") == 0)
			json_object_set_new(t, "message", json_string(rm));
	}
	if (c->nwaiting > 0)
		json_object_set(step, "waitingFor", waiting);
	json_decref(waiting);
}

/* The state of a step whose tasks must all end done. */
static const char *
all_done_state(struct uo_eval *ev, json_t *step, const json_t *tasks,
    const struct uo_count *c)
{
	const json_t *t;
	size_t i;

	if (c->nfailed > 0) {
		json_object_del(step, "waitingFor");
		json_array_foreach(tasks, i, t) {
			const char *s = sget(t, "state"), *m = sget(t, "message");

			if (s != NULL && strcmp(s, "failed") == 0) {
				set_error(ev, json_sprintf("%s's task %s failed: %s",
				    sget(t, "org"), sget(t, "id"), m != NULL ? m :
				    "no reason given"));
				break;
			}
		}
		return "failed";
	}
	if (c->ndone + c->nrendered == c->n)
		return "done";
	if (c->nwaiting + c->ndone + c->nrendered == c->n) {
		json_object_set_new(step, "message", json_string("waiting for "
		    "unreachable orgs' agents"));
		return "waiting";
	}
	return "running";
}

/* SHA-256 of LEN bytes as hex into HEX (65 bytes). */
static void
sha256_hex(const unsigned char *p, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	hex[0] = '\0';
	if (EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return;
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/*
 * The update a prepare result's detail carries, checked: canonical
 * base64 of a ConfigUpdate of CHANNEL whose SHA-256 is the one given.
 * Returns the value to store, or NULL and *why (caller frees).
 */
static json_t *
prepared_update(const json_t *detail, const char *channel, const char *by,
    char **why)
{
	const char *b = sget(detail, "update"), *sha = sget(detail, "sha256");
	const json_t *blk = json_object_get(detail, "configBlock");
	Common__ConfigUpdate *cu = NULL;
	unsigned char *bytes = NULL;
	char hex[65], *cause = NULL;
	json_t *out = NULL;
	size_t len = 0;

	*why = NULL;
	if (b == NULL || sha == NULL || !json_is_integer(blk) ||
	    json_integer_value(blk) < 0) {
		*why = xstrdup("the prepare result's detail has neither \"applied\" nor "
		    "\"update\", \"sha256\" and \"configBlock\"");
		goto done;
	}
	if ((bytes = b64_decode(b, strlen(b), 0, FUPD_MAX_UPDATE, &len)) == NULL) {
		*why = xstrdup("the prepared update is not canonical base64 of at most "
		    "10 MiB");
		goto done;
	}
	sha256_hex(bytes, len, hex);
	if (strcmp(hex, sha) != 0) {
		*why = xasprintf("the prepared update's SHA-256 is %s, not the %.64s "
		    "its result gives", hex, sha);
		goto done;
	}
	if ((cu = fupd_decode(bytes, len, &cause)) == NULL) {
		*why = xasprintf("the prepared update is not a ConfigUpdate: %s", cause);
		goto done;
	}
	if (cu->channel_id == NULL || strcmp(cu->channel_id, channel) != 0) {
		*why = xasprintf("the prepared update is for channel \"%.64s\", not %s",
		    cu->channel_id != NULL ? cu->channel_id : "", channel);
		goto done;
	}
	out = json_pack("{s:s, s:s, s:s, s:I}", "update", b, "sha256", hex,
	    "preparedBy", by, "configBlock", json_integer_value(blk));
done:
	fupd_free(cu);
	free(bytes);
	free(cause);
	return out;
}

/* A sign result's detail must hold a signature. */
static char *
check_signature(const json_t *r)
{
	const json_t *d = json_object_get(r, "detail");
	const char *h = sget(d, "signatureHeader"), *s = sget(d, "signature");
	size_t n;

	if (h == NULL || s == NULL || b64_check(h, strlen(h), 0, &n) != 0 || n == 0 ||
	    b64_check(s, strlen(s), 0, &n) != 0 || n == 0)
		return xstrdup("the result has no signature (detail.signatureHeader and "
		    "detail.signature, base64)");
	return NULL;
}

/* The signatures of the sign step's done tasks, in MSP ID order. */
static json_t *
signatures(struct uo_eval *ev, const json_t *sign)
{
	const json_t *t;
	json_t *sigs = json_array();
	size_t i;

	json_array_foreach(json_object_get(sign, "tasks"), i, t) {
		const json_t *r = json_object_get(ev->in->results, sget(t, "id") != NULL ?
		    sget(t, "id") : "");
		const json_t *d = json_object_get(r, "detail");
		char *bad;

		if (sget(r, "state") == NULL || strcmp(sget(r, "state"), "done") != 0)
			continue;
		if ((bad = check_signature(r)) != NULL) {
			free(bad);
			continue;
		}
		json_array_append_new(sigs, json_pack("{s:s, s:O, s:O}", "org",
		    sget(t, "org"), "signatureHeader", json_object_get(d, "signatureHeader"),
		    "signature", json_object_get(d, "signature")));
	}
	return sigs;
}

static const json_t *
old_step(const json_t *record, const char *name)
{
	return find_named(json_object_get(record, "steps"), "name", name);
}

/* The one task of the prepare step: its org submits too. */
static const char *
submitter(const json_t *steps_or_record, int is_record)
{
	const json_t *p = is_record ? old_step(steps_or_record, "prepare") :
	    find_named(steps_or_record, "name", "prepare");

	return sget(json_array_get(json_object_get(p, "tasks"), 0), "org");
}

static json_t *
eval_step(struct uo_eval *ev, enum uo_step s, json_t *steps, struct wf_output *out)
{
	const struct wf_input *in = ev->in;
	const json_t *old = old_step(in->record, uo_names[s]), *o, *x, *p, *r;
	json_t *step = json_pack("{s:s}", "name", uo_names[s]), *tasks = NULL, *sigs;
	const char *state = "running", *sub, *policy;
	const json_t *must_refused;
	json_t *must;
	struct uo_count c;
	char *msg, *why = NULL;
	size_t i, k, need;
	int anchors, must_ok;

	if (old != NULL && json_is_array(json_object_get(old, "tasks")))
		tasks = json_deep_copy(json_object_get(old, "tasks"));
	switch (s) {
	case UO_COLLECT:
		o = json_object_get(in->orgs, ev->org);
		if (json_is_object(json_object_get(o, "msp")) &&
		    json_is_object(json_object_get(o, "endpoints"))) {
			state = "done";
			break;
		}
		state = "waiting";
		json_object_set_new(step, "waitingFor", json_pack("[s]", ev->org));
		json_object_set_new(step, "message", json_string("waiting for the new "
		    "org's agent to publish its MSP and endpoints"));
		break;
	case UO_PREPARE:
		if (tasks == NULL) {
			/*
			 * The submitter: the first reachable signer, not the org
			 * being removed nor the owner of a consenter being
			 * removed (that one only when no other is reachable and
			 * it keeps a consenter).
			 */
			sub = NULL;
			json_array_foreach(ev->members, i, x) {
				const char *m = json_string_value(x);

				if (json_object_get(in->live, m) != NULL &&
				    (ev->add || strcmp(m, ev->org) != 0)) {
					sub = m;
					break;
				}
			}
			if (sub == NULL && ev->cons && !ev->add && ev->owner_keeps &&
			    json_object_get(in->live, ev->org) != NULL)
				sub = ev->org;
			if (sub == NULL) {
				state = "waiting";
				json_object_set_new(step, "waitingFor",
				    json_deep_copy(ev->members));
				json_object_set_new(step, "message", json_string("no current "
				    "member's agent is reachable to prepare the update"));
				break;
			}
			tasks = json_array();
			json_array_append_new(tasks, wf_task_new(ev->wfid, uo_types[s], sub,
			    NULL));
		}
		eval_tasks(ev, step, tasks, &c, NULL);
		state = all_done_state(ev, step, tasks, &c);
		if (strcmp(state, "done") != 0)
			break;
		sub = sget(json_array_get(tasks, 0), "org");
		r = json_object_get(in->results, sget(json_array_get(tasks, 0), "id"));
		if (ev->update == NULL && json_is_true(json_object_get(json_object_get(r,
		    "detail"), "applied"))) {
			ev->applied = 1;
			json_object_set_new(step, "applied", json_true());
			json_object_set_new(step, "message", json_string("the change is "
			    "already in the channel's config: nothing to sign or submit"));
			break;
		}
		if (ev->update == NULL) {
			out->store_update = prepared_update(json_object_get(r, "detail"),
			    in->channel, sub != NULL ? sub : "", &why);
			if (out->store_update == NULL) {
				json_object_set_new(json_array_get(tasks, 0), "state",
				    json_string("failed"));
				json_object_set_new(json_array_get(tasks, 0), "message",
				    json_string(why));
				set_error(ev, json_sprintf("%s's task %s failed: %s", sub,
				    sget(json_array_get(tasks, 0), "id"), why));
				free(why);
				state = "failed";
				break;
			}
			ev->update = out->store_update;
		}
		msg = xasprintf("update prepared by %s from config block %lld, sha256 %s",
		    sget(ev->update, "preparedBy"),
		    (long long)json_integer_value(json_object_get(ev->update, "configBlock")),
		    sget(ev->update, "sha256"));
		json_object_set_new(step, "message", json_string(msg));
		free(msg);
		break;
	case UO_SIGN:
	case UO_SUBMIT:
		p = find_named(steps, "name", "prepare");
		if (json_is_true(json_object_get(p, "applied"))) {
			state = "done";
			json_object_set_new(step, "message", json_string("skipped: the "
			    "change is already in the channel's config"));
			break;
		}
		if (ev->update == NULL) {
			state = "failed";
			set_error(ev, json_sprintf("no prepared update is stored for %s",
			    ev->wfid));
			break;
		}
		if (s == UO_SUBMIT) {
			if (tasks == NULL) {
				tasks = json_array();
				if ((sub = submitter(steps, 0)) != NULL)
					json_array_append_new(tasks, wf_task_new(ev->wfid,
					    uo_types[s], sub, NULL));
			}
			sigs = signatures(ev, find_named(steps, "name", "sign"));
			for (i = 0; i < json_array_size(tasks); i++)
				if (!wf_state_final(sget(json_array_get(tasks, i), "state")))
					json_object_set(json_array_get(tasks, i), "signatures",
					    sigs);
			json_decref(sigs);
			eval_tasks(ev, step, tasks, &c, NULL);
			if (c.n == 0) {
				state = "failed";
				set_error(ev, json_sprintf("%s has no submitter", ev->wfid));
			} else
				state = all_done_state(ev, step, tasks, &c);
			break;
		}
		if (tasks == NULL) {
			tasks = json_array();
			json_array_foreach(ev->members, i, x)
				json_array_append_new(tasks, wf_task_new(ev->wfid, uo_types[s],
				    json_string_value(x), NULL));
		}
		if (old != NULL && json_is_integer(json_object_get(old, "required")) &&
		    sget(old, "policy") != NULL) {
			policy = sget(old, "policy");
			need = (size_t)json_integer_value(json_object_get(old, "required"));
			must = json_is_array(json_object_get(old, "mustSign")) ?
			    json_deep_copy(json_object_get(old, "mustSign")) : json_array();
		} else if (ev->cons) {
			/* /Channel/Orderer/Admins: MAJORITY of the orderer orgs. */
			policy = "MAJORITY";
			need = json_array_size(tasks) / 2 + 1;
			must = ev->owner_keeps ? json_pack("[s]", ev->org) : json_array();
		} else {
			policy = admins_policy(in->topo, in->channel,
			    json_array_size(tasks), &need);
			must = json_array();
		}
		json_object_set_new(step, "policy", json_string(policy));
		json_object_set_new(step, "required", json_integer((json_int_t)need));
		if (ev->cons)
			json_object_set(step, "mustSign", must);
		eval_tasks(ev, step, tasks, &c, check_signature);
		/* Whether each org that must sign did, or refused. */
		must_ok = 1;
		must_refused = NULL;
		json_array_foreach(must, i, x) {
			json_array_foreach(tasks, k, o) {
				if (sget(o, "org") == NULL || strcmp(sget(o, "org"),
				    json_string_value(x)) != 0)
					continue;
				if (sget(o, "state") == NULL || strcmp(sget(o, "state"),
				    "done") != 0)
					must_ok = 0;
				if (sget(o, "state") != NULL && strcmp(sget(o, "state"),
				    "failed") == 0 && must_refused == NULL)
					must_refused = o;
			}
		}
		json_decref(must);
		if (must_refused != NULL) {
			state = "failed";
			json_object_del(step, "waitingFor");
			set_error(ev, json_sprintf("%s must sign the update (its own "
			    "orderer endpoints change, under its Admins policy) and "
			    "refused: %s", sget(must_refused, "org"),
			    sget(must_refused, "message") != NULL ?
			    sget(must_refused, "message") : "no reason given"));
		} else if (c.ndone >= need && must_ok) {
			state = "done";
			json_object_del(step, "waitingFor");
			msg = xasprintf("%zu of %zu orgs signed; the admins policy (%s) "
			    "needs %zu", c.ndone, c.n, policy, need);
			json_object_set_new(step, "message", json_string(msg));
			free(msg);
		} else if (c.nfailed + need > c.n) {
			/* Too many refused: the policy can no longer be met. */
			char *list, *tmp;

			state = "failed";
			json_object_del(step, "waitingFor");
			list = xstrdup("");
			json_array_foreach(tasks, i, x) {
				if (sget(x, "state") == NULL ||
				    strcmp(sget(x, "state"), "failed") != 0)
					continue;
				tmp = xasprintf("%s%s%s refused: %s", list, *list != '\0' ?
				    "; " : "", sget(x, "org"), sget(x, "message") != NULL ?
				    sget(x, "message") : "no reason given");
				free(list);
				list = tmp;
			}
			set_error(ev, json_sprintf("the %s admins policy (%s) needs "
			    "%zu of %zu signatures and %zu orgs refused to sign: %s",
			    ev->cons ? "orderer orgs'" : "channel's", policy, need, c.n,
			    c.nfailed, list));
			free(list);
		} else if (c.nwaiting > 0 && c.nwaiting + c.ndone + c.nfailed == c.n) {
			state = "waiting";
			json_object_set_new(step, "message", json_string("waiting for "
			    "unreachable orgs' agents"));
		}
		break;
	case UO_JOIN_ORD:
	case UO_LEAVE_ORD:
		if (tasks == NULL) {
			tasks = json_array();
			json_array_append_new(tasks, wf_task_new(ev->wfid, uo_types[s],
			    ev->org, ev->node));
		}
		eval_tasks(ev, step, tasks, &c, NULL);
		state = all_done_state(ev, step, tasks, &c);
		break;
	case UO_PEERS:
	case UO_ANCHORS:
		if (tasks == NULL) {
			tasks = json_array();
			o = find_named(json_object_get(json_object_get(in->topo, "spec"),
			    "orgs"), "mspId", ev->org);
			anchors = 0;
			json_array_foreach(json_object_get(o, "peers"), i, p) {
				if (json_is_true(json_object_get(p, "anchor")))
					anchors = 1;
				if (s == UO_PEERS && sget(p, "name") != NULL)
					json_array_append_new(tasks, wf_task_new(ev->wfid,
					    uo_types[s], ev->org, sget(p, "name")));
			}
			if (s == UO_ANCHORS && anchors)
				json_array_append_new(tasks, wf_task_new(ev->wfid, uo_types[s],
				    ev->org, NULL));
		}
		eval_tasks(ev, step, tasks, &c, NULL);
		state = all_done_state(ev, step, tasks, &c);
		break;
	default:
		break;
	}
	if (tasks != NULL)
		json_object_set_new(step, "tasks", tasks);
	json_object_set_new(step, "state", json_string(state));
	return step;
}

/* REFS without DROP (may be NULL), plus ADD (may be NULL), sorted. */
static json_t *
refs_with(const json_t *refs, const char *drop, const char *add)
{
	json_t *m = json_array(), *out;
	const json_t *x;
	size_t i;

	json_array_foreach(refs, i, x)
		if (json_is_string(x) && (drop == NULL ||
		    strcmp(json_string_value(x), drop) != 0))
			json_array_append(m, (json_t *)x);
	if (add != NULL)
		json_array_append_new(m, json_string(add));
	out = sorted_strings(m);
	json_decref(m);
	return out;
}

/* The orgs owning the consenters REFS, sorted. */
static json_t *
ref_owners(const json_t *refs)
{
	json_t *m = json_array(), *out;
	const json_t *x;
	size_t i;
	char *msp;

	json_array_foreach(refs, i, x)
		if ((msp = ref_msp(json_string_value(x))) != NULL) {
			json_array_append_new(m, json_string(msp));
			free(msp);
		}
	out = sorted_strings(m);
	json_decref(m);
	return out;
}

int
wf_update_org_step(const struct wf_input *in, struct wf_output *out, char **cause)
{
	struct uo_eval ev;
	const json_t *old, *created, *x;
	const char *st, *cname, *type, *subject;
	json_t *rec, *steps, *step, *members = NULL, *consenters = NULL, *m, *after;
	char *wfid = NULL, *owner = NULL;
	size_t i;
	int blocked = 0, s, ret = -1;

	memset(out, 0, sizeof(*out));
	memset(&ev, 0, sizeof(ev));
	ev.in = in;
	type = in->record != NULL ? sget(in->record, "type") : in->type;
	subject = in->record != NULL ? record_subject(in->record) : in->org;
	if (!wf_update_org_type(type) || subject == NULL) {
		*cause = xstrdup("not a membership or consenter workflow");
		return -1;
	}
	st = sget(in->record, "state");
	if (in->record != NULL && st != NULL && strcmp(st, "running") != 0) {
		out->record = json_incref((json_t *)in->record);
		return 0;
	}
	if (doc_channel(in->topo, in->channel) == NULL) {
		*cause = xasprintf("channel \"%s\" is not in the document", in->channel);
		return -1;
	}
	ev.add = is_add(type);
	ev.cons = is_consenter_type(type);
	ev.type = type;
	/* The consenters before the change, frozen in the record. */
	if (in->record != NULL && json_is_array(json_object_get(in->record, "consenters")))
		consenters = sorted_strings(json_object_get(in->record, "consenters"));
	else if (in->record == NULL && json_is_array(in->consenters))
		consenters = sorted_strings(in->consenters);
	if (ev.cons) {
		if ((owner = ref_msp(subject)) == NULL || consenters == NULL) {
			*cause = owner == NULL ? xasprintf("consenter \"%s\" is not "
			    "MSP/node", subject) : xasprintf("channel \"%s\" has no "
			    "stored consenters", in->channel);
			goto done;
		}
		ev.consenter = subject;
		ev.node = subject + strlen(owner) + 1;
		ev.org = owner;
		/* The signers: the orgs owning the consenters before. */
		members = in->record != NULL ?
		    sorted_strings(json_object_get(in->record, "members")) :
		    ref_owners(consenters);
		after = refs_with(consenters, ev.add ? NULL : subject, NULL);
		json_array_foreach(after, i, x) {
			char *msp = ref_msp(json_string_value(x));

			if (msp != NULL && strcmp(msp, owner) == 0 && str_in(members, owner))
				ev.owner_keeps = 1;
			free(msp);
		}
		json_decref(after);
	} else {
		ev.org = subject;
		if (in->record != NULL)
			members = sorted_strings(json_object_get(in->record, "members"));
		else if (json_is_array(in->members))
			members = sorted_strings(in->members);
		else {
			*cause = xasprintf("channel \"%s\" has no stored members",
			    in->channel);
			goto done;
		}
	}
	ev.members = members;
	ev.consenters = consenters;
	ev.update = in->update != NULL && sget(in->update, "update") != NULL ?
	    in->update : NULL;
	wfid = in->record != NULL && sget(in->record, "id") != NULL ?
	    xstrdup(sget(in->record, "id")) : in->id != NULL ? xstrdup(in->id) :
	    wf_update_org_id(type, in->channel, subject);
	ev.wfid = wfid;
	cname = sget(json_object_get(in->topo, "metadata"), "name");
	steps = json_array();
	for (s = 0; s < UO_NSTEPS; s++) {
		if (!has_step(type, (enum uo_step)s))
			continue;
		old = old_step(in->record, uo_names[s]);
		st = sget(old, "state");
		if (blocked) {
			json_array_append_new(steps, json_pack("{s:s, s:s}", "name",
			    uo_names[s], "state", "pending"));
			continue;
		}
		if (st != NULL && (strcmp(st, "done") == 0 || strcmp(st, "failed") == 0)) {
			json_array_append_new(steps, json_deep_copy(old));
			if (strcmp(st, "failed") == 0) {
				ev.failed = 1;
				blocked = 1;
			}
			continue;
		}
		step = eval_step(&ev, (enum uo_step)s, steps, out);
		st = sget(step, "state");
		json_array_append_new(steps, step);
		if (strcmp(st, "failed") == 0)
			ev.failed = 1;
		if (strcmp(st, "done") != 0)
			blocked = 1;
	}
	created = json_object_get(in->record, "createdAt");
	rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:I, s:I, s:o, s:O}",
	    "id", wfid, "type", type, "consortium", cname != NULL ? cname : "",
	    "channel", in->channel, "org", ev.org, "members", json_deep_copy(members),
	    "state", ev.failed ? "failed" : blocked ? "running" : "succeeded",
	    "createdAt", json_is_integer(created) ? json_integer_value(created) :
	    (json_int_t)in->now,
	    "updatedAt", (json_int_t)in->now, "steps", steps,
	    "lastError", ev.last_error != NULL ? ev.last_error :
	    ev.failed && json_object_get(in->record, "lastError") != NULL ?
	    json_object_get(in->record, "lastError") : json_null());
	json_decref(ev.last_error);
	if (ev.cons) {
		json_object_set_new(rec, "consenter", json_string(ev.consenter));
		json_object_set_new(rec, "node", json_string(ev.node));
	}
	if (consenters != NULL)
		json_object_set(rec, "consenters", consenters);
	if (ev.update != NULL)
		json_object_set(rec, "update", (json_t *)ev.update);
	if (!ev.failed && !blocked && ev.cons) {
		/* Succeeded: the channel's consenters after the change. */
		out->consenters = refs_with(consenters, ev.add ? NULL : subject,
		    ev.add ? subject : NULL);
	} else if (!ev.failed && !blocked) {
		/* Succeeded: the channel's members after the change. */
		m = json_deep_copy(members);
		if (ev.add)
			json_array_append_new(m, json_string(subject));
		else {
			json_t *y;

			json_array_foreach(m, i, y)
				if (strcmp(json_string_value(y), subject) == 0) {
					json_array_remove(m, i);
					break;
				}
		}
		out->members = sorted_strings(m);
		json_decref(m);
	}
	/* An update to store goes with a write of the record. */
	wf_record_out(out->store_update == NULL ? in->record : NULL, rec, out);
	ret = 0;
done:
	json_decref(members);
	json_decref(consenters);
	free(wfid);
	free(owner);
	return ret;
}

/* ---- the tasks an agent sees ---- */

void
wf_update_org_open_tasks(const json_t *record, const char *msp, const json_t *results,
    const json_t *genesis, json_t *tasks)
{
	const json_t *step, *t, *upd = json_object_get(record, "update");
	const char *st, *wfid = sget(record, "id"), *ch = sget(record, "channel");
	const char *org = sget(record, "org"), *type = sget(record, "type");
	const char *subject = record_subject(record);
	const json_t *cons = json_object_get(record, "consenters");
	json_t *task, *change = NULL, *orderers = NULL;
	size_t i, k;
	int s;

	st = sget(record, "state");
	if (st == NULL || strcmp(st, "running") != 0 || wfid == NULL || ch == NULL ||
	    org == NULL || subject == NULL || !wf_update_org_type(type))
		return;
	change = json_pack("{s:s}", is_consenter_type(type) ?
	    (is_add(type) ? "addConsenter" : "removeConsenter") :
	    (is_add(type) ? "addOrg" : "removeOrg"), subject);
	/* Where agents fetch and submit: the consenters as carried out, not
	 * the one being removed (it is evicted by the update). */
	if (json_is_array(cons))
		orderers = refs_with(cons, is_consenter_type(type) && !is_add(type) ?
		    subject : NULL, NULL);
	json_array_foreach(json_object_get(record, "steps"), i, step) {
		if (!wf_step_open(step))
			continue;
		for (s = 0; s < UO_NSTEPS; s++)
			if (uo_types[s] != NULL && sget(step, "name") != NULL &&
			    strcmp(uo_names[s], sget(step, "name")) == 0)
				break;
		if (s == UO_NSTEPS)
			continue;
		json_array_foreach(json_object_get(step, "tasks"), k, t) {
			if ((s == UO_SIGN || s == UO_SUBMIT) && sget(upd, "update") == NULL)
				continue;
			if ((task = wf_open_task(record, t, msp, results,
			    uo_types[s])) == NULL)
				continue;
			if ((s == UO_PREPARE || s == UO_SIGN || s == UO_SUBMIT ||
			    s == UO_JOIN_ORD || s == UO_ANCHORS) && orderers != NULL)
				json_object_set(task, "orderers", orderers);
			switch (s) {
			case UO_PREPARE:
				json_object_set(task, "change", change);
				break;
			case UO_JOIN_ORD:
				json_object_set(task, "node", json_object_get(t, "node"));
				json_object_set_new(task, "blockFrom", json_string("channel"));
				break;
			case UO_LEAVE_ORD:
				json_object_set(task, "node", json_object_get(t, "node"));
				break;
			case UO_SIGN:
			case UO_SUBMIT:
				json_object_set(task, "update", json_object_get(upd, "update"));
				json_object_set(task, "sha256", json_object_get(upd, "sha256"));
				json_object_set(task, "change", change);
				if (s == UO_SUBMIT && json_is_array(json_object_get(t,
				    "signatures")))
					json_object_set(task, "signatures",
					    json_object_get(t, "signatures"));
				else if (s == UO_SUBMIT)
					json_object_set_new(task, "signatures", json_array());
				break;
			case UO_PEERS:
				json_object_set(task, "node", json_object_get(t, "node"));
				if (sget(genesis, "block") != NULL &&
				    sget(genesis, "sha256") != NULL) {
					json_object_set(task, "block", json_object_get(genesis,
					    "block"));
					json_object_set(task, "blockSha256",
					    json_object_get(genesis, "sha256"));
				}
				break;
			default:
				break;
			}
			json_array_append_new(tasks, task);
		}
	}
	json_decref(change);
	json_decref(orderers);
}
