/*
 * fabdrv.h: what the C drivers that run the agent's code against real
 * Fabric processes (tests/integration/itest_agent_tasks.c,
 * itest_agent_update.c, itest_fabric_e2e.c) share. Each function prints
 * what went wrong and exits 1 when it cannot do its job: a driver has
 * nothing to go on with.
 */
#ifndef FABFED_FABDRV_H
#define FABFED_FABDRV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

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

#endif
