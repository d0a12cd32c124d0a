/*
 * agent.c: `fabfed-agent run`, the member org's agent.
 *
 * One libevent loop drives one state machine (memcached's drive_machine
 * shape): long-poll the controller for the org's desired state, reconcile
 * (the org's PKI, made here, kept here; the runtime's objects), publish the
 * org's public material and its status, persist the revision applied, poll
 * again. Heartbeats run beside it on a timer. Any failure backs off
 * (capped, exponential, with jitter) and resumes from the last revision
 * applied, which survives restarts in STATE/agent-state.json; re-running a
 * reconcile is harmless because keys are made once and files are only
 * rewritten when their content changes.
 *
 * This file holds the state machine, the admin socket, certificate renewal,
 * heartbeats and start-up; the signer's supervision is in agent_signer.c,
 * the task hook in agent_tasks.c, their shared state in agent_int.h.
 * Tasks run on a worker thread (agent_tasks.c); everything here runs on
 * the loop's thread. While a task runs it may use the runtime, so a new
 * revision waits for it (AG_WAIT_TASK) before its reconcile renders.
 */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>
#include <nanomsg/nn.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "enroll.h"
#include "httpc.h"
#include "ipc.h"
#include "k8s.h"
#include "log.h"
#include "msp.h"
#include "opts.h"
#include "pki.h"
#include "runtime.h"
#include "tasks.h"
#include "topology.h"
#include "xmalloc.h"

#include "agent_int.h"

static void agent_drive(struct agent *, const struct httpc_answer *);

/* Full jitter over the upper half of secs: [secs/2, secs) in ms. */
long
agent_jitter_ms(int secs)
{
	unsigned int r = 0;

	RAND_bytes((unsigned char *)&r, sizeof(r));
	return (long)secs * 500 + (long)(r % (unsigned int)(secs * 500 + 1));
}

static void
agent_backoff(struct agent *a, const char *why)
{
	struct timeval tv;
	unsigned int r = 0;
	long ms;

	a->backoff = a->backoff == 0 ? AGENT_BACKOFF_MIN : a->backoff * 2;
	if (a->backoff > AGENT_BACKOFF_MAX)
		a->backoff = AGENT_BACKOFF_MAX;
	RAND_bytes((unsigned char *)&r, sizeof(r));
	/* Full jitter over the upper half: [backoff/2, backoff). */
	ms = (long)a->backoff * 500 + (long)(r % (unsigned int)(a->backoff * 500 + 1));
	log_warnx("%s; retrying in %ld.%03ld s", why, ms / 1000, ms % 1000);
	free(a->last_error);
	a->last_error = xstrdup(why);
	a->state = AG_BACKOFF;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(a->retry, &tv);
}

static void
agent_http_cb(const struct httpc_answer *ans, void *arg)
{
	agent_drive(arg, ans);
}

static int
agent_call(struct agent *a, const char *method, const char *path, const char *body,
    long timeout_ms)
{
	char *url = xasprintf("%s%s", a->controller, path);
	unsigned long id;

	id = httpc_request(a->http, method, url, body, body != NULL ? strlen(body) : 0,
	    timeout_ms, AGENT_MAX_ANSWER, agent_http_cb, a);
	free(url);
	return id == 0 ? -1 : 0;
}

static void
agent_poll(struct agent *a)
{
	char path[128];

	a->state = AG_POLL;
	/* A fresh process reads the whole desired state once (since=0): its
	 * signer and its tasks need the spec even when nothing changed. */
	snprintf(path, sizeof(path), "/v1/agent/desired?since=%lld&timeout=%d",
	    a->desired == NULL ? 0LL : (long long)a->applied, a->poll_secs);
	if (agent_call(a, "GET", path, NULL, (long)(a->poll_secs + 15) * 1000) != 0)
		agent_backoff(a, "cannot queue the poll");
}

static int
agent_save_state(struct agent *a, char **cause)
{
	json_t *o = json_pack("{s:I, s:I}", "appliedRevision", (json_int_t)a->applied,
	    "savedAt", (json_int_t)time(NULL));
	char *text = json_dumps(o, JSON_INDENT(2));
	int ret = pki_file_write(a->statefile, text, strlen(text), 0600, cause);

	free(text);
	json_decref(o);
	return ret;
}

/* The host of "host:port" / "[v6]:port". Caller frees. */
static char *
endpoint_host(const char *ep)
{
	const char *colon;

	if (ep == NULL)
		return NULL;
	if (ep[0] == '[') {
		colon = strchr(ep, ']');
		return colon != NULL ? xstrndup(ep + 1, (size_t)(colon - ep - 1)) : NULL;
	}
	colon = strrchr(ep, ':');
	return colon != NULL ? xstrndup(ep, (size_t)(colon - ep)) : xstrdup(ep);
}

json_t *
agent_find_org(const json_t *spec, const char *msp)
{
	return topology_find_org(spec, msp);
}

/*
 * Makes the org's PKI and runtime objects match the spec, and prepares the
 * records to publish. Local work only: keys are made once, never again.
 */
static int
agent_reconcile(struct agent *a, const json_t *spec, char **cause)
{
	const char *kinds[] = { "peers", "orderers" };
	struct msp_org org;
	struct msp_node node;
	json_t *me, *pub = NULL, *eps = NULL, *n, *tls;
	const char *domain, *hosts[MSP_MAX_HOSTS + 1];
	json_t *incluster, *h;
	size_t j, nh;
	int rc;
	struct rt_org rto;
	unsigned changes = 0, all = 0;
	char *host;
	size_t k, i;
	int ret = -1;

	if ((me = agent_find_org(spec, a->mspid)) == NULL) {
		*cause = xasprintf("org %s is not declared in consortium %s", a->mspid,
		    a->consortium);
		return -1;
	}
	domain = json_string_value(json_object_get(me, "domain"));
	org.dir = a->pkidir;
	org.mspid = a->mspid;
	org.domain = domain;
	if (msp_org_ensure(&org, &changes, cause) != 0)
		return -1;
	all |= changes;
	eps = json_pack("{s:s, s:[], s:[]}", "mspId", a->mspid, "peers", "orderers");
	for (k = 0; k < 2; k++) {
		json_array_foreach(json_object_get(me, kinds[k]), i, n) {
			const char *name = json_string_value(json_object_get(n, "name"));
			const char *ep = json_string_value(json_object_get(n, "endpoint"));

			/* TLS names: the external host and the in-cluster names. */
			host = endpoint_host(ep);
			incluster = k8s_node_hosts(a->mspid, name);
			nh = 0;
			hosts[nh++] = host;
			json_array_foreach(incluster, j, h)
				if (nh < MSP_MAX_HOSTS && json_is_string(h))
					hosts[nh++] = json_string_value(h);
			/*
			 * The process runtime puts an orderer's admin endpoint
			 * (channel participation) on loopback, where the agent
			 * dials it: the certificate must name it there too.
			 */
			if (a->rt != NULL && strcmp(a->rt->ops->name, "process") == 0 &&
			    nh + 2 <= MSP_MAX_HOSTS) {
				hosts[nh++] = "127.0.0.1";
				hosts[nh++] = "localhost";
			}
			hosts[nh] = NULL;
			node.name = name;
			node.role = k == 0 ? MSP_ROLE_PEER : MSP_ROLE_ORDERER;
			node.hosts = hosts;
			changes = 0;
			rc = msp_node_ensure(&org, &node, &changes, cause);
			json_decref(incluster);
			free(host);
			if (rc != 0)
				goto done;
			all |= changes;
			json_array_append_new(json_object_get(eps, kinds[k]),
			    json_pack("{s:s, s:s}", "name", name, "endpoint", ep));
		}
	}
	if ((pub = msp_public(&org, cause)) == NULL)
		goto done;
	/* Orderers' TLS certs go with their endpoints: consenters need them. */
	json_array_foreach(json_object_get(eps, "orderers"), i, n) {
		tls = json_object_get(json_object_get(json_object_get(pub, "orderers"),
		    json_string_value(json_object_get(n, "name"))), "tlsCert");
		if (tls != NULL)
			json_object_set(n, "tlsCert", tls);
	}
	rto.consortium = spec;
	rto.mspid = a->mspid;
	rto.pkidir = a->pkidir;
	if (a->rt != NULL && a->rt->ops->render(a->rt, &rto, cause) != 0)
		goto done;
	free(a->msp_body);
	free(a->endpoints_body);
	a->msp_body = json_dumps(pub, JSON_COMPACT);
	a->endpoints_body = json_dumps(eps, JSON_COMPACT);
	if (all & (MSP_CREATED | MSP_REISSUED))
		log_info("org %s: PKI %s", a->mspid, all & MSP_CREATED ?
		    "made new identities" : "re-issued certificates for kept keys");
	ret = 0;
done:
	json_decref(pub);
	json_decref(eps);
	return ret;
}

/* A controller answer that is not a success, as a sentence. Caller frees. */
char *
agent_failure(const char *what, const struct httpc_answer *ans)
{
	json_t *o;
	char *s;

	if (!ans->ok)
		return xasprintf("%s: %s", what, ans->error);
	o = json_loadb(ans->body, ans->len, 0, NULL);
	s = xasprintf("%s: controller answered %ld%s%s", what, ans->status,
	    json_is_string(json_object_get(o, "error")) ? ": " : "",
	    json_is_string(json_object_get(o, "error")) ?
	    json_string_value(json_object_get(o, "error")) : "");
	json_decref(o);
	return s;
}

static void
agent_fail(struct agent *a, const char *what, const struct httpc_answer *ans)
{
	char *why = agent_failure(what, ans);

	agent_backoff(a, why);
	free(why);
}


/* What `fabfedctl agent status` shows. Caller decrefs. */
static json_t *
agent_status_json(struct agent *a)
{
	static const char *states[] = { "polling", "publishing MSP", "publishing endpoints",
	    "reporting status", "backing off", "waiting for the running task" };

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s?, s:I, s:s, s:I, "
	    "s:o, s:o?}",
	    "version", FABFED_VERSION, "mspId", a->mspid, "consortium", a->consortium,
	    "controller", a->controller, "state", states[a->state],
	    "appliedRevision", (json_int_t)a->applied,
	    "appliedAt", (json_int_t)a->last_applied_at,
	    "runtime", a->rt != NULL ? a->rt->ops->name : "none",
	    "lastError", a->last_error,
	    "signerPid", (json_int_t)a->signer_pid,
	    "signer", a->signer_pid > 0 ? "running" : "not running",
	    "pendingRequests", (json_int_t)httpc_pending(a->http),
	    "tasks", agent_tasks_status_json(a),
	    "runningTask", agent_tasks_running_json(a));
}

static void
admin_cb(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	struct ipc_msg m;
	json_t *body;
	char *cause = NULL;
	int i;

	/* Bounded work per event: at most 16 requests. */
	for (i = 0; i < 16; i++) {
		memset(&m, 0, sizeof(m));
		switch (ipc_recv(a->admin_sock, NN_DONTWAIT, &m, &cause)) {
		case IPC_RECV_NONE:
			return;
		case IPC_RECV_FAIL:
			log_warnx("admin socket: %s", cause);
			free(cause);
			return;
		case IPC_RECV_BAD:
			body = json_pack("{s:s}", "reason", cause);
			ipc_send(a->admin_sock, IPC_ERROR, m.id, body, NULL);
			json_decref(body);
			free(cause);
			cause = NULL;
			break;
		case IPC_RECV_OK:
			if (m.type == IPC_PING) {
				body = agent_status_json(a);
				ipc_send(a->admin_sock, IPC_PONG, m.id, body, NULL);
			} else {
				body = json_pack("{s:s}", "reason", "the admin socket answers "
				    "PING (status) only");
				ipc_send(a->admin_sock, IPC_ERROR, m.id, body, NULL);
			}
			json_decref(body);
			break;
		}
		ipc_msg_clear(&m);
	}
}

static int
admin_start(struct agent *a, char **cause)
{
	int fd;
	size_t sz = sizeof(fd);

	a->admin_url = xasprintf("ipc://%s/admin.sock", a->dir);
	if ((a->admin_sock = ipc_listen(a->admin_url, cause)) < 0)
		return -1;
	if (nn_getsockopt(a->admin_sock, NN_SOL_SOCKET, NN_RCVFD, &fd, &sz) != 0) {
		*cause = xasprintf("admin socket: %s", nn_strerror(nn_errno()));
		return -1;
	}
	a->admin_ev = event_new(a->base, fd, EV_READ | EV_PERSIST, admin_cb, a);
	event_add(a->admin_ev, NULL);
	return 0;
}

/*
 * The agent's client certificate is renewed before it expires: a CSR for
 * the same key (an agent's key never changes), signed by the controller
 * for the identity the current certificate already has.
 */
static double
agent_cert_days_left(struct agent *a)
{
	char *path = xasprintf("%s/agent.crt", a->dir), *cause = NULL;
	X509 *cert = pki_cert_read(path, &cause);
	int days = 0, secs = 0;

	free(path);
	if (cert == NULL) {
		log_warnx("%s", cause);
		free(cause);
		return 0;
	}
	ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert));
	X509_free(cert);
	return days + secs / 86400.0;
}

static void
renew_cb(const struct httpc_answer *ans, void *arg)
{
	struct agent *a = arg;
	char *cause = NULL, *c = NULL, *m = NULL, *path;
	X509 *ca = NULL, *cert = NULL;

	path = xasprintf("%s/ca.crt", a->dir);
	if (!ans->ok || ans->status != 200) {
		char *why = agent_failure("certificate renewal", ans);

		log_warnx("%s; the current certificate is kept", why);
		free(why);
		goto done;
	}
	if ((ca = pki_cert_read(path, &cause)) == NULL ||
	    (cert = enroll_check_answer(ans->body, ans->len, ca, a->renew_key, &c, &m,
	    &cause)) == NULL) {
		log_warnx("certificate renewal: %s; the current certificate is kept", cause);
		goto done;
	}
	if (strcmp(c, a->consortium) != 0 || strcmp(m, a->mspid) != 0) {
		log_warnx("certificate renewal: the new certificate is for %s/%s, not %s/%s; "
		    "refused", m, c, a->mspid, a->consortium);
		goto done;
	}
	free(path);
	path = xasprintf("%s/agent.crt", a->dir);
	if (pki_cert_write(path, cert, &cause) != 0) {
		log_warnx("certificate renewal: %s", cause);
		goto done;
	}
	log_info("agent certificate renewed: %.0f days left", agent_cert_days_left(a));
done:
	EVP_PKEY_free(a->renew_key);
	a->renew_key = NULL;
	X509_free(ca);
	X509_free(cert);
	free(cause);
	free(c);
	free(m);
	free(path);
}

static void
renew_check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	struct timeval tv = { 6 * 3600, 0 };
	char *path, *cause = NULL, *csr, *body, *url;
	double left;
	json_t *o;

	evtimer_add(a->renew_timer, &tv);
	if (a->renew_key != NULL || (left = agent_cert_days_left(a)) >= a->renew_before_days)
		return;
	log_info("agent certificate expires in %.1f days: renewing", left);
	path = xasprintf("%s/agent.key", a->dir);
	a->renew_key = pki_key_read(path, &cause);
	free(path);
	if (a->renew_key == NULL || (csr = enroll_csr(a->renew_key, &cause)) == NULL) {
		log_warnx("certificate renewal: %s", cause);
		free(cause);
		EVP_PKEY_free(a->renew_key);
		a->renew_key = NULL;
		return;
	}
	o = json_pack("{s:s}", "csr", csr);
	body = json_dumps(o, JSON_COMPACT);
	url = xasprintf("%s/v1/agent/renew", a->controller);
	if (httpc_request(a->http, "POST", url, body, strlen(body), AGENT_CALL_MS, 64 * 1024,
	    renew_cb, a) == 0) {
		EVP_PKEY_free(a->renew_key);
		a->renew_key = NULL;
	}
	json_decref(o);
	free(body);
	free(url);
	free(csr);
}

/*
 * Each node's state as the runtime sees it, for the status report:
 * [{"name", "kind", "state", "detail"}]. Caller decrefs.
 */
static json_t *
agent_observe(struct agent *a)
{
	const char *kinds[] = { "peers", "orderers" }, *kind[] = { "peer", "orderer" };
	json_t *me, *n, *out = json_array();
	struct rt_org rto;
	enum rt_state st;
	char *detail, *cause;
	size_t k, i;

	if (a->rt == NULL || a->desired == NULL ||
	    (me = agent_find_org(json_object_get(a->desired, "spec"), a->mspid)) == NULL)
		return out;
	rto.consortium = json_object_get(a->desired, "spec");
	rto.mspid = a->mspid;
	rto.pkidir = a->pkidir;
	for (k = 0; k < 2; k++) {
		json_array_foreach(json_object_get(me, kinds[k]), i, n) {
			const char *name = json_string_value(json_object_get(n, "name"));

			detail = cause = NULL;
			if (a->rt->ops->observe(a->rt, &rto, name, &st, &detail, &cause) != 0) {
				json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s}", "name",
				    name, "kind", kind[k], "state", "unknown", "detail",
				    cause != NULL ? cause : ""));
			} else
				json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s}", "name",
				    name, "kind", kind[k], "state", rt_state_name(st), "detail",
				    detail != NULL ? detail : ""));
			free(detail);
			free(cause);
		}
	}
	return out;
}

/* Reconciles a->desired (revision a->pending_rev), then publishes. */
static void
agent_apply(struct agent *a)
{
	char *cause = NULL, *why;

	if (agent_reconcile(a, json_object_get(a->desired, "spec"), &cause) != 0) {
		why = xasprintf("reconcile: %s", cause);
		free(cause);
		agent_backoff(a, why);
		free(why);
		return;
	}
	a->state = AG_PUT_MSP;
	if (agent_call(a, "PUT", "/v1/agent/msp", a->msp_body, AGENT_CALL_MS) != 0)
		agent_backoff(a, "cannot queue the MSP publication");
}

void
agent_runtime_free_again(struct agent *a)
{
	if (a->state != AG_WAIT_TASK)
		return;
	log_info("revision %lld: the task ended; applying it", (long long)a->pending_rev);
	agent_apply(a);
}

static void
agent_drive(struct agent *a, const struct httpc_answer *ans)
{
	json_t *o, *status;
	char *cause = NULL, *text;
	int64_t rev;

	switch (a->state) {
	case AG_POLL:
		if (!ans->ok || ans->status != 200) {
			agent_fail(a, ans->ok && ans->status == 410 ?
			    "the consortium was deleted; nodes are kept" : "poll", ans);
			return;
		}
		if ((o = json_loadb(ans->body, ans->len, 0, NULL)) == NULL) {
			agent_backoff(a, "poll: the answer is not JSON");
			return;
		}
		rev = json_integer_value(json_object_get(o, "revision"));
		if (!json_is_true(json_object_get(o, "changed")) ||
		    (rev <= a->applied && a->desired != NULL)) {
			/* Nothing to apply; the tasks it lists (if any) still run. */
			if (a->desired != NULL)
				agent_tasks_set(a, json_object_get(o, "tasks"));
			json_decref(o);
			a->backoff = 0;
			agent_tasks_kick(a);
			agent_poll(a);
			return;
		}
		log_info("desired state of %s at revision %lld", a->consortium, (long long)rev);
		json_decref(a->desired);
		a->desired = o;
		a->pending_rev = rev;
		/* The runtime is the running task's until it ends (the worker
		 * has its own copy of the state it began with). */
		if (agent_tasks_running(a)) {
			log_info("revision %lld waits for the running task to end",
			    (long long)rev);
			a->state = AG_WAIT_TASK;
			return;
		}
		agent_apply(a);
		return;
	case AG_PUT_MSP:
		if (!ans->ok || ans->status != 200) {
			agent_fail(a, "publishing the MSP", ans);
			return;
		}
		a->state = AG_PUT_ENDPOINTS;
		if (agent_call(a, "PUT", "/v1/agent/endpoints", a->endpoints_body,
		    AGENT_CALL_MS) != 0)
			agent_backoff(a, "cannot queue the endpoints publication");
		return;
	case AG_PUT_ENDPOINTS:
		if (!ans->ok || ans->status != 200) {
			agent_fail(a, "publishing the endpoints", ans);
			return;
		}
		status = json_pack("{s:I, s:s, s:o}", "appliedRevision",
		    (json_int_t)a->pending_rev, "runtime", a->rt != NULL ? a->rt->ops->name :
		    "none", "nodes", agent_observe(a));
		text = json_dumps(status, JSON_COMPACT);
		json_decref(status);
		a->state = AG_PUT_STATUS;
		if (agent_call(a, "PUT", "/v1/agent/status", text, AGENT_CALL_MS) != 0)
			agent_backoff(a, "cannot queue the status report");
		free(text);
		return;
	case AG_PUT_STATUS:
		if (!ans->ok || ans->status != 200) {
			agent_fail(a, "reporting status", ans);
			return;
		}
		a->applied = a->pending_rev;
		if (agent_save_state(a, &cause) != 0) {
			log_warnx("cannot save the applied revision: %s", cause);
			free(cause);
		}
		log_info("applied revision %lld of %s", (long long)a->applied, a->consortium);
		a->backoff = 0;
		a->last_applied_at = time(NULL);
		free(a->last_error);
		a->last_error = NULL;
		if (a->signer_pid == 0)
			agent_signer_start(a);
		agent_tasks_set(a, json_object_get(a->desired, "tasks"));
		agent_tasks_kick(a);
		if (a->once) {
			a->exit_code = 0;
			event_base_loopexit(a->base, NULL);
			return;
		}
		agent_poll(a);
		return;
	case AG_BACKOFF:
	case AG_WAIT_TASK:
		return;
	}
}

static void
agent_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;

	/* A retry starts again from the poll: the answer is then fresh. */
	agent_poll(a);
}

static void
heartbeat_cb(const struct httpc_answer *ans, void *arg)
{
	if (!ans->ok || ans->status != 200) {
		char *why = agent_failure("heartbeat", ans);

		log_warnx("%s", why);
		free(why);
	}
}

static void
heartbeat_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	struct timeval tv = { AGENT_HEARTBEAT_SECS, 0 };
	char *url = xasprintf("%s/v1/agent/heartbeat", a->controller);

	httpc_request(a->http, "POST", url, "{}", 2, AGENT_CALL_MS, 64 * 1024,
	    heartbeat_cb, a);
	free(url);
	evtimer_add(a->heartbeat, &tv);
}

static void
agent_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct agent *a = arg;

	log_info("signal %d: stopping (nodes are left running)", (int)sig);
	a->exit_code = 0;
	event_base_loopexit(a->base, NULL);
}

static int
agent_load(struct agent *a, char **cause)
{
	char *path = xasprintf("%s/agent.json", a->dir);
	json_error_t jerr;
	json_t *conf, *st;
	int ret = -1;

	if ((conf = json_load_file(path, 0, &jerr)) == NULL) {
		*cause = xasprintf("%s: %s (enroll first: fabfed-agent enroll ...)", path,
		    jerr.text);
		goto done;
	}
	if (!json_is_string(json_object_get(conf, "controller")) ||
	    !json_is_string(json_object_get(conf, "consortium")) ||
	    !json_is_string(json_object_get(conf, "mspId"))) {
		*cause = xasprintf("%s: needs controller, consortium and mspId", path);
		goto done;
	}
	a->controller = xstrdup(json_string_value(json_object_get(conf, "controller")));
	a->consortium = xstrdup(json_string_value(json_object_get(conf, "consortium")));
	a->mspid = xstrdup(json_string_value(json_object_get(conf, "mspId")));
	a->statefile = xasprintf("%s/agent-state.json", a->dir);
	a->tasks_file = xasprintf("%s/tasks.json", a->dir);
	agent_tasks_load(a);
	a->pkidir = xasprintf("%s/pki", a->dir);
	if ((st = json_load_file(a->statefile, 0, NULL)) != NULL) {
		a->applied = json_integer_value(json_object_get(st, "appliedRevision"));
		json_decref(st);
		log_info("resuming after revision %lld", (long long)a->applied);
	}
	ret = 0;
done:
	json_decref(conf);
	free(path);
	return ret;
}

static void
agent_free(struct agent *a)
{
	/* A second SIGTERM or SIGINT while a task is waited for ends the
	 * process at once (libevent restores the default action). */
	if (a->sigterm != NULL)
		event_del(a->sigterm);
	if (a->sigint != NULL)
		event_del(a->sigint);
	if (agent_tasks_stop(a) != 0) {
		/* The worker still runs, inside the runtime, libcurl or
		 * OpenSSL: nothing it may use is freed, and no exit handler
		 * tears those down under it. */
		agent_signer_stop(a);
		_exit(a->exit_code);
	}
	agent_signer_stop(a);
	if (a->renew_timer != NULL)
		event_free(a->renew_timer);
	EVP_PKEY_free(a->renew_key);
	if (a->admin_ev != NULL)
		event_free(a->admin_ev);
	if (a->admin_sock >= 0)
		ipc_unlisten(a->admin_sock, a->admin_url);
	free(a->admin_url);
	if (a->sigchld != NULL)
		event_free(a->sigchld);
	if (a->signer_restart != NULL)
		event_free(a->signer_restart);
	free(a->self);
	free(a->last_error);
	if (a->rt != NULL)
		a->rt->ops->free(a->rt);
	httpc_free(a->http);
	if (a->retry != NULL)
		event_free(a->retry);
	if (a->heartbeat != NULL)
		event_free(a->heartbeat);
	if (a->sigterm != NULL)
		event_free(a->sigterm);
	if (a->sigint != NULL)
		event_free(a->sigint);
	json_decref(a->desired);
	if (a->task_timer != NULL)
		event_free(a->task_timer);
	json_decref(a->tasks);
	json_decref(a->task_log);
	free(a->tasks_file);
	free(a->task_put_id);
	free(a->outdir);
	free(a->msp_body);
	free(a->endpoints_body);
	free(a->controller);
	free(a->consortium);
	free(a->mspid);
	free(a->pkidir);
	free(a->statefile);
	free(a->dir);
	if (a->base != NULL)
		event_base_free(a->base);
}

int
agent_main(int argc, char **argv)
{
	static const char *o_dir, *o_runtime, *o_out, *o_logfmt, *o_kubeconfig;
	static const char *o_fabric_bin, *o_listen;
	static long long o_poll, o_renew;
	static int o_once, o_verbose, o_help;
	static const struct opt opts[] = {
		{ "state-dir", 'd', OPT_STRING, 0, 0, NULL, "the directory enroll wrote", &o_dir },
		{ "runtime", 'r', OPT_STRING, 0, 0, "manifests", "manifests, kubernetes or process", &o_runtime },
		{ "kubeconfig", 0, OPT_STRING, 0, 0, NULL, "kubernetes: kubeconfig file (default: the pod's service account)", &o_kubeconfig },
		{ "fabric-bin", 0, OPT_STRING, 0, 0, NULL, "process: directory of Fabric's peer and orderer (default: $FABRIC_BIN)", &o_fabric_bin },
		{ "listen-address", 0, OPT_STRING, 0, 0, "0.0.0.0", "process: address of the nodes' main ports when an endpoint's host is a name", &o_listen },
		{ "out", 'o', OPT_STRING, 0, 0, NULL, "manifests: output directory (default STATE/manifests)", &o_out },
		{ "poll-timeout", 0, OPT_INT, 1, 60, "30", "long-poll seconds", &o_poll },
		{ "once", 0, OPT_FLAG, 0, 0, NULL, "exit after the first revision is applied", &o_once },
		{ "renew-before", 0, OPT_INT, 1, 3650, "30", "renew the agent certificate this many days before it expires", &o_renew },
		{ "log-format", 0, OPT_STRING, 0, 0, "text", "text or json", &o_logfmt },
		{ "verbose", 'v', OPT_FLAG, 0, 0, NULL, "debug logging", &o_verbose },
		{ "help", 'h', OPT_FLAG, 0, 0, NULL, "this help", &o_help },
		{ NULL, 0, 0, 0, 0, NULL, NULL, NULL },
	};
	const char *synopsis = "fabfed-agent run --state-dir DIR [options]";
	struct agent a;
	struct httpc_tls tls;
	struct timeval now = { 0, 0 };
	char *cause = NULL, *ca = NULL, *crt = NULL, *key = NULL, *out = NULL;

	memset(&a, 0, sizeof(a));
	a.exit_code = 1;
	a.admin_sock = -1;
	a.task_pipe[0] = a.task_pipe[1] = -1;
	if (opts_parse(argc, argv, opts, &cause) < 0) {
		fprintf(stderr, "fabfed-agent run: %s\n", cause);
		free(cause);
		return 2;
	}
	if (o_help) {
		opts_usage(stdout, synopsis, opts);
		return 0;
	}
	if (o_dir == NULL) {
		opts_usage(stderr, synopsis, opts);
		return 2;
	}
	if (strcmp(o_runtime, "manifests") != 0 && strcmp(o_runtime, "kubernetes") != 0 &&
	    strcmp(o_runtime, "process") != 0) {
		fprintf(stderr, "fabfed-agent run: --runtime is manifests, kubernetes or "
		    "process, not %s\n", o_runtime);
		return 2;
	}
	if (o_fabric_bin != NULL && strcmp(o_runtime, "process") != 0) {
		fprintf(stderr, "fabfed-agent run: --fabric-bin is for --runtime process\n");
		return 2;
	}
	if (o_kubeconfig != NULL && strcmp(o_runtime, "kubernetes") != 0) {
		fprintf(stderr, "fabfed-agent run: --kubeconfig is for --runtime kubernetes\n");
		return 2;
	}
	log_init("fabfed-agent", o_verbose, strcmp(o_logfmt, "json") == 0 ?
	    LOG_FORMAT_JSON : LOG_FORMAT_TEXT);
	a.dir = xstrdup(o_dir);
	a.poll_secs = (int)o_poll;
	a.renew_before_days = (int)o_renew;
	a.once = o_once;
	if (agent_load(&a, &cause) != 0)
		goto done;
	ca = xasprintf("%s/ca.crt", a.dir);
	crt = xasprintf("%s/agent.crt", a.dir);
	key = xasprintf("%s/agent.key", a.dir);
	out = o_out != NULL ? xstrdup(o_out) : xasprintf("%s/manifests", a.dir);
	if (strcmp(o_runtime, "manifests") == 0 && mkdir(out, 0755) != 0 && errno != EEXIST) {
		cause = xasprintf("%s: %s", out, strerror(errno));
		goto done;
	}
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init failed");
	if ((a.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	tls.ca_file = ca;
	tls.cert_file = crt;
	tls.key_file = key;
	if ((a.http = httpc_new(a.base, &tls, &cause)) == NULL)
		goto done;
	if (strcmp(o_runtime, "kubernetes") == 0) {
		if ((a.rt = rt_kubernetes_new(o_kubeconfig, &cause)) == NULL)
			goto done;
	} else if (strcmp(o_runtime, "process") == 0) {
		free(out);
		out = xasprintf("%s/process", a.dir);
		if ((a.rt = rt_process_new(o_fabric_bin != NULL ? o_fabric_bin :
		    getenv("FABRIC_BIN"), a.dir, o_listen, &cause)) == NULL)
			goto done;
	} else if ((a.rt = rt_manifests_new(out)) == NULL) {
		cause = xasprintf("cannot start the manifests runtime in %s", out);
		goto done;
	}
	a.outdir = xstrdup(out);
	if (agent_tasks_init(&a, &cause) != 0)
		goto done;
	a.retry = evtimer_new(a.base, agent_retry_cb, &a);
	a.heartbeat = evtimer_new(a.base, heartbeat_timer_cb, &a);
	a.sigterm = evsignal_new(a.base, SIGTERM, agent_signal_cb, &a);
	a.sigint = evsignal_new(a.base, SIGINT, agent_signal_cb, &a);
	a.sigchld = evsignal_new(a.base, SIGCHLD, agent_sigchld_cb, &a);
	a.signer_restart = evtimer_new(a.base, agent_signer_restart_cb, &a);
	evsignal_add(a.sigterm, NULL);
	evsignal_add(a.sigint, NULL);
	evsignal_add(a.sigchld, NULL);
	if ((a.self = realpath("/proc/self/exe", NULL)) == NULL)
		a.self = xstrdup("fabfed-agent");
	if (admin_start(&a, &cause) != 0)
		goto done;
	evtimer_add(a.heartbeat, &now);
	a.renew_timer = evtimer_new(a.base, renew_check_cb, &a);
	evtimer_add(a.renew_timer, &now);
	log_info("fabfed-agent %s: org %s of consortium %s, controller %s, runtime %s "
	    "(%s)", FABFED_VERSION, a.mspid, a.consortium, a.controller, a.rt->ops->name,
	    out);
	agent_poll(&a);
	event_base_dispatch(a.base);
done:
	if (cause != NULL) {
		log_warnx("%s", cause);
		free(cause);
	}
	agent_free(&a);
	if (a.base != NULL)
		curl_global_cleanup();
	free(ca);
	free(crt);
	free(key);
	free(out);
	return a.exit_code;
}
