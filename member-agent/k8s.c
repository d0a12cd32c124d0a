/*
 * k8s.c: one org's Kubernetes objects as jansson documents (see k8s.h and
 * docs/runtimes.md). Everything here is a pure function of the consortium
 * document and the bytes under the org's PKI directory: no clock, no
 * randomness, keys inserted in a fixed order, so that rendering twice
 * gives identical objects and GitOps diffs show only real changes.
 *
 * Fabric settings follow Fabric 2.5's environment conventions (CORE_* for
 * the peer, ORDERER_* for the orderer, as viper maps them onto core.yaml
 * and orderer.yaml): TLS on everywhere, channel participation on and no
 * system channel, operations endpoints on 0.0.0.0:9443 for Prometheus,
 * every listen address set explicitly.
 */
#include "k8s.h"
#include "k8s_names.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "topology.h"
#include "msp.h"
#include "xmalloc.h"

/* Where things live inside the containers. */
#define K8S_MSP_DIR      "/etc/hyperledger/fabfed/msp"
#define K8S_TLS_DIR      "/etc/hyperledger/fabfed/tls"
#define K8S_PEERCFG_DIR  "/etc/hyperledger/fabfed/config"
#define K8S_DATA_DIR     "/var/hyperledger/production"
#define K8S_ORDERER_DATA K8S_DATA_DIR "/orderer"
#define K8S_COUCHDB_DIR  "/opt/couchdb/data"

#define K8S_PEER_PORT      7051
#define K8S_CHAINCODE_PORT 7052
#define K8S_ORDERER_PORT   7050
#define K8S_ADMIN_PORT     7053
#define K8S_OPS_PORT       9443
#define K8S_COUCHDB_PORT   5984

#define K8S_STORAGE        "10Gi"
#define K8S_COUCHDB_IMAGE  "couchdb:3.3"
#define K8S_COUCHDB_USER   "fabric"
#define K8S_MAX_DEPTH      2 /* msp/cacerts/FILE */

/*
 * The peer image's core.yaml points vm.endpoint at a Docker socket, which
 * a pod has not: the peer's /healthz then answers 503. An empty
 * CORE_VM_ENDPOINT is ignored by Fabric's config loader, so an init
 * container copies the image's own core.yaml with that one line emptied
 * (the image's ccaas external builder stays, so the peer starts), and
 * fails loudly if the line was not found.
 */
static const char k8s_core_yaml_script[] =
    "set -eu\n"
    "src=/etc/hyperledger/fabric/core.yaml\n"
    "dst=" K8S_PEERCFG_DIR "/core.yaml\n"
    "sed 's#^\\( *\\)endpoint: unix:///var/run/docker.sock *$#\\1endpoint: \"\"#' "
    "\"$src\" > \"$dst.tmp\"\n"
    "if cmp -s \"$src\" \"$dst.tmp\"; then\n"
    "  echo \"fabfed: no vm.endpoint docker socket line in $src\" >&2\n"
    "  exit 1\n"
    "fi\n"
    "mv \"$dst.tmp\" \"$dst\"\n";

struct k8s_node {
	const char *name;      /* topology name (borrowed) */
	const char *endpoint;  /* host:port other clusters dial (borrowed) */
	int peer;              /* 1 peer, 0 orderer */
	int couchdb;
	char *sts, *svc, *ext; /* StatefulSet, ClusterIP and external Service */
	char *sec_msp, *sec_tls, *sec_couchdb, *cm;
	char *host;            /* SVC.NS.svc: in-cluster address */
	json_t *msp_data, *msp_items, *tls_data, *tls_items;
	char *couchdb_password;
};

struct k8s_org {
	const char *consortium, *mspid, *domain, *version, *pkidir;
	char *ns;
	struct k8s_node *nodes;
	size_t n;
};

/* The port of "host:port" or "[v6]:port" (the topology checked it). */
static int
k8s_endpoint_port(const char *endpoint, long *port, char **cause)
{
	const char *colon = strrchr(endpoint, ':');
	char *end;

	if (colon == NULL) {
		*cause = xasprintf("endpoint \"%s\" has no port", endpoint);
		return -1;
	}
	errno = 0;
	*port = strtol(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || *port < 1 ||
	    *port > 65535) {
		*cause = xasprintf("endpoint \"%s\" has an invalid port", endpoint);
		return -1;
	}
	return 0;
}

/* The host of "host:port" when it is a DNS name (not an IP); caller frees. */
static char *
k8s_endpoint_dns_host(const char *endpoint)
{
	const char *colon = strrchr(endpoint, ':');
	size_t i, n;
	int alpha = 0;

	if (endpoint[0] == '[' || colon == NULL)
		return NULL;
	n = (size_t)(colon - endpoint);
	for (i = 0; i < n; i++) {
		if (isalpha((unsigned char)endpoint[i]))
			alpha = 1;
	}
	return alpha ? xstrndup(endpoint, n) : NULL;
}

static unsigned char *
k8s_read_file(const char *path, size_t *lenp, char **cause)
{
	unsigned char *data = NULL;
	struct stat st;
	size_t off = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		*cause = xasprintf("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		*cause = xasprintf("%s is not a regular file", path);
		goto fail;
	}
	if (st.st_size > K8S_MAX_FILE_BYTES) {
		*cause = xasprintf("%s is %lld bytes, more than the %d a Secret "
		    "entry may take here", path, (long long)st.st_size,
		    K8S_MAX_FILE_BYTES);
		goto fail;
	}
	data = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		r = read(fd, data + off, (size_t)st.st_size - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			*cause = xasprintf("cannot read %s: %s", path,
			    r == 0 ? "file shrank" : strerror(errno));
			goto fail;
		}
		off += (size_t)r;
	}
	close(fd);
	*lenp = off;
	return data;
fail:
	if (data != NULL) {
		OPENSSL_cleanse(data, (size_t)st.st_size);
		free(data);
	}
	close(fd);
	return NULL;
}

static json_t *
k8s_base64(const unsigned char *d, size_t n)
{
	unsigned char *out = xmalloc(4 * ((n + 2) / 3) + 1);
	json_t *s;

	EVP_EncodeBlock(out, d, (int)n);
	s = json_string((char *)out);
	free(out);
	return s;
}

static int
k8s_cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Relative paths of the regular files under root/rel, depth-limited. */
static int
k8s_list(const char *root, const char *rel, int depth, char ***v, size_t *n,
    char **cause)
{
	char *dir, *path, *relpath;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int ret = -1;

	dir = rel[0] != '\0' ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	if ((d = opendir(dir)) == NULL) {
		*cause = xasprintf("cannot read %s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		relpath = rel[0] != '\0' ? xasprintf("%s/%s", rel, de->d_name) :
		    xstrdup(de->d_name);
		path = xasprintf("%s/%s", root, relpath);
		if (lstat(path, &st) == -1) {
			*cause = xasprintf("cannot stat %s: %s", path,
			    strerror(errno));
			free(path);
			free(relpath);
			goto done;
		}
		free(path);
		if (S_ISDIR(st.st_mode) && depth > 1) {
			if (k8s_list(root, relpath, depth - 1, v, n, cause) == -1) {
				free(relpath);
				goto done;
			}
			free(relpath);
		} else if (S_ISREG(st.st_mode)) {
			if (*n >= K8S_MAX_NODE_FILES) {
				*cause = xasprintf("%s holds more than %d files",
				    root, K8S_MAX_NODE_FILES);
				free(relpath);
				goto done;
			}
			*v = xreallocarray(*v, *n + 1, sizeof(**v));
			(*v)[(*n)++] = relpath;
		} else {
			*cause = xasprintf("%s/%s is neither a file nor a directory",
			    root, relpath);
			free(relpath);
			goto done;
		}
	}
	ret = 0;
done:
	closedir(d);
	free(dir);
	return ret;
}

/*
 * Every file under DIR as Secret data (key: the path with '/' as '_') and
 * the matching volume items ({key, path}) that rebuild the tree when the
 * Secret is mounted. Sorted by path.
 */
static int
k8s_tree(const char *dir, json_t **datap, json_t **itemsp, char **cause)
{
	json_t *data = json_object(), *items = json_array(), *item;
	unsigned char *bytes;
	char **v = NULL, *key, *path, *p;
	size_t n = 0, i, len;
	int ret = -1;

	if (k8s_list(dir, "", K8S_MAX_DEPTH, &v, &n, cause) == -1)
		goto done;
	if (n == 0) {
		*cause = xasprintf("%s holds no files", dir);
		goto done;
	}
	qsort(v, n, sizeof(*v), k8s_cmpstr);
	for (i = 0; i < n; i++) {
		key = xstrdup(v[i]);
		for (p = key; *p != '\0'; p++) {
			if (*p == '/')
				*p = '_';
		}
		if (!k8s_valid_data_key(key) || json_object_get(data, key) != NULL) {
			*cause = xasprintf("%s/%s: its name cannot be a Secret key "
			    "(letters, digits, '-', '_', '.'; unique)", dir, v[i]);
			free(key);
			goto done;
		}
		path = xasprintf("%s/%s", dir, v[i]);
		bytes = k8s_read_file(path, &len, cause);
		free(path);
		if (bytes == NULL) {
			free(key);
			goto done;
		}
		json_object_set_new(data, key, k8s_base64(bytes, len));
		OPENSSL_cleanse(bytes, len);
		free(bytes);
		item = json_pack("{s:s, s:s}", "key", key, "path", v[i]);
		json_array_append_new(items, item);
		free(key);
	}
	*datap = data;
	*itemsp = items;
	data = items = NULL;
	ret = 0;
done:
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	json_decref(data);
	json_decref(items);
	return ret;
}

/*
 * CouchDB's admin password: HMAC-SHA256 keyed with the node's TLS private
 * key, so it is secret, stays the same on every render (clean GitOps
 * diffs, a CouchDB volume that keeps working) and needs no extra state.
 */
static char *
k8s_couchdb_password(const char *tlsdir, const char *node, char **cause)
{
	unsigned char md[EVP_MAX_MD_SIZE], *key;
	unsigned int mdlen = 0;
	char *path, *msg, *hex;
	size_t len;

	path = xasprintf("%s/server.key", tlsdir);
	key = k8s_read_file(path, &len, cause);
	free(path);
	if (key == NULL)
		return NULL;
	msg = xasprintf("fabfed couchdb password v1 %s", node);
	if (HMAC(EVP_sha256(), key, (int)len, (unsigned char *)msg, strlen(msg),
	    md, &mdlen) == NULL) {
		*cause = xstrdup("cannot compute the CouchDB password (HMAC)");
		hex = NULL;
	} else {
		hex = xmalloc(2 * mdlen + 1);
		k8s_hex(md, mdlen, hex);
	}
	OPENSSL_cleanse(key, len);
	OPENSSL_cleanse(md, sizeof(md));
	free(key);
	free(msg);
	return hex;
}

static void
k8s_node_free(struct k8s_node *n)
{
	free(n->sts);
	free(n->svc);
	free(n->ext);
	free(n->sec_msp);
	free(n->sec_tls);
	free(n->sec_couchdb);
	free(n->cm);
	free(n->host);
	json_decref(n->msp_data);
	json_decref(n->msp_items);
	json_decref(n->tls_data);
	json_decref(n->tls_items);
	freezero_str(n->couchdb_password);
}

static void
k8s_org_free(struct k8s_org *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		k8s_node_free(&o->nodes[i]);
	free(o->nodes);
	free(o->ns);
}

static int
k8s_node_load(struct k8s_org *o, struct k8s_node *n, const json_t *jn,
    char **cause)
{
	struct msp_org morg = { o->pkidir, o->mspid, o->domain };
	struct msp_node mnode;
	const char *db;
	char *dir, *sub;
	int ret = -1;

	n->name = json_string_value(json_object_get(jn, "name"));
	n->endpoint = json_string_value(json_object_get(jn, "endpoint"));
	if (n->name == NULL || n->endpoint == NULL) {
		*cause = xasprintf("org %s has a node without name or endpoint "
		    "(not a normalized document)", o->mspid);
		return -1;
	}
	db = json_string_value(json_object_get(jn, "stateDatabase"));
	n->couchdb = n->peer && db != NULL && strcmp(db, "couchdb") == 0;

	n->sts = k8s_name(n->name, "", K8S_MAX_STS_NAME, 1);
	n->svc = k8s_name(n->name, "", 63, 1);
	n->ext = k8s_name(n->name, "-external", 63, 1);
	n->sec_msp = k8s_name(n->name, "-msp", 63, 0);
	n->sec_tls = k8s_name(n->name, "-tls", 63, 0);
	n->cm = k8s_name(n->name, "-env", 63, 0);
	n->host = xasprintf("%s.%s.svc", n->svc, o->ns);
	if (n->couchdb)
		n->sec_couchdb = k8s_name(n->name, "-couchdb", 63, 0);

	memset(&mnode, 0, sizeof(mnode));
	mnode.name = n->name;
	mnode.role = n->peer ? MSP_ROLE_PEER : MSP_ROLE_ORDERER;
	dir = msp_node_dir(&morg, &mnode);
	sub = xasprintf("%s/msp", dir);
	if (k8s_tree(sub, &n->msp_data, &n->msp_items, cause) == -1)
		goto done;
	free(sub);
	sub = xasprintf("%s/tls", dir);
	if (k8s_tree(sub, &n->tls_data, &n->tls_items, cause) == -1)
		goto done;
	if (n->couchdb &&
	    (n->couchdb_password = k8s_couchdb_password(sub, n->name, cause)) == NULL)
		goto done;
	ret = 0;
done:
	free(sub);
	free(dir);
	return ret;
}

static int
k8s_org_load(struct k8s_org *o, const json_t *consortium, const char *mspid,
    const char *pkidir, char **cause)
{
	const json_t *spec, *org = NULL, *list, *jn;
	size_t j, k;
	int pass;

	memset(o, 0, sizeof(*o));
	o->mspid = mspid;
	o->pkidir = pkidir;
	o->consortium = json_string_value(json_object_get(
	    json_object_get(consortium, "metadata"), "name"));
	spec = json_object_get(consortium, "spec");
	o->version = json_string_value(json_object_get(spec, "fabricVersion"));
	org = topology_find_org(consortium, mspid);
	if (o->consortium == NULL || o->version == NULL) {
		*cause = xstrdup("the consortium document is not normalized "
		    "(no metadata.name or spec.fabricVersion)");
		return -1;
	}
	if (org == NULL) {
		*cause = xasprintf("consortium %s has no org with MSP ID \"%s\"",
		    o->consortium, mspid);
		return -1;
	}
	o->domain = json_string_value(json_object_get(org, "domain"));
	if (o->domain == NULL) {
		*cause = xasprintf("org %s has no domain", mspid);
		return -1;
	}
	o->ns = k8s_namespace_name(mspid);
	o->nodes = xcalloc(json_array_size(json_object_get(org, "peers")) +
	    json_array_size(json_object_get(org, "orderers")) + 1,
	    sizeof(*o->nodes));
	for (pass = 0; pass < 2; pass++) {
		list = json_object_get(org, pass == 0 ? "peers" : "orderers");
		json_array_foreach(list, j, jn) {
			struct k8s_node *n = &o->nodes[o->n++];
			n->peer = pass == 0;
			if (k8s_node_load(o, n, jn, cause) == -1)
				return -1;
		}
	}
	/* derived names must not collide (hashing makes this a broken invariant
	 * unless the topology let two nodes share a name) */
	for (j = 0; j < o->n; j++) {
		for (k = j + 1; k < o->n; k++) {
			if (strcmp(o->nodes[j].svc, o->nodes[k].svc) == 0 ||
			    strcmp(o->nodes[j].sts, o->nodes[k].sts) == 0) {
				*cause = xasprintf("nodes %s and %s of org %s map to "
				    "the same Kubernetes name", o->nodes[j].name,
				    o->nodes[k].name, mspid);
				return -1;
			}
		}
	}
	return 0;
}

static json_t *
k8s_labels(const struct k8s_org *o, const struct k8s_node *n)
{
	json_t *l = json_object();

	if (n != NULL) {
		json_object_set_new(l, K8S_LABEL_NAME,
		    json_string(n->peer ? "fabric-peer" : "fabric-orderer"));
		json_object_set_new(l, K8S_LABEL_INSTANCE, json_string(n->name));
		json_object_set_new(l, K8S_LABEL_COMPONENT,
		    json_string(n->peer ? "peer" : "orderer"));
	}
	json_object_set_new(l, K8S_LABEL_PART_OF, json_string(K8S_PART_OF));
	json_object_set_new(l, K8S_LABEL_MANAGED, json_string(K8S_MANAGED_BY));
	json_object_set_new(l, "fabfed.io/consortium", json_string(o->consortium));
	return l;
}

/* What a StatefulSet and its Services select: stable, never changed. */
static json_t *
k8s_selector(const struct k8s_node *n)
{
	return json_pack("{s:s, s:s}", K8S_LABEL_INSTANCE, n->name,
	    K8S_LABEL_COMPONENT, n->peer ? "peer" : "orderer");
}

static json_t *
k8s_meta(const struct k8s_org *o, const struct k8s_node *n, const char *name)
{
	json_t *m = json_object();

	json_object_set_new(m, "name", json_string(name));
	json_object_set_new(m, "namespace", json_string(o->ns));
	json_object_set_new(m, "labels", k8s_labels(o, n));
	json_object_set_new(m, "annotations", json_pack("{s:s}",
	    "fabfed.io/msp-id", o->mspid));
	return m;
}

static json_t *
k8s_object(const char *api, const char *kind, json_t *meta)
{
	return json_pack("{s:s, s:s, s:o}", "apiVersion", api, "kind", kind,
	    "metadata", meta);
}

static json_t *
k8s_namespace(const struct k8s_org *o)
{
	json_t *meta = json_object();

	json_object_set_new(meta, "name", json_string(o->ns));
	json_object_set_new(meta, "labels", k8s_labels(o, NULL));
	json_object_set_new(meta, "annotations", json_pack("{s:s}",
	    "fabfed.io/msp-id", o->mspid));
	return k8s_object("v1", "Namespace", meta);
}

static json_t *
k8s_secret(const struct k8s_org *o, const struct k8s_node *n, const char *name,
    json_t *data)
{
	json_t *s = k8s_object("v1", "Secret", k8s_meta(o, n, name));

	json_object_set_new(s, "type", json_string("Opaque"));
	json_object_set(s, "data", data);
	return s;
}

static json_t *
k8s_couchdb_secret(const struct k8s_org *o, const struct k8s_node *n)
{
	json_t *data = json_object(), *s;

	json_object_set_new(data, "username",
	    k8s_base64((const unsigned char *)K8S_COUCHDB_USER,
	    strlen(K8S_COUCHDB_USER)));
	json_object_set_new(data, "password",
	    k8s_base64((const unsigned char *)n->couchdb_password,
	    strlen(n->couchdb_password)));
	s = k8s_secret(o, n, n->sec_couchdb, data);
	json_decref(data);
	return s;
}

static void
k8s_env(json_t *d, const char *k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
k8s_env(json_t *d, const char *k, const char *fmt, ...)
{
	va_list ap;
	char *v;

	va_start(ap, fmt);
	if (vasprintf(&v, fmt, ap) == -1)
		abort();
	va_end(ap);
	json_object_set_new(d, k, json_string(v));
	free(v);
}

static json_t *
k8s_peer_env(const struct k8s_org *o, const struct k8s_node *n)
{
	json_t *d = json_object();
	char *boot = NULL, *t;
	size_t i;

	/* gossip bootstrap: the org's other peers, in-cluster; else itself */
	for (i = 0; i < o->n; i++) {
		if (!o->nodes[i].peer || &o->nodes[i] == n)
			continue;
		t = boot == NULL ? xasprintf("%s:%d", o->nodes[i].host,
		    K8S_PEER_PORT) : xasprintf("%s %s:%d", boot,
		    o->nodes[i].host, K8S_PEER_PORT);
		free(boot);
		boot = t;
	}
	if (boot == NULL)
		boot = xasprintf("%s:%d", n->host, K8S_PEER_PORT);

	k8s_env(d, "FABRIC_CFG_PATH", "%s", K8S_PEERCFG_DIR);
	k8s_env(d, "FABRIC_LOGGING_SPEC", "INFO");
	k8s_env(d, "CORE_PEER_ID", "%s.%s", n->name, o->domain);
	k8s_env(d, "CORE_PEER_LOCALMSPID", "%s", o->mspid);
	k8s_env(d, "CORE_PEER_MSPCONFIGPATH", "%s", K8S_MSP_DIR);
	k8s_env(d, "CORE_PEER_FILESYSTEMPATH", "%s", K8S_DATA_DIR);
	k8s_env(d, "CORE_PEER_LISTENADDRESS", "0.0.0.0:%d", K8S_PEER_PORT);
	k8s_env(d, "CORE_PEER_ADDRESS", "%s:%d", n->host, K8S_PEER_PORT);
	k8s_env(d, "CORE_PEER_CHAINCODELISTENADDRESS", "0.0.0.0:%d",
	    K8S_CHAINCODE_PORT);
	k8s_env(d, "CORE_PEER_CHAINCODEADDRESS", "%s:%d", n->host,
	    K8S_CHAINCODE_PORT);
	k8s_env(d, "CORE_PEER_GOSSIP_BOOTSTRAP", "%s", boot);
	k8s_env(d, "CORE_PEER_GOSSIP_EXTERNALENDPOINT", "%s", n->endpoint);
	k8s_env(d, "CORE_PEER_GOSSIP_USELEADERELECTION", "true");
	k8s_env(d, "CORE_PEER_GOSSIP_ORGLEADER", "false");
	k8s_env(d, "CORE_PEER_PROFILE_ENABLED", "false");
	k8s_env(d, "CORE_PEER_TLS_ENABLED", "true");
	k8s_env(d, "CORE_PEER_TLS_CERT_FILE", "%s/server.crt", K8S_TLS_DIR);
	k8s_env(d, "CORE_PEER_TLS_KEY_FILE", "%s/server.key", K8S_TLS_DIR);
	k8s_env(d, "CORE_PEER_TLS_ROOTCERT_FILE", "%s/ca.crt", K8S_TLS_DIR);
	k8s_env(d, "CORE_OPERATIONS_LISTENADDRESS", "0.0.0.0:%d", K8S_OPS_PORT);
	k8s_env(d, "CORE_OPERATIONS_TLS_ENABLED", "false");
	k8s_env(d, "CORE_METRICS_PROVIDER", "prometheus");
	if (n->couchdb) {
		k8s_env(d, "CORE_LEDGER_STATE_STATEDATABASE", "CouchDB");
		k8s_env(d, "CORE_LEDGER_STATE_COUCHDBCONFIG_COUCHDBADDRESS",
		    "127.0.0.1:%d", K8S_COUCHDB_PORT);
	} else
		k8s_env(d, "CORE_LEDGER_STATE_STATEDATABASE", "goleveldb");
	free(boot);
	return d;
}

static json_t *
k8s_orderer_env(const struct k8s_org *o, const struct k8s_node *n)
{
	json_t *d = json_object();

	k8s_env(d, "FABRIC_LOGGING_SPEC", "INFO");
	k8s_env(d, "ORDERER_GENERAL_LISTENADDRESS", "0.0.0.0");
	k8s_env(d, "ORDERER_GENERAL_LISTENPORT", "%d", K8S_ORDERER_PORT);
	k8s_env(d, "ORDERER_GENERAL_LOCALMSPID", "%s", o->mspid);
	k8s_env(d, "ORDERER_GENERAL_LOCALMSPDIR", "%s", K8S_MSP_DIR);
	k8s_env(d, "ORDERER_GENERAL_BOOTSTRAPMETHOD", "none");
	k8s_env(d, "ORDERER_GENERAL_TLS_ENABLED", "true");
	k8s_env(d, "ORDERER_GENERAL_TLS_CERTIFICATE", "%s/server.crt", K8S_TLS_DIR);
	k8s_env(d, "ORDERER_GENERAL_TLS_PRIVATEKEY", "%s/server.key", K8S_TLS_DIR);
	k8s_env(d, "ORDERER_GENERAL_TLS_ROOTCAS", "[%s/ca.crt]", K8S_TLS_DIR);
	k8s_env(d, "ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE", "%s/server.crt",
	    K8S_TLS_DIR);
	k8s_env(d, "ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY", "%s/server.key",
	    K8S_TLS_DIR);
	k8s_env(d, "ORDERER_GENERAL_CLUSTER_ROOTCAS", "[%s/ca.crt]", K8S_TLS_DIR);
	k8s_env(d, "ORDERER_CHANNELPARTICIPATION_ENABLED", "true");
	k8s_env(d, "ORDERER_ADMIN_LISTENADDRESS", "0.0.0.0:%d", K8S_ADMIN_PORT);
	k8s_env(d, "ORDERER_ADMIN_TLS_ENABLED", "true");
	k8s_env(d, "ORDERER_ADMIN_TLS_CERTIFICATE", "%s/server.crt", K8S_TLS_DIR);
	k8s_env(d, "ORDERER_ADMIN_TLS_PRIVATEKEY", "%s/server.key", K8S_TLS_DIR);
	k8s_env(d, "ORDERER_ADMIN_TLS_ROOTCAS", "[%s/ca.crt]", K8S_TLS_DIR);
	k8s_env(d, "ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED", "true");
	k8s_env(d, "ORDERER_ADMIN_TLS_CLIENTROOTCAS", "[%s/ca.crt]", K8S_TLS_DIR);
	k8s_env(d, "ORDERER_FILELEDGER_LOCATION", "%s", K8S_ORDERER_DATA);
	k8s_env(d, "ORDERER_CONSENSUS_WALDIR", "%s/etcdraft/wal", K8S_ORDERER_DATA);
	k8s_env(d, "ORDERER_CONSENSUS_SNAPDIR", "%s/etcdraft/snapshot",
	    K8S_ORDERER_DATA);
	k8s_env(d, "ORDERER_OPERATIONS_LISTENADDRESS", "0.0.0.0:%d", K8S_OPS_PORT);
	k8s_env(d, "ORDERER_OPERATIONS_TLS_ENABLED", "false");
	k8s_env(d, "ORDERER_METRICS_PROVIDER", "prometheus");
	return d;
}

static json_t *
k8s_configmap(const struct k8s_org *o, const struct k8s_node *n, json_t *env)
{
	json_t *c = k8s_object("v1", "ConfigMap", k8s_meta(o, n, n->cm));

	json_object_set(c, "data", env);
	return c;
}

static json_t *
k8s_port(const char *name, int port)
{
	return json_pack("{s:s, s:i, s:s}", "name", name, "containerPort", port,
	    "protocol", "TCP");
}

static json_t *
k8s_secret_env(const char *var, const char *secret, const char *key)
{
	return json_pack("{s:s, s:{s:{s:s, s:s}}}", "name", var, "valueFrom",
	    "secretKeyRef", "name", secret, "key", key);
}

static json_t *
k8s_pvc(const char *name)
{
	return json_pack("{s:{s:s}, s:{s:[s], s:{s:{s:s}}}}",
	    "metadata", "name", name,
	    "spec", "accessModes", "ReadWriteOnce",
	    "resources", "requests", "storage", K8S_STORAGE);
}

/* SHA-256 over what the pod mounts and reads, so a changed certificate or
 * setting rolls the pod (Kubernetes does not restart on Secret changes). */
static json_t *
k8s_config_hash(const struct k8s_node *n, const json_t *env)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1], *s;
	json_t *all;

	all = json_pack("{s:O, s:O, s:O, s:s?}", "env", env, "msp", n->msp_data,
	    "tls", n->tls_data, "couchdb", n->couchdb_password);
	s = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
	SHA256((unsigned char *)s, strlen(s), md);
	k8s_hex(md, sizeof(md), hex);
	freezero_str(s);
	json_decref(all);
	return json_string(hex);
}

static json_t *
k8s_statefulset(const struct k8s_org *o, const struct k8s_node *n,
    const json_t *env)
{
	const char *image = n->peer ? "hyperledger/fabric-peer" :
	    "hyperledger/fabric-orderer";
	json_t *sts, *spec, *tmpl, *pod, *c, *ports, *mounts, *envs, *vols;
	json_t *claims, *containers, *init, *podmeta;
	char *img = xasprintf("%s:%s", image, o->version);

	ports = json_array();
	mounts = json_array();
	if (n->peer) {
		json_array_append_new(ports, k8s_port("grpc", K8S_PEER_PORT));
		json_array_append_new(ports, k8s_port("chaincode",
		    K8S_CHAINCODE_PORT));
	} else {
		json_array_append_new(ports, k8s_port("grpc", K8S_ORDERER_PORT));
		json_array_append_new(ports, k8s_port("admin", K8S_ADMIN_PORT));
	}
	json_array_append_new(ports, k8s_port("operations", K8S_OPS_PORT));
	json_array_append_new(mounts, json_pack("{s:s, s:s}", "name", "data",
	    "mountPath", n->peer ? K8S_DATA_DIR : K8S_ORDERER_DATA));
	json_array_append_new(mounts, json_pack("{s:s, s:s, s:b}", "name", "msp",
	    "mountPath", K8S_MSP_DIR, "readOnly", 1));
	json_array_append_new(mounts, json_pack("{s:s, s:s, s:b}", "name", "tls",
	    "mountPath", K8S_TLS_DIR, "readOnly", 1));
	if (n->peer)
		json_array_append_new(mounts, json_pack("{s:s, s:s, s:b}", "name",
		    "config", "mountPath", K8S_PEERCFG_DIR, "readOnly", 1));

	c = json_object();
	json_object_set_new(c, "name", json_string(n->peer ? "peer" : "orderer"));
	json_object_set_new(c, "image", json_string(img));
	json_object_set_new(c, "command", n->peer ?
	    json_pack("[s, s, s]", "peer", "node", "start") :
	    json_pack("[s]", "orderer"));
	json_object_set_new(c, "envFrom", json_pack("[{s:{s:s}}]",
	    "configMapRef", "name", n->cm));
	if (n->couchdb) {
		envs = json_array();
		json_array_append_new(envs, k8s_secret_env(
		    "CORE_LEDGER_STATE_COUCHDBCONFIG_USERNAME", n->sec_couchdb,
		    "username"));
		json_array_append_new(envs, k8s_secret_env(
		    "CORE_LEDGER_STATE_COUCHDBCONFIG_PASSWORD", n->sec_couchdb,
		    "password"));
		json_object_set_new(c, "env", envs);
	}
	json_object_set_new(c, "ports", ports);
	json_object_set_new(c, "volumeMounts", mounts);
	/* ready when the operations endpoint says healthy; alive while the
	 * gRPC port accepts (a CouchDB outage must not restart the peer) */
	json_object_set_new(c, "readinessProbe", json_pack(
	    "{s:{s:s, s:s}, s:i, s:i, s:i}", "httpGet", "path", "/healthz",
	    "port", "operations", "initialDelaySeconds", 5,
	    "periodSeconds", 10, "failureThreshold", 3));
	json_object_set_new(c, "livenessProbe", json_pack(
	    "{s:{s:s}, s:i, s:i, s:i}", "tcpSocket", "port", "grpc",
	    "initialDelaySeconds", 30, "periodSeconds", 20,
	    "failureThreshold", 6));
	json_object_set_new(c, "resources", json_pack("{s:{s:s, s:s}}",
	    "requests", "cpu", "100m", "memory", n->peer ? "256Mi" : "128Mi"));

	containers = json_array();
	json_array_append_new(containers, c);
	if (n->couchdb) {
		c = json_object();
		json_object_set_new(c, "name", json_string("couchdb"));
		json_object_set_new(c, "image", json_string(K8S_COUCHDB_IMAGE));
		envs = json_array();
		json_array_append_new(envs, k8s_secret_env("COUCHDB_USER",
		    n->sec_couchdb, "username"));
		json_array_append_new(envs, k8s_secret_env("COUCHDB_PASSWORD",
		    n->sec_couchdb, "password"));
		json_object_set_new(c, "env", envs);
		json_object_set_new(c, "ports", json_pack("[o]",
		    k8s_port("couchdb", K8S_COUCHDB_PORT)));
		json_object_set_new(c, "volumeMounts", json_pack("[{s:s, s:s}]",
		    "name", "couchdb", "mountPath", K8S_COUCHDB_DIR));
		json_object_set_new(c, "readinessProbe", json_pack(
		    "{s:{s:s, s:s}, s:i, s:i}", "httpGet", "path", "/_up",
		    "port", "couchdb", "initialDelaySeconds", 5,
		    "periodSeconds", 10));
		json_object_set_new(c, "resources", json_pack("{s:{s:s, s:s}}",
		    "requests", "cpu", "100m", "memory", "256Mi"));
		json_array_append_new(containers, c);
	}

	vols = json_array();
	json_array_append_new(vols, json_pack("{s:s, s:{s:s, s:O, s:i}}",
	    "name", "msp", "secret", "secretName", n->sec_msp, "items",
	    n->msp_items, "defaultMode", 0400));
	json_array_append_new(vols, json_pack("{s:s, s:{s:s, s:O, s:i}}",
	    "name", "tls", "secret", "secretName", n->sec_tls, "items",
	    n->tls_items, "defaultMode", 0400));

	pod = json_object();
	json_object_set_new(pod, "automountServiceAccountToken", json_false());
	json_object_set_new(pod, "enableServiceLinks", json_false());
	if (n->peer) {
		json_array_append_new(vols, json_pack("{s:s, s:{}}", "name",
		    "config", "emptyDir"));
		init = json_object();
		json_object_set_new(init, "name", json_string("core-yaml"));
		json_object_set_new(init, "image", json_string(img));
		json_object_set_new(init, "command", json_pack("[s, s, s]",
		    "sh", "-c", k8s_core_yaml_script));
		json_object_set_new(init, "volumeMounts", json_pack(
		    "[{s:s, s:s}]", "name", "config", "mountPath",
		    K8S_PEERCFG_DIR));
		json_object_set_new(pod, "initContainers", json_pack("[o]", init));
	}
	json_object_set_new(pod, "containers", containers);
	json_object_set_new(pod, "volumes", vols);

	podmeta = json_object();
	json_object_set_new(podmeta, "labels", k8s_labels(o, n));
	json_object_set_new(podmeta, "annotations", json_pack("{s:o}",
	    "fabfed.io/config-sha256", k8s_config_hash(n, env)));
	tmpl = json_pack("{s:o, s:o}", "metadata", podmeta, "spec", pod);

	claims = json_array();
	json_array_append_new(claims, k8s_pvc("data"));
	if (n->couchdb)
		json_array_append_new(claims, k8s_pvc("couchdb"));

	spec = json_object();
	json_object_set_new(spec, "serviceName", json_string(n->svc));
	json_object_set_new(spec, "replicas", json_integer(1));
	json_object_set_new(spec, "selector", json_pack("{s:o}", "matchLabels",
	    k8s_selector(n)));
	json_object_set_new(spec, "template", tmpl);
	json_object_set_new(spec, "volumeClaimTemplates", claims);

	sts = k8s_object("apps/v1", "StatefulSet", k8s_meta(o, n, n->sts));
	json_object_set_new(sts, "spec", spec);
	free(img);
	return sts;
}

static json_t *
k8s_svc_port(const char *name, long port)
{
	return json_pack("{s:s, s:I, s:s, s:s}", "name", name, "port",
	    (json_int_t)port, "targetPort", name, "protocol", "TCP");
}

static json_t *
k8s_service(const struct k8s_org *o, const struct k8s_node *n)
{
	json_t *s, *ports = json_array();

	if (n->peer) {
		json_array_append_new(ports, k8s_svc_port("grpc", K8S_PEER_PORT));
		json_array_append_new(ports, k8s_svc_port("chaincode",
		    K8S_CHAINCODE_PORT));
	} else {
		json_array_append_new(ports, k8s_svc_port("grpc", K8S_ORDERER_PORT));
		json_array_append_new(ports, k8s_svc_port("admin", K8S_ADMIN_PORT));
	}
	json_array_append_new(ports, k8s_svc_port("operations", K8S_OPS_PORT));
	s = k8s_object("v1", "Service", k8s_meta(o, n, n->svc));
	json_object_set_new(s, "spec", json_pack("{s:s, s:o, s:o}", "type",
	    "ClusterIP", "selector", k8s_selector(n), "ports", ports));
	return s;
}

/* The endpoint other clusters dial: only the gRPC port, never admin or
 * operations. ExternalDNS (when installed) publishes a DNS endpoint host. */
static json_t *
k8s_external_service(const struct k8s_org *o, const struct k8s_node *n,
    char **cause)
{
	json_t *s, *meta, *ann;
	char *host;
	long port;

	if (k8s_endpoint_port(n->endpoint, &port, cause) == -1)
		return NULL;
	meta = k8s_meta(o, n, n->ext);
	ann = json_object_get(meta, "annotations");
	json_object_set_new(ann, "fabfed.io/endpoint", json_string(n->endpoint));
	if ((host = k8s_endpoint_dns_host(n->endpoint)) != NULL) {
		json_object_set_new(ann, "external-dns.alpha.kubernetes.io/hostname",
		    json_string(host));
		free(host);
	}
	s = k8s_object("v1", "Service", meta);
	json_object_set_new(s, "spec", json_pack("{s:s, s:o, s:[o]}", "type",
	    "LoadBalancer", "selector", k8s_selector(n), "ports",
	    json_pack("{s:s, s:I, s:s, s:s}", "name", "grpc", "port",
	    (json_int_t)port, "targetPort", "grpc", "protocol", "TCP")));
	return s;
}

json_t *
k8s_org_objects(const json_t *consortium, const char *mspid,
    const char *pkidir, char **cause)
{
	json_t *out = NULL, *objs, *envs = NULL, *env, *svc;
	struct k8s_org o;
	size_t i;

	if (k8s_org_load(&o, consortium, mspid, pkidir, cause) == -1)
		goto done;
	objs = json_array();
	json_array_append_new(objs, k8s_namespace(&o));
	for (i = 0; i < o.n; i++) {
		json_array_append_new(objs, k8s_secret(&o, &o.nodes[i],
		    o.nodes[i].sec_msp, o.nodes[i].msp_data));
		json_array_append_new(objs, k8s_secret(&o, &o.nodes[i],
		    o.nodes[i].sec_tls, o.nodes[i].tls_data));
		if (o.nodes[i].couchdb)
			json_array_append_new(objs, k8s_couchdb_secret(&o,
			    &o.nodes[i]));
	}
	envs = json_array();
	for (i = 0; i < o.n; i++) {
		env = o.nodes[i].peer ? k8s_peer_env(&o, &o.nodes[i]) :
		    k8s_orderer_env(&o, &o.nodes[i]);
		json_array_append_new(envs, env);
		json_array_append_new(objs, k8s_configmap(&o, &o.nodes[i], env));
	}
	for (i = 0; i < o.n; i++)
		json_array_append_new(objs, k8s_statefulset(&o, &o.nodes[i],
		    json_array_get(envs, i)));
	for (i = 0; i < o.n; i++) {
		json_array_append_new(objs, k8s_service(&o, &o.nodes[i]));
		if ((svc = k8s_external_service(&o, &o.nodes[i], cause)) == NULL) {
			json_decref(objs);
			goto done;
		}
		json_array_append_new(objs, svc);
	}
	out = objs;
done:
	json_decref(envs);
	k8s_org_free(&o);
	return out;
}
