/*
 * signer_client.c: one SIGN request to the org admin's signer (docs/
 * signer.md), answered SIGNED, REFUSED or ERROR.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ipc.h"
#include "sig.h"
#include "signer_client.h"
#include "xmalloc.h"

int
signer_client_sign(void *arg, const uint8_t *msg, size_t len, uint8_t **sig,
    size_t *siglen, char **cause)
{
	const struct signer_client *sc = arg;
	json_t *req, *ans = NULL;
	const char *reason, *s;
	char *b64, *err = NULL;
	int type, ret = -1;

	*sig = NULL;
	*siglen = 0;
	if (len > IPC_MAX_BODY) {
		*cause = xasprintf("a %zu-byte payload is more than the signer "
		    "takes (%zu bytes)", len, IPC_MAX_BODY);
		return -1;
	}
	b64 = ipc_b64_encode(msg, len);
	req = json_pack("{s:s, s:s}", "kind", sc->kind, "payload", b64);
	free(b64);
	if (req == NULL) {
		*cause = xstrdup("cannot build the signing request");
		return -1;
	}
	if (sc->context != NULL)
		json_object_set(req, "context", (json_t *)sc->context);
	if (ipc_call(sc->url, IPC_SIGN, req, sc->timeout_ms > 0 ?
	    sc->timeout_ms : SIGNER_CLIENT_TIMEOUT_MS, &type, &ans, &err) != 0) {
		*cause = xasprintf("no answer from the signer at %s: %s",
		    sc->url, err);
		goto done;
	}
	if (type != IPC_SIGNED) {
		reason = json_string_value(json_object_get(ans, "reason"));
		*cause = xasprintf("the signer %s the %s request: %s",
		    type == IPC_REFUSED ? "refused" : "failed", sc->kind,
		    reason != NULL ? reason : "(no reason given)");
		goto done;
	}
	if ((s = json_string_value(json_object_get(ans, "signature"))) == NULL ||
	    (*sig = ipc_b64_decode(s, siglen, SIG_MAX_DER)) == NULL ||
	    *siglen == 0) {
		free(*sig);
		*sig = NULL;
		*cause = xstrdup("the signer's answer has no valid signature");
		goto done;
	}
	ret = 0;
done:
	free(err);
	json_decref(req);
	json_decref(ans);
	return ret;
}
