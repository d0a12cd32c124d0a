/*
 * test_signer_tx.c: the signer's Fabric checks (member-agent/signer_tx.c)
 * on the exact bytes the agent asks it to sign: Proposal bytes made by
 * lib/fabric_tx.c for JoinChain, GetChannels and GetChainInfo, and the
 * Payload bytes of DELIVER_SEEK_INFO and CONFIG_UPDATE envelopes, each
 * captured from the signing callback. Genesis blocks are built here with
 * protobuf-c; the topology is a real normalized document (topology_load).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/common.pb-c.h"
#include "common/configtx.pb-c.h"
#include "fabric_tx.h"
#include "peer/proposal.pb-c.h"
#include "pki.h"
#include "signer.h"
#include "signer_tx.h"
#include "topology.h"
#include "xmalloc.h"

static const char topo_yaml[] =
    "apiVersion: fabfed.io/v1alpha1\n"
    "kind: Consortium\n"
    "metadata: {name: trade-finance}\n"
    "spec:\n"
    "  orgs:\n"
    "    - mspId: Org1MSP\n"
    "      domain: org1.example.com\n"
    "      cluster: {name: c1, region: r1}\n"
    "      peers: [{name: peer0, endpoint: 'peer0.org1.example.com:7051', anchor: true}]\n"
    "      orderers: [{name: orderer0, endpoint: 'orderer0.org1.example.com:7050'}]\n"
    "    - mspId: Org2MSP\n"
    "      domain: org2.example.com\n"
    "      cluster: {name: c2, region: r2}\n"
    "      peers: [{name: peer0, endpoint: 'peer0.org2.example.com:7051', anchor: true}]\n"
    "      orderers: [{name: orderer0, endpoint: 'orderer0.org2.example.com:7050'}]\n"
    "  channels:\n"
    "    - name: trade\n"
    "      consenters: [Org1MSP/orderer0, Org2MSP/orderer0]\n"
    "      members: [Org1MSP, Org2MSP]\n"
    "    - name: private2\n"
    "      consenters: [Org2MSP/orderer0]\n"
    "      members: [Org2MSP]\n";

struct ident {
	EVP_PKEY *key;
	char *pem;
	struct ftx_identity id;
};

static struct ident me, other;
static json_t *ctx;          /* {"topology": <normalized doc>} */

/* The signing callback of the agent's side: keeps what it was asked. */
struct capture {
	uint8_t *msg;
	size_t len;
};

static int
capture_sign(void *arg, const uint8_t *msg, size_t len, uint8_t **sig,
    size_t *siglen, char **cause)
{
	struct capture *c = arg;

	free(c->msg);
	c->msg = xmalloc(len > 0 ? len : 1);
	memcpy(c->msg, msg, len);
	c->len = len;
	*sig = xmalloc(8);
	memcpy(*sig, "0\006\002\001\001\002\001\001", 8);
	*siglen = 8;
	return 0;
}

static void
ident_make(struct ident *i, const char *mspid)
{
	struct pki_subject s;
	char *cause = NULL;
	X509 *x;

	memset(&s, 0, sizeof(s));
	s.cn = "Admin";
	s.o = mspid;
	s.ou = "admin";
	s.days = 30;
	assert_non_null(i->key = pki_key_new());
	x = pki_ca_new(i->key, &s, &cause);
	assert_non_null(x);
	assert_non_null(i->pem = pki_cert_pem(x, NULL));
	X509_free(x);
	i->id.mspid = mspid;
	i->id.cert_pem = i->pem;
}

static int
setup(void **state)
{
	struct topo_diags d;
	json_t *topo;
	char *cause = NULL;

	ident_make(&me, "Org1MSP");
	ident_make(&other, "Org1MSP");
	topo_diags_init(&d);
	topo = topology_load(topo_yaml, sizeof(topo_yaml) - 1, &d);
	if (topo == NULL) {
		size_t i;

		for (i = 0; i < d.n; i++)
			fprintf(stderr, "%s: %s\n", d.v[i].path, d.v[i].message);
	}
	topo_diags_free(&d);
	assert_non_null(topo);
	ctx = json_pack("{s:o}", "topology", topo);
	assert_int_equal(signer_tx_set_identity("Org1MSP", me.pem, &cause), 0);
	return 0;
}

static int
teardown(void **state)
{
	char *cause = NULL;

	signer_tx_set_identity(NULL, NULL, &cause);
	EVP_PKEY_free(me.key);
	EVP_PKEY_free(other.key);
	free(me.pem);
	free(other.pem);
	json_decref(ctx);
	return 0;
}

/* A block: number, one envelope of type on channel with an Application
 * group holding the orgs named (NULL-terminated). Caller frees. */
static uint8_t *
make_block(const char *channel, uint64_t number, int type,
    const char *const *orgs, size_t *len)
{
	Common__ConfigGroup org = COMMON__CONFIG_GROUP__INIT;
	Common__ConfigGroup app = COMMON__CONFIG_GROUP__INIT;
	Common__ConfigGroup root = COMMON__CONFIG_GROUP__INIT;
	Common__ConfigGroup__GroupsEntry oe[4], ae, *oep[4], *aep;
	Common__Config cfg = COMMON__CONFIG__INIT;
	Common__ConfigEnvelope ce = COMMON__CONFIG_ENVELOPE__INIT;
	Common__ChannelHeader ch = COMMON__CHANNEL_HEADER__INIT;
	Common__Header h = COMMON__HEADER__INIT;
	Common__Payload pl = COMMON__PAYLOAD__INIT;
	Common__Envelope env = COMMON__ENVELOPE__INIT;
	Common__BlockHeader bh = COMMON__BLOCK_HEADER__INIT;
	Common__BlockData bd = COMMON__BLOCK_DATA__INIT;
	Common__Block b = COMMON__BLOCK__INIT;
	ProtobufCBinaryData d;
	uint8_t *ceb, *chb, *plb, *envb, *out;
	size_t n = 0, celen, chlen, pllen, envlen;

	for (n = 0; orgs[n] != NULL && n < 4; n++) {
		common__config_group__groups_entry__init(&oe[n]);
		oe[n].key = (char *)orgs[n];
		oe[n].value = &org;
		oep[n] = &oe[n];
	}
	app.n_groups = n;
	app.groups = oep;
	common__config_group__groups_entry__init(&ae);
	ae.key = "Application";
	ae.value = &app;
	aep = &ae;
	root.n_groups = 1;
	root.groups = &aep;
	cfg.channel_group = &root;
	ce.config = &cfg;
	ceb = xmalloc(common__config_envelope__get_packed_size(&ce));
	celen = common__config_envelope__pack(&ce, ceb);
	ch.type = type;
	ch.channel_id = (char *)channel;
	chb = xmalloc(common__channel_header__get_packed_size(&ch));
	chlen = common__channel_header__pack(&ch, chb);
	h.channel_header.data = chb;
	h.channel_header.len = chlen;
	pl.header = &h;
	pl.data.data = ceb;
	pl.data.len = celen;
	plb = xmalloc(common__payload__get_packed_size(&pl));
	pllen = common__payload__pack(&pl, plb);
	env.payload.data = plb;
	env.payload.len = pllen;
	envb = xmalloc(common__envelope__get_packed_size(&env));
	envlen = common__envelope__pack(&env, envb);
	d.data = envb;
	d.len = envlen;
	bd.n_data = 1;
	bd.data = &d;
	bh.number = number;
	b.header = &bh;
	b.data = &bd;
	*len = common__block__get_packed_size(&b);
	out = xmalloc(*len);
	common__block__pack(&b, out);
	free(ceb);
	free(chb);
	free(plb);
	free(envb);
	return out;
}

/* The Proposal bytes of a JoinChain with that block, signed as id. */
static uint8_t *
join_payload(const struct ftx_identity *id, const char *channel,
    uint64_t number, int type, const char *const *orgs, size_t *len)
{
	struct capture c = { NULL, 0 };
	uint8_t *blk, *sp;
	size_t blen, splen;
	char *cause = NULL;

	blk = make_block(channel, number, type, orgs, &blen);
	sp = ftx_join_chain(blk, blen, id, capture_sign, &c, &splen, &cause);
	assert_non_null(sp);
	free(sp);
	free(blk);
	*len = c.len;
	return c.msg;
}

static const char *const org1_2[] = { "Org1MSP", "Org2MSP", NULL };
static const char *const org2[] = { "Org2MSP", NULL };

/* check(payload) refuses with a reason that holds want. */
static void
assert_refused(signer_check_fn check, const json_t *context,
    const uint8_t *p, size_t len, const char *want)
{
	char *reason = NULL;

	assert_int_equal(check(context, p, len, &reason), -1);
	assert_non_null(reason);
	if (strstr(reason, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", reason, want);
	free(reason);
}

static void
assert_signed(signer_check_fn check, const json_t *context, const uint8_t *p,
    size_t len)
{
	char *reason = NULL;

	if (check(context, p, len, &reason) != 0)
		fail_msg("refused: %s", reason != NULL ? reason : "(no reason)");
	assert_null(reason);
}

static void
test_join_accepted(void **state)
{
	uint8_t *p;
	size_t len;

	p = join_payload(&me.id, "trade", 0, 1, org1_2, &len);
	assert_signed(signer_tx_check_join, ctx, p, len);
	free(p);
}

static void
test_join_refusals(void **state)
{
	struct ftx_identity wrong_msp = { "Org2MSP", me.pem };
	static const char *const only2[] = { "Org2MSP", NULL };
	json_t *empty = json_object(), *notopo;
	uint8_t *p;
	size_t len;

	/* Another certificate, same MSP ID. */
	p = join_payload(&other.id, "trade", 0, 1, org1_2, &len);
	assert_refused(signer_tx_check_join, ctx, p, len,
	    "not this signer's identity");
	free(p);
	/* Our certificate under another MSP ID. */
	p = join_payload(&wrong_msp, "trade", 0, 1, org1_2, &len);
	assert_refused(signer_tx_check_join, ctx, p, len,
	    "not this signer's identity");
	free(p);
	/* A channel the topology does not declare. */
	p = join_payload(&me.id, "rogue", 0, 1, org1_2, &len);
	assert_refused(signer_tx_check_join, ctx, p, len,
	    "declares no channel rogue");
	free(p);
	/* A channel we are not a member of. */
	p = join_payload(&me.id, "private2", 0, 1, org1_2, &len);
	assert_refused(signer_tx_check_join, ctx, p, len,
	    "does not list Org1MSP");
	free(p);
	/* Not block 0. */
	p = join_payload(&me.id, "trade", 1, 1, org1_2, &len);
	assert_refused(signer_tx_check_join, ctx, p, len, "not a channel's "
	    "genesis block");
	free(p);
	/* Not a config envelope. */
	p = join_payload(&me.id, "trade", 0, 3, org1_2, &len);
	assert_refused(signer_tx_check_join, ctx, p, len, "not a channel "
	    "config");
	free(p);
	/*
	 * Block 0 of a channel the topology says we belong to, from before we
	 * were added (an org added later joins from block 0 too): signed.
	 */
	p = join_payload(&me.id, "trade", 0, 1, only2, &len);
	assert_signed(signer_tx_check_join, ctx, p, len);
	free(p);
	/* No topology in the context. */
	p = join_payload(&me.id, "trade", 0, 1, org1_2, &len);
	assert_refused(signer_tx_check_join, empty, p, len, "topology");
	notopo = json_pack("{s:s}", "topology", "trade");
	assert_refused(signer_tx_check_join, notopo, p, len, "topology");
	json_decref(notopo);
	free(p);
	json_decref(empty);
	(void)org2;
}

/* A JoinChain Proposal whose tx_id is not the one of nonce and creator. */
static void
test_join_bad_txid(void **state)
{
	Protos__Proposal *prop;
	Common__Header *h;
	Common__ChannelHeader *ch;
	uint8_t *p, *chb, *hb, *pb;
	ProtobufCBinaryData saved;
	size_t len, chlen, hlen, plen;
	char zero[65], *saved_txid;

	p = join_payload(&me.id, "trade", 0, 1, org1_2, &len);
	assert_non_null(prop = protos__proposal__unpack(NULL, len, p));
	assert_non_null(h = common__header__unpack(NULL, prop->header.len,
	    prop->header.data));
	assert_non_null(ch = common__channel_header__unpack(NULL,
	    h->channel_header.len, h->channel_header.data));
	memset(zero, '0', 64);
	zero[64] = '\0';
	/* Each layer repacked with the decoded originals put back after. */
	saved_txid = ch->tx_id;
	ch->tx_id = zero;
	chb = xmalloc(common__channel_header__get_packed_size(ch));
	chlen = common__channel_header__pack(ch, chb);
	ch->tx_id = saved_txid;
	saved = h->channel_header;
	h->channel_header.data = chb;
	h->channel_header.len = chlen;
	hb = xmalloc(common__header__get_packed_size(h));
	hlen = common__header__pack(h, hb);
	h->channel_header = saved;
	saved = prop->header;
	prop->header.data = hb;
	prop->header.len = hlen;
	pb = xmalloc(protos__proposal__get_packed_size(prop));
	plen = protos__proposal__pack(prop, pb);
	prop->header = saved;
	assert_refused(signer_tx_check_join, ctx, pb, plen, "tx_id");
	assert_refused(signer_tx_check_read, ctx, pb, plen, "type 1 is not");
	free(pb);
	free(hb);
	free(chb);
	common__channel_header__free_unpacked(ch, NULL);
	common__header__free_unpacked(h, NULL);
	protos__proposal__free_unpacked(prop, NULL);
	free(p);
}

static void
test_join_other_proposals(void **state)
{
	struct capture c = { NULL, 0 };
	struct ftx_arg a[2] = { { "JoinChain", 9 }, { "x", 1 } };
	uint8_t *sp, *blk;
	size_t splen, blen;
	char *cause = NULL;

	/* GetChannels is not a join. */
	sp = ftx_get_channels(&me.id, capture_sign, &c, &splen, &cause);
	assert_non_null(sp);
	free(sp);
	assert_refused(signer_tx_check_join, ctx, c.msg, c.len, "CONFIG");
	/* A join on a named channel. */
	blk = make_block("trade", 0, 1, org1_2, &blen);
	a[1].data = blk;
	a[1].len = blen;
	sp = ftx_proposal("cscc", a, 2, "trade", FTX_HDR_CONFIG, &me.id,
	    capture_sign, &c, NULL, &splen, &cause);
	assert_non_null(sp);
	free(sp);
	assert_refused(signer_tx_check_join, ctx, c.msg, c.len,
	    "names a channel");
	/* Another chaincode with the same arguments. */
	sp = ftx_proposal("lscc", a, 2, "", FTX_HDR_CONFIG, &me.id,
	    capture_sign, &c, NULL, &splen, &cause);
	assert_non_null(sp);
	free(sp);
	assert_refused(signer_tx_check_join, ctx, c.msg, c.len,
	    "not a cscc JoinChain");
	free(blk);
	free(c.msg);
	/* Bytes that are no proposal. */
	assert_refused(signer_tx_check_join, ctx,
	    (const uint8_t *)"\xff\xff\xff\xff", 4, "not a Fabric proposal");
}

static void
test_read_accepted(void **state)
{
	struct capture c = { NULL, 0 };
	struct ftx_seek newest = { FTX_SEEK_NEWEST, 0 };
	json_t *empty = json_object();
	uint8_t *b;
	size_t len;
	char *cause = NULL;

	b = ftx_seek_info("trade", &newest, &newest, FTX_FAIL_IF_NOT_READY, 1,
	    NULL, &me.id, capture_sign, &c, &len, &cause);
	assert_non_null(b);
	free(b);
	assert_signed(signer_tx_check_read, empty, c.msg, c.len);
	b = ftx_get_channels(&me.id, capture_sign, &c, &len, &cause);
	assert_non_null(b);
	free(b);
	assert_signed(signer_tx_check_read, empty, c.msg, c.len);
	b = ftx_get_chain_info("trade", &me.id, capture_sign, &c, &len, &cause);
	assert_non_null(b);
	free(b);
	assert_signed(signer_tx_check_read, empty, c.msg, c.len);
	free(c.msg);
	json_decref(empty);
}

static void
test_read_refusals(void **state)
{
	struct capture c = { NULL, 0 };
	struct ftx_seek newest = { FTX_SEEK_NEWEST, 0 };
	struct ftx_arg a = { "invoke", 6 };
	json_t *empty = json_object();
	uint8_t *b, *p;
	size_t len;
	char *cause = NULL;

	/* A stranger's seek. */
	b = ftx_seek_info("trade", &newest, &newest, FTX_FAIL_IF_NOT_READY, 1,
	    NULL, &other.id, capture_sign, &c, &len, &cause);
	assert_non_null(b);
	free(b);
	assert_refused(signer_tx_check_read, empty, c.msg, c.len,
	    "not this signer's identity");
	/* A config update is not a read. */
	b = ftx_envelope(FTX_HDR_CONFIG_UPDATE, "trade", (const uint8_t *)"x",
	    1, NULL, &me.id, capture_sign, &c, &len, &cause);
	assert_non_null(b);
	free(b);
	assert_refused(signer_tx_check_read, empty, c.msg, c.len,
	    "not a read-only request");
	/* A seek whose data is no SeekInfo. */
	b = ftx_envelope(FTX_HDR_DELIVER_SEEK_INFO, "trade",
	    (const uint8_t *)"\xff\xff", 2, NULL, &me.id, capture_sign, &c,
	    &len, &cause);
	assert_non_null(b);
	free(b);
	assert_refused(signer_tx_check_read, empty, c.msg, c.len, "SeekInfo");
	/* A chaincode invocation is not a read. */
	b = ftx_proposal("mycc", &a, 1, "", FTX_HDR_ENDORSER_TRANSACTION,
	    &me.id, capture_sign, &c, NULL, &len, &cause);
	assert_non_null(b);
	free(b);
	assert_refused(signer_tx_check_read, empty, c.msg, c.len,
	    "neither a cscc GetChannels nor a qscc GetChainInfo");
	/* A join is not a read. */
	p = join_payload(&me.id, "trade", 0, 1, org1_2, &len);
	assert_refused(signer_tx_check_read, empty, p, len,
	    "not a read-only request");
	free(p);
	assert_refused(signer_tx_check_read, empty, (const uint8_t *)"", 0,
	    "neither");
	free(c.msg);
	json_decref(empty);
}

static void
test_no_identity(void **state)
{
	struct capture c = { NULL, 0 };
	uint8_t *b, *p;
	size_t len, blen;
	char *cause = NULL;

	p = join_payload(&me.id, "trade", 0, 1, org1_2, &len);
	b = ftx_get_channels(&me.id, capture_sign, &c, &blen, &cause);
	free(b);
	assert_int_equal(signer_tx_set_identity(NULL, NULL, &cause), 0);
	assert_refused(signer_tx_check_join, ctx, p, len, "not known");
	assert_refused(signer_tx_check_read, ctx, c.msg, c.len, "not known");
	assert_int_equal(signer_tx_set_identity("Org1MSP", "not a pem",
	    &cause), -1);
	assert_non_null(strstr(cause, "not a PEM certificate"));
	free(cause);
	cause = NULL;
	assert_refused(signer_tx_check_read, ctx, c.msg, c.len, "not known");
	assert_int_equal(signer_tx_set_identity("Org1MSP", me.pem, &cause), 0);
	assert_signed(signer_tx_check_read, ctx, c.msg, c.len);
	free(c.msg);
	free(p);
}

static int
dummy_check(const json_t *context, const unsigned char *payload, size_t len,
    char **reason)
{
	return -1;
}

static void
test_register(void **state)
{
	signer_clear_kinds();
	signer_tx_register();
	assert_int_equal(signer_register_kind(SIGNER_TX_JOIN_CHAIN,
	    dummy_check), -1);
	assert_int_equal(signer_register_kind(SIGNER_TX_CHANNEL_READ,
	    dummy_check), -1);
	assert_int_equal(signer_register_kind("fabric.other", dummy_check), 0);
	signer_clear_kinds();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_accepted),
		cmocka_unit_test(test_join_refusals),
		cmocka_unit_test(test_join_bad_txid),
		cmocka_unit_test(test_join_other_proposals),
		cmocka_unit_test(test_read_accepted),
		cmocka_unit_test(test_read_refusals),
		cmocka_unit_test(test_no_identity),
		cmocka_unit_test(test_register),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
