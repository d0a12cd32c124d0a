/*
 * test_tasks.c: the agent's tasks (member-agent/tasks.c) without Fabric:
 * the checks before acting (channel, node, SHA-256, block 0), the
 * manifests runtime's rendered joins, and the anchor peer update that
 * touches only the agent's own org (examples/consortium.yaml, three orgs,
 * each with its PKI made by lib/msp).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/sha.h>

#include "common/common.pb-c.h"
#include "common/configtx.pb-c.h"

#include "b64.h"
#include "fabric_block.h"
#include "fabric_config.h"
#include "fixture.h"
#include "fabric_update.h"
#include "msp.h"
#include "runtime.h"
#include "taskfx.h"
#include "tasks.h"
#include "topology.h"
#include "xmalloc.h"

struct fx {
	struct taskfx *t;
	uint8_t *block;
	size_t blen;
	char *b64, sha[2 * SHA256_DIGEST_LENGTH + 1];
};

static void
hex(const uint8_t *d, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* Block 0 of trade, or (number != 0) the same block renumbered. */
static uint8_t *
make_block(const struct fx *f, uint64_t number, size_t *len)
{
	Common__Config *cfg;
	Common__Block *b;
	char *cause = NULL;
	uint8_t *out;

	cfg = fcfg_build_flags(f->t->doc, "trade", f->t->pub, FCFG_NO_ANCHORS, &cause);
	if (cfg == NULL)
		fail_msg("fcfg_build_flags: %s", cause);
	b = fblock_genesis(cfg, "trade", 1795430000, NULL, &cause);
	if (b == NULL)
		fail_msg("fblock_genesis: %s", cause);
	b->header->number = number;
	out = fblock_pack(b, len);
	fblock_free(b);
	fcfg_free(cfg);
	return out;
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	uint8_t md[SHA256_DIGEST_LENGTH];

	if ((f->t = taskfx_new("test_tasks", NULL)) == NULL) {
		free(f);
		return -1;
	}
	f->block = make_block(f, 0, &f->blen);
	SHA256(f->block, f->blen, md);
	hex(md, sizeof(md), f->sha);
	f->b64 = b64_encode(f->block, f->blen, 0);
	*state = f;
	return 0;
}

static json_t *
join_task(const struct fx *f, const char *type, const char *channel,
    const char *node, const char *b64, const char *sha)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
	    "create-channel-trade.x", "workflow", "create-channel-trade", "type",
	    type, "channel", channel, "node", node, "block", b64 != NULL ? b64 :
	    f->b64, "blockSha256", sha != NULL ? sha : f->sha);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	if (f == NULL)
		return 0;
	taskfx_free(f->t);
	free(f->block);
	free(f->b64);
	free(f);
	return 0;
}

/* Runs the task; checks the state and that the message has WANT. */
static void
expect(const struct fx *f, json_t *task, const char *state, const char *want)
{
	json_t *r = taskfx_expect(f->t, task, state, want);

	assert_true(json_is_object(json_object_get(r, "detail")));
	json_decref(r);
}

static void
test_checks(void **state)
{
	struct fx *f = *state;
	uint8_t *b1, md[SHA256_DIGEST_LENGTH];
	char sha1[2 * SHA256_DIGEST_LENGTH + 1], *b64;
	size_t len;

	expect(f, join_task(f, "join-orderer", "nochannel", "orderer0", NULL,
	    NULL), TASKS_FAILED, "channel \"nochannel\" is not declared");
	expect(f, join_task(f, "join-orderer", "trade", "orderer9", NULL, NULL),
	    TASKS_FAILED, "orderer9 is not a node of Org1MSP");
	expect(f, join_task(f, "join-orderer", "trade", "peer0", NULL, NULL),
	    TASKS_FAILED, "not an orderer");
	expect(f, join_task(f, "join-peer", "trade", "orderer0", NULL, NULL),
	    TASKS_FAILED, "not a peer");
	expect(f, join_task(f, "join-orderer", "trade", "orderer0", NULL,
	    "00000000000000000000000000000000000000000000000000000000000000ff"),
	    TASKS_FAILED, "SHA-256 does not match");
	expect(f, join_task(f, "join-peer", "trade", "peer0", "!!notbase64",
	    NULL), TASKS_FAILED, "not canonical base64");
	expect(f, json_pack("{s:s, s:s, s:s}", "id", "x", "type", "make-coffee",
	    "channel", "trade"), TASKS_FAILED, "does not know task type");

	/* A block that is not block 0, with its own (matching) SHA-256. */
	b1 = make_block(f, 1, &len);
	SHA256(b1, len, md);
	hex(md, sizeof(md), sha1);
	b64 = b64_encode(b1, len, 0);
	expect(f, join_task(f, "join-orderer", "trade", "orderer0", b64, sha1),
	    TASKS_FAILED, "is block 1, not block 0 of channel trade");
	free(b64);
	free(b1);
	/* Nothing was written for a task that failed its checks. */
	assert_int_not_equal(access(f->t->out, F_OK), 0);
}

static void
test_rendered(void **state)
{
	struct fx *f = *state;
	char *path, *text;
	struct stat sb;
	size_t len;

	expect(f, join_task(f, "join-orderer", "trade", "orderer0", NULL, NULL),
	    TASKS_RENDERED, "channels/trade");
	expect(f, join_task(f, "join-peer", "trade", "peer0", NULL, NULL),
	    TASKS_RENDERED, "join-peer0.sh");
	expect(f, json_pack("{s:s, s:s, s:s, s:s}", "id",
	    "create-channel-trade.anchor-peers.Org1MSP", "workflow",
	    "create-channel-trade", "type", "anchor-peers", "channel", "trade"),
	    TASKS_RENDERED, "no live orderer");

	path = xasprintf("%s/channels/trade/trade.block", f->t->out);
	text = taskfx_read(path, &len);
	assert_int_equal(len, f->blen);
	assert_memory_equal(text, f->block, len);
	free(text);
	free(path);

	path = xasprintf("%s/channels/trade/join-orderer0.sh", f->t->out);
	text = taskfx_read(path, &len);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_mode & S_IXUSR);
	assert_non_null(strstr(text, "osnadmin channel join --channelID trade"));
	assert_non_null(strstr(text, "trade.block"));
	assert_non_null(strstr(text, "orderer0"));
	assert_non_null(strstr(text, "Admin@org1.example.com/tls/client.crt"));
	assert_null(strstr(text, "PRIVATE KEY"));
	free(text);
	free(path);

	path = xasprintf("%s/channels/trade/join-peer0.sh", f->t->out);
	text = taskfx_read(path, &len);
	assert_non_null(strstr(text, "peer channel join -b \"$here/trade.block\""));
	assert_non_null(strstr(text, "CORE_PEER_LOCALMSPID=Org1MSP"));
	assert_non_null(strstr(text, "peer0"));
	assert_null(strstr(text, "orderer0"));
	free(text);
	free(path);

	/* Rendering again gives the same answer (idempotent). */
	expect(f, join_task(f, "join-orderer", "trade", "orderer0", NULL, NULL),
	    TASKS_RENDERED, "join-orderer0.sh");
}

static Common__ConfigGroup *
only_group(const Common__ConfigGroup *g, const char *key)
{
	assert_non_null(g);
	if (g->n_groups != 1 || strcmp(g->groups[0]->key, key) != 0)
		fail_msg("the write set's group holds %zu groups (first %s), "
		    "not only %s", g->n_groups, g->n_groups > 0 ?
		    g->groups[0]->key : "-", key);
	return g->groups[0]->value;
}

static void
test_anchor_only_mine(void **state)
{
	struct fx *f = *state;
	Common__Config *live, *want, *desired, *again;
	Common__ConfigUpdate *upd;
	Common__ConfigGroup *app, *org;
	char *cause = NULL, *reason = NULL;
	size_t i, written;

	/* Live: the channel as created (no anchors); want: the topology's,
	 * where all three orgs declare anchor peers. */
	live = fcfg_build_flags(f->t->doc, "trade", f->t->pub, FCFG_NO_ANCHORS,
	    &cause);
	want = fcfg_build(f->t->doc, "trade", f->t->pub, &cause);
	assert_non_null(live);
	assert_non_null(want);
	desired = tasks_anchor_config(live, want, "Org1MSP", &cause);
	assert_non_null(desired);
	upd = fupd_compute(live, desired, "trade", &cause);
	if (upd == NULL)
		fail_msg("fupd_compute: %s", cause);
	assert_string_equal(upd->channel_id, "trade");
	app = only_group(upd->write_set, "Application");
	org = only_group(app, "Org1MSP");
	/* Only AnchorPeers is written (new: version 0, with content), in the
	 * org's group at its next version; the
	 * org's other values are there at their version, empty, as
	 * configtxlator's compute_update keeps them. */
	for (i = 0, written = 0; i < org->n_values; i++) {
		if (strcmp(org->values[i]->key, "AnchorPeers") == 0) {
			assert_int_equal(org->values[i]->value->version, 0);
			assert_true(org->values[i]->value->value.len > 0);
			written++;
		} else {
			assert_int_equal(org->values[i]->value->version, 0);
			assert_int_equal(org->values[i]->value->value.len, 0);
		}
	}
	assert_int_equal(written, 1);
	assert_int_equal(org->version, 1);
	assert_int_equal(org->n_groups, 0);
	/* The signer's rule: everything written is what the topology wants. */
	assert_int_equal(fupd_check(upd, want, &reason), 0);
	fupd_free(upd);

	/* Applied, nothing is left to do. */
	again = tasks_anchor_config(desired, want, "Org1MSP", &cause);
	assert_non_null(again);
	assert_null(fupd_compute(desired, again, "trade", &cause));
	assert_non_null(strstr(cause, "no differences"));
	free(cause);
	cause = NULL;
	fcfg_free(again);

	/* An org the config does not have is refused. */
	assert_null(tasks_anchor_config(live, want, "Org9MSP", &cause));
	assert_non_null(strstr(cause, "Org9MSP"));
	free(cause);
	cause = NULL;

	/* Removing: a live config with anchors, a topology without. */
	again = tasks_anchor_config(want, live, "Org2MSP", &cause);
	assert_non_null(again);
	upd = fupd_compute(want, again, "trade", &cause);
	assert_non_null(upd);
	app = only_group(upd->write_set, "Application");
	org = only_group(app, "Org2MSP");
	for (i = 0; i < org->n_values; i++)
		assert_string_not_equal(org->values[i]->key, "AnchorPeers");
	assert_int_equal(org->version, 1);
	fupd_free(upd);
	fcfg_free(again);

	fcfg_free(desired);
	fcfg_free(live);
	fcfg_free(want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_rendered),
		cmocka_unit_test(test_anchor_only_mine),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
