/*
 * fuzz_ipc_msg.c: the signer's wire format on arbitrary bytes. A decode
 * either fails with a cause or yields a message that encodes back to bytes
 * decoding to the same message; a SIGN payload goes through the base64
 * decoder under the body limit. Everything returned is freed, so a leak is
 * a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_msg m, again;
	unsigned char *out, *payload;
	size_t outlen, plen;
	const char *b64;
	char *cause = NULL;

	if (ipc_decode(data, size, &m, &cause) != 0) {
		if (cause == NULL || cause[0] == '\0' || m.body != NULL)
			abort();
		free(cause);
		return 0;
	}
	if (cause != NULL || !json_is_object(m.body) ||
	    ipc_type_name(m.type) == NULL || m.flags != 0 ||
	    size > IPC_MAX_MSG)
		abort();
	if (ipc_encode(m.type, m.id, m.body, &out, &outlen, &cause) != 0)
		abort();
	if (outlen > IPC_MAX_MSG || ipc_decode(out, outlen, &again, &cause) != 0)
		abort();
	if (again.type != m.type || again.id != m.id ||
	    !json_equal(again.body, m.body))
		abort();
	/* Same header bytes, apart from the body length. */
	if (memcmp(out, data, 12) != 0)
		abort();
	b64 = json_string_value(json_object_get(m.body, "payload"));
	if (b64 != NULL &&
	    (payload = ipc_b64_decode(b64, &plen, IPC_MAX_BODY)) != NULL) {
		char *back = ipc_b64_encode(payload, plen);

		if (plen > IPC_MAX_BODY || back == NULL || strcmp(back, b64) != 0)
			abort();
		free(back);
		free(payload);
	}
	ipc_msg_clear(&again);
	ipc_msg_clear(&m);
	free(out);
	return 0;
}
