/*
 * fuzz_kubeconfig.c: the kubeconfig parser (member-agent/kubeconfig.c) on
 * arbitrary bytes. It reads no file (relative names are joined to a base
 * directory, not opened). Findings: a crash or leak; a refusal without a
 * one-line printable bounded reason, or that leaves anything in the
 * struct; an accepted config whose server is not https:// (or ends in
 * '/'), whose token could inject a header, that asks for no credentials,
 * or that has a client certificate without its key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kubeconfig kc;
	char *cause = NULL;
	size_t i, n;

	if (kubeconfig_parse((const char *)data, size, "/nonexistent-base",
	    "fuzz", &kc, &cause) == -1) {
		if (cause == NULL || cause[0] == '\0' || strlen(cause) > 2048)
			abort();
		for (i = 0; cause[i] != '\0'; i++) {
			if ((unsigned char)cause[i] < 0x20)
				abort();
		}
		if (kc.server != NULL || kc.token != NULL || kc.key_pem != NULL ||
		    kc.ca_pem != NULL || kc.origin != NULL)
			abort();
		free(cause);
		return 0;
	}
	if (cause != NULL || kc.server == NULL ||
	    strncmp(kc.server, "https://", 8) != 0 || kc.origin == NULL)
		abort();
	n = strlen(kc.server);
	if (n <= 8 || kc.server[n - 1] == '/')
		abort();
	if (kc.token != NULL) {
		if (kc.token[0] == '\0')
			abort();
		for (i = 0; kc.token[i] != '\0'; i++) {
			if (kc.token[i] <= 0x20 || kc.token[i] >= 0x7f)
				abort();
		}
	}
	if (kc.token == NULL && kc.token_file == NULL && kc.cert_pem == NULL &&
	    kc.cert_file == NULL)
		abort();
	if ((kc.cert_pem != NULL || kc.cert_file != NULL) !=
	    (kc.key_pem != NULL || kc.key_file != NULL))
		abort();
	if (kc.key_pem != NULL && strlen(kc.key_pem) != kc.key_len)
		abort();
	kubeconfig_free(&kc);
	return 0;
}
