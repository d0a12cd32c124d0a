/*
 * fabdrv.c: the shared steps of the real-Fabric C drivers (fabdrv.h).
 */
#include "fabdrv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "b64.h"
#include "fabric_block.h"
#include "fabric_config.h"
#include "fabric_update.h"
#include "fixture.h"
#include "topology.h"
#include "xmalloc.h"

void
fabdrv_pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

json_t *
fabdrv_load(const char *path)
{
	json_t *doc = fixture_load(path);

	if (doc == NULL)
		exit(1);	/* fixture_load said why */
	return doc;
}

const char *
fabdrv_sget(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL) {
		fprintf(stderr, "no string \"%s\" where one is expected\n", key);
		exit(1);
	}
	return s;
}

json_t *
fabdrv_orgs_of(const json_t *org, const char *pkidir)
{
	return json_pack("{s:o}", fabdrv_sget(org, "mspId"),
	    fixture_published_or_exit(org, pkidir));
}

void
fabdrv_genesis(const json_t *doc, const char *ch, const json_t *orgs,
    char **b64, char sha[65], uint8_t **raw, size_t *rlen)
{
	Common__Config *cfg;
	Common__Block *b;
	uint8_t md[SHA256_DIGEST_LENGTH];
	char *cause = NULL;
	size_t i;

	if ((cfg = fcfg_build_flags(doc, ch, orgs, FCFG_NO_ANCHORS,
	    &cause)) == NULL || (b = fblock_genesis(cfg, ch,
	    (int64_t)time(NULL), NULL, &cause)) == NULL) {
		fprintf(stderr, "genesis: %s\n", cause);
		exit(1);
	}
	*raw = fblock_pack(b, rlen);
	fblock_free(b);
	fcfg_free(cfg);
	SHA256(*raw, *rlen, md);
	for (i = 0; i < sizeof(md); i++)
		snprintf(sha + 2 * i, 3, "%02x", md[i]);
	*b64 = b64_encode(*raw, *rlen, 0);
}

void
fabdrv_wait_ready(struct runtime *rt, const struct rt_org *o,
    const char *node, int secs)
{
	enum rt_state st = RT_STATE_ABSENT;
	char *detail = NULL, *cause = NULL;
	time_t t0 = time(NULL);

	while (time(NULL) - t0 < secs) {
		free(detail);
		detail = NULL;
		if (runtime_observe(rt, o, node, &st, &detail, &cause) != 0) {
			fprintf(stderr, "observe %s: %s\n", node, cause);
			free(cause);
			cause = NULL;
		}
		if (st == RT_STATE_READY || st == RT_STATE_FAILED)
			break;
		fabdrv_pause_ms(250);
	}
	if (st != RT_STATE_READY) {
		fprintf(stderr, "%s is %s: %s\n", node, rt_state_name(st),
		    detail != NULL ? detail : "");
		exit(1);
	}
	free(detail);
}

json_t *
fabdrv_run_task(const struct tasks_env *env, const json_t *task, int retries)
{
	json_t *r = NULL;
	int i;

	for (i = 0; i < retries; i++) {
		json_decref(r);
		r = NULL;
		if (tasks_run(env, task, &r) != 0 || r == NULL) {
			fprintf(stderr, "tasks_run gave no result\n");
			exit(1);
		}
		printf("  %s: %s: %s\n", fabdrv_sget(task, "type"),
		    fabdrv_sget(r, "state"), fabdrv_sget(r, "message"));
		if (strcmp(fabdrv_sget(r, "state"), TASKS_RETRY) != 0)
			break;
		fabdrv_pause_ms(1000);
	}
	return r;
}

int
fabdrv_pki(const char *dir, const char *topo, const char *const *mspids,
    const char *const *dirs, size_t n)
{
	char *p = xasprintf("%s/%s", dir, topo), *pki;
	json_t *doc = fabdrv_load(p);
	const json_t *org;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		if ((org = topology_find_org(doc, mspids[i])) == NULL) {
			fprintf(stderr, "%s declares no org %s\n", p, mspids[i]);
			rc = 1;
			break;
		}
		pki = xasprintf("%s/%s/pki", dir, dirs[i]);
		rc = fixture_pki_ok(org, pki, fixture_loopback);
		free(pki);
	}
	json_decref(doc);
	free(p);
	return rc;
}

void
fabdrv_agents_init(struct fabdrv_agents *a, const char *dir,
    const char *const names[FABDRV_DOCS], int orgs_from, int spec)
{
	const json_t *doc;
	json_t *o2;
	char *p;
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < FABDRV_DOCS; i++) {
		p = xasprintf("%s/%s", dir, names[i]);
		a->doc[i] = fabdrv_load(p);
		free(p);
	}
	doc = a->doc[orgs_from];
	a->st1 = xasprintf("%s/st1", dir);
	a->st2 = xasprintf("%s/st2", dir);
	a->pki1 = xasprintf("%s/st1/pki", dir);
	a->pki2 = xasprintf("%s/st2/pki", dir);
	a->sock1 = xasprintf("ipc://%s/st1/signer.sock", dir);
	a->sock2 = xasprintf("ipc://%s/st2/signer.sock", dir);
	a->out = xasprintf("%s/out", dir);
	a->orgs = fabdrv_orgs_of(topology_find_org(doc, "Org1MSP"), a->pki1);
	o2 = fabdrv_orgs_of(topology_find_org(doc, "Org2MSP"), a->pki2);
	json_object_update(a->orgs, o2);
	json_decref(o2);
	a->man = rt_manifests_new(a->out);
	a->env1.rt = a->man;
	a->env1.mspid = "Org1MSP";
	a->env1.domain = "org1.example.com";
	a->env1.pkidir = a->pki1;
	a->env1.spec = a->doc[spec];
	a->env1.orgs = a->orgs;
	a->env1.signer_url = a->sock1;
	a->env1.outdir = a->out;
	a->env1.statedir = a->st1;
	a->env2 = a->env1;
	a->env2.mspid = "Org2MSP";
	a->env2.domain = "org2.example.com";
	a->env2.pkidir = a->pki2;
	a->env2.signer_url = a->sock2;
	a->env2.statedir = a->st2;
}

void
fabdrv_agents_free(struct fabdrv_agents *a)
{
	int i;

	for (i = 0; i < FABDRV_DOCS; i++)
		json_decref(a->doc[i]);
	runtime_free(a->man);
	json_decref(a->orgs);
	free(a->pki1);
	free(a->pki2);
	free(a->sock1);
	free(a->sock2);
	free(a->out);
	free(a->st1);
	free(a->st2);
	memset(a, 0, sizeof(*a));
}

char *
fabdrv_update(const Common__Config *live, const Common__Config *desired,
    const char *ch, char sha[65])
{
	Common__ConfigUpdate *u;
	uint8_t *b, md[SHA256_DIGEST_LENGTH];
	char *cause = NULL, *out;
	size_t len, i;

	if ((u = fupd_compute(live, desired, ch, &cause)) == NULL) {
		fprintf(stderr, "the update of %s: %s\n", ch, cause);
		exit(1);
	}
	b = fupd_pack(u, &len);
	SHA256(b, len, md);
	for (i = 0; i < sizeof(md); i++)
		snprintf(sha + 2 * i, 3, "%02x", md[i]);
	out = b64_encode(b, len, 0);
	free(b);
	fupd_free(u);
	return out;
}

char *
fabdrv_change_update(fabdrv_config_fn config, const Common__Config *live,
    const json_t *doc, const json_t *orgs, enum tasks_org_change op,
    const char *ref, char sha[65])
{
	Common__Config *d = NULL;
	char *cause = NULL, *out;

	if (config(live, doc, orgs, "trade", op, ref, &d, &cause) != 0) {
		fprintf(stderr, "the update changing %s: %s\n", ref, cause);
		exit(1);
	}
	out = fabdrv_update(live, d, "trade", sha);
	fcfg_free(d);
	return out;
}

size_t
fabdrv_count(const char *path, const char *what)
{
	char *text = fixture_read_or_exit(path, FIXTURE_MAX_FILE, NULL), *p;
	size_t n = 0;

	for (p = text; (p = strstr(p, what)) != NULL; p++)
		n++;
	free(text);
	return n;
}

struct runtime *
fabdrv_start(const char *fabric_bin, const char *statedir, struct rt_org *o,
    const json_t *doc, const char *mspid, const char *pkidir, int secs)
{
	struct runtime *rt;
	char *cause = NULL;

	if ((rt = rt_process_new(fabric_bin, statedir, "127.0.0.1",
	    &cause)) == NULL) {
		fprintf(stderr, "rt_process_new: %s\n", cause);
		exit(1);
	}
	memset(o, 0, sizeof(*o));
	o->consortium = doc;
	o->mspid = mspid;
	o->pkidir = pkidir;
	if (runtime_render(rt, o, &cause) != 0) {
		fprintf(stderr, "render %s: %s\n", mspid, cause);
		exit(1);
	}
	fabdrv_wait_ready(rt, o, "orderer0", secs);
	return rt;
}

json_t *
fabdrv_join_genesis(struct tasks_env *env, const json_t *doc,
    const json_t *orgs, const char *ch, int retries)
{
	json_t *t, *r;
	uint8_t *raw;
	size_t rlen;
	char *b64, sha[65], *id;

	fabdrv_genesis(doc, ch, orgs, &b64, sha, &raw, &rlen);
	env->spec = doc;
	id = xasprintf("create-channel-%s.join-orderer.%s.orderer0", ch,
	    env->mspid);
	t = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "type",
	    "join-orderer", "channel", ch, "node", "orderer0", "block", b64,
	    "blockSha256", sha);
	r = fabdrv_run_task(env, t, retries);
	json_decref(t);
	free(id);
	free(b64);
	free(raw);
	return r;
}
