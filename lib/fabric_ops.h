/*
 * fabric_ops.h: the agent's calls to its own org's Fabric nodes over gRPC
 * (grpc.h) with the signed messages of fabric_tx.h: Broadcast of an
 * envelope and Deliver of one block from an orderer; JoinChain,
 * GetChannels and GetChainInfo on a peer.
 *
 * Calls are synchronous, each gRPC call bounded by timeout_ms. Each
 * returns 0 on success or -1 with *cause, a sentence naming the call, the
 * node and what it answered (caller frees). *res (may be NULL) tells a
 * caller what the node said so that it can decide to retry
 * (fops_retryable).
 */
#ifndef FABFED_FABRIC_OPS_H
#define FABFED_FABRIC_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "fabric_tx.h"
#include "grpc.h"

#define FOPS_NEWEST		UINT64_MAX	/* fops_deliver_block: the newest block */
#define FOPS_MAX_CHANNELS	10000		/* names fops_get_channels keeps */
#define FOPS_MAX_INFO		1024		/* bytes of a node's message kept */

/* Fabric's common.Status values a caller looks at. */
#define FOPS_SUCCESS			200
#define FOPS_BAD_REQUEST		400
#define FOPS_FORBIDDEN			403
#define FOPS_NOT_FOUND			404
#define FOPS_SERVICE_UNAVAILABLE	503

/* Who signs the requests (borrowed for the call). */
struct fops_signer {
	const struct ftx_identity *id;
	ftx_sign_fn sign;
	void *arg;
};

/* What a call came to. */
struct fops_result {
	int status;   /* what the node answered: the orderer's common.Status,
		       * or the peer's Response.status; 0 when none came */
	int code;     /* the gRPC status of the call (enum grpc_code) */
};

/*
 * 1 when the same call may succeed if made again a little later:
 *  - the node answered SERVICE_UNAVAILABLE (503): an orderer whose Raft
 *    channel has no leader yet (the first second or so after a join, or
 *    during an election) refuses Broadcasts and, with STRICT error
 *    response, Delivers so;
 *  - no answer came and the call ended UNAVAILABLE (the node is down or
 *    restarting, the connection was refused or reset) or
 *    DEADLINE_EXCEEDED.
 * 0 for everything else (BAD_REQUEST, FORBIDDEN, NOT_FOUND, a peer's
 * error, TLS or protocol failures): retrying the same request cannot help.
 */
int fops_retryable(const struct fops_result *);

/*
 * The name of a common.Status ("SERVICE_UNAVAILABLE"), or "status N" in a
 * buffer of the calling thread's, good until its next call.
 */
const char *fops_status_name(int status);

/*
 * Broadcasts one signed envelope (env/len, e.g. from ftx_envelope) to the
 * orderer and reads its one BroadcastResponse. Returns 0 for SUCCESS; -1
 * otherwise, with *cause giving the status name and the orderer's info.
 * *info (may be NULL) gets the orderer's info text ("" when none; caller
 * frees) whenever an answer came.
 */
int fops_broadcast(const struct grpc_target *orderer, const void *env,
    size_t len, struct fops_result *res, char **info, long timeout_ms,
    char **cause);

/*
 * One block of channel from the orderer's Deliver service: number, or
 * FOPS_NEWEST. The SeekInfo has start = stop = that block, as Fabric's
 * `peer channel fetch` (internal/peer/common/deliverclient.go) sends,
 * with two choices of ours:
 *  - FAIL_IF_NOT_READY where fetch uses BLOCK_UNTIL_READY: a block past
 *    the ledger's height is answered NOT_FOUND at once instead of holding
 *    the call open until the timeout (the newest block always exists, so
 *    this changes nothing for it);
 *  - BEST_EFFORT error response: the blocks asked for are already in the
 *    orderer's ledger, so they are read even while the Raft chain reports
 *    an error (no leader yet right after a join), which STRICT refuses
 *    with SERVICE_UNAVAILABLE.
 * When the target has a client certificate, its SHA-256 goes into the
 * ChannelHeader's tls_cert_hash, as an orderer with mutual TLS requires.
 * Returns 0 with the block's exact bytes in *block (caller frees) and
 * *len, or -1 with *cause (NOT_FOUND, FORBIDDEN, ...).
 */
int fops_deliver_block(const struct grpc_target *orderer, const char *channel,
    uint64_t number, const struct fops_signer *, uint8_t **block, size_t *len,
    struct fops_result *res, long timeout_ms, char **cause);

/*
 * The channel's newest config block, as `peer channel fetch config` finds
 * it: the newest block, its last config index
 * (ftx_block_last_config), then that block (two Deliver calls unless the
 * newest block is the config block). The block must be a CONFIG block of
 * channel. Returns 0 with *block (caller frees), *len and *number (may be
 * NULL), or -1 with *cause.
 */
int fops_config_block(const struct grpc_target *orderer, const char *channel,
    const struct fops_signer *, uint8_t **block, size_t *len,
    uint64_t *number, struct fops_result *res, long timeout_ms, char **cause);

enum fops_join_result {
	FOPS_JOINED,          /* the peer joined the channel now */
	FOPS_ALREADY_JOINED   /* it had the channel's ledger already */
};

/*
 * Joins the peer to the channel whose genesis block is block/len (cscc
 * JoinChain, signed by an admin of the peer's org). Response 200 is
 * FOPS_JOINED. A peer that has the channel's ledger answers 500 "cannot
 * create ledger from genesis block: ledger [CHANNEL] already exists with
 * state [ACTIVE]" (core/ledger/kvledger/kv_ledger_provider.go idStore
 * createLedgerID, wrapped by core/peer/peer.go CreateChannel): that is a
 * success, FOPS_ALREADY_JOINED, so a join can be re-run. Other answers
 * are errors with the peer's status and message.
 */
int fops_join_chain(const struct grpc_target *peer, const uint8_t *block,
    size_t len, const struct fops_signer *, enum fops_join_result *,
    struct fops_result *res, long timeout_ms, char **cause);

/*
 * The channels the peer has joined (cscc GetChannels ->
 * ChannelQueryResponse): *names (caller frees with fops_names_free), *n.
 */
int fops_get_channels(const struct grpc_target *peer,
    const struct fops_signer *, char ***names, size_t *n,
    struct fops_result *res, long timeout_ms, char **cause);
void fops_names_free(char **names, size_t n);

/*
 * The height of the peer's ledger of channel (qscc GetChainInfo ->
 * common.BlockchainInfo.height): the number of blocks it has committed.
 */
int fops_peer_height(const struct grpc_target *peer, const char *channel,
    const struct fops_signer *, uint64_t *height, struct fops_result *res,
    long timeout_ms, char **cause);

/*
 * The parsing of the orderer's answers, public for tests and fuzzing.
 *
 * fops_field_bytes: the bytes of the last length-delimited field number
 * FIELD of the message MSG/LEN (borrowed, in place), as protobuf reads a
 * singular field. Returns 1 when found, 0 when absent, -1 for a malformed
 * message.
 *
 * fops_deliver_parse: one DeliverResponse. Returns 1 with *status for a
 * status message; 0 for a block, with its exact bytes in *block (caller
 * frees), *blen and its number; -1 with *cause (caller frees) otherwise.
 */
int fops_field_bytes(const uint8_t *msg, size_t len, uint32_t field,
    const uint8_t **out, size_t *out_len);
int fops_deliver_parse(const void *msg, size_t len, int *status,
    uint8_t **block, size_t *blen, uint64_t *number, char **cause);

#endif
