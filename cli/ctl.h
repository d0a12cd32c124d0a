/*
 * ctl.h: fabfedctl, the consortium lead's command-line client of the
 * fabfed controller (docs/api.md, docs/fabfedctl.md).
 *
 * One section per module; each module is one file and one prefix:
 *   ctl_args.c    ctl_args_    command line and environment
 *   ctl_conf.c    ctl_conf_    admin.conf
 *   ctl_client.c  ctl_client_  libcurl HTTPS client with mutual TLS
 *   ctl_doc.c     ctl_doc_     reading a consortium document, its name
 *   ctl_table.c   ctl_table_   kubectl-style column tables
 *   ctl_yaml.c    ctl_yaml_    a JSON tree emitted as YAML
 *   ctl_output.c  ctl_out_     errors, warnings, JSON, exit codes
 *   ctl_diff.c    ctl_diff_    structural diff and the diff command
 *   ctl_apply.c   ctl_apply_   the apply command
 *   ctl_get.c     ctl_get_     the get command (consortia and orgs)
 *   ctl_delete.c  ctl_delete_  the delete command
 *   ctl_token.c   ctl_token_   the token create command
 *   ctl_agent.c   ctl_agent_   the agent status command
 *   ctl_channel.c ctl_channel_ the channel config / decode commands
 *   ctl_workflow.c ctl_workflow_ get/describe workflows, apply --wait
 */
#ifndef FABFED_CTL_H
#define FABFED_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"

/* Exit codes (docs/fabfedctl.md). */
#define CTL_EXIT_OK		0	/* done; for diff: no differences */
#define CTL_EXIT_REJECTED	1	/* the controller said no; diff: differences */
#define CTL_EXIT_USAGE		2	/* usage, local file, connection or TLS error */

#define CTL_DOC_MAX		((size_t)1024 * 1024)	/* the controller's limit */
#define CTL_RESPONSE_MAX	((size_t)16 * 1024 * 1024) /* largest answer read */
#define CTL_CONF_MAX		((size_t)64 * 1024)	/* largest admin.conf */
#define CTL_TIMEOUT_DEFAULT	30			/* seconds, per request */
#define CTL_TIMEOUT_MAX		3600
#define CTL_TTL_MIN		60			/* join token, seconds */
#define CTL_TTL_MAX		604800			/* 7 days */
#define CTL_WAIT_DEFAULT	300			/* apply --wait, seconds */
#define CTL_WAIT_MAX		86400			/* apply --wait --timeout */
#define CTL_WAIT_INTERVAL_MS	1000			/* between polls */

/* ---- ctl_args.c ---- */

enum ctl_cmd {
	CTL_CMD_HELP,
	CTL_CMD_VERSION,
	CTL_CMD_APPLY,
	CTL_CMD_DIFF,
	CTL_CMD_GET_LIST,	/* get consortia */
	CTL_CMD_GET_ONE,	/* get consortium NAME */
	CTL_CMD_GET_ORGS,	/* get orgs --consortium C */
	CTL_CMD_GET_ORG,	/* get org MSPID --consortium C */
	CTL_CMD_DELETE,		/* delete consortium NAME */
	CTL_CMD_TOKEN_CREATE,	/* token create --consortium C --org MSP */
	CTL_CMD_AGENT_STATUS,	/* agent status --state-dir DIR (local, no controller) */
	CTL_CMD_CHANNEL_CONFIG,	/* channel config --block FILE (local) */
	CTL_CMD_CHANNEL_DECODE,	/* channel decode --block FILE (local) */
	CTL_CMD_GET_WORKFLOWS,	/* get workflows --consortium C */
	CTL_CMD_GET_WORKFLOW,	/* get workflow ID --consortium C (one row) */
	CTL_CMD_DESCRIBE_WORKFLOW, /* describe workflow ID --consortium C */
	CTL_CMD_RETRY_WORKFLOW,	/* retry workflow ID --consortium C */
};

enum ctl_format {
	CTL_FORMAT_TABLE,
	CTL_FORMAT_JSON,
	CTL_FORMAT_YAML,
};

/* Every string borrows from argv or the environment. */
struct ctl_args {
	const char *config;	/* --config, else $FABFED_CONFIG */
	const char *controller;	/* --controller, else $FABFED_CONTROLLER */
	long timeout;		/* --timeout, seconds, per request */
	enum ctl_cmd cmd;
	const char *file;	/* apply/diff -f; "-" is stdin */
	const char *name;	/* get/delete NAME; get org MSPID */
	const char *if_match;	/* --if-match, a checked decimal revision */
	enum ctl_format format;	/* get -o */
	const char *consortium;	/* --consortium (token create, get orgs) */
	const char *org;	/* --org, an MSP ID */
	long ttl;		/* --ttl in seconds; 0 = the controller's default */
	const char *state_dir;	/* --state-dir, an agent's (agent status) */
	const char *block;	/* --block, a block file; "-" is stdin (channel) */
	int wait;		/* apply --wait */
	long wait_timeout;	/* apply --wait --timeout DURATION, seconds */
};

/*
 * Parses argv (argv[0] is the program). Returns 0, or -1 with *cause (a
 * sentence, caller frees) for a usage error. Reads no environment.
 */
int ctl_args_parse(int argc, char *argv[], struct ctl_args *, char **cause);
/*
 * Fills config and controller from $FABFED_CONFIG and $FABFED_CONTROLLER
 * where the command line left them unset; fails with a helpful *cause when
 * a command that talks to the controller has no admin.conf.
 */
int ctl_args_env(struct ctl_args *, char **cause);
/* 1 if the command talks to the controller. */
int ctl_args_needs_controller(const struct ctl_args *);
void ctl_args_usage(FILE *);
/*
 * A duration as Go writes it: one or more NUMBER UNIT with unit s, m, h
 * or d ("90s", "1h30m", "7d"); a bare number is seconds. The result must
 * be within CTL_TTL_MIN..CTL_TTL_MAX seconds. 0, or -1 with *cause.
 */
int ctl_args_ttl(const char *, long *secs, char **cause);
/*
 * The same syntax for apply --wait --timeout: 1 s to CTL_WAIT_MAX. 0, or
 * -1 with *cause.
 */
int ctl_args_wait_timeout(const char *, long *secs, char **cause);

/* ---- ctl_conf.c ---- */

/* admin.conf, with paths resolved against the file's directory. */
struct ctl_conf {
	char *controller;	/* "https://host:port", no trailing slash */
	char *ca;
	char *cert;
	char *key;
};

/*
 * Reads the admin.conf at path (JSON {"controller","ca","cert","key"}).
 * Relative ca/cert/key are taken relative to the directory of path. A
 * non-NULL controller overrides the file's (then the file may omit it).
 * Returns 0, or -1 with *cause (caller frees); *conf is empty on failure.
 */
int ctl_conf_load(const char *path, const char *controller,
    struct ctl_conf *, char **cause);
/* The same from data[0..len) already read; dir is the file's directory. */
int ctl_conf_parse(const char *data, size_t len, const char *label,
    const char *dir, const char *controller, struct ctl_conf *, char **cause);
/*
 * Normalizes a controller URL: "host:port" gets "https://", a trailing
 * slash goes, "http://" and other schemes are refused. Caller frees.
 */
char *ctl_conf_url(const char *url, char **cause);
/* Checks ca, cert and key are readable files; warns (to err) about a key
 * that group or others may read. */
int ctl_conf_check(const struct ctl_conf *, FILE *err, char **cause);
void ctl_conf_free(struct ctl_conf *);

/* ---- ctl_client.c ---- */

struct ctl_client;

struct ctl_response {
	long status;		/* HTTP status */
	char *statusline;	/* "HTTP/1.1 404 Not Found", or NULL */
	char *body;		/* NUL-terminated, at most CTL_RESPONSE_MAX */
	size_t len;
};

/* conf is borrowed for the life of the client. Returns NULL with *cause. */
struct ctl_client *ctl_client_new(const struct ctl_conf *, long timeout,
    char **cause);
void ctl_client_free(struct ctl_client *);
/*
 * Sets up an easy handle for the controller: CA, client cert and key, TLS
 * 1.3 minimum, HTTPS only, timeouts, no signals. For the benchmark too.
 */
int ctl_client_tls_setup(CURL *, const struct ctl_conf *, long timeout,
    char **cause);
/*
 * One request to conf->controller + path (path starts with "/"). body may
 * be NULL. if_match may be NULL. Returns 0 when an HTTP answer arrived,
 * whatever its status, and fills *resp (free with ctl_client_response_free);
 * -1 with *cause (curl's message) on a connection, TLS or size failure.
 */
int ctl_client_request(struct ctl_client *, const char *method,
    const char *path, const char *if_match, const char *body, size_t len,
    struct ctl_response *resp, char **cause);
void ctl_client_response_free(struct ctl_response *);
/* A URL path segment, percent-encoded. Caller frees. */
char *ctl_client_escape(const char *);

/* ---- ctl_doc.c ---- */

struct ctl_doc {
	char *label;	/* the path, or "<stdin>"; for messages */
	char *data;	/* NUL-terminated */
	size_t len;
};

/* Reads path ("-" = stdin), at most CTL_DOC_MAX bytes. */
int ctl_doc_read(const char *path, struct ctl_doc *, char **cause);
/*
 * Finds metadata.name in a YAML or JSON document with libyaml, without
 * validating anything else. *name: caller frees. On failure *cause says
 * what is wrong, with label:line:column for a syntax error.
 */
int ctl_doc_name(const char *data, size_t len, const char *label,
    char **name, char **cause);
void ctl_doc_free(struct ctl_doc *);

/* ---- ctl_table.c ---- */

struct ctl_table;

/* headers: ncols strings, copied. */
struct ctl_table *ctl_table_new(size_t ncols, const char *const *headers);
/* cells: ncols strings, copied; NULL or "" shows as "<none>". */
void ctl_table_add(struct ctl_table *, const char *const *cells);
size_t ctl_table_rows(const struct ctl_table *);
/* Columns padded to their widest cell plus 3 spaces; no trailing blanks. */
void ctl_table_print(const struct ctl_table *, FILE *);
void ctl_table_free(struct ctl_table *);

/* ---- ctl_yaml.c ---- */

/*
 * Appends v as a YAML document (block style, keys in the tree's order,
 * strings that would read back as another type quoted) to out.
 */
int ctl_yaml_emit(const json_t *v, struct buf *out, char **cause);

/* ---- ctl_output.c ---- */

/* 2xx: CTL_EXIT_OK; other HTTP statuses: CTL_EXIT_REJECTED; no status
 * (0, 1xx): CTL_EXIT_USAGE. */
int ctl_out_exit_for_status(long status);
/* "Not Found" for 404; "" when unknown. */
const char *ctl_out_reason(long status);
/* A copy safe for a terminal: control characters become '?'. */
char *ctl_out_sanitize(const char *);
/*
 * Prints an error answer: "error: <error>" and each detail as
 * "error: FILE:LINE:COLUMN: PATH: MESSAGE" (FILE may be NULL; LINE:COLUMN
 * left out when 0), details first, the summary last; for a body that is
 * not our JSON, the status line and the start of the body.
 */
void ctl_out_error_response(FILE *, const char *file,
    const struct ctl_response *);
/* Prints each diagnostic of list as "LEVEL: FILE:LINE:COLUMN: PATH: MSG". */
void ctl_out_diags(FILE *, const char *level, const char *file,
    const json_t *list);
/* Pretty JSON (2 spaces, key order kept) and a newline. */
int ctl_out_json(FILE *, const json_t *);
/* Parses an answer body as a JSON object; NULL with *cause if it is not. */
json_t *ctl_out_parse(const struct ctl_response *, char **cause);
/* Prints "error: <cause>" for a local failure; returns CTL_EXIT_USAGE. */
int ctl_out_fail(FILE *, const char *cause);

/* ---- ctl_diff.c ---- */

/*
 * Writes the differences from current to document, one line per changed
 * leaf or added/removed subtree, in document order:
 *   + path: value    - path: value    ~ path: old -> new
 * Array elements that carry an identity (mspId, or name, or the string
 * itself) are matched by it, so a removed org is one "-" line. current may
 * be NULL or null (nothing stored). Returns the number of lines written.
 */
size_t ctl_diff_render(const json_t *current, const json_t *document, FILE *);
int ctl_diff_run(const struct ctl_args *, struct ctl_client *);

/* ---- ctl_apply.c ---- */

/*
 * PUT of doc to /v1/consortia/{name}[?dryRun=true], If-Match when given.
 * Returns like ctl_client_request().
 */
int ctl_apply_put(struct ctl_client *, const struct ctl_doc *,
    const char *name, int dry_run, const char *if_match,
    struct ctl_response *, char **cause);
/* Prints "consortium/NAME created (revision N)" from a 200/201 answer. */
int ctl_apply_print_result(FILE *, const json_t *answer, char **cause);
int ctl_apply_run(const struct ctl_args *, struct ctl_client *);

/* ---- ctl_get.c ---- */

/*
 * The "items" list of a list answer: 1 with *items (borrowed); 0 when it
 * is empty, "No WHAT found." said on stderr; -1 with *cause.
 */
int ctl_get_items(const json_t *answer, const char *what,
    const json_t **items, char **cause);
/* The NAME ORGS PEERS ORDERERS CHANNELS REVISION table of GET /v1/consortia. */
int ctl_get_print_list(FILE *, const json_t *answer, char **cause);
/* One consortium: header, ORGS and CHANNELS tables. */
int ctl_get_print_one(FILE *, const json_t *answer, char **cause);
/*
 * The MSP ID STATE APPLIED REVISION RUNTIME PEERS ORDERERS REPORTED table
 * of GET /v1/consortia/{name}/orgs; ages are counted up to now.
 */
int ctl_get_print_orgs(FILE *, const json_t *answer, time_t now,
    char **cause);
/*
 * One org (GET /v1/consortia/{name}/orgs/{msp}): header, ENDPOINTS table
 * and a summary of its public MSP (counts, never certificates).
 */
int ctl_get_print_org(FILE *, const json_t *answer, time_t now,
    char **cause);
/*
 * How long before now then was: "12s ago", "3m ago", "5h ago", "2d ago"
 * (rounded down); a time after now (clock skew) is "0s ago". "" for a
 * negative then.
 */
void ctl_get_age(json_int_t then, time_t now, char *out, size_t size);
/* Prints v as -o asks (json or yaml); 0, or -1 with *cause. */
int ctl_get_dump(FILE *, const json_t *v, enum ctl_format, char **cause);
int ctl_get_run(const struct ctl_args *, struct ctl_client *);

/* ---- ctl_delete.c ---- */

int ctl_delete_run(const struct ctl_args *, struct ctl_client *);

/* ---- ctl_token.c ---- */

/*
 * From a 201 answer of POST /v1/consortia/{name}/tokens: the token alone
 * on a line to out, "expires at ..." to err. -1 with *cause if the answer
 * has no well-formed token.
 */
int ctl_token_print(FILE *out, FILE *err, const json_t *answer,
    char **cause);
/* ---- ctl_agent.c ---- */

/* Prints an agent's status answer (PONG body) as a table. */
int ctl_agent_print(FILE *, const json_t *status, char **cause);
/* agent status: asks the agent's local admin socket. */
int ctl_agent_run(const struct ctl_args *);

int ctl_token_run(const struct ctl_args *, struct ctl_client *);

/* ---- ctl_channel.c ---- */

/*
 * Reads a whole binary file (path "-" = stdin), at most max bytes, into
 * *data (caller frees), *len its size. -1 with *cause for a missing,
 * unreadable, empty or too large file.
 */
int ctl_channel_read(const char *path, size_t max, uint8_t **data,
    size_t *len, char **cause);
/*
 * channel config / channel decode: prints the block file's channel config
 * (a config block's common.Config) or the whole block as JSON, as
 * configtxlator proto_decode does. CTL_EXIT_OK; CTL_EXIT_USAGE when the
 * file cannot be read; CTL_EXIT_REJECTED when it is not a (config) block.
 */
int ctl_channel_run(const struct ctl_args *);

/* ---- ctl_workflow.c ---- */

/* What apply --wait makes of the consortium's workflows. */
enum ctl_wf_verdict {
	CTL_WF_WAIT,		/* some channel's workflow is not final yet */
	CTL_WF_CONVERGED,	/* every one succeeded or was rendered */
	CTL_WF_FAILED,		/* one failed */
};

/* "create-channel-<channel>", the workflow of a channel. Caller frees. */
char *ctl_workflow_id(const char *channel);
/* The item of list (an answer {"items": [...]}) with that id; borrowed. */
const json_t *ctl_workflow_find(const json_t *list, const char *id);
/*
 * Over the list answer of GET /v1/consortia/{c}/workflows: FAILED when a
 * channel's workflow failed (*which its index), CONVERGED when each of the
 * n channels has its workflow succeeded or rendered (n = 0 too), else WAIT
 * (*which the first channel still waited on; an absent workflow or an
 * unknown state is waited on).
 */
enum ctl_wf_verdict ctl_workflow_decide(const json_t *list,
    const char *const *channels, size_t n, size_t *which);
/*
 * One progress line for a channel's workflow record (NULL: not created
 * yet), safe for a terminal, e.g. "trade: join-peers (2/3 done; waiting
 * for Org3MSP: ...)", "trade: succeeded", "trade: rendered for GitOps, not
 * carried out: join-orderers, ...", "trade: failed at genesis: ...".
 * Caller frees.
 */
char *ctl_workflow_progress(const char *channel, const json_t *record);
/* The record's lastError in words; NULL when it has none. Caller frees. */
char *ctl_workflow_last_error(const json_t *record);
/* The names of the record's rendered steps, ", "-joined; NULL if none.
 * Caller frees. */
char *ctl_workflow_rendered_steps(const json_t *record);
/* secs as "5m", "1h30m", "90s" would be read back ("1m30s"). */
void ctl_workflow_duration(long secs, char *out, size_t size);
/*
 * The ID TYPE CHANNEL STATE STEP WAITING FOR AGE table of the list answer;
 * only the row whose id is only, when only is not NULL. Ages up to now.
 */
int ctl_workflow_print_list(FILE *, const json_t *answer, const char *only,
    time_t now, char **cause);
/*
 * describe workflow: header, STEPS, TASKS, WAITING ("waiting for ORG:
 * why" lines) and, for rendered steps, what was rendered for GitOps
 * rather than carried out.
 */
int ctl_workflow_describe(FILE *, const json_t *record, time_t now,
    char **cause);
/* get workflows, get workflow ID, describe workflow ID. */
int ctl_workflow_run(const struct ctl_args *, struct ctl_client *);
/*
 * GET path; on a 2xx answer *answer is its JSON object. Returns
 * CTL_EXIT_OK, or the exit code with the error printed to err. *transient
 * (may be NULL) is set for a failure worth retrying while waiting (no
 * answer, 408, 429, 5xx); then nothing is printed and *cause says why.
 * With quiet404, a 404 is left to the caller to print (or not).
 */
int ctl_wf_get(struct ctl_client *, const char *path, json_t **answer,
    long *status, int *transient, int quiet404, char **cause, FILE *err);
/*
 * apply --wait: polls the consortium's workflows every
 * CTL_WAIT_INTERVAL_MS for at most secs until ctl_workflow_decide() says
 * CONVERGED and, DOC (the normalized document; may be NULL) given, every
 * channel has its declared members (ctl_workflow_members) (CTL_EXIT_OK, a
 * summary to out), or FAILED (CTL_EXIT_REJECTED,
 * the lastError to err), printing a progress line to out whenever a
 * channel's line changes. At the limit: CTL_EXIT_REJECTED, with what it
 * was still waiting for to err. Connection failures and 5xx answers are
 * retried until the limit; other error answers end the wait.
 */
int ctl_workflow_wait(struct ctl_client *, const char *consortium,
    const json_t *doc, const char *const *channels, size_t n, long secs,
    FILE *out, FILE *err);
/*
 * Whether every channel of the normalized document DOC has, as the
 * workflow list LIST reports it ("channels": {name: {"members": [...],
 * "consenters": [...]}}), exactly the members (and, where reported, the
 * consenters) DOC declares, with no add-org, remove-org, add-consenter or
 * remove-consenter of it running: 1 yes (or LIST reports no members), 0
 * not yet (*why, caller frees), -1 a change of such a channel failed
 * (*why).
 */
int ctl_workflow_members(const json_t *list, const json_t *doc, char **why);

#endif
