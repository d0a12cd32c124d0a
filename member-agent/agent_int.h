/*
 * agent_int.h: what agent.c, agent_signer.c and agent_tasks.c share: the
 * agent's state (struct agent) and the functions each calls in the others.
 * Private to fabfed-agent's `run`; agent.h is the public side.
 */
#ifndef AGENT_INT_H
#define AGENT_INT_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/evp.h>

struct agent_job;
struct httpc;
struct httpc_answer;
struct runtime;

#define AGENT_MAX_ANSWER     (8 * 1024 * 1024)
#define AGENT_CALL_MS        15000
#define AGENT_HEARTBEAT_SECS 10
#define AGENT_BACKOFF_MIN    1
#define AGENT_BACKOFF_MAX    60
#define AGENT_MAX_TASK_ID    256     /* bytes of a task id put in a path */
#define AGENT_PING_MS        2000    /* the signer's PING before tasks */

enum ag_state {
	AG_POLL,          /* long poll in flight */
	AG_PUT_MSP,       /* publishing the org's public MSP */
	AG_PUT_ENDPOINTS, /* publishing endpoints and orderer TLS certs */
	AG_PUT_STATUS,    /* reporting what was applied */
	AG_BACKOFF,       /* waiting before trying again */
	AG_WAIT_TASK,     /* a revision to apply waits for the running task
			   * to give the runtime back (agent_tasks.c) */
};

struct agent {
	struct event_base *base;
	struct httpc *http;
	struct runtime *rt;
	char *dir;
	char *controller;       /* https://host:port */
	char *consortium;
	char *mspid;
	char *pkidir;
	char *statefile;
	int poll_secs;
	int once;               /* exit after the first reconcile (tests) */
	enum ag_state state;
	int64_t applied;        /* last revision fully applied and reported */
	int64_t pending_rev;    /* revision being applied */
	json_t *desired;        /* the answer being applied */
	char *msp_body;         /* JSON to PUT */
	char *endpoints_body;
	int backoff;            /* seconds of the last backoff */
	struct event *retry;
	struct event *heartbeat;
	struct event *sigterm, *sigint;
	int exit_code;
	/* Local admin socket (nanomsg REP, ipc://STATE/admin.sock). */
	int admin_sock;
	char *admin_url;
	struct event *admin_ev;
	/* The signer: a child process holding the org admin's key. */
	pid_t signer_pid;
	time_t signer_started;
	struct event *sigchld;
	struct event *signer_restart;
	char *self;             /* this program, to run `signer` */
	char *last_error;       /* the last failure, for status */
	/* Certificate renewal: checked at start and every few hours. */
	int renew_before_days;
	struct event *renew_timer;
	EVP_PKEY *renew_key;    /* set while a renewal is in flight */
	time_t last_applied_at;
	char *outdir;           /* manifests/kubernetes output (channels/ for tasks) */
	/*
	 * Tasks (docs/agent-tasks.md): one at a time, each on a worker
	 * thread (agent_tasks.c) so that the loop keeps heartbeating,
	 * polling and answering status meanwhile. Everything here belongs
	 * to the loop thread; the worker sees only its struct agent_job.
	 */
	json_t *tasks;          /* the org's open tasks, as last answered */
	json_t *task_log;       /* id -> {"state","message","detail","at","attempts",
				 * "retryAt","sent","dropped"}, in STATE/tasks.json */
	char *tasks_file;
	struct event *task_timer;
	int task_busy;          /* a result PUT in flight ... */
	char *task_put_id;      /* ... for this task */
	int task_backoff;       /* seconds: signer down, result PUT failing */
	struct agent_job *task_job; /* the task on the worker, or NULL */
	pthread_t task_thread;  /* valid while task_job != NULL */
	int task_pipe[2];       /* worker -> loop: a byte when the task ended */
	struct event *task_done_ev;
};
/* agent.c */
long	 agent_jitter_ms(int);
json_t	*agent_find_org(const json_t *, const char *);
char	*agent_failure(const char *, const struct httpc_answer *);
/* The running task gave the runtime back: a revision waiting for it
 * (AG_WAIT_TASK) is applied now. */
void	 agent_runtime_free_again(struct agent *);

/* agent_signer.c: the signer child's supervision. */
void	 agent_signer_start(struct agent *);
void	 agent_signer_restart_cb(evutil_socket_t, short, void *);
void	 agent_sigchld_cb(evutil_socket_t, short, void *);
void	 agent_signer_stop(struct agent *);

/*
 * agent_tasks.c: the org's tasks, their results and tasks.json.
 *
 * The runtime (a->rt) has one user at a time: while a task runs, the
 * worker may call into it (rt_process_node_info), so the loop makes no
 * runtime call (render, observe): agent_tasks_running says when, and a
 * task is not started between a reconcile's render and its status
 * report's observe (states AG_PUT_MSP, AG_PUT_ENDPOINTS, AG_WAIT_TASK).
 */
int	 agent_tasks_init(struct agent *, char **cause);
void	 agent_tasks_load(struct agent *);
void	 agent_tasks_set(struct agent *, json_t *);
void	 agent_tasks_kick(struct agent *);
void	 agent_task_timer_cb(evutil_socket_t, short, void *);
int	 agent_tasks_running(const struct agent *);
/* At exit: no new task; a running one is waited for (at most its bound:
 * the signer's PING, TASKS_TASK_MS and one call of slack). 0 when no
 * worker is left, -1 when one still runs: the runtime must then not be
 * freed. */
int	 agent_tasks_stop(struct agent *);
json_t	*agent_tasks_status_json(struct agent *);
/* The running task ({"id", "since", "attempt"}) or NULL, for status.
 * Caller decrefs. */
json_t	*agent_tasks_running_json(struct agent *);

#endif /* AGENT_INT_H */
