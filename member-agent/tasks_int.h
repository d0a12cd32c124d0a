/*
 * tasks_int.h: what tasks.c (the checks, the joins, the dispatch),
 * tasks_anchor.c (anchor peers; an orderer's config, an update signed
 * and broadcast), tasks_update.c (the add-org / remove-org update tasks)
 * and tasks_consenter.c (consenter changes, join-orderer from the
 * channel, leave-orderer) share. Private to those files.
 */
#ifndef FABFED_TASKS_INT_H
#define FABFED_TASKS_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "common/configtx.pb-c.h"
#include "orderer/etcdraft/configuration.pb-c.h"
#include "fabric_ops.h"
#include "fabric_tx.h"
#include "grpc.h"
#include "participation.h"
#include "signer_client.h"
#include "tasks.h"

/* The in-cluster ports of the kubernetes objects (k8s.c). */
#define TASKS_K8S_PEER_PORT	7051
#define TASKS_K8S_ORDERER_PORT	7050
#define TASKS_K8S_ADMIN_PORT	7053

/* A checked task: strings borrowed from the task, block owned. */
struct task {
	const json_t *json;       /* the task as the controller sent it */
	const char *id, *type, *channel, *node;
	const json_t *chan;       /* the channel in the spec */
	const json_t *me;         /* this org in the spec */
	const json_t *nodespec;   /* the node in the org (joins, leaves) */
	const json_t *orderers;   /* "orderers" (checked), or NULL */
	int from_channel;         /* join-orderer with "blockFrom": "channel" */
	uint8_t *block;
	size_t blen;
};

struct deadline {
	struct timespec end;
	long call_ms;
};

/* The org admin's TLS client certificate and key files. */
struct admin_files {
	char *tls_crt, *tls_key, *cert_pem;
};

/*
 * A task from the controller checked against env's spec before anything
 * is done (tasks.c): fills *t; NULL when it is well formed and declared,
 * else the "failed" result saying why (caller decrefs). tasks_task_clear
 * frees what *t holds. Public for tests and fuzzing.
 */
json_t *tasks_check(const struct tasks_env *, const json_t *task, struct task *t);
void tasks_task_clear(struct task *);

/* The result object {"state","message","detail"}; takes detail (may be NULL). */
json_t *tasks_result(const char *state, json_t *detail, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The bound of the next call; whether there is time for another try
 * (after a pause of 0.5 s). */
long tasks_deadline_call(const struct deadline *);
int tasks_deadline_again(const struct deadline *);

/* The channel named NAME in the document, or NULL. Borrowed. */
const json_t *tasks_chan_find(const json_t *spec, const char *name);
int tasks_list_has(const json_t *list, const char *s);
int tasks_hex_eq(const char *hex, const uint8_t *d, size_t n);
const char *tasks_sget(const json_t *o, const char *k);

/* The admin's files under the PKI dir; tasks_admin_clear frees them. */
int tasks_admin_load(const struct tasks_env *, struct admin_files *,
    char **cause);
void tasks_admin_clear(struct admin_files *);

/* A failed Fabric or signer call as a result: retry when it may pass. */
json_t *tasks_call_failure(const struct fops_result *, const char *cause);

/*
 * An orderer of the task's channel: its host (caller frees), TLS CA file
 * (caller frees) and "MSP/node" (caller frees). Picked among the task's
 * "orderers" when it has them (the channel's consenters as carried out),
 * else among the document's consenters of the channel; this org's own
 * first; never the task's own node for a join-orderer.
 */
int tasks_pick_orderer(const struct tasks_env *, const struct task *,
    struct grpc_target *, char **host, char **ca, char **which, char **cause);
/* The same, the NTH such orderer in that order (0 is the first): the
 * others to try when the first refuses (only the Raft leader accepts a
 * consenter change). -1 when there are no more. */
int tasks_pick_orderer_nth(const struct tasks_env *, const struct task *,
    size_t nth, struct grpc_target *, char **host, char **ca, char **which,
    char **cause);

/* Application/MSP of a config, or NULL. Borrowed. */
Common__ConfigGroup *tasks_app_org(const Common__Config *, const char *mspid);

/* Whether an orderer's refusal of an update says its read set is stale. */
int tasks_stale_read_set(const char *info, const char *cause);

/* An orderer of the channel; reads signed by the signer
 * (fabric.channel-read). */
struct tasks_ord {
	struct grpc_target target;
	struct admin_files af;
	struct ftx_identity id;
	char *host, *ca, *which;
	json_t *ctx;
	struct signer_client sc;
	struct fops_signer s;
};

/* Picks the orderer and loads the admin's files; NULL or the result.
 * tasks_ord_close frees O (also after a result). */
json_t *tasks_ord_open(const struct tasks_env *, const struct task *,
    struct tasks_ord *o);
json_t *tasks_ord_open_nth(const struct tasks_env *, const struct task *,
    size_t nth, struct tasks_ord *o);
void tasks_ord_close(struct tasks_ord *o);
/* The channel's newest config (caller frees) and its block number;
 * NULL or the result. */
json_t *tasks_ord_config(struct tasks_ord *o, const struct task *,
    const struct deadline *, Common__Config **live, uint64_t *number);
/*
 * This org's ConfigSignature of the packed update UBYTES by the signer
 * (fabric.config-update), with the admin certificate CERT_PEM: NULL with
 * the signature header *hdr and signature *sig (caller frees both, also
 * after a result), or the result. LIVE (may be NULL) is the channel's
 * config as read from an orderer: the signer then checks the update with
 * fupd_check_live (context "liveConfig", fupd_live_outline's form).
 */
json_t *tasks_sign_update(const struct tasks_env *, const struct task *,
    const char *cert_pem, const uint8_t *ubytes, size_t ulen,
    const Common__Config *live, uint8_t **hdr, size_t *hlen, uint8_t **sig,
    size_t *siglen);
/* The CONFIG_UPDATE envelope of the ConfigUpdateEnvelope CUE, signed by
 * this org's signer (fabric.config-submit), with LIVE as in
 * tasks_sign_update: NULL with *env_out (caller frees), or the result. */
json_t *tasks_submit_envelope(const struct tasks_env *, const struct task *,
    const struct ftx_identity *, const uint8_t *cue, size_t cuelen,
    const Common__Config *live, uint8_t **env_out, size_t *elen);
/* The signer context CTX gets "liveConfig": LIVE's outline in base64
 * (nothing when LIVE is NULL). */
void tasks_ctx_live(json_t *ctx, const Common__Config *live);
/*
 * Broadcasts ENV to ORD, again while the refusal may pass (a Raft channel
 * without a leader yet answers 503) and D leaves time. Returns 0 when
 * accepted; 1 when refused for a stale read set, with *cause (caller
 * frees; freed first); -1 with *r, the result.
 */
int tasks_broadcast(const struct grpc_target *ord, const uint8_t *env,
    size_t len, const struct deadline *d, json_t **r, char **cause);

/* Writes a file (atomically), making its directory; 0 or -1 with *cause. */
int tasks_write_file(const char *dir, const char *name, const void *data,
    size_t len, int mode, char **cause);

/* "host:port" split; 0 or -1. *host caller frees. */
int tasks_split_hp(const char *hp, char **host, unsigned int *port);

/* The process runtime's view of a node: {"listen","admin","tlsCa",...}. */
json_t *tasks_node_info(const struct tasks_env *, const char *node,
    char **cause);

/* The HTTP status a participation failure's cause carries, or 0. */
long tasks_part_status(const char *cause);

/*
 * After a failed channel participation call (CAUSE, as part_* gives it):
 * NULL when the call may be made again, that is no answer, a 5xx, or a
 * 409 (a removal pending) when CONFLICT_AGAIN, and D leaves time for it
 * (tasks_deadline_again has paused); else the result: "failed" for any
 * other answer (CAUSE, then " (DOING)" unless DOING is NULL), "retry"
 * when D is spent.
 */
json_t *tasks_part_again(const char *cause, int conflict_again,
    const char *doing, const struct deadline *d);

/*
 * The participation API target of this org's orderer NODE (process
 * runtime): *adm filled with strings held by *ni, *host and *af (the
 * caller frees those three, also after a result). NULL, or the result.
 */
json_t *tasks_part_target(const struct tasks_env *, const char *node,
    struct part_target *adm, json_t **ni, char **host,
    struct admin_files *af);

/* tasks_anchor.c: carries out a checked anchor-peers task. */
json_t *tasks_anchor_peers(const struct tasks_env *, const struct task *,
    const struct deadline *);

/* tasks_update.c: 1 for update-prepare, update-sign, update-submit. */
int tasks_update_type(const char *type);

/*
 * Carries out a checked update task (its channel declared, this org
 * declared). LIVE is 1 when the runtime runs the org's nodes (process):
 * update-prepare and update-submit need an orderer and are "rendered"
 * otherwise; update-sign needs only the signer and runs under every
 * runtime. Returns the result.
 */
json_t *tasks_update_run(const struct tasks_env *, const struct task *,
    const struct deadline *, int live);

/* tasks_consenter.c. */

/*
 * Checks a task's "orderers" (may be absent: *out NULL): 1 to
 * TASKS_MAX_ORDERERS "MSP/node" strings, each once. NULL with *out
 * (borrowed), or the "failed" result.
 */
json_t *tasks_orderers_check(const json_t *task, const json_t **out);

/* Whether S is an "MSP/node" reference: two non-empty parts, printable. */
int tasks_ref_ok(const char *s);

/*
 * The etcdraft ConfigMetadata of C's Orderer/ConsensusType (caller frees
 * with etcdraft__config_metadata__free_unpacked), or NULL with *cause.
 */
Etcdraft__ConfigMetadata *tasks_raft_metadata(const Common__Config *c,
    char **cause);

/* Whether the document asks for a consenter change; -1 with *cause if not. */
int tasks_consenter_declared(const json_t *spec, const char *channel,
    enum tasks_org_change op, const char *ref, char **cause);

/*
 * tasks_update_applied for an update that writes Channel/Orderer alone
 * (an add-consenter or remove-consenter update). Same returns.
 */
int tasks_consenter_applied(const Common__ConfigUpdate *u,
    const Common__Config *live, char **what, char **cause);

/*
 * A checked join-orderer task with "blockFrom": "channel": the newest
 * config block from one of the task's orderers (not the node), checked to
 * be a config block of the channel naming the node a consenter (its TLS
 * certificate), joined through channel participation. LIVE: the process
 * runtime; otherwise the join is rendered. Returns the result.
 */
json_t *tasks_join_from_channel(const struct tasks_env *,
    const struct task *, const struct deadline *, int live);

/* A checked leave-orderer task: part_remove, or rendered. */
json_t *tasks_leave_orderer(const struct tasks_env *, const struct task *,
    const struct deadline *, int live);

#endif
