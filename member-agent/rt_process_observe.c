/*
 * rt_process_observe.c: what the process runtime sees of a node: its
 * observe call (supervisor and node alive, listeners accepting, /healthz
 * on the operations port, the log's tail when it failed) and
 * rt_process_node_info, the node's addresses and TLS CA for the tasks.
 */
#include "rt_process_int.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "xmalloc.h"

#define RTP_MAX_BODY      2048            /* of a /healthz answer kept */

static size_t
rtp_body_cb(char *p, size_t size, size_t nm, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nm, room = RTP_MAX_BODY - b->len;

	(void)buf_add(b, p, n < room ? n : room);
	return n;
}

/*
 * 1 when something accepts a TCP connection on HOST:PORT (an IP literal;
 * a wildcard address is tried on loopback).
 */
static int
rtp_accepts(const char *host, unsigned int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd, ok;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		if (sin->sin_addr.s_addr == htonl(INADDR_ANY))
			sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
			sin6->sin6_addr = in6addr_loopback;
		sl = sizeof(*sin6);
	} else
		return 0;
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	ok = connect(fd, (struct sockaddr *)&ss, sl) == 0;
	close(fd);
	return ok;
}

/*
 * A node that answers /healthz 200 is ready only once its listeners
 * accept connections: Fabric starts the operations endpoint first, and a
 * restarted peer answers /healthz before its gRPC port is up, an orderer
 * before its admin endpoint. NULL when they all accept, else which one
 * does not (caller frees).
 */
static char *
rtp_listeners(struct rtp *r, const struct rt_org *o, const char *name)
{
	struct rtp_node n;
	const char *host;
	char *cause = NULL, *s = NULL;

	if (rtp_node_load(r, o, name, &n, &cause) != 0)
		return cause;
	host = rtp_listen_host(r, &n);
	if (!rtp_accepts(host, n.port))
		s = xasprintf("its main port %s:%u does not accept connections "
		    "yet", host, n.port);
	else if (n.ports.admin != 0 && !rtp_accepts("127.0.0.1", n.ports.admin))
		s = xasprintf("its admin endpoint 127.0.0.1:%u does not accept "
		    "connections yet", n.ports.admin);
	rtp_node_clear(&n);
	return s;
}

/* GET /healthz: 0 with the status (and some of the body), or -1. */
static int
rtp_health(struct rtp *r, unsigned int port, long *status, char **body,
    char **why)
{
	char url[64], errbuf[CURL_ERROR_SIZE];
	struct buf b;
	CURLcode rc;

	if (r->curl == NULL && (r->curl = curl_easy_init()) == NULL) {
		*why = xstrdup("curl_easy_init failed");
		return -1;
	}
	buf_init(&b, RTP_MAX_BODY + 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/healthz", port);
	errbuf[0] = '\0';
	curl_easy_reset(r->curl);
	curl_easy_setopt(r->curl, CURLOPT_URL, url);
	curl_easy_setopt(r->curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->curl, CURLOPT_TIMEOUT_MS, (long)r->lim.health_ms);
	curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)r->lim.health_ms);
	curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, rtp_body_cb);
	curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(r->curl, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(r->curl);
	if (rc != CURLE_OK) {
		*why = xstrdup(errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		buf_free(&b);
		return -1;
	}
	curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, status);
	buf_add(&b, "", 1);
	*body = buf_steal(&b, NULL);
	return 0;
}

int
rtp_observe(struct runtime *rt, const struct rt_org *o, const char *name,
    enum rt_state *state, char **detail, char **cause)
{
	struct rtp *r = rtp_of(rt);
	struct rtp_procs p;
	const char *st, *reason, *last;
	char *dir, *tail, *body = NULL, *why = NULL, *s;
	json_t *ports;
	long status = 0;
	json_int_t ops, since, pid;
	struct stat sb;

	*state = RT_STATE_ABSENT;
	if (detail != NULL)
		*detail = NULL;
	if (!rtp_name_ok(name)) {
		*cause = xasprintf("node name \"%s\" cannot name a directory",
		    name);
		return -1;
	}
	rtp_reap(r);
	dir = xasprintf("%s/%s", r->procdir, name);
	if (stat(dir, &sb) != 0) {
		if (detail != NULL)
			*detail = xstrdup("not started");
		free(dir);
		return 0;
	}
	rtp_procs_read(r, dir, &p);
	st = json_string_value(json_object_get(p.statj, "state"));
	reason = json_string_value(json_object_get(p.statj, "reason"));
	last = json_string_value(json_object_get(p.statj, "lastExit"));
	pid = json_integer_value(json_object_get(p.statj, "pid"));
	if (st != NULL && strcmp(st, "failed") == 0) {
		*state = RT_STATE_FAILED;
		tail = rtps_log_tail(dir);
		s = xasprintf("%s %s; last lines of %s/node.log:\n%s",
		    name, reason != NULL ? reason : "failed", dir, tail);
		free(tail);
	} else if (p.sup == 0 && p.node != 0) {
		*state = RT_STATE_PENDING;
		s = xasprintf("running (pid %ld) without its supervisor; the next "
		    "reconcile restarts it", (long)p.node);
	} else if (p.sup == 0) {
		s = xstrdup(st != NULL && strcmp(st, "stopped") == 0 ? "stopped" :
		    "not running");
	} else if (st == NULL) {
		*state = RT_STATE_PENDING;
		s = xasprintf("starting (supervisor pid %ld)", (long)p.sup);
	} else if (strcmp(st, "backoff") == 0) {
		*state = RT_STATE_PENDING;
		s = xasprintf("exited (%s); restart %lld in %.1f s", last != NULL ?
		    last : "?", (long long)json_integer_value(json_object_get(
		    p.statj, "restarts")) + 1, (double)json_integer_value(
		    json_object_get(p.statj, "nextStartMs")) / 1000);
	} else if (strcmp(st, "running") != 0 || p.node == 0) {
		*state = RT_STATE_PENDING;
		s = xasprintf("%s", strcmp(st, "running") == 0 ? "starting" : st);
	} else {
		ports = rtp_state_read(dir, "ports.json");
		ops = json_integer_value(json_object_get(ports, "operations"));
		json_decref(ports);
		since = json_integer_value(json_object_get(p.statj, "since"));
		*state = RT_STATE_PENDING;
		if (ops < 1 || ops > 65535)
			s = xasprintf("running (pid %lld); no operations port "
			    "recorded", (long long)pid);
		else if (rtp_health(r, (unsigned int)ops, &status, &body,
		    &why) != 0)
			s = xasprintf("running (pid %lld) for %lld s; /healthz on "
			    "127.0.0.1:%lld does not answer yet: %s", (long long)pid,
			    (long long)(time(NULL) - since), (long long)ops, why);
		else if (status == 200 &&
		    (why = rtp_listeners(r, o, name)) != NULL)
			s = xasprintf("running (pid %lld), /healthz 200; %s",
			    (long long)pid, why);
		else if (status == 200) {
			*state = RT_STATE_READY;
			s = xasprintf("running (pid %lld), /healthz 200",
			    (long long)pid);
		} else {
			for (tail = body; *tail != '\0'; tail++)
				if ((unsigned char)*tail < 0x20)
					*tail = ' ';
			s = xasprintf("running (pid %lld); /healthz answered %ld: "
			    "%s", (long long)pid, status, body);
		}
	}
	if (detail != NULL)
		*detail = s;
	else
		free(s);
	free(body);
	free(why);
	rtp_procs_clear(&p);
	free(dir);
	return 0;
}

int
rt_process_node_info(struct runtime *rt, const struct rt_org *o,
    const char *name, json_t **info, char **cause)
{
	struct rtp *r;
	struct rtp_node n;
	struct rtp_procs p;
	const char *st;
	char *listen, *ops, *admin = NULL, *cc = NULL;
	int ret = -1;

	*info = NULL;
	if (!rt_is_process(rt)) {
		*cause = xasprintf("the %s runtime runs no local node %s",
		    rt != NULL ? rt->ops->name : "(no)", name);
		return -1;
	}
	r = rtp_of(rt);
	if (rtp_node_load(r, o, name, &n, cause) != 0)
		goto done;
	rtp_procs_read(r, n.dir, &p);
	st = json_string_value(json_object_get(p.statj, "state"));
	listen = strchr(rtp_listen_host(r, &n), ':') != NULL ?
	    xasprintf("[%s]:%u", rtp_listen_host(r, &n), n.port) :
	    xasprintf("%s:%u", rtp_listen_host(r, &n), n.port);
	ops = xasprintf("127.0.0.1:%u", n.ports.ops);
	*info = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
	    "kind", n.kind, "listen", listen, "endpoint", n.endpoint,
	    "operations", ops, "dataDir", n.datadir, "tlsCa", n.tlsca,
	    "pid", (json_int_t)(p.sup != 0 && st != NULL &&
	    strcmp(st, "running") == 0 ? p.node : 0),
	    "supervisorPid", (json_int_t)p.sup);
	if (n.ports.admin != 0) {
		admin = xasprintf("127.0.0.1:%u", n.ports.admin);
		json_object_set_new(*info, "admin", json_string(admin));
	}
	if (n.ports.cc != 0) {
		cc = xasprintf("127.0.0.1:%u", n.ports.cc);
		json_object_set_new(*info, "chaincode", json_string(cc));
	}
	free(listen);
	free(ops);
	free(admin);
	free(cc);
	rtp_procs_clear(&p);
	ret = 0;
done:
	rtp_node_clear(&n);
	return ret;
}
