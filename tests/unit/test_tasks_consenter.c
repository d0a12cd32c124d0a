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

static const char *const orgs3[] = { "Org1MSP", "Org2MSP", "Org3MSP" };

struct fx {
	char dir[64];
	json_t *doc, *pub;
	char *pkidir, *out;
	struct runtime *rt;
	struct tasks_env env;
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char *cause = NULL;

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_tasks_consenter.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	if ((f->doc = fixture_load_string(topo_json, sizeof(topo_json) - 1,
	    "the test's consortium")) == NULL) {
		(void)rmdir(f->dir);
		free(f);
		return -1;
	}
	if ((f->pub = fixture_publish_all(f->doc, orgs3, 3, f->dir, NULL,
	    &cause)) == NULL)
		fail_msg("%s", cause);
	f->pkidir = xasprintf("%s/Org1MSP", f->dir);
	f->out = xasprintf("%s/out", f->dir);
	f->rt = rt_manifests_new(f->out);
	f->env.rt = f->rt;
	f->env.mspid = "Org1MSP";
	f->env.domain = "org1.example.com";
	f->env.pkidir = f->pkidir;
	f->env.spec = f->doc;
	f->env.orgs = f->pub;
	f->env.signer_url = "ipc:///nonexistent/signer.sock";
	f->env.outdir = f->out;
	f->env.statedir = f->dir;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	if (f == NULL)
		return 0;
	(void)fixture_rmtree(f->dir);
	runtime_free(f->rt);
	json_decref(f->doc);
	json_decref(f->pub);
	free(f->pkidir);
	free(f->out);
	free(f);
	return 0;
}

/* The document with trade's consenters replaced by CONS. */
static json_t *
with_consenters(const json_t *doc, const char *const *cons, size_t n)
{
	json_t *copy = json_deep_copy(doc), *arr = json_array(), *c;
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(cons[i]));
	c = json_array_get(json_object_get(json_object_get(copy, "spec"),
	    "channels"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "name")),
	    "trade");
	json_object_set_new(c, "consenters", arr);
	return copy;
}

static Common__Config *
build(const json_t *doc, const json_t *pub, unsigned flags)
{
	Common__Config *c;
	char *cause = NULL;

	if ((c = fcfg_build_flags(doc, "trade", pub, flags, &cause)) == NULL)
		fail_msg("fcfg_build: %s", cause);
	return c;
}

static Common__ConfigGroup *
sub(const Common__ConfigGroup *g, const char *key)
{
	Common__ConfigGroup *s;

	assert_non_null(g);
	s = fcfg_group(g, key);
	if (s == NULL)
		fail_msg("no group %s", key);
	return s;
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
			    &sub(dc, lc->groups[i]->key)->base));
	assert_int_equal(lc->n_values, dc->n_values);
	assert_int_equal(lc->n_policies, dc->n_policies);
	lo = sub(lc, "Orderer");
	dor = sub(dc, "Orderer");
	assert_true(bytes_equal(&fcfg_value(dor, "ConsensusType")->base,
	    &fcfg_value(sub(want->channel_group, "Orderer"),
	    "ConsensusType")->base));
	for (i = 0; i < lo->n_values; i++)
		if (strcmp(lo->values[i]->key, "ConsensusType") != 0)
			assert_true(bytes_equal(&lo->values[i]->value->base,
			    &fcfg_value(dor, lo->values[i]->key)->base));
	for (i = 0; i < lo->n_groups; i++)
		if (strcmp(lo->groups[i]->key, msp) != 0)
			assert_true(bytes_equal(&lo->groups[i]->value->base,
			    &sub(dor, lo->groups[i]->key)->base));
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

/* Adding Org3MSP/orderer0 (a new orderer org) to trade of Org1 and Org2. */
static void
test_add_consenter(void **state)
{
	static const char *const two[] = { "Org1MSP/orderer0",
	    "Org2MSP/orderer0" };
	struct fx *f = *state;
	json_t *doc2 = with_consenters(f->doc, two, 2);
	Common__Config *live, *want, *want2, *desired = NULL, *none = NULL;
	Common__ConfigUpdate *upd;
	char *cause = NULL, *what = NULL;

	live = build(doc2, f->pub, FCFG_NO_ANCHORS);
	want = build(f->doc, f->pub, 0);
	want2 = build(doc2, f->pub, 0);
	assert_int_equal(tasks_consenter_config(live, f->doc, f->pub, "trade",
	    TASKS_ADD_CONSENTER, "Org3MSP/orderer0", &desired, &cause), 0);
	assert_non_null(desired);
	assert_null(fcfg_group(sub(live->channel_group, "Orderer"), "Org3MSP"));
	assert_true(bytes_equal(&sub(sub(desired->channel_group, "Orderer"),
	    "Org3MSP")->base, &sub(sub(want->channel_group, "Orderer"),
	    "Org3MSP")->base));
	assert_only_orderer(live, desired, want, "Org3MSP");
	assert_int_equal(n_consenters(live), 2);
	assert_int_equal(n_consenters(desired), 3);

	/* The update passes the signers' check against this document, and
	 * is refused against one that does not declare Org3MSP/orderer0. */
	upd = fupd_compute(live, desired, "trade", &cause);
	if (upd == NULL)
		fail_msg("%s", cause);
	if (fupd_check(upd, want, &cause) != 0)
		fail_msg("fupd_check refused the update adding a consenter: %s",
		    cause);
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
	assert_int_equal(tasks_consenter_config(live, doc2, f->pub, "trade",
	    TASKS_ADD_CONSENTER, "Org3MSP/orderer0", &none, &cause), -1);
	assert_non_null(strstr(cause, "does not declare Org3MSP/orderer0 a "
	    "consenter"));
	free(cause);
	cause = NULL;
	assert_int_equal(tasks_consenter_config(live, f->doc, f->pub, "trade",
	    TASKS_REMOVE_CONSENTER, "Org3MSP/orderer0", &none, &cause), -1);
	assert_non_null(strstr(cause, "still declares"));
	free(cause);
	cause = NULL;

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
	static const char *const two[] = { "Org1MSP/orderer0",
	    "Org2MSP/orderer0" };
	struct fx *f = *state;
	json_t *doc2 = with_consenters(f->doc, two, 2);
	Common__Config *live, *want2, *desired = NULL, *none = NULL;
	Common__ConfigUpdate *upd;
	char *cause = NULL, *what = NULL;

	live = build(f->doc, f->pub, FCFG_NO_ANCHORS);
	want2 = build(doc2, f->pub, 0);
	assert_int_equal(tasks_consenter_config(live, doc2, f->pub, "trade",
	    TASKS_REMOVE_CONSENTER, "Org3MSP/orderer0", &desired, &cause), 0);
	assert_null(fcfg_group(sub(desired->channel_group, "Orderer"),
	    "Org3MSP"));
	assert_only_orderer(live, desired, want2, "Org3MSP");
	assert_int_equal(n_consenters(desired), 2);
	upd = fupd_compute(live, desired, "trade", &cause);
	assert_non_null(upd);
	if (fupd_check(upd, want2, &cause) != 0)
		fail_msg("fupd_check refused the update removing a consenter: "
		    "%s", cause);
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
	static const char *const two[] = { "Org1MSP/orderer0",
	    "Org2MSP/orderer0" };
	static const char *const three[] = { "Org1MSP/orderer0",
	    "Org1MSP/orderer1", "Org2MSP/orderer0" };
	struct fx *f = *state;
	json_t *doc2 = with_consenters(f->doc, two, 2);
	json_t *doc3 = with_consenters(f->doc, three, 3);
	Common__Config *live, *want3, *desired = NULL, *back = NULL;
	Common__ConfigUpdate *upd;
	const Common__ConfigGroup *lo, *dor;
	char *cause = NULL, *what = NULL;
	size_t i;

	live = build(doc2, f->pub, FCFG_NO_ANCHORS);
	want3 = build(doc3, f->pub, 0);
	assert_int_equal(tasks_consenter_config(live, doc3, f->pub, "trade",
	    TASKS_ADD_CONSENTER, "Org1MSP/orderer1", &desired, &cause), 0);
	assert_only_orderer(live, desired, want3, "Org1MSP");
	lo = sub(sub(live->channel_group, "Orderer"), "Org1MSP");
	dor = sub(sub(desired->channel_group, "Orderer"), "Org1MSP");
	assert_false(bytes_equal(&fcfg_value(lo, "Endpoints")->base,
	    &fcfg_value(dor, "Endpoints")->base));
	assert_true(bytes_equal(&fcfg_value(dor, "Endpoints")->base,
	    &fcfg_value(sub(sub(want3->channel_group, "Orderer"), "Org1MSP"),
	    "Endpoints")->base));
	/* Everything else of Org1MSP's orderer group is the live one's. */
	for (i = 0; i < lo->n_values; i++)
		if (strcmp(lo->values[i]->key, "Endpoints") != 0)
			assert_true(bytes_equal(&lo->values[i]->value->base,
			    &fcfg_value(dor, lo->values[i]->key)->base));
	upd = fupd_compute(live, desired, "trade", &cause);
	assert_non_null(upd);
	if (fupd_check(upd, want3, &cause) != 0)
		fail_msg("fupd_check refused the endpoints update: %s", cause);
	assert_int_equal(tasks_update_applied(upd, live, &what, &cause), 0);
	assert_non_null(strstr(what, "sets the orderer endpoints of Org1MSP"));
	free(what);
	assert_int_equal(tasks_update_applied(upd, desired, NULL, &cause), 1);
	fupd_free(upd);

	/* And back: removing orderer1 keeps Org1MSP's group. */
	assert_int_equal(tasks_consenter_config(desired, doc2, f->pub, "trade",
	    TASKS_REMOVE_CONSENTER, "Org1MSP/orderer1", &back, &cause), 0);
	assert_non_null(fcfg_group(sub(back->channel_group, "Orderer"),
	    "Org1MSP"));
	assert_int_equal(n_consenters(back), 2);
	fcfg_free(back);
	fcfg_free(desired);
	fcfg_free(live);
	fcfg_free(want3);
	json_decref(doc2);
	json_decref(doc3);
}

/* Raft takes one change at a time. */
static void
test_one_at_a_time(void **state)
{
	static const char *const one[] = { "Org1MSP/orderer0" };
	static const char *const swap[] = { "Org1MSP/orderer0",
	    "Org3MSP/orderer0" };
	static const char *const two[] = { "Org1MSP/orderer0",
	    "Org2MSP/orderer0" };
	struct fx *f = *state;
	json_t *doc1 = with_consenters(f->doc, one, 1);
	json_t *docs = with_consenters(f->doc, swap, 2);
	Common__Config *live, *live2, *none = NULL;
	char *cause = NULL;

	/* Live has Org1 only; the document declares all three. */
	live = build(doc1, f->pub, FCFG_NO_ANCHORS);
	assert_int_equal(tasks_consenter_config(live, f->doc, f->pub, "trade",
	    TASKS_ADD_CONSENTER, "Org2MSP/orderer0", &none, &cause), -1);
	assert_null(none);
	assert_non_null(strstr(cause, "the document changes 2 consenters of "
	    "trade at once"));
	assert_non_null(strstr(cause, "Raft takes one at a time: declare one "
	    "change, apply, wait, then the next"));
	free(cause);
	cause = NULL;

	/* Live has Org1 and Org2; the document swaps Org2 for Org3. */
	json_decref(doc1);
	doc1 = with_consenters(f->doc, two, 2);
	live2 = build(doc1, f->pub, FCFG_NO_ANCHORS);
	assert_int_equal(tasks_consenter_config(live2, docs, f->pub, "trade",
	    TASKS_REMOVE_CONSENTER, "Org2MSP/orderer0", &none, &cause), -1);
	assert_non_null(strstr(cause, "changes 2 consenters"));
	free(cause);
	cause = NULL;
	/* An org the document does not know as an orderer. */
	assert_int_equal(tasks_consenter_config(live2, f->doc, f->pub, "trade",
	    TASKS_ADD_CONSENTER, "Org9MSP/orderer0", &none, &cause), -1);
	free(cause);

	fcfg_free(live);
	fcfg_free(live2);
	json_decref(doc1);
	json_decref(docs);
}

/* Runs the task; checks the state and that the message has WANT. */
static json_t *
expect(const struct fx *f, json_t *task, const char *state, const char *want)
{
	json_t *r = NULL;
	const char *msg;

	assert_int_equal(tasks_run(&f->env, task, &r), 0);
	assert_non_null(r);
	msg = json_string_value(json_object_get(r, "message"));
	assert_non_null(msg);
	if (strcmp(json_string_value(json_object_get(r, "state")), state) != 0 ||
	    strstr(msg, want) == NULL)
		fail_msg("wanted %s with \"%s\", got %s: %s", state, want,
		    json_string_value(json_object_get(r, "state")), msg);
	assert_true(strlen(msg) <= TASKS_MAX_MESSAGE);
	json_decref(task);
	return r;
}

static json_t *
join_ch(const char *node, json_t *orderers)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id",
	    "add-consenter-trade-Org1MSP.orderer1.join-orderer.Org1MSP.orderer1",
	    "type", "join-orderer", "channel", "trade", "node", node,
	    "blockFrom", "channel", "orderers", orderers);
}

static char *
read_text(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name), *cause = NULL, *text;

	text = fixture_read_file(p, 1 << 20, NULL, &cause);
	if (text == NULL)
		fail_msg("%s", cause);
	free(p);
	return text;
}

static void
test_checks_and_rendered(void **state)
{
	static const char *const three[] = { "Org1MSP/orderer0",
	    "Org1MSP/orderer1", "Org2MSP/orderer0" };
	struct fx *f = *state;
	json_t *doc3 = with_consenters(f->doc, three, 3), *r, *t;
	char *dir, *text;
	struct task tk;

	/* The document: Org1MSP/orderer1 is a consenter, Org3 is not. */
	f->env.spec = doc3;

	/* join-orderer from the channel: its checks. */
	json_decref(expect(f, json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s]}", "id",
	    "x", "type", "join-orderer", "channel", "trade", "node", "orderer1",
	    "blockFrom", "genesis", "orderers", "Org2MSP/orderer0"), TASKS_FAILED,
	    "blockFrom can only be \"channel\""));
	json_decref(expect(f, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", "x",
	    "type", "join-orderer", "channel", "trade", "node", "orderer1",
	    "blockFrom", "channel"), TASKS_FAILED, "needs the channel's orderers"));
	json_decref(expect(f, join_ch("orderer1", json_pack("[s]",
	    "Org1MSP/orderer1")), TASKS_FAILED, "needs an orderer other than "
	    "Org1MSP/orderer1"));
	json_decref(expect(f, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}",
	    "id", "x", "type", "join-orderer", "channel", "trade", "node",
	    "orderer1", "blockFrom", "channel", "block", "AA==", "orderers",
	    "Org2MSP/orderer0"), TASKS_FAILED, "either a block or blockFrom"));
	json_decref(expect(f, join_ch("orderer1", json_pack("[s, s]",
	    "Org2MSP/orderer0", "Org2MSP/orderer0")), TASKS_FAILED,
	    "orderers[1] is orderers[0] again"));
	json_decref(expect(f, join_ch("orderer1", json_pack("[s]", "Org2MSP")),
	    TASKS_FAILED, "orderers[0] is not an \"MSP/node\""));
	json_decref(expect(f, join_ch("orderer1", json_pack("[]")), TASKS_FAILED,
	    "orderers must be an array of 1 to 256"));
	json_decref(expect(f, join_ch("peer0", json_pack("[s]",
	    "Org2MSP/orderer0")), TASKS_FAILED, "is a peer, not an orderer"));
	json_decref(expect(f, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "id", "x", "type", "join-peer", "channel", "trade", "node", "peer0",
	    "blockFrom", "channel", "block", "AA==", "blockSha256", "00"),
	    TASKS_FAILED, "blockFrom is for join-orderer only"));

	/* Rendered: the script fetches the block from Org2's orderer (the
	 * first of the orderers that is not the node), then joins. */
	r = expect(f, join_ch("orderer1", json_pack("[s, s]", "Org1MSP/orderer1",
	    "Org2MSP/orderer0")), TASKS_RENDERED, "fetches the channel's newest "
	    "config block from Org2MSP/orderer0 first");
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
	json_decref(expect(f, json_pack("{s:s, s:s, s:s, s:s}", "id", "x", "type",
	    "leave-orderer", "channel", "trade", "node", "orderer1"),
	    TASKS_FAILED, "Org1MSP/orderer1 is still a consenter of channel "
	    "trade"));
	json_decref(expect(f, json_pack("{s:s, s:s, s:s, s:s}", "id", "x", "type",
	    "leave-orderer", "channel", "trade", "node", "peer0"), TASKS_FAILED,
	    "is a peer, not an orderer"));
	json_decref(expect(f, json_pack("{s:s, s:s, s:s}", "id", "x", "type",
	    "leave-orderer", "channel", "trade"), TASKS_FAILED, "needs a node"));
	f->env.spec = f->doc;	/* orderer1 is no consenter there */
	r = expect(f, json_pack("{s:s, s:s, s:s, s:s}", "id", "x", "type",
	    "leave-orderer", "channel", "trade", "node", "orderer1"),
	    TASKS_RENDERED, "taking orderer1 off trade");
	text = read_text(dir, "leave-orderer1.sh");
	assert_non_null(strstr(text, "osnadmin channel remove --channelID trade"));
	free(text);
	json_decref(r);

	/* update-prepare of a consenter change: declared or not. */
	f->env.spec = doc3;
	json_decref(expect(f, json_pack("{s:s, s:s, s:s, s:{s:s}}", "id", "x",
	    "type", "update-prepare", "channel", "trade", "change",
	    "addConsenter", "Org3MSP/orderer0"), TASKS_FAILED, "does not declare "
	    "Org3MSP/orderer0 a consenter of channel trade"));
	json_decref(expect(f, json_pack("{s:s, s:s, s:s, s:{s:s}, s:[s]}", "id",
	    "x", "type", "update-prepare", "channel", "trade", "change",
	    "addConsenter", "Org1MSP/orderer1", "orderers", "Org1MSP/orderer0"),
	    TASKS_RENDERED, "adding consenter Org1MSP/orderer1"));
	json_decref(expect(f, json_pack("{s:s, s:s, s:s, s:{s:s}}", "id", "x",
	    "type", "update-prepare", "channel", "trade", "change",
	    "removeConsenter", "Org1MSP/orderer1"), TASKS_FAILED, "still "
	    "declares Org1MSP/orderer1 a consenter"));
	json_decref(expect(f, json_pack("{s:s, s:s, s:s, s:{s:s}, s:s}", "id",
	    "x", "type", "update-prepare", "channel", "trade", "change",
	    "addConsenter", "Org1MSP/orderer1", "orderers", "x"),
	    TASKS_FAILED, "orderers must be an array"));

	/* Who waits for the signer. */
	t = json_pack("{s:s}", "type", "leave-orderer");
	assert_false(tasks_needs_signer("process", t));
	assert_false(tasks_needs_signer("manifests", t));
	json_object_set_new(t, "type", json_string("join-orderer"));
	assert_true(tasks_needs_signer("process", t));
	assert_false(tasks_needs_signer("kubernetes", t));
	json_decref(t);

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

/* tasks_pick_orderer: among the task's orderers when it has them. */
static void
test_pick(void **state)
{
	static const char *const two[] = { "Org1MSP/orderer0",
	    "Org2MSP/orderer0" };
	struct fx *f = *state;
	json_t *doc2 = with_consenters(f->doc, two, 2), *t;
	struct grpc_target g;
	struct task tk;
	char *host = NULL, *ca = NULL, *which = NULL, *cause = NULL;

	f->env.spec = doc2;
	/* Without orderers: the document's consenters (Org1's own cannot be
	 * reached under manifests, so Org2's). */
	t = json_pack("{s:s, s:s, s:s}", "id", "x", "type", "anchor-peers",
	    "channel", "trade");
	assert_null(tasks_check(&f->env, t, &tk));
	memset(&g, 0, sizeof(g));
	assert_int_equal(tasks_pick_orderer(&f->env, &tk, &g, &host, &ca, &which,
	    &cause), 0);
	assert_string_equal(which, "Org2MSP/orderer0");
	assert_string_equal(host, "orderer0.org2.example.com");
	assert_int_equal(g.port, 7050);
	free(host);
	free(ca);
	free(which);
	tasks_task_clear(&tk);
	json_decref(t);

	/* With orderers: only those, even one the document no longer lists. */
	t = json_pack("{s:s, s:s, s:s, s:{s:s}, s:[s]}", "id", "x", "type",
	    "update-prepare", "channel", "trade", "change", "removeConsenter",
	    "Org3MSP/orderer0", "orderers", "Org3MSP/orderer0");
	assert_null(tasks_check(&f->env, t, &tk));
	assert_int_equal(tasks_pick_orderer(&f->env, &tk, &g, &host, &ca, &which,
	    &cause), 0);
	assert_string_equal(which, "Org3MSP/orderer0");
	free(host);
	free(ca);
	free(which);
	tasks_task_clear(&tk);
	json_decref(t);

	/* A join-orderer never picks its own node. */
	f->env.spec = f->doc;
	t = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s, s]}", "id", "x", "type",
	    "join-orderer", "channel", "trade", "node", "orderer0", "blockFrom",
	    "channel", "orderers", "Org1MSP/orderer0", "Org3MSP/orderer0");
	assert_null(tasks_check(&f->env, t, &tk));
	assert_int_equal(tk.from_channel, 1);
	assert_int_equal(tasks_pick_orderer(&f->env, &tk, &g, &host, &ca, &which,
	    &cause), 0);
	assert_string_equal(which, "Org3MSP/orderer0");
	free(host);
	free(ca);
	free(which);
	tasks_task_clear(&tk);
	json_decref(t);

	/* None reachable among them: said so. */
	t = json_pack("{s:s, s:s, s:s, s:{s:s}, s:[s]}", "id", "x", "type",
	    "update-prepare", "channel", "trade", "change", "addConsenter",
	    "Org3MSP/orderer0", "orderers", "Org9MSP/orderer0");
	assert_null(tasks_check(&f->env, t, &tk));
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
	struct fx *f = *state;
	json_t *doc = json_deep_copy(f->doc), *c;
	Common__Config *live, *other;
	Common__ConfigUpdate *upd;
	char *cause = NULL;

	live = build(f->doc, f->pub, FCFG_NO_ANCHORS);
	c = json_array_get(json_object_get(json_object_get(doc, "spec"),
	    "channels"), 0);
	json_object_set_new(json_object_get(c, "batch"), "timeout",
	    json_string("7s"));
	other = build(doc, f->pub, FCFG_NO_ANCHORS);
	upd = fupd_compute(live, other, "trade", &cause);
	assert_non_null(upd);
	assert_int_equal(tasks_update_applied(upd, live, NULL, &cause), -1);
	assert_non_null(strstr(cause, "add-consenter and remove-consenter"));
	free(cause);
	fupd_free(upd);
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
		cmocka_unit_test(test_one_at_a_time),
		cmocka_unit_test(test_checks_and_rendered),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_applied_shape),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
