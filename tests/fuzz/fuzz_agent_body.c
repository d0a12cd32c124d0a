/*
 * fuzz_agent_body.c: what the controller parses from agents and from
 * not-yet-enrolled clients: agent record bodies, task result bodies, join
 * tokens, and CSRs (through the real issuing path, with a CA made once).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "api.h"
#include "pki.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static X509 *ca;
static EVP_PKEY *cakey;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	unsigned char secret[32], hash[32];
	char *msg = NULL, *s, *cause = NULL;
	int status = 0;
	json_t *v;
	X509 *cert;

	if (ca == NULL) {
		struct pki_subject sub = { .cn = "fuzz ca", .days = 1 };

		cakey = pki_key_new();
		ca = pki_ca_new(cakey, &sub, NULL);
	}
	/* Record bodies: accepted ones hold no private key and the right mspId. */
	v = api_agent_record_parse((const char *)data, len, "Org1MSP", &status, &msg);
	if (v != NULL) {
		const json_t *m = json_object_get(v, "mspId");

		if (m != NULL && strcmp(json_string_value(m), "Org1MSP") != 0)
			abort();
		s = json_dumps(v, JSON_COMPACT);
		if (s != NULL && strstr(s, "PRIVATE KEY") != NULL)
			abort();
		free(s);
		json_decref(v);
	} else if (msg == NULL || (status != 400 && status != 403 && status != 413 &&
	    status != 422))
		abort();
	free(msg);

	/* Task results: accepted ones have a known state and no private key. */
	msg = NULL;
	status = 0;
	v = api_agent_result_parse((const char *)data, len, &status, &msg);
	if (v != NULL) {
		const char *st = json_string_value(json_object_get(v, "state"));

		if (st == NULL || (strcmp(st, "done") != 0 &&
		    strcmp(st, "rendered") != 0 && strcmp(st, "retry") != 0 &&
		    strcmp(st, "failed") != 0) || msg != NULL)
			abort();
		s = json_dumps(v, JSON_COMPACT);
		if (s != NULL && strstr(s, "PRIVATE KEY") != NULL)
			abort();
		free(s);
		json_decref(v);
	} else if (msg == NULL || (status != 400 && status != 413 &&
	    status != 422))
		abort();
	free(msg);

	/* Tokens: whatever parses must format back to the same text. */
	s = xstrndup((const char *)data, len);
	if (api_token_parse(s, secret, hash) == 0) {
		char *again = api_token_format(secret, hash);

		if (strcmp(again, s) != 0)
			abort();
		free(again);
	}
	/* CSRs: the issuing path never crashes on garbage. */
	cert = api_enroll_issue(ca, cakey, s, strlen(s), "fuzz", "Org1MSP", 1, &cause);
	X509_free(cert);
	free(cause);
	free(s);
	return 0;
}
