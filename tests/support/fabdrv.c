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
#include "fixture.h"

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
