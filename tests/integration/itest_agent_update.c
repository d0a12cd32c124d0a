/*
 * itest_agent_update.c: the add-org tasks (member-agent/tasks_update.c)
 * as the agents run them, driven by agent_update.sh, in one directory T:
 *
 *   T/topo1.json  trade with Org1MSP only (the channel as created)
 *   T/topo2.json  the same consortium declaring Org2MSP a member too
 *   T/topo9.json  a consortium that also declares Org9MSP (the hostile
 *                 update is computed from it; no org signs for it)
 *   T/topo29.json trade declaring Org2MSP and Org9MSP members at once
 *   T/st1, T/st2, T/st9   each org's state dir (PKI under pki/), with
 *                 st1/signer.sock and st2/signer.sock the REAL signers
 *                 (`fabfed-agent signer`) the script runs
 *
 *   pki T      the three orgs' PKIs (lib/msp)
 *   offline T  no Fabric: the manifests runtime; update-sign of the update
 *              adding Org2MSP by both orgs' signers (done, both
 *              signatures verify), of an update adding Org9MSP (failed,
 *              the signer's reason naming Org9MSP); prepare and submit
 *              rendered
 *   live T     REAL Fabric (FABRIC_BIN): Org1's orderer and peer under
 *              the process runtime, the channel created with Org1 only,
 *              Org1's document declaring Org2MSP and Org9MSP at once:
 *              update-prepare of the update adding Org2MSP, update-sign by
 *              Org1 (its signer checks against the live config its agent
 *              read) and by Org2 (no live config: refused under the
 *              two-org document, signed under topo2), update-submit with
 *              Org2's signature alone (refused: the admins policy wants
 *              Org1's), then with both (accepted, the config block decoded
 *              has Org2MSP in Application), submitted again (done,
 *              applied, nothing signed or sent), the hostile update
 *              refused; then the second declared change, Org9MSP, prepared,
 *              signed by both members and accepted
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
#include "fabric_decode.h"
#include "fabric_ops.h"
#include "fabric_update.h"
#include "msp.h"
#include "runtime.h"
#include "signer_client.h"
#include "tasks.h"
#include "topology.h"
#include "xmalloc.h"
#include "itest.h"

#define WAIT_S		90
#define MAX_FILE	FIXTURE_MAX_FILE
#define RETRIES		20	/* "retry" results re-run, as the agent does */

/* Everything a run needs. */
struct ctx {
	const char *dir;
	const json_t *topo1, *topo2, *topo9;	/* a's documents */
	json_t *topo29;
	struct fabdrv_agents a;   /* Org1's and Org2's; orgs has Org9MSP too */
	char *pki9;
};

static void
ctx_init(struct ctx *c, const char *dir)
{
	static const char *const docs[] = { "topo1.json", "topo2.json",
	    "topo9.json" };
	json_t *o9;
	char *p;

	memset(c, 0, sizeof(*c));
	c->dir = dir;
	fabdrv_agents_init(&c->a, dir, docs, 2, 1);
	c->topo1 = c->a.doc[0];
	c->topo2 = c->a.doc[1];
	c->topo9 = c->a.doc[2];
	p = xasprintf("%s/topo29.json", dir);
	c->topo29 = fabdrv_load(p);
	free(p);
	c->pki9 = xasprintf("%s/st9/pki", dir);
	o9 = fabdrv_orgs_of(topology_find_org(c->topo9, "Org9MSP"), c->pki9);
	json_object_update(c->a.orgs, o9);
	json_decref(o9);
	REQUIRE(json_object_size(c->a.orgs) == 3);
	REQUIRE(c->a.man != NULL);
}

static void
ctx_free(struct ctx *c)
{
	fabdrv_agents_free(&c->a);
	json_decref(c->topo29);
	free(c->pki9);
}

static json_t *
sign_task(const char *msp, const char *b64, const char *sha)
{
	return json_pack("{s:s+, s:s, s:s, s:s, s:s, s:s}", "id",
	    "add-org-trade-Org2MSP.update-sign.", msp, "workflow",
	    "add-org-trade-Org2MSP", "type", "update-sign", "channel", "trade",
	    "update", b64, "sha256", sha);
}

static const char *
state_of(const json_t *r)
{
	return fabdrv_sget(r, "state");
}

static const char *
dget(const json_t *r, const char *key)
{
	return json_string_value(json_object_get(json_object_get(r, "detail"),
	    key));
}

/* update-sign by both orgs: the two signatures, checked by fupd_open. */
static json_t *
sign_both(struct ctx *c, const char *b64, const char *sha)
{
	json_t *t, *r, *sigs = json_array();
	struct tasks_env *envs[] = { &c->a.env1, &c->a.env2 };
	struct fupd_sig fs[2];
	struct fupd_opened op;
	uint8_t *u, *h[2], *s[2], *cue;
	size_t ulen, hl[2], sl[2], cuelen;
	char *cause = NULL;
	int i;

	for (i = 0; i < 2; i++) {
		t = sign_task(envs[i]->mspid, b64, sha);
		r = fabdrv_run_task(envs[i], t, RETRIES);
		CHECK(strcmp(state_of(r), TASKS_DONE) == 0);
		REQUIRE(dget(r, "signatureHeader") != NULL &&
		    dget(r, "signature") != NULL);
		printf("ok - update-sign by %s's signer: %s\n", envs[i]->mspid,
		    fabdrv_sget(r, "message"));
		json_array_append_new(sigs, json_pack("{s:s, s:s, s:s}", "org",
		    envs[i]->mspid, "signatureHeader", dget(r, "signatureHeader"),
		    "signature", dget(r, "signature")));
		h[i] = b64_decode(dget(r, "signatureHeader"),
		    strlen(dget(r, "signatureHeader")), 0, 1 << 20, &hl[i]);
		s[i] = b64_decode(dget(r, "signature"), strlen(dget(r,
		    "signature")), 0, 1024, &sl[i]);
		REQUIRE(h[i] != NULL && s[i] != NULL);
		fs[i] = (struct fupd_sig){ h[i], hl[i], s[i], sl[i] };
		json_decref(r);
		json_decref(t);
	}
	u = b64_decode(b64, strlen(b64), 0, 1 << 24, &ulen);
	REQUIRE(u != NULL);
	cue = fupd_envelope(u, ulen, fs, 2, &cuelen);
	memset(&op, 0, sizeof(op));
	CHECK(fupd_open(cue, cuelen, FUPD_MAX_ENVELOPE, &op, &cause) == 0);
	CHECK(op.nsigs == 2 && strcmp(op.mspids[0], "Org1MSP") == 0 &&
	    strcmp(op.mspids[1], "Org2MSP") == 0);
	printf("ok - both signatures verify (fupd_open): %s, %s\n",
	    op.nsigs > 0 ? op.mspids[0] : "-", op.nsigs > 1 ? op.mspids[1] : "-");
	fupd_opened_clear(&op);
	for (i = 0; i < 2; i++) {
		free(h[i]);
		free(s[i]);
	}
	free(u);
	free(cue);
	return sigs;
}

/* The hostile update (adds Org9MSP, which topo2 does not declare). */
static void
hostile(struct ctx *c, const Common__Config *live)
{
	json_t *t, *r;
	char sha[65], *b64;

	b64 = fabdrv_change_update(tasks_org_config, live, c->topo9,
	    c->a.orgs, TASKS_ADD_ORG, "Org9MSP", sha);
	t = sign_task("Org1MSP", b64, sha);
	r = fabdrv_run_task(&c->a.env1, t, RETRIES);
	CHECK(strcmp(state_of(r), TASKS_FAILED) == 0 &&
	    strstr(fabdrv_sget(r, "message"), "the signer refused") != NULL &&
	    strstr(fabdrv_sget(r, "message"), "Org9MSP") != NULL);
	printf("ok - the update adding Org9MSP: %s: %s\n", state_of(r),
	    fabdrv_sget(r, "message"));
	json_decref(r);
	json_decref(t);
	free(b64);
}

static int
offline(const char *dir)
{
	struct ctx c;
	Common__Config *live;
	json_t *sigs, *t, *r;
	char sha[65], *b64, *cause = NULL;

	ctx_init(&c, dir);
	live = fcfg_build_flags(c.topo1, "trade", c.a.orgs, FCFG_NO_ANCHORS,
	    &cause);
	REQUIRE(live != NULL);
	b64 = fabdrv_change_update(tasks_org_config, live, c.topo2,
	    c.a.orgs, TASKS_ADD_ORG, "Org2MSP", sha);
	sigs = sign_both(&c, b64, sha);
	hostile(&c, live);

	t = json_pack("{s:s, s:s, s:s, s:{s:s}}", "id", "x", "type",
	    "update-prepare", "channel", "trade", "change", "addOrg", "Org2MSP");
	r = fabdrv_run_task(&c.a.env1, t, RETRIES);
	CHECK(strcmp(state_of(r), TASKS_RENDERED) == 0);
	printf("ok - update-prepare under manifests: %s: %s\n", state_of(r),
	    fabdrv_sget(r, "message"));
	json_decref(r);
	json_decref(t);
	t = json_pack("{s:s, s:s, s:s, s:s, s:O}", "id", "x", "type",
	    "update-submit", "channel", "trade", "update", b64, "signatures",
	    sigs);
	r = fabdrv_run_task(&c.a.env1, t, RETRIES);
	CHECK(strcmp(state_of(r), TASKS_RENDERED) == 0);
	printf("ok - update-submit under manifests: %s: %s\n", state_of(r),
	    fabdrv_sget(r, "message"));
	json_decref(r);
	json_decref(t);

	json_decref(sigs);
	free(b64);
	fcfg_free(live);
	ctx_free(&c);
	printf("%d checks, %d failed\n", nchecks, nfailures);
	return nfailures == 0 ? 0 : 1;
}

/* The channel's newest config block from Org1's orderer, decoded. */
static Common__Config *
read_config(struct runtime *rt, const struct rt_org *o, struct ctx *c,
    uint64_t *number)
{
	struct grpc_target g;
	struct ftx_identity id;
	struct signer_client sc;
	struct fops_signer s;
	struct fops_result res;
	json_t *info = NULL, *ctx = json_object();
	Common__Config *cfg;
	uint8_t *blk = NULL;
	size_t blen;
	char *cause = NULL, *host = NULL, *tls_crt, *tls_key, *cert, *p;

	REQUIRE(rt_process_node_info(rt, o, "orderer0", &info, &cause) == 0);
	tls_crt = xasprintf("%s/users/Admin@org1.example.com/tls/client.crt",
	    c->a.pki1);
	tls_key = xasprintf("%s/users/Admin@org1.example.com/tls/client.key",
	    c->a.pki1);
	p = xasprintf("%s/users/Admin@org1.example.com/msp/signcerts/"
	    "Admin@org1.example.com-cert.pem", c->a.pki1);
	cert = fixture_read_or_exit(p, MAX_FILE, NULL);
	free(p);
	memset(&g, 0, sizeof(g));
	REQUIRE(rt_process_endpoint(fabdrv_sget(info, "listen"), &host, &g.port) == 0);
	g.host = host;
	g.ca_file = fabdrv_sget(info, "tlsCa");
	g.cert_file = tls_crt;
	g.key_file = tls_key;
	id.mspid = "Org1MSP";
	id.cert_pem = cert;
	sc = (struct signer_client){ c->a.sock1, "fabric.channel-read", ctx, 0 };
	s = (struct fops_signer){ &id, signer_client_sign, &sc };
	if (fops_config_block(&g, "trade", &s, &blk, &blen, number, &res, 10000,
	    &cause) != 0) {
		fprintf(stderr, "fops_config_block: %s\n", cause);
		exit(1);
	}
	cfg = fdec_config_from_block(blk, blen, 1 << 26, &cause);
	REQUIRE(cfg != NULL);
	free(blk);
	free(host);
	free(tls_crt);
	free(tls_key);
	free(cert);
	json_decref(info);
	json_decref(ctx);
	return cfg;
}

static int
app_has(const Common__Config *cfg, const char *msp)
{
	const Common__ConfigGroup *a = cfg->channel_group != NULL ?
	    fcfg_group(cfg->channel_group, "Application") : NULL;

	return a != NULL && fcfg_group(a, msp) != NULL;
}

/* update-prepare of adding MSP on Org1's agent: done; the update (b64,
 * caller frees) and its sha256 (*sha, caller frees). */
static char *
prepare(struct ctx *c, const char *msp, char **sha)
{
	json_t *t, *r;
	char *b64;

	t = json_pack("{s:s+, s:s+, s:s, s:s, s:{s:s}}", "id",
	    "add-org-trade-", msp, "workflow", "add-org-trade-", msp, "type",
	    "update-prepare", "channel", "trade", "change", "addOrg", msp);
	r = fabdrv_run_task(&c->a.env1, t, RETRIES);
	if (strcmp(state_of(r), TASKS_DONE) != 0)
		fprintf(stderr, "update-prepare: %s: %s\n", state_of(r),
		    fabdrv_sget(r, "message"));
	REQUIRE(strcmp(state_of(r), TASKS_DONE) == 0);
	REQUIRE(dget(r, "update") != NULL && dget(r, "sha256") != NULL);
	b64 = xstrdup(dget(r, "update"));
	*sha = xstrdup(dget(r, "sha256"));
	printf("ok - update-prepare adding %s: %s\n", msp,
	    fabdrv_sget(r, "message"));
	json_decref(r);
	json_decref(t);
	return b64;
}

/* update-submit of B64 with SIGS on Org1's agent: done; its block. */
static json_int_t
submit(struct ctx *c, const char *b64, json_t *sigs, json_t **task)
{
	json_t *r;
	json_int_t bn;

	*task = json_pack("{s:s, s:s, s:s, s:s, s:O}", "id",
	    "add-org-trade.update-submit.Org1MSP", "type", "update-submit",
	    "channel", "trade", "update", b64, "signatures", sigs);
	r = fabdrv_run_task(&c->a.env1, *task, RETRIES);
	CHECK(strcmp(state_of(r), TASKS_DONE) == 0);
	bn = json_integer_value(json_object_get(json_object_get(r, "detail"),
	    "blockNumber"));
	CHECK(bn >= 1);
	printf("ok - update-submit: %s: %s\n", state_of(r),
	    fabdrv_sget(r, "message"));
	json_decref(r);
	return bn;
}

static int
live(const char *dir)
{
	struct ctx c;
	struct runtime *rt;
	struct rt_org o;
	Common__Config *cfg;
	json_t *t, *r, *sigs, *one;
	const char *fabric_bin = getenv("FABRIC_BIN");
	char *b64g, *logp, *sha;
	size_t before;
	uint64_t number = 0;
	json_int_t bn;

	REQUIRE(fabric_bin != NULL);
	ctx_init(&c, dir);
	rt = fabdrv_start(fabric_bin, c.a.st1, &o, c.topo1, "Org1MSP", c.a.pki1,
	    WAIT_S);
	printf("ok - Org1's orderer0 runs (process runtime, real Fabric)\n");
	c.a.env1.rt = rt;

	/* The channel as created: Org1 only (joined as the agent does). */
	r = fabdrv_join_genesis(&c.a.env1, c.topo1, c.a.orgs, "trade", RETRIES);
	CHECK(strcmp(state_of(r), TASKS_DONE) == 0);
	json_decref(r);

	/* The document declares two new members: the first is prepared. */
	c.a.env1.spec = c.topo29;
	b64g = prepare(&c, "Org2MSP", &sha);

	/* Org2's agent runs no orderer (manifests runtime): its signer gets
	 * no live config, and checks strictly: under the two-org document
	 * the update (Org9MSP not in it) is refused. */
	c.a.env2.spec = c.topo29;
	t = sign_task("Org2MSP", b64g, sha);
	r = fabdrv_run_task(&c.a.env2, t, RETRIES);
	CHECK(strcmp(state_of(r), TASKS_FAILED) == 0 &&
	    strstr(fabdrv_sget(r, "message"), "the update removes Org9MSP "
	    "from Channel/Application, which the consortium still declares") !=
	    NULL);
	printf("ok - Org2's signer without a live config, under the two-org "
	    "document: %s: %s\n", state_of(r), fabdrv_sget(r, "message"));
	json_decref(r);
	json_decref(t);
	c.a.env2.spec = c.topo2;

	/* sign, by both orgs' real signers: Org1's with the live config */
	logp = xasprintf("%s/signer1.log", dir);
	before = fabdrv_count(logp, "signed kind fabric.config-update");
	sigs = sign_both(&c, b64g, sha);
	CHECK(fabdrv_count(logp, "signed kind fabric.config-update") ==
	    before + 1);

	/* submit with Org2's signature alone: the channel's admins policy
	 * (MAJORITY of its 1 member) needs Org1's. */
	one = json_pack("[O]", json_array_get(sigs, 1));
	t = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", "x", "type",
	    "update-submit", "channel", "trade", "update", b64g, "signatures",
	    one);
	r = fabdrv_run_task(&c.a.env1, t, RETRIES);
	CHECK(strcmp(state_of(r), TASKS_FAILED) == 0);
	printf("ok - update-submit with Org2's signature alone: %s: %s\n",
	    state_of(r), fabdrv_sget(r, "message"));
	json_decref(r);
	json_decref(t);

	/* submit with both: Org1's config-submit signature, too, is checked
	 * against the live config and the two-org document. */
	bn = submit(&c, b64g, sigs, &t);

	/* The config block now has Org2MSP in Application. */
	cfg = read_config(rt, &o, &c, &number);
	CHECK(app_has(cfg, "Org2MSP") && app_has(cfg, "Org1MSP") &&
	    !app_has(cfg, "Org9MSP"));
	CHECK((json_int_t)number == bn);
	printf("ok - config block %llu of trade has Org1MSP and Org2MSP in "
	    "Application\n", (unsigned long long)number);
	fcfg_free(cfg);

	/* Again: done, applied, nothing signed for a submission or sent. */
	before = fabdrv_count(logp, "signed kind fabric.config-submit");
	r = fabdrv_run_task(&c.a.env1, t, RETRIES);
	CHECK(strcmp(state_of(r), TASKS_DONE) == 0 &&
	    json_is_true(json_object_get(json_object_get(r, "detail"),
	    "applied")));
	CHECK(fabdrv_count(logp, "signed kind fabric.config-submit") == before);
	printf("ok - update-submit again: %s: %s (config-submit signatures: "
	    "%zu before, %zu after)\n", state_of(r), fabdrv_sget(r, "message"),
	    before, fabdrv_count(logp, "signed kind fabric.config-submit"));
	json_decref(r);
	json_decref(t);
	json_decref(sigs);
	free(b64g);
	free(sha);

	/* The hostile update, from the config as it is now, under a
	 * document that does not declare Org9MSP: refused, live config or
	 * not. */
	c.a.env1.spec = c.topo2;
	cfg = read_config(rt, &o, &c, &number);
	hostile(&c, cfg);
	fcfg_free(cfg);

	/* The second declared change: Org9MSP, signed by both members (the
	 * admins policy is now a MAJORITY of 2). */
	c.a.env1.spec = c.topo29;
	c.a.env2.spec = c.topo29;
	b64g = prepare(&c, "Org9MSP", &sha);
	sigs = sign_both(&c, b64g, sha);
	bn = submit(&c, b64g, sigs, &t);
	json_decref(t);
	cfg = read_config(rt, &o, &c, &number);
	CHECK(app_has(cfg, "Org1MSP") && app_has(cfg, "Org2MSP") &&
	    app_has(cfg, "Org9MSP"));
	CHECK((json_int_t)number == bn);
	printf("ok - config block %llu of trade has Org1MSP, Org2MSP and "
	    "Org9MSP in Application: both declared members added, one update "
	    "after the other\n", (unsigned long long)number);
	fcfg_free(cfg);

	free(logp);
	free(sha);
	json_decref(sigs);
	free(b64g);
	runtime_free(rt);
	ctx_free(&c);
	printf("%d checks, %d failed\n", nchecks, nfailures);
	return nfailures == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const char *const msps[] = { "Org1MSP", "Org2MSP", "Org9MSP" };
	static const char *const dirs[] = { "st1", "st2", "st9" };

	if (argc == 3 && strcmp(argv[1], "pki") == 0)
		return fabdrv_pki(argv[2], "topo9.json", msps, dirs, 3);
	if (argc == 3 && strcmp(argv[1], "offline") == 0)
		return offline(argv[2]);
	if (argc == 3 && strcmp(argv[1], "live") == 0)
		return live(argv[2]);
	fprintf(stderr, "usage: itest_agent_update pki|offline|live DIR\n");
	return 2;
}
