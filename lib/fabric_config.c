/*
 * fabric_config.c: an application channel's config tree, as configtxgen
 * 2.5 builds it (internal/configtxgen/encoder/encoder.go with the policies
 * of sampleconfig/configtx.yaml), from the topology and the orgs' public
 * MSPs. The tree is built here with our own allocations, packed with every
 * map sorted by key, and handed to the caller as protobuf-c's unpacking of
 * those bytes, so one free function releases it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/configtx.pb-c.h"
#include "common/configuration.pb-c.h"
#include "common/policies.pb-c.h"
#include "msp/msp_config.pb-c.h"
#include "msp/msp_principal.pb-c.h"
#include "orderer/configuration.pb-c.h"
#include "orderer/etcdraft/configuration.pb-c.h"
#include "peer/configuration.pb-c.h"

#include "fabric_config.h"
#include "xmalloc.h"

#define ADMINS	"Admins"
#define MAX_ENDPOINT	1024

/* Fabric's default channel ACLs (sampleconfig/configtx.yaml, 2.5). */
static const char *const fcfg_acls[][2] = {
	{ "_lifecycle/CheckCommitReadiness", "/Channel/Application/Writers" },
	{ "_lifecycle/CommitChaincodeDefinition", "/Channel/Application/Writers" },
	{ "_lifecycle/QueryChaincodeDefinition", "/Channel/Application/Writers" },
	{ "_lifecycle/QueryChaincodeDefinitions", "/Channel/Application/Writers" },
	{ "lscc/ChaincodeExists", "/Channel/Application/Readers" },
	{ "lscc/GetDeploymentSpec", "/Channel/Application/Readers" },
	{ "lscc/GetChaincodeData", "/Channel/Application/Readers" },
	{ "lscc/GetInstantiatedChaincodes", "/Channel/Application/Readers" },
	{ "qscc/GetChainInfo", "/Channel/Application/Readers" },
	{ "qscc/GetBlockByNumber", "/Channel/Application/Readers" },
	{ "qscc/GetBlockByHash", "/Channel/Application/Readers" },
	{ "qscc/GetTransactionByID", "/Channel/Application/Readers" },
	{ "qscc/GetBlockByTxID", "/Channel/Application/Readers" },
	{ "cscc/GetConfigBlock", "/Channel/Application/Readers" },
	{ "cscc/GetChannelConfig", "/Channel/Application/Readers" },
	{ "peer/Propose", "/Channel/Application/Writers" },
	{ "peer/ChaincodeToChaincode", "/Channel/Application/Writers" },
	{ "event/Block", "/Channel/Application/Readers" },
	{ "event/FilteredBlock", "/Channel/Application/Readers" },
};

/* The packed bytes of M. Caller frees. */
static uint8_t *
fcfg_msg(const ProtobufCMessage *m, size_t *len)
{
	uint8_t *b;

	*len = protobuf_c_message_get_packed_size(m);
	b = xmalloc(*len > 0 ? *len : 1);
	(void)protobuf_c_message_pack(m, b);
	return b;
}

static Common__ConfigGroup *
grp_new(void)
{
	Common__ConfigGroup *g = xmalloc(sizeof(*g));

	common__config_group__init(g);
	g->mod_policy = xstrdup(ADMINS);
	return g;
}

static void
grp_free(Common__ConfigGroup *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n_groups; i++) {
		free(g->groups[i]->key);
		grp_free(g->groups[i]->value);
		free(g->groups[i]);
	}
	for (i = 0; i < g->n_values; i++) {
		free(g->values[i]->key);
		free(g->values[i]->value->value.data);
		free(g->values[i]->value->mod_policy);
		free(g->values[i]->value);
		free(g->values[i]);
	}
	for (i = 0; i < g->n_policies; i++) {
		free(g->policies[i]->key);
		free(g->policies[i]->value->policy->value.data);
		free(g->policies[i]->value->policy);
		free(g->policies[i]->value->mod_policy);
		free(g->policies[i]->value);
		free(g->policies[i]);
	}
	free(g->groups);
	free(g->values);
	free(g->policies);
	free(g->mod_policy);
	free(g);
}

static void
grp_group(Common__ConfigGroup *g, const char *key, Common__ConfigGroup *sub)
{
	Common__ConfigGroup__GroupsEntry *e = xmalloc(sizeof(*e));

	common__config_group__groups_entry__init(e);
	e->key = xstrdup(key);
	e->value = sub;
	g->groups = xreallocarray(g->groups, g->n_groups + 1,
	    sizeof(*g->groups));
	g->groups[g->n_groups++] = e;
}

/* Adds value KEY = M, packed, with mod_policy MOD. */
static void
grp_value(Common__ConfigGroup *g, const char *key, const ProtobufCMessage *m,
    const char *mod)
{
	Common__ConfigGroup__ValuesEntry *e = xmalloc(sizeof(*e));
	Common__ConfigValue *v = xmalloc(sizeof(*v));

	common__config_value__init(v);
	v->value.data = fcfg_msg(m, &v->value.len);
	v->mod_policy = xstrdup(mod);
	common__config_group__values_entry__init(e);
	e->key = xstrdup(key);
	e->value = v;
	g->values = xreallocarray(g->values, g->n_values + 1,
	    sizeof(*g->values));
	g->values[g->n_values++] = e;
}

static void
grp_policy(Common__ConfigGroup *g, const char *key, int type,
    const ProtobufCMessage *m)
{
	Common__ConfigGroup__PoliciesEntry *e = xmalloc(sizeof(*e));
	Common__ConfigPolicy *cp = xmalloc(sizeof(*cp));
	Common__Policy *p = xmalloc(sizeof(*p));

	common__policy__init(p);
	p->type = type;
	p->value.data = fcfg_msg(m, &p->value.len);
	common__config_policy__init(cp);
	cp->policy = p;
	cp->mod_policy = xstrdup(ADMINS);
	common__config_group__policies_entry__init(e);
	e->key = xstrdup(key);
	e->value = cp;
	g->policies = xreallocarray(g->policies, g->n_policies + 1,
	    sizeof(*g->policies));
	g->policies[g->n_policies++] = e;
}

static void
grp_implicit(Common__ConfigGroup *g, const char *key, const char *sub,
    Common__ImplicitMetaPolicy__Rule rule)
{
	Common__ImplicitMetaPolicy imp = COMMON__IMPLICIT_META_POLICY__INIT;

	imp.sub_policy = (char *)sub;
	imp.rule = rule;
	grp_policy(g, key, COMMON__POLICY__POLICY_TYPE__IMPLICIT_META,
	    &imp.base);
}

/* OR('MSPID.role'), as policydsl encodes it: 1 out of [signed_by 0]. */
static void
grp_signature(Common__ConfigGroup *g, const char *key, const char *mspid,
    Common__MSPRole__MSPRoleType role)
{
	Common__MSPRole r = COMMON__MSPROLE__INIT;
	Common__MSPPrincipal pr = COMMON__MSPPRINCIPAL__INIT, *prs[1];
	Common__SignaturePolicy signed_by = COMMON__SIGNATURE_POLICY__INIT;
	Common__SignaturePolicy top = COMMON__SIGNATURE_POLICY__INIT, *rules[1];
	Common__SignaturePolicy__NOutOf nout =
	    COMMON__SIGNATURE_POLICY__NOUT_OF__INIT;
	Common__SignaturePolicyEnvelope env =
	    COMMON__SIGNATURE_POLICY_ENVELOPE__INIT;

	r.msp_identifier = (char *)mspid;
	r.role = role;
	pr.principal_classification =
	    COMMON__MSPPRINCIPAL__CLASSIFICATION__ROLE;
	pr.principal.data = fcfg_msg(&r.base, &pr.principal.len);
	prs[0] = &pr;
	signed_by.type_case = COMMON__SIGNATURE_POLICY__TYPE_SIGNED_BY;
	signed_by.signed_by = 0;
	rules[0] = &signed_by;
	nout.n = 1;
	nout.n_rules = 1;
	nout.rules = rules;
	top.type_case = COMMON__SIGNATURE_POLICY__TYPE_N_OUT_OF;
	top.n_out_of = &nout;
	env.version = 0;
	env.rule = &top;
	env.n_identities = 1;
	env.identities = prs;
	grp_policy(g, key, COMMON__POLICY__POLICY_TYPE__SIGNATURE, &env.base);
	free(pr.principal.data);
}

static int
cmp_group(const void *a, const void *b)
{
	return strcmp((*(Common__ConfigGroup__GroupsEntry *const *)a)->key,
	    (*(Common__ConfigGroup__GroupsEntry *const *)b)->key);
}

static int
cmp_value(const void *a, const void *b)
{
	return strcmp((*(Common__ConfigGroup__ValuesEntry *const *)a)->key,
	    (*(Common__ConfigGroup__ValuesEntry *const *)b)->key);
}

static int
cmp_policy(const void *a, const void *b)
{
	return strcmp((*(Common__ConfigGroup__PoliciesEntry *const *)a)->key,
	    (*(Common__ConfigGroup__PoliciesEntry *const *)b)->key);
}

static int
cmp_acl(const void *a, const void *b)
{
	return strcmp((*(Protos__ACLs__AclsEntry *const *)a)->key,
	    (*(Protos__ACLs__AclsEntry *const *)b)->key);
}

/* Sorts every map of G and below by key, as Go's deterministic marshal. */
static void
grp_sort(Common__ConfigGroup *g)
{
	size_t i;

	if (g->n_groups > 1)
		qsort(g->groups, g->n_groups, sizeof(*g->groups), cmp_group);
	if (g->n_values > 1)
		qsort(g->values, g->n_values, sizeof(*g->values), cmp_value);
	if (g->n_policies > 1)
		qsort(g->policies, g->n_policies, sizeof(*g->policies),
		    cmp_policy);
	for (i = 0; i < g->n_groups; i++)
		grp_sort(g->groups[i]->value);
}

static void
grp_capabilities(Common__ConfigGroup *g, const char *cap)
{
	Common__Capabilities caps = COMMON__CAPABILITIES__INIT;
	Common__Capabilities__CapabilitiesEntry e =
	    COMMON__CAPABILITIES__CAPABILITIES_ENTRY__INIT, *ep[1];
	Common__Capability one = COMMON__CAPABILITY__INIT;

	e.key = (char *)cap;
	e.value = &one;
	ep[0] = &e;
	caps.n_capabilities = 1;
	caps.capabilities = ep;
	grp_value(g, "Capabilities", &caps.base, ADMINS);
}

static int
rule_of(const char *s, Common__ImplicitMetaPolicy__Rule *r)
{
	if (s != NULL && strcmp(s, "ANY") == 0)
		*r = COMMON__IMPLICIT_META_POLICY__RULE__ANY;
	else if (s != NULL && strcmp(s, "ALL") == 0)
		*r = COMMON__IMPLICIT_META_POLICY__RULE__ALL;
	else if (s != NULL && strcmp(s, "MAJORITY") == 0)
		*r = COMMON__IMPLICIT_META_POLICY__RULE__MAJORITY;
	else
		return -1;
	return 0;
}

/*
 * Splits "host:port" (host may be "[v6]") into *host (caller frees, no
 * brackets) and *port.
 */
static int
split_endpoint(const char *ep, char **host, int *port)
{
	const char *colon;
	char *end;
	long p;
	size_t hl;

	if (ep == NULL || strlen(ep) > MAX_ENDPOINT ||
	    (colon = strrchr(ep, ':')) == NULL || colon == ep)
		return -1;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || p < 1 ||
	    p > 65535)
		return -1;
	hl = (size_t)(colon - ep);
	if (ep[0] == '[') {
		if (hl < 3 || ep[hl - 1] != ']')
			return -1;
		*host = xstrndup(ep + 1, hl - 2);
	} else
		*host = xstrndup(ep, hl);
	*port = (int)p;
	return 0;
}

/* 0 when S is one PEM certificate OpenSSL can read. */
static int
pem_ok(const char *s)
{
	BIO *bio;
	X509 *x;
	size_t len;

	if (s == NULL || (len = strlen(s)) == 0 || len > FCFG_MAX_CERT_BYTES)
		return -1;
	if ((bio = BIO_new_mem_buf(s, (int)len)) == NULL)
		return -1;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x == NULL)
		return -1;
	X509_free(x);
	return 0;
}

/* A JSON array of PEM strings into bytes pointing into the JSON (borrowed). */
static int
pem_list(const json_t *a, const char *mspid, const char *what, int required,
    ProtobufCBinaryData **out, size_t *n, char **cause)
{
	const json_t *j;
	size_t i;

	*out = NULL;
	*n = 0;
	if (a == NULL && !required)
		return 0;
	if (!json_is_array(a) || (required && json_array_size(a) == 0) ||
	    json_array_size(a) > FCFG_MAX_CERTS) {
		*cause = xasprintf("the public MSP of %s has no valid %s list",
		    mspid, what);
		return -1;
	}
	if (json_array_size(a) == 0)
		return 0;
	*out = xcalloc(json_array_size(a), sizeof(**out));
	json_array_foreach(a, i, j) {
		if (pem_ok(json_string_value(j)) == -1) {
			*cause = xasprintf("%s[%zu] of the public MSP of %s is "
			    "not a PEM certificate", what, i, mspid);
			free(*out);
			*out = NULL;
			return -1;
		}
		(*out)[i].data = (uint8_t *)json_string_value(j);
		(*out)[i].len = strlen(json_string_value(j));
	}
	*n = json_array_size(a);
	return 0;
}

/* The org's published entry, or NULL + *cause. */
static const json_t *
org_pub(const json_t *orgs, const char *mspid, char **cause)
{
	const json_t *o = json_object_get(orgs, mspid);

	if (!json_is_object(o) || !json_is_object(json_object_get(o, "msp"))) {
		*cause = xasprintf("%s has not published its MSP yet", mspid);
		return NULL;
	}
	return o;
}

/* The MSP value of MSPID from its published public MSP. */
static int
grp_msp(Common__ConfigGroup *g, const char *mspid, const json_t *pub,
    char **cause)
{
	static const struct {
		const char *key, *ou;
	} ous[4] = {
		{ "clientOUIdentifier", "client" },
		{ "peerOUIdentifier", "peer" },
		{ "adminOUIdentifier", "admin" },
		{ "ordererOUIdentifier", "orderer" },
	};
	const json_t *msp = json_object_get(pub, "msp"), *nous, *id;
	Msp__FabricMSPConfig fc = MSP__FABRIC_MSPCONFIG__INIT;
	Msp__FabricCryptoConfig cc = MSP__FABRIC_CRYPTO_CONFIG__INIT;
	Msp__FabricNodeOUs no = MSP__FABRIC_NODE_OUS__INIT;
	Msp__FabricOUIdentifier oid[4];
	Msp__FabricOUIdentifier **slot[4];
	Msp__MSPConfig mc = MSP__MSPCONFIG__INIT;
	const char *s, *ou;
	int ret = -1, nodeous;
	size_t i;

	s = json_string_value(json_object_get(msp, "mspId"));
	if (s != NULL && strcmp(s, mspid) != 0) {
		*cause = xasprintf("the MSP published for %s names %s", mspid,
		    s);
		goto done;
	}
	fc.name = (char *)mspid;
	if (pem_list(json_object_get(msp, "rootCerts"), mspid, "rootCerts", 1,
	    &fc.root_certs, &fc.n_root_certs, cause) == -1 ||
	    pem_list(json_object_get(msp, "intermediateCerts"), mspid,
	    "intermediateCerts", 0, &fc.intermediate_certs,
	    &fc.n_intermediate_certs, cause) == -1 ||
	    pem_list(json_object_get(msp, "tlsRootCerts"), mspid,
	    "tlsRootCerts", 1, &fc.tls_root_certs, &fc.n_tls_root_certs,
	    cause) == -1 ||
	    pem_list(json_object_get(msp, "tlsIntermediateCerts"), mspid,
	    "tlsIntermediateCerts", 0, &fc.tls_intermediate_certs,
	    &fc.n_tls_intermediate_certs, cause) == -1)
		goto done;
	cc.signature_hash_family = "SHA2";
	cc.identity_identifier_hash_function = "SHA256";
	fc.crypto_config = &cc;

	nous = json_object_get(msp, "nodeOUs");
	nodeous = json_is_true(json_object_get(nous, "enable"));
	if (nodeous) {
		slot[0] = &no.client_ou_identifier;
		slot[1] = &no.peer_ou_identifier;
		slot[2] = &no.admin_ou_identifier;
		slot[3] = &no.orderer_ou_identifier;
		no.enable = 1;
		for (i = 0; i < 4; i++) {
			id = json_object_get(nous, ous[i].key);
			s = json_string_value(json_object_get(id,
			    "certificate"));
			ou = json_string_value(json_object_get(id,
			    "organizationalUnitIdentifier"));
			msp__fabric_ouidentifier__init(&oid[i]);
			if (s == NULL || pem_ok(s) == -1) {
				*cause = xasprintf("nodeOUs.%s of the public "
				    "MSP of %s has no valid certificate",
				    ous[i].key, mspid);
				goto done;
			}
			oid[i].certificate.data = (uint8_t *)s;
			oid[i].certificate.len = strlen(s);
			oid[i].organizational_unit_identifier =
			    (char *)(ou != NULL ? ou : ous[i].ou);
			*slot[i] = &oid[i];
		}
		fc.fabric_node_ous = &no;
	} else if (pem_list(json_object_get(msp, "adminCerts"), mspid,
	    "adminCerts", 1, &fc.admins, &fc.n_admins, cause) == -1)
		goto done;	/* without NodeOUs an admin is listed */

	mc.type = 0;	/* FABRIC */
	mc.config.data = fcfg_msg(&fc.base, &mc.config.len);
	grp_value(g, "MSP", &mc.base, ADMINS);
	free(mc.config.data);
	ret = 0;
done:
	free(fc.root_certs);
	free(fc.intermediate_certs);
	free(fc.tls_root_certs);
	free(fc.tls_intermediate_certs);
	free(fc.admins);
	return ret;
}

/* The topology's org MSPID. */
static const json_t *
topo_org(const json_t *topo, const char *mspid)
{
	const json_t *o;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(topo, "spec"),
	    "orgs"), i, o) {
		if (strcmp(json_string_value(json_object_get(o, "mspId")),
		    mspid) == 0)
			return o;
	}
	return NULL;
}

/* The entry named NAME of array A (objects with "name"), or NULL. */
static const json_t *
by_name(const json_t *a, const char *name)
{
	const json_t *o;
	size_t i;

	json_array_foreach(a, i, o) {
		const char *n = json_string_value(json_object_get(o, "name"));

		if (n != NULL && strcmp(n, name) == 0)
			return o;
	}
	return NULL;
}

/*
 * One consenter "MSP/name": its endpoint (the published one, else the
 * topology's) and TLS certificate (published with the endpoints, else in
 * the public MSP's orderers). Borrowed.
 */
static int
consenter_of(const json_t *topo, const json_t *orgs, const char *ref,
    char *mspid, size_t mspsz, const char **endpoint, const char **tls,
    char **cause)
{
	const char *slash = strchr(ref, '/'), *name;
	const json_t *org, *pub, *node, *pn;

	if (slash == NULL || (size_t)(slash - ref) >= mspsz) {
		*cause = xasprintf("consenter %s is not MSP/name", ref);
		return -1;
	}
	memcpy(mspid, ref, (size_t)(slash - ref));
	mspid[slash - ref] = '\0';
	name = slash + 1;
	if ((org = topo_org(topo, mspid)) == NULL ||
	    (node = by_name(json_object_get(org, "orderers"), name)) == NULL) {
		*cause = xasprintf("consenter %s is not an orderer of the "
		    "topology", ref);
		return -1;
	}
	if ((pub = org_pub(orgs, mspid, cause)) == NULL)
		return -1;
	pn = by_name(json_object_get(json_object_get(pub, "endpoints"),
	    "orderers"), name);
	*endpoint = json_string_value(json_object_get(pn, "endpoint"));
	if (*endpoint == NULL || **endpoint == '\0')
		*endpoint = json_string_value(json_object_get(node,
		    "endpoint"));
	*tls = json_string_value(json_object_get(pn, "tlsCert"));
	if (*tls == NULL)
		*tls = json_string_value(json_object_get(json_object_get(
		    json_object_get(json_object_get(pub, "msp"), "orderers"),
		    name), "tlsCert"));
	if (*tls == NULL || pem_ok(*tls) == -1) {
		*cause = xasprintf("%s has not published a valid TLS "
		    "certificate for orderer %s", mspid, name);
		return -1;
	}
	return 0;
}

/* The org policies of configtxgen's samples; ENDORSER is the Endorsement role. */
static void
org_policies(Common__ConfigGroup *g, const char *mspid,
    Common__MSPRole__MSPRoleType endorser)
{
	grp_signature(g, "Readers", mspid, COMMON__MSPROLE__MSPROLE_TYPE__MEMBER);
	grp_signature(g, "Writers", mspid, COMMON__MSPROLE__MSPROLE_TYPE__MEMBER);
	grp_signature(g, "Admins", mspid, COMMON__MSPROLE__MSPROLE_TYPE__ADMIN);
	grp_signature(g, "Endorsement", mspid, endorser);
}

static int
build_orderer(Common__ConfigGroup *ch, const json_t *topo, const json_t *c,
    const json_t *orgs, char **cause)
{
	Common__ConfigGroup *og = grp_new(), *org;
	const json_t *batch = json_object_get(c, "batch"), *j;
	Orderer__BatchSize bs = ORDERER__BATCH_SIZE__INIT;
	Orderer__BatchTimeout bt = ORDERER__BATCH_TIMEOUT__INIT;
	Orderer__ChannelRestrictions cr = ORDERER__CHANNEL_RESTRICTIONS__INIT;
	Orderer__ConsensusType ct = ORDERER__CONSENSUS_TYPE__INIT;
	Etcdraft__ConfigMetadata md = ETCDRAFT__CONFIG_METADATA__INIT;
	Etcdraft__Options opt = ETCDRAFT__OPTIONS__INIT;
	Etcdraft__Consenter *cons = NULL, **consp = NULL;
	Common__OrdererAddresses addrs = COMMON__ORDERER_ADDRESSES__INIT;
	const char **cmsp = NULL, **cep = NULL, *ep, *tls;
	char mspid[256], **hosts = NULL;
	json_int_t v[3];
	const char *keys[3] = { "maxMessageCount", "absoluteMaxBytes",
	    "preferredMaxBytes" };
	size_t i, k, n, na;
	int ret = -1, port;

	grp_implicit(og, "Readers", "Readers",
	    COMMON__IMPLICIT_META_POLICY__RULE__ANY);
	grp_implicit(og, "Writers", "Writers",
	    COMMON__IMPLICIT_META_POLICY__RULE__ANY);
	grp_implicit(og, "Admins", "Admins",
	    COMMON__IMPLICIT_META_POLICY__RULE__MAJORITY);
	grp_implicit(og, "BlockValidation", "Writers",
	    COMMON__IMPLICIT_META_POLICY__RULE__ANY);

	for (i = 0; i < 3; i++) {
		j = json_object_get(batch, keys[i]);
		if (!json_is_integer(j) || json_integer_value(j) < 1 ||
		    json_integer_value(j) > UINT32_MAX) {
			*cause = xasprintf("batch.%s of the channel is not a "
			    "positive 32-bit number", keys[i]);
			goto done;
		}
		v[i] = json_integer_value(j);
	}
	bs.max_message_count = (uint32_t)v[0];
	bs.absolute_max_bytes = (uint32_t)v[1];
	bs.preferred_max_bytes = (uint32_t)v[2];
	grp_value(og, "BatchSize", &bs.base, ADMINS);
	if ((bt.timeout = (char *)json_string_value(json_object_get(batch,
	    "timeout"))) == NULL || *bt.timeout == '\0') {
		*cause = xstrdup("the channel has no batch timeout");
		goto done;
	}
	grp_value(og, "BatchTimeout", &bt.base, ADMINS);
	grp_value(og, "ChannelRestrictions", &cr.base, ADMINS);
	grp_capabilities(og, "V2_0");

	n = json_array_size(json_object_get(c, "consenters"));
	if (n == 0) {
		*cause = xstrdup("the channel has no consenter");
		goto done;
	}
	cons = xcalloc(n, sizeof(*cons));
	consp = xcalloc(n, sizeof(*consp));
	hosts = xcalloc(n, sizeof(*hosts));
	cmsp = xcalloc(n, sizeof(*cmsp));
	cep = xcalloc(n, sizeof(*cep));
	json_array_foreach(json_object_get(c, "consenters"), i, j) {
		const char *ref = json_string_value(j);

		if (ref == NULL || consenter_of(topo, orgs, ref, mspid,
		    sizeof(mspid), &ep, &tls, cause) == -1) {
			if (ref == NULL)
				*cause = xasprintf("consenter %zu is not a "
				    "string", i);
			goto done;
		}
		if (split_endpoint(ep, &hosts[i], &port) == -1) {
			*cause = xasprintf("the endpoint of consenter %s is "
			    "not host:port", ref);
			goto done;
		}
		etcdraft__consenter__init(&cons[i]);
		cons[i].host = hosts[i];
		cons[i].port = (uint32_t)port;
		cons[i].client_tls_cert.data = (uint8_t *)tls;
		cons[i].client_tls_cert.len = strlen(tls);
		cons[i].server_tls_cert = cons[i].client_tls_cert;
		consp[i] = &cons[i];
		cep[i] = ep;
		/* The org's entry, found again by its MSP ID below. */
		cmsp[i] = json_string_value(json_object_get(topo_org(topo,
		    mspid), "mspId"));
	}
	opt.tick_interval = FCFG_RAFT_TICK;
	opt.election_tick = FCFG_RAFT_ELECTION_TICK;
	opt.heartbeat_tick = FCFG_RAFT_HEARTBEAT;
	opt.max_inflight_blocks = FCFG_RAFT_INFLIGHT;
	opt.snapshot_interval_size = FCFG_RAFT_SNAPSHOT;
	md.n_consenters = n;
	md.consenters = consp;
	md.options = &opt;
	ct.type = "etcdraft";
	ct.metadata.data = fcfg_msg(&md.base, &ct.metadata.len);
	grp_value(og, "ConsensusType", &ct.base, ADMINS);
	free(ct.metadata.data);

	/* One group per org owning a consenter, with its consenters' endpoints. */
	addrs.addresses = xcalloc(n, sizeof(*addrs.addresses));
	for (i = 0; i < n; i++) {
		for (k = 0; k < i; k++)
			if (strcmp(cmsp[k], cmsp[i]) == 0)
				break;
		if (k < i)
			continue;
		na = 0;
		for (k = i; k < n; k++)
			if (strcmp(cmsp[k], cmsp[i]) == 0)
				addrs.addresses[na++] = (char *)cep[k];
		addrs.n_addresses = na;
		org = grp_new();
		grp_group(og, cmsp[i], org);
		org_policies(org, cmsp[i],
		    COMMON__MSPROLE__MSPROLE_TYPE__MEMBER);
		if (grp_msp(org, cmsp[i], json_object_get(orgs, cmsp[i]),
		    cause) == -1)
			goto done;
		grp_value(org, "Endpoints", &addrs.base, ADMINS);
	}
	grp_group(ch, "Orderer", og);
	og = NULL;
	ret = 0;
done:
	grp_free(og);
	if (hosts != NULL)
		for (i = 0; i < n; i++)
			free(hosts[i]);
	free(hosts);
	free(cons);
	free(consp);
	free(cmsp);
	free(cep);
	free(addrs.addresses);
	return ret;
}

/* The org's anchor peers in the channel, from the topology's anchors. */
static int
org_anchors(Common__ConfigGroup *g, const json_t *torg, const json_t *pub,
    char **cause)
{
	const json_t *peers = json_object_get(torg, "peers"), *p, *pp;
	const char *mspid = json_string_value(json_object_get(torg, "mspId"));
	Protos__AnchorPeers aps = PROTOS__ANCHOR_PEERS__INIT;
	Protos__AnchorPeer *ap = NULL, **app = NULL;
	const char *ep;
	size_t i, n = 0, np = json_array_size(peers);
	int ret = -1, port;

	if (np == 0)
		return 0;
	ap = xcalloc(np, sizeof(*ap));
	app = xcalloc(np, sizeof(*app));
	json_array_foreach(peers, i, p) {
		if (!json_is_true(json_object_get(p, "anchor")))
			continue;
		pp = by_name(json_object_get(json_object_get(pub, "endpoints"),
		    "peers"), json_string_value(json_object_get(p, "name")));
		ep = json_string_value(json_object_get(pp, "endpoint"));
		if (ep == NULL || *ep == '\0')
			ep = json_string_value(json_object_get(p, "endpoint"));
		protos__anchor_peer__init(&ap[n]);
		if (split_endpoint(ep, &ap[n].host, &port) == -1) {
			*cause = xasprintf("the endpoint of anchor peer %s of "
			    "%s is not host:port", json_string_value(
			    json_object_get(p, "name")), mspid);
			goto done;
		}
		ap[n].port = port;
		app[n] = &ap[n];
		n++;
	}
	if (n > 0) {	/* configtxgen leaves the value out when empty */
		aps.n_anchor_peers = n;
		aps.anchor_peers = app;
		grp_value(g, "AnchorPeers", &aps.base, ADMINS);
	}
	ret = 0;
done:
	for (i = 0; i < n; i++)
		free(ap[i].host);
	free(ap);
	free(app);
	return ret;
}

static int
build_application(Common__ConfigGroup *ch, const json_t *topo,
    const json_t *c, const json_t *orgs, unsigned flags, char **cause)
{
	Common__ConfigGroup *ag = grp_new(), *org;
	const json_t *pol = json_object_get(c, "policies"), *m, *torg, *pub;
	Common__ImplicitMetaPolicy__Rule admins, endorse;
	Protos__ACLs acls = PROTOS__ACLS__INIT;
	Protos__ACLs__AclsEntry ae[sizeof(fcfg_acls) / sizeof(fcfg_acls[0])];
	Protos__ACLs__AclsEntry *aep[sizeof(fcfg_acls) / sizeof(fcfg_acls[0])];
	Protos__APIResource ar[sizeof(fcfg_acls) / sizeof(fcfg_acls[0])];
	const char *mspid;
	size_t i, nacl = sizeof(fcfg_acls) / sizeof(fcfg_acls[0]);
	int ret = -1;

	if (rule_of(json_string_value(json_object_get(pol, "admins")),
	    &admins) == -1 ||
	    rule_of(json_string_value(json_object_get(pol, "endorsement")),
	    &endorse) == -1) {
		*cause = xstrdup("the channel's admins and endorsement "
		    "policies must be ANY, MAJORITY or ALL");
		goto done;
	}
	grp_implicit(ag, "Readers", "Readers",
	    COMMON__IMPLICIT_META_POLICY__RULE__ANY);
	grp_implicit(ag, "Writers", "Writers",
	    COMMON__IMPLICIT_META_POLICY__RULE__ANY);
	grp_implicit(ag, "Admins", "Admins", admins);
	grp_implicit(ag, "Endorsement", "Endorsement", endorse);
	grp_implicit(ag, "LifecycleEndorsement", "Endorsement", endorse);

	for (i = 0; i < nacl; i++) {
		protos__apiresource__init(&ar[i]);
		ar[i].policy_ref = (char *)fcfg_acls[i][1];
		protos__acls__acls_entry__init(&ae[i]);
		ae[i].key = (char *)fcfg_acls[i][0];
		ae[i].value = &ar[i];
		aep[i] = &ae[i];
	}
	qsort(aep, nacl, sizeof(aep[0]), cmp_acl);
	acls.n_acls = nacl;
	acls.acls = aep;
	grp_value(ag, "ACLs", &acls.base, ADMINS);
	grp_capabilities(ag, "V2_5");

	if (json_array_size(json_object_get(c, "members")) == 0) {
		*cause = xstrdup("the channel has no member org");
		goto done;
	}
	json_array_foreach(json_object_get(c, "members"), i, m) {
		mspid = json_string_value(m);
		if (mspid == NULL || (torg = topo_org(topo, mspid)) == NULL) {
			*cause = xasprintf("member %zu of the channel is not an "
			    "org of the topology", i);
			goto done;
		}
		if (fcfg_group(ag, mspid) != NULL)
			continue;
		if ((pub = org_pub(orgs, mspid, cause)) == NULL)
			goto done;
		org = grp_new();
		grp_group(ag, mspid, org);
		org_policies(org, mspid, COMMON__MSPROLE__MSPROLE_TYPE__PEER);
		if (grp_msp(org, mspid, pub, cause) == -1 ||
		    ((flags & FCFG_NO_ANCHORS) == 0 &&
		    org_anchors(org, torg, pub, cause) == -1))
			goto done;
	}
	grp_group(ch, "Application", ag);
	ag = NULL;
	ret = 0;
done:
	grp_free(ag);
	return ret;
}

Common__Config *
fcfg_build(const json_t *topo, const char *channel, const json_t *orgs,
    char **cause)
{
	return fcfg_build_flags(topo, channel, orgs, 0, cause);
}

Common__Config *
fcfg_build_flags(const json_t *topo, const char *channel, const json_t *orgs,
    unsigned flags, char **cause)
{
	Common__Config cfg = COMMON__CONFIG__INIT, *out = NULL;
	Common__ConfigGroup *ch = grp_new();
	Common__HashingAlgorithm ha = COMMON__HASHING_ALGORITHM__INIT;
	Common__BlockDataHashingStructure bd =
	    COMMON__BLOCK_DATA_HASHING_STRUCTURE__INIT;
	const json_t *c = NULL, *j;
	uint8_t *b = NULL;
	size_t i, len;

	*cause = NULL;
	if (channel == NULL || !json_is_object(orgs)) {
		*cause = xstrdup("no channel name or no published org material");
		goto done;
	}
	json_array_foreach(json_object_get(json_object_get(topo, "spec"),
	    "channels"), i, j) {
		const char *n = json_string_value(json_object_get(j, "name"));

		if (n != NULL && strcmp(n, channel) == 0)
			c = j;
	}
	if (c == NULL) {
		*cause = xasprintf("the topology has no channel %s", channel);
		goto done;
	}
	grp_implicit(ch, "Readers", "Readers",
	    COMMON__IMPLICIT_META_POLICY__RULE__ANY);
	grp_implicit(ch, "Writers", "Writers",
	    COMMON__IMPLICIT_META_POLICY__RULE__ANY);
	grp_implicit(ch, "Admins", "Admins",
	    COMMON__IMPLICIT_META_POLICY__RULE__MAJORITY);
	ha.name = "SHA256";
	grp_value(ch, "HashingAlgorithm", &ha.base, ADMINS);
	bd.width = UINT32_MAX;
	grp_value(ch, "BlockDataHashingStructure", &bd.base, ADMINS);
	grp_capabilities(ch, "V2_0");
	if (build_orderer(ch, topo, c, orgs, cause) == -1 ||
	    build_application(ch, topo, c, orgs, flags, cause) == -1)
		goto done;
	grp_sort(ch);
	cfg.sequence = 0;
	cfg.channel_group = ch;
	b = fcfg_msg(&cfg.base, &len);
	if ((out = common__config__unpack(NULL, len, b)) == NULL)
		*cause = xstrdup("the channel config built does not unpack");
done:
	grp_free(ch);
	free(b);
	return out;
}

void
fcfg_free(Common__Config *cfg)
{
	if (cfg != NULL)
		common__config__free_unpacked(cfg, NULL);
}

uint8_t *
fcfg_pack(const Common__Config *cfg, size_t *len)
{
	return fcfg_msg(&cfg->base, len);
}

Common__ConfigGroup *
fcfg_group(const Common__ConfigGroup *g, const char *key)
{
	size_t i;

	for (i = 0; g != NULL && i < g->n_groups; i++)
		if (strcmp(g->groups[i]->key, key) == 0)
			return g->groups[i]->value;
	return NULL;
}

Common__ConfigValue *
fcfg_value(const Common__ConfigGroup *g, const char *key)
{
	size_t i;

	for (i = 0; g != NULL && i < g->n_values; i++)
		if (strcmp(g->values[i]->key, key) == 0)
			return g->values[i]->value;
	return NULL;
}

Common__ConfigPolicy *
fcfg_policy(const Common__ConfigGroup *g, const char *key)
{
	size_t i;

	for (i = 0; g != NULL && i < g->n_policies; i++)
		if (strcmp(g->policies[i]->key, key) == 0)
			return g->policies[i]->value;
	return NULL;
}

void *
fcfg_msg_copy(const ProtobufCMessage *m)
{
	size_t len;
	uint8_t *b = fcfg_msg(m, &len);
	void *out;

	out = protobuf_c_message_unpack(m->descriptor, NULL, len, b);
	free(b);
	return out;
}

/* The member at OFFSET of a protobuf-c message (its field descriptor's). */
static void *
msg_member(void *m, unsigned int offset)
{
	return (char *)m + offset;
}

/*
 * Sets the entry KEY of G's map MAP ("groups" or "values") to a copy of M;
 * M NULL removes it. protobuf-c holds each map of a ConfigGroup as an
 * array of entry messages {key, value} that G's descriptor describes, so
 * one body serves both maps; entries and values are read as void *,
 * which stands for any pointer to a struct, as in protobuf-c's own
 * reflection. A new entry goes
 * in key order; protobuf-c frees it with free. 0, or -1 when M does not
 * copy.
 */
static int
map_set(Common__ConfigGroup *g, const char *map, const char *key,
    const ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *f, *kf, *vf;
	const ProtobufCMessageDescriptor *ed;
	void **ents, *e, *nv = NULL;
	size_t *n, i;

	if (m != NULL && (nv = fcfg_msg_copy(m)) == NULL)
		return -1;
	f = protobuf_c_message_descriptor_get_field_by_name(g->base.descriptor,
	    map);
	ed = f->descriptor;
	kf = protobuf_c_message_descriptor_get_field_by_name(ed, "key");
	vf = protobuf_c_message_descriptor_get_field_by_name(ed, "value");
	memcpy(&ents, msg_member(g, f->offset), sizeof(ents));
	n = msg_member(g, f->quantifier_offset);
	for (i = 0; i < *n; i++)
		if (strcmp(*(char **)msg_member(ents[i], kf->offset), key) == 0)
			break;
	if (i < *n) {
		e = ents[i];
		protobuf_c_message_free_unpacked(*(void **)msg_member(e,
		    vf->offset), NULL);
		if (nv != NULL) {
			*(void **)msg_member(e, vf->offset) = nv;
			return 0;
		}
		/* Map entries have no free_unpacked of their own. */
		free(*(char **)msg_member(e, kf->offset));
		free(e);
		memmove(&ents[i], &ents[i + 1], (*n - i - 1) * sizeof(*ents));
		(*n)--;
		return 0;
	}
	if (nv == NULL)
		return 0;
	ents = xreallocarray(ents, *n + 1, sizeof(*ents));
	memcpy(msg_member(g, f->offset), &ents, sizeof(ents));
	for (i = 0; i < *n &&
	    strcmp(*(char **)msg_member(ents[i], kf->offset), key) < 0; i++)
		;
	memmove(&ents[i + 1], &ents[i], (*n - i) * sizeof(*ents));
	e = xmalloc(ed->sizeof_message);
	protobuf_c_message_init(ed, e);
	*(char **)msg_member(e, kf->offset) = xstrdup(key);
	*(void **)msg_member(e, vf->offset) = nv;
	ents[i] = e;
	(*n)++;
	return 0;
}

int
fcfg_set_group(Common__ConfigGroup *g, const char *key,
    const Common__ConfigGroup *sub)
{
	return map_set(g, "groups", key, sub != NULL ? &sub->base : NULL);
}

int
fcfg_set_value(Common__ConfigGroup *g, const char *key,
    const Common__ConfigValue *v)
{
	return map_set(g, "values", key, v != NULL ? &v->base : NULL);
}

uint8_t *
fcfg_cert_der(const void *pem, size_t len, size_t *derlen)
{
	BIO *bio;
	X509 *x;
	uint8_t *der = NULL, *p;
	int n;

	if (len == 0 || len > FCFG_MAX_CERT_BYTES ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return NULL;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x == NULL)
		return NULL;
	if ((n = i2d_X509(x, NULL)) > 0) {
		der = xmalloc((size_t)n);
		p = der;
		if (i2d_X509(x, &p) != n) {
			free(der);
			der = NULL;
		} else
			*derlen = (size_t)n;
	}
	X509_free(x);
	return der;
}
