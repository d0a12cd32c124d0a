/*
 * test_ctl_workflow.c: fabfedctl's rendering of cross-cluster workflows
 * (cli/ctl_workflow.c) from recorded answers in the shapes of
 * docs/workflows.md: the get workflows table, describe workflow, the
 * progress lines of apply --wait, and its decision (converged / failed /
 * keep waiting) over a table of states.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl.h"

/* "now" of every age below: 100 s after createdAt of the records. */
#define NOW	((time_t)1795430100)

/* The record of docs/workflows.md: join-orderers running, Org2 waiting. */
static const char RUNNING[] =
    "{\"id\": \"create-channel-trade\", \"type\": \"create-channel\","
    " \"consortium\": \"trade-finance\", \"channel\": \"trade\","
    " \"state\": \"running\","
    " \"createdAt\": 1795430000, \"updatedAt\": 1795430088,"
    " \"steps\": ["
    "  {\"name\": \"collect\", \"state\": \"done\"},"
    "  {\"name\": \"genesis\", \"state\": \"done\", \"message\":"
    "   \"block 0 of trade, 35653 bytes, sha256 3f2a\"},"
    "  {\"name\": \"join-orderers\", \"state\": \"running\","
    "   \"tasks\": [{\"id\": \"create-channel-trade.join-orderer.Org1MSP."
    "orderer0\", \"org\": \"Org1MSP\", \"node\": \"orderer0\","
    "    \"state\": \"done\", \"message\": \"joined (channel participation)\"},"
    "    {\"id\": \"create-channel-trade.join-orderer.Org2MSP.orderer0\","
    "     \"org\": \"Org2MSP\", \"node\": \"orderer0\", \"state\": \"waiting\","
    "     \"message\": \"Org2MSP's agent is unreachable (no heartbeat for 41"
    " s); waiting for it\"}]},"
    "  {\"name\": \"join-peers\", \"state\": \"pending\"},"
    "  {\"name\": \"anchor-peers\", \"state\": \"pending\"}],"
    " \"lastError\": null}";

/* join-peers: one done, one retried, one waiting for Org3. */
static const char PEERS[] =
    "{\"id\": \"create-channel-trade\", \"type\": \"create-channel\","
    " \"channel\": \"trade\", \"state\": \"running\","
    " \"steps\": ["
    "  {\"name\": \"collect\", \"state\": \"done\"},"
    "  {\"name\": \"join-peers\", \"state\": \"running\", \"tasks\": ["
    "   {\"org\": \"Org1MSP\", \"node\": \"peer0\", \"state\": \"done\"},"
    "   {\"org\": \"Org2MSP\", \"node\": \"peer0\", \"state\": \"sent\","
    "    \"attempts\": 2, \"message\": \"peer0: connection refused\"},"
    "   {\"org\": \"Org3MSP\", \"node\": \"peer0\", \"state\": \"waiting\","
    "    \"message\": \"unreachable\"}]}],"
    " \"lastError\": null}";

/* collect waiting for two orgs. */
static const char COLLECT[] =
    "{\"id\": \"create-channel-audit\", \"channel\": \"audit\","
    " \"state\": \"running\", \"steps\": ["
    "  {\"name\": \"collect\", \"state\": \"waiting\","
    "   \"waitingFor\": [\"Org2MSP\", \"Org3MSP\"],"
    "   \"message\": \"has not published its MSP and endpoints\"},"
    "  {\"name\": \"genesis\", \"state\": \"pending\"}]}";

/* A manifests runtime: every join and the anchor update rendered. */
static const char RENDERED[] =
    "{\"id\": \"create-channel-trade\", \"type\": \"create-channel\","
    " \"consortium\": \"trade-finance\", \"channel\": \"trade\","
    " \"state\": \"rendered\","
    " \"createdAt\": 1795430000, \"updatedAt\": 1795430090,"
    " \"steps\": ["
    "  {\"name\": \"collect\", \"state\": \"done\"},"
    "  {\"name\": \"genesis\", \"state\": \"done\"},"
    "  {\"name\": \"join-orderers\", \"state\": \"rendered\", \"tasks\": ["
    "   {\"org\": \"Org1MSP\", \"node\": \"orderer0\", \"state\": \"rendered\","
    "    \"message\": \"wrote out/channels/trade/join-orderer0.sh\"}]},"
    "  {\"name\": \"join-peers\", \"state\": \"done\", \"tasks\": ["
    "   {\"org\": \"Org1MSP\", \"node\": \"peer0\", \"state\": \"done\"}]},"
    "  {\"name\": \"anchor-peers\", \"state\": \"rendered\","
    "   \"message\": \"no live orderer to fetch the config from\"}],"
    " \"lastError\": null}";

static const char FAILED[] =
    "{\"id\": \"create-channel-trade\", \"type\": \"create-channel\","
    " \"channel\": \"trade\", \"state\": \"failed\", \"steps\": ["
    "  {\"name\": \"collect\", \"state\": \"done\"},"
    "  {\"name\": \"genesis\", \"state\": \"done\"},"
    "  {\"name\": \"join-orderers\", \"state\": \"failed\", \"tasks\": ["
    "   {\"org\": \"Org2MSP\", \"node\": \"orderer0\", \"state\": \"failed\","
    "    \"attempts\": 3, \"message\": \"the signer refused: not a consenter\"}"
    "  ]}],"
    " \"lastError\": \"Org2MSP orderer0: the signer refused: not a "
    "consenter\"}";

static const char LIST[] =
    "{\"items\": ["
    " {\"id\": \"create-channel-audit\", \"type\": \"create-channel\","
    "  \"channel\": \"audit\", \"state\": \"running\", \"step\": \"collect\","
    "  \"waitingFor\": [\"Org2MSP\", \"Org3MSP\"], \"updatedAt\": 1795430040},"
    " {\"id\": \"create-channel-trade\", \"type\": \"create-channel\","
    "  \"channel\": \"trade\", \"state\": \"succeeded\", \"step\": null,"
    "  \"waitingFor\": [], \"updatedAt\": 1795426500}]}";

struct capture {
	FILE *fp;
	char *data;
	size_t len;
};

static void
cap_open(struct capture *c)
{
	c->data = NULL;
	c->len = 0;
	c->fp = open_memstream(&c->data, &c->len);
	assert_non_null(c->fp);
}

static const char *
cap_close(struct capture *c)
{
	assert_int_equal(fclose(c->fp), 0);
	return c->data;
}

static json_t *
js(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);

	if (v == NULL)
		fail_msg("bad test JSON at %d:%d: %s", e.line, e.column, e.text);
	return v;
}

static void
has(const char *text, const char *needle)
{
	if (strstr(text, needle) == NULL)
		fail_msg("\"%s\" not in:\n%s", needle, text);
}

static void
lacks(const char *text, const char *needle)
{
	if (strstr(text, needle) != NULL)
		fail_msg("\"%s\" unexpectedly in:\n%s", needle, text);
}

/* ---- get workflows ---- */

static void
test_list_table(void **state)
{
	struct capture c;
	json_t *list = js(LIST);
	char *cause = NULL;

	(void)state;
	cap_open(&c);
	assert_int_equal(ctl_workflow_print_list(c.fp, list, NULL, NOW,
	    &cause), 0);
	cap_close(&c);
	assert_null(cause);
	assert_string_equal(c.data,
	    "ID                     TYPE             CHANNEL   STATE       "
	    "STEP      WAITING FOR       AGE\n"
	    "create-channel-audit   create-channel   audit     running     "
	    "collect   Org2MSP,Org3MSP   1m\n"
	    "create-channel-trade   create-channel   trade     succeeded   "
	    "-         -                 1h\n");
	free(c.data);

	/* One row only (get workflow ID). */
	cap_open(&c);
	assert_int_equal(ctl_workflow_print_list(c.fp, list,
	    "create-channel-trade", NOW, &cause), 0);
	cap_close(&c);
	has(c.data, "create-channel-trade");
	lacks(c.data, "audit");
	free(c.data);
	json_decref(list);

	/* createdAt, when the list has it, is the age. */
	list = js("{\"items\": [{\"id\": \"w\", \"state\": \"running\","
	    " \"createdAt\": 1795430000, \"updatedAt\": 1795430099}]}");
	cap_open(&c);
	assert_int_equal(ctl_workflow_print_list(c.fp, list, NULL, NOW,
	    &cause), 0);
	cap_close(&c);
	has(c.data, "   1m\n");
	free(c.data);
	json_decref(list);

	/* Not a list answer. */
	list = js("{\"workflows\": []}");
	cap_open(&c);
	assert_int_equal(ctl_workflow_print_list(c.fp, list, NULL, NOW,
	    &cause), -1);
	cap_close(&c);
	assert_non_null(cause);
	has(cause, "no \"items\"");
	assert_int_equal(c.len, 0);
	free(cause);
	free(c.data);
	json_decref(list);
}

static void
test_find_id(void **state)
{
	json_t *list = js(LIST);
	char *id;

	(void)state;
	id = ctl_workflow_id("trade");
	assert_string_equal(id, "create-channel-trade");
	assert_non_null(ctl_workflow_find(list, id));
	assert_string_equal(json_string_value(json_object_get(
	    ctl_workflow_find(list, id), "state")), "succeeded");
	free(id);
	assert_null(ctl_workflow_find(list, "create-channel-x"));
	assert_null(ctl_workflow_find(NULL, "create-channel-x"));
	json_decref(list);
}

/* ---- describe workflow ---- */

static void
test_describe_running(void **state)
{
	struct capture c;
	json_t *r = js(RUNNING);
	char *cause = NULL;

	(void)state;
	cap_open(&c);
	assert_int_equal(ctl_workflow_describe(c.fp, r, NOW, &cause), 0);
	cap_close(&c);
	has(c.data, "Name:         create-channel-trade\n");
	has(c.data, "Consortium:   trade-finance\n");
	has(c.data, "State:        running\n");
	has(c.data, "Step:         join-orderers (3 of 5)\n");
	has(c.data, "Created:      1m ago\n");
	has(c.data, "Updated:      12s ago\n");
	has(c.data, "Last error:   none\n");
	has(c.data, "\nSTEPS\n#   STEP            STATE     MESSAGE\n");
	has(c.data, "2   genesis         done      block 0 of trade, 35653 "
	    "bytes, sha256 3f2a\n");
	has(c.data, "3   join-orderers   running   1/2 tasks done\n");
	has(c.data, "5   anchor-peers    pending   -\n");
	has(c.data, "\nTASKS\nSTEP            ORG       NODE       STATE     "
	    "ATTEMPTS   MESSAGE\n");
	has(c.data, "join-orderers   Org1MSP   orderer0   done      0          "
	    "joined (channel participation)\n");
	has(c.data, "\nWAITING\nwaiting for Org2MSP: Org2MSP's agent is "
	    "unreachable (no heartbeat for 41 s); waiting for it (task "
	    "create-channel-trade.join-orderer.Org2MSP.orderer0)\n");
	lacks(c.data, "RENDERED");
	free(c.data);
	json_decref(r);

	/* A step waiting for orgs names each of them. */
	r = js(COLLECT);
	cap_open(&c);
	assert_int_equal(ctl_workflow_describe(c.fp, r, NOW, &cause), 0);
	cap_close(&c);
	has(c.data, "waiting for Org2MSP: has not published its MSP and "
	    "endpoints (step collect)\n");
	has(c.data, "waiting for Org3MSP: has not published its MSP and "
	    "endpoints (step collect)\n");
	lacks(c.data, "TASKS");
	free(c.data);
	json_decref(r);

	/* No id: not a record. */
	r = js("{\"error\": \"x\"}");
	cap_open(&c);
	assert_int_equal(ctl_workflow_describe(c.fp, r, NOW, &cause), -1);
	cap_close(&c);
	has(cause, "no workflow \"id\"");
	free(cause);
	free(c.data);
	json_decref(r);
}

static void
test_describe_rendered(void **state)
{
	struct capture c;
	json_t *r = js(RENDERED);
	char *cause = NULL, *s;

	(void)state;
	cap_open(&c);
	assert_int_equal(ctl_workflow_describe(c.fp, r, NOW, &cause), 0);
	cap_close(&c);
	has(c.data, "State:        rendered\n");
	has(c.data, "Step:         -\n");
	has(c.data, "\nRENDERED FOR GITOPS, NOT CARRIED OUT\n");
	has(c.data, "- join-orderers\n    Org1MSP orderer0: wrote "
	    "out/channels/trade/join-orderer0.sh\n");
	has(c.data, "- anchor-peers: no live orderer to fetch the config "
	    "from\n");
	/* join-peers was carried out: not in the rendered list. */
	lacks(c.data, "- join-peers");
	free(c.data);

	s = ctl_workflow_rendered_steps(r);
	assert_string_equal(s, "join-orderers, anchor-peers");
	free(s);
	json_decref(r);

	r = js(RUNNING);
	assert_null(ctl_workflow_rendered_steps(r));
	json_decref(r);
}

static void
test_describe_failed(void **state)
{
	struct capture c;
	json_t *r = js(FAILED);
	char *cause = NULL;

	(void)state;
	cap_open(&c);
	assert_int_equal(ctl_workflow_describe(c.fp, r, NOW, &cause), 0);
	cap_close(&c);
	has(c.data, "State:        failed\n");
	has(c.data, "Last error:   Org2MSP orderer0: the signer refused: not "
	    "a consenter\n");
	has(c.data, "join-orderers   Org2MSP   orderer0   failed   3          "
	    "the signer refused: not a consenter\n");
	free(c.data);
	json_decref(r);
}

static void
test_last_error(void **state)
{
	static const struct {
		const char *record;
		const char *want;	/* NULL: none */
	} cases[] = {
		{ "{\"lastError\": null}", NULL },
		{ "{}", NULL },
		{ "{\"lastError\": \"it broke\"}", "it broke" },
		{ "{\"lastError\": {\"message\": \"refused\", \"step\": "
		    "\"genesis\"}}", "refused (step genesis)" },
		{ "{\"lastError\": {\"message\": \"refused\", \"step\": \"s\", "
		    "\"task\": \"t\"}}", "refused (step s, task t)" },
		{ "{\"lastError\": {\"code\": 7}}", "{\"code\":7}" },
		{ "{\"lastError\": 42}", "42" },
	};
	json_t *r;
	char *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = js(cases[i].record);
		s = ctl_workflow_last_error(r);
		if (cases[i].want == NULL)
			assert_null(s);
		else {
			assert_non_null(s);
			assert_string_equal(s, cases[i].want);
		}
		free(s);
		json_decref(r);
	}
}

/* ---- apply --wait ---- */

static void
test_progress(void **state)
{
	static const struct {
		const char *record;	/* NULL: not created yet */
		const char *want;
	} cases[] = {
		{ NULL, "trade: not started yet (waiting for the controller to "
		    "create workflow create-channel-trade)" },
		{ RUNNING, "trade: join-orderers (1/2 done; waiting for "
		    "Org2MSP: Org2MSP's agent is unreachable (no heartbeat for "
		    "41 s); waiting for it)" },
		{ PEERS, "trade: join-peers (1/3 done; retrying Org2MSP/peer0 "
		    "(2 attempts): peer0: connection refused; waiting for "
		    "Org3MSP: unreachable)" },
		{ COLLECT, "trade: collect (waiting for Org2MSP, Org3MSP: has "
		    "not published its MSP and endpoints)" },
		{ RENDERED, "trade: rendered for GitOps, not carried out: "
		    "join-orderers, anchor-peers" },
		{ FAILED, "trade: failed at join-orderers: Org2MSP orderer0: "
		    "the signer refused: not a consenter" },
		{ "{\"state\": \"succeeded\", \"steps\": []}",
		    "trade: succeeded" },
		{ "{\"state\": \"running\", \"steps\": [{\"name\": "
		    "\"genesis\", \"state\": \"running\"}]}",
		    "trade: genesis (running)" },
		{ "{\"state\": \"failed\", \"steps\": [], \"lastError\": null}",
		    "trade: failed: the controller gave no reason" },
		/* Text from the controller is made safe for a terminal. */
		{ "{\"state\": \"running\", \"steps\": [{\"name\": "
		    "\"genesis\", \"state\": \"waiting\", \"waitingFor\": "
		    "[\"Org1MSP\"], \"message\": \"\\u001b[2Jboom\"}]}",
		    "trade: genesis (waiting for Org1MSP: ?[2Jboom)" },
	};
	json_t *r;
	char *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = cases[i].record != NULL ? js(cases[i].record) : NULL;
		s = ctl_workflow_progress("trade", r);
		if (strcmp(s, cases[i].want) != 0)
			fail_msg("case %zu:\n got  \"%s\"\n want \"%s\"", i, s,
			    cases[i].want);
		free(s);
		json_decref(r);
	}
}

static void
test_decide(void **state)
{
	static const char *const chans[] = { "trade", "audit" };
	static const struct {
		const char *trade;	/* NULL: no workflow listed */
		const char *audit;
		size_t n;		/* channels looked at */
		enum ctl_wf_verdict want;
		size_t which;
	} cases[] = {
		{ "succeeded", "succeeded", 2, CTL_WF_CONVERGED, 0 },
		{ "succeeded", "rendered", 2, CTL_WF_CONVERGED, 0 },
		{ "rendered", "rendered", 2, CTL_WF_CONVERGED, 0 },
		{ "running", "succeeded", 2, CTL_WF_WAIT, 0 },
		{ "succeeded", "running", 2, CTL_WF_WAIT, 1 },
		{ "succeeded", NULL, 2, CTL_WF_WAIT, 1 },
		{ NULL, NULL, 2, CTL_WF_WAIT, 0 },
		{ "succeeded", "paused", 2, CTL_WF_WAIT, 1 },	/* unknown */
		{ "failed", "running", 2, CTL_WF_FAILED, 0 },
		{ "running", "failed", 2, CTL_WF_FAILED, 1 },
		{ "succeeded", "failed", 2, CTL_WF_FAILED, 1 },
		{ "succeeded", "failed", 1, CTL_WF_CONVERGED, 0 }, /* not ours */
		{ NULL, NULL, 0, CTL_WF_CONVERGED, 0 },	/* no channels */
	};
	json_t *list, *items, *it;
	enum ctl_wf_verdict v;
	size_t i, which;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		list = json_object();
		items = json_array();
		json_object_set_new(list, "items", items);
		/* A workflow of another channel is never looked at. */
		json_array_append_new(items, json_pack("{s:s, s:s}", "id",
		    "create-channel-other", "state", "failed"));
		if (cases[i].trade != NULL) {
			it = json_pack("{s:s, s:s}", "id",
			    "create-channel-trade", "state", cases[i].trade);
			json_array_append_new(items, it);
		}
		if (cases[i].audit != NULL) {
			it = json_pack("{s:s, s:s}", "id",
			    "create-channel-audit", "state", cases[i].audit);
			json_array_append_new(items, it);
		}
		which = 99;
		v = ctl_workflow_decide(list, chans, cases[i].n, &which);
		if (v != cases[i].want)
			fail_msg("case %zu: verdict %d, want %d", i, (int)v,
			    (int)cases[i].want);
		if (v != CTL_WF_CONVERGED && which != cases[i].which)
			fail_msg("case %zu: which %zu, want %zu", i, which,
			    cases[i].which);
		json_decref(list);
	}
}

static void
test_duration(void **state)
{
	static const struct {
		long secs;
		const char *want;
	} cases[] = {
		{ 0, "0s" }, { 1, "1s" }, { 59, "59s" }, { 60, "1m" },
		{ 90, "1m30s" }, { 300, "5m" }, { 3600, "1h" },
		{ 3605, "1h5s" }, { 5400, "1h30m" }, { 86400, "24h" },
	};
	char out[32];
	size_t i;
	long back;
	char *cause;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ctl_workflow_duration(cases[i].secs, out, sizeof(out));
		assert_string_equal(out, cases[i].want);
		/* What is printed reads back as the same duration. */
		if (cases[i].secs > 0) {
			assert_int_equal(ctl_args_wait_timeout(out, &back,
			    &cause), 0);
			assert_int_equal(back, cases[i].secs);
		}
	}
}

/* apply --wait's membership check, over recorded list answers. */
static void
test_members(void **state)
{
	static const char doc_s[] =
	    "{\"spec\": {\"channels\": [{\"name\": \"trade\", "
	    "\"consenters\": [\"Org1MSP/orderer0\", \"Org4MSP/orderer0\"], "
	    "\"members\": [\"Org1MSP\", \"Org2MSP\", \"Org4MSP\"]}]}}";
	static const struct {
		const char *list;
		int want;
		const char *why;	/* a part of *why, or NULL */
	} cases[] = {
		/* No members reported: an older controller, nothing to check. */
		{ "{\"items\": []}", 1, NULL },
		/* The channel not created yet: create-channel decides. */
		{ "{\"items\": [], \"channels\": {}}", 1, NULL },
		{ "{\"items\": [], \"channels\": {\"trade\": {\"members\": "
		  "[\"Org1MSP\", \"Org2MSP\"]}}}", 0, "Org4MSP is not a member yet" },
		{ "{\"items\": [{\"id\": \"add-org-trade-Org4MSP\", \"type\": "
		  "\"add-org\", \"channel\": \"trade\", \"state\": \"running\", "
		  "\"step\": \"sign\"}], \"channels\": {\"trade\": {\"members\": "
		  "[\"Org1MSP\", \"Org2MSP\"]}}}", 0, "add-org-trade-Org4MSP is at sign" },
		{ "{\"items\": [{\"id\": \"add-org-trade-Org4MSP\", \"type\": "
		  "\"add-org\", \"channel\": \"trade\", \"state\": \"failed\"}], "
		  "\"channels\": {\"trade\": {\"members\": [\"Org1MSP\", "
		  "\"Org2MSP\"]}}}", -1, "add-org-trade-Org4MSP failed" },
		{ "{\"items\": [], \"channels\": {\"trade\": {\"members\": "
		  "[\"Org1MSP\", \"Org2MSP\", \"Org3MSP\", \"Org4MSP\"]}}}", 0,
		  "Org3MSP is still a member" },
		{ "{\"items\": [{\"id\": \"add-org-trade-Org4MSP\", \"type\": "
		  "\"add-org\", \"channel\": \"trade\", \"state\": "
		  "\"succeeded\"}], \"channels\": {\"trade\": {\"members\": "
		  "[\"Org4MSP\", \"Org2MSP\", \"Org1MSP\"]}}}", 1, NULL },
		/* Consenters, where reported: one to add, one to remove. */
		{ "{\"items\": [], \"channels\": {\"trade\": {\"members\": "
		  "[\"Org4MSP\", \"Org2MSP\", \"Org1MSP\"], \"consenters\": "
		  "[\"Org1MSP/orderer0\"]}}}", 0, "Org4MSP/orderer0 is not a consenter yet" },
		{ "{\"items\": [], \"channels\": {\"trade\": {\"members\": "
		  "[\"Org4MSP\", \"Org2MSP\", \"Org1MSP\"], \"consenters\": "
		  "[\"Org1MSP/orderer0\", \"Org2MSP/orderer0\", "
		  "\"Org4MSP/orderer0\"]}}}", 0, "Org2MSP/orderer0 is still a consenter" },
		{ "{\"items\": [{\"id\": \"add-consenter-trade-Org4MSP.orderer0\", "
		  "\"type\": \"add-consenter\", \"channel\": \"trade\", \"state\": "
		  "\"failed\"}], \"channels\": {\"trade\": {\"members\": "
		  "[\"Org4MSP\", \"Org2MSP\", \"Org1MSP\"], \"consenters\": "
		  "[\"Org1MSP/orderer0\"]}}}", -1,
		  "add-consenter-trade-Org4MSP.orderer0 failed" },
		{ "{\"items\": [], \"channels\": {\"trade\": {\"members\": "
		  "[\"Org4MSP\", \"Org2MSP\", \"Org1MSP\"], \"consenters\": "
		  "[\"Org4MSP/orderer0\", \"Org1MSP/orderer0\"]}}}", 1, NULL },
	};
	json_t *doc, *list;
	char *why;
	size_t i;
	int rc;

	(void)state;
	doc = json_loads(doc_s, 0, NULL);
	assert_non_null(doc);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		list = json_loads(cases[i].list, 0, NULL);
		assert_non_null(list);
		rc = ctl_workflow_members(list, doc, &why);
		if (rc != cases[i].want)
			fail_msg("case %zu: %d, want %d (%s)", i, rc,
			    cases[i].want, why != NULL ? why : "-");
		if (cases[i].why != NULL) {
			assert_non_null(why);
			if (strstr(why, cases[i].why) == NULL)
				fail_msg("case %zu: \"%s\" lacks \"%s\"", i, why,
				    cases[i].why);
		} else
			assert_null(why);
		free(why);
		json_decref(list);
	}
	json_decref(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_table),
		cmocka_unit_test(test_find_id),
		cmocka_unit_test(test_describe_running),
		cmocka_unit_test(test_describe_rendered),
		cmocka_unit_test(test_describe_failed),
		cmocka_unit_test(test_last_error),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
