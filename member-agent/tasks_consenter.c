/*
 * tasks_consenter.c: the agent's side of adding and removing a channel's
 * consenters (docs/workflows.md, "Adding and removing consenters";
 * docs/agent-tasks.md):
 *
 *   tasks_consenter_config   the config an add-consenter or
 *                            remove-consenter update aims at: the live
 *                            config with Orderer/ConsensusType as the
 *                            document declares it but with the live
 *                            consenters plus or minus the one of the
 *                            change, and the owner's Orderer/<msp>
 *                            group added, its Endpoints changed by that
 *                            consenter's address, or removed; nothing
 *                            else. Raft takes one consenter change per
 *                            config update: a document declaring several
 *                            gets them in as many updates, one after the
 *                            other
 *   tasks_consenter_applied  update-submit's check that such an update is
 *                            in the live config (read from its write set)
 *   tasks_join_from_channel  join-orderer with "blockFrom": "channel": the
 *                            channel's newest config block, fetched from
 *                            another of its orderers, checked to name the
 *                            node a consenter (its TLS certificate), handed
 *                            to the node's channel participation API
 *   tasks_leave_orderer      leave-orderer: part_remove on an orderer that
 *                            is no longer a consenter of the channel
 *
 * Under the manifests and kubernetes runtimes the join and the leave are
 * written to OUT/channels/<channel>/ as scripts ("rendered").
 *
 * Consenters are compared as Fabric's etcdraft compares them: host, port
 * and the client and server TLS certificates (their bytes).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "common/configuration.pb-c.h"
#include "orderer/configuration.pb-c.h"
#include "orderer/etcdraft/configuration.pb-c.h"

#include "fabric_config.h"
#include "fabric_decode.h"
#include "fabric_ops.h"
#include "fabric_tx.h"
#include "fabric_update.h"
#include "k8s.h"
#include "participation.h"
#include "runtime.h"
#include "tasks.h"
#include "tasks_int.h"
#include "topology.h"
#include "xmalloc.h"

#define TASKS_MAX_NODE_CERT	(64 * 1024)	/* a node's TLS certificate file */

static const char *
rt_name(const struct tasks_env *env)
{
	return env->rt != NULL ? env->rt->ops->name : "(none)";
}

static const char *
str0(const char *s)
{
	return s != NULL ? s : "";
}

int
tasks_ref_ok(const char *s)
{
	const char *slash;
	size_t i;

	if (s == NULL || (slash = strchr(s, '/')) == NULL || slash == s ||
	    slash[1] == '\0' || strchr(slash + 1, '/') != NULL ||
	    strlen(s) > TASKS_MAX_REF)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] == 0x7f)
			return 0;
	return 1;
}

json_t *
tasks_orderers_check(const json_t *task, const json_t **out)
{
	const json_t *list, *v, *w;
	size_t i, j, n;

	*out = NULL;
	if ((list = json_object_get(task, "orderers")) == NULL)
		return NULL;
	if (!json_is_array(list) || (n = json_array_size(list)) == 0 ||
	    n > TASKS_MAX_ORDERERS)
		return tasks_result(TASKS_FAILED, NULL, "the task's orderers must "
		    "be an array of 1 to %d \"MSP/node\" strings",
		    TASKS_MAX_ORDERERS);
	json_array_foreach(list, i, v) {
		if (!json_is_string(v) || strlen(json_string_value(v)) !=
		    json_string_length(v) || !tasks_ref_ok(json_string_value(v)))
			return tasks_result(TASKS_FAILED, NULL, "orderers[%zu] is "
			    "not an \"MSP/node\" reference (printable, at most %d "
			    "characters)", i, TASKS_MAX_REF);
		for (j = 0; j < i; j++) {
			w = json_array_get(list, j);
			if (strcmp(json_string_value(v), json_string_value(w)) == 0)
				return tasks_result(TASKS_FAILED, NULL,
				    "orderers[%zu] is orderers[%zu] again", i, j);
		}
	}
	*out = list;
	return NULL;
}

int
tasks_consenter_declared(const json_t *spec, const char *channel,
    enum tasks_org_change op, const char *ref, char **cause)
{
	const json_t *chan = tasks_chan_find(spec, channel);
	int listed;

	if (chan == NULL) {
		*cause = xasprintf("channel \"%s\" is not declared in the "
		    "consortium", channel);
		return -1;
	}
	listed = tasks_list_has(json_object_get(chan, "consenters"), ref);
	if (op == TASKS_ADD_CONSENTER && !listed) {
		*cause = xasprintf("the consortium does not declare %s a "
		    "consenter of channel %s: adding it is not what the "
		    "document asks", ref, channel);
		return -1;
	}
	if (op == TASKS_REMOVE_CONSENTER && listed) {
		*cause = xasprintf("the consortium still declares %s a "
		    "consenter of channel %s: removing it is not what the "
		    "document asks", ref, channel);
		return -1;
	}
	return 0;
}

/* The etcdraft metadata in an Orderer/ConsensusType value. */
static Etcdraft__ConfigMetadata *
raft_of_value(const Common__ConfigValue *v, char **cause)
{
	Orderer__ConsensusType *ct;
	Etcdraft__ConfigMetadata *md;

	if ((ct = orderer__consensus_type__unpack(NULL, v->value.len,
	    v->value.data)) == NULL) {
		*cause = xstrdup("Orderer/ConsensusType does not decode");
		return NULL;
	}
	if (ct->type == NULL || strcmp(ct->type, "etcdraft") != 0) {
		char *m = fupd_safe(ct->type);

		*cause = xasprintf("the channel's consensus type is \"%s\", not "
		    "etcdraft: its consenters are not Raft's", m);
		free(m);
		orderer__consensus_type__free_unpacked(ct, NULL);
		return NULL;
	}
	md = etcdraft__config_metadata__unpack(NULL, ct->metadata.len,
	    ct->metadata.data);
	orderer__consensus_type__free_unpacked(ct, NULL);
	if (md == NULL)
		*cause = xstrdup("the etcdraft metadata of Orderer/ConsensusType "
		    "does not decode");
	return md;
}

static Common__ConfigGroup *
orderer_group(const Common__Config *c)
{
	return c != NULL && c->channel_group != NULL ?
	    fcfg_group(c->channel_group, "Orderer") : NULL;
}

Etcdraft__ConfigMetadata *
tasks_raft_metadata(const Common__Config *c, char **cause)
{
	Common__ConfigValue *v;
	Common__ConfigGroup *og;

	if ((og = orderer_group(c)) == NULL ||
	    (v = fcfg_value(og, "ConsensusType")) == NULL) {
		*cause = xstrdup("the config has no Orderer/ConsensusType");
		return NULL;
	}
	return raft_of_value(v, cause);
}

static int
bin_eq(ProtobufCBinaryData a, ProtobufCBinaryData b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data,
	    a.len) == 0);
}

static int
consenter_eq(const Etcdraft__Consenter *a, const Etcdraft__Consenter *b)
{
	return strcmp(str0(a->host), str0(b->host)) == 0 && a->port == b->port &&
	    bin_eq(a->client_tls_cert, b->client_tls_cert) &&
	    bin_eq(a->server_tls_cert, b->server_tls_cert);
}

static int
raft_has(const Etcdraft__ConfigMetadata *md, const Etcdraft__Consenter *c)
{
	size_t i;

	for (i = 0; i < md->n_consenters; i++)
		if (consenter_eq(md->consenters[i], c))
			return 1;
	return 0;
}

/* Appends "host:port" (", " between) to *list. */
static void
list_consenter(char **list, const Etcdraft__Consenter *c)
{
	char *h = fupd_safe(c->host);
	char *s = xasprintf("%s%s%s:%u", *list != NULL ? *list : "",
	    *list != NULL ? ", " : "", h, (unsigned)c->port);

	free(h);
	free(*list);
	*list = s;
}

/*
 * The consenters of TO not in FROM (*adds) and of FROM not in TO
 * (*drops), as "host:port" lists (caller frees; NULL for none). Returns
 * how many differ.
 */
static size_t
raft_diff(const Etcdraft__ConfigMetadata *from,
    const Etcdraft__ConfigMetadata *to, char **adds, char **drops)
{
	size_t i, n = 0;

	*adds = *drops = NULL;
	for (i = 0; i < to->n_consenters; i++)
		if (!raft_has(from, to->consenters[i])) {
			list_consenter(adds, to->consenters[i]);
			n++;
		}
	for (i = 0; i < from->n_consenters; i++)
		if (!raft_has(to, from->consenters[i])) {
			list_consenter(drops, from->consenters[i]);
			n++;
		}
	return n;
}

/*
 * The consenter REF as fcfg_build makes it from SPEC and ORGS (with REF
 * put among CHANNEL's consenters when the document no longer lists it):
 * a copy (etcdraft__consenter__free_unpacked), or NULL with *cause.
 */
static Etcdraft__Consenter *
declared_consenter(const json_t *spec, const json_t *orgs, const char *channel,
    const char *ref, char **cause)
{
	json_t *copy = json_deep_copy(spec), *list;
	const json_t *v;
	Common__Config *cfg = NULL;
	Etcdraft__ConfigMetadata *md = NULL;
	Etcdraft__Consenter *out = NULL;
	size_t i, idx;

	list = json_object_get(tasks_chan_find(copy, channel), "consenters");
	if (!json_is_array(list)) {
		*cause = xasprintf("channel %s declares no consenters", channel);
		goto done;
	}
	idx = json_array_size(list);
	json_array_foreach(list, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), ref) == 0)
			idx = i;
	if (idx == json_array_size(list))
		json_array_append_new(list, json_string(ref));
	if ((cfg = fcfg_build(copy, channel, orgs, cause)) == NULL ||
	    (md = tasks_raft_metadata(cfg, cause)) == NULL)
		goto done;
	if (idx >= md->n_consenters) {
		*cause = xasprintf("the declared config of %s has no consenter "
		    "%s", channel, ref);
		goto done;
	}
	out = fcfg_msg_copy(&md->consenters[idx]->base);
	if (out == NULL)
		*cause = xasprintf("cannot copy consenter %s", ref);
done:
	if (md != NULL)
		etcdraft__config_metadata__free_unpacked(md, NULL);
	fcfg_free(cfg);
	json_decref(copy);
	return out;
}

/* "host:port" of consenter C, IPv6 hosts in brackets. Caller frees. */
static char *
consenter_addr(const Etcdraft__Consenter *c)
{
	return xasprintf(strchr(str0(c->host), ':') != NULL ? "[%s]:%u" :
	    "%s:%u", str0(c->host), (unsigned)c->port);
}

/*
 * The ConsensusType value of WANT (the declared config) with the
 * consenters CONS (N of them): type, state and Raft options as declared.
 * A value the caller frees (common__config_value__free_unpacked), or NULL.
 */
static Common__ConfigValue *
consensus_with(const Common__ConfigValue *dv, Etcdraft__Consenter **cons,
    size_t n)
{
	Orderer__ConsensusType *ct = NULL;
	Etcdraft__ConfigMetadata *md = NULL, m;
	Common__ConfigValue v, *out = NULL;
	uint8_t *mb = NULL, *cb = NULL;
	ProtobufCBinaryData keep;
	size_t len;

	if (dv == NULL || (ct = orderer__consensus_type__unpack(NULL,
	    dv->value.len, dv->value.data)) == NULL ||
	    (md = etcdraft__config_metadata__unpack(NULL, ct->metadata.len,
	    ct->metadata.data)) == NULL)
		goto done;
	m = *md;
	m.n_consenters = n;
	m.consenters = cons;
	len = protobuf_c_message_get_packed_size(&m.base);
	mb = xmalloc(len + 1);
	(void)protobuf_c_message_pack(&m.base, mb);
	keep = ct->metadata;
	ct->metadata.data = mb;
	ct->metadata.len = len;
	len = protobuf_c_message_get_packed_size(&ct->base);
	cb = xmalloc(len + 1);
	(void)protobuf_c_message_pack(&ct->base, cb);
	ct->metadata = keep;
	v = *dv;
	v.value.data = cb;
	v.value.len = len;
	out = fcfg_msg_copy(&v.base);
done:
	free(mb);
	free(cb);
	if (md != NULL)
		etcdraft__config_metadata__free_unpacked(md, NULL);
	if (ct != NULL)
		orderer__consensus_type__free_unpacked(ct, NULL);
	return out;
}

/*
 * An Endpoints value like DV (its mod_policy) listing the addresses of
 * LV (may be NULL) with ADDR added (ADD) or taken out, those DV lists in
 * its order first. *left gets how many it lists. Caller frees
 * (common__config_value__free_unpacked), or NULL.
 */
static Common__ConfigValue *
endpoints_with(const Common__ConfigValue *dv, const Common__ConfigValue *lv,
    const char *addr, int add, size_t *left)
{
	Common__OrdererAddresses *la = NULL, *da = NULL;
	Common__OrdererAddresses a = COMMON__ORDERER_ADDRESSES__INIT;
	Common__ConfigValue v, *out = NULL;
	uint8_t *b = NULL, *used = NULL;
	char **sel;
	size_t i, j, n = 0, ns = 0, len;
	int there = 0;

	if ((lv != NULL && (la = common__orderer_addresses__unpack(NULL,
	    lv->value.len, lv->value.data)) == NULL) ||
	    (dv != NULL && (da = common__orderer_addresses__unpack(NULL,
	    dv->value.len, dv->value.data)) == NULL)) {
		if (la != NULL)
			common__orderer_addresses__free_unpacked(la, NULL);
		return NULL;
	}
	sel = xcalloc((la != NULL ? la->n_addresses : 0) + 1, sizeof(*sel));
	for (i = 0; la != NULL && i < la->n_addresses; i++) {
		if (strcmp(str0(la->addresses[i]), addr) == 0) {
			there = 1;
			if (!add)
				continue;
		}
		sel[ns++] = la->addresses[i];
	}
	if (add && !there)
		sel[ns++] = (char *)addr;
	used = xcalloc(ns + 1, 1);
	a.addresses = xcalloc(ns + 1, sizeof(*a.addresses));
	for (i = 0; da != NULL && i < da->n_addresses; i++)
		for (j = 0; j < ns; j++)
			if (!used[j] && strcmp(str0(sel[j]),
			    str0(da->addresses[i])) == 0) {
				used[j] = 1;
				a.addresses[n++] = sel[j];
				break;
			}
	for (j = 0; j < ns; j++)
		if (!used[j])
			a.addresses[n++] = sel[j];
	a.n_addresses = n;
	*left = n;
	len = protobuf_c_message_get_packed_size(&a.base);
	b = xmalloc(len + 1);
	(void)protobuf_c_message_pack(&a.base, b);
	common__config_value__init(&v);
	v.mod_policy = dv != NULL ? dv->mod_policy : lv != NULL ?
	    lv->mod_policy : (char *)"Admins";
	v.value.data = b;
	v.value.len = len;
	out = fcfg_msg_copy(&v.base);
	free(b);
	free(a.addresses);
	free(sel);
	free(used);
	if (la != NULL)
		common__orderer_addresses__free_unpacked(la, NULL);
	if (da != NULL)
		common__orderer_addresses__free_unpacked(da, NULL);
	return out;
}

int
tasks_consenter_config(const Common__Config *live, const json_t *spec,
    const json_t *orgs, const char *channel, enum tasks_org_change op,
    const char *ref, Common__Config **out, char **cause)
{
	Common__Config *copy = NULL, *want = NULL;
	Common__ConfigGroup *og, *wog, *wg, *g, *ng = NULL;
	Common__ConfigValue *ct = NULL, *ep = NULL;
	Etcdraft__ConfigMetadata *lmd = NULL, *dmd = NULL;
	Etcdraft__Consenter *x = NULL, **cons = NULL, **sel = NULL;
	const Etcdraft__Consenter *which = NULL;
	char *msp = NULL, *xcause = NULL, *adds = NULL, *drops = NULL,
	    *err = NULL, *addr = NULL;
	uint8_t *used = NULL;
	size_t i, j, n = 0, ns = 0, left = 0;
	int ret = -1, add = op == TASKS_ADD_CONSENTER;

	*out = NULL;
	if (!tasks_change_is_consenter(op) || !tasks_ref_ok(ref)) {
		*cause = xstrdup("not a consenter change (\"MSP/node\")");
		return -1;
	}
	if (tasks_consenter_declared(spec, channel, op, ref, cause) != 0)
		return -1;
	msp = xstrndup(ref, (size_t)(strchr(ref, '/') - ref));
	if ((want = fcfg_build(spec, channel, orgs, &err)) == NULL) {
		*cause = xasprintf("the declared config of %s: %s", channel, err);
		goto done;
	}
	if ((lmd = tasks_raft_metadata(live, &err)) == NULL) {
		*cause = xasprintf("the live config of %s: %s", channel, err);
		goto done;
	}
	if ((dmd = tasks_raft_metadata(want, &err)) == NULL) {
		*cause = xasprintf("the declared config of %s: %s", channel, err);
		goto done;
	}
	/* Which live consenter REF is: for a removal, the document may no
	 * longer let it be built (its org gone); then it is the one live
	 * consenter the document drops. */
	if ((x = declared_consenter(spec, orgs, channel, ref, &xcause)) == NULL &&
	    add) {
		*cause = xcause;
		xcause = NULL;
		goto done;
	}
	if (x != NULL && raft_has(lmd, x) == add) {
		ret = 1;	/* in / gone already */
		goto done;
	}
	if (add && !raft_has(dmd, x)) {
		*cause = xasprintf("the document does not add consenter %s to "
		    "%s", ref, channel);
		goto done;
	}
	if (!add && x != NULL && raft_has(dmd, x)) {
		*cause = xasprintf("the document still declares consenter %s "
		    "of %s", ref, channel);
		goto done;
	}
	if (!add && x == NULL) {
		if (raft_diff(lmd, dmd, &adds, &drops) == 0 || drops == NULL) {
			ret = 1;
			goto done;
		}
		for (i = 0; i < lmd->n_consenters; i++)
			if (!raft_has(dmd, lmd->consenters[i])) {
				if (which != NULL) {
					*cause = xasprintf("consenter %s can no "
					    "longer be built from the document "
					    "and it removes several consenters "
					    "of %s (%s): which one is %s cannot "
					    "be told", ref, channel, drops, ref);
					goto done;
				}
				which = lmd->consenters[i];
			}
	} else
		which = x;

	/* The consenters: the live ones with only REF's change (Raft takes
	 * one per update; other declared changes come in later updates),
	 * those the document declares in its order first, so that the last
	 * change makes the value the document's. */
	sel = xcalloc(lmd->n_consenters + 1, sizeof(*sel));
	for (i = 0; i < lmd->n_consenters; i++)
		if (add || !consenter_eq(lmd->consenters[i], which))
			sel[ns++] = lmd->consenters[i];
	if (add)
		sel[ns++] = x;
	used = xcalloc(ns + 1, 1);
	cons = xcalloc(ns + 1, sizeof(*cons));
	for (i = 0; i < dmd->n_consenters; i++)
		for (j = 0; j < ns; j++)
			if (!used[j] && consenter_eq(sel[j], dmd->consenters[i])) {
				used[j] = 1;
				cons[n++] = sel[j];
				break;
			}
	for (j = 0; j < ns; j++)
		if (!used[j])
			cons[n++] = sel[j];
	wog = orderer_group(want);
	copy = fcfg_msg_copy(&live->base);
	if (copy == NULL || (og = orderer_group(copy)) == NULL || wog == NULL ||
	    (ct = consensus_with(fcfg_value(wog, "ConsensusType"), cons,
	    n)) == NULL) {
		*cause = xasprintf("cannot make the orderer config of channel %s",
		    channel);
		goto done;
	}
	if (fcfg_set_value(og, "ConsensusType", ct) != 0)
		goto nocopy;

	/* The owner's group: its Endpoints with only REF's address changed;
	 * added whole (as declared) when new, dropped when it has no
	 * consenter left and the document no longer declares it. */
	addr = consenter_addr(which);
	wg = fcfg_group(wog, msp);
	g = fcfg_group(og, msp);
	if (add && wg == NULL) {
		*cause = xasprintf("the declared config of %s has no orderer "
		    "org %s", channel, msp);
		goto done;
	}
	if (g == NULL && add) {
		if ((ng = fcfg_msg_copy(&wg->base)) == NULL ||
		    (ep = endpoints_with(fcfg_value(wg, "Endpoints"), NULL,
		    addr, 1, &left)) == NULL ||
		    fcfg_set_value(ng, "Endpoints", ep) != 0 ||
		    fcfg_set_group(og, msp, ng) != 0)
			goto nocopy;
	} else if (g != NULL) {
		if ((ep = endpoints_with(wg != NULL ? fcfg_value(wg,
		    "Endpoints") : NULL, fcfg_value(g, "Endpoints"), addr, add,
		    &left)) == NULL)
			goto nocopy;
		if (!add && left == 0 && wg == NULL)
			(void)fcfg_set_group(og, msp, NULL);
		else if (fcfg_set_value(g, "Endpoints", ep) != 0)
			goto nocopy;
	}
	*out = copy;
	copy = NULL;
	ret = 0;
	goto done;
nocopy:
	*cause = xasprintf("cannot copy the declared orderer config of %s",
	    msp);
done:
	if (lmd != NULL)
		etcdraft__config_metadata__free_unpacked(lmd, NULL);
	if (dmd != NULL)
		etcdraft__config_metadata__free_unpacked(dmd, NULL);
	if (x != NULL)
		etcdraft__consenter__free_unpacked(x, NULL);
	if (ct != NULL)
		common__config_value__free_unpacked(ct, NULL);
	if (ep != NULL)
		common__config_value__free_unpacked(ep, NULL);
	if (ng != NULL)
		common__config_group__free_unpacked(ng, NULL);
	free(cons);
	free(sel);
	free(used);
	fcfg_free(copy);
	fcfg_free(want);
	free(msp);
	free(xcause);
	free(adds);
	free(drops);
	free(err);
	free(addr);
	return ret;
}

/* Appends ", KEY" (or "KEY" first) to *list. */
static void
list_key(char **list, const char *key)
{
	char *k = fupd_safe(key);
	char *s = xasprintf("%s%s%s", *list != NULL ? *list : "",
	    *list != NULL ? ", " : "", k);

	free(k);
	free(*list);
	*list = s;
}

int
tasks_consenter_applied(const Common__ConfigUpdate *u,
    const Common__Config *live, char **what, char **cause)
{
	const Common__ConfigGroup *ws = u->write_set, *rs = u->read_set;
	const Common__ConfigGroup *wo, *ro, *lo, *wg, *lg;
	const Common__ConfigValue *v, *lv;
	Etcdraft__ConfigMetadata *wmd = NULL, *lmd = NULL;
	char *adds = NULL, *drops = NULL, *oadds = NULL, *odrops = NULL,
	    *eps = NULL, *err = NULL;
	size_t i;
	int ret = -1;

	if (what != NULL)
		*what = NULL;
	wo = ws != NULL ? fcfg_group(ws, "Orderer") : NULL;
	ro = rs != NULL ? fcfg_group(rs, "Orderer") : NULL;
	v = wo != NULL ? fcfg_value(wo, "ConsensusType") : NULL;
	/* Only Channel/Orderer changes, and its ConsensusType is written. */
	if (wo == NULL || ro == NULL || ws->n_groups != 1 ||
	    ws->n_values != 0 || ws->n_policies != 0 ||
	    ws->version != rs->version || v == NULL || v->value.len == 0) {
		if (cause != NULL)
			*cause = xasprintf("the update of channel %s writes "
			    "Channel/Orderer without its ConsensusType, or more "
			    "than Channel/Orderer: update-submit carries add-org, "
			    "remove-org, add-consenter and remove-consenter "
			    "updates only", u->channel_id != NULL ?
			    u->channel_id : "(none)");
		return -1;
	}
	if ((wmd = raft_of_value(v, &err)) == NULL ||
	    (lo = orderer_group(live)) == NULL ||
	    (lmd = tasks_raft_metadata(live, &err)) == NULL) {
		if (cause != NULL)
			*cause = xasprintf("%s", err != NULL ? err : "the channel's "
			    "config has no Orderer group");
		goto done;
	}
	(void)raft_diff(lmd, wmd, &adds, &drops);
	/* The orderer orgs, when the update changes which there are. */
	if (wo->version != ro->version) {
		for (i = 0; i < wo->n_groups; i++)
			if (fcfg_group(lo, wo->groups[i]->key) == NULL)
				list_key(&oadds, wo->groups[i]->key);
		for (i = 0; i < lo->n_groups; i++)
			if (fcfg_group(wo, lo->groups[i]->key) == NULL)
				list_key(&odrops, lo->groups[i]->key);
	}
	/* Endpoints the update writes. */
	for (i = 0; i < wo->n_groups; i++) {
		wg = wo->groups[i]->value;
		if ((v = fcfg_value(wg, "Endpoints")) == NULL ||
		    v->value.len == 0)
			continue;
		lg = fcfg_group(lo, wo->groups[i]->key);
		lv = lg != NULL ? fcfg_value(lg, "Endpoints") : NULL;
		if (lv == NULL || !bin_eq(lv->value, v->value))
			list_key(&eps, wo->groups[i]->key);
	}
	if (adds == NULL && drops == NULL && oadds == NULL && odrops == NULL &&
	    eps == NULL) {
		ret = 1;
		goto done;
	}
	if (what != NULL) {
		const char *pre[5] = { "adds consenter ", "removes consenter ",
		    "adds orderer org ", "removes orderer org ",
		    "sets the orderer endpoints of " };
		const char *val[5] = { adds, drops, oadds, odrops, eps };
		char *w = NULL, *w2;

		for (i = 0; i < 5; i++) {
			if (val[i] == NULL)
				continue;
			w2 = xasprintf("%s%s%s%s", w != NULL ? w : "",
			    w != NULL ? ", " : "", pre[i], val[i]);
			free(w);
			w = w2;
		}
		*what = w;
	}
	ret = 0;
done:
	if (wmd != NULL)
		etcdraft__config_metadata__free_unpacked(wmd, NULL);
	if (lmd != NULL)
		etcdraft__config_metadata__free_unpacked(lmd, NULL);
	free(adds);
	free(drops);
	free(oadds);
	free(odrops);
	free(eps);
	free(err);
	return ret;
}

/* ---- join-orderer from the channel, leave-orderer ---- */

/* This org's orderer NODE's TLS certificate (its PKI's tls/server.crt) as
 * DER: caller frees; NULL with *cause. */
static uint8_t *
node_tls_der(const struct tasks_env *env, const char *node, size_t *dlen,
    char **cause)
{
	char *path, *buf;
	uint8_t *der = NULL;
	size_t n;
	FILE *fp;

	path = xasprintf("%s/orderers/%s.%s/tls/server.crt", env->pkidir, node,
	    env->domain);
	if ((fp = fopen(path, "r")) == NULL) {
		*cause = xasprintf("the TLS certificate of %s, %s: %s", node, path,
		    strerror(errno));
		free(path);
		return NULL;
	}
	buf = xmalloc(TASKS_MAX_NODE_CERT);
	n = fread(buf, 1, TASKS_MAX_NODE_CERT, fp);
	fclose(fp);
	if (n == 0 || n == TASKS_MAX_NODE_CERT ||
	    (der = fcfg_cert_der(buf, n, dlen)) == NULL)
		*cause = xasprintf("the TLS certificate of %s, %s, is empty, too "
		    "large or not a PEM certificate", node, path);
	free(buf);
	free(path);
	return der;
}

/* The index of the consenter of MD whose server or client TLS certificate
 * is DER, or -1. */
static long
raft_find_cert(const Etcdraft__ConfigMetadata *md, const uint8_t *der,
    size_t dlen)
{
	const ProtobufCBinaryData *certs[2];
	uint8_t *d;
	size_t i, k, l;
	int eq;

	for (i = 0; i < md->n_consenters; i++) {
		certs[0] = &md->consenters[i]->server_tls_cert;
		certs[1] = &md->consenters[i]->client_tls_cert;
		for (k = 0; k < 2; k++) {
			l = 0;
			if ((d = fcfg_cert_der(certs[k]->data, certs[k]->len,
			    &l)) == NULL)
				continue;
			eq = l == dlen && memcmp(d, der, dlen) == 0;
			free(d);
			if (eq)
				return (long)i;
		}
	}
	return -1;
}

/*
 * The newest config block of the channel from O, checked: a CONFIG block
 * of the task's channel whose etcdraft consenters include the node (DER,
 * its TLS certificate). 0 with *blk (caller frees), *blen and *number; 1
 * when the block does not name the node (yet), with *cause; -1 with *r.
 */
static int
fetch_join_block(struct tasks_ord *o, const struct task *t,
    const struct deadline *d, const uint8_t *der, size_t dlen, uint8_t **blk,
    size_t *blen, uint64_t *number, json_t **r, char **cause)
{
	struct fops_result res;
	Common__Block *b = NULL;
	Common__Config *cfg = NULL;
	Etcdraft__ConfigMetadata *md = NULL;
	char *err = NULL, *ch = NULL;
	int type = 0, ret = -1;

	*blk = NULL;
	for (;;) {
		free(err);
		err = NULL;
		memset(&res, 0, sizeof(res));
		if (fops_config_block(&o->target, t->channel, &o->s, blk, blen,
		    number, &res, tasks_deadline_call(d), &err) == 0)
			break;
		*r = tasks_call_failure(&res, err);
		if (strcmp(tasks_sget(*r, "state"), TASKS_RETRY) != 0 ||
		    !tasks_deadline_again(d))
			goto done;
		json_decref(*r);
		*r = NULL;
	}
	if ((b = fdec_block_unpack(*blk, *blen, TASKS_MAX_CONFIG, &err)) == NULL ||
	    ftx_block_channel(b, &ch, &type, &err) != 0) {
		*r = tasks_result(TASKS_FAILED, NULL, "the config block of %s from "
		    "%s: %s", t->channel, o->which, err);
		goto done;
	}
	if (type != FTX_HDR_CONFIG || strcmp(ch, t->channel) != 0 ||
	    b->header == NULL || b->header->number != *number) {
		*r = tasks_result(TASKS_FAILED, NULL, "%s answered a block that is "
		    "not config block %llu of channel %s", o->which,
		    (unsigned long long)*number, t->channel);
		goto done;
	}
	if ((cfg = fdec_config_from_block(*blk, *blen, TASKS_MAX_CONFIG,
	    &err)) == NULL || (md = tasks_raft_metadata(cfg, &err)) == NULL) {
		*r = tasks_result(TASKS_FAILED, NULL, "config block %llu of %s "
		    "from %s: %s", (unsigned long long)*number, t->channel,
		    o->which, err);
		goto done;
	}
	if (raft_find_cert(md, der, dlen) < 0) {
		*cause = xasprintf("config block %llu of %s from %s does not name "
		    "%s a consenter (no consenter has its TLS certificate): the "
		    "update adding it is not in the channel yet",
		    (unsigned long long)*number, t->channel, o->which, t->node);
		ret = 1;
		goto done;
	}
	ret = 0;
done:
	if (ret != 0) {
		free(*blk);
		*blk = NULL;
	}
	if (md != NULL)
		etcdraft__config_metadata__free_unpacked(md, NULL);
	fcfg_free(cfg);
	if (b != NULL)
		common__block__free_unpacked(b, NULL);
	free(ch);
	free(err);
	return ret;
}

/* OUT/channels/CH, made: *dir (caller frees), or -1 with *cause. */
static int
channel_dir(const struct tasks_env *env, const char *channel, char **dir,
    char **cause)
{
	char *top;

	*dir = NULL;
	if (env->outdir == NULL) {
		*cause = xasprintf("the %s runtime has no output directory",
		    rt_name(env));
		return -1;
	}
	if (mkdir(env->outdir, 0755) != 0 && errno != EEXIST) {
		*cause = xasprintf("%s: %s", env->outdir, strerror(errno));
		return -1;
	}
	top = xasprintf("%s/channels", env->outdir);
	if (mkdir(top, 0755) != 0 && errno != EEXIST) {
		*cause = xasprintf("%s: %s", top, strerror(errno));
		free(top);
		return -1;
	}
	*dir = xasprintf("%s/%s", top, channel);
	free(top);
	if (mkdir(*dir, 0755) != 0 && errno != EEXIST) {
		*cause = xasprintf("%s: %s", *dir, strerror(errno));
		free(*dir);
		*dir = NULL;
		return -1;
	}
	return 0;
}

/*
 * Where a rendered join fetches the block: the first of the task's
 * orderers other than the node whose endpoint the document gives; *ep
 * (borrowed), *msp (caller frees) and *which (borrowed). -1 when none.
 */
static int
render_source(const struct tasks_env *env, const struct task *t,
    const char **ep, char **msp, const char **which)
{
	const json_t *v, *org, *node;
	const char *s, *slash;
	char *self = xasprintf("%s/%s", env->mspid, t->node);
	size_t i;

	json_array_foreach(t->orderers, i, v) {
		s = json_string_value(v);
		slash = strchr(s, '/');
		if (strcmp(s, self) == 0)
			continue;
		*msp = xstrndup(s, (size_t)(slash - s));
		if ((org = topology_find_org(env->spec, *msp)) != NULL &&
		    (node = topology_find_node(org, slash + 1, NULL)) != NULL &&
		    (*ep = tasks_sget(node, "endpoint")) != NULL) {
			*which = s;
			free(self);
			return 0;
		}
		free(*msp);
		*msp = NULL;
	}
	free(self);
	return -1;
}

/* The published TLS roots of MSP as one PEM text (caller frees), or NULL. */
static char *
roots_pem(const struct tasks_env *env, const char *msp)
{
	const json_t *roots, *c;
	char *text = NULL, *t2;
	size_t i, total = 0;

	roots = json_object_get(json_object_get(json_object_get(env->orgs, msp),
	    "msp"), "tlsRootCerts");
	json_array_foreach(roots, i, c) {
		if (!json_is_string(c) || json_string_length(c) == 0 ||
		    (total += json_string_length(c)) >
		    FCFG_MAX_CERTS * FCFG_MAX_CERT_BYTES)
			continue;
		t2 = xasprintf("%s%s%s", text != NULL ? text : "",
		    json_string_value(c), json_string_value(c)[
		    json_string_length(c) - 1] == '\n' ? "" : "\n");
		free(text);
		text = t2;
	}
	return text;
}

/* The manifests / kubernetes runtimes: the join written as a script. */
static json_t *
render_join_channel(const struct tasks_env *env, const struct task *t)
{
	json_t *hosts = NULL, *r = NULL;
	char *dir = NULL, *cause = NULL, *script = NULL, *name = NULL,
	    *msp = NULL, *pem = NULL, *cafile = NULL, *blockname = NULL;
	const char *svc, *ep = NULL, *which = NULL;

	if (channel_dir(env, t->channel, &dir, &cause) != 0)
		goto fail;
	if (render_source(env, t, &ep, &msp, &which) != 0) {
		r = tasks_result(TASKS_FAILED, NULL, "none of the task's orderers "
		    "but %s is an orderer the consortium declares: there is no "
		    "orderer to fetch the config block of %s from", t->node,
		    t->channel);
		goto done;
	}
	if (strcmp(msp, env->mspid) == 0)
		cafile = xasprintf("$PKI/tlsca/tlsca.%s-cert.pem", env->domain);
	else {
		if ((pem = roots_pem(env, msp)) == NULL) {
			r = tasks_result(TASKS_RETRY, NULL, "%s has published no TLS "
			    "root certificates: the orderer %s cannot be trusted "
			    "for the config block of %s", msp, which, t->channel);
			goto done;
		}
		free(name);
		name = xasprintf("tlsroots-%s.pem", msp);
		if (tasks_write_file(dir, name, pem, strlen(pem), 0644,
		    &cause) != 0)
			goto fail;
		cafile = xasprintf("$here/%s", name);
	}
	blockname = xasprintf("%s-config.block", t->channel);
	hosts = k8s_node_hosts(env->mspid, t->node);
	svc = json_string_value(json_array_get(hosts, 2));
	script = xasprintf(
	    "#!/bin/sh\n"
	    "# Joins orderer %s of %s to channel %s as a new consenter (fabfed\n"
	    "# task %s). The channel's newest config block, which names %s a\n"
	    "# consenter, is fetched FIRST from another orderer of the channel\n"
	    "# (%s), then handed to the node's channel participation API;\n"
	    "# Fabric onboards it from the other orderers. Run it once the\n"
	    "# update adding the consenter is in the channel; joining twice is\n"
	    "# harmless (\"channel already exists\"). `peer` needs FABRIC_CFG_PATH\n"
	    "# (a core.yaml).\n"
	    "set -eu\n"
	    "here=$(cd \"$(dirname \"$0\")\" && pwd)\n"
	    "PKI=${FABFED_PKI:-%s}\n"
	    "ORDERER=${ORDERER_ADDRESS:-%s}\n"
	    "ORDERER_CA=${ORDERER_CA:-%s}\n"
	    "ADMIN=${ORDERER_ADMIN_ADDRESS:-%s:%d}\n"
	    "CORE_PEER_LOCALMSPID=%s CORE_PEER_MSPCONFIGPATH=\"$PKI/users/Admin@%s/msp\" \\\n"
	    "    peer channel fetch config \"$here/%s\" -c %s -o \"$ORDERER\" \\\n"
	    "    --tls --cafile \"$ORDERER_CA\" --clientauth \\\n"
	    "    --certfile \"$PKI/users/Admin@%s/tls/client.crt\" \\\n"
	    "    --keyfile \"$PKI/users/Admin@%s/tls/client.key\"\n"
	    "exec osnadmin channel join --channelID %s \\\n"
	    "    --config-block \"$here/%s\" -o \"$ADMIN\" \\\n"
	    "    --ca-file \"$PKI/tlsca/tlsca.%s-cert.pem\" \\\n"
	    "    --client-cert \"$PKI/users/Admin@%s/tls/client.crt\" \\\n"
	    "    --client-key \"$PKI/users/Admin@%s/tls/client.key\"\n",
	    t->node, env->mspid, t->channel, t->id, t->node, which,
	    env->pkidir, ep, cafile, svc, TASKS_K8S_ADMIN_PORT, env->mspid,
	    env->domain, blockname, t->channel, env->domain, env->domain,
	    t->channel, blockname, env->domain, env->domain, env->domain);
	free(name);
	name = xasprintf("join-%s.sh", t->node);
	if (tasks_write_file(dir, name, script, strlen(script), 0755,
	    &cause) != 0)
		goto fail;
	r = tasks_result(TASKS_RENDERED, json_pack("{s:s, s:s, s:s}", "directory",
	    dir, "script", name, "fetchFrom", which), "the %s runtime does not "
	    "act on live nodes: the join of %s to %s as a consenter is written "
	    "to %s (%s: it fetches the channel's newest config block from %s "
	    "first, then joins) for an operator or a GitOps job to run",
	    rt_name(env), t->node, t->channel, dir, name, which);
	goto done;
fail:
	r = tasks_result(TASKS_RETRY, NULL, "cannot write the join of %s to %s: "
	    "%s", t->node, t->channel, cause);
done:
	json_decref(hosts);
	free(dir);
	free(cause);
	free(script);
	free(name);
	free(msp);
	free(pem);
	free(cafile);
	free(blockname);
	return r;
}

json_t *
tasks_join_from_channel(const struct tasks_env *env, const struct task *t,
    const struct deadline *d, int live)
{
	struct part_target adm;
	struct part_channel info;
	struct admin_files af;
	struct tasks_ord o;
	enum part_join_result pj = PART_JOINED;
	uint8_t *der = NULL, *blk = NULL;
	size_t dlen = 0, blen = 0;
	uint64_t number = 0;
	json_t *ni = NULL, *r = NULL;
	char *cause = NULL, *host = NULL, *doing = NULL;
	int found = 0, rc;

	if (!live)
		return render_join_channel(env, t);
	memset(&info, 0, sizeof(info));
	memset(&o, 0, sizeof(o));
	if ((r = tasks_part_target(env, t->node, &adm, &ni, &host, &af)) != NULL)
		goto done;

	/* Joined already (an earlier run): nothing to fetch. */
	for (;;) {
		free(cause);
		cause = NULL;
		part_channel_clear(&info);
		if (part_get(&adm, t->channel, &info, &found,
		    tasks_deadline_call(d), &cause) == 0)
			break;
		if ((r = tasks_part_again(cause, 0, NULL, d)) != NULL)
			goto done;
	}
	if (found) {
		r = tasks_result(TASKS_DONE, json_pack("{s:b, s:s, s:s}",
		    "alreadyJoined", 1, "consensusRelation",
		    str0(info.consensus_relation), "status", str0(info.status)),
		    "%s had already joined %s (channel participation: %s, %s)",
		    t->node, t->channel, info.consensus_relation != NULL &&
		    *info.consensus_relation != '\0' ? info.consensus_relation :
		    "member", info.status != NULL && *info.status != '\0' ?
		    info.status : "status not given");
		goto done;
	}

	/* The block that names the node a consenter, from another orderer. */
	if ((der = node_tls_der(env, t->node, &dlen, &cause)) == NULL) {
		r = tasks_result(TASKS_FAILED, NULL, "%s", cause);
		goto done;
	}
	if ((r = tasks_ord_open(env, t, &o)) != NULL)
		goto done;
	for (;;) {
		free(cause);
		cause = NULL;
		if ((rc = fetch_join_block(&o, t, d, der, dlen, &blk, &blen,
		    &number, &r, &cause)) == 0)
			break;
		if (rc < 0)
			goto done;
		if (!tasks_deadline_again(d)) {
			r = tasks_result(TASKS_RETRY, NULL, "%s", cause);
			goto done;
		}
	}

	doing = xasprintf("joining with config block %llu of %s from %s",
	    (unsigned long long)number, t->channel, o.which);
	for (;;) {
		free(cause);
		cause = NULL;
		part_channel_clear(&info);
		if (part_join(&adm, blk, blen, &pj, &info, tasks_deadline_call(d),
		    &cause) == 0)
			break;
		if ((r = tasks_part_again(cause, 1, doing, d)) != NULL)
			goto done;
	}
	r = tasks_result(TASKS_DONE, json_pack("{s:I, s:b, s:s, s:s, s:s}",
	    "blockNumber", (json_int_t)number, "alreadyJoined",
	    pj == PART_ALREADY_JOINED, "orderer", o.which, "consensusRelation",
	    str0(info.consensus_relation), "status", str0(info.status)),
	    pj == PART_ALREADY_JOINED ? "%s had already joined %s (config "
	    "block %llu from %s names it a consenter)" : "joined (channel "
	    "participation) %s to %s with config block %llu from %s, which "
	    "names it a consenter (its TLS certificate): Fabric onboards it "
	    "from the other orderers", t->node, t->channel,
	    (unsigned long long)number, o.which);
done:
	tasks_ord_close(&o);
	part_channel_clear(&info);
	tasks_admin_clear(&af);
	json_decref(ni);
	free(host);
	free(der);
	free(blk);
	free(doing);
	free(cause);
	return r;
}

/* The manifests / kubernetes runtimes: the leave written as a script. */
static json_t *
render_leave(const struct tasks_env *env, const struct task *t)
{
	json_t *hosts = NULL, *r = NULL;
	char *dir = NULL, *cause = NULL, *script = NULL, *name = NULL;
	const char *svc;

	if (channel_dir(env, t->channel, &dir, &cause) != 0)
		goto fail;
	hosts = k8s_node_hosts(env->mspid, t->node);
	svc = json_string_value(json_array_get(hosts, 2));
	script = xasprintf(
	    "#!/bin/sh\n"
	    "# Takes channel %s off orderer %s of %s (fabfed task %s): the\n"
	    "# consortium no longer has it a consenter of %s. Run it once the\n"
	    "# update removing the consenter is in the channel. A channel the\n"
	    "# orderer does not have answers 404: nothing to do.\n"
	    "set -eu\n"
	    "PKI=${FABFED_PKI:-%s}\n"
	    "ADMIN=${ORDERER_ADMIN_ADDRESS:-%s:%d}\n"
	    "exec osnadmin channel remove --channelID %s -o \"$ADMIN\" \\\n"
	    "    --ca-file \"$PKI/tlsca/tlsca.%s-cert.pem\" \\\n"
	    "    --client-cert \"$PKI/users/Admin@%s/tls/client.crt\" \\\n"
	    "    --client-key \"$PKI/users/Admin@%s/tls/client.key\"\n",
	    t->channel, t->node, env->mspid, t->id, t->channel, env->pkidir,
	    svc, TASKS_K8S_ADMIN_PORT, t->channel, env->domain, env->domain,
	    env->domain);
	name = xasprintf("leave-%s.sh", t->node);
	if (tasks_write_file(dir, name, script, strlen(script), 0755,
	    &cause) != 0)
		goto fail;
	r = tasks_result(TASKS_RENDERED, json_pack("{s:s, s:s}", "directory",
	    dir, "script", name), "the %s runtime does not act on live nodes: "
	    "taking %s off %s is written to %s (%s) for an operator or a GitOps "
	    "job to run", rt_name(env), t->node, t->channel, dir, name);
	goto done;
fail:
	r = tasks_result(TASKS_RETRY, NULL, "cannot write the leave of %s from "
	    "%s: %s", t->node, t->channel, cause);
done:
	json_decref(hosts);
	free(dir);
	free(cause);
	free(script);
	free(name);
	return r;
}

json_t *
tasks_leave_orderer(const struct tasks_env *env, const struct task *t,
    const struct deadline *d, int live)
{
	struct part_target adm;
	struct part_channel info;
	struct admin_files af;
	enum part_remove_result pr = PART_REMOVED;
	json_t *ni = NULL, *r = NULL;
	char *cause = NULL, *host = NULL, *rel = NULL;
	int found = 0;

	if (!live)
		return render_leave(env, t);
	memset(&info, 0, sizeof(info));
	if ((r = tasks_part_target(env, t->node, &adm, &ni, &host, &af)) != NULL)
		goto done;
	/* What the node says it is on the channel, for the result. */
	if (part_get(&adm, t->channel, &info, &found, tasks_deadline_call(d),
	    &cause) == 0 && found)
		rel = xstrdup(info.consensus_relation != NULL &&
		    *info.consensus_relation != '\0' ? info.consensus_relation :
		    "member");
	for (;;) {
		free(cause);
		cause = NULL;
		if (part_remove(&adm, t->channel, &pr, tasks_deadline_call(d),
		    &cause) == 0)
			break;
		if ((r = tasks_part_again(cause, 1, NULL, d)) != NULL)
			goto done;
	}
	if (pr == PART_ABSENT)
		r = tasks_result(TASKS_DONE, json_pack("{s:b}", "removed", 0),
		    "%s does not have channel %s (channel participation): "
		    "nothing to remove", t->node, t->channel);
	else
		r = tasks_result(TASKS_DONE, json_pack("{s:b, s:s}", "removed", 1,
		    "consensusRelation", str0(rel)), "removed channel %s from %s "
		    "(channel participation; it was a %s of it)", t->channel,
		    t->node, rel != NULL ? rel : "member");
done:
	part_channel_clear(&info);
	tasks_admin_clear(&af);
	json_decref(ni);
	free(host);
	free(rel);
	free(cause);
	return r;
}
