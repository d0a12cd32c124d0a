/*
 * wf_update_org.c: the add-org and remove-org workflows' state machine as
 * a pure function (docs/workflows.md, "Adding and removing orgs"), and
 * the choice of which one a channel runs next. No I/O: workflow.c reads
 * the inputs from etcd and writes what comes out.
 *
 * add-org:    collect, prepare, sign, submit, join-peers, anchor-peers
 * remove-org: prepare, sign, submit
 *
 * The record freezes, when it starts, the channel's current members (the
 * signers; "members") and the org it adds or removes ("org"). As in
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

enum uo_step { UO_COLLECT, UO_PREPARE, UO_SIGN, UO_SUBMIT, UO_PEERS, UO_ANCHORS, UO_NSTEPS };

static const char *uo_names[UO_NSTEPS] = {
	"collect", "prepare", "sign", "submit", "join-peers", "anchor-peers"
};
static const char *uo_types[UO_NSTEPS] = {
	NULL, "update-prepare", "update-sign", "update-submit", "join-peer", "anchor-peers"
};

static const char *
sget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int
is_add(const char *type)
{
	return type != NULL && strcmp(type, WF_ADD_ORG) == 0;
}

int
wf_update_org_type(const char *type)
{
	return type != NULL && (strcmp(type, WF_ADD_ORG) == 0 ||
	    strcmp(type, WF_REMOVE_ORG) == 0);
}

char *
wf_update_org_id(const char *type, const char *channel, const char *msp)
{
	return xasprintf("%s-%s-%s", type, channel, msp);
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

json_t *
wf_channel_members(const json_t *create_record)
{
	const json_t *step, *t;
	json_t *orgs = json_array(), *out;
	size_t i, k;

	json_array_foreach(json_object_get(create_record, "steps"), i, step) {
		const char *n = sget(step, "name");

		if (n == NULL || (strcmp(n, "join-peers") != 0 &&
		    strcmp(n, "anchor-peers") != 0))
			continue;
		json_array_foreach(json_object_get(step, "tasks"), k, t)
			if (sget(t, "org") != NULL)
				json_array_append(orgs, json_object_get(t, "org"));
	}
	out = sorted_strings(orgs);
	json_decref(orgs);
	return out;
}

int
wf_update_org_next(const json_t *topo, const char *channel, const json_t *members,
    const json_t *records, char **type, char **msp)
{
	const json_t *ch = doc_channel(topo, channel), *rec, *x;
	json_t *want, *have, *cands[2];
	const char *id, *st;
	char *wfid;
	size_t i, k;
	int found = 0;

	*type = *msp = NULL;
	/* A running one first: one at a time per channel. */
	json_object_foreach((json_t *)records, id, rec) {
		st = sget(rec, "state");
		if (wf_update_org_type(sget(rec, "type")) && sget(rec, "org") != NULL &&
		    sget(rec, "channel") != NULL && strcmp(sget(rec, "channel"), channel) == 0 &&
		    st != NULL && strcmp(st, "running") == 0) {
			*type = xstrdup(sget(rec, "type"));
			*msp = xstrdup(sget(rec, "org"));
			return 1;
		}
	}
	if (ch == NULL || !json_is_array(members))
		return 0;
	want = sorted_strings(json_object_get(ch, "members"));
	have = sorted_strings(members);
	cands[0] = json_array();   /* adds */
	cands[1] = json_array();   /* removes */
	json_array_foreach(want, i, x)
		if (!str_in(have, json_string_value(x)))
			json_array_append(cands[0], (json_t *)x);
	json_array_foreach(have, i, x)
		if (!str_in(want, json_string_value(x)))
			json_array_append(cands[1], (json_t *)x);
	for (k = 0; k < 2 && !found; k++) {
		json_array_foreach(cands[k], i, x) {
			const char *t = k == 0 ? WF_ADD_ORG : WF_REMOVE_ORG;

			wfid = wf_update_org_id(t, channel, json_string_value(x));
			rec = json_object_get(records, wfid);
			free(wfid);
			/* An id runs once: a finished one is not started again. */
			if (rec != NULL)
				continue;
			*type = xstrdup(t);
			*msp = xstrdup(json_string_value(x));
			found = 1;
			break;
		}
	}
	json_decref(want);
	json_decref(have);
	json_decref(cands[0]);
	json_decref(cands[1]);
	return found;
}

/* ---- the step function ---- */

struct uo_eval {
	const struct wf_input *in;
	const char *wfid;
	const char *org;           /* the org added or removed */
	const json_t *members;     /* the signers: members before the change */
	const json_t *update;      /* the stored (or just prepared) update */
	int add;
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
	struct uo_count c;
	char *msg, *why = NULL;
	size_t i, need;
	int anchors;

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
			 * The submitter: the first reachable current member, not
			 * the org being removed.
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
		} else
			policy = admins_policy(in->topo, in->channel,
			    json_array_size(tasks), &need);
		json_object_set_new(step, "policy", json_string(policy));
		json_object_set_new(step, "required", json_integer((json_int_t)need));
		eval_tasks(ev, step, tasks, &c, check_signature);
		if (c.ndone >= need) {
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
			set_error(ev, json_sprintf("the channel's admins policy (%s) needs "
			    "%zu of %zu signatures and %zu orgs refused to sign: %s",
			    policy, need, c.n, c.nfailed, list));
			free(list);
		} else if (c.nwaiting > 0 && c.nwaiting + c.ndone + c.nfailed == c.n) {
			state = "waiting";
			json_object_set_new(step, "message", json_string("waiting for "
			    "unreachable orgs' agents"));
		}
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

int
wf_update_org_step(const struct wf_input *in, struct wf_output *out, char **cause)
{
	struct uo_eval ev;
	const json_t *old, *created;
	const char *st, *cname, *type, *org;
	json_t *rec, *steps, *step, *members = NULL, *m;
	char *wfid = NULL;
	int blocked = 0, s;

	memset(out, 0, sizeof(*out));
	memset(&ev, 0, sizeof(ev));
	ev.in = in;
	type = in->record != NULL ? sget(in->record, "type") : in->type;
	org = in->record != NULL ? sget(in->record, "org") : in->org;
	if (!wf_update_org_type(type) || org == NULL) {
		*cause = xstrdup("not an add-org or remove-org workflow");
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
	if (in->record != NULL)
		members = sorted_strings(json_object_get(in->record, "members"));
	else if (json_is_array(in->members))
		members = sorted_strings(in->members);
	else {
		*cause = xasprintf("channel \"%s\" has no stored members", in->channel);
		return -1;
	}
	ev.add = is_add(type);
	ev.org = org;
	ev.members = members;
	ev.update = in->update != NULL && sget(in->update, "update") != NULL ?
	    in->update : NULL;
	wfid = wf_update_org_id(type, in->channel, org);
	ev.wfid = wfid;
	cname = sget(json_object_get(in->topo, "metadata"), "name");
	steps = json_array();
	for (s = 0; s < UO_NSTEPS; s++) {
		if (!ev.add && (s == UO_COLLECT || s == UO_PEERS || s == UO_ANCHORS))
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
	    "channel", in->channel, "org", org, "members", json_deep_copy(members),
	    "state", ev.failed ? "failed" : blocked ? "running" : "succeeded",
	    "createdAt", json_is_integer(created) ? json_integer_value(created) :
	    (json_int_t)in->now,
	    "updatedAt", (json_int_t)in->now, "steps", steps,
	    "lastError", ev.last_error != NULL ? ev.last_error :
	    ev.failed && json_object_get(in->record, "lastError") != NULL ?
	    json_object_get(in->record, "lastError") : json_null());
	json_decref(ev.last_error);
	if (ev.update != NULL)
		json_object_set(rec, "update", (json_t *)ev.update);
	if (!ev.failed && !blocked) {
		/* Succeeded: the channel's members after the change. */
		m = json_deep_copy(members);
		if (ev.add)
			json_array_append_new(m, json_string(org));
		else {
			size_t i;
			json_t *x;

			json_array_foreach(m, i, x)
				if (strcmp(json_string_value(x), org) == 0) {
					json_array_remove(m, i);
					break;
				}
		}
		out->members = sorted_strings(m);
		json_decref(m);
	}
	json_decref(members);
	free(wfid);
	/* An update to store goes with a write of the record. */
	wf_record_out(out->store_update == NULL ? in->record : NULL, rec, out);
	return 0;
}

/* ---- the tasks an agent sees ---- */

void
wf_update_org_open_tasks(const json_t *record, const char *msp, const json_t *results,
    const json_t *genesis, json_t *tasks)
{
	const json_t *step, *t, *upd = json_object_get(record, "update");
	const char *st, *wfid = sget(record, "id"), *ch = sget(record, "channel");
	const char *org = sget(record, "org"), *type = sget(record, "type");
	json_t *task;
	size_t i, k;
	int s;

	st = sget(record, "state");
	if (st == NULL || strcmp(st, "running") != 0 || wfid == NULL || ch == NULL ||
	    org == NULL || !wf_update_org_type(type))
		return;
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
			switch (s) {
			case UO_PREPARE:
				json_object_set_new(task, "change", json_pack("{s:s}",
				    is_add(type) ? "addOrg" : "removeOrg", org));
				break;
			case UO_SIGN:
			case UO_SUBMIT:
				json_object_set(task, "update", json_object_get(upd, "update"));
				json_object_set(task, "sha256", json_object_get(upd, "sha256"));
				json_object_set_new(task, "change", json_pack("{s:s}",
				    is_add(type) ? "addOrg" : "removeOrg", org));
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
}
