/*
 * taskfx.h: the fixture of the cmocka unit tests of the agent's tasks
 * (tests/unit/test_tasks.c, test_tasks_update.c, test_tasks_consenter.c):
 * a consortium whose orgs Org1MSP, Org2MSP and Org3MSP have their PKIs
 * made (lib/msp) in a temporary directory, and Org1MSP's agent's tasks
 * environment on the manifests runtime, without Fabric; and the checks
 * those tests share. The functions below taskfx_close fail the running
 * cmocka test (fail_msg, assert_*) when they cannot do their job.
 */
#ifndef FABFED_TASKFX_H
#define FABFED_TASKFX_H

#include <stddef.h>

#include <jansson.h>

#include "common/configtx.pb-c.h"

#include "runtime.h"
#include "tasks.h"

struct taskfx {
	char		 dir[64];	/* /tmp/<name>.XXXXXX */
	json_t		*doc;		/* the consortium document */
	json_t		*pub;		/* what the three orgs publish */
	char		*pkidir;	/* DIR/Org1MSP */
	char		*out;		/* DIR/out: where the runtime renders */
	struct runtime	*rt;		/* the manifests runtime */
	struct tasks_env env;		/* Org1MSP's, on rt */
};

/*
 * Fills F: the directory /tmp/NAME.XXXXXX, DOC (taken; NULL:
 * examples/consortium.yaml) with the PKIs of Org1MSP, Org2MSP and Org3MSP
 * in DIR/<mspId> and what each publishes, and Org1MSP's (domain
 * org1.example.com) tasks environment on the manifests runtime, its state
 * in DIR, its signer a socket that does not exist. Returns 0, or -1 with
 * *cause (caller frees) and nothing left behind.
 */
int taskfx_open(struct taskfx *f, const char *name, json_t *doc,
    char **cause);

/* Removes F's directory and frees what taskfx_open made. */
void taskfx_close(struct taskfx *f);

/*
 * A new struct taskfx: taskfx_open of NAME with the JSON document DOC, or
 * with examples/consortium.yaml when DOC is NULL; or NULL with why on
 * stderr. taskfx_free closes and frees it (NULL: nothing).
 */
struct taskfx *taskfx_new(const char *name, const char *doc);
void taskfx_free(struct taskfx *f);

/* cmocka's set-up (*state from taskfx_new, or -1) and tear-down. */
int taskfx_setup(void **state, const char *name, const char *doc);
int taskfx_teardown(void **state);

/*
 * Runs TASK (taken) in F's environment: its result (caller decrefs),
 * which must have STATE and a message of at most TASKS_MAX_MESSAGE bytes
 * with WANT in it.
 */
json_t *taskfx_expect(const struct taskfx *f, json_t *task,
    const char *state, const char *want);

/*
 * A copy of DOC (caller decrefs) whose first channel, which must be
 * "trade", has KEY ("members", "consenters") set to the N strings V.
 */
json_t *taskfx_with(const json_t *doc, const char *key,
    const char *const *v, size_t n);

/* fcfg_build_flags of channel trade of DOC with PUB. */
Common__Config *taskfx_build(const json_t *doc, const json_t *pub,
    unsigned int flags);

/* G's group KEY, which must be there. */
Common__ConfigGroup *taskfx_group(const Common__ConfigGroup *g,
    const char *key);

/*
 * The update from FROM to TO is not one update-submit knows: its applied
 * check on FROM fails with WANT in its cause.
 */
void taskfx_not_submits(const Common__Config *from, const Common__Config *to,
    const char *want);

/*
 * A task of TYPE waits for the signer (tasks_needs_signer) under each
 * runtime of YES and under none of NO (space-separated runtime names;
 * NULL: none).
 */
void taskfx_needs_signer(const char *type, const char *yes, const char *no);

/* The whole file PATH (*len, may be NULL, its length), which must be
 * there and at most FIXTURE_MAX_DOC bytes. Caller frees. */
char *taskfx_read(const char *path, size_t *len);

#endif
