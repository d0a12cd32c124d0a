/*
 * tasks_update.c: the agent's steps of the add-org and remove-org
 * workflows (docs/workflows.md, "Adding and removing orgs";
 * docs/agent-tasks.md), and of add-consenter and remove-consenter, whose
 * desired config and applied check are in tasks_consenter.c:
 *
 *   update-prepare  the channel's newest config from an orderer of the
 *                   channel; the desired config = that config with only
 *                   the change (the org's Application group as fcfg_build
 *                   of the document has it, or the group dropped); the
 *                   update between them (fupd_compute), checked as the
 *                   signers will (fupd_check_live)
 *   update-sign     the update's ConfigSignature by the signer
 *                   (fabric.config-update), which checks it against the
 *                   document and the live config read here from an
 *                   orderer (fupd_check_live); a refusal is "failed" with
 *                   its reason. When no orderer answers, the signer checks
 *                   against the document alone (stricter: an update that
 *                   makes one of several declared changes is refused) and
 *                   a refusal is "retry"
 *   update-submit   the signatures checked (fupd_open), the live config
 *                   read again (a change already in it is done: nothing is
 *                   sent twice), the CONFIG_UPDATE envelope signed by the
 *                   signer (fabric.config-submit), broadcast, and the
 *                   config block with the change waited for
 *
 * update-submit carries no "change" (the contract gives it the channel,
 * the update and the signatures), so what it checks for is read from the
 * update's write set (tasks_update_applied).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "b64.h"
#include "fabric_config.h"
#include "fabric_decode.h"
#include "fabric_ops.h"
#include "fabric_tx.h"
#include "fabric_update.h"
#include "runtime.h"
#include "signer_client.h"
#include "tasks.h"
#include "log.h"
#include "tasks_int.h"
#include "xmalloc.h"


int
tasks_update_type(const char *type)
{
	return type != NULL && (strcmp(type, "update-prepare") == 0 ||
	    strcmp(type, "update-sign") == 0 ||
	    strcmp(type, "update-submit") == 0);
}

static void
hex_of(const uint8_t *d, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static const char *
rt_name(const struct tasks_env *env)
{
	return env->rt != NULL ? env->rt->ops->name : "(none)";
}

/* "adding", "removing consenter" ... for a sentence. */
static const char *
change_verb(enum tasks_org_change op)
{
	switch (op) {
	case TASKS_ADD_ORG:
		return "adding";
	case TASKS_REMOVE_ORG:
		return "removing";
	case TASKS_ADD_CONSENTER:
		return "adding consenter";
	default:
		return "removing consenter";
	}
}

int
tasks_change_is_consenter(enum tasks_org_change op)
{
	return op == TASKS_ADD_CONSENTER || op == TASKS_REMOVE_CONSENTER;
}

#define TASKS_CHANGE_FORMS "{\"addOrg\": MSP}, {\"removeOrg\": MSP}, " \
	"{\"addConsenter\": \"MSP/node\"} or {\"removeConsenter\": \"MSP/node\"}"

int
tasks_org_change_parse(const json_t *change, enum tasks_org_change *op,
    const char **msp, char **cause)
{
	static const struct {
		const char *key;
		enum tasks_org_change op;
	} forms[] = {
		{ "addOrg", TASKS_ADD_ORG },
		{ "removeOrg", TASKS_REMOVE_ORG },
		{ "addConsenter", TASKS_ADD_CONSENTER },
		{ "removeConsenter", TASKS_REMOVE_CONSENTER },
	};
	const json_t *v = NULL;
	size_t i;

	if (!json_is_object(change) || json_object_size(change) != 1) {
		*cause = xstrdup("the task's change must be " TASKS_CHANGE_FORMS);
		return -1;
	}
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		if ((v = json_object_get(change, forms[i].key)) != NULL) {
			*op = forms[i].op;
			break;
		}
	if (v == NULL) {
		*cause = xstrdup("the task's change must be " TASKS_CHANGE_FORMS);
		return -1;
	}
	if (tasks_change_is_consenter(*op)) {
		if (!json_is_string(v) || json_string_length(v) >
		    TASKS_MAX_REF || strlen(json_string_value(v)) !=
		    json_string_length(v) || !tasks_ref_ok(json_string_value(v))) {
			*cause = xasprintf("the task's change names no consenter "
			    "(\"MSP/node\", at most %d characters)",
			    TASKS_MAX_REF);
			return -1;
		}
		*msp = json_string_value(v);
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > FUPD_MAX_KEY ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		*cause = xasprintf("the task's change names no MSP ID (a string "
		    "of 1 to %d characters)", FUPD_MAX_KEY);
		return -1;
	}
	*msp = json_string_value(v);
	return 0;
}

/* Whether the document asks for the change; -1 with *cause when not. */
static int
change_declared(const json_t *spec, const char *channel,
    enum tasks_org_change op, const char *msp, char **cause)
{
	const json_t *chan = tasks_chan_find(spec, channel);
	int member;

	if (tasks_change_is_consenter(op))
		return tasks_consenter_declared(spec, channel, op, msp, cause);
	if (chan == NULL) {
		*cause = xasprintf("channel \"%s\" is not declared in the "
		    "consortium", channel);
		return -1;
	}
	member = tasks_list_has(json_object_get(chan, "members"), msp);
	if (op == TASKS_ADD_ORG && !member) {
		*cause = xasprintf("the consortium does not declare %s a member "
		    "of channel %s: adding it is not what the document asks",
		    msp, channel);
		return -1;
	}
	if (op == TASKS_REMOVE_ORG && member) {
		*cause = xasprintf("the consortium still declares %s a member of "
		    "channel %s: removing it is not what the document asks",
		    msp, channel);
		return -1;
	}
	return 0;
}

static Common__ConfigGroup *
app_group(const Common__Config *c)
{
	return c != NULL && c->channel_group != NULL ?
	    fcfg_group(c->channel_group, "Application") : NULL;
}

int
tasks_org_config(const Common__Config *live, const json_t *spec,
    const json_t *orgs, const char *channel, enum tasks_org_change op,
    const char *msp, Common__Config **out, char **cause)
{
	Common__Config *copy = NULL, *want = NULL;
	Common__ConfigGroup *app, *wg;
	int ret = -1;

	*out = NULL;
	if (tasks_change_is_consenter(op))
		return tasks_consenter_config(live, spec, orgs, channel, op, msp,
		    out, cause);
	if (change_declared(spec, channel, op, msp, cause) != 0)
		return -1;
	if ((app = app_group(live)) == NULL) {
		*cause = xasprintf("the config of channel %s has no Application "
		    "group", channel);
		return -1;
	}
	if ((fcfg_group(app, msp) != NULL) == (op == TASKS_ADD_ORG))
		return 1;
	copy = fcfg_msg_copy(&live->base);
	if (copy == NULL || (app = app_group(copy)) == NULL) {
		*cause = xasprintf("cannot copy the config of channel %s", channel);
		goto done;
	}
	if (op == TASKS_REMOVE_ORG)
		(void)fcfg_set_group(app, msp, NULL);	/* removing copies nothing */
	else {
		if ((want = fcfg_build(spec, channel, orgs, cause)) == NULL)
			goto done;
		if ((wg = fcfg_group(app_group(want), msp)) == NULL) {
			*cause = xasprintf("the declared config of channel %s has "
			    "no application org %s", channel, msp);
			goto done;
		}
		if (fcfg_set_group(app, msp, wg) != 0) {
			*cause = xasprintf("cannot copy the declared group of %s",
			    msp);
			goto done;
		}
	}
	*out = copy;
	copy = NULL;
	ret = 0;
done:
	fcfg_free(copy);
	fcfg_free(want);
	return ret;
}

/* Appends ", KEY" (or "KEY" first) to *list. */
static void
list_add(char **list, const char *key)
{
	char *s = xasprintf("%s%s%s", *list != NULL ? *list : "",
	    *list != NULL ? ", " : "", key);

	free(*list);
	*list = s;
}

int
tasks_update_applied(const Common__ConfigUpdate *u, const Common__Config *live,
    char **what, char **cause)
{
	const Common__ConfigGroup *ws, *rs, *wa, *ra, *la, *rg;
	char *adds = NULL, *drops = NULL;
	size_t i;

	if (what != NULL)
		*what = NULL;
	ws = u->write_set;
	rs = u->read_set;
	/* A consenter change writes Channel/Orderer alone. */
	if (ws != NULL && ws->n_groups == 1 &&
	    strcmp(ws->groups[0]->key, "Orderer") == 0)
		return tasks_consenter_applied(u, live, what, cause);
	wa = ws != NULL ? fcfg_group(ws, "Application") : NULL;
	ra = rs != NULL ? fcfg_group(rs, "Application") : NULL;
	/* Only Channel/Application's orgs change: the channel group is a
	 * reference holding Application alone, Application is written at its
	 * next version with its values and policies as references, and each
	 * org is a reference or new. */
	if (wa == NULL || ra == NULL || ws->n_groups != 1 ||
	    ws->n_values != 0 || ws->n_policies != 0 ||
	    ws->version != rs->version || wa->version != ra->version + 1)
		goto other;
	for (i = 0; i < wa->n_values; i++)
		if (wa->values[i]->value == NULL ||
		    wa->values[i]->value->value.len != 0 ||
		    fcfg_value(ra, wa->values[i]->key) == NULL ||
		    fcfg_value(ra, wa->values[i]->key)->version !=
		    wa->values[i]->value->version)
			goto other;
	for (i = 0; i < wa->n_policies; i++)
		if (wa->policies[i]->value == NULL ||
		    wa->policies[i]->value->policy != NULL ||
		    fcfg_policy(ra, wa->policies[i]->key) == NULL ||
		    fcfg_policy(ra, wa->policies[i]->key)->version !=
		    wa->policies[i]->value->version)
			goto other;
	for (i = 0; i < wa->n_groups; i++)
		if (wa->groups[i]->value == NULL ||
		    ((rg = fcfg_group(ra, wa->groups[i]->key)) != NULL &&
		    rg->version != wa->groups[i]->value->version))
			goto other;
	if ((la = app_group(live)) == NULL) {
		if (cause != NULL)
			*cause = xstrdup("the channel's config has no "
			    "Application group");
		return -1;
	}
	for (i = 0; i < wa->n_groups; i++)
		if (fcfg_group(la, wa->groups[i]->key) == NULL)
			list_add(&adds, wa->groups[i]->key);
	for (i = 0; i < la->n_groups; i++)
		if (fcfg_group(wa, la->groups[i]->key) == NULL)
			list_add(&drops, la->groups[i]->key);
	if (adds == NULL && drops == NULL)
		return 1;
	if (what != NULL)
		*what = xasprintf("%s%s%s%s%s", adds != NULL ? "adds " : "",
		    adds != NULL ? adds : "", adds != NULL && drops != NULL ?
		    " and " : "", drops != NULL ? "removes " : "",
		    drops != NULL ? drops : "");
	free(adds);
	free(drops);
	return 0;
other:
	if (cause != NULL)
		*cause = xasprintf("the update of channel %s does not only add "
		    "or remove application orgs: update-submit carries add-org, "
		    "remove-org, add-consenter and remove-consenter updates "
		    "only", u->channel_id != NULL ? u->channel_id : "(none)");
	return -1;
}

void
tasks_sigs_free(struct tasks_sig *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].org);
		free(v[i].header);
		free(v[i].sig);
	}
	free(v);
}

int
tasks_sigs_decode(const json_t *list, struct tasks_sig **out, size_t *np,
    char **cause)
{
	struct tasks_sig *v = NULL;
	const json_t *e;
	const char *org, *h, *s;
	size_t i, j, n;

	*out = NULL;
	*np = 0;
	if (!json_is_array(list) || (n = json_array_size(list)) == 0 ||
	    n > FUPD_MAX_SIGNATURES) {
		*cause = xasprintf("the task's signatures must be an array of 1 "
		    "to %d {\"org\", \"signatureHeader\", \"signature\"}",
		    FUPD_MAX_SIGNATURES);
		return -1;
	}
	v = xcalloc(n, sizeof(*v));
	json_array_foreach(list, i, e) {
		if (!json_is_object(e) || json_object_size(e) != 3 ||
		    (org = tasks_sget(e, "org")) == NULL ||
		    (h = tasks_sget(e, "signatureHeader")) == NULL ||
		    (s = tasks_sget(e, "signature")) == NULL) {
			*cause = xasprintf("signatures[%zu] must be {\"org\", "
			    "\"signatureHeader\", \"signature\"}, three strings",
			    i);
			goto fail;
		}
		if (*org == '\0' || strlen(org) > FUPD_MAX_KEY) {
			*cause = xasprintf("signatures[%zu].org is not an MSP ID",
			    i);
			goto fail;
		}
		for (j = 0; j < i; j++)
			if (strcmp(v[j].org, org) == 0) {
				*cause = xasprintf("signatures[%zu] is a second "
				    "signature of %.64s", i, org);
				goto fail;
			}
		v[i].org = xstrdup(org);
		if ((v[i].header = b64_decode(h, strlen(h), 0, FUPD_MAX_HEADER,
		    &v[i].header_len)) == NULL || v[i].header_len == 0) {
			*cause = xasprintf("signatures[%zu].signatureHeader is not "
			    "canonical base64 of 1 to %d bytes", i,
			    FUPD_MAX_HEADER);
			goto fail;
		}
		if ((v[i].sig = b64_decode(s, strlen(s), 0, TASKS_MAX_SIG,
		    &v[i].sig_len)) == NULL || v[i].sig_len == 0) {
			*cause = xasprintf("signatures[%zu].signature is not "
			    "canonical base64 of 1 to %d bytes", i, TASKS_MAX_SIG);
			goto fail;
		}
	}
	*out = v;
	*np = n;
	return 0;
fail:
	tasks_sigs_free(v, n);
	return -1;
}

/*
 * The task's "update": canonical base64 of a ConfigUpdate of the task's
 * channel. Returns NULL with *u, *bytes (caller frees) and *len, or the
 * "failed" result.
 */
static json_t *
update_decode(const struct task *t, Common__ConfigUpdate **u, uint8_t **bytes,
    size_t *len)
{
	const char *b64 = tasks_sget(t->json, "update");
	char *cause = NULL;
	json_t *r;

	*u = NULL;
	if (b64 == NULL || (*bytes = b64_decode(b64, strlen(b64), 0,
	    FUPD_MAX_UPDATE, len)) == NULL || *len == 0) {
		free(*bytes);
		*bytes = NULL;
		return tasks_result(TASKS_FAILED, NULL, "the task's update is not "
		    "canonical base64 of 1 to %d bytes", FUPD_MAX_UPDATE);
	}
	if ((*u = fupd_decode(*bytes, *len, &cause)) == NULL) {
		r = tasks_result(TASKS_FAILED, NULL, "the task's update does not "
		    "decode: %s", cause);
		free(cause);
		return r;
	}
	if ((*u)->channel_id == NULL || strcmp((*u)->channel_id,
	    t->channel) != 0)
		return tasks_result(TASKS_FAILED, NULL, "the task's update is for "
		    "channel \"%.250s\", not %s", (*u)->channel_id != NULL ?
		    (*u)->channel_id : "", t->channel);
	return NULL;
}

static json_t *
update_prepare(const struct tasks_env *env, const struct task *t,
    const struct deadline *d, int live_rt)
{
	enum tasks_org_change op = TASKS_ADD_ORG;
	struct tasks_ord o;
	Common__Config *live = NULL, *desired = NULL, *want = NULL;
	Common__ConfigUpdate *upd = NULL;
	uint8_t *ubytes = NULL, md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1], *cause = NULL, *b64 = NULL;
	const char *msp = NULL;
	uint64_t number = 0;
	size_t ulen = 0;
	json_t *r = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	if (tasks_org_change_parse(json_object_get(t->json, "change"), &op, &msp,
	    &cause) != 0 || change_declared(env->spec, t->channel, op, msp,
	    &cause) != 0) {
		r = tasks_result(TASKS_FAILED, NULL, "%s", cause);
		goto done;
	}
	if (!live_rt) {
		r = tasks_result(TASKS_RENDERED, NULL, "the %s runtime has no live "
		    "orderer to fetch the config of %s from: the update %s %s is "
		    "prepared by an operator (peer channel fetch config, then "
		    "configtxlator compute_update)", rt_name(env), t->channel,
		    change_verb(op), msp);
		goto done;
	}
	if ((r = tasks_ord_open(env, t, &o)) != NULL ||
	    (r = tasks_ord_config(&o, t, d, &live, &number)) != NULL)
		goto done;
	rc = tasks_org_config(live, env->spec, env->orgs, t->channel, op, msp,
	    &desired, &cause);
	if (rc == 1) {
		r = tasks_result(TASKS_DONE, json_pack("{s:b}", "applied", 1),
		    "%s is already %s %s of %s (config block %llu from %s): no "
		    "update to make", msp, op == TASKS_ADD_ORG ||
		    op == TASKS_ADD_CONSENTER ? "one of" : "gone from",
		    tasks_change_is_consenter(op) ? "the consenters" :
		    "the application orgs", t->channel,
		    (unsigned long long)number, o.which);
		goto done;
	}
	if (rc != 0) {
		r = tasks_result(TASKS_FAILED, NULL, "%s", cause);
		goto done;
	}
	if ((upd = fupd_compute(live, desired, t->channel, &cause)) == NULL) {
		if (strstr(cause, "no differences") != NULL)
			r = tasks_result(TASKS_DONE, json_pack("{s:b}", "applied",
			    1), "the config of %s already has the change (config "
			    "block %llu): no update to make", t->channel,
			    (unsigned long long)number);
		else
			r = tasks_result(TASKS_FAILED, NULL, "the update %s %s: %s",
			    change_verb(op), msp, cause);
		goto done;
	}
	/* What every member's signer will check (against the live config
	 * its agent reads): refused here, it would be refused there, with the
	 * same words. The document may declare more changes than this one:
	 * they come in later updates. */
	if ((want = fupd_desired(env->spec, t->channel, env->orgs,
	    &cause)) == NULL) {
		r = tasks_result(TASKS_FAILED, NULL, "the declared config of %s: "
		    "%s", t->channel, cause);
		goto done;
	}
	if (fupd_check_live(upd, want, live, &cause) != 0) {
		r = tasks_result(TASKS_FAILED, NULL, "the update %s %s would be "
		    "refused by the signers: %s", change_verb(op), msp, cause);
		goto done;
	}
	ubytes = fupd_pack(upd, &ulen);
	SHA256(ubytes, ulen, md);
	hex_of(md, sizeof(md), hex);
	b64 = b64_encode(ubytes, ulen, 0);
	r = tasks_result(TASKS_DONE, json_pack("{s:s, s:s, s:I}", "update", b64,
	    "sha256", hex, "configBlock", (json_int_t)number), "prepared the "
	    "update %s %s %s channel %s: %zu bytes, sha256 %.16s…, computed "
	    "from config block %llu read from %s", change_verb(op), msp,
	    op == TASKS_ADD_ORG || op == TASKS_ADD_CONSENTER ? "to" : "from",
	    t->channel, ulen, hex,
	    (unsigned long long)number, o.which);
done:
	tasks_ord_close(&o);
	fupd_free(upd);
	fcfg_free(live);
	fcfg_free(desired);
	fcfg_free(want);
	free(ubytes);
	free(b64);
	free(cause);
	return r;
}

/*
 * The channel's live config for the signer's check, or NULL: then *why
 * says why it could not be read (the signer checks against the document
 * alone, which is stricter).
 */
static Common__Config *
sign_live(const struct tasks_env *env, const struct task *t,
    const struct deadline *d, json_t **why)
{
	struct tasks_ord o;
	Common__Config *live = NULL;
	uint64_t number = 0;

	*why = tasks_ord_open(env, t, &o);
	if (*why == NULL)
		*why = tasks_ord_config(&o, t, d, &live, &number);
	tasks_ord_close(&o);
	if (*why != NULL) {
		fcfg_free(live);
		return NULL;
	}
	return live;
}

static json_t *
update_sign(const struct tasks_env *env, const struct task *t,
    const struct deadline *d, int live_rt)
{
	struct admin_files af;
	struct fupd_opened op;
	struct fupd_sig fs;
	Common__Config *live = NULL;
	Common__ConfigUpdate *upd = NULL;
	uint8_t *ubytes = NULL, *hdr = NULL, *sig = NULL, *cue = NULL,
	    md[SHA256_DIGEST_LENGTH];
	size_t ulen = 0, hlen = 0, siglen = 0, cuelen = 0;
	char hex[2 * SHA256_DIGEST_LENGTH + 1], *cause = NULL, *hb64 = NULL,
	    *sb64 = NULL;
	const char *sha;
	json_t *r = NULL, *why = NULL, *r2;

	memset(&af, 0, sizeof(af));
	memset(&op, 0, sizeof(op));
	if ((sha = tasks_sget(t->json, "sha256")) == NULL) {
		r = tasks_result(TASKS_FAILED, NULL, "an update-sign task needs "
		    "an update and its sha256");
		goto done;
	}
	if ((r = update_decode(t, &upd, &ubytes, &ulen)) != NULL)
		goto done;
	SHA256(ubytes, ulen, md);
	hex_of(md, sizeof(md), hex);
	if (!tasks_hex_eq(sha, md, sizeof(md))) {
		r = tasks_result(TASKS_FAILED, NULL, "the update's SHA-256 (%s) "
		    "does not match the task's sha256 (%.64s)", hex, sha);
		goto done;
	}
	if (tasks_admin_load(env, &af, &cause) != 0) {
		r = tasks_result(TASKS_FAILED, NULL, "%s", cause);
		goto done;
	}
	/* The signer checks the update against the live config too, so that
	 * one of several declared changes passes; without it (no orderer
	 * answers, or a runtime without one) against the document alone. */
	if (live_rt && (live = sign_live(env, t, d, &why)) == NULL)
		log_warnx("update-sign on %s: %s; the signer checks the update "
		    "against the document alone", t->channel,
		    tasks_sget(why, "message"));
	if ((r = tasks_sign_update(env, t, af.cert_pem, ubytes, ulen, live,
	    &hdr, &hlen, &sig, &siglen)) != NULL) {
		if (why != NULL) {
			r2 = tasks_result(TASKS_RETRY, NULL, "%s (the live config "
			    "of %s could not be read, so the signer checked the "
			    "update against the document alone: %s)",
			    tasks_sget(r, "message"), t->channel,
			    tasks_sget(why, "message"));
			json_decref(r);
			r = r2;
		}
		goto done;
	}
	/* What goes back is checked as the submitter will check it. */
	fs = (struct fupd_sig){ hdr, hlen, sig, siglen };
	cue = fupd_envelope(ubytes, ulen, &fs, 1, &cuelen);
	if (fupd_open(cue, cuelen, FUPD_MAX_ENVELOPE, &op, &cause) != 0) {
		r = tasks_result(TASKS_FAILED, NULL, "the signer's signature of "
		    "the update does not verify: %s", cause);
		goto done;
	}
	hb64 = b64_encode(hdr, hlen, 0);
	sb64 = b64_encode(sig, siglen, 0);
	r = tasks_result(TASKS_DONE, json_pack("{s:s, s:s}", "signatureHeader",
	    hb64, "signature", sb64), "%s's admin signed the update of channel "
	    "%s (%zu bytes, sha256 %.16s…)", env->mspid, t->channel, ulen, hex);
done:
	json_decref(why);
	fcfg_free(live);
	fupd_opened_clear(&op);
	tasks_admin_clear(&af);
	fupd_free(upd);
	free(ubytes);
	free(hdr);
	free(sig);
	free(cue);
	free(hb64);
	free(sb64);
	free(cause);
	return r;
}

/*
 * The update and its signatures as a ConfigUpdateEnvelope, every
 * signature verified and by the org the task says. NULL with *cue
 * (caller frees) and *cuelen, or the "failed" result.
 */
static json_t *
submit_envelope(const struct task *t, const uint8_t *ubytes, size_t ulen,
    uint8_t **cue, size_t *cuelen, size_t *nsigs)
{
	struct tasks_sig *sigs = NULL;
	struct fupd_sig *fs = NULL;
	struct fupd_opened op;
	char *cause = NULL;
	json_t *r = NULL;
	size_t n = 0, i;

	*cue = NULL;
	memset(&op, 0, sizeof(op));
	if (tasks_sigs_decode(json_object_get(t->json, "signatures"), &sigs, &n,
	    &cause) != 0) {
		r = tasks_result(TASKS_FAILED, NULL, "%s", cause);
		goto done;
	}
	fs = xcalloc(n, sizeof(*fs));
	for (i = 0; i < n; i++)
		fs[i] = (struct fupd_sig){ sigs[i].header, sigs[i].header_len,
		    sigs[i].sig, sigs[i].sig_len };
	*cue = fupd_envelope(ubytes, ulen, fs, n, cuelen);
	if (fupd_open(*cue, *cuelen, FUPD_MAX_ENVELOPE, &op, &cause) != 0) {
		r = tasks_result(TASKS_FAILED, NULL, "the update's signatures: %s",
		    cause);
		goto done;
	}
	for (i = 0; i < n; i++)
		if (strcmp(op.mspids[i], sigs[i].org) != 0) {
			r = tasks_result(TASKS_FAILED, NULL, "signatures[%zu] is by "
			    "an admin of %.64s, not of %.64s as its org says", i,
			    op.mspids[i], sigs[i].org);
			goto done;
		}
	*nsigs = n;
done:
	if (r != NULL) {
		free(*cue);
		*cue = NULL;
	}
	fupd_opened_clear(&op);
	tasks_sigs_free(sigs, n);
	free(fs);
	free(cause);
	return r;
}

/* Whether a refusal is etcdraft's quorum check made by a follower. */
static int
quorum_refusal(const json_t *r)
{
	const char *m = r != NULL ? tasks_sget(r, "message") : NULL;

	return m != NULL && strstr(m, "configuration will result in quorum "
	    "loss") != NULL;
}

/*
 * Fabric's etcdraft checks a consenter change against the nodes it sees
 * alive, which only the Raft leader tracks: a follower refuses it ("0 out
 * of 2 nodes are alive, configuration will result in quorum loss"). The
 * envelope (bound to no orderer) goes to the channel's other orderers in
 * turn. Returns tasks_broadcast's 0 or 1 (*by: the orderer that took it,
 * caller frees), or -1 with *r (FIRST, the first refusal, is taken).
 */
static int
broadcast_elsewhere(const struct tasks_env *env, const struct task *t,
    const struct deadline *d, const uint8_t *envb, size_t elen, json_t *first,
    json_t **r, char **cause, char **by)
{
	struct tasks_ord x;
	json_t *rr;
	size_t nth;
	int rc;

	*r = NULL;
	for (nth = 1; nth <= TASKS_MAX_ORDERERS; nth++) {
		if ((rr = tasks_ord_open_nth(env, t, nth, &x)) != NULL) {
			json_decref(rr);
			tasks_ord_close(&x);
			break;
		}
		rr = NULL;
		rc = tasks_broadcast(&x.target, envb, elen, d, &rr, cause);
		if (rc >= 0) {
			*by = xstrdup(x.which);
			tasks_ord_close(&x);
			json_decref(first);
			return rc;
		}
		tasks_ord_close(&x);
		if (!quorum_refusal(rr)) {
			json_decref(first);
			*r = rr;
			return -1;
		}
		json_decref(rr);
	}
	*r = tasks_result(TASKS_RETRY, NULL, "%s (no other orderer of the "
	    "channel took it: a consenter change is accepted by the Raft "
	    "leader only, which may be changing)", tasks_sget(first, "message"));
	json_decref(first);
	return -1;
}

static json_t *
update_submit(const struct tasks_env *env, const struct task *t,
    const struct deadline *d, int live_rt)
{
	struct tasks_ord o;
	Common__ConfigUpdate *upd = NULL;
	Common__Config *live = NULL;
	uint8_t *ubytes = NULL, *cue = NULL, *envb = NULL;
	size_t ulen = 0, cuelen = 0, elen = 0, nsigs = 0;
	uint64_t number = 0, now = 0;
	char *cause = NULL, *what = NULL, *by = NULL;
	json_t *r = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	if ((r = update_decode(t, &upd, &ubytes, &ulen)) != NULL ||
	    (r = submit_envelope(t, ubytes, ulen, &cue, &cuelen,
	    &nsigs)) != NULL)
		goto done;
	if (!live_rt) {
		r = tasks_result(TASKS_RENDERED, NULL, "the %s runtime has no live "
		    "orderer to submit the update of %s to: an operator submits "
		    "it with its %zu signatures (peer channel update)",
		    rt_name(env), t->channel, nsigs);
		goto done;
	}
	if ((r = tasks_ord_open(env, t, &o)) != NULL ||
	    (r = tasks_ord_config(&o, t, d, &live, &number)) != NULL)
		goto done;
	if ((rc = tasks_update_applied(upd, live, &what, &cause)) != 0) {
		if (rc == 1)
			r = tasks_result(TASKS_DONE, json_pack("{s:b}", "applied",
			    1), "config block %llu of %s already has the change "
			    "(what the update writes is there): nothing is "
			    "submitted", (unsigned long long)number,
			    t->channel);
		else
			r = tasks_result(TASKS_FAILED, NULL, "%s", cause);
		goto done;
	}

	/* The CONFIG_UPDATE envelope, signed by this org's signer. */
	if ((r = tasks_submit_envelope(env, t, &o.id, cue, cuelen, live,
	    &envb, &elen)) != NULL)
		goto done;
	if ((rc = tasks_broadcast(&o.target, envb, elen, d, &r, &cause)) < 0 &&
	    (!quorum_refusal(r) || (rc = broadcast_elsewhere(env, t, d, envb,
	    elen, r, &r, &cause, &by)) < 0))
		goto done;
	if (rc == 1) {
		/* This very update may have landed (an earlier run). */
		fcfg_free(live);
		json_decref(tasks_ord_config(&o, t, d, &live, &now));
		if (live != NULL &&
		    tasks_update_applied(upd, live, NULL, NULL) == 1) {
			r = tasks_result(TASKS_DONE, json_pack("{s:b}",
			    "applied", 1), "config block %llu of %s already "
			    "has the change: nothing more is submitted",
			    (unsigned long long)now, t->channel);
			goto done;
		}
		r = tasks_result(TASKS_FAILED, NULL, "%s (the config of %s "
		    "moved on since the update was prepared: it must be "
		    "prepared and signed again)", cause, t->channel);
		goto done;
	}

	/* The config block that has the change. */
	for (;;) {
		fcfg_free(live);
		live = NULL;
		if ((r = tasks_ord_config(&o, t, d, &live, &now)) == NULL &&
		    now > number && tasks_update_applied(upd, live, NULL,
		    NULL) == 1)
			break;
		if (!tasks_deadline_again(d)) {
			json_decref(r);
			r = tasks_result(TASKS_RETRY, NULL, "%s accepted the update "
			    "that %s on %s, but no config block with the change "
			    "was seen in time (the newest is block %llu)",
			    by != NULL ? by : o.which, what, t->channel,
			    (unsigned long long)now);
			goto done;
		}
		json_decref(r);
		r = NULL;
	}
	r = tasks_result(TASKS_DONE, json_pack("{s:I}", "blockNumber",
	    (json_int_t)now), "the update that %s on %s was accepted by %s: "
	    "config block %llu has the change (%zu signatures)", what,
	    t->channel, by != NULL ? by : o.which, (unsigned long long)now,
	    nsigs);
done:
	free(by);
	tasks_ord_close(&o);
	fupd_free(upd);
	fcfg_free(live);
	free(ubytes);
	free(cue);
	free(envb);
	free(what);
	free(cause);
	return r;
}

json_t *
tasks_update_run(const struct tasks_env *env, const struct task *t,
    const struct deadline *d, int live)
{
	if (strcmp(t->type, "update-prepare") == 0)
		return update_prepare(env, t, d, live);
	if (strcmp(t->type, "update-sign") == 0)
		return update_sign(env, t, d, live);
	return update_submit(env, t, d, live);
}
