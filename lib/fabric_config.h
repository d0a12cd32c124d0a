/*
 * fabric_config.h: an application channel's configuration tree
 * (common.Config) built from the normalized consortium document and the
 * orgs' published public material, as Fabric 2.5's configtxgen builds it
 * for a channel created without a system channel (docs/fabric-config.md).
 */
#ifndef FABFED_FABRIC_CONFIG_H
#define FABFED_FABRIC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/configtx.pb-c.h"

#define FCFG_MAX_CERT_BYTES (64 * 1024) /* one PEM certificate */
#define FCFG_MAX_CERTS      64          /* certificates in one MSP list */

/* Fabric's raft defaults (sampleconfig/configtx.yaml). */
#define FCFG_RAFT_TICK          "500ms"
#define FCFG_RAFT_ELECTION_TICK 10
#define FCFG_RAFT_HEARTBEAT     1
#define FCFG_RAFT_INFLIGHT      5
#define FCFG_RAFT_SNAPSHOT      (16 * 1024 * 1024)

/*
 * Builds the config (sequence 0, every version 0) of channel CHANNEL of the
 * normalized document TOPO (topology_load). ORGS holds what the orgs
 * published, keyed by MSP ID:
 *   {"Org1MSP": {"msp": <msp_public JSON>,
 *                "endpoints": {"orderers": [{"name","endpoint","tlsCert"}],
 *                              "peers": [{"name","endpoint"}]}}, ...}
 * Every member org and every org owning a consenter must be there. Map
 * entries are sorted by key at every level, so the same input packs to the
 * same bytes. Returns a tree the caller frees with fcfg_free, or NULL and
 * *cause (a sentence, caller frees). Borrows its arguments.
 */
Common__Config *fcfg_build(const json_t *topo, const char *channel,
    const json_t *orgs, char **cause);

/*
 * fcfg_build with FLAGS:
 *   FCFG_NO_ANCHORS  no AnchorPeers values: the channel as created, before
 *                    each org sets its own anchor peers by a config update
 *                    (Fabric 2.x's way; docs/fabric-updates.md).
 * fcfg_build(...) is fcfg_build_flags(..., 0, ...).
 */
#define FCFG_NO_ANCHORS	0x1
Common__Config *fcfg_build_flags(const json_t *topo, const char *channel,
    const json_t *orgs, unsigned flags, char **cause);

/* Frees a tree from fcfg_build (or common__config__unpack). NULL is a no-op. */
void fcfg_free(Common__Config *);

/* The tree's encoding; *len gets its size. Caller frees. */
uint8_t *fcfg_pack(const Common__Config *, size_t *len);

/* Borrowed lookups in a tree; NULL when absent. */
Common__ConfigGroup *fcfg_group(const Common__ConfigGroup *, const char *key);
Common__ConfigValue *fcfg_value(const Common__ConfigGroup *, const char *key);
Common__ConfigPolicy *fcfg_policy(const Common__ConfigGroup *, const char *key);

/*
 * A copy of a protobuf-c message through its encoding (free it with its
 * type's free_unpacked), or NULL when the encoding does not decode.
 */
void *fcfg_msg_copy(const ProtobufCMessage *);

/*
 * Edits of a tree: G's group KEY set to a copy of SUB, or G's value KEY to
 * a copy of V; NULL removes the entry (absent: nothing to do). A new entry
 * goes in key order, as fcfg_build sorts them. Returns 0, or -1 when the
 * copy fails (G unchanged).
 */
int fcfg_set_group(Common__ConfigGroup *g, const char *key,
    const Common__ConfigGroup *sub);
int fcfg_set_value(Common__ConfigGroup *g, const char *key,
    const Common__ConfigValue *v);

/*
 * The DER of the first PEM certificate in PEM (LEN bytes, at most
 * FCFG_MAX_CERT_BYTES), or NULL when there is none. Caller frees; *derlen
 * gets its size.
 */
uint8_t *fcfg_cert_der(const void *pem, size_t len, size_t *derlen);

#endif
