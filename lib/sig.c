/*
 * sig.c: ECDSA over SHA-256 with low-S, as Fabric's bccsp signs and
 * verifies (bccsp/sw/ecdsa.go, bccsp/utils/ecdsa.go).
 */
#include "sig.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>

#include "pki.h"
#include "xmalloc.h"

/* The group of an EC key, or NULL when key is not a named-curve EC key. */
static EC_GROUP *
sig_key_group(EVP_PKEY *key)
{
	char name[80];
	int nid;

	if (key == NULL || !EVP_PKEY_is_a(key, "EC"))
		return NULL;
	if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
	    name, sizeof(name), NULL) != 1)
		return NULL;
	if ((nid = OBJ_txt2nid(name)) == NID_undef &&
	    (nid = EC_curve_nist2nid(name)) == NID_undef)
		return NULL;
	return EC_GROUP_new_by_curve_name(nid);
}

/*
 * Parses a strict DER ECDSA-Sig-Value with 0 < r, s < order. Caller frees
 * (ECDSA_SIG_free). NULL when der is anything else.
 */
static ECDSA_SIG *
sig_parse(const unsigned char *der, size_t len, const BIGNUM *order)
{
	const unsigned char *p = der;
	unsigned char *again = NULL;
	const BIGNUM *r, *s;
	ECDSA_SIG *es;
	int n;

	if (der == NULL || len == 0 || len > SIG_MAX_DER)
		return NULL;
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL)
		return NULL;
	/* Strict DER only: the encoding must be the one OpenSSL would write. */
	if (p != der + len || (n = i2d_ECDSA_SIG(es, &again)) < 0 ||
	    (size_t)n != len || memcmp(again, der, len) != 0)
		goto bad;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_is_zero(r) || BN_is_negative(r) || BN_cmp(r, order) >= 0 ||
	    BN_is_zero(s) || BN_is_negative(s) || BN_cmp(s, order) >= 0)
		goto bad;
	OPENSSL_free(again);
	return es;
bad:
	OPENSSL_free(again);
	ECDSA_SIG_free(es);
	return NULL;
}

/* 1 when s <= order/2 (Fabric's IsLowS: s.Cmp(halfOrder) != 1), 0 if not, -1 on error. */
static int
sig_s_is_low(const BIGNUM *s, const BIGNUM *order)
{
	BIGNUM *half;
	int low;

	if ((half = BN_dup(order)) == NULL || BN_rshift1(half, half) != 1) {
		BN_free(half);
		return -1;
	}
	low = BN_cmp(s, half) <= 0;
	BN_free(half);
	return low;
}

/*
 * Rewrites es so that s is low: s > n/2 becomes n - s (ToLowS). The
 * signature stays valid: (r, n - s) verifies whenever (r, s) does.
 */
static int
sig_to_low_s(ECDSA_SIG *es, const BIGNUM *order)
{
	const BIGNUM *r0, *s0;
	BIGNUM *r = NULL, *s = NULL;
	int low;

	ECDSA_SIG_get0(es, &r0, &s0);
	if ((low = sig_s_is_low(s0, order)) < 0)
		return -1;
	if (low)
		return 0;
	if ((r = BN_dup(r0)) == NULL || (s = BN_new()) == NULL ||
	    BN_sub(s, order, s0) != 1 || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		return -1;
	}
	return 0;
}

int
sig_sign(EVP_PKEY *key, const void *msg, size_t len, unsigned char **der,
    size_t *derlen, char **cause)
{
	EVP_MD_CTX *md = NULL;
	EC_GROUP *group = NULL;
	ECDSA_SIG *es = NULL;
	unsigned char *raw = NULL, *out = NULL;
	const unsigned char *p;
	size_t rawlen = 0;
	int n, ret = -1;

	*der = NULL;
	*derlen = 0;
	ERR_clear_error();
	if ((group = sig_key_group(key)) == NULL) {
		*cause = xstrdup("the signing key is not an EC key on a named curve");
		goto done;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &rawlen, msg, len) != 1) {
		*cause = pki_ssl_error("cannot start an ECDSA signature");
		goto done;
	}
	raw = xmalloc(rawlen);
	if (EVP_DigestSign(md, raw, &rawlen, msg, len) != 1) {
		*cause = pki_ssl_error("ECDSA signing failed");
		goto done;
	}
	p = raw;
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)rawlen)) == NULL ||
	    sig_to_low_s(es, EC_GROUP_get0_order(group)) != 0 ||
	    (n = i2d_ECDSA_SIG(es, &out)) <= 0) {
		*cause = pki_ssl_error("cannot normalize the signature to low-S");
		goto done;
	}
	*der = xmalloc((size_t)n);
	memcpy(*der, out, (size_t)n);
	*derlen = (size_t)n;
	ret = 0;
done:
	OPENSSL_free(out);
	free(raw);
	ECDSA_SIG_free(es);
	EC_GROUP_free(group);
	EVP_MD_CTX_free(md);
	return ret;
}

int
sig_verify(EVP_PKEY *pub, const void *msg, size_t len,
    const unsigned char *der, size_t derlen)
{
	EVP_MD_CTX *md = NULL;
	EC_GROUP *group = NULL;
	ECDSA_SIG *es = NULL;
	const BIGNUM *r, *s;
	int ret = -1;

	if ((group = sig_key_group(pub)) == NULL)
		goto done;
	if ((es = sig_parse(der, derlen, EC_GROUP_get0_order(group))) == NULL)
		goto done;
	ECDSA_SIG_get0(es, &r, &s);
	if (sig_s_is_low(s, EC_GROUP_get0_order(group)) != 1)
		goto done;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) != 1 ||
	    EVP_DigestVerify(md, der, derlen, msg, len) != 1)
		goto done;
	ret = 0;
done:
	/* A failed verification leaves errors queued; they are not ours to report. */
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	ECDSA_SIG_free(es);
	EC_GROUP_free(group);
	return ret;
}

int
sig_is_low_s(const unsigned char *der, size_t len)
{
	EC_GROUP *group;
	ECDSA_SIG *es;
	const BIGNUM *r, *s;
	int ret = -1;

	if ((group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)) == NULL)
		return -1;
	if ((es = sig_parse(der, len, EC_GROUP_get0_order(group))) != NULL) {
		ECDSA_SIG_get0(es, &r, &s);
		ret = sig_s_is_low(s, EC_GROUP_get0_order(group));
	}
	ERR_clear_error();
	ECDSA_SIG_free(es);
	EC_GROUP_free(group);
	return ret;
}
