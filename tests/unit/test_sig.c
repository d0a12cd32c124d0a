/*
 * test_sig.c: ECDSA P-256 over SHA-256 with low-S, checked with OpenSSL's
 * plain verifier and the openssl(1) command, and against signatures made
 * high-S on purpose (n - s), which OpenSSL accepts and Fabric does not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "pki.h"
#include "sig.h"
#include "xmalloc.h"

#define NSIGS 2000

static char tmpdir[64];

static int
setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/fabfed-sig.XXXXXX");
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

/* OpenSSL's own verification, no low-S rule: 1 if valid. */
static int
openssl_verify(EVP_PKEY *pub, const void *msg, size_t len,
    const unsigned char *der, size_t derlen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	assert_non_null(md);
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub), 1);
	ok = EVP_DigestVerify(md, der, derlen, msg, len) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}

static const BIGNUM *
p256_order(EC_GROUP **g)
{
	*g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	assert_non_null(*g);
	return EC_GROUP_get0_order(*g);
}

/* DER of (r, s). Caller frees. */
static unsigned char *
encode_rs(const BIGNUM *r, const BIGNUM *s, size_t *len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	unsigned char *out = NULL, *copy;
	int n;

	assert_non_null(es);
	assert_int_equal(ECDSA_SIG_set0(es, BN_dup(r), BN_dup(s)), 1);
	n = i2d_ECDSA_SIG(es, &out);
	assert_true(n > 0);
	copy = xmalloc((size_t)n);
	memcpy(copy, out, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(out);
	ECDSA_SIG_free(es);
	return copy;
}

/* The same signature with s replaced by n - s. Caller frees. */
static unsigned char *
flip_s(const unsigned char *der, size_t len, size_t *outlen)
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *s;
	BIGNUM *ns = BN_new();
	EC_GROUP *g;
	unsigned char *out;

	assert_non_null(es);
	ECDSA_SIG_get0(es, &r, &s);
	assert_int_equal(BN_sub(ns, p256_order(&g), s), 1);
	out = encode_rs(r, ns, outlen);
	BN_free(ns);
	EC_GROUP_free(g);
	ECDSA_SIG_free(es);
	return out;
}

static void
test_many_signatures_low_s(void **state)
{
	EVP_PKEY *key = pki_key_new();
	unsigned char msg[300], *der;
	size_t derlen, len;
	char *cause = NULL;
	int i, lows = 0, verified = 0, fabric_ok = 0;

	assert_non_null(key);
	for (i = 0; i < NSIGS; i++) {
		len = (size_t)(i % (int)sizeof(msg));
		assert_int_equal(RAND_bytes(msg, (int)sizeof(msg)), 1);
		assert_int_equal(sig_sign(key, msg, len, &der, &derlen, &cause), 0);
		assert_null(cause);
		assert_true(derlen >= 8 && derlen <= 72);
		lows += sig_is_low_s(der, derlen) == 1;
		verified += openssl_verify(key, msg, len, der, derlen);
		fabric_ok += sig_verify(key, msg, len, der, derlen) == 0;
		free(der);
	}
	assert_int_equal(lows, NSIGS);
	assert_int_equal(verified, NSIGS);
	assert_int_equal(fabric_ok, NSIGS);
	EVP_PKEY_free(key);
}

static void
test_crafted_high_s(void **state)
{
	EVP_PKEY *key = pki_key_new();
	static const char msg[] = "config update bytes";
	unsigned char *der, *high, *back;
	size_t derlen, highlen, backlen;
	char *cause = NULL;

	assert_int_equal(sig_sign(key, msg, sizeof(msg), &der, &derlen, &cause), 0);
	high = flip_s(der, derlen, &highlen);
	/* OpenSSL accepts either S ... */
	assert_true(openssl_verify(key, msg, sizeof(msg), high, highlen));
	/* ... Fabric (and so we) only the low one. */
	assert_int_equal(sig_is_low_s(high, highlen), 0);
	assert_int_equal(sig_verify(key, msg, sizeof(msg), high, highlen), -1);
	/* Flipping back gives the original bytes. */
	back = flip_s(high, highlen, &backlen);
	assert_int_equal(backlen, derlen);
	assert_memory_equal(back, der, derlen);
	assert_int_equal(sig_is_low_s(back, backlen), 1);
	free(back);
	free(high);
	free(der);
	EVP_PKEY_free(key);
}

/* A raw OpenSSL signature is high-S about half the time; ours never is. */
static void
test_raw_openssl_high_s_seen(void **state)
{
	EVP_PKEY *key = pki_key_new();
	static const char msg[] = "m";
	unsigned char raw[80];
	size_t rawlen;
	int i, high = 0;

	for (i = 0; i < 64 && high == 0; i++) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		rawlen = sizeof(raw);
		assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
		assert_int_equal(EVP_DigestSign(md, raw, &rawlen, (const unsigned char *)msg, 1), 1);
		EVP_MD_CTX_free(md);
		if (sig_is_low_s(raw, rawlen) == 0) {
			high = 1;
			assert_true(openssl_verify(key, msg, 1, raw, rawlen));
			assert_int_equal(sig_verify(key, msg, 1, raw, rawlen), -1);
		}
	}
	assert_int_equal(high, 1);
	EVP_PKEY_free(key);
}

static void
test_half_order_boundary(void **state)
{
	EC_GROUP *g;
	const BIGNUM *n = p256_order(&g);
	BIGNUM *one = BN_new(), *half = BN_dup(n), *s = BN_new(), *nm1 = BN_new();
	unsigned char *der;
	size_t len;

	BN_one(one);
	assert_int_equal(BN_rshift1(half, half), 1);
	/* s == floor(n/2) is low (Fabric: s.Cmp(halfOrder) != 1). */
	der = encode_rs(one, half, &len);
	assert_int_equal(sig_is_low_s(der, len), 1);
	free(der);
	assert_int_equal(BN_add(s, half, one), 1);
	der = encode_rs(one, s, &len);
	assert_int_equal(sig_is_low_s(der, len), 0);
	free(der);
	assert_int_equal(BN_sub(nm1, n, one), 1);
	der = encode_rs(one, nm1, &len);
	assert_int_equal(sig_is_low_s(der, len), 0);
	free(der);
	/* s == n and s == 0 are not signatures at all. */
	der = encode_rs(one, n, &len);
	assert_int_equal(sig_is_low_s(der, len), -1);
	free(der);
	BN_zero(s);
	der = encode_rs(one, s, &len);
	assert_int_equal(sig_is_low_s(der, len), -1);
	free(der);
	der = encode_rs(s, one, &len);
	assert_int_equal(sig_is_low_s(der, len), -1);
	free(der);
	BN_free(one);
	BN_free(half);
	BN_free(s);
	BN_free(nm1);
	EC_GROUP_free(g);
}

static void
test_not_signatures(void **state)
{
	EVP_PKEY *key = pki_key_new();
	unsigned char *der, buf[200];
	size_t derlen;
	char *cause = NULL;
	/* SEQUENCE { INTEGER 1, INTEGER 1 } in BER with a non-minimal length. */
	static const unsigned char ber[] = { 0x30, 0x81, 0x06, 0x02, 0x01, 0x01,
	    0x02, 0x01, 0x01 };
	static const unsigned char ok[] = { 0x30, 0x06, 0x02, 0x01, 0x01,
	    0x02, 0x01, 0x01 };
	/* INTEGER with a superfluous leading zero. */
	static const unsigned char padded[] = { 0x30, 0x07, 0x02, 0x02, 0x00,
	    0x01, 0x02, 0x01, 0x01 };

	assert_int_equal(sig_is_low_s(NULL, 0), -1);
	assert_int_equal(sig_is_low_s((const unsigned char *)"", 0), -1);
	assert_int_equal(sig_is_low_s((const unsigned char *)"garbage", 7), -1);
	assert_int_equal(sig_is_low_s(ok, sizeof(ok)), 1);
	assert_int_equal(sig_is_low_s(ber, sizeof(ber)), -1);
	assert_int_equal(sig_is_low_s(padded, sizeof(padded)), -1);

	assert_int_equal(sig_sign(key, "x", 1, &der, &derlen, &cause), 0);
	/* Trailing bytes after the DER. */
	memcpy(buf, der, derlen);
	buf[derlen] = 0;
	assert_int_equal(sig_is_low_s(buf, derlen + 1), -1);
	assert_int_equal(sig_verify(key, "x", 1, buf, derlen + 1), -1);
	/* Truncated. */
	assert_int_equal(sig_is_low_s(der, derlen - 1), -1);
	/* Other message, other key. */
	assert_int_equal(sig_verify(key, "y", 1, der, derlen), -1);
	{
		EVP_PKEY *other = pki_key_new();

		assert_int_equal(sig_verify(other, "x", 1, der, derlen), -1);
		EVP_PKEY_free(other);
	}
	assert_int_equal(sig_verify(key, "x", 1, der, derlen), 0);
	assert_int_equal(sig_verify(NULL, "x", 1, der, derlen), -1);
	free(der);
	EVP_PKEY_free(key);
}

static void
test_sign_refuses_non_ec(void **state)
{
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	unsigned char *der = (unsigned char *)"x";
	size_t derlen = 1;
	char *cause = NULL;

	assert_non_null(ed);
	assert_int_equal(sig_sign(ed, "x", 1, &der, &derlen, &cause), -1);
	assert_null(der);
	assert_int_equal(derlen, 0);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "not an EC key"));
	free(cause);
	EVP_PKEY_free(ed);
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* openssl dgst -verify as a subprocess; its exit status. */
static int
openssl_cli_verify(const char *pub, const char *sigf, const char *msgf)
{
	char *cmd = xasprintf("openssl dgst -sha256 -verify '%s' -signature '%s' "
	    "'%s' > '%s/cli.out' 2>&1", pub, sigf, msgf, tmpdir);
	int rc = system(cmd);

	free(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void
test_openssl_cli(void **state)
{
	EVP_PKEY *key = pki_key_new();
	static const char msg[] = "signature header || config update";
	char *pub = xasprintf("%s/pub.pem", tmpdir);
	char *sigf = xasprintf("%s/sig.der", tmpdir);
	char *msgf = xasprintf("%s/msg.bin", tmpdir);
	char *outf = xasprintf("%s/cli.out", tmpdir);
	char out[256] = "";
	unsigned char *der;
	size_t derlen;
	char *cause = NULL;
	FILE *f;

	if (system("command -v openssl >/dev/null 2>&1") != 0)
		skip();
	assert_int_equal(sig_sign(key, msg, sizeof(msg) - 1, &der, &derlen, &cause), 0);
	f = fopen(pub, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, key), 1);
	fclose(f);
	write_file(sigf, der, derlen);
	write_file(msgf, msg, sizeof(msg) - 1);
	assert_int_equal(openssl_cli_verify(pub, sigf, msgf), 0);
	f = fopen(outf, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, sizeof(out), f));
	fclose(f);
	assert_non_null(strstr(out, "Verified OK"));
	/* The same signature over other bytes fails. */
	write_file(msgf, msg, sizeof(msg) - 2);
	assert_int_not_equal(openssl_cli_verify(pub, sigf, msgf), 0);
	free(der);
	free(pub);
	free(sigf);
	free(msgf);
	free(outf);
	EVP_PKEY_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_signatures_low_s),
		cmocka_unit_test(test_crafted_high_s),
		cmocka_unit_test(test_raw_openssl_high_s_seen),
		cmocka_unit_test(test_half_order_boundary),
		cmocka_unit_test(test_not_signatures),
		cmocka_unit_test(test_sign_refuses_non_ec),
		cmocka_unit_test(test_openssl_cli),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
