/*
 * embed.c: a supervised single-member etcd child process.
 */
#include "embed.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "opts.h"
#include "pki.h"
#include "xmalloc.h"

#define EMBED_STOP_WAIT_MS 10000
#define EMBED_MAX_BACKOFF  30

struct embed {
	struct event_base *base;
	char *dir;             /* STATE */
	char *endpoint;
	int client_port;
	int peer_port;
	pid_t pid;
	time_t started;
	int backoff;           /* seconds before the next restart */
	int stopping;
	struct event *sigchld;
	struct event *restart;
};

/* Whether a loopback port can be bound now. */
static int
embed_port_free(int port)
{
	struct sockaddr_in sin;
	int fd, one = 1, ok;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ok = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return ok;
}

/* Two free loopback ports, chosen while both are held. */
static int
embed_free_ports(int *a, int *b)
{
	int fds[2] = { -1, -1 }, ports[2], i, ret = -1;

	for (i = 0; i < 2; i++) {
		struct sockaddr_in sin;
		socklen_t len = sizeof(sin);

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if ((fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
		    bind(fds[i], (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
		    getsockname(fds[i], (struct sockaddr *)&sin, &len) != 0)
			goto done;
		ports[i] = ntohs(sin.sin_port);
	}
	*a = ports[0];
	*b = ports[1];
	ret = 0;
done:
	for (i = 0; i < 2; i++)
		if (fds[i] != -1)
			close(fds[i]);
	return ret;
}

static int
embed_load_ports(struct embed *e)
{
	char *path = xasprintf("%s/etcd.ports", e->dir), line[64], *sp;
	long long a, b;
	FILE *f;
	int ret = -1;

	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(line, sizeof(line), f) != NULL && (sp = strchr(line, ' ')) != NULL) {
			*sp++ = '\0';
			sp[strcspn(sp, "\n")] = '\0';
			if (opts_number(line, 1, 65535, &a) == 0 &&
			    opts_number(sp, 1, 65535, &b) == 0) {
				e->client_port = (int)a;
				e->peer_port = (int)b;
				ret = 0;
			}
		}
		fclose(f);
	}
	free(path);
	return ret;
}

static int
embed_new_ports(struct embed *e, char **cause)
{
	char *path, text[64];
	int ret;

	if (embed_free_ports(&e->client_port, &e->peer_port) != 0) {
		*cause = xasprintf("cannot find free loopback ports: %s", strerror(errno));
		return -1;
	}
	snprintf(text, sizeof(text), "%d %d\n", e->client_port, e->peer_port);
	path = xasprintf("%s/etcd.ports", e->dir);
	ret = pki_file_write(path, text, strlen(text), 0644, cause);
	free(path);
	return ret;
}

static int
embed_spawn(struct embed *e, char **cause)
{
	char *client = xasprintf("http://127.0.0.1:%d", e->client_port);
	char *peer = xasprintf("http://127.0.0.1:%d", e->peer_port);
	char *cluster = xasprintf("fabfed=%s", peer);
	char *data = xasprintf("%s/etcd", e->dir);
	char *logp = xasprintf("%s/etcd.log", e->dir);
	pid_t parent = getpid(), pid;
	int ret = -1;

	if ((pid = fork()) == -1) {
		*cause = xasprintf("fork: %s", strerror(errno));
		goto done;
	}
	if (pid == 0) {
		int fd;

		/* Die with the controller, even on SIGKILL. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		setpgid(0, 0);
		if ((fd = open(logp, O_WRONLY | O_CREAT | O_APPEND, 0600)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		fd = open("/dev/null", O_RDONLY);
		if (fd != -1) {
			dup2(fd, 0);
			close(fd);
		}
		execlp("etcd", "etcd", "--name", "fabfed", "--data-dir", data,
		    "--listen-client-urls", client, "--advertise-client-urls", client,
		    "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		    "--initial-cluster", cluster, "--initial-cluster-state", "new",
		    "--logger", "zap", "--log-level", "warn",
		    (char *)NULL);
		_exit(127);
	}
	e->pid = pid;
	e->started = time(NULL);
	free(e->endpoint);
	e->endpoint = client;
	client = NULL;
	log_info("embedded etcd started (pid %ld) on %s, data in %s", (long)pid,
	    e->endpoint, data);
	ret = 0;
done:
	free(client);
	free(peer);
	free(cluster);
	free(data);
	free(logp);
	return ret;
}

static void
embed_restart_cb(evutil_socket_t fd, short what, void *arg)
{
	struct embed *e = arg;
	char *cause = NULL;

	if (e->stopping || e->pid > 0)
		return;
	if (embed_spawn(e, &cause) != 0) {
		log_warnx("cannot restart etcd: %s", cause);
		free(cause);
	}
}

static void
embed_sigchld_cb(evutil_socket_t fd, short what, void *arg)
{
	struct embed *e = arg;
	struct timeval tv;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != e->pid)
			continue;
		e->pid = 0;
		if (e->stopping)
			continue;
		if (WIFEXITED(status))
			log_warnx("embedded etcd exited with status %d (see %s/etcd.log)",
			    WEXITSTATUS(status), e->dir);
		else
			log_warnx("embedded etcd killed by signal %d", WTERMSIG(status));
		e->backoff = e->backoff == 0 ? 1 : e->backoff * 2;
		if (e->backoff > EMBED_MAX_BACKOFF)
			e->backoff = EMBED_MAX_BACKOFF;
		if (time(NULL) - e->started > 60)
			e->backoff = 1;
		tv.tv_sec = e->backoff;
		tv.tv_usec = 0;
		evtimer_add(e->restart, &tv);
	}
}

struct embed *
embed_start(struct event_base *base, const char *statedir, char **cause)
{
	struct embed *e = xcalloc(1, sizeof(*e));

	e->base = base;
	e->dir = xstrdup(statedir);
	/*
	 * The ports are kept across restarts; only if one was taken meanwhile
	 * are new ones picked (etcd's data does not depend on them). They never
	 * change while the controller runs: its etcd client holds the URL.
	 */
	if ((embed_load_ports(e) != 0 || !embed_port_free(e->client_port) ||
	    !embed_port_free(e->peer_port)) && embed_new_ports(e, cause) != 0)
		goto fail;
	e->sigchld = evsignal_new(base, SIGCHLD, embed_sigchld_cb, e);
	e->restart = evtimer_new(base, embed_restart_cb, e);
	if (e->sigchld == NULL || e->restart == NULL || evsignal_add(e->sigchld, NULL) != 0) {
		*cause = xstrdup("cannot watch SIGCHLD");
		goto fail;
	}
	if (embed_spawn(e, cause) != 0)
		goto fail;
	return e;
fail:
	embed_stop(e);
	return NULL;
}

const char *
embed_endpoint(const struct embed *e)
{
	return e->endpoint;
}

void
embed_stop(struct embed *e)
{
	struct timespec ts = { 0, 50L * 1000 * 1000 };
	int i, status;

	if (e == NULL)
		return;
	e->stopping = 1;
	if (e->pid > 0) {
		kill(e->pid, SIGTERM);
		/* Shutdown path: a bounded wait is fine here, the loop is done. */
		for (i = 0; i < EMBED_STOP_WAIT_MS / 50; i++) {
			if (waitpid(e->pid, &status, WNOHANG) == e->pid)
				break;
			nanosleep(&ts, NULL);
		}
		if (i == EMBED_STOP_WAIT_MS / 50) {
			log_warnx("etcd (pid %ld) did not stop; killing it", (long)e->pid);
			kill(e->pid, SIGKILL);
			waitpid(e->pid, &status, 0);
		}
		log_info("embedded etcd stopped");
	}
	if (e->sigchld != NULL)
		event_free(e->sigchld);
	if (e->restart != NULL)
		event_free(e->restart);
	free(e->dir);
	free(e->endpoint);
	free(e);
}
