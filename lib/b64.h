/*
 * b64.h: base64 (RFC 4648) through OpenSSL's EVP_EncodeBlock and
 * EVP_DecodeBlock, with one decoding rule for the whole tree: canonical
 * only. No blanks, no character outside the alphabet, '=' only as 1 or 2
 * final characters that complete a group of 4, and the bits a short final
 * group leaves over must be zero: one text per byte string.
 *
 * Flags pick the variant:
 *	0		standard alphabet, padded (etcd, the signer socket)
 *	B64_URL		'-' and '_' instead of '+' and '/'
 *	B64_NOPAD	no '=': encoding leaves it out, decoding refuses it
 *	B64_PADOPT	decoding accepts the text with or without its '='
 */
#ifndef FABFED_B64_H
#define FABFED_B64_H

#include <stddef.h>

#define B64_URL		0x01
#define B64_NOPAD	0x02
#define B64_PADOPT	0x04

/* Characters b64_encode writes for len bytes (without the NUL). */
size_t b64_encoded_len(size_t len, int flags);
/* Encodes len bytes. NUL-terminated; caller frees. */
char *b64_encode(const void *, size_t len, int flags);
/* How many leading characters of in[0..len) are in the flags' alphabet. */
size_t b64_span(const char *in, size_t len, int flags);
/*
 * Checks that in[0..len) is canonical base64 under flags (see above)
 * without decoding it. Returns 0 and the decoded size in *outlen, or -1.
 */
int b64_check(const char *in, size_t len, int flags, size_t *outlen);
/*
 * Decodes canonical in[0..len) into out, which has room for max bytes.
 * Returns 0 and *outlen, or -1 (out untouched) when the text is not
 * canonical base64 or decodes to more than max bytes.
 */
int b64_decode_to(const char *in, size_t len, int flags, void *out,
    size_t max, size_t *outlen);
/*
 * The same into a new buffer, NUL-terminated after *outlen bytes (the data
 * may hold NULs before). Caller frees. NULL when b64_decode_to fails.
 */
unsigned char *b64_decode(const char *in, size_t len, int flags, size_t max,
    size_t *outlen);

#endif
