/*
 * api.h: the controller's HTTP API handlers (docs/api.md). Each answers its
 * server_req exactly once.
 */
#ifndef FABFED_API_H
#define FABFED_API_H

#include <stddef.h>

#include <jansson.h>

struct server_req;
struct etcd_result;
struct topo_diags;

#define API_PREFIX "/fabfed/v1/"

void api_consortium_put(struct server_req *);
void api_consortium_get(struct server_req *);
void api_consortium_delete(struct server_req *);
void api_consortia_list(struct server_req *);
void api_token_create(struct server_req *);
void api_enroll_ca(struct server_req *);
void api_enroll(struct server_req *);
void api_agent_renew(struct server_req *);
void api_orgs_list(struct server_req *);
void api_org_get(struct server_req *);
void api_agent_desired(struct server_req *);
void api_agent_put(struct server_req *);
void api_agent_heartbeat(struct server_req *);
void api_agent_org(struct server_req *);
/* PUT /v1/agent/tasks/{id}: an org's result for one of its tasks. */
void api_agent_task_put(struct server_req *);
/*
 * A task result body (docs/workflows.md), checked: at most WF_MAX_RESULT
 * bytes, a JSON object {"state", "message"?, "detail"?} with state one of
 * done|rendered|retry|failed, a message of at most 1024 bytes, a detail
 * object of at most WF_MAX_DETAIL (256 KiB), no private key material. NULL with *status
 * (400/413/422) and *msg (caller frees) otherwise. Caller decrefs.
 */
json_t *api_agent_result_parse(const char *body, size_t len, int *status, char **msg);
/* GET /v1/consortia/{name}/workflows[/{id}] (workflow.c). */
void api_workflows_list(struct server_req *);
void api_workflow_get(struct server_req *);
/* POST /v1/consortia/{name}/workflows/{id}/retry (wf_retry.c). */
void api_workflow_retry(struct server_req *);
/*
 * An agent's record body (api_agent.c), checked: a JSON object of at most
 * 256 KiB, no duplicate keys, no private key material anywhere, and an
 * "mspId", if any, equal to msp. NULL with *status (400/403/413/422) and
 * *msg (caller frees) otherwise. Caller decrefs.
 */
json_t *api_agent_record_parse(const char *body, size_t len, const char *msp,
    int *status, char **msg);
/* Drops long-poll watches before the etcd client goes (api_agent.c). */
void api_agent_shutdown(void);
void api_healthz(struct server_req *);
void api_readyz(struct server_req *);
void api_metrics(struct server_req *);

/* Error mapping (api_error.c), pure functions. */
/* HTTP status for an etcd failure (503 unreachable, 500 otherwise). */
int api_etcd_status(const struct etcd_result *);
/* The JSON error body; details stolen, may be NULL. Caller decrefs. */
json_t *api_error_body(const char *msg, json_t *details);
/* Parses an If-Match value ("7", "\"7\"", W/ not allowed): 0 ok, -1 bad. */
int api_parse_if_match(const char *value, long long *rev);
/* The etcd key of a consortium's spec, and of its subtree. Caller frees. */
char *api_spec_key(const char *name);
char *api_consortium_prefix(const char *name);
/* The name in a spec key ".../consortia/<name>/spec", or NULL. Caller frees. */
char *api_spec_key_name(const char *key, size_t len);

/* Join tokens (api_enroll.c), pure functions. */
struct x509_st;
struct evp_pkey_st;
/* "fft1.<base64url secret>.<hex CA SHA-256>". Caller frees. */
char *api_token_format(const unsigned char secret[32], const unsigned char cahash[32]);
/* 0, or -1 if tok is not exactly that shape (canonical base64url). */
int api_token_parse(const char *tok, unsigned char secret[32], unsigned char cahash[32]);
/* etcd key of a token: tokens/<hex SHA-256 of the secret>. Caller frees. */
char *api_token_key(const unsigned char secret[32]);
/* A client certificate for an agent from its CSR (PEM, ECDSA P-256). */
struct x509_st *api_enroll_issue(struct x509_st *ca, struct evp_pkey_st *cakey,
    const char *csr_pem, size_t len, const char *consortium, const char *msp,
    int days, char **cause);

#endif
