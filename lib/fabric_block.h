/*
 * fabric_block.h: a channel's genesis block (common/genesis/genesis.go)
 * and Fabric's block hashes (protoutil/blockutils.go).
 */
#ifndef FABFED_FABRIC_BLOCK_H
#define FABFED_FABRIC_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.pb-c.h"
#include "common/configtx.pb-c.h"

#define FBLOCK_NONCE_LEN 24 /* protoutil.CreateNonce */
#define FBLOCK_HASH_LEN  32 /* SHA-256 */
#define FBLOCK_METADATA_SLOTS 5 /* BlockMetadataIndex values */

/*
 * Block 0 of CHANNEL_ID holding CONFIG: one Envelope (no signature) whose
 * Payload has a CONFIG ChannelHeader (version 1, epoch 0, TIMESTAMP
 * seconds, tx_id = hex SHA-256 of nonce) and a SignatureHeader with no
 * creator and NONCE (FBLOCK_NONCE_LEN bytes; NULL draws random ones), and
 * whose data is ConfigEnvelope{config}; the data hash; five metadata
 * slots with SIGNATURES and LAST_CONFIG set as Fabric's genesis factory
 * sets them. Returns the block (caller frees with fblock_free) or NULL and
 * *cause (caller frees). Borrows its arguments.
 */
Common__Block *fblock_genesis(const Common__Config *config,
    const char *channel_id, int64_t timestamp, const uint8_t *nonce,
    char **cause);

/* NULL is a no-op. */
void fblock_free(Common__Block *);

/* The block's encoding; *len its size. Caller frees. */
uint8_t *fblock_pack(const Common__Block *, size_t *len);

/* SHA-256 over the data entries concatenated (protoutil.BlockDataHash). */
void fblock_data_hash(const Common__BlockData *, uint8_t out[FBLOCK_HASH_LEN]);

/*
 * The ASN.1 DER of SEQUENCE {INTEGER number, OCTET STRING previous_hash,
 * OCTET STRING data_hash} (protoutil.BlockHeaderBytes). Caller frees.
 */
uint8_t *fblock_header_bytes(const Common__BlockHeader *, size_t *len);

/* SHA-256 of fblock_header_bytes (protoutil.BlockHeaderHash). */
void fblock_header_hash(const Common__BlockHeader *,
    uint8_t out[FBLOCK_HASH_LEN]);

#endif
