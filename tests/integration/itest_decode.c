/*
 * itest_decode.c: writes small blocks for decode_oracle.sh, each made with
 * our protobuf-c messages and lib/fabric_block.c, to be decoded by both
 * `configtxlator proto_decode` and `fabfedctl channel decode`:
 *
 *   genesis.block  fblock_genesis over a small hand-made config: every
 *                  config value key, the three MSP principal kinds, both
 *                  policy types, a consortium-style Consortiums group
 *   update.block   block 3, a CONFIG whose last_update is a signed
 *                  CONFIG_UPDATE (read and write sets, signatures with a
 *                  creator), metadata with OrdererBlockMetadata{last 3}
 *   tx.block       an ENDORSER_TRANSACTION down to the ChaincodeAction, a
 *                  MESSAGE and an ORDERER_TRANSACTION wrapping an envelope
 *   odd.block      edge cases: a map entry without its value, empty
 *                  repeated bytes, an unknown enum value, negative and
 *                  large integers, nanosecond timestamps, a consensus
 *                  type that is not etcdraft, a Consortiums group
 *   unknown.block  a config value key protolator does not know ("Foo")
 *                  and a policy of type MSP (2): configtxlator refuses
 *                  the block, fabfed prints their bytes as base64
 *
 * Usage: itest_decode DIR. Prints nchecks/nfailures.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.pb-c.h"
#include "common/configtx.pb-c.h"
#include "common/configuration.pb-c.h"
#include "common/policies.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "msp/identities.pb-c.h"
#include "msp/msp_config.pb-c.h"
#include "msp/msp_principal.pb-c.h"
#include "orderer/configuration.pb-c.h"
#include "orderer/etcdraft/configuration.pb-c.h"
#include "peer/chaincode.pb-c.h"
#include "peer/configuration.pb-c.h"
#include "peer/proposal.pb-c.h"
#include "peer/proposal_response.pb-c.h"
#include "peer/transaction.pb-c.h"

#include "fabric_block.h"
#include "fabric_decode.h"
#include "itest.h"
#include "xmalloc.h"

/* Everything allocated here lives until the end: one arena. */
static void **arena;
static size_t narena;

static void *
keep(void *p)
{
	arena = xreallocarray(arena, narena + 1, sizeof(*arena));
	arena[narena++] = p;
	return p;
}

static void *
mk(size_t n)
{
	return keep(xcalloc(1, n));
}

static ProtobufCBinaryData
pk(const void *msg)
{
	const ProtobufCMessage *m = msg;
	ProtobufCBinaryData d;

	d.data = keep(xmalloc(protobuf_c_message_get_packed_size(m) + 1));
	d.len = protobuf_c_message_pack(m, d.data);
	return d;
}

static ProtobufCBinaryData
str(const char *s)
{
	ProtobufCBinaryData d = { strlen(s), (uint8_t *)(uintptr_t)s };

	return d;
}

static Common__ConfigValue *
value(const void *msg)
{
	Common__ConfigValue *v = mk(sizeof(*v));

	common__config_value__init(v);
	v->mod_policy = (char *)"Admins";
	if (msg != NULL)
		v->value = pk(msg);
	return v;
}

static Common__ConfigGroup *
group(void)
{
	Common__ConfigGroup *g = mk(sizeof(*g));

	common__config_group__init(g);
	g->mod_policy = (char *)"Admins";
	return g;
}

static void
add_value(Common__ConfigGroup *g, const char *key, Common__ConfigValue *v)
{
	Common__ConfigGroup__ValuesEntry **old = g->values;
	Common__ConfigGroup__ValuesEntry *e = mk(sizeof(*e));

	common__config_group__values_entry__init(e);
	e->key = (char *)(uintptr_t)key;
	e->value = v;
	g->values = mk((g->n_values + 1) * sizeof(*g->values));
	if (g->n_values > 0)
		memcpy(g->values, old, g->n_values * sizeof(*g->values));
	g->values[g->n_values++] = e;
}

static void
add_group(Common__ConfigGroup *g, const char *key, Common__ConfigGroup *sub)
{
	Common__ConfigGroup__GroupsEntry **old = g->groups;
	Common__ConfigGroup__GroupsEntry *e = mk(sizeof(*e));

	common__config_group__groups_entry__init(e);
	e->key = (char *)(uintptr_t)key;
	e->value = sub;
	g->groups = mk((g->n_groups + 1) * sizeof(*g->groups));
	if (g->n_groups > 0)
		memcpy(g->groups, old, g->n_groups * sizeof(*g->groups));
	g->groups[g->n_groups++] = e;
}

static void
add_policy(Common__ConfigGroup *g, const char *key, int32_t type,
    ProtobufCBinaryData val)
{
	Common__ConfigGroup__PoliciesEntry **old = g->policies;
	Common__ConfigGroup__PoliciesEntry *e = mk(sizeof(*e));
	Common__ConfigPolicy *cp = mk(sizeof(*cp));
	Common__Policy *p = mk(sizeof(*p));

	common__policy__init(p);
	p->type = type;
	p->value = val;
	common__config_policy__init(cp);
	cp->policy = p;
	cp->mod_policy = (char *)"Admins";
	common__config_group__policies_entry__init(e);
	e->key = (char *)(uintptr_t)key;
	e->value = cp;
	g->policies = mk((g->n_policies + 1) * sizeof(*g->policies));
	if (g->n_policies > 0)
		memcpy(g->policies, old, g->n_policies * sizeof(*g->policies));
	g->policies[g->n_policies++] = e;
}

static ProtobufCBinaryData
implicit(const char *sub, Common__ImplicitMetaPolicy__Rule rule)
{
	Common__ImplicitMetaPolicy *m = mk(sizeof(*m));

	common__implicit_meta_policy__init(m);
	m->sub_policy = (char *)(uintptr_t)sub;
	m->rule = rule;
	return pk(m);
}

/* OR over the three principal kinds of mspid. */
static ProtobufCBinaryData
signature(const char *mspid)
{
	Common__SignaturePolicyEnvelope *env = mk(sizeof(*env));
	Common__SignaturePolicy *rule = mk(sizeof(*rule)), **rules;
	Common__SignaturePolicy__NOutOf *no = mk(sizeof(*no));
	Common__MSPPrincipal **ids;
	Common__MSPRole *role = mk(sizeof(*role));
	Common__OrganizationUnit *ou = mk(sizeof(*ou));
	Msp__SerializedIdentity *si = mk(sizeof(*si));
	size_t i;

	common__msprole__init(role);
	role->msp_identifier = (char *)(uintptr_t)mspid;
	role->role = COMMON__MSPROLE__MSPROLE_TYPE__ADMIN;
	common__organization_unit__init(ou);
	ou->msp_identifier = (char *)(uintptr_t)mspid;
	ou->organizational_unit_identifier = (char *)"clients";
	ou->certifiers_identifier = str("abc");
	msp__serialized_identity__init(si);
	si->mspid = (char *)(uintptr_t)mspid;
	si->id_bytes = str("-----BEGIN CERTIFICATE-----\nMIIB\n"
	    "-----END CERTIFICATE-----\n");
	ids = mk(3 * sizeof(*ids));
	rules = mk(3 * sizeof(*rules));
	for (i = 0; i < 3; i++) {
		ids[i] = mk(sizeof(**ids));
		common__mspprincipal__init(ids[i]);
		ids[i]->principal_classification = (int)i;
		ids[i]->principal = i == 0 ? pk(role) : i == 1 ? pk(ou) : pk(si);
		rules[i] = mk(sizeof(**rules));
		common__signature_policy__init(rules[i]);
		rules[i]->type_case = COMMON__SIGNATURE_POLICY__TYPE_SIGNED_BY;
		rules[i]->signed_by = (int32_t)i;
	}
	common__signature_policy__nout_of__init(no);
	no->n = 1;
	no->n_rules = 3;
	no->rules = rules;
	common__signature_policy__init(rule);
	rule->type_case = COMMON__SIGNATURE_POLICY__TYPE_N_OUT_OF;
	rule->n_out_of = no;
	common__signature_policy_envelope__init(env);
	env->rule = rule;
	env->n_identities = 3;
	env->identities = ids;
	return pk(env);
}

static Common__ConfigValue *
msp_value(const char *mspid)
{
	Msp__FabricMSPConfig *fc = mk(sizeof(*fc));
	Msp__FabricCryptoConfig *cc = mk(sizeof(*cc));
	Msp__FabricNodeOUs *ous = mk(sizeof(*ous));
	Msp__FabricOUIdentifier *ou = mk(sizeof(*ou));
	Msp__MSPConfig *mc = mk(sizeof(*mc));
	ProtobufCBinaryData *roots = mk(2 * sizeof(*roots));

	roots[0] = str("root-one");
	roots[1] = str("root-two");
	msp__fabric_mspconfig__init(fc);
	fc->name = (char *)(uintptr_t)mspid;
	fc->n_root_certs = 2;
	fc->root_certs = roots;
	fc->n_tls_root_certs = 1;
	fc->tls_root_certs = roots;
	msp__fabric_crypto_config__init(cc);
	cc->signature_hash_family = (char *)"SHA2";
	cc->identity_identifier_hash_function = (char *)"SHA256";
	fc->crypto_config = cc;
	msp__fabric_ouidentifier__init(ou);
	ou->certificate = roots[0];
	ou->organizational_unit_identifier = (char *)"peer";
	msp__fabric_node_ous__init(ous);
	ous->enable = 1;
	ous->peer_ou_identifier = ou;
	fc->fabric_node_ous = ous;
	msp__mspconfig__init(mc);
	mc->type = 0;
	mc->config = pk(fc);
	return value(mc);
}

static Common__ConfigValue *
capabilities(const char *cap)
{
	Common__Capabilities *c = mk(sizeof(*c));
	Common__Capabilities__CapabilitiesEntry *e = mk(sizeof(*e));
	Common__Capability *one = mk(sizeof(*one));

	common__capability__init(one);
	common__capabilities__capabilities_entry__init(e);
	e->key = (char *)(uintptr_t)cap;
	e->value = one;
	common__capabilities__init(c);
	c->n_capabilities = 1;
	c->capabilities = mk(sizeof(*c->capabilities));
	c->capabilities[0] = e;
	return value(c);
}

static void
org_policies(Common__ConfigGroup *g, const char *mspid)
{
	add_policy(g, "Admins", COMMON__POLICY__POLICY_TYPE__SIGNATURE,
	    signature(mspid));
	add_policy(g, "Readers", COMMON__POLICY__POLICY_TYPE__SIGNATURE,
	    signature(mspid));
}

static Common__Config *
small_config(const char *consensus, int consortiums)
{
	Common__Config *cfg = mk(sizeof(*cfg));
	Common__ConfigGroup *ch = group(), *ord = group(), *app = group();
	Common__ConfigGroup *oorg = group(), *aorg = group();
	Common__HashingAlgorithm *ha = mk(sizeof(*ha));
	Common__BlockDataHashingStructure *bdhs = mk(sizeof(*bdhs));
	Common__OrdererAddresses *oa = mk(sizeof(*oa));
	Orderer__ConsensusType *ct = mk(sizeof(*ct));
	Etcdraft__ConfigMetadata *md = mk(sizeof(*md));
	Etcdraft__Consenter *cons = mk(sizeof(*cons));
	Etcdraft__Options *opt = mk(sizeof(*opt));
	Orderer__BatchSize *bs = mk(sizeof(*bs));
	Orderer__BatchTimeout *bt = mk(sizeof(*bt));
	Orderer__ChannelRestrictions *cr = mk(sizeof(*cr));
	Protos__AnchorPeers *aps = mk(sizeof(*aps));
	Protos__AnchorPeer *ap = mk(sizeof(*ap));
	Protos__ACLs *acls = mk(sizeof(*acls));
	Protos__ACLs__AclsEntry *ae = mk(sizeof(*ae));
	Protos__APIResource *res = mk(sizeof(*res));
	Common__Consortium *con = mk(sizeof(*con));
	char **addrs = mk(2 * sizeof(*addrs));

	common__hashing_algorithm__init(ha);
	ha->name = (char *)"SHA256";
	add_value(ch, "HashingAlgorithm", value(ha));
	common__block_data_hashing_structure__init(bdhs);
	bdhs->width = UINT32_MAX;
	add_value(ch, "BlockDataHashingStructure", value(bdhs));
	common__orderer_addresses__init(oa);
	addrs[0] = (char *)"orderer0.example.com:7050";
	addrs[1] = (char *)"orderer1.example.com:7050";
	oa->n_addresses = 2;
	oa->addresses = addrs;
	add_value(ch, "OrdererAddresses", value(oa));
	add_value(ch, "Capabilities", capabilities("V2_0"));
	add_policy(ch, "Admins", COMMON__POLICY__POLICY_TYPE__IMPLICIT_META,
	    implicit("Admins", COMMON__IMPLICIT_META_POLICY__RULE__MAJORITY));
	add_policy(ch, "Readers", COMMON__POLICY__POLICY_TYPE__IMPLICIT_META,
	    implicit("Readers", COMMON__IMPLICIT_META_POLICY__RULE__ANY));

	orderer__consensus_type__init(ct);
	ct->type = (char *)(uintptr_t)consensus;
	etcdraft__consenter__init(cons);
	cons->host = (char *)"orderer0.example.com";
	cons->port = 7050;
	cons->client_tls_cert = str("client-cert");
	cons->server_tls_cert = str("server-cert");
	etcdraft__options__init(opt);
	opt->tick_interval = (char *)"500ms";
	opt->election_tick = 10;
	opt->heartbeat_tick = 1;
	opt->max_inflight_blocks = 5;
	opt->snapshot_interval_size = 16 * 1024 * 1024;
	etcdraft__config_metadata__init(md);
	md->n_consenters = 1;
	md->consenters = mk(sizeof(*md->consenters));
	md->consenters[0] = cons;
	md->options = opt;
	if (strcmp(consensus, "etcdraft") == 0)
		ct->metadata = pk(md);
	add_value(ord, "ConsensusType", value(ct));
	orderer__batch_size__init(bs);
	bs->max_message_count = 10;
	bs->absolute_max_bytes = 99 * 1024 * 1024;
	bs->preferred_max_bytes = 512 * 1024;
	add_value(ord, "BatchSize", value(bs));
	orderer__batch_timeout__init(bt);
	bt->timeout = (char *)"2s";
	add_value(ord, "BatchTimeout", value(bt));
	orderer__channel_restrictions__init(cr);
	cr->max_count = 1000;
	add_value(ord, "ChannelRestrictions", value(cr));
	add_value(ord, "Capabilities", capabilities("V2_0"));
	add_value(oorg, "Endpoints", value(oa));
	add_value(oorg, "MSP", msp_value("OrdererMSP"));
	org_policies(oorg, "OrdererMSP");
	add_group(ord, "OrdererMSP", oorg);
	add_policy(ord, "BlockValidation",
	    COMMON__POLICY__POLICY_TYPE__IMPLICIT_META,
	    implicit("Writers", COMMON__IMPLICIT_META_POLICY__RULE__ANY));
	add_group(ch, "Orderer", ord);

	protos__apiresource__init(res);
	res->policy_ref = (char *)"/Channel/Application/Writers";
	protos__acls__acls_entry__init(ae);
	ae->key = (char *)"peer/Propose";
	ae->value = res;
	protos__acls__init(acls);
	acls->n_acls = 1;
	acls->acls = mk(sizeof(*acls->acls));
	acls->acls[0] = ae;
	add_value(app, "ACLs", value(acls));
	add_value(app, "Capabilities", capabilities("V2_5"));
	protos__anchor_peer__init(ap);
	ap->host = (char *)"peer0.org1.example.com";
	ap->port = 7051;
	protos__anchor_peers__init(aps);
	aps->n_anchor_peers = 1;
	aps->anchor_peers = mk(sizeof(*aps->anchor_peers));
	aps->anchor_peers[0] = ap;
	add_value(aorg, "AnchorPeers", value(aps));
	add_value(aorg, "MSP", msp_value("Org1MSP"));
	org_policies(aorg, "Org1MSP");
	add_group(app, "Org1MSP", aorg);
	add_group(ch, "Application", app);

	if (consortiums) {
		Common__ConfigGroup *cs = group(), *c1 = group(), *corg = group();
		Common__Policy *ccp = mk(sizeof(*ccp));

		common__policy__init(ccp);
		ccp->type = COMMON__POLICY__POLICY_TYPE__IMPLICIT_META;
		ccp->value = implicit("Admins",
		    COMMON__IMPLICIT_META_POLICY__RULE__ANY);
		add_value(c1, "ChannelCreationPolicy", value(ccp));
		add_value(corg, "MSP", msp_value("Org1MSP"));
		add_group(c1, "Org1MSP", corg);
		add_group(cs, "SampleConsortium", c1);
		add_group(ch, "Consortiums", cs);
		common__consortium__init(con);
		con->name = (char *)"SampleConsortium";
		add_value(ch, "Consortium", value(con));
	}
	common__config__init(cfg);
	cfg->channel_group = ch;
	return cfg;
}

static void
write_file(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");

	REQUIRE(fp != NULL);
	REQUIRE(fwrite(p, 1, len, fp) == len);
	REQUIRE(fclose(fp) == 0);
	free(path);
}

static void
write_block(const char *dir, const char *name, const Common__Block *b)
{
	ProtobufCBinaryData d = pk(b);
	char *cause = NULL;
	json_t *j;

	/* Our own decoder reads every block written here. */
	j = fdec_block(d.data, d.len, FDEC_BLOCK_MAX, &cause);
	if (j == NULL)
		fprintf(stderr, "%s: %s\n", name, cause);
	CHECK(j != NULL);
	json_decref(j);
	free(cause);
	write_file(dir, name, d.data, d.len);
}

static Google__Protobuf__Timestamp *
ts(int64_t s, int32_t ns)
{
	Google__Protobuf__Timestamp *t = mk(sizeof(*t));

	google__protobuf__timestamp__init(t);
	t->seconds = s;
	t->nanos = ns;
	return t;
}

static ProtobufCBinaryData
creator(const char *mspid)
{
	Msp__SerializedIdentity *si = mk(sizeof(*si));

	msp__serialized_identity__init(si);
	si->mspid = (char *)(uintptr_t)mspid;
	si->id_bytes = str("-----BEGIN CERTIFICATE-----\nMIIC\n"
	    "-----END CERTIFICATE-----\n");
	return pk(si);
}

/* An Envelope of a payload with header TYPE and DATA, signed. */
static ProtobufCBinaryData
envelope(int32_t type, const char *channel, ProtobufCBinaryData ext,
    ProtobufCBinaryData data, Google__Protobuf__Timestamp *when)
{
	Common__ChannelHeader *ch = mk(sizeof(*ch));
	Common__SignatureHeader *sh = mk(sizeof(*sh));
	Common__Header *h = mk(sizeof(*h));
	Common__Payload *pl = mk(sizeof(*pl));
	Common__Envelope *env = mk(sizeof(*env));

	common__channel_header__init(ch);
	ch->type = type;
	ch->version = 0;
	ch->timestamp = when;
	ch->channel_id = (char *)(uintptr_t)channel;
	ch->tx_id = (char *)"4f2a";
	ch->epoch = 0;
	ch->extension = ext;
	common__signature_header__init(sh);
	sh->creator = creator("Org1MSP");
	sh->nonce = str("nonce-nonce-nonce");
	common__header__init(h);
	h->channel_header = pk(ch);
	h->signature_header = pk(sh);
	common__payload__init(pl);
	pl->header = h;
	pl->data = data;
	common__envelope__init(env);
	env->payload = pk(pl);
	env->signature = str("signature-bytes");
	return pk(env);
}

static Common__Block *
block(uint64_t num, ProtobufCBinaryData *txs, size_t ntx,
    ProtobufCBinaryData *md, size_t nmd)
{
	Common__Block *b = mk(sizeof(*b));
	Common__BlockHeader *bh = mk(sizeof(*bh));
	Common__BlockData *bd = mk(sizeof(*bd));
	Common__BlockMetadata *bm = mk(sizeof(*bm));

	common__block_header__init(bh);
	bh->number = num;
	bh->previous_hash = str("previous-hash-32-bytes-long-....");
	common__block_data__init(bd);
	bd->n_data = ntx;
	bd->data = txs;
	fblock_data_hash(bd, keep(xmalloc(FBLOCK_HASH_LEN)));
	bh->data_hash.data = arena[narena - 1];
	bh->data_hash.len = FBLOCK_HASH_LEN;
	common__block_metadata__init(bm);
	bm->n_metadata = nmd;
	bm->metadata = md;
	common__block__init(b);
	b->header = bh;
	b->data = bd;
	b->metadata = bm;
	return b;
}

static void
write_update(const char *dir)
{
	Common__ConfigUpdate *cu = mk(sizeof(*cu));
	Common__ConfigUpdateEnvelope *cue = mk(sizeof(*cue));
	Common__ConfigSignature *sig = mk(sizeof(*sig));
	Common__SignatureHeader *sh = mk(sizeof(*sh));
	Common__ConfigEnvelope *ce = mk(sizeof(*ce));
	Common__ConfigGroup *rs = group(), *ws = group(), *wapp = group();
	Common__LastConfig *lc = mk(sizeof(*lc));
	Common__OrdererBlockMetadata *obm = mk(sizeof(*obm));
	Common__Metadata *md = mk(sizeof(*md));
	Common__MetadataSignature *ms = mk(sizeof(*ms));
	ProtobufCBinaryData *tx = mk(sizeof(*tx)), *slots = mk(5 * sizeof(*slots));
	Common__Block *b;
	Common__Config *cfg = small_config("etcdraft", 0);
	uint64_t idx = 0;
	char *cause = NULL;

	add_group(rs, "Application", group());
	add_value(wapp, "Capabilities", capabilities("V2_5"));
	add_group(ws, "Application", wapp);
	common__config_update__init(cu);
	cu->channel_id = (char *)"ch1";
	cu->read_set = rs;
	cu->write_set = ws;
	common__signature_header__init(sh);
	sh->creator = creator("Org1MSP");
	sh->nonce = str("update-nonce");
	common__config_signature__init(sig);
	sig->signature_header = pk(sh);
	sig->signature = str("admin-signature");
	common__config_update_envelope__init(cue);
	cue->config_update = pk(cu);
	cue->n_signatures = 1;
	cue->signatures = mk(sizeof(*cue->signatures));
	cue->signatures[0] = sig;
	common__config_envelope__init(ce);
	cfg->sequence = 3;
	ce->config = cfg;
	{
		Common__Envelope *lu;
		ProtobufCBinaryData e = envelope(
		    COMMON__HEADER_TYPE__CONFIG_UPDATE, "ch1",
		    (ProtobufCBinaryData){ 0, NULL }, pk(cue), ts(1700000100, 0));

		lu = common__envelope__unpack(NULL, e.len, e.data);
		REQUIRE(lu != NULL);
		ce->last_update = lu;
		*tx = envelope(COMMON__HEADER_TYPE__CONFIG, "ch1",
		    (ProtobufCBinaryData){ 0, NULL }, pk(ce),
		    ts(1700000200, 0));
		common__envelope__free_unpacked(lu, NULL);
	}
	common__last_config__init(lc);
	lc->index = 3;
	common__orderer_block_metadata__init(obm);
	obm->last_config = lc;
	obm->consenter_metadata = str("raft");
	common__metadata_signature__init(ms);
	ms->signature_header = pk(sh);
	ms->signature = str("orderer-signature");
	common__metadata__init(md);
	md->value = pk(obm);
	md->n_signatures = 1;
	md->signatures = mk(sizeof(*md->signatures));
	md->signatures[0] = ms;
	slots[0] = pk(md);
	b = block(3, tx, 1, slots, 5);
	CHECK(fdec_last_config_index(b, &idx, &cause) == 0 && idx == 3);
	free(cause);
	write_block(dir, "update.block", b);
}

static void
write_tx(const char *dir)
{
	Protos__ChaincodeID *cid = mk(sizeof(*cid));
	Protos__ChaincodeHeaderExtension *che = mk(sizeof(*che));
	Protos__ChaincodeInput *in = mk(sizeof(*in));
	Protos__ChaincodeSpec *spec = mk(sizeof(*spec));
	Protos__ChaincodeInvocationSpec *cis = mk(sizeof(*cis));
	Protos__ChaincodeProposalPayload *cpp = mk(sizeof(*cpp));
	Protos__Response *resp = mk(sizeof(*resp));
	Protos__ChaincodeAction *ca = mk(sizeof(*ca));
	Protos__ProposalResponsePayload *prp = mk(sizeof(*prp));
	Protos__Endorsement *en = mk(sizeof(*en));
	Protos__ChaincodeEndorsedAction *cea = mk(sizeof(*cea));
	Protos__ChaincodeActionPayload *cap = mk(sizeof(*cap));
	Common__SignatureHeader *sh = mk(sizeof(*sh));
	Protos__TransactionAction *ta = mk(sizeof(*ta));
	Protos__Transaction *t = mk(sizeof(*t));
	Common__ConfigValue *cv = value(NULL);
	ProtobufCBinaryData *txs = mk(3 * sizeof(*txs));
	ProtobufCBinaryData *args = mk(2 * sizeof(*args));
	ProtobufCBinaryData none = { 0, NULL };

	protos__chaincode_id__init(cid);
	cid->name = (char *)"basic";
	cid->version = (char *)"1.0";
	protos__chaincode_header_extension__init(che);
	che->chaincode_id = cid;
	args[0] = str("CreateAsset");
	args[1] = str("asset1");
	protos__chaincode_input__init(in);
	in->n_args = 2;
	in->args = args;
	protos__chaincode_spec__init(spec);
	spec->type = PROTOS__CHAINCODE_SPEC__TYPE__GOLANG;
	spec->chaincode_id = cid;
	spec->input = in;
	protos__chaincode_invocation_spec__init(cis);
	cis->chaincode_spec = spec;
	protos__chaincode_proposal_payload__init(cpp);
	cpp->input = pk(cis);
	protos__response__init(resp);
	resp->status = 200;
	resp->message = (char *)"OK";
	resp->payload = str("result");
	protos__chaincode_action__init(ca);
	ca->response = resp;
	ca->chaincode_id = cid;
	protos__proposal_response_payload__init(prp);
	prp->proposal_hash = str("proposal-hash");
	prp->extension = pk(ca);
	protos__endorsement__init(en);
	en->endorser = creator("Org1MSP");
	en->signature = str("endorsement");
	protos__chaincode_endorsed_action__init(cea);
	cea->proposal_response_payload = pk(prp);
	cea->n_endorsements = 1;
	cea->endorsements = mk(sizeof(*cea->endorsements));
	cea->endorsements[0] = en;
	protos__chaincode_action_payload__init(cap);
	cap->chaincode_proposal_payload = pk(cpp);
	cap->action = cea;
	common__signature_header__init(sh);
	sh->creator = creator("Org1MSP");
	sh->nonce = str("tx-nonce");
	protos__transaction_action__init(ta);
	ta->header = pk(sh);
	ta->payload = pk(cap);
	protos__transaction__init(t);
	t->n_actions = 1;
	t->actions = mk(sizeof(*t->actions));
	t->actions[0] = ta;
	txs[0] = envelope(COMMON__HEADER_TYPE__ENDORSER_TRANSACTION, "ch1",
	    pk(che), pk(t), ts(1700000300, 123456789));
	cv->version = 2;
	cv->value = str("opaque");
	txs[1] = envelope(COMMON__HEADER_TYPE__MESSAGE, "ch1", none, pk(cv),
	    ts(1700000301, 1000));
	txs[2] = envelope(COMMON__HEADER_TYPE__ORDERER_TRANSACTION, "",
	    none, txs[1], ts(1700000302, 5000000));
	write_block(dir, "tx.block", block(9, txs, 3, NULL, 0));
}

static void
write_odd(const char *dir)
{
	Common__Config *cfg = small_config("solo", 1);
	Common__ConfigGroup *g = cfg->channel_group, *app = NULL;
	Common__ConfigEnvelope *ce = mk(sizeof(*ce));
	Protos__AnchorPeers *aps = mk(sizeof(*aps));
	Protos__AnchorPeer *ap = mk(sizeof(*ap));
	Common__MSPPrincipal *odd = mk(sizeof(*odd));
	Common__SignaturePolicyEnvelope *spe = mk(sizeof(*spe));
	ProtobufCBinaryData *tx = mk(sizeof(*tx)), *slots = mk(4 * sizeof(*slots));
	Common__ChannelHeader *ch = mk(sizeof(*ch));
	Common__Header *h = mk(sizeof(*h));
	Common__Payload *pl = mk(sizeof(*pl));
	Common__Envelope *env = mk(sizeof(*env));
	size_t i;

	for (i = 0; i < g->n_groups; i++)
		if (strcmp(g->groups[i]->key, "Application") == 0)
			app = g->groups[i]->value;
	REQUIRE(app != NULL);
	/* Org2MSP: a map entry with a key and no value. */
	add_group(app, "Org2MSP", NULL);
	protos__anchor_peer__init(ap);
	ap->host = (char *)"";
	ap->port = -1;
	protos__anchor_peers__init(aps);
	aps->n_anchor_peers = 1;
	aps->anchor_peers = mk(sizeof(*aps->anchor_peers));
	aps->anchor_peers[0] = ap;
	add_value(app->groups[0]->value, "AnchorPeers", value(aps));
	/* An unknown classification with no principal bytes. */
	common__mspprincipal__init(odd);
	odd->principal_classification = 9;
	common__signature_policy_envelope__init(spe);
	spe->version = -7;
	spe->n_identities = 1;
	spe->identities = mk(sizeof(*spe->identities));
	spe->identities[0] = odd;
	add_policy(app, "Odd", COMMON__POLICY__POLICY_TYPE__SIGNATURE, pk(spe));
	add_policy(app, "Empty", COMMON__POLICY__POLICY_TYPE__SIGNATURE,
	    (ProtobufCBinaryData){ 0, NULL });
	cfg->sequence = UINT64_MAX;
	common__config_envelope__init(ce);
	ce->config = cfg;

	common__channel_header__init(ch);
	ch->type = COMMON__HEADER_TYPE__CONFIG;
	ch->channel_id = (char *)"ch\xc3\xa9";	/* "ché" */
	ch->epoch = UINT64_MAX;
	ch->version = -1;
	ch->timestamp = ts(0, 1);
	ch->tls_cert_hash = str("hash");
	common__header__init(h);
	h->channel_header = pk(ch);
	common__payload__init(pl);
	pl->header = h;
	pl->data = pk(ce);
	common__envelope__init(env);
	env->payload = pk(pl);
	*tx = pk(env);
	/* Empty and odd metadata slots. */
	slots[0] = str("");
	slots[1] = str("not-metadata");
	slots[2] = str("");
	slots[3] = str("\x01\x02");
	write_block(dir, "odd.block", block(UINT64_MAX, tx, 1, slots, 4));
}

static void
write_unknown(const char *dir)
{
	Common__Config *cfg = small_config("etcdraft", 0);
	Common__HashingAlgorithm *ha = mk(sizeof(*ha));
	Common__Block *b;
	char *cause = NULL;

	common__hashing_algorithm__init(ha);
	ha->name = (char *)"not-a-known-key";
	add_value(cfg->channel_group, "Foo", value(ha));
	/* A policy of type MSP (2), which nothing decodes. */
	add_policy(cfg->channel_group, "Unknown", 2, str("msp-policy"));
	b = fblock_genesis(cfg, "ch1", 1700000000, NULL, &cause);
	REQUIRE(b != NULL);
	write_block(dir, "unknown.block", b);
	fblock_free(b);
}

int
main(int argc, char *argv[])
{
	static const uint8_t nonce[FBLOCK_NONCE_LEN] = "fabfed-decode-oracle-nnc";
	Common__Block *b;
	char *cause = NULL;
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: itest_decode DIR\n");
		return 2;
	}
	b = fblock_genesis(small_config("etcdraft", 1), "ch1", 1700000000,
	    nonce, &cause);
	REQUIRE(b != NULL);
	write_block(argv[1], "genesis.block", b);
	fblock_free(b);
	write_update(argv[1]);
	write_tx(argv[1]);
	write_odd(argv[1]);
	write_unknown(argv[1]);
	for (i = 0; i < narena; i++)
		free(arena[i]);
	free(arena);
	printf("itest_decode: %d checks, %d failures\n", nchecks, nfailures);
	return nfailures == 0 ? 0 : 1;
}
