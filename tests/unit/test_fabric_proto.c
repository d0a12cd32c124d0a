/*
 * test_fabric_proto.c: the C that protoc-c generates from proto/fabric/
 * (library fabfed_protos), exercised on the messages fabfed builds and
 * reads.
 *
 * encode_all builds one of each important message with non-default values
 * (a block, a signed envelope, a channel config tree, an org MSP with node
 * OUs, an etcdraft consenter set, a seek request, a cscc proposal, ...),
 * checks that each unpacks to the same values and packs again to the same
 * bytes, and writes each encoding to <dir>/<name>.bin. The directory is
 * $FABFED_PROTO_OUT when set (tests/integration/proto_oracle.sh then
 * decodes every file with protoc against Fabric's official .proto files),
 * else a temporary one removed afterwards.
 *
 * decode_official reads messages that proto_oracle.sh encoded with protoc
 * from the official .proto files ($FABFED_PROTO_IN/rev_*.bin) and checks
 * every value; without FABFED_PROTO_IN it is skipped.
 *
 * reject_malformed feeds truncated and corrupt encodings to the unpackers.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/common.pb-c.h"
#include "common/configtx.pb-c.h"
#include "common/configuration.pb-c.h"
#include "common/policies.pb-c.h"
#include "msp/identities.pb-c.h"
#include "msp/msp_config.pb-c.h"
#include "msp/msp_principal.pb-c.h"
#include "orderer/ab.pb-c.h"
#include "orderer/configuration.pb-c.h"
#include "orderer/etcdraft/configuration.pb-c.h"
#include "peer/chaincode.pb-c.h"
#include "peer/configuration.pb-c.h"
#include "peer/proposal.pb-c.h"
#include "peer/proposal_response.pb-c.h"
#include "peer/transaction.pb-c.h"
#include "xmalloc.h"

#define MAX_OWNED	128
#define MAX_FILE	(1024 * 1024)

#define CERT	"-----BEGIN CERTIFICATE-----\nMIIBfabfedOrg1Admin\n-----END CERTIFICATE-----\n"
#define CACERT	"-----BEGIN CERTIFICATE-----\nMIIBfabfedOrg1CA\n-----END CERTIFICATE-----\n"
#define TLSCA	"-----BEGIN CERTIFICATE-----\nMIIBfabfedOrg1TLSCA\n-----END CERTIFICATE-----\n"
#define TLS0	"-----BEGIN CERTIFICATE-----\nMIIBorderer0TLS\n-----END CERTIFICATE-----\n"
#define TLS1	"-----BEGIN CERTIFICATE-----\nMIIBorderer1TLS\n-----END CERTIFICATE-----\n"

/* Where encodings go, and the packed buffers to free at the end. */
static char	 outdir[256];
static int	 outdir_is_tmp;
static uint8_t	*owned[MAX_OWNED];
static size_t	 n_owned;

static ProtobufCBinaryData
bstr(const char *s)
{
	ProtobufCBinaryData b;

	b.data = (uint8_t *)(uintptr_t)s;
	b.len = strlen(s);
	return b;
}

static ProtobufCBinaryData
bmem(const void *p, size_t len)
{
	ProtobufCBinaryData b;

	b.data = (uint8_t *)(uintptr_t)p;
	b.len = len;
	return b;
}

/* The encoding of m; the buffer is freed by the teardown. */
static ProtobufCBinaryData
packed(const ProtobufCMessage *m)
{
	ProtobufCBinaryData b;
	size_t n;

	assert_true(n_owned < MAX_OWNED);
	b.len = protobuf_c_message_get_packed_size(m);
	b.data = xmalloc(b.len + 1);
	n = protobuf_c_message_pack(m, b.data);
	assert_int_equal(n, b.len);
	owned[n_owned++] = b.data;
	return b;
}

static void
assert_bin(ProtobufCBinaryData got, ProtobufCBinaryData want)
{
	assert_int_equal(got.len, want.len);
	if (want.len > 0)
		assert_memory_equal(got.data, want.data, want.len);
}

static void
write_file(const char *name, ProtobufCBinaryData b)
{
	char *path;
	int fd;

	path = xasprintf("%s/%s.bin", outdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
	assert_int_equal(close(fd), 0);
	free(path);
}

/*
 * Packs m, unpacks it with its own descriptor, packs that again and
 * checks the bytes are the same, then writes the encoding to the output
 * directory. Returns the encoding (freed by the teardown).
 */
static ProtobufCBinaryData
emit(const char *name, const ProtobufCMessage *m)
{
	ProtobufCBinaryData b, again;
	ProtobufCMessage *u;

	b = packed(m);
	u = protobuf_c_message_unpack(m->descriptor, NULL, b.len, b.data);
	assert_non_null(u);
	assert_true(protobuf_c_message_check(u));
	again = packed(u);
	assert_bin(again, b);
	protobuf_c_message_free_unpacked(u, NULL);
	write_file(name, b);
	return b;
}

static int
setup(void **state)
{
	const char *env;

	n_owned = 0;
	env = getenv("FABFED_PROTO_OUT");
	if (env != NULL && *env != '\0') {
		if (strlen(env) >= sizeof(outdir))
			return -1;
		strcpy(outdir, env);
		outdir_is_tmp = 0;
		return 0;
	}
	strcpy(outdir, "/tmp/fabfed-proto.XXXXXX");
	if (mkdtemp(outdir) == NULL)
		return -1;
	outdir_is_tmp = 1;
	return 0;
}

static int
teardown(void **state)
{
	char *cmd;
	size_t i;
	int rc = 0;

	for (i = 0; i < n_owned; i++)
		free(owned[i]);
	n_owned = 0;
	if (outdir_is_tmp) {
		cmd = xasprintf("rm -rf '%s'", outdir);
		rc = system(cmd) == 0 ? 0 : -1;
		free(cmd);
	}
	return rc;
}

/* Identities and headers: a SerializedIdentity inside a SignatureHeader. */
static void
encode_headers(ProtobufCBinaryData *sh_out, ProtobufCBinaryData *ch_out)
{
	Msp__SerializedIdentity id = MSP__SERIALIZED_IDENTITY__INIT;
	Common__SignatureHeader sh = COMMON__SIGNATURE_HEADER__INIT;
	Common__ChannelHeader ch = COMMON__CHANNEL_HEADER__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Msp__SerializedIdentity *uid;
	uint8_t nonce[24];
	size_t i;

	id.mspid = "Org1MSP";
	id.id_bytes = bstr(CERT);
	for (i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(0xa0 + i);
	sh.creator = emit("serialized_identity", &id.base);
	sh.nonce = bmem(nonce, sizeof(nonce));
	*sh_out = emit("signature_header", &sh.base);

	uid = msp__serialized_identity__unpack(NULL, sh.creator.len,
	    sh.creator.data);
	assert_non_null(uid);
	assert_string_equal(uid->mspid, "Org1MSP");
	assert_bin(uid->id_bytes, bstr(CERT));
	msp__serialized_identity__free_unpacked(uid, NULL);

	ts.seconds = 1700000000;
	ts.nanos = 123456789;
	ch.type = COMMON__HEADER_TYPE__CONFIG_UPDATE;
	ch.version = 1;
	ch.timestamp = &ts;
	ch.channel_id = "mychannel";
	ch.tx_id = "3f6e1c0d5b2a49f8a7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180";
	ch.epoch = 7;
	ch.extension = bstr("ext");
	ch.tls_cert_hash = bmem("\x01\x02\xfe\xff", 4);
	*ch_out = emit("channel_header", &ch.base);
}

/* The Fabric MSP of an org with node OUs, and an MSPRole principal. */
static ProtobufCBinaryData
encode_msp(void)
{
	Msp__FabricOUIdentifier ous[4];
	Msp__FabricOUIdentifier ouid = MSP__FABRIC_OUIDENTIFIER__INIT;
	Msp__FabricOUIdentifier *ouids[1] = { &ouid };
	Msp__FabricNodeOUs nodeous = MSP__FABRIC_NODE_OUS__INIT;
	Msp__FabricCryptoConfig cc = MSP__FABRIC_CRYPTO_CONFIG__INIT;
	Msp__FabricMSPConfig fc = MSP__FABRIC_MSPCONFIG__INIT;
	Msp__MSPConfig mc = MSP__MSPCONFIG__INIT;
	Msp__FabricMSPConfig *ufc;
	ProtobufCBinaryData roots[1], tlsroots[1], fcb;
	static const char *names[4] = { "client", "peer", "admin", "orderer" };
	size_t i;

	for (i = 0; i < 4; i++) {
		msp__fabric_ouidentifier__init(&ous[i]);
		ous[i].certificate = bstr(CACERT);
		ous[i].organizational_unit_identifier = (char *)(uintptr_t)names[i];
	}
	nodeous.enable = 1;
	nodeous.client_ou_identifier = &ous[0];
	nodeous.peer_ou_identifier = &ous[1];
	nodeous.admin_ou_identifier = &ous[2];
	nodeous.orderer_ou_identifier = &ous[3];
	emit("fabric_node_ous", &nodeous.base);

	ouid.certificate = bstr(CACERT);
	ouid.organizational_unit_identifier = "ops";
	cc.signature_hash_family = "SHA2";
	cc.identity_identifier_hash_function = "SHA256";
	roots[0] = bstr(CACERT);
	tlsroots[0] = bstr(TLSCA);
	fc.name = "Org1MSP";
	fc.n_root_certs = 1;
	fc.root_certs = roots;
	fc.n_organizational_unit_identifiers = 1;
	fc.organizational_unit_identifiers = ouids;
	fc.crypto_config = &cc;
	fc.n_tls_root_certs = 1;
	fc.tls_root_certs = tlsroots;
	fc.fabric_node_ous = &nodeous;
	fcb = emit("fabric_msp_config", &fc.base);

	ufc = msp__fabric_mspconfig__unpack(NULL, fcb.len, fcb.data);
	assert_non_null(ufc);
	assert_string_equal(ufc->name, "Org1MSP");
	assert_int_equal(ufc->n_root_certs, 1);
	assert_int_equal(ufc->n_admins, 0);
	assert_null(ufc->signing_identity);
	assert_non_null(ufc->fabric_node_ous);
	assert_true(ufc->fabric_node_ous->enable);
	assert_string_equal(ufc->fabric_node_ous->orderer_ou_identifier->
	    organizational_unit_identifier, "orderer");
	assert_string_equal(ufc->crypto_config->identity_identifier_hash_function,
	    "SHA256");
	msp__fabric_mspconfig__free_unpacked(ufc, NULL);

	mc.type = 0;		/* FABRIC */
	mc.config = fcb;
	return emit("msp_config", &mc.base);
}

/* Policies: Org1MSP.admin or Org1MSP.peer, and MAJORITY Admins. */
static void
encode_policies(ProtobufCBinaryData *sig_out, ProtobufCBinaryData *meta_out)
{
	Common__MSPRole admin = COMMON__MSPROLE__INIT;
	Common__MSPRole peer = COMMON__MSPROLE__INIT;
	Common__MSPPrincipal p0 = COMMON__MSPPRINCIPAL__INIT;
	Common__MSPPrincipal p1 = COMMON__MSPPRINCIPAL__INIT;
	Common__MSPPrincipal *ps[2] = { &p0, &p1 };
	Common__SignaturePolicy by0 = COMMON__SIGNATURE_POLICY__INIT;
	Common__SignaturePolicy by1 = COMMON__SIGNATURE_POLICY__INIT;
	Common__SignaturePolicy *rules[2] = { &by0, &by1 };
	Common__SignaturePolicy__NOutOf noutof = COMMON__SIGNATURE_POLICY__NOUT_OF__INIT;
	Common__SignaturePolicy rule = COMMON__SIGNATURE_POLICY__INIT;
	Common__SignaturePolicyEnvelope env = COMMON__SIGNATURE_POLICY_ENVELOPE__INIT;
	Common__ImplicitMetaPolicy imp = COMMON__IMPLICIT_META_POLICY__INIT;
	Common__SignaturePolicyEnvelope *u;

	admin.msp_identifier = "Org1MSP";
	admin.role = COMMON__MSPROLE__MSPROLE_TYPE__ADMIN;
	peer.msp_identifier = "Org1MSP";
	peer.role = COMMON__MSPROLE__MSPROLE_TYPE__PEER;
	p0.principal_classification = COMMON__MSPPRINCIPAL__CLASSIFICATION__ROLE;
	p0.principal = emit("msp_role_admin", &admin.base);
	p1.principal_classification = COMMON__MSPPRINCIPAL__CLASSIFICATION__ROLE;
	p1.principal = emit("msp_role_peer", &peer.base);

	by0.type_case = COMMON__SIGNATURE_POLICY__TYPE_SIGNED_BY;
	by0.signed_by = 0;
	by1.type_case = COMMON__SIGNATURE_POLICY__TYPE_SIGNED_BY;
	by1.signed_by = 1;
	noutof.n = 1;
	noutof.n_rules = 2;
	noutof.rules = rules;
	rule.type_case = COMMON__SIGNATURE_POLICY__TYPE_N_OUT_OF;
	rule.n_out_of = &noutof;
	env.version = 0;
	env.rule = &rule;
	env.n_identities = 2;
	env.identities = ps;
	*sig_out = emit("signature_policy_envelope", &env.base);

	/* signed_by = 0 is set explicitly and must survive (oneof). */
	u = common__signature_policy_envelope__unpack(NULL, sig_out->len,
	    sig_out->data);
	assert_non_null(u);
	assert_int_equal(u->rule->type_case, COMMON__SIGNATURE_POLICY__TYPE_N_OUT_OF);
	assert_int_equal(u->rule->n_out_of->n, 1);
	assert_int_equal(u->rule->n_out_of->n_rules, 2);
	assert_int_equal(u->rule->n_out_of->rules[0]->type_case,
	    COMMON__SIGNATURE_POLICY__TYPE_SIGNED_BY);
	assert_int_equal(u->rule->n_out_of->rules[0]->signed_by, 0);
	assert_int_equal(u->rule->n_out_of->rules[1]->signed_by, 1);
	assert_int_equal(u->n_identities, 2);
	common__signature_policy_envelope__free_unpacked(u, NULL);

	imp.sub_policy = "Admins";
	imp.rule = COMMON__IMPLICIT_META_POLICY__RULE__MAJORITY;
	*meta_out = emit("implicit_meta_policy", &imp.base);
}

/* etcdraft ConfigMetadata with two consenters, inside a ConsensusType. */
static ProtobufCBinaryData
encode_consensus(void)
{
	Etcdraft__Consenter c0 = ETCDRAFT__CONSENTER__INIT;
	Etcdraft__Consenter c1 = ETCDRAFT__CONSENTER__INIT;
	Etcdraft__Consenter *cs[2] = { &c0, &c1 };
	Etcdraft__Options opts = ETCDRAFT__OPTIONS__INIT;
	Etcdraft__ConfigMetadata md = ETCDRAFT__CONFIG_METADATA__INIT;
	Orderer__ConsensusType ct = ORDERER__CONSENSUS_TYPE__INIT;
	Etcdraft__ConfigMetadata *u;
	ProtobufCBinaryData mdb;

	c0.host = "orderer0.org1.example.com";
	c0.port = 7050;
	c0.client_tls_cert = bstr(TLS0);
	c0.server_tls_cert = bstr(TLS0);
	c1.host = "orderer1.org2.example.com";
	c1.port = 8050;
	c1.client_tls_cert = bstr(TLS1);
	c1.server_tls_cert = bstr(TLS1);
	opts.tick_interval = "500ms";
	opts.election_tick = 10;
	opts.heartbeat_tick = 1;
	opts.max_inflight_blocks = 5;
	opts.snapshot_interval_size = 16777216;
	md.n_consenters = 2;
	md.consenters = cs;
	md.options = &opts;
	mdb = emit("etcdraft_config_metadata", &md.base);

	u = etcdraft__config_metadata__unpack(NULL, mdb.len, mdb.data);
	assert_non_null(u);
	assert_int_equal(u->n_consenters, 2);
	assert_string_equal(u->consenters[1]->host, "orderer1.org2.example.com");
	assert_int_equal(u->consenters[1]->port, 8050);
	assert_bin(u->consenters[0]->server_tls_cert, bstr(TLS0));
	assert_int_equal(u->options->snapshot_interval_size, 16777216);
	etcdraft__config_metadata__free_unpacked(u, NULL);

	ct.type = "etcdraft";
	ct.metadata = mdb;
	ct.state = ORDERER__CONSENSUS_TYPE__STATE__STATE_MAINTENANCE;
	return emit("consensus_type", &ct.base);
}

/*
 * A channel config tree: Channel { Application { Org1MSP }, Orderer },
 * with values and policies at each level. Map entries are in key order.
 */
static ProtobufCBinaryData
encode_config(void)
{
	Common__HashingAlgorithm ha = COMMON__HASHING_ALGORITHM__INIT;
	Common__BlockDataHashingStructure bdhs = COMMON__BLOCK_DATA_HASHING_STRUCTURE__INIT;
	Common__OrdererAddresses oa = COMMON__ORDERER_ADDRESSES__INIT;
	Common__Capability cap = COMMON__CAPABILITY__INIT;
	Common__Capabilities__CapabilitiesEntry ce = COMMON__CAPABILITIES__CAPABILITIES_ENTRY__INIT;
	Common__Capabilities__CapabilitiesEntry *ces[1] = { &ce };
	Common__Capabilities caps = COMMON__CAPABILITIES__INIT;
	Orderer__BatchSize bs = ORDERER__BATCH_SIZE__INIT;
	Orderer__BatchTimeout bt = ORDERER__BATCH_TIMEOUT__INIT;
	Protos__AnchorPeer ap = PROTOS__ANCHOR_PEER__INIT;
	Protos__AnchorPeer *aps[1] = { &ap };
	Protos__AnchorPeers anchors = PROTOS__ANCHOR_PEERS__INIT;
	Protos__APIResource res0 = PROTOS__APIRESOURCE__INIT;
	Protos__APIResource res1 = PROTOS__APIRESOURCE__INIT;
	Protos__ACLs__AclsEntry ae0 = PROTOS__ACLS__ACLS_ENTRY__INIT;
	Protos__ACLs__AclsEntry ae1 = PROTOS__ACLS__ACLS_ENTRY__INIT;
	Protos__ACLs__AclsEntry *aes[2] = { &ae0, &ae1 };
	Protos__ACLs acls = PROTOS__ACLS__INIT;
	Common__Policy sigpol = COMMON__POLICY__INIT;
	Common__Policy metapol = COMMON__POLICY__INIT;
	Common__ConfigPolicy cp_sig = COMMON__CONFIG_POLICY__INIT;
	Common__ConfigPolicy cp_meta = COMMON__CONFIG_POLICY__INIT;
	Common__ConfigValue v_anchor = COMMON__CONFIG_VALUE__INIT;
	Common__ConfigValue v_msp = COMMON__CONFIG_VALUE__INIT;
	Common__ConfigValue v_acls = COMMON__CONFIG_VALUE__INIT;
	Common__ConfigValue v_bs = COMMON__CONFIG_VALUE__INIT;
	Common__ConfigValue v_bt = COMMON__CONFIG_VALUE__INIT;
	Common__ConfigValue v_ct = COMMON__CONFIG_VALUE__INIT;
	Common__ConfigValue v_bdhs = COMMON__CONFIG_VALUE__INIT;
	Common__ConfigValue v_caps = COMMON__CONFIG_VALUE__INIT;
	Common__ConfigValue v_ha = COMMON__CONFIG_VALUE__INIT;
	Common__ConfigValue v_oa = COMMON__CONFIG_VALUE__INIT;
	Common__ConfigGroup__ValuesEntry ve_org[2], ve_app[1], ve_ord[3], ve_ch[4];
	Common__ConfigGroup__ValuesEntry *pve_org[2], *pve_app[1], *pve_ord[3], *pve_ch[4];
	Common__ConfigGroup__PoliciesEntry pe_org = COMMON__CONFIG_GROUP__POLICIES_ENTRY__INIT;
	Common__ConfigGroup__PoliciesEntry pe_app = COMMON__CONFIG_GROUP__POLICIES_ENTRY__INIT;
	Common__ConfigGroup__PoliciesEntry pe_ch = COMMON__CONFIG_GROUP__POLICIES_ENTRY__INIT;
	Common__ConfigGroup__PoliciesEntry *ppe_org[1] = { &pe_org };
	Common__ConfigGroup__PoliciesEntry *ppe_app[1] = { &pe_app };
	Common__ConfigGroup__PoliciesEntry *ppe_ch[1] = { &pe_ch };
	Common__ConfigGroup__GroupsEntry ge_org = COMMON__CONFIG_GROUP__GROUPS_ENTRY__INIT;
	Common__ConfigGroup__GroupsEntry ge_app = COMMON__CONFIG_GROUP__GROUPS_ENTRY__INIT;
	Common__ConfigGroup__GroupsEntry ge_ord = COMMON__CONFIG_GROUP__GROUPS_ENTRY__INIT;
	Common__ConfigGroup__GroupsEntry *pge_app[1] = { &ge_org };
	Common__ConfigGroup__GroupsEntry *pge_ch[2] = { &ge_app, &ge_ord };
	Common__ConfigGroup g_org = COMMON__CONFIG_GROUP__INIT;
	Common__ConfigGroup g_app = COMMON__CONFIG_GROUP__INIT;
	Common__ConfigGroup g_ord = COMMON__CONFIG_GROUP__INIT;
	Common__ConfigGroup g_ch = COMMON__CONFIG_GROUP__INIT;
	Common__Config cfg = COMMON__CONFIG__INIT;
	Common__Config *u;
	ProtobufCBinaryData cfgb;
	char *addrs[2] = { "orderer0.org1.example.com:7050",
	    "orderer1.org2.example.com:8050" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (i < 1) {
			common__config_group__values_entry__init(&ve_app[i]);
			pve_app[i] = &ve_app[i];
		}
		if (i < 2) {
			common__config_group__values_entry__init(&ve_org[i]);
			pve_org[i] = &ve_org[i];
		}
		if (i < 3) {
			common__config_group__values_entry__init(&ve_ord[i]);
			pve_ord[i] = &ve_ord[i];
		}
		common__config_group__values_entry__init(&ve_ch[i]);
		pve_ch[i] = &ve_ch[i];
	}

	encode_policies(&sigpol.value, &metapol.value);
	sigpol.type = COMMON__POLICY__POLICY_TYPE__SIGNATURE;
	metapol.type = COMMON__POLICY__POLICY_TYPE__IMPLICIT_META;
	cp_sig.policy = &sigpol;
	cp_sig.mod_policy = "Admins";
	cp_meta.policy = &metapol;
	cp_meta.mod_policy = "Admins";

	/* Org1MSP: AnchorPeers, MSP; policy Admins. */
	ap.host = "peer0.org1.example.com";
	ap.port = 7051;
	anchors.n_anchor_peers = 1;
	anchors.anchor_peers = aps;
	v_anchor.value = emit("anchor_peers", &anchors.base);
	v_anchor.mod_policy = "Admins";
	v_msp.value = encode_msp();
	v_msp.mod_policy = "Admins";
	ve_org[0].key = "AnchorPeers";
	ve_org[0].value = &v_anchor;
	ve_org[1].key = "MSP";
	ve_org[1].value = &v_msp;
	pe_org.key = "Admins";
	pe_org.value = &cp_sig;
	g_org.n_values = 2;
	g_org.values = pve_org;
	g_org.n_policies = 1;
	g_org.policies = ppe_org;
	g_org.mod_policy = "Admins";

	/* Application: ACLs; policy Admins; group Org1MSP. */
	res0.policy_ref = "/Channel/Application/Readers";
	res1.policy_ref = "/Channel/Application/Writers";
	ae0.key = "cscc/GetConfigBlock";
	ae0.value = &res0;
	ae1.key = "peer/Propose";
	ae1.value = &res1;
	acls.n_acls = 2;
	acls.acls = aes;
	v_acls.value = emit("acls", &acls.base);
	v_acls.mod_policy = "Admins";
	ve_app[0].key = "ACLs";
	ve_app[0].value = &v_acls;
	ge_org.key = "Org1MSP";
	ge_org.value = &g_org;
	pe_app.key = "Admins";
	pe_app.value = &cp_meta;
	g_app.version = 1;
	g_app.n_groups = 1;
	g_app.groups = pge_app;
	g_app.n_values = 1;
	g_app.values = pve_app;
	g_app.n_policies = 1;
	g_app.policies = ppe_app;
	g_app.mod_policy = "Admins";

	/* Orderer: BatchSize, BatchTimeout, ConsensusType. */
	bs.max_message_count = 500;
	bs.absolute_max_bytes = 10485760;
	bs.preferred_max_bytes = 2097152;
	bt.timeout = "2s";
	v_bs.value = emit("batch_size", &bs.base);
	v_bs.mod_policy = "Admins";
	v_bt.value = emit("batch_timeout", &bt.base);
	v_bt.mod_policy = "Admins";
	v_ct.value = encode_consensus();
	v_ct.mod_policy = "Admins";
	ve_ord[0].key = "BatchSize";
	ve_ord[0].value = &v_bs;
	ve_ord[1].key = "BatchTimeout";
	ve_ord[1].value = &v_bt;
	ve_ord[2].key = "ConsensusType";
	ve_ord[2].value = &v_ct;
	g_ord.version = 2;
	g_ord.n_values = 3;
	g_ord.values = pve_ord;
	g_ord.mod_policy = "Admins";

	/* Channel: the four channel values; policy Admins. */
	bdhs.width = 4294967295u;
	ce.key = "V2_0";
	ce.value = &cap;
	caps.n_capabilities = 1;
	caps.capabilities = ces;
	ha.name = "SHA256";
	oa.n_addresses = 2;
	oa.addresses = addrs;
	v_bdhs.value = emit("block_data_hashing_structure", &bdhs.base);
	v_bdhs.mod_policy = "Admins";
	v_caps.value = emit("capabilities", &caps.base);
	v_caps.mod_policy = "Admins";
	v_ha.value = emit("hashing_algorithm", &ha.base);
	v_ha.mod_policy = "Admins";
	v_oa.value = emit("orderer_addresses", &oa.base);
	v_oa.mod_policy = "/Channel/Orderer/Admins";
	ve_ch[0].key = "BlockDataHashingStructure";
	ve_ch[0].value = &v_bdhs;
	ve_ch[1].key = "Capabilities";
	ve_ch[1].value = &v_caps;
	ve_ch[2].key = "HashingAlgorithm";
	ve_ch[2].value = &v_ha;
	ve_ch[3].key = "OrdererAddresses";
	ve_ch[3].value = &v_oa;
	ge_app.key = "Application";
	ge_app.value = &g_app;
	ge_ord.key = "Orderer";
	ge_ord.value = &g_ord;
	pe_ch.key = "Admins";
	pe_ch.value = &cp_meta;
	g_ch.n_groups = 2;
	g_ch.groups = pge_ch;
	g_ch.n_values = 4;
	g_ch.values = pve_ch;
	g_ch.n_policies = 1;
	g_ch.policies = ppe_ch;
	g_ch.mod_policy = "Admins";
	cfg.sequence = 3;
	cfg.channel_group = &g_ch;
	cfgb = emit("config", &cfg.base);

	u = common__config__unpack(NULL, cfgb.len, cfgb.data);
	assert_non_null(u);
	assert_int_equal(u->sequence, 3);
	assert_int_equal(u->channel_group->n_groups, 2);
	assert_string_equal(u->channel_group->groups[0]->key, "Application");
	assert_string_equal(u->channel_group->groups[0]->value->groups[0]->key,
	    "Org1MSP");
	assert_bin(u->channel_group->groups[0]->value->groups[0]->value->
	    values[1]->value->value, v_msp.value);
	assert_int_equal(u->channel_group->groups[1]->value->version, 2);
	assert_string_equal(u->channel_group->values[3]->value->mod_policy,
	    "/Channel/Orderer/Admins");
	assert_int_equal(u->channel_group->policies[0]->value->policy->type,
	    COMMON__POLICY__POLICY_TYPE__IMPLICIT_META);
	common__config__free_unpacked(u, NULL);
	return cfgb;
}

/*
 * A config update adding Org1MSP to Application, its signed envelope, the
 * Envelope of type CONFIG_UPDATE, and a ConfigEnvelope for a block.
 */
static ProtobufCBinaryData
encode_envelope(ProtobufCBinaryData cfgb)
{
	Common__ConfigGroup rs_app = COMMON__CONFIG_GROUP__INIT;
	Common__ConfigGroup ws_org = COMMON__CONFIG_GROUP__INIT;
	Common__ConfigGroup ws_app = COMMON__CONFIG_GROUP__INIT;
	Common__ConfigGroup rs = COMMON__CONFIG_GROUP__INIT;
	Common__ConfigGroup ws = COMMON__CONFIG_GROUP__INIT;
	Common__ConfigGroup__GroupsEntry rse_app = COMMON__CONFIG_GROUP__GROUPS_ENTRY__INIT;
	Common__ConfigGroup__GroupsEntry wse_app = COMMON__CONFIG_GROUP__GROUPS_ENTRY__INIT;
	Common__ConfigGroup__GroupsEntry wse_org = COMMON__CONFIG_GROUP__GROUPS_ENTRY__INIT;
	Common__ConfigGroup__GroupsEntry *prs[1] = { &rse_app };
	Common__ConfigGroup__GroupsEntry *pws[1] = { &wse_app };
	Common__ConfigGroup__GroupsEntry *pwsa[1] = { &wse_org };
	Common__ConfigUpdate__IsolatedDataEntry iso = COMMON__CONFIG_UPDATE__ISOLATED_DATA_ENTRY__INIT;
	Common__ConfigUpdate__IsolatedDataEntry *isos[1] = { &iso };
	Common__ConfigUpdate cu = COMMON__CONFIG_UPDATE__INIT;
	Common__ConfigSignature cs = COMMON__CONFIG_SIGNATURE__INIT;
	Common__ConfigSignature *css[1] = { &cs };
	Common__ConfigUpdateEnvelope cue = COMMON__CONFIG_UPDATE_ENVELOPE__INIT;
	Common__Header hdr = COMMON__HEADER__INIT;
	Common__Payload pl = COMMON__PAYLOAD__INIT;
	Common__Envelope env = COMMON__ENVELOPE__INIT;
	Common__Envelope cfgenv = COMMON__ENVELOPE__INIT;
	Common__ConfigEnvelope ce = COMMON__CONFIG_ENVELOPE__INIT;
	Common__Payload *upl;
	Common__ChannelHeader *uch;
	ProtobufCBinaryData sh, ch, envb;
	static const uint8_t sig[] = { 0x30, 0x44, 0x02, 0x20, 0x01, 0xff };

	encode_headers(&sh, &ch);

	rs_app.version = 1;
	rse_app.key = "Application";
	rse_app.value = &rs_app;
	rs.n_groups = 1;
	rs.groups = prs;
	ws_org.mod_policy = "Admins";
	wse_org.key = "Org1MSP";
	wse_org.value = &ws_org;
	ws_app.version = 2;
	ws_app.n_groups = 1;
	ws_app.groups = pwsa;
	ws_app.mod_policy = "Admins";
	wse_app.key = "Application";
	wse_app.value = &ws_app;
	ws.n_groups = 1;
	ws.groups = pws;
	iso.key = "note";
	iso.value = bstr("isolated");
	cu.channel_id = "mychannel";
	cu.read_set = &rs;
	cu.write_set = &ws;
	cu.n_isolated_data = 1;
	cu.isolated_data = isos;
	cs.signature_header = sh;
	cs.signature = bmem(sig, sizeof(sig));
	cue.config_update = emit("config_update", &cu.base);
	cue.n_signatures = 1;
	cue.signatures = css;

	hdr.channel_header = ch;
	hdr.signature_header = sh;
	pl.header = &hdr;
	pl.data = emit("config_update_envelope", &cue.base);
	env.payload = emit("payload", &pl.base);
	env.signature = bmem(sig, sizeof(sig));
	envb = emit("envelope", &env.base);

	upl = common__payload__unpack(NULL, env.payload.len, env.payload.data);
	assert_non_null(upl);
	assert_non_null(upl->header);
	uch = common__channel_header__unpack(NULL,
	    upl->header->channel_header.len, upl->header->channel_header.data);
	assert_non_null(uch);
	assert_int_equal(uch->type, COMMON__HEADER_TYPE__CONFIG_UPDATE);
	assert_string_equal(uch->channel_id, "mychannel");
	assert_int_equal(uch->epoch, 7);
	assert_int_equal(uch->timestamp->seconds, 1700000000);
	assert_int_equal(uch->timestamp->nanos, 123456789);
	common__channel_header__free_unpacked(uch, NULL);
	common__payload__free_unpacked(upl, NULL);

	/* A config envelope wraps the config and the update that made it. */
	cfgenv = env;
	ce.config = common__config__unpack(NULL, cfgb.len, cfgb.data);
	assert_non_null(ce.config);
	ce.last_update = &cfgenv;
	emit("config_envelope", &ce.base);
	common__config__free_unpacked(ce.config, NULL);
	return envb;
}

static void
encode_block(ProtobufCBinaryData envb)
{
	Common__LastConfig lc = COMMON__LAST_CONFIG__INIT;
	Common__OrdererBlockMetadata obm = COMMON__ORDERER_BLOCK_METADATA__INIT;
	Common__MetadataSignature ms = COMMON__METADATA_SIGNATURE__INIT;
	Common__MetadataSignature *mss[1] = { &ms };
	Common__Metadata md_sig = COMMON__METADATA__INIT;
	Common__Metadata md_lc = COMMON__METADATA__INIT;
	Common__BlockHeader bh = COMMON__BLOCK_HEADER__INIT;
	Common__BlockData bd = COMMON__BLOCK_DATA__INIT;
	Common__BlockMetadata bm = COMMON__BLOCK_METADATA__INIT;
	Common__Block blk = COMMON__BLOCK__INIT;
	Common__Block *u;
	ProtobufCBinaryData data[2], meta[5], blkb;
	size_t i;

	lc.index = 4;
	obm.last_config = &lc;
	obm.consenter_metadata = bstr("raft-md");
	md_sig.value = emit("orderer_block_metadata", &obm.base);
	ms.signature_header = bstr("sighdr");
	ms.signature = bmem("\x30\x45\x02\x21\x00", 5);
	md_sig.n_signatures = 1;
	md_sig.signatures = mss;
	md_lc.value = emit("last_config", &lc.base);

	data[0] = envb;
	data[1] = bstr("second-tx");
	meta[COMMON__BLOCK_METADATA_INDEX__SIGNATURES] =
	    emit("metadata_signatures", &md_sig.base);
	meta[COMMON__BLOCK_METADATA_INDEX__LAST_CONFIG] =
	    emit("metadata_last_config", &md_lc.base);
	for (i = COMMON__BLOCK_METADATA_INDEX__TRANSACTIONS_FILTER;
	    i <= COMMON__BLOCK_METADATA_INDEX__COMMIT_HASH; i++)
		meta[i] = bmem("", 0);
	bh.number = 5;
	bh.previous_hash = bmem("\xde\xad\xbe\xef", 4);
	bh.data_hash = bstr("data-hash");
	bd.n_data = 2;
	bd.data = data;
	bm.n_metadata = 5;
	bm.metadata = meta;
	blk.header = &bh;
	blk.data = &bd;
	blk.metadata = &bm;
	blkb = emit("block", &blk.base);

	u = common__block__unpack(NULL, blkb.len, blkb.data);
	assert_non_null(u);
	assert_int_equal(u->header->number, 5);
	assert_int_equal(u->data->n_data, 2);
	assert_bin(u->data->data[0], envb);
	assert_int_equal(u->metadata->n_metadata, 5);
	assert_int_equal(u->metadata->metadata[4].len, 0);
	common__block__free_unpacked(u, NULL);
}

static void
encode_seek(void)
{
	Orderer__SeekSpecified spec = ORDERER__SEEK_SPECIFIED__INIT;
	Orderer__SeekNewest newest = ORDERER__SEEK_NEWEST__INIT;
	Orderer__SeekPosition start = ORDERER__SEEK_POSITION__INIT;
	Orderer__SeekPosition stop = ORDERER__SEEK_POSITION__INIT;
	Orderer__SeekInfo si = ORDERER__SEEK_INFO__INIT;
	Orderer__SeekInfo *u;
	ProtobufCBinaryData b;

	spec.number = 3;
	start.type_case = ORDERER__SEEK_POSITION__TYPE_SPECIFIED;
	start.specified = &spec;
	stop.type_case = ORDERER__SEEK_POSITION__TYPE_NEWEST;
	stop.newest = &newest;
	si.start = &start;
	si.stop = &stop;
	si.behavior = ORDERER__SEEK_INFO__SEEK_BEHAVIOR__FAIL_IF_NOT_READY;
	si.error_response = ORDERER__SEEK_INFO__SEEK_ERROR_RESPONSE__BEST_EFFORT;
	b = emit("seek_info", &si.base);

	/* An empty SeekNewest is still a present oneof member. */
	u = orderer__seek_info__unpack(NULL, b.len, b.data);
	assert_non_null(u);
	assert_int_equal(u->start->type_case, ORDERER__SEEK_POSITION__TYPE_SPECIFIED);
	assert_int_equal(u->start->specified->number, 3);
	assert_int_equal(u->stop->type_case, ORDERER__SEEK_POSITION__TYPE_NEWEST);
	assert_non_null(u->stop->newest);
	orderer__seek_info__free_unpacked(u, NULL);
}

/* cscc JoinChain as the peer CLI sends it. */
static void
encode_proposal(void)
{
	ProtobufCBinaryData args[2], sh, ch;
	Protos__ChaincodeID ccid = PROTOS__CHAINCODE_ID__INIT;
	Protos__ChaincodeInput in = PROTOS__CHAINCODE_INPUT__INIT;
	Protos__ChaincodeSpec spec = PROTOS__CHAINCODE_SPEC__INIT;
	Protos__ChaincodeInvocationSpec cis = PROTOS__CHAINCODE_INVOCATION_SPEC__INIT;
	Protos__ChaincodeHeaderExtension ext = PROTOS__CHAINCODE_HEADER_EXTENSION__INIT;
	Protos__ChaincodeProposalPayload__TransientMapEntry tm = PROTOS__CHAINCODE_PROPOSAL_PAYLOAD__TRANSIENT_MAP_ENTRY__INIT;
	Protos__ChaincodeProposalPayload__TransientMapEntry *tms[1] = { &tm };
	Protos__ChaincodeProposalPayload cpp = PROTOS__CHAINCODE_PROPOSAL_PAYLOAD__INIT;
	Common__Header hdr = COMMON__HEADER__INIT;
	Protos__Proposal prop = PROTOS__PROPOSAL__INIT;
	Protos__SignedProposal sp = PROTOS__SIGNED_PROPOSAL__INIT;
	Protos__ChaincodeInvocationSpec *u;
	ProtobufCBinaryData cisb;

	ccid.name = "cscc";
	args[0] = bstr("JoinChain");
	args[1] = bmem("\x0a\x02\x08\x00", 4);
	in.n_args = 2;
	in.args = args;
	spec.type = PROTOS__CHAINCODE_SPEC__TYPE__GOLANG;
	spec.chaincode_id = &ccid;
	spec.input = &in;
	cis.chaincode_spec = &spec;
	cisb = emit("chaincode_invocation_spec", &cis.base);
	ext.chaincode_id = &ccid;
	emit("chaincode_header_extension", &ext.base);

	u = protos__chaincode_invocation_spec__unpack(NULL, cisb.len, cisb.data);
	assert_non_null(u);
	assert_int_equal(u->chaincode_spec->type, PROTOS__CHAINCODE_SPEC__TYPE__GOLANG);
	assert_string_equal(u->chaincode_spec->chaincode_id->name, "cscc");
	assert_int_equal(u->chaincode_spec->input->n_args, 2);
	assert_bin(u->chaincode_spec->input->args[0], bstr("JoinChain"));
	assert_bin(u->chaincode_spec->input->args[1], args[1]);
	protos__chaincode_invocation_spec__free_unpacked(u, NULL);

	tm.key = "secret";
	tm.value = bstr("not-in-ledger");
	cpp.input = cisb;
	cpp.n_transientmap = 1;
	cpp.transientmap = tms;
	encode_headers(&sh, &ch);
	hdr.channel_header = ch;
	hdr.signature_header = sh;
	prop.header = emit("header", &hdr.base);
	prop.payload = emit("chaincode_proposal_payload", &cpp.base);
	sp.proposal_bytes = emit("proposal", &prop.base);
	sp.signature = bmem("\x30\x44\x02\x20", 4);
	emit("signed_proposal", &sp.base);
}

static void
encode_all(void **state)
{
	ProtobufCBinaryData cfgb, envb;

	cfgb = encode_config();
	envb = encode_envelope(cfgb);
	encode_block(envb);
	encode_seek();
	encode_proposal();
}

/* Reads <FABFED_PROTO_IN>/<name>.bin into *b; the buffer is owned. */
static void
read_in(const char *name, ProtobufCBinaryData *b)
{
	const char *dir = getenv("FABFED_PROTO_IN");
	char *path;
	ssize_t n;
	int fd;

	path = xasprintf("%s/%s.bin", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		fail_msg("%s: %s", path, strerror(errno));
	assert_true(n_owned < MAX_OWNED);
	b->data = xmalloc(MAX_FILE);
	owned[n_owned++] = b->data;
	n = read(fd, b->data, MAX_FILE);
	assert_true(n >= 0 && n < MAX_FILE);
	b->len = (size_t)n;
	close(fd);
	free(path);
}

/*
 * Messages proto_oracle.sh encoded with `protoc --encode` from the official
 * .proto files. The values here are the ones in its text inputs.
 */
static void
decode_official(void **state)
{
	const char *dir = getenv("FABFED_PROTO_IN");
	ProtobufCBinaryData b;
	Orderer__BroadcastResponse *br;
	Orderer__DeliverResponse *dr;
	Protos__ProposalResponse *pr;
	Common__Config *cfg;
	Common__ConfigGroup *ord;
	Etcdraft__ConfigMetadata *md;
	Common__ChannelHeader *ch;

	if (dir == NULL || *dir == '\0')
		skip();

	read_in("rev_broadcast_response", &b);
	br = orderer__broadcast_response__unpack(NULL, b.len, b.data);
	assert_non_null(br);
	assert_int_equal(br->status, COMMON__STATUS__BAD_REQUEST);
	assert_string_equal(br->info, "config update for existing channel did not pass initial checks");
	orderer__broadcast_response__free_unpacked(br, NULL);

	read_in("rev_deliver_status", &b);
	dr = orderer__deliver_response__unpack(NULL, b.len, b.data);
	assert_non_null(dr);
	assert_int_equal(dr->type_case, ORDERER__DELIVER_RESPONSE__TYPE_STATUS);
	assert_int_equal(dr->status, COMMON__STATUS__NOT_FOUND);
	orderer__deliver_response__free_unpacked(dr, NULL);

	read_in("rev_deliver_block", &b);
	dr = orderer__deliver_response__unpack(NULL, b.len, b.data);
	assert_non_null(dr);
	assert_int_equal(dr->type_case, ORDERER__DELIVER_RESPONSE__TYPE_BLOCK);
	assert_int_equal(dr->block->header->number, 7);
	assert_bin(dr->block->header->previous_hash, bmem("\x01\x02\xff", 3));
	assert_bin(dr->block->header->data_hash, bstr("dh"));
	assert_int_equal(dr->block->data->n_data, 2);
	assert_bin(dr->block->data->data[0], bstr("tx0"));
	assert_bin(dr->block->data->data[1], bstr("tx1"));
	assert_int_equal(dr->block->metadata->n_metadata, 3);
	assert_int_equal(dr->block->metadata->metadata[0].len, 0);
	assert_bin(dr->block->metadata->metadata[1], bmem("\x0a\x02\x08\x07", 4));
	assert_int_equal(dr->block->metadata->metadata[2].len, 0);
	orderer__deliver_response__free_unpacked(dr, NULL);

	read_in("rev_proposal_response", &b);
	pr = protos__proposal_response__unpack(NULL, b.len, b.data);
	assert_non_null(pr);
	assert_int_equal(pr->version, 1);
	assert_int_equal(pr->timestamp->seconds, 1700000001);
	assert_int_equal(pr->timestamp->nanos, 5);
	assert_int_equal(pr->response->status, 500);
	assert_string_equal(pr->response->message, "cannot create ledger from genesis block: ledger [mychannel] already exists with state [ACTIVE]");
	assert_bin(pr->response->payload, bstr("pl"));
	assert_bin(pr->payload, bstr("prp"));
	assert_bin(pr->endorsement->endorser, bstr("endorser-id"));
	assert_bin(pr->endorsement->signature, bmem("\x30\x44", 2));
	protos__proposal_response__free_unpacked(pr, NULL);

	read_in("rev_config", &b);
	cfg = common__config__unpack(NULL, b.len, b.data);
	assert_non_null(cfg);
	assert_int_equal(cfg->sequence, 9);
	assert_string_equal(cfg->channel_group->mod_policy, "Admins");
	assert_int_equal(cfg->channel_group->n_groups, 1);
	assert_string_equal(cfg->channel_group->groups[0]->key, "Orderer");
	ord = cfg->channel_group->groups[0]->value;
	assert_int_equal(ord->version, 2);
	assert_int_equal(ord->n_values, 1);
	assert_string_equal(ord->values[0]->key, "BatchTimeout");
	assert_int_equal(ord->values[0]->value->version, 1);
	assert_bin(ord->values[0]->value->value, bmem("\x0a\x02" "2s", 4));
	assert_int_equal(ord->n_policies, 1);
	assert_string_equal(ord->policies[0]->key, "BlockValidation");
	assert_int_equal(ord->policies[0]->value->policy->type, 3);
	common__config__free_unpacked(cfg, NULL);

	read_in("rev_etcdraft", &b);
	md = etcdraft__config_metadata__unpack(NULL, b.len, b.data);
	assert_non_null(md);
	assert_int_equal(md->n_consenters, 1);
	assert_string_equal(md->consenters[0]->host, "127.0.0.1");
	assert_int_equal(md->consenters[0]->port, 7050);
	assert_bin(md->consenters[0]->client_tls_cert, bstr("client-pem"));
	assert_bin(md->consenters[0]->server_tls_cert, bstr("server-pem"));
	assert_string_equal(md->options->tick_interval, "500ms");
	assert_int_equal(md->options->election_tick, 10);
	etcdraft__config_metadata__free_unpacked(md, NULL);

	read_in("rev_channel_header", &b);
	ch = common__channel_header__unpack(NULL, b.len, b.data);
	assert_non_null(ch);
	assert_int_equal(ch->type, COMMON__HEADER_TYPE__CONFIG);
	assert_string_equal(ch->channel_id, "mychannel");
	assert_string_equal(ch->tx_id, "abc");
	assert_int_equal(ch->timestamp->seconds, 1700000002);
	assert_int_equal(ch->epoch, 0);
	common__channel_header__free_unpacked(ch, NULL);
}

static void
reject_malformed(void **state)
{
	Common__BlockHeader bh = COMMON__BLOCK_HEADER__INIT;
	Common__Block blk = COMMON__BLOCK__INIT;
	ProtobufCBinaryData b;
	/* Field 1 (header) as a length-delimited 100 bytes, with 2 present. */
	static const uint8_t overlong[] = { 0x0a, 0x64, 0x08, 0x01 };
	/* A varint that never ends. */
	static const uint8_t badvarint[] = { 0x08, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	/* Wire type 7 does not exist. */
	static const uint8_t badwire[] = { 0x0f, 0x00 };
	size_t cut;
	Common__Block *u;

	bh.number = 1000000;
	bh.previous_hash = bstr("previous");
	bh.data_hash = bstr("data");
	blk.header = &bh;
	b = packed(&blk.base);
	for (cut = 1; cut < b.len; cut++) {
		u = common__block__unpack(NULL, cut, b.data);
		assert_null(u);
	}
	assert_null(common__block__unpack(NULL, sizeof(overlong), overlong));
	assert_null(common__block_header__unpack(NULL, sizeof(badvarint),
	    badvarint));
	assert_null(common__envelope__unpack(NULL, sizeof(badwire), badwire));
	u = common__block__unpack(NULL, b.len, b.data);
	assert_non_null(u);
	assert_int_equal(u->header->number, 1000000);
	common__block__free_unpacked(u, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(encode_all, setup, teardown),
		cmocka_unit_test_setup_teardown(decode_official, setup, teardown),
		cmocka_unit_test_setup_teardown(reject_malformed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
