/*
 * test_tasks_consenter.c: the consenter tasks (member-agent/tasks_consenter.c)
 * without Fabric, on a three-org consortium whose Org1MSP has two orderers
 * (each org's PKI made by lib/msp):
 *  - the "change" forms (addConsenter / removeConsenter, and the org ones);
 *  - update-prepare's desired config for adding and removing a consenter:
 *    only Orderer/ConsensusType and the owner's Orderer/<msp> group (added,
 *    its Endpoints set, or removed) differ from the live config, the update
 *    passes the signers' check (fupd_check against the document) and is
 *    refused against a document that does not declare it; two changes at
 *    once, undeclared changes and already-applied changes;
 *  - update-submit's applied check for consenter updates;
 *  - tasks_check of join-orderer with blockFrom "channel", leave-orderer and
 *    "orderers"; tasks_pick_orderer among the task's orderers;
 *  - the rendered join and leave under the manifests runtime.
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
#include "orderer/etcdraft/configuration.pb-c.h"

#include "fabric_config.h"
#include "fabric_update.h"
#include "fixture.h"
#include "runtime.h"
#include "taskfx.h"
#include "tasks.h"
#include "tasks_int.h"
#include "topology.h"
#include "xmalloc.h"

static const char topo_json[] =
    "{\"apiVersion\": \"fabfed.io/v1alpha1\", \"kind\": \"Consortium\","
    " \"metadata\": {\"name\": \"cons\"},"
    " \"spec\": {\"orgs\": ["
    "  {\"mspId\": \"Org1MSP\", \"domain\": \"org1.example.com\","
    "   \"cluster\": {\"name\": \"one\", \"region\": \"r1\"},"
    "   \"peers\": [{\"name\": \"peer0\", \"endpoint\": \"peer0.org1.example.com:7051\", \"anchor\": true}],"
    "   \"orderers\": [{\"name\": \"orderer0\", \"endpoint\": \"orderer0.org1.example.com:7050\"},"
    "                {\"name\": \"orderer1\", \"endpoint\": \"orderer1.org1.example.com:7050\"}]},"
    "  {\"mspId\": \"Org2MSP\", \"domain\": \"org2.example.com\","
    "   \"cluster\": {\"name\": \"two\", \"region\": \"r2\"},"
    "   \"peers\": [{\"name\": \"peer0\", \"endpoint\": \"peer0.org2.example.com:7051\", \"anchor\": true}],"
    "   \"orderers\": [{\"name\": \"orderer0\", \"endpoint\": \"orderer0.org2.example.com:7050\"}]},"
    "  {\"mspId\": \"Org3MSP\", \"domain\": \"org3.example.com\","
    "   \"cluster\": {\"name\": \"three\", \"region\": \"r3\"},"
    "   \"peers\": [{\"name\": \"peer0\", \"endpoint\": \"peer0.org3.example.com:7051\", \"anchor\": true}],"
    "   \"orderers\": [{\"name\": \"orderer0\", \"endpoint\": \"orderer0.org3.example.com:7050\"}]}],"
    "  \"channels\": [{\"name\": \"trade\","
    "   \"consenters\": [\"Org1MSP/orderer0\", \"Org2MSP/orderer0\", \"Org3MSP/orderer0\"],"
    "   \"members\": [\"Org1MSP\", \"Org2MSP\", \"Org3MSP\"]}]}}";


static int
setup(void **state)
{
	return taskfx_setup(state, "test_tasks_consenter", topo_json);
}

static int
bytes_equal(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t la = protobuf_c_message_get_packed_size(a);
	size_t lb = protobuf_c_message_get_packed_size(b);
	uint8_t *pa = xmalloc(la + 1), *pb = xmalloc(lb + 1);
	int eq;

	protobuf_c_message_pack(a, pa);
	protobuf_c_message_pack(b, pb);
	eq = la == lb && memcmp(pa, pb, la) == 0;
	free(pa);
	free(pb);
	return eq;
}

static size_t
n_consenters(const Common__Config *c)
{
	Etcdraft__ConfigMetadata *md;
	char *cause = NULL;
	size_t n;

	if ((md = tasks_raft_metadata(c, &cause)) == NULL)
		fail_msg("%s", cause);
	n = md->n_consenters;
	etcdraft__config_metadata__free_unpacked(md, NULL);
	return n;
}

/*
 * DESIRED differs from LIVE only in Orderer: ConsensusType as WANT's, and
 * the groups of the orderer orgs other than MSP as in LIVE.
 */
static void
assert_only_orderer(const Common__Config *live, const Common__Config *desired,
    const Common__Config *want, const char *msp)
{
	const Common__ConfigGroup *lc = live->channel_group,
	    *dc = desired->channel_group, *lo, *dor;
	size_t i;

	assert_int_equal(lc->n_groups, dc->n_groups);
	for (i = 0; i < lc->n_groups; i++)
		if (strcmp(lc->groups[i]->key, "Orderer") != 0)
			assert_true(bytes_equal(&lc->groups[i]->value->base,
			    &taskfx_group(dc, lc->groups[i]->key)->base));
	assert_int_equal(lc->n_values, dc->n_values);
	assert_int_equal(lc->n_policies, dc->n_policies);
	lo = taskfx_group(lc, "Orderer");
	dor = taskfx_group(dc, "Orderer");
	assert_true(bytes_equal(&fcfg_value(dor, "ConsensusType")->base,
	    &fcfg_value(taskfx_group(want->channel_group, "Orderer"),
	    "ConsensusType")->base));
	for (i = 0; i < lo->n_values; i++)
		if (strcmp(lo->values[i]->key, "ConsensusType") != 0)
			assert_true(bytes_equal(&lo->values[i]->value->base,
			    &fcfg_value(dor, lo->values[i]->key)->base));
	for (i = 0; i < lo->n_groups; i++)
		if (strcmp(lo->groups[i]->key, msp) != 0)
			assert_true(bytes_equal(&lo->groups[i]->value->base,
			    &taskfx_group(dor, lo->groups[i]->key)->base));
}

static void
test_change_parse(void **state)
{
	enum tasks_org_change op = TASKS_ADD_ORG;
	const char *msp = NULL;
	char *cause = NULL;
	json_t *c;
	size_t i;
	static const char *const bad[] = {
		"{\"addConsenter\": \"Org1MSP\"}",
		"{\"addConsenter\": \"/orderer0\"}",
		"{\"addConsenter\": \"Org1MSP/\"}",
		"{\"removeConsenter\": \"Org1MSP/a/b\"}",
		"{\"removeConsenter\": \"Org1MSP/or derer\"}",
		"{\"removeConsenter\": 7}",
		"{\"addConsenter\": \"Org1MSP/orderer0\", \"addOrg\": \"X\"}",
		"{\"addPeer\": \"Org1MSP/peer0\"}",
		"[]",
	};

	(void)state;
	c = json_pack("{s:s}", "addConsenter", "Org2MSP/orderer0");
	assert_int_equal(tasks_org_change_parse(c, &op, &msp, &cause), 0);
	assert_int_equal(op, TASKS_ADD_CONSENTER);
	assert_string_equal(msp, "Org2MSP/orderer0");
	assert_true(tasks_change_is_consenter(op));
	json_decref(c);
	c = json_pack("{s:s}", "removeConsenter", "Org1MSP/orderer1");
	assert_int_equal(tasks_org_change_parse(c, &op, &msp, &cause), 0);
	assert_int_equal(op, TASKS_REMOVE_CONSENTER);
	json_decref(c);
	c = json_pack("{s:s}", "removeOrg", "Org3MSP");
	assert_int_equal(tasks_org_change_parse(c, &op, &msp, &cause), 0);
	assert_int_equal(op, TASKS_REMOVE_ORG);
	assert_false(tasks_change_is_consenter(op));
	json_decref(c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = json_loads(bad[i], 0, NULL);
		assert_non_null(c);
		if (tasks_org_change_parse(c, &op, &msp, &cause) != -1)
			fail_msg("accepted %s", bad[i]);
		assert_non_null(cause);
		assert_true(strstr(cause, "change") != NULL);
		free(cause);
		cause = NULL;
		json_decref(c);
	}
}

/* Trade's Orderer group's group MSP in C, which must be there. */
static Common__ConfigGroup *
ordorg(const Common__Config *c, const char *msp)
{
	return taskfx_group(taskfx_group(c->channel_group, "Orderer"), msp);
}

/* F's document declaring Org1MSP/orderer0 and Org2MSP/orderer0 only. */
static json_t *
with_two(const struct taskfx *f)
{
	static const char *const two[] = { "Org1MSP/orderer0",
	    "Org2MSP/orderer0" };

	return taskfx_with(f->doc, "consenters", two, 2);
}

/* The desired config of the consenter change OP of REF from LIVE, as DOC
 * declares it; it must be made (caller frees). */
static Common__Config *
desired_of(const struct taskfx *f, const Common__Config *live,
    const json_t *doc, enum tasks_org_change op, const char *ref)
{
	Common__Config *d = NULL;
	char *cause = NULL;

	assert_int_equal(tasks_consenter_config(live, doc, f->pub, "trade", op,
	    ref, &d, &cause), 0);
	assert_non_null(d);
	return d;
}

/* tasks_consenter_config refuses OP of REF from LIVE under DOC, its cause
 * with WANT1 and WANT2 in it (each unless NULL). */
static void
refused(const struct taskfx *f, const Common__Config *live, const json_t *doc,
    enum tasks_org_change op, const char *ref, const char *want1,
    const char *want2)
{
	Common__Config *none = NULL;
	char *cause = NULL;

	assert_int_equal(tasks_consenter_config(live, doc, f->pub, "trade", op,
	    ref, &none, &cause), -1);
	assert_null(none);
	assert_non_null(cause);
	if (want1 != NULL)
		assert_non_null(strstr(cause, want1));
	if (want2 != NULL)
		assert_non_null(strstr(cause, want2));
	free(cause);
}

/* The update from LIVE to DESIRED, which WANT's signers' check passes
 * (WHAT: what it does, for the failure). Caller frees. */
static Common__ConfigUpdate *
checked_update(const Common__Config *live, const Common__Config *desired,
    const Common__Config *want, const char *what)
{
	Common__ConfigUpdate *upd;
	char *cause = NULL;

	if ((upd = fupd_compute(live, desired, "trade", &cause)) == NULL)
		fail_msg("%s", cause);
	if (fupd_check(upd, want, &cause) != 0)
		fail_msg("fupd_check refused the update %s: %s", what, cause);
	return upd;
}

/* Adding Org3MSP/orderer0 (a new orderer org) to trade of Org1 and Org2. */
static void
test_add_consenter(void **state)
{
	struct taskfx *f = *state;
	json_t *doc2 = with_two(f);
	Common__Config *live, *want, *want2, *desired = NULL, *none = NULL;
	Common__ConfigUpdate *upd;
	char *cause = NULL, *what = NULL;

	live = taskfx_build(doc2, f->pub, FCFG_NO_ANCHORS);
	want = taskfx_build(f->doc, f->pub, 0);
	want2 = taskfx_build(doc2, f->pub, 0);
	desired = desired_of(f, live, f->doc, TASKS_ADD_CONSENTER,
	    "Org3MSP/orderer0");
	assert_null(fcfg_group(taskfx_group(live->channel_group, "Orderer"),
	    "Org3MSP"));
	assert_true(bytes_equal(&ordorg(desired, "Org3MSP")->base,
	    &ordorg(want, "Org3MSP")->base));
	assert_only_orderer(live, desired, want, "Org3MSP");
	assert_int_equal(n_consenters(live), 2);
	assert_int_equal(n_consenters(desired), 3);

	/* The update passes the signers' check against this document, and
	 * is refused against one that does not declare Org3MSP/orderer0. */
	upd = checked_update(live, desired, want, "adding a consenter");
	assert_int_equal(fupd_check(upd, want2, &cause), -1);
	assert_non_null(cause);
	assert_true(strstr(cause, "Orderer") != NULL);
	free(cause);
	cause = NULL;

	/* update-submit's applied check. */
	assert_int_equal(tasks_update_applied(upd, live, &what, &cause), 0);
	assert_non_null(what);
	assert_non_null(strstr(what, "adds consenter orderer0.org3.example.com:7050"));
	assert_non_null(strstr(what, "adds orderer org Org3MSP"));
	free(what);
	what = NULL;
	assert_int_equal(tasks_update_applied(upd, desired, &what, &cause), 1);
	assert_null(what);

	/* Applied already; and the same change declared but not asked. */
	assert_int_equal(tasks_consenter_config(desired, f->doc, f->pub,
	    "trade", TASKS_ADD_CONSENTER, "Org3MSP/orderer0", &none, &cause), 1);
	assert_null(none);
	refused(f, live, doc2, TASKS_ADD_CONSENTER, "Org3MSP/orderer0",
	    "does not declare Org3MSP/orderer0 a consenter", NULL);
	refused(f, live, f->doc, TASKS_REMOVE_CONSENTER, "Org3MSP/orderer0",
	    "still declares", NULL);

	fupd_free(upd);
	fcfg_free(desired);
	fcfg_free(live);
	fcfg_free(want);
	fcfg_free(want2);
	json_decref(doc2);
}

/* Removing Org3MSP/orderer0: its org's Orderer group goes too. */
static void
test_remove_consenter(void **state)
{
	struct taskfx *f = *state;
	json_t *doc2 = with_two(f);
	Common__Config *live, *want2, *desired, *none = NULL;
	Common__ConfigUpdate *upd;
	char *cause = NULL, *what = NULL;

	live = taskfx_build(f->doc, f->pub, FCFG_NO_ANCHORS);
	want2 = taskfx_build(doc2, f->pub, 0);
	desired = desired_of(f, live, doc2, TASKS_REMOVE_CONSENTER,
	    "Org3MSP/orderer0");
	assert_null(fcfg_group(taskfx_group(desired->channel_group, "Orderer"),
	    "Org3MSP"));
	assert_only_orderer(live, desired, want2, "Org3MSP");
	assert_int_equal(n_consenters(desired), 2);
	upd = checked_update(live, desired, want2, "removing a consenter");
	assert_int_equal(tasks_update_applied(upd, live, &what, &cause), 0);
	assert_non_null(strstr(what, "removes consenter "
	    "orderer0.org3.example.com:7050"));
	assert_non_null(strstr(what, "removes orderer org Org3MSP"));
	free(what);
	assert_int_equal(tasks_update_applied(upd, desired, NULL, &cause), 1);
	assert_int_equal(tasks_consenter_config(desired, doc2, f->pub, "trade",
	    TASKS_REMOVE_CONSENTER, "Org3MSP/orderer0", &none, &cause), 1);
	assert_null(none);

	fupd_free(upd);
	fcfg_free(desired);
	fcfg_free(live);
	fcfg_free(want2);
	json_decref(doc2);
}

/* A second orderer of an org that is already an orderer org: only its
 * Endpoints change beside ConsensusType. */
static void
test_endpoints(void **state)
{
	static const char *const three[] = { "Org1MSP/orderer0",
	    "Org1MSP/orderer1", "Org2MSP/orderer0" };
	struct taskfx *f = *state;
	json_t *doc2 = with_two(f);
	json_t *doc3 = taskfx_with(f->doc, "consenters", three, 3);
	Common__Config *live, *want3, *desired, *back;
	Common__ConfigUpdate *upd;
	const Common__ConfigGroup *lo, *dor;
	char *cause = NULL, *what = NULL;
	size_t i;

	live = taskfx_build(doc2, f->pub, FCFG_NO_ANCHORS);
	want3 = taskfx_build(doc3, f->pub, 0);
	desired = desired_of(f, live, doc3, TASKS_ADD_CONSENTER,
	    "Org1MSP/orderer1");
	assert_only_orderer(live, desired, want3, "Org1MSP");
	lo = ordorg(live, "Org1MSP");
	dor = ordorg(desired, "Org1MSP");
	assert_false(bytes_equal(&fcfg_value(lo, "Endpoints")->base,
	    &fcfg_value(dor, "Endpoints")->base));
	assert_true(bytes_equal(&fcfg_value(dor, "Endpoints")->base,
	    &fcfg_value(ordorg(want3, "Org1MSP"), "Endpoints")->base));
	/* Everything else of Org1MSP's orderer group is the live one's. */
	for (i = 0; i < lo->n_values; i++)
		if (strcmp(lo->values[i]->key, "Endpoints") != 0)
			assert_true(bytes_equal(&lo->values[i]->value->base,
			    &fcfg_value(dor, lo->values[i]->key)->base));
	upd = checked_update(live, desired, want3, "of the endpoints");
	assert_int_equal(tasks_update_applied(upd, live, &what, &cause), 0);
	assert_non_null(strstr(what, "sets the orderer endpoints of Org1MSP"));
	free(what);
	assert_int_equal(tasks_update_applied(upd, desired, NULL, &cause), 1);
	fupd_free(upd);

	/* And back: removing orderer1 keeps Org1MSP's group. */
	back = desired_of(f, desired, doc2, TASKS_REMOVE_CONSENTER,
	    "Org1MSP/orderer1");
	assert_non_null(fcfg_group(taskfx_group(back->channel_group, "Orderer"),
	    "Org1MSP"));
	assert_int_equal(n_consenters(back), 2);
	fcfg_free(back);
	fcfg_free(desired);
	fcfg_free(live);
	fcfg_free(want3);
	json_decref(doc2);
	json_decref(doc3);
}

/* The update from LIVE to DESIRED: fupd_check_live against WANT and LIVE
 * accepts it (caller frees). */
static Common__ConfigUpdate *
live_update(const Common__Config *live, const Common__Config *desired,
    const Common__Config *want, const char *what)
{
	Common__ConfigUpdate *upd;
	char *cause = NULL;

	if ((upd = fupd_compute(live, desired, "trade", &cause)) == NULL)
		fail_msg("%s", cause);
	if (fupd_check_live(upd, want, live, &cause) != 0)
		fail_msg("fupd_check_live refused the update %s: %s", what,
		    cause);
	return upd;
}

/* The check of UPD against WANT (and LIVE unless NULL) refuses, with
 * WORDS in its reason. */
static void
check_refuses(const Common__ConfigUpdate *upd, const Common__Config *want,
    const Common__Config *live, const char *words)
{
	char *cause = NULL;

	assert_int_equal(fupd_check_live(upd, want, live, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, words) == NULL)
		fail_msg("\"%s\" is not in \"%s\"", words, cause);
	free(cause);
}

/*
 * Raft takes one change per update; a document declaring several gets
 * them one after the other, each update passing the signers' live check.
 */
static void
test_several_declared(void **state)
{
	static const char *const one[] = { "Org1MSP/orderer0" };
	static const char *const swap[] = { "Org1MSP/orderer0",
	    "Org3MSP/orderer0" };
	struct taskfx *f = *state;
	json_t *doc1 = taskfx_with(f->doc, "consenters", one, 1);
	json_t *docs = taskfx_with(f->doc, "consenters", swap, 2);
	json_t *doc2 = with_two(f);
	Common__Config *live, *step, *step2, *want, *wants, *want2, *live2;
	Common__ConfigUpdate *upd;
	char *cause = NULL;

	/* Live has Org1 only; the document declares all three. */
	live = taskfx_build(doc1, f->pub, FCFG_NO_ANCHORS);
	want = taskfx_build(f->doc, f->pub, 0);
	step = desired_of(f, live, f->doc, TASKS_ADD_CONSENTER,
	    "Org2MSP/orderer0");
	assert_int_equal(n_consenters(step), 2);
	assert_null(fcfg_group(taskfx_group(step->channel_group, "Orderer"),
	    "Org3MSP"));
	upd = live_update(live, step, want, "adding the first of two");
	/* Without the live config it is refused: Org3 is not in it. */
	check_refuses(upd, want, NULL, "Org3MSP");
	/* Under a document that does not declare Org2's consenter, refused. */
	wants = taskfx_build(docs, f->pub, 0);
	check_refuses(upd, wants, live, "Org2MSP");
	fupd_free(upd);

	/* The second: the consenters are then the document's, byte for byte. */
	step2 = desired_of(f, step, f->doc, TASKS_ADD_CONSENTER,
	    "Org3MSP/orderer0");
	assert_int_equal(n_consenters(step2), 3);
	assert_only_orderer(step, step2, want, "Org3MSP");
	upd = checked_update(step, step2, want, "adding the second of two");
	fupd_free(upd);
	assert_int_equal(tasks_consenter_config(step2, f->doc, f->pub, "trade",
	    TASKS_ADD_CONSENTER, "Org2MSP/orderer0", &live2, &cause), 1);
	fcfg_free(step2);
	fcfg_free(step);

	/* Live has Org1 and Org2; the document swaps Org2 for Org3: removing
	 * Org2 first, then adding Org3, or the other way round. */
	live2 = taskfx_build(doc2, f->pub, FCFG_NO_ANCHORS);
	want2 = taskfx_build(doc2, f->pub, 0);
	step = desired_of(f, live2, docs, TASKS_REMOVE_CONSENTER,
	    "Org2MSP/orderer0");
	assert_int_equal(n_consenters(step), 1);
	upd = live_update(live2, step, wants, "removing one of a swap");
	/* Removing a consenter the document still declares is refused. */
	check_refuses(upd, want2, live2, "which the consortium still declares");
	fupd_free(upd);
	fcfg_free(step);
	step = desired_of(f, live2, docs, TASKS_ADD_CONSENTER,
	    "Org3MSP/orderer0");
	assert_int_equal(n_consenters(step), 3);
	upd = live_update(live2, step, wants, "adding one of a swap");
	/* Adding a consenter the document does not declare is refused. */
	check_refuses(upd, want2, live2, "which the consortium does not "
	    "declare");
	fupd_free(upd);
	fcfg_free(step);

	/* Not asked: a consenter the document keeps, or an unknown org. */
	refused(f, live2, docs, TASKS_REMOVE_CONSENTER, "Org1MSP/orderer0",
	    "still declares", NULL);
	refused(f, live2, f->doc, TASKS_ADD_CONSENTER, "Org9MSP/orderer0",
	    NULL, NULL);

	fcfg_free(live);
	fcfg_free(live2);
	fcfg_free(want);
	fcfg_free(wants);
	fcfg_free(want2);
	json_decref(doc1);
	json_decref(doc2);
	json_decref(docs);
}

static json_t *
join_ch(const char *node, json_t *orderers)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id",
	    "add-consenter-trade-Org1MSP.orderer1.join-orderer.Org1MSP.orderer1",
	    "type", "join-orderer", "channel", "trade", "node", node,
	    "blockFrom", "channel", "orderers", orderers);
}

/* The file NAME in DIR, which must be there. Caller frees. */
static char *
read_text(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name), *text;

	text = taskfx_read(p, NULL);
	free(p);
	return text;
}

static void
test_checks_and_rendered(void **state)
{
	static const char *const three[] = { "Org1MSP/orderer0",
	    "Org1MSP/orderer1", "Org2MSP/orderer0" };
	struct taskfx *f = *state;
	json_t *doc3 = taskfx_with(f->doc, "consenters", three, 3), *r, *t;
	char *dir, *text;
	struct task tk;

	/* The document: Org1MSP/orderer1 is a consenter, Org3 is not. */
	f->env.spec = doc3;

	/* join-orderer from the channel: its checks. */
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s]}",
	    "id", "x", "type", "join-orderer", "channel", "trade", "node", "orderer1",
	    "blockFrom", "genesis", "orderers", "Org2MSP/orderer0"), TASKS_FAILED,
	    "blockFrom can only be \"channel\""));
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", "x",
	    "type", "join-orderer", "channel", "trade", "node", "orderer1",
	    "blockFrom", "channel"), TASKS_FAILED, "needs the channel's orderers"));
	json_decref(taskfx_expect(f, join_ch("orderer1", json_pack("[s]",
	    "Org1MSP/orderer1")), TASKS_FAILED, "needs an orderer other than "
	    "Org1MSP/orderer1"));
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}",
	    "id", "x", "type", "join-orderer", "channel", "trade", "node",
	    "orderer1", "blockFrom", "channel", "block", "AA==", "orderers",
	    "Org2MSP/orderer0"), TASKS_FAILED, "either a block or blockFrom"));
	json_decref(taskfx_expect(f, join_ch("orderer1", json_pack("[s, s]",
	    "Org2MSP/orderer0", "Org2MSP/orderer0")), TASKS_FAILED,
	    "orderers[1] is orderers[0] again"));
	json_decref(taskfx_expect(f, join_ch("orderer1", json_pack("[s]", "Org2MSP")),
	    TASKS_FAILED, "orderers[0] is not an \"MSP/node\""));
	json_decref(taskfx_expect(f, join_ch("orderer1", json_pack("[]")),
	    TASKS_FAILED, "orderers must be an array of 1 to 256"));
	json_decref(taskfx_expect(f, join_ch("peer0", json_pack("[s]",
	    "Org2MSP/orderer0")), TASKS_FAILED, "is a peer, not an orderer"));
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "id", "x", "type", "join-peer", "channel", "trade", "node", "peer0",
	    "blockFrom", "channel", "block", "AA==", "blockSha256", "00"),
	    TASKS_FAILED, "blockFrom is for join-orderer only"));

	/* Rendered: the script fetches the block from Org2's orderer (the
	 * first of the orderers that is not the node), then joins. */
	r = taskfx_expect(f, join_ch("orderer1", json_pack("[s, s]",
	    "Org1MSP/orderer1", "Org2MSP/orderer0")), TASKS_RENDERED,
	    "fetches the channel's newest config block from Org2MSP/orderer0 "
	    "first");
	dir = xasprintf("%s/channels/trade", f->out);
	text = read_text(dir, "join-orderer1.sh");
	assert_non_null(strstr(text, "peer channel fetch config"));
	assert_non_null(strstr(text, "ORDERER_ADDRESS:-orderer0.org2.example.com:7050"));
	assert_non_null(strstr(text, "$here/tlsroots-Org2MSP.pem"));
	assert_non_null(strstr(text, "osnadmin channel join --channelID trade"));
	assert_null(strstr(text, "PRIVATE KEY"));
	free(text);
	text = read_text(dir, "tlsroots-Org2MSP.pem");
	assert_non_null(strstr(text, "BEGIN CERTIFICATE"));
	free(text);
	json_decref(r);

	/* leave-orderer: an orderer of this org that is no consenter. */
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:s}", "id", "x",
	    "type", "leave-orderer", "channel", "trade", "node", "orderer1"),
	    TASKS_FAILED, "Org1MSP/orderer1 is still a consenter of channel "
	    "trade"));
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:s}", "id", "x",
	    "type", "leave-orderer", "channel", "trade", "node", "peer0"),
	    TASKS_FAILED,
	    "is a peer, not an orderer"));
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s}", "id", "x", "type",
	    "leave-orderer", "channel", "trade"), TASKS_FAILED, "needs a node"));
	f->env.spec = f->doc;	/* orderer1 is no consenter there */
	r = taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:s}", "id", "x", "type",
	    "leave-orderer", "channel", "trade", "node", "orderer1"),
	    TASKS_RENDERED, "taking orderer1 off trade");
	text = read_text(dir, "leave-orderer1.sh");
	assert_non_null(strstr(text, "osnadmin channel remove --channelID trade"));
	free(text);
	json_decref(r);

	/* update-prepare of a consenter change: declared or not. */
	f->env.spec = doc3;
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:{s:s}}", "id", "x",
	    "type", "update-prepare", "channel", "trade", "change",
	    "addConsenter", "Org3MSP/orderer0"), TASKS_FAILED, "does not declare "
	    "Org3MSP/orderer0 a consenter of channel trade"));
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:{s:s}, s:[s]}", "id",
	    "x", "type", "update-prepare", "channel", "trade", "change",
	    "addConsenter", "Org1MSP/orderer1", "orderers", "Org1MSP/orderer0"),
	    TASKS_RENDERED, "adding consenter Org1MSP/orderer1"));
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:{s:s}}", "id", "x",
	    "type", "update-prepare", "channel", "trade", "change",
	    "removeConsenter", "Org1MSP/orderer1"), TASKS_FAILED, "still "
	    "declares Org1MSP/orderer1 a consenter"));
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:{s:s}, s:s}", "id",
	    "x", "type", "update-prepare", "channel", "trade", "change",
	    "addConsenter", "Org1MSP/orderer1", "orderers", "x"),
	    TASKS_FAILED, "orderers must be an array"));

	/* Who waits for the signer. */
	taskfx_needs_signer("leave-orderer", NULL, "process manifests");
	taskfx_needs_signer("join-orderer", "process", "kubernetes");

	/* A task without orderers is checked as before. */
	t = json_pack("{s:s, s:s, s:s}", "id", "x", "type", "anchor-peers",
	    "channel", "trade");
	assert_null(tasks_check(&f->env, t, &tk));
	assert_null(tk.orderers);
	tasks_task_clear(&tk);
	json_decref(t);

	f->env.spec = f->doc;
	free(dir);
	json_decref(doc3);
}

/*
 * TASK (taken) passes tasks_check in F's environment (its from_channel
 * FROM_CHANNEL unless -1) and tasks_pick_orderer picks WANT, filling G:
 * the host picked (caller frees).
 */
static char *
picks(const struct taskfx *f, json_t *task, int from_channel,
    const char *want, struct grpc_target *g)
{
	struct task tk;
	char *host = NULL, *ca = NULL, *which = NULL, *cause = NULL;

	assert_null(tasks_check(&f->env, task, &tk));
	if (from_channel != -1)
		assert_int_equal(tk.from_channel, from_channel);
	memset(g, 0, sizeof(*g));
	assert_int_equal(tasks_pick_orderer(&f->env, &tk, g, &host, &ca, &which,
	    &cause), 0);
	assert_string_equal(which, want);
	free(ca);
	free(which);
	tasks_task_clear(&tk);
	json_decref(task);
	return host;
}

/* tasks_pick_orderer: among the task's orderers when it has them. */
static void
test_pick(void **state)
{
	struct taskfx *f = *state;
	json_t *doc2 = with_two(f), *t;
	struct grpc_target g;
	struct task tk;
	char *host = NULL, *ca = NULL, *which = NULL, *cause = NULL;

	f->env.spec = doc2;
	/* Without orderers: the document's consenters (Org1's own cannot be
	 * reached under manifests, so Org2's). */
	host = picks(f, json_pack("{s:s, s:s, s:s}", "id", "x", "type",
	    "anchor-peers", "channel", "trade"), -1, "Org2MSP/orderer0", &g);
	assert_string_equal(host, "orderer0.org2.example.com");
	assert_int_equal(g.port, 7050);
	free(host);

	/* With orderers: only those, even one the document no longer lists. */
	free(picks(f, json_pack("{s:s, s:s, s:s, s:{s:s}, s:[s]}", "id", "x",
	    "type", "update-prepare", "channel", "trade", "change",
	    "removeConsenter", "Org3MSP/orderer0", "orderers", "Org3MSP/orderer0"),
	    -1, "Org3MSP/orderer0", &g));

	/* A join-orderer never picks its own node. */
	f->env.spec = f->doc;
	free(picks(f, json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s, s]}", "id", "x",
	    "type", "join-orderer", "channel", "trade", "node", "orderer0",
	    "blockFrom", "channel", "orderers", "Org1MSP/orderer0",
	    "Org3MSP/orderer0"), 1, "Org3MSP/orderer0", &g));

	/* None reachable among them: said so. */
	t = json_pack("{s:s, s:s, s:s, s:{s:s}, s:[s]}", "id", "x", "type",
	    "update-prepare", "channel", "trade", "change", "addConsenter",
	    "Org3MSP/orderer0", "orderers", "Org9MSP/orderer0");
	assert_null(tasks_check(&f->env, t, &tk));
	memset(&g, 0, sizeof(g));
	assert_int_equal(tasks_pick_orderer(&f->env, &tk, &g, &host, &ca, &which,
	    &cause), -1);
	assert_non_null(strstr(cause, "among the task's orderers"));
	free(cause);
	tasks_task_clear(&tk);
	json_decref(t);
	json_decref(doc2);
}

/* update-submit's shape check: an Orderer write without ConsensusType is
 * neither an org nor a consenter update. */
static void
test_applied_shape(void **state)
{
	struct taskfx *f = *state;
	json_t *doc = json_deep_copy(f->doc), *c;
	Common__Config *live, *other;

	live = taskfx_build(f->doc, f->pub, FCFG_NO_ANCHORS);
	c = json_array_get(json_object_get(json_object_get(doc, "spec"),
	    "channels"), 0);
	json_object_set_new(json_object_get(c, "batch"), "timeout",
	    json_string("7s"));
	other = taskfx_build(doc, f->pub, FCFG_NO_ANCHORS);
	taskfx_not_submits(live, other, "add-consenter and remove-consenter");
	fcfg_free(live);
	fcfg_free(other);
	json_decref(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_change_parse),
		cmocka_unit_test(test_add_consenter),
		cmocka_unit_test(test_remove_consenter),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_several_declared),
		cmocka_unit_test(test_checks_and_rendered),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_applied_shape),
	};

	return cmocka_run_group_tests(tests, setup, taskfx_teardown);
}
