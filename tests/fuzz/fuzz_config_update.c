/*
 * fuzz_config_update.c: config update decoding and checking on arbitrary
 * bytes (lib/fabric_update.c, member-agent/signer_fabric.c).
 *
 * The whole input is tried as
 *  - a ConfigUpdate (fupd_decode): what decodes packs back to the same
 *    bytes, and fupd_check against a small desired tree either accepts or
 *    refuses with a sentence; so does fupd_check_live against it and a
 *    small live tree, and it accepts whatever fupd_check accepts (the live
 *    check is never the stricter);
 *  - a Config (fupd_decode_config), outlined (fupd_live_outline) when it
 *    decodes;
 *  - a ConfigUpdateEnvelope (fupd_open): opened or refused with a cause;
 * and, after a 2-byte big-endian header length, as the signer's payload
 * (signature_header || config_update) under the "fabric.config-update"
 * check. So that the check gets past the creator test, the signer takes the
 * identity the header names when that is a certificate. Everything
 * returned is freed, so a leak is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/common.pb-c.h"
#include "common/configtx.pb-c.h"
#include "msp/identities.pb-c.h"

#include "fabric_config.h"
#include "fabric_update.h"
#include "signer.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char topo_json[] =
    "{\"apiVersion\":\"fabfed.io/v1alpha1\",\"kind\":\"Consortium\","
    "\"metadata\":{\"name\":\"fuzz\"},\"spec\":{\"orgs\":["
    "{\"mspId\":\"Org1MSP\",\"domain\":\"org1.example.com\","
    "\"cluster\":{\"name\":\"c1\",\"region\":\"r1\"},"
    "\"peers\":[{\"name\":\"peer0\",\"endpoint\":\"peer0.org1.example.com:7051\","
    "\"anchor\":true}],\"orderers\":[{\"name\":\"orderer0\","
    "\"endpoint\":\"orderer0.org1.example.com:7050\"}]}],"
    "\"channels\":[{\"name\":\"trade\",\"consenters\":[\"Org1MSP/orderer0\"],"
    "\"members\":[\"Org1MSP\"]}]}}";

static Common__Config *desired, *live;
static json_t *context;

static Common__ConfigGroup *
grp(void)
{
	Common__ConfigGroup *g = xcalloc(1, sizeof(*g));

	common__config_group__init(g);
	g->mod_policy = xstrdup("Admins");
	return g;
}

static void
add_grp(Common__ConfigGroup *g, const char *key, Common__ConfigGroup *sub)
{
	Common__ConfigGroup__GroupsEntry *e = xcalloc(1, sizeof(*e));

	common__config_group__groups_entry__init(e);
	e->key = xstrdup(key);
	e->value = sub;
	g->groups = xreallocarray(g->groups, g->n_groups + 1, sizeof(e));
	g->groups[g->n_groups++] = e;
}

static void
add_val(Common__ConfigGroup *g, const char *key, const char *bytes)
{
	Common__ConfigGroup__ValuesEntry *e = xcalloc(1, sizeof(*e));
	Common__ConfigValue *v = xcalloc(1, sizeof(*v));

	common__config_value__init(v);
	v->value.len = strlen(bytes);
	v->value.data = (uint8_t *)xstrdup(bytes);
	v->mod_policy = xstrdup("Admins");
	common__config_group__values_entry__init(e);
	e->key = xstrdup(key);
	e->value = v;
	g->values = xreallocarray(g->values, g->n_values + 1, sizeof(e));
	g->values[g->n_values++] = e;
}

static void
add_pol(Common__ConfigGroup *g, const char *key, int type)
{
	Common__ConfigGroup__PoliciesEntry *e = xcalloc(1, sizeof(*e));
	Common__ConfigPolicy *cp = xcalloc(1, sizeof(*cp));
	Common__Policy *p = xcalloc(1, sizeof(*p));

	common__policy__init(p);
	p->type = type;
	p->value.len = 2;
	p->value.data = (uint8_t *)xstrdup("\x08\x01");
	common__config_policy__init(cp);
	cp->policy = p;
	cp->mod_policy = xstrdup("Admins");
	common__config_group__policies_entry__init(e);
	e->key = xstrdup(key);
	e->value = cp;
	g->policies = xreallocarray(g->policies, g->n_policies + 1, sizeof(e));
	g->policies[g->n_policies++] = e;
}

/* Channel{Application{Org1MSP{MSP, AnchorPeers}}, Orderer{BatchSize}}. */
static void
init(void)
{
	Common__ConfigGroup *ch = grp(), *app = grp(), *org = grp(), *ord = grp();

	desired = xcalloc(1, sizeof(*desired));
	common__config__init(desired);
	add_val(org, "MSP", "msp");
	add_val(org, "AnchorPeers", "anchors");
	add_pol(org, "Admins", 1);
	add_pol(org, "Readers", 1);
	add_grp(app, "Org1MSP", org);
	add_pol(app, "Admins", 3);
	add_val(ord, "BatchSize", "batch");
	add_pol(ord, "Admins", 3);
	add_grp(ch, "Application", app);
	add_grp(ch, "Orderer", ord);
	add_val(ch, "HashingAlgorithm", "sha");
	desired->channel_group = ch;

	/* Live: Channel{Application{Org1MSP{MSP}, Org2MSP{MSP}}, Orderer}. */
	ch = grp();
	app = grp();
	ord = grp();
	live = xcalloc(1, sizeof(*live));
	common__config__init(live);
	org = grp();
	add_val(org, "MSP", "msp");
	add_grp(app, "Org1MSP", org);
	org = grp();
	add_val(org, "MSP", "msp2");
	add_grp(app, "Org2MSP", org);
	add_pol(app, "Admins", 3);
	add_val(ord, "BatchSize", "old");
	add_grp(ch, "Application", app);
	add_grp(ch, "Orderer", ord);
	live->channel_group = ch;
	context = json_pack("{s:s, s:i, s:o, s:{}}", "channel", "trade",
	    "headerLength", 1, "topology", json_loads(topo_json, 0, NULL),
	    "orgs");
	if (context == NULL || json_object_get(context, "topology") == NULL)
		abort();
}

/* The creator of a SignatureHeader of LEN bytes, made this signer's. */
static void
adopt_creator(const uint8_t *b, size_t len)
{
	Common__SignatureHeader *sh;
	Msp__SerializedIdentity *id;
	char *pem;

	if ((sh = common__signature_header__unpack(NULL, len, b)) == NULL)
		return;
	id = msp__serialized_identity__unpack(NULL, sh->creator.len,
	    sh->creator.data);
	if (id != NULL && id->id_bytes.len > 0 &&
	    id->id_bytes.len <= FCFG_MAX_CERT_BYTES) {
		pem = xstrndup((const char *)id->id_bytes.data,
		    id->id_bytes.len);
		(void)signer_fabric_init(id->mspid, pem);
		free(pem);
	}
	if (id != NULL)
		msp__serialized_identity__free_unpacked(id, NULL);
	common__signature_header__free_unpacked(sh, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Common__ConfigUpdate *cu;
	Common__Config *cfg;
	struct fupd_opened op;
	uint8_t *again;
	size_t alen, hl;
	char *cause = NULL, *reason = NULL;
	int r, rl;

	if (desired == NULL)
		init();

	if ((cu = fupd_decode(data, size, &cause)) != NULL) {
		if (cause != NULL)
			abort();
		again = fupd_pack(cu, &alen);
		if (alen != size || (size > 0 && memcmp(again, data, size) != 0))
			abort();
		free(again);
		r = fupd_check(cu, desired, &reason);
		if ((r == 0) != (reason == NULL) || (r != 0 && r != -1))
			abort();
		free(reason);
		reason = NULL;
		rl = fupd_check_live(cu, desired, live, &reason);
		if ((rl == 0) != (reason == NULL) || (rl != 0 && rl != -1) ||
		    (r == 0 && rl != 0))
			abort();
		free(reason);
		reason = NULL;
		fupd_free(cu);
	} else if (cause == NULL)
		abort();
	free(cause);
	cause = NULL;

	if ((cfg = fupd_decode_config(data, size, &cause)) != NULL) {
		if (cause != NULL || cfg->channel_group == NULL)
			abort();
		free(fupd_live_outline(cfg, &alen));
		fcfg_free(cfg);
	} else if (cause == NULL)
		abort();
	free(cause);
	cause = NULL;

	if (fupd_open(data, size, FUPD_MAX_ENVELOPE, &op, &cause) == 0) {
		if (cause != NULL || op.update == NULL)
			abort();
		fupd_opened_clear(&op);
	} else if (cause == NULL || op.update != NULL)
		abort();
	free(cause);

	if (size >= 3) {
		hl = (size_t)data[0] << 8 | data[1];
		if (hl > 0 && hl < size - 2)
			adopt_creator(data + 2, hl);
		json_object_set_new(context, "headerLength",
		    json_integer((json_int_t)hl));
		r = signer_fabric_config_update(context, data + 2, size - 2,
		    &reason);
		if (r == 0 || reason == NULL)
			abort();	/* orgs is empty: never signable */
		/* The reason must travel as JSON: valid UTF-8. */
		{
			json_t *j = json_string(reason);

			if (j == NULL)
				abort();
			json_decref(j);
		}
		free(reason);
	}
	return 0;
}
