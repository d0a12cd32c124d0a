/*
 * test_b64.c: the one base64 of the tree (lib/b64.c). A table of texts
 * with the verdict of every variant (standard padded as etcd and the signer
 * socket use it, padding optional as etcd's answers are read, base64url
 * without padding as in join tokens), round trips of every length around
 * the group size against an independent bit-by-bit encoder, the limits,
 * and large inputs that cross the internal chunk sizes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "b64.h"
#include "xmalloc.h"

#define STD	0
#define OPT	B64_PADOPT
#define URL	(B64_URL | B64_NOPAD)

struct b64_case {
	const char *text;
	const char *bytes;       /* expected decoding, NULL: refused */
	size_t len;
	int flags;
};

static const struct b64_case cases[] = {
	/* Canonical standard, padded. */
	{ "", "", 0, STD },
	{ "YQ==", "a", 1, STD },
	{ "YWI=", "ab", 2, STD },
	{ "YWJj", "abc", 3, STD },
	{ "aGVsbG8=", "hello", 5, STD },
	{ "AAEA/w==", "\0\1\0\377", 4, STD },
	{ "+/+/", "\373\377\277", 3, STD },
	/* Padding missing, where it is required. */
	{ "YQ", NULL, 0, STD },
	{ "YWI", NULL, 0, STD },
	{ "aGVsbG8", NULL, 0, STD },
	/* Bad padding. */
	{ "YQ=", NULL, 0, STD },
	{ "YQ===", NULL, 0, STD },
	{ "Y===", NULL, 0, STD },
	{ "====", NULL, 0, STD },
	{ "=", NULL, 0, STD },
	{ "YWJj=", NULL, 0, STD },
	{ "YWJj====", NULL, 0, STD },
	{ "aGV=bG8=", NULL, 0, STD },
	{ "aG==bG8=", NULL, 0, STD },
	{ "Zm=v", NULL, 0, STD },
	{ "Zm9v=", NULL, 0, STD },
	{ "Zg===", NULL, 0, STD },
	/* A lone character in the last group carries no byte. */
	{ "Z", NULL, 0, STD },
	{ "YWJjZ", NULL, 0, STD },
	{ "YWJjZ===", NULL, 0, STD },
	/* Characters outside the alphabet, blanks included. */
	{ "!!!!", NULL, 0, STD },
	{ "aGVs bG8=", NULL, 0, STD },
	{ " aGVsbG8=", NULL, 0, STD },
	{ "aGVsbG8=\n", NULL, 0, STD },
	{ "aGVsbG8=\r\n", NULL, 0, STD },
	{ "aGVs\tbG8=", NULL, 0, STD },
	{ "aGVsbG8-", NULL, 0, STD },
	{ "aGVsbG8_", NULL, 0, STD },
	{ "YW\x80j", NULL, 0, STD },
	{ "YW\0j", NULL, 4, STD },
	/* Bits left over must be zero (one text per byte string). */
	{ "YR==", NULL, 0, STD },
	{ "YWJ=", NULL, 0, STD },
	{ "aGVsbG9=", NULL, 0, STD },
	{ "aGVsbA9=", NULL, 0, STD },
	{ "aGVsbB==", NULL, 0, STD },
	{ "aGVsbA==", "hell", 4, STD },
	/* Padding optional: both forms, same rules otherwise. */
	{ "Zm9vMQ", "foo1", 4, OPT },
	{ "Zm9vMQ==", "foo1", 4, OPT },
	{ "YWI", "ab", 2, OPT },
	{ "YWI=", "ab", 2, OPT },
	{ "", "", 0, OPT },
	{ "Z", NULL, 0, OPT },
	{ "YQ=", NULL, 0, OPT },
	{ "YR", NULL, 0, OPT },
	{ "YWJ", NULL, 0, OPT },
	{ "Zm9v=", NULL, 0, OPT },
	{ "Zg===", NULL, 0, OPT },
	{ "!!!", NULL, 0, OPT },
	{ "YW-", NULL, 0, OPT },
	/* base64url without padding. */
	{ "-_-_", "\373\377\277", 3, URL },
	{ "YQ", "a", 1, URL },
	{ "YWI", "ab", 2, URL },
	{ "YQ==", NULL, 0, URL },
	{ "YWI=", NULL, 0, URL },
	{ "+/+/", NULL, 0, URL },
	{ "YR", NULL, 0, URL },
	{ "YWJ", NULL, 0, URL },
	{ "Y", NULL, 0, URL },
	{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
	    32, URL },
	{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", NULL, 0, URL },
	{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAC", NULL, 0, URL },
	{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE",
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1",
	    32, URL },
	{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQ",
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\4",
	    32, URL },
};

static size_t
case_textlen(const struct b64_case *c)
{
	/* An embedded NUL is given by len on a refused case. */
	return c->bytes == NULL && c->len > 0 ? c->len : strlen(c->text);
}

static void
test_table(void **state)
{
	unsigned char *dec, out[64];
	size_t i, n, len, tl;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct b64_case *c = &cases[i];

		tl = case_textlen(c);
		n = 99;
		dec = b64_decode(c->text, tl, c->flags, 64, &n);
		if (c->bytes == NULL) {
			if (dec != NULL) {
				free(dec);
				fail_msg("case %zu (\"%s\", flags %d) decoded",
				    i, c->text, c->flags);
			}
			assert_int_equal(n, 0);
			assert_int_equal(b64_check(c->text, tl, c->flags, &len),
			    -1);
			memset(out, 0xa5, sizeof(out));
			assert_int_equal(b64_decode_to(c->text, tl, c->flags,
			    out, sizeof(out), &len), -1);
			assert_int_equal(out[0], 0xa5);
			continue;
		}
		if (dec == NULL)
			fail_msg("case %zu (\"%s\", flags %d) refused", i,
			    c->text, c->flags);
		assert_int_equal(n, c->len);
		assert_memory_equal(dec, c->bytes, c->len);
		assert_int_equal(dec[n], '\0');
		free(dec);
		assert_int_equal(b64_check(c->text, tl, c->flags, &len), 0);
		assert_int_equal(len, c->len);
		assert_int_equal(b64_decode_to(c->text, tl, c->flags, out,
		    c->len, &len), 0);
		assert_int_equal(len, c->len);
		assert_memory_equal(out, c->bytes, c->len);
	}
}

/* An independent encoder, bit by bit, to compare OpenSSL's against. */
static char *
slow_encode(const unsigned char *p, size_t len, int flags)
{
	const char *alpha = (flags & B64_URL) ?
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" :
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = xmalloc(len / 3 * 4 + 8), *o = out;
	size_t i, bits = len * 8, b;
	unsigned int v;

	for (i = 0; i < bits; i += 6) {
		v = 0;
		for (b = i; b < i + 6; b++) {
			v <<= 1;
			if (b < bits && (p[b / 8] >> (7 - b % 8)) & 1)
				v |= 1;
		}
		*o++ = alpha[v];
	}
	while (!(flags & B64_NOPAD) && (o - out) % 4 != 0)
		*o++ = '=';
	*o = '\0';
	return out;
}

static void
test_roundtrip(void **state)
{
	static const int variants[] = { 0, B64_URL, B64_URL | B64_NOPAD,
	    B64_NOPAD, B64_PADOPT };
	unsigned char data[80], *dec;
	char *enc, *slow;
	size_t len, n, v;

	(void)state;
	for (len = 0; len < sizeof(data); len++)
		data[len] = (unsigned char)(len * 37 + 11);
	for (v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		for (len = 0; len <= sizeof(data); len++) {
			enc = b64_encode(data, len, variants[v]);
			slow = slow_encode(data, len, variants[v]);
			assert_string_equal(enc, slow);
			assert_int_equal(strlen(enc),
			    b64_encoded_len(len, variants[v]));
			dec = b64_decode(enc, strlen(enc), variants[v], len, &n);
			assert_non_null(dec);
			assert_int_equal(n, len);
			if (len > 0)
				assert_memory_equal(dec, data, len);
			free(dec);
			/* One byte short of room: refused. */
			if (len > 0)
				assert_null(b64_decode(enc, strlen(enc),
				    variants[v], len - 1, &n));
			free(enc);
			free(slow);
		}
	}
}

static void
test_span(void **state)
{
	(void)state;
	assert_int_equal(b64_span("abc+/=", 6, 0), 5);
	assert_int_equal(b64_span("abc+/=", 6, B64_URL), 3);
	assert_int_equal(b64_span("ab-_x", 5, B64_URL), 5);
	assert_int_equal(b64_span("ab-_x", 5, 0), 2);
	assert_int_equal(b64_span("", 0, 0), 0);
	assert_int_equal(b64_span("a\0b", 3, 0), 1);
}

static void
test_large(void **state)
{
	size_t len = 7 * 1024 * 1024 + 2, n, i;
	unsigned char *data, *dec;
	char *enc, *slow;

	(void)state;
	/* Crosses the encoder's and the decoder's chunk sizes. */
	data = xmalloc(len);
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)(i ^ (i >> 9));
	enc = b64_encode(data, len, B64_URL | B64_NOPAD);
	slow = slow_encode(data, len, B64_URL | B64_NOPAD);
	assert_string_equal(enc, slow);
	dec = b64_decode(enc, strlen(enc), B64_URL | B64_NOPAD, len, &n);
	assert_non_null(dec);
	assert_int_equal(n, len);
	assert_memory_equal(dec, data, len);
	free(dec);
	/* One bad character deep inside: refused. */
	enc[5 * 1024 * 1024 + 3] = '+';
	assert_null(b64_decode(enc, strlen(enc), B64_URL | B64_NOPAD, len,
	    &n));
	free(enc);
	free(slow);
	free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_span),
		cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
