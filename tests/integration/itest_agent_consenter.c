/*
 * itest_agent_consenter.c: the consenter tasks (member-agent/tasks_consenter.c,
 * tasks_update.c) as the agents run them, driven by agent_consenter.sh, in
 * one directory T:
 *
 *   T/topoA.json  trade with consenter Org1MSP/orderer0 only (as created),
 *                 members Org1MSP and Org2MSP
 *   T/topoB.json  the same declaring Org2MSP/orderer0 a consenter too
 *   T/topoC.json  the same with Org2MSP/orderer0 the only consenter
 *   T/st1, T/st2  each org's state dir (PKI under pki/), with signer.sock
 *                 the org's REAL signer (`fabfed-agent signer`) the script
 *                 runs
 *
 *   pki T      the two orgs' PKIs (lib/msp)
 *   offline T  no Fabric, the manifests runtime: update-sign of the update
 *              adding Org2MSP/orderer0 by both orgs' signers (done, the
 *              signatures verify); the same update refused by Org1's
 *              signer while its document does not declare that consenter;
 *              update-prepare and update-submit rendered; join-orderer
 *              from the channel and leave-orderer rendered as scripts
 *   live T     REAL Fabric (FABRIC_BIN): each org's orderer (and Org2's
 *              peer) under its own process runtime; trade created with
 *              Org1's orderer; Org2MSP/orderer0 added (prepare by Org1,
 *              signed by Org1, submitted by Org1, all while Org1's
 *              document T/topoX.json declares a second new consenter,
 *              Org1MSP/orderer1, too: one change per update, checked
 *              against the live config; submitted again: applied;
 *              Org2's join-orderer with blockFrom "channel"), checked with
 *              Fabric's osnadmin (a consenter, active, at Org1's height);
 *              then Org1MSP/orderer0 removed (prepare and submit by Org2
 *              through its own orderer; Orderer/Admins is MAJORITY of the
 *              two orderer orgs: Org2's signature alone is refused, both
 *              pass), Org1's leave-orderer, checked with osnadmin (Org1's
 *              orderer no longer has trade; Org2's still a consenter) and a
 *              further config update (Org2's anchor peers) ordered by
 *              Org2's orderer alone
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

#include "orderer/etcdraft/configuration.pb-c.h"

#include "b64.h"
#include "fabdrv.h"
#include "fabric_config.h"
#include "fabric_decode.h"
#include "fabric_ops.h"
#include "fabric_update.h"
#include "fixture.h"
#include "runtime.h"
#include "signer_client.h"
#include "tasks.h"
#include "tasks_int.h"
#include "topology.h"
#include "xmalloc.h"
#include "itest.h"

#define WAIT_S		120
#define RETRIES		30	/* "retry" results re-run, as the agent does */
#define MAX_FILE	FIXTURE_MAX_FILE

struct ctx {
	const char *dir;
	const json_t *topoA, *topoB, *topoC;	/* a's documents */
	struct fabdrv_agents a;
};

static void
ctx_init(struct ctx *c, const char *dir)
{
	static const char *const docs[] = { "topoA.json", "topoB.json",
	    "topoC.json" };

	memset(c, 0, sizeof(*c));
	c->dir = dir;
	fabdrv_agents_init(&c->a, dir, docs, 1, 1);
	REQUIRE(c->a.man != NULL);
	c->topoA = c->a.doc[0];
	c->topoB = c->a.doc[1];
	c->topoC = c->a.doc[2];
}

static const char *
state_of(const json_t *r)
{
	return fabdrv_sget(r, "state");
}

static const char *
msg_of(const json_t *r)
{
	return fabdrv_sget(r, "message");
}

static const json_t *
dget(const json_t *r, const char *key)
{
	return json_object_get(json_object_get(r, "detail"), key);
}

/* update-sign of B64 by ENV's org: the result (caller decrefs). */
static json_t *
sign(const struct tasks_env *env, const char *wf, const char *b64,
    const char *sha, const char *change, const char *ref)
{
	json_t *t, *r;

	t = json_pack("{s:s++, s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "id", wf,
	    ".update-sign.", env->mspid, "workflow", wf, "type", "update-sign",
	    "channel", "trade", "update", b64, "sha256", sha, "change", change,
	    ref);
	r = fabdrv_run_task(env, t, RETRIES);
	json_decref(t);
	return r;
}

/* The {"org","signatureHeader","signature"} of a done sign result. */
static json_t *
sig_of(const char *org, const json_t *r)
{
	REQUIRE(strcmp(state_of(r), TASKS_DONE) == 0);
	return json_pack("{s:s, s:O, s:O}", "org", org, "signatureHeader",
	    dget(r, "signatureHeader"), "signature", dget(r, "signature"));
}

/* Org2's join-orderer of add-consenter: from the channel, Org1's orderer. */
static json_t *
join_from_channel(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s]}", "id",
	    "add-consenter-trade-Org2MSP.orderer0.join-orderer.Org2MSP.orderer0",
	    "type", "join-orderer", "channel", "trade", "node", "orderer0",
	    "blockFrom", "channel", "orderers", "Org1MSP/orderer0");
}

/* Runs T (taken) as ENV's agent does: it must be rendered. */
static void
rendered(const struct tasks_env *env, json_t *t)
{
	json_t *r = fabdrv_run_task(env, t, RETRIES);

	CHECK(strcmp(state_of(r), TASKS_RENDERED) == 0);
	json_decref(r);
	json_decref(t);
}

/* The script NAME the manifests runtime rendered for trade. */
static char *
script_of(const struct ctx *c, const char *name)
{
	char *p = xasprintf("%s/channels/trade/%s", c->a.out, name), *text;

	text = fixture_read_or_exit(p, MAX_FILE, NULL);
	free(p);
	return text;
}

static int
offline(const char *dir)
{
	struct ctx c;
	Common__Config *live;
	json_t *r, *t, *sigs;
	char sha[65], *b64, *cause = NULL, *text;

	ctx_init(&c, dir);
	live = fcfg_build_flags(c.topoA, "trade", c.a.orgs, FCFG_NO_ANCHORS,
	    &cause);
	REQUIRE(live != NULL);
	b64 = fabdrv_change_update(tasks_consenter_config, live,
	    c.topoB, c.a.orgs, TASKS_ADD_CONSENTER,
	    "Org2MSP/orderer0", sha);

	/* Both signers sign it under the document that declares it. */
	sigs = json_array();
	r = sign(&c.a.env1, "add-consenter-trade-Org2MSP.orderer0", b64, sha,
	    "addConsenter", "Org2MSP/orderer0");
	CHECK(strcmp(state_of(r), TASKS_DONE) == 0);
	printf("ok - update-sign of the update adding Org2MSP/orderer0 by "
	    "Org1's signer: %s: %s\n", state_of(r), msg_of(r));
	json_array_append_new(sigs, sig_of("Org1MSP", r));
	json_decref(r);
	r = sign(&c.a.env2, "add-consenter-trade-Org2MSP.orderer0", b64, sha,
	    "addConsenter", "Org2MSP/orderer0");
	CHECK(strcmp(state_of(r), TASKS_DONE) == 0);
	printf("ok - update-sign by Org2's signer: %s: %s\n", state_of(r),
	    msg_of(r));
	json_array_append_new(sigs, sig_of("Org2MSP", r));
	json_decref(r);

	/* The hostile case: Org1's document does not declare the consenter. */
	c.a.env1.spec = c.topoA;
	r = sign(&c.a.env1, "hostile", b64, sha, "addConsenter",
	    "Org2MSP/orderer0");
	CHECK(strcmp(state_of(r), TASKS_FAILED) == 0 &&
	    strstr(msg_of(r), "the signer refused") != NULL &&
	    strstr(msg_of(r), "Orderer") != NULL);
	printf("ok - an update adding a consenter the document does not "
	    "declare: %s: %s\n", state_of(r), msg_of(r));
	json_decref(r);
	c.a.env1.spec = c.topoB;

	/* Prepare and submit need a live orderer: rendered. */
	t = json_pack("{s:s, s:s, s:s, s:{s:s}, s:[s]}", "id", "x", "type",
	    "update-prepare", "channel", "trade", "change", "addConsenter",
	    "Org2MSP/orderer0", "orderers", "Org1MSP/orderer0");
	rendered(&c.a.env1, t);
	t = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:{s:s}, s:[s]}", "id",
	    "x", "type", "update-submit", "channel", "trade", "update", b64,
	    "sha256", sha, "signatures", sigs, "change", "addConsenter",
	    "Org2MSP/orderer0", "orderers", "Org1MSP/orderer0");
	rendered(&c.a.env1, t);
	printf("ok - update-prepare and update-submit under manifests: "
	    "rendered\n");

	/* join-orderer from the channel and leave-orderer: scripts. */
	t = join_from_channel();
	rendered(&c.a.env2, t);
	text = script_of(&c, "join-orderer0.sh");
	CHECK(strstr(text, "peer channel fetch config") != NULL &&
	    strstr(text, "osnadmin channel join --channelID trade") != NULL &&
	    strstr(text, "tlsroots-Org1MSP.pem") != NULL);
	free(text);
	c.a.env1.spec = c.topoC;
	t = json_pack("{s:s, s:s, s:s, s:s}", "id", "x", "type",
	    "leave-orderer", "channel", "trade", "node", "orderer0");
	rendered(&c.a.env1, t);
	text = script_of(&c, "leave-orderer0.sh");
	CHECK(strstr(text, "osnadmin channel remove --channelID trade") != NULL);
	free(text);
	printf("ok - join-orderer (blockFrom channel) and leave-orderer under "
	    "manifests: rendered as scripts\n");

	json_decref(sigs);
	free(b64);
	fcfg_free(live);
	fabdrv_agents_free(&c.a);
	printf("%d checks, %d failed\n", nchecks, nfailures);
	return nfailures == 0 ? 0 : 1;
}

/* ---- live ---- */

struct org_rt {
	struct runtime *rt;
	struct rt_org o;
	const char *mspid, *domain, *pki;
};

/*
 * What Fabric's own osnadmin says of trade on ORG's orderer0: the channel
 * JSON, or NULL when it answers 404 (the orderer does not have it).
 */
static json_t *
osnadmin(const struct org_rt *org, const char *fabric_bin)
{
	json_t *info, *j;
	char *cause = NULL, *cmd, *out, *host = NULL;
	char buf[4096];
	unsigned int port = 0;
	size_t n = 0, k;
	FILE *fp;
	int st;

	REQUIRE(rt_process_node_info(org->rt, &org->o, "orderer0", &info,
	    &cause) == 0);
	REQUIRE(rt_process_endpoint(fabdrv_sget(info, "admin"), &host,
	    &port) == 0);
	cmd = xasprintf("timeout 30 '%s/osnadmin' channel list --channelID "
	    "trade -o 127.0.0.1:%u --ca-file '%s' --client-cert "
	    "'%s/users/Admin@%s/tls/client.crt' --client-key "
	    "'%s/users/Admin@%s/tls/client.key' 2>&1", fabric_bin, port,
	    fabdrv_sget(info, "tlsCa"), org->pki, org->domain, org->pki,
	    org->domain);
	REQUIRE((fp = popen(cmd, "r")) != NULL);
	out = xmalloc(1);
	out[0] = '\0';
	while ((k = fread(buf, 1, sizeof(buf), fp)) > 0 && n < (1 << 20)) {
		out = xreallocarray(out, n + k + 1, 1);
		memcpy(out + n, buf, k);
		n += k;
		out[n] = '\0';
	}
	st = pclose(fp);
	if (st != 0 && strstr(out, "Status: 404") == NULL) {
		fprintf(stderr, "osnadmin on %s's orderer0 (exit %d): %s\n",
		    org->mspid, st, out);
		exit(1);
	}
	j = strstr(out, "Status: 404") != NULL || strchr(out, '{') == NULL ?
	    NULL : json_loads(strchr(out, '{'), JSON_DISABLE_EOF_CHECK, NULL);
	if (strstr(out, "Status: 200") != NULL && j == NULL) {
		fprintf(stderr, "osnadmin on %s's orderer0: %s\n", org->mspid,
		    out);
		exit(1);
	}
	free(out);
	free(cmd);
	free(host);
	json_decref(info);
	return j;
}

static const char *
jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

static json_int_t
jint(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* Starts ORG's nodes under its own process runtime and waits for its orderer. */
static void
org_start(struct org_rt *org, const char *fabric_bin, const char *statedir,
    const json_t *doc, const char *mspid, const char *domain, const char *pki)
{
	org->rt = fabdrv_start(fabric_bin, statedir, &org->o, doc, mspid, pki,
	    WAIT_S);
	org->mspid = mspid;
	org->domain = domain;
	org->pki = pki;
	printf("ok - %s's orderer0 runs (its own process runtime, real "
	    "Fabric)\n", mspid);
}

/* The consenters of trade's newest config, read from ENV's pick. */
static size_t
live_consenters(const struct tasks_env *env, const json_t *task,
    uint64_t *number)
{
	struct task t;
	struct tasks_ord o;
	struct deadline d;
	Common__Config *cfg = NULL;
	Etcdraft__ConfigMetadata *md;
	char *cause = NULL;
	json_t *r;
	size_t n;

	REQUIRE(tasks_check(env, task, &t) == NULL);
	clock_gettime(CLOCK_MONOTONIC, &d.end);
	d.end.tv_sec += 30;
	d.call_ms = 10000;
	if ((r = tasks_ord_open(env, &t, &o)) != NULL ||
	    (r = tasks_ord_config(&o, &t, &d, &cfg, number)) != NULL) {
		fprintf(stderr, "the config of trade: %s\n", msg_of(r));
		exit(1);
	}
	REQUIRE((md = tasks_raft_metadata(cfg, &cause)) != NULL);
	n = md->n_consenters;
	etcdraft__config_metadata__free_unpacked(md, NULL);
	printf("  (config block %llu read from %s: %zu consenters)\n",
	    (unsigned long long)*number, o.which, n);
	tasks_ord_close(&o);
	tasks_task_clear(&t);
	fcfg_free(cfg);
	return n;
}

static int
live(const char *dir)
{
	struct ctx c;
	struct org_rt o1, o2;
	const char *fabric_bin = getenv("FABRIC_BIN");
	json_t *t, *r, *sigs, *j1, *j2, *prep, *q, *topoX, *ox;
	char *up, *sha, *logp, *p;
	size_t before;
	uint64_t number = 0;
	json_int_t bn, bn2, h;
	time_t t0;

	REQUIRE(fabric_bin != NULL);
	ctx_init(&c, dir);
	org_start(&o1, fabric_bin, c.a.st1, c.topoA, "Org1MSP",
	    "org1.example.com", c.a.pki1);
	org_start(&o2, fabric_bin, c.a.st2, c.topoA, "Org2MSP",
	    "org2.example.com", c.a.pki2);
	c.a.env1.rt = o1.rt;
	c.a.env2.rt = o2.rt;

	/* trade as created: Org1's orderer its only consenter. */
	r = fabdrv_join_genesis(&c.a.env1, c.topoA, c.a.orgs, "trade", RETRIES);
	REQUIRE(strcmp(state_of(r), TASKS_DONE) == 0);
	json_decref(r);
	REQUIRE((j1 = osnadmin(&o1, fabric_bin)) != NULL);
	CHECK(strcmp(jstr(j1, "consensusRelation"), "consenter") == 0);
	CHECK(osnadmin(&o2, fabric_bin) == NULL);
	printf("ok - trade created on Org1's orderer (osnadmin: %s, %s); "
	    "Org2's orderer does not have it\n", jstr(j1, "consensusRelation"),
	    jstr(j1, "status"));
	json_decref(j1);

	/* ---- add Org2MSP/orderer0 ---- */
	/* Org1's document declares two new consenters, Org2MSP/orderer0 and
	 * Org1MSP/orderer1 (which never runs): the update adds the first. */
	p = xasprintf("%s/topoX.json", dir);
	topoX = fabdrv_load(p);
	free(p);
	ox = fabdrv_orgs_of(topology_find_org(topoX, "Org1MSP"), c.a.pki1);
	json_object_update(c.a.orgs, ox);
	json_decref(ox);
	c.a.env1.spec = topoX;
	c.a.env2.spec = c.topoB;
	t = json_pack("{s:s, s:s, s:s, s:s, s:{s:s}, s:[s]}", "id",
	    "add-consenter-trade-Org2MSP.orderer0.update-prepare.Org1MSP",
	    "workflow", "add-consenter-trade-Org2MSP.orderer0", "type",
	    "update-prepare", "channel", "trade", "change", "addConsenter",
	    "Org2MSP/orderer0", "orderers", "Org1MSP/orderer0");
	prep = fabdrv_run_task(&c.a.env1, t, RETRIES);
	json_decref(t);
	REQUIRE(strcmp(state_of(prep), TASKS_DONE) == 0);
	REQUIRE(json_string_value(dget(prep, "update")) != NULL);
	up = xstrdup(json_string_value(dget(prep, "update")));
	sha = xstrdup(json_string_value(dget(prep, "sha256")));
	CHECK(jint(json_object_get(prep, "detail"), "configBlock") == 0);
	printf("ok - update-prepare by Org1: %s\n", msg_of(prep));
	json_decref(prep);
	{
		/* Against the document alone (no live config): refused. */
		Common__ConfigUpdate *cu;
		Common__Config *want;
		uint8_t *ub;
		size_t ul = 0;
		char *cause = NULL;

		REQUIRE((ub = b64_decode(up, strlen(up), 0, FUPD_MAX_UPDATE,
		    &ul)) != NULL);
		REQUIRE((cu = fupd_decode(ub, ul, &cause)) != NULL);
		REQUIRE((want = fcfg_build(topoX, "trade", c.a.orgs,
		    &cause)) != NULL);
		CHECK(fupd_check(cu, want, &cause) == -1 && cause != NULL &&
		    strstr(cause, "Channel/Orderer/ConsensusType") != NULL);
		printf("ok - the same update checked without the live config: "
		    "%s\n", cause != NULL ? cause : "(accepted)");
		free(cause);
		fcfg_free(want);
		fupd_free(cu);
		free(ub);
	}

	/* Orderer/Admins is MAJORITY of the orderer orgs, Org1 alone now. */
	r = sign(&c.a.env1, "add-consenter-trade-Org2MSP.orderer0", up, sha,
	    "addConsenter", "Org2MSP/orderer0");
	CHECK(strcmp(state_of(r), TASKS_DONE) == 0);
	sigs = json_pack("[o]", sig_of("Org1MSP", r));
	json_decref(r);
	t = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:{s:s}, s:[s]}", "id",
	    "add-consenter-trade-Org2MSP.orderer0.update-submit.Org1MSP",
	    "type", "update-submit", "channel", "trade", "update", up, "sha256",
	    sha, "signatures", sigs, "change", "addConsenter",
	    "Org2MSP/orderer0", "orderers", "Org1MSP/orderer0");
	r = fabdrv_run_task(&c.a.env1, t, RETRIES);
	CHECK(strcmp(state_of(r), TASKS_DONE) == 0);
	bn = jint(json_object_get(r, "detail"), "blockNumber");
	CHECK(bn == 1);
	printf("ok - update-submit by Org1 (its document declaring "
	    "Org1MSP/orderer1 too): %s: %s\n", state_of(r), msg_of(r));
	json_decref(r);
	c.a.env1.spec = c.topoB;

	/* Submitted again: applied, nothing signed or sent. */
	logp = xasprintf("%s/signer1.log", dir);
	before = fabdrv_count(logp, "signed kind fabric.config-submit");
	r = fabdrv_run_task(&c.a.env1, t, RETRIES);
	CHECK(strcmp(state_of(r), TASKS_DONE) == 0 &&
	    json_is_true(dget(r, "applied")));
	CHECK(fabdrv_count(logp, "signed kind fabric.config-submit") == before);
	printf("ok - update-submit again: %s: %s\n", state_of(r), msg_of(r));
	json_decref(r);
	json_decref(t);
	json_decref(sigs);
	free(up);
	free(sha);

	/* Org2's agent joins its orderer with the channel's config block. */
	t = join_from_channel();
	r = fabdrv_run_task(&c.a.env2, t, RETRIES);
	CHECK(strcmp(state_of(r), TASKS_DONE) == 0);
	CHECK(jint(json_object_get(r, "detail"), "blockNumber") == bn);
	printf("ok - join-orderer (blockFrom channel) by Org2: %s: %s\n",
	    state_of(r), msg_of(r));
	json_decref(r);

	/* osnadmin: a consenter, active, at the height of Org1's. */
	j1 = j2 = NULL;
	for (t0 = time(NULL); time(NULL) - t0 < WAIT_S;) {
		json_decref(j1);
		json_decref(j2);
		j1 = osnadmin(&o1, fabric_bin);
		j2 = osnadmin(&o2, fabric_bin);
		if (j1 != NULL && j2 != NULL &&
		    strcmp(jstr(j2, "consensusRelation"), "consenter") == 0 &&
		    strcmp(jstr(j2, "status"), "active") == 0 &&
		    jint(j2, "height") == jint(j1, "height"))
			break;
		fabdrv_pause_ms(1000);
	}
	REQUIRE(j1 != NULL && j2 != NULL);
	CHECK(strcmp(jstr(j2, "consensusRelation"), "consenter") == 0);
	CHECK(strcmp(jstr(j2, "status"), "active") == 0);
	CHECK(jint(j2, "height") == jint(j1, "height") &&
	    jint(j2, "height") == bn + 1);
	printf("ok - osnadmin: Org2's orderer0 is a %s of trade, %s, height "
	    "%lld; Org1's height %lld\n", jstr(j2, "consensusRelation"),
	    jstr(j2, "status"), (long long)jint(j2, "height"),
	    (long long)jint(j1, "height"));
	json_decref(j1);
	json_decref(j2);

	/* Joined again: done, nothing fetched. */
	r = fabdrv_run_task(&c.a.env2, t, RETRIES);
	CHECK(strcmp(state_of(r), TASKS_DONE) == 0 &&
	    json_is_true(dget(r, "alreadyJoined")));
	json_decref(r);
	json_decref(t);

	/* ---- remove Org1MSP/orderer0 ---- */
	c.a.env1.spec = c.topoC;
	c.a.env2.spec = c.topoC;
	q = json_pack("{s:s, s:s, s:s}", "id", "q", "type", "anchor-peers",
	    "channel", "trade");
	CHECK(live_consenters(&c.a.env2, q, &number) == 2);
	t = json_pack("{s:s, s:s, s:s, s:s, s:{s:s}, s:[s, s]}", "id",
	    "remove-consenter-trade-Org1MSP.orderer0.update-prepare.Org2MSP",
	    "workflow", "remove-consenter-trade-Org1MSP.orderer0", "type",
	    "update-prepare", "channel", "trade", "change", "removeConsenter",
	    "Org1MSP/orderer0", "orderers", "Org1MSP/orderer0",
	    "Org2MSP/orderer0");
	prep = fabdrv_run_task(&c.a.env2, t, RETRIES);
	json_decref(t);
	REQUIRE(strcmp(state_of(prep), TASKS_DONE) == 0);
	CHECK(strstr(msg_of(prep), "read from Org2MSP/orderer0") != NULL);
	up = xstrdup(json_string_value(dget(prep, "update")));
	sha = xstrdup(json_string_value(dget(prep, "sha256")));
	printf("ok - update-prepare by Org2 (its own orderer): %s\n",
	    msg_of(prep));
	json_decref(prep);

	r = sign(&c.a.env2, "remove-consenter-trade-Org1MSP.orderer0", up, sha,
	    "removeConsenter", "Org1MSP/orderer0");
	CHECK(strcmp(state_of(r), TASKS_DONE) == 0);
	sigs = json_array();
	json_array_append_new(sigs, sig_of("Org2MSP", r));
	json_decref(r);

	/* Org2's signature alone: MAJORITY of the two orderer orgs needs 2. */
	t = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:{s:s}, s:[s, s]}",
	    "id", "x", "type", "update-submit", "channel", "trade", "update", up,
	    "sha256", sha, "signatures", sigs, "change", "removeConsenter",
	    "Org1MSP/orderer0", "orderers", "Org1MSP/orderer0",
	    "Org2MSP/orderer0");
	r = fabdrv_run_task(&c.a.env2, t, RETRIES);
	CHECK(strcmp(state_of(r), TASKS_FAILED) == 0);
	printf("ok - update-submit with Org2's signature alone: %s: %s\n",
	    state_of(r), msg_of(r));
	json_decref(r);
	json_decref(t);

	r = sign(&c.a.env1, "remove-consenter-trade-Org1MSP.orderer0", up, sha,
	    "removeConsenter", "Org1MSP/orderer0");
	CHECK(strcmp(state_of(r), TASKS_DONE) == 0);
	json_array_insert_new(sigs, 0, sig_of("Org1MSP", r));
	json_decref(r);
	printf("ok - update-sign by Org1 and Org2 (Orderer/Admins: MAJORITY "
	    "of 2 orderer orgs)\n");
	t = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:{s:s}, s:[s, s]}",
	    "id", "remove-consenter-trade-Org1MSP.orderer0.update-submit.Org2MSP",
	    "type", "update-submit", "channel", "trade", "update", up, "sha256",
	    sha, "signatures", sigs, "change", "removeConsenter",
	    "Org1MSP/orderer0", "orderers", "Org1MSP/orderer0",
	    "Org2MSP/orderer0");
	r = fabdrv_run_task(&c.a.env2, t, RETRIES);
	CHECK(strcmp(state_of(r), TASKS_DONE) == 0);
	/* A follower refuses a consenter change (etcdraft's quorum check
	 * knows the live nodes on the leader only): whichever took it is
	 * named. */
	CHECK(strstr(msg_of(r), "accepted by Org1MSP/orderer0") != NULL ||
	    strstr(msg_of(r), "accepted by Org2MSP/orderer0") != NULL);
	bn2 = jint(json_object_get(r, "detail"), "blockNumber");
	CHECK(bn2 == bn + 1);
	printf("ok - update-submit by Org2 (its own orderer first, then the "
	    "Raft leader): %s: %s\n",
	    state_of(r), msg_of(r));
	json_decref(r);
	json_decref(t);
	json_decref(sigs);
	free(up);
	free(sha);
	CHECK(live_consenters(&c.a.env2, q, &number) == 1);

	/* Org1's agent takes trade off its orderer. */
	t = json_pack("{s:s, s:s, s:s, s:s}", "id",
	    "remove-consenter-trade-Org1MSP.orderer0.leave-orderer.Org1MSP.orderer0",
	    "type", "leave-orderer", "channel", "trade", "node", "orderer0");
	r = fabdrv_run_task(&c.a.env1, t, RETRIES);
	CHECK(strcmp(state_of(r), TASKS_DONE) == 0 &&
	    json_is_true(dget(r, "removed")));
	printf("ok - leave-orderer by Org1: %s: %s\n", state_of(r), msg_of(r));
	json_decref(r);
	for (t0 = time(NULL); time(NULL) - t0 < 30;) {
		if ((j1 = osnadmin(&o1, fabric_bin)) == NULL)
			break;
		json_decref(j1);
		fabdrv_pause_ms(500);
	}
	CHECK(j1 == NULL);
	r = fabdrv_run_task(&c.a.env1, t, RETRIES);
	CHECK(strcmp(state_of(r), TASKS_DONE) == 0 &&
	    json_is_false(dget(r, "removed")));
	printf("ok - osnadmin: Org1's orderer0 no longer has trade; "
	    "leave-orderer again: %s: %s\n", state_of(r), msg_of(r));
	json_decref(r);
	json_decref(t);

	/* Org2's orderer orders alone: a further config update. */
	REQUIRE((j2 = osnadmin(&o2, fabric_bin)) != NULL);
	CHECK(strcmp(jstr(j2, "consensusRelation"), "consenter") == 0);
	h = jint(j2, "height");
	json_decref(j2);
	t = json_pack("{s:s, s:s, s:s}", "id", "anchor-peers.Org2MSP", "type",
	    "anchor-peers", "channel", "trade");
	r = fabdrv_run_task(&c.a.env2, t, RETRIES);
	CHECK(strcmp(state_of(r), TASKS_DONE) == 0 &&
	    json_is_true(dget(r, "updated")));
	printf("ok - anchor-peers of Org2 after the removal: %s: %s\n",
	    state_of(r), msg_of(r));
	json_decref(r);
	json_decref(t);
	j2 = NULL;
	for (t0 = time(NULL); time(NULL) - t0 < 60;) {
		json_decref(j2);
		if ((j2 = osnadmin(&o2, fabric_bin)) != NULL &&
		    jint(j2, "height") > h)
			break;
		fabdrv_pause_ms(500);
	}
	REQUIRE(j2 != NULL);
	CHECK(jint(j2, "height") == h + 1 &&
	    strcmp(jstr(j2, "status"), "active") == 0);
	printf("ok - osnadmin: Org2's orderer0 is a %s of trade, %s, height "
	    "%lld (was %lld): it orders alone\n", jstr(j2, "consensusRelation"),
	    jstr(j2, "status"), (long long)jint(j2, "height"), (long long)h);
	json_decref(j2);
	json_decref(q);

	free(logp);
	runtime_free(o1.rt);
	runtime_free(o2.rt);
	fabdrv_agents_free(&c.a);
	json_decref(topoX);
	printf("%d checks, %d failed\n", nchecks, nfailures);
	return nfailures == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const char *const msps[] = { "Org1MSP", "Org2MSP" };
	static const char *const dirs[] = { "st1", "st2" };

	if (argc == 3 && strcmp(argv[1], "pki") == 0)
		return fabdrv_pki(argv[2], "topoX.json", msps, dirs, 2);
	if (argc == 3 && strcmp(argv[1], "offline") == 0)
		return offline(argv[2]);
	if (argc == 3 && strcmp(argv[1], "live") == 0)
		return live(argv[2]);
	fprintf(stderr, "usage: itest_agent_consenter pki|offline|live DIR\n");
	return 2;
}
