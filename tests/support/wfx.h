/*
 * wfx.h: what the unit tests of the controller's workflows
 * (tests/unit/test_workflow.c, test_wf_consenter.c) share to drive a
 * workflow step by step: the document, what the orgs published, a
 * prepared update, and the reading of a record and its results.
 */
#ifndef FABFED_WFX_H
#define FABFED_WFX_H

#include <jansson.h>

/* The first lines of the tests' documents: consortium trade-finance,
 * its orgs' list next. */
#define WFX_DOC_HEAD							\
    "apiVersion: fabfed.io/v1alpha1\n"					\
    "kind: Consortium\n"						\
    "metadata: {name: trade-finance}\n"				\
    "spec:\n"								\
    "  orgs:\n"

/* The stored state a workflow step is evaluated against (NULL: none). */
struct wfx {
	json_t	*topo;		/* the document */
	json_t	*published;	/* what each org published (wfx_published) */
	json_t	*live;		/* the orgs whose agents are live */
	json_t	*members;	/* the channel's members as stored */
	json_t	*consenters;	/* its consenters as stored */
	json_t	*genesis;	/* its stored genesis block */
	json_t	*prepared;	/* a valid prepare result's detail */
	json_t	*update;	/* the stored update made from it */
};

/* cmocka's tear-down of a struct wfx (calloc'ed): all decref'ed, freed. */
int wfx_teardown(void **state);

/*
 * The document FMT (a printf format of YAML, with its arguments) loaded
 * (topology_load), or NULL with its first diagnostic on stderr. Caller
 * decrefs.
 */
json_t *wfx_doc(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * What orgs Org1MSP..OrgNMSP published as far as a workflow looks:
 * {"<msp>": {"msp": {"mspId": "<msp>"}, "endpoints": {KIND: []}}}, KIND
 * "peers" or "orderers". Caller decrefs.
 */
json_t *wfx_published(unsigned int n, const char *kind);

/* {"Org1MSP": true, ... "OrgNMSP": true}: every org's agent live. */
json_t *wfx_live(unsigned int n);

/*
 * A valid update-prepare result's detail: the empty ConfigUpdate of
 * CHANNEL, {"update": <base64>, "sha256": <hex>, "configBlock": BLOCK},
 * or NULL when it cannot be made. Caller decrefs.
 */
json_t *wfx_prepared(const char *channel, json_int_t block);

/* O's string K, or NULL. */
const char *wfx_sget(const json_t *o, const char *k);

/* REC's step NAME, or NULL. */
const json_t *wfx_step_named(const json_t *rec, const char *name);

/* The state of REC's step NAME, or "(none)". */
const char *wfx_nstate(const json_t *rec, const char *name);

/*
 * RESULTS["<id>"] = {"state": STATE, "message": MSG, "detail": DETAIL}
 * (no "detail" when DETAIL is NULL; DETAIL is taken).
 */
void wfx_result(json_t *results, const char *id, const char *state,
    const char *msg, json_t *detail);

#endif
