/*
 * test_api_token.c: join token format and parsing, token keys, and the
 * agent certificate issued from a CSR (checked with OpenSSL's verifier).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "api.h"
#include "pki.h"
#include "xmalloc.h"

static void
test_token_roundtrip(void **state)
{
	unsigned char secret[32], hash[32], s2[32], h2[32];
	char *tok;
	int i, round;

	for (round = 0; round < 200; round++) {
		for (i = 0; i < 32; i++) {
			secret[i] = (unsigned char)(round * 7 + i * 13);
			hash[i] = (unsigned char)(round * 3 + i * 31);
		}
		if (round == 0)
			memset(secret, 0xff, 32);
		tok = api_token_format(secret, hash);
		assert_int_equal(strlen(tok), 5 + 43 + 1 + 64);
		assert_int_equal(strncmp(tok, "fft1.", 5), 0);
		assert_int_equal(api_token_parse(tok, s2, h2), 0);
		assert_memory_equal(secret, s2, 32);
		assert_memory_equal(hash, h2, 32);
		free(tok);
	}
}

static void
test_token_bad(void **state)
{
	unsigned char s[32], h[32];
	char good[200], bad[260];
	char *tok;

	memset(s, 0x5a, 32);
	memset(h, 0xa5, 32);
	tok = api_token_format(s, h);
	snprintf(good, sizeof(good), "%s", tok);
	free(tok);
	assert_int_equal(api_token_parse(good, s, h), 0);
	assert_int_equal(api_token_parse(NULL, s, h), -1);
	assert_int_equal(api_token_parse("", s, h), -1);
	assert_int_equal(api_token_parse("fft1.", s, h), -1);
	snprintf(bad, sizeof(bad), "fft2%s", good + 4);          /* version */
	assert_int_equal(api_token_parse(bad, s, h), -1);
	snprintf(bad, sizeof(bad), "%sa", good);                 /* too long */
	assert_int_equal(api_token_parse(bad, s, h), -1);
	snprintf(bad, sizeof(bad), "%s", good);
	bad[10] = '+';                                           /* not base64url */
	assert_int_equal(api_token_parse(bad, s, h), -1);
	snprintf(bad, sizeof(bad), "%s", good);
	bad[48] = ':';                                           /* separator */
	assert_int_equal(api_token_parse(bad, s, h), -1);
	snprintf(bad, sizeof(bad), "%s", good);
	bad[60] = 'A';                                           /* uppercase hex */
	assert_int_equal(api_token_parse(bad, s, h), -1);
	snprintf(bad, sizeof(bad), "%s", good);
	bad[60] = 'g';
	assert_int_equal(api_token_parse(bad, s, h), -1);
	snprintf(bad, sizeof(bad), "%s", good);
	bad[47] = 'B';   /* non-zero spare bits: not the canonical encoding */
	assert_int_equal(api_token_parse(bad, s, h), -1);
}

static void
test_token_key(void **state)
{
	unsigned char s[32];
	char *k1, *k2;

	memset(s, 1, 32);
	k1 = api_token_key(s);
	s[31] = 2;
	k2 = api_token_key(s);
	assert_int_equal(strncmp(k1, "/fabfed/v1/tokens/", 18), 0);
	assert_int_equal(strlen(k1), 18 + 64);
	assert_string_not_equal(k1, k2);
	/* The key is a hash: the secret's bytes do not appear in it. */
	assert_null(strstr(k1, "0101010101"));
	free(k1);
	free(k2);
}

static char *
make_csr(EVP_PKEY *key)
{
	X509_REQ *req = X509_REQ_new();
	BIO *bio = BIO_new(BIO_s_mem());
	BUF_MEM *mem;
	char *pem;

	X509_REQ_set_pubkey(req, key);
	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
	    (const unsigned char *)"Org1MSP-admin-wants-more", -1, -1, 0);
	X509_REQ_sign(req, key, EVP_sha256());
	PEM_write_bio_X509_REQ(bio, req);
	BIO_get_mem_ptr(bio, &mem);
	pem = xstrndup(mem->data, mem->length);
	BIO_free(bio);
	X509_REQ_free(req);
	return pem;
}

static void
test_issue(void **state)
{
	struct pki_subject s = { .cn = "ca", .o = "fabfed", .days = 10 };
	EVP_PKEY *cakey = pki_key_new(), *key = pki_key_new(), *rsa;
	X509 *ca = pki_ca_new(cakey, &s, NULL), *cert;
	X509_STORE *store;
	X509_STORE_CTX *ctx;
	char *csr, *cause = NULL, *uri, cn[128], o[128];

	csr = make_csr(key);
	cert = api_enroll_issue(ca, cakey, csr, strlen(csr), "trade", "Org1MSP", 90, &cause);
	assert_non_null(cert);
	/* The requested subject is ignored: the controller decides who this is. */
	X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
	X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_organizationName, o,
	    sizeof(o));
	assert_string_equal(cn, "fabfed-agent.Org1MSP");
	assert_string_equal(o, "Org1MSP");
	uri = pki_cert_uri(cert, "fabfed://");
	assert_string_equal(uri, "fabfed://trade/org/Org1MSP");
	free(uri);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(cert), key), 1);
	assert_int_equal(X509_check_purpose(cert, X509_PURPOSE_SSL_CLIENT, 0), 1);
	store = X509_STORE_new();
	X509_STORE_add_cert(store, ca);
	ctx = X509_STORE_CTX_new();
	X509_STORE_CTX_init(ctx, store, cert, NULL);
	assert_int_equal(X509_verify_cert(ctx), 1);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(cert);

	/* Tampered CSR: the signature no longer verifies. */
	csr[100] = csr[100] == 'A' ? 'B' : 'A';
	assert_null(api_enroll_issue(ca, cakey, csr, strlen(csr), "trade", "Org1MSP", 90,
	    &cause));
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	free(csr);
	/* Not a CSR at all. */
	assert_null(api_enroll_issue(ca, cakey, "hello", 5, "trade", "Org1MSP", 90, &cause));
	assert_non_null(strstr(cause, "not a PEM"));
	free(cause);
	cause = NULL;
	/* An RSA key is refused. */
	rsa = EVP_RSA_gen(2048);
	csr = make_csr(rsa);
	assert_null(api_enroll_issue(ca, cakey, csr, strlen(csr), "trade", "Org1MSP", 90,
	    &cause));
	assert_non_null(strstr(cause, "P-256"));
	free(cause);
	free(csr);
	EVP_PKEY_free(rsa);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_roundtrip),
		cmocka_unit_test(test_token_bad),
		cmocka_unit_test(test_token_key),
		cmocka_unit_test(test_issue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
