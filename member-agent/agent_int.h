/*
 * agent_int.h: what agent.c, agent_signer.c and agent_tasks.c share: the
 * agent's state (struct agent) and the functions each calls in the others.
 * Private to fabfed-agent's `run`; agent.h is the public side.
 */
#ifndef AGENT_INT_H
#define AGENT_INT_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/evp.h>

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
	/* Tasks (docs/agent-tasks.md): run one at a time, blocking the loop. */
	json_t *tasks;          /* the org's open tasks, as last answered */
	json_t *task_log;       /* id -> {"state","message","detail","at","attempts",
				 * "retryAt","sent","dropped"}, in STATE/tasks.json */
	char *tasks_file;
	struct event *task_timer;
	int task_busy;          /* a result PUT in flight ... */
	char *task_put_id;      /* ... for this task */
	int task_backoff;       /* seconds: signer down, result PUT failing */
};
/* agent.c */
long	 agent_jitter_ms(int);
json_t	*agent_find_org(const json_t *, const char *);
char	*agent_failure(const char *, const struct httpc_answer *);

/* agent_signer.c: the signer child's supervision. */
void	 agent_signer_start(struct agent *);
void	 agent_signer_restart_cb(evutil_socket_t, short, void *);
void	 agent_sigchld_cb(evutil_socket_t, short, void *);
void	 agent_signer_stop(struct agent *);

/* agent_tasks.c: the org's tasks, their results and tasks.json. */
void	 agent_tasks_load(struct agent *);
void	 agent_tasks_set(struct agent *, json_t *);
void	 agent_tasks_kick(struct agent *);
void	 agent_task_timer_cb(evutil_socket_t, short, void *);
json_t	*agent_tasks_status_json(struct agent *);

#endif /* AGENT_INT_H */
