/*
 * test_wf_consenter.c: the add-consenter and remove-consenter workflows'
 * state machine (controller/wf_update_org.c, docs/workflows.md "Adding and
 * removing consenters"), driven step by step with stored results as the
 * agents would leave them, and which change a channel runs next.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "workflow.h"
#include "wfx.h"
#include "xmalloc.h"

static const char doc_yaml[] =
    WFX_DOC_HEAD
    "    - mspId: Org1MSP\n"
    "      domain: org1.example.com\n"
    "      cluster: {name: c1, region: r1}\n"
    "      peers: [{name: peer0, endpoint: \"p1.example.com:7051\", anchor: true}]\n"
    "      orderers:\n"
    "        - {name: orderer0, endpoint: \"o1.example.com:7050\"}\n"
    "        - {name: orderer1, endpoint: \"o1b.example.com:7050\"}\n"
    "    - mspId: Org2MSP\n"
    "      domain: org2.example.com\n"
    "      cluster: {name: c2, region: r2}\n"
    "      peers: [{name: peer0, endpoint: \"p2.example.com:7051\", anchor: true}]\n"
    "      orderers: [{name: orderer0, endpoint: \"o2.example.com:7050\"}]\n"
    "    - mspId: Org3MSP\n"
    "      domain: org3.example.com\n"
    "      cluster: {name: c3, region: r3}\n"
    "      peers: [{name: peer0, endpoint: \"p3.example.com:7051\", anchor: true}]\n"
    "      orderers: [{name: orderer0, endpoint: \"o3.example.com:7050\"}]\n"
    "    - mspId: Org4MSP\n"
    "      domain: org4.example.com\n"
    "      cluster: {name: c4, region: r4}\n"
    "      orderers: [{name: orderer0, endpoint: \"o4.example.com:7050\"}]\n"
    "  channels:\n"
    "    - name: trade\n"
    "      consenters: [%s]\n"
    "      members: [%s]\n";

#define ADD      "add-consenter-trade-Org4MSP.orderer0"
#define REM      "remove-consenter-trade-Org1MSP.orderer1"

static json_t *
load_doc(const char *consenters, const char *members)
{
	json_t *t = wfx_doc(doc_yaml, consenters, members);

	assert_non_null(t);
	return t;
}

static int
setup(void **state)
{
	struct wfx *f = xcalloc(1, sizeof(*f));

	f->published = wfx_published(4, "orderers");
	f->live = wfx_live(4);
	f->members = json_pack("[s, s, s]", "Org1MSP", "Org2MSP", "Org3MSP");
	f->consenters = json_pack("[s, s, s, s]", "Org1MSP/orderer0",
	    "Org1MSP/orderer1", "Org2MSP/orderer0", "Org3MSP/orderer0");
	f->prepared = wfx_prepared("trade", 5);
	assert_non_null(f->prepared);
	*state = f;
	return 0;
}

/* RESULTS[ID]: STATE (its message too), with DETAIL (taken, may be NULL). */
static void
result(json_t *results, const char *id, const char *state, json_t *detail)
{
	wfx_result(results, id, state, state, detail);
}

/*
 * One run of a change through its steps: the document, the record, the
 * results stored, the update stored, and the scratch list of open tasks.
 */
struct run {
	json_t *topo, *rec, *results, *upd, *tasks;
};

static void
run_open(struct run *r, const char *consenters, const char *members)
{
	r->topo = load_doc(consenters, members);
	r->rec = NULL;
	r->results = json_object();
	r->upd = NULL;
	r->tasks = json_array();
}

static void
run_close(struct run *r)
{
	json_decref(r->rec);
	json_decref(r->upd);
	json_decref(r->results);
	json_decref(r->tasks);
	json_decref(r->topo);
}

/*
 * One step: evaluates R's record (NULL: a new TYPE of SUBJECT) against its
 * document and results, stores a prepared update as workflow.c would, and
 * gives the new record (in R) and OUT.
 */
static void
step(struct wfx *f, struct run *r, const char *type, const char *subject,
    struct wf_output *out)
{
	struct wf_input in;
	char *cause = NULL;

	memset(&in, 0, sizeof(in));
	in.record = r->rec;
	in.topo = r->topo;
	in.channel = "trade";
	in.orgs = f->published;
	in.live = f->live;
	in.results = r->results;
	in.type = type;
	in.org = subject;
	in.members = f->members;
	in.consenters = f->consenters;
	in.update = r->upd;
	in.now = 1795430100;
	assert_int_equal(wf_update_org_step(&in, out, &cause), 0);
	assert_non_null(out->record);
	if (out->store_update != NULL) {
		json_decref(r->upd);
		r->upd = json_incref(out->store_update);
	}
	json_decref(r->rec);
	r->rec = json_incref(out->record);
}

static void
out_clear(struct wf_output *out)
{
	json_decref(out->record);
	json_decref(out->store_update);
	json_decref(out->members);
	json_decref(out->consenters);
	memset(out, 0, sizeof(*out));
}

/* R's RESULTS[ID]: a done update-sign with its signature. */
static void
signed_result(struct run *r, const char *id)
{
	result(r->results, id, "done", json_pack("{s:s, s:s}",
	    "signatureHeader", "aGVhZGVy", "signature", "c2ln"));
}

/* One step of R (a new TYPE of SUBJECT when it has no record yet), its
 * output cleared. */
static void
advance(struct wfx *f, struct run *r, const char *type, const char *subject)
{
	struct wf_output out;

	step(f, r, type, subject, &out);
	out_clear(&out);
}

/* The open task of MSP in R's record whose type is TYPE, or NULL (R's
 * tasks keep it). */
static const json_t *
open_task(struct run *r, const char *msp, const char *type)
{
	const json_t *t;
	size_t i;

	json_array_clear(r->tasks);
	wf_open_tasks(r->rec, msp, r->results, NULL, r->tasks);
	json_array_foreach(r->tasks, i, t)
		if (strcmp(wfx_sget(t, "type"), type) == 0)
			return t;
	return NULL;
}

/*
 * wf_update_org_next over TOPO, MEMBERS, CONS and RECORDS returns WANT; 1
 * with TYPE, SUBJECT and ID as given (each checked unless NULL), 0 with
 * nothing.
 */
static void
next_is(const json_t *topo, const json_t *members, const json_t *cons,
    const json_t *records, int want, const char *wtype, const char *wsubject,
    const char *wid)
{
	char *type = NULL, *subject = NULL, *id = NULL;

	assert_int_equal(wf_update_org_next(topo, "trade", members, cons,
	    records, &type, &subject, &id), want);
	if (want == 0) {
		assert_null(type);
		assert_null(id);
	}
	if (wtype != NULL)
		assert_string_equal(type, wtype);
	if (wsubject != NULL)
		assert_string_equal(subject, wsubject);
	if (wid != NULL)
		assert_string_equal(id, wid);
	free(type);
	free(subject);
	free(id);
}

static void
t_next_order(void **state)
{
	struct wfx *f = *state;
	json_t *topo, *records = json_object(), *members = json_deep_copy(f->members);
	json_t *cons = json_deep_copy(f->consenters);

	/* Org4's orderer to add, Org1's orderer1 to remove, Org4 to add as a
	 * member: add-org first, then add-consenter, then remove-consenter. */
	topo = load_doc("Org1MSP/orderer0, Org2MSP/orderer0, Org3MSP/orderer0, "
	    "Org4MSP/orderer0", "Org1MSP, Org2MSP, Org3MSP, Org4MSP");
	next_is(topo, members, cons, records, 1, "add-org", "Org4MSP", NULL);
	/* Once Org4MSP is a member: */
	json_array_append_new(members, json_string("Org4MSP"));
	next_is(topo, members, cons, records, 1, "add-consenter",
	    "Org4MSP/orderer0", NULL);
	/* Once Org4MSP/orderer0 is a consenter: */
	json_array_append_new(cons, json_string("Org4MSP/orderer0"));
	next_is(topo, members, cons, records, 1, "remove-consenter",
	    "Org1MSP/orderer1", NULL);
	/* A running consenter change holds the channel: nothing else starts. */
	json_object_set_new(records, REM, json_pack("{s:s, s:s, s:s, s:s, s:s}", "type",
	    "remove-consenter", "channel", "trade", "org", "Org1MSP", "consenter",
	    "Org1MSP/orderer1", "state", "running"));
	next_is(topo, members, cons, records, 1, NULL, "Org1MSP/orderer1", NULL);
	/* Without stored consenters, consenters are not compared. */
	json_object_clear(records);
	json_decref(topo);
	topo = load_doc("Org1MSP/orderer0, Org4MSP/orderer0", "Org1MSP, Org2MSP, "
	    "Org3MSP");
	next_is(topo, f->members, NULL, records, 0, NULL, NULL, NULL);
	json_decref(topo);
	json_decref(records);
	json_decref(members);
	json_decref(cons);
}

static void
t_generations(void **state)
{
	struct wfx *f = *state;
	json_t *topo, *records = json_object();

	topo = load_doc("Org1MSP/orderer0, Org1MSP/orderer1, Org2MSP/orderer0, "
	    "Org3MSP/orderer0", "Org1MSP, Org2MSP, Org3MSP, Org4MSP");
	/* Added once, removed since, asked for again: a second run. */
	json_object_set_new(records, "add-org-trade-Org4MSP", json_pack("{s:s, s:s, "
	    "s:s, s:s, s:s}", "id", "add-org-trade-Org4MSP", "type", "add-org",
	    "channel", "trade", "org", "Org4MSP", "state", "succeeded"));
	next_is(topo, f->members, f->consenters, records, 1, NULL, NULL,
	    "add-org-trade-Org4MSP-2");
	/* An id another change bears is passed over. */
	json_object_set_new(records, "add-org-trade-Org4MSP-2", json_pack("{s:s, s:s, "
	    "s:s, s:s}", "type", "add-org", "channel", "trade", "org", "Org4MSP-2",
	    "state", "failed"));
	next_is(topo, f->members, f->consenters, records, 1, NULL, NULL,
	    "add-org-trade-Org4MSP-3");
	/* A failed run is not tried again by itself: nothing else to do. */
	json_object_set_new(records, "add-org-trade-Org4MSP-3", json_pack("{s:s, s:s, "
	    "s:s, s:s}", "type", "add-org", "channel", "trade", "org", "Org4MSP",
	    "state", "failed"));
	next_is(topo, f->members, f->consenters, records, 0, NULL, NULL, NULL);
	json_decref(records);
	json_decref(topo);
}

static void
t_add_consenter(void **state)
{
	struct wfx *f = *state;
	struct wf_output out;
	struct run r;
	const json_t *t, *sign;

	run_open(&r, "Org1MSP/orderer0, Org1MSP/orderer1, Org2MSP/orderer0, "
	    "Org3MSP/orderer0, Org4MSP/orderer0", "Org1MSP, Org2MSP, Org3MSP");
	advance(f, &r, WF_ADD_CONSENTER, "Org4MSP/orderer0");
	assert_string_equal(wfx_sget(r.rec, "id"), ADD);
	assert_string_equal(wfx_sget(r.rec, "org"), "Org4MSP");
	assert_string_equal(wfx_sget(r.rec, "consenter"), "Org4MSP/orderer0");
	assert_string_equal(wfx_sget(r.rec, "node"), "orderer0");
	/* The signers: the orgs owning the consenters before, once each. */
	assert_int_equal(json_array_size(json_object_get(r.rec, "members")), 3);
	assert_int_equal(json_array_size(json_object_get(r.rec, "consenters")), 4);
	assert_string_equal(wfx_nstate(r.rec, "collect"), "done");
	assert_string_equal(wfx_nstate(r.rec, "prepare"), "running");
	assert_null(wfx_step_named(r.rec, "join-peers"));
	assert_string_equal(wfx_nstate(r.rec, "join-orderer"), "pending");
	/* Org1 prepares, told the change and where to fetch the config. */
	t = open_task(&r, "Org1MSP", "update-prepare");
	assert_non_null(t);
	assert_string_equal(wfx_sget(t, "id"), ADD ".update-prepare.Org1MSP");
	assert_string_equal(wfx_sget(json_object_get(t, "change"), "addConsenter"),
	    "Org4MSP/orderer0");
	assert_int_equal(json_array_size(json_object_get(t, "orderers")), 4);
	assert_null(open_task(&r, "Org4MSP", "update-prepare"));

	result(r.results, ADD ".update-prepare.Org1MSP", "done",
	    json_deep_copy(f->prepared));
	step(f, &r, NULL, NULL, &out);
	assert_non_null(out.store_update);
	out_clear(&out);
	sign = wfx_step_named(r.rec, "sign");
	assert_string_equal(wfx_sget(sign, "state"), "running");
	assert_string_equal(wfx_sget(sign, "policy"), "MAJORITY");
	assert_int_equal(json_integer_value(json_object_get(sign, "required")), 2);
	/* Org4 is not an orderer org yet: it need not sign. */
	assert_int_equal(json_array_size(json_object_get(sign, "mustSign")), 0);
	assert_int_equal(json_array_size(json_object_get(sign, "tasks")), 3);
	t = open_task(&r, "Org3MSP", "update-sign");
	assert_non_null(t);
	assert_string_equal(wfx_sget(json_object_get(t, "change"), "addConsenter"),
	    "Org4MSP/orderer0");
	assert_non_null(wfx_sget(t, "update"));

	signed_result(&r, ADD ".update-sign.Org2MSP");
	advance(f, &r, NULL, NULL);
	assert_string_equal(wfx_nstate(r.rec, "sign"), "running");
	signed_result(&r, ADD ".update-sign.Org3MSP");
	advance(f, &r, NULL, NULL);
	assert_string_equal(wfx_nstate(r.rec, "sign"), "done");
	t = open_task(&r, "Org1MSP", "update-submit");
	assert_non_null(t);
	assert_int_equal(json_array_size(json_object_get(t, "signatures")), 2);

	result(r.results, ADD ".update-submit.Org1MSP", "done", json_pack("{s:i}",
	    "blockNumber", 6));
	advance(f, &r, NULL, NULL);
	assert_string_equal(wfx_nstate(r.rec, "join-orderer"), "running");
	/* Org4 joins its orderer with the channel's newest config block. */
	t = open_task(&r, "Org4MSP", "join-orderer");
	assert_non_null(t);
	assert_string_equal(wfx_sget(t, "id"), ADD ".join-orderer.Org4MSP.orderer0");
	assert_string_equal(wfx_sget(t, "node"), "orderer0");
	assert_string_equal(wfx_sget(t, "blockFrom"), "channel");
	assert_null(json_object_get(t, "block"));
	assert_int_equal(json_array_size(json_object_get(t, "orderers")), 4);

	result(r.results, ADD ".join-orderer.Org4MSP.orderer0", "done", NULL);
	step(f, &r, NULL, NULL, &out);
	assert_string_equal(wfx_sget(r.rec, "state"), "succeeded");
	assert_null(out.members);
	assert_non_null(out.consenters);
	assert_int_equal(json_array_size(out.consenters), 5);
	assert_string_equal(json_string_value(json_array_get(out.consenters, 4)),
	    "Org4MSP/orderer0");
	out_clear(&out);
	/* Once over, the same inputs change nothing. */
	step(f, &r, NULL, NULL, &out);
	assert_int_equal(out.changed, 0);
	out_clear(&out);
	run_close(&r);
}

static void
t_remove_consenter_owner_must_sign(void **state)
{
	struct wfx *f = *state;
	struct run r;
	const json_t *t, *sign, *o;
	size_t i;
	int seen = 0;

	run_open(&r, "Org1MSP/orderer0, Org2MSP/orderer0, Org3MSP/orderer0",
	    "Org1MSP, Org2MSP, Org3MSP");
	advance(f, &r, WF_REMOVE_CONSENTER, "Org1MSP/orderer1");
	assert_string_equal(wfx_sget(r.rec, "id"), REM);
	assert_null(wfx_step_named(r.rec, "collect"));
	assert_string_equal(wfx_nstate(r.rec, "leave-orderer"), "pending");
	/* The owner of the consenter removed does not prepare. */
	t = open_task(&r, "Org2MSP", "update-prepare");
	assert_non_null(t);
	assert_string_equal(wfx_sget(json_object_get(t, "change"), "removeConsenter"),
	    "Org1MSP/orderer1");
	/* Nor is the consenter removed a place to fetch from. */
	assert_int_equal(json_array_size(json_object_get(t, "orderers")), 3);
	json_array_foreach(json_object_get(t, "orderers"), i, o)
		if (strcmp(json_string_value(o), "Org1MSP/orderer1") == 0)
			seen = 1;
	assert_int_equal(seen, 0);

	result(r.results, REM ".update-prepare.Org2MSP", "done",
	    json_deep_copy(f->prepared));
	advance(f, &r, NULL, NULL);
	sign = wfx_step_named(r.rec, "sign");
	/* Org1 keeps orderer0: its Endpoints change, it must sign. */
	assert_string_equal(json_string_value(json_array_get(json_object_get(sign,
	    "mustSign"), 0)), "Org1MSP");
	signed_result(&r, REM ".update-sign.Org2MSP");
	signed_result(&r, REM ".update-sign.Org3MSP");
	advance(f, &r, NULL, NULL);
	/* A majority signed, but not the owner: still running. */
	assert_string_equal(wfx_nstate(r.rec, "sign"), "running");
	result(r.results, REM ".update-sign.Org1MSP", "failed", NULL);
	advance(f, &r, NULL, NULL);
	assert_string_equal(wfx_nstate(r.rec, "sign"), "failed");
	assert_string_equal(wfx_sget(r.rec, "state"), "failed");
	assert_non_null(strstr(wfx_sget(r.rec, "lastError"), "Org1MSP must sign"));
	run_close(&r);
}

static void
t_remove_consenter_leave(void **state)
{
	struct wfx *f = *state;
	struct wf_output out;
	struct run r;
	const json_t *t;

	/* Org3's only consenter goes: its Orderer group goes, no mustSign. */
	run_open(&r, "Org1MSP/orderer0, Org1MSP/orderer1, Org2MSP/orderer0",
	    "Org1MSP, Org2MSP, Org3MSP");
	advance(f, &r, WF_REMOVE_CONSENTER, "Org3MSP/orderer0");
	result(r.results,
	    "remove-consenter-trade-Org3MSP.orderer0.update-prepare.Org1MSP", "done",
	    json_deep_copy(f->prepared));
	advance(f, &r, NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(wfx_step_named(r.rec, "sign"),
	    "mustSign")), 0);
	signed_result(&r,
	    "remove-consenter-trade-Org3MSP.orderer0.update-sign.Org1MSP");
	signed_result(&r,
	    "remove-consenter-trade-Org3MSP.orderer0.update-sign.Org2MSP");
	advance(f, &r, NULL, NULL);
	result(r.results,
	    "remove-consenter-trade-Org3MSP.orderer0.update-submit.Org1MSP", "done",
	    NULL);
	advance(f, &r, NULL, NULL);
	t = open_task(&r, "Org3MSP", "leave-orderer");
	assert_non_null(t);
	assert_string_equal(wfx_sget(t, "node"), "orderer0");
	assert_string_equal(wfx_sget(t, "id"),
	    "remove-consenter-trade-Org3MSP.orderer0.leave-orderer.Org3MSP.orderer0");
	result(r.results, wfx_sget(t, "id"), "done", NULL);
	step(f, &r, NULL, NULL, &out);
	assert_string_equal(wfx_sget(r.rec, "state"), "succeeded");
	assert_int_equal(json_array_size(out.consenters), 3);
	out_clear(&out);
	run_close(&r);
}

/* An add-org's tasks that reach an orderer carry the consenters as
 * carried out: a consenter the document declares but has not joined yet
 * is no place to fetch a config from. */
static void
t_add_org_orderers(void **state)
{
	struct wfx *f = *state;
	struct run r;
	json_t *saved = f->members;
	const json_t *t;

#define AO "add-org-trade-Org3MSP"
	f->members = json_pack("[s, s]", "Org1MSP", "Org2MSP");
	run_open(&r, "Org1MSP/orderer0, Org1MSP/orderer1, Org2MSP/orderer0, "
	    "Org3MSP/orderer0", "Org1MSP, Org2MSP, Org3MSP");
	advance(f, &r, WF_ADD_ORG, "Org3MSP");
	t = open_task(&r, "Org1MSP", "update-prepare");
	assert_non_null(t);
	assert_int_equal(json_array_size(json_object_get(t, "orderers")), 4);
	result(r.results, AO ".update-prepare.Org1MSP", "done",
	    json_deep_copy(f->prepared));
	advance(f, &r, NULL, NULL);
	signed_result(&r, AO ".update-sign.Org1MSP");
	signed_result(&r, AO ".update-sign.Org2MSP");
	advance(f, &r, NULL, NULL);
	result(r.results, AO ".update-submit.Org1MSP", "done", NULL);
	advance(f, &r, NULL, NULL);
	result(r.results, AO ".join-peer.Org3MSP.peer0", "done", NULL);
	advance(f, &r, NULL, NULL);
	t = open_task(&r, "Org3MSP", "anchor-peers");
	assert_non_null(t);
	assert_int_equal(json_array_size(json_object_get(t, "orderers")), 4);
	assert_null(open_task(&r, "Org3MSP", "join-peer"));
#undef AO
	json_decref(f->members);
	f->members = saved;
	run_close(&r);
}

static void
t_channel_consenters(void **state)
{
	json_t *rec, *c;

	(void)state;
	rec = json_pack("{s:[{s:s, s:[{s:s, s:s}, {s:s, s:s}]}, {s:s, s:[{s:s, s:s}]}]}",
	    "steps", "name", "join-orderers", "tasks", "org", "Org2MSP", "node",
	    "orderer0", "org", "Org1MSP", "node", "orderer0", "name", "join-peers",
	    "tasks", "org", "Org3MSP", "node", "peer0");
	c = wf_channel_consenters(rec);
	assert_int_equal(json_array_size(c), 2);
	assert_string_equal(json_string_value(json_array_get(c, 0)), "Org1MSP/orderer0");
	assert_string_equal(json_string_value(json_array_get(c, 1)), "Org2MSP/orderer0");
	json_decref(c);
	json_decref(rec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_next_order, setup, wfx_teardown),
		cmocka_unit_test_setup_teardown(t_generations, setup, wfx_teardown),
		cmocka_unit_test_setup_teardown(t_add_consenter, setup, wfx_teardown),
		cmocka_unit_test_setup_teardown(t_remove_consenter_owner_must_sign, setup,
		    wfx_teardown),
		cmocka_unit_test_setup_teardown(t_remove_consenter_leave, setup, wfx_teardown),
		cmocka_unit_test_setup_teardown(t_add_org_orderers, setup, wfx_teardown),
		cmocka_unit_test(t_channel_consenters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
