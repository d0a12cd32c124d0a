/*
 * test_fabric_tx.c: every message lib/fabric_tx.c builds, decoded back
 * with the protobuf-c code and checked field by field; each signature
 * verified with OpenSSL's plain verifier over the exact bytes Fabric
 * verifies (an Envelope's payload, a SignedProposal's proposal_bytes) and
 * checked low-S; tx_id = hex SHA-256(nonce || creator) recomputed here
 * with OpenSSL. Also the ProposalResponse reader, the block metadata
 * readers and fops_retryable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/common.pb-c.h"
#include "fabric_ops.h"
#include "fabric_tx.h"
#include "msp/identities.pb-c.h"
#include "orderer/ab.pb-c.h"
#include "peer/chaincode.pb-c.h"
#include "peer/proposal.pb-c.h"
#include "peer/proposal_response.pb-c.h"
#include "pki.h"
#include "sig.h"
#include "xmalloc.h"

struct fixture {
	EVP_PKEY *key;
	char *pem;
	struct ftx_identity id;
	int nsigned;
	size_t last_len;       /* bytes the last call to sign_cb got */
	uint8_t *last_msg;
};

static struct fixture fx;

static int
setup(void **state)
{
	struct pki_subject s;
	X509 *x;
	char *cause = NULL;

	memset(&fx, 0, sizeof(fx));
	memset(&s, 0, sizeof(s));
	s.cn = "Admin@org1.example.com";
	s.o = "Org1MSP";
	s.ou = "admin";
	s.days = 30;
	if ((fx.key = pki_key_new()) == NULL ||
	    (x = pki_ca_new(fx.key, &s, &cause)) == NULL)
		return -1;
	fx.pem = pki_cert_pem(x, NULL);
	X509_free(x);
	fx.id.mspid = "Org1MSP";
	fx.id.cert_pem = fx.pem;
	return fx.pem == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	EVP_PKEY_free(fx.key);
	free(fx.pem);
	free(fx.last_msg);
	return 0;
}

/* The test's signer: sig_sign with the fixture's key; remembers the bytes. */
static int
sign_cb(void *arg, const uint8_t *msg, size_t len, uint8_t **sig,
    size_t *siglen, char **cause)
{
	struct fixture *f = arg;
	unsigned char *der;
	size_t derlen;

	if (sig_sign(f->key, msg, len, &der, &derlen, cause) != 0)
		return -1;
	f->nsigned++;
	free(f->last_msg);
	f->last_msg = xmalloc(len > 0 ? len : 1);
	memcpy(f->last_msg, msg, len);
	f->last_len = len;
	*sig = der;
	*siglen = derlen;
	return 0;
}

static int
refuse_cb(void *arg, const uint8_t *msg, size_t len, uint8_t **sig,
    size_t *siglen, char **cause)
{
	*cause = xstrdup("refused kind fabric.channel-read: not today");
	return -1;
}

/* OpenSSL's own verification with the fixture's key. */
static void
assert_signed(const uint8_t *msg, size_t len, const ProtobufCBinaryData *sig)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	assert_non_null(md);
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
	    fx.key), 1);
	assert_int_equal(EVP_DigestVerify(md, sig->data, sig->len, msg, len), 1);
	EVP_MD_CTX_free(md);
	assert_int_equal(sig_is_low_s(sig->data, sig->len), 1);
	/* What the callback was handed is exactly these bytes. */
	assert_int_equal(fx.last_len, len);
	assert_memory_equal(fx.last_msg, msg, len);
}

static void
hex_sha256_two(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
    char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int i;

	assert_non_null(c);
	assert_int_equal(EVP_DigestInit_ex(c, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(c, a, alen), 1);
	assert_int_equal(EVP_DigestUpdate(c, b, blen), 1);
	assert_int_equal(EVP_DigestFinal_ex(c, md, &n), 1);
	EVP_MD_CTX_free(c);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/*
 * Checks a header pair as Fabric reads it: creator is the fixture's
 * SerializedIdentity, 24-byte nonce, tx_id from both; returns the decoded
 * channel header (caller frees).
 */
static Common__ChannelHeader *
check_header(const ProtobufCBinaryData *chb, const ProtobufCBinaryData *shb,
    int type, const char *channel, char *txid_out)
{
	Common__ChannelHeader *ch;
	Common__SignatureHeader *sh;
	Msp__SerializedIdentity *si;
	char want[65];
	time_t now = time(NULL);

	ch = common__channel_header__unpack(NULL, chb->len, chb->data);
	assert_non_null(ch);
	sh = common__signature_header__unpack(NULL, shb->len, shb->data);
	assert_non_null(sh);
	assert_int_equal(ch->type, type);
	assert_int_equal(ch->version, 0);
	assert_int_equal(ch->epoch, 0);
	assert_string_equal(ch->channel_id, channel);
	assert_non_null(ch->timestamp);
	assert_true(ch->timestamp->seconds >= now - 5 &&
	    ch->timestamp->seconds <= now + 1);
	assert_int_equal(sh->nonce.len, FTX_NONCE_LEN);
	si = msp__serialized_identity__unpack(NULL, sh->creator.len,
	    sh->creator.data);
	assert_non_null(si);
	assert_string_equal(si->mspid, "Org1MSP");
	assert_int_equal(si->id_bytes.len, strlen(fx.pem));
	assert_memory_equal(si->id_bytes.data, fx.pem, strlen(fx.pem));
	msp__serialized_identity__free_unpacked(si, NULL);
	hex_sha256_two(sh->nonce.data, sh->nonce.len, sh->creator.data,
	    sh->creator.len, want);
	assert_string_equal(ch->tx_id, want);
	if (txid_out != NULL)
		memcpy(txid_out, want, 65);
	common__signature_header__free_unpacked(sh, NULL);
	return ch;
}

/* Decodes an Envelope, checks signature and headers; returns the payload. */
static Common__Payload *
check_envelope(const uint8_t *b, size_t len, int type, const char *channel,
    Common__ChannelHeader **chp)
{
	Common__Envelope *env;
	Common__Payload *pl;
	Common__ChannelHeader *ch;

	env = common__envelope__unpack(NULL, len, b);
	assert_non_null(env);
	assert_signed(env->payload.data, env->payload.len, &env->signature);
	pl = common__payload__unpack(NULL, env->payload.len, env->payload.data);
	assert_non_null(pl);
	assert_non_null(pl->header);
	ch = check_header(&pl->header->channel_header,
	    &pl->header->signature_header, type, channel, NULL);
	assert_int_equal(ch->timestamp->nanos, 0);
	common__envelope__free_unpacked(env, NULL);
	if (chp != NULL)
		*chp = ch;
	else
		common__channel_header__free_unpacked(ch, NULL);
	return pl;
}

static void
test_envelope_config_update(void **state)
{
	static const uint8_t data[] = { 0x0a, 0x03, 'a', 'b', 'c', 0x00, 0xff };
	Common__Payload *pl;
	Common__ChannelHeader *ch;
	uint8_t *b, *b2;
	size_t len, len2;
	char *cause = NULL;

	b = ftx_envelope(FTX_HDR_CONFIG_UPDATE, "trade", data, sizeof(data),
	    NULL, &fx.id, sign_cb, &fx, &len, &cause);
	assert_non_null(b);
	assert_null(cause);
	pl = check_envelope(b, len, 2, "trade", &ch);
	assert_int_equal(ch->tls_cert_hash.len, 0);
	assert_int_equal(ch->extension.len, 0);
	assert_int_equal(pl->data.len, sizeof(data));
	assert_memory_equal(pl->data.data, data, sizeof(data));
	common__channel_header__free_unpacked(ch, NULL);
	common__payload__free_unpacked(pl, NULL);

	/* A second one has a fresh nonce, so another tx_id and other bytes. */
	b2 = ftx_envelope(FTX_HDR_CONFIG_UPDATE, "trade", data, sizeof(data),
	    NULL, &fx.id, sign_cb, &fx, &len2, &cause);
	assert_non_null(b2);
	assert_false(len == len2 && memcmp(b, b2, len) == 0);
	free(b);
	free(b2);
}

static void
test_envelope_tls_hash(void **state)
{
	uint8_t hash[FTX_TLS_HASH_LEN], *b;
	Common__Payload *pl;
	Common__ChannelHeader *ch;
	size_t len, i;
	char *cause = NULL;

	for (i = 0; i < sizeof(hash); i++)
		hash[i] = (uint8_t)(0xa0 + i);
	b = ftx_envelope(FTX_HDR_DELIVER_SEEK_INFO, "ch1", NULL, 0, hash,
	    &fx.id, sign_cb, &fx, &len, &cause);
	assert_non_null(b);
	pl = check_envelope(b, len, 5, "ch1", &ch);
	assert_int_equal(ch->tls_cert_hash.len, FTX_TLS_HASH_LEN);
	assert_memory_equal(ch->tls_cert_hash.data, hash, sizeof(hash));
	assert_int_equal(pl->data.len, 0);
	common__channel_header__free_unpacked(ch, NULL);
	common__payload__free_unpacked(pl, NULL);
	free(b);
}

static void
check_pos(const Orderer__SeekPosition *p, const struct ftx_seek *s)
{
	assert_non_null(p);
	switch (s->kind) {
	case FTX_SEEK_NEWEST:
		assert_int_equal(p->type_case, ORDERER__SEEK_POSITION__TYPE_NEWEST);
		assert_non_null(p->newest);
		break;
	case FTX_SEEK_OLDEST:
		assert_int_equal(p->type_case, ORDERER__SEEK_POSITION__TYPE_OLDEST);
		assert_non_null(p->oldest);
		break;
	case FTX_SEEK_SPECIFIED:
		assert_int_equal(p->type_case,
		    ORDERER__SEEK_POSITION__TYPE_SPECIFIED);
		assert_int_equal(p->specified->number, s->number);
		break;
	}
}

static void
test_seek_info(void **state)
{
	static const struct {
		struct ftx_seek start, stop;
		enum ftx_seek_behavior behavior;
		int best_effort;
	} cases[] = {
		{ { FTX_SEEK_NEWEST, 0 }, { FTX_SEEK_NEWEST, 0 },
		    FTX_BLOCK_UNTIL_READY, 0 },
		{ { FTX_SEEK_SPECIFIED, 5 }, { FTX_SEEK_SPECIFIED, 5 },
		    FTX_FAIL_IF_NOT_READY, 1 },
		{ { FTX_SEEK_OLDEST, 0 }, { FTX_SEEK_SPECIFIED, 1ULL << 40 },
		    FTX_BLOCK_UNTIL_READY, 1 },
		{ { FTX_SEEK_SPECIFIED, 0 }, { FTX_SEEK_NEWEST, 0 },
		    FTX_FAIL_IF_NOT_READY, 0 },
	};
	Common__Payload *pl;
	Orderer__SeekInfo *si;
	uint8_t *b;
	size_t len, i;
	char *cause = NULL;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b = ftx_seek_info("trade", &cases[i].start, &cases[i].stop,
		    cases[i].behavior, cases[i].best_effort, NULL, &fx.id,
		    sign_cb, &fx, &len, &cause);
		assert_non_null(b);
		pl = check_envelope(b, len, 5, "trade", NULL);
		si = orderer__seek_info__unpack(NULL, pl->data.len,
		    pl->data.data);
		assert_non_null(si);
		check_pos(si->start, &cases[i].start);
		check_pos(si->stop, &cases[i].stop);
		assert_int_equal(si->behavior, cases[i].behavior ==
		    FTX_FAIL_IF_NOT_READY ?
		    ORDERER__SEEK_INFO__SEEK_BEHAVIOR__FAIL_IF_NOT_READY :
		    ORDERER__SEEK_INFO__SEEK_BEHAVIOR__BLOCK_UNTIL_READY);
		assert_int_equal(si->error_response, cases[i].best_effort ?
		    ORDERER__SEEK_INFO__SEEK_ERROR_RESPONSE__BEST_EFFORT :
		    ORDERER__SEEK_INFO__SEEK_ERROR_RESPONSE__STRICT);
		orderer__seek_info__free_unpacked(si, NULL);
		common__payload__free_unpacked(pl, NULL);
		free(b);
	}
}

static void
test_seek_refusals(void **state)
{
	struct ftx_seek a = { FTX_SEEK_SPECIFIED, 9 }, z = { FTX_SEEK_SPECIFIED, 3 };
	struct ftx_seek bad = { (enum ftx_seek_kind)7, 0 };
	size_t len = 99;
	char *cause = NULL;

	assert_null(ftx_seek_info("trade", &a, &z, FTX_BLOCK_UNTIL_READY, 0,
	    NULL, &fx.id, sign_cb, &fx, &len, &cause));
	assert_non_null(strstr(cause, "from block 9 to block 3"));
	assert_int_equal(len, 0);
	free(cause);
	cause = NULL;
	assert_null(ftx_seek_info("trade", &bad, &z, FTX_BLOCK_UNTIL_READY, 0,
	    NULL, &fx.id, sign_cb, &fx, &len, &cause));
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_null(ftx_seek_info("trade", &a, NULL, FTX_BLOCK_UNTIL_READY, 0,
	    NULL, &fx.id, sign_cb, &fx, &len, &cause));
	free(cause);
}

/* Decodes a SignedProposal down to the invocation; returns it (caller frees). */
static Protos__ChaincodeInvocationSpec *
check_proposal(const uint8_t *b, size_t len, int type, const char *cc,
    char *txid)
{
	Protos__SignedProposal *sp;
	Protos__Proposal *p;
	Common__Header *h;
	Common__ChannelHeader *ch;
	Protos__ChaincodeHeaderExtension *ext;
	Protos__ChaincodeProposalPayload *cpp;
	Protos__ChaincodeInvocationSpec *cis;

	sp = protos__signed_proposal__unpack(NULL, len, b);
	assert_non_null(sp);
	assert_signed(sp->proposal_bytes.data, sp->proposal_bytes.len,
	    &sp->signature);
	p = protos__proposal__unpack(NULL, sp->proposal_bytes.len,
	    sp->proposal_bytes.data);
	assert_non_null(p);
	assert_int_equal(p->extension.len, 0);
	h = common__header__unpack(NULL, p->header.len, p->header.data);
	assert_non_null(h);
	ch = check_header(&h->channel_header, &h->signature_header, type, "",
	    txid);
	ext = protos__chaincode_header_extension__unpack(NULL,
	    ch->extension.len, ch->extension.data);
	assert_non_null(ext);
	assert_non_null(ext->chaincode_id);
	assert_string_equal(ext->chaincode_id->name, cc);
	assert_string_equal(ext->chaincode_id->version, "");
	assert_string_equal(ext->chaincode_id->path, "");
	cpp = protos__chaincode_proposal_payload__unpack(NULL, p->payload.len,
	    p->payload.data);
	assert_non_null(cpp);
	assert_int_equal(cpp->n_transientmap, 0);
	cis = protos__chaincode_invocation_spec__unpack(NULL, cpp->input.len,
	    cpp->input.data);
	assert_non_null(cis);
	assert_non_null(cis->chaincode_spec);
	assert_int_equal(cis->chaincode_spec->type,
	    PROTOS__CHAINCODE_SPEC__TYPE__GOLANG);
	assert_string_equal(cis->chaincode_spec->chaincode_id->name, cc);
	assert_non_null(cis->chaincode_spec->input);
	assert_int_equal(cis->chaincode_spec->input->n_decorations, 0);
	assert_false(cis->chaincode_spec->input->is_init);
	protos__chaincode_proposal_payload__free_unpacked(cpp, NULL);
	protos__chaincode_header_extension__free_unpacked(ext, NULL);
	common__channel_header__free_unpacked(ch, NULL);
	common__header__free_unpacked(h, NULL);
	protos__proposal__free_unpacked(p, NULL);
	protos__signed_proposal__free_unpacked(sp, NULL);
	return cis;
}

static void
assert_arg(const ProtobufCBinaryData *a, const void *want, size_t len)
{
	assert_int_equal(a->len, len);
	assert_memory_equal(a->data, want, len);
}

static void
test_join_chain(void **state)
{
	uint8_t block[3000], *b;
	Protos__ChaincodeInvocationSpec *cis;
	size_t len, i;
	char *cause = NULL;

	for (i = 0; i < sizeof(block); i++)
		block[i] = (uint8_t)(i * 31 + 7);
	b = ftx_join_chain(block, sizeof(block), &fx.id, sign_cb, &fx, &len,
	    &cause);
	assert_non_null(b);
	cis = check_proposal(b, len, 1, "cscc", NULL);
	assert_int_equal(cis->chaincode_spec->input->n_args, 2);
	assert_arg(&cis->chaincode_spec->input->args[0], "JoinChain", 9);
	assert_arg(&cis->chaincode_spec->input->args[1], block, sizeof(block));
	protos__chaincode_invocation_spec__free_unpacked(cis, NULL);
	free(b);

	assert_null(ftx_join_chain(NULL, 0, &fx.id, sign_cb, &fx, &len,
	    &cause));
	assert_non_null(cause);
	free(cause);
}

static void
test_queries(void **state)
{
	Protos__ChaincodeInvocationSpec *cis;
	uint8_t *b;
	size_t len;
	char *cause = NULL, txid[FTX_TXID_LEN + 1], seen[65];
	struct ftx_arg args[3] = { { "f", 1 }, { "", 0 }, { "\0\1", 2 } };

	b = ftx_get_channels(&fx.id, sign_cb, &fx, &len, &cause);
	assert_non_null(b);
	cis = check_proposal(b, len, 3, "cscc", NULL);
	assert_int_equal(cis->chaincode_spec->input->n_args, 1);
	assert_arg(&cis->chaincode_spec->input->args[0], "GetChannels", 11);
	protos__chaincode_invocation_spec__free_unpacked(cis, NULL);
	free(b);

	b = ftx_get_chain_info("trade", &fx.id, sign_cb, &fx, &len, &cause);
	assert_non_null(b);
	cis = check_proposal(b, len, 3, "qscc", NULL);
	assert_int_equal(cis->chaincode_spec->input->n_args, 2);
	assert_arg(&cis->chaincode_spec->input->args[0], "GetChainInfo", 12);
	assert_arg(&cis->chaincode_spec->input->args[1], "trade", 5);
	protos__chaincode_invocation_spec__free_unpacked(cis, NULL);
	free(b);

	/* The generic builder: any args, tx_id handed back. */
	b = ftx_proposal("mycc", args, 3, "", 3, &fx.id, sign_cb, &fx, txid,
	    &len, &cause);
	assert_non_null(b);
	cis = check_proposal(b, len, 3, "mycc", seen);
	assert_string_equal(txid, seen);
	assert_int_equal(cis->chaincode_spec->input->n_args, 3);
	assert_arg(&cis->chaincode_spec->input->args[1], "", 0);
	assert_arg(&cis->chaincode_spec->input->args[2], "\0\1", 2);
	protos__chaincode_invocation_spec__free_unpacked(cis, NULL);
	free(b);

	assert_null(ftx_get_chain_info("", &fx.id, sign_cb, &fx, &len, &cause));
	free(cause);
	cause = NULL;
	assert_null(ftx_proposal("", args, 1, "", 3, &fx.id, sign_cb, &fx,
	    NULL, &len, &cause));
	free(cause);
	cause = NULL;
	assert_null(ftx_proposal("cscc", args, 0, "", 3, &fx.id, sign_cb, &fx,
	    NULL, &len, &cause));
	free(cause);
}

static void
test_signer_failures(void **state)
{
	struct ftx_identity noid = { NULL, NULL }, badpem = { "Org1MSP", "x" };
	uint8_t *b;
	size_t len;
	char *cause = NULL;

	b = ftx_get_channels(&fx.id, refuse_cb, NULL, &len, &cause);
	assert_null(b);
	assert_int_equal(len, 0);
	assert_non_null(strstr(cause, "signing failed: refused kind "
	    "fabric.channel-read: not today"));
	free(cause);
	cause = NULL;
	b = ftx_envelope(2, "trade", NULL, 0, NULL, &fx.id, refuse_cb, NULL,
	    &len, &cause);
	assert_null(b);
	assert_non_null(strstr(cause, "not today"));
	free(cause);
	cause = NULL;
	assert_null(ftx_envelope(2, "trade", NULL, 0, NULL, &noid, sign_cb, &fx,
	    &len, &cause));
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_null(ftx_get_channels(&badpem, sign_cb, &fx, &len, &cause));
	assert_non_null(strstr(cause, "not a PEM certificate"));
	free(cause);
}

/* Many signatures: every one verifies and is low-S. */
static void
test_many_low_s(void **state)
{
	Common__Envelope *env;
	uint8_t *b;
	size_t len;
	char *cause = NULL;
	int i;

	for (i = 0; i < 200; i++) {
		b = ftx_envelope(5, "ch1", (const uint8_t *)"x", 1, NULL, &fx.id,
		    sign_cb, &fx, &len, &cause);
		assert_non_null(b);
		env = common__envelope__unpack(NULL, len, b);
		assert_non_null(env);
		assert_signed(env->payload.data, env->payload.len,
		    &env->signature);
		assert_int_equal(sig_verify(fx.key, env->payload.data,
		    env->payload.len, env->signature.data, env->signature.len), 0);
		common__envelope__free_unpacked(env, NULL);
		free(b);
	}
}

static void
test_txid(void **state)
{
	char out[FTX_TXID_LEN + 1];

	/* sha256("abc") */
	ftx_txid((const uint8_t *)"ab", 2, (const uint8_t *)"c", 1, out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

static uint8_t *
pack_response(int32_t status, const char *message, const void *payload,
    size_t plen, size_t *len)
{
	Protos__ProposalResponse pr = PROTOS__PROPOSAL_RESPONSE__INIT;
	Protos__Response r = PROTOS__RESPONSE__INIT;
	uint8_t *b;

	r.status = status;
	r.message = (char *)message;
	r.payload.data = (uint8_t *)payload;
	r.payload.len = plen;
	pr.version = 1;
	pr.response = &r;
	*len = protos__proposal_response__get_packed_size(&pr);
	b = xmalloc(*len);
	protos__proposal_response__pack(&pr, b);
	return b;
}

static void
test_proposal_response(void **state)
{
	Protos__ProposalResponse empty = PROTOS__PROPOSAL_RESPONSE__INIT;
	struct ftx_response r;
	uint8_t *b, buf[16];
	size_t len;
	char *cause = NULL, *longmsg;

	b = pack_response(500, "ledger [ch1] already\nexists", "pl", 2, &len);
	assert_int_equal(ftx_proposal_response(b, len, &r, &cause), 0);
	assert_int_equal(r.status, 500);
	assert_string_equal(r.message, "ledger [ch1] already?exists");
	assert_int_equal(r.payload_len, 2);
	assert_memory_equal(r.payload, "pl", 2);
	ftx_response_clear(&r);
	assert_null(r.message);
	ftx_response_clear(NULL);
	free(b);

	longmsg = xcalloc(1, 5000);
	memset(longmsg, 'm', 4999);
	b = pack_response(200, longmsg, NULL, 0, &len);
	assert_int_equal(ftx_proposal_response(b, len, &r, &cause), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(strlen(r.message), FTX_MAX_MESSAGE);
	assert_null(r.payload);
	ftx_response_clear(&r);
	free(b);
	free(longmsg);

	/* No Response in it. */
	len = protos__proposal_response__pack(&empty, buf);
	assert_int_equal(ftx_proposal_response(buf, len, &r, &cause), -1);
	assert_non_null(strstr(cause, "no response"));
	free(cause);
	cause = NULL;
	/* Not a message at all. */
	assert_int_equal(ftx_proposal_response((const uint8_t *)"\xff\xff\xff",
	    3, &r, &cause), -1);
	assert_non_null(strstr(cause, "not a ProposalResponse"));
	free(cause);
}

/* A block with the given metadata slots 0 and 1 (NULL: empty). */
static Common__Block *
meta_block(const ProtobufCMessage *sigval, const ProtobufCMessage *lcval)
{
	Common__Block *b = xcalloc(1, sizeof(*b));
	Common__BlockMetadata *md = xcalloc(1, sizeof(*md));
	Common__Metadata m = COMMON__METADATA__INIT;
	const ProtobufCMessage *vals[2] = { sigval, lcval };
	size_t i, n;

	common__block__init(b);
	common__block_metadata__init(md);
	md->n_metadata = 5;
	md->metadata = xcalloc(5, sizeof(*md->metadata));
	for (i = 0; i < 2; i++) {
		uint8_t *v = NULL;

		m.value.len = 0;
		m.value.data = NULL;
		if (vals[i] != NULL) {
			n = protobuf_c_message_get_packed_size(vals[i]);
			v = xmalloc(n + 1);
			m.value.len = protobuf_c_message_pack(vals[i], v);
			m.value.data = v;
		}
		n = common__metadata__get_packed_size(&m);
		md->metadata[i].data = xmalloc(n + 1);
		md->metadata[i].len = common__metadata__pack(&m,
		    md->metadata[i].data);
		free(v);
	}
	b->metadata = md;
	return b;
}

static void
free_meta_block(Common__Block *b)
{
	size_t i;

	for (i = 0; i < b->metadata->n_metadata; i++)
		free(b->metadata->metadata[i].data);
	free(b->metadata->metadata);
	free(b->metadata);
	free(b);
}

static void
test_last_config(void **state)
{
	Common__LastConfig lc = COMMON__LAST_CONFIG__INIT, lc7 = COMMON__LAST_CONFIG__INIT;
	Common__OrdererBlockMetadata obm = COMMON__ORDERER_BLOCK_METADATA__INIT;
	Common__Block *b;
	uint64_t idx = 99;
	char *cause = NULL;

	lc.index = 4;
	lc7.index = 7;
	obm.last_config = &lc;
	obm.consenter_metadata.data = (uint8_t *)"raft";
	obm.consenter_metadata.len = 4;
	/* SIGNATURES' OrdererBlockMetadata wins over LAST_CONFIG. */
	b = meta_block(&obm.base, &lc7.base);
	assert_int_equal(ftx_block_last_config(b, &idx, &cause), 0);
	assert_int_equal(idx, 4);
	free_meta_block(b);
	/* An empty SIGNATURES value: the LAST_CONFIG fallback. */
	b = meta_block(NULL, &lc7.base);
	assert_int_equal(ftx_block_last_config(b, &idx, &cause), 0);
	assert_int_equal(idx, 7);
	free_meta_block(b);
	/* OrdererBlockMetadata with index 0 (a genesis block). */
	lc.index = 0;
	b = meta_block(&obm.base, NULL);
	assert_int_equal(ftx_block_last_config(b, &idx, &cause), 0);
	assert_int_equal(idx, 0);
	/* A SIGNATURES slot that is not a Metadata. */
	free(b->metadata->metadata[0].data);
	b->metadata->metadata[0].data = (uint8_t *)xstrdup("\xff\xff");
	b->metadata->metadata[0].len = 2;
	assert_int_equal(ftx_block_last_config(b, &idx, &cause), -1);
	assert_non_null(strstr(cause, "SIGNATURES"));
	free(cause);
	cause = NULL;
	/* No metadata at all. */
	b->metadata->n_metadata = 0;
	assert_int_equal(ftx_block_last_config(b, &idx, &cause), -1);
	assert_non_null(cause);
	free(cause);
	b->metadata->n_metadata = 5;
	free_meta_block(b);
}

static void
test_block_channel(void **state)
{
	Common__ChannelHeader ch = COMMON__CHANNEL_HEADER__INIT;
	Common__Header h = COMMON__HEADER__INIT;
	Common__Payload pl = COMMON__PAYLOAD__INIT;
	Common__Envelope env = COMMON__ENVELOPE__INIT;
	Common__BlockData bd = COMMON__BLOCK_DATA__INIT;
	Common__Block b = COMMON__BLOCK__INIT;
	ProtobufCBinaryData d;
	uint8_t chb[256], plb[512], envb[600];
	char *cause = NULL, *name = NULL;
	int type = -1;

	ch.type = 1;
	ch.channel_id = "trade";
	h.channel_header.data = chb;
	h.channel_header.len = common__channel_header__pack(&ch, chb);
	pl.header = &h;
	pl.data.data = plb;
	pl.data.len = 0;
	pl.data.len = common__payload__pack(&pl, plb);
	env.payload = pl.data;
	d.data = envb;
	d.len = common__envelope__pack(&env, envb);
	bd.n_data = 1;
	bd.data = &d;
	b.data = &bd;
	assert_int_equal(ftx_block_channel(&b, &name, &type, &cause), 0);
	assert_string_equal(name, "trade");
	assert_int_equal(type, 1);
	free(name);
	bd.n_data = 0;
	assert_int_equal(ftx_block_channel(&b, &name, &type, &cause), -1);
	assert_null(name);
	assert_non_null(strstr(cause, "no envelope"));
	free(cause);
}

static void
test_retryable(void **state)
{
	struct fops_result r;

	r.status = FOPS_SERVICE_UNAVAILABLE;
	r.code = GRPC_OK;
	assert_true(fops_retryable(&r));
	r.status = FOPS_BAD_REQUEST;
	assert_false(fops_retryable(&r));
	r.status = FOPS_FORBIDDEN;
	assert_false(fops_retryable(&r));
	r.status = 0;
	r.code = GRPC_UNAVAILABLE;
	assert_true(fops_retryable(&r));
	r.code = GRPC_DEADLINE_EXCEEDED;
	assert_true(fops_retryable(&r));
	r.code = GRPC_PERMISSION_DENIED;
	assert_false(fops_retryable(&r));
	r.code = GRPC_INTERNAL;
	assert_false(fops_retryable(&r));
	assert_false(fops_retryable(NULL));
	assert_string_equal(fops_status_name(503), "SERVICE_UNAVAILABLE");
	assert_string_equal(fops_status_name(400), "BAD_REQUEST");
	assert_string_equal(fops_status_name(299), "status 299");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_txid),
		cmocka_unit_test(test_envelope_config_update),
		cmocka_unit_test(test_envelope_tls_hash),
		cmocka_unit_test(test_seek_info),
		cmocka_unit_test(test_seek_refusals),
		cmocka_unit_test(test_join_chain),
		cmocka_unit_test(test_queries),
		cmocka_unit_test(test_signer_failures),
		cmocka_unit_test(test_many_low_s),
		cmocka_unit_test(test_proposal_response),
		cmocka_unit_test(test_last_config),
		cmocka_unit_test(test_block_channel),
		cmocka_unit_test(test_retryable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
