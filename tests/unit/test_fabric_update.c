/*
 * test_fabric_update.c: config updates (lib/fabric_update.c) for the
 * example consortium (examples/consortium.yaml) with real PKIs for its
 * three orgs: compute-update on before/after configs with every read and
 * write set version checked, the signer's rule (fupd_check) accepting what
 * the topology declares and refusing the rest with its sentence, the
 * ConfigSignature checked with plain OpenSSL, the envelope opened again,
 * and the signer's check (signer_fabric.c) called directly.
 *
 * With FABFED_UPDATE_OUT=DIR set, only write_pairs runs and leaves in DIR,
 * for tests/integration/config_update_oracle.sh: NAME.orig.pb and
 * NAME.upd.pb (packed common.Config) and NAME.ours.pb (our
 * common.ConfigUpdate, channel "trade") for each case in cases.txt,
 * envelope.pb (a ConfigUpdateEnvelope signed by Org1's admin), and
 * admin.pem, the admin's certificate.
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
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/common.pb-c.h"
#include "common/configtx.pb-c.h"
#include "msp/identities.pb-c.h"

#include "fabric_config.h"
#include "fixture.h"
#include "fabric_update.h"
#include "msp.h"
#include "pki.h"
#include "sig.h"
#include "signer.h"
#include "topology.h"
#include "xmalloc.h"

#define CHANNEL	"trade"

static const char *const orgs3[] = { "Org1MSP", "Org2MSP", "Org3MSP" };

struct fx {
	char dir[64];
	json_t *doc;	/* normalized topology */
	json_t *pub;	/* published material by MSP ID */
	EVP_PKEY *key;	/* Org1's admin */
	X509 *cert;
	char *pem;
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char *d, *cause = NULL;

	if (fixture_example_open("test_fabric_update", f->dir, sizeof(f->dir),
	    &f->doc, &f->pub) == -1) {
		free(f);
		return -1;
	}
	d = xasprintf("%s/Org1MSP/users/Admin@org1.example.com/msp/keystore/"
	    "priv_sk", f->dir);
	f->key = pki_key_read(d, &cause);
	free(d);
	d = xasprintf("%s/Org1MSP/users/Admin@org1.example.com/msp/signcerts/"
	    "Admin@org1.example.com-cert.pem", f->dir);
	f->cert = pki_cert_read(d, &cause);
	free(d);
	if (f->key == NULL || f->cert == NULL) {
		fprintf(stderr, "Org1's admin identity: %s\n", cause);
		return -1;
	}
	f->pem = pki_cert_pem(f->cert, NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	if (f == NULL)
		return 0;
	fixture_example_close(f->dir, f->doc, f->pub);
	EVP_PKEY_free(f->key);
	X509_free(f->cert);
	free(f->pem);
	free(f);
	return 0;
}

static json_t *
chan(json_t *doc)
{
	return json_array_get(json_object_get(json_object_get(doc, "spec"),
	    "channels"), 0);
}

/* A copy of the topology whose channel has members and consenters N. */
static json_t *
topo_with(const struct fx *f, size_t nmembers, size_t nconsenters)
{
	json_t *doc = json_deep_copy(f->doc), *m = json_array(), *c = json_array();
	char *s;
	size_t i;

	for (i = 0; i < nmembers; i++)
		json_array_append_new(m, json_string(orgs3[i]));
	for (i = 0; i < nconsenters; i++) {
		s = xasprintf("%s/orderer0", orgs3[i]);
		json_array_append_new(c, json_string(s));
		free(s);
	}
	json_object_set_new(chan(doc), "members", m);
	json_object_set_new(chan(doc), "consenters", c);
	return doc;
}

static Common__Config *
build(const struct fx *f, const json_t *doc, unsigned flags)
{
	Common__Config *cfg;
	char *cause = NULL;

	cfg = fcfg_build_flags(doc, CHANNEL, f->pub, flags, &cause);
	if (cfg == NULL)
		fail_msg("fcfg_build_flags: %s", cause);
	return cfg;
}

static Common__ConfigUpdate *
compute(const Common__Config *a, const Common__Config *b)
{
	Common__ConfigUpdate *cu;
	char *cause = NULL;

	cu = fupd_compute(a, b, CHANNEL, &cause);
	if (cu == NULL)
		fail_msg("fupd_compute: %s", cause);
	assert_null(cause);
	assert_string_equal(cu->channel_id, CHANNEL);
	return cu;
}

static Common__ConfigGroup *
sub(const Common__ConfigGroup *g, const char *key)
{
	Common__ConfigGroup *s = fcfg_group(g, key);

	if (s == NULL)
		fail_msg("no group %s", key);
	return s;
}

/* G has VERSION, MOD_POLICY and that many groups, values and policies. */
static void
want_group(const Common__ConfigGroup *g, uint64_t version, const char *mod,
    size_t ng, size_t nv, size_t np)
{
	assert_non_null(g);
	assert_int_equal(g->version, version);
	assert_string_equal(g->mod_policy, mod);
	assert_int_equal(g->n_groups, ng);
	assert_int_equal(g->n_values, nv);
	assert_int_equal(g->n_policies, np);
}

/* Value KEY of G is a reference: only its version. */
static void
want_vref(const Common__ConfigGroup *g, const char *key, uint64_t version)
{
	Common__ConfigValue *v = fcfg_value(g, key);

	assert_non_null(v);
	assert_int_equal(v->version, version);
	assert_int_equal(v->value.len, 0);
	assert_string_equal(v->mod_policy, "");
}

static void
want_pref(const Common__ConfigGroup *g, const char *key, uint64_t version)
{
	Common__ConfigPolicy *p = fcfg_policy(g, key);

	assert_non_null(p);
	assert_int_equal(p->version, version);
	assert_null(p->policy);
	assert_string_equal(p->mod_policy, "");
}

/* Value KEY of G is written at VERSION with the content of value KEY of FROM. */
static void
want_value(const Common__ConfigGroup *g, const char *key, uint64_t version,
    const Common__ConfigGroup *from)
{
	Common__ConfigValue *v = fcfg_value(g, key), *w = fcfg_value(from, key);

	assert_non_null(v);
	assert_non_null(w);
	assert_int_equal(v->version, version);
	assert_string_equal(v->mod_policy, w->mod_policy);
	assert_int_equal(v->value.len, w->value.len);
	assert_memory_equal(v->value.data, w->value.data, w->value.len);
}

/* Every element of G (recursively) is written at version 0 with content. */
static void
want_new(const Common__ConfigGroup *g, const Common__ConfigGroup *from)
{
	size_t i;

	assert_int_equal(g->version, 0);
	assert_string_equal(g->mod_policy, from->mod_policy);
	assert_int_equal(g->n_values, from->n_values);
	assert_int_equal(g->n_policies, from->n_policies);
	assert_int_equal(g->n_groups, from->n_groups);
	for (i = 0; i < g->n_values; i++)
		want_value(g, g->values[i]->key, 0, from);
	for (i = 0; i < g->n_policies; i++) {
		assert_int_equal(g->policies[i]->value->version, 0);
		assert_non_null(g->policies[i]->value->policy);
		assert_string_equal(g->policies[i]->value->mod_policy, "Admins");
	}
	for (i = 0; i < g->n_groups; i++)
		want_new(g->groups[i]->value, sub(from, g->groups[i]->key));
}

/* Accepted by fupd_check against DESIRED. */
static void
want_accept(const Common__ConfigUpdate *cu, const Common__Config *desired)
{
	char *reason = NULL;

	if (fupd_check(cu, desired, &reason) != 0)
		fail_msg("fupd_check refused: %s", reason);
	assert_null(reason);
}

static void
want_refuse(const Common__ConfigUpdate *cu, const Common__Config *desired,
    const char *want)
{
	char *reason = NULL;

	assert_int_equal(fupd_check(cu, desired, &reason), -1);
	assert_non_null(reason);
	assert_string_equal(reason, want);
	free(reason);
}

/* Org3MSP joins: Application's membership changes. */
static void
add_org(void **state)
{
	struct fx *f = *state;
	json_t *t2 = topo_with(f, 2, 3), *t3 = topo_with(f, 3, 3);
	Common__Config *a = build(f, t2, 0), *b = build(f, t3, 0);
	Common__ConfigUpdate *cu;
	Common__ConfigGroup *ra, *wa, *app;

	/* Versions as on a channel that has seen updates. */
	a->channel_group->version = 2;
	app = sub(a->channel_group, "Application");
	app->version = 3;
	sub(app, "Org1MSP")->version = 4;
	fcfg_policy(app, "Admins")->version = 5;
	fcfg_value(app, "ACLs")->version = 6;

	cu = compute(a, b);
	/* Channel: a reference; only Application changed below it. */
	want_group(cu->read_set, 2, "", 1, 0, 0);
	want_group(cu->write_set, 2, "", 1, 0, 0);
	ra = sub(cu->read_set, "Application");
	wa = sub(cu->write_set, "Application");
	/* Application: read at 3, written at 4 with every element kept. */
	want_group(ra, 3, "", 2, 2, 5);
	want_group(wa, 4, "Admins", 3, 2, 5);
	want_group(sub(ra, "Org1MSP"), 4, "", 0, 0, 0);
	want_group(sub(wa, "Org1MSP"), 4, "", 0, 0, 0);
	want_group(sub(wa, "Org2MSP"), 0, "", 0, 0, 0);
	assert_null(fcfg_group(ra, "Org3MSP"));
	want_new(sub(wa, "Org3MSP"), sub(sub(b->channel_group, "Application"),
	    "Org3MSP"));
	want_pref(ra, "Admins", 5);
	want_pref(wa, "Admins", 5);
	want_pref(wa, "Readers", 0);
	want_vref(ra, "ACLs", 6);
	want_vref(wa, "ACLs", 6);
	want_vref(wa, "Capabilities", 0);
	assert_null(fcfg_group(cu->write_set, "Orderer"));

	/* Declared in t3: accepted. Not declared in t2: refused. */
	want_accept(cu, b);
	want_refuse(cu, a, "the update adds Org3MSP to Channel/Application, "
	    "which the consortium does not declare");
	fupd_free(cu);
	fcfg_free(a);
	fcfg_free(b);
	json_decref(t2);
	json_decref(t3);
}

/* Org3MSP leaves. */
static void
remove_org(void **state)
{
	struct fx *f = *state;
	json_t *t2 = topo_with(f, 2, 3), *t3 = topo_with(f, 3, 3);
	Common__Config *a = build(f, t3, 0), *b = build(f, t2, 0);
	Common__ConfigUpdate *cu;
	Common__ConfigGroup *ra, *wa;

	sub(a->channel_group, "Application")->version = 7;
	cu = compute(a, b);
	ra = sub(cu->read_set, "Application");
	wa = sub(cu->write_set, "Application");
	want_group(ra, 7, "", 2, 2, 5);
	want_group(wa, 8, "Admins", 2, 2, 5);
	assert_null(fcfg_group(wa, "Org3MSP"));
	assert_null(fcfg_group(ra, "Org3MSP"));
	want_group(sub(wa, "Org1MSP"), 0, "", 0, 0, 0);
	want_group(sub(wa, "Org2MSP"), 0, "", 0, 0, 0);

	want_accept(cu, b);
	want_refuse(cu, a, "the update removes Org3MSP from "
	    "Channel/Application, which the consortium still declares");
	fupd_free(cu);
	fcfg_free(a);
	fcfg_free(b);
	json_decref(t2);
	json_decref(t3);
}

/* The channel created without anchor peers; Org1MSP sets its own. */
static void
anchor_peers(void **state)
{
	struct fx *f = *state;
	json_t *t1 = json_deep_copy(f->doc), *evil;
	Common__Config *a = build(f, f->doc, FCFG_NO_ANCHORS), *b, *full;
	Common__Config *bad;
	Common__ConfigUpdate *cu, *cu2;
	Common__ConfigGroup *ro, *wo;
	json_t *org;
	char *cause = NULL;
	size_t i;

	/* Only Org1MSP's anchor: the other orgs' peers are not anchors. */
	for (i = 1; i < 3; i++)
		json_object_set_new(json_array_get(json_object_get(
		    topology_find_org(t1, orgs3[i]), "peers"), 0), "anchor",
		    json_false());
	b = build(f, t1, 0);
	full = build(f, f->doc, 0);
	assert_null(fcfg_value(sub(sub(a->channel_group, "Application"),
	    "Org1MSP"), "AnchorPeers"));
	sub(sub(a->channel_group, "Application"), "Org1MSP")->version = 1;
	fcfg_value(sub(sub(a->channel_group, "Application"), "Org1MSP"),
	    "MSP")->version = 2;

	cu = compute(a, b);
	want_group(cu->write_set, 0, "", 1, 0, 0);
	want_group(sub(cu->write_set, "Application"), 0, "", 1, 0, 0);
	want_group(sub(cu->read_set, "Application"), 0, "", 1, 0, 0);
	ro = sub(sub(cu->read_set, "Application"), "Org1MSP");
	wo = sub(sub(cu->write_set, "Application"), "Org1MSP");
	want_group(ro, 1, "", 0, 1, 4);
	want_group(wo, 2, "Admins", 0, 2, 4);
	want_vref(ro, "MSP", 2);
	want_vref(wo, "MSP", 2);
	want_pref(wo, "Endorsement", 0);
	want_value(wo, "AnchorPeers", 0, sub(sub(full->channel_group,
	    "Application"), "Org1MSP"));
	/* The full topology declares this anchor. */
	want_accept(cu, full);

	/* An anchor endpoint the topology does not declare (published). */
	evil = json_deep_copy(f->pub);
	org = json_array_get(json_object_get(json_object_get(json_object_get(
	    evil, "Org1MSP"), "endpoints"), "peers"), 0);
	json_object_set_new(org, "endpoint",
	    json_string("evil.example.net:7051"));
	bad = fcfg_build(t1, CHANNEL, evil, &cause);
	assert_non_null(bad);
	cu2 = compute(a, bad);
	want_refuse(cu2, full, "the update sets "
	    "Channel/Application/Org1MSP/AnchorPeers to a value the topology "
	    "does not declare");
	fupd_free(cu2);
	fcfg_free(bad);
	json_decref(evil);

	fupd_free(cu);
	fcfg_free(a);
	fcfg_free(b);
	fcfg_free(full);
	json_decref(t1);
}

/* Org3MSP's orderer joins the consenters, then leaves. */
static void
consenters(void **state)
{
	struct fx *f = *state;
	json_t *t2 = topo_with(f, 3, 2), *t3 = topo_with(f, 3, 3);
	Common__Config *a = build(f, t2, 0), *b = build(f, t3, 0);
	Common__ConfigUpdate *cu;
	Common__ConfigGroup *ro, *wo, *oa;

	oa = sub(a->channel_group, "Orderer");
	oa->version = 1;
	fcfg_value(oa, "ConsensusType")->version = 5;
	fcfg_value(oa, "BatchSize")->version = 2;
	cu = compute(a, b);
	want_group(cu->write_set, 0, "", 1, 0, 0);
	ro = sub(cu->read_set, "Orderer");
	wo = sub(cu->write_set, "Orderer");
	want_group(ro, 1, "", 2, 4, 4);
	want_group(wo, 2, "Admins", 3, 5, 4);
	assert_null(fcfg_value(ro, "ConsensusType"));
	want_value(wo, "ConsensusType", 6, sub(b->channel_group, "Orderer"));
	want_vref(ro, "BatchSize", 2);
	want_vref(wo, "BatchSize", 2);
	want_pref(wo, "BlockValidation", 0);
	want_new(sub(wo, "Org3MSP"), sub(sub(b->channel_group, "Orderer"),
	    "Org3MSP"));
	assert_null(fcfg_group(cu->write_set, "Application"));
	want_accept(cu, b);
	want_refuse(cu, a, "the update adds Org3MSP to Channel/Orderer, which "
	    "the consortium does not declare");
	fupd_free(cu);

	/* And back: Org3MSP's orderer org leaves, ConsensusType shrinks. */
	cu = compute(b, a);
	wo = sub(cu->write_set, "Orderer");
	want_group(wo, 1, "Admins", 2, 5, 4);
	want_value(wo, "ConsensusType", 1, sub(a->channel_group, "Orderer"));
	want_accept(cu, a);
	want_refuse(cu, b, "the update removes Org3MSP from Channel/Orderer, "
	    "which the consortium still declares");
	fupd_free(cu);
	fcfg_free(a);
	fcfg_free(b);
	json_decref(t2);
	json_decref(t3);
}

/* maxMessageCount 500 -> 100: one value, nothing else. */
static void
batch_size(void **state)
{
	struct fx *f = *state;
	json_t *t = json_deep_copy(f->doc);
	Common__Config *a = build(f, f->doc, 0), *b;
	Common__ConfigUpdate *cu;
	Common__ConfigGroup *ro, *wo;

	json_object_set_new(json_object_get(chan(t), "batch"),
	    "maxMessageCount", json_integer(100));
	b = build(f, t, 0);
	sub(a->channel_group, "Orderer")->version = 4;
	fcfg_value(sub(a->channel_group, "Orderer"), "BatchSize")->version = 9;
	cu = compute(a, b);
	want_group(cu->read_set, 0, "", 1, 0, 0);
	ro = sub(cu->read_set, "Orderer");
	wo = sub(cu->write_set, "Orderer");
	want_group(ro, 4, "", 0, 0, 0);
	want_group(wo, 4, "", 0, 1, 0);
	want_value(wo, "BatchSize", 10, sub(b->channel_group, "Orderer"));
	want_accept(cu, b);
	want_refuse(cu, a, "the update sets Channel/Orderer/BatchSize to a "
	    "value the topology does not declare");
	fupd_free(cu);
	fcfg_free(a);
	fcfg_free(b);
	json_decref(t);
}

/* A group's mod_policy alone changes: the group is written at version+1. */
static void
mod_policy_change(void **state)
{
	struct fx *f = *state;
	Common__Config *a = build(f, f->doc, 0), *b = build(f, f->doc, 0);
	Common__ConfigUpdate *cu;
	Common__ConfigGroup *app = sub(b->channel_group, "Application");

	free(app->mod_policy);
	app->mod_policy = xstrdup("Writers");
	cu = compute(a, b);
	want_group(sub(cu->write_set, "Application"), 1, "Writers", 3, 2, 5);
	want_group(sub(cu->read_set, "Application"), 0, "", 3, 2, 5);
	want_refuse(cu, a, "the update sets the mod_policy of "
	    "Channel/Application to \"Writers\", but the topology has "
	    "\"Admins\"");
	want_accept(cu, b);
	fupd_free(cu);
	fcfg_free(a);
	fcfg_free(b);
}

static void
no_change(void **state)
{
	struct fx *f = *state;
	Common__Config *a = build(f, f->doc, 0), *b = build(f, f->doc, 0);
	Common__Config empty = COMMON__CONFIG__INIT;
	char *cause = NULL;

	assert_null(fupd_compute(a, b, CHANNEL, &cause));
	assert_string_equal(cause, "no differences detected between original "
	    "and updated config");
	free(cause);
	cause = NULL;
	assert_null(fupd_compute(&empty, b, CHANNEL, &cause));
	assert_string_equal(cause, "no channel group included for original "
	    "config");
	free(cause);
	fcfg_free(a);
	fcfg_free(b);
}

/* Another org's MSP replaced; undeclared values; soundness rules. */
static void
check_refusals(void **state)
{
	struct fx *f = *state;
	Common__Config *a = build(f, f->doc, 0), *b = build(f, f->doc, 0);
	Common__ConfigUpdate *cu;
	Common__ConfigValue *m2, *m3;
	ProtobufCBinaryData keep;
	uint8_t *bytes;
	size_t len;
	char *cause = NULL;

	/* Org2MSP's MSP set to Org3MSP's: refused, naming the path. */
	m2 = fcfg_value(sub(sub(b->channel_group, "Application"), "Org2MSP"),
	    "MSP");
	m3 = fcfg_value(sub(sub(b->channel_group, "Application"), "Org3MSP"),
	    "MSP");
	keep = m2->value;
	m2->value.data = xmalloc(m3->value.len);
	memcpy(m2->value.data, m3->value.data, m3->value.len);
	m2->value.len = m3->value.len;
	cu = compute(a, b);
	want_refuse(cu, a, "the update sets Channel/Application/Org2MSP/MSP to "
	    "a value the topology does not declare");

	/* Its bytes decode again to the same thing; a changed byte too. */
	bytes = fupd_pack(cu, &len);
	fupd_free(cu);
	cu = fupd_decode(bytes, len, &cause);
	assert_non_null(cu);
	want_refuse(cu, a, "the update sets Channel/Application/Org2MSP/MSP to "
	    "a value the topology does not declare");
	fupd_free(cu);
	free(bytes);
	free(m2->value.data);
	m2->value = keep;

	/* A value the topology lacks. */
	{
		Common__ConfigGroup *o = sub(b->channel_group, "Orderer");
		Common__ConfigGroup__ValuesEntry *e = xmalloc(sizeof(*e));
		Common__ConfigValue *v = xmalloc(sizeof(*v));

		common__config_value__init(v);
		v->value.data = xmalloc(2);
		memcpy(v->value.data, "\x08\x01", 2);
		v->value.len = 2;
		v->mod_policy = xstrdup("Admins");
		common__config_group__values_entry__init(e);
		e->key = xstrdup("Extra");
		e->value = v;
		o->values = xreallocarray(o->values, o->n_values + 1,
		    sizeof(*o->values));
		o->values[o->n_values++] = e;
	}
	cu = compute(a, b);
	want_refuse(cu, a, "the update adds value Extra to Channel/Orderer, "
	    "which the topology does not declare");

	/* Isolated data is refused whatever else the update holds. */
	{
		Common__ConfigUpdate__IsolatedDataEntry *ie =
		    xmalloc(sizeof(*ie));

		common__config_update__isolated_data_entry__init(ie);
		ie->key = xstrdup("rscc_seed_data");
		cu->isolated_data = xreallocarray(cu->isolated_data, 1,
		    sizeof(*cu->isolated_data));
		cu->isolated_data[0] = ie;
		cu->n_isolated_data = 1;
	}
	want_refuse(cu, b, "the update carries isolated_data, which is not "
	    "part of a channel config and which fabfed never writes");
	fupd_free(cu);

	/* Garbage, and groups nested too deep, do not decode. */
	assert_null(fupd_decode((const uint8_t *)"\x1a\xff", 2, &cause));
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	{
		uint8_t deep[2 * 60];
		size_t i, n = 0;

		/* write_set { groups { value { groups { value { ... */
		for (i = 0; i < 60; i++) {
			deep[n++] = i == 0 ? 0x1a : 0x12;	/* field */
			deep[n++] = 0;				/* length, patched */
		}
		for (i = 60; i-- > 0;)
			deep[2 * i + 1] = (uint8_t)(n - 2 * i - 2);
		assert_null(fupd_decode(deep, n, &cause));
		assert_string_equal(cause, "the config update is not a "
		    "ConfigUpdate whose groups nest at most 16 deep");
		free(cause);
		cause = NULL;
	}
	/* Not canonical: a field repeated (the last wins in both decoders). */
	assert_null(fupd_decode((const uint8_t *)"\x0a\x01x\x0a\x01y", 6,
	    &cause));
	assert_non_null(strstr(cause, "canonical"));
	free(cause);
	fcfg_free(a);
	fcfg_free(b);
}

/* A ConfigSignature: verified by plain OpenSSL, low-S; the envelope opens. */
static void
signature(void **state)
{
	struct fx *f = *state;
	json_t *t = json_deep_copy(f->doc);
	Common__Config *a = build(f, f->doc, 0), *b;
	Common__ConfigUpdate *cu;
	Common__SignatureHeader *sh;
	Msp__SerializedIdentity *id;
	struct fupd_opened op;
	struct fupd_sig fs;
	EVP_MD_CTX *ctx;
	uint8_t nonce[FUPD_NONCE_LEN], *hdr, *upd, *msg, *env, *hdr2;
	unsigned char *der = NULL;
	size_t hlen, ulen, mlen, elen, derlen = 0, hlen2;
	char *cause = NULL;

	json_object_set_new(json_object_get(chan(t), "batch"), "timeout",
	    json_string("1s"));
	b = build(f, t, 0);
	cu = compute(a, b);
	upd = fupd_pack(cu, &ulen);
	memset(nonce, 0x5a, sizeof(nonce));
	hdr = fupd_signature_header("Org1MSP", f->pem, nonce, &hlen);
	assert_non_null(hdr);
	sh = common__signature_header__unpack(NULL, hlen, hdr);
	assert_non_null(sh);
	assert_int_equal(sh->nonce.len, FUPD_NONCE_LEN);
	assert_memory_equal(sh->nonce.data, nonce, FUPD_NONCE_LEN);
	id = msp__serialized_identity__unpack(NULL, sh->creator.len,
	    sh->creator.data);
	assert_non_null(id);
	assert_string_equal(id->mspid, "Org1MSP");
	assert_int_equal(id->id_bytes.len, strlen(f->pem));
	assert_memory_equal(id->id_bytes.data, f->pem, strlen(f->pem));
	msp__serialized_identity__free_unpacked(id, NULL);
	common__signature_header__free_unpacked(sh, NULL);

	/* Random nonces differ. */
	hdr2 = fupd_signature_header("Org1MSP", f->pem, NULL, &hlen2);
	assert_int_equal(hlen2, hlen);
	assert_memory_not_equal(hdr2, hdr, hlen);
	free(hdr2);

	msg = fupd_signing_bytes(hdr, hlen, upd, ulen, &mlen);
	assert_int_equal(mlen, hlen + ulen);
	assert_memory_equal(msg, hdr, hlen);
	assert_memory_equal(msg + hlen, upd, ulen);
	assert_int_equal(sig_sign(f->key, msg, mlen, &der, &derlen, &cause), 0);
	assert_int_equal(sig_is_low_s(der, derlen), 1);
	ctx = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
	    X509_get0_pubkey(f->cert)), 1);
	assert_int_equal(EVP_DigestVerify(ctx, der, derlen, msg, mlen), 1);
	EVP_MD_CTX_free(ctx);

	fs.header = hdr;
	fs.header_len = hlen;
	fs.sig = der;
	fs.sig_len = derlen;
	env = fupd_envelope(upd, ulen, &fs, 1, &elen);
	assert_int_equal(fupd_open(env, elen, FUPD_MAX_ENVELOPE, &op, &cause),
	    0);
	assert_int_equal(op.nsigs, 1);
	assert_string_equal(op.mspids[0], "Org1MSP");
	assert_string_equal(op.certs[0], f->pem);
	assert_int_equal(op.update_len, ulen);
	assert_memory_equal(op.update_bytes, upd, ulen);
	want_accept(op.update, b);
	fupd_opened_clear(&op);

	/* Over the limit. */
	assert_int_equal(fupd_open(env, elen, elen - 1, &op, &cause), -1);
	assert_non_null(strstr(cause, "more than"));
	free(cause);
	cause = NULL;
	free(env);

	/* The signature over other bytes does not verify. */
	upd[ulen - 1] ^= 0x01;
	env = fupd_envelope(upd, ulen, &fs, 1, &elen);
	assert_int_equal(fupd_open(env, elen, FUPD_MAX_ENVELOPE, &op, &cause),
	    -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	free(env);
	upd[ulen - 1] ^= 0x01;

	/* The signature made high-S (n - s) does not count. */
	{
		BIGNUM *n = BN_new(), *s = NULL, *r = NULL;
		ECDSA_SIG *es;
		const unsigned char *p = der;
		unsigned char *hd = NULL;
		int hdl;

		es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
		assert_non_null(es);
		assert_int_equal(BN_hex2bn(&n, "FFFFFFFF00000000FFFFFFFFFFFFFFFF"
		    "BCE6FAADA7179E84F3B9CAC2FC632551") > 0, 1);
		r = BN_dup(ECDSA_SIG_get0_r(es));
		s = BN_new();
		assert_int_equal(BN_sub(s, n, ECDSA_SIG_get0_s(es)), 1);
		assert_int_equal(ECDSA_SIG_set0(es, r, s), 1);
		hdl = i2d_ECDSA_SIG(es, &hd);
		assert_true(hdl > 0);
		assert_int_equal(sig_is_low_s(hd, (size_t)hdl), 0);
		fs.sig = hd;
		fs.sig_len = (size_t)hdl;
		env = fupd_envelope(upd, ulen, &fs, 1, &elen);
		assert_int_equal(fupd_open(env, elen, FUPD_MAX_ENVELOPE, &op,
		    &cause), -1);
		assert_non_null(strstr(cause, "low-S"));
		free(cause);
		cause = NULL;
		free(env);
		OPENSSL_free(hd);
		ECDSA_SIG_free(es);
		BN_free(n);
	}

	free(der);
	free(msg);
	free(hdr);
	free(upd);
	fupd_free(cu);
	fcfg_free(a);
	fcfg_free(b);
	json_decref(t);
}

/* The signer's check, called as the signer calls it. */
static void
signer_check(void **state)
{
	struct fx *f = *state;
	Common__Config *a = build(f, f->doc, FCFG_NO_ANCHORS), *b;
	json_t *t1 = json_deep_copy(f->doc), *ctx;
	Common__ConfigUpdate *cu;
	uint8_t nonce[FUPD_NONCE_LEN], *hdr, *upd, *msg;
	size_t hlen, ulen, mlen, i;
	char *reason = NULL;

	for (i = 1; i < 3; i++)
		json_object_set_new(json_array_get(json_object_get(
		    topology_find_org(t1, orgs3[i]), "peers"), 0), "anchor",
		    json_false());
	b = build(f, t1, 0);
	cu = compute(a, b);
	upd = fupd_pack(cu, &ulen);
	memset(nonce, 7, sizeof(nonce));
	hdr = fupd_signature_header("Org1MSP", f->pem, nonce, &hlen);
	msg = fupd_signing_bytes(hdr, hlen, upd, ulen, &mlen);
	ctx = json_pack("{s:s, s:I, s:O, s:O}", "channel", CHANNEL,
	    "headerLength", (json_int_t)hlen, "topology", f->doc, "orgs",
	    f->pub);

	assert_int_equal(signer_fabric_init("Org1MSP", f->pem), 0);
	if (signer_fabric_config_update(ctx, msg, mlen, &reason) != 0)
		fail_msg("refused: %s", reason);

	/* As Org2MSP's signer: the creator is not its identity. */
	assert_int_equal(signer_fabric_init("Org2MSP", f->pem), 0);
	assert_int_equal(signer_fabric_config_update(ctx, msg, mlen, &reason),
	    -1);
	assert_string_equal(reason, "the signature header names MSP Org1MSP "
	    "as creator, but this signer signs for Org2MSP");
	free(reason);
	reason = NULL;
	assert_int_equal(signer_fabric_init("Org1MSP", f->pem), 0);

	/* Another channel. */
	json_object_set_new(ctx, "channel", json_string("other"));
	assert_int_equal(signer_fabric_config_update(ctx, msg, mlen, &reason),
	    -1);
	assert_string_equal(reason, "the config update is for channel "
	    "\"trade\", but the request is for channel other");
	free(reason);
	reason = NULL;
	json_object_set_new(ctx, "channel", json_string(CHANNEL));

	/* A header length that splits elsewhere. */
	json_object_set_new(ctx, "headerLength", json_integer((json_int_t)hlen
	    - 1));
	assert_int_equal(signer_fabric_config_update(ctx, msg, mlen, &reason),
	    -1);
	assert_non_null(reason);
	free(reason);
	reason = NULL;

	json_decref(ctx);
	free(msg);
	free(hdr);
	free(upd);
	fupd_free(cu);
	fcfg_free(a);
	fcfg_free(b);
	json_decref(t1);
}

static void
write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(p, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	free(p);
}

static void
write_pair(const char *dir, FILE *list, const char *name,
    const Common__Config *a, const Common__Config *b, int differs)
{
	Common__ConfigUpdate *cu;
	uint8_t *bytes;
	size_t len;
	char *n, *cause = NULL;

	bytes = fcfg_pack(a, &len);
	n = xasprintf("%s.orig.pb", name);
	write_file(dir, n, bytes, len);
	free(n);
	free(bytes);
	bytes = fcfg_pack(b, &len);
	n = xasprintf("%s.upd.pb", name);
	write_file(dir, n, bytes, len);
	free(n);
	free(bytes);
	cu = fupd_compute(a, b, CHANNEL, &cause);
	if (differs) {
		assert_non_null(cu);
		bytes = fupd_pack(cu, &len);
		n = xasprintf("%s.ours.pb", name);
		write_file(dir, n, bytes, len);
		free(n);
		free(bytes);
	} else
		assert_null(cu);
	free(cause);
	fupd_free(cu);
	fprintf(list, "%s %s\n", name, differs ? "differs" : "same");
}

/* FABFED_UPDATE_OUT=DIR: the before/after pairs for the oracle test. */
static void
write_pairs(void **state)
{
	struct fx *f = *state;
	const char *dir = getenv("FABFED_UPDATE_OUT");
	json_t *t2 = topo_with(f, 2, 3), *t3 = topo_with(f, 3, 3);
	json_t *c2 = topo_with(f, 3, 2), *tb = json_deep_copy(f->doc);
	Common__Config *m2 = build(f, t2, 0), *m3 = build(f, t3, 0);
	Common__Config *k2 = build(f, c2, 0), *na, *full, *bs;
	Common__ConfigUpdate *cu;
	struct fupd_sig fs;
	uint8_t *hdr, *upd, *msg, *env;
	unsigned char *der = NULL;
	size_t hlen, ulen, mlen, elen, derlen;
	char *list, *cause = NULL;
	FILE *fp;

	json_object_set_new(json_object_get(chan(tb), "batch"),
	    "maxMessageCount", json_integer(100));
	bs = build(f, tb, 0);
	na = build(f, f->doc, FCFG_NO_ANCHORS);
	full = build(f, f->doc, 0);
	/* Versions as on a channel that has seen updates. */
	sub(m2->channel_group, "Application")->version = 3;
	sub(sub(m2->channel_group, "Application"), "Org1MSP")->version = 2;
	sub(k2->channel_group, "Orderer")->version = 1;
	fcfg_value(sub(k2->channel_group, "Orderer"), "ConsensusType")->version
	    = 5;

	list = xasprintf("%s/cases.txt", dir);
	fp = fopen(list, "w");
	assert_non_null(fp);
	write_pair(dir, fp, "add_org", m2, m3, 1);
	write_pair(dir, fp, "remove_org", m3, m2, 1);
	write_pair(dir, fp, "anchor_peers", na, full, 1);
	write_pair(dir, fp, "add_consenter", k2, m3, 1);
	write_pair(dir, fp, "remove_consenter", m3, k2, 1);
	write_pair(dir, fp, "batch_size", full, bs, 1);
	write_pair(dir, fp, "no_change", full, m3, 0);
	assert_int_equal(fclose(fp), 0);
	free(list);

	/* The anchor-peer update, signed by Org1's admin. */
	cu = fupd_compute(na, full, CHANNEL, &cause);
	assert_non_null(cu);
	upd = fupd_pack(cu, &ulen);
	hdr = fupd_signature_header("Org1MSP", f->pem, NULL, &hlen);
	msg = fupd_signing_bytes(hdr, hlen, upd, ulen, &mlen);
	assert_int_equal(sig_sign(f->key, msg, mlen, &der, &derlen, &cause), 0);
	fs.header = hdr;
	fs.header_len = hlen;
	fs.sig = der;
	fs.sig_len = derlen;
	env = fupd_envelope(upd, ulen, &fs, 1, &elen);
	write_file(dir, "envelope.pb", env, elen);
	write_file(dir, "signed.bin", msg, mlen);
	write_file(dir, "signature.der", der, derlen);
	write_file(dir, "admin.pem", f->pem, strlen(f->pem));
	free(env);
	free(der);
	free(msg);
	free(hdr);
	free(upd);
	fupd_free(cu);
	fcfg_free(m2);
	fcfg_free(m3);
	fcfg_free(k2);
	fcfg_free(na);
	fcfg_free(full);
	fcfg_free(bs);
	json_decref(t2);
	json_decref(t3);
	json_decref(c2);
	json_decref(tb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_org),
		cmocka_unit_test(remove_org),
		cmocka_unit_test(anchor_peers),
		cmocka_unit_test(consenters),
		cmocka_unit_test(batch_size),
		cmocka_unit_test(mod_policy_change),
		cmocka_unit_test(no_change),
		cmocka_unit_test(check_refusals),
		cmocka_unit_test(signature),
		cmocka_unit_test(signer_check),
	};
	const struct CMUnitTest out[] = {
		cmocka_unit_test(write_pairs),
	};

	if (getenv("FABFED_UPDATE_OUT") != NULL)
		return cmocka_run_group_tests(out, setup, teardown);
	return cmocka_run_group_tests(tests, setup, teardown);
}
