/*
 * sig.h: ECDSA signatures as Fabric makes and checks them: SHA-256 of the
 * message, signed with the key, DER encoded (ECDSA-Sig-Value), with S
 * normalized to the lower half of the curve order ("low-S", Fabric's
 * bccsp/utils/ecdsa.go ToLowS). Fabric rejects high-S signatures.
 */
#ifndef FABFED_SIG_H
#define FABFED_SIG_H

#include <stddef.h>

#include <openssl/evp.h>

/* A DER ECDSA signature is at most this long for P-256 (72) and P-384 (104). */
#define SIG_MAX_DER 139

/*
 * Signs SHA-256(msg) with key (an EC private key, P-256 for Fabric) and
 * returns the DER signature with S <= n/2 in *der (caller frees) and its
 * length in *derlen. Returns 0, or -1 with *cause (caller frees).
 */
int sig_sign(EVP_PKEY *key, const void *msg, size_t len, unsigned char **der,
    size_t *derlen, char **cause);

/*
 * Verifies a DER signature over SHA-256(msg) with pub (borrowed) as Fabric
 * does: the signature must verify and be low-S. Returns 0 when valid, -1
 * otherwise (bad encoding, high-S, wrong key or message).
 */
int sig_verify(EVP_PKEY *pub, const void *msg, size_t len,
    const unsigned char *der, size_t derlen);

/*
 * Whether a DER P-256 signature has S <= n/2 (Fabric's IsLowS). Returns 1
 * for low-S, 0 for high-S, -1 when der is not a strict DER ECDSA-Sig-Value
 * with 0 < r, s < n.
 */
int sig_is_low_s(const unsigned char *der, size_t len);

#endif
