/*
 * itest_agent_tasks.c: the agent's tasks (member-agent/tasks.c) run as
 * the agent runs them, driven by agent_tasks.sh:
 *
 *   pki STATEDIR TOPO          the first org's PKI (lib/msp) in STATEDIR/pki
 *   run STATEDIR TOPO SIGNER   REAL Fabric (FABRIC_BIN): the org's orderer
 *       and peer run by the process runtime; the genesis block built
 *       (FCFG_NO_ANCHORS, fblock_genesis); the join-orderer, join-peer and
 *       anchor-peers tasks, as docs/workflows.md shows them, each "done";
 *       run again, each "done" without changing anything; a task with a
 *       wrong blockSha256 "failed"
 *   render STATEDIR TOPO OUT   the manifests runtime: the joins "rendered"
 *       into OUT/channels/CH, the block's bytes as sent
 *
 * Output: "ok - ..." lines; exit 0 when every check held.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "b64.h"
#include "fabric_block.h"
#include "fabric_config.h"
#include "fabdrv.h"
#include "fixture.h"
#include "msp.h"
#include "runtime.h"
#include "tasks.h"
#include "topology.h"
#include "xmalloc.h"
#include "itest.h"

#define WAIT_S		90
#define MAX_FILE	FIXTURE_MAX_FILE
#define RETRIES		20	/* "retry" results re-run, as the agent does */

static const json_t *
first_org(const json_t *doc)
{
	const json_t *org = json_array_get(json_object_get(json_object_get(doc,
	    "spec"), "orgs"), 0);

	REQUIRE(org != NULL);
	return org;
}

static int
make_pki(const char *statedir, const char *topo)
{
	json_t *doc = fabdrv_load(topo);
	char *dir = xasprintf("%s/pki", statedir);
	int rc;

	rc = fixture_pki_ok(first_org(doc), dir, fixture_loopback);
	free(dir);
	json_decref(doc);
	return rc;
}

/* The three tasks as the desired state carries them. */
static json_t *
the_tasks(const char *ch, const char *msp, const char *ord, const char *peer,
    const char *b64, const char *sha)
{
	return json_pack("[{s:s+++, s:s+, s:s, s:s, s:s, s:s, s:s},"
	    " {s:s+++, s:s+, s:s, s:s, s:s, s:s, s:s},"
	    " {s:s+++, s:s+, s:s, s:s}]",
	    "id", "create-channel-", ch, ".join-orderer.", msp,
	    "workflow", "create-channel-", ch, "type", "join-orderer", "channel", ch,
	    "node", ord, "block", b64, "blockSha256", sha,
	    "id", "create-channel-", ch, ".join-peer.", msp,
	    "workflow", "create-channel-", ch, "type", "join-peer", "channel", ch,
	    "node", peer, "block", b64, "blockSha256", sha,
	    "id", "create-channel-", ch, ".anchor-peers.", msp,
	    "workflow", "create-channel-", ch, "type", "anchor-peers", "channel", ch);
}

static int
is_true(const json_t *r, const char *key)
{
	return json_is_true(json_object_get(json_object_get(r, "detail"), key));
}

static int
run(const char *statedir, const char *topo, const char *signer_url)
{
	json_t *doc = fabdrv_load(topo), *orgs, *tasks, *r, *bad;
	const json_t *org = first_org(doc), *t;
	const char *fabric_bin = getenv("FABRIC_BIN"), *ch;
	char *pkidir = xasprintf("%s/pki", statedir), *b64, sha[65], *cause = NULL;
	struct runtime *rt;
	struct rt_org o;
	struct tasks_env env;
	uint8_t *raw;
	size_t rlen, i;
	int pass;

	REQUIRE(fabric_bin != NULL);
	ch = fabdrv_sget(json_array_get(json_object_get(json_object_get(doc, "spec"),
	    "channels"), 0), "name");
	if ((rt = rt_process_new(fabric_bin, statedir, "127.0.0.1",
	    &cause)) == NULL) {
		fprintf(stderr, "rt_process_new: %s\n", cause);
		return 1;
	}
	o.consortium = doc;
	o.mspid = fabdrv_sget(org, "mspId");
	o.pkidir = pkidir;
	if (runtime_render(rt, &o, &cause) != 0) {
		fprintf(stderr, "render: %s\n", cause);
		runtime_free(rt);
		return 1;
	}
	fabdrv_wait_ready(rt, &o, "orderer0", WAIT_S);
	fabdrv_wait_ready(rt, &o, "peer0", WAIT_S);
	printf("ok - orderer0 and peer0 run (process runtime, real Fabric)\n");

	orgs = fabdrv_orgs_of(org, pkidir);
	fabdrv_genesis(doc, ch, orgs, &b64, sha, &raw, &rlen);
	tasks = the_tasks(ch, o.mspid, "orderer0", "peer0", b64, sha);
	memset(&env, 0, sizeof(env));
	env.rt = rt;
	env.mspid = o.mspid;
	env.domain = fabdrv_sget(org, "domain");
	env.pkidir = pkidir;
	env.spec = doc;
	env.orgs = orgs;
	env.signer_url = signer_url;
	env.statedir = statedir;

	for (pass = 0; pass < 2; pass++) {
		json_array_foreach(tasks, i, t) {
			r = fabdrv_run_task(&env, t, RETRIES);
			CHECK(strcmp(fabdrv_sget(r, "state"), TASKS_DONE) == 0);
			if (pass == 1 && i < 2)
				CHECK(is_true(r, "alreadyJoined"));
			if (pass == 1 && i == 2)
				CHECK(!is_true(r, "updated") &&
				    strstr(fabdrv_sget(r, "message"), "already as declared") != NULL);
			if (pass == 0 && i == 2)
				CHECK(is_true(r, "updated"));
			printf("ok - %s %s: %s\n", pass == 0 ? "first" : "again",
			    fabdrv_sget(t, "type"), fabdrv_sget(r, "state"));
			json_decref(r);
		}
	}

	/* A wrong blockSha256 is refused before anything is done. */
	bad = json_deep_copy(json_array_get(tasks, 1));
	json_object_set_new(bad, "blockSha256", json_string(
	    "0000000000000000000000000000000000000000000000000000000000000000"));
	REQUIRE(tasks_run(&env, bad, &r) == 0);
	CHECK(strcmp(fabdrv_sget(r, "state"), TASKS_FAILED) == 0 &&
	    strstr(fabdrv_sget(r, "message"), "SHA-256") != NULL);
	printf("ok - a wrong blockSha256: %s: %s\n", fabdrv_sget(r, "state"),
	    fabdrv_sget(r, "message"));
	json_decref(r);
	json_decref(bad);

	json_decref(tasks);
	json_decref(orgs);
	free(b64);
	free(raw);
	runtime_free(rt);
	free(pkidir);
	json_decref(doc);
	printf("%d checks, %d failed\n", nchecks, nfailures);
	return nfailures == 0 ? 0 : 1;
}

static int
render(const char *statedir, const char *topo, const char *out)
{
	json_t *doc = fabdrv_load(topo), *orgs, *tasks, *r;
	const json_t *org = first_org(doc), *t;
	char *pkidir = xasprintf("%s/pki", statedir), *b64, sha[65], *path,
	    *got;
	const char *ch;
	struct runtime *rt = rt_manifests_new(out);
	struct tasks_env env;
	uint8_t *raw;
	size_t rlen, glen, i;

	REQUIRE(rt != NULL);
	ch = fabdrv_sget(json_array_get(json_object_get(json_object_get(doc, "spec"),
	    "channels"), 0), "name");
	orgs = fabdrv_orgs_of(org, pkidir);
	fabdrv_genesis(doc, ch, orgs, &b64, sha, &raw, &rlen);
	tasks = the_tasks(ch, fabdrv_sget(org, "mspId"), "orderer0", "peer0", b64, sha);
	memset(&env, 0, sizeof(env));
	env.rt = rt;
	env.mspid = fabdrv_sget(org, "mspId");
	env.domain = fabdrv_sget(org, "domain");
	env.pkidir = pkidir;
	env.spec = doc;
	env.orgs = orgs;
	env.signer_url = "ipc:///nonexistent/signer.sock";
	env.outdir = out;
	env.statedir = statedir;
	json_array_foreach(tasks, i, t) {
		REQUIRE(tasks_run(&env, t, &r) == 0);
		CHECK(strcmp(fabdrv_sget(r, "state"), TASKS_RENDERED) == 0);
		printf("ok - %s: %s: %s\n", fabdrv_sget(t, "type"), fabdrv_sget(r, "state"),
		    fabdrv_sget(r, "message"));
		json_decref(r);
	}
	path = xasprintf("%s/channels/%s/%s.block", out, ch, ch);
	got = fixture_read_or_exit(path, MAX_FILE, &glen);
	CHECK(glen == rlen && memcmp(got, raw, rlen) == 0);
	printf("ok - %s holds the task's block (%zu bytes)\n", path, glen);
	free(got);
	free(path);
	json_decref(tasks);
	json_decref(orgs);
	free(b64);
	free(raw);
	runtime_free(rt);
	free(pkidir);
	json_decref(doc);
	printf("%d checks, %d failed\n", nchecks, nfailures);
	return nfailures == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "pki") == 0)
		return make_pki(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "run") == 0)
		return run(argv[2], argv[3], argv[4]);
	if (argc == 5 && strcmp(argv[1], "render") == 0)
		return render(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: itest_agent_tasks pki STATEDIR TOPO | "
	    "run STATEDIR TOPO SIGNER_URL | render STATEDIR TOPO OUTDIR\n");
	return 2;
}
