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
 * An orderer of the channel: this org's own consenter when it has one,
 * else the first other consenter with its org's published TLS roots.
 */
int
tasks_pick_orderer(const struct tasks_env *env, const struct task *t,
    struct grpc_target *o, char **host, char **ca, char **which, char **cause)
{
	const json_t *c, *org, *node;
	const char *s, *slash, *kind = NULL;
	json_t *ni;
	char *msp, *err = NULL;
	size_t i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		json_array_foreach(json_object_get(t->chan, "consenters"), i, c) {
			if ((s = json_string_value(c)) == NULL ||
			    (slash = strchr(s, '/')) == NULL)
				continue;
			msp = xstrndup(s, (size_t)(slash - s));
			if (pass == 0 && strcmp(msp, env->mspid) == 0) {
				ni = tasks_node_info(env, slash + 1, &err);
				if (ni != NULL && tasks_split_hp(tasks_sget(ni, "listen"), host,
				    &o->port) == 0 && tasks_sget(ni, "tlsCa") != NULL) {
					*ca = xstrdup(tasks_sget(ni, "tlsCa"));
					*which = xstrdup(s);
					json_decref(ni);
					free(msp);
					free(err);
					return 0;
				}
				json_decref(ni);
			} else if (pass == 1 && strcmp(msp, env->mspid) != 0 &&
			    (org = topology_find_org(env->spec, msp)) != NULL &&
			    (node = topology_find_node(org, slash + 1, &kind)) != NULL &&
			    tasks_split_hp(tasks_sget(node, "endpoint"), host, &o->port) == 0) {
				free(err);
				err = NULL;
				if ((*ca = tls_roots_file(env, msp, &err)) != NULL) {
					*which = xstrdup(s);
					free(msp);
					return 0;
				}
				free(*host);
				*host = NULL;
			}
			free(msp);
		}
	}
	*cause = err != NULL ? xasprintf("no orderer of channel %s to fetch its "
	    "config from: %s", t->channel, err) : xasprintf("no orderer of "
	    "channel %s to fetch its config from", t->channel);
	free(err);
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

json_t *
tasks_anchor_peers(const struct tasks_env *env, const struct task *t,
    const struct deadline *d)
{
	struct grpc_target ord;
	struct admin_files af;
	struct ftx_identity id;
	struct signer_client sc_read, sc_upd, sc_sub;
	struct fops_signer s_read, s_sub;
	struct fops_result res;
	struct fupd_sig fs;
	Common__Config *live = NULL, *want = NULL, *desired = NULL;
	Common__ConfigUpdate *upd = NULL;
	json_t *r = NULL, *ctx_rd = NULL, *ctx_upd = NULL, *ctx_sub = NULL;
	uint8_t *blk = NULL, *ubytes = NULL, *hdr = NULL, *sb = NULL,
	    *sig = NULL, *cue = NULL, *envb = NULL;
	size_t blen = 0, ulen = 0, hlen = 0, sblen = 0, siglen = 0, cuelen = 0,
	    elen = 0;
	uint64_t number = 0;
	char *cause = NULL, *host = NULL, *ca = NULL, *which = NULL,
	    *info = NULL;

	memset(&af, 0, sizeof(af));
	memset(&ord, 0, sizeof(ord));
	if (tasks_pick_orderer(env, t, &ord, &host, &ca, &which, &cause) != 0) {
		r = tasks_result(TASKS_RETRY, NULL, "%s", cause);
		goto done;
	}
	if (tasks_admin_load(env, &af, &cause) != 0) {
		r = tasks_result(TASKS_FAILED, NULL, "%s", cause);
		goto done;
	}
	ord.host = host;
	ord.ca_file = ca;
	ord.cert_file = af.tls_crt;
	ord.key_file = af.tls_key;
	id.mspid = env->mspid;
	id.cert_pem = af.cert_pem;
	ctx_rd = json_object();
	sc_read = (struct signer_client){ env->signer_url, "fabric.channel-read",
	    ctx_rd, 0 };
	s_read = (struct fops_signer){ &id, signer_client_sign, &sc_read };

	/* The newest config of the channel. */
	for (;;) {
		free(cause);
		cause = NULL;
		free(blk);
		blk = NULL;
		memset(&res, 0, sizeof(res));
		if (fops_config_block(&ord, t->channel, &s_read, &blk, &blen,
		    &number, &res, tasks_deadline_call(d), &cause) == 0)
			break;
		r = tasks_call_failure(&res, cause);
		if (strcmp(tasks_sget(r, "state"), TASKS_RETRY) != 0 ||
		    !tasks_deadline_again(d))
			goto done;
		json_decref(r);
		r = NULL;
	}
	if ((live = fdec_config_from_block(blk, blen, TASKS_MAX_CONFIG,
	    &cause)) == NULL) {
		r = tasks_result(TASKS_FAILED, NULL, "config block %llu of %s from %s: "
		    "%s", (unsigned long long)number, t->channel, which, cause);
		goto done;
	}
	if ((want = fcfg_build(env->spec, t->channel, env->orgs, &cause)) == NULL) {
		r = tasks_result(TASKS_FAILED, NULL, "the declared config of %s: %s",
		    t->channel, cause);
		goto done;
	}
	if ((desired = tasks_anchor_config(live, want, env->mspid,
	    &cause)) == NULL) {
		r = tasks_result(TASKS_RETRY, NULL, "%s (block %llu from %s)", cause,
		    (unsigned long long)number, which);
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
	if ((hdr = fupd_signature_header(env->mspid, id.cert_pem, NULL,
	    &hlen)) == NULL) {
		r = tasks_result(TASKS_RETRY, NULL, "no random bytes for the signature "
		    "header's nonce");
		goto done;
	}
	sb = fupd_signing_bytes(hdr, hlen, ubytes, ulen, &sblen);
	ctx_upd = json_pack("{s:s, s:I, s:O, s:O}", "channel", t->channel,
	    "headerLength", (json_int_t)hlen, "topology", env->spec, "orgs",
	    env->orgs);
	sc_upd = (struct signer_client){ env->signer_url, "fabric.config-update",
	    ctx_upd, 0 };
	if (signer_client_sign(&sc_upd, sb, sblen, &sig, &siglen, &cause) != 0) {
		memset(&res, 0, sizeof(res));
		r = tasks_call_failure(&res, cause);
		goto done;
	}
	fs = (struct fupd_sig){ hdr, hlen, sig, siglen };
	cue = fupd_envelope(ubytes, ulen, &fs, 1, &cuelen);
	ctx_sub = json_pack("{s:s, s:O, s:O}", "channel", t->channel,
	    "topology", env->spec, "orgs", env->orgs);
	sc_sub = (struct signer_client){ env->signer_url, "fabric.config-submit",
	    ctx_sub, 0 };
	s_sub = (struct fops_signer){ &id, signer_client_sign, &sc_sub };
	if ((envb = ftx_envelope(FTX_HDR_CONFIG_UPDATE, t->channel, cue, cuelen,
	    NULL, &id, s_sub.sign, s_sub.arg, &elen, &cause)) == NULL) {
		memset(&res, 0, sizeof(res));
		r = tasks_call_failure(&res, cause);
		goto done;
	}

	/* Broadcast: a Raft channel without a leader yet answers 503. */
	for (;;) {
		free(cause);
		cause = NULL;
		free(info);
		info = NULL;
		memset(&res, 0, sizeof(res));
		if (fops_broadcast(&ord, envb, elen, &res, &info,
		    tasks_deadline_call(d), &cause) == 0)
			break;
		if (res.status == FOPS_BAD_REQUEST && tasks_stale_read_set(info, cause)) {
			r = tasks_result(TASKS_RETRY, NULL, "%s (another update landed "
			    "since config block %llu was read: the update is "
			    "computed again)", cause, (unsigned long long)number);
			goto done;
		}
		if (!fops_retryable(&res)) {
			r = tasks_result(TASKS_FAILED, NULL, "%s", cause);
			goto done;
		}
		if (!tasks_deadline_again(d)) {
			r = tasks_result(TASKS_RETRY, NULL, "%s", cause);
			goto done;
		}
	}
	r = tasks_result(TASKS_DONE, json_pack("{s:I, s:b, s:s}", "configBlock",
	    (json_int_t)number, "updated", 1, "orderer", which),
	    "the update setting the anchor peers of %s on %s was accepted by "
	    "%s (it follows config block %llu)", env->mspid, t->channel, which,
	    (unsigned long long)number);
done:
	json_decref(ctx_rd);
	json_decref(ctx_upd);
	json_decref(ctx_sub);
	fupd_free(upd);
	fcfg_free(live);
	fcfg_free(want);
	fcfg_free(desired);
	tasks_admin_clear(&af);
	free(blk);
	free(ubytes);
	free(hdr);
	free(sb);
	free(sig);
	free(cue);
	free(envb);
	free(info);
	free(cause);
	free(host);
	free(ca);
	free(which);
	return r;
}
