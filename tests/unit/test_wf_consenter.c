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
#include <openssl/evp.h>

#include "b64.h"
#include "fabric_update.h"
#include "topology.h"
#include "workflow.h"
#include "xmalloc.h"

static const char doc_yaml[] =
    "apiVersion: fabfed.io/v1alpha1\n"
    "kind: Consortium\n"
    "metadata: {name: trade-finance}\n"
    "spec:\n"
    "  orgs:\n"
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

struct cfix {
	json_t *published;
	json_t *live;
	json_t *members;      /* the channel's members as stored */
	json_t *consenters;   /* its consenters as stored */
	json_t *prepared;     /* a valid prepare result's detail */
};

static json_t *
load_doc(const char *consenters, const char *members)
{
	struct topo_diags d;
	char *text = xasprintf(doc_yaml, consenters, members);
	json_t *t;

	topo_diags_init(&d);
	t = topology_load(text, strlen(text), &d);
	topo_diags_free(&d);
	free(text);
	assert_non_null(t);
	return t;
}

static int
setup(void **state)
{
	struct cfix *f = xcalloc(1, sizeof(*f));
	Common__ConfigUpdate cu = COMMON__CONFIG_UPDATE__INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char hex[65], *b64;
	uint8_t *bytes;
	size_t len;

	f->published = json_object();
	for (i = 1; i <= 4; i++) {
		char *m = xasprintf("Org%uMSP", i);

		json_object_set_new(f->published, m, json_pack("{s:{s:s}, s:{s:[]}}",
		    "msp", "mspId", m, "endpoints", "orderers"));
		free(m);
	}
	f->live = json_pack("{s:b, s:b, s:b, s:b}", "Org1MSP", 1, "Org2MSP", 1,
	    "Org3MSP", 1, "Org4MSP", 1);
	f->members = json_pack("[s, s, s]", "Org1MSP", "Org2MSP", "Org3MSP");
	f->consenters = json_pack("[s, s, s, s]", "Org1MSP/orderer0",
	    "Org1MSP/orderer1", "Org2MSP/orderer0", "Org3MSP/orderer0");
	cu.channel_id = (char *)"trade";
	bytes = fupd_pack(&cu, &len);
	assert_int_equal(EVP_Digest(bytes, len, md, &mdlen, EVP_sha256(), NULL), 1);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	b64 = b64_encode(bytes, len, 0);
	f->prepared = json_pack("{s:s, s:s, s:i}", "update", b64, "sha256", hex,
	    "configBlock", 5);
	free(b64);
	free(bytes);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct cfix *f = *state;

	json_decref(f->published);
	json_decref(f->live);
	json_decref(f->members);
	json_decref(f->consenters);
	json_decref(f->prepared);
	free(f);
	return 0;
}

static const char *
sget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const json_t *
step_named(const json_t *rec, const char *name)
{
	const json_t *s;
	size_t i;

	json_array_foreach(json_object_get(rec, "steps"), i, s)
		if (sget(s, "name") != NULL && strcmp(sget(s, "name"), name) == 0)
			return s;
	return NULL;
}

static const char *
nstate(const json_t *rec, const char *name)
{
	const char *s = sget(step_named(rec, name), "state");

	return s != NULL ? s : "(none)";
}

static void
result(json_t *results, const char *id, const char *state, json_t *detail)
{
	json_object_set_new(results, id, json_pack("{s:s, s:s, s:o*}", "state", state,
	    "message", state, "detail", detail));
}

/*
 * One step: evaluates RECORD (NULL: a new TYPE of SUBJECT) against TOPO
 * and RESULTS, stores a prepared update as workflow.c would, and gives
 * the new record (caller decrefs) and OUT.
 */
static json_t *
step(struct cfix *f, const json_t *topo, const char *type, const char *subject,
    json_t *record, const json_t *results, json_t **update, struct wf_output *out)
{
	struct wf_input in;
	char *cause = NULL;

	memset(&in, 0, sizeof(in));
	in.record = record;
	in.topo = topo;
	in.channel = "trade";
	in.orgs = f->published;
	in.live = f->live;
	in.results = results;
	in.type = type;
	in.org = subject;
	in.members = f->members;
	in.consenters = f->consenters;
	in.update = *update;
	in.now = 1795430100;
	assert_int_equal(wf_update_org_step(&in, out, &cause), 0);
	assert_non_null(out->record);
	if (out->store_update != NULL) {
		json_decref(*update);
		*update = json_incref(out->store_update);
	}
	json_decref(record);
	return json_incref(out->record);
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

/* The open task of MSP in REC whose type is TYPE, or NULL (TASKS keeps it). */
static const json_t *
open_task(const json_t *rec, const char *msp, const json_t *results, const char *type,
    json_t *tasks)
{
	const json_t *t;
	size_t i;

	json_array_clear(tasks);
	wf_open_tasks(rec, msp, results, NULL, tasks);
	json_array_foreach(tasks, i, t)
		if (strcmp(sget(t, "type"), type) == 0)
			return t;
	return NULL;
}

static void
t_next_order(void **state)
{
	struct cfix *f = *state;
	json_t *topo, *records = json_object(), *members = json_deep_copy(f->members);
	json_t *cons = json_deep_copy(f->consenters);
	char *type = NULL, *subject = NULL, *id = NULL;

	/* Org4's orderer to add, Org1's orderer1 to remove, Org4 to add as a
	 * member: add-org first, then add-consenter, then remove-consenter. */
	topo = load_doc("Org1MSP/orderer0, Org2MSP/orderer0, Org3MSP/orderer0, "
	    "Org4MSP/orderer0", "Org1MSP, Org2MSP, Org3MSP, Org4MSP");
	assert_int_equal(wf_update_org_next(topo, "trade", members, cons,
	    records, &type, &subject, &id), 1);
	assert_string_equal(type, "add-org");
	assert_string_equal(subject, "Org4MSP");
	free(type);
	free(subject);
	free(id);
	/* Once Org4MSP is a member: */
	json_array_append_new(members, json_string("Org4MSP"));
	assert_int_equal(wf_update_org_next(topo, "trade", members, cons,
	    records, &type, &subject, &id), 1);
	assert_string_equal(type, "add-consenter");
	assert_string_equal(subject, "Org4MSP/orderer0");
	free(type);
	free(subject);
	free(id);
	/* Once Org4MSP/orderer0 is a consenter: */
	json_array_append_new(cons, json_string("Org4MSP/orderer0"));
	assert_int_equal(wf_update_org_next(topo, "trade", members, cons,
	    records, &type, &subject, &id), 1);
	assert_string_equal(type, "remove-consenter");
	assert_string_equal(subject, "Org1MSP/orderer1");
	free(type);
	free(subject);
	free(id);
	/* A running consenter change holds the channel: nothing else starts. */
	json_object_set_new(records, REM, json_pack("{s:s, s:s, s:s, s:s, s:s}", "type",
	    "remove-consenter", "channel", "trade", "org", "Org1MSP", "consenter",
	    "Org1MSP/orderer1", "state", "running"));
	assert_int_equal(wf_update_org_next(topo, "trade", members, cons,
	    records, &type, &subject, &id), 1);
	assert_string_equal(subject, "Org1MSP/orderer1");
	free(type);
	free(subject);
	free(id);
	/* Without stored consenters, consenters are not compared. */
	json_object_clear(records);
	json_decref(topo);
	topo = load_doc("Org1MSP/orderer0, Org4MSP/orderer0", "Org1MSP, Org2MSP, "
	    "Org3MSP");
	assert_int_equal(wf_update_org_next(topo, "trade", f->members, NULL, records,
	    &type, &subject, &id), 0);
	assert_null(type);
	json_decref(topo);
	json_decref(records);
	json_decref(members);
	json_decref(cons);
}

static void
t_generations(void **state)
{
	struct cfix *f = *state;
	json_t *topo, *records = json_object();
	char *type = NULL, *subject = NULL, *id = NULL;

	topo = load_doc("Org1MSP/orderer0, Org1MSP/orderer1, Org2MSP/orderer0, "
	    "Org3MSP/orderer0", "Org1MSP, Org2MSP, Org3MSP, Org4MSP");
	/* Added once, removed since, asked for again: a second run. */
	json_object_set_new(records, "add-org-trade-Org4MSP", json_pack("{s:s, s:s, "
	    "s:s, s:s, s:s}", "id", "add-org-trade-Org4MSP", "type", "add-org",
	    "channel", "trade", "org", "Org4MSP", "state", "succeeded"));
	assert_int_equal(wf_update_org_next(topo, "trade", f->members, f->consenters,
	    records, &type, &subject, &id), 1);
	assert_string_equal(id, "add-org-trade-Org4MSP-2");
	free(type);
	free(subject);
	free(id);
	/* An id another change bears is passed over. */
	json_object_set_new(records, "add-org-trade-Org4MSP-2", json_pack("{s:s, s:s, "
	    "s:s, s:s}", "type", "add-org", "channel", "trade", "org", "Org4MSP-2",
	    "state", "failed"));
	assert_int_equal(wf_update_org_next(topo, "trade", f->members, f->consenters,
	    records, &type, &subject, &id), 1);
	assert_string_equal(id, "add-org-trade-Org4MSP-3");
	free(type);
	free(subject);
	free(id);
	/* A failed run is not tried again by itself: nothing else to do. */
	json_object_set_new(records, "add-org-trade-Org4MSP-3", json_pack("{s:s, s:s, "
	    "s:s, s:s}", "type", "add-org", "channel", "trade", "org", "Org4MSP",
	    "state", "failed"));
	assert_int_equal(wf_update_org_next(topo, "trade", f->members, f->consenters,
	    records, &type, &subject, &id), 0);
	assert_null(id);
	json_decref(records);
	json_decref(topo);
}

static void
t_add_consenter(void **state)
{
	struct cfix *f = *state;
	struct wf_output out;
	json_t *topo, *rec = NULL, *results = json_object(), *upd = NULL;
	json_t *tasks = json_array();
	const json_t *t, *sign;

	topo = load_doc("Org1MSP/orderer0, Org1MSP/orderer1, Org2MSP/orderer0, "
	    "Org3MSP/orderer0, Org4MSP/orderer0", "Org1MSP, Org2MSP, Org3MSP");
	rec = step(f, topo, WF_ADD_CONSENTER, "Org4MSP/orderer0", rec, results, &upd, &out);
	out_clear(&out);
	assert_string_equal(sget(rec, "id"), ADD);
	assert_string_equal(sget(rec, "org"), "Org4MSP");
	assert_string_equal(sget(rec, "consenter"), "Org4MSP/orderer0");
	assert_string_equal(sget(rec, "node"), "orderer0");
	/* The signers: the orgs owning the consenters before, once each. */
	assert_int_equal(json_array_size(json_object_get(rec, "members")), 3);
	assert_int_equal(json_array_size(json_object_get(rec, "consenters")), 4);
	assert_string_equal(nstate(rec, "collect"), "done");
	assert_string_equal(nstate(rec, "prepare"), "running");
	assert_null(step_named(rec, "join-peers"));
	assert_string_equal(nstate(rec, "join-orderer"), "pending");
	/* Org1 prepares, told the change and where to fetch the config. */
	t = open_task(rec, "Org1MSP", results, "update-prepare", tasks);
	assert_non_null(t);
	assert_string_equal(sget(t, "id"), ADD ".update-prepare.Org1MSP");
	assert_string_equal(sget(json_object_get(t, "change"), "addConsenter"),
	    "Org4MSP/orderer0");
	assert_int_equal(json_array_size(json_object_get(t, "orderers")), 4);
	assert_null(open_task(rec, "Org4MSP", results, "update-prepare", tasks));

	result(results, ADD ".update-prepare.Org1MSP", "done",
	    json_deep_copy(f->prepared));
	rec = step(f, topo, NULL, NULL, rec, results, &upd, &out);
	assert_non_null(out.store_update);
	out_clear(&out);
	sign = step_named(rec, "sign");
	assert_string_equal(sget(sign, "state"), "running");
	assert_string_equal(sget(sign, "policy"), "MAJORITY");
	assert_int_equal(json_integer_value(json_object_get(sign, "required")), 2);
	/* Org4 is not an orderer org yet: it need not sign. */
	assert_int_equal(json_array_size(json_object_get(sign, "mustSign")), 0);
	assert_int_equal(json_array_size(json_object_get(sign, "tasks")), 3);
	t = open_task(rec, "Org3MSP", results, "update-sign", tasks);
	assert_non_null(t);
	assert_string_equal(sget(json_object_get(t, "change"), "addConsenter"),
	    "Org4MSP/orderer0");
	assert_non_null(sget(t, "update"));

	result(results, ADD ".update-sign.Org2MSP", "done", json_pack("{s:s, s:s}",
	    "signatureHeader", "aGVhZGVy", "signature", "c2ln"));
	rec = step(f, topo, NULL, NULL, rec, results, &upd, &out);
	out_clear(&out);
	assert_string_equal(nstate(rec, "sign"), "running");
	result(results, ADD ".update-sign.Org3MSP", "done", json_pack("{s:s, s:s}",
	    "signatureHeader", "aGVhZGVy", "signature", "c2ln"));
	rec = step(f, topo, NULL, NULL, rec, results, &upd, &out);
	out_clear(&out);
	assert_string_equal(nstate(rec, "sign"), "done");
	t = open_task(rec, "Org1MSP", results, "update-submit", tasks);
	assert_non_null(t);
	assert_int_equal(json_array_size(json_object_get(t, "signatures")), 2);

	result(results, ADD ".update-submit.Org1MSP", "done", json_pack("{s:i}",
	    "blockNumber", 6));
	rec = step(f, topo, NULL, NULL, rec, results, &upd, &out);
	out_clear(&out);
	assert_string_equal(nstate(rec, "join-orderer"), "running");
	/* Org4 joins its orderer with the channel's newest config block. */
	t = open_task(rec, "Org4MSP", results, "join-orderer", tasks);
	assert_non_null(t);
	assert_string_equal(sget(t, "id"), ADD ".join-orderer.Org4MSP.orderer0");
	assert_string_equal(sget(t, "node"), "orderer0");
	assert_string_equal(sget(t, "blockFrom"), "channel");
	assert_null(json_object_get(t, "block"));
	assert_int_equal(json_array_size(json_object_get(t, "orderers")), 4);

	result(results, ADD ".join-orderer.Org4MSP.orderer0", "done", NULL);
	rec = step(f, topo, NULL, NULL, rec, results, &upd, &out);
	assert_string_equal(sget(rec, "state"), "succeeded");
	assert_null(out.members);
	assert_non_null(out.consenters);
	assert_int_equal(json_array_size(out.consenters), 5);
	assert_string_equal(json_string_value(json_array_get(out.consenters, 4)),
	    "Org4MSP/orderer0");
	out_clear(&out);
	/* Once over, the same inputs change nothing. */
	rec = step(f, topo, NULL, NULL, rec, results, &upd, &out);
	assert_int_equal(out.changed, 0);
	out_clear(&out);
	json_decref(rec);
	json_decref(upd);
	json_decref(results);
	json_decref(tasks);
	json_decref(topo);
}

static void
t_remove_consenter_owner_must_sign(void **state)
{
	struct cfix *f = *state;
	struct wf_output out;
	json_t *topo, *rec = NULL, *results = json_object(), *upd = NULL;
	json_t *tasks = json_array();
	const json_t *t, *sign, *o;
	size_t i;
	int seen = 0;

	topo = load_doc("Org1MSP/orderer0, Org2MSP/orderer0, Org3MSP/orderer0",
	    "Org1MSP, Org2MSP, Org3MSP");
	rec = step(f, topo, WF_REMOVE_CONSENTER, "Org1MSP/orderer1", rec, results, &upd,
	    &out);
	out_clear(&out);
	assert_string_equal(sget(rec, "id"), REM);
	assert_null(step_named(rec, "collect"));
	assert_string_equal(nstate(rec, "leave-orderer"), "pending");
	/* The owner of the consenter removed does not prepare. */
	t = open_task(rec, "Org2MSP", results, "update-prepare", tasks);
	assert_non_null(t);
	assert_string_equal(sget(json_object_get(t, "change"), "removeConsenter"),
	    "Org1MSP/orderer1");
	/* Nor is the consenter removed a place to fetch from. */
	assert_int_equal(json_array_size(json_object_get(t, "orderers")), 3);
	json_array_foreach(json_object_get(t, "orderers"), i, o)
		if (strcmp(json_string_value(o), "Org1MSP/orderer1") == 0)
			seen = 1;
	assert_int_equal(seen, 0);

	result(results, REM ".update-prepare.Org2MSP", "done",
	    json_deep_copy(f->prepared));
	rec = step(f, topo, NULL, NULL, rec, results, &upd, &out);
	out_clear(&out);
	sign = step_named(rec, "sign");
	/* Org1 keeps orderer0: its Endpoints change, it must sign. */
	assert_string_equal(json_string_value(json_array_get(json_object_get(sign,
	    "mustSign"), 0)), "Org1MSP");
	result(results, REM ".update-sign.Org2MSP", "done", json_pack("{s:s, s:s}",
	    "signatureHeader", "aGVhZGVy", "signature", "c2ln"));
	result(results, REM ".update-sign.Org3MSP", "done", json_pack("{s:s, s:s}",
	    "signatureHeader", "aGVhZGVy", "signature", "c2ln"));
	rec = step(f, topo, NULL, NULL, rec, results, &upd, &out);
	out_clear(&out);
	/* A majority signed, but not the owner: still running. */
	assert_string_equal(nstate(rec, "sign"), "running");
	result(results, REM ".update-sign.Org1MSP", "failed", NULL);
	rec = step(f, topo, NULL, NULL, rec, results, &upd, &out);
	out_clear(&out);
	assert_string_equal(nstate(rec, "sign"), "failed");
	assert_string_equal(sget(rec, "state"), "failed");
	assert_non_null(strstr(sget(rec, "lastError"), "Org1MSP must sign"));
	json_decref(rec);
	json_decref(upd);
	json_decref(results);
	json_decref(tasks);
	json_decref(topo);
}

static void
t_remove_consenter_leave(void **state)
{
	struct cfix *f = *state;
	struct wf_output out;
	json_t *topo, *rec = NULL, *results = json_object(), *upd = NULL;
	json_t *tasks = json_array();
	const json_t *t;

	/* Org3's only consenter goes: its Orderer group goes, no mustSign. */
	topo = load_doc("Org1MSP/orderer0, Org1MSP/orderer1, Org2MSP/orderer0",
	    "Org1MSP, Org2MSP, Org3MSP");
	rec = step(f, topo, WF_REMOVE_CONSENTER, "Org3MSP/orderer0", rec, results, &upd,
	    &out);
	out_clear(&out);
	result(results, "remove-consenter-trade-Org3MSP.orderer0.update-prepare.Org1MSP",
	    "done", json_deep_copy(f->prepared));
	rec = step(f, topo, NULL, NULL, rec, results, &upd, &out);
	out_clear(&out);
	assert_int_equal(json_array_size(json_object_get(step_named(rec, "sign"),
	    "mustSign")), 0);
	result(results, "remove-consenter-trade-Org3MSP.orderer0.update-sign.Org1MSP",
	    "done", json_pack("{s:s, s:s}", "signatureHeader", "aGVhZGVy", "signature",
	    "c2ln"));
	result(results, "remove-consenter-trade-Org3MSP.orderer0.update-sign.Org2MSP",
	    "done", json_pack("{s:s, s:s}", "signatureHeader", "aGVhZGVy", "signature",
	    "c2ln"));
	rec = step(f, topo, NULL, NULL, rec, results, &upd, &out);
	out_clear(&out);
	result(results, "remove-consenter-trade-Org3MSP.orderer0.update-submit.Org1MSP",
	    "done", NULL);
	rec = step(f, topo, NULL, NULL, rec, results, &upd, &out);
	out_clear(&out);
	t = open_task(rec, "Org3MSP", results, "leave-orderer", tasks);
	assert_non_null(t);
	assert_string_equal(sget(t, "node"), "orderer0");
	assert_string_equal(sget(t, "id"),
	    "remove-consenter-trade-Org3MSP.orderer0.leave-orderer.Org3MSP.orderer0");
	result(results, sget(t, "id"), "done", NULL);
	rec = step(f, topo, NULL, NULL, rec, results, &upd, &out);
	assert_string_equal(sget(rec, "state"), "succeeded");
	assert_int_equal(json_array_size(out.consenters), 3);
	out_clear(&out);
	json_decref(rec);
	json_decref(upd);
	json_decref(results);
	json_decref(tasks);
	json_decref(topo);
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
		cmocka_unit_test_setup_teardown(t_next_order, setup, teardown),
		cmocka_unit_test_setup_teardown(t_generations, setup, teardown),
		cmocka_unit_test_setup_teardown(t_add_consenter, setup, teardown),
		cmocka_unit_test_setup_teardown(t_remove_consenter_owner_must_sign, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_remove_consenter_leave, setup, teardown),
		cmocka_unit_test(t_channel_consenters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
