/*
 * test_kubeconfig.c: API server credentials (member-agent/kubeconfig.c):
 * kubeconfig parsing (current-context, inline data, files relative to the
 * kubeconfig), what is refused and why (never echoing a secret), and
 * in-cluster service-account credentials with a token that rotates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "kubeconfig.h"
#include "xmalloc.h"

#define CA_PEM   "-----BEGIN CERTIFICATE-----\nMIIBcaTEST\n-----END CERTIFICATE-----\n"
#define CRT_PEM  "-----BEGIN CERTIFICATE-----\nMIIBclientTEST\n-----END CERTIFICATE-----\n"
#define KEY_PEM  "-----BEGIN PRIVATE KEY-----\nMIGHkeyTEST\n-----END PRIVATE KEY-----\n"
#define TOKEN    "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.sig-Abc_123"

struct fx {
	char dir[64];
};

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_kubeconfig.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv(KUBECONFIG_SA_ENV);
	return 0;
}

static char *
b64(const char *s)
{
	size_t n = strlen(s);
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	return out;
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(p, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	free(p);
}

/* A kubeconfig with two contexts; org1's cluster and user are the given
 * YAML lines (indented 4). */
static char *
doc(const char *cluster, const char *user)
{
	return xasprintf(
	    "apiVersion: v1\n"
	    "kind: Config\n"
	    "clusters:\n"
	    "- name: prod\n"
	    "  cluster:\n"
	    "%s"
	    "- name: other\n"
	    "  cluster: {server: 'https://other.example:6443'}\n"
	    "users:\n"
	    "- name: agent\n"
	    "  user:\n"
	    "%s"
	    "- name: nobody\n"
	    "  user: {token: other-token}\n"
	    "contexts:\n"
	    "- name: elsewhere\n"
	    "  context: {cluster: other, user: nobody}\n"
	    "- name: org1\n"
	    "  context: {cluster: prod, user: agent, namespace: fabfed}\n"
	    "current-context: org1\n", cluster, user);
}

/* Parse expecting failure; the cause must contain want and not secret. */
static void
refused(const char *text, const char *basedir, const char *want,
    const char *secret)
{
	struct kubeconfig kc;
	char *cause = NULL;

	assert_int_equal(kubeconfig_parse(text, strlen(text), basedir, "kc",
	    &kc, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, want);
	if (secret != NULL && strstr(cause, secret) != NULL)
		fail_msg("cause \"%s\" shows the secret", cause);
	assert_null(kc.server);
	assert_null(kc.token);
	assert_null(kc.key_pem);
	free(cause);
}

static void
inline_client_cert(void **state)
{
	char *ca = b64(CA_PEM), *crt = b64(CRT_PEM), *key = b64(KEY_PEM);
	char *c = xasprintf("    server: https://k8s.example:6443//\n"
	    "    certificate-authority-data: %s\n", ca);
	char *u = xasprintf("    client-certificate-data: %s\n"
	    "    client-key-data: %s\n", crt, key);
	char *text = doc(c, u), *cause = NULL;
	struct kubeconfig kc;

	(void)state;
	assert_int_equal(kubeconfig_parse(text, strlen(text), "/etc", "kc",
	    &kc, &cause), 0);
	assert_null(cause);
	assert_string_equal(kc.server, "https://k8s.example:6443");
	assert_string_equal(kc.ca_pem, CA_PEM);
	assert_int_equal(kc.ca_len, strlen(CA_PEM));
	assert_string_equal(kc.cert_pem, CRT_PEM);
	assert_string_equal(kc.key_pem, KEY_PEM);
	assert_int_equal(kc.key_len, strlen(KEY_PEM));
	assert_null(kc.token);
	assert_null(kc.ca_file);
	assert_string_equal(kc.namespace, "fabfed");
	assert_string_equal(kc.origin, "kc (context org1)");
	/* no files named: reading them is a no-op */
	assert_int_equal(kubeconfig_read_files(&kc, &cause), 0);
	kubeconfig_free(&kc);
	assert_null(kc.server);
	kubeconfig_free(&kc);   /* twice is fine */
	kubeconfig_free(NULL);
	free(ca);
	free(crt);
	free(key);
	free(c);
	free(u);
	free(text);
}

static void
files_relative_to_kubeconfig(void **state)
{
	struct fx *f = *state;
	char *path = xasprintf("%s/config", f->dir), *cause = NULL;
	char *text, *abskey = xasprintf("%s/keys/agent.key", f->dir), *u;
	struct kubeconfig kc;

	{
		char *kd = xasprintf("%s/keys", f->dir);
		assert_int_equal(mkdir(kd, 0700), 0);
		free(kd);
	}
	write_file(f->dir, "ca.crt", CA_PEM);
	write_file(f->dir, "agent.crt", CRT_PEM);
	write_file(f->dir, "keys/agent.key", KEY_PEM);
	write_file(f->dir, "token", TOKEN "\n");
	u = xasprintf("    client-certificate: agent.crt\n"
	    "    client-key: %s\n    tokenFile: token\n", abskey);
	text = doc("    server: https://10.0.0.1:443\n"
	    "    certificate-authority: ca.crt\n", u);
	write_file(f->dir, "config", text);
	assert_int_equal(kubeconfig_load(path, &kc, &cause), 0);
	assert_null(cause);
	assert_string_equal(kc.server, "https://10.0.0.1:443");
	assert_string_equal(kc.ca_pem, CA_PEM);
	assert_string_equal(kc.cert_pem, CRT_PEM);
	assert_string_equal(kc.key_pem, KEY_PEM);
	assert_string_equal(kc.key_file, abskey);
	assert_string_equal(kc.token, TOKEN);   /* newline trimmed */
	{
		char *want = xasprintf("%s/token", f->dir);
		assert_string_equal(kc.token_file, want);
		free(want);
	}
	/* the token rotates: refresh reads the new one */
	write_file(f->dir, "token", "rotated-token-2");
	assert_int_equal(kubeconfig_refresh_token(&kc, &cause), 0);
	assert_string_equal(kc.token, "rotated-token-2");
	/* a token file that goes bad keeps the old token */
	write_file(f->dir, "token", "two words");
	assert_int_equal(kubeconfig_refresh_token(&kc, &cause), -1);
	assert_non_null(strstr(cause, "does not hold a bearer token"));
	assert_null(strstr(cause, "two words"));
	free(cause);
	cause = NULL;
	assert_string_equal(kc.token, "rotated-token-2");
	kubeconfig_free(&kc);

	/* a named file that is missing or not PEM */
	write_file(f->dir, "agent.crt", "not a certificate\n");
	assert_int_equal(kubeconfig_load(path, &kc, &cause), -1);
	assert_non_null(strstr(cause, "agent.crt does not hold a PEM CERTIFICATE"));
	assert_null(kc.server);
	free(cause);
	cause = NULL;
	write_file(f->dir, "ca.crt", "");
	unlink(abskey);
	free(path);
	path = xasprintf("%s/absent", f->dir);
	assert_int_equal(kubeconfig_load(path, &kc, &cause), -1);
	assert_non_null(strstr(cause, "cannot open"));
	free(cause);
	free(path);
	free(abskey);
	free(u);
	free(text);
}

static void
refusals(void **state)
{
	char *text, *ca = b64(CA_PEM), *crt = b64(CRT_PEM), *c;
	const char *good = "    server: https://k8s.example\n";

	(void)state;
	text = doc("    server: http://k8s.example\n", "    token: " TOKEN "\n");
	refused(text, NULL, "must be an https:// URL", TOKEN);
	free(text);
	text = doc("    server: https://user:pw@k8s.example\n", "    token: t\n");
	refused(text, NULL, "must be an https:// URL", "pw");
	free(text);
	text = doc("    server: https://k8s.example\n"
	    "    insecure-skip-tls-verify: true\n", "    token: " TOKEN "\n");
	refused(text, NULL, "insecure-skip-tls-verify is set", TOKEN);
	free(text);
	text = doc("    server: https://k8s.example\n    proxy-url: http://p:3128\n",
	    "    token: t\n");
	refused(text, NULL, "proxy-url is not supported", NULL);
	free(text);
	text = doc(good, "    token: " TOKEN "\n    exec: {command: aws}\n");
	refused(text, NULL, "user.exec is not supported", TOKEN);
	free(text);
	text = doc(good, "    username: admin\n    password: hunter2\n");
	refused(text, NULL, "user.username is not supported", "hunter2");
	free(text);
	text = doc(good, "    token: \"two words\"\n");
	refused(text, NULL, "user.token is not a valid bearer token", "two words");
	free(text);
	text = doc(good, "    token: \"abc\\r\\nX-Evil: 1\"\n");
	refused(text, NULL, "user.token is not a valid bearer token", "X-Evil");
	free(text);
	text = doc(good, "    namespace: x\n");
	refused(text, NULL, "the user has no credentials", NULL);
	free(text);
	c = xasprintf("    client-certificate-data: %s\n", crt);
	text = doc(good, c);
	refused(text, NULL, "client-certificate and client-key go together", NULL);
	free(text);
	free(c);
	text = doc(good, "    client-certificate-data: '%%%%'\n    client-key: k\n");
	refused(text, "/x", "client-certificate-data is not base64", NULL);
	free(text);
	c = xasprintf("    client-certificate-data: %s\n    client-key-data: %s\n",
	    crt, ca);   /* a certificate where the key should be */
	text = doc(good, c);
	refused(text, NULL, "client-key-data does not hold a PEM PRIVATE KEY", NULL);
	free(text);
	free(c);
	text = doc("    server: https://k8s.example\n"
	    "    certificate-authority: ca.crt\n", "    token: t\n");
	refused(text, NULL, "relative file name", NULL);
	free(text);
	text = doc("    server: 6443\n", "    token: t\n");
	refused(text, NULL, "cluster.server must be a string", NULL);
	free(text);
	text = doc("    insecure-skip-tls-verify: false\n", "    token: t\n");
	refused(text, NULL, "the cluster has no server", NULL);
	free(text);

	refused("current-context: org1\n", NULL, "no contexts entry named \"org1\"",
	    NULL);
	refused("contexts: []\nclusters: []\n", NULL, "no current-context", NULL);
	refused("- a\n- b\n", NULL, "not a kubeconfig", NULL);
	refused("current-context: a\ncurrent-context: b\n", NULL,
	    "duplicate key", NULL);
	refused("a: &x {b: 1}\nc: *x\n", NULL, "anchors", NULL);
	refused("c: *x\n", NULL, "aliases", NULL);
	refused("current-context: c\ncontexts: {c: 1}\n", NULL,
	    "contexts must be a list", NULL);
	refused("current-context: c\ncontexts: [{name: c, context: {cluster: x}}]\n",
	    NULL, "must name a cluster and a user", NULL);
	refused("current-context: c\ncontexts: [{name: c, context: {cluster: x, "
	    "user: u}}]\nclusters: [{name: x}]\n", NULL,
	    "clusters entry \"x\" has no cluster mapping", NULL);
	refused("", NULL, "kc: ", NULL);
	{
		/* larger than the limit */
		size_t n = KUBECONFIG_MAX_BYTES + 1;
		char *big = xmalloc(n + 1);
		memset(big, '#', n);
		big[n] = '\0';
		refused(big, NULL, "more than", NULL);
		free(big);
	}
	free(ca);
	free(crt);
}

static void
in_cluster(void **state)
{
	struct fx *f = *state;
	struct kubeconfig kc;
	char *cause = NULL;

	write_file(f->dir, "ca.crt", CA_PEM);
	write_file(f->dir, "token", TOKEN);
	write_file(f->dir, "namespace", "fabfed-system\n");

	/* not in a pod */
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	assert_int_equal(kubeconfig_in_cluster(f->dir, &kc, &cause), -1);
	assert_non_null(strstr(cause, "not running in a Kubernetes pod"));
	free(cause);
	cause = NULL;

	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	setenv(KUBECONFIG_SA_ENV, f->dir, 1);
	assert_int_equal(kubeconfig_in_cluster(NULL, &kc, &cause), 0);
	assert_null(cause);
	assert_string_equal(kc.server, "https://10.96.0.1:443");
	assert_string_equal(kc.ca_pem, CA_PEM);
	assert_string_equal(kc.token, TOKEN);
	assert_string_equal(kc.namespace, "fabfed-system");
	assert_non_null(strstr(kc.origin, "service account"));
	assert_null(kc.cert_pem);
	write_file(f->dir, "token", "rotated");
	assert_int_equal(kubeconfig_refresh_token(&kc, &cause), 0);
	assert_string_equal(kc.token, "rotated");
	kubeconfig_free(&kc);

	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	assert_int_equal(kubeconfig_in_cluster(f->dir, &kc, &cause), 0);
	assert_string_equal(kc.server, "https://[fd00::1]:443");
	kubeconfig_free(&kc);

	setenv("KUBERNETES_SERVICE_HOST", "evil/host@x", 1);
	assert_int_equal(kubeconfig_in_cluster(f->dir, &kc, &cause), -1);
	assert_non_null(strstr(cause, "KUBERNETES_SERVICE_HOST"));
	free(cause);
	cause = NULL;
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	{
		const char *ports[] = { "0", "65536", "44x", "", "-1",
		    "99999999999999999999" };
		size_t i;

		for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
			setenv("KUBERNETES_SERVICE_PORT", ports[i], 1);
			assert_int_equal(kubeconfig_in_cluster(f->dir, &kc,
			    &cause), -1);
			assert_non_null(strstr(cause, "KUBERNETES_SERVICE_PORT"));
			free(cause);
			cause = NULL;
		}
	}
	setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
	/* no token: refused; the namespace file is optional */
	{
		char *t = xasprintf("%s/token", f->dir);
		char *n = xasprintf("%s/namespace", f->dir);
		unlink(n);
		assert_int_equal(kubeconfig_in_cluster(f->dir, &kc, &cause), 0);
		assert_null(kc.namespace);
		kubeconfig_free(&kc);
		unlink(t);
		assert_int_equal(kubeconfig_in_cluster(f->dir, &kc, &cause), -1);
		assert_non_null(strstr(cause, "token"));
		assert_null(kc.server);
		free(cause);
		free(t);
		free(n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(inline_client_cert),
		cmocka_unit_test_setup_teardown(files_relative_to_kubeconfig,
		    setup, teardown),
		cmocka_unit_test(refusals),
		cmocka_unit_test_setup_teardown(in_cluster, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
