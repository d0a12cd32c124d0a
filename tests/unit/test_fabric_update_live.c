/*
 * test_fabric_update_live.c: fupd_check_live, the signer's check made
 * against the channel's live config as well as the consortium document,
 * so that one of several declared membership or consenter changes can be
 * made at a time (docs/fabric-updates.md), and fupd_live_outline and
 * fupd_decode_config, the form the live config travels in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/configtx.pb-c.h"
#include "orderer/configuration.pb-c.h"
#include "orderer/etcdraft/configuration.pb-c.h"

#include "fabric_config.h"
#include "fabric_update.h"
#include "fixture.h"
#include "xmalloc.h"

#define CHANNEL	"trade"

static const char *const orgs3[] = { "Org1MSP", "Org2MSP", "Org3MSP" };

/* Tests take a struct fixture_ex: the example consortium, Org1-3MSP published. */

/*
 * The config of channel trade with the members and the consenters
 * (OrgN/orderer0) named by the bits of MEMBERS and CONSENTERS (bit 0:
 * Org1MSP), as fcfg_build_flags(FLAGS) makes it.
 */
static Common__Config *
cfg(const struct fixture_ex *f, unsigned members, unsigned consenters,
    unsigned flags)
{
	json_t *doc = json_deep_copy(f->doc), *m = json_array(), *c = json_array();
	json_t *ch;
	Common__Config *out;
	char *s, *cause = NULL;
	size_t i;

	for (i = 0; i < 3; i++) {
		if (members & (1u << i))
			json_array_append_new(m, json_string(orgs3[i]));
		if (consenters & (1u << i)) {
			s = xasprintf("%s/orderer0", orgs3[i]);
			json_array_append_new(c, json_string(s));
			free(s);
		}
	}
	ch = json_array_get(json_object_get(json_object_get(doc, "spec"),
	    "channels"), 0);
	json_object_set_new(ch, "members", m);
	json_object_set_new(ch, "consenters", c);
	if ((out = fcfg_build_flags(doc, CHANNEL, f->pub, flags, &cause)) == NULL)
		fail_msg("fcfg_build_flags: %s", cause);
	json_decref(doc);
	return out;
}

static Common__ConfigUpdate *
compute(const Common__Config *a, const Common__Config *b)
{
	Common__ConfigUpdate *cu;
	char *cause = NULL;

	if ((cu = fupd_compute(a, b, CHANNEL, &cause)) == NULL)
		fail_msg("fupd_compute: %s", cause);
	return cu;
}

static Common__ConfigGroup *
app(const Common__Config *c)
{
	return fcfg_group(c->channel_group, "Application");
}

static Common__ConfigGroup *
ord(const Common__Config *c)
{
	return fcfg_group(c->channel_group, "Orderer");
}

/* A copy of C (fcfg_free). */
static Common__Config *
copy(const Common__Config *c)
{
	Common__Config *out = fcfg_msg_copy(&c->base);

	assert_non_null(out);
	return out;
}

/* The check (with LIVE unless NULL) accepts U. */
static void
passes(const Common__ConfigUpdate *u, const Common__Config *want,
    const Common__Config *live)
{
	char *reason = NULL;

	if (fupd_check_live(u, want, live, &reason) != 0)
		fail_msg("refused: %s", reason);
	assert_null(reason);
}

/* The check (with LIVE unless NULL) refuses U with exactly WORDS. */
static void
refuses(const Common__ConfigUpdate *u, const Common__Config *want,
    const Common__Config *live, const char *words)
{
	char *reason = NULL;

	assert_int_equal(fupd_check_live(u, want, live, &reason), -1);
	assert_non_null(reason);
	if (strcmp(reason, words) != 0)
		fail_msg("reason \"%s\", wanted \"%s\"", reason, words);
	free(reason);
}

/* LIVE as the signer receives it: outlined, marshalled, decoded. */
static Common__Config *
outlined(const Common__Config *live)
{
	Common__Config *c;
	uint8_t *b, *full;
	size_t len = 0, flen = 0;
	char *cause = NULL;

	assert_non_null(b = fupd_live_outline(live, &len));
	full = fcfg_pack(live, &flen);
	assert_true(len < flen / 2);	/* the MSPs are left out */
	free(full);
	if ((c = fupd_decode_config(b, len, &cause)) == NULL)
		fail_msg("fupd_decode_config: %s", cause);
	free(b);
	return c;
}

/* The document adds Org2MSP and Org3MSP: an update adding Org2MSP only. */
static void
two_orgs_declared(void **state)
{
	struct fixture_ex *f = *state;
	Common__Config *live = cfg(f, 1, 7, FCFG_NO_ANCHORS);
	Common__Config *want = cfg(f, 7, 7, 0), *step, *step2, *out;
	Common__ConfigUpdate *u;

	step = copy(live);
	assert_int_equal(fcfg_set_group(app(step), "Org2MSP",
	    fcfg_group(app(want), "Org2MSP")), 0);
	u = compute(live, step);
	/* Without the live config: refused, as before. */
	refuses(u, want, NULL, "the update removes Org3MSP from "
	    "Channel/Application, which the consortium still declares");
	passes(u, want, live);
	out = outlined(live);
	passes(u, want, out);
	fcfg_free(out);
	/* Against a document that does not declare Org2MSP: refused. */
	{
		Common__Config *w13 = cfg(f, 5, 7, 0);

		refuses(u, w13, live, "the update adds Org2MSP to "
		    "Channel/Application, which the consortium does not declare");
		fcfg_free(w13);
	}
	fupd_free(u);

	/* The second, from there: the document's membership, also strict. */
	step2 = copy(step);
	assert_int_equal(fcfg_set_group(app(step2), "Org3MSP",
	    fcfg_group(app(want), "Org3MSP")), 0);
	u = compute(step, step2);
	passes(u, want, step);
	passes(u, want, NULL);
	fupd_free(u);

	/* The new org must still be added whole, as declared. */
	{
		Common__ConfigGroup *g;

		fcfg_free(step2);
		step2 = copy(step);
		assert_non_null(g = fcfg_msg_copy(&fcfg_group(app(want),
		    "Org3MSP")->base));
		assert_int_equal(fcfg_set_value(g, "AnchorPeers", NULL), 0);
		assert_int_equal(fcfg_set_group(app(step2), "Org3MSP", g), 0);
		common__config_group__free_unpacked(g, NULL);
		u = compute(step, step2);
		refuses(u, want, step, "the update adds "
		    "Channel/Application/Org3MSP without value AnchorPeers, "
		    "which the topology declares");
		fupd_free(u);
	}
	fcfg_free(step2);
	fcfg_free(step);
	fcfg_free(live);
	fcfg_free(want);
}

/* Removals: refused when declared, accepted when not. */
static void
removals(void **state)
{
	struct fixture_ex *f = *state;
	Common__Config *live = cfg(f, 7, 7, FCFG_NO_ANCHORS);
	Common__Config *want = cfg(f, 7, 7, 0), *want1 = cfg(f, 1, 7, 0);
	Common__Config *step, *anch;
	Common__ConfigUpdate *u;

	step = copy(live);
	assert_int_equal(fcfg_set_group(app(step), "Org2MSP", NULL), 0);
	u = compute(live, step);
	refuses(u, want, live, "the update removes Org2MSP from "
	    "Channel/Application, which the consortium still declares");
	/* The document drops Org2MSP and Org3MSP: dropping one passes, and
	 * what stays of Org3MSP is only named. */
	refuses(u, want1, NULL, "the update keeps Org3MSP in "
	    "Channel/Application, which the consortium does not declare");
	passes(u, want1, live);
	fupd_free(u);

	/* What stays may not change: Org3MSP's group rewritten too. */
	anch = cfg(f, 7, 7, 0);
	assert_int_equal(fcfg_set_group(app(step), "Org3MSP",
	    fcfg_group(app(anch), "Org3MSP")), 0);
	u = compute(live, step);
	refuses(u, want1, live, "the update names Org3MSP in "
	    "Channel/Application, which the consortium does not declare");
	fupd_free(u);
	fcfg_free(anch);
	fcfg_free(step);
	fcfg_free(live);
	fcfg_free(want);
	fcfg_free(want1);
}

/* An org the document does not declare is not added, live or not. */
static void
undeclared_add(void **state)
{
	struct fixture_ex *f = *state;
	Common__Config *live = cfg(f, 1, 7, FCFG_NO_ANCHORS);
	Common__Config *want = cfg(f, 3, 7, 0), *all = cfg(f, 7, 7, 0), *step;
	Common__ConfigUpdate *u;

	step = copy(live);
	assert_int_equal(fcfg_set_group(app(step), "Org3MSP",
	    fcfg_group(app(all), "Org3MSP")), 0);
	u = compute(live, step);
	refuses(u, want, live, "the update adds Org3MSP to "
	    "Channel/Application, which the consortium does not declare");
	refuses(u, want, NULL, "the update adds Org3MSP to "
	    "Channel/Application, which the consortium does not declare");
	fupd_free(u);
	/* A swap (Org2MSP for Org3MSP), the add first: fine with live. */
	fcfg_free(live);
	live = cfg(f, 3, 7, FCFG_NO_ANCHORS);
	fcfg_free(want);
	want = cfg(f, 5, 7, 0);
	fcfg_free(step);
	step = copy(live);
	assert_int_equal(fcfg_set_group(app(step), "Org3MSP",
	    fcfg_group(app(all), "Org3MSP")), 0);
	u = compute(live, step);
	passes(u, want, live);
	refuses(u, want, NULL, "the update keeps Org2MSP in "
	    "Channel/Application, which the consortium does not declare");
	fupd_free(u);
	fcfg_free(step);
	fcfg_free(live);
	fcfg_free(want);
	fcfg_free(all);
}

/* STEP's ConsensusType with consenter I's port set to PORT and, when
 * TICK, Raft's election tick to TICK. */
static void
tamper_raft(Common__Config *step, size_t i, uint32_t port, uint32_t tick)
{
	Common__ConfigValue *v = fcfg_value(ord(step), "ConsensusType"), nv;
	Orderer__ConsensusType *ct;
	Etcdraft__ConfigMetadata *md;
	size_t len;

	assert_non_null(v);
	assert_non_null(ct = orderer__consensus_type__unpack(NULL,
	    v->value.len, v->value.data));
	assert_non_null(md = etcdraft__config_metadata__unpack(NULL,
	    ct->metadata.len, ct->metadata.data));
	if (port != 0)
		md->consenters[i]->port = port;
	if (tick != 0)
		md->options->election_tick = tick;
	free(ct->metadata.data);
	len = protobuf_c_message_get_packed_size(&md->base);
	ct->metadata.data = xmalloc(len);
	ct->metadata.len = protobuf_c_message_pack(&md->base,
	    ct->metadata.data);
	nv = *v;
	len = protobuf_c_message_get_packed_size(&ct->base);
	nv.value.data = xmalloc(len);
	nv.value.len = protobuf_c_message_pack(&ct->base, nv.value.data);
	assert_int_equal(fcfg_set_value(ord(step), "ConsensusType", &nv), 0);
	free(nv.value.data);
	etcdraft__config_metadata__free_unpacked(md, NULL);
	orderer__consensus_type__free_unpacked(ct, NULL);
}

/* The document adds two consenters: the update adding one. */
static void
two_consenters_declared(void **state)
{
	struct fixture_ex *f = *state;
	Common__Config *live = cfg(f, 7, 1, FCFG_NO_ANCHORS);
	Common__Config *mid = cfg(f, 7, 3, FCFG_NO_ANCHORS);
	Common__Config *want = cfg(f, 7, 7, 0), *w13 = cfg(f, 7, 5, 0);
	Common__Config *step, *out;
	Common__ConfigUpdate *u;

	u = compute(live, mid);
	refuses(u, want, NULL, "the update removes Org3MSP from "
	    "Channel/Orderer, which the consortium still declares");
	passes(u, want, live);
	out = outlined(live);
	passes(u, want, out);
	fcfg_free(out);
	refuses(u, w13, live, "the update adds Org2MSP to Channel/Orderer, "
	    "which the consortium does not declare");
	fupd_free(u);

	/* A consenter other than the declared one (its port): refused. */
	step = copy(mid);
	tamper_raft(step, 1, 9999, 0);
	u = compute(live, step);
	refuses(u, want, live, "the update adds consenter "
	    "orderer0.org2.example.com:9999 to Channel/Orderer/ConsensusType, "
	    "which the consortium does not declare");
	fupd_free(u);
	fcfg_free(step);
	/* Raft options other than declared: refused. */
	step = copy(mid);
	tamper_raft(step, 0, 0, 77);
	u = compute(live, step);
	refuses(u, want, live, "the update sets "
	    "Channel/Orderer/ConsensusType to a value the topology does not "
	    "declare: its type, state or Raft options differ from the "
	    "topology's, or it is not in canonical form");
	fupd_free(u);
	fcfg_free(step);

	/* Removing a consenter still declared (its org stays an orderer
	 * org in the update): refused, naming the consenter. */
	step = copy(want);
	assert_int_equal(fcfg_set_value(ord(step), "ConsensusType",
	    fcfg_value(ord(mid), "ConsensusType")), 0);
	u = compute(want, step);
	refuses(u, want, want, "the update removes consenter "
	    "orderer0.org3.example.com:7050 from "
	    "Channel/Orderer/ConsensusType, which the consortium still "
	    "declares");
	fupd_free(u);
	fcfg_free(step);

	/* The second, from MID: the document's, byte for byte. */
	u = compute(mid, want);
	passes(u, want, mid);
	fupd_free(u);
	fcfg_free(live);
	fcfg_free(mid);
	fcfg_free(want);
	fcfg_free(w13);
}

/* The live config as the signer reads it: bounded, with a channel group. */
static void
decode_config(void **state)
{
	struct fixture_ex *f = *state;
	Common__Config *live = cfg(f, 7, 7, 0), *c;
	uint8_t *b, deep[4 * 40];
	size_t len, i, n = 0;
	char *cause = NULL;

	b = fcfg_pack(live, &len);
	assert_non_null(c = fupd_decode_config(b, len, &cause));
	fcfg_free(c);
	free(b);
	assert_null(fupd_decode_config((const uint8_t *)"\x08\x01", 2, &cause));
	assert_string_equal(cause, "the config has no channel group");
	free(cause);
	assert_null(fupd_decode_config((const uint8_t *)"\x12\x09\x12", 3,
	    &cause));
	assert_non_null(strstr(cause, "nest at most 16 deep"));
	free(cause);
	/* Groups 20 deep: Config{2: Group{2: Entry{2: Group{...}}}}. */
	for (i = 0; i < 39; i++) {
		deep[n++] = 0x12;
		deep[n++] = (uint8_t)(2 * (39 - i) - 2);
	}
	assert_null(fupd_decode_config(deep, n, &cause));
	assert_non_null(strstr(cause, "nest at most 16 deep"));
	free(cause);
	assert_null(fupd_decode_config(deep, FUPD_MAX_UPDATE + 1, &cause));
	assert_non_null(strstr(cause, "more than"));
	free(cause);
	fcfg_free(live);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_orgs_declared),
		cmocka_unit_test(removals),
		cmocka_unit_test(undeclared_add),
		cmocka_unit_test(two_consenters_declared),
		cmocka_unit_test(decode_config),
	};

	return cmocka_run_group_tests(tests, fixture_example_setup,
		    fixture_example_teardown);
}
