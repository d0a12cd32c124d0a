/*
 * ctl_wait.c: the wait of "apply --wait" (docs/workflows.md): polls the
 * consortium's workflows until every channel's create-channel workflow has
 * succeeded or was rendered, printing each channel's progress as it
 * changes and a summary at the end; and which member orgs apply --wait
 * waits for.
 */
#include "ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_workflow_int.h"
#include "xmalloc.h"

/* What is known of one channel's workflow while waiting. */
struct wf_watch {
	const char *channel;	/* borrowed */
	char *id;		/* create-channel-<channel> */
	char *item;		/* the last list item seen, compact JSON */
	json_t *record;		/* the record fetched for that item */
	char *line;		/* the last progress line printed */
};

static long long
wf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
wf_sleep_ms(long long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * Brings w up to date with list: fetches the record when its list item
 * changed. Returns 0, 1 for a transient failure (try again next poll), or
 * -1 with the error printed (*rc the exit code).
 */
static int
wf_watch_update(struct wf_watch *w, struct ctl_client *c,
    const char *consortium, const json_t *list, FILE *err, int *rc,
    char **cause)
{
	const json_t *it;
	json_t *record = NULL;
	char *dump = NULL, *path;
	long status;
	int transient;

	if ((it = ctl_workflow_find(list, w->id)) != NULL)
		dump = json_dumps(it, JSON_COMPACT | JSON_SORT_KEYS);
	if ((dump == NULL && w->item == NULL) || (dump != NULL &&
	    w->item != NULL && strcmp(dump, w->item) == 0)) {
		free(dump);
		return 0;
	}
	if (dump != NULL) {
		path = ctl_wf_record_path(consortium, w->id);
		*rc = ctl_wf_get(c, path, &record, &status, &transient, 1, cause,
		    err);
		free(path);
		if (*rc != CTL_EXIT_OK && transient) {
			free(dump);
			return 1;
		}
		if (*rc != CTL_EXIT_OK && status != 404) {
			free(dump);
			return -1;
		}
		free(*cause);
		*cause = NULL;
		/* 404: listed but gone since; shown as not started. */
	}
	json_decref(w->record);
	w->record = record;
	free(w->item);
	w->item = dump;
	return 0;
}

static void
wf_summary(FILE *out, struct wf_watch *ws, size_t n, long long ms)
{
	char took[32], *rendered, *ch;
	const char *state;
	size_t i, nrendered = 0, width = 0;

	for (i = 0; i < n; i++)
		if (strlen(ws[i].channel) > width)
			width = strlen(ws[i].channel);
	ctl_workflow_duration((long)((ms + 999) / 1000), took, sizeof(took));
	if (n == 0) {
		fputs("the document declares no channels: nothing to wait "
		    "for\n", out);
		return;
	}
	fprintf(out, "converged in %s:\n", took);
	for (i = 0; i < n; i++) {
		state = ctl_wf_str(ws[i].record, "state");
		ch = ctl_out_sanitize(ws[i].channel);
		if (state != NULL && strcmp(state, "rendered") == 0) {
			char *s;

			nrendered++;
			rendered = ctl_workflow_rendered_steps(ws[i].record);
			s = ctl_out_sanitize(rendered != NULL ? rendered :
			    "(no step named)");
			fprintf(out, "  %-*s   rendered for GitOps, not carried "
			    "out: %s\n", (int)width, ch, s);
			free(s);
			free(rendered);
		} else
			fprintf(out, "  %-*s   succeeded\n", (int)width, ch);
		free(ch);
	}
	if (nrendered > 0)
		fprintf(out, "%zu of %zu channel%s only rendered: the channel "
		    "exists once the files the agents wrote are applied\n",
		    nrendered, n, n == 1 ? " was" : "s were");
}

/* Whether JSON array A holds the string S. */
static int
wf_has(const json_t *a, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

/*
 * Whether the strings of WANT and HAVE are the same set: 1, or 0 with
 * *why naming the first one missing ("not a WHAT yet") or left over
 * ("still a WHAT").
 */
static int
wf_same(const char *channel, const json_t *want, const json_t *have,
    const char *what, char **why)
{
	const json_t *pairs[2][2] = { { want, have }, { have, want } };
	const json_t *m;
	size_t k, p;

	for (p = 0; p < 2; p++)
		json_array_foreach(pairs[p][0], k, m)
			if (json_is_string(m) && !wf_has(pairs[p][1],
			    json_string_value(m))) {
				*why = xasprintf(p == 0 ? "%s: %s is not a %s yet" :
				    "%s: %s is still a %s", channel,
				    json_string_value(m), what);
				return 0;
			}
	return 1;
}

int
ctl_workflow_members(const json_t *list, const json_t *doc, char **why)
{
	const json_t *chans, *ch, *want, *have, *it;
	const char *name, *type, *state, *id;
	size_t i, k;

	*why = NULL;
	chans = json_object_get(list, "channels");
	if (!json_is_object(chans))
		return 1;	/* a controller that does not report members */
	json_array_foreach(json_object_get(json_object_get(doc, "spec"),
	    "channels"), i, ch) {
		if ((name = ctl_wf_str(ch, "name")) == NULL)
			continue;
		want = json_object_get(ch, "members");
		have = json_object_get(json_object_get(chans, name), "members");
		if (have == NULL)
			continue;	/* not created yet: its create-channel decides */
		/* A change of this channel that failed ends the wait. */
		json_array_foreach(json_object_get(list, "items"), k, it) {
			type = ctl_wf_str(it, "type");
			state = ctl_wf_str(it, "state");
			id = ctl_wf_str(it, "id");
			if (type == NULL || state == NULL || id == NULL ||
			    (strcmp(type, "add-org") != 0 &&
			    strcmp(type, "remove-org") != 0 &&
			    strcmp(type, "add-consenter") != 0 &&
			    strcmp(type, "remove-consenter") != 0) ||
			    ctl_wf_str(it, "channel") == NULL ||
			    strcmp(ctl_wf_str(it, "channel"), name) != 0)
				continue;
			if (strcmp(state, "failed") == 0 &&
			    !json_is_true(json_object_get(it, "retryRequested"))) {
				*why = xasprintf("workflow %s failed", id);
				return -1;
			}
			if (strcmp(state, "running") == 0) {
				*why = xasprintf("%s: %s is at %s", name, id,
				    ctl_wf_str(it, "step") != NULL ?
				    ctl_wf_str(it, "step") : "its start");
				return 0;
			}
		}
		if (wf_same(name, want, have, "member", why) == 0)
			return 0;
		/* Consenters, where the controller reports them. */
		have = json_object_get(json_object_get(chans, name), "consenters");
		if (json_is_array(have) && wf_same(name, json_object_get(ch,
		    "consenters"), have, "consenter", why) == 0)
			return 0;
	}
	return 1;
}

int
ctl_workflow_wait(struct ctl_client *c, const char *consortium,
    const json_t *doc, const char *const *channels, size_t n, long secs,
    FILE *out, FILE *err)
{
	struct wf_watch *ws;
	json_t *list = NULL;
	char *path, *cause = NULL, *lastwarn = NULL, *line, *e, *mline = NULL;
	char limit[32];
	int mrc;
	long long start, deadline, now, left;
	unsigned long long polls, maxpolls;
	enum ctl_wf_verdict v;
	size_t i, which;
	long status;
	int ret = CTL_EXIT_USAGE, rc, transient;

	ws = xcalloc(n > 0 ? n : 1, sizeof(*ws));
	for (i = 0; i < n; i++) {
		ws[i].channel = channels[i];
		ws[i].id = ctl_workflow_id(channels[i]);
	}
	path = ctl_wf_list_path(consortium);
	ctl_workflow_duration(secs, limit, sizeof(limit));
	start = wf_now_ms();
	deadline = start + (long long)secs * 1000;
	/* At least one interval between polls: the count bounds the loop
	 * even if the clock misbehaves. */
	maxpolls = (unsigned long long)secs * 1000 / CTL_WAIT_INTERVAL_MS + 2;

	for (polls = 0; polls < maxpolls; polls++) {
		json_decref(list);
		list = NULL;
		free(cause);
		cause = NULL;
		rc = ctl_wf_get(c, path, &list, &status, &transient, 0, &cause,
		    err);
		if (rc != CTL_EXIT_OK && !transient) {
			ret = rc;
			goto done;
		}
		if (rc != CTL_EXIT_OK) {
			/* Say it once, not every second. */
			if (lastwarn == NULL || strcmp(lastwarn, cause) != 0) {
				e = ctl_out_sanitize(cause);
				fprintf(err, "warning: %s; still waiting\n", e);
				free(e);
				free(lastwarn);
				lastwarn = xstrdup(cause);
			}
			goto next;
		}
		free(lastwarn);
		lastwarn = NULL;
		for (i = 0; i < n; i++) {
			free(cause);
			cause = NULL;
			rc = wf_watch_update(&ws[i], c, consortium, list, err,
			    &ret, &cause);
			if (rc == -1)
				goto done;
			line = ctl_workflow_progress(ws[i].channel,
			    ws[i].record);
			if (ws[i].line == NULL ||
			    strcmp(ws[i].line, line) != 0) {
				fprintf(out, "%s\n", line);
				fflush(out);
				free(ws[i].line);
				ws[i].line = line;
			} else
				free(line);
		}
		v = ctl_workflow_decide(list, channels, n, &which);
		if (v == CTL_WF_CONVERGED && doc != NULL) {
			/* The channels must also have the declared members. */
			free(cause);
			cause = NULL;
			mrc = ctl_workflow_members(list, doc, &cause);
			if (mrc == -1) {
				e = ctl_out_sanitize(cause);
				fprintf(err, "error: %s; see fabfedctl describe "
				    "workflow\n", e);
				free(e);
				ret = CTL_EXIT_REJECTED;
				goto done;
			}
			if (mrc == 0) {
				if (mline == NULL || strcmp(mline, cause) != 0) {
					e = ctl_out_sanitize(cause);
					fprintf(out, "%s\n", e);
					fflush(out);
					free(e);
					free(mline);
					mline = xstrdup(cause);
				}
				goto next;
			}
		}
		if (v == CTL_WF_FAILED) {
			e = ctl_workflow_last_error(ws[which].record);
			line = ctl_out_sanitize(e != NULL ? e :
			    "the controller gave no reason");
			fprintf(err, "error: workflow %s failed: %s\n",
			    ws[which].id, line);
			free(line);
			free(e);
			ret = CTL_EXIT_REJECTED;
			goto done;
		}
		if (v == CTL_WF_CONVERGED) {
			wf_summary(out, ws, n, wf_now_ms() - start);
			ret = CTL_EXIT_OK;
			goto done;
		}
next:
		now = wf_now_ms();
		if (now >= deadline)
			break;
		left = deadline - now;
		wf_sleep_ms(left < CTL_WAIT_INTERVAL_MS ? left :
		    CTL_WAIT_INTERVAL_MS);
	}

	fprintf(err, "error: timed out after %s; still waiting for:\n", limit);
	for (i = 0; i < n; i++) {
		const char *st = ctl_wf_str(ws[i].record, "state");

		if (st != NULL && (strcmp(st, "succeeded") == 0 ||
		    strcmp(st, "rendered") == 0))
			continue;
		line = ctl_workflow_progress(ws[i].channel, ws[i].record);
		fprintf(err, "  %s\n", line);
		free(line);
	}
	if (lastwarn != NULL) {
		e = ctl_out_sanitize(lastwarn);
		fprintf(err, "  (the last poll failed: %s)\n", e);
		free(e);
	}
	ret = CTL_EXIT_REJECTED;
done:
	for (i = 0; i < n; i++) {
		free(ws[i].id);
		free(ws[i].item);
		json_decref(ws[i].record);
		free(ws[i].line);
	}
	free(ws);
	json_decref(list);
	free(path);
	free(cause);
	free(lastwarn);
	free(mline);
	return ret;
}
