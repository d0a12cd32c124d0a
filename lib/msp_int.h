/*
 * msp_int.h: what msp.c shares with msp_public.c; not for other modules
 * (they use msp.h).
 */
#ifndef FABFED_MSP_INT_H
#define FABFED_MSP_INT_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "msp.h"

/* The org's two CAs, loaded and checked. */
struct msp_cas {
	X509 *ca, *tlsca;
	EVP_PKEY *cakey, *tlscakey;
	char *capem, *tlscapem;      /* PEM text of the certificates */
	char *cafile, *tlscafile;    /* their file names: ca.DOMAIN-cert.pem */
};

/* A DNS label: letters, digits and inner hyphens, 1 to 63 bytes (1 = valid). */
int msp_valid_label(const char *s, size_t len);

/* Checks org's directory, MSP ID and domain; 0, or -1 with *cause. */
int msp_check_org(const struct msp_org *org, char **cause);

/*
 * Loads the org's CA and TLS CA into c (with create, makes the missing
 * parts and counts them in *changes). 0, or -1 with *cause and c cleared.
 * Free with msp_cas_free().
 */
int msp_cas_load(const struct msp_org *org, int create, struct msp_cas *c,
    unsigned *changes, char **cause);
void msp_cas_free(struct msp_cas *c);

/* 1 if cert was issued and signed by ca. */
int msp_issued_by(X509 *ca, X509 *cert);

/* 1 if the subject of cert has an OU equal to ou. */
int msp_has_ou(X509 *cert, const char *ou);

#endif
