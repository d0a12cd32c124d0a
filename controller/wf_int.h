/*
 * wf_int.h: what the workflows' state machines (wf_create_channel.c,
 * wf_update_org.c) share and nothing else uses.
 */
#ifndef FABFED_WF_INT_H
#define FABFED_WF_INT_H

#include <jansson.h>

struct wf_output;

/* A task: {"id": "WFID.TYPE.ORG[.NODE]", "org", "node"?}. Caller decrefs. */
json_t *wf_task_new(const char *wfid, const char *type, const char *org,
    const char *node);
/* 1 when STEP (of a record) has begun and is not over: running or waiting. */
int wf_step_open(const json_t *step);
/*
 * Task T of a running workflow RECORD, as the agent of MSP sees it:
 * {"id", "workflow", "type": TYPE, "channel"} (caller decrefs), or NULL
 * when T is not MSP's or has a final state, in the record or in RESULTS
 * ({"<task id>": result}, may be NULL). Borrows all.
 */
json_t *wf_open_task(const json_t *record, const json_t *t, const char *msp,
    const json_t *results, const char *type);
/*
 * Gives REC (taken) to OUT: when STORED (may be NULL) is the same but for
 * updatedAt, OUT->record is STORED again and REC is freed; else OUT->record
 * is REC and OUT->changed 1.
 */
void wf_record_out(const json_t *stored, json_t *rec, struct wf_output *out);

#endif
