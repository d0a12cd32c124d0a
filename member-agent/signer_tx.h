/*
 * signer_tx.h: the signer's checks for the messages the agent sends to its
 * own org's Fabric nodes (lib/fabric_tx.h):
 *
 *   fabric.join-chain    payload = the Proposal bytes of a cscc JoinChain
 *                        (what a SignedProposal's signature covers);
 *                        context {"topology": <normalized consortium doc>}.
 *                        Signed only when the proposal's creator is the
 *                        signer's own identity and its block is the genesis
 *                        config block of a channel the topology declares
 *                        with the signer's org as a member, and that block's
 *                        Application group holds the org.
 *   fabric.channel-read  payload = the Payload bytes of a DELIVER_SEEK_INFO
 *                        envelope, or the Proposal bytes of a cscc
 *                        GetChannels or qscc GetChainInfo: read-only
 *                        requests, signed when the creator is the signer's
 *                        own identity.
 *
 * A check's signature (signer.h) does not carry the signer's identity, so
 * the signer tells this module once, after it has loaded its certificate:
 * signer_tx_set_identity(). Until then both checks refuse.
 */
#ifndef FABFED_SIGNER_TX_H
#define FABFED_SIGNER_TX_H

#include <stddef.h>

#include <jansson.h>

#define SIGNER_TX_JOIN_CHAIN	"fabric.join-chain"
#define SIGNER_TX_CHANNEL_READ	"fabric.channel-read"

/*
 * Registers the two kinds above with signer_register_kind; call it once at
 * start-up. fatalx() when they cannot be (already there, table full).
 */
void signer_tx_register(void);

/*
 * The identity the signer signs as: its MSP ID and its certificate (PEM;
 * what goes into SerializedIdentity.id_bytes). Copied. Returns 0, or -1
 * with *cause (caller frees) when the certificate does not parse. NULL
 * mspid forgets the identity.
 */
int signer_tx_set_identity(const char *mspid, const char *cert_pem,
    char **cause);

/* The checks themselves (signer_check_fn), for tests. */
int signer_tx_check_join(const json_t *context, const unsigned char *payload,
    size_t len, char **reason);
int signer_tx_check_read(const json_t *context, const unsigned char *payload,
    size_t len, char **reason);

#endif
