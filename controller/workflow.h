/*
 * workflow.h: cross-cluster workflows (docs/workflows.md). The leader
 * controller keeps one persisted record per channel of every consortium
 * document under consortia/<c>/workflows/<id> and hands its steps to the
 * orgs' agents as tasks; the agents answer with results under
 * consortia/<c>/orgs/<msp>/tasks/<id>.
 *
 * The step logic is pure functions (wf_create_channel.c, wf_update_org.c
 * for add-org and remove-org); workflow.c is
 * the I/O around it: the leader election (leader.c), the watch, the etcd
 * transactions, the genesis block.
 */
#ifndef FABFED_WORKFLOW_H
#define FABFED_WORKFLOW_H

#include <stdint.h>

#include <jansson.h>

struct event_base;
struct etcd_client;

#define WF_MAX_MESSAGE   1024           /* a result's message, bytes */
#define WF_MAX_DETAIL    (256 * 1024)   /* a result's detail, JSON bytes */
#define WF_MAX_RESULT    (320 * 1024)   /* a result's body, bytes */

#define WF_ADD_ORG       "add-org"
#define WF_REMOVE_ORG    "remove-org"
#define WF_ADD_CONSENTER    "add-consenter"
#define WF_REMOVE_CONSENTER "remove-consenter"
#define WF_MAX_GENERATIONS  1000  /* runs of one change of one channel */

/* What the step functions read; everything borrowed. */
struct wf_input {
	const json_t *record;     /* the stored record, or NULL */
	const json_t *topo;       /* the normalized consortium document */
	const char *channel;      /* a channel the document declares */
	const json_t *orgs;       /* {"<msp>": {"msp": .., "endpoints": ..}}, published */
	const json_t *live;       /* {"<msp>": ...}: orgs whose agent has a heartbeat */
	const json_t *results;    /* {"<task id>": result}: the orgs' stored results */
	const json_t *genesis;    /* the stored genesis value, or NULL */
	const char *genesis_error;/* why the block could not be built, or NULL */
	int64_t now;              /* unix seconds */
	/* add-org, remove-org, add-consenter, remove-consenter only: */
	const char *type;         /* WF_ADD_ORG ..., for a new record */
	const char *org;          /* the org added or removed, or the consenter
	                             "MSP/node" added or removed, for a new record */
	const json_t *members;    /* the channel's stored members (array) */
	const json_t *consenters; /* the channel's consenters as carried out (array) */
	const json_t *update;     /* channels/<ch>/updates/<id>, or NULL */
	const char *id;           /* the id of a new record (wf_update_org_next), or
	                             NULL for the first generation's */
};

struct wf_output {
	json_t *record;           /* the new record (caller decrefs) */
	int changed;              /* 1: differs from the stored record: write it */
	int need_genesis;         /* 1: build and store the genesis block */
	json_t *store_update;     /* store at channels/<ch>/updates/<id>, create-only
	                             (caller decrefs), or NULL */
	json_t *members;          /* succeeded: the channel's members now, to store
	                             (caller decrefs), or NULL */
	json_t *consenters;       /* succeeded: the channel's consenters now, to
	                             store with them (caller decrefs), or NULL */
};

/*
 * One step of the create-channel state machine: from what is stored, the
 * record as it must be now. Never moves a step back, never changes a final
 * record, and gives the stored record again (changed 0) when nothing moved.
 * Returns 0, or -1 with *cause (caller frees) when the channel is not in
 * the document.
 */
int wf_create_channel_step(const struct wf_input *, struct wf_output *,
    char **cause);

/* "create-channel-<channel>". Caller frees. */
char *wf_create_channel_id(const char *channel);

/*
 * One step of an add-org, remove-org, add-consenter or remove-consenter
 * workflow (docs/workflows.md): from the stored record (or, with none,
 * IN->type, IN->org and the channel's stored IN->members and
 * IN->consenters), the record as it must be now. A prepare result with a
 * valid update sets out->store_update (store it in the same txn as the
 * record, created only if absent); a workflow that succeeds sets
 * out->members and out->consenters. Returns 0, or -1 with *cause (caller
 * frees).
 */
int wf_update_org_step(const struct wf_input *, struct wf_output *, char **cause);
/*
 * "<type>-<channel>-<subject>", the subject an MSP ID or, for a consenter,
 * "MSP/node" written "MSP.node". Caller frees.
 */
char *wf_update_org_id(const char *type, const char *channel, const char *subject);
/* 1 for WF_ADD_ORG, WF_REMOVE_ORG, WF_ADD_CONSENTER, WF_REMOVE_CONSENTER. */
int wf_update_org_type(const char *type);
/*
 * Which membership or consenter workflow CHANNEL runs now: the running one
 * among RECORDS ({"<id>": record}), else, when the document's members or
 * consenters differ from MEMBERS / CONSENTERS (the stored arrays;
 * CONSENTERS may be NULL: then consenters are not compared), the first
 * add-org in MSP ID order, then add-consenter, remove-consenter,
 * remove-org, that has not failed. A change runs under
 * "<type>-<channel>-<subject>", and again (it succeeded, then was undone,
 * and is asked for again) under "...-2", "-3"... Returns 1 with *type,
 * *subject (an MSP ID, or "MSP/node") and *id (caller frees), or 0.
 * Borrows the rest.
 */
int wf_update_org_next(const json_t *topo, const char *channel, const json_t *members,
    const json_t *consenters, const json_t *records, char **type, char **subject,
    char **id);
/*
 * The members a succeeded create-channel record made (the orgs of its
 * join-peers and anchor-peers tasks), sorted. Caller decrefs.
 */
json_t *wf_channel_members(const json_t *create_record);
/*
 * The consenters ("MSP/node", sorted) a create-channel record joined (its
 * join-orderers tasks). Caller decrefs.
 */
json_t *wf_channel_consenters(const json_t *create_record);
/* wf_open_tasks for an add-org or remove-org record. */
void wf_update_org_open_tasks(const json_t *record, const char *msp,
    const json_t *results, const json_t *genesis, json_t *tasks);

/*
 * Appends to TASKS (an array) the open tasks of MSP in RECORD, as the
 * agent sees them (docs/workflows.md): tasks of MSP in the running step of
 * a running workflow without a final result in RESULTS ({"<task id>":
 * result}, may be NULL); join tasks carry the block of GENESIS (the stored
 * genesis value of the record's channel, may be NULL). Borrows all.
 */
void wf_open_tasks(const json_t *record, const char *msp, const json_t *results,
    const json_t *genesis, json_t *tasks);
/* Whether TASK_ID is a task of MSP in RECORD in a step that has begun. */
int wf_task_of(const json_t *record, const char *msp, const char *task_id);
/* 1 for "done", "rendered", "failed". */
int wf_state_final(const char *state);

/*
 * The engine: one per process. Started by server_new, it campaigns for
 * leadership and, while leading, advances every consortium's workflows.
 * workflow_stop frees it (before the etcd client goes); a no-op if not
 * started.
 */
void workflow_start(struct event_base *, struct etcd_client *);
void workflow_stop(void);
/* 1 while this controller is the leader. */
int workflow_leading(void);

#endif
