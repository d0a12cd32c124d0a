/*
 * rt_process_sup.c: the process runtime's supervisor, and how the runtime
 * checks processes.
 *
 * A supervisor is forked from the agent (no exec) for each node. It drops
 * all of the agent's (signal handlers, file descriptors, stdio), puts
 * itself in its own process group, dies with the agent
 * (PR_SET_PDEATHSIG), and runs the node as its own child, also in its own
 * process group and also with PR_SET_PDEATHSIG. It copies the node's
 * stdout and stderr into node.log (rotated to node.log.1 at lim.log_max),
 * restarts the node after a crash with a delay doubling from
 * lim.backoff_min_ms to lim.backoff_max_ms (a run that lasted
 * backoff_max_ms resets it), gives up after lim.crash_max crashes within
 * lim.crash_window_s (status "failed", then exits), and on SIGTERM, SIGINT
 * or SIGHUP stops the node (SIGTERM, then SIGKILL to its group after
 * lim.stop_wait_ms) and exits. What it sees goes to status.json (written
 * to a temporary file and renamed), which the runtime reads. Its loop is
 * poll(2) over the node's output and a signalfd; no threads.
 *
 * Processes are told apart by pid AND /proc start time AND executable, so
 * a reused pid is never taken for ours.
 */
#include "rt_process_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "xmalloc.h"

#define RTP_POLL_MS       20              /* while waiting for an exit */
#define RTP_TAIL_BYTES    8192            /* of node.log read for a detail */
#define RTP_TAIL_LINES    12

int64_t
rtps_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
rtps_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* ---- processes, by pid and /proc start time ---- */

/* Fields of /proc/PID/stat: 0 when read. */
int
rtps_stat(pid_t pid, char *state, pid_t *ppid, unsigned long long *start)
{
	char path[64], buf[1024], *p, *save = NULL, *f;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command name may hold anything: fields start after the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return -1;
	p += 2;
	for (i = 3, f = strtok_r(p, " ", &save); f != NULL && i <= 22;
	    i++, f = strtok_r(NULL, " ", &save)) {
		if (i == 3 && state != NULL)
			*state = f[0];
		else if (i == 4 && ppid != NULL)
			*ppid = (pid_t)strtol(f, NULL, 10);
		else if (i == 22) {
			if (start != NULL)
				*start = strtoull(f, NULL, 10);
			return 0;
		}
	}
	return -1;
}

/* 1 when /proc/PID's program is exe: its executable or, for a script,
 * the argv[0] or argv[1] the kernel ran it with. */
static int
rtps_exe_is(pid_t pid, const char *exe)
{
	char path[64], link[PATH_MAX], cmd[4096];
	const char *del = " (deleted)";
	size_t dl = strlen(del), off;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	if ((n = readlink(path, link, sizeof(link) - 1)) > 0) {
		link[n] = '\0';
		if ((size_t)n > dl && strcmp(link + n - dl, del) == 0)
			link[n - dl] = '\0';
		if (strcmp(link, exe) == 0)
			return 1;
	}
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	cmd[n] = '\0';
	for (i = 0, off = 0; i < 2 && off < (size_t)n; i++) {
		if (strcmp(cmd + off, exe) == 0)
			return 1;
		off += strlen(cmd + off) + 1;
	}
	return 0;
}

/* 1 when pid is alive (not a zombie), started at start and runs exe. */
int
rtps_alive(pid_t pid, unsigned long long start, const char *exe)
{
	unsigned long long s;
	char st;

	if (pid <= 1 || rtps_stat(pid, &st, NULL, &s) != 0 || st == 'Z' ||
	    st == 'X' || s != start)
		return 0;
	return exe == NULL || rtps_exe_is(pid, exe);
}

/* Waits (at most ms) until pid is gone, reaping it if it is our child. */
int
rtps_wait_gone(pid_t pid, unsigned long long start, long ms)
{
	int64_t end = rtps_ms() + ms;
	int status;

	for (;;) {
		(void)waitpid(pid, &status, WNOHANG);
		if (!rtps_alive(pid, start, NULL))
			return 0;
		if (rtps_ms() >= end)
			return -1;
		rtps_sleep_ms(RTP_POLL_MS);
	}
}

/* SIGTERM, a bounded wait, SIGKILL (to its process group too). */
void
rtps_kill(pid_t pid, unsigned long long start, long wait_ms, int group)
{
	kill(pid, SIGTERM);
	if (rtps_wait_gone(pid, start, wait_ms) == 0)
		return;
	if (group)
		kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	(void)rtps_wait_gone(pid, start, 2000);
}

/* ---- the supervisor (runs in the forked child, never returns) ---- */

static void
rtp_nanny_line(int fd, size_t *size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
rtp_nanny_line(int fd, size_t *size, const char *fmt, ...)
{
	char line[1024], ts[32];
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;
	int n, m;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S UTC", &tm);
	n = snprintf(line, sizeof(line), "%s fabfed-agent: ", ts);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n = (int)strlen(line);
	line[n++] = '\n';
	if (write(fd, line, (size_t)n) == n)
		*size += (size_t)n;
}

struct rtp_nanny {
	const struct rtp_spawn *sp;
	pid_t child;
	unsigned long long child_start;
	int pipe;              /* the node's stdout + stderr, or -1 */
	int log;
	size_t logsize;
	unsigned int starts, consecutive;
	int64_t started_ms, next_ms, kill_ms;
	int stopping, killed;
	time_t crashes[RTP_MAX_CRASHES];
	unsigned int ncrashes;
	char last_exit[128];
};

static void
rtp_nanny_status(struct rtp_nanny *z, const char *state, const char *reason)
{
	int64_t in = z->next_ms - rtps_ms();
	json_t *o;
	char *tmp;

	o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:s, s:I, s:I, s:s}",
	    "state", state, "supervisor", (json_int_t)getpid(),
	    "pid", (json_int_t)z->child, "start", (json_int_t)z->child_start,
	    "restarts", (json_int_t)(z->starts > 0 ? z->starts - 1 : 0),
	    "lastExit", z->last_exit, "since", (json_int_t)time(NULL),
	    "nextStartMs", (json_int_t)(strcmp(state, "backoff") == 0 &&
	    in > 0 ? in : 0), "reason", reason != NULL ? reason : "");
	if (o == NULL)
		return;
	tmp = xasprintf("%s.tmp", z->sp->status);
	if (json_dump_file(o, tmp, JSON_INDENT(2)) == 0)
		(void)rename(tmp, z->sp->status);
	free(tmp);
	json_decref(o);
}

static void
rtp_nanny_logopen(struct rtp_nanny *z)
{
	struct stat st;

	z->log = open(z->sp->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600);
	if (z->log == -1)
		z->log = open("/dev/null", O_WRONLY | O_CLOEXEC);
	z->logsize = fstat(z->log, &st) == 0 ? (size_t)st.st_size : 0;
}

/* Copies what the node wrote into node.log; rotates past the limit. */
static void
rtp_nanny_pump(struct rtp_nanny *z, size_t max)
{
	char buf[65536], *old;
	size_t total = 0;
	ssize_t n;

	while (z->pipe != -1 && total < max) {
		n = read(z->pipe, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(z->pipe);
			z->pipe = -1;
			return;
		}
		total += (size_t)n;
		if (write(z->log, buf, (size_t)n) > 0)
			z->logsize += (size_t)n;
		if (z->logsize >= z->sp->lim.log_max) {
			old = xasprintf("%s.1", z->sp->log);
			close(z->log);
			(void)rename(z->sp->log, old);
			free(old);
			rtp_nanny_logopen(z);
		}
	}
}

static void
rtp_nanny_start(struct rtp_nanny *z)
{
	sigset_t none;
	pid_t pid, me = getpid();
	int p[2], fd;

	z->starts++;
	z->started_ms = rtps_ms();
	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(z->last_exit, sizeof(z->last_exit), "no pipe: %s",
		    strerror(errno));
		z->child = 0;
		return;
	}
	if ((pid = fork()) == -1) {
		snprintf(z->last_exit, sizeof(z->last_exit), "fork failed: %s",
		    strerror(errno));
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		/* The node: own process group, dies with its supervisor. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != me)
			_exit(1);
		signal(SIGPIPE, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if ((fd = open("/dev/null", O_RDONLY)) != -1 && fd != 0) {
			dup2(fd, 0);
			close(fd);
		}
		dup2(p[1], 1);
		dup2(p[1], 2);
		if (chdir(z->sp->dir) == -1)
			_exit(126);
		execve(z->sp->bin, z->sp->argv, z->sp->envp);
		dprintf(2, "fabfed-agent: cannot run %s: %s\n", z->sp->bin,
		    strerror(errno));
		_exit(127);
	}
	close(p[1]);
	z->pipe = p[0];
	fcntl(z->pipe, F_SETFL, fcntl(z->pipe, F_GETFL) | O_NONBLOCK);
	z->child = pid;
	z->child_start = 0;
	(void)rtps_stat(pid, NULL, NULL, &z->child_start);
	z->started_ms = rtps_ms();
	rtp_nanny_line(z->log, &z->logsize, "started %s %s (pid %ld, start %u)",
	    z->sp->kind, z->sp->name, (long)pid, z->starts);
	rtp_nanny_status(z, "running", NULL);
}

/* The node exited: decide between a restart later and giving up. */
static void __attribute__((noreturn))
rtp_nanny_exit(struct rtp_nanny *z, const char *state)
{
	rtp_nanny_status(z, state, NULL);
	_exit(0);
}

static void
rtp_nanny_exited(struct rtp_nanny *z, int status)
{
	const struct rt_process_limits *lim = &z->sp->lim;
	int64_t ran = rtps_ms() - z->started_ms, delay;
	time_t now = time(NULL);
	unsigned int i, inwin = 0;
	char *why;

	rtp_nanny_pump(z, 1024 * 1024);
	if (z->pipe != -1) {
		close(z->pipe);
		z->pipe = -1;
	}
	if (WIFEXITED(status))
		snprintf(z->last_exit, sizeof(z->last_exit), "exit status %d",
		    WEXITSTATUS(status));
	else
		snprintf(z->last_exit, sizeof(z->last_exit), "killed by signal "
		    "%d", WTERMSIG(status));
	z->child = 0;
	z->child_start = 0;
	if (z->stopping) {
		rtp_nanny_line(z->log, &z->logsize, "%s %s stopped (%s)",
		    z->sp->kind, z->sp->name, z->last_exit);
		rtp_nanny_exit(z, "stopped");
	}
	if (ran >= (int64_t)lim->backoff_max_ms)
		z->consecutive = 0;
	z->consecutive++;
	memmove(z->crashes + 1, z->crashes, sizeof(z->crashes[0]) *
	    (RTP_MAX_CRASHES - 1));
	z->crashes[0] = now;
	if (z->ncrashes < RTP_MAX_CRASHES)
		z->ncrashes++;
	for (i = 0; i < z->ncrashes; i++)
		if (now - z->crashes[i] <= (time_t)lim->crash_window_s)
			inwin++;
	if (inwin >= lim->crash_max) {
		why = xasprintf("exited %u times in %u s (last: %s); not "
		    "restarted again", inwin, lim->crash_window_s, z->last_exit);
		rtp_nanny_line(z->log, &z->logsize, "%s %s %s", z->sp->kind,
		    z->sp->name, why);
		rtp_nanny_status(z, "failed", why);
		free(why);
		_exit(0);
	}
	delay = lim->backoff_min_ms;
	for (i = 1; i < z->consecutive && delay < (int64_t)lim->backoff_max_ms;
	    i++)
		delay *= 2;
	if (delay > (int64_t)lim->backoff_max_ms)
		delay = lim->backoff_max_ms;
	z->next_ms = rtps_ms() + delay;
	rtp_nanny_line(z->log, &z->logsize, "%s %s exited (%s) after %.1f s; "
	    "restarting in %.1f s", z->sp->kind, z->sp->name, z->last_exit,
	    (double)ran / 1000, (double)delay / 1000);
	rtp_nanny_status(z, "backoff", NULL);
}

void
rtps_supervise(const struct rtp_spawn *sp)
{
	struct rtp_nanny z;
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	sigset_t mask;
	int64_t now;
	int sig, sfd, status, timeout;
	pid_t pid;

	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != sp->parent)
		_exit(0);
	/* Nothing of the agent's: not its stdio (a pipe someone waits on)... */
	if ((sfd = open("/dev/null", O_RDWR)) != -1) {
		dup2(sfd, 0);
		dup2(sfd, 1);
		dup2(sfd, 2);
		if (sfd > 2)
			close(sfd);
	}
	/* ... nor its sockets, its event loop's fds. */
	if (close_range(3, ~0U, 0) == -1) {
		long fd, max = sysconf(_SC_OPEN_MAX);

		for (fd = 3; fd < max && fd < 65536; fd++)
			close((int)fd);
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		_exit(1);
	memset(&z, 0, sizeof(z));
	z.sp = sp;
	z.pipe = -1;
	rtp_nanny_logopen(&z);
	z.next_ms = rtps_ms();
	for (;;) {
		now = rtps_ms();
		if (z.child == 0 && !z.stopping && now >= z.next_ms) {
			rtp_nanny_start(&z);
			if (z.child == 0) {
				rtp_nanny_exited(&z, 127 << 8);
				continue;
			}
		}
		timeout = -1;
		if (z.child == 0 && !z.stopping)
			timeout = (int)(z.next_ms - now > 0 ? z.next_ms - now : 0);
		else if (z.stopping && !z.killed)
			timeout = (int)(z.kill_ms - now > 0 ? z.kill_ms - now : 0);
		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = z.pipe;
		pfd[1].events = POLLIN;
		if (poll(pfd, z.pipe != -1 ? 2 : 1, timeout) == -1 &&
		    errno != EINTR)
			_exit(1);
		if (z.pipe != -1 && (pfd[1].revents & (POLLIN | POLLHUP)))
			rtp_nanny_pump(&z, 1024 * 1024);
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGCHLD)
				continue;
			if (z.stopping)
				continue;
			z.stopping = 1;
			if (z.child == 0) {
				rtp_nanny_line(z.log, &z.logsize, "%s %s: stop "
				    "asked while waiting to restart", sp->kind,
				    sp->name);
				rtp_nanny_exit(&z, "stopped");
			}
			rtp_nanny_line(z.log, &z.logsize, "stopping %s %s "
			    "(SIGTERM to pid %ld)", sp->kind, sp->name,
			    (long)z.child);
			kill(z.child, SIGTERM);
			z.kill_ms = rtps_ms() + sp->lim.stop_wait_ms;
			rtp_nanny_status(&z, "stopping", NULL);
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (pid == z.child)
				rtp_nanny_exited(&z, status);
		if (z.stopping && z.child != 0 && !z.killed &&
		    rtps_ms() >= z.kill_ms) {
			rtp_nanny_line(z.log, &z.logsize, "%s %s did not stop in "
			    "%u ms: SIGKILL", sp->kind, sp->name,
			    sp->lim.stop_wait_ms);
			kill(-z.child, SIGKILL);
			kill(z.child, SIGKILL);
			z.killed = 1;
		}
	}
}


char *
rtps_log_tail(const char *dir)
{
	char *path = xasprintf("%s/node.log", dir), *s, *out;
	char buf[RTP_TAIL_BYTES + 1] = "";
	struct stat st;
	off_t from;
	ssize_t n;
	int fd, lines = 0;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		from = fstat(fd, &st) == 0 && st.st_size > RTP_TAIL_BYTES ?
		    st.st_size - RTP_TAIL_BYTES : 0;
		n = pread(fd, buf, RTP_TAIL_BYTES, from);
		buf[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	free(path);
	n = (ssize_t)strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	for (s = buf + n; s > buf; s--) {
		if (s[-1] == '\n' && ++lines == RTP_TAIL_LINES)
			break;
	}
	for (out = s; *s != '\0'; s++) {
		if (((unsigned char)*s < 0x20 && *s != '\n') || *s == 0x7f)
			*s = ' ';
	}
	return xstrdup(out);
}

