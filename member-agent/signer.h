/*
 * signer.h: the org admin's signer, a process of its own that holds the
 * admin key and signs, over a local nanomsg socket (ipc.h), only requests
 * that a registered check accepts. The network-facing agent never sees the
 * key.
 */
#ifndef FABFED_SIGNER_H
#define FABFED_SIGNER_H

#include <stddef.h>

#include <jansson.h>

#define SIGNER_SOCKET_NAME	"signer.sock"   /* in the state dir */
#define SIGNER_KIND_MAX		64              /* bytes in a kind name */
#define SIGNER_MAX_KINDS	32

/*
 * A check decides whether the signer signs payload (len bytes) for a
 * request of its kind. context is the request's "context" object (an empty
 * object if absent). Returns 0 to sign, or -1 with *reason (a sentence the
 * requester sees; caller frees) to refuse. Both borrowed.
 */
typedef int (*signer_check_fn)(const json_t *context,
    const unsigned char *payload, size_t len, char **reason);

/*
 * Registers a kind of request the signer may sign. name is 1 to
 * SIGNER_KIND_MAX characters of a-z 0-9 . - _ (copied). Returns -1 if the
 * name is invalid, already registered, or the table is full.
 */
int signer_register_kind(const char *name, signer_check_fn check);
/* Forgets every registered kind. */
void signer_clear_kinds(void);

/*
 * The Fabric checks (signer_fabric.c, docs/fabric-updates.md).
 * signer_fabric_init gives them this signer's identity (MSP ID and PEM
 * certificate, copied) and registers kinds "fabric.config-update" and
 * "fabric.config-submit"; signer_main
 * calls it at start-up. Returns -1 if the certificate does not read or the
 * MSP ID is not 1 to 128 printable ASCII characters without blanks.
 */
#define SIGNER_FABRIC_CONFIG_UPDATE	"fabric.config-update"
int signer_fabric_init(const char *msp_id, const char *cert_pem);
/*
 * The check of "fabric.config-update": payload = signature_header ||
 * config_update, context = {"channel", "headerLength", "topology", "orgs"}.
 */
int signer_fabric_config_update(const json_t *context,
    const unsigned char *payload, size_t len, char **reason);
/*
 * The check of "fabric.config-submit": payload = the Payload of a
 * CONFIG_UPDATE Envelope (what its signature covers), context =
 * {"channel", "topology", "orgs"}; the update inside is checked as above.
 */
#define SIGNER_FABRIC_CONFIG_SUBMIT	"fabric.config-submit"
int signer_fabric_config_submit(const json_t *context,
    const unsigned char *payload, size_t len, char **reason);

/*
 * fabfed-agent signer --state-dir DIR --key FILE --cert FILE
 *     [--socket ipc://PATH] [--msp-id ID] [--log-format text|json] [-v]
 * argv[0] is the subcommand. Serves until SIGTERM or SIGINT, then removes
 * its socket and returns 0; returns 1 on a start-up failure, 2 on bad usage.
 */
int signer_main(int argc, char **argv);

#endif
