/*
 * tasks.h: the member agent carrying out the tasks the controller gives
 * it (docs/workflows.md, docs/agent-tasks.md): join one of its orderers
 * to a channel (channel participation), join one of its peers (cscc
 * JoinChain signed by the org admin's signer), set its own org's anchor
 * peers on a channel (a config update signed by the signer), the steps
 * of adding or removing an org or a consenter (prepare the update, sign
 * it, submit it with the signatures collected: tasks_update.c,
 * tasks_consenter.c), join one of its orderers to a channel it is a new
 * consenter of (with the channel's newest config block) or take a
 * channel off an orderer that is no longer its consenter. With the
 * manifests and kubernetes runtimes the joins and leaves are written out
 * for GitOps instead ("rendered").
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

/*
 * 1 when the task needs the signer before it can run: every task of the
 * process runtime (its Fabric calls are signed) but leave-orderer (a
 * participation call with the admin's TLS certificate, nothing signed),
 * and update-sign under every runtime. The agent waits for the signer's
 * PING before those.
 */
int tasks_needs_signer(const char *runtime, const json_t *task);

/*
 * The change of an add-org / remove-org / add-consenter /
 * remove-consenter workflow (the update tasks' "change").
 */
enum tasks_org_change {
	TASKS_ADD_ORG,          /* {"addOrg": MSP} */
	TASKS_REMOVE_ORG,       /* {"removeOrg": MSP} */
	TASKS_ADD_CONSENTER,    /* {"addConsenter": "MSP/node"} */
	TASKS_REMOVE_CONSENTER  /* {"removeConsenter": "MSP/node"} */
};

#define TASKS_MAX_REF		512	/* bytes of an "MSP/node" reference */
#define TASKS_MAX_ORDERERS	256	/* entries of a task's "orderers" */

/* 1 for TASKS_ADD_CONSENTER and TASKS_REMOVE_CONSENTER. */
int tasks_change_is_consenter(enum tasks_org_change);

/*
 * The update tasks' "change", one key: {"addOrg": MSP}, {"removeOrg":
 * MSP}, {"addConsenter": "MSP/node"} or {"removeConsenter": "MSP/node"}.
 * Returns 0 with *op and *msp (the MSP ID, or the "MSP/node" reference of
 * a consenter; borrowed from CHANGE), or -1 with *cause.
 */
int tasks_org_change_parse(const json_t *change, enum tasks_org_change *op,
    const char **msp, char **cause);

/*
 * The config update-prepare aims at: LIVE with only MSP added to (its
 * group exactly as fcfg_build(SPEC, CHANNEL, ORGS) has it, AnchorPeers
 * included) or removed from the Application group. The change must be one
 * the document declares: MSP listed among CHANNEL's members to be added,
 * no longer listed to be removed; otherwise -1 with *cause saying so.
 * Returns 0 with *out (fcfg_free), 1 when LIVE has the change already
 * (the org is there / is gone; *out NULL), or -1 with *cause. The
 * consenter changes go to tasks_consenter_config (MSP is then the
 * "MSP/node" reference).
 */
int tasks_org_config(const Common__Config *live, const json_t *spec,
    const json_t *orgs, const char *channel, enum tasks_org_change op,
    const char *msp, Common__Config **out, char **cause);

/*
 * The config an add-consenter / remove-consenter update aims at: LIVE
 * with Orderer/ConsensusType as fcfg_build(SPEC, CHANNEL, ORGS) has it,
 * and the owner's Orderer/<MSP> group added (as fcfg_build has it), its
 * Endpoints value set to the declared one, or the group removed when the
 * document leaves that org no consenter of CHANNEL; nothing else. The
 * document must ask for the change (REF, "MSP/node", among CHANNEL's
 * consenters to be added, no longer among them to be removed), and the
 * etcdraft consenter sets (host, port, TLS certificates) of LIVE and of
 * the desired config must differ by exactly that consenter: Raft takes
 * one consenter change per config update. Returns 0 with *out
 * (fcfg_free), 1 when LIVE has the change already (the consenter is in /
 * gone from LIVE's set; *out NULL), or -1 with *cause ("the document
 * changes 2 consenters of trade at once ...").
 */
int tasks_consenter_config(const Common__Config *live, const json_t *spec,
    const json_t *orgs, const char *channel, enum tasks_org_change op,
    const char *ref, Common__Config **out, char **cause);

/*
 * update-submit's check that an update is already in the channel. What
 * the update does is read from its write set (the task's "change" is not
 * needed): an add-org or remove-org update writes the Application group
 * at a new version (its read set version + 1) with exactly the orgs the
 * channel has afterwards; an add-consenter or remove-consenter update
 * writes Orderer alone, with its ConsensusType. Returns 1 when LIVE has
 * it: its Application orgs are exactly those, or its etcdraft consenter
 * set is the update's (and its orderer orgs and their Endpoints are those
 * the update writes); 0 when not (*what, may be NULL, says what the
 * update would change: "adds Org2MSP", "removes Org3MSP", "adds
 * consenter 10.0.0.5:7050"; caller frees); -1 with *cause (may be NULL)
 * when the update is neither shape.
 */
int tasks_update_applied(const Common__ConfigUpdate *update,
    const Common__Config *live, char **what, char **cause);

#define TASKS_MAX_SIG	256	/* bytes of one DER signature (P-256: <= 72) */

/* One ConfigSignature of update-submit's "signatures". */
struct tasks_sig {
	char *org;                /* the org the controller says signed */
	uint8_t *header;          /* marshalled SignatureHeader */
	size_t header_len;
	uint8_t *sig;             /* DER ECDSA */
	size_t sig_len;
};

/*
 * Decodes update-submit's "signatures": [{"org", "signatureHeader",
 * "signature"}], 1 to FUPD_MAX_SIGNATURES of them, canonical base64, a
 * header at most FUPD_MAX_HEADER bytes, a signature at most TASKS_MAX_SIG,
 * one per org. Returns 0 with *out (tasks_sigs_free) and *n, or -1 with
 * *cause naming the element at fault ("signatures[1].signature ...").
 */
int tasks_sigs_decode(const json_t *list, struct tasks_sig **out, size_t *n,
    char **cause);
void tasks_sigs_free(struct tasks_sig *, size_t n);

#endif
