/*
 * wf_create_channel.c: the create-channel workflow's state machine as a
 * pure function (docs/workflows.md). From the stored record, the document,
 * what the orgs published, which agents are live, the orgs' results and the
 * stored genesis block, it computes the record as it must be now. No I/O:
 * workflow.c reads the inputs from etcd and writes what comes out.
 *
 * Steps run in order: collect, genesis, join-orderers, join-peers,
 * anchor-peers. A step that is done, rendered or failed in the stored
 * record is copied as it is (never moved back); a step that has begun keeps
 * the task list it began with, so a document changed mid-way does not
 * change what the orgs were asked.
 */
#include "workflow.h"
#include "wf_int.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

enum wf_step { STEP_COLLECT, STEP_GENESIS, STEP_ORDERERS, STEP_PEERS, STEP_ANCHORS, NSTEPS };

static const char *step_names[NSTEPS] = {
	"collect", "genesis", "join-orderers", "join-peers", "anchor-peers"
};
/* The task type of each task step, as the agent sees it. */
static const char *step_types[NSTEPS] = {
	NULL, NULL, "join-orderer", "join-peer", "anchor-peers"
};

int
wf_state_final(const char *state)
{
	return state != NULL && (strcmp(state, "done") == 0 ||
	    strcmp(state, "rendered") == 0 || strcmp(state, "failed") == 0);
}

static const char *
sget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

char *
wf_create_channel_id(const char *channel)
{
	return xasprintf("create-channel-%s", channel);
}

static const json_t *
find_channel(const json_t *topo, const char *name)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(topo, "spec"), "channels"), i, c) {
		const char *n = sget(c, "name");

		if (n != NULL && strcmp(n, name) == 0)
			return c;
	}
	return NULL;
}

static const json_t *
find_org(const json_t *topo, const char *msp)
{
	const json_t *o;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(topo, "spec"), "orgs"), i, o) {
		const char *m = sget(o, "mspId");

		if (m != NULL && strcmp(m, msp) == 0)
			return o;
	}
	return NULL;
}

/* Appends s to the string array a unless it is there already. */
static void
add_unique(json_t *a, const char *s)
{
	const json_t *x;
	size_t i;

	json_array_foreach(a, i, x)
		if (strcmp(json_string_value(x), s) == 0)
			return;
	json_array_append_new(a, json_string(s));
}

/* "Org1MSP/orderer0" split; 0 or -1. */
static int
split_consenter(const char *s, char **msp, const char **node)
{
	const char *slash = s != NULL ? strchr(s, '/') : NULL;

	if (slash == NULL || slash == s || slash[1] == '\0')
		return -1;
	*msp = xstrndup(s, (size_t)(slash - s));
	*node = slash + 1;
	return 0;
}

/* Members, then orgs that only own consenters. */
static json_t *
required_orgs(const json_t *ch)
{
	json_t *need = json_array(), *x;
	const char *node;
	char *msp;
	size_t i;

	json_array_foreach(json_object_get(ch, "members"), i, x)
		if (json_is_string(x))
			add_unique(need, json_string_value(x));
	json_array_foreach(json_object_get(ch, "consenters"), i, x) {
		if (split_consenter(json_string_value(x), &msp, &node) != 0)
			continue;
		add_unique(need, msp);
		free(msp);
	}
	return need;
}

json_t *
wf_task_new(const char *wfid, const char *type, const char *org,
    const char *node)
{
	char *id = node != NULL ? xasprintf("%s.%s.%s.%s", wfid, type, org, node) :
	    xasprintf("%s.%s.%s", wfid, type, org);
	json_t *t = json_pack("{s:s, s:s}", "id", id, "org", org);

	if (node != NULL)
		json_object_set_new(t, "node", json_string(node));
	free(id);
	return t;
}

/* The tasks a task step begins with, from the document. */
static json_t *
step_tasks(enum wf_step s, const json_t *topo, const json_t *ch, const char *wfid)
{
	json_t *tasks = json_array(), *x, *p;
	const json_t *org;
	const char *node, *msp;
	char *m;
	size_t i, k;
	int anchors;

	switch (s) {
	case STEP_ORDERERS:
		json_array_foreach(json_object_get(ch, "consenters"), i, x) {
			if (split_consenter(json_string_value(x), &m, &node) != 0)
				continue;
			json_array_append_new(tasks, wf_task_new(wfid, "join-orderer", m, node));
			free(m);
		}
		break;
	case STEP_PEERS:
	case STEP_ANCHORS:
		json_array_foreach(json_object_get(ch, "members"), i, x) {
			if ((msp = json_string_value(x)) == NULL ||
			    (org = find_org(topo, msp)) == NULL)
				continue;
			anchors = 0;
			json_array_foreach(json_object_get(org, "peers"), k, p) {
				if (json_is_true(json_object_get(p, "anchor")))
					anchors = 1;
				if (s == STEP_PEERS && (node = sget(p, "name")) != NULL)
					json_array_append_new(tasks, wf_task_new(wfid, "join-peer",
					    msp, node));
			}
			if (s == STEP_ANCHORS && anchors)
				json_array_append_new(tasks, wf_task_new(wfid, "anchor-peers", msp,
				    NULL));
		}
		break;
	default:
		break;
	}
	return tasks;
}

/* The workflow's verdict so far, filled as steps are evaluated. */
struct wf_eval {
	const struct wf_input *in;
	int rendered;        /* some step was rendered */
	int failed;
	json_t *last_error;  /* owned */
};

/*
 * A task step: each task's state from its result and its org's liveness.
 * Returns the step's state.
 */
static const char *
eval_tasks(struct wf_eval *ev, json_t *step, json_t *tasks)
{
	const struct wf_input *in = ev->in;
	json_t *t, *waiting = json_array();
	size_t i, nfinal = 0, nwaiting = 0, nrendered = 0, nfailed = 0;
	const char *state;

	json_array_foreach(tasks, i, t) {
		const char *id = sget(t, "id"), *org = sget(t, "org");
		const json_t *r = id != NULL ? json_object_get(in->results, id) : NULL;
		const char *rs = sget(r, "state"), *rm = sget(r, "message");
		json_t *att = json_object_get(r, "attempts");

		json_object_del(t, "message");
		json_object_del(t, "attempts");
		if (wf_state_final(rs)) {
			json_object_set_new(t, "state", json_string(rs));
			if (rm != NULL)
				json_object_set_new(t, "message", json_string(rm));
			if (json_is_integer(att) && json_integer_value(att) > 0)
				json_object_set(t, "attempts", att);
			nfinal++;
			if (strcmp(rs, "rendered") == 0)
				nrendered++;
			if (strcmp(rs, "failed") == 0 && nfailed++ == 0 && !ev->failed) {
				json_decref(ev->last_error);
				ev->last_error = json_sprintf("%s's task %s failed: %s",
				    org != NULL ? org : "?", id, rm != NULL ? rm :
				    "no reason given");
			}
			continue;
		}
		if (json_is_integer(att) && json_integer_value(att) > 0)
			json_object_set(t, "attempts", att);
		if (org != NULL && json_object_get(in->live, org) == NULL) {
			char *msg = xasprintf("%s's agent is unreachable (no heartbeat); "
			    "waiting for it", org);

			json_object_set_new(t, "state", json_string("waiting"));
			json_object_set_new(t, "message", json_string(msg));
			free(msg);
			add_unique(waiting, org);
			nwaiting++;
			continue;
		}
		json_object_set_new(t, "state", json_string("sent"));
		if (rm != NULL && rs != NULL && strcmp(rs, "retry") == 0)
			json_object_set_new(t, "message", json_string(rm));
	}
	if (nfailed > 0)
		state = "failed";
	else if (nfinal == json_array_size(tasks))
		state = nrendered > 0 ? "rendered" : "done";
	else if (nwaiting + nfinal == json_array_size(tasks))
		state = "waiting";
	else
		state = "running";
	if (nwaiting > 0 && nfailed == 0) {
		json_object_set(step, "waitingFor", waiting);
		if (strcmp(state, "waiting") == 0)
			json_object_set_new(step, "message", json_string("waiting for "
			    "unreachable orgs' agents"));
	}
	json_decref(waiting);
	return state;
}

static const json_t *
old_step(const json_t *record, enum wf_step s)
{
	const json_t *step = json_array_get(json_object_get(record, "steps"), s);
	const char *n = sget(step, "name");

	return n != NULL && strcmp(n, step_names[s]) == 0 ? step : NULL;
}

/* Size of the block a base64 text holds. */
static size_t
b64_size(const char *b)
{
	size_t n = strlen(b), pad = 0;

	if (n >= 1 && b[n - 1] == '=')
		pad++;
	if (n >= 2 && b[n - 2] == '=')
		pad++;
	return n / 4 * 3 - pad;
}

/* Evaluates step s; returns it with its state set. */
static json_t *
eval_step(struct wf_eval *ev, enum wf_step s, const json_t *ch, const char *wfid,
    struct wf_output *out)
{
	const struct wf_input *in = ev->in;
	const json_t *old = old_step(in->record, s);
	json_t *step = json_pack("{s:s}", "name", step_names[s]), *need, *x, *tasks;
	const char *state = "running", *msp, *b;
	size_t i;

	switch (s) {
	case STEP_COLLECT:
		need = required_orgs(ch);
		x = json_array();
		json_array_foreach(need, i, tasks) {
			const json_t *o = json_object_get(in->orgs,
			    (msp = json_string_value(tasks)));

			if (!json_is_object(json_object_get(o, "msp")) ||
			    !json_is_object(json_object_get(o, "endpoints")))
				json_array_append_new(x, json_string(msp));
		}
		json_decref(need);
		if (json_array_size(x) == 0) {
			state = "done";
			json_decref(x);
			break;
		}
		state = "waiting";
		json_object_set_new(step, "waitingFor", x);
		json_object_set_new(step, "message", json_string("waiting for these orgs' "
		    "agents to publish their MSP and endpoints"));
		break;
	case STEP_GENESIS:
		if ((b = sget(in->genesis, "block")) != NULL) {
			const char *sha = sget(in->genesis, "sha256");
			char *msg = xasprintf("block 0 of %s, %zu bytes, sha256 %s",
			    in->channel, b64_size(b), sha != NULL ? sha : "?");

			json_object_set_new(step, "message", json_string(msg));
			free(msg);
			state = "done";
		} else if (in->genesis_error != NULL) {
			json_object_set_new(step, "message", json_string(in->genesis_error));
			json_decref(ev->last_error);
			ev->last_error = json_sprintf("the genesis block of %s cannot be "
			    "built: %s", in->channel, in->genesis_error);
			state = "failed";
		} else {
			json_object_set_new(step, "message", json_string("building block 0"));
			out->need_genesis = 1;
		}
		break;
	default:
		if (old != NULL && json_is_array(json_object_get(old, "tasks")))
			tasks = json_deep_copy(json_object_get(old, "tasks"));
		else
			tasks = step_tasks(s, in->topo, ch, wfid);
		state = eval_tasks(ev, step, tasks);
		json_object_set_new(step, "tasks", tasks);
		break;
	}
	json_object_set_new(step, "state", json_string(state));
	return step;
}

int
wf_create_channel_step(const struct wf_input *in, struct wf_output *out,
    char **cause)
{
	struct wf_eval ev;
	const json_t *ch, *old, *created;
	const char *st, *cname;
	json_t *rec, *steps, *step;
	char *wfid;
	int blocked = 0, s;

	memset(out, 0, sizeof(*out));
	memset(&ev, 0, sizeof(ev));
	ev.in = in;
	if ((ch = find_channel(in->topo, in->channel)) == NULL) {
		*cause = xasprintf("channel \"%s\" is not in the document", in->channel);
		return -1;
	}
	st = sget(in->record, "state");
	if (in->record != NULL && st != NULL && strcmp(st, "running") != 0) {
		/* succeeded, rendered, failed: final. */
		out->record = json_incref((json_t *)in->record);
		return 0;
	}
	wfid = wf_create_channel_id(in->channel);
	cname = sget(json_object_get(in->topo, "metadata"), "name");
	steps = json_array();
	for (s = 0; s < NSTEPS; s++) {
		old = old_step(in->record, (enum wf_step)s);
		st = sget(old, "state");
		if (blocked) {
			json_array_append_new(steps, json_pack("{s:s, s:s}", "name",
			    step_names[s], "state", "pending"));
			continue;
		}
		if (st != NULL && (strcmp(st, "done") == 0 || strcmp(st, "rendered") == 0)) {
			json_array_append_new(steps, json_deep_copy(old));
			if (strcmp(st, "rendered") == 0)
				ev.rendered = 1;
			continue;
		}
		if (st != NULL && strcmp(st, "failed") == 0) {
			/* Only a final record has a failed step; kept as is. */
			json_array_append_new(steps, json_deep_copy(old));
			ev.failed = 1;
			blocked = 1;
			continue;
		}
		step = eval_step(&ev, (enum wf_step)s, ch, wfid, out);
		st = sget(step, "state");
		json_array_append_new(steps, step);
		if (strcmp(st, "rendered") == 0)
			ev.rendered = 1;
		if (strcmp(st, "failed") == 0)
			ev.failed = 1;
		if (strcmp(st, "done") != 0 && strcmp(st, "rendered") != 0)
			blocked = 1;
	}
	if (ev.failed)
		out->need_genesis = 0;
	created = json_object_get(in->record, "createdAt");
	rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:O}",
	    "id", wfid, "type", "create-channel", "consortium", cname != NULL ? cname : "",
	    "channel", in->channel,
	    "state", ev.failed ? "failed" : blocked ? "running" :
	    ev.rendered ? "rendered" : "succeeded",
	    "createdAt", json_is_integer(created) ? json_integer_value(created) :
	    (json_int_t)in->now,
	    "updatedAt", (json_int_t)in->now, "steps", steps,
	    "lastError", ev.last_error != NULL ? ev.last_error :
	    ev.failed && json_object_get(in->record, "lastError") != NULL ?
	    json_object_get(in->record, "lastError") : json_null());
	json_decref(ev.last_error);
	free(wfid);
	wf_record_out(in->record, rec, out);
	return 0;
}

int
wf_step_open(const json_t *step)
{
	const char *st = sget(step, "state");

	return st != NULL && (strcmp(st, "running") == 0 ||
	    strcmp(st, "waiting") == 0);
}

json_t *
wf_open_task(const json_t *record, const json_t *t, const char *msp,
    const json_t *results, const char *type)
{
	const char *id = sget(t, "id"), *org = sget(t, "org");

	if (id == NULL || org == NULL || strcmp(org, msp) != 0 ||
	    wf_state_final(sget(t, "state")) ||
	    wf_state_final(sget(json_object_get(results, id), "state")))
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s}", "id", id, "workflow",
	    sget(record, "id"), "type", type, "channel", sget(record, "channel"));
}

void
wf_record_out(const json_t *stored, json_t *rec, struct wf_output *out)
{
	json_t *cmp;

	/* Same as stored but for updatedAt: the stored record, unchanged. */
	if (stored != NULL) {
		cmp = json_deep_copy(rec);
		json_object_set(cmp, "updatedAt", json_object_get(stored, "updatedAt"));
		if (json_equal(cmp, stored)) {
			json_decref(cmp);
			json_decref(rec);
			out->record = json_incref((json_t *)stored);
			return;
		}
		json_decref(cmp);
	}
	out->record = rec;
	out->changed = 1;
}

void
wf_open_tasks(const json_t *record, const char *msp, const json_t *results,
    const json_t *genesis, json_t *tasks)
{
	const json_t *step, *t;
	const char *st, *wfid = sget(record, "id"), *ch = sget(record, "channel");
	const char *block = sget(genesis, "block"), *sha = sget(genesis, "sha256");
	json_t *task;
	size_t i, k;
	int s;

	if (wf_update_org_type(sget(record, "type"))) {
		wf_update_org_open_tasks(record, msp, results, genesis, tasks);
		return;
	}
	st = sget(record, "state");
	if (st == NULL || strcmp(st, "running") != 0 || wfid == NULL || ch == NULL)
		return;
	json_array_foreach(json_object_get(record, "steps"), i, step) {
		if (!wf_step_open(step))
			continue;
		for (s = 0; s < NSTEPS; s++)
			if (step_types[s] != NULL &&
			    strcmp(step_names[s], sget(step, "name") != NULL ?
			    sget(step, "name") : "") == 0)
				break;
		if (s == NSTEPS)
			continue;
		json_array_foreach(json_object_get(step, "tasks"), k, t) {
			if ((task = wf_open_task(record, t, msp, results,
			    step_types[s])) == NULL)
				continue;
			if (sget(t, "node") != NULL)
				json_object_set(task, "node", json_object_get(t, "node"));
			if (s != STEP_ANCHORS && block != NULL && sha != NULL) {
				json_object_set_new(task, "block", json_string(block));
				json_object_set_new(task, "blockSha256", json_string(sha));
			}
			json_array_append_new(tasks, task);
		}
	}
}

int
wf_task_of(const json_t *record, const char *msp, const char *task_id)
{
	const json_t *step, *t;
	const char *st;
	size_t i, k;

	json_array_foreach(json_object_get(record, "steps"), i, step) {
		st = sget(step, "state");
		if (st == NULL || strcmp(st, "pending") == 0)
			continue;
		json_array_foreach(json_object_get(step, "tasks"), k, t) {
			const char *id = sget(t, "id"), *org = sget(t, "org");

			if (id != NULL && org != NULL && strcmp(id, task_id) == 0 &&
			    strcmp(org, msp) == 0)
				return 1;
		}
	}
	return 0;
}
