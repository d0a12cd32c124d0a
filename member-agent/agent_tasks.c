/*
 * agent_tasks.c: the agent's task hook: the org's open tasks as the
 * controller answers them, running them one at a time (tasks_run, on a
 * worker thread), their results kept in STATE/tasks.json and PUT back to
 * the controller, and the tasks part of `fabfedctl agent status`.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
 * come with the desired state; they run in order, one at a time, and each
 * result is PUT to /v1/agent/tasks/{id}. Results are kept in
 * STATE/tasks.json until the controller stops listing the task, so a
 * restarted agent re-sends a result it may have lost but never repeats a
 * task that reached a final state. A "retry" result is run again after
 * its own backoff (capped, with jitter).
 *
 * A task blocks for up to TASKS_TASK_MS on Fabric calls and on the
 * signer, so it runs on a worker thread (the signer's PING first, then
 * tasks_run) while the loop goes on heartbeating, polling and answering
 * status. One worker at a time; the next task starts only once the last
 * result is saved and its PUT answered, as before. The worker gets a
 * struct agent_job holding its own copies of everything it reads (the
 * loop replaces a->desired and a->tasks meanwhile) and touches nothing of
 * struct agent; it ends by writing one byte to a->task_pipe, whose read
 * event joins it and takes its result on the loop thread. The runtime is
 * the one thing both could reach: see agent_int.h for how the loop leaves
 * it to the worker.
 */

/* The longest a worker runs: the signer's PING, the task's own bound, and
 * one Fabric call past it as slack. */
#define AGENT_TASK_STOP_MS	(AGENT_PING_MS + TASKS_TASK_MS + TASKS_CALL_MS + 5000)

/*
 * One task on the worker. The loop fills in the inputs before
 * pthread_create and reads the outputs only after pthread_join; neither
 * side touches it in between, so it needs no lock.
 */
struct agent_job {
	/* In: the worker's own copies. */
	char *id;
	json_t *task, *spec, *orgs;
	char *mspid, *domain, *pkidir, *signer_url, *outdir, *statedir;
	struct runtime *rt;       /* borrowed: the loop leaves it alone */
	int needs_signer;         /* PING the signer first */
	json_int_t attempt;       /* this run's number (1 for the first) */
	time_t started;
	int wfd;                  /* the pipe's write end: one byte at the end */
	/* Out. */
	json_t *result;           /* tasks_run's, or NULL ... */
	char *cause;              /* ... and why (the signer did not answer) */
};

static void
job_free(struct agent_job *j)
{
	if (j == NULL)
		return;
	free(j->id);
	json_decref(j->task);
	json_decref(j->spec);
	json_decref(j->orgs);
	free(j->mspid);
	free(j->domain);
	free(j->pkidir);
	free(j->signer_url);
	free(j->outdir);
	free(j->statedir);
	json_decref(j->result);
	free(j->cause);
	free(j);
}

static void task_done_cb(evutil_socket_t, short, void *);

int
agent_tasks_init(struct agent *a, char **cause)
{
	if (pipe2(a->task_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		*cause = xasprintf("the tasks' pipe: %s", strerror(errno));
		a->task_pipe[0] = a->task_pipe[1] = -1;
		return -1;
	}
	a->task_timer = evtimer_new(a->base, agent_task_timer_cb, a);
	a->task_done_ev = event_new(a->base, a->task_pipe[0], EV_READ | EV_PERSIST,
	    task_done_cb, a);
	if (a->task_timer == NULL || a->task_done_ev == NULL ||
	    event_add(a->task_done_ev, NULL) != 0) {
		*cause = xstrdup("cannot make the tasks' events");
		return -1;
	}
	return 0;
}

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

/* On the worker: 0 when the signer answers PING, else -1 with *cause. */
static int
signer_ping(const char *url, char **cause)
{
	json_t *ans = NULL;
	int type = 0, ret = -1;

	if (ipc_call(url, IPC_PING, NULL, AGENT_PING_MS, &type, &ans, cause) == 0) {
		if (type == IPC_PONG)
			ret = 0;
		else
			*cause = xstrdup("the signer does not answer PING with PONG");
	}
	json_decref(ans);
	return ret;
}

/*
 * The worker thread: the job's inputs only, its outputs set, one byte to
 * the loop as its last act. All signals are blocked here (the mask is set
 * around pthread_create): they are the loop's.
 */
static void *
task_worker(void *arg)
{
	struct agent_job *j = arg;
	struct tasks_env env;
	char c = 1, *cause = NULL;
	ssize_t n;

	if (j->needs_signer && signer_ping(j->signer_url, &cause) != 0) {
		j->cause = xasprintf("the signer does not answer (%s)", cause);
		free(cause);
	} else {
		memset(&env, 0, sizeof(env));
		env.rt = j->rt;
		env.mspid = j->mspid;
		env.domain = j->domain;
		env.pkidir = j->pkidir;
		env.spec = j->spec;
		env.orgs = j->orgs;
		env.signer_url = j->signer_url;
		env.outdir = j->outdir;
		env.statedir = j->statedir;
		tasks_run(&env, j->task, &j->result);
		if (j->result == NULL)
			j->cause = xstrdup("the task ended without a result");
	}
	do
		n = write(j->wfd, &c, 1);
	while (n == -1 && errno == EINTR);
	if (n != 1)
		fatal("task %s: cannot tell the agent's loop it ended", j->id);
	return NULL;
}

static void
task_start(struct agent *a, const char *id, const json_t *t, const json_t *e)
{
	struct agent_job *j = xcalloc(1, sizeof(*j));
	const json_t *spec = json_object_get(a->desired, "spec");
	const char *domain;
	sigset_t all, old;
	char *why;
	int rc;

	domain = json_string_value(json_object_get(agent_find_org(spec, a->mspid),
	    "domain"));
	j->id = xstrdup(id);
	j->task = json_deep_copy(t);
	j->spec = json_deep_copy(spec);
	j->orgs = json_deep_copy(json_object_get(a->desired, "orgs"));
	j->mspid = xstrdup(a->mspid);
	j->domain = domain != NULL ? xstrdup(domain) : NULL;
	j->pkidir = xstrdup(a->pkidir);
	j->signer_url = xasprintf("ipc://%s/signer.sock", a->dir);
	j->outdir = a->outdir != NULL ? xstrdup(a->outdir) : NULL;
	j->statedir = xstrdup(a->dir);
	j->rt = a->rt;
	/* The signer signs every Fabric call of the process runtime, and
	 * update-sign under every runtime: those wait for it. */
	j->needs_signer = tasks_needs_signer(a->rt->ops->name, t);
	j->attempt = json_integer_value(json_object_get(e, "attempts")) + 1;
	j->started = time(NULL);
	j->wfd = a->task_pipe[1];
	log_info("task %s: running", id);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&a->task_thread, NULL, task_worker, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		why = xasprintf("cannot start a thread for task %s: %s", id,
		    strerror(rc));
		tasks_backoff(a, why);
		free(why);
		job_free(j);
		return;
	}
	a->task_job = j;
}

/*
 * The ended job's result, kept in the task log and STATE/tasks.json
 * (unsent). Returns the log entry (borrowed), or NULL when nothing ran
 * (the signer did not answer: *why, caller frees).
 */
static json_t *
task_record(struct agent *a, struct agent_job *j, char **why)
{
	const char *state;
	json_t *res;
	long ms;
	int secs;

	if ((res = j->result) == NULL) {
		*why = xasprintf("%s; task %s waits", j->cause, j->id);
		return NULL;
	}
	j->result = NULL;
	state = json_string_value(json_object_get(res, "state"));
	log_info("task %s: %s: %s", j->id, state,
	    json_string_value(json_object_get(res, "message")));
	json_object_set_new(res, "at", json_integer((json_int_t)time(NULL)));
	json_object_set_new(res, "attempts", json_integer(j->attempt));
	json_object_set_new(res, "sent", json_false());
	if (!tasks_final(state)) {
		secs = 1 << (j->attempt > 6 ? 6 : j->attempt - 1);
		if (secs > AGENT_BACKOFF_MAX)
			secs = AGENT_BACKOFF_MAX;
		ms = agent_jitter_ms(secs);
		json_object_set_new(res, "retryAt",
		    json_integer((json_int_t)(time(NULL) + (ms + 999) / 1000)));
	}
	json_object_set_new(a->task_log, j->id, res);
	tasks_save(a);
	return res;
}

/* The worker said it ended: join it, keep and send its result. */
static void
task_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	struct agent_job *j = a->task_job;
	json_t *e;
	char c, *why = NULL;
	ssize_t n;
	int rc;

	do
		n = read(fd, &c, 1);
	while (n == -1 && errno == EINTR);
	if (n != 1 || j == NULL)
		return;
	/* The byte is the worker's last act: this join is immediate. */
	if ((rc = pthread_join(a->task_thread, NULL)) != 0)
		fatalx("task %s: pthread_join: %s", j->id, strerror(rc));
	a->task_job = NULL;
	if ((e = task_record(a, j, &why)) != NULL)
		task_put(a, j->id, e);
	else {
		tasks_backoff(a, why);
		free(why);
	}
	job_free(j);
	/* The runtime is the loop's again: a revision waiting for it goes on. */
	agent_runtime_free_again(a);
}

int
agent_tasks_running(const struct agent *a)
{
	return a->task_job != NULL;
}

int
agent_tasks_stop(struct agent *a)
{
	struct agent_job *j = a->task_job;
	struct timespec now, end;
	struct pollfd pfd;
	char c, *why = NULL;
	ssize_t n;
	long left;
	int rc;

	if (a->task_timer != NULL)
		evtimer_del(a->task_timer);
	if (j != NULL) {
		log_info("task %s: waiting for it to end (at most %d s)", j->id,
		    AGENT_TASK_STOP_MS / 1000);
		clock_gettime(CLOCK_MONOTONIC, &end);
		end.tv_sec += AGENT_TASK_STOP_MS / 1000;
		for (;;) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left = (long)(end.tv_sec - now.tv_sec) * 1000 +
			    (end.tv_nsec - now.tv_nsec) / 1000000;
			if (left <= 0)
				break;
			pfd.fd = a->task_pipe[0];
			pfd.events = POLLIN;
			pfd.revents = 0;
			rc = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
			if (rc == -1 && errno == EINTR)
				continue;
			if (rc == -1) {
				log_warn("task %s: poll", j->id);
				break;
			}
			if (rc == 0)
				break;
			n = read(a->task_pipe[0], &c, 1);
			if (n == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n != 1) {
				log_warn("task %s: reading the tasks' pipe", j->id);
				break;
			}
			if ((rc = pthread_join(a->task_thread, NULL)) != 0)
				fatalx("task %s: pthread_join: %s", j->id, strerror(rc));
			a->task_job = NULL;
			/* Ended in time: its result is kept, and sent by the next
			 * agent (it is unsent). */
			if (task_record(a, j, &why) == NULL) {
				log_info("task %s: not run: %s", j->id, why);
				free(why);
			}
			job_free(j);
			j = NULL;
			break;
		}
		if (j != NULL) {
			log_warnx("task %s did not end in %d s; exiting without "
			    "it (its result is not kept: it runs again after a "
			    "restart)", j->id, AGENT_TASK_STOP_MS / 1000);
			return -1;
		}
	}
	if (a->task_done_ev != NULL)
		event_free(a->task_done_ev);
	a->task_done_ev = NULL;
	if (a->task_pipe[0] >= 0)
		close(a->task_pipe[0]);
	if (a->task_pipe[1] >= 0)
		close(a->task_pipe[1]);
	a->task_pipe[0] = a->task_pipe[1] = -1;
	return 0;
}

void
agent_task_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	const json_t *t;
	const char *id, *state;
	json_t *e = NULL;
	time_t now = time(NULL), wake = 0, at;
	size_t i;

	if (a->task_busy || a->task_job != NULL || a->desired == NULL ||
	    a->rt == NULL || a->task_pipe[1] < 0)
		return;
	/* From a reconcile's render to its status report's observe, the
	 * runtime is the loop's: a task waits (agent_int.h). */
	if (a->state == AG_PUT_MSP || a->state == AG_PUT_ENDPOINTS ||
	    a->state == AG_WAIT_TASK) {
		tasks_later(a, 1000);
		return;
	}
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
		task_start(a, id, t, e);
		return;
	}
	if (wake != 0)
		tasks_later(a, (long)(wake - now) * 1000);
}

/* The open tasks and their last results, for `fabfedctl agent status`;
 * the running one says so. */
json_t *
agent_tasks_status_json(struct agent *a)
{
	const json_t *t;
	const char *id;
	json_t *out = json_array(), *e, *row;
	size_t i;

	json_array_foreach(a->tasks, i, t) {
		if ((id = json_string_value(json_object_get(t, "id"))) == NULL)
			continue;
		e = json_object_get(a->task_log, id);
		row = json_pack("{s:s, s:O?, s:O?, s:O?, s:O?}",
		    "id", id, "type", json_object_get(t, "type"), "channel",
		    json_object_get(t, "channel"), "node", json_object_get(t, "node"),
		    "lastResult", e);
		if (a->task_job != NULL && strcmp(a->task_job->id, id) == 0)
			json_object_set_new(row, "running", json_true());
		json_array_append_new(out, row);
	}
	return out;
}

/* The task on the worker: {"id", "since", "attempt"}, or NULL. Caller
 * decrefs. */
json_t *
agent_tasks_running_json(struct agent *a)
{
	const struct agent_job *j = a->task_job;

	if (j == NULL)
		return NULL;
	return json_pack("{s:s, s:I, s:I}", "id", j->id, "since",
	    (json_int_t)j->started, "attempt", j->attempt);
}
