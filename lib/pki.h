/*
 * pki.h: keys and certificates with OpenSSL: ECDSA P-256 keys, self-signed
 * CAs, certificates issued by them, and files written with the right modes.
 * Private keys are written 0600 and never logged.
 */
#ifndef FABFED_PKI_H
#define FABFED_PKI_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define PKI_MAX_PEM (256L * 1024)  /* a PEM file past this is refused */

/* A new ECDSA P-256 key. Caller frees (EVP_PKEY_free). NULL on failure. */
EVP_PKEY *pki_key_new(void);

/* What a certificate says about its subject. Strings borrowed. */
struct pki_subject {
	const char *cn;
	const char *o;           /* may be NULL */
	const char *ou;          /* may be NULL */
	const char *const *dns;  /* NULL-terminated lists, may be NULL */
	const char *const *ips;
	const char *const *uris;
	int days;                /* validity from now (minus 5 minutes of skew) */
	int server;              /* extendedKeyUsage serverAuth */
	int client;              /* extendedKeyUsage clientAuth */
	int low_s;               /* ECDSA signature with s <= n/2, as Fabric's
				  * cryptogen signs (bccsp ToLowS); retried */
};

/* A self-signed CA certificate for key. Caller frees. NULL + *cause on failure. */
X509 *pki_ca_new(EVP_PKEY *key, const struct pki_subject *, char **cause);
/* A certificate for pub issued by ca/cakey. Caller frees. */
X509 *pki_issue(X509 *ca, EVP_PKEY *cakey, EVP_PKEY *pub,
    const struct pki_subject *, char **cause);

/*
 * Files. Writes are atomic (temporary file + rename). pki_key_write refuses
 * to replace an existing file (exclusive create): keys are made once.
 */
int pki_key_write(const char *path, EVP_PKEY *, char **cause);
int pki_cert_write(const char *path, X509 *, char **cause);
EVP_PKEY *pki_key_read(const char *path, char **cause);
X509 *pki_cert_read(const char *path, char **cause);
/* Writes data (len bytes) atomically with mode. */
int pki_file_write(const char *path, const void *data, size_t len, int mode,
    char **cause);

/* The certificate as PEM text, NUL-terminated; *lenp (may be NULL) gets
 * its length. Caller frees. NULL on failure. */
char *pki_cert_pem(X509 *, size_t *lenp);

/* SHA-256 of the DER certificate. */
int pki_cert_sha256(X509 *, unsigned char out[32]);
/* The first URI SAN that starts with prefix, or NULL. Caller frees. */
char *pki_cert_uri(X509 *, const char *prefix);
/* The OpenSSL error queue as one sentence, emptied. Caller frees. */
char *pki_ssl_error(const char *what);

#endif
