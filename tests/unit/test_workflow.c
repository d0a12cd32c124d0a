/*
 * test_workflow.c: the create-channel step function (wf_create_channel.c)
 * and the add-org / remove-org one (wf_update_org.c) over tables of stored
 * states, the open tasks an agent sees, and the task result checks
 * (api_agent.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api.h"
#include "b64.h"
#include "topology.h"
#include "wfx.h"
#include "workflow.h"
#include "xmalloc.h"

static const char doc_yaml[] =
    WFX_DOC_HEAD
    "    - mspId: Org1MSP\n"
    "      domain: org1.example.com\n"
    "      cluster: {name: c1, region: r1}\n"
    "      peers:\n"
    "        - {name: peer0, endpoint: peer0.org1.example.com:7051, anchor: true}\n"
    "      orderers:\n"
    "        - {name: orderer0, endpoint: orderer0.org1.example.com:7050}\n"
    "    - mspId: Org2MSP\n"
    "      domain: org2.example.com\n"
    "      cluster: {name: c2, region: r2}\n"
    "      peers:\n"
    "        - {name: peer0, endpoint: peer0.org2.example.com:7051, anchor: true}\n"
    "        - {name: peer1, endpoint: peer1.org2.example.com:7051}\n"
    "  channels:\n"
    "    - name: trade\n"
    "      consenters: [Org1MSP/orderer0]\n"
    "      members: [Org1MSP, Org2MSP]\n";

#define ID_ORD  "create-channel-trade.join-orderer.Org1MSP.orderer0"
#define ID_P10  "create-channel-trade.join-peer.Org1MSP.peer0"
#define ID_P20  "create-channel-trade.join-peer.Org2MSP.peer0"
#define ID_P21  "create-channel-trade.join-peer.Org2MSP.peer1"
#define ID_A1   "create-channel-trade.anchor-peers.Org1MSP"
#define ID_A2   "create-channel-trade.anchor-peers.Org2MSP"

struct fix {
	json_t *topo;
	json_t *published;   /* both orgs' msp and endpoints */
	json_t *both_live;
	json_t *genesis;
};

static int
setup(void **state)
{
	struct fix *f = xcalloc(1, sizeof(*f));
	struct topo_diags d;

	topo_diags_init(&d);
	f->topo = topology_load(doc_yaml, sizeof(doc_yaml) - 1, &d);
	topo_diags_free(&d);
	assert_non_null(f->topo);
	f->published = json_pack("{s:{s:{s:s}, s:{s:[]}}, s:{s:{s:s}, s:{s:[]}}}",
	    "Org1MSP", "msp", "mspId", "Org1MSP", "endpoints", "peers",
	    "Org2MSP", "msp", "mspId", "Org2MSP", "endpoints", "peers");
	f->both_live = json_pack("{s:b, s:b}", "Org1MSP", 1, "Org2MSP", 1);
	f->genesis = json_pack("{s:s, s:s, s:s}", "block", "AAECAwQF",
	    "sha256", "3f2a00", "workflow", "create-channel-trade");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	json_decref(f->topo);
	json_decref(f->published);
	json_decref(f->both_live);
	json_decref(f->genesis);
	free(f);
	return 0;
}

/* One step; returns the new record (caller decrefs). */
static json_t *
step(const struct fix *f, const json_t *record, const json_t *orgs, const json_t *live,
    const json_t *results, const json_t *genesis, int *changed, int *need_genesis)
{
	struct wf_input in;
	struct wf_output out;
	char *cause = NULL;

	memset(&in, 0, sizeof(in));
	in.record = record;
	in.topo = f->topo;
	in.channel = "trade";
	in.orgs = orgs;
	in.live = live;
	in.results = results;
	in.genesis = genesis;
	in.now = 1795430000;
	assert_int_equal(wf_create_channel_step(&in, &out, &cause), 0);
	assert_non_null(out.record);
	if (changed != NULL)
		*changed = out.changed;
	if (need_genesis != NULL)
		*need_genesis = out.need_genesis;
	return out.record;
}

static const char *
step_state(const json_t *rec, size_t i)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(rec,
	    "steps"), i), "state"));
}

static const json_t *
task(const json_t *rec, size_t stepi, const char *id)
{
	const json_t *t;
	size_t i;

	json_array_foreach(json_object_get(json_array_get(json_object_get(rec, "steps"),
	    stepi), "tasks"), i, t)
		if (strcmp(json_string_value(json_object_get(t, "id")), id) == 0)
			return t;
	return NULL;
}

static const char *
sget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* results: {"id": "state", ...} -> {"id": {"state": ..., "message": ...}} */
static json_t *
results_of(const char *const *pairs)
{
	json_t *r = json_object();

	for (; pairs[0] != NULL; pairs += 2)
		json_object_set_new(r, pairs[0], json_pack("{s:s, s:s}", "state", pairs[1],
		    "message", strcmp(pairs[1], "failed") == 0 ?
		    "the signer refused: not a member" : "joined"));
	return r;
}

static void
t_nothing_published(void **state)
{
	struct fix *f = *state;
	json_t *none = json_object(), *rec;
	int changed, need;

	rec = step(f, NULL, none, none, none, NULL, &changed, &need);
	assert_true(changed);
	assert_false(need);
	assert_string_equal(sget(rec, "id"), "create-channel-trade");
	assert_string_equal(sget(rec, "type"), "create-channel");
	assert_string_equal(sget(rec, "consortium"), "trade-finance");
	assert_string_equal(sget(rec, "state"), "running");
	assert_string_equal(step_state(rec, 0), "waiting");
	assert_string_equal(step_state(rec, 1), "pending");
	assert_string_equal(step_state(rec, 4), "pending");
	assert_int_equal(json_array_size(json_object_get(json_array_get(
	    json_object_get(rec, "steps"), 0), "waitingFor")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    json_array_get(json_object_get(rec, "steps"), 0), "waitingFor"), 1)), "Org2MSP");
	assert_true(json_is_null(json_object_get(rec, "lastError")));
	json_decref(rec);
	json_decref(none);
}

static void
t_one_published(void **state)
{
	struct fix *f = *state;
	json_t *orgs = json_deep_copy(f->published), *rec;
	json_t *wf;

	json_object_del(json_object_get(orgs, "Org2MSP"), "endpoints");
	rec = step(f, NULL, orgs, f->both_live, NULL, NULL, NULL, NULL);
	wf = json_object_get(json_array_get(json_object_get(rec, "steps"), 0), "waitingFor");
	assert_int_equal(json_array_size(wf), 1);
	assert_string_equal(json_string_value(json_array_get(wf, 0)), "Org2MSP");
	json_decref(rec);
	json_decref(orgs);
}

static void
t_all_published_wants_genesis(void **state)
{
	struct fix *f = *state;
	json_t *rec;
	int changed, need;

	rec = step(f, NULL, f->published, f->both_live, NULL, NULL, &changed, &need);
	assert_true(changed);
	assert_true(need);
	assert_string_equal(step_state(rec, 0), "done");
	assert_string_equal(step_state(rec, 1), "running");
	assert_string_equal(step_state(rec, 2), "pending");
	json_decref(rec);
}

static void
t_genesis_stored_join_orderers(void **state)
{
	struct fix *f = *state;
	json_t *rec, *tasks;
	const json_t *t;
	int need;

	rec = step(f, NULL, f->published, f->both_live, NULL, f->genesis, NULL, &need);
	assert_false(need);
	assert_string_equal(step_state(rec, 1), "done");
	assert_non_null(strstr(sget(json_array_get(json_object_get(rec, "steps"), 1),
	    "message"), "block 0 of trade, 6 bytes, sha256 3f2a00"));
	assert_string_equal(step_state(rec, 2), "running");
	assert_int_equal(json_array_size(json_object_get(json_array_get(
	    json_object_get(rec, "steps"), 2), "tasks")), 1);
	assert_non_null(t = task(rec, 2, ID_ORD));
	assert_string_equal(sget(t, "org"), "Org1MSP");
	assert_string_equal(sget(t, "node"), "orderer0");
	assert_string_equal(sget(t, "state"), "sent");
	assert_string_equal(step_state(rec, 3), "pending");

	/* The consenter's org sees the task with the block; the other none. */
	tasks = json_array();
	wf_open_tasks(rec, "Org1MSP", NULL, f->genesis, tasks);
	assert_int_equal(json_array_size(tasks), 1);
	t = json_array_get(tasks, 0);
	assert_string_equal(sget(t, "id"), ID_ORD);
	assert_string_equal(sget(t, "type"), "join-orderer");
	assert_string_equal(sget(t, "workflow"), "create-channel-trade");
	assert_string_equal(sget(t, "channel"), "trade");
	assert_string_equal(sget(t, "block"), "AAECAwQF");
	assert_string_equal(sget(t, "blockSha256"), "3f2a00");
	json_array_clear(tasks);
	wf_open_tasks(rec, "Org2MSP", NULL, f->genesis, tasks);
	assert_int_equal(json_array_size(tasks), 0);
	assert_true(wf_task_of(rec, "Org1MSP", ID_ORD));
	assert_false(wf_task_of(rec, "Org2MSP", ID_ORD));
	assert_false(wf_task_of(rec, "Org1MSP", ID_P10));   /* not begun */
	json_decref(tasks);
	json_decref(rec);
}

static void
t_orderers_done_join_peers(void **state)
{
	struct fix *f = *state;
	const char *const r1[] = { ID_ORD, "done", NULL };
	json_t *res = results_of(r1), *rec, *tasks;

	rec = step(f, NULL, f->published, f->both_live, res, f->genesis, NULL, NULL);
	assert_string_equal(step_state(rec, 2), "done");
	assert_string_equal(sget(task(rec, 2, ID_ORD), "state"), "done");
	assert_string_equal(sget(task(rec, 2, ID_ORD), "message"), "joined");
	assert_string_equal(step_state(rec, 3), "running");
	assert_non_null(task(rec, 3, ID_P10));
	assert_non_null(task(rec, 3, ID_P20));
	assert_non_null(task(rec, 3, ID_P21));
	/* Org2 sees its two peers' tasks, in order, with the block. */
	tasks = json_array();
	wf_open_tasks(rec, "Org2MSP", res, f->genesis, tasks);
	assert_int_equal(json_array_size(tasks), 2);
	assert_string_equal(sget(json_array_get(tasks, 0), "id"), ID_P20);
	assert_string_equal(sget(json_array_get(tasks, 1), "id"), ID_P21);
	assert_string_equal(sget(json_array_get(tasks, 1), "block"), "AAECAwQF");
	json_decref(tasks);
	json_decref(rec);
	json_decref(res);
}

static void
t_unreachable_waiting(void **state)
{
	struct fix *f = *state;
	const char *const r1[] = { ID_ORD, "done", NULL };
	json_t *res = results_of(r1), *live = json_pack("{s:b}", "Org1MSP", 1), *rec;
	const json_t *t;

	rec = step(f, NULL, f->published, live, res, f->genesis, NULL, NULL);
	assert_string_equal(sget(task(rec, 3, ID_P10), "state"), "sent");
	t = task(rec, 3, ID_P20);
	assert_string_equal(sget(t, "state"), "waiting");
	assert_non_null(strstr(sget(t, "message"), "Org2MSP's agent is unreachable"));
	assert_string_equal(step_state(rec, 3), "running");
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    json_array_get(json_object_get(rec, "steps"), 3), "waitingFor"), 0)), "Org2MSP");
	json_decref(rec);
	json_decref(res);
	json_decref(live);
}

static void
t_all_done_succeeded(void **state)
{
	struct fix *f = *state;
	const char *const r[] = { ID_ORD, "done", ID_P10, "done", ID_P20, "done",
	    ID_P21, "done", ID_A1, "done", ID_A2, "done", NULL };
	json_t *res = results_of(r), *rec, *tasks;

	rec = step(f, NULL, f->published, f->both_live, res, f->genesis, NULL, NULL);
	assert_string_equal(sget(rec, "state"), "succeeded");
	assert_string_equal(step_state(rec, 4), "done");
	assert_int_equal(json_array_size(json_object_get(json_array_get(
	    json_object_get(rec, "steps"), 4), "tasks")), 2);
	tasks = json_array();
	wf_open_tasks(rec, "Org1MSP", res, f->genesis, tasks);
	assert_int_equal(json_array_size(tasks), 0);
	json_decref(tasks);
	json_decref(rec);
	json_decref(res);
}

static void
t_rendered(void **state)
{
	struct fix *f = *state;
	const char *const r[] = { ID_ORD, "rendered", ID_P10, "done", ID_P20, "done",
	    ID_P21, "done", ID_A1, "done", ID_A2, "done", NULL };
	json_t *res = results_of(r), *rec;

	rec = step(f, NULL, f->published, f->both_live, res, f->genesis, NULL, NULL);
	assert_string_equal(step_state(rec, 2), "rendered");
	assert_string_equal(step_state(rec, 3), "done");
	assert_string_equal(sget(rec, "state"), "rendered");
	json_decref(rec);
	json_decref(res);
}

static void
t_failed(void **state)
{
	struct fix *f = *state;
	const char *const r[] = { ID_ORD, "done", ID_P10, "done", ID_P20, "failed", NULL };
	json_t *res = results_of(r), *rec, *again, *res2;
	const char *err;
	int changed;

	rec = step(f, NULL, f->published, f->both_live, res, f->genesis, NULL, NULL);
	assert_string_equal(sget(rec, "state"), "failed");
	assert_string_equal(step_state(rec, 3), "failed");
	assert_string_equal(step_state(rec, 4), "pending");
	err = sget(rec, "lastError");
	assert_non_null(err);
	assert_non_null(strstr(err, "Org2MSP"));
	assert_non_null(strstr(err, ID_P20));
	assert_non_null(strstr(err, "the signer refused: not a member"));
	/* Final: later results change nothing. */
	res2 = json_deep_copy(res);
	json_object_set_new(res2, ID_P21, json_pack("{s:s}", "state", "done"));
	again = step(f, rec, f->published, f->both_live, res2, f->genesis, &changed, NULL);
	assert_false(changed);
	assert_true(json_equal(again, rec));
	json_decref(again);
	json_decref(res2);
	json_decref(rec);
	json_decref(res);
}

static void
t_retry_counts(void **state)
{
	struct fix *f = *state;
	json_t *res = json_pack("{s:{s:s, s:s, s:i}}", ID_ORD, "state", "retry",
	    "message", "orderer0 is not up yet", "attempts", 2), *rec, *tasks;
	const json_t *t;

	rec = step(f, NULL, f->published, f->both_live, res, f->genesis, NULL, NULL);
	t = task(rec, 2, ID_ORD);
	assert_string_equal(sget(t, "state"), "sent");
	assert_string_equal(sget(t, "message"), "orderer0 is not up yet");
	assert_int_equal(json_integer_value(json_object_get(t, "attempts")), 2);
	tasks = json_array();
	wf_open_tasks(rec, "Org1MSP", res, f->genesis, tasks);
	assert_int_equal(json_array_size(tasks), 1);   /* retry is not final */
	json_decref(tasks);
	json_decref(rec);
	json_decref(res);
}

static void
t_never_back(void **state)
{
	struct fix *f = *state;
	const char *const r1[] = { ID_ORD, "done", NULL };
	json_t *res = results_of(r1), *none = json_object(), *rec, *later;
	int changed;

	rec = step(f, NULL, f->published, f->both_live, res, f->genesis, NULL, NULL);
	assert_string_equal(step_state(rec, 3), "running");
	/* Material, genesis and results all gone from view: still at join-peers. */
	later = step(f, rec, none, f->both_live, none, NULL, &changed, NULL);
	assert_string_equal(step_state(later, 0), "done");
	assert_string_equal(step_state(later, 1), "done");
	assert_string_equal(step_state(later, 2), "done");
	assert_string_equal(step_state(later, 3), "running");
	assert_false(changed);
	json_decref(later);
	json_decref(rec);
	json_decref(res);
	json_decref(none);
}

static void
t_idempotent(void **state)
{
	struct fix *f = *state;
	const char *const r1[] = { ID_ORD, "done", ID_P10, "done", NULL };
	json_t *res = results_of(r1), *rec, *again;
	int changed;

	rec = step(f, NULL, f->published, f->both_live, res, f->genesis, &changed, NULL);
	assert_true(changed);
	json_object_set_new(rec, "updatedAt", json_integer(1795420000));
	again = step(f, rec, f->published, f->both_live, res, f->genesis, &changed, NULL);
	assert_false(changed);
	assert_true(json_equal(again, rec));
	assert_int_equal(json_integer_value(json_object_get(again, "updatedAt")),
	    1795420000);
	json_decref(again);
	json_decref(rec);
	json_decref(res);
}

static void
t_unknown_channel(void **state)
{
	struct fix *f = *state;
	struct wf_input in;
	struct wf_output out;
	char *cause = NULL;

	memset(&in, 0, sizeof(in));
	in.topo = f->topo;
	in.channel = "nope";
	assert_int_equal(wf_create_channel_step(&in, &out, &cause), -1);
	assert_non_null(strstr(cause, "nope"));
	free(cause);
}

static void
t_result_parse(void **state)
{
	static const struct {
		const char *body;
		int status;      /* 0: accepted */
	} cases[] = {
		{ "{\"state\":\"done\",\"message\":\"joined\"}", 0 },
		{ "{\"state\":\"retry\",\"message\":\"later\",\"detail\":{\"n\":1}}", 0 },
		{ "{\"state\":\"rendered\"}", 0 },
		{ "{\"state\":\"failed\",\"message\":\"refused\"}", 0 },
		{ "{\"state\":\"maybe\"}", 400 },
		{ "{\"message\":\"x\"}", 400 },
		{ "{\"state\":\"done\",\"state\":\"failed\"}", 400 },
		{ "{\"state\":\"done\",\"detail\":[1]}", 400 },
		{ "{\"state\":\"done\",\"message\":3}", 400 },
		{ "{\"state\":\"done\",\"other\":1}", 400 },
		{ "[1]", 400 },
		{ "{\"state\":\"done\",\"detail\":{\"k\":\"-----BEGIN PRIVATE KEY-----\"}}", 422 },
	};
	json_t *v;
	char *msg, *big, *body;
	size_t i;
	int status;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = api_agent_result_parse(cases[i].body, strlen(cases[i].body), &status, &msg);
		if (cases[i].status == 0) {
			assert_non_null(v);
			json_decref(v);
		} else {
			assert_null(v);
			assert_int_equal(status, cases[i].status);
			assert_non_null(msg);
			free(msg);
		}
	}
	/* A message of 1025 bytes is refused, one of 1024 accepted. */
	big = xmalloc(2000);
	memset(big, 'a', 1999);
	big[1999] = '\0';
	body = xasprintf("{\"state\":\"done\",\"message\":\"%.*s\"}", 1025, big);
	assert_null(api_agent_result_parse(body, strlen(body), &status, &msg));
	assert_int_equal(status, 400);
	free(msg);
	free(body);
	body = xasprintf("{\"state\":\"done\",\"message\":\"%.*s\"}", 1024, big);
	assert_non_null(v = api_agent_result_parse(body, strlen(body), &status, &msg));
	json_decref(v);
	free(body);
	free(big);
}

static void
t_result_parse_limits(void **state)
{
	char *pad = xmalloc(400000), *body, *msg = NULL;
	json_t *v;
	int status;

	(void)state;
	memset(pad, 'b', 399999);
	pad[399999] = '\0';
	/* A detail of 200 KiB (a prepared update) is taken; 257 KiB is not. */
	body = xasprintf("{\"state\":\"done\",\"detail\":{\"x\":\"%.*s\"}}", 200 * 1024,
	    pad);
	v = api_agent_result_parse(body, strlen(body), &status, &msg);
	assert_non_null(v);
	json_decref(v);
	free(body);
	body = xasprintf("{\"state\":\"done\",\"detail\":{\"x\":\"%.*s\"}}", 257 * 1024,
	    pad);
	assert_null(api_agent_result_parse(body, strlen(body), &status, &msg));
	assert_int_equal(status, 413);
	free(msg);
	free(body);
	body = xasprintf("{\"state\":\"done\",\"detail\":{\"x\":\"%s\"}}", pad);
	assert_null(api_agent_result_parse(body, strlen(body), &status, &msg));
	assert_int_equal(status, 413);
	free(msg);
	free(body);
	free(pad);
}

/* ---- add-org / remove-org (wf_update_org.c) ---- */

static const char doc4_yaml[] =
    WFX_DOC_HEAD
    "    - mspId: Org1MSP\n"
    "      domain: org1.example.com\n"
    "      cluster: {name: c1, region: r1}\n"
    "      peers:\n"
    "        - {name: peer0, endpoint: peer0.org1.example.com:7051, anchor: true}\n"
    "      orderers:\n"
    "        - {name: orderer0, endpoint: orderer0.org1.example.com:7050}\n"
    "    - mspId: Org2MSP\n"
    "      domain: org2.example.com\n"
    "      cluster: {name: c2, region: r2}\n"
    "      peers:\n"
    "        - {name: peer0, endpoint: peer0.org2.example.com:7051, anchor: true}\n"
    "    - mspId: Org3MSP\n"
    "      domain: org3.example.com\n"
    "      cluster: {name: c3, region: r3}\n"
    "      peers:\n"
    "        - {name: peer0, endpoint: peer0.org3.example.com:7051, anchor: true}\n"
    "    - mspId: Org4MSP\n"
    "      domain: org4.example.com\n"
    "      cluster: {name: c4, region: r4}\n"
    "      peers:\n"
    "        - {name: peer0, endpoint: peer0.org4.example.com:7051, anchor: true}\n"
    "        - {name: peer1, endpoint: peer1.org4.example.com:7051}\n"
    "  channels:\n"
    "    - name: trade\n"
    "      consenters: [Org1MSP/orderer0]\n"
    "      members: [Org1MSP, Org2MSP, Org3MSP, Org4MSP]\n"
    "      policies: {admins: %s}\n";

#define AW       "add-org-trade-Org4MSP"
#define AW_PREP  AW ".update-prepare.Org1MSP"
#define AW_S1    AW ".update-sign.Org1MSP"
#define AW_S2    AW ".update-sign.Org2MSP"
#define AW_S3    AW ".update-sign.Org3MSP"
#define AW_SUB   AW ".update-submit.Org1MSP"
#define AW_P40   AW ".join-peer.Org4MSP.peer0"
#define AW_P41   AW ".join-peer.Org4MSP.peer1"
#define AW_A4    AW ".anchor-peers.Org4MSP"

static json_t *
load_doc4(const char *policy)
{
	json_t *t = wfx_doc(doc4_yaml, policy);

	assert_non_null(t);
	return t;
}

static int
usetup(void **state)
{
	struct wfx *f = xcalloc(1, sizeof(*f));

	f->topo = load_doc4("MAJORITY");
	f->published = wfx_published(4, "peers");
	f->live = wfx_live(4);
	f->members = json_pack("[s, s, s]", "Org3MSP", "Org1MSP", "Org2MSP");
	f->genesis = json_pack("{s:s, s:s, s:s}", "block", "AAECAwQF",
	    "sha256", "3f2a00", "workflow", "create-channel-trade");
	f->prepared = wfx_prepared("trade", 3);
	assert_non_null(f->prepared);
	f->update = json_pack("{s:O, s:O, s:s, s:i}", "update",
	    json_object_get(f->prepared, "update"), "sha256",
	    json_object_get(f->prepared, "sha256"), "preparedBy", "Org1MSP",
	    "configBlock", 3);
	*state = f;
	return 0;
}

/* One add-org / remove-org step; OUT's record, store_update and members are the caller's. */
static void
ustep(const struct wfx *f, const json_t *topo, const char *type, const char *org,
    const json_t *record, const json_t *live, const json_t *results,
    const json_t *update, struct wf_output *out)
{
	struct wf_input in;
	char *cause = NULL;

	memset(&in, 0, sizeof(in));
	in.record = record;
	in.topo = topo != NULL ? topo : f->topo;
	in.channel = "trade";
	in.orgs = f->published;
	in.live = live != NULL ? live : f->live;
	in.results = results;
	in.genesis = f->genesis;
	in.type = type;
	in.org = org;
	in.members = f->members;
	in.update = update;
	in.now = 1795430100;
	assert_int_equal(wf_update_org_step(&in, out, &cause), 0);
	assert_non_null(out->record);
}

static void
out_clear(struct wf_output *out)
{
	json_decref(out->record);
	json_decref(out->store_update);
	json_decref(out->members);
	memset(out, 0, sizeof(*out));
}

static const json_t *
ntask(const json_t *rec, const char *name, const char *id)
{
	const json_t *t;
	size_t i;

	json_array_foreach(json_object_get(wfx_step_named(rec, name), "tasks"), i, t)
		if (strcmp(json_string_value(json_object_get(t, "id")), id) == 0)
			return t;
	return NULL;
}

static json_t *
sig_detail(const char *tag)
{
	char *h = b64_encode(tag, strlen(tag), 0);
	json_t *d = json_pack("{s:s, s:s}", "signatureHeader", h, "signature", "MEUCIQ==");

	free(h);
	return d;
}

/* The record at its sign step: prepared by Org1MSP, update stored. */
static json_t *
at_sign(const struct wfx *f, const json_t *topo, json_t *results)
{
	struct wf_output out;
	json_t *rec;

	wfx_result(results, AW_PREP, "done", "prepared", json_deep_copy(f->prepared));
	ustep(f, topo, WF_ADD_ORG, "Org4MSP", NULL, NULL, results, NULL, &out);
	assert_non_null(out.store_update);
	rec = json_incref(out.record);
	out_clear(&out);
	return rec;
}

static void
t_add_collect_waits(void **state)
{
	struct wfx *f = *state;
	struct wf_output out;
	json_t *pub = json_deep_copy(f->published);
	const json_t *c;

	json_object_del(pub, "Org4MSP");
	{
		struct wf_input in;
		char *cause = NULL;

		memset(&in, 0, sizeof(in));
		in.topo = f->topo;
		in.channel = "trade";
		in.orgs = pub;
		in.live = f->live;
		in.type = WF_ADD_ORG;
		in.org = "Org4MSP";
		in.members = f->members;
		in.now = 1;
		assert_int_equal(wf_update_org_step(&in, &out, &cause), 0);
	}
	assert_true(out.changed);
	assert_string_equal(sget(out.record, "id"), AW);
	assert_string_equal(sget(out.record, "type"), "add-org");
	assert_string_equal(sget(out.record, "org"), "Org4MSP");
	assert_string_equal(sget(out.record, "state"), "running");
	assert_int_equal(json_array_size(json_object_get(out.record, "steps")), 6);
	assert_string_equal(wfx_nstate(out.record, "collect"), "waiting");
	assert_string_equal(wfx_nstate(out.record, "prepare"), "pending");
	c = json_object_get(wfx_step_named(out.record, "collect"), "waitingFor");
	assert_int_equal(json_array_size(c), 1);
	assert_string_equal(json_string_value(json_array_get(c, 0)), "Org4MSP");
	/* The signers are frozen, sorted. */
	assert_string_equal(json_string_value(json_array_get(json_object_get(out.record,
	    "members"), 0)), "Org1MSP");
	assert_int_equal(json_array_size(json_object_get(out.record, "members")), 3);
	assert_null(out.members);
	out_clear(&out);
	json_decref(pub);
}

static void
t_add_prepare_submitter(void **state)
{
	struct wfx *f = *state;
	struct wf_output out;
	json_t *live = json_pack("{s:b, s:b, s:b}", "Org2MSP", 1, "Org3MSP", 1,
	    "Org4MSP", 1), *tasks = json_array(), *none = json_object();
	const json_t *t;

	/* Org1MSP unreachable: Org2MSP prepares. */
	ustep(f, NULL, WF_ADD_ORG, "Org4MSP", NULL, live, NULL, NULL, &out);
	assert_string_equal(wfx_nstate(out.record, "collect"), "done");
	assert_string_equal(wfx_nstate(out.record, "prepare"), "running");
	assert_int_equal(json_array_size(json_object_get(wfx_step_named(out.record, "prepare"),
	    "tasks")), 1);
	t = ntask(out.record, "prepare", AW ".update-prepare.Org2MSP");
	assert_non_null(t);
	assert_string_equal(sget(t, "state"), "sent");
	wf_open_tasks(out.record, "Org2MSP", none, f->genesis, tasks);
	assert_int_equal(json_array_size(tasks), 1);
	t = json_array_get(tasks, 0);
	assert_string_equal(sget(t, "type"), "update-prepare");
	assert_string_equal(sget(t, "channel"), "trade");
	assert_string_equal(sget(json_object_get(t, "change"), "addOrg"), "Org4MSP");
	json_array_clear(tasks);
	wf_open_tasks(out.record, "Org1MSP", none, f->genesis, tasks);
	assert_int_equal(json_array_size(tasks), 0);
	out_clear(&out);
	/* All reachable: the first in MSP ID order. */
	ustep(f, NULL, WF_ADD_ORG, "Org4MSP", NULL, NULL, NULL, NULL, &out);
	assert_non_null(ntask(out.record, "prepare", AW_PREP));
	out_clear(&out);
	/* None reachable: waiting for all of them. */
	ustep(f, NULL, WF_ADD_ORG, "Org4MSP", NULL, none, NULL, NULL, &out);
	assert_string_equal(wfx_nstate(out.record, "prepare"), "waiting");
	assert_int_equal(json_array_size(json_object_get(wfx_step_named(out.record, "prepare"),
	    "waitingFor")), 3);
	out_clear(&out);
	json_decref(live);
	json_decref(tasks);
	json_decref(none);
}

static void
t_add_prepared_sign_sent(void **state)
{
	struct wfx *f = *state;
	struct wf_output out;
	json_t *results = json_object(), *rec, *tasks = json_array(), *bad;
	const json_t *t;
	const char *m[] = { "Org1MSP", "Org2MSP", "Org3MSP" };
	size_t i;

	wfx_result(results, AW_PREP, "done", "prepared", json_deep_copy(f->prepared));
	ustep(f, NULL, WF_ADD_ORG, "Org4MSP", NULL, NULL, results, NULL, &out);
	assert_true(out.changed);
	assert_non_null(out.store_update);
	assert_string_equal(sget(out.store_update, "sha256"), sget(f->prepared, "sha256"));
	assert_string_equal(sget(out.store_update, "preparedBy"), "Org1MSP");
	assert_int_equal(json_integer_value(json_object_get(out.store_update,
	    "configBlock")), 3);
	assert_string_equal(wfx_nstate(out.record, "prepare"), "done");
	assert_string_equal(wfx_nstate(out.record, "sign"), "running");
	assert_string_equal(wfx_nstate(out.record, "submit"), "pending");
	assert_string_equal(sget(wfx_step_named(out.record, "sign"), "policy"), "MAJORITY");
	assert_int_equal(json_integer_value(json_object_get(wfx_step_named(out.record, "sign"),
	    "required")), 2);
	/* Every current member at once, not the new org. */
	assert_int_equal(json_array_size(json_object_get(wfx_step_named(out.record, "sign"),
	    "tasks")), 3);
	rec = json_incref(out.record);
	out_clear(&out);
	for (i = 0; i < 3; i++) {
		char *id = xasprintf(AW ".update-sign.%s", m[i]);

		assert_string_equal(sget(ntask(rec, "sign", id), "state"), "sent");
		json_array_clear(tasks);
		wf_open_tasks(rec, m[i], NULL, f->genesis, tasks);
		assert_int_equal(json_array_size(tasks), 1);
		t = json_array_get(tasks, 0);
		assert_string_equal(sget(t, "id"), id);
		assert_string_equal(sget(t, "type"), "update-sign");
		assert_string_equal(sget(t, "update"), sget(f->prepared, "update"));
		assert_string_equal(sget(t, "sha256"), sget(f->prepared, "sha256"));
		free(id);
	}
	json_array_clear(tasks);
	wf_open_tasks(rec, "Org4MSP", NULL, f->genesis, tasks);
	assert_int_equal(json_array_size(tasks), 0);
	/* Stored now: the next pass stores nothing and changes nothing. */
	ustep(f, NULL, NULL, NULL, rec, NULL, results, f->update, &out);
	assert_null(out.store_update);
	assert_false(out.changed);
	out_clear(&out);
	/* A prepared update whose SHA-256 is not its bytes' fails prepare. */
	bad = json_deep_copy(f->prepared);
	json_object_set_new(bad, "sha256", json_string("00"));
	wfx_result(results, AW_PREP, "done", "prepared", bad);
	ustep(f, NULL, WF_ADD_ORG, "Org4MSP", NULL, NULL, results, NULL, &out);
	assert_null(out.store_update);
	assert_string_equal(sget(out.record, "state"), "failed");
	assert_non_null(strstr(sget(out.record, "lastError"), "SHA-256"));
	out_clear(&out);
	json_decref(rec);
	json_decref(results);
	json_decref(tasks);
}

static void
t_sign_majority(void **state)
{
	struct wfx *f = *state;
	struct wf_output out;
	json_t *results = json_object(), *rec, *tasks = json_array();
	const json_t *t, *sigs;

	rec = at_sign(f, NULL, results);
	wfx_result(results, AW_S1, "done", "signed", sig_detail("h1"));
	ustep(f, NULL, NULL, NULL, rec, NULL, results, f->update, &out);
	assert_string_equal(wfx_nstate(out.record, "sign"), "running");
	assert_string_equal(sget(ntask(out.record, "sign", AW_S1), "state"), "done");
	out_clear(&out);
	wfx_result(results, AW_S3, "done", "signed", sig_detail("h3"));
	ustep(f, NULL, NULL, NULL, rec, NULL, results, f->update, &out);
	/* 2 of 3 meet MAJORITY while Org2MSP's task is still sent. */
	assert_string_equal(wfx_nstate(out.record, "sign"), "done");
	assert_string_equal(sget(ntask(out.record, "sign", AW_S2), "state"), "sent");
	assert_string_equal(wfx_nstate(out.record, "submit"), "running");
	t = ntask(out.record, "submit", AW_SUB);
	assert_non_null(t);
	assert_string_equal(sget(t, "org"), "Org1MSP");
	json_decref(rec);
	rec = json_incref(out.record);
	out_clear(&out);
	wf_open_tasks(rec, "Org1MSP", NULL, f->genesis, tasks);
	assert_int_equal(json_array_size(tasks), 1);
	t = json_array_get(tasks, 0);
	assert_string_equal(sget(t, "type"), "update-submit");
	assert_string_equal(sget(t, "update"), sget(f->prepared, "update"));
	sigs = json_object_get(t, "signatures");
	assert_int_equal(json_array_size(sigs), 2);
	assert_string_equal(sget(json_array_get(sigs, 0), "org"), "Org1MSP");
	assert_string_equal(sget(json_array_get(sigs, 1), "org"), "Org3MSP");
	assert_non_null(sget(json_array_get(sigs, 1), "signatureHeader"));
	/* The sign step is over: Org2MSP is no longer asked. */
	json_array_clear(tasks);
	wf_open_tasks(rec, "Org2MSP", NULL, f->genesis, tasks);
	assert_int_equal(json_array_size(tasks), 0);
	/* A later signature is used too. */
	wfx_result(results, AW_S2, "done", "signed", sig_detail("h2"));
	ustep(f, NULL, NULL, NULL, rec, NULL, results, f->update, &out);
	assert_int_equal(json_array_size(json_object_get(ntask(out.record, "submit",
	    AW_SUB), "signatures")), 3);
	out_clear(&out);
	json_decref(rec);
	json_decref(results);
	json_decref(tasks);
}

static void
t_sign_all(void **state)
{
	struct wfx *f = *state;
	struct wf_output out;
	json_t *topo = load_doc4("ALL"), *results = json_object(), *rec;

	rec = at_sign(f, topo, results);
	assert_string_equal(sget(wfx_step_named(rec, "sign"), "policy"), "ALL");
	wfx_result(results, AW_S1, "done", "signed", sig_detail("h1"));
	wfx_result(results, AW_S2, "done", "signed", sig_detail("h2"));
	ustep(f, topo, NULL, NULL, rec, NULL, results, f->update, &out);
	assert_string_equal(wfx_nstate(out.record, "sign"), "running");
	assert_string_equal(wfx_nstate(out.record, "submit"), "pending");
	out_clear(&out);
	/* A done result without a signature does not count. */
	wfx_result(results, AW_S3, "done", "signed", json_object());
	ustep(f, topo, NULL, NULL, rec, NULL, results, f->update, &out);
	assert_string_equal(wfx_nstate(out.record, "sign"), "failed");
	out_clear(&out);
	wfx_result(results, AW_S3, "done", "signed", sig_detail("h3"));
	ustep(f, topo, NULL, NULL, rec, NULL, results, f->update, &out);
	assert_string_equal(wfx_nstate(out.record, "sign"), "done");
	assert_int_equal(json_integer_value(json_object_get(wfx_step_named(out.record, "sign"),
	    "required")), 3);
	out_clear(&out);
	json_decref(rec);
	json_decref(topo);
	/* ANY: one is enough. */
	topo = load_doc4("ANY");
	json_object_clear(results);
	rec = at_sign(f, topo, results);
	wfx_result(results, AW_S2, "done", "signed", sig_detail("h2"));
	ustep(f, topo, NULL, NULL, rec, NULL, results, f->update, &out);
	assert_string_equal(wfx_nstate(out.record, "sign"), "done");
	out_clear(&out);
	json_decref(rec);
	json_decref(topo);
	json_decref(results);
}

static void
t_sign_refused(void **state)
{
	struct wfx *f = *state;
	struct wf_output out;
	json_t *results = json_object(), *rec, *tasks = json_array();
	const char *le;

	rec = at_sign(f, NULL, results);
	wfx_result(results, AW_S1, "failed", "the signer refused: Org9MSP is not "
	    "declared in the consortium", NULL);
	ustep(f, NULL, NULL, NULL, rec, NULL, results, f->update, &out);
	/* One refusal of 3: MAJORITY can still be met. */
	assert_string_equal(sget(out.record, "state"), "running");
	assert_string_equal(wfx_nstate(out.record, "sign"), "running");
	out_clear(&out);
	wfx_result(results, AW_S3, "failed", "the signer refused: the update adds an "
	    "org the document does not declare", NULL);
	ustep(f, NULL, NULL, NULL, rec, NULL, results, f->update, &out);
	assert_string_equal(sget(out.record, "state"), "failed");
	assert_string_equal(wfx_nstate(out.record, "sign"), "failed");
	assert_string_equal(wfx_nstate(out.record, "submit"), "pending");
	le = sget(out.record, "lastError");
	assert_non_null(le);
	assert_non_null(strstr(le, "MAJORITY"));
	assert_non_null(strstr(le, "Org1MSP refused: the signer refused: Org9MSP is not "
	    "declared"));
	assert_non_null(strstr(le, "Org3MSP refused: the signer refused: the update adds"));
	assert_null(strstr(le, "Org2MSP"));
	wf_open_tasks(out.record, "Org2MSP", NULL, f->genesis, tasks);
	assert_int_equal(json_array_size(tasks), 0);
	/* Final: stays as it is. */
	json_decref(rec);
	rec = json_incref(out.record);
	out_clear(&out);
	wfx_result(results, AW_S2, "done", "signed", sig_detail("h2"));
	ustep(f, NULL, NULL, NULL, rec, NULL, results, f->update, &out);
	assert_false(out.changed);
	assert_ptr_equal(out.record, rec);
	out_clear(&out);
	json_decref(rec);
	json_decref(results);
	json_decref(tasks);
}

static void
t_applied_skips(void **state)
{
	struct wfx *f = *state;
	struct wf_output out;
	json_t *results = json_object(), *tasks = json_array();
	const json_t *t;

	wfx_result(results, AW_PREP, "done", "already applied", json_pack("{s:b}",
	    "applied", 1));
	ustep(f, NULL, WF_ADD_ORG, "Org4MSP", NULL, NULL, results, NULL, &out);
	assert_null(out.store_update);
	assert_string_equal(wfx_nstate(out.record, "prepare"), "done");
	assert_string_equal(wfx_nstate(out.record, "sign"), "done");
	assert_string_equal(wfx_nstate(out.record, "submit"), "done");
	assert_null(json_object_get(wfx_step_named(out.record, "sign"), "tasks"));
	assert_string_equal(wfx_nstate(out.record, "join-peers"), "running");
	/* The new org's peers only, with the channel's genesis block. */
	assert_int_equal(json_array_size(json_object_get(wfx_step_named(out.record,
	    "join-peers"), "tasks")), 2);
	assert_non_null(ntask(out.record, "join-peers", AW_P40));
	assert_non_null(ntask(out.record, "join-peers", AW_P41));
	wf_open_tasks(out.record, "Org4MSP", NULL, f->genesis, tasks);
	assert_int_equal(json_array_size(tasks), 2);
	t = json_array_get(tasks, 0);
	assert_string_equal(sget(t, "type"), "join-peer");
	assert_string_equal(sget(t, "node"), "peer0");
	assert_string_equal(sget(t, "block"), "AAECAwQF");
	assert_string_equal(sget(t, "blockSha256"), "3f2a00");
	json_array_clear(tasks);
	wf_open_tasks(out.record, "Org1MSP", NULL, f->genesis, tasks);
	assert_int_equal(json_array_size(tasks), 0);
	out_clear(&out);
	json_decref(results);
	json_decref(tasks);
}

static void
t_add_succeeds_members(void **state)
{
	struct wfx *f = *state;
	struct wf_output out;
	json_t *results = json_object(), *rec;
	const json_t *m;

	rec = at_sign(f, NULL, results);
	wfx_result(results, AW_S1, "done", "signed", sig_detail("h1"));
	wfx_result(results, AW_S2, "done", "signed", sig_detail("h2"));
	wfx_result(results, AW_SUB, "done", "submitted: block 4", json_pack("{s:i}",
	    "blockNumber", 4));
	ustep(f, NULL, NULL, NULL, rec, NULL, results, f->update, &out);
	assert_string_equal(wfx_nstate(out.record, "submit"), "done");
	assert_string_equal(wfx_nstate(out.record, "join-peers"), "running");
	assert_null(out.members);
	json_decref(rec);
	rec = json_incref(out.record);
	out_clear(&out);
	wfx_result(results, AW_P40, "done", "joined", NULL);
	wfx_result(results, AW_P41, "done", "joined", NULL);
	ustep(f, NULL, NULL, NULL, rec, NULL, results, f->update, &out);
	assert_string_equal(wfx_nstate(out.record, "anchor-peers"), "running");
	assert_non_null(ntask(out.record, "anchor-peers", AW_A4));
	json_decref(rec);
	rec = json_incref(out.record);
	out_clear(&out);
	wfx_result(results, AW_A4, "done", "anchor peers set", NULL);
	ustep(f, NULL, NULL, NULL, rec, NULL, results, f->update, &out);
	assert_string_equal(sget(out.record, "state"), "succeeded");
	assert_true(json_is_null(json_object_get(out.record, "lastError")));
	m = out.members;
	assert_int_equal(json_array_size(m), 4);
	assert_string_equal(json_string_value(json_array_get(m, 0)), "Org1MSP");
	assert_string_equal(json_string_value(json_array_get(m, 3)), "Org4MSP");
	out_clear(&out);
	json_decref(rec);
	json_decref(results);
}

static void
t_remove_org(void **state)
{
	struct wfx *f = *state;
	struct wf_output out;
	json_t *live = json_pack("{s:b, s:b}", "Org2MSP", 1, "Org3MSP", 1);
	json_t *results = json_object(), *rec;
	const json_t *steps;

	/* Org1MSP unreachable, Org2MSP is the one removed: Org3MSP prepares. */
	ustep(f, NULL, WF_REMOVE_ORG, "Org2MSP", NULL, live, NULL, NULL, &out);
	assert_string_equal(sget(out.record, "id"), "remove-org-trade-Org2MSP");
	steps = json_object_get(out.record, "steps");
	assert_int_equal(json_array_size(steps), 3);
	assert_null(wfx_step_named(out.record, "collect"));
	assert_null(wfx_step_named(out.record, "join-peers"));
	assert_null(wfx_step_named(out.record, "anchor-peers"));
	assert_string_equal(wfx_nstate(out.record, "prepare"), "running");
	assert_non_null(ntask(out.record, "prepare",
	    "remove-org-trade-Org2MSP.update-prepare.Org3MSP"));
	rec = json_incref(out.record);
	out_clear(&out);
	{
		json_t *tasks = json_array();

		wf_open_tasks(rec, "Org3MSP", NULL, NULL, tasks);
		assert_int_equal(json_array_size(tasks), 1);
		assert_string_equal(sget(json_object_get(json_array_get(tasks, 0), "change"),
		    "removeOrg"), "Org2MSP");
		json_decref(tasks);
	}
	json_decref(rec);
	/* All live: Org1MSP prepares and submits; signers are all three. */
	wfx_result(results, "remove-org-trade-Org2MSP.update-prepare.Org1MSP", "done",
	    "prepared", json_deep_copy(f->prepared));
	ustep(f, NULL, WF_REMOVE_ORG, "Org2MSP", NULL, NULL, results, NULL, &out);
	assert_non_null(out.store_update);
	assert_int_equal(json_array_size(json_object_get(wfx_step_named(out.record, "sign"),
	    "tasks")), 3);
	rec = json_incref(out.record);
	out_clear(&out);
	wfx_result(results, "remove-org-trade-Org2MSP.update-sign.Org1MSP", "done", "s",
	    sig_detail("h1"));
	wfx_result(results, "remove-org-trade-Org2MSP.update-sign.Org3MSP", "done", "s",
	    sig_detail("h3"));
	wfx_result(results, "remove-org-trade-Org2MSP.update-submit.Org1MSP", "done",
	    "submitted", NULL);
	ustep(f, NULL, NULL, NULL, rec, NULL, results, f->update, &out);
	assert_string_equal(sget(out.record, "state"), "succeeded");
	assert_int_equal(json_array_size(out.members), 2);
	assert_string_equal(json_string_value(json_array_get(out.members, 0)), "Org1MSP");
	assert_string_equal(json_string_value(json_array_get(out.members, 1)), "Org3MSP");
	out_clear(&out);
	json_decref(rec);
	json_decref(results);
	json_decref(live);
}

static void
t_update_next(void **state)
{
	struct wfx *f = *state;
	json_t *records = json_object(), *members;
	char *type = NULL, *msp = NULL, *id = NULL;

	/* Org4MSP to add, Org5MSP (stored, not in the document) to remove: adds first. */
	members = json_pack("[s, s, s, s]", "Org5MSP", "Org1MSP", "Org2MSP", "Org3MSP");
	assert_int_equal(wf_update_org_next(f->topo, "trade", members, NULL, records, &type,
	    &msp, &id), 1);
	assert_string_equal(type, "add-org");
	assert_string_equal(msp, "Org4MSP");
	assert_string_equal(id, AW);
	free(type);
	free(msp);
	free(id);
	/* An id that ran is not started again: the removal comes next. */
	json_object_set_new(records, AW, json_pack("{s:s, s:s, s:s, s:s}", "type",
	    "add-org", "channel", "trade", "org", "Org4MSP", "state", "failed"));
	assert_int_equal(wf_update_org_next(f->topo, "trade", members, NULL, records, &type,
	    &msp, &id), 1);
	assert_string_equal(type, "remove-org");
	assert_string_equal(msp, "Org5MSP");
	free(type);
	free(msp);
	free(id);
	/* A running one goes on, whatever the document says, one at a time. */
	json_object_set_new(records, "add-org-trade-Org9MSP", json_pack("{s:s, s:s, s:s, "
	    "s:s}", "type", "add-org", "channel", "trade", "org", "Org9MSP", "state",
	    "running"));
	assert_int_equal(wf_update_org_next(f->topo, "trade", members, NULL, records, &type,
	    &msp, &id), 1);
	assert_string_equal(msp, "Org9MSP");
	free(type);
	free(msp);
	free(id);
	json_object_clear(records);
	json_decref(members);
	/* In step: nothing to do. */
	members = json_pack("[s, s, s, s]", "Org4MSP", "Org3MSP", "Org2MSP", "Org1MSP");
	assert_int_equal(wf_update_org_next(f->topo, "trade", members, NULL, records, &type,
	    &msp, &id), 0);
	assert_null(type);
	json_decref(members);
	json_decref(records);
}

static void
t_channel_members(void **state)
{
	json_t *rec = json_pack("{s:[{s:s}, {s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]},"
	    " {s:s, s:[{s:s, s:s}]}]}", "steps", "name", "join-orderers",
	    "name", "join-peers", "tasks", "id", "a", "org", "Org2MSP", "id", "b", "org",
	    "Org1MSP", "id", "c", "org", "Org2MSP",
	    "name", "anchor-peers", "tasks", "id", "d", "org", "Org1MSP");
	json_t *m = wf_channel_members(rec);

	(void)state;
	assert_int_equal(json_array_size(m), 2);
	assert_string_equal(json_string_value(json_array_get(m, 0)), "Org1MSP");
	assert_string_equal(json_string_value(json_array_get(m, 1)), "Org2MSP");
	json_decref(m);
	json_decref(rec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_nothing_published, setup, teardown),
		cmocka_unit_test_setup_teardown(t_one_published, setup, teardown),
		cmocka_unit_test_setup_teardown(t_all_published_wants_genesis, setup, teardown),
		cmocka_unit_test_setup_teardown(t_genesis_stored_join_orderers, setup, teardown),
		cmocka_unit_test_setup_teardown(t_orderers_done_join_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(t_unreachable_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(t_all_done_succeeded, setup, teardown),
		cmocka_unit_test_setup_teardown(t_rendered, setup, teardown),
		cmocka_unit_test_setup_teardown(t_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(t_retry_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(t_never_back, setup, teardown),
		cmocka_unit_test_setup_teardown(t_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(t_unknown_channel, setup, teardown),
		cmocka_unit_test(t_result_parse),
		cmocka_unit_test(t_result_parse_limits),
		cmocka_unit_test_setup_teardown(t_add_collect_waits, usetup, wfx_teardown),
		cmocka_unit_test_setup_teardown(t_add_prepare_submitter, usetup, wfx_teardown),
		cmocka_unit_test_setup_teardown(t_add_prepared_sign_sent, usetup, wfx_teardown),
		cmocka_unit_test_setup_teardown(t_sign_majority, usetup, wfx_teardown),
		cmocka_unit_test_setup_teardown(t_sign_all, usetup, wfx_teardown),
		cmocka_unit_test_setup_teardown(t_sign_refused, usetup, wfx_teardown),
		cmocka_unit_test_setup_teardown(t_applied_skips, usetup, wfx_teardown),
		cmocka_unit_test_setup_teardown(t_add_succeeds_members, usetup, wfx_teardown),
		cmocka_unit_test_setup_teardown(t_remove_org, usetup, wfx_teardown),
		cmocka_unit_test_setup_teardown(t_update_next, usetup, wfx_teardown),
		cmocka_unit_test(t_channel_members),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
