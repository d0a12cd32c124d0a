/*
 * b64.c: base64 over OpenSSL (b64.h). The checks are ours, the bit work is
 * EVP_EncodeBlock's and EVP_DecodeBlock's. EVP_DecodeBlock alone is too
 * lenient (it skips blanks, takes '=' anywhere in the last group as zero
 * bits and ignores bits left over), so every text goes through b64_check
 * first and only a canonical one reaches it, group by group, through a
 * small stack buffer that turns the URL alphabet into the standard one and
 * puts back the padding a text without '=' left out. That buffer may have
 * held a secret (a join token's): it is wiped before returning.
 */
#include "b64.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "log.h"
#include "xmalloc.h"

#define B64_ENC_CHUNK	(3 * 1024 * 1024)   /* bytes per EVP_EncodeBlock */
#define B64_DEC_CHUNK	1024                 /* characters per EVP_DecodeBlock */

/* The 6-bit value of c in the flags' alphabet, or -1. */
static int
b64_value(unsigned char c, int flags)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == ((flags & B64_URL) ? '-' : '+'))
		return 62;
	if (c == ((flags & B64_URL) ? '_' : '/'))
		return 63;
	return -1;
}

size_t
b64_encoded_len(size_t len, int flags)
{
	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		fatalx("b64: %zu bytes are too many to encode", len);
	if (flags & B64_NOPAD)
		return len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
	return (len + 2) / 3 * 4;
}

char *
b64_encode(const void *data, size_t len, int flags)
{
	const unsigned char *p = data;
	char *out;
	size_t i, o = 0, n, outlen;

	outlen = b64_encoded_len(len, flags);
	/* EVP_EncodeBlock always pads: room for the '=' dropped below. */
	out = xmalloc((len + 2) / 3 * 4 + 1);
	out[0] = '\0';
	for (i = 0; i < len; i += n) {
		n = len - i < B64_ENC_CHUNK ? len - i : B64_ENC_CHUNK;
		o += (size_t)EVP_EncodeBlock((unsigned char *)out + o, p + i,
		    (int)n);
	}
	if (flags & B64_URL) {
		for (i = 0; i < o; i++) {
			if (out[i] == '+')
				out[i] = '-';
			else if (out[i] == '/')
				out[i] = '_';
		}
	}
	out[outlen] = '\0';
	return out;
}

size_t
b64_span(const char *in, size_t len, int flags)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (b64_value((unsigned char)in[i], flags) == -1)
			break;
	return i;
}

int
b64_check(const char *in, size_t len, int flags, size_t *outlen)
{
	size_t data, pad = 0, rest;
	int last;

	while (pad < len && in[len - 1 - pad] == '=')
		pad++;
	data = len - pad;
	if (b64_span(in, data, flags) != data)
		return -1;
	rest = data % 4;
	if (rest == 1)
		return -1;
	if (pad > 0) {
		/* '=' only to complete the last group, never on its own. */
		if ((flags & B64_NOPAD) || pad > 2 || len % 4 != 0)
			return -1;
	} else if (rest != 0 && !(flags & (B64_NOPAD | B64_PADOPT)))
		return -1;
	/* Canonical: the bits a short last group leaves over are zero. */
	if (rest != 0) {
		last = b64_value((unsigned char)in[data - 1], flags);
		if ((last & (rest == 2 ? 0x0f : 0x03)) != 0)
			return -1;
	}
	*outlen = data / 4 * 3 + (rest == 0 ? 0 : rest - 1);
	return 0;
}

/*
 * Copies in[0..n) into buf in the standard alphabet, with '=' up to a
 * multiple of 4. Returns the characters in buf.
 */
static size_t
b64_standard(const char *in, size_t n, int flags, char *buf)
{
	size_t i;

	for (i = 0; i < n; i++) {
		buf[i] = in[i];
		if (flags & B64_URL) {
			if (buf[i] == '-')
				buf[i] = '+';
			else if (buf[i] == '_')
				buf[i] = '/';
		}
	}
	while (i % 4 != 0)
		buf[i++] = '=';
	return i;
}

int
b64_decode_to(const char *in, size_t len, int flags, void *out, size_t max,
    size_t *outlen)
{
	unsigned char *o = out, last[3];
	char buf[B64_DEC_CHUNK];
	size_t n, data, body, i, done = 0, chunk, m;
	int ret = -1;

	if (b64_check(in, len, flags, &n) == -1 || n > max)
		return -1;
	data = len;
	while (data > 0 && in[data - 1] == '=')
		data--;
	/* Every group but the last decodes whole; the last may be short. */
	body = data == 0 ? 0 : (data - 1) / 4 * 4;
	for (i = 0; i < body; i += chunk) {
		chunk = body - i < B64_DEC_CHUNK ? body - i : B64_DEC_CHUNK;
		m = b64_standard(in + i, chunk, flags, buf);
		if (EVP_DecodeBlock(o + done, (unsigned char *)buf, (int)m) !=
		    (int)(m / 4 * 3))
			goto done;
		done += m / 4 * 3;
	}
	if (data > body) {
		m = b64_standard(in + body, data - body, flags, buf);
		if (EVP_DecodeBlock(last, (unsigned char *)buf, (int)m) != 3)
			goto done;
		memcpy(o + done, last, n - done);
	}
	*outlen = n;
	ret = 0;
 done:
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(last, sizeof(last));
	return ret;
}

unsigned char *
b64_decode(const char *in, size_t len, int flags, size_t max, size_t *outlen)
{
	unsigned char *out;
	size_t n;

	*outlen = 0;
	if (b64_check(in, len, flags, &n) == -1 || n > max)
		return NULL;
	out = xmalloc(n + 1);
	if (b64_decode_to(in, len, flags, out, n, outlen) == -1) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	return out;
}
