/*
 * kubeconfig.c: API server credentials from a kubeconfig (lib/yamljson
 * reads the YAML) or from the pod's service account. See kubeconfig.h.
 *
 * Secrets here: the bearer token and the client key. They are wiped
 * before free, never copied into a message, and a message about a field
 * that holds one names the field, never its value.
 */
#include "kubeconfig.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "xmalloc.h"
#include "yamljson.h"

#define KC_MAX_URL   2048
#define KC_MAX_NAME  253 /* context, cluster, user names in messages */

void
kubeconfig_init(struct kubeconfig *kc)
{
	memset(kc, 0, sizeof(*kc));
}

static void
kc_wipe(char **p, size_t len)
{
	if (*p == NULL)
		return;
	OPENSSL_cleanse(*p, len);
	free(*p);
	*p = NULL;
}

void
kubeconfig_free(struct kubeconfig *kc)
{
	if (kc == NULL)
		return;
	free(kc->server);
	free(kc->ca_file);
	free(kc->ca_pem);
	free(kc->cert_file);
	free(kc->cert_pem);
	free(kc->key_file);
	kc_wipe(&kc->key_pem, kc->key_len);
	freezero_str(kc->token);
	free(kc->token_file);
	free(kc->namespace);
	free(kc->origin);
	kubeconfig_init(kc);
}

/* A name from the document, safe to print: printable, cut to fit. */
static char *
kc_printable(const char *s)
{
	size_t i, n = strnlen(s, KC_MAX_NAME);
	char *p = xstrndup(s, n);

	for (i = 0; i < n; i++) {
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] >= 0x7f)
			p[i] = '?';
	}
	return p;
}

struct kc_err {
	char *first;
};

static void
kc_report(void *arg, int warning, const char *path, int line, int column,
    const char *msg)
{
	struct kc_err *e = arg;
	char *pp, *pm;

	(void)column;
	if (warning || e->first != NULL)
		return;
	/* keys and values of the document may appear: bounded, printable */
	pp = kc_printable(path);
	pm = kc_printable(msg);
	if (line > 0)
		e->first = xasprintf("line %d: %s%s%s", line, pp,
		    pp[0] != '\0' ? ": " : "", pm);
	else
		e->first = xasprintf("%s%s%s", pp, pp[0] != '\0' ? ": " : "",
		    pm);
	free(pp);
	free(pm);
}

/*
 * *out := obj[key] when a string (borrowed), NULL when absent or null.
 * Another type, or a string with a NUL: -1 with *cause.
 */
static int
kc_str(const json_t *obj, const char *key, const char *where,
    const char *origin, const char **out, char **cause)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) !=
	    json_string_length(v)) {
		*cause = xasprintf("%s: %s.%s must be a string", origin, where,
		    key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

/* The entry of list NAMED (clusters, users, contexts) called name; its
 * member inner (cluster, user, context) as an object. */
static const json_t *
kc_find(const json_t *root, const char *list, const char *inner,
    const char *name, const char *origin, char **cause)
{
	const json_t *l = json_object_get(root, list), *e, *body;
	const char *n;
	char *pn;
	size_t i;

	if (l != NULL && !json_is_array(l)) {
		*cause = xasprintf("%s: %s must be a list", origin, list);
		return NULL;
	}
	json_array_foreach(l, i, e) {
		n = json_string_value(json_object_get(e, "name"));
		if (n == NULL || strcmp(n, name) != 0)
			continue;
		body = json_object_get(e, inner);
		if (!json_is_object(body)) {
			pn = kc_printable(name);
			*cause = xasprintf("%s: %s entry \"%s\" has no %s mapping",
			    origin, list, pn, inner);
			free(pn);
			return NULL;
		}
		return body;
	}
	pn = kc_printable(name);
	*cause = xasprintf("%s: no %s entry named \"%s\"", origin, list, pn);
	free(pn);
	return NULL;
}

/* Relative file names are the kubeconfig directory's. */
static char *
kc_path(const char *name, const char *basedir, const char *field,
    const char *origin, char **cause)
{
	if (name[0] == '\0') {
		*cause = xasprintf("%s: %s is empty", origin, field);
		return NULL;
	}
	if (name[0] == '/')
		return xstrdup(name);
	if (basedir == NULL) {
		*cause = xasprintf("%s: %s is a relative file name and there is "
		    "no directory to resolve it against", origin, field);
		return NULL;
	}
	return xasprintf("%s/%s", basedir, name);
}

/* Standard base64 (line breaks allowed) to bytes; NUL-terminated. */
static char *
kc_base64(const char *in, size_t *lenp)
{
	EVP_ENCODE_CTX *ctx;
	size_t n = strlen(in);
	unsigned char *out;
	int a = 0, b = 0;

	if (n == 0 || n > KUBECONFIG_MAX_BYTES * 2)
		return NULL;
	out = xmalloc(n / 4 * 3 + 4);
	if ((ctx = EVP_ENCODE_CTX_new()) == NULL) {
		free(out);
		return NULL;
	}
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, out, &a, (const unsigned char *)in,
	    (int)n) < 0 || EVP_DecodeFinal(ctx, out + a, &b) != 1 ||
	    a + b <= 0) {
		EVP_ENCODE_CTX_free(ctx);
		OPENSSL_cleanse(out, n / 4 * 3 + 4);
		free(out);
		return NULL;
	}
	EVP_ENCODE_CTX_free(ctx);
	*lenp = (size_t)(a + b);
	out[*lenp] = '\0';
	return (char *)out;
}

/* A bearer token: 1..max visible ASCII characters (no header injection). */
static int
kc_token_ok(const char *t, size_t n)
{
	size_t i;

	if (n == 0 || n > KUBECONFIG_MAX_TOKEN)
		return 0;
	for (i = 0; i < n; i++) {
		if (t[i] <= 0x20 || t[i] >= 0x7f)
			return 0;
	}
	return 1;
}

/* An https URL with a host, and nothing that does not belong in one. */
static int
kc_server_ok(const char *s)
{
	size_t i, n = strlen(s);
	const char *host = s + 8;

	if (n > KC_MAX_URL || strncmp(s, "https://", 8) != 0 ||
	    host[0] == '\0' || host[0] == '/' || host[0] == ':')
		return 0;
	for (i = 8; i < n; i++) {
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f ||
		    s[i] == '@' || s[i] == '?' || s[i] == '#' || s[i] == '\\')
			return 0;
	}
	return 1;
}

static int
kc_pem_ok(const char *pem, const char *what)
{
	return strstr(pem, "-----BEGIN ") != NULL && strstr(pem, what) != NULL;
}

/* The "-data" variant of a field, base64 decoded and checked as PEM. */
static int
kc_data(const json_t *obj, const char *key, const char *where,
    const char *pemword, const char *origin, char **out, size_t *lenp,
    char **cause)
{
	const char *v;

	if (kc_str(obj, key, where, origin, &v, cause) == -1)
		return -1;
	if (v == NULL)
		return 0;
	if ((*out = kc_base64(v, lenp)) == NULL) {
		*cause = xasprintf("%s: %s.%s is not base64", origin, where, key);
		return -1;
	}
	if (strlen(*out) != *lenp || !kc_pem_ok(*out, pemword)) {
		*cause = xasprintf("%s: %s.%s does not hold a PEM %s", origin,
		    where, key, pemword);
		kc_wipe(out, *lenp);
		*lenp = 0;
		return -1;
	}
	return 0;
}

static int
kc_cluster(const json_t *c, const char *basedir, const char *origin,
    struct kubeconfig *kc, char **cause)
{
	const char *server, *file, *v;
	json_t *skip;
	size_t n;

	if (kc_str(c, "server", "cluster", origin, &server, cause) == -1)
		return -1;
	if (server == NULL || server[0] == '\0') {
		*cause = xasprintf("%s: the cluster has no server", origin);
		return -1;
	}
	if (!kc_server_ok(server)) {
		*cause = xasprintf("%s: cluster.server must be an https:// URL "
		    "with a host (no user, query or fragment): the bearer "
		    "token is never sent in clear", origin);
		return -1;
	}
	kc->server = xstrdup(server);
	n = strlen(kc->server);
	while (n > 8 && kc->server[n - 1] == '/')
		kc->server[--n] = '\0';
	skip = json_object_get(c, "insecure-skip-tls-verify");
	if (skip != NULL && !json_is_false(skip) && !json_is_null(skip)) {
		*cause = xasprintf("%s: insecure-skip-tls-verify is set: the "
		    "agent always verifies the API server; give its CA with "
		    "certificate-authority or certificate-authority-data",
		    origin);
		return -1;
	}
	if (kc_str(c, "proxy-url", "cluster", origin, &v, cause) == -1)
		return -1;
	if (v != NULL) {
		*cause = xasprintf("%s: proxy-url is not supported: the agent "
		    "connects to the API server directly", origin);
		return -1;
	}
	if (kc_data(c, "certificate-authority-data", "cluster", "CERTIFICATE",
	    origin, &kc->ca_pem, &kc->ca_len, cause) == -1)
		return -1;
	if (kc_str(c, "certificate-authority", "cluster", origin, &file,
	    cause) == -1)
		return -1;
	if (kc->ca_pem == NULL && file != NULL &&
	    (kc->ca_file = kc_path(file, basedir,
	    "cluster.certificate-authority", origin, cause)) == NULL)
		return -1;
	return 0;
}

static int
kc_user(const json_t *u, const char *basedir, const char *origin,
    struct kubeconfig *kc, char **cause)
{
	static const char *const refused[] = {
		"exec", "auth-provider", "username", "password", "as",
		"as-groups", "as-uid",
	};
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (json_object_get(u, refused[i]) != NULL) {
			*cause = xasprintf("%s: user.%s is not supported: give "
			    "the agent a bearer token (token, tokenFile) or a "
			    "client certificate (client-certificate, "
			    "client-key)", origin, refused[i]);
			return -1;
		}
	}
	if (kc_str(u, "token", "user", origin, &v, cause) == -1)
		return -1;
	if (v != NULL && v[0] != '\0') {
		if (!kc_token_ok(v, strlen(v))) {
			*cause = xasprintf("%s: user.token is not a valid bearer "
			    "token (1 to %d visible ASCII characters)", origin,
			    KUBECONFIG_MAX_TOKEN);
			return -1;
		}
		kc->token = xstrdup(v);
	}
	if (kc_str(u, "tokenFile", "user", origin, &v, cause) == -1)
		return -1;
	if (kc->token == NULL && v != NULL && (kc->token_file = kc_path(v,
	    basedir, "user.tokenFile", origin, cause)) == NULL)
		return -1;
	if (kc_data(u, "client-certificate-data", "user", "CERTIFICATE",
	    origin, &kc->cert_pem, &kc->cert_len, cause) == -1)
		return -1;
	if (kc_data(u, "client-key-data", "user", "PRIVATE KEY", origin,
	    &kc->key_pem, &kc->key_len, cause) == -1)
		return -1;
	if (kc_str(u, "client-certificate", "user", origin, &v, cause) == -1)
		return -1;
	if (kc->cert_pem == NULL && v != NULL && (kc->cert_file = kc_path(v,
	    basedir, "user.client-certificate", origin, cause)) == NULL)
		return -1;
	if (kc_str(u, "client-key", "user", origin, &v, cause) == -1)
		return -1;
	if (kc->key_pem == NULL && v != NULL && (kc->key_file = kc_path(v,
	    basedir, "user.client-key", origin, cause)) == NULL)
		return -1;
	if ((kc->cert_pem != NULL || kc->cert_file != NULL) !=
	    (kc->key_pem != NULL || kc->key_file != NULL)) {
		*cause = xasprintf("%s: a client certificate needs its key "
		    "(client-certificate and client-key go together)", origin);
		return -1;
	}
	if (kc->token == NULL && kc->token_file == NULL &&
	    kc->cert_pem == NULL && kc->cert_file == NULL) {
		*cause = xasprintf("%s: the user has no credentials: give a "
		    "token, tokenFile or client-certificate and client-key",
		    origin);
		return -1;
	}
	return 0;
}

/* Wipes every string of a parsed tree (it held the token and key). The
 * parser bounds the depth; so does this. */
static void
kc_wipe_tree(json_t *j, int depth)
{
	const char *k;
	json_t *v;
	size_t i;

	if (j == NULL || depth > KUBECONFIG_MAX_DEPTH + 1)
		return;
	if (json_is_string(j))
		OPENSSL_cleanse((void *)(uintptr_t)json_string_value(j),
		    json_string_length(j));
	else if (json_is_object(j)) {
		json_object_foreach(j, k, v)
			kc_wipe_tree(v, depth + 1);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			kc_wipe_tree(v, depth + 1);
	}
}

int
kubeconfig_parse(const char *data, size_t len, const char *basedir,
    const char *origin, struct kubeconfig *kc, char **cause)
{
	struct kc_err err = { NULL };
	const json_t *ctx, *cluster, *user;
	const char *cur, *cname, *uname, *ns;
	json_t *root = NULL;
	char *porigin = NULL, *pcur;
	int ret = -1;

	kubeconfig_init(kc);
	if (origin == NULL)
		origin = "kubeconfig";
	if (len > KUBECONFIG_MAX_BYTES) {
		*cause = xasprintf("%s: more than %d bytes", origin,
		    KUBECONFIG_MAX_BYTES);
		goto done;
	}
	root = yamljson_parse(data, len, KUBECONFIG_MAX_DEPTH, NULL, kc_report,
	    &err);
	if (err.first != NULL || root == NULL) {
		*cause = xasprintf("%s: %s", origin, err.first != NULL ?
		    err.first : "not a YAML document");
		goto done;
	}
	if (!json_is_object(root)) {
		*cause = xasprintf("%s: not a kubeconfig (the document is not a "
		    "mapping)", origin);
		goto done;
	}
	if (kc_str(root, "current-context", "", origin, &cur, cause) == -1)
		goto done;
	if (cur == NULL || cur[0] == '\0') {
		*cause = xasprintf("%s: no current-context", origin);
		goto done;
	}
	pcur = kc_printable(cur);
	porigin = xasprintf("%s (context %s)", origin, pcur);
	free(pcur);
	if ((ctx = kc_find(root, "contexts", "context", cur, porigin,
	    cause)) == NULL)
		goto done;
	if (kc_str(ctx, "cluster", "context", porigin, &cname, cause) == -1 ||
	    kc_str(ctx, "user", "context", porigin, &uname, cause) == -1 ||
	    kc_str(ctx, "namespace", "context", porigin, &ns, cause) == -1)
		goto done;
	if (cname == NULL || uname == NULL) {
		*cause = xasprintf("%s: the context must name a cluster and a "
		    "user", porigin);
		goto done;
	}
	if ((cluster = kc_find(root, "clusters", "cluster", cname, porigin,
	    cause)) == NULL ||
	    (user = kc_find(root, "users", "user", uname, porigin,
	    cause)) == NULL)
		goto done;
	if (kc_cluster(cluster, basedir, porigin, kc, cause) == -1 ||
	    kc_user(user, basedir, porigin, kc, cause) == -1)
		goto done;
	if (ns != NULL && ns[0] != '\0')
		kc->namespace = kc_printable(ns);
	kc->origin = porigin;
	porigin = NULL;
	ret = 0;
done:
	if (ret == -1)
		kubeconfig_free(kc);
	free(err.first);
	free(porigin);
	/* the tree holds the token and key: wipe its strings */
	kc_wipe_tree(root, 0);
	json_decref(root);
	return ret;
}

/* A file's bytes, NUL-terminated, at most max (symlinks followed: a
 * service account's files are symlinks into ..data/). */
static char *
kc_read(const char *path, size_t max, size_t *lenp, char **cause)
{
	struct stat st;
	char *data = NULL;
	size_t off = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		*cause = xasprintf("%s is not a regular file", path);
		goto fail;
	}
	if (st.st_size < 0 || (size_t)st.st_size > max) {
		*cause = xasprintf("%s is larger than %zu bytes", path, max);
		goto fail;
	}
	data = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		r = read(fd, data + off, (size_t)st.st_size - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			*cause = xasprintf("cannot read %s: %s", path,
			    r == 0 ? "the file shrank" : strerror(errno));
			goto fail;
		}
		off += (size_t)r;
	}
	close(fd);
	data[off] = '\0';
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

/* A PEM file that must hold what. */
static int
kc_read_pem(const char *path, const char *what, char **out, size_t *lenp,
    char **cause)
{
	if ((*out = kc_read(path, KUBECONFIG_MAX_BYTES, lenp, cause)) == NULL)
		return -1;
	if (strlen(*out) != *lenp || !kc_pem_ok(*out, what)) {
		*cause = xasprintf("%s does not hold a PEM %s", path, what);
		kc_wipe(out, *lenp);
		*lenp = 0;
		return -1;
	}
	return 0;
}

int
kubeconfig_refresh_token(struct kubeconfig *kc, char **cause)
{
	size_t n = 0;
	char *t;

	if (kc->token_file == NULL)
		return 0;
	if ((t = kc_read(kc->token_file, KUBECONFIG_MAX_TOKEN + 2, &n,
	    cause)) == NULL)
		return -1;
	while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == '\r' ||
	    t[n - 1] == ' ' || t[n - 1] == '\t'))
		t[--n] = '\0';
	if (strlen(t) != n || !kc_token_ok(t, n)) {
		*cause = xasprintf("%s does not hold a bearer token (1 to %d "
		    "visible ASCII characters)", kc->token_file,
		    KUBECONFIG_MAX_TOKEN);
		kc_wipe(&t, n);
		return -1;
	}
	freezero_str(kc->token);
	kc->token = t;
	return 0;
}

int
kubeconfig_read_files(struct kubeconfig *kc, char **cause)
{
	if (kc->ca_pem == NULL && kc->ca_file != NULL &&
	    kc_read_pem(kc->ca_file, "CERTIFICATE", &kc->ca_pem, &kc->ca_len,
	    cause) == -1)
		return -1;
	if (kc->cert_pem == NULL && kc->cert_file != NULL &&
	    kc_read_pem(kc->cert_file, "CERTIFICATE", &kc->cert_pem,
	    &kc->cert_len, cause) == -1)
		return -1;
	if (kc->key_pem == NULL && kc->key_file != NULL &&
	    kc_read_pem(kc->key_file, "PRIVATE KEY", &kc->key_pem,
	    &kc->key_len, cause) == -1)
		return -1;
	if ((kc->cert_pem == NULL) != (kc->key_pem == NULL)) {
		*cause = xstrdup("a client certificate needs its key");
		return -1;
	}
	return kubeconfig_refresh_token(kc, cause);
}

int
kubeconfig_load(const char *path, struct kubeconfig *kc, char **cause)
{
	char *data = NULL, *dir = NULL, *slash;
	size_t len = 0;
	int ret = -1;

	kubeconfig_init(kc);
	if ((data = kc_read(path, KUBECONFIG_MAX_BYTES, &len, cause)) == NULL)
		goto done;
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (kubeconfig_parse(data, len, dir, path, kc, cause) == -1)
		goto done;
	if (kubeconfig_read_files(kc, cause) == -1) {
		kubeconfig_free(kc);
		goto done;
	}
	ret = 0;
done:
	if (data != NULL) {
		OPENSSL_cleanse(data, len);
		free(data);
	}
	free(dir);
	return ret;
}

/* KUBERNETES_SERVICE_HOST: a DNS name, IPv4 or IPv6 address. */
static int
kc_host_ok(const char *h)
{
	size_t i, n = strlen(h);

	if (n == 0 || n > KC_MAX_NAME)
		return 0;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)h[i]) && h[i] != '.' &&
		    h[i] != '-' && h[i] != ':')
			return 0;
	}
	return 1;
}

int
kubeconfig_in_cluster(const char *sadir, struct kubeconfig *kc,
    char **cause)
{
	const char *host, *port;
	char *path = NULL, *ns = NULL, *end, *ncause = NULL;
	size_t n = 0;
	long p;
	int ret = -1;

	kubeconfig_init(kc);
	if (sadir == NULL)
		sadir = getenv(KUBECONFIG_SA_ENV);
	if (sadir == NULL || sadir[0] == '\0')
		sadir = KUBECONFIG_SA_DIR;
	host = getenv("KUBERNETES_SERVICE_HOST");
	port = getenv("KUBERNETES_SERVICE_PORT");
	if (host == NULL || port == NULL) {
		*cause = xstrdup("not running in a Kubernetes pod "
		    "(KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are "
		    "not set): give a kubeconfig");
		goto done;
	}
	if (!kc_host_ok(host)) {
		*cause = xstrdup("KUBERNETES_SERVICE_HOST is not a host name "
		    "or address");
		goto done;
	}
	errno = 0;
	p = strtol(port, &end, 10);
	if (errno != 0 || end == port || *end != '\0' || p < 1 || p > 65535) {
		*cause = xstrdup("KUBERNETES_SERVICE_PORT is not a port number "
		    "(1-65535)");
		goto done;
	}
	kc->server = strchr(host, ':') != NULL ?
	    xasprintf("https://[%s]:%ld", host, p) :
	    xasprintf("https://%s:%ld", host, p);
	kc->ca_file = xasprintf("%s/ca.crt", sadir);
	kc->token_file = xasprintf("%s/token", sadir);
	kc->origin = xasprintf("the pod's service account (%s)", sadir);
	if (kubeconfig_read_files(kc, cause) == -1)
		goto done;
	/* The namespace is for messages only: absent is fine. */
	path = xasprintf("%s/namespace", sadir);
	if ((ns = kc_read(path, KC_MAX_NAME + 2, &n, &ncause)) != NULL) {
		while (n > 0 && isspace((unsigned char)ns[n - 1]))
			ns[--n] = '\0';
		if (n > 0)
			kc->namespace = kc_printable(ns);
	}
	ret = 0;
done:
	if (ret == -1)
		kubeconfig_free(kc);
	free(ncause);
	free(ns);
	free(path);
	return ret;
}
