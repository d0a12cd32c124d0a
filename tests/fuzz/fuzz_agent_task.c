/*
 * fuzz_agent_task.c: the member agent's check of a task the controller
 * sends (tasks_check, member-agent/tasks.c), before it acts on it. The
 * first byte picks how the rest is used:
 *   even  the rest is the task, as JSON text (at most 1 MiB);
 *   odd   the rest is a block: the harness wraps it in a join-peer task
 *         with its base64 and its right blockSha256, so the block's
 *         decoding (not only the hash check) is reached.
 * The agent is Org1MSP of a fixed one-org consortium with channel
 * "trade" (consenter orderer0; orderer1 is not one, so join-orderer with
 * blockFrom "channel", leave-orderer and "orderers" reach their checks). Findings: a crash, a leak or undefined behaviour; a refusal
 * that is not a "failed" result with a printable message; an accepted
 * join task whose block is not what the task carried.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "b64.h"
#include "tasks.h"
#include "tasks_int.h"
#include "topology.h"

#define FUZZ_MAX_TASK (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char topo_json[] =
    "{\"apiVersion\":\"fabfed.io/v1alpha1\",\"kind\":\"Consortium\","
    "\"metadata\":{\"name\":\"fuzz\"},\"spec\":{\"orgs\":["
    "{\"mspId\":\"Org1MSP\",\"domain\":\"org1.example.com\","
    "\"cluster\":{\"name\":\"c1\",\"region\":\"r1\"},"
    "\"peers\":[{\"name\":\"peer0\",\"endpoint\":\"peer0.org1.example.com:7051\","
    "\"anchor\":true}],\"orderers\":[{\"name\":\"orderer0\","
    "\"endpoint\":\"orderer0.org1.example.com:7050\"},{\"name\":\"orderer1\","
    "\"endpoint\":\"orderer1.org1.example.com:7050\"}]}],"
    "\"channels\":[{\"name\":\"trade\",\"consenters\":[\"Org1MSP/orderer0\"],"
    "\"members\":[\"Org1MSP\"]}]}}";

static json_t *spec;

static void
init(void)
{
	struct topo_diags d;
	json_t *doc;

	topo_diags_init(&d);
	doc = topology_load(topo_json, sizeof(topo_json) - 1, &d);
	topo_diags_free(&d);
	if (doc == NULL)
		abort();
	/* The whole document: tasks_check finds orgs and channels under
	 * its "spec", as in the agent's desired state. */
	spec = doc;
}

static void
check(const json_t *task, const uint8_t *block, size_t blen)
{
	struct tasks_env env;
	struct task t;
	const char *st, *msg;
	json_t *r;
	size_t i;

	memset(&env, 0, sizeof(env));
	env.mspid = "Org1MSP";
	env.domain = "org1.example.com";
	env.spec = spec;
	r = tasks_check(&env, task, &t);
	if (r != NULL) {
		st = json_string_value(json_object_get(r, "state"));
		msg = json_string_value(json_object_get(r, "message"));
		if (st == NULL || strcmp(st, TASKS_FAILED) != 0 || msg == NULL ||
		    *msg == '\0')
			abort();
		for (i = 0; msg[i] != '\0'; i++)
			if ((unsigned char)msg[i] < 0x20)
				abort();
		json_decref(r);
	} else if (block != NULL && t.block != NULL &&
	    (t.blen != blen || memcmp(t.block, block, blen) != 0))
		abort();
	tasks_task_clear(&t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1], *b64;
	json_t *task;
	size_t i;

	if (spec == NULL)
		init();
	if (size == 0 || size - 1 > FUZZ_MAX_TASK)
		return 0;
	if ((data[0] & 1) == 0) {
		task = json_loadb((const char *)data + 1, size - 1,
		    JSON_REJECT_DUPLICATES, NULL);
		if (task != NULL)
			check(task, NULL, 0);
		json_decref(task);
		return 0;
	}
	SHA256(data + 1, size - 1, md);
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	b64 = b64_encode(data + 1, size - 1, 0);
	task = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", "fuzz.join",
	    "type", "join-peer", "channel", "trade", "node", "peer0",
	    "block", b64, "blockSha256", hex);
	free(b64);
	if (task != NULL)
		check(task, data + 1, size - 1);
	json_decref(task);
	return 0;
}
