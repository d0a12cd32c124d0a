/*
 * test_fabric_decode.c: blocks and configs read back (lib/fabric_decode.c).
 * The input is the genesis block of channel "trade" of the example
 * consortium (examples/consortium.yaml), built by lib/fabric_config.c and
 * lib/fabric_block.c from real PKIs made by lib/msp.c; the JSON is checked
 * field by field, the config round-trips byte for byte, and broken or
 * wrong blocks fail with the path of what is wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/common.pb-c.h"
#include "common/configtx.pb-c.h"
#include "common/policies.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "peer/transaction.pb-c.h"

#include "fabric_block.h"
#include "fabric_config.h"
#include "fixture.h"
#include "fabric_decode.h"
#include "msp.h"
#include "topology.h"
#include "xmalloc.h"

#define CFG_PATH "block.data.data[0].payload.data.config"

static const char *const orgs3[] = { "Org1MSP", "Org2MSP", "Org3MSP" };

struct fx {
	char dir[64];
	json_t *doc;	/* normalized topology */
	json_t *pub;	/* published material by MSP ID */
	Common__Config *cfg;
	uint8_t *block;	/* the genesis block, packed */
	size_t len;
};

/* The genesis block of CFG, packed. */
static uint8_t *
pack_genesis(const Common__Config *cfg, size_t *len)
{
	static const uint8_t nonce[FBLOCK_NONCE_LEN] = { 1, 2, 3, 4, 5, 6, 7,
	    8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24 };
	Common__Block *b;
	char *cause = NULL;
	uint8_t *p;

	b = fblock_genesis(cfg, "trade", 1700000000, nonce, &cause);
	if (b == NULL)
		fail_msg("fblock_genesis: %s", cause);
	p = fblock_pack(b, len);
	fblock_free(b);
	return p;
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char *cause = NULL;

	if (fixture_example_open("test_fabric_decode", f->dir, sizeof(f->dir),
	    &f->doc, &f->pub) == -1) {
		free(f);
		return -1;
	}
	if ((f->cfg = fcfg_build(f->doc, "trade", f->pub, &cause)) == NULL) {
		fprintf(stderr, "fcfg_build: %s\n", cause);
		free(cause);
		goto fail;
	}
	f->block = pack_genesis(f->cfg, &f->len);
	*state = f;
	return 0;
fail:
	fixture_example_close(f->dir, f->doc, f->pub);
	free(f);
	return -1;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	if (f == NULL)
		return 0;
	fixture_example_close(f->dir, f->doc, f->pub);
	fcfg_free(f->cfg);
	free(f->block);
	free(f);
	return 0;
}

/* The value at a dotted path ("a.b.0.c": numbers index arrays). */
static const json_t *
at(const json_t *j, const char *path)
{
	char *copy = xstrdup(path), *save = NULL, *tok, *end;
	unsigned long idx;

	for (tok = strtok_r(copy, ".", &save); tok != NULL && j != NULL;
	    tok = strtok_r(NULL, ".", &save)) {
		if (json_is_array(j)) {
			idx = strtoul(tok, &end, 10);
			j = *end == '\0' ? json_array_get(j, idx) : NULL;
		} else
			j = json_object_get(j, tok);
	}
	free(copy);
	return j;
}

static void
want_str(const json_t *j, const char *path, const char *s)
{
	const json_t *v = at(j, path);

	if (!json_is_string(v))
		fail_msg("%s: not a string", path);
	assert_string_equal(json_string_value(v), s);
}

static void
want_int(const json_t *j, const char *path, json_int_t n)
{
	const json_t *v = at(j, path);

	if (!json_is_integer(v))
		fail_msg("%s: not an integer", path);
	assert_int_equal(json_integer_value(v), n);
}

/* cause starts with prefix; frees cause. */
static void
want_cause(char *cause, const char *prefix)
{
	if (cause == NULL)
		fail_msg("no cause, wanted \"%s\"", prefix);
	if (strncmp(cause, prefix, strlen(prefix)) != 0)
		fail_msg("cause \"%s\" does not start with \"%s\"", cause,
		    prefix);
	free(cause);
}

static void
decode_genesis(void **state)
{
	struct fx *f = *state;
	const json_t *cg, *cons, *v;
	char *cause = NULL, *p;
	json_t *j;
	size_t i;

	j = fdec_block(f->block, f->len, FDEC_BLOCK_MAX, &cause);
	if (j == NULL)
		fail_msg("fdec_block: %s", cause);
	assert_null(cause);
	want_str(j, "header.number", "0");
	assert_true(json_is_null(at(j, "header.previous_hash")));
	assert_true(json_is_string(at(j, "header.data_hash")));
	assert_int_equal(json_array_size(at(j, "metadata.metadata")), 5);
	want_str(j, "metadata.metadata.1", "");
	assert_int_equal(json_array_size(at(j, "data.data")), 1);
	assert_true(json_is_null(at(j, "data.data.0.signature")));
	want_str(j, "data.data.0.payload.header.channel_header.channel_id",
	    "trade");
	want_int(j, "data.data.0.payload.header.channel_header.type", 1);
	want_str(j, "data.data.0.payload.header.channel_header.timestamp",
	    "2023-11-14T22:13:20Z");
	want_str(j, "data.data.0.payload.header.channel_header.epoch", "0");
	want_str(j, "data.data.0.payload.header.signature_header.nonce",
	    "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcY");
	assert_true(json_is_null(at(j,
	    "data.data.0.payload.header.signature_header.creator")));
	assert_true(json_is_null(at(j, "data.data.0.payload.data.last_update")));
	want_str(j, "data.data.0.payload.data.config.sequence", "0");

	cg = at(j, "data.data.0.payload.data.config.channel_group");
	assert_non_null(cg);
	want_str(cg, "values.HashingAlgorithm.value.name", "SHA256");
	want_int(cg, "values.BlockDataHashingStructure.value.width",
	    4294967295LL);
	assert_non_null(at(cg, "values.Capabilities.value.capabilities.V2_0"));
	for (i = 0; i < 3; i++) {
		p = xasprintf("groups.Application.groups.%s.values.MSP.value."
		    "config.name", orgs3[i]);
		want_str(cg, p, orgs3[i]);
		free(p);
		p = xasprintf("groups.Orderer.groups.%s.values.MSP.value.type",
		    orgs3[i]);
		want_int(cg, p, 0);
		free(p);
	}
	want_str(cg, "groups.Application.groups.Org1MSP.values.MSP.value."
	    "config.fabric_node_ous.peer_ou_identifier."
	    "organizational_unit_identifier", "peer");
	assert_true(json_is_true(at(cg, "groups.Application.groups.Org1MSP."
	    "values.MSP.value.config.fabric_node_ous.enable")));
	want_str(cg, "groups.Application.groups.Org1MSP.values.AnchorPeers."
	    "value.anchor_peers.0.host", "peer0.org1.example.com");
	want_int(cg, "groups.Application.groups.Org1MSP.values.AnchorPeers."
	    "value.anchor_peers.0.port", 7051);

	/* Consenters, by host. */
	want_str(cg, "groups.Orderer.values.ConsensusType.value.type",
	    "etcdraft");
	want_str(cg, "groups.Orderer.values.ConsensusType.value.state",
	    "STATE_NORMAL");
	cons = at(cg, "groups.Orderer.values.ConsensusType.value.metadata."
	    "consenters");
	assert_int_equal(json_array_size(cons), 3);
	for (i = 0; i < 3; i++) {
		p = xasprintf("orderer0.org%zu.example.com", i + 1);
		assert_string_equal(json_string_value(json_object_get(
		    json_array_get(cons, i), "host")), p);
		free(p);
		assert_true(json_is_string(json_object_get(json_array_get(cons,
		    i), "client_tls_cert")));
	}
	want_str(cg, "groups.Orderer.values.ConsensusType.value.metadata."
	    "options.tick_interval", "500ms");
	want_int(cg, "groups.Orderer.values.BatchSize.value.max_message_count",
	    500);

	/* Policies by type: implicit meta and signature, decoded. */
	want_int(cg, "policies.Admins.policy.type", 3);
	want_str(cg, "policies.Admins.policy.value.rule", "MAJORITY");
	want_str(cg, "policies.Admins.policy.value.sub_policy", "Admins");
	want_str(cg, "policies.Readers.policy.value.rule", "ANY");
	v = at(cg, "groups.Application.groups.Org2MSP.policies.Admins.policy");
	want_int(v, "type", 1);
	want_str(v, "value.identities.0.principal_classification", "ROLE");
	want_str(v, "value.identities.0.principal.msp_identifier", "Org2MSP");
	want_str(v, "value.identities.0.principal.role", "ADMIN");
	want_int(v, "value.rule.n_out_of.n", 1);
	want_int(v, "value.rule.n_out_of.rules.0.signed_by", 0);
	want_int(v, "value.version", 0);
	want_str(cg, "groups.Application.groups.Org2MSP.policies.Admins."
	    "mod_policy", "Admins");
	want_str(cg, "groups.Application.groups.Org2MSP.policies.Admins."
	    "version", "0");
	json_decref(j);
}

static void
config_round_trip(void **state)
{
	struct fx *f = *state;
	Common__Config *cfg;
	json_t *j, *whole;
	uint8_t *p1, *p2;
	size_t l1, l2;
	char *cause = NULL;

	cfg = fdec_config_from_block(f->block, f->len, FDEC_BLOCK_MAX, &cause);
	if (cfg == NULL)
		fail_msg("fdec_config_from_block: %s", cause);
	assert_null(cause);
	p1 = fcfg_pack(cfg, &l1);
	p2 = fcfg_pack(f->cfg, &l2);
	assert_true(l1 > 1000);
	assert_int_equal(l1, l2);
	assert_memory_equal(p1, p2, l1);

	/* fdec_config prints what fdec_block prints under the envelope. */
	j = fdec_config(cfg, &cause);
	assert_non_null(j);
	whole = fdec_block(f->block, f->len, FDEC_BLOCK_MAX, &cause);
	assert_non_null(whole);
	assert_true(json_equal(j, at(whole, "data.data.0.payload.data.config")));
	json_decref(j);
	json_decref(whole);
	free(p1);
	free(p2);
	fcfg_free(cfg);
}

/* A block of one envelope whose payload has header TYPE and data DATA. */
static uint8_t *
pack_tx_block(uint64_t number, int32_t type, const char *channel,
    const ProtobufCBinaryData *data, size_t ntx, size_t *len)
{
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Common__ChannelHeader ch = COMMON__CHANNEL_HEADER__INIT;
	Common__Header hdr = COMMON__HEADER__INIT;
	Common__Payload pl = COMMON__PAYLOAD__INIT;
	Common__Envelope env = COMMON__ENVELOPE__INIT;
	Common__BlockHeader bh = COMMON__BLOCK_HEADER__INIT;
	Common__BlockData bd = COMMON__BLOCK_DATA__INIT;
	Common__Block b = COMMON__BLOCK__INIT;
	ProtobufCBinaryData txs[4];
	uint8_t *p, *chb, *plb, *envb;
	size_t i, n;

	ts.seconds = 1700000000;
	ts.nanos = 5000000;
	ch.type = type;
	ch.channel_id = (char *)(uintptr_t)channel;
	ch.timestamp = &ts;
	n = protobuf_c_message_get_packed_size(&ch.base);
	chb = xmalloc(n + 1);
	hdr.channel_header.len = protobuf_c_message_pack(&ch.base, chb);
	hdr.channel_header.data = chb;
	pl.header = &hdr;
	if (data != NULL)
		pl.data = *data;
	plb = xmalloc(protobuf_c_message_get_packed_size(&pl.base) + 1);
	env.payload.len = protobuf_c_message_pack(&pl.base, plb);
	env.payload.data = plb;
	envb = xmalloc(protobuf_c_message_get_packed_size(&env.base) + 1);
	for (i = 0; i < ntx && i < 4; i++) {
		txs[i].len = protobuf_c_message_pack(&env.base, envb);
		txs[i].data = envb;
	}
	bd.n_data = ntx;
	bd.data = txs;
	bh.number = number;
	b.header = &bh;
	b.data = &bd;
	p = xmalloc(protobuf_c_message_get_packed_size(&b.base) + 1);
	*len = protobuf_c_message_pack(&b.base, p);
	free(chb);
	free(plb);
	free(envb);
	return p;
}

static void
not_config_blocks(void **state)
{
	ProtobufCBinaryData tx = { 0, NULL };
	Protos__Transaction t = PROTOS__TRANSACTION__INIT;
	Protos__TransactionAction ta = PROTOS__TRANSACTION_ACTION__INIT;
	Protos__TransactionAction *tas[1] = { &ta };
	uint8_t *p, tb[8];
	size_t len;
	char *cause = NULL;
	json_t *j;

	(void)state;
	t.n_actions = 1;
	t.actions = tas;
	tx.len = protobuf_c_message_pack(&t.base, tb);
	tx.data = tb;
	p = pack_tx_block(12, COMMON__HEADER_TYPE__ENDORSER_TRANSACTION, "trade",
	    &tx, 1, &len);
	assert_null(fdec_config_from_block(p, len, FDEC_BLOCK_MAX, &cause));
	want_cause(cause, "block 12 is not a config block: its transaction "
	    "is an ENDORSER_TRANSACTION (3), not CONFIG (1)");
	/* It is a block all the same. */
	j = fdec_block(p, len, FDEC_BLOCK_MAX, &cause);
	assert_non_null(j);
	want_int(j, "data.data.0.payload.header.channel_header.type", 3);
	want_str(j, "data.data.0.payload.header.channel_header.timestamp",
	    "2023-11-14T22:13:20.005Z");
	assert_int_equal(json_array_size(at(j,
	    "data.data.0.payload.data.actions")), 1);
	assert_true(json_is_null(at(j,
	    "data.data.0.payload.data.actions.0.header")));
	json_decref(j);
	free(p);

	p = pack_tx_block(3, COMMON__HEADER_TYPE__CONFIG, "trade", NULL, 2,
	    &len);
	assert_null(fdec_config_from_block(p, len, FDEC_BLOCK_MAX, &cause));
	want_cause(cause, "block 3 is not a config block: it holds 2 "
	    "transactions, a config block exactly one");
	free(p);

	p = pack_tx_block(4, COMMON__HEADER_TYPE__CONFIG, "trade", NULL, 0,
	    &len);
	assert_null(fdec_config_from_block(p, len, FDEC_BLOCK_MAX, &cause));
	want_cause(cause, "block 4 is not a config block: it holds no "
	    "transaction");
	free(p);

	p = pack_tx_block(5, COMMON__HEADER_TYPE__CONFIG, "trade", NULL, 1,
	    &len);
	assert_null(fdec_config_from_block(p, len, FDEC_BLOCK_MAX, &cause));
	want_cause(cause, "block.data.data[0].payload.data: empty: the CONFIG "
	    "transaction carries no ConfigEnvelope");
	free(p);

	/* A string that is not UTF-8: Go refuses it, so do we. */
	p = pack_tx_block(6, COMMON__HEADER_TYPE__CONFIG, "tr\xff" "de", NULL,
	    1, &len);
	assert_null(fdec_block(p, len, FDEC_BLOCK_MAX, &cause));
	want_cause(cause, "block.data.data[0].payload.header.channel_header: "
	    "not a valid common.ChannelHeader: string field channel_id is not "
	    "valid UTF-8");
	free(p);
}

static void
broken_blocks(void **state)
{
	struct fx *f = *state;
	char *cause = NULL;
	uint8_t junk[] = { 0x0a, 0x05, 0x01 };
	uint8_t wt[] = { 0x4b, 0x00 };	/* field 9, start group */
	size_t cut;

	/* Cut anywhere: never a crash, always a sentence. */
	for (cut = 1; cut < f->len; cut += f->len / 97 + 1) {
		assert_null(fdec_block(f->block, cut, FDEC_BLOCK_MAX, &cause));
		assert_non_null(cause);
		assert_true(strncmp(cause, "block", 5) == 0);
		free(cause);
		assert_null(fdec_config_from_block(f->block, cut,
		    FDEC_BLOCK_MAX, &cause));
		assert_non_null(cause);
		free(cause);
	}
	assert_null(fdec_block(f->block, f->len - 1, FDEC_BLOCK_MAX, &cause));
	want_cause(cause, "block: not a valid common.Block: the data ends "
	    "inside a field");
	assert_null(fdec_block(junk, sizeof(junk), FDEC_BLOCK_MAX, &cause));
	want_cause(cause, "block: not a valid common.Block: the data ends "
	    "inside a field");
	assert_null(fdec_block(wt, sizeof(wt), FDEC_BLOCK_MAX, &cause));
	want_cause(cause, "block: not a valid common.Block: groups");
	assert_null(fdec_block(junk, 0, FDEC_BLOCK_MAX, &cause));
	want_cause(cause, "the block is empty");

	/* The size limit. */
	assert_null(fdec_block(f->block, f->len, f->len - 1, &cause));
	want_cause(cause, "the block is ");
	assert_null(fdec_config_from_block(f->block, f->len, 1024, &cause));
	want_cause(cause, "the block is ");
}

/* A config whose Org1MSP application MSP value is not an MSPConfig. */
static void
broken_msp_value(void **state)
{
	struct fx *f = *state;
	Common__ConfigGroup *app, *org;
	Common__ConfigValue *v;
	ProtobufCBinaryData saved;
	uint8_t bad[] = { 0x12, 0x40, 0x00 };	/* config: 64 bytes, 1 there */
	uint8_t *p;
	size_t len;
	char *cause = NULL;

	app = fcfg_group(f->cfg->channel_group, "Application");
	org = fcfg_group(app, "Org1MSP");
	v = fcfg_value(org, "MSP");
	assert_non_null(v);
	saved = v->value;
	v->value.data = bad;
	v->value.len = sizeof(bad);
	p = pack_genesis(f->cfg, &len);
	v->value = saved;

	assert_null(fdec_block(p, len, FDEC_BLOCK_MAX, &cause));
	want_cause(cause, CFG_PATH ".channel_group.groups.Application.groups."
	    "Org1MSP.values.MSP.value: not a valid msp.MSPConfig: the data "
	    "ends inside a field");
	assert_null(fdec_config_from_block(p, len, FDEC_BLOCK_MAX, &cause));
	want_cause(cause, CFG_PATH ".channel_group.groups.Application.groups."
	    "Org1MSP.values.MSP.value: not a valid msp.MSPConfig");
	free(p);
}

/* Policies nested deeper than FDEC_DEPTH_MAX are refused, not recursed. */
static void
deep_policy(void **state)
{
	struct fx *f = *state;
	enum { DEPTH = 150 };
	Common__SignaturePolicy *sp;
	Common__SignaturePolicy__NOutOf *no;
	Common__SignaturePolicyEnvelope env =
	    COMMON__SIGNATURE_POLICY_ENVELOPE__INIT;
	Common__ConfigPolicy *pol;
	ProtobufCBinaryData saved;
	int32_t saved_type;
	uint8_t *val, *p;
	size_t len, i;
	char *cause = NULL;

	sp = xcalloc(DEPTH, sizeof(*sp));
	no = xcalloc(DEPTH, sizeof(*no));
	for (i = 0; i < DEPTH; i++) {
		common__signature_policy__init(&sp[i]);
		common__signature_policy__nout_of__init(&no[i]);
		if (i + 1 < DEPTH) {
			sp[i].type_case = COMMON__SIGNATURE_POLICY__TYPE_N_OUT_OF;
			sp[i].n_out_of = &no[i];
			no[i].n = 1;
			no[i].n_rules = 1;
			no[i].rules = xcalloc(1, sizeof(*no[i].rules));
			no[i].rules[0] = &sp[i + 1];
		} else {
			sp[i].type_case = COMMON__SIGNATURE_POLICY__TYPE_SIGNED_BY;
			sp[i].signed_by = 0;
		}
	}
	env.rule = &sp[0];
	val = xmalloc(protobuf_c_message_get_packed_size(&env.base));
	len = protobuf_c_message_pack(&env.base, val);

	pol = fcfg_policy(f->cfg->channel_group, "Admins");
	assert_non_null(pol);
	saved = pol->policy->value;
	saved_type = pol->policy->type;
	pol->policy->type = COMMON__POLICY__POLICY_TYPE__SIGNATURE;
	pol->policy->value.data = val;
	pol->policy->value.len = len;
	p = pack_genesis(f->cfg, &len);
	pol->policy->value = saved;
	pol->policy->type = saved_type;

	assert_null(fdec_block(p, len, FDEC_BLOCK_MAX, &cause));
	want_cause(cause, CFG_PATH ".channel_group.policies.Admins.policy."
	    "value: not a valid common.SignaturePolicyEnvelope: messages nest "
	    "more than 100 deep");
	free(p);
	free(val);
	for (i = 0; i + 1 < DEPTH; i++)
		free(no[i].rules);
	free(sp);
	free(no);
}

static uint8_t *
pack_metadata_block(const ProtobufCBinaryData *slots, size_t n, size_t *len)
{
	Common__BlockMetadata bm = COMMON__BLOCK_METADATA__INIT;
	Common__Block b = COMMON__BLOCK__INIT;
	uint8_t *p;

	bm.n_metadata = n;
	bm.metadata = (ProtobufCBinaryData *)(uintptr_t)slots;
	b.metadata = &bm;
	p = xmalloc(protobuf_c_message_get_packed_size(&b.base) + 1);
	*len = protobuf_c_message_pack(&b.base, p);
	return p;
}

static ProtobufCBinaryData
packed(const ProtobufCMessage *m)
{
	ProtobufCBinaryData d;

	d.data = xmalloc(protobuf_c_message_get_packed_size(m) + 1);
	d.len = protobuf_c_message_pack(m, d.data);
	return d;
}

static void
last_config(void **state)
{
	struct fx *f = *state;
	Common__LastConfig lc = COMMON__LAST_CONFIG__INIT;
	Common__OrdererBlockMetadata obm = COMMON__ORDERER_BLOCK_METADATA__INIT;
	Common__Metadata md = COMMON__METADATA__INIT;
	ProtobufCBinaryData slots[5], inner;
	Common__Block *b;
	uint64_t idx = 99;
	uint8_t *p;
	size_t len;
	char *cause = NULL;

	/* The genesis block points at itself. */
	b = fdec_block_unpack(f->block, f->len, FDEC_BLOCK_MAX, &cause);
	assert_non_null(b);
	assert_int_equal(fdec_last_config_index(b, &idx, &cause), 0);
	assert_int_equal(idx, 0);
	common__block__free_unpacked(b, NULL);

	/* Fabric 2.x: OrdererBlockMetadata in SIGNATURES. */
	memset(slots, 0, sizeof(slots));
	lc.index = 7;
	obm.last_config = &lc;
	md.value = packed(&obm.base);
	slots[0] = packed(&md.base);
	free(md.value.data);
	p = pack_metadata_block(slots, 5, &len);
	b = fdec_block_unpack(p, len, FDEC_BLOCK_MAX, &cause);
	assert_non_null(b);
	assert_int_equal(fdec_last_config_index(b, &idx, &cause), 0);
	assert_int_equal(idx, 7);
	common__block__free_unpacked(b, NULL);
	free(p);
	free(slots[0].data);

	/* Before 1.4.1: SIGNATURES without a value, LastConfig in slot 1. */
	lc.index = 5;
	inner = packed(&lc.base);
	md.value = inner;
	slots[0].len = 0;
	slots[1] = packed(&md.base);
	free(inner.data);
	p = pack_metadata_block(slots, 5, &len);
	b = fdec_block_unpack(p, len, FDEC_BLOCK_MAX, &cause);
	assert_non_null(b);
	assert_int_equal(fdec_last_config_index(b, &idx, &cause), 0);
	assert_int_equal(idx, 5);
	common__block__free_unpacked(b, NULL);
	free(p);
	free(slots[1].data);

	/* OrdererBlockMetadata without last_config (Go would panic). */
	obm.last_config = NULL;
	obm.consenter_metadata.data = (uint8_t *)(uintptr_t)"x";
	obm.consenter_metadata.len = 1;
	md.value = packed(&obm.base);
	slots[0] = packed(&md.base);
	free(md.value.data);
	p = pack_metadata_block(slots, 1, &len);
	b = fdec_block_unpack(p, len, FDEC_BLOCK_MAX, &cause);
	assert_non_null(b);
	assert_int_equal(fdec_last_config_index(b, &idx, &cause), -1);
	want_cause(cause, "block.metadata.metadata[0].value: the "
	    "OrdererBlockMetadata has no last_config");
	common__block__free_unpacked(b, NULL);
	free(p);
	free(slots[0].data);

	/* No metadata at all. */
	p = pack_metadata_block(slots, 0, &len);
	b = fdec_block_unpack(p, len, FDEC_BLOCK_MAX, &cause);
	assert_non_null(b);	/* metadata {} packs to 2 bytes */
	assert_int_equal(fdec_last_config_index(b, &idx, &cause), -1);
	want_cause(cause, "the block has no SIGNATURES metadata");
	common__block__free_unpacked(b, NULL);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode_genesis),
		cmocka_unit_test(config_round_trip),
		cmocka_unit_test(not_config_blocks),
		cmocka_unit_test(broken_blocks),
		cmocka_unit_test(broken_msp_value),
		cmocka_unit_test(deep_policy),
		cmocka_unit_test(last_config),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
