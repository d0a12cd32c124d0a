/*
 * fabric_decode.h: a Fabric block or channel config read back into a
 * tree, printed as JSON in the shape of `configtxlator proto_decode`
 * (Fabric 2.5's protolator): proto field names, int64/uint64 as strings,
 * bytes as base64 (empty bytes as null), enums by name, and the opaque
 * bytes fields that hold marshalled messages (envelopes, headers, config
 * values by key, policies by type, MSP configs, ...) decoded in place.
 * docs/fabric-decode.md lists what is decoded and where fabfed differs.
 *
 * Every input is bounded: its size (max), the nesting of messages
 * (FDEC_DEPTH_MAX) and the values printed (FDEC_NODES_MAX). Errors are
 * sentences naming the path where decoding failed, e.g.
 * "block.data.data[0].payload.data.config.channel_group.groups.
 * Application.groups.Org1MSP.values.MSP.value: not a valid msp.MSPConfig".
 */
#ifndef FABFED_FABRIC_DECODE_H
#define FABFED_FABRIC_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/common.pb-c.h"
#include "common/configtx.pb-c.h"

/* Largest block read by default: the orderer's gRPC message limit. */
#define FDEC_BLOCK_MAX	((size_t)100 * 1024 * 1024)
/* Messages nested in messages, opaque layers included. */
#define FDEC_DEPTH_MAX	100
/* JSON values one decode may make (a config block makes a few thousand). */
#define FDEC_NODES_MAX	((size_t)2 * 1024 * 1024)

/*
 * The block data[0..len) as configtxlator prints a common.Block. len must
 * be at most max. Returns a tree the caller frees (json_decref), or NULL
 * and *cause (a sentence with the path, caller frees). Borrows data.
 */
json_t *fdec_block(const uint8_t *data, size_t len, size_t max, char **cause);

/*
 * The block data[0..len) (at most max bytes) unpacked, its messages
 * nested at most FDEC_DEPTH_MAX deep. Caller frees with
 * common__block__free_unpacked(b, NULL). NULL and *cause on failure.
 */
Common__Block *fdec_block_unpack(const uint8_t *data, size_t len, size_t max,
    char **cause);

/*
 * The channel config of a config block: the block's single envelope must
 * be a CONFIG transaction whose data is a ConfigEnvelope with a config.
 * Every opaque value of the config is checked to decode (as fdec_config
 * would print it). Returns the config, unpacked on its own (caller frees
 * with fcfg_free or common__config__free_unpacked), or NULL and *cause
 * saying which layer is wrong ("block 5 is not a config block: its
 * transaction is an ENDORSER_TRANSACTION (3)").
 */
Common__Config *fdec_config_from_block(const uint8_t *data, size_t len,
    size_t max, char **cause);

/*
 * A config as configtxlator prints a common.Config (the channel_group
 * decoded as a channel's tree). NULL and *cause (path rooted at
 * "config") when one of its opaque values does not decode. Borrows cfg.
 */
json_t *fdec_config(const Common__Config *cfg, char **cause);

/*
 * The number of the newest config block as block b records it, read as
 * Fabric 2.5's protoutil.GetLastConfigIndexFromBlock reads it: the
 * OrdererBlockMetadata in the SIGNATURES slot, else (an empty value, from
 * orderers before 1.4.1) the LastConfig of the LAST_CONFIG slot. Returns
 * 0 and *index, or -1 and *cause. Borrows b.
 */
int fdec_last_config_index(const Common__Block *b, uint64_t *index,
    char **cause);

#endif
