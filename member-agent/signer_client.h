/*
 * signer_client.h: the agent's side of the signer (signer.h): a request
 * for one signature of a given kind, over the signer's ipc socket, shaped
 * as an ftx_sign_fn (lib/fabric_tx.h) so that the Fabric message builders
 * can have the org admin sign without the agent holding the key.
 */
#ifndef FABFED_SIGNER_CLIENT_H
#define FABFED_SIGNER_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define SIGNER_CLIENT_TIMEOUT_MS 10000	/* each of sending and receiving */

/* What to ask for. Borrowed for the duration of a call. */
struct signer_client {
	const char *url;          /* "ipc:///var/lib/fabfed-agent/signer.sock" */
	const char *kind;         /* "fabric.config-update", ... */
	const json_t *context;    /* the request's context, may be NULL */
	int timeout_ms;           /* 0: SIGNER_CLIENT_TIMEOUT_MS */
};

/*
 * An ftx_sign_fn: asks the signer described by ARG (a struct
 * signer_client) to sign MSG. Returns 0 with the DER signature in *sig
 * (caller frees) and *siglen, or -1 with *cause (caller frees): the
 * signer's reason when it refused ("the signer refused: ..."), or why
 * there was no answer.
 */
int signer_client_sign(void *arg, const uint8_t *msg, size_t len,
    uint8_t **sig, size_t *siglen, char **cause);

#endif
