/*
 * signer_fabric.c: the signer's Fabric config-update checks, request
 * kinds "fabric.config-update" (a ConfigSignature) and
 * "fabric.config-submit" (the CONFIG_UPDATE envelope that submits a
 * signed update to the orderer) (docs/fabric-updates.md).
 *
 * The payload is what a ConfigSignature signs: signature_header ||
 * config_update, split at context.headerLength. The signer signs it only
 * when
 *  - the signature header's creator is this signer's own identity (its MSP
 *    ID and exactly its certificate), so the signature is what it claims;
 *  - the config update decodes (bounded, canonical) and is for the
 *    context's channel;
 *  - the context's topology is a valid consortium document declaring that
 *    channel, with this org a member or the owner of one of its consenters;
 *  - fupd_check finds that everything the update writes is what
 *    fcfg_build(topology, channel, orgs) holds; when the context carries
 *    "liveConfig" (the channel's config as the agent read it from an
 *    orderer, base64), fupd_check_live, so that one of several changes
 *    the document declares may be signed while the others wait.
 * "fabric.config-submit": the payload is the Payload an Envelope's
 * signature covers; it must be of header type CONFIG_UPDATE for the
 * context's channel, its signature header's creator this signer, and the
 * config update inside its ConfigUpdateEnvelope must pass the same checks
 * (context: {"channel", "topology", "orgs"}, "liveConfig" optional). So the submitter's signature
 * too goes only on updates the topology declares.
 * Every refusal is a sentence for the requester.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/common.pb-c.h"
#include "common/configtx.pb-c.h"
#include "msp/identities.pb-c.h"

#include "b64.h"
#include "fabric_config.h"
#include "fabric_update.h"
#include "signer.h"
#include "topology.h"
#include "xmalloc.h"

/* This signer's identity, set once at start-up. */
static char *sf_mspid;
static unsigned char *sf_der;
static size_t sf_derlen;

/* Outside text fit for a reason: printable ASCII, MAX at most. Caller frees. */
static char *
sf_safe_n(const char *s, size_t max)
{
	size_t i, n = strnlen(s, max);
	char *out = xstrndup(s, n);

	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e)
			out[i] = '?';
	return out;
}

static char *
sf_safe(const char *s)
{
	return sf_safe_n(s, 64);
}

int
signer_fabric_init(const char *msp_id, const char *cert_pem)
{
	unsigned char *der;
	size_t derlen = 0;

	size_t i, n;

	/* Reasons name the MSP ID: printable ASCII only, as Fabric's IDs are. */
	if (msp_id == NULL || cert_pem == NULL ||
	    (n = strnlen(msp_id, 129)) == 0 || n > 128)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)msp_id[i] <= 0x20 ||
		    (unsigned char)msp_id[i] > 0x7e)
			return -1;
	if ((der = fcfg_cert_der(cert_pem, strlen(cert_pem), &derlen)) == NULL)
		return -1;
	free(sf_mspid);
	free(sf_der);
	sf_mspid = xstrdup(msp_id);
	sf_der = der;
	sf_derlen = derlen;
	/* Registered once per process; a second start-up keeps the first. */
	(void)signer_register_kind(SIGNER_FABRIC_CONFIG_UPDATE,
	    signer_fabric_config_update);
	(void)signer_register_kind(SIGNER_FABRIC_CONFIG_SUBMIT,
	    signer_fabric_config_submit);
	return 0;
}

/* The signature header's creator is this signer: MSP ID and certificate. */
static int
sf_header(const unsigned char *b, size_t len, char **reason)
{
	Common__SignatureHeader *sh = NULL;
	Msp__SerializedIdentity *id = NULL;
	unsigned char *der = NULL, *again = NULL;
	size_t derlen = 0, alen;
	int ret = -1;

	if ((sh = common__signature_header__unpack(NULL, len, b)) == NULL) {
		*reason = xstrdup("the payload does not start with a "
		    "SignatureHeader of the length the context gives");
		goto done;
	}
	alen = protobuf_c_message_get_packed_size(&sh->base);
	again = xmalloc(alen + 1);
	(void)protobuf_c_message_pack(&sh->base, again);
	if (alen != len || (len > 0 && memcmp(again, b, len) != 0)) {
		*reason = xstrdup("the signature header is not in canonical "
		    "form");
		goto done;
	}
	if (sh->nonce.len == 0 || sh->nonce.len > FUPD_MAX_NONCE) {
		*reason = xasprintf("the signature header's nonce is %zu bytes; "
		    "1 to %d are expected", sh->nonce.len, FUPD_MAX_NONCE);
		goto done;
	}
	if ((id = msp__serialized_identity__unpack(NULL, sh->creator.len,
	    sh->creator.data)) == NULL) {
		*reason = xstrdup("the signature header's creator is not a "
		    "serialized identity");
		goto done;
	}
	free(again);
	alen = protobuf_c_message_get_packed_size(&id->base);
	again = xmalloc(alen + 1);
	(void)protobuf_c_message_pack(&id->base, again);
	if (alen != sh->creator.len || (alen > 0 &&
	    memcmp(again, sh->creator.data, alen) != 0)) {
		*reason = xstrdup("the signature header's creator is not in "
		    "canonical form");
		goto done;
	}
	if (strcmp(id->mspid, sf_mspid) != 0) {
		char *m = sf_safe(id->mspid);

		*reason = xasprintf("the signature header names MSP %s as "
		    "creator, but this signer signs for %s", m, sf_mspid);
		free(m);
		goto done;
	}
	if ((der = fcfg_cert_der(id->id_bytes.data, id->id_bytes.len,
	    &derlen)) == NULL || derlen != sf_derlen ||
	    memcmp(der, sf_der, derlen) != 0) {
		*reason = xasprintf("the signature header's creator is not this "
		    "signer's certificate: %s would sign for another identity "
		    "of %s", sf_mspid, sf_mspid);
		goto done;
	}
	ret = 0;
done:
	free(der);
	free(again);
	if (id != NULL)
		msp__serialized_identity__free_unpacked(id, NULL);
	if (sh != NULL)
		common__signature_header__free_unpacked(sh, NULL);
	return ret;
}

/* The context's topology, validated again here: normalized, or NULL. */
static json_t *
sf_topology(const json_t *t, char **reason)
{
	struct topo_diags d;
	json_t *copy, *doc;
	char *path, *msg;
	size_t i;

	if (!json_is_object(t)) {
		*reason = xstrdup("the context has no \"topology\" object");
		return NULL;
	}
	copy = json_deep_copy(t);
	topo_diags_init(&d);
	doc = topology_check(copy, &d);
	if (doc == NULL) {
		for (i = 0; i < d.n; i++)
			if (!d.v[i].warning)
				break;
		path = sf_safe_n(i < d.n ? d.v[i].path : "", 200);
		msg = sf_safe_n(i < d.n ? d.v[i].message :
		    "it does not validate", 200);
		*reason = xasprintf("the context's topology is not a valid "
		    "consortium document: %s%s%s", path,
		    path[0] != '\0' ? ": " : "", msg);
		free(path);
		free(msg);
	}
	topo_diags_free(&d);
	json_decref(copy);
	return doc;
}

/* Whether MSPID is a member of channel C or owns one of its consenters. */
static int
sf_in_channel(const json_t *c, const char *mspid)
{
	const json_t *j;
	const char *s;
	size_t i, n = strlen(mspid);

	json_array_foreach(json_object_get(c, "members"), i, j)
		if ((s = json_string_value(j)) != NULL && strcmp(s, mspid) == 0)
			return 1;
	json_array_foreach(json_object_get(c, "consenters"), i, j)
		if ((s = json_string_value(j)) != NULL &&
		    strncmp(s, mspid, n) == 0 && s[n] == '/')
			return 1;
	return 0;
}

/*
 * The context's "liveConfig", when there is one: standard base64 of a
 * marshalled Config of at most FUPD_MAX_UPDATE bytes. 0 with *live (NULL
 * when absent; fcfg_free), or -1 with *reason.
 */
static int
sf_live(const json_t *context, Common__Config **live, char **reason)
{
	const json_t *j = json_object_get(context, "liveConfig");
	const char *s;
	unsigned char *b;
	size_t len = 0, slen;
	char *cause = NULL;

	*live = NULL;
	if (j == NULL)
		return 0;
	if ((s = json_string_value(j)) == NULL ||
	    (slen = json_string_length(j)) == 0 ||
	    slen > b64_encoded_len(FUPD_MAX_UPDATE, 0) ||
	    (b = b64_decode(s, slen, 0, FUPD_MAX_UPDATE, &len)) == NULL) {
		*reason = xasprintf("the context's \"liveConfig\" is not "
		    "standard base64 of 1 to %d bytes", FUPD_MAX_UPDATE);
		return -1;
	}
	*live = fupd_decode_config(b, len, &cause);
	free(b);
	if (*live == NULL) {
		*reason = xasprintf("the context's \"liveConfig\" is not a "
		    "channel config: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/*
 * The checks shared by both kinds, once the creator is known to be this
 * signer: the update (UB, ULEN bytes) decodes, is for the context's
 * channel, the topology declares that channel with this org in it, and
 * fupd_check (fupd_check_live with the context's "liveConfig") accepts
 * the update against the desired config.
 */
static int
sf_update(const json_t *context, const char *channel, const uint8_t *ub,
    size_t ulen, char **reason)
{
	const json_t *orgs, *c = NULL, *j;
	const char *s;
	Common__ConfigUpdate *cu = NULL;
	Common__Config *desired = NULL, *live = NULL;
	json_t *topo = NULL;
	char *cause = NULL;
	size_t i;
	int ret = -1;

	if (sf_live(context, &live, reason) == -1)
		goto done;
	if ((cu = fupd_decode(ub, ulen, &cause)) == NULL) {
		*reason = xasprintf("%s", cause);
		goto done;
	}
	if (strcmp(cu->channel_id, channel) != 0) {
		char *m = sf_safe(cu->channel_id);

		*reason = xasprintf("the config update is for channel "
		    "\"%s\", but the request is for channel %s", m, channel);
		free(m);
		goto done;
	}
	if ((topo = sf_topology(json_object_get(context, "topology"),
	    reason)) == NULL)
		goto done;
	json_array_foreach(json_object_get(json_object_get(topo, "spec"),
	    "channels"), i, j)
		if ((s = json_string_value(json_object_get(j, "name"))) !=
		    NULL && strcmp(s, channel) == 0)
			c = j;
	if (c == NULL) {
		*reason = xasprintf("the topology declares no channel %s",
		    channel);
		goto done;
	}
	if (!sf_in_channel(c, sf_mspid)) {
		*reason = xasprintf("%s is neither a member of channel %s nor "
		    "the owner of one of its consenters in the topology",
		    sf_mspid, channel);
		goto done;
	}
	orgs = json_object_get(context, "orgs");
	if (!json_is_object(orgs)) {
		*reason = xstrdup("the context has no \"orgs\" object (the "
		    "orgs' published MSPs and endpoints)");
		goto done;
	}
	if ((desired = fupd_desired(topo, channel, orgs, &cause)) == NULL) {
		*reason = xasprintf("the desired config of channel %s cannot be "
		    "built: %s", channel, cause);
		goto done;
	}
	if (fupd_check_live(cu, desired, live, reason) == -1)
		goto done;
	ret = 0;
done:
	free(cause);
	fcfg_free(live);
	fcfg_free(desired);
	fupd_free(cu);
	json_decref(topo);
	return ret;
}

/*
 * The context's fields are among KNOWN (a NULL-terminated list) and it
 * names a channel: *channel (borrowed). Else -1 and *reason.
 */
static int
sf_context(const json_t *context, const char *const *known,
    const char **channel, char **reason)
{
	const char *field;
	json_t *v;
	size_t k;

	json_object_foreach((json_t *)context, field, v) {
		for (k = 0; known[k] != NULL; k++)
			if (strcmp(field, known[k]) == 0)
				break;
		if (known[k] == NULL) {
			char *m = sf_safe(field);

			*reason = xasprintf("unknown context field \"%s\" "
			    "(known: %s)", m, known[1] != NULL &&
			    strcmp(known[1], "headerLength") == 0 ?
			    "channel, headerLength, topology, orgs, "
			    "liveConfig" : "channel, topology, orgs, liveConfig");
			free(m);
			return -1;
		}
	}
	if ((*channel = json_string_value(json_object_get(context,
	    "channel"))) == NULL ||
	    topology_valid_channel_name(*channel) != 0) {
		*reason = xstrdup("the context needs \"channel\", a Fabric "
		    "channel name");
		return -1;
	}
	return 0;
}

int
signer_fabric_config_update(const json_t *context,
    const unsigned char *payload, size_t len, char **reason)
{
	static const char *const known[] = { "channel", "headerLength",
	    "topology", "orgs", "liveConfig", NULL };
	const json_t *jhl;
	const char *channel;
	json_int_t hl;

	*reason = NULL;
	if (sf_mspid == NULL) {
		*reason = xstrdup("this signer has no identity loaded for Fabric "
		    "config updates");
		return -1;
	}
	if (sf_context(context, known, &channel, reason) == -1)
		return -1;
	jhl = json_object_get(context, "headerLength");
	if (!json_is_integer(jhl) || (hl = json_integer_value(jhl)) < 1 ||
	    hl > FUPD_MAX_HEADER || (size_t)hl >= len) {
		*reason = xasprintf("the context needs \"headerLength\", the "
		    "signature header's size: 1 to %d and less than the "
		    "payload's %zu bytes", FUPD_MAX_HEADER, len);
		return -1;
	}
	if (sf_header(payload, (size_t)hl, reason) == -1)
		return -1;
	return sf_update(context, channel, payload + hl, len - (size_t)hl,
	    reason);
}

int
signer_fabric_config_submit(const json_t *context,
    const unsigned char *payload, size_t len, char **reason)
{
	static const char *const known[] = { "channel", "topology", "orgs",
	    "liveConfig", NULL };
	Common__Payload *pl = NULL;
	Common__ChannelHeader *chh = NULL;
	Common__ConfigUpdateEnvelope *cue = NULL;
	const char *channel;
	uint8_t *again = NULL;
	size_t alen;
	int ret = -1;

	*reason = NULL;
	if (sf_mspid == NULL) {
		*reason = xstrdup("this signer has no identity loaded for Fabric "
		    "config updates");
		goto done;
	}
	if (sf_context(context, known, &channel, reason) == -1)
		goto done;
	if (len > FUPD_MAX_ENVELOPE + FUPD_MAX_HEADER ||
	    (pl = common__payload__unpack(NULL, len, payload)) == NULL ||
	    pl->header == NULL) {
		*reason = xstrdup("the payload is not a Fabric Payload with a "
		    "header");
		goto done;
	}
	alen = protobuf_c_message_get_packed_size(&pl->base);
	again = xmalloc(alen + 1);
	(void)protobuf_c_message_pack(&pl->base, again);
	if (alen != len || memcmp(again, payload, len) != 0) {
		*reason = xstrdup("the payload is not in canonical form");
		goto done;
	}
	if ((chh = common__channel_header__unpack(NULL,
	    pl->header->channel_header.len,
	    pl->header->channel_header.data)) == NULL) {
		*reason = xstrdup("the payload's channel header does not decode");
		goto done;
	}
	if (chh->type != COMMON__HEADER_TYPE__CONFIG_UPDATE) {
		*reason = xasprintf("the payload is of header type %d, not "
		    "CONFIG_UPDATE (%d): this kind submits config updates only",
		    chh->type, COMMON__HEADER_TYPE__CONFIG_UPDATE);
		goto done;
	}
	if (strcmp(chh->channel_id, channel) != 0) {
		char *m = sf_safe(chh->channel_id);

		*reason = xasprintf("the envelope is for channel \"%s\", but "
		    "the request is for channel %s", m, channel);
		free(m);
		goto done;
	}
	if (sf_header(pl->header->signature_header.data,
	    pl->header->signature_header.len, reason) == -1)
		goto done;
	if ((cue = common__config_update_envelope__unpack(NULL, pl->data.len,
	    pl->data.data)) == NULL) {
		*reason = xstrdup("the payload's data is not a "
		    "ConfigUpdateEnvelope");
		goto done;
	}
	ret = sf_update(context, channel, cue->config_update.data,
	    cue->config_update.len, reason);
done:
	free(again);
	if (cue != NULL)
		common__config_update_envelope__free_unpacked(cue, NULL);
	if (chh != NULL)
		common__channel_header__free_unpacked(chh, NULL);
	if (pl != NULL)
		common__payload__free_unpacked(pl, NULL);
	return ret;
}
