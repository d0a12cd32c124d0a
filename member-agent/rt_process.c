/*
 * rt_process.c: the process runtime. The org's peers and orderers run as
 * local processes from Fabric's own binaries (FABRIC_BIN/peer, orderer),
 * with no Docker and no Kubernetes. Each node lives in
 * STATEDIR/process/NODE:
 *
 *	config/core.yaml | orderer.yaml  its config (rt_process_conf.c)
 *	data/              ledger and everything else the node writes
 *	ports.json         the ports the runtime assigned (kept across restarts)
 *	node.log, node.log.1  its stdout and stderr, rotated at a size
 *	supervisor.json    who supervises it: pid, start time, config hash
 *	status.json        what the supervisor last saw: state, node pid, exits
 *
 * Supervision (rt_process_sup.c). Each node gets a supervisor: a process
 * forked from the agent (no exec) that runs the node as its own child,
 * pumps its output into node.log, restarts it after a crash with a
 * doubling delay, gives up after too many crashes in a window (status
 * "failed"), and on SIGTERM stops it (SIGTERM, then SIGKILL after a
 * bounded wait) and exits. The supervisor dies with the agent and the
 * node with its supervisor (PR_SET_PDEATHSIG), each in its own process
 * group. So restarts do not depend on how often the agent calls the
 * runtime, and the agent's own SIGCHLD handling (it reaps with
 * waitpid(-1)) cannot take a node's exit status away: the runtime never
 * needs one. Runtime calls stay synchronous and bounded; they read the
 * two state files, check processes by pid and start time in /proc (never
 * by name), and ask /healthz.
 *
 * A process found in supervisor.json or status.json is only ever taken to
 * be ours when its /proc start time and its executable match, so a reused
 * pid is never signalled.
 *
 * This file holds the runtime's nodes, ensure, remove, render and its
 * set-up; observing a node (and rt_process_node_info) is in
 * rt_process_observe.c.
 */
#include "rt_process_int.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "buf.h"
#include "log.h"
#include "pki.h"
#include "topology.h"
#include "xmalloc.h"

extern char **environ;

#define RTP_MAX_NODES     1024            /* entries looked at in process/ */
#define RTP_MAX_STATE     (64 * 1024)     /* a state file read back */

static const struct rt_process_limits rtp_defaults = {
	1000, 60000, 5, 300, 10000, 1000, 16 * 1024 * 1024
};

/* ---- small helpers ---- */

struct rtp *
rtp_of(struct runtime *rt)
{
	return rt->priv;
}

/* A node name that is safe as a path component. */
int
rtp_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 64 || !((s[0] >= 'a' && s[0] <= 'z') ||
	    (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= '0' && s[0] <= '9')) ||
	    strstr(s, "..") != NULL)
		return 0;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	}
	return 1;
}

static int
rtp_mkdir(const char *dir, mode_t mode, char **cause)
{
	if (mkdir(dir, mode) == -1 && errno != EEXIST) {
		*cause = xasprintf("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* A JSON state file of ours, or NULL when absent or unreadable. */
json_t *
rtp_state_read(const char *dir, const char *file)
{
	char *path = xasprintf("%s/%s", dir, file);
	struct stat st;
	json_t *o = NULL;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size <= RTP_MAX_STATE)
		o = json_load_file(path, 0, NULL);
	free(path);
	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static int
rtp_state_write(const char *dir, const char *file, const json_t *o,
    char **cause)
{
	char *path = xasprintf("%s/%s", dir, file);
	char *text = json_dumps(o, JSON_INDENT(2));
	int ret;

	ret = pki_file_write(path, text, strlen(text), 0600, cause);
	free(text);
	free(path);
	return ret;
}

/* Reaps the supervisors this runtime started that have exited (the
 * agent's SIGCHLD handler may have done it already). */
void
rtp_reap(struct rtp *r)
{
	const char *name;
	json_t *v;
	pid_t pid;
	int status;

	json_object_foreach(r->started, name, v) {
		pid = (pid_t)json_integer_value(json_object_get(v, "pid"));
		if (pid > 0 && waitpid(pid, &status, WNOHANG) == pid)
			json_object_set_new(v, "pid", json_integer(0));
	}
}

void
rtp_procs_read(struct rtp *r, const char *dir, struct rtp_procs *p)
{
	const char *exe, *bin;

	memset(p, 0, sizeof(*p));
	p->supj = rtp_state_read(dir, "supervisor.json");
	p->statj = rtp_state_read(dir, "status.json");
	exe = json_string_value(json_object_get(p->supj, "exe"));
	bin = json_string_value(json_object_get(p->supj, "bin"));
	if (p->supj != NULL) {
		p->sup = (pid_t)json_integer_value(json_object_get(p->supj, "pid"));
		p->sup_start = (unsigned long long)json_integer_value(
		    json_object_get(p->supj, "start"));
		if (!rtps_alive(p->sup, p->sup_start, exe != NULL ? exe : r->self))
			p->sup = 0;
	}
	if (p->statj != NULL && bin != NULL) {
		p->node = (pid_t)json_integer_value(json_object_get(p->statj, "pid"));
		p->node_start = (unsigned long long)json_integer_value(
		    json_object_get(p->statj, "start"));
		if (!rtps_alive(p->node, p->node_start, bin))
			p->node = 0;
	}
}

void
rtp_procs_clear(struct rtp_procs *p)
{
	json_decref(p->supj);
	json_decref(p->statj);
	memset(p, 0, sizeof(*p));
}

/* Stops what runs for dir (supervisor first: it stops its node); the
 * data stays. */
static void
rtp_stop_dir(struct rtp *r, const char *dir)
{
	struct rtp_procs p;

	rtp_procs_read(r, dir, &p);
	if (p.sup != 0) {
		kill(p.sup, SIGTERM);
		if (rtps_wait_gone(p.sup, p.sup_start, (long)r->lim.stop_wait_ms +
		    3000) != 0) {
			kill(p.sup, SIGKILL);
			(void)rtps_wait_gone(p.sup, p.sup_start, 2000);
		}
		rtp_procs_clear(&p);
		rtp_procs_read(r, dir, &p);
	}
	/* A node left without its supervisor (killed with SIGKILL). */
	if (p.node != 0)
		rtps_kill(p.node, p.node_start, (long)r->lim.stop_wait_ms, 1);
	rtp_procs_clear(&p);
}

/* ---- nodes ---- */

void
rtp_node_clear(struct rtp_node *n)
{
	free(n->name);
	free(n->host);
	free(n->dir);
	free(n->cfgdir);
	free(n->datadir);
	free(n->pkinode);
	free(n->tlsca);
	free(n->binpath);
	free(n->cfgfile);
	memset(n, 0, sizeof(*n));
}

/* Ports no new assignment may take: the org's endpoints' and the ports
 * of every node already in process/. *navoid entries; caller frees. */
static unsigned int *
rtp_used_ports(struct rtp *r, const json_t *org, const char *except,
    size_t *navoid)
{
	static const char *const kinds[] = { "peers", "orderers" };
	static const char *const keys[] = { "admin", "operations", "chaincode" };
	unsigned int *v = NULL, port;
	size_t n = 0, cap = 0, i, k;
	struct dirent *de;
	json_t *o, *j;
	char *host, *dir;
	DIR *d;
	int count = 0;

	for (k = 0; k < 2; k++) {
		json_array_foreach(json_object_get(org, kinds[k]), i, j) {
			if (rt_process_endpoint(json_string_value(json_object_get(j,
			    "endpoint")), &host, &port) != 0)
				continue;
			free(host);
			if (n == cap)
				v = xreallocarray(v, cap = cap * 2 + 16, sizeof(*v));
			v[n++] = port;
		}
	}
	if ((d = opendir(r->procdir)) != NULL) {
		while ((de = readdir(d)) != NULL && count++ < RTP_MAX_NODES) {
			if (!rtp_name_ok(de->d_name) || strcmp(de->d_name,
			    except) == 0)
				continue;
			dir = xasprintf("%s/%s", r->procdir, de->d_name);
			o = rtp_state_read(dir, "ports.json");
			free(dir);
			for (k = 0; o != NULL && k < 3; k++) {
				j = json_object_get(o, keys[k]);
				if (!json_is_integer(j))
					continue;
				if (n == cap)
					v = xreallocarray(v, cap = cap * 2 + 16,
					    sizeof(*v));
				v[n++] = (unsigned int)json_integer_value(j);
			}
			json_decref(o);
		}
		closedir(d);
	}
	*navoid = n;
	return v;
}

/* The org and node of a call, dirs made, ports assigned. */
int
rtp_node_load(struct rtp *r, const struct rt_org *o, const char *name,
    struct rtp_node *n, char **cause)
{
	const char *domain, *dname;
	unsigned int *avoid = NULL;
	size_t navoid = 0;
	char *pfile = NULL;
	int ret = -1;

	memset(n, 0, sizeof(*n));
	if ((n->org = topology_find_org(o->consortium, o->mspid)) == NULL) {
		*cause = xasprintf("the consortium has no org with MSP ID %s",
		    o->mspid);
		return -1;
	}
	domain = json_string_value(json_object_get(n->org, "domain"));
	if ((n->tnode = topology_find_node(n->org, name, &n->kind)) == NULL) {
		*cause = xasprintf("org %s has no node %s", o->mspid, name);
		return -1;
	}
	if (!rtp_name_ok(name) || domain == NULL) {
		*cause = xasprintf("node name \"%s\" of org %s cannot name a "
		    "directory (1 to 64 of A-Z a-z 0-9 . _ -, starting with a "
		    "letter or digit)", name, o->mspid);
		return -1;
	}
	n->name = xstrdup(name);
	n->endpoint = json_string_value(json_object_get(n->tnode, "endpoint"));
	if (rt_process_endpoint(n->endpoint, &n->host, &n->port) != 0) {
		*cause = xasprintf("node %s: endpoint \"%s\" is not host:port",
		    name, n->endpoint != NULL ? n->endpoint : "");
		goto done;
	}
	n->dir = xasprintf("%s/%s", r->procdir, name);
	n->cfgdir = xasprintf("%s/config", n->dir);
	n->datadir = xasprintf("%s/data", n->dir);
	dname = strcmp(n->kind, "peer") == 0 ? "peers" : "orderers";
	n->pkinode = xasprintf("%s/%s/%s.%s", o->pkidir, dname, name, domain);
	n->tlsca = xasprintf("%s/tlsca/tlsca.%s-cert.pem", o->pkidir, domain);
	n->binpath = xasprintf("%s/%s", r->bin, n->kind);
	n->cfgfile = xasprintf("%s/%s.yaml", n->cfgdir,
	    strcmp(n->kind, "peer") == 0 ? "core" : "orderer");
	if (rtp_mkdir(n->dir, 0700, cause) != 0 ||
	    rtp_mkdir(n->cfgdir, 0700, cause) != 0 ||
	    rtp_mkdir(n->datadir, 0700, cause) != 0)
		goto done;
	avoid = rtp_used_ports(r, n->org, name, &navoid);
	pfile = xasprintf("%s/ports.json", n->dir);
	if (rt_process_ports_load(pfile, n->kind, avoid, navoid, &n->ports,
	    cause) != 0)
		goto done;
	ret = 0;
done:
	free(avoid);
	free(pfile);
	return ret;
}

const char *
rtp_listen_host(struct rtp *r, const struct rtp_node *n)
{
	unsigned char addr[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, n->host, addr) == 1 ||
	    inet_pton(AF_INET6, n->host, addr) == 1)
		return n->host;
	return r->listen;
}

/* The node's config file text; NULL with *cause. Caller frees. */
static char *
rtp_config_text(struct rtp *r, const struct rtp_node *n, char **cause)
{
	struct rt_process_node pn;
	const char **boot = NULL;
	json_t *sample = NULL, *conf = NULL, *p;
	char *spath, *text = NULL, *out = NULL;
	size_t i, nb = 0;

	spath = xasprintf("%s/%s.yaml", r->cfgdir, strcmp(n->kind, "peer") == 0 ?
	    "core" : "orderer");
	if ((sample = rt_process_sample_load(spath, cause)) == NULL)
		goto done;
	/* Gossip bootstrap: the org's other peers (itself when alone). */
	boot = xcalloc(json_array_size(json_object_get(n->org, "peers")) + 1,
	    sizeof(*boot));
	json_array_foreach(json_object_get(n->org, "peers"), i, p) {
		const char *ep = json_string_value(json_object_get(p, "endpoint"));
		const char *nm = json_string_value(json_object_get(p, "name"));

		if (ep != NULL && nm != NULL && strcmp(nm, n->name) != 0)
			boot[nb++] = ep;
	}
	memset(&pn, 0, sizeof(pn));
	pn.kind = n->kind;
	pn.name = n->name;
	pn.mspid = json_string_value(json_object_get(n->org, "mspId"));
	pn.domain = json_string_value(json_object_get(n->org, "domain"));
	pn.endpoint = n->endpoint;
	pn.listen_host = rtp_listen_host(r, n);
	pn.port = n->port;
	pn.admin_port = n->ports.admin;
	pn.ops_port = n->ports.ops;
	pn.cc_port = n->ports.cc;
	pn.pkinode = n->pkinode;
	pn.tlsca = n->tlsca;
	pn.datadir = n->datadir;
	pn.bootstrap = boot;
	pn.builder = r->builder;
	if ((conf = rt_process_conf(sample, &pn, cause)) == NULL)
		goto done;
	text = json_dumps(conf, JSON_INDENT(2));
	out = xasprintf("%s\n", text);
done:
	free(text);
	free(boot);
	free(spath);
	json_decref(sample);
	json_decref(conf);
	return out;
}

/* Forks the node's supervisor and records it. */
static int
rtp_spawn(struct rtp *r, const struct rtp_node *n, const char *hash,
    char *const *env, char **cause)
{
	char *argv[4], *logp = xasprintf("%s/node.log", n->dir);
	char *statp = xasprintf("%s/status.json", n->dir);
	struct rtp_spawn sp;
	sigset_t all, old;
	unsigned long long start = 0;
	json_t *o;
	pid_t pid;
	int ret = -1;

	argv[0] = n->binpath;
	argv[1] = strcmp(n->kind, "peer") == 0 ? "node" : NULL;
	argv[2] = strcmp(n->kind, "peer") == 0 ? "start" : NULL;
	argv[3] = NULL;
	memset(&sp, 0, sizeof(sp));
	sp.name = n->name;
	sp.kind = n->kind;
	sp.bin = n->binpath;
	sp.dir = n->dir;
	sp.log = logp;
	sp.status = statp;
	sp.argv = argv;
	sp.envp = env;
	sp.lim = r->lim;
	sp.parent = getpid();
	(void)unlink(statp);
	/* No signal handler of the agent's may run in the child. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0)
		rtps_supervise(&sp);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		*cause = xasprintf("cannot start %s: fork: %s", n->name,
		    strerror(errno));
		goto done;
	}
	(void)rtps_stat(pid, NULL, NULL, &start);
	o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:I}", "pid", (json_int_t)pid,
	    "start", (json_int_t)start, "exe", r->self, "bin", n->binpath,
	    "hash", hash, "startedAt", (json_int_t)time(NULL));
	ret = rtp_state_write(n->dir, "supervisor.json", o, cause);
	json_decref(o);
	json_object_set_new(r->started, n->name, json_pack("{s:I, s:s}", "pid",
	    (json_int_t)pid, "hash", hash));
	if (ret != 0) {
		kill(pid, SIGTERM);
		(void)rtps_wait_gone(pid, start, (long)r->lim.stop_wait_ms + 3000);
		goto done;
	}
	log_info("process runtime: started %s %s (supervisor pid %ld), log %s",
	    n->kind, n->name, (long)pid, logp);
done:
	free(logp);
	free(statp);
	return ret;
}

/* ---- the runtime ---- */

static int
rtp_ensure(struct runtime *rt, const struct rt_org *o, const char *name,
    char **cause)
{
	struct rtp *r = rtp_of(rt);
	struct rtp_node n;
	struct rtp_procs p;
	char **env = NULL, *text = NULL, *hash = NULL;
	const char *db, *cur, *st, *mine;
	int ret = -1;

	memset(&p, 0, sizeof(p));
	rtp_reap(r);
	if (rtp_node_load(r, o, name, &n, cause) != 0)
		goto done;
	db = json_string_value(json_object_get(n.tnode, "stateDatabase"));
	if (db != NULL && strcasecmp(db, "couchdb") == 0) {
		*cause = xasprintf("peer %s asks for stateDatabase couchdb; the "
		    "process runtime runs no CouchDB (use leveldb, or the "
		    "kubernetes runtime)", name);
		goto done;
	}
	if (access(n.binpath, X_OK) != 0) {
		*cause = xasprintf("cannot run %s: %s (FABRIC_BIN must hold "
		    "Fabric 2.5's peer and orderer)", n.binpath, strerror(errno));
		goto done;
	}
	if ((text = rtp_config_text(r, &n, cause)) == NULL ||
	    rt_process_conf_write(n.cfgfile, text, cause) != 0)
		goto done;
	env = rt_process_env(n.cfgdir, environ);
	hash = rt_process_conf_hash(n.binpath, text, env, n.pkinode,
	    n.tlsca);
	rtp_procs_read(r, n.dir, &p);
	st = json_string_value(json_object_get(p.statj, "state"));
	cur = json_string_value(json_object_get(p.supj, "hash"));
	if (p.sup != 0 && st != NULL && strcmp(st, "stopping") == 0) {
		/* A supervisor of an agent that is going away: let it finish. */
		(void)rtps_wait_gone(p.sup, p.sup_start,
		    (long)r->lim.stop_wait_ms + 3000);
	} else if (p.sup != 0 && cur != NULL && strcmp(cur, hash) == 0) {
		ret = 0;   /* running (or waiting to restart) as desired */
		goto done;
	} else if (p.sup != 0)
		log_info("process runtime: %s %s: its configuration changed; "
		    "restarting it", n.kind, name);
	else if (st != NULL && strcmp(st, "failed") == 0 &&
	    (mine = json_string_value(json_object_get(json_object_get(
	    r->started, name), "hash"))) != NULL && strcmp(mine, hash) == 0) {
		/* Failed as started by us with this very config: it stays
		 * failed (observe says why) until something changes. */
		ret = 0;
		goto done;
	}
	rtp_procs_clear(&p);
	rtp_stop_dir(r, n.dir);
	ret = rtp_spawn(r, &n, hash, env, cause);
done:
	rtp_procs_clear(&p);
	rt_process_env_free(env);
	free(text);
	free(hash);
	rtp_node_clear(&n);
	return ret;
}

static int
rtp_remove(struct runtime *rt, const struct rt_org *o, const char *name,
    char **cause)
{
	struct rtp *r = rtp_of(rt);
	struct stat sb;
	char *dir;

	if (!rtp_name_ok(name)) {
		*cause = xasprintf("node name \"%s\" cannot name a directory",
		    name);
		return -1;
	}
	rtp_reap(r);
	dir = xasprintf("%s/%s", r->procdir, name);
	if (stat(dir, &sb) == 0) {
		rtp_stop_dir(r, dir);
		log_info("process runtime: %s stopped; its data is kept in %s",
		    name, dir);
	}
	json_object_del(r->started, name);
	free(dir);
	return 0;
}

static int
rtp_render(struct runtime *rt, const struct rt_org *o, char **cause)
{
	static const char *const kinds[] = { "peers", "orderers" };
	struct rtp *r = rtp_of(rt);
	const json_t *org;
	json_t *n;
	struct dirent *de;
	char *first = NULL, *why, *dir;
	size_t i, k, nfail = 0, total = 0;
	DIR *d;
	int count = 0;

	if ((org = topology_find_org(o->consortium, o->mspid)) == NULL) {
		*cause = xasprintf("the consortium has no org with MSP ID %s",
		    o->mspid);
		return -1;
	}
	for (k = 0; k < 2; k++) {
		json_array_foreach(json_object_get(org, kinds[k]), i, n) {
			const char *name = json_string_value(json_object_get(n,
			    "name"));

			total++;
			why = NULL;
			if (name != NULL && rtp_ensure(rt, o, name, &why) == 0)
				continue;
			nfail++;
			log_warnx("process runtime: %s: %s", name != NULL ? name :
			    "?", why != NULL ? why : "no name");
			if (first == NULL)
				first = why;
			else
				free(why);
		}
	}
	/* Nodes no longer in the topology: stopped, data kept. */
	if ((d = opendir(r->procdir)) != NULL) {
		while ((de = readdir(d)) != NULL && count++ < RTP_MAX_NODES) {
			if (!rtp_name_ok(de->d_name) ||
			    topology_find_node(org, de->d_name, NULL) != NULL)
				continue;
			dir = xasprintf("%s/%s", r->procdir, de->d_name);
			rtp_stop_dir(r, dir);
			json_object_del(r->started, de->d_name);
			free(dir);
		}
		closedir(d);
	}
	if (nfail == 0)
		return 0;
	*cause = xasprintf("%zu of %zu nodes of org %s could not be started; "
	    "first: %s", nfail, total, o->mspid, first != NULL ? first : "?");
	free(first);
	return -1;
}

void
rt_process_set_limits(struct runtime *rt, const struct rt_process_limits *l)
{
	struct rtp *r = rtp_of(rt);

	if (l->backoff_min_ms != 0)
		r->lim.backoff_min_ms = l->backoff_min_ms;
	if (l->backoff_max_ms != 0)
		r->lim.backoff_max_ms = l->backoff_max_ms;
	if (l->crash_max != 0)
		r->lim.crash_max = l->crash_max < RTP_MAX_CRASHES ? l->crash_max :
		    RTP_MAX_CRASHES;
	if (l->crash_window_s != 0)
		r->lim.crash_window_s = l->crash_window_s;
	if (l->stop_wait_ms != 0)
		r->lim.stop_wait_ms = l->stop_wait_ms;
	if (l->health_ms != 0)
		r->lim.health_ms = l->health_ms;
	if (l->log_max != 0)
		r->lim.log_max = l->log_max;
	if (r->lim.backoff_max_ms < r->lim.backoff_min_ms)
		r->lim.backoff_max_ms = r->lim.backoff_min_ms;
}

/* Stops every node whose supervisor is a child of this process: SIGTERM
 * to all first, so an org's nodes stop together, then the bounded waits. */
static void
rtp_free(struct runtime *rt)
{
	struct rtp *r = rtp_of(rt);
	struct rtp_procs p;
	struct dirent *de;
	char **dirs = NULL, *dir;
	size_t nd = 0, i;
	pid_t ppid;
	DIR *d;
	int count = 0;

	rtp_reap(r);
	if ((d = opendir(r->procdir)) != NULL) {
		while ((de = readdir(d)) != NULL && count++ < RTP_MAX_NODES) {
			if (!rtp_name_ok(de->d_name))
				continue;
			dir = xasprintf("%s/%s", r->procdir, de->d_name);
			rtp_procs_read(r, dir, &p);
			ppid = 0;
			if (p.sup != 0 && rtps_stat(p.sup, NULL, &ppid, NULL) == 0 &&
			    ppid == getpid()) {
				kill(p.sup, SIGTERM);
				dirs = xreallocarray(dirs, nd + 1, sizeof(*dirs));
				dirs[nd++] = dir;
			} else
				free(dir);
			rtp_procs_clear(&p);
		}
		closedir(d);
	}
	for (i = 0; i < nd; i++) {
		rtp_stop_dir(r, dirs[i]);
		free(dirs[i]);
	}
	if (nd > 0)
		log_info("process runtime: stopped %zu node%s", nd, nd == 1 ?
		    "" : "s");
	free(dirs);
	if (r->curl != NULL)
		curl_easy_cleanup(r->curl);
	json_decref(r->started);
	free(r->bin);
	free(r->cfgdir);
	free(r->procdir);
	free(r->listen);
	free(r->self);
	free(r->builder);
	free(r);
	free(rt);
}

static const struct runtime_ops rtp_ops = {
	"process", rtp_render, rtp_ensure, rtp_observe, rtp_remove, rtp_free
};

int
rt_is_process(const struct runtime *rt)
{
	return rt != NULL && rt->ops == &rtp_ops;
}

struct runtime *
rt_process_new(const char *fabric_bin, const char *statedir,
    const char *listen_address, char **cause)
{
	static const char *const need[] = { "peer", "orderer", "core.yaml",
	    "orderer.yaml" };
	unsigned char addr[sizeof(struct in6_addr)];
	struct runtime *rt = NULL;
	struct rtp *r;
	struct stat st;
	const char *cfg;
	char *path, *b;
	size_t i;

	r = xcalloc(1, sizeof(*r));
	r->lim = rtp_defaults;
	r->started = json_object();
	if (fabric_bin == NULL || *fabric_bin == '\0') {
		*cause = xstrdup("the process runtime needs Fabric's binaries: "
		    "give --fabric-bin DIR or set FABRIC_BIN (a directory with "
		    "Fabric 2.5's peer and orderer)");
		goto fail;
	}
	if ((r->bin = realpath(fabric_bin, NULL)) == NULL) {
		*cause = xasprintf("FABRIC_BIN %s: %s", fabric_bin,
		    strerror(errno));
		goto fail;
	}
	cfg = getenv("FABRIC_CFG_PATH");
	r->cfgdir = cfg != NULL && *cfg != '\0' ? xstrdup(cfg) :
	    xasprintf("%s/../config", r->bin);
	for (i = 0; i < 4; i++) {
		path = xasprintf("%s/%s", i < 2 ? r->bin : r->cfgdir, need[i]);
		if (access(path, i < 2 ? X_OK : R_OK) != 0) {
			*cause = xasprintf("%s: %s (%s)", path, strerror(errno),
			    i < 2 ? "FABRIC_BIN must hold Fabric 2.5's peer and "
			    "orderer" : "Fabric's sample config is looked for in "
			    "FABRIC_CFG_PATH, else FABRIC_BIN/../config");
			free(path);
			goto fail;
		}
		free(path);
	}
	r->listen = xstrdup(listen_address != NULL ? listen_address : "0.0.0.0");
	if (inet_pton(AF_INET, r->listen, addr) != 1 &&
	    inet_pton(AF_INET6, r->listen, addr) != 1) {
		*cause = xasprintf("listen address \"%s\" is not an IPv4 or "
		    "IPv6 address", r->listen);
		goto fail;
	}
	path = xasprintf("%s/../builders/ccaas", r->bin);
	if ((b = realpath(path, NULL)) != NULL && stat(b, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		r->builder = b;
	else
		free(b);
	free(path);
	if ((r->self = realpath("/proc/self/exe", NULL)) == NULL) {
		*cause = xasprintf("/proc/self/exe: %s", strerror(errno));
		goto fail;
	}
	r->procdir = xasprintf("%s/process", statedir);
	if (rtp_mkdir(statedir, 0700, cause) != 0 ||
	    rtp_mkdir(r->procdir, 0700, cause) != 0)
		goto fail;
	rt = xcalloc(1, sizeof(*rt));
	rt->ops = &rtp_ops;
	rt->priv = r;
	log_info("process runtime: Fabric binaries in %s, sample config in %s, "
	    "nodes in %s", r->bin, r->cfgdir, r->procdir);
	return rt;
fail:
	json_decref(r->started);
	free(r->bin);
	free(r->cfgdir);
	free(r->listen);
	free(r->self);
	free(r->builder);
	free(r->procdir);
	free(r);
	return NULL;
}
