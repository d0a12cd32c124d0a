/*
 * token.h: the join token an org's operator gets from the consortium lead
 * (docs/api.md, "POST /v1/consortia/{name}/tokens"):
 *
 *   fft1.<43 base64url characters: 32 random bytes>.<64 lowercase hex: the
 *   SHA-256 of the federation CA certificate, DER>
 *
 * The secret part is a credential: it is never logged or printed, and a
 * struct token is wiped with token_clear() when done. The hash part is
 * public; the agent pins the controller's CA with it.
 */
#ifndef FABFED_TOKEN_H
#define FABFED_TOKEN_H

#include <stddef.h>

#define TOKEN_PREFIX		"fft1."
#define TOKEN_SECRET_LEN	43	/* base64url of 32 bytes, no padding */
#define TOKEN_HASH_LEN		64	/* hex SHA-256 */
#define TOKEN_LEN		(5 + TOKEN_SECRET_LEN + 1 + TOKEN_HASH_LEN)

struct token {
	char text[TOKEN_LEN + 1];	/* the whole token, NUL-terminated */
	unsigned char ca_sha256[32];	/* the pinned CA hash, binary */
	char ca_hex[TOKEN_HASH_LEN + 1];	/* the same, lowercase hex */
};

/*
 * Parses s[0..len) (surrounding blanks and a final newline are allowed, as
 * when it comes from a file). Returns 0 and fills *t, or -1 with *cause, a
 * sentence that says what is wrong and never quotes the secret part
 * (caller frees).
 */
int token_parse(const char *s, size_t len, struct token *t, char **cause);
/* Wipes *t. */
void token_clear(struct token *t);

#endif
