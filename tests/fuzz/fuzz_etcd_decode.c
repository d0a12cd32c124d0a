/*
 * fuzz_etcd_decode.c: etcd_decode over every method, and the watch stream
 * decoder. Input: byte 0 picks the method, byte 1 the HTTP status, the
 * rest is the answer body.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "etcd.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *methods[] = { "range", "put", "deleterange", "txn",
	    "lease_grant", "lease_keepalive", "lease_revoke", "watch" };
	static const int statuses[] = { 200, 400, 404, 500, 503, 0, 302, 999 };
	struct etcd_result res;
	struct etcd_watch_response wr;
	const char *method, *body;
	char *cause = NULL, *copy;
	size_t len, i;
	int status, r;

	if (size < 2)
		return 0;
	method = methods[data[0] % 8];
	status = statuses[data[1] % 8];
	len = size - 2;
	/* A private copy, so that a read past the end is caught. */
	copy = malloc(len > 0 ? len : 1);
	if (copy == NULL)
		return 0;
	if (len > 0)
		memcpy(copy, data + 2, len);
	body = copy;

	if (strcmp(method, "watch") == 0) {
		r = etcd_decode_watch(body, len, &wr, &cause);
		if (r == 0) {
			if (cause != NULL)
				abort();
			for (i = 0; i < wr.nevents; i++)
				if (wr.events[i].kv.key == NULL ||
				    wr.events[i].kv.value == NULL ||
				    wr.events[i].kv.key[wr.events[i].kv.key_len]
				    != '\0')
					abort();
			etcd_watch_response_clear(&wr);
		} else {
			if (cause == NULL || wr.nevents != 0)
				abort();
			free(cause);
		}
	} else {
		r = etcd_decode(method, status, body, len, &res);
		/* The contract: ok and an error sentence are exclusive. */
		if ((r == 0) != (res.ok == 1) || (r == 0) != (res.error == NULL))
			abort();
		for (i = 0; i < res.range.nkvs; i++)
			if (res.range.kvs[i].value == NULL ||
			    res.range.kvs[i].value[res.range.kvs[i].value_len]
			    != '\0')
				abort();
		if (res.error != NULL && strlen(res.error) > 4096)
			abort();
		etcd_result_clear(&res);
	}
	free(copy);
	return 0;
}
