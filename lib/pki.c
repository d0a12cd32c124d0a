/*
 * pki.c: ECDSA P-256 keys, CAs and certificates with OpenSSL 3.
 */
#include "pki.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "xmalloc.h"

char *
pki_ssl_error(const char *what)
{
	struct buf b;
	unsigned long e;
	char one[256];
	int n = 0;

	buf_init(&b, 4096);
	buf_printf(&b, "%s", what);
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, one, sizeof(one));
		if (n++ < 4)
			buf_printf(&b, "%s%s", n == 1 ? ": " : "; ", one);
	}
	return buf_steal(&b, NULL);
}

EVP_PKEY *
pki_key_new(void)
{
	return EVP_EC_gen("P-256");
}

static int
pki_set_name(X509_NAME *name, const struct pki_subject *s)
{
	if (s->o != NULL && X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)s->o, -1, -1, 0) != 1)
		return -1;
	if (s->ou != NULL && X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8,
	    (const unsigned char *)s->ou, -1, -1, 0) != 1)
		return -1;
	if (s->cn != NULL && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)s->cn, -1, -1, 0) != 1)
		return -1;
	return 0;
}

static int
pki_add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext;
	int ret;

	ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	if (ext == NULL)
		return -1;
	ret = X509_add_ext(cert, ext, -1) == 1 ? 0 : -1;
	X509_EXTENSION_free(ext);
	return ret;
}

static char *
pki_san_string(const struct pki_subject *s)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; s->dns != NULL && s->dns[i] != NULL; i++)
		buf_printf(&b, "%sDNS:%s", b.len ? "," : "", s->dns[i]);
	for (i = 0; s->ips != NULL && s->ips[i] != NULL; i++)
		buf_printf(&b, "%sIP:%s", b.len ? "," : "", s->ips[i]);
	for (i = 0; s->uris != NULL && s->uris[i] != NULL; i++)
		buf_printf(&b, "%sURI:%s", b.len ? "," : "", s->uris[i]);
	if (b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b, NULL);
}

/* 1 if the ECDSA signature of cert has s <= n/2 (n: key's group order),
 * 0 if not, -1 on error. */
static int
pki_sig_is_low_s(X509 *cert, EVP_PKEY *key)
{
	const ASN1_BIT_STRING *sig;
	const unsigned char *p;
	const BIGNUM *r, *sv;
	ECDSA_SIG *es = NULL;
	EC_GROUP *group = NULL;
	BIGNUM *half = NULL;
	char name[64];
	int ret = -1;

	X509_get0_signature(&sig, NULL, cert);
	p = sig->data;
	if ((es = d2i_ECDSA_SIG(NULL, &p, sig->length)) == NULL ||
	    EVP_PKEY_get_group_name(key, name, sizeof(name), NULL) != 1 ||
	    (group = EC_GROUP_new_by_curve_name(OBJ_txt2nid(name))) == NULL ||
	    (half = BN_dup(EC_GROUP_get0_order(group))) == NULL ||
	    BN_rshift1(half, half) != 1)
		goto done;
	ECDSA_SIG_get0(es, &r, &sv);
	ret = BN_cmp(sv, half) <= 0;
done:
	BN_free(half);
	EC_GROUP_free(group);
	ECDSA_SIG_free(es);
	return ret;
}

/* Signs cert again until its ECDSA signature is low-S (each try is a new
 * random nonce, so half the tries succeed). */
static int
pki_low_s(X509 *cert, EVP_PKEY *key)
{
	int i, low;

	for (i = 0; i < 64; i++) {
		if ((low = pki_sig_is_low_s(cert, key)) != 0)
			return low == 1 ? 0 : -1;
		if (X509_sign(cert, key, EVP_sha256()) <= 0)
			return -1;
	}
	return -1;
}

/* Builds and signs a certificate; issuer == NULL means self-signed. */
static X509 *
pki_build(X509 *issuer, EVP_PKEY *signkey, EVP_PKEY *pub,
    const struct pki_subject *s, int ca, char **cause)
{
	X509 *cert = NULL, *ret = NULL;
	X509V3_CTX ctx;
	BIGNUM *serial = NULL;
	char *san = NULL;
	const char *eku;

	if ((cert = X509_new()) == NULL || X509_set_version(cert, 2) != 1)
		goto fail;
	/* 128-bit random serial, positive. */
	if ((serial = BN_new()) == NULL || BN_rand(serial, 127, BN_RAND_TOP_ANY,
	    BN_RAND_BOTTOM_ANY) != 1 ||
	    BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) == NULL)
		goto fail;
	if (X509_gmtime_adj(X509_getm_notBefore(cert), -300) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), s->days, 0, NULL) == NULL)
		goto fail;
	if (pki_set_name(X509_get_subject_name(cert), s) != 0)
		goto fail;
	if (X509_set_issuer_name(cert, issuer != NULL ?
	    X509_get_subject_name(issuer) : X509_get_subject_name(cert)) != 1)
		goto fail;
	if (X509_set_pubkey(cert, pub) != 1)
		goto fail;

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : cert, cert, NULL, NULL, 0);
	if (ca) {
		if (pki_add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:TRUE") != 0 ||
		    pki_add_ext(cert, &ctx, NID_key_usage,
		    "critical,digitalSignature,keyEncipherment,keyCertSign,cRLSign") != 0)
			goto fail;
	} else {
		if (pki_add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
		    pki_add_ext(cert, &ctx, NID_key_usage,
		    s->server ? "critical,digitalSignature,keyEncipherment" :
		    "critical,digitalSignature") != 0)
			goto fail;
	}
	eku = s->server && s->client ? "serverAuth,clientAuth" :
	    s->server ? "serverAuth" : s->client ? "clientAuth" : NULL;
	if (eku != NULL && pki_add_ext(cert, &ctx, NID_ext_key_usage, eku) != 0)
		goto fail;
	if (pki_add_ext(cert, &ctx, NID_subject_key_identifier, "hash") != 0)
		goto fail;
	if (issuer != NULL && pki_add_ext(cert, &ctx, NID_authority_key_identifier,
	    "keyid:always") != 0)
		goto fail;
	if ((san = pki_san_string(s)) != NULL &&
	    pki_add_ext(cert, &ctx, NID_subject_alt_name, san) != 0)
		goto fail;
	if (X509_sign(cert, signkey, EVP_sha256()) <= 0)
		goto fail;
	if (s->low_s && pki_low_s(cert, signkey) != 0)
		goto fail;
	ret = cert;
	cert = NULL;
	goto done;
fail:
	if (cause != NULL)
		*cause = pki_ssl_error("cannot build certificate");
done:
	free(san);
	BN_free(serial);
	X509_free(cert);
	return ret;
}

X509 *
pki_ca_new(EVP_PKEY *key, const struct pki_subject *s, char **cause)
{
	return pki_build(NULL, key, key, s, 1, cause);
}

X509 *
pki_issue(X509 *ca, EVP_PKEY *cakey, EVP_PKEY *pub, const struct pki_subject *s,
    char **cause)
{
	return pki_build(ca, cakey, pub, s, 0, cause);
}

static int
pki_file_write_flags(const char *path, const void *data, size_t len, int mode,
    int exclusive, char **cause)
{
	char *tmp;
	int fd, ret = -1;
	const char *p = data;
	size_t off = 0;

	if (exclusive && access(path, F_OK) == 0) {
		*cause = xasprintf("%s already exists; refusing to replace it", path);
		return -1;
	}
	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd == -1) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		goto done;
	}
	while (off < len) {
		ssize_t n = write(fd, p + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*cause = xasprintf("%s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			goto done;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto done;
	}
	close(fd);
	if (exclusive ? link(tmp, path) != 0 : rename(tmp, path) != 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		unlink(tmp);
		goto done;
	}
	if (exclusive)
		unlink(tmp);
	ret = 0;
done:
	free(tmp);
	return ret;
}

int
pki_file_write(const char *path, const void *data, size_t len, int mode, char **cause)
{
	return pki_file_write_flags(path, data, len, mode, 0, cause);
}

int
pki_key_write(const char *path, EVP_PKEY *key, char **cause)
{
	BIO *bio;
	BUF_MEM *mem;
	int ret = -1;

	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		bio = BIO_new(BIO_s_mem());
	if (bio == NULL || PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0,
	    NULL, NULL) != 1) {
		*cause = pki_ssl_error("cannot encode private key");
		goto done;
	}
	BIO_get_mem_ptr(bio, &mem);
	ret = pki_file_write_flags(path, mem->data, mem->length, 0600, 1, cause);
done:
	BIO_free(bio);  /* secmem BIOs are cleansed on free */
	return ret;
}

int
pki_cert_write(const char *path, X509 *cert, char **cause)
{
	BIO *bio;
	BUF_MEM *mem;
	int ret = -1;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(bio, cert) != 1) {
		*cause = pki_ssl_error("cannot encode certificate");
		goto done;
	}
	BIO_get_mem_ptr(bio, &mem);
	ret = pki_file_write(path, mem->data, mem->length, 0644, cause);
done:
	BIO_free(bio);
	return ret;
}

char *
pki_cert_pem(X509 *cert, size_t *lenp)
{
	BIO *bio;
	BUF_MEM *mem;
	char *ret = NULL;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (PEM_write_bio_X509(bio, cert) == 1) {
		BIO_get_mem_ptr(bio, &mem);
		ret = xstrndup(mem->data, mem->length);
		if (lenp != NULL)
			*lenp = mem->length;
	}
	BIO_free(bio);
	return ret;
}

/* Opens path for reading after checking its size. */
static BIO *
pki_open(const char *path, char **cause)
{
	struct stat st;
	BIO *bio;

	if (stat(path, &st) != 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > PKI_MAX_PEM) {
		*cause = xasprintf("%s: not a regular file under %ld bytes", path, PKI_MAX_PEM);
		return NULL;
	}
	if ((bio = BIO_new_file(path, "r")) == NULL)
		*cause = pki_ssl_error(path);
	return bio;
}

EVP_PKEY *
pki_key_read(const char *path, char **cause)
{
	EVP_PKEY *key;
	BIO *bio;

	if ((bio = pki_open(path, cause)) == NULL)
		return NULL;
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (key == NULL) {
		char *what = xasprintf("%s: not a PEM private key", path);

		*cause = pki_ssl_error(what);
		free(what);
	}
	return key;
}

X509 *
pki_cert_read(const char *path, char **cause)
{
	X509 *cert;
	BIO *bio;

	if ((bio = pki_open(path, cause)) == NULL)
		return NULL;
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (cert == NULL) {
		char *what = xasprintf("%s: not a PEM certificate", path);

		*cause = pki_ssl_error(what);
		free(what);
	}
	return cert;
}

int
pki_cert_sha256(X509 *cert, unsigned char out[32])
{
	unsigned int n = 32;

	return X509_digest(cert, EVP_sha256(), out, &n) == 1 && n == 32 ? 0 : -1;
}

char *
pki_cert_uri(X509 *cert, const char *prefix)
{
	GENERAL_NAMES *names;
	char *ret = NULL;
	int i;

	names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	if (names == NULL)
		return NULL;
	for (i = 0; i < sk_GENERAL_NAME_num(names) && ret == NULL; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		const unsigned char *s;
		int len;

		if (gn->type != GEN_URI)
			continue;
		s = ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
		len = ASN1_STRING_length(gn->d.uniformResourceIdentifier);
		if (len < 0 || memchr(s, '\0', (size_t)len) != NULL)
			continue;
		if ((size_t)len >= strlen(prefix) &&
		    memcmp(s, prefix, strlen(prefix)) == 0)
			ret = xstrndup((const char *)s, (size_t)len);
	}
	GENERAL_NAMES_free(names);
	return ret;
}
