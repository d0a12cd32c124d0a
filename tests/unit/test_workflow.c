/*
 * test_workflow.c: the create-channel step function (wf_create_channel.c)
 * over a table of stored states, the open tasks an agent sees, and the
 * task result checks (api_agent.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api.h"
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
	char *pad = xmalloc(40000), *body, *msg = NULL;
	int status;

	(void)state;
	memset(pad, 'b', 39999);
	pad[39999] = '\0';
	body = xasprintf("{\"state\":\"done\",\"detail\":{\"x\":\"%.*s\"}}", 17000, pad);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
