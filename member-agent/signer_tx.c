/*
 * signer_tx.c: the signer's checks for joining the org's peers to a
 * channel and for read-only requests to its own nodes (see signer_tx.h).
 *
 * Each check decodes the exact bytes it is asked to sign, layer by layer
 * as Fabric will read them, and refuses with a sentence at the first
 * thing that is not what the kind allows. The decoded messages are
 * freed on every path; nothing from the payload is logged here (the
 * signer logs the payload's SHA-256).
 */
#include "signer_tx.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/common.pb-c.h"
#include "common/configtx.pb-c.h"
#include "fabric_config.h"
#include "fabric_tx.h"
#include "log.h"
#include "msp/identities.pb-c.h"
#include "orderer/ab.pb-c.h"
#include "peer/chaincode.pb-c.h"
#include "peer/proposal.pb-c.h"
#include "signer.h"
#include "topology.h"
#include "xmalloc.h"

#define STX_MAX_NAME	250	/* a Fabric channel name is shorter */

/* The signer's own identity: MSP ID and certificate DER. */
static char *stx_mspid;
static unsigned char *stx_der;
static int stx_derlen;

/* The layers of a signed header, decoded. */
struct stx_header {
	Common__Header *hdr;            /* a Proposal's (NULL for a Payload's) */
	const Common__Header *h;        /* the one read */
	Common__ChannelHeader *ch;
	Common__SignatureHeader *sh;
};

/* The chaincode call of a Proposal, decoded. */
struct stx_call {
	Protos__ChaincodeProposalPayload *cpp;
	Protos__ChaincodeInvocationSpec *cis;
	const char *chaincode;
	size_t nargs;
	const ProtobufCBinaryData *args;
};

static unsigned char *
stx_cert_der(const void *pem, size_t len, int *derlen)
{
	unsigned char *der = NULL;
	BIO *bio;
	X509 *x = NULL;
	int n;

	*derlen = 0;
	if (len == 0 || len > FTX_MAX_CERT || len > INT32_MAX)
		return NULL;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return NULL;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x == NULL)
		return NULL;
	if ((n = i2d_X509(x, &der)) <= 0) {
		X509_free(x);
		return NULL;
	}
	X509_free(x);
	*derlen = n;
	return der;
}

int
signer_tx_set_identity(const char *mspid, const char *cert_pem, char **cause)
{
	unsigned char *der;
	int n;

	free(stx_mspid);
	stx_mspid = NULL;
	OPENSSL_free(stx_der);
	stx_der = NULL;
	stx_derlen = 0;
	if (mspid == NULL)
		return 0;
	if (cert_pem == NULL || (der = stx_cert_der(cert_pem,
	    strlen(cert_pem), &n)) == NULL) {
		*cause = xasprintf("the certificate of %s given to the Fabric "
		    "checks is not a PEM certificate", mspid);
		return -1;
	}
	stx_mspid = xstrdup(mspid);
	stx_der = der;
	stx_derlen = n;
	return 0;
}

static void
stx_header_free(struct stx_header *h)
{
	if (h->hdr != NULL)
		common__header__free_unpacked(h->hdr, NULL);
	if (h->ch != NULL)
		common__channel_header__free_unpacked(h->ch, NULL);
	if (h->sh != NULL)
		common__signature_header__free_unpacked(h->sh, NULL);
	memset(h, 0, sizeof(*h));
}

static void
stx_call_free(struct stx_call *c)
{
	if (c->cpp != NULL)
		protos__chaincode_proposal_payload__free_unpacked(c->cpp, NULL);
	if (c->cis != NULL)
		protos__chaincode_invocation_spec__free_unpacked(c->cis, NULL);
	memset(c, 0, sizeof(*c));
}

/*
 * Decodes h->h's channel and signature headers and checks that the creator
 * is the signer's own identity and that the tx_id is the one Fabric
 * computes from nonce and creator.
 */
static int
stx_header_check(struct stx_header *h, char **reason)
{
	Msp__SerializedIdentity *si = NULL;
	unsigned char *der = NULL;
	char txid[FTX_TXID_LEN + 1];
	int derlen, ret = -1;

	if (stx_mspid == NULL) {
		*reason = xstrdup("the signer's own identity is not known to the "
		    "Fabric checks, so no Fabric request can be signed");
		return -1;
	}
	if ((h->ch = common__channel_header__unpack(NULL,
	    h->h->channel_header.len, h->h->channel_header.data)) == NULL) {
		*reason = xstrdup("the channel header does not decode");
		goto done;
	}
	if ((h->sh = common__signature_header__unpack(NULL,
	    h->h->signature_header.len, h->h->signature_header.data)) == NULL) {
		*reason = xstrdup("the signature header does not decode");
		goto done;
	}
	if (h->sh->nonce.len == 0) {
		*reason = xstrdup("the signature header has no nonce");
		goto done;
	}
	if ((si = msp__serialized_identity__unpack(NULL, h->sh->creator.len,
	    h->sh->creator.data)) == NULL) {
		*reason = xstrdup("the creator is not a serialized identity");
		goto done;
	}
	if (si->mspid == NULL || strcmp(si->mspid, stx_mspid) != 0 ||
	    (der = stx_cert_der(si->id_bytes.data, si->id_bytes.len,
	    &derlen)) == NULL || derlen != stx_derlen ||
	    memcmp(der, stx_der, (size_t)derlen) != 0) {
		*reason = xasprintf("the creator is not this signer's identity "
		    "(an admin of %s with this signer's certificate)", stx_mspid);
		goto done;
	}
	ftx_txid(h->sh->nonce.data, h->sh->nonce.len, h->sh->creator.data,
	    h->sh->creator.len, txid);
	if (h->ch->tx_id == NULL || strcmp(h->ch->tx_id, txid) != 0) {
		*reason = xstrdup("the tx_id is not the SHA-256 of the nonce and "
		    "the creator");
		goto done;
	}
	ret = 0;
done:
	if (si != NULL)
		msp__serialized_identity__free_unpacked(si, NULL);
	OPENSSL_free(der);
	return ret;
}

/*
 * Decodes a Proposal (header and chaincode call) and checks its header.
 * A proposal to the peer itself names no channel.
 */
static int
stx_proposal(const unsigned char *p, size_t len, struct stx_header *h,
    struct stx_call *c, char **reason)
{
	Protos__Proposal *prop;
	int ret = -1;

	if ((prop = protos__proposal__unpack(NULL, len, p)) == NULL) {
		*reason = xstrdup("the payload is not a Fabric proposal");
		return -1;
	}
	if ((h->hdr = common__header__unpack(NULL, prop->header.len,
	    prop->header.data)) == NULL) {
		*reason = xstrdup("the proposal's header does not decode");
		goto done;
	}
	h->h = h->hdr;
	if (stx_header_check(h, reason) != 0)
		goto done;
	if (h->ch->channel_id != NULL && *h->ch->channel_id != '\0') {
		*reason = xstrdup("the proposal names a channel; these system "
		    "chaincode calls are made to the peer itself");
		goto done;
	}
	if (prop->extension.len != 0) {
		*reason = xstrdup("the proposal has an extension, which these "
		    "calls never carry");
		goto done;
	}
	if ((c->cpp = protos__chaincode_proposal_payload__unpack(NULL,
	    prop->payload.len, prop->payload.data)) == NULL ||
	    (c->cis = protos__chaincode_invocation_spec__unpack(NULL,
	    c->cpp->input.len, c->cpp->input.data)) == NULL ||
	    c->cis->chaincode_spec == NULL ||
	    c->cis->chaincode_spec->chaincode_id == NULL ||
	    c->cis->chaincode_spec->input == NULL) {
		*reason = xstrdup("the proposal's payload is not a chaincode "
		    "invocation");
		goto done;
	}
	if (c->cpp->n_transientmap != 0) {
		*reason = xstrdup("the proposal carries transient data, which "
		    "these calls never carry");
		goto done;
	}
	c->chaincode = c->cis->chaincode_spec->chaincode_id->name;
	c->nargs = c->cis->chaincode_spec->input->n_args;
	c->args = c->cis->chaincode_spec->input->args;
	ret = 0;
done:
	protos__proposal__free_unpacked(prop, NULL);
	return ret;
}

static int
stx_arg_is(const ProtobufCBinaryData *a, const char *s)
{
	size_t n = strlen(s);

	return a->len == n && memcmp(a->data, s, n) == 0;
}

/* A copy of a channel name that has only [a-z0-9.-]. Caller frees. */
static char *
stx_channel_name(const char *s)
{
	if (s == NULL || topology_valid_channel_name(s) != 0)
		return NULL;
	return xstrdup(s);
}

/* 1 when the topology's channel name lists mspid among its members. */
static int
stx_topology_member(const json_t *topo, const char *channel, const char *mspid,
    int *declared)
{
	json_t *chs, *ch, *m;
	size_t i, j;

	*declared = 0;
	chs = json_object_get(json_object_get(topo, "spec"), "channels");
	json_array_foreach(chs, i, ch) {
		const char *name = json_string_value(json_object_get(ch, "name"));

		if (name == NULL || strcmp(name, channel) != 0)
			continue;
		*declared = 1;
		json_array_foreach(json_object_get(ch, "members"), j, m) {
			const char *id = json_string_value(m);

			if (id != NULL && strcmp(id, mspid) == 0)
				return 1;
		}
	}
	return 0;
}

/*
 * The genesis config block of a channel: block 0 with one CONFIG envelope
 * whose config has an Application group. *channel (caller frees).
 */
static int
stx_genesis_block(const ProtobufCBinaryData *raw, const char *mspid,
    char **channel, char **reason)
{
	Common__Block *b;
	Common__Envelope *env = NULL;
	Common__Payload *pl = NULL;
	Common__ChannelHeader *ch = NULL;
	Common__ConfigEnvelope *ce = NULL;
	int ret = -1;

	*channel = NULL;
	if ((b = common__block__unpack(NULL, raw->len, raw->data)) == NULL ||
	    b->header == NULL || b->data == NULL) {
		*reason = xstrdup("the JoinChain block does not decode");
		goto done;
	}
	if (b->header->number != 0 || b->data->n_data != 1) {
		*reason = xasprintf("the JoinChain block is block %llu with %zu "
		    "envelopes, not a channel's genesis block",
		    (unsigned long long)b->header->number, b->data->n_data);
		goto done;
	}
	if ((env = common__envelope__unpack(NULL, b->data->data[0].len,
	    b->data->data[0].data)) == NULL ||
	    (pl = common__payload__unpack(NULL, env->payload.len,
	    env->payload.data)) == NULL || pl->header == NULL ||
	    (ch = common__channel_header__unpack(NULL,
	    pl->header->channel_header.len,
	    pl->header->channel_header.data)) == NULL) {
		*reason = xstrdup("the JoinChain block's envelope does not "
		    "decode");
		goto done;
	}
	if (ch->type != FTX_HDR_CONFIG) {
		*reason = xasprintf("the JoinChain block holds a type %d "
		    "envelope, not a channel config", ch->type);
		goto done;
	}
	if ((*channel = stx_channel_name(ch->channel_id)) == NULL) {
		*reason = xstrdup("the JoinChain block's channel ID is not a "
		    "valid channel name");
		goto done;
	}
	if ((ce = common__config_envelope__unpack(NULL, pl->data.len,
	    pl->data.data)) == NULL || ce->config == NULL ||
	    ce->config->channel_group == NULL) {
		*reason = xasprintf("the JoinChain block of channel %s holds no "
		    "channel config", *channel);
		goto done;
	}
	/*
	 * The block need not list this org: an org added to a channel later
	 * joins its peers with the channel's block 0 too (a peer starts its
	 * ledger there and pulls the rest, the update that added its org
	 * among them). That this org belongs to the channel is the topology's
	 * word, checked by the caller.
	 */
	if (fcfg_group(ce->config->channel_group, "Application") == NULL) {
		*reason = xasprintf("the config of channel %s in the JoinChain "
		    "block has no Application group", *channel);
		goto done;
	}
	(void)mspid;
	ret = 0;
done:
	if (ret != 0) {
		free(*channel);
		*channel = NULL;
	}
	if (ce != NULL)
		common__config_envelope__free_unpacked(ce, NULL);
	if (ch != NULL)
		common__channel_header__free_unpacked(ch, NULL);
	if (pl != NULL)
		common__payload__free_unpacked(pl, NULL);
	if (env != NULL)
		common__envelope__free_unpacked(env, NULL);
	if (b != NULL)
		common__block__free_unpacked(b, NULL);
	return ret;
}

int
signer_tx_check_join(const json_t *context, const unsigned char *payload,
    size_t len, char **reason)
{
	struct stx_header h;
	struct stx_call c;
	const json_t *topo;
	char *channel = NULL;
	int ret = -1, declared;

	memset(&h, 0, sizeof(h));
	memset(&c, 0, sizeof(c));
	topo = json_object_get(context, "topology");
	if (!json_is_object(topo)) {
		*reason = xstrdup("a JoinChain request needs the consortium's "
		    "topology in its context (\"topology\")");
		goto done;
	}
	if (stx_proposal(payload, len, &h, &c, reason) != 0)
		goto done;
	if (h.ch->type != FTX_HDR_CONFIG) {
		*reason = xasprintf("a JoinChain proposal has header type CONFIG "
		    "(1), not %d", h.ch->type);
		goto done;
	}
	if (c.chaincode == NULL || strcmp(c.chaincode, "cscc") != 0 ||
	    c.nargs != 2 || !stx_arg_is(&c.args[0], "JoinChain")) {
		*reason = xstrdup("the proposal is not a cscc JoinChain with one "
		    "block");
		goto done;
	}
	if (topology_find_org(topo, stx_mspid) == NULL) {
		*reason = xasprintf("the consortium's topology has no org %s",
		    stx_mspid);
		goto done;
	}
	if (stx_genesis_block(&c.args[1], stx_mspid, &channel, reason) != 0)
		goto done;
	if (!stx_topology_member(topo, channel, stx_mspid, &declared)) {
		*reason = declared ? xasprintf("channel %s does not list %s "
		    "among its members in the consortium's topology", channel,
		    stx_mspid) : xasprintf("the consortium's topology declares "
		    "no channel %s", channel);
		goto done;
	}
	ret = 0;
done:
	free(channel);
	stx_call_free(&c);
	stx_header_free(&h);
	return ret;
}

/* A DELIVER_SEEK_INFO Payload from our own identity. */
static int
stx_check_seek(const Common__Payload *pl, struct stx_header *h, char **reason)
{
	Orderer__SeekInfo *si;

	if (h->ch->channel_id == NULL ||
	    topology_valid_channel_name(h->ch->channel_id) != 0) {
		*reason = xstrdup("the seek names no valid channel");
		return -1;
	}
	if ((si = orderer__seek_info__unpack(NULL, pl->data.len,
	    pl->data.data)) == NULL || si->start == NULL || si->stop == NULL) {
		if (si != NULL)
			orderer__seek_info__free_unpacked(si, NULL);
		*reason = xstrdup("the seek's data is not a SeekInfo with a start "
		    "and a stop");
		return -1;
	}
	orderer__seek_info__free_unpacked(si, NULL);
	return 0;
}

int
signer_tx_check_read(const json_t *context, const unsigned char *payload,
    size_t len, char **reason)
{
	Common__Payload *pl;
	Common__ChannelHeader *ch;
	struct stx_header h;
	struct stx_call c;
	int ret = -1, type;

	memset(&h, 0, sizeof(h));
	memset(&c, 0, sizeof(c));
	/*
	 * An envelope's Payload and a Proposal both start with field 1, the
	 * Header (embedded in one, marshalled bytes in the other: the same
	 * wire). Its channel header's type says which one this is.
	 */
	if ((pl = common__payload__unpack(NULL, len, payload)) == NULL ||
	    pl->header == NULL || (ch = common__channel_header__unpack(NULL,
	    pl->header->channel_header.len,
	    pl->header->channel_header.data)) == NULL) {
		if (pl != NULL)
			common__payload__free_unpacked(pl, NULL);
		*reason = xstrdup("the payload is neither a Fabric envelope "
		    "payload nor a proposal with a channel header");
		return -1;
	}
	type = ch->type;
	common__channel_header__free_unpacked(ch, NULL);

	if (type == FTX_HDR_DELIVER_SEEK_INFO) {
		h.h = pl->header;
		if (stx_header_check(&h, reason) != 0 ||
		    stx_check_seek(pl, &h, reason) != 0)
			goto done;
		ret = 0;
		goto done;
	}
	if (type != FTX_HDR_ENDORSER_TRANSACTION) {
		*reason = xasprintf("a header of type %d is not a read-only "
		    "request (DELIVER_SEEK_INFO, or a GetChannels or GetChainInfo "
		    "proposal)", type);
		goto done;
	}
	if (stx_proposal(payload, len, &h, &c, reason) != 0)
		goto done;
	if (c.chaincode != NULL && strcmp(c.chaincode, "cscc") == 0 &&
	    c.nargs == 1 && stx_arg_is(&c.args[0], "GetChannels")) {
		ret = 0;
		goto done;
	}
	if (c.chaincode != NULL && strcmp(c.chaincode, "qscc") == 0 &&
	    c.nargs == 2 && stx_arg_is(&c.args[0], "GetChainInfo")) {
		ret = 0;
		goto done;
	}
	*reason = xstrdup("the proposal is neither a cscc GetChannels nor a "
	    "qscc GetChainInfo, the only read-only proposals signed");
done:
	(void)context;
	stx_call_free(&c);
	stx_header_free(&h);
	common__payload__free_unpacked(pl, NULL);
	return ret;
}

void
signer_tx_register(void)
{
	/* Start-up only: a kind that cannot be registered is a build bug. */
	if (signer_register_kind(SIGNER_TX_JOIN_CHAIN,
	    signer_tx_check_join) != 0 ||
	    signer_register_kind(SIGNER_TX_CHANNEL_READ,
	    signer_tx_check_read) != 0)
		fatalx("cannot register the Fabric signer kinds (already "
		    "registered, or the table is full)");
}
