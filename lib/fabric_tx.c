/*
 * fabric_tx.c: signed envelopes and proposals for the org's own Fabric
 * nodes, as Fabric 2.5's protoutil makes them (see fabric_tx.h). The
 * structure of each message is built with the protobuf-c code generated
 * from proto/fabric; the bytes handed to the signing callback are exactly
 * the bytes Fabric verifies.
 */
#include "fabric_tx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/common.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "msp/identities.pb-c.h"
#include "orderer/ab.pb-c.h"
#include "peer/chaincode.pb-c.h"
#include "peer/proposal.pb-c.h"
#include "peer/proposal_response.pb-c.h"
#include "log.h"
#include "xmalloc.h"

#define FTX_MAX_ARGS	16
#define FTX_MAX_NAME	256	/* bytes of a chaincode or channel name */

/* The message's encoding; *len its size. Caller frees. */
static uint8_t *
ftx_pack(const ProtobufCMessage *m, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *out = xmalloc(n > 0 ? n : 1);

	*len = protobuf_c_message_pack(m, out);
	return out;
}

static int
ftx_identity_ok(const struct ftx_identity *id, char **cause)
{
	size_t n;

	if (id == NULL || id->mspid == NULL || id->cert_pem == NULL) {
		*cause = xstrdup("no signing identity was given (an MSP ID and a "
		    "PEM certificate)");
		return -1;
	}
	n = strnlen(id->mspid, FTX_MAX_MSPID + 1);
	if (n == 0 || n > FTX_MAX_MSPID) {
		*cause = xasprintf("the signer's MSP ID must be 1 to %d bytes",
		    FTX_MAX_MSPID);
		return -1;
	}
	n = strnlen(id->cert_pem, FTX_MAX_CERT + 1);
	if (n > FTX_MAX_CERT || strstr(id->cert_pem, "-----BEGIN") == NULL) {
		*cause = xasprintf("the signer's certificate of %s is not a PEM "
		    "certificate of at most %d bytes", id->mspid, FTX_MAX_CERT);
		return -1;
	}
	return 0;
}

uint8_t *
ftx_creator(const struct ftx_identity *id, size_t *len)
{
	Msp__SerializedIdentity si = MSP__SERIALIZED_IDENTITY__INIT;

	si.mspid = (char *)id->mspid;
	si.id_bytes.data = (uint8_t *)id->cert_pem;
	si.id_bytes.len = strlen(id->cert_pem);
	return ftx_pack(&si.base, len);
}

void
ftx_txid(const uint8_t *nonce, size_t nonce_len, const uint8_t *creator,
    size_t creator_len, char out[FTX_TXID_LEN + 1])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	size_t i;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, nonce, nonce_len) != 1 ||
	    EVP_DigestUpdate(ctx, creator, creator_len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != sizeof(md))
		/* SHA-256 of memory fails only with a broken OpenSSL. */
		fatalx("%s: SHA-256 failed", __func__);
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < sizeof(md); i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/*
 * The marshalled SignatureHeader{creator, fresh nonce} and the tx_id that
 * goes with it. Returns 0 or -1 with *cause.
 */
static int
ftx_sig_header(const struct ftx_identity *id, uint8_t **shdr, size_t *shdr_len,
    char txid[FTX_TXID_LEN + 1], char **cause)
{
	Common__SignatureHeader sh = COMMON__SIGNATURE_HEADER__INIT;
	uint8_t nonce[FTX_NONCE_LEN], *creator;
	size_t clen;

	if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
		*cause = xstrdup("cannot draw a random nonce (OpenSSL's RAND_bytes "
		    "failed)");
		return -1;
	}
	creator = ftx_creator(id, &clen);
	ftx_txid(nonce, sizeof(nonce), creator, clen, txid);
	sh.creator.data = creator;
	sh.creator.len = clen;
	sh.nonce.data = nonce;
	sh.nonce.len = sizeof(nonce);
	*shdr = ftx_pack(&sh.base, shdr_len);
	free(creator);
	return 0;
}

/* Calls the signer and checks that it answered something. */
static int
ftx_sign(ftx_sign_fn sign, void *arg, const uint8_t *msg, size_t len,
    uint8_t **sig, size_t *siglen, char **cause)
{
	char *why = NULL;

	*sig = NULL;
	*siglen = 0;
	if (sign(arg, msg, len, sig, siglen, &why) != 0) {
		*cause = xasprintf("signing failed: %s", why != NULL ? why :
		    "the signer gave no reason");
		free(why);
		free(*sig);
		*sig = NULL;
		return -1;
	}
	free(why);
	if (*sig == NULL || *siglen == 0) {
		free(*sig);
		*sig = NULL;
		*cause = xstrdup("signing failed: the signer returned an empty "
		    "signature");
		return -1;
	}
	return 0;
}

uint8_t *
ftx_envelope(int type, const char *channel_id, const uint8_t *data, size_t len,
    const uint8_t *tls_cert_hash, const struct ftx_identity *id,
    ftx_sign_fn sign, void *arg, size_t *out_len, char **cause)
{
	Common__ChannelHeader ch = COMMON__CHANNEL_HEADER__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Common__Header hdr = COMMON__HEADER__INIT;
	Common__Payload pl = COMMON__PAYLOAD__INIT;
	Common__Envelope env = COMMON__ENVELOPE__INIT;
	uint8_t *shdr = NULL, *chdr = NULL, *payload = NULL, *sig = NULL;
	uint8_t *out = NULL;
	size_t shdr_len, chdr_len, payload_len, siglen;
	char txid[FTX_TXID_LEN + 1];

	*out_len = 0;
	if (ftx_identity_ok(id, cause) != 0)
		goto done;
	if (channel_id == NULL || strnlen(channel_id, FTX_MAX_NAME) ==
	    FTX_MAX_NAME) {
		*cause = xasprintf("a channel ID of less than %d bytes is needed",
		    FTX_MAX_NAME);
		goto done;
	}
	if (sign == NULL) {
		*cause = xstrdup("no signing function was given");
		goto done;
	}
	if (ftx_sig_header(id, &shdr, &shdr_len, txid, cause) != 0)
		goto done;

	/* protoutil.MakeChannelHeader: seconds now, nanos 0. */
	ts.seconds = (int64_t)time(NULL);
	ch.type = type;
	ch.version = 0;
	ch.timestamp = &ts;
	ch.channel_id = (char *)channel_id;
	ch.tx_id = txid;
	ch.epoch = 0;
	if (tls_cert_hash != NULL) {
		ch.tls_cert_hash.data = (uint8_t *)tls_cert_hash;
		ch.tls_cert_hash.len = FTX_TLS_HASH_LEN;
	}
	chdr = ftx_pack(&ch.base, &chdr_len);

	hdr.channel_header.data = chdr;
	hdr.channel_header.len = chdr_len;
	hdr.signature_header.data = shdr;
	hdr.signature_header.len = shdr_len;
	pl.header = &hdr;
	pl.data.data = (uint8_t *)data;
	pl.data.len = data != NULL ? len : 0;
	payload = ftx_pack(&pl.base, &payload_len);

	if (ftx_sign(sign, arg, payload, payload_len, &sig, &siglen, cause) != 0)
		goto done;
	env.payload.data = payload;
	env.payload.len = payload_len;
	env.signature.data = sig;
	env.signature.len = siglen;
	out = ftx_pack(&env.base, out_len);
done:
	free(shdr);
	free(chdr);
	free(payload);
	free(sig);
	return out;
}

static void
ftx_seek_pos(Orderer__SeekPosition *p, const struct ftx_seek *s,
    Orderer__SeekNewest *newest, Orderer__SeekOldest *oldest,
    Orderer__SeekSpecified *spec)
{
	switch (s->kind) {
	case FTX_SEEK_NEWEST:
		p->type_case = ORDERER__SEEK_POSITION__TYPE_NEWEST;
		p->newest = newest;
		break;
	case FTX_SEEK_OLDEST:
		p->type_case = ORDERER__SEEK_POSITION__TYPE_OLDEST;
		p->oldest = oldest;
		break;
	case FTX_SEEK_SPECIFIED:
		spec->number = s->number;
		p->type_case = ORDERER__SEEK_POSITION__TYPE_SPECIFIED;
		p->specified = spec;
		break;
	}
}

uint8_t *
ftx_seek_info(const char *channel, const struct ftx_seek *start,
    const struct ftx_seek *stop, enum ftx_seek_behavior behavior,
    int best_effort, const uint8_t *tls_cert_hash,
    const struct ftx_identity *id, ftx_sign_fn sign, void *arg,
    size_t *out_len, char **cause)
{
	Orderer__SeekNewest newest = ORDERER__SEEK_NEWEST__INIT;
	Orderer__SeekOldest oldest = ORDERER__SEEK_OLDEST__INIT;
	Orderer__SeekSpecified sp1 = ORDERER__SEEK_SPECIFIED__INIT;
	Orderer__SeekSpecified sp2 = ORDERER__SEEK_SPECIFIED__INIT;
	Orderer__SeekPosition p1 = ORDERER__SEEK_POSITION__INIT;
	Orderer__SeekPosition p2 = ORDERER__SEEK_POSITION__INIT;
	Orderer__SeekInfo si = ORDERER__SEEK_INFO__INIT;
	uint8_t *data, *out;
	size_t len;

	*out_len = 0;
	if (start == NULL || stop == NULL ||
	    start->kind > FTX_SEEK_SPECIFIED || stop->kind > FTX_SEEK_SPECIFIED) {
		*cause = xstrdup("a seek needs a start and a stop position "
		    "(newest, oldest or a block number)");
		return NULL;
	}
	if (start->kind == FTX_SEEK_SPECIFIED &&
	    stop->kind == FTX_SEEK_SPECIFIED && stop->number < start->number) {
		*cause = xasprintf("a seek from block %llu to block %llu goes "
		    "backwards", (unsigned long long)start->number,
		    (unsigned long long)stop->number);
		return NULL;
	}
	if (behavior != FTX_BLOCK_UNTIL_READY &&
	    behavior != FTX_FAIL_IF_NOT_READY) {
		*cause = xstrdup("unknown seek behavior");
		return NULL;
	}
	ftx_seek_pos(&p1, start, &newest, &oldest, &sp1);
	ftx_seek_pos(&p2, stop, &newest, &oldest, &sp2);
	si.start = &p1;
	si.stop = &p2;
	si.behavior = behavior == FTX_FAIL_IF_NOT_READY ?
	    ORDERER__SEEK_INFO__SEEK_BEHAVIOR__FAIL_IF_NOT_READY :
	    ORDERER__SEEK_INFO__SEEK_BEHAVIOR__BLOCK_UNTIL_READY;
	si.error_response = best_effort ?
	    ORDERER__SEEK_INFO__SEEK_ERROR_RESPONSE__BEST_EFFORT :
	    ORDERER__SEEK_INFO__SEEK_ERROR_RESPONSE__STRICT;
	data = ftx_pack(&si.base, &len);
	out = ftx_envelope(FTX_HDR_DELIVER_SEEK_INFO, channel, data, len,
	    tls_cert_hash, id, sign, arg, out_len, cause);
	free(data);
	return out;
}

uint8_t *
ftx_proposal(const char *chaincode, const struct ftx_arg *args, size_t nargs,
    const char *channel, int header_type, const struct ftx_identity *id,
    ftx_sign_fn sign, void *arg, char *txid_out, size_t *out_len, char **cause)
{
	Protos__ChaincodeID ccid = PROTOS__CHAINCODE_ID__INIT;
	Protos__ChaincodeInput input = PROTOS__CHAINCODE_INPUT__INIT;
	Protos__ChaincodeSpec spec = PROTOS__CHAINCODE_SPEC__INIT;
	Protos__ChaincodeInvocationSpec cis = PROTOS__CHAINCODE_INVOCATION_SPEC__INIT;
	Protos__ChaincodeProposalPayload cpp = PROTOS__CHAINCODE_PROPOSAL_PAYLOAD__INIT;
	Protos__ChaincodeHeaderExtension ext = PROTOS__CHAINCODE_HEADER_EXTENSION__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Common__ChannelHeader ch = COMMON__CHANNEL_HEADER__INIT;
	Common__Header hdr = COMMON__HEADER__INIT;
	Protos__Proposal prop = PROTOS__PROPOSAL__INIT;
	Protos__SignedProposal sp = PROTOS__SIGNED_PROPOSAL__INIT;
	ProtobufCBinaryData bargs[FTX_MAX_ARGS];
	uint8_t *cis_b = NULL, *cpp_b = NULL, *ext_b = NULL, *chdr = NULL;
	uint8_t *shdr = NULL, *hdr_b = NULL, *prop_b = NULL, *sig = NULL;
	uint8_t *out = NULL;
	size_t cis_len, cpp_len, ext_len, chdr_len, shdr_len, hdr_len, prop_len;
	size_t siglen, i, n;
	struct timespec now;
	char txid[FTX_TXID_LEN + 1];

	*out_len = 0;
	if (ftx_identity_ok(id, cause) != 0)
		goto done;
	if (chaincode == NULL || (n = strnlen(chaincode, FTX_MAX_NAME)) == 0 ||
	    n == FTX_MAX_NAME) {
		*cause = xasprintf("a chaincode name of 1 to %d bytes is needed",
		    FTX_MAX_NAME - 1);
		goto done;
	}
	if (channel == NULL || strnlen(channel, FTX_MAX_NAME) == FTX_MAX_NAME) {
		*cause = xasprintf("a channel ID of less than %d bytes is needed "
		    "(\"\" for the peer itself)", FTX_MAX_NAME);
		goto done;
	}
	if (nargs == 0 || nargs > FTX_MAX_ARGS || args == NULL) {
		*cause = xasprintf("a chaincode call takes 1 to %d arguments "
		    "(the function name first)", FTX_MAX_ARGS);
		goto done;
	}
	if (sign == NULL) {
		*cause = xstrdup("no signing function was given");
		goto done;
	}
	for (i = 0; i < nargs; i++) {
		if (args[i].data == NULL && args[i].len != 0) {
			*cause = xasprintf("argument %zu has no bytes", i);
			goto done;
		}
		bargs[i].data = (uint8_t *)args[i].data;
		bargs[i].len = args[i].len;
	}

	/* CreateChaincodeProposalWithTxIDNonceAndTransient. */
	ccid.name = (char *)chaincode;
	input.args = bargs;
	input.n_args = nargs;
	spec.type = PROTOS__CHAINCODE_SPEC__TYPE__GOLANG;
	spec.chaincode_id = &ccid;
	spec.input = &input;
	cis.chaincode_spec = &spec;
	cis_b = ftx_pack(&cis.base, &cis_len);
	cpp.input.data = cis_b;
	cpp.input.len = cis_len;
	cpp_b = ftx_pack(&cpp.base, &cpp_len);
	ext.chaincode_id = &ccid;
	ext_b = ftx_pack(&ext.base, &ext_len);

	if (ftx_sig_header(id, &shdr, &shdr_len, txid, cause) != 0)
		goto done;
	if (clock_gettime(CLOCK_REALTIME, &now) != 0) {
		now.tv_sec = time(NULL);
		now.tv_nsec = 0;
	}
	ts.seconds = (int64_t)now.tv_sec;
	ts.nanos = (int32_t)now.tv_nsec;
	ch.type = header_type;
	ch.timestamp = &ts;
	ch.channel_id = (char *)channel;
	ch.tx_id = txid;
	ch.extension.data = ext_b;
	ch.extension.len = ext_len;
	ch.epoch = 0;
	chdr = ftx_pack(&ch.base, &chdr_len);
	hdr.channel_header.data = chdr;
	hdr.channel_header.len = chdr_len;
	hdr.signature_header.data = shdr;
	hdr.signature_header.len = shdr_len;
	hdr_b = ftx_pack(&hdr.base, &hdr_len);
	prop.header.data = hdr_b;
	prop.header.len = hdr_len;
	prop.payload.data = cpp_b;
	prop.payload.len = cpp_len;
	prop_b = ftx_pack(&prop.base, &prop_len);

	/* GetSignedProposal: the signature covers proposal_bytes. */
	if (ftx_sign(sign, arg, prop_b, prop_len, &sig, &siglen, cause) != 0)
		goto done;
	sp.proposal_bytes.data = prop_b;
	sp.proposal_bytes.len = prop_len;
	sp.signature.data = sig;
	sp.signature.len = siglen;
	out = ftx_pack(&sp.base, out_len);
	if (txid_out != NULL)
		memcpy(txid_out, txid, sizeof(txid));
done:
	free(cis_b);
	free(cpp_b);
	free(ext_b);
	free(chdr);
	free(shdr);
	free(hdr_b);
	free(prop_b);
	free(sig);
	return out;
}

uint8_t *
ftx_join_chain(const uint8_t *block, size_t block_len,
    const struct ftx_identity *id, ftx_sign_fn sign, void *arg,
    size_t *out_len, char **cause)
{
	struct ftx_arg a[2];

	if (block == NULL || block_len == 0) {
		*out_len = 0;
		*cause = xstrdup("joining a channel needs its genesis block");
		return NULL;
	}
	a[0].data = "JoinChain";
	a[0].len = strlen("JoinChain");
	a[1].data = block;
	a[1].len = block_len;
	/* internal/peer/channel/join.go: header type CONFIG, no channel. */
	return ftx_proposal("cscc", a, 2, "", FTX_HDR_CONFIG, id, sign, arg,
	    NULL, out_len, cause);
}

uint8_t *
ftx_get_channels(const struct ftx_identity *id, ftx_sign_fn sign, void *arg,
    size_t *out_len, char **cause)
{
	struct ftx_arg a = { "GetChannels", sizeof("GetChannels") - 1 };

	/* internal/peer/channel/list.go */
	return ftx_proposal("cscc", &a, 1, "", FTX_HDR_ENDORSER_TRANSACTION, id,
	    sign, arg, NULL, out_len, cause);
}

uint8_t *
ftx_get_chain_info(const char *channel, const struct ftx_identity *id,
    ftx_sign_fn sign, void *arg, size_t *out_len, char **cause)
{
	struct ftx_arg a[2];

	if (channel == NULL || *channel == '\0') {
		*out_len = 0;
		*cause = xstrdup("GetChainInfo needs a channel name");
		return NULL;
	}
	a[0].data = "GetChainInfo";
	a[0].len = strlen("GetChainInfo");
	a[1].data = channel;
	a[1].len = strlen(channel);
	/* internal/peer/channel/getinfo.go */
	return ftx_proposal("qscc", a, 2, "", FTX_HDR_ENDORSER_TRANSACTION, id,
	    sign, arg, NULL, out_len, cause);
}

/* A printable copy of at most max bytes: control bytes become '?'. */
static char *
ftx_printable(const char *s, size_t max)
{
	size_t i, n = strnlen(s, max);
	char *out = xstrndup(s, n);

	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
	return out;
}

int
ftx_proposal_response(const uint8_t *msg, size_t len, struct ftx_response *out,
    char **cause)
{
	Protos__ProposalResponse *pr;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if ((pr = protos__proposal_response__unpack(NULL, len, msg)) == NULL) {
		*cause = xasprintf("the peer's answer (%zu bytes) is not a "
		    "ProposalResponse", len);
		return -1;
	}
	if (pr->response == NULL) {
		*cause = xstrdup("the peer's ProposalResponse has no response");
		goto done;
	}
	out->status = pr->response->status;
	out->message = ftx_printable(pr->response->message != NULL ?
	    pr->response->message : "", FTX_MAX_MESSAGE);
	if (pr->response->payload.len > 0) {
		out->payload = xmalloc(pr->response->payload.len);
		memcpy(out->payload, pr->response->payload.data,
		    pr->response->payload.len);
		out->payload_len = pr->response->payload.len;
	}
	ret = 0;
done:
	protos__proposal_response__free_unpacked(pr, NULL);
	return ret;
}

void
ftx_response_clear(struct ftx_response *r)
{
	if (r == NULL)
		return;
	free(r->message);
	free(r->payload);
	memset(r, 0, sizeof(*r));
}

int
ftx_block_last_config(const Common__Block *b, uint64_t *index, char **cause)
{
	Common__Metadata *m = NULL;
	Common__OrdererBlockMetadata *obm = NULL;
	Common__LastConfig *lc = NULL;
	ProtobufCBinaryData slot;
	int ret = -1;

	if (b->metadata == NULL ||
	    b->metadata->n_metadata <= COMMON__BLOCK_METADATA_INDEX__SIGNATURES) {
		*cause = xstrdup("the block has no SIGNATURES metadata");
		return -1;
	}
	slot = b->metadata->metadata[COMMON__BLOCK_METADATA_INDEX__SIGNATURES];
	if ((m = common__metadata__unpack(NULL, slot.len, slot.data)) == NULL) {
		*cause = xstrdup("the block's SIGNATURES metadata does not decode");
		goto done;
	}
	if (m->value.len > 0) {
		if ((obm = common__orderer_block_metadata__unpack(NULL,
		    m->value.len, m->value.data)) == NULL) {
			*cause = xstrdup("the block's OrdererBlockMetadata does "
			    "not decode");
			goto done;
		}
		*index = obm->last_config != NULL ? obm->last_config->index : 0;
		ret = 0;
		goto done;
	}
	/* Fallback of GetLastConfigIndexFromBlock: the LAST_CONFIG slot. */
	common__metadata__free_unpacked(m, NULL);
	m = NULL;
	if (b->metadata->n_metadata <= COMMON__BLOCK_METADATA_INDEX__LAST_CONFIG) {
		*cause = xstrdup("the block has neither OrdererBlockMetadata nor "
		    "LAST_CONFIG metadata");
		goto done;
	}
	slot = b->metadata->metadata[COMMON__BLOCK_METADATA_INDEX__LAST_CONFIG];
	if ((m = common__metadata__unpack(NULL, slot.len, slot.data)) == NULL ||
	    (lc = common__last_config__unpack(NULL, m->value.len,
	    m->value.data)) == NULL) {
		*cause = xstrdup("the block's LAST_CONFIG metadata does not "
		    "decode");
		goto done;
	}
	*index = lc->index;
	ret = 0;
done:
	if (m != NULL)
		common__metadata__free_unpacked(m, NULL);
	if (obm != NULL)
		common__orderer_block_metadata__free_unpacked(obm, NULL);
	if (lc != NULL)
		common__last_config__free_unpacked(lc, NULL);
	return ret;
}

int
ftx_block_channel(const Common__Block *b, char **channel, int *type,
    char **cause)
{
	Common__Envelope *env = NULL;
	Common__Payload *pl = NULL;
	Common__ChannelHeader *ch = NULL;
	int ret = -1;

	*channel = NULL;
	if (b->data == NULL || b->data->n_data == 0) {
		*cause = xstrdup("the block holds no envelope");
		return -1;
	}
	if ((env = common__envelope__unpack(NULL, b->data->data[0].len,
	    b->data->data[0].data)) == NULL ||
	    (pl = common__payload__unpack(NULL, env->payload.len,
	    env->payload.data)) == NULL || pl->header == NULL ||
	    (ch = common__channel_header__unpack(NULL,
	    pl->header->channel_header.len,
	    pl->header->channel_header.data)) == NULL) {
		*cause = xstrdup("the block's first envelope does not decode to "
		    "a payload with a channel header");
		goto done;
	}
	if (ch->channel_id == NULL || *ch->channel_id == '\0') {
		*cause = xstrdup("the block's first envelope names no channel");
		goto done;
	}
	*channel = ftx_printable(ch->channel_id, FTX_MAX_NAME);
	*type = ch->type;
	ret = 0;
done:
	if (ch != NULL)
		common__channel_header__free_unpacked(ch, NULL);
	if (pl != NULL)
		common__payload__free_unpacked(pl, NULL);
	if (env != NULL)
		common__envelope__free_unpacked(env, NULL);
	return ret;
}
