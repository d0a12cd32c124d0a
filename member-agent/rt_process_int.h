/*
 * rt_process_int.h: what the process runtime's files share
 * (rt_process.c: the runtime; rt_process_observe.c: observing a node and
 * its info; rt_process_sup.c: the supervisor and the process checks;
 * rt_process_conf.c: the node's config). Not for others: the runtime's
 * API is in runtime.h.
 */
#ifndef FABFED_RT_PROCESS_INT_H
#define FABFED_RT_PROCESS_INT_H

#include <stdint.h>
#include <sys/types.h>

#include <curl/curl.h>
#include <jansson.h>

#include "runtime.h"

#define RTP_MAX_CRASHES 64      /* crash_max bound */

struct rtp {
	char *bin;          /* FABRIC_BIN, resolved */
	char *cfgdir;       /* Fabric's sample config */
	char *procdir;      /* STATEDIR/process */
	char *listen;       /* main ports' address when the endpoint is a name */
	char *self;         /* this program, resolved (supervisors run it) */
	char *builder;      /* FABRIC_BIN/../builders/ccaas when there */
	struct rt_process_limits lim;
	CURL *curl;
	json_t *started;    /* node -> {"pid", "hash"}: started by this runtime */
};

/* One node of the org, for one call. */
struct rtp_node {
	char *name;
	const char *kind;   /* "peer" or "orderer" */
	const json_t *tnode;
	const json_t *org;
	const char *endpoint;
	char *host;
	unsigned int port;
	char *dir, *cfgdir, *datadir, *pkinode, *tlsca, *binpath, *cfgfile;
	struct rt_process_ports ports;
};

/* The supervisor and the node recorded for dir, when alive. */
struct rtp_procs {
	pid_t sup, node;
	unsigned long long sup_start, node_start;
	json_t *supj, *statj;  /* the files, may be NULL */
};

/* rt_process.c: the runtime's helpers its other files call. */
struct rtp *rtp_of(struct runtime *);
/* A node name that is safe as a path component. */
int rtp_name_ok(const char *);
/* A JSON state file of ours, or NULL when absent or unreadable. */
json_t *rtp_state_read(const char *dir, const char *file);
/* Reaps the supervisors this runtime started that have exited. */
void rtp_reap(struct rtp *);
void rtp_procs_read(struct rtp *, const char *dir, struct rtp_procs *);
void rtp_procs_clear(struct rtp_procs *);
void rtp_node_clear(struct rtp_node *);
/* The org and node of a call, dirs made, ports assigned. */
int rtp_node_load(struct rtp *, const struct rt_org *, const char *name,
    struct rtp_node *, char **cause);
const char *rtp_listen_host(struct rtp *, const struct rtp_node *);

/* rt_process_observe.c: the runtime's observe call. */
int rtp_observe(struct runtime *, const struct rt_org *, const char *name,
    enum rt_state *, char **detail, char **cause);

/* What a supervisor runs; made before the fork, borrowed by the child. */
struct rtp_spawn {
	const char *name, *kind, *bin, *dir, *log, *status;
	char *const *argv;
	char *const *envp;
	struct rt_process_limits lim;
	pid_t parent;           /* the agent: the supervisor dies with it */
};

/* Monotonic milliseconds; a sleep that EINTR does not cut short. */
int64_t rtps_ms(void);
void rtps_sleep_ms(long);
/* Fields of /proc/PID/stat (each may be NULL). 0, or -1 when gone. */
int rtps_stat(pid_t, char *state, pid_t *ppid, unsigned long long *start);
/* 1 when pid is alive (not a zombie), started at start (/proc ticks) and
 * runs exe (its executable, or a script's argv[0] or argv[1]); exe may be
 * NULL. */
int rtps_alive(pid_t, unsigned long long start, const char *exe);
/* Waits (at most ms) until pid is gone, reaping it when it is our child.
 * 0 when gone, -1 when still there. */
int rtps_wait_gone(pid_t, unsigned long long start, long ms);
/* SIGTERM, at most wait_ms for it to go, then SIGKILL (and to its process
 * group when group). */
void rtps_kill(pid_t, unsigned long long start, long wait_ms, int group);
/* The supervisor's life, in the forked child. Never returns. */
void rtps_supervise(const struct rtp_spawn *) __attribute__((noreturn));
/* The last lines of DIR/node.log, control characters blanked. Caller
 * frees. */
char *rtps_log_tail(const char *dir);

/* SHA-256 (hex, caller frees) of what a node runs with: its binary's
 * path, its config text, its environment and its PKI files. */
char *rt_process_conf_hash(const char *binpath, const char *conf,
    char *const *env, const char *pkinode, const char *tlsca);
/* path := text (0600, atomically) unless it holds those bytes already. */
int rt_process_conf_write(const char *path, const char *text, char **cause);

#endif
