/*
 * test_tasks_update.c: the add-org / remove-org tasks
 * (member-agent/tasks_update.c) without Fabric: update-prepare's
 * construction (only Application/<org> added, exactly as fcfg_build has
 * it, or only dropped; a change the document does not declare refused),
 * update-submit's already-applied detection from the update's write set,
 * the decoding of the signature list, and the task checks and rendered
 * answers under the manifests runtime (examples/consortium.yaml, three
 * orgs, each with its PKI made by lib/msp).
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
#include "fabric_config.h"
#include "fixture.h"
#include "fabric_update.h"
#include "msp.h"
#include "runtime.h"
#include "taskfx.h"
#include "tasks.h"
#include "topology.h"
#include "xmalloc.h"

static int
setup(void **state)
{
	return taskfx_setup(state, "test_tasks_update", NULL);
}

static Common__ConfigGroup *
app(const Common__ConfigGroup *channel)
{
	return taskfx_group(channel, "Application");
}

/* The group's encoding equals the other's. */
static void
assert_group_equal(const Common__ConfigGroup *a, const Common__ConfigGroup *b)
{
	size_t la = common__config_group__get_packed_size(a);
	size_t lb = common__config_group__get_packed_size(b);
	uint8_t *pa = xmalloc(la + 1), *pb = xmalloc(lb + 1);

	common__config_group__pack(a, pa);
	common__config_group__pack(b, pb);
	assert_int_equal(la, lb);
	assert_memory_equal(pa, pb, la);
	free(pa);
	free(pb);
}

static void
test_prepare_add(void **state)
{
	static const char *const two[] = { "Org1MSP", "Org2MSP" };
	struct taskfx *f = *state;
	json_t *doc2 = taskfx_with(f->doc, "members", two, 2);
	Common__Config *live, *want, *desired = NULL, *none = NULL;
	Common__ConfigUpdate *upd;
	Common__ConfigGroup *wa, *ra;
	char *cause = NULL, *what = NULL;
	size_t i, added = 0;

	/* Live: trade with Org1 and Org2 (as created, no anchors); the
	 * document now declares Org3 a member too. */
	live = taskfx_build(doc2, f->pub, FCFG_NO_ANCHORS);
	want = taskfx_build(f->doc, f->pub, 0);
	assert_int_equal(tasks_org_config(live, f->doc, f->pub, "trade",
	    TASKS_ADD_ORG, "Org3MSP", &desired, &cause), 0);
	assert_non_null(desired);
	upd = fupd_compute(live, desired, "trade", &cause);
	if (upd == NULL)
		fail_msg("fupd_compute: %s", cause);

	/* The write set: Channel (a reference) holding Application alone, at
	 * its next version; Org1 and Org2 references; Org3 new, exactly
	 * fcfg_build's group (with its AnchorPeers). */
	assert_int_equal(upd->write_set->n_groups, 1);
	assert_int_equal(upd->write_set->n_values, 0);
	assert_int_equal(upd->write_set->n_policies, 0);
	wa = app(upd->write_set);
	ra = app(upd->read_set);
	assert_int_equal(wa->version, ra->version + 1);
	assert_int_equal(wa->n_groups, 3);
	for (i = 0; i < wa->n_groups; i++) {
		if (strcmp(wa->groups[i]->key, "Org3MSP") == 0) {
			assert_null(fcfg_group(ra, "Org3MSP"));
			assert_group_equal(wa->groups[i]->value,
			    fcfg_group(app(want->channel_group), "Org3MSP"));
			assert_non_null(fcfg_value(wa->groups[i]->value,
			    "AnchorPeers"));
			added++;
		} else {
			/* A reference: no values, policies or groups. */
			assert_int_equal(wa->groups[i]->value->n_values, 0);
			assert_int_equal(wa->groups[i]->value->n_policies, 0);
			assert_int_equal(wa->groups[i]->value->n_groups, 0);
			assert_non_null(fcfg_group(ra, wa->groups[i]->key));
		}
	}
	assert_int_equal(added, 1);
	for (i = 0; i < wa->n_values; i++)
		assert_int_equal(wa->values[i]->value->value.len, 0);
	/* What every member's signer checks. */
	assert_int_equal(fupd_check(upd, want, &cause), 0);

	/* Submit's detection: not in the live config, in the desired one. */
	assert_int_equal(tasks_update_applied(upd, live, &what, &cause), 0);
	assert_string_equal(what, "adds Org3MSP");
	free(what);
	what = NULL;
	assert_int_equal(tasks_update_applied(upd, desired, &what, &cause), 1);
	assert_null(what);

	/* Applied: prepare has nothing to do. */
	assert_int_equal(tasks_org_config(desired, f->doc, f->pub, "trade",
	    TASKS_ADD_ORG, "Org3MSP", &none, &cause), 1);
	assert_null(none);

	/* Undeclared: Org9 is no member of trade (nor an org). */
	assert_int_equal(tasks_org_config(live, f->doc, f->pub, "trade",
	    TASKS_ADD_ORG, "Org9MSP", &none, &cause), -1);
	assert_non_null(strstr(cause, "does not declare Org9MSP a member of "
	    "channel trade"));
	free(cause);
	cause = NULL;
	/* Removing Org2, which the document still lists, is refused. */
	assert_int_equal(tasks_org_config(live, f->doc, f->pub, "trade",
	    TASKS_REMOVE_ORG, "Org2MSP", &none, &cause), -1);
	assert_non_null(strstr(cause, "still declares Org2MSP a member"));
	free(cause);
	cause = NULL;
	assert_int_equal(tasks_org_config(live, f->doc, f->pub, "nochannel",
	    TASKS_ADD_ORG, "Org3MSP", &none, &cause), -1);
	assert_non_null(strstr(cause, "not declared"));
	free(cause);
	cause = NULL;

	fupd_free(upd);
	fcfg_free(desired);
	fcfg_free(want);
	fcfg_free(live);
	json_decref(doc2);
}

static void
test_prepare_remove(void **state)
{
	static const char *const two[] = { "Org1MSP", "Org2MSP" };
	struct taskfx *f = *state;
	json_t *doc2 = taskfx_with(f->doc, "members", two, 2);
	Common__Config *live, *want, *desired = NULL, *anchors, *none = NULL;
	Common__ConfigUpdate *upd;
	Common__ConfigGroup *wa;
	char *cause = NULL, *what = NULL;
	size_t i;

	/* Live: all three members; the document lists Org1 and Org2 only. */
	live = taskfx_build(f->doc, f->pub, 0);
	want = taskfx_build(doc2, f->pub, 0);
	assert_int_equal(tasks_org_config(live, doc2, f->pub, "trade",
	    TASKS_REMOVE_ORG, "Org3MSP", &desired, &cause), 0);
	assert_null(fcfg_group(app(desired->channel_group), "Org3MSP"));
	assert_non_null(fcfg_group(app(desired->channel_group), "Org2MSP"));
	upd = fupd_compute(live, desired, "trade", &cause);
	assert_non_null(upd);
	wa = app(upd->write_set);
	assert_int_equal(wa->n_groups, 2);
	for (i = 0; i < wa->n_groups; i++) {
		assert_string_not_equal(wa->groups[i]->key, "Org3MSP");
		assert_int_equal(wa->groups[i]->value->n_values, 0);
	}
	assert_int_equal(upd->write_set->n_groups, 1);
	assert_int_equal(fupd_check(upd, want, &cause), 0);
	assert_int_equal(tasks_update_applied(upd, live, &what, &cause), 0);
	assert_string_equal(what, "removes Org3MSP");
	free(what);
	assert_int_equal(tasks_update_applied(upd, desired, NULL, &cause), 1);
	/* Gone already: nothing to prepare. */
	assert_int_equal(tasks_org_config(desired, doc2, f->pub, "trade",
	    TASKS_REMOVE_ORG, "Org3MSP", &none, &cause), 1);
	/* Adding Org3 back is not what doc2 declares. */
	assert_int_equal(tasks_org_config(desired, doc2, f->pub, "trade",
	    TASKS_ADD_ORG, "Org3MSP", &none, &cause), -1);
	assert_non_null(strstr(cause, "does not declare Org3MSP"));
	free(cause);
	cause = NULL;
	fupd_free(upd);

	/* An update of anything else (anchor peers) is not submit's. */
	fcfg_free(desired);
	desired = taskfx_build(doc2, f->pub, FCFG_NO_ANCHORS);
	anchors = tasks_anchor_config(desired, want, "Org1MSP", &cause);
	assert_non_null(anchors);
	taskfx_not_submits(desired, anchors, "does not only add or remove");
	fcfg_free(anchors);

	fcfg_free(desired);
	fcfg_free(want);
	fcfg_free(live);
	json_decref(doc2);
}

/* Decoding LIST fails with a cause holding WANT. */
static void
sigs_fail(json_t *list, const char *want)
{
	struct tasks_sig *v = NULL;
	char *cause = NULL;
	size_t n = 9;

	assert_int_equal(tasks_sigs_decode(list, &v, &n, &cause), -1);
	assert_null(v);
	assert_int_equal(n, 0);
	if (strstr(cause, want) == NULL)
		fail_msg("wanted \"%s\", got: %s", want, cause);
	free(cause);
	json_decref(list);
}

static void
test_sigs_decode(void **state)
{
	struct tasks_sig *v = NULL;
	char *cause = NULL, *big;
	size_t n = 0;
	json_t *l;

	(void)state;
	l = json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}]",
	    "org", "Org1MSP", "signatureHeader", "AQID", "signature", "MEU=",
	    "org", "Org2MSP", "signatureHeader", "BAU=", "signature", "MAA=");
	assert_int_equal(tasks_sigs_decode(l, &v, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[1].org, "Org2MSP");
	assert_int_equal(v[0].header_len, 3);
	assert_memory_equal(v[0].header, "\1\2\3", 3);
	assert_int_equal(v[1].sig_len, 2);
	tasks_sigs_free(v, n);
	json_decref(l);

	sigs_fail(json_object(), "must be an array of 1");
	sigs_fail(json_array(), "must be an array of 1");
	sigs_fail(json_pack("[s]", "x"), "signatures[0] must be");
	sigs_fail(json_pack("[{s:s, s:s}]", "org", "Org1MSP", "signature",
	    "MEU="), "signatures[0] must be");
	sigs_fail(json_pack("[{s:s, s:s, s:s, s:s}]", "org", "Org1MSP",
	    "signatureHeader", "AQID", "signature", "MEU=", "extra", "x"),
	    "signatures[0] must be");
	sigs_fail(json_pack("[{s:s, s:s, s:i}]", "org", "Org1MSP",
	    "signatureHeader", "AQID", "signature", 5), "signatures[0] must be");
	sigs_fail(json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}]",
	    "org", "Org1MSP", "signatureHeader", "AQID", "signature", "MEU=",
	    "org", "Org2MSP", "signatureHeader", "AQI", "signature", "MEU="),
	    "signatures[1].signatureHeader is not canonical base64");
	sigs_fail(json_pack("[{s:s, s:s, s:s}]", "org", "Org1MSP",
	    "signatureHeader", "AQID", "signature", "ME U="),
	    "signatures[0].signature is not canonical base64");
	sigs_fail(json_pack("[{s:s, s:s, s:s}]", "org", "Org1MSP",
	    "signatureHeader", "AQID", "signature", ""),
	    "signatures[0].signature is not canonical base64");
	sigs_fail(json_pack("[{s:s, s:s, s:s}]", "org", "",
	    "signatureHeader", "AQID", "signature", "MEU="),
	    "signatures[0].org is not an MSP ID");
	sigs_fail(json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}]",
	    "org", "Org1MSP", "signatureHeader", "AQID", "signature", "MEU=",
	    "org", "Org1MSP", "signatureHeader", "AQID", "signature", "MEU="),
	    "signatures[1] is a second signature of Org1MSP");
	/* A signature longer than any DER P-256 signature. */
	big = xmalloc(4 * TASKS_MAX_SIG + 8);
	memset(big, 'A', 4 * TASKS_MAX_SIG + 4);
	big[4 * TASKS_MAX_SIG + 4] = '\0';
	sigs_fail(json_pack("[{s:s, s:s, s:s}]", "org", "Org1MSP",
	    "signatureHeader", "AQID", "signature", big),
	    "signatures[0].signature is not canonical base64 of 1 to 256");
	free(big);
}

static void
test_tasks_manifests(void **state)
{
	static const char *const two[] = { "Org1MSP", "Org2MSP" };
	struct taskfx *f = *state;
	json_t *doc2 = taskfx_with(f->doc, "members", two, 2);
	Common__Config *live, *desired = NULL;
	Common__ConfigUpdate *upd;
	uint8_t *u, md[SHA256_DIGEST_LENGTH];
	char *cause = NULL, *b64, hexs[2 * SHA256_DIGEST_LENGTH + 1];
	size_t ulen, i;

	/* An update adding Org3 (declared by f->doc). */
	live = taskfx_build(doc2, f->pub, FCFG_NO_ANCHORS);
	assert_int_equal(tasks_org_config(live, f->doc, f->pub, "trade",
	    TASKS_ADD_ORG, "Org3MSP", &desired, &cause), 0);
	upd = fupd_compute(live, desired, "trade", &cause);
	assert_non_null(upd);
	u = fupd_pack(upd, &ulen);
	b64 = b64_encode(u, ulen, 0);
	SHA256(u, ulen, md);
	for (i = 0; i < sizeof(md); i++)
		snprintf(hexs + 2 * i, 3, "%02x", md[i]);

	/* prepare and submit need a live orderer: rendered. */
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:{s:s}}", "id",
	    "add-org-trade-Org3MSP.update-prepare.Org1MSP", "type",
	    "update-prepare", "channel", "trade", "change", "addOrg", "Org3MSP"),
	    TASKS_RENDERED, "no live orderer"));
	/* ... but a change the document does not declare fails first. */
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:{s:s}}", "id", "x",
	    "type", "update-prepare", "channel", "trade", "change", "addOrg",
	    "Org9MSP"), TASKS_FAILED, "does not declare Org9MSP a member"));
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:{s:s}}", "id", "x",
	    "type", "update-prepare", "channel", "trade", "change", "removeOrg",
	    "Org2MSP"), TASKS_FAILED, "still declares Org2MSP"));
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:{s:s}}", "id", "x",
	    "type", "update-prepare", "channel", "trade", "change", "moveOrg",
	    "Org2MSP"), TASKS_FAILED, "{\"addOrg\": MSP}"));
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:{s:s}}", "id", "x",
	    "type", "update-prepare", "channel", "nochannel", "change", "addOrg",
	    "Org3MSP"), TASKS_FAILED, "channel \"nochannel\" is not declared"));

	/* sign: the SHA-256 is checked; no signer answers here: retry. */
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", "x",
	    "type", "update-sign", "channel", "trade", "update", b64, "sha256",
	    "00000000000000000000000000000000000000000000000000000000000000ff"),
	    TASKS_FAILED, "does not match the task's sha256"));
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", "x",
	    "type", "update-sign", "channel", "trade", "update", "@@", "sha256",
	    hexs), TASKS_FAILED, "not canonical base64"));
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", "x",
	    "type", "update-sign", "channel", "other", "update", b64, "sha256",
	    hexs), TASKS_FAILED, "channel \"other\" is not declared"));
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", "x",
	    "type", "update-sign", "channel", "trade", "update", b64, "sha256",
	    hexs), TASKS_RETRY, "no answer from the signer"));

	/* submit: the signatures are checked before anything else. */
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:s, s:[]}", "id", "x",
	    "type", "update-submit", "channel", "trade", "update", b64,
	    "signatures"), TASKS_FAILED, "signatures must be an array of 1"));
	json_decref(taskfx_expect(f, json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s, "
	    "s:s}]}", "id", "x", "type", "update-submit", "channel", "trade",
	    "update", b64, "signatures", "org", "Org1MSP", "signatureHeader",
	    "AQID", "signature", "MEU="), TASKS_FAILED, "the update's "
	    "signatures"));

	/* Who waits for the signer. */
	taskfx_needs_signer("update-sign", "manifests process", NULL);
	taskfx_needs_signer("update-prepare", "process", "manifests kubernetes");

	free(b64);
	free(u);
	fupd_free(upd);
	fcfg_free(desired);
	fcfg_free(live);
	json_decref(doc2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prepare_add),
		cmocka_unit_test(test_prepare_remove),
		cmocka_unit_test(test_sigs_decode),
		cmocka_unit_test(test_tasks_manifests),
	};

	return cmocka_run_group_tests(tests, setup, taskfx_teardown);
}
