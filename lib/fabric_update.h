/*
 * fabric_update.h: channel config updates as Fabric 2.5 computes, signs
 * and checks them (docs/fabric-updates.md).
 *
 *  - fupd_compute: the ConfigUpdate (read set, write set, versions) that
 *    turns one common.Config into another, with exactly the semantics of
 *    configtxlator's compute_update (internal/configtxlator/update).
 *  - fupd_signature_header, fupd_signing_bytes, fupd_envelope: a
 *    ConfigSignature is ECDSA over signature_header || config_update, where
 *    signature_header is a marshalled SignatureHeader{creator: marshalled
 *    msp.SerializedIdentity{mspid, id_bytes: PEM certificate}, nonce}.
 *  - fupd_open: the reverse, an envelope parsed and every signature
 *    verified (low-S) against its creator's certificate.
 *  - fupd_check: whether everything an update writes is what the desired
 *    config (fcfg_build of the topology) holds; the signer's rule.
 *    fupd_check_live: the same, knowing the live config, so that one of
 *    several declared changes of a membership can be made at a time.
 *
 * The check rule, and why. The orderer applies an update as follows
 * (common/configtx/update.go): every element of the write set that is not
 * in the read set at the same version is a change (the "delta set") and
 * replaces the element at its path; a group that changes has exactly the
 * write set's keys of groups, values and policies afterwards (children it
 * does not change appear in the write set with only their version); an
 * element in both sets at the same version is only a reference. The check
 * therefore refuses, naming the path:
 *  - a value or policy that is a change, or that carries content (value
 *    bytes, a policy), and differs from the desired one at the same path in
 *    its content or mod_policy: whatever the signature makes the orderer
 *    write must be what the topology says;
 *  - a group that is a change (its write set version differs from its read
 *    set version, or it is absent from the read set) whose keys of groups,
 *    values or policies are not exactly the desired group's, or whose
 *    mod_policy differs: that is how orgs, consenters' orgs and values are
 *    added and removed;
 *  - any element of the write set the desired config lacks, a key used
 *    twice in one map (Fabric's maps keep one of them; which is not ours to
 *    guess), a key that is not a Fabric config ID, and isolated_data (not
 *    part of the config; fabfed never writes it).
 * Elements the update does not touch are not compared: a signer approves
 * the change in hand, not the rest of the channel. The channel ID is not in
 * a Config: callers compare update->channel_id with theirs (the signer
 * does).
 */
#ifndef FABFED_FABRIC_UPDATE_H
#define FABFED_FABRIC_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/configtx.pb-c.h"

#define FUPD_NONCE_LEN		24                   /* protoutil.CreateNonce */
#define FUPD_MAX_NONCE		64                   /* accepted from outside */
#define FUPD_MAX_DEPTH		16                   /* nested groups; Fabric's trees are 4 deep */
#define FUPD_MAX_UPDATE		(10 * 1024 * 1024)   /* Fabric's default AbsoluteMaxBytes */
#define FUPD_MAX_ENVELOPE	(10 * 1024 * 1024)
#define FUPD_MAX_SIGNATURES	256
#define FUPD_MAX_HEADER		(80 * 1024)          /* a SignatureHeader: one certificate */
#define FUPD_MAX_KEY		249                  /* Fabric's config ID limit */

/*
 * The update that turns ORIGINAL into UPDATED, for channel CHANNEL_ID, as
 * configtxlator compute_update makes it; map entries sorted by key. Returns
 * an update the caller frees with fupd_free, or NULL and *cause (a
 * sentence, caller frees), e.g. "no differences detected between original
 * and updated config". Borrows its arguments.
 */
Common__ConfigUpdate *fupd_compute(const Common__Config *original,
    const Common__Config *updated, const char *channel_id, char **cause);

/* Frees an update from fupd_compute or fupd_decode. NULL is a no-op. */
void fupd_free(Common__ConfigUpdate *);

/* The update's encoding; *len gets its size. Caller frees. */
uint8_t *fupd_pack(const Common__ConfigUpdate *, size_t *len);

/*
 * Decodes LEN bytes (at most FUPD_MAX_UPDATE) of a marshalled ConfigUpdate
 * from outside: groups nested at most FUPD_MAX_DEPTH deep (checked on the
 * wire before unpacking), and the bytes must be the canonical encoding of
 * what they decode to (no unknown fields, no NUL inside a string, nothing
 * encoded twice), so what is checked is what Fabric reads. Returns an
 * update (fupd_free) or NULL and *cause.
 */
Common__ConfigUpdate *fupd_decode(const uint8_t *data, size_t len,
    char **cause);

/*
 * A marshalled SignatureHeader{creator: SerializedIdentity{MSPID,
 * id_bytes: CERT_PEM}, nonce}. NONCE is FUPD_NONCE_LEN bytes, or NULL for
 * fresh random ones. Returns the bytes (caller frees) and *len, or NULL
 * when the random generator fails.
 */
uint8_t *fupd_signature_header(const char *mspid, const char *cert_pem,
    const uint8_t *nonce, size_t *len);

/* HEADER || UPDATE, what a ConfigSignature signs. Caller frees. */
uint8_t *fupd_signing_bytes(const uint8_t *header, size_t header_len,
    const uint8_t *update, size_t update_len, size_t *len);

/* One ConfigSignature: both borrowed. */
struct fupd_sig {
	const uint8_t *header;  /* marshalled SignatureHeader */
	size_t header_len;
	const uint8_t *sig;     /* DER ECDSA, low-S */
	size_t sig_len;
};

/*
 * A marshalled ConfigUpdateEnvelope{config_update: UPDATE, signatures:
 * SIGS in order}. Caller frees; *len gets the size.
 */
uint8_t *fupd_envelope(const uint8_t *update, size_t update_len,
    const struct fupd_sig *sigs, size_t nsigs, size_t *len);

/* What fupd_open found. Owned; fupd_opened_clear frees. */
struct fupd_opened {
	Common__ConfigUpdate *update;  /* the decoded config_update */
	uint8_t *update_bytes;         /* as signed */
	size_t update_len;
	char **mspids;                 /* each signature's creator MSP ID, in order */
	char **certs;                  /* each creator's PEM certificate */
	size_t nsigs;
};

/*
 * Parses LEN bytes (at most MAX, which is at most FUPD_MAX_ENVELOPE) of a
 * marshalled ConfigUpdateEnvelope and verifies each of its at most
 * FUPD_MAX_SIGNATURES ConfigSignatures with sig_verify (valid and low-S)
 * against the certificate its creator names. The MSP IDs are what the
 * creators claim: whether a certificate belongs to that MSP is the
 * channel's MSP check (the orderer's), not made here. Returns 0 and fills
 * *out, or -1 with *cause naming the signature at fault.
 */
int fupd_open(const uint8_t *data, size_t len, size_t max,
    struct fupd_opened *out, char **cause);
void fupd_opened_clear(struct fupd_opened *);

/*
 * Whether every change UPDATE writes is what DESIRED holds (the rule
 * above). Returns 0, or -1 with *reason (a sentence naming the path,
 * caller frees). Borrows its arguments.
 */
int fupd_check(const Common__ConfigUpdate *update,
    const Common__Config *desired, char **reason);

/*
 * fupd_check made against the channel's live config too: LIVE NULL is
 * exactly fupd_check. With LIVE, a group the update rewrites (a change of
 * membership) need not have all of DESIRED's keys: what it writes and
 * LIVE's group lacks must be declared (and is then checked against
 * DESIRED as fupd_check does), what LIVE's group has and the update drops
 * must not be declared, and a declared key in neither is a change still
 * to come (the document declares several; they are made one after the
 * other). What the update keeps of LIVE that DESIRED no longer declares
 * may stay only as a reference. Orderer/ConsensusType (etcdraft) and each
 * orderer org's Endpoints follow the same rule for their consenters and
 * addresses (byte-equal elements), with everything else in them DESIRED's
 * (type, state, Raft options) and their encoding canonical; every other
 * element the update changes is byte-equal to DESIRED's, as in
 * fupd_check. LIVE is borrowed and only its keys and those two values are
 * read, so fupd_live_outline's form of it is enough.
 */
int fupd_check_live(const Common__ConfigUpdate *update,
    const Common__Config *desired, const Common__Config *live,
    char **reason);

/*
 * LIVE as fupd_check_live reads it, marshalled: every value's bytes
 * except ConsensusType and Endpoints, and every policy's rule, left out
 * (the MSPs are most of a config's size). Caller frees; *len gets the
 * size. NULL when LIVE has no channel group or nests deeper than
 * FUPD_MAX_DEPTH.
 */
uint8_t *fupd_live_outline(const Common__Config *live, size_t *len);

/*
 * Decodes LEN bytes (at most FUPD_MAX_UPDATE) of a marshalled Config from
 * outside (a live config): groups nested at most FUPD_MAX_DEPTH deep
 * (checked on the wire first), a channel group present. Not required to
 * be canonical (Fabric marshals maps in random order). Returns a config
 * (fcfg_free) or NULL and *cause.
 */
Common__Config *fupd_decode_config(const uint8_t *data, size_t len,
    char **cause);

/*
 * The desired config of channel CHANNEL: fcfg_build(TOPO, CHANNEL, ORGS).
 * Caller frees with fcfg_free; NULL and *cause on failure.
 */
Common__Config *fupd_desired(const json_t *topo, const char *channel,
    const json_t *orgs, char **cause);

/*
 * Text from a config or an update fit for a reason: printable ASCII, at
 * most 64 characters, the rest '?' (a reason travels as JSON: it must be
 * valid UTF-8); NULL reads as "". Caller frees.
 */
char *fupd_safe(const char *s);

#endif
