/*
 * token.c: parsing the join token (token.h). A pure function: no I/O, no
 * allocation except the *cause it returns.
 */
#include "token.h"

#include <string.h>

#include <openssl/crypto.h>

#include "b64.h"
#include "xmalloc.h"

static int
token_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
token_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
token_clear(struct token *t)
{
	if (t != NULL)
		OPENSSL_cleanse(t, sizeof(*t));
}

int
token_parse(const char *s, size_t len, struct token *t, char **cause)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *secret, *hash, *dot;
	size_t i, slen, n;
	int hi, lo;

	memset(t, 0, sizeof(*t));
	*cause = NULL;

	while (len > 0 && token_blank(p[0])) {
		p++;
		len--;
	}
	while (len > 0 && token_blank(p[len - 1]))
		len--;
	if (len == 0) {
		*cause = xstrdup("the join token is empty");
		return -1;
	}
	if (len < 5 || memcmp(p, TOKEN_PREFIX, 5) != 0) {
		*cause = xstrdup("the join token does not start with \"fft1.\" "
		    "(copy it whole from \"fabfedctl token create\")");
		return -1;
	}
	secret = p + 5;
	dot = memchr(secret, '.', len - 5);
	if (dot == NULL) {
		*cause = xstrdup("the join token has no \".\" between its "
		    "secret and its CA hash (it may have been cut short)");
		return -1;
	}
	slen = (size_t)(dot - secret);
	if (slen != TOKEN_SECRET_LEN) {
		*cause = xasprintf("the join token's secret part has %zu "
		    "characters; it should have %d", slen, TOKEN_SECRET_LEN);
		return -1;
	}
	if ((i = b64_span((const char *)secret, slen, B64_URL)) != slen) {
		*cause = xasprintf("the join token's secret part has a "
		    "character that is not base64url at position %zu", i + 1);
		return -1;
	}
	/* 43 characters carry 258 bits: the last 2 are 0 for 32 bytes. */
	if (b64_check((const char *)secret, slen, B64_URL | B64_NOPAD,
	    &n) == -1 || n != 32) {
		*cause = xstrdup("the join token's secret part is not the "
		    "base64url encoding of 32 bytes");
		return -1;
	}
	hash = dot + 1;
	if ((size_t)(hash - p) + TOKEN_HASH_LEN != len) {
		size_t hlen = len - (size_t)(hash - p);

		if (memchr(hash, '.', hlen) != NULL)
			*cause = xstrdup("the join token has more than two "
			    "\".\"-separated parts after \"fft1.\"");
		else
			*cause = xasprintf("the join token's CA hash has %zu "
			    "characters; it should have %d (hex SHA-256)", hlen,
			    TOKEN_HASH_LEN);
		return -1;
	}
	for (i = 0; i < TOKEN_HASH_LEN; i += 2) {
		hi = token_hexval(hash[i]);
		lo = token_hexval(hash[i + 1]);
		if (hi == -1 || lo == -1) {
			*cause = xasprintf("the join token's CA hash has a "
			    "character that is not lowercase hex at position "
			    "%zu", i + (hi == -1 ? 1 : 2));
			memset(t, 0, sizeof(*t));
			return -1;
		}
		t->ca_sha256[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	memcpy(t->text, p, len);
	t->text[len] = '\0';
	memcpy(t->ca_hex, hash, TOKEN_HASH_LEN);
	t->ca_hex[TOKEN_HASH_LEN] = '\0';
	return 0;
}
