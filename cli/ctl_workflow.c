/*
 * ctl_workflow.c: fabfedctl's side of cross-cluster workflows
 * (docs/workflows.md): "get workflows --consortium C", "get workflow ID
 * --consortium C", "describe workflow ID --consortium C" and the wait of
 * "apply --wait", which polls the consortium's workflows until every
 * channel's create-channel workflow has succeeded or was rendered.
 *
 * Everything here reads the controller's answers as they are documented
 * and tolerates what it does not know: an unknown state is shown as it is
 * and waited on; a missing field shows as "-". Text from the controller is
 * made safe for a terminal before it is printed.
 *
 * The wait of "apply --wait" itself is in ctl_wait.c; what both files
 * share is in ctl_workflow_int.h.
 */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

#include "ctl_workflow_int.h"
#include "xmalloc.h"

/* Labels of describe's header end before this column. */
#define CTL_WF_LABEL	14

const char *
ctl_wf_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *
wf_dash(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

/* A task or step state that will not change any more for the better. */
static int
wf_settled(const char *state)
{
	return state != NULL && (strcmp(state, "done") == 0 ||
	    strcmp(state, "rendered") == 0);
}

/* The strings of list joined with sep; non-strings are skipped. Caller
 * frees; "" for an empty or absent list. */
static char *
wf_join(const json_t *list, const char *sep)
{
	struct buf b;
	const json_t *v;
	size_t i, n = 0;

	buf_init(&b, 0);
	json_array_foreach(list, i, v) {
		if (!json_is_string(v))
			continue;
		if (n++ > 0)
			buf_add(&b, sep, strlen(sep));
		buf_add(&b, json_string_value(v), json_string_length(v));
	}
	return buf_steal(&b, NULL);
}

/* "12s" for AGE columns: ctl_get_age() without " ago". */
static void
wf_age(const json_t *t, time_t now, char *out, size_t size)
{
	char *p;

	out[0] = '\0';
	if (!json_is_integer(t))
		return;
	ctl_get_age(json_integer_value(t), now, out, size);
	if ((p = strstr(out, " ago")) != NULL)
		*p = '\0';
}

void
ctl_workflow_duration(long secs, char *out, size_t size)
{
	long h = secs / 3600, m = secs % 3600 / 60, s = secs % 60;

	if (secs <= 0)
		snprintf(out, size, "0s");
	else if (h > 0)
		snprintf(out, size, "%ldh%.0ld%s%.0ld%s", h, m, m ? "m" : "",
		    s, s ? "s" : "");
	else if (m > 0)
		snprintf(out, size, "%ldm%.0ld%s", m, s, s ? "s" : "");
	else
		snprintf(out, size, "%lds", s);
}

const json_t *
ctl_workflow_find(const json_t *list, const char *id)
{
	const json_t *items, *it;
	const char *s;
	size_t i;

	items = json_object_get(list, "items");
	json_array_foreach(items, i, it) {
		if ((s = ctl_wf_str(it, "id")) != NULL && strcmp(s, id) == 0)
			return it;
	}
	return NULL;
}

char *
ctl_workflow_id(const char *channel)
{
	return xasprintf("create-channel-%s", channel);
}

/*
 * The first step of record that is neither done nor rendered; *idx its
 * index. NULL when every step is settled (or there are none).
 */
static const json_t *
wf_current_step(const json_t *record, size_t *idx)
{
	const json_t *steps, *st;
	size_t i;

	steps = json_object_get(record, "steps");
	json_array_foreach(steps, i, st) {
		if (!wf_settled(ctl_wf_str(st, "state"))) {
			*idx = i;
			return st;
		}
	}
	return NULL;
}

char *
ctl_workflow_last_error(const json_t *record)
{
	const json_t *e = json_object_get(record, "lastError");
	const char *msg, *step, *task;
	struct buf b;
	char *dump;

	if (e == NULL || json_is_null(e))
		return NULL;
	if (json_is_string(e))
		return xstrdup(json_string_value(e));
	if (!json_is_object(e)) {
		dump = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
		return dump != NULL ? dump : xstrdup("(unreadable)");
	}
	/* An object: its message, and where it happened when it says. */
	msg = ctl_wf_str(e, "message");
	step = ctl_wf_str(e, "step");
	task = ctl_wf_str(e, "task");
	if (msg == NULL) {
		dump = json_dumps(e, JSON_COMPACT);
		return dump != NULL ? dump : xstrdup("(unreadable)");
	}
	buf_init(&b, 0);
	buf_add(&b, msg, strlen(msg));
	if (step != NULL && task != NULL)
		buf_printf(&b, " (step %s, task %s)", step, task);
	else if (step != NULL)
		buf_printf(&b, " (step %s)", step);
	else if (task != NULL)
		buf_printf(&b, " (task %s)", task);
	return buf_steal(&b, NULL);
}

char *
ctl_workflow_rendered_steps(const json_t *record)
{
	const json_t *steps, *st;
	const char *name;
	struct buf b;
	size_t i, n = 0;

	buf_init(&b, 0);
	steps = json_object_get(record, "steps");
	json_array_foreach(steps, i, st) {
		const char *state = ctl_wf_str(st, "state");

		if (state == NULL || strcmp(state, "rendered") != 0)
			continue;
		name = wf_dash(ctl_wf_str(st, "name"));
		if (n++ > 0)
			buf_add(&b, ", ", 2);
		buf_add(&b, name, strlen(name));
	}
	if (n == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b, NULL);
}

/*
 * Appends "; "-separated parts saying what the running step st waits for:
 * "waiting for ORG: why" for each waiting org (once per org), "retrying
 * ORG/NODE (N attempts): why" for a task that is being retried.
 */
static void
wf_step_detail(struct buf *b, const json_t *st)
{
	const json_t *tasks, *t, *wf;
	const char *org, *msg, *state, *seen[64];
	size_t i, k, nseen = 0, ntasks, settled = 0;
	char *orgs;

	tasks = json_object_get(st, "tasks");
	ntasks = json_array_size(tasks);
	json_array_foreach(tasks, i, t) {
		if (wf_settled(ctl_wf_str(t, "state")))
			settled++;
	}
	if (ntasks > 0)
		buf_printf(b, "%zu/%zu done", settled, ntasks);

	wf = json_object_get(st, "waitingFor");
	if (json_array_size(wf) > 0) {
		orgs = wf_join(wf, ", ");
		msg = ctl_wf_str(st, "message");
		buf_printf(b, "%swaiting for %s%s%s", b->len > 0 ? "; " : "",
		    orgs, msg != NULL ? ": " : "", msg != NULL ? msg : "");
		free(orgs);
	}
	json_array_foreach(tasks, i, t) {
		state = ctl_wf_str(t, "state");
		org = wf_dash(ctl_wf_str(t, "org"));
		msg = ctl_wf_str(t, "message");
		if (state != NULL && strcmp(state, "waiting") == 0) {
			for (k = 0; k < nseen; k++)
				if (strcmp(seen[k], org) == 0)
					break;
			if (k < nseen)
				continue;
			if (nseen < sizeof(seen) / sizeof(seen[0]))
				seen[nseen++] = org;
			if (json_array_size(wf) > 0 && strstr(b->data, org))
				continue;	/* the step already names it */
			buf_printf(b, "%swaiting for %s%s%s",
			    b->len > 0 ? "; " : "", org,
			    msg != NULL ? ": " : "", msg != NULL ? msg : "");
		} else if (!wf_settled(state) && state != NULL &&
		    strcmp(state, "failed") != 0 &&
		    json_integer_value(json_object_get(t, "attempts")) > 0) {
			buf_printf(b, "%sretrying %s/%s (%" JSON_INTEGER_FORMAT
			    " attempts)%s%s", b->len > 0 ? "; " : "", org,
			    wf_dash(ctl_wf_str(t, "node")),
			    json_integer_value(json_object_get(t, "attempts")),
			    msg != NULL ? ": " : "", msg != NULL ? msg : "");
		}
	}
}

char *
ctl_workflow_progress(const char *channel, const json_t *record)
{
	const json_t *st;
	const char *state, *sstate;
	struct buf b, d;
	char *s, *err;
	size_t idx = 0;

	buf_init(&b, 0);
	if (record == NULL) {
		buf_printf(&b, "%s: not started yet (waiting for the "
		    "controller to create workflow create-channel-%s)", channel,
		    channel);
		goto out;
	}
	state = wf_dash(ctl_wf_str(record, "state"));
	if (strcmp(state, "succeeded") == 0) {
		buf_printf(&b, "%s: succeeded", channel);
		goto out;
	}
	if (strcmp(state, "rendered") == 0) {
		s = ctl_workflow_rendered_steps(record);
		buf_printf(&b, "%s: rendered for GitOps, not carried out%s%s",
		    channel, s != NULL ? ": " : "", s != NULL ? s : "");
		free(s);
		goto out;
	}
	st = wf_current_step(record, &idx);
	if (strcmp(state, "failed") == 0) {
		err = ctl_workflow_last_error(record);
		buf_printf(&b, "%s: failed%s%s: %s", channel,
		    st != NULL ? " at " : "",
		    st != NULL ? wf_dash(ctl_wf_str(st, "name")) : "",
		    err != NULL ? err : "the controller gave no reason");
		free(err);
		goto out;
	}
	if (st == NULL) {
		buf_printf(&b, "%s: %s", channel, state);
		goto out;
	}
	sstate = wf_dash(ctl_wf_str(st, "state"));
	buf_init(&d, 0);
	wf_step_detail(&d, st);
	buf_printf(&b, "%s: %s (%s)", channel, wf_dash(ctl_wf_str(st, "name")),
	    d.len > 0 ? d.data : sstate);
	buf_free(&d);
out:
	s = buf_steal(&b, NULL);
	err = ctl_out_sanitize(s);
	free(s);
	return err;
}

enum ctl_wf_verdict
ctl_workflow_decide(const json_t *list, const char *const *channels,
    size_t n, size_t *which)
{
	const json_t *it;
	const char *state;
	enum ctl_wf_verdict v = CTL_WF_CONVERGED;
	char *id;
	size_t i;

	*which = 0;
	for (i = 0; i < n; i++) {
		id = ctl_workflow_id(channels[i]);
		it = ctl_workflow_find(list, id);
		free(id);
		state = ctl_wf_str(it, "state");
		if (state != NULL && strcmp(state, "failed") == 0) {
			*which = i;
			return CTL_WF_FAILED;
		}
		if (state == NULL || (strcmp(state, "succeeded") != 0 &&
		    strcmp(state, "rendered") != 0)) {
			if (v == CTL_WF_CONVERGED)
				*which = i;	/* the first still waited on */
			v = CTL_WF_WAIT;
		}
	}
	return v;
}

/* ---- get workflows ---- */

int
ctl_workflow_print_list(FILE *fp, const json_t *answer, const char *only,
    time_t now, char **cause)
{
	static const char *const hdr[] = {
		"ID", "TYPE", "CHANNEL", "STATE", "STEP", "WAITING FOR", "AGE"
	};
	struct ctl_table *t;
	const json_t *items, *it, *at;
	char age[32];
	size_t i;
	int rc;

	if ((rc = ctl_get_items(answer, "workflows", &items, cause)) != 1)
		return rc;
	t = ctl_table_new(7, hdr);
	json_array_foreach(items, i, it) {
		const char *row[7];
		char *waiting;

		if (only != NULL && (ctl_wf_str(it, "id") == NULL ||
		    strcmp(ctl_wf_str(it, "id"), only) != 0))
			continue;
		/* kubectl's AGE is since creation; the list may carry only
		 * updatedAt, then that is the age shown. */
		if ((at = json_object_get(it, "createdAt")) == NULL)
			at = json_object_get(it, "updatedAt");
		wf_age(at, now, age, sizeof(age));
		waiting = wf_join(json_object_get(it, "waitingFor"), ",");
		row[0] = ctl_wf_str(it, "id");
		row[1] = ctl_wf_str(it, "type");
		row[2] = ctl_wf_str(it, "channel");
		row[3] = ctl_wf_str(it, "state");
		row[4] = wf_dash(ctl_wf_str(it, "step"));
		row[5] = wf_dash(waiting);
		row[6] = wf_dash(age);
		ctl_table_add(t, row);
		free(waiting);
	}
	ctl_table_print(t, fp);
	ctl_table_free(t);
	return 0;
}

/* ---- describe workflow ---- */

static void
wf_field(FILE *fp, const char *label, const char *value)
{
	char *s = ctl_out_sanitize(wf_dash(value));

	fprintf(fp, "%-*s%s\n", CTL_WF_LABEL, label, s);
	free(s);
}

/* "12s ago (1795430000)" of a time member; NULL when absent. */
static void
wf_when(const json_t *o, const char *key, time_t now, char *out, size_t size)
{
	const json_t *v = json_object_get(o, key);

	out[0] = '\0';
	if (json_is_integer(v))
		ctl_get_age(json_integer_value(v), now, out, size);
}

static void
wf_describe_steps(FILE *fp, const json_t *steps)
{
	static const char *const hdr[] = { "#", "STEP", "STATE", "MESSAGE" };
	struct ctl_table *t;
	const json_t *st, *tasks, *tk;
	size_t i, j, settled;

	fputs("\nSTEPS\n", fp);
	if (json_array_size(steps) == 0) {
		fputs("(none)\n", fp);
		return;
	}
	t = ctl_table_new(4, hdr);
	json_array_foreach(steps, i, st) {
		const char *row[4];
		char num[24], *msg = NULL;

		snprintf(num, sizeof(num), "%zu", i + 1);
		tasks = json_object_get(st, "tasks");
		if (ctl_wf_str(st, "message") == NULL &&
		    json_array_size(tasks) > 0) {
			settled = 0;
			json_array_foreach(tasks, j, tk) {
				if (wf_settled(ctl_wf_str(tk, "state")))
					settled++;
			}
			msg = xasprintf("%zu/%zu tasks done", settled,
			    json_array_size(tasks));
		}
		row[0] = num;
		row[1] = ctl_wf_str(st, "name");
		row[2] = ctl_wf_str(st, "state");
		row[3] = msg != NULL ? msg : wf_dash(ctl_wf_str(st, "message"));
		ctl_table_add(t, row);
		free(msg);
	}
	ctl_table_print(t, fp);
	ctl_table_free(t);
}

static void
wf_describe_tasks(FILE *fp, const json_t *steps)
{
	static const char *const hdr[] = {
		"STEP", "ORG", "NODE", "STATE", "ATTEMPTS", "MESSAGE"
	};
	struct ctl_table *t;
	const json_t *st, *tk, *att;
	size_t i, j;

	t = ctl_table_new(6, hdr);
	json_array_foreach(steps, i, st) {
		json_array_foreach(json_object_get(st, "tasks"), j, tk) {
			const char *row[6];
			char n[32];

			att = json_object_get(tk, "attempts");
			snprintf(n, sizeof(n), "%" JSON_INTEGER_FORMAT,
			    json_is_integer(att) ? json_integer_value(att) :
			    (json_int_t)0);
			row[0] = ctl_wf_str(st, "name");
			row[1] = ctl_wf_str(tk, "org");
			row[2] = wf_dash(ctl_wf_str(tk, "node"));
			row[3] = ctl_wf_str(tk, "state");
			row[4] = n;
			row[5] = wf_dash(ctl_wf_str(tk, "message"));
			ctl_table_add(t, row);
		}
	}
	if (ctl_table_rows(t) > 0) {
		fputs("\nTASKS\n", fp);
		ctl_table_print(t, fp);
	}
	ctl_table_free(t);
}

/* Prints s (from the controller) safe for a terminal, then a newline. */
static void
wf_line(FILE *fp, const char *s)
{
	char *safe = ctl_out_sanitize(s);

	fputs(safe, fp);
	fputc('\n', fp);
	free(safe);
}

/*
 * Prints text (lines we built around the controller's strings), each line
 * made safe for a terminal; the newlines we put in are kept. Consumes the
 * newlines of text.
 */
static void
wf_lines(FILE *fp, char *text)
{
	char *p, *nl;

	for (p = text; p != NULL && *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL) {
			wf_line(fp, p);
			break;
		}
		*nl = '\0';
		wf_line(fp, p);
	}
}

/* One "waiting for ORG: why" line per org a step or a task waits for. */
static void
wf_describe_waiting(FILE *fp, const json_t *steps)
{
	const json_t *st, *tk, *wf, *o;
	const char *msg, *state;
	struct buf b;
	size_t i, j, k, n = 0;

	buf_init(&b, 0);
	json_array_foreach(steps, i, st) {
		wf = json_object_get(st, "waitingFor");
		msg = ctl_wf_str(st, "message");
		json_array_foreach(wf, k, o) {
			if (!json_is_string(o))
				continue;
			buf_printf(&b, "waiting for %s: %s (step %s)\n",
			    json_string_value(o),
			    msg != NULL ? msg : "not yet answered",
			    wf_dash(ctl_wf_str(st, "name")));
			n++;
		}
		json_array_foreach(json_object_get(st, "tasks"), j, tk) {
			state = ctl_wf_str(tk, "state");
			if (state == NULL || strcmp(state, "waiting") != 0)
				continue;
			msg = ctl_wf_str(tk, "message");
			buf_printf(&b, "waiting for %s: %s (task %s)\n",
			    wf_dash(ctl_wf_str(tk, "org")),
			    msg != NULL ? msg : "its agent has not answered",
			    wf_dash(ctl_wf_str(tk, "id")));
			n++;
		}
	}
	if (n > 0) {
		fputs("\nWAITING\n", fp);
		wf_lines(fp, b.data);
	}
	buf_free(&b);
}

/* The steps (and tasks) rendered for GitOps rather than carried out. */
static void
wf_describe_rendered(FILE *fp, const json_t *record)
{
	const json_t *steps, *st, *tk;
	const char *state, *msg, *ts;
	struct buf b;
	size_t i, j, n = 0, ntasks;

	buf_init(&b, 0);
	steps = json_object_get(record, "steps");
	json_array_foreach(steps, i, st) {
		state = ctl_wf_str(st, "state");
		ntasks = 0;
		json_array_foreach(json_object_get(st, "tasks"), j, tk) {
			ts = ctl_wf_str(tk, "state");
			if (ts != NULL && strcmp(ts, "rendered") == 0)
				ntasks++;
		}
		if (ntasks == 0 && (state == NULL ||
		    strcmp(state, "rendered") != 0))
			continue;
		msg = ctl_wf_str(st, "message");
		buf_printf(&b, "- %s%s%s%s\n", wf_dash(ctl_wf_str(st, "name")),
		    state != NULL && strcmp(state, "rendered") == 0 ? "" :
		    " (partly)", msg != NULL ? ": " : "",
		    msg != NULL ? msg : "");
		n++;
		json_array_foreach(json_object_get(st, "tasks"), j, tk) {
			ts = ctl_wf_str(tk, "state");
			if (ts == NULL || strcmp(ts, "rendered") != 0)
				continue;
			msg = ctl_wf_str(tk, "message");
			buf_printf(&b, "    %s %s%s%s\n",
			    wf_dash(ctl_wf_str(tk, "org")),
			    wf_dash(ctl_wf_str(tk, "node")),
			    msg != NULL ? ": " : "", msg != NULL ? msg : "");
		}
	}
	state = ctl_wf_str(record, "state");
	if (n > 0 || (state != NULL && strcmp(state, "rendered") == 0)) {
		fputs("\nRENDERED FOR GITOPS, NOT CARRIED OUT\n", fp);
		fputs("These steps were written out for GitOps (the org's "
		    "runtime cannot act on live\nnodes); they take effect only "
		    "once the rendered files are applied.\n", fp);
		wf_lines(fp, b.data);
		if (n == 0)
			fputs("(the record names no rendered step)\n", fp);
	}
	buf_free(&b);
}

int
ctl_workflow_describe(FILE *fp, const json_t *record, time_t now,
    char **cause)
{
	const json_t *steps, *st;
	char created[32], updated[32], *err, *stepbuf = NULL;
	size_t idx = 0;

	*cause = NULL;
	if (ctl_wf_str(record, "id") == NULL) {
		*cause = xstrdup("the controller's answer has no workflow "
		    "\"id\"");
		return -1;
	}
	steps = json_object_get(record, "steps");
	wf_when(record, "createdAt", now, created, sizeof(created));
	wf_when(record, "updatedAt", now, updated, sizeof(updated));
	if ((st = wf_current_step(record, &idx)) != NULL)
		stepbuf = xasprintf("%s (%zu of %zu)",
		    wf_dash(ctl_wf_str(st, "name")), idx + 1,
		    json_array_size(steps));
	err = ctl_workflow_last_error(record);

	wf_field(fp, "Name:", ctl_wf_str(record, "id"));
	wf_field(fp, "Type:", ctl_wf_str(record, "type"));
	wf_field(fp, "Consortium:", ctl_wf_str(record, "consortium"));
	wf_field(fp, "Channel:", ctl_wf_str(record, "channel"));
	if (ctl_wf_str(record, "consenter") != NULL)
		wf_field(fp, "Consenter:", ctl_wf_str(record, "consenter"));
	else if (ctl_wf_str(record, "org") != NULL)
		wf_field(fp, "Org:", ctl_wf_str(record, "org"));
	wf_field(fp, "State:", ctl_wf_str(record, "state"));
	wf_field(fp, "Step:", stepbuf != NULL ? stepbuf : "-");
	wf_field(fp, "Created:", created);
	wf_field(fp, "Updated:", updated);
	wf_field(fp, "Last error:", err != NULL ? err : "none");
	free(stepbuf);
	free(err);

	wf_describe_steps(fp, steps);
	wf_describe_tasks(fp, steps);
	wf_describe_waiting(fp, steps);
	wf_describe_rendered(fp, record);
	return 0;
}

/* ---- requests ---- */

/* ctl_wf_get: see ctl.h. */
int
ctl_wf_get(struct ctl_client *c, const char *path, json_t **answer,
    long *status, int *transient, int quiet404, char **cause, FILE *err)
{
	struct ctl_response resp;
	int ret;

	*answer = NULL;
	*cause = NULL;
	*status = 0;
	if (transient != NULL)
		*transient = 0;
	memset(&resp, 0, sizeof(resp));
	if (ctl_client_request(c, "GET", path, NULL, NULL, 0, &resp,
	    cause) == -1) {
		if (transient != NULL) {
			*transient = 1;
			return CTL_EXIT_USAGE;
		}
		ret = ctl_out_fail(err, *cause);
		goto done;
	}
	*status = resp.status;
	if ((ret = ctl_out_exit_for_status(resp.status)) != CTL_EXIT_OK) {
		if (transient != NULL && (resp.status == 408 ||
		    resp.status == 429 || resp.status >= 500)) {
			*transient = 1;
			*cause = xasprintf("the controller answered %ld %s",
			    resp.status, ctl_out_reason(resp.status));
			goto done;
		}
		if (!quiet404 || resp.status != 404)
			ctl_out_error_response(err, NULL, &resp);
		goto done;
	}
	if ((*answer = ctl_out_parse(&resp, cause)) == NULL)
		ret = ctl_out_fail(err, *cause);
done:
	ctl_client_response_free(&resp);
	return ret;
}

char *
ctl_wf_list_path(const char *consortium)
{
	char *c = ctl_client_escape(consortium), *p;

	p = xasprintf("/v1/consortia/%s/workflows", c);
	free(c);
	return p;
}

char *
ctl_wf_record_path(const char *consortium, const char *id)
{
	char *c = ctl_client_escape(consortium), *i = ctl_client_escape(id);
	char *p;

	p = xasprintf("/v1/consortia/%s/workflows/%s", c, i);
	free(c);
	free(i);
	return p;
}

/* retry workflow ID: POST .../workflows/ID/retry; prints what was asked. */
static int
ctl_workflow_retry(const struct ctl_args *args, struct ctl_client *c)
{
	struct ctl_response resp;
	char *path, *rpath, *cause = NULL, *s;
	int ret;

	memset(&resp, 0, sizeof(resp));
	path = ctl_wf_record_path(args->consortium, args->name);
	rpath = xasprintf("%s/retry", path);
	if (ctl_client_request(c, "POST", rpath, NULL, "", 0, &resp, &cause) == -1) {
		ret = ctl_out_fail(stderr, cause);
		goto done;
	}
	if ((ret = ctl_out_exit_for_status(resp.status)) != CTL_EXIT_OK) {
		ctl_out_error_response(stderr, NULL, &resp);
		goto done;
	}
	s = ctl_out_sanitize(args->name);
	printf("workflow %s: retry requested; the change runs again under the next "
	    "free id (get workflows --consortium shows it)\n", s);
	free(s);
done:
	ctl_client_response_free(&resp);
	free(path);
	free(rpath);
	free(cause);
	return ret;
}

int
ctl_workflow_run(const struct ctl_args *args, struct ctl_client *c)
{
	const json_t *one;
	json_t *answer = NULL;
	char *path, *cause = NULL, *s;
	long status;
	int ret, rc;

	if (args->cmd == CTL_CMD_RETRY_WORKFLOW)
		return ctl_workflow_retry(args, c);
	if (args->cmd == CTL_CMD_DESCRIBE_WORKFLOW)
		path = ctl_wf_record_path(args->consortium, args->name);
	else
		path = ctl_wf_list_path(args->consortium);
	ret = ctl_wf_get(c, path, &answer, &status, NULL, 0, &cause, stderr);
	free(path);
	if (ret != CTL_EXIT_OK)
		goto done;
	ret = CTL_EXIT_USAGE;
	if (args->cmd == CTL_CMD_GET_WORKFLOW &&
	    (one = ctl_workflow_find(answer, args->name)) == NULL) {
		s = ctl_out_sanitize(args->name);
		fprintf(stderr, "error: no workflow \"%s\" in consortium ", s);
		free(s);
		s = ctl_out_sanitize(args->consortium);
		fprintf(stderr, "\"%s\"\n", s);
		free(s);
		ret = CTL_EXIT_REJECTED;
		goto done;
	}
	if (args->format != CTL_FORMAT_TABLE) {
		one = args->cmd == CTL_CMD_GET_WORKFLOW ?
		    ctl_workflow_find(answer, args->name) : answer;
		rc = ctl_get_dump(stdout, one, args->format, &cause);
	} else if (args->cmd == CTL_CMD_DESCRIBE_WORKFLOW)
		rc = ctl_workflow_describe(stdout, answer, time(NULL), &cause);
	else
		rc = ctl_workflow_print_list(stdout, answer,
		    args->cmd == CTL_CMD_GET_WORKFLOW ? args->name : NULL,
		    time(NULL), &cause);
	if (rc == -1) {
		ret = ctl_out_fail(stderr, cause);
		goto done;
	}
	ret = CTL_EXIT_OK;
done:
	json_decref(answer);
	free(cause);
	return ret;
}
