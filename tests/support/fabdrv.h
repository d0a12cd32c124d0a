/*
 * fabdrv.h: what the C drivers that run the agent's code against real
 * Fabric processes (tests/integration/itest_agent_tasks.c,
 * itest_agent_update.c, itest_agent_consenter.c, itest_fabric_e2e.c)
 * share. Each function prints what went wrong and exits 1 when it cannot
 * do its job: a driver has nothing to go on with.
 */
#ifndef FABFED_FABDRV_H
#define FABFED_FABDRV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/configtx.pb-c.h"

#include "runtime.h"
#include "tasks.h"

/* Sleeps MS milliseconds (EINTR resumed). */
void fabdrv_pause_ms(long ms);

/* The consortium document at PATH (fixture_load), or exit. */
json_t *fabdrv_load(const char *path);

/* O's string KEY (borrowed), or exit. */
const char *fabdrv_sget(const json_t *o, const char *key);

/* {MSPID: what the org's agent publishes} for ORG's PKI in PKIDIR. */
json_t *fabdrv_orgs_of(const json_t *org, const char *pkidir);

/*
 * Block 0 of channel CH built as the controller builds it
 * (fcfg_build_flags with FCFG_NO_ANCHORS, fblock_genesis): its bytes in
 * *raw and *rlen, its base64 in *b64 (both caller frees), its SHA-256 in
 * hex in sha.
 */
void fabdrv_genesis(const json_t *doc, const char *ch, const json_t *orgs,
    char **b64, char sha[65], uint8_t **raw, size_t *rlen);

/* Waits at most SECS for NODE to be READY in RT; exits if it is not. */
void fabdrv_wait_ready(struct runtime *rt, const struct rt_org *o,
    const char *node, int secs);

/*
 * Runs TASK as the agent does: a "retry" result is run again a second
 * later, at most RETRIES times. Prints each result; returns the last
 * (caller decrefs).
 */
json_t *fabdrv_run_task(const struct tasks_env *env, const json_t *task,
    int retries);

/*
 * The PKIs of the N orgs MSPIDS of the document DIR/TOPO, each under
 * DIR/<DIRS[i]>/pki (fixture_pki_ok, which prints an "ok" line each).
 * Returns 0, or 1 (an exit status) at the first that cannot be made.
 */
int fabdrv_pki(const char *dir, const char *topo, const char *const *mspids,
    const char *const *dirs, size_t n);

/*
 * Two orgs' agents in DIR as the drivers run them: Org1MSP's state in
 * DIR/st1 (PKI in st1/pki, its real signer on st1/signer.sock), Org2MSP's
 * in DIR/st2, the manifests runtime rendering into DIR/out; doc the
 * FABDRV_DOCS documents of the run (DIR/<name>), orgs what both orgs
 * publish (as doc[ORGS_FROM] declares them), env1 and env2 their tasks
 * environments on that runtime with doc[SPEC] their document.
 */
#define FABDRV_DOCS	3
struct fabdrv_agents {
	json_t		*doc[FABDRV_DOCS];
	json_t		*orgs;
	char		*pki1, *pki2, *sock1, *sock2, *out, *st1, *st2;
	struct runtime	*man;	/* NULL when it cannot be made */
	struct tasks_env env1, env2;
};

void fabdrv_agents_init(struct fabdrv_agents *a, const char *dir,
    const char *const names[FABDRV_DOCS], int orgs_from, int spec);
void fabdrv_agents_free(struct fabdrv_agents *a);

/*
 * The update of channel CH from LIVE to DESIRED: its base64 (caller
 * frees) and its SHA-256 in hex in sha.
 */
char *fabdrv_update(const Common__Config *live, const Common__Config *desired,
    const char *ch, char sha[65]);

/*
 * The update of channel trade from LIVE making the change OP of REF as
 * DOC declares it, its desired config computed by CONFIG
 * (tasks_org_config or tasks_consenter_config): fabdrv_update's.
 */
typedef int (*fabdrv_config_fn)(const Common__Config *, const json_t *,
    const json_t *, const char *, enum tasks_org_change, const char *,
    Common__Config **, char **);
char *fabdrv_change_update(fabdrv_config_fn config, const Common__Config *live,
    const json_t *doc, const json_t *orgs, enum tasks_org_change op,
    const char *ref, char sha[65]);

/* How many times WHAT is in the file PATH. */
size_t fabdrv_count(const char *path, const char *what);

/*
 * Org MSPID's nodes of DOC (its PKI in PKIDIR) rendered by a new process
 * runtime with its state in STATEDIR, on 127.0.0.1; returns once its
 * orderer0 is READY (at most SECS). O is the org as the runtime knows it.
 */
struct runtime *fabdrv_start(const char *fabric_bin, const char *statedir,
    struct rt_org *o, const json_t *doc, const char *mspid,
    const char *pkidir, int secs);

/*
 * ENV's org joins its orderer0 to channel CH with block 0 as the
 * controller builds it from DOC and ORGS (create-channel's join-orderer
 * task, ENV's spec set to DOC): the last result (caller decrefs).
 */
json_t *fabdrv_join_genesis(struct tasks_env *env, const json_t *doc,
    const json_t *orgs, const char *ch, int retries);

#endif
