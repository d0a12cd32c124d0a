/*
 * test_pki.c: keys, CAs and certificates, checked with OpenSSL's own
 * verifier; file modes; keys never replaced; options parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "fedca.h"
#include "opts.h"
#include "pki.h"
#include "xmalloc.h"

static char tmpdir[64];

static int
setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/fabfed-pki.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);

	free(cmd);
	return rc == 0 ? 0 : -1;
}

static int
verify(X509 *ca, X509 *leaf)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;

	X509_STORE_add_cert(store, ca);
	X509_STORE_CTX_init(ctx, store, leaf, NULL);
	ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

static void
test_ca_and_leaf(void **state)
{
	const char *uris[] = { "fabfed://trade/org/Org1MSP", NULL };
	const char *dns[] = { "localhost", NULL }, *ips[] = { "127.0.0.1", NULL };
	struct pki_subject s = { .cn = "ca", .o = "fabfed", .days = 10 };
	EVP_PKEY *cakey = pki_key_new(), *key = pki_key_new(), *other = pki_key_new();
	X509 *ca, *leaf, *rogue;
	char *cause = NULL, *uri;

	assert_non_null(cakey);
	ca = pki_ca_new(cakey, &s, &cause);
	assert_non_null(ca);
	assert_int_equal(X509_check_ca(ca), 1);
	s.cn = "agent";
	s.uris = uris;
	s.dns = dns;
	s.ips = ips;
	s.client = 1;
	leaf = pki_issue(ca, cakey, key, &s, &cause);
	assert_non_null(leaf);
	assert_int_equal(verify(ca, leaf), 1);
	assert_int_equal(X509_check_ca(leaf), 0);
	assert_int_equal(X509_check_host(leaf, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(leaf, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_host(leaf, "evil.example", 0, 0, NULL), 0);
	uri = pki_cert_uri(leaf, "fabfed://");
	assert_string_equal(uri, "fabfed://trade/org/Org1MSP");
	free(uri);
	assert_null(pki_cert_uri(leaf, "fabfed://admin"));
	assert_null(pki_cert_uri(ca, "fabfed://"));
	/* Signed by another key: OpenSSL must refuse it. */
	rogue = pki_issue(ca, other, key, &s, &cause);
	assert_non_null(rogue);
	assert_int_not_equal(verify(ca, rogue), 1);
	X509_free(rogue);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

static void
test_files(void **state)
{
	char *kp = xasprintf("%s/k.key", tmpdir), *cp = xasprintf("%s/c.crt", tmpdir);
	struct pki_subject s = { .cn = "ca", .days = 1 };
	EVP_PKEY *key = pki_key_new(), *back;
	X509 *ca, *cback;
	char *cause = NULL;
	struct stat st;
	unsigned char h1[32], h2[32];
	FILE *f;
	char line[64];

	assert_int_equal(pki_key_write(kp, key, &cause), 0);
	assert_int_equal(stat(kp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	f = fopen(kp, "r");
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_string_equal(line, "-----BEGIN PRIVATE KEY-----\n");   /* PKCS#8 */
	/* Keys are made once: a second write is refused and changes nothing. */
	assert_int_equal(pki_key_write(kp, key, &cause), -1);
	assert_non_null(strstr(cause, "already exists"));
	free(cause);
	cause = NULL;
	back = pki_key_read(kp, &cause);
	assert_non_null(back);
	assert_int_equal(EVP_PKEY_eq(key, back), 1);
	ca = pki_ca_new(key, &s, &cause);
	assert_int_equal(pki_cert_write(cp, ca, &cause), 0);
	cback = pki_cert_read(cp, &cause);
	assert_non_null(cback);
	assert_int_equal(pki_cert_sha256(ca, h1), 0);
	assert_int_equal(pki_cert_sha256(cback, h2), 0);
	assert_memory_equal(h1, h2, 32);
	/* Garbage and missing files give a sentence, not a crash. */
	assert_null(pki_cert_read(kp, &cause));
	assert_non_null(strstr(cause, "not a PEM certificate"));
	free(cause);
	cause = NULL;
	assert_null(pki_key_read("/nonexistent/x.key", &cause));
	assert_non_null(strstr(cause, "No such file"));
	free(cause);
	X509_free(ca);
	X509_free(cback);
	EVP_PKEY_free(key);
	EVP_PKEY_free(back);
	free(kp);
	free(cp);
}

static void
test_fedca_init_twice(void **state)
{
	char *dir = xasprintf("%s/state", tmpdir), *ca = xasprintf("%s/ca.crt", dir);
	char *cause = NULL;
	unsigned char h1[32], h2[32];
	X509 *c;
	int created = -1;

	assert_int_equal(fedca_init(dir, "https://127.0.0.1:1", "fabfed.example,10.1.2.3",
	    &created, &cause), 0);
	assert_int_equal(created, 1);
	c = pki_cert_read(ca, &cause);
	pki_cert_sha256(c, h1);
	X509_free(c);
	assert_int_equal(fedca_init(dir, "https://127.0.0.1:1", NULL, &created, &cause), 0);
	assert_int_equal(created, 0);
	c = pki_cert_read(ca, &cause);
	pki_cert_sha256(c, h2);
	X509_free(c);
	assert_memory_equal(h1, h2, 32);
	free(ca);
	ca = xasprintf("%s/server.crt", dir);
	c = pki_cert_read(ca, &cause);
	assert_int_equal(X509_check_host(c, "fabfed.example", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(c, "10.1.2.3", 0), 1);
	X509_free(c);
	free(ca);
	ca = xasprintf("%s/admin.crt", dir);
	c = pki_cert_read(ca, &cause);
	free(ca);
	ca = pki_cert_uri(c, "fabfed://");
	assert_string_equal(ca, FEDCA_ADMIN_URI);
	X509_free(c);
	free(ca);
	assert_int_equal(fedca_set_url(dir, "https://127.0.0.1:9", &cause), 0);
	free(dir);
}

static void
test_opts(void **state)
{
	const char *s = NULL;
	long long n = 0;
	int f = 0;
	char *cause = NULL;
	const struct opt t[] = {
		{ "name", 'n', OPT_STRING, 0, 0, "dflt", "a name", &s },
		{ "count", 0, OPT_INT, 1, 10, "3", "a count", &n },
		{ "flag", 'f', OPT_FLAG, 0, 0, NULL, "a flag", &f },
		{ NULL, 0, 0, 0, 0, NULL, NULL, NULL },
	};
	char *a1[] = { "x", "--count", "7", "-f", "rest", NULL };
	char *a2[] = { "x", "--count", "11", NULL };
	char *a3[] = { "x", "--count", "7z", NULL };
	char *a4[] = { "x", "--bogus", NULL };
	char *a5[] = { "x", "--name", NULL };

	assert_int_equal(opts_parse(5, a1, t, &cause), 4);
	assert_string_equal(s, "dflt");
	assert_int_equal(n, 7);
	assert_int_equal(f, 1);
	assert_int_equal(opts_parse(3, a2, t, &cause), -1);
	assert_non_null(strstr(cause, "1..10"));
	free(cause);
	assert_int_equal(opts_parse(3, a3, t, &cause), -1);
	free(cause);
	assert_int_equal(opts_parse(2, a4, t, &cause), -1);
	assert_non_null(strstr(cause, "--bogus"));
	free(cause);
	assert_int_equal(opts_parse(2, a5, t, &cause), -1);
	assert_non_null(strstr(cause, "needs a value"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ca_and_leaf),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_fedca_init_twice),
		cmocka_unit_test(test_opts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
