/*
 * fuzz_block.c: the block decoder (lib/fabric_decode.c) on arbitrary
 * bytes. Findings: a crash, a leak or undefined behaviour; a failure
 * without a one-line printable cause, or a success with one; a config
 * taken from a block that fdec_config cannot print, or prints differently
 * from the block's own config. (fdec_config_from_block checks the config
 * only: a block whose last_update is broken still yields its config.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fabric_config.h"
#include "fabric_decode.h"

#define FUZZ_MAX ((size_t)1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_cause(const char *cause)
{
	size_t i;

	if (cause == NULL || *cause == '\0')
		abort();
	for (i = 0; cause[i] != '\0'; i++)
		if ((unsigned char)cause[i] < 0x20)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Common__Config *cfg;
	json_t *block, *conf;
	const json_t *inner;
	char *cause = NULL, *c2 = NULL;

	block = fdec_block(data, size, FUZZ_MAX, &cause);
	if (block == NULL) {
		check_cause(cause);
		free(cause);
		cause = NULL;
	} else if (cause != NULL || !json_is_object(block))
		abort();

	cfg = fdec_config_from_block(data, size, FUZZ_MAX, &c2);
	if (cfg == NULL) {
		check_cause(c2);
		free(c2);
	} else {
		if (c2 != NULL)
			abort();
		if ((conf = fdec_config(cfg, &c2)) == NULL)
			abort();
		inner = json_object_get(json_object_get(json_object_get(
		    json_array_get(json_object_get(json_object_get(block,
		    "data"), "data"), 0), "payload"), "data"), "config");
		if (block != NULL && !json_equal(conf, inner))
			abort();
		json_decref(conf);
		fcfg_free(cfg);
	}
	json_decref(block);
	return 0;
}
