/*
 * fuzz_token.c: the agent's join token parser (member-agent/token.c) on
 * arbitrary bytes. Findings: a crash or leak; a token accepted that is not
 * exactly fft1.<43 base64url>.<64 lowercase hex>, whose hash does not
 * decode to ca_sha256, or that does not parse again as itself; a refusal
 * without a one-line printable reason, or that leaves text behind.
 *
 * Fuzz targets are linked with the controller's modules only, so the
 * parser (a pure function, no other dependency than xmalloc) is compiled
 * in here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	struct token t, again;
	char *cause = NULL, *c2 = NULL;
	size_t i;

	if (token_parse((const char *)data, size, &t, &cause) == -1) {
		if (cause == NULL || *cause == '\0' || strlen(cause) > 300)
			abort();
		for (i = 0; cause[i] != '\0'; i++)
			if ((unsigned char)cause[i] < 0x20)
				abort();
		if (t.text[0] != '\0')
			abort();
		free(cause);
		return 0;
	}
	if (cause != NULL || strlen(t.text) != TOKEN_LEN ||
	    strncmp(t.text, TOKEN_PREFIX, 5) != 0 ||
	    strspn(t.text + 5, b64) != TOKEN_SECRET_LEN ||
	    t.text[5 + TOKEN_SECRET_LEN] != '.' ||
	    strspn(t.text + 6 + TOKEN_SECRET_LEN, "0123456789abcdef") !=
	    TOKEN_HASH_LEN ||
	    strcmp(t.text + 6 + TOKEN_SECRET_LEN, t.ca_hex) != 0)
		abort();
	for (i = 0; i < 32; i++) {
		static const char hex[] = "0123456789abcdef";

		if (t.ca_hex[2 * i] != hex[t.ca_sha256[i] >> 4] ||
		    t.ca_hex[2 * i + 1] != hex[t.ca_sha256[i] & 15])
			abort();
	}
	if (token_parse(t.text, strlen(t.text), &again, &c2) != 0 ||
	    memcmp(&t, &again, sizeof(t)) != 0)
		abort();
	token_clear(&t);
	token_clear(&again);
	return 0;
}
