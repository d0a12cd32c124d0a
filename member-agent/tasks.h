/*
 * tasks.h: the member agent carrying out the tasks the controller gives
 * it (docs/workflows.md, docs/agent-tasks.md): join one of its orderers
 * to a channel (channel participation), join one of its peers (cscc
 * JoinChain signed by the org admin's signer), set its own org's anchor
 * peers on a channel (a config update signed by the signer). With the
 * manifests and kubernetes runtimes the joins are written out for GitOps
 * instead ("rendered").
 *
 * tasks_run is synchronous: it blocks on the Fabric calls, each bounded,
 * the whole task bounded by call_ms and task_ms.
 */
#ifndef FABFED_TASKS_H
#define FABFED_TASKS_H

#include <jansson.h>

#include "common/configtx.pb-c.h"

#define TASKS_CALL_MS		10000	/* one Fabric call */
#define TASKS_TASK_MS		30000	/* one task, retries of calls included */
#define TASKS_MAX_MESSAGE	1024	/* bytes of a result's message */
#define TASKS_MAX_BLOCK		(100UL * 1024 * 1024)	/* a task's block */
#define TASKS_MAX_CONFIG	(100UL * 1024 * 1024)	/* a fetched config block */

struct runtime;

/* What the agent has. Everything borrowed for the call. */
struct tasks_env {
	struct runtime *rt;       /* the org's runtime */
	const char *mspid;        /* the agent's own org */
	const char *domain;       /* its domain (PKI names) */
	const char *pkidir;       /* its PKI, lib/msp.h layout */
	const json_t *spec;       /* the desired "spec": the normalized document */
	const json_t *orgs;       /* the desired "orgs": {MSP: {"msp","endpoints"}} */
	const char *signer_url;   /* "ipc://STATE/signer.sock" */
	const char *outdir;       /* manifests/kubernetes: OUT (the channels/ parent) */
	const char *statedir;     /* the agent's state dir (other orgs' TLS roots) */
	long call_ms;             /* 0: TASKS_CALL_MS */
	long task_ms;             /* 0: TASKS_TASK_MS */
};

/* The result states (docs/workflows.md "Results"). */
#define TASKS_DONE	"done"
#define TASKS_RENDERED	"rendered"
#define TASKS_RETRY	"retry"
#define TASKS_FAILED	"failed"

/*
 * Carries out one task (an element of the desired state's "tasks"). It is
 * checked first: its type and id, the channel declared with this org in
 * it, the node this org's and in the channel, the block's SHA-256 equal
 * to blockSha256, the block block 0, a config block of that channel; a
 * task that fails a check is "failed" with the reason. Always returns 0
 * with *result (caller decrefs): {"state": done|rendered|retry|failed,
 * "message": a sentence of at most TASKS_MAX_MESSAGE bytes, "detail": {}}.
 */
int tasks_run(const struct tasks_env *, const json_t *task, json_t **result);

/* 1 for a final state (done, rendered, failed), 0 for retry or anything else. */
int tasks_final(const char *state);

/*
 * The config an anchor-peers update of MSPID aims at: a copy of LIVE with
 * only Application/MSPID/AnchorPeers replaced by WANT's (removed when WANT
 * has none), so that fupd_compute(LIVE, result) touches that org's group
 * only. Returns a tree (fcfg_free), or NULL and *cause when LIVE has no
 * such org in its Application group.
 */
Common__Config *tasks_anchor_config(const Common__Config *live,
    const Common__Config *want, const char *mspid, char **cause);

#endif
