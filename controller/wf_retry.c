/*
 * wf_retry.c: POST /v1/consortia/{name}/workflows/{id}/retry (admin), the
 * request to run a failed membership or consenter change again
 * (docs/workflows.md "Trying a failed change again").
 *
 * Only the leader writes workflow records, so a retry is not a write of
 * the record: any controller stores the request under
 * consortia/<c>/retries/<id>, created only if absent and only while the
 * record is the failed one it read (its mod_revision). The leader's next
 * pass sees it and starts the change under the next free id
 * (wf_update_org_next); the failed record stays as it is, for the record.
 */
#include "workflow.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "etcd.h"
#include "server.h"
#include "topology.h"
#include "xmalloc.h"

#define WF_RETRY_PREFIX  API_PREFIX "consortia/"

static void
wf_retry_written(const struct etcd_result *res, void *arg)
{
	struct server_req *sr = arg;
	char *msg;

	if (!res->ok) {
		server_reply_error(sr, api_etcd_status(res), res->error, NULL);
		return;
	}
	if (!res->succeeded) {
		msg = xasprintf("workflow \"%s\" changed while the retry was being "
		    "recorded; read it again and retry if it is still failed", sr->sub);
		server_reply_error(sr, 409, msg, NULL);
		free(msg);
		return;
	}
	server_reply_json(sr, 202, json_pack("{s:s, s:s, s:s}", "id", sr->sub,
	    "retry", "requested", "message", "the leader starts the change again "
	    "under the next free id on its next pass"));
}

static void
wf_retry_read(const struct etcd_result *res, void *arg)
{
	struct server_req *sr = arg;
	const struct etcd_kv *kv;
	struct etcd_txn *txn;
	json_t *rec = NULL, *val;
	const char *type, *st;
	char *msg = NULL, *rkey = NULL, *qkey = NULL, *text;
	int queued;

	if (!res->ok) {
		server_reply_error(sr, api_etcd_status(res), res->error, NULL);
		return;
	}
	if (res->nresponses != 3 || res->responses[0].range.nkvs == 0) {
		msg = xasprintf("consortium \"%s\" not found", sr->name);
		server_reply_error(sr, 404, msg, NULL);
		goto done;
	}
	if (res->responses[1].range.nkvs == 0 || (rec = json_loadb(
	    res->responses[1].range.kvs[0].value,
	    res->responses[1].range.kvs[0].value_len, 0, NULL)) == NULL) {
		msg = xasprintf("workflow \"%s\" not found in consortium \"%s\"",
		    sr->sub, sr->name);
		server_reply_error(sr, 404, msg, NULL);
		goto done;
	}
	kv = &res->responses[1].range.kvs[0];
	type = json_string_value(json_object_get(rec, "type"));
	st = json_string_value(json_object_get(rec, "state"));
	if (!wf_update_org_type(type)) {
		msg = xasprintf("workflow \"%s\" is a %s: only add-org, remove-org, "
		    "add-consenter and remove-consenter workflows are tried again "
		    "(a channel's genesis block is made once)", sr->sub,
		    type != NULL ? type : "record of no type");
		server_reply_error(sr, 409, msg, NULL);
		goto done;
	}
	if (st == NULL || strcmp(st, "failed") != 0) {
		msg = xasprintf("workflow \"%s\" is %s: only a failed one is tried "
		    "again", sr->sub, st != NULL ? st : "of no state");
		server_reply_error(sr, 409, msg, NULL);
		goto done;
	}
	if (res->responses[2].range.nkvs > 0) {
		/* Asked already: the same answer again. */
		server_reply_json(sr, 200, json_pack("{s:s, s:s}", "id", sr->sub,
		    "retry", "requested"));
		goto done;
	}
	rkey = xasprintf(WF_RETRY_PREFIX "%s/workflows/%s", sr->name, sr->sub);
	qkey = xasprintf(WF_RETRY_PREFIX "%s/retries/%s", sr->name, sr->sub);
	val = json_pack("{s:s, s:I, s:I}", "id", sr->sub, "requestedAt",
	    (json_int_t)time(NULL), "recordRevision", (json_int_t)kv->mod_revision);
	text = json_dumps(val, JSON_COMPACT);
	json_decref(val);
	txn = etcd_txn_new();
	etcd_txn_cmp_int(txn, rkey, ETCD_CMP_MOD, ETCD_CMP_EQUAL, kv->mod_revision);
	etcd_txn_cmp_int(txn, qkey, ETCD_CMP_CREATE, ETCD_CMP_EQUAL, 0);
	etcd_txn_put(txn, 1, qkey, text, strlen(text), 0);
	queued = etcd_txn(sr->srv->etcd, txn, wf_retry_written, sr);
	etcd_txn_free(txn);
	free(text);
	if (queued != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
done:
	json_decref(rec);
	free(msg);
	free(rkey);
	free(qkey);
}

void
api_workflow_retry(struct server_req *sr)
{
	struct etcd_txn *txn;
	char *spec, *rkey, *qkey;
	int queued;

	if (topology_valid_consortium_name(sr->name) != 0) {
		server_reply_error(sr, 404, "no such consortium", NULL);
		return;
	}
	if (sr->sub == NULL || *sr->sub == '\0' || strlen(sr->sub) > 512 ||
	    strchr(sr->sub, '/') != NULL) {
		server_reply_error(sr, 404, "no such workflow", NULL);
		return;
	}
	spec = api_spec_key(sr->name);
	rkey = xasprintf(WF_RETRY_PREFIX "%s/workflows/%s", sr->name, sr->sub);
	qkey = xasprintf(WF_RETRY_PREFIX "%s/retries/%s", sr->name, sr->sub);
	txn = etcd_txn_new();
	etcd_txn_range(txn, 1, spec, ETCD_KEYS_ONLY);
	etcd_txn_range(txn, 1, rkey, 0);
	etcd_txn_range(txn, 1, qkey, ETCD_KEYS_ONLY);
	queued = etcd_txn(sr->srv->etcd, txn, wf_retry_read, sr);
	etcd_txn_free(txn);
	free(spec);
	free(rkey);
	free(qkey);
	if (queued != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
}
