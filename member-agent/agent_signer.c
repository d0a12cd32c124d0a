/*
 * agent_signer.c: the agent's supervision of its signer child
 * (`fabfed-agent signer`): start it once the PKI exists, restart it after
 * a pause when SIGCHLD says it died, stop it at shutdown.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "agent_int.h"
#include "log.h"
#include "xmalloc.h"

/*
 * The signer runs as `fabfed-agent signer` in its own process, with the org
 * admin's key; this process never loads that key. Started once the PKI
 * exists, restarted (after a pause) if it dies.
 */
void
agent_signer_start(struct agent *a)
{
	const char *domain = NULL;
	json_t *me;
	char *keyp, *certp, *sock, *logp;
	pid_t pid;
	int fd;

	if (a->desired == NULL || (me = agent_find_org(json_object_get(a->desired, "spec"),
	    a->mspid)) == NULL || (domain = json_string_value(json_object_get(me,
	    "domain"))) == NULL)
		return;
	keyp = xasprintf("%s/users/Admin@%s/msp/keystore/priv_sk", a->pkidir, domain);
	certp = xasprintf("%s/users/Admin@%s/msp/signcerts/Admin@%s-cert.pem", a->pkidir,
	    domain, domain);
	sock = xasprintf("ipc://%s/signer.sock", a->dir);
	logp = xasprintf("%s/signer.log", a->dir);
	if (access(keyp, R_OK) != 0 || access(certp, R_OK) != 0) {
		log_warnx("signer not started: %s or %s missing", keyp, certp);
		goto done;
	}
	if ((pid = fork()) == -1) {
		log_warn("fork (signer)");
		goto done;
	}
	if (pid == 0) {
		/* The signer goes with its agent, even if the agent is SIGKILLed. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(1);
		if ((fd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(a->self, a->self, "signer", "--state-dir", a->dir, "--key", keyp,
		    "--cert", certp, "--socket", sock, "--msp-id", a->mspid, (char *)NULL);
		_exit(127);
	}
	a->signer_pid = pid;
	a->signer_started = time(NULL);
	log_info("signer started (pid %ld) on %s", (long)pid, sock);
done:
	free(keyp);
	free(certp);
	free(sock);
	free(logp);
}

void
agent_signer_restart_cb(evutil_socket_t fd, short what, void *arg)
{
	agent_signer_start(arg);
}

void
agent_sigchld_cb(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	struct timeval tv = { 2, 0 };
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != a->signer_pid)
			continue;
		a->signer_pid = 0;
		log_warnx("signer exited (%s %d); restarting it in %ld s",
		    WIFEXITED(status) ? "status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		    (long)tv.tv_sec);
		if (time(NULL) - a->signer_started < 10)
			tv.tv_sec = 10;   /* dying at once: do not spin */
		evtimer_add(a->signer_restart, &tv);
	}
}

void
agent_signer_stop(struct agent *a)
{
	struct timespec ts = { 0, 50L * 1000 * 1000 };
	int i, status;

	if (a->signer_pid <= 0)
		return;
	kill(a->signer_pid, SIGTERM);
	/* Shutdown path: a bounded wait. */
	for (i = 0; i < 100; i++) {
		if (waitpid(a->signer_pid, &status, WNOHANG) == a->signer_pid)
			break;
		nanosleep(&ts, NULL);
	}
	if (i == 100) {
		kill(a->signer_pid, SIGKILL);
		waitpid(a->signer_pid, &status, 0);
	}
	a->signer_pid = 0;
}

