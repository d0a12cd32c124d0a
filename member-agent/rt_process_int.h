/*
 * rt_process_int.h: what the process runtime's files share
 * (rt_process.c: the runtime; rt_process_sup.c: the supervisor and the
 * process checks; rt_process_conf.c: the node's config). Not for others:
 * the runtime's API is in runtime.h.
 */
#ifndef FABFED_RT_PROCESS_INT_H
#define FABFED_RT_PROCESS_INT_H

#include <stdint.h>
#include <sys/types.h>

#include "runtime.h"

#define RTP_MAX_CRASHES 64      /* crash_max bound */

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
