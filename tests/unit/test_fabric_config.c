/*
 * test_fabric_config.c: the channel config tree (lib/fabric_config.c) and
 * the genesis block (lib/fabric_block.c), for the example consortium
 * (examples/consortium.yaml) with real PKIs made by lib/msp.c for its
 * three orgs. Every value is unpacked again and checked; hashes are
 * recomputed here with OpenSSL.
 *
 * With FABFED_GENESIS_OUT=FILE set, only write_genesis runs and leaves the
 * genesis block of channel "trade" in FILE (FILE.config gets the packed
 * config alone) for tests/integration/genesis_oracle.sh.
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
#include <openssl/sha.h>

#include "common/common.pb-c.h"
#include "common/configtx.pb-c.h"
#include "common/configuration.pb-c.h"
#include "common/policies.pb-c.h"
#include "msp/msp_config.pb-c.h"
#include "msp/msp_principal.pb-c.h"
#include "orderer/configuration.pb-c.h"
#include "orderer/etcdraft/configuration.pb-c.h"
#include "peer/configuration.pb-c.h"

#include "fabric_block.h"
#include "fabric_config.h"
#include "fixture.h"
#include "msp.h"
#include "topology.h"
#include "xmalloc.h"


static const char *const orgs3[] = { "Org1MSP", "Org2MSP", "Org3MSP" };

/* Tests take a struct fixture_ex: the example consortium, Org1-3MSP published. */

static Common__Config *
build(struct fixture_ex *f)
{
	Common__Config *cfg;
	char *cause = NULL;

	cfg = fcfg_build(f->doc, "trade", f->pub, &cause);
	if (cfg == NULL)
		fail_msg("fcfg_build: %s", cause);
	assert_null(cause);
	return cfg;
}

/* The implicit meta policy KEY of G is SUB with RULE, mod_policy Admins. */
static void
check_implicit(const Common__ConfigGroup *g, const char *key, const char *sub,
    Common__ImplicitMetaPolicy__Rule rule)
{
	Common__ConfigPolicy *p = fcfg_policy(g, key);
	Common__ImplicitMetaPolicy *imp;

	assert_non_null(p);
	assert_string_equal(p->mod_policy, "Admins");
	assert_int_equal(p->policy->type,
	    COMMON__POLICY__POLICY_TYPE__IMPLICIT_META);
	imp = common__implicit_meta_policy__unpack(NULL, p->policy->value.len,
	    p->policy->value.data);
	assert_non_null(imp);
	assert_string_equal(imp->sub_policy, sub);
	assert_int_equal(imp->rule, rule);
	common__implicit_meta_policy__free_unpacked(imp, NULL);
}

/* The signature policy KEY of G is OR('MSPID.role'). */
static void
check_signature(const Common__ConfigGroup *g, const char *key,
    const char *mspid, Common__MSPRole__MSPRoleType role)
{
	Common__ConfigPolicy *p = fcfg_policy(g, key);
	Common__SignaturePolicyEnvelope *env;
	Common__MSPRole *r;

	assert_non_null(p);
	assert_int_equal(p->policy->type,
	    COMMON__POLICY__POLICY_TYPE__SIGNATURE);
	env = common__signature_policy_envelope__unpack(NULL,
	    p->policy->value.len, p->policy->value.data);
	assert_non_null(env);
	assert_int_equal(env->rule->type_case,
	    COMMON__SIGNATURE_POLICY__TYPE_N_OUT_OF);
	assert_int_equal(env->rule->n_out_of->n, 1);
	assert_int_equal(env->rule->n_out_of->n_rules, 1);
	assert_int_equal(env->rule->n_out_of->rules[0]->type_case,
	    COMMON__SIGNATURE_POLICY__TYPE_SIGNED_BY);
	assert_int_equal(env->rule->n_out_of->rules[0]->signed_by, 0);
	assert_int_equal(env->n_identities, 1);
	assert_int_equal(env->identities[0]->principal_classification,
	    COMMON__MSPPRINCIPAL__CLASSIFICATION__ROLE);
	r = common__msprole__unpack(NULL, env->identities[0]->principal.len,
	    env->identities[0]->principal.data);
	assert_non_null(r);
	assert_string_equal(r->msp_identifier, mspid);
	assert_int_equal(r->role, role);
	common__msprole__free_unpacked(r, NULL);
	common__signature_policy_envelope__free_unpacked(env, NULL);
}

static void
check_capability(const Common__ConfigGroup *g, const char *cap)
{
	Common__ConfigValue *v = fcfg_value(g, "Capabilities");
	Common__Capabilities *c;

	assert_non_null(v);
	c = common__capabilities__unpack(NULL, v->value.len, v->value.data);
	assert_non_null(c);
	assert_int_equal(c->n_capabilities, 1);
	assert_string_equal(c->capabilities[0]->key, cap);
	common__capabilities__free_unpacked(c, NULL);
}

static int
bin_eq_str(const ProtobufCBinaryData *b, const char *s)
{
	return s != NULL && b->len == strlen(s) &&
	    memcmp(b->data, s, b->len) == 0;
}

/* The MSP value of the org group G against what MSPID published. */
static void
check_msp(struct fixture_ex *f, const Common__ConfigGroup *g, const char *mspid)
{
	const json_t *msp = json_object_get(json_object_get(f->pub, mspid),
	    "msp");
	Common__ConfigValue *v = fcfg_value(g, "MSP");
	Msp__MSPConfig *mc;
	Msp__FabricMSPConfig *fc;
	const char *root = json_string_value(json_array_get(
	    json_object_get(msp, "rootCerts"), 0));

	assert_non_null(v);
	assert_string_equal(v->mod_policy, "Admins");
	mc = msp__mspconfig__unpack(NULL, v->value.len, v->value.data);
	assert_non_null(mc);
	assert_int_equal(mc->type, 0);
	fc = msp__fabric_mspconfig__unpack(NULL, mc->config.len,
	    mc->config.data);
	assert_non_null(fc);
	assert_string_equal(fc->name, mspid);
	assert_int_equal(fc->n_root_certs, 1);
	assert_true(bin_eq_str(&fc->root_certs[0], root));
	assert_int_equal(fc->n_tls_root_certs, 1);
	assert_true(bin_eq_str(&fc->tls_root_certs[0], json_string_value(
	    json_array_get(json_object_get(msp, "tlsRootCerts"), 0))));
	assert_int_equal(fc->n_admins, 0);	/* NodeOUs on */
	assert_null(fc->signing_identity);
	assert_non_null(fc->crypto_config);
	assert_string_equal(fc->crypto_config->signature_hash_family, "SHA2");
	assert_string_equal(
	    fc->crypto_config->identity_identifier_hash_function, "SHA256");
	assert_non_null(fc->fabric_node_ous);
	assert_true(fc->fabric_node_ous->enable);
	assert_string_equal(fc->fabric_node_ous->client_ou_identifier->
	    organizational_unit_identifier, "client");
	assert_string_equal(fc->fabric_node_ous->peer_ou_identifier->
	    organizational_unit_identifier, "peer");
	assert_string_equal(fc->fabric_node_ous->admin_ou_identifier->
	    organizational_unit_identifier, "admin");
	assert_string_equal(fc->fabric_node_ous->orderer_ou_identifier->
	    organizational_unit_identifier, "orderer");
	assert_true(bin_eq_str(
	    &fc->fabric_node_ous->admin_ou_identifier->certificate, root));
	assert_true(bin_eq_str(
	    &fc->fabric_node_ous->orderer_ou_identifier->certificate, root));
	msp__fabric_mspconfig__free_unpacked(fc, NULL);
	msp__mspconfig__free_unpacked(mc, NULL);
}

static void
check_sorted(const Common__ConfigGroup *g)
{
	size_t i;

	for (i = 1; i < g->n_groups; i++)
		assert_true(strcmp(g->groups[i - 1]->key, g->groups[i]->key) < 0);
	for (i = 1; i < g->n_values; i++)
		assert_true(strcmp(g->values[i - 1]->key, g->values[i]->key) < 0);
	for (i = 1; i < g->n_policies; i++)
		assert_true(strcmp(g->policies[i - 1]->key,
		    g->policies[i]->key) < 0);
	for (i = 0; i < g->n_groups; i++) {
		assert_int_equal(g->groups[i]->value->version, 0);
		assert_string_equal(g->groups[i]->value->mod_policy, "Admins");
		check_sorted(g->groups[i]->value);
	}
}

static void
channel_group(void **state)
{
	struct fixture_ex *f = *state;
	Common__Config *cfg = build(f);
	Common__ConfigGroup *ch = cfg->channel_group;
	Common__HashingAlgorithm *ha;
	Common__BlockDataHashingStructure *bd;
	Common__ConfigValue *v;

	assert_int_equal(cfg->sequence, 0);
	assert_string_equal(ch->mod_policy, "Admins");
	assert_int_equal(ch->n_groups, 2);
	assert_string_equal(ch->groups[0]->key, "Application");
	assert_string_equal(ch->groups[1]->key, "Orderer");
	check_sorted(ch);
	check_implicit(ch, "Readers", "Readers",
	    COMMON__IMPLICIT_META_POLICY__RULE__ANY);
	check_implicit(ch, "Writers", "Writers",
	    COMMON__IMPLICIT_META_POLICY__RULE__ANY);
	check_implicit(ch, "Admins", "Admins",
	    COMMON__IMPLICIT_META_POLICY__RULE__MAJORITY);
	assert_int_equal(ch->n_policies, 3);
	/* Fabric 2.x: orderer endpoints per org, none at channel level. */
	assert_null(fcfg_value(ch, "OrdererAddresses"));
	assert_int_equal(ch->n_values, 3);
	v = fcfg_value(ch, "HashingAlgorithm");
	assert_non_null(v);
	ha = common__hashing_algorithm__unpack(NULL, v->value.len,
	    v->value.data);
	assert_string_equal(ha->name, "SHA256");
	common__hashing_algorithm__free_unpacked(ha, NULL);
	v = fcfg_value(ch, "BlockDataHashingStructure");
	assert_non_null(v);
	bd = common__block_data_hashing_structure__unpack(NULL, v->value.len,
	    v->value.data);
	assert_int_equal(bd->width, 4294967295U);
	common__block_data_hashing_structure__free_unpacked(bd, NULL);
	check_capability(ch, "V2_0");
	fcfg_free(cfg);
}

static void
orderer_group(void **state)
{
	struct fixture_ex *f = *state;
	Common__Config *cfg = build(f);
	Common__ConfigGroup *og = fcfg_group(cfg->channel_group, "Orderer"),
	    *org;
	Orderer__ConsensusType *ct;
	Etcdraft__ConfigMetadata *md;
	Orderer__BatchSize *bs;
	Orderer__BatchTimeout *bt;
	Common__OrdererAddresses *oa;
	Common__ConfigValue *v;
	char want[128];
	const char *tls;
	size_t i;

	assert_non_null(og);
	check_implicit(og, "BlockValidation", "Writers",
	    COMMON__IMPLICIT_META_POLICY__RULE__ANY);
	check_implicit(og, "Admins", "Admins",
	    COMMON__IMPLICIT_META_POLICY__RULE__MAJORITY);
	assert_int_equal(og->n_policies, 4);
	check_capability(og, "V2_0");
	v = fcfg_value(og, "BatchSize");
	bs = orderer__batch_size__unpack(NULL, v->value.len, v->value.data);
	assert_int_equal(bs->max_message_count, 500);
	assert_int_equal(bs->absolute_max_bytes, 10 * 1024 * 1024);
	assert_int_equal(bs->preferred_max_bytes, 2 * 1024 * 1024);
	orderer__batch_size__free_unpacked(bs, NULL);
	v = fcfg_value(og, "BatchTimeout");
	bt = orderer__batch_timeout__unpack(NULL, v->value.len, v->value.data);
	assert_string_equal(bt->timeout, "2s");
	orderer__batch_timeout__free_unpacked(bt, NULL);
	/* configtxgen always writes it; max_count 0 encodes to nothing. */
	v = fcfg_value(og, "ChannelRestrictions");
	assert_non_null(v);
	assert_int_equal(v->value.len, 0);

	v = fcfg_value(og, "ConsensusType");
	ct = orderer__consensus_type__unpack(NULL, v->value.len, v->value.data);
	assert_non_null(ct);
	assert_string_equal(ct->type, "etcdraft");
	assert_int_equal(ct->state, ORDERER__CONSENSUS_TYPE__STATE__STATE_NORMAL);
	md = etcdraft__config_metadata__unpack(NULL, ct->metadata.len,
	    ct->metadata.data);
	assert_non_null(md);
	assert_int_equal(md->n_consenters, 3);
	for (i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "orderer0.org%zu.example.com",
		    i + 1);
		assert_string_equal(md->consenters[i]->host, want);
		assert_int_equal(md->consenters[i]->port, 7050);
		tls = json_string_value(json_object_get(json_object_get(
		    json_object_get(json_object_get(json_object_get(f->pub,
		    orgs3[i]), "msp"), "orderers"), "orderer0"), "tlsCert"));
		assert_non_null(tls);
		assert_true(bin_eq_str(&md->consenters[i]->client_tls_cert, tls));
		assert_true(bin_eq_str(&md->consenters[i]->server_tls_cert, tls));
	}
	assert_string_equal(md->options->tick_interval, "500ms");
	assert_int_equal(md->options->election_tick, 10);
	assert_int_equal(md->options->heartbeat_tick, 1);
	assert_int_equal(md->options->max_inflight_blocks, 5);
	assert_int_equal(md->options->snapshot_interval_size, 16777216);
	etcdraft__config_metadata__free_unpacked(md, NULL);
	orderer__consensus_type__free_unpacked(ct, NULL);

	assert_int_equal(og->n_groups, 3);
	for (i = 0; i < 3; i++) {
		org = fcfg_group(og, orgs3[i]);
		assert_non_null(org);
		check_msp(f, org, orgs3[i]);
		check_signature(org, "Readers", orgs3[i],
		    COMMON__MSPROLE__MSPROLE_TYPE__MEMBER);
		check_signature(org, "Writers", orgs3[i],
		    COMMON__MSPROLE__MSPROLE_TYPE__MEMBER);
		check_signature(org, "Admins", orgs3[i],
		    COMMON__MSPROLE__MSPROLE_TYPE__ADMIN);
		check_signature(org, "Endorsement", orgs3[i],
		    COMMON__MSPROLE__MSPROLE_TYPE__MEMBER);
		v = fcfg_value(org, "Endpoints");
		assert_non_null(v);
		oa = common__orderer_addresses__unpack(NULL, v->value.len,
		    v->value.data);
		assert_int_equal(oa->n_addresses, 1);
		snprintf(want, sizeof(want), "orderer0.org%zu.example.com:7050",
		    i + 1);
		assert_string_equal(oa->addresses[0], want);
		common__orderer_addresses__free_unpacked(oa, NULL);
		assert_null(fcfg_value(org, "AnchorPeers"));
	}
	fcfg_free(cfg);
}

static void
application_group(void **state)
{
	struct fixture_ex *f = *state;
	Common__Config *cfg = build(f);
	Common__ConfigGroup *ag = fcfg_group(cfg->channel_group,
	    "Application"), *org;
	Protos__AnchorPeers *ap;
	Protos__ACLs *acls;
	Common__ConfigValue *v;
	char want[128];
	size_t i;

	assert_non_null(ag);
	check_capability(ag, "V2_5");
	check_implicit(ag, "Readers", "Readers",
	    COMMON__IMPLICIT_META_POLICY__RULE__ANY);
	check_implicit(ag, "Writers", "Writers",
	    COMMON__IMPLICIT_META_POLICY__RULE__ANY);
	check_implicit(ag, "Admins", "Admins",
	    COMMON__IMPLICIT_META_POLICY__RULE__MAJORITY);
	check_implicit(ag, "Endorsement", "Endorsement",
	    COMMON__IMPLICIT_META_POLICY__RULE__MAJORITY);
	check_implicit(ag, "LifecycleEndorsement", "Endorsement",
	    COMMON__IMPLICIT_META_POLICY__RULE__MAJORITY);
	assert_int_equal(ag->n_policies, 5);
	v = fcfg_value(ag, "ACLs");
	assert_non_null(v);
	acls = protos__acls__unpack(NULL, v->value.len, v->value.data);
	assert_non_null(acls);
	assert_int_equal(acls->n_acls, 19);
	for (i = 1; i < acls->n_acls; i++)
		assert_true(strcmp(acls->acls[i - 1]->key, acls->acls[i]->key) < 0);
	assert_string_equal(acls->acls[0]->key, "_lifecycle/CheckCommitReadiness");
	protos__acls__free_unpacked(acls, NULL);

	assert_int_equal(ag->n_groups, 3);
	for (i = 0; i < 3; i++) {
		org = fcfg_group(ag, orgs3[i]);
		assert_non_null(org);
		check_msp(f, org, orgs3[i]);
		check_signature(org, "Readers", orgs3[i],
		    COMMON__MSPROLE__MSPROLE_TYPE__MEMBER);
		check_signature(org, "Admins", orgs3[i],
		    COMMON__MSPROLE__MSPROLE_TYPE__ADMIN);
		check_signature(org, "Endorsement", orgs3[i],
		    COMMON__MSPROLE__MSPROLE_TYPE__PEER);
		assert_null(fcfg_value(org, "Endpoints"));
		v = fcfg_value(org, "AnchorPeers");
		assert_non_null(v);
		ap = protos__anchor_peers__unpack(NULL, v->value.len,
		    v->value.data);
		assert_non_null(ap);
		assert_int_equal(ap->n_anchor_peers, 1);
		snprintf(want, sizeof(want), "peer0.org%zu.example.com", i + 1);
		assert_string_equal(ap->anchor_peers[0]->host, want);
		assert_int_equal(ap->anchor_peers[0]->port, 7051);
		protos__anchor_peers__free_unpacked(ap, NULL);
	}
	fcfg_free(cfg);
}

static void
policies_follow_topology(void **state)
{
	struct fixture_ex *f = *state;
	json_t *doc = json_deep_copy(f->doc), *pol;
	Common__Config *cfg;
	char *cause = NULL;

	pol = json_object_get(json_array_get(json_object_get(
	    json_object_get(doc, "spec"), "channels"), 0), "policies");
	json_object_set_new(pol, "admins", json_string("ALL"));
	json_object_set_new(pol, "endorsement", json_string("ANY"));
	cfg = fcfg_build(doc, "trade", f->pub, &cause);
	assert_non_null(cfg);
	check_implicit(fcfg_group(cfg->channel_group, "Application"), "Admins",
	    "Admins", COMMON__IMPLICIT_META_POLICY__RULE__ALL);
	check_implicit(fcfg_group(cfg->channel_group, "Application"),
	    "LifecycleEndorsement", "Endorsement",
	    COMMON__IMPLICIT_META_POLICY__RULE__ANY);
	fcfg_free(cfg);
	json_decref(doc);
}

static void
refusals(void **state)
{
	struct fixture_ex *f = *state;
	json_t *pub = json_deep_copy(f->pub);
	char *cause = NULL;

	assert_null(fcfg_build(f->doc, "nosuch", f->pub, &cause));
	assert_non_null(strstr(cause, "nosuch"));
	free(cause);
	cause = NULL;
	json_object_del(pub, "Org2MSP");
	assert_null(fcfg_build(f->doc, "trade", pub, &cause));
	assert_non_null(strstr(cause, "Org2MSP"));
	free(cause);
	cause = NULL;
	json_decref(pub);
	pub = json_deep_copy(f->pub);
	json_array_set_new(json_object_get(json_object_get(json_object_get(
	    pub, "Org1MSP"), "msp"), "rootCerts"), 0,
	    json_string("-----BEGIN CERTIFICATE-----\nnot\n-----END "
	    "CERTIFICATE-----\n"));
	assert_null(fcfg_build(f->doc, "trade", pub, &cause));
	assert_non_null(strstr(cause, "rootCerts[0]"));
	free(cause);
	json_decref(pub);
}

static Common__Block *
genesis(struct fixture_ex *f, const Common__Config *cfg)
{
	static const uint8_t nonce[FBLOCK_NONCE_LEN] = { 1, 2, 3, 4, 5, 6, 7,
	    8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24 };
	Common__Block *b;
	char *cause = NULL;

	(void)f;
	b = fblock_genesis(cfg, "trade", 1700000000, nonce, &cause);
	if (b == NULL)
		fail_msg("fblock_genesis: %s", cause);
	return b;
}

static void
deterministic(void **state)
{
	struct fixture_ex *f = *state;
	Common__Config *c1 = build(f), *c2 = build(f);
	Common__Block *b1, *b2;
	uint8_t *p1, *p2;
	size_t l1, l2;

	p1 = fcfg_pack(c1, &l1);
	p2 = fcfg_pack(c2, &l2);
	assert_true(l1 > 1000);
	assert_int_equal(l1, l2);
	assert_memory_equal(p1, p2, l1);
	free(p1);
	free(p2);
	b1 = genesis(f, c1);
	b2 = genesis(f, c2);
	p1 = fblock_pack(b1, &l1);
	p2 = fblock_pack(b2, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(p1, p2, l1);
	free(p1);
	free(p2);
	fblock_free(b1);
	fblock_free(b2);
	fcfg_free(c1);
	fcfg_free(c2);
}

static void
genesis_block(void **state)
{
	struct fixture_ex *f = *state;
	Common__Config *cfg = build(f);
	Common__Block *b = genesis(f, cfg);
	Common__Envelope *env;
	Common__Payload *pl;
	Common__ChannelHeader *ch;
	Common__SignatureHeader *sh;
	Common__ConfigEnvelope *ce;
	Common__Metadata *md;
	Common__LastConfig *lc;
	Common__OrdererBlockMetadata *obm;
	uint8_t h[SHA256_DIGEST_LENGTH], h2[FBLOCK_HASH_LEN], *p1, *p2;
	char txid[65];
	size_t i, l1, l2;

	assert_int_equal(b->header->number, 0);
	assert_int_equal(b->header->previous_hash.len, 0);
	assert_int_equal(b->data->n_data, 1);
	SHA256(b->data->data[0].data, b->data->data[0].len, h);
	assert_int_equal(b->header->data_hash.len, 32);
	assert_memory_equal(b->header->data_hash.data, h, 32);
	fblock_data_hash(b->data, h2);
	assert_memory_equal(h2, h, 32);

	env = common__envelope__unpack(NULL, b->data->data[0].len,
	    b->data->data[0].data);
	assert_non_null(env);
	assert_int_equal(env->signature.len, 0);
	pl = common__payload__unpack(NULL, env->payload.len, env->payload.data);
	assert_non_null(pl);
	ch = common__channel_header__unpack(NULL,
	    pl->header->channel_header.len, pl->header->channel_header.data);
	assert_non_null(ch);
	assert_int_equal(ch->type, COMMON__HEADER_TYPE__CONFIG);
	assert_int_equal(ch->version, 1);
	assert_string_equal(ch->channel_id, "trade");
	assert_int_equal(ch->timestamp->seconds, 1700000000);
	sh = common__signature_header__unpack(NULL,
	    pl->header->signature_header.len, pl->header->signature_header.data);
	assert_non_null(sh);
	assert_int_equal(sh->creator.len, 0);
	assert_int_equal(sh->nonce.len, FBLOCK_NONCE_LEN);
	SHA256(sh->nonce.data, sh->nonce.len, h);
	for (i = 0; i < 32; i++)
		snprintf(txid + 2 * i, 3, "%02x", h[i]);
	assert_string_equal(ch->tx_id, txid);
	ce = common__config_envelope__unpack(NULL, pl->data.len, pl->data.data);
	assert_non_null(ce);
	assert_null(ce->last_update);
	p1 = fcfg_pack(ce->config, &l1);
	p2 = fcfg_pack(cfg, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(p1, p2, l1);
	free(p1);
	free(p2);

	assert_int_equal(b->metadata->n_metadata, 5);
	for (i = 2; i < 5; i++)
		assert_int_equal(b->metadata->metadata[i].len, 0);
	md = common__metadata__unpack(NULL, b->metadata->metadata[1].len,
	    b->metadata->metadata[1].data);
	assert_non_null(md);
	lc = common__last_config__unpack(NULL, md->value.len, md->value.data);
	assert_non_null(lc);
	assert_int_equal(lc->index, 0);
	common__last_config__free_unpacked(lc, NULL);
	common__metadata__free_unpacked(md, NULL);
	md = common__metadata__unpack(NULL, b->metadata->metadata[0].len,
	    b->metadata->metadata[0].data);
	assert_non_null(md);
	obm = common__orderer_block_metadata__unpack(NULL, md->value.len,
	    md->value.data);
	assert_non_null(obm);
	assert_non_null(obm->last_config);	/* present, index 0 */
	assert_int_equal(obm->last_config->index, 0);
	/* OrdererBlockMetadata{last_config{}} is field 1, length 0. */
	assert_int_equal(md->value.len, 2);
	assert_int_equal(md->value.data[0], 0x0a);
	common__orderer_block_metadata__free_unpacked(obm, NULL);
	common__metadata__free_unpacked(md, NULL);

	common__config_envelope__free_unpacked(ce, NULL);
	common__signature_header__free_unpacked(sh, NULL);
	common__channel_header__free_unpacked(ch, NULL);
	common__payload__free_unpacked(pl, NULL);
	common__envelope__free_unpacked(env, NULL);
	fblock_free(b);
	fcfg_free(cfg);
}

static void
header_hash(void **state)
{
	Common__BlockHeader bh = COMMON__BLOCK_HEADER__INIT;
	uint8_t dh[32], want[2 + 3 + 2 + 34], *der, h[32], h2[32];
	size_t len;

	(void)state;
	memset(dh, 0xab, sizeof(dh));
	bh.number = 0;
	bh.data_hash.data = dh;
	bh.data_hash.len = sizeof(dh);
	/* SEQUENCE { INTEGER 0, OCTET STRING '', OCTET STRING dh } */
	want[0] = 0x30;
	want[1] = 3 + 2 + 34;
	want[2] = 0x02; want[3] = 0x01; want[4] = 0x00;
	want[5] = 0x04; want[6] = 0x00;
	want[7] = 0x04; want[8] = 0x20;
	memcpy(want + 9, dh, 32);
	der = fblock_header_bytes(&bh, &len);
	assert_int_equal(len, sizeof(want) - 2 + 2);
	assert_memory_equal(der, want, len);
	SHA256(der, len, h);
	fblock_header_hash(&bh, h2);
	assert_memory_equal(h, h2, 32);
	free(der);

	/* 128 needs a leading zero byte; 2^63 nine bytes. */
	bh.number = 128;
	der = fblock_header_bytes(&bh, &len);
	assert_int_equal(der[2], 0x02);
	assert_int_equal(der[3], 0x02);
	assert_int_equal(der[4], 0x00);
	assert_int_equal(der[5], 0x80);
	free(der);
	bh.number = 1ULL << 63;
	der = fblock_header_bytes(&bh, &len);
	assert_int_equal(der[3], 0x09);
	assert_int_equal(der[4], 0x00);
	assert_int_equal(der[5], 0x80);
	free(der);
}

/* FABFED_GENESIS_OUT=FILE: the block for genesis_oracle.sh. */
static void
write_genesis(void **state)
{
	struct fixture_ex *f = *state;
	const char *out = getenv("FABFED_GENESIS_OUT");
	Common__Config *cfg = build(f);
	Common__Block *b;
	uint8_t *p;
	size_t len;
	char *cpath;
	FILE *fp;
	char *cause = NULL;

	b = fblock_genesis(cfg, "trade", 1700000000, NULL, &cause);
	assert_non_null(b);
	p = fblock_pack(b, &len);
	assert_non_null(fp = fopen(out, "wb"));
	assert_int_equal(fwrite(p, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	free(p);
	p = fcfg_pack(cfg, &len);
	cpath = xasprintf("%s.config", out);
	assert_non_null(fp = fopen(cpath, "wb"));
	assert_int_equal(fwrite(p, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	free(cpath);
	free(p);
	fblock_free(b);
	fcfg_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(channel_group),
		cmocka_unit_test(orderer_group),
		cmocka_unit_test(application_group),
		cmocka_unit_test(policies_follow_topology),
		cmocka_unit_test(refusals),
		cmocka_unit_test(deterministic),
		cmocka_unit_test(genesis_block),
		cmocka_unit_test(header_hash),
	};
	const struct CMUnitTest out[] = {
		cmocka_unit_test(write_genesis),
	};

	if (getenv("FABFED_GENESIS_OUT") != NULL)
		return cmocka_run_group_tests(out, fixture_example_setup,
		    fixture_example_teardown);
	return cmocka_run_group_tests(tests, fixture_example_setup,
		    fixture_example_teardown);
}
