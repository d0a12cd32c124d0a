/*
 * tasks_anchor.c: the anchor-peers task (docs/agent-tasks.md): the newest
 * config fetched from an orderer of the channel (fabric.channel-read), the
 * update that sets only this org's AnchorPeers, its ConfigSignature
 * (fabric.config-update) and CONFIG_UPDATE envelope (fabric.config-submit),
 * broadcast; and the orderer picking and config helpers the update tasks
 * (tasks_update.c) share with it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "b64.h"
#include "fabric_config.h"
#include "fabric_decode.h"
#include "fabric_ops.h"
#include "fabric_tx.h"
#include "fabric_update.h"
#include "runtime.h"
#include "signer_client.h"
#include "tasks.h"
#include "tasks_int.h"
#include "topology.h"
#include "xmalloc.h"

/* The org's TLS root certificates, from what it published, into a file
 * under the state dir. Returns the path (caller frees) or NULL. */
static char *
tls_roots_file(const struct tasks_env *env, const char *msp, char **cause)
{
	const json_t *roots, *c;
	char *dir, *path = NULL, *name;
	size_t i, total = 0;
	json_t *v;
	char *text;
	struct stat sb;

	roots = json_object_get(json_object_get(json_object_get(env->orgs, msp),
	    "msp"), "tlsRootCerts");
	if (json_array_size(roots) == 0) {
		*cause = xasprintf("%s has published no TLS root certificates",
		    msp);
		return NULL;
	}
	v = json_array();
	json_array_foreach(roots, i, c)
		if (json_is_string(c) && (total += json_string_length(c)) <
		    FCFG_MAX_CERTS * FCFG_MAX_CERT_BYTES)
			json_array_append(v, (json_t *)c);
	text = xstrdup("");
	json_array_foreach(v, i, c) {
		char *t2 = xasprintf("%s%s%s", text, json_string_value(c),
		    json_string_value(c)[json_string_length(c) > 0 ?
		    json_string_length(c) - 1 : 0] == '\n' ? "" : "\n");

		free(text);
		text = t2;
	}
	json_decref(v);
	dir = xasprintf("%s/tasks", env->statedir != NULL ? env->statedir : ".");
	if (stat(dir, &sb) != 0 && mkdir(dir, 0700) != 0) {
		*cause = xasprintf("%s: %s", dir, strerror(errno));
		goto done;
	}
	name = xasprintf("tlsroots-%s.pem", msp);
	if (tasks_write_file(dir, name, text, strlen(text), 0644, cause) == 0)
		path = xasprintf("%s/%s", dir, name);
	free(name);
done:
	free(dir);
	free(text);
	return path;
}

/*
 * An orderer of the channel, among the task's "orderers" (the channel's
 * consenters as carried out) when it has them, else among the document's
 * consenters: this org's own when it has one, else the first other with
 * its org's published TLS roots. A join-orderer never picks its own node
 * (it is not in the channel yet).
 */
int
tasks_pick_orderer(const struct tasks_env *env, const struct task *t,
    struct grpc_target *o, char **host, char **ca, char **which, char **cause)
{
	return tasks_pick_orderer_nth(env, t, 0, o, host, ca, which, cause);
}

int
tasks_pick_orderer_nth(const struct tasks_env *env, const struct task *t,
    size_t nth, struct grpc_target *o, char **host, char **ca, char **which,
    char **cause)
{
	const json_t *c, *org, *node, *list;
	const char *s, *slash, *kind = NULL;
	json_t *ni;
	char *msp, *err = NULL, *self = NULL;
	size_t i, seen = 0;
	int pass, ok;

	list = t->orderers != NULL ? t->orderers :
	    json_object_get(t->chan, "consenters");
	if (t->node != NULL && strcmp(t->type, "join-orderer") == 0)
		self = xasprintf("%s/%s", env->mspid, t->node);
	for (pass = 0; pass < 2; pass++) {
		json_array_foreach(list, i, c) {
			if ((s = json_string_value(c)) == NULL ||
			    (slash = strchr(s, '/')) == NULL ||
			    (self != NULL && strcmp(s, self) == 0))
				continue;
			msp = xstrndup(s, (size_t)(slash - s));
			if (pass == 0 && strcmp(msp, env->mspid) == 0) {
				free(err);
				err = NULL;
				ni = tasks_node_info(env, slash + 1, &err);
				ok = ni != NULL && tasks_sget(ni, "tlsCa") != NULL &&
				    tasks_split_hp(tasks_sget(ni, "listen"), host,
				    &o->port) == 0;
				if (ok && seen++ == nth) {
					*ca = xstrdup(tasks_sget(ni, "tlsCa"));
					*which = xstrdup(s);
					json_decref(ni);
					free(msp);
					free(err);
					free(self);
					return 0;
				}
				if (ok) {
					free(*host);
					*host = NULL;
				}
				json_decref(ni);
			} else if (pass == 1 && strcmp(msp, env->mspid) != 0 &&
			    (org = topology_find_org(env->spec, msp)) != NULL &&
			    (node = topology_find_node(org, slash + 1, &kind)) != NULL &&
			    tasks_split_hp(tasks_sget(node, "endpoint"), host, &o->port) == 0) {
				free(err);
				err = NULL;
				if (seen++ < nth) {
					free(*host);
					*host = NULL;
				} else if ((*ca = tls_roots_file(env, msp, &err)) != NULL) {
					*which = xstrdup(s);
					free(msp);
					free(self);
					return 0;
				}
				free(*host);
				*host = NULL;
			}
			free(msp);
		}
	}
	*cause = nth > 0 ? xasprintf("no other orderer of channel %s%s",
	    t->channel, t->orderers != NULL ? " among the task's orderers" : "") :
	    xasprintf("no orderer of channel %s to fetch its config from%s%s%s",
	    t->channel, t->orderers != NULL ? " among the task's orderers" : "",
	    err != NULL ? ": " : "", err != NULL ? err : "");
	free(err);
	free(self);
	return -1;
}

/* Application/MSP in a config, or NULL. */
Common__ConfigGroup *
tasks_app_org(const Common__Config *c, const char *mspid)
{
	Common__ConfigGroup *app;

	if (c == NULL || c->channel_group == NULL ||
	    (app = fcfg_group(c->channel_group, "Application")) == NULL)
		return NULL;
	return fcfg_group(app, mspid);
}

Common__Config *
tasks_anchor_config(const Common__Config *live, const Common__Config *want,
    const char *mspid, char **cause)
{
	Common__Config *out;
	Common__ConfigGroup *g, *wg;
	Common__ConfigValue *wv;
	Common__ConfigGroup__ValuesEntry *e;
	uint8_t *b;
	size_t len, i, j;

	if (tasks_app_org(live, mspid) == NULL) {
		*cause = xasprintf("the channel's config has no application org "
		    "%s", mspid);
		return NULL;
	}
	b = fcfg_pack(live, &len);
	out = common__config__unpack(NULL, len, b);
	free(b);
	if (out == NULL) {
		*cause = xstrdup("cannot copy the channel's config");
		return NULL;
	}
	g = tasks_app_org(out, mspid);
	wg = tasks_app_org(want, mspid);
	wv = wg != NULL ? fcfg_value(wg, "AnchorPeers") : NULL;
	for (i = 0; i < g->n_values; i++)
		if (strcmp(g->values[i]->key, "AnchorPeers") == 0)
			break;
	if (wv == NULL) {
		if (i < g->n_values) {
			/* Map entries have no free_unpacked of their own. */
			e = g->values[i];
			common__config_value__free_unpacked(e->value, NULL);
			free(e->key);
			free(e);
			memmove(&g->values[i], &g->values[i + 1],
			    (g->n_values - i - 1) * sizeof(*g->values));
			g->n_values--;
		}
		return out;
	}
	len = common__config_value__get_packed_size(wv);
	b = xmalloc(len > 0 ? len : 1);
	common__config_value__pack(wv, b);
	if (i < g->n_values) {
		common__config_value__free_unpacked(g->values[i]->value, NULL);
		g->values[i]->value = common__config_value__unpack(NULL, len, b);
	} else {
		/* A new entry, in key order (protobuf-c frees it with malloc's free). */
		g->values = xreallocarray(g->values, g->n_values + 1,
		    sizeof(*g->values));
		for (j = 0; j < g->n_values &&
		    strcmp(g->values[j]->key, "AnchorPeers") < 0; j++)
			;
		memmove(&g->values[j + 1], &g->values[j],
		    (g->n_values - j) * sizeof(*g->values));
		e = xmalloc(sizeof(*e));
		common__config_group__values_entry__init(e);
		e->key = xstrdup("AnchorPeers");
		e->value = common__config_value__unpack(NULL, len, b);
		g->values[j] = e;
		g->n_values++;
		i = j;
	}
	free(b);
	if (g->values[i]->value == NULL) {
		fcfg_free(out);
		*cause = xstrdup("cannot copy the declared AnchorPeers value");
		return NULL;
	}
	return out;
}

/* Whether an orderer's refusal of an update says its read set is stale. */
int
tasks_stale_read_set(const char *info, const char *cause)
{
	const char *s[] = { info, cause };
	size_t i;

	for (i = 0; i < 2; i++)
		if (s[i] != NULL && (strstr(s[i], "version") != NULL ||
		    strstr(s[i], "ReadSet") != NULL ||
		    strstr(s[i], "read set") != NULL))
			return 1;
	return 0;
}

/* Picks the orderer and loads the admin's files; NULL or the result. */
json_t *
tasks_ord_open(const struct tasks_env *env, const struct task *t,
    struct tasks_ord *o)
{
	return tasks_ord_open_nth(env, t, 0, o);
}

json_t *
tasks_ord_open_nth(const struct tasks_env *env, const struct task *t,
    size_t nth, struct tasks_ord *o)
{
	char *cause = NULL;
	json_t *r;

	memset(o, 0, sizeof(*o));
	if (tasks_pick_orderer_nth(env, t, nth, &o->target, &o->host, &o->ca,
	    &o->which, &cause) != 0) {
		r = tasks_result(TASKS_RETRY, NULL, "%s", cause);
		free(cause);
		return r;
	}
	if (tasks_admin_load(env, &o->af, &cause) != 0) {
		r = tasks_result(TASKS_FAILED, NULL, "%s", cause);
		free(cause);
		return r;
	}
	o->target.host = o->host;
	o->target.ca_file = o->ca;
	o->target.cert_file = o->af.tls_crt;
	o->target.key_file = o->af.tls_key;
	o->id.mspid = env->mspid;
	o->id.cert_pem = o->af.cert_pem;
	o->ctx = json_object();
	o->sc = (struct signer_client){ env->signer_url, "fabric.channel-read",
	    o->ctx, 0 };
	o->s = (struct fops_signer){ &o->id, signer_client_sign, &o->sc };
	return NULL;
}

void
tasks_ord_close(struct tasks_ord *o)
{
	tasks_admin_clear(&o->af);
	json_decref(o->ctx);
	free(o->host);
	free(o->ca);
	free(o->which);
	memset(o, 0, sizeof(*o));
}

/* The channel's newest config and its block number; NULL or the result. */
json_t *
tasks_ord_config(struct tasks_ord *o, const struct task *t,
    const struct deadline *d, Common__Config **live, uint64_t *number)
{
	struct fops_result res;
	uint8_t *blk = NULL;
	size_t blen = 0;
	char *cause = NULL;
	json_t *r = NULL;

	*live = NULL;
	for (;;) {
		free(cause);
		cause = NULL;
		free(blk);
		blk = NULL;
		memset(&res, 0, sizeof(res));
		if (fops_config_block(&o->target, t->channel, &o->s, &blk, &blen,
		    number, &res, tasks_deadline_call(d), &cause) == 0)
			break;
		r = tasks_call_failure(&res, cause);
		if (strcmp(tasks_sget(r, "state"), TASKS_RETRY) != 0 ||
		    !tasks_deadline_again(d))
			goto done;
		json_decref(r);
		r = NULL;
	}
	if ((*live = fdec_config_from_block(blk, blen, TASKS_MAX_CONFIG,
	    &cause)) == NULL)
		r = tasks_result(TASKS_FAILED, NULL, "config block %llu of %s "
		    "from %s: %s", (unsigned long long)*number, t->channel,
		    o->which, cause);
done:
	free(blk);
	free(cause);
	return r;
}

void
tasks_ctx_live(json_t *ctx, const Common__Config *live)
{
	uint8_t *b;
	char *s;
	size_t len = 0;

	if (live == NULL || (b = fupd_live_outline(live, &len)) == NULL)
		return;
	s = b64_encode(b, len, 0);
	json_object_set_new(ctx, "liveConfig", json_string(s));
	free(s);
	free(b);
}

/* This org's ConfigSignature of an update; NULL or the result. */
json_t *
tasks_sign_update(const struct tasks_env *env, const struct task *t,
    const char *cert_pem, const uint8_t *ubytes, size_t ulen,
    const Common__Config *live, uint8_t **hdr, size_t *hlen, uint8_t **sig,
    size_t *siglen)
{
	struct signer_client sc;
	struct fops_result res;
	uint8_t *sb = NULL;
	size_t sblen = 0;
	char *cause = NULL;
	json_t *r = NULL, *ctx = NULL;

	if ((*hdr = fupd_signature_header(env->mspid, cert_pem, NULL,
	    hlen)) == NULL)
		return tasks_result(TASKS_RETRY, NULL, "no random bytes for the "
		    "signature header's nonce");
	sb = fupd_signing_bytes(*hdr, *hlen, ubytes, ulen, &sblen);
	ctx = json_pack("{s:s, s:I, s:O, s:O}", "channel", t->channel,
	    "headerLength", (json_int_t)*hlen, "topology", env->spec, "orgs",
	    env->orgs != NULL ? env->orgs : json_null());
	tasks_ctx_live(ctx, live);
	sc = (struct signer_client){ env->signer_url, "fabric.config-update",
	    ctx, 0 };
	if (signer_client_sign(&sc, sb, sblen, sig, siglen, &cause) != 0) {
		memset(&res, 0, sizeof(res));
		r = tasks_call_failure(&res, cause);
	}
	json_decref(ctx);
	free(sb);
	free(cause);
	return r;
}

/* The CONFIG_UPDATE envelope of CUE, signed by this org's signer
 * (fabric.config-submit). NULL with *env_out, or the result. */
json_t *
tasks_submit_envelope(const struct tasks_env *env, const struct task *t,
    const struct ftx_identity *id, const uint8_t *cue, size_t cuelen,
    const Common__Config *live, uint8_t **env_out, size_t *elen)
{
	struct signer_client sc;
	struct fops_result res;
	char *cause = NULL;
	json_t *r = NULL, *ctx;

	ctx = json_pack("{s:s, s:O, s:O}", "channel", t->channel, "topology",
	    env->spec, "orgs", env->orgs != NULL ? env->orgs : json_null());
	tasks_ctx_live(ctx, live);
	sc = (struct signer_client){ env->signer_url, "fabric.config-submit",
	    ctx, 0 };
	if ((*env_out = ftx_envelope(FTX_HDR_CONFIG_UPDATE, t->channel, cue,
	    cuelen, NULL, id, signer_client_sign, &sc, elen, &cause)) == NULL) {
		memset(&res, 0, sizeof(res));
		r = tasks_call_failure(&res, cause);
	}
	json_decref(ctx);
	free(cause);
	return r;
}

/*
 * Broadcasts ENV to the orderer, again while it may pass (a Raft channel
 * without a leader yet answers 503) and D leaves time. 0: accepted; 1:
 * refused for a stale read set, with *cause; -1 with *r, the result.
 */
int
tasks_broadcast(const struct grpc_target *ord, const uint8_t *env, size_t len,
    const struct deadline *d, json_t **r, char **cause)
{
	struct fops_result res;
	char *info = NULL;
	int rc = -1;

	for (;;) {
		free(*cause);
		*cause = NULL;
		free(info);
		info = NULL;
		memset(&res, 0, sizeof(res));
		if (fops_broadcast(ord, env, len, &res, &info,
		    tasks_deadline_call(d), cause) == 0) {
			rc = 0;
			break;
		}
		if (res.status == FOPS_BAD_REQUEST &&
		    tasks_stale_read_set(info, *cause)) {
			rc = 1;
			break;
		}
		if (!fops_retryable(&res)) {
			*r = tasks_result(TASKS_FAILED, NULL, "%s", *cause);
			break;
		}
		if (!tasks_deadline_again(d)) {
			*r = tasks_result(TASKS_RETRY, NULL, "%s", *cause);
			break;
		}
	}
	free(info);
	return rc;
}

json_t *
tasks_anchor_peers(const struct tasks_env *env, const struct task *t,
    const struct deadline *d)
{
	struct tasks_ord o;
	struct fupd_sig fs;
	Common__Config *live = NULL, *want = NULL, *desired = NULL;
	Common__ConfigUpdate *upd = NULL;
	json_t *r = NULL;
	uint8_t *ubytes = NULL, *hdr = NULL, *sig = NULL, *cue = NULL,
	    *envb = NULL;
	size_t ulen = 0, hlen = 0, siglen = 0, cuelen = 0, elen = 0;
	uint64_t number = 0;
	char *cause = NULL;

	/* The newest config of the channel. */
	if ((r = tasks_ord_open(env, t, &o)) != NULL ||
	    (r = tasks_ord_config(&o, t, d, &live, &number)) != NULL)
		goto done;
	if ((want = fcfg_build(env->spec, t->channel, env->orgs, &cause)) == NULL) {
		r = tasks_result(TASKS_FAILED, NULL, "the declared config of %s: %s",
		    t->channel, cause);
		goto done;
	}
	if ((desired = tasks_anchor_config(live, want, env->mspid,
	    &cause)) == NULL) {
		r = tasks_result(TASKS_RETRY, NULL, "%s (block %llu from %s)", cause,
		    (unsigned long long)number, o.which);
		goto done;
	}
	if ((upd = fupd_compute(live, desired, t->channel, &cause)) == NULL) {
		if (strstr(cause, "no differences") != NULL)
			r = tasks_result(TASKS_DONE, json_pack("{s:I, s:b}",
			    "configBlock", (json_int_t)number, "updated", 0),
			    "the anchor peers of %s on %s are already as "
			    "declared (config block %llu): no update to make",
			    env->mspid, t->channel, (unsigned long long)number);
		else
			r = tasks_result(TASKS_FAILED, NULL, "the anchor peer update: %s",
			    cause);
		goto done;
	}

	/* Its ConfigSignature, then the CONFIG_UPDATE envelope, by the signer. */
	ubytes = fupd_pack(upd, &ulen);
	if ((r = tasks_sign_update(env, t, o.id.cert_pem, ubytes, ulen, live,
	    &hdr, &hlen, &sig, &siglen)) != NULL)
		goto done;
	fs = (struct fupd_sig){ hdr, hlen, sig, siglen };
	cue = fupd_envelope(ubytes, ulen, &fs, 1, &cuelen);
	if ((r = tasks_submit_envelope(env, t, &o.id, cue, cuelen, live,
	    &envb, &elen)) != NULL)
		goto done;
	switch (tasks_broadcast(&o.target, envb, elen, d, &r, &cause)) {
	case 0:
		break;
	case 1:
		r = tasks_result(TASKS_RETRY, NULL, "%s (another update landed "
		    "since config block %llu was read: the update is "
		    "computed again)", cause, (unsigned long long)number);
		goto done;
	default:
		goto done;
	}
	r = tasks_result(TASKS_DONE, json_pack("{s:I, s:b, s:s}", "configBlock",
	    (json_int_t)number, "updated", 1, "orderer", o.which),
	    "the update setting the anchor peers of %s on %s was accepted by "
	    "%s (it follows config block %llu)", env->mspid, t->channel, o.which,
	    (unsigned long long)number);
done:
	tasks_ord_close(&o);
	fupd_free(upd);
	fcfg_free(live);
	fcfg_free(want);
	fcfg_free(desired);
	free(ubytes);
	free(hdr);
	free(sig);
	free(cue);
	free(envb);
	free(cause);
	return r;
}
