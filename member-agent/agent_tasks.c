/*
 * agent_tasks.c: the agent's task hook: the org's open tasks as the
 * controller answers them, running them one at a time (tasks_run), their
 * results kept in STATE/tasks.json and PUT back to the controller, and
 * the tasks part of `fabfedctl agent status`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "agent_int.h"
#include "httpc.h"
#include "ipc.h"
#include "log.h"
#include "pki.h"
#include "runtime.h"
#include "tasks.h"
#include "xmalloc.h"

/*
 * Tasks (docs/workflows.md, docs/agent-tasks.md). The org's open tasks
 * come with the desired state; they run in order, one at a time, each a
 * synchronous tasks_run bounded by TASKS_TASK_MS (the event loop waits
 * meanwhile), and each result is PUT to /v1/agent/tasks/{id}. Results
 * are kept in STATE/tasks.json until the controller stops listing the
 * task, so a restarted agent re-sends a result it may have lost but never
 * repeats a task that reached a final state. A "retry" result is run
 * again after its own backoff (capped, with jitter).
 */
void
agent_tasks_load(struct agent *a)
{
	json_t *o = json_load_file(a->tasks_file, 0, NULL);

	json_decref(a->task_log);
	a->task_log = json_object();
	if (json_is_object(json_object_get(o, "tasks")))
		json_object_update(a->task_log, json_object_get(o, "tasks"));
	json_decref(o);
}

static void
tasks_save(struct agent *a)
{
	json_t *o = json_pack("{s:O, s:I}", "tasks", a->task_log, "savedAt",
	    (json_int_t)time(NULL));
	char *text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS), *cause = NULL;

	if (pki_file_write(a->tasks_file, text, strlen(text), 0600, &cause) != 0) {
		log_warnx("cannot save the tasks' results: %s", cause);
		free(cause);
	}
	free(text);
	json_decref(o);
}

static int
task_listed(const json_t *tasks, const char *id)
{
	const json_t *t;
	size_t i;

	json_array_foreach(tasks, i, t)
		if (json_is_string(json_object_get(t, "id")) &&
		    strcmp(json_string_value(json_object_get(t, "id")), id) == 0)
			return 1;
	return 0;
}

/* The open tasks the controller answered; results it no longer lists and
 * has acknowledged are forgotten. */
void
agent_tasks_set(struct agent *a, json_t *tasks)
{
	const char *id;
	json_t *e;
	void *tmp;
	int pruned = 0;

	if (!json_is_array(tasks))
		return;
	json_decref(a->tasks);
	a->tasks = json_incref(tasks);
	json_object_foreach_safe(a->task_log, tmp, id, e) {
		if (!task_listed(tasks, id) && json_is_true(json_object_get(e, "sent"))) {
			json_object_del(a->task_log, id);
			pruned = 1;
		}
	}
	if (pruned)
		tasks_save(a);
}

void
agent_tasks_kick(struct agent *a)
{
	struct timeval now = { 0, 0 };

	if (!a->task_busy && a->task_timer != NULL)
		evtimer_add(a->task_timer, &now);
}

static void
tasks_later(struct agent *a, long ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(a->task_timer, &tv);
}

static void
tasks_backoff(struct agent *a, const char *why)
{
	long ms;

	a->task_backoff = a->task_backoff == 0 ? AGENT_BACKOFF_MIN : a->task_backoff * 2;
	if (a->task_backoff > AGENT_BACKOFF_MAX)
		a->task_backoff = AGENT_BACKOFF_MAX;
	ms = agent_jitter_ms(a->task_backoff);
	log_warnx("tasks: %s; trying again in %ld.%03ld s", why, ms / 1000, ms % 1000);
	tasks_later(a, ms);
}

static int
task_id_ok(const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0 || n > AGENT_MAX_TASK_ID)
		return 0;
	for (i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9') || id[i] == '.' || id[i] == '-' ||
		    id[i] == '_'))
			return 0;
	return 1;
}

static void task_put_cb(const struct httpc_answer *, void *);

static void
task_put(struct agent *a, const char *id, const json_t *e)
{
	json_t *body = json_pack("{s:O, s:O, s:O}", "state", json_object_get(e, "state"),
	    "message", json_object_get(e, "message"), "detail", json_object_get(e, "detail"));
	char *text = json_dumps(body, JSON_COMPACT);
	char *url = xasprintf("%s/v1/agent/tasks/%s", a->controller, id);

	a->task_busy = 1;
	free(a->task_put_id);
	a->task_put_id = xstrdup(id);
	if (httpc_request(a->http, "PUT", url, text, strlen(text), AGENT_CALL_MS, 64 * 1024,
	    task_put_cb, a) == 0) {
		a->task_busy = 0;
		tasks_backoff(a, "cannot queue a task's result");
	}
	free(url);
	free(text);
	json_decref(body);
}

/* The id of the first task whose result is not yet acknowledged, or NULL. */
static const char *
task_unsent(struct agent *a, json_t **ep)
{
	const json_t *t;
	const char *id;
	json_t *e;
	size_t i;

	json_array_foreach(a->tasks, i, t) {
		if ((id = json_string_value(json_object_get(t, "id"))) == NULL)
			continue;
		e = json_object_get(a->task_log, id);
		if (e != NULL && !json_is_true(json_object_get(e, "sent")) &&
		    !json_is_true(json_object_get(e, "dropped"))) {
			*ep = e;
			return id;
		}
	}
	return NULL;
}

static void
task_put_cb(const struct httpc_answer *ans, void *arg)
{
	struct agent *a = arg;
	const char *id;
	json_t *e = NULL;
	char *why;

	a->task_busy = 0;
	id = a->task_put_id;
	if (id == NULL || (e = json_object_get(a->task_log, id)) == NULL) {
		agent_tasks_kick(a);
		return;
	}
	if (ans->ok && ans->status == 200) {
		json_object_set_new(e, "sent", json_true());
		log_info("task %s: %s sent", id, json_string_value(json_object_get(e, "state")));
	} else if (ans->ok && (ans->status == 404 || ans->status == 409)) {
		why = agent_failure("sending a task's result", ans);
		log_warnx("task %s: %s; the task is dropped", id, why);
		free(why);
		json_object_set_new(e, "dropped", json_true());
		json_object_set_new(e, "sent", json_true());
	} else {
		why = agent_failure("sending a task's result", ans);
		tasks_backoff(a, why);
		free(why);
		return;
	}
	a->task_backoff = 0;
	tasks_save(a);
	agent_tasks_kick(a);
}

static int
signer_ping(struct agent *a, char **cause)
{
	char *url = xasprintf("ipc://%s/signer.sock", a->dir);
	json_t *ans = NULL;
	int type = 0, ret = -1;

	if (ipc_call(url, IPC_PING, NULL, AGENT_PING_MS, &type, &ans, cause) == 0) {
		if (type == IPC_PONG)
			ret = 0;
		else
			*cause = xstrdup("the signer does not answer PING with PONG");
	}
	json_decref(ans);
	free(url);
	return ret;
}

void
agent_task_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	struct tasks_env env;
	const json_t *t, *me;
	const char *id, *state;
	json_t *e = NULL, *res = NULL;
	char *cause = NULL, *url = NULL;
	time_t now = time(NULL), wake = 0, at;
	json_int_t attempts;
	long ms;
	size_t i;

	if (a->task_busy || a->desired == NULL || a->rt == NULL)
		return;
	/* A result not yet acknowledged is sent first. */
	if ((id = task_unsent(a, &e)) != NULL) {
		task_put(a, id, e);
		return;
	}
	json_array_foreach(a->tasks, i, t) {
		if ((id = json_string_value(json_object_get(t, "id"))) == NULL)
			continue;
		e = json_object_get(a->task_log, id);
		state = json_string_value(json_object_get(e, "state"));
		if (e != NULL && (tasks_final(state) ||
		    json_is_true(json_object_get(e, "dropped"))))
			continue;
		if (!task_id_ok(id)) {
			log_warnx("task \"%.64s\": the id is not [A-Za-z0-9._-]{1,%d}; "
			    "ignored", id, AGENT_MAX_TASK_ID);
			continue;
		}
		at = (time_t)json_integer_value(json_object_get(e, "retryAt"));
		if (e != NULL && at > now) {
			if (wake == 0 || at < wake)
				wake = at;
			continue;
		}
		/* The signer signs every Fabric call of the process runtime,
		 * and update-sign under every runtime: those wait for it. */
		if (tasks_needs_signer(a->rt->ops->name, t) && signer_ping(a, &cause) != 0) {
			char *why = xasprintf("the signer does not answer (%s); task %s "
			    "waits", cause, id);

			tasks_backoff(a, why);
			free(why);
			free(cause);
			return;
		}
		me = agent_find_org(json_object_get(a->desired, "spec"), a->mspid);
		url = xasprintf("ipc://%s/signer.sock", a->dir);
		memset(&env, 0, sizeof(env));
		env.rt = a->rt;
		env.mspid = a->mspid;
		env.domain = json_string_value(json_object_get(me, "domain"));
		env.pkidir = a->pkidir;
		env.spec = json_object_get(a->desired, "spec");
		env.orgs = json_object_get(a->desired, "orgs");
		env.signer_url = url;
		env.outdir = a->outdir;
		env.statedir = a->dir;
		log_info("task %s: running", id);
		tasks_run(&env, t, &res);
		free(url);
		state = json_string_value(json_object_get(res, "state"));
		attempts = json_integer_value(json_object_get(e, "attempts")) + 1;
		log_info("task %s: %s: %s", id, state,
		    json_string_value(json_object_get(res, "message")));
		json_object_set_new(res, "at", json_integer((json_int_t)time(NULL)));
		json_object_set_new(res, "attempts", json_integer(attempts));
		json_object_set_new(res, "sent", json_false());
		if (!tasks_final(state)) {
			int secs = 1 << (attempts > 6 ? 6 : attempts - 1);

			if (secs > AGENT_BACKOFF_MAX)
				secs = AGENT_BACKOFF_MAX;
			ms = agent_jitter_ms(secs);
			json_object_set_new(res, "retryAt",
			    json_integer((json_int_t)(time(NULL) + (ms + 999) / 1000)));
		}
		json_object_set_new(a->task_log, id, res);
		tasks_save(a);
		task_put(a, id, res);
		return;
	}
	if (wake != 0)
		tasks_later(a, (long)(wake - now) * 1000);
}

/* The open tasks and their last results, for `fabfedctl agent status`. */
json_t *
agent_tasks_status_json(struct agent *a)
{
	const json_t *t;
	const char *id;
	json_t *out = json_array(), *e;
	size_t i;

	json_array_foreach(a->tasks, i, t) {
		if ((id = json_string_value(json_object_get(t, "id"))) == NULL)
			continue;
		e = json_object_get(a->task_log, id);
		json_array_append_new(out, json_pack("{s:s, s:O?, s:O?, s:O?, s:O?}",
		    "id", id, "type", json_object_get(t, "type"), "channel",
		    json_object_get(t, "channel"), "node", json_object_get(t, "node"),
		    "lastResult", e));
	}
	return out;
}
