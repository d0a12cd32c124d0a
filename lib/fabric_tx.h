/*
 * fabric_tx.h: the signed messages the agent sends to its own org's Fabric
 * nodes, built as Fabric 2.5's protoutil builds them (txutils.go
 * CreateSignedEnvelope, proputils.go CreateChaincodeProposal,
 * GetSignedProposal): envelopes for the orderer (CONFIG_UPDATE for
 * Broadcast, DELIVER_SEEK_INFO for Deliver) and signed proposals for a
 * peer's system chaincodes (cscc JoinChain and GetChannels, qscc
 * GetChainInfo), and the peer's ProposalResponse read back.
 *
 * Who signs is the caller's choice: a callback gets the exact bytes Fabric
 * verifies (an Envelope's payload, a SignedProposal's proposal_bytes) and
 * returns a DER ECDSA signature over their SHA-256 with low S (sig.h). In
 * tests it signs with a local key; in the agent it asks the signer
 * process over IPC (docs/signer.md).
 */
#ifndef FABFED_FABRIC_TX_H
#define FABFED_FABRIC_TX_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.pb-c.h"

#define FTX_NONCE_LEN		24	/* protoutil.CreateNonce */
#define FTX_TXID_LEN		64	/* hex SHA-256 */
#define FTX_TLS_HASH_LEN	32	/* SHA-256 of the client TLS cert (DER) */
#define FTX_MAX_CERT		(64 * 1024)	/* bytes of a creator's PEM */
#define FTX_MAX_MSPID		128
#define FTX_MAX_MESSAGE		1024	/* bytes of a peer's message kept */

/* Fabric's HeaderType values used here (common.HeaderType). */
#define FTX_HDR_CONFIG			1
#define FTX_HDR_CONFIG_UPDATE		2
#define FTX_HDR_ENDORSER_TRANSACTION	3
#define FTX_HDR_DELIVER_SEEK_INFO	5

/* Who signs: the MSP ID and the PEM certificate (borrowed). */
struct ftx_identity {
	const char *mspid;
	const char *cert_pem;
};

/*
 * Signs msg (len bytes, borrowed): ECDSA over SHA-256(msg), DER, low S.
 * Returns 0 with *sig (caller frees) and *siglen, or -1 with *cause (a
 * sentence, caller frees).
 */
typedef int (*ftx_sign_fn)(void *arg, const uint8_t *msg, size_t len,
    uint8_t **sig, size_t *siglen, char **cause);

/* The marshalled msp.SerializedIdentity{mspid, id_bytes = PEM}. Caller frees. */
uint8_t *ftx_creator(const struct ftx_identity *, size_t *len);

/* hex(SHA-256(nonce || creator)) into out (FTX_TXID_LEN + 1 bytes). */
void ftx_txid(const uint8_t *nonce, size_t nonce_len, const uint8_t *creator,
    size_t creator_len, char out[FTX_TXID_LEN + 1]);

/*
 * A signed common.Envelope: Payload{Header{ChannelHeader{type, version 0,
 * timestamp now (seconds), channel_id, tx_id = ftx_txid(nonce, creator),
 * epoch 0, tls_cert_hash}, SignatureHeader{creator, 24 random bytes of
 * nonce}}, data}, signed over the payload bytes. tls_cert_hash
 * (FTX_TLS_HASH_LEN bytes, may be NULL) is the SHA-256 of the client TLS
 * certificate, which an orderer with mutual TLS requires in Deliver
 * requests. Returns the Envelope's bytes (caller frees) and *out_len, or
 * NULL with *cause (caller frees). Borrows its arguments.
 */
uint8_t *ftx_envelope(int type, const char *channel_id, const uint8_t *data,
    size_t len, const uint8_t *tls_cert_hash, const struct ftx_identity *,
    ftx_sign_fn, void *arg, size_t *out_len, char **cause);

/* A position in a channel's chain (orderer.SeekPosition). */
enum ftx_seek_kind {
	FTX_SEEK_NEWEST,
	FTX_SEEK_OLDEST,
	FTX_SEEK_SPECIFIED
};

struct ftx_seek {
	enum ftx_seek_kind kind;
	uint64_t number;          /* FTX_SEEK_SPECIFIED only */
};

/* orderer.SeekInfo.SeekBehavior. */
enum ftx_seek_behavior {
	FTX_BLOCK_UNTIL_READY = 0,  /* wait for a block not yet cut */
	FTX_FAIL_IF_NOT_READY = 1   /* answer NOT_FOUND for it */
};

/*
 * A signed DELIVER_SEEK_INFO Envelope for channel asking for start..stop.
 * best_effort (SeekErrorResponse BEST_EFFORT) asks the orderer to deliver
 * blocks of its ledger even while its consenter reports an error (no Raft
 * leader yet). Same contract as ftx_envelope.
 */
uint8_t *ftx_seek_info(const char *channel, const struct ftx_seek *start,
    const struct ftx_seek *stop, enum ftx_seek_behavior, int best_effort,
    const uint8_t *tls_cert_hash, const struct ftx_identity *, ftx_sign_fn,
    void *arg, size_t *out_len, char **cause);

/* One chaincode argument (bytes, borrowed). */
struct ftx_arg {
	const void *data;
	size_t len;
};

/*
 * A signed protos.SignedProposal invoking chaincode (a GOLANG
 * ChaincodeSpec named chaincode, input args[0..nargs-1]) on channel ("" for
 * the peer itself) with a ChannelHeader of header_type (FTX_HDR_CONFIG for
 * JoinChain, FTX_HDR_ENDORSER_TRANSACTION for queries), timestamp now, the
 * ChaincodeHeaderExtension, tx_id = ftx_txid(nonce, creator). The
 * signature covers proposal_bytes. txid (may be NULL) gets the tx_id
 * (FTX_TXID_LEN + 1 bytes). Returns the bytes (caller frees) and
 * *out_len, or NULL with *cause (caller frees).
 */
uint8_t *ftx_proposal(const char *chaincode, const struct ftx_arg *args,
    size_t nargs, const char *channel, int header_type,
    const struct ftx_identity *, ftx_sign_fn, void *arg, char *txid,
    size_t *out_len, char **cause);

/* cscc JoinChain with a channel's genesis block (header type CONFIG, channel ""). */
uint8_t *ftx_join_chain(const uint8_t *block, size_t block_len,
    const struct ftx_identity *, ftx_sign_fn, void *arg, size_t *out_len,
    char **cause);
/* cscc GetChannels (ENDORSER_TRANSACTION, channel ""). */
uint8_t *ftx_get_channels(const struct ftx_identity *, ftx_sign_fn, void *arg,
    size_t *out_len, char **cause);
/* qscc GetChainInfo of channel (ENDORSER_TRANSACTION, channel ""). */
uint8_t *ftx_get_chain_info(const char *channel, const struct ftx_identity *,
    ftx_sign_fn, void *arg, size_t *out_len, char **cause);

/* What a peer answered (the ProposalResponse's Response). */
struct ftx_response {
	int32_t status;           /* HTTP-like: 200 success, >= 400 error */
	char *message;            /* printable, at most FTX_MAX_MESSAGE bytes */
	uint8_t *payload;         /* may be NULL when empty */
	size_t payload_len;
};

/*
 * Reads a marshalled protos.ProposalResponse into *out (caller clears with
 * ftx_response_clear). Returns 0, or -1 with *cause when it does not
 * decode or has no Response.
 */
int ftx_proposal_response(const uint8_t *msg, size_t len,
    struct ftx_response *out, char **cause);
/* Frees the members; zeroes the struct. NULL is a no-op. */
void ftx_response_clear(struct ftx_response *);

/*
 * The index of the channel's last config block as a block records it
 * (protoutil.GetLastConfigIndexFromBlock): the SIGNATURES metadata's
 * OrdererBlockMetadata.last_config.index, or when that slot's value is
 * empty, the LAST_CONFIG slot's LastConfig.index. Returns 0 or -1 with
 * *cause.
 */
int ftx_block_last_config(const Common__Block *, uint64_t *index,
    char **cause);

/*
 * The channel ID and header type of a block's first envelope (a config
 * block has one envelope of type CONFIG). *channel: caller frees. Returns
 * 0 or -1 with *cause.
 */
int ftx_block_channel(const Common__Block *, char **channel, int *type,
    char **cause);

#endif
