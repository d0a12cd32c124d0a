/*
 * rt_process_conf.c: what the process runtime starts a node with, as pure
 * functions of their inputs: the node's config document (Fabric's sample
 * core.yaml or orderer.yaml with every address, port, path, TLS and MSP
 * setting of the node put in), its environment, its endpoint split, and
 * the ports the runtime assigns to it, kept in a file so a restart keeps
 * them.
 *
 * The config is written as JSON, which Fabric's YAML readers (viper for
 * the peer, yaml.v2 for the orderer) take as YAML. Settings go in the
 * file rather than in CORE_* / ORDERER_* variables because one of them
 * cannot go anywhere else: a peer without Docker needs vm.endpoint ""
 * in core.yaml (an empty CORE_VM_ENDPOINT is ignored) and then at least
 * one chaincode.externalBuilders entry.
 */
#include "runtime.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "log.h"
#include "rt_process_int.h"
#include "pki.h"
#include "xmalloc.h"
#include "yamljson.h"

#define RTPC_MAX_SAMPLE  (1024 * 1024) /* a sample config file */
#define RTPC_MAX_DEPTH   64
#define RTPC_PICK_TRIES  32            /* free-port picks per port */
#define RTPC_MAX_HASHED  (1024 * 1024) /* a PKI file hashed */
#define RTPC_MAX_ENTRIES 1024          /* files hashed per directory */

int
rt_process_endpoint(const char *ep, char **host, unsigned int *port)
{
	const char *colon, *end;
	char *e;
	unsigned long p;

	*host = NULL;
	if (ep == NULL || *ep == '\0' || strlen(ep) > 512)
		return -1;
	if (ep[0] == '[') {
		if ((end = strchr(ep, ']')) == NULL || end[1] != ':' || end == ep + 1)
			return -1;
		colon = end + 1;
		*host = xstrndup(ep + 1, (size_t)(end - ep - 1));
	} else {
		if ((colon = strrchr(ep, ':')) == NULL || colon == ep ||
		    memchr(ep, ':', (size_t)(colon - ep)) != NULL)
			return -1;
		*host = xstrndup(ep, (size_t)(colon - ep));
	}
	errno = 0;
	p = strtoul(colon + 1, &e, 10);
	if (colon[1] < '0' || colon[1] > '9' || *e != '\0' || errno != 0 ||
	    p < 1 || p > 65535) {
		free(*host);
		*host = NULL;
		return -1;
	}
	*port = (unsigned int)p;
	return 0;
}

struct rtpc_report {
	const char *path;
	char *first;   /* first error */
};

static void
rtpc_report_cb(void *arg, int warning, const char *path, int line, int column,
    const char *msg)
{
	struct rtpc_report *r = arg;

	if (warning || r->first != NULL) {
		if (warning)
			log_debug("%s:%d:%d: %s", r->path, line, column, msg);
		return;
	}
	r->first = xasprintf("%s:%d:%d: %s%s%s", r->path, line, column,
	    path != NULL && *path != '\0' ? path : "", path != NULL &&
	    *path != '\0' ? ": " : "", msg);
}

json_t *
rt_process_sample_load(const char *path, char **cause)
{
	struct rtpc_report rep = { path, NULL };
	struct stat st;
	json_t *doc = NULL;
	char *data = NULL;
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("cannot read Fabric's sample config %s: %s "
		    "(set FABRIC_CFG_PATH to the directory of core.yaml and "
		    "orderer.yaml)", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > RTPC_MAX_SAMPLE) {
		*cause = xasprintf("%s is not a regular file of at most %d bytes",
		    path, RTPC_MAX_SAMPLE);
		goto done;
	}
	data = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		n = read(fd, data + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	doc = yamljson_parse(data, off, RTPC_MAX_DEPTH, NULL, rtpc_report_cb,
	    &rep);
	if (doc != NULL && !json_is_object(doc)) {
		json_decref(doc);
		doc = NULL;
		if (rep.first == NULL)
			rep.first = xasprintf("%s is not a YAML mapping", path);
	}
	if (doc == NULL) {
		*cause = rep.first != NULL ? rep.first :
		    xasprintf("%s: not valid YAML", path);
		rep.first = NULL;
	}
done:
	free(rep.first);
	free(data);
	close(fd);
	return doc;
}

/*
 * conf[dotted path] := v (stolen), making the mappings on the way. A
 * member on the way that is not a mapping is an error: the sample is not
 * the Fabric config we know.
 */
static int
rtpc_set(json_t *conf, const char *path, json_t *v, char **cause)
{
	char *p = xstrdup(path), *s = p, *dot;
	json_t *cur = conf, *next;
	int ret = -1;

	while ((dot = strchr(s, '.')) != NULL) {
		*dot = '\0';
		next = json_object_get(cur, s);
		if (next == NULL || json_is_null(next)) {
			next = json_object();
			json_object_set_new(cur, s, next);
		} else if (!json_is_object(next)) {
			*cause = xasprintf("the sample config's %.*s is not a "
			    "mapping", (int)(dot - p), path);
			goto done;
		}
		cur = next;
		s = dot + 1;
	}
	json_object_set(cur, s, v);
	ret = 0;
done:
	json_decref(v);
	free(p);
	return ret;
}

struct rtpc_kv {
	const char *path;
	json_t *v;
};

static int
rtpc_apply(json_t *conf, struct rtpc_kv *kv, size_t n, char **cause)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < n; i++) {
		if (ret == 0 && rtpc_set(conf, kv[i].path, kv[i].v, cause) != 0)
			ret = -1;
		else if (ret != 0)
			json_decref(kv[i].v);
	}
	return ret;
}

static char *
rtpc_addr(const char *host, unsigned int port)
{
	if (strchr(host, ':') != NULL)
		return xasprintf("[%s]:%u", host, port);
	return xasprintf("%s:%u", host, port);
}

/*
 * The peer's external builders: the sample's, with a ccaas_builder
 * pointed at builder when one is given (added when the sample has none).
 * The peer refuses to start with vm.endpoint "" and no builder at all.
 */
static json_t *
rtpc_builders(const json_t *sample_list, const char *builder)
{
	json_t *list = json_array(), *b;
	size_t i;
	int found = 0;

	json_array_foreach(sample_list, i, b) {
		const char *name = json_string_value(json_object_get(b, "name"));

		if (!json_is_object(b))
			continue;
		b = json_deep_copy(b);
		if (name != NULL && strcmp(name, "ccaas_builder") == 0) {
			found = 1;
			if (builder != NULL)
				json_object_set_new(b, "path", json_string(builder));
		}
		json_array_append_new(list, b);
	}
	if (!found || json_array_size(list) == 0)
		json_array_append_new(list, json_pack("{s:s, s:s, s:[s]}",
		    "name", "ccaas_builder", "path", builder != NULL ? builder :
		    "/opt/hyperledger/ccaas_builder", "propagateEnvironment",
		    "CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG"));
	return list;
}

static int
rtpc_peer(json_t *conf, const struct rt_process_node *n, char **cause)
{
	char *id = xasprintf("%s.%s", n->name, n->domain);
	char *listen = rtpc_addr(n->listen_host, n->port);
	char *cc = rtpc_addr("127.0.0.1", n->cc_port);
	char *ops = rtpc_addr("127.0.0.1", n->ops_port);
	char *msp = xasprintf("%s/msp", n->pkinode);
	char *crt = xasprintf("%s/tls/server.crt", n->pkinode);
	char *key = xasprintf("%s/tls/server.key", n->pkinode);
	char *ca = xasprintf("%s/tls/ca.crt", n->pkinode);
	char *snap = xasprintf("%s/snapshots", n->datadir);
	json_t *boot = json_array();
	size_t i, nkv;
	int ret;

	for (i = 0; n->bootstrap != NULL && n->bootstrap[i] != NULL; i++)
		json_array_append_new(boot, json_string(n->bootstrap[i]));
	if (json_array_size(boot) == 0)
		json_array_append_new(boot, json_string(n->endpoint));
	{
		struct rtpc_kv kv[] = {
			{ "peer.id", json_string(id) },
			{ "peer.listenAddress", json_string(listen) },
			{ "peer.address", json_string(n->endpoint) },
			{ "peer.chaincodeListenAddress", json_string(cc) },
			{ "peer.chaincodeAddress", json_string(cc) },
			{ "peer.addressAutoDetect", json_false() },
			{ "peer.gossip.bootstrap", boot },
			{ "peer.gossip.endpoint", json_string(n->endpoint) },
			{ "peer.gossip.externalEndpoint", json_string(n->endpoint) },
			{ "peer.gossip.useLeaderElection", json_true() },
			{ "peer.gossip.orgLeader", json_false() },
			{ "peer.tls.enabled", json_true() },
			{ "peer.tls.clientAuthRequired", json_false() },
			{ "peer.tls.cert.file", json_string(crt) },
			{ "peer.tls.key.file", json_string(key) },
			{ "peer.tls.rootcert.file", json_string(ca) },
			{ "peer.tls.clientRootCAs.files", json_pack("[s]", ca) },
			{ "peer.fileSystemPath", json_string(n->datadir) },
			{ "peer.mspConfigPath", json_string(msp) },
			{ "peer.localMspId", json_string(n->mspid) },
			{ "peer.profile.enabled", json_false() },
			{ "vm.endpoint", json_string("") },
			{ "chaincode.externalBuilders", rtpc_builders(
			    json_object_get(json_object_get(conf, "chaincode"),
			    "externalBuilders"), n->builder) },
			{ "ledger.state.stateDatabase", json_string("goleveldb") },
			{ "ledger.snapshots.rootDir", json_string(snap) },
			{ "operations.listenAddress", json_string(ops) },
			{ "operations.tls.enabled", json_false() },
			{ "metrics.provider", json_string("prometheus") },
		};

		nkv = sizeof(kv) / sizeof(kv[0]);
		ret = rtpc_apply(conf, kv, nkv, cause);
	}
	free(id);
	free(listen);
	free(cc);
	free(ops);
	free(msp);
	free(crt);
	free(key);
	free(ca);
	free(snap);
	return ret;
}

static int
rtpc_orderer(json_t *conf, const struct rt_process_node *n, char **cause)
{
	char *admin = rtpc_addr("127.0.0.1", n->admin_port);
	char *ops = rtpc_addr("127.0.0.1", n->ops_port);
	char *msp = xasprintf("%s/msp", n->pkinode);
	char *crt = xasprintf("%s/tls/server.crt", n->pkinode);
	char *key = xasprintf("%s/tls/server.key", n->pkinode);
	char *ca = xasprintf("%s/tls/ca.crt", n->pkinode);
	char *ledger = xasprintf("%s/ledger", n->datadir);
	char *wal = xasprintf("%s/etcdraft/wal", n->datadir);
	char *snap = xasprintf("%s/etcdraft/snapshot", n->datadir);
	size_t nkv;
	int ret;
	struct rtpc_kv kv[] = {
		{ "General.ListenAddress", json_string(n->listen_host) },
		{ "General.ListenPort", json_integer(n->port) },
		{ "General.TLS.Enabled", json_true() },
		{ "General.TLS.PrivateKey", json_string(key) },
		{ "General.TLS.Certificate", json_string(crt) },
		{ "General.TLS.RootCAs", json_pack("[s]", ca) },
		{ "General.TLS.ClientAuthRequired", json_false() },
		/* Cluster traffic shares the general listener. */
		{ "General.Cluster.ListenAddress", json_string("") },
		{ "General.Cluster.ListenPort", json_integer(0) },
		{ "General.Cluster.ServerCertificate", json_string("") },
		{ "General.Cluster.ServerPrivateKey", json_string("") },
		{ "General.Cluster.ClientCertificate", json_string(crt) },
		{ "General.Cluster.ClientPrivateKey", json_string(key) },
		{ "General.Cluster.RootCAs", json_pack("[s]", ca) },
		{ "General.BootstrapMethod", json_string("none") },
		{ "General.BootstrapFile", json_string("") },
		{ "General.LocalMSPDir", json_string(msp) },
		{ "General.LocalMSPID", json_string(n->mspid) },
		{ "General.Profile.Enabled", json_false() },
		{ "FileLedger.Location", json_string(ledger) },
		{ "Consensus.WALDir", json_string(wal) },
		{ "Consensus.SnapDir", json_string(snap) },
		{ "Operations.ListenAddress", json_string(ops) },
		{ "Operations.TLS.Enabled", json_false() },
		{ "Metrics.Provider", json_string("prometheus") },
		{ "Admin.ListenAddress", json_string(admin) },
		{ "Admin.TLS.Enabled", json_true() },
		{ "Admin.TLS.PrivateKey", json_string(key) },
		{ "Admin.TLS.Certificate", json_string(crt) },
		{ "Admin.TLS.RootCAs", json_pack("[s]", ca) },
		{ "Admin.TLS.ClientAuthRequired", json_true() },
		/* The agent joins channels with an org TLS client cert. */
		{ "Admin.TLS.ClientRootCAs", json_pack("[s]", n->tlsca) },
		{ "ChannelParticipation.Enabled", json_true() },
	};

	nkv = sizeof(kv) / sizeof(kv[0]);
	ret = rtpc_apply(conf, kv, nkv, cause);
	free(admin);
	free(ops);
	free(msp);
	free(crt);
	free(key);
	free(ca);
	free(ledger);
	free(wal);
	free(snap);
	return ret;
}

json_t *
rt_process_conf(const json_t *sample, const struct rt_process_node *n,
    char **cause)
{
	json_t *conf;
	int rc;

	if (!json_is_object(sample)) {
		*cause = xstrdup("the sample config is not a mapping");
		return NULL;
	}
	if (n->name == NULL || n->mspid == NULL || n->domain == NULL ||
	    n->endpoint == NULL || n->listen_host == NULL || n->pkinode == NULL ||
	    n->tlsca == NULL || n->datadir == NULL || n->port == 0 ||
	    n->ops_port == 0) {
		*cause = xstrdup("a node's configuration lacks a setting");
		return NULL;
	}
	conf = json_deep_copy(sample);
	if (strcmp(n->kind, "peer") == 0 && n->cc_port != 0)
		rc = rtpc_peer(conf, n, cause);
	else if (strcmp(n->kind, "orderer") == 0 && n->admin_port != 0)
		rc = rtpc_orderer(conf, n, cause);
	else {
		*cause = xasprintf("cannot configure a node of kind %s without "
		    "its ports", n->kind);
		rc = -1;
	}
	if (rc != 0) {
		json_decref(conf);
		return NULL;
	}
	return conf;
}

char **
rt_process_env(const char *cfgdir, char *const *env)
{
	static const char *const pass[] = { "PATH=", "HOME=", "TZ=",
	    "FABRIC_LOGGING_SPEC=", "FABRIC_LOGGING_FORMAT=", NULL };
	char **out = xcalloc(10, sizeof(*out));
	size_t n = 0, i, j;
	int have_path = 0, have_format = 0;

	out[n++] = xasprintf("FABRIC_CFG_PATH=%s", cfgdir);
	for (j = 0; pass[j] != NULL; j++) {
		for (i = 0; env != NULL && env[i] != NULL; i++) {
			if (strncmp(env[i], pass[j], strlen(pass[j])) != 0)
				continue;
			out[n++] = xstrdup(env[i]);
			if (j == 0)
				have_path = 1;
			if (pass[j + 1] == NULL)
				have_format = 1;
			break;
		}
	}
	if (!have_path)
		out[n++] = xstrdup("PATH=/usr/local/bin:/usr/bin:/bin");
	/* Fabric's default format without its terminal colours: node.log is
	 * a file, and its last lines go into a failed node's detail. */
	if (!have_format)
		out[n++] = xstrdup("FABRIC_LOGGING_FORMAT=%{time:2006-01-02 "
		    "15:04:05.000 MST} [%{module}] %{shortfunc} -> "
		    "%{level:.4s} %{id:03x} %{message}");
	out[n] = NULL;
	return out;
}

void
rt_process_env_free(char **env)
{
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* A free TCP port on 127.0.0.1, the socket kept open in *fd so the next
 * pick cannot return it. 0 on failure. */
static unsigned int
rtpc_pick(int *fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd == -1)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(*fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(*fd, (struct sockaddr *)&sin, &len) == -1) {
		close(*fd);
		*fd = -1;
		return 0;
	}
	return ntohs(sin.sin_port);
}

static int
rtpc_avoided(unsigned int p, const unsigned int *avoid, size_t navoid,
    const struct rt_process_ports *mine)
{
	size_t i;

	for (i = 0; i < navoid; i++)
		if (avoid[i] == p)
			return 1;
	return p == mine->admin || p == mine->ops || p == mine->cc;
}

/* One port from the file: 0 when absent; -1 when not a port. */
static long
rtpc_port_get(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 65535)
		return -1;
	return (long)json_integer_value(v);
}

int
rt_process_ports_load(const char *file, const char *kind,
    const unsigned int *avoid, size_t navoid, struct rt_process_ports *pp,
    char **cause)
{
	static const char *const keys[] = { "admin", "operations", "chaincode" };
	unsigned int *slot[3];
	int want[3], fds[3 * RTPC_PICK_TRIES], nfd = 0, changed = 0, ret = -1;
	json_t *o = NULL;
	json_error_t jerr;
	const char *k;
	char *text = NULL;
	size_t i, t;
	long v;

	memset(pp, 0, sizeof(*pp));
	slot[0] = &pp->admin;
	slot[1] = &pp->ops;
	slot[2] = &pp->cc;
	want[0] = strcmp(kind, "orderer") == 0;
	want[1] = 1;
	want[2] = strcmp(kind, "peer") == 0;
	if (access(file, F_OK) == 0) {
		o = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(o)) {
			*cause = xasprintf("%s: %s", file, o == NULL ? jerr.text :
			    "not a JSON object");
			goto done;
		}
		k = json_string_value(json_object_get(o, "kind"));
		if (k == NULL || strcmp(k, kind) != 0) {
			*cause = xasprintf("%s was made for %s %s, not a %s: the "
			    "node's directory holds another kind of node's data "
			    "(rename the node or move the directory away)", file,
			    k != NULL && strcmp(k, "orderer") == 0 ? "an" : "a",
			    k != NULL ? k : "unknown node", kind);
			goto done;
		}
		for (i = 0; i < 3; i++) {
			if (!want[i])
				continue;
			if ((v = rtpc_port_get(o, keys[i])) == -1) {
				*cause = xasprintf("%s: \"%s\" is not a port "
				    "number", file, keys[i]);
				goto done;
			}
			*slot[i] = (unsigned int)v;
		}
	} else if (errno != ENOENT) {
		*cause = xasprintf("%s: %s", file, strerror(errno));
		goto done;
	} else
		o = json_pack("{s:s}", "kind", kind);
	for (i = 0; i < 3; i++) {
		if (!want[i] || *slot[i] != 0)
			continue;
		for (t = 0; t < RTPC_PICK_TRIES && *slot[i] == 0; t++) {
			unsigned int p = rtpc_pick(&fds[nfd]);

			if (p == 0) {
				*cause = xasprintf("cannot pick a free port on "
				    "127.0.0.1: %s", strerror(errno));
				goto done;
			}
			nfd++;
			if (!rtpc_avoided(p, avoid, navoid, pp))
				*slot[i] = p;
		}
		if (*slot[i] == 0) {
			*cause = xstrdup("cannot pick a free port on 127.0.0.1 "
			    "that no other node uses");
			goto done;
		}
		json_object_set_new(o, keys[i], json_integer(*slot[i]));
		changed = 1;
	}
	if (changed) {
		text = json_dumps(o, JSON_INDENT(2));
		if (pki_file_write(file, text, strlen(text), 0600, cause) != 0)
			goto done;
	}
	ret = 0;
done:
	while (nfd > 0)
		close(fds[--nfd]);
	free(text);
	json_decref(o);
	return ret;
}

static void
rtpc_hash_file(EVP_MD_CTX *md, const char *path)
{
	char buf[8192];
	size_t total = 0;
	ssize_t k;
	int fd;

	EVP_DigestUpdate(md, path, strlen(path) + 1);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return;
	while (total < RTPC_MAX_HASHED && (k = read(fd, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(md, buf, (size_t)k);
		total += (size_t)k;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
}

static void
rtpc_hash_dir(EVP_MD_CTX *md, const char *dir)
{
	struct dirent **ents = NULL;
	char *path;
	int i, k;

	if ((k = scandir(dir, &ents, NULL, alphasort)) < 0)
		return;
	for (i = 0; i < k; i++) {
		if (i < RTPC_MAX_ENTRIES && ents[i]->d_name[0] != '.') {
			path = xasprintf("%s/%s", dir, ents[i]->d_name);
			rtpc_hash_file(md, path);
			free(path);
		}
		free(ents[i]);
	}
	free(ents);
}

char *
rt_process_conf_hash(const char *binpath, const char *conf, char *const *env,
    const char *pkinode, const char *tlsca)
{
	static const char *const dirs[] = { "msp/cacerts", "msp/signcerts",
	    "msp/keystore", "msp/tlscacerts", "tls", NULL };
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0, i;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *path, *hex;

	if (md == NULL)
		fatalx("EVP_MD_CTX_new failed");
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, binpath, strlen(binpath) + 1);
	EVP_DigestUpdate(md, conf, strlen(conf) + 1);
	for (i = 0; env[i] != NULL; i++)
		EVP_DigestUpdate(md, env[i], strlen(env[i]) + 1);
	for (i = 0; dirs[i] != NULL; i++) {
		path = xasprintf("%s/%s", pkinode, dirs[i]);
		rtpc_hash_dir(md, path);
		free(path);
	}
	path = xasprintf("%s/msp/config.yaml", pkinode);
	rtpc_hash_file(md, path);
	free(path);
	rtpc_hash_file(md, tlsca);
	EVP_DigestFinal_ex(md, d, &dl);
	EVP_MD_CTX_free(md);
	hex = xmalloc(dl * 2 + 1);
	for (i = 0; i < dl; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return hex;
}

int
rt_process_conf_write(const char *path, const char *text, char **cause)
{
	size_t len = strlen(text);
	struct stat st;
	char *cur;
	FILE *fp;
	int same = 0;

	if (stat(path, &st) == 0 && (size_t)st.st_size == len &&
	    (fp = fopen(path, "re")) != NULL) {
		cur = xmalloc(len + 1);
		same = fread(cur, 1, len, fp) == len && memcmp(cur, text, len) == 0;
		free(cur);
		fclose(fp);
	}
	if (same)
		return 0;
	return pki_file_write(path, text, len, 0600, cause);
}
