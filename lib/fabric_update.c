/*
 * fabric_update.c: config updates, their signatures and their check
 * (fabric_update.h). fupd_compute follows configtxlator's compute_update
 * (internal/configtxlator/update/update.go) element by element; the tree
 * it builds borrows keys, bytes and policies from the two configs, is
 * packed with every map sorted by key, and is handed back as protobuf-c's
 * unpacking of those bytes, so one free function releases it.
 *
 * This file holds computing, packing, decoding and checking updates; the
 * signatures, the envelope and fupd_open are in fabric_update_sig.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.pb-c.h"
#include "common/configtx.pb-c.h"
#include "common/configuration.pb-c.h"
#include "orderer/configuration.pb-c.h"
#include "orderer/etcdraft/configuration.pb-c.h"

#include "fabric_config.h"
#include "fabric_update.h"
#include "fabric_update_int.h"
#include "xmalloc.h"

/* The packed bytes of M. Caller frees. */
uint8_t *
fupd_msg(const ProtobufCMessage *m, size_t *len)
{
	uint8_t *b;

	*len = protobuf_c_message_get_packed_size(m);
	b = xmalloc(*len > 0 ? *len : 1);
	(void)protobuf_c_message_pack(m, b);
	return b;
}

static const char *
str_or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/*
 * Outside text fit for a sentence: printable ASCII, at most 64 characters,
 * the rest '?' (a reason travels as JSON: it must be valid UTF-8). Caller
 * frees.
 */
char *
fupd_safe(const char *s)
{
	size_t i, n = strnlen(str_or_empty(s), 64);
	char *out = xstrndup(str_or_empty(s), n);

	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e)
			out[i] = '?';
	return out;
}

static int
str_eq(const char *a, const char *b)
{
	return strcmp(str_or_empty(a), str_or_empty(b)) == 0;
}

/* proto.Equal for two Policy messages: both absent, or the same encoding. */
static int
policy_eq(const Common__Policy *a, const Common__Policy *b)
{
	uint8_t *pa, *pb;
	size_t la, lb;
	int eq;

	if (a == NULL || b == NULL)
		return a == b;
	pa = fupd_msg(&a->base, &la);
	pb = fupd_msg(&b->base, &lb);
	eq = la == lb && memcmp(pa, pb, la) == 0;
	free(pa);
	free(pb);
	return eq;
}

/*
 * The tree under construction. Groups, entries and the ConfigValue and
 * ConfigPolicy structs are ours; keys, mod_policy strings, value bytes and
 * Policy messages are borrowed from the configs compared.
 */
static Common__ConfigGroup *
tmp_group(uint64_t version, const char *mod)
{
	Common__ConfigGroup *g = xmalloc(sizeof(*g));

	common__config_group__init(g);
	g->version = version;
	if (mod != NULL)
		g->mod_policy = (char *)mod;
	return g;
}

static void
tmp_free(Common__ConfigGroup *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n_groups; i++) {
		tmp_free(g->groups[i]->value);
		free(g->groups[i]);
	}
	for (i = 0; i < g->n_values; i++) {
		free(g->values[i]->value);
		free(g->values[i]);
	}
	for (i = 0; i < g->n_policies; i++) {
		free(g->policies[i]->value);
		free(g->policies[i]);
	}
	free(g->groups);
	free(g->values);
	free(g->policies);
	free(g);
}

static void
tmp_add_group(Common__ConfigGroup *g, const char *key, Common__ConfigGroup *sub)
{
	Common__ConfigGroup__GroupsEntry *e = xmalloc(sizeof(*e));

	common__config_group__groups_entry__init(e);
	e->key = (char *)key;
	e->value = sub;
	g->groups = xreallocarray(g->groups, g->n_groups + 1,
	    sizeof(*g->groups));
	g->groups[g->n_groups++] = e;
}

static void
tmp_add_value(Common__ConfigGroup *g, const char *key, uint64_t version,
    const Common__ConfigValue *from)
{
	Common__ConfigGroup__ValuesEntry *e = xmalloc(sizeof(*e));
	Common__ConfigValue *v = xmalloc(sizeof(*v));

	common__config_value__init(v);
	v->version = version;
	if (from != NULL) {
		v->value = from->value;
		v->mod_policy = (char *)str_or_empty(from->mod_policy);
	}
	common__config_group__values_entry__init(e);
	e->key = (char *)key;
	e->value = v;
	g->values = xreallocarray(g->values, g->n_values + 1,
	    sizeof(*g->values));
	g->values[g->n_values++] = e;
}

static void
tmp_add_policy(Common__ConfigGroup *g, const char *key, uint64_t version,
    const Common__ConfigPolicy *from)
{
	Common__ConfigGroup__PoliciesEntry *e = xmalloc(sizeof(*e));
	Common__ConfigPolicy *p = xmalloc(sizeof(*p));

	common__config_policy__init(p);
	p->version = version;
	if (from != NULL) {
		p->policy = from->policy;
		p->mod_policy = (char *)str_or_empty(from->mod_policy);
	}
	common__config_group__policies_entry__init(e);
	e->key = (char *)key;
	e->value = p;
	g->policies = xreallocarray(g->policies, g->n_policies + 1,
	    sizeof(*g->policies));
	g->policies[g->n_policies++] = e;
}

static int
cmp_group_e(const void *a, const void *b)
{
	return strcmp((*(Common__ConfigGroup__GroupsEntry *const *)a)->key,
	    (*(Common__ConfigGroup__GroupsEntry *const *)b)->key);
}

static int
cmp_value_e(const void *a, const void *b)
{
	return strcmp((*(Common__ConfigGroup__ValuesEntry *const *)a)->key,
	    (*(Common__ConfigGroup__ValuesEntry *const *)b)->key);
}

static int
cmp_policy_e(const void *a, const void *b)
{
	return strcmp((*(Common__ConfigGroup__PoliciesEntry *const *)a)->key,
	    (*(Common__ConfigGroup__PoliciesEntry *const *)b)->key);
}

static void
tmp_sort(Common__ConfigGroup *g)
{
	size_t i;

	if (g == NULL)
		return;
	if (g->n_groups > 1)
		qsort(g->groups, g->n_groups, sizeof(*g->groups), cmp_group_e);
	if (g->n_values > 1)
		qsort(g->values, g->n_values, sizeof(*g->values), cmp_value_e);
	if (g->n_policies > 1)
		qsort(g->policies, g->n_policies, sizeof(*g->policies),
		    cmp_policy_e);
	for (i = 0; i < g->n_groups; i++)
		tmp_sort(g->groups[i]->value);
}

/* An empty group, as protoutil.NewConfigGroup. */
static const Common__ConfigGroup fupd_empty = COMMON__CONFIG_GROUP__INIT;

/*
 * computeGroupUpdate: *rs and *ws get the read and write sets of turning
 * O into U (ours, tmp_free). Returns whether anything differs.
 */
static int
compute_group(const Common__ConfigGroup *o, const Common__ConfigGroup *u,
    Common__ConfigGroup **rs, Common__ConfigGroup **ws)
{
	Common__ConfigGroup *r = tmp_group(0, NULL), *w = tmp_group(0, NULL);
	Common__ConfigGroup *same = tmp_group(0, NULL), *gr, *gw;
	const Common__ConfigPolicy *op, *up;
	const Common__ConfigValue *ov, *uv;
	const Common__ConfigGroup *og, *ug;
	int members = 0;
	size_t i;

	/* Policies: modified ones written at version+1, new ones at 0. */
	for (i = 0; i < o->n_policies; i++) {
		op = o->policies[i]->value;
		if ((up = fcfg_policy(u, o->policies[i]->key)) == NULL) {
			members = 1;
			continue;
		}
		if (str_eq(op->mod_policy, up->mod_policy) &&
		    policy_eq(op->policy, up->policy))
			tmp_add_policy(same, o->policies[i]->key, op->version,
			    NULL);
		else
			tmp_add_policy(w, o->policies[i]->key, op->version + 1,
			    up);
	}
	for (i = 0; i < u->n_policies; i++) {
		if (fcfg_policy(o, u->policies[i]->key) != NULL)
			continue;
		members = 1;
		tmp_add_policy(w, u->policies[i]->key, 0,
		    u->policies[i]->value);
	}

	/* Values, the same way. */
	for (i = 0; i < o->n_values; i++) {
		ov = o->values[i]->value;
		if ((uv = fcfg_value(u, o->values[i]->key)) == NULL) {
			members = 1;
			continue;
		}
		if (str_eq(ov->mod_policy, uv->mod_policy) &&
		    ov->value.len == uv->value.len &&
		    (ov->value.len == 0 ||
		    memcmp(ov->value.data, uv->value.data, ov->value.len) == 0))
			tmp_add_value(same, o->values[i]->key, ov->version, NULL);
		else
			tmp_add_value(w, o->values[i]->key, ov->version + 1, uv);
	}
	for (i = 0; i < u->n_values; i++) {
		if (fcfg_value(o, u->values[i]->key) != NULL)
			continue;
		members = 1;
		tmp_add_value(w, u->values[i]->key, 0, u->values[i]->value);
	}

	/* Groups: recursively; a new group is written whole at version 0. */
	for (i = 0; i < o->n_groups; i++) {
		og = o->groups[i]->value;
		if ((ug = fcfg_group(u, o->groups[i]->key)) == NULL) {
			members = 1;
			continue;
		}
		if (!compute_group(og, ug, &gr, &gw)) {
			tmp_add_group(same, o->groups[i]->key, gr);
			tmp_free(gw);
			continue;
		}
		tmp_add_group(r, o->groups[i]->key, gr);
		tmp_add_group(w, o->groups[i]->key, gw);
	}
	for (i = 0; i < u->n_groups; i++) {
		ug = u->groups[i]->value;
		if (fcfg_group(o, u->groups[i]->key) != NULL)
			continue;
		members = 1;
		(void)compute_group(&fupd_empty, ug, &gr, &gw);
		tmp_free(gr);
		gw->version = 0;
		gw->mod_policy = (char *)str_or_empty(ug->mod_policy);
		tmp_add_group(w, u->groups[i]->key, gw);
	}

	if (!members && str_eq(o->mod_policy, u->mod_policy)) {
		r->version = w->version = o->version;
		tmp_free(same);
		*rs = r;
		*ws = w;
		return r->n_policies + w->n_policies + r->n_values +
		    w->n_values + r->n_groups + w->n_groups > 0;
	}

	/*
	 * The membership changes: the write set must list every element the
	 * group keeps, each with only its version, in both sets.
	 */
	for (i = 0; i < same->n_policies; i++) {
		tmp_add_policy(r, same->policies[i]->key,
		    same->policies[i]->value->version, NULL);
		tmp_add_policy(w, same->policies[i]->key,
		    same->policies[i]->value->version, NULL);
	}
	for (i = 0; i < same->n_values; i++) {
		tmp_add_value(r, same->values[i]->key,
		    same->values[i]->value->version, NULL);
		tmp_add_value(w, same->values[i]->key,
		    same->values[i]->value->version, NULL);
	}
	for (i = 0; i < same->n_groups; i++) {
		tmp_add_group(r, same->groups[i]->key,
		    tmp_group(same->groups[i]->value->version, NULL));
		tmp_add_group(w, same->groups[i]->key,
		    tmp_group(same->groups[i]->value->version, NULL));
	}
	tmp_free(same);
	r->version = o->version;
	w->version = o->version + 1;
	w->mod_policy = (char *)str_or_empty(u->mod_policy);
	*rs = r;
	*ws = w;
	return 1;
}

Common__ConfigUpdate *
fupd_compute(const Common__Config *original, const Common__Config *updated,
    const char *channel_id, char **cause)
{
	Common__ConfigUpdate cu = COMMON__CONFIG_UPDATE__INIT, *out = NULL;
	Common__ConfigGroup *r = NULL, *w = NULL;
	uint8_t *b;
	size_t len;

	*cause = NULL;
	if (original == NULL || original->channel_group == NULL) {
		*cause = xstrdup("no channel group included for original config");
		return NULL;
	}
	if (updated == NULL || updated->channel_group == NULL) {
		*cause = xstrdup("no channel group included for updated config");
		return NULL;
	}
	if (!compute_group(original->channel_group, updated->channel_group,
	    &r, &w)) {
		*cause = xstrdup("no differences detected between original and "
		    "updated config");
		goto done;
	}
	tmp_sort(r);
	tmp_sort(w);
	cu.channel_id = (char *)str_or_empty(channel_id);
	cu.read_set = r;
	cu.write_set = w;
	b = fupd_msg(&cu.base, &len);
	if ((out = common__config_update__unpack(NULL, len, b)) == NULL)
		*cause = xstrdup("the config update built does not unpack");
	free(b);
done:
	tmp_free(r);
	tmp_free(w);
	return out;
}

void
fupd_free(Common__ConfigUpdate *cu)
{
	if (cu != NULL)
		common__config_update__free_unpacked(cu, NULL);
}

uint8_t *
fupd_pack(const Common__ConfigUpdate *cu, size_t *len)
{
	return fupd_msg(&cu->base, len);
}

/*
 * A protobuf varint at *p (n bytes left): at most 10 bytes. Advances.
 * Returns 0, or -1 when truncated or too long.
 */
static int
wire_varint(const uint8_t **p, size_t *n, uint64_t *v)
{
	unsigned shift = 0;
	size_t i;

	*v = 0;
	for (i = 0; i < *n && i < 10; i++) {
		*v |= (uint64_t)((*p)[i] & 0x7f) << shift;
		shift += 7;
		if (((*p)[i] & 0x80) == 0) {
			*p += i + 1;
			*n -= i + 1;
			return 0;
		}
	}
	return -1;
}

static int wire_group(const uint8_t *, size_t, int);

/*
 * Walks the fields of a message of N bytes at P. Length-delimited field
 * SUBFIELD holds a message walked by SUB (a groups map entry or a group),
 * one level deeper; everything else is skipped. Fails on malformed wire
 * data or nesting deeper than FUPD_MAX_DEPTH.
 */
static int
wire_walk(const uint8_t *p, size_t n, int depth, uint64_t subfield,
    int (*sub)(const uint8_t *, size_t, int))
{
	uint64_t tag, l;

	if (depth > FUPD_MAX_DEPTH)
		return -1;
	while (n > 0) {
		if (wire_varint(&p, &n, &tag) == -1)
			return -1;
		switch (tag & 7) {
		case 0:
			if (wire_varint(&p, &n, &l) == -1)
				return -1;
			break;
		case 1:
		case 5:
			l = (tag & 7) == 1 ? 8 : 4;
			if (n < l)
				return -1;
			p += l;
			n -= l;
			break;
		case 2:
			if (wire_varint(&p, &n, &l) == -1 || l > n)
				return -1;
			if ((tag >> 3) == subfield && sub != NULL &&
			    sub(p, (size_t)l, depth) == -1)
				return -1;
			p += l;
			n -= (size_t)l;
			break;
		default:	/* groups (3, 4) and unknown wire types */
			return -1;
		}
	}
	return 0;
}

/* A groups map entry: its value (field 2) is a group one level deeper. */
static int
wire_entry(const uint8_t *p, size_t n, int depth)
{
	return wire_walk(p, n, depth + 1, 2, wire_group);
}

/* A ConfigGroup: its groups (field 2) are map entries. */
static int
wire_group(const uint8_t *p, size_t n, int depth)
{
	return wire_walk(p, n, depth, 2, wire_entry);
}

/* A ConfigUpdate: its read_set (2) and write_set (3) are groups. */
static int
wire_update(const uint8_t *p, size_t n)
{
	if (wire_walk(p, n, 0, 2, wire_group) == -1 ||
	    wire_walk(p, n, 0, 3, wire_group) == -1)
		return -1;
	return 0;
}

Common__ConfigUpdate *
fupd_decode(const uint8_t *data, size_t len, char **cause)
{
	Common__ConfigUpdate *cu = NULL;
	uint8_t *again = NULL;
	size_t alen;

	*cause = NULL;
	if (len > FUPD_MAX_UPDATE) {
		*cause = xasprintf("the config update is %zu bytes, more than "
		    "the %d this side reads", len, FUPD_MAX_UPDATE);
		return NULL;
	}
	if (wire_update(data, len) == -1) {
		*cause = xasprintf("the config update is not a ConfigUpdate "
		    "whose groups nest at most %d deep", FUPD_MAX_DEPTH);
		return NULL;
	}
	if ((cu = common__config_update__unpack(NULL, len, data)) == NULL) {
		*cause = xstrdup("the config update does not decode as a "
		    "ConfigUpdate");
		return NULL;
	}
	again = fupd_msg(&cu->base, &alen);
	if (alen != len || (len > 0 && memcmp(again, data, len) != 0)) {
		*cause = xstrdup("the config update is not in canonical form "
		    "(unknown fields, a NUL inside a string, or a field "
		    "encoded twice)");
		fupd_free(cu);
		cu = NULL;
	}
	free(again);
	return cu;
}

/* Fabric's validateConfigID: [A-Za-z0-9._-]{1,249}, not "." or "..". */
static int
key_ok(const char *k)
{
	size_t i, n = strnlen(k, FUPD_MAX_KEY + 1);

	if (n == 0 || n > FUPD_MAX_KEY || strcmp(k, ".") == 0 ||
	    strcmp(k, "..") == 0)
		return 0;
	for (i = 0; i < n; i++) {
		char c = k[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Whether KEYS (N of them) are all config IDs and none is there twice.
 * *bad gets a sentence fragment. KEYS is sorted in place.
 */
static int
keys_ok(const char **keys, size_t n, const char **bad)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (keys[i] == NULL || !key_ok(keys[i])) {
			*bad = "a key that is not a Fabric config ID (1 to 249 "
			    "letters, digits, '.', '-' and '_')";
			return -1;
		}
	if (n > 1)
		qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 1; i < n; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0) {
			*bad = "a key twice in one map";
			return -1;
		}
	return 0;
}

/* The keys and entries of G are sound: see keys_ok; no entry without value. */
static int
group_sound(const Common__ConfigGroup *g, const char *path, const char *set,
    char **reason)
{
	const char **keys, *bad = NULL;
	size_t i, n = g->n_groups + g->n_values + g->n_policies, k = 0;
	int ret;

	keys = xcalloc(n + 1, sizeof(*keys));
	for (i = 0; i < g->n_groups; i++) {
		keys[k++] = g->groups[i]->key;
		if (g->groups[i]->value == NULL)
			bad = "an entry without a value";
	}
	/* Values and policies are separate maps: check each on its own. */
	ret = bad == NULL ? keys_ok(keys, g->n_groups, &bad) : -1;
	if (ret == 0) {
		for (i = 0; i < g->n_values; i++) {
			keys[k++] = g->values[i]->key;
			if (g->values[i]->value == NULL)
				bad = "an entry without a value";
		}
		ret = bad == NULL ? keys_ok(keys + g->n_groups, g->n_values,
		    &bad) : -1;
	}
	if (ret == 0) {
		for (i = 0; i < g->n_policies; i++) {
			keys[k++] = g->policies[i]->key;
			if (g->policies[i]->value == NULL)
				bad = "an entry without a value";
		}
		ret = bad == NULL ? keys_ok(keys + g->n_groups + g->n_values,
		    g->n_policies, &bad) : -1;
	}
	free(keys);
	if (ret == -1)
		*reason = xasprintf("the update's %s holds %s in %s", set, bad,
		    path);
	return ret;
}

/* Checks the read set R (may be NULL) at PATH, recursively. */
static int
read_sound(const Common__ConfigGroup *r, const char *path, int depth,
    char **reason)
{
	char *sub;
	size_t i;
	int ret = 0;

	if (r == NULL)
		return 0;
	if (depth > FUPD_MAX_DEPTH) {
		*reason = xasprintf("the update's read set nests deeper than "
		    "%d groups", FUPD_MAX_DEPTH);
		return -1;
	}
	if (group_sound(r, path, "read set", reason) == -1)
		return -1;
	for (i = 0; ret == 0 && i < r->n_groups; i++) {
		sub = xasprintf("%s/%s", path, r->groups[i]->key);
		ret = read_sound(r->groups[i]->value, sub, depth + 1, reason);
		free(sub);
	}
	return ret;
}

/* Whether a write set entry only names its element (a reference). */
static int
group_is_ref(const Common__ConfigGroup *w, const Common__ConfigGroup *r)
{
	return r != NULL && r->version == w->version && w->n_groups == 0 &&
	    w->n_values == 0 && w->n_policies == 0 &&
	    *str_or_empty(w->mod_policy) == '\0';
}

static int
value_is_ref(const Common__ConfigValue *w, const Common__ConfigValue *r)
{
	return r != NULL && r->version == w->version && w->value.len == 0 &&
	    *str_or_empty(w->mod_policy) == '\0';
}

static int
policy_is_ref(const Common__ConfigPolicy *w, const Common__ConfigPolicy *r)
{
	return r != NULL && r->version == w->version && w->policy == NULL &&
	    *str_or_empty(w->mod_policy) == '\0';
}

/* A changed group's mod_policy is D's. */
static int
check_group_mod(const Common__ConfigGroup *w, const Common__ConfigGroup *d,
    const char *path, char **reason)
{
	char *m;

	if (str_eq(w->mod_policy, d->mod_policy))
		return 0;
	m = fupd_safe(w->mod_policy);
	*reason = xasprintf("the update sets the mod_policy of %s to \"%s\", "
	    "but the topology has \"%s\"", path, m,
	    str_or_empty(d->mod_policy));
	free(m);
	return -1;
}

/*
 * A group W of the write set that changes (R is its read set entry or
 * NULL): its keys must be exactly D's, and its mod_policy D's.
 */
static int
check_members(const Common__ConfigGroup *w, const Common__ConfigGroup *r,
    const Common__ConfigGroup *d, const char *path, char **reason)
{
	size_t i;

	for (i = 0; i < w->n_groups; i++)
		if (fcfg_group(d, w->groups[i]->key) == NULL) {
			*reason = xasprintf("the update %s %s %s %s, which the "
			    "consortium does not declare",
			    fcfg_group(r, w->groups[i]->key) ? "keeps" : "adds",
			    w->groups[i]->key,
			    fcfg_group(r, w->groups[i]->key) ? "in" : "to",
			    path);
			return -1;
		}
	for (i = 0; i < w->n_values; i++)
		if (fcfg_value(d, w->values[i]->key) == NULL) {
			*reason = xasprintf("the update %s value %s %s %s, "
			    "which the topology does not declare",
			    fcfg_value(r, w->values[i]->key) ? "keeps" : "adds",
			    w->values[i]->key,
			    fcfg_value(r, w->values[i]->key) ? "in" : "to",
			    path);
			return -1;
		}
	for (i = 0; i < w->n_policies; i++)
		if (fcfg_policy(d, w->policies[i]->key) == NULL) {
			*reason = xasprintf("the update %s policy %s %s %s, "
			    "which the topology does not declare",
			    fcfg_policy(r, w->policies[i]->key) ? "keeps" :
			    "adds", w->policies[i]->key,
			    fcfg_policy(r, w->policies[i]->key) ? "in" : "to",
			    path);
			return -1;
		}
	for (i = 0; i < d->n_groups; i++)
		if (fcfg_group(w, d->groups[i]->key) == NULL) {
			*reason = r == NULL ? xasprintf("the update adds %s "
			    "without %s, which the consortium declares there",
			    path, d->groups[i]->key) :
			    xasprintf("the update removes %s from %s, which "
			    "the consortium still declares", d->groups[i]->key,
			    path);
			return -1;
		}
	for (i = 0; i < d->n_values; i++)
		if (fcfg_value(w, d->values[i]->key) == NULL) {
			*reason = r == NULL ? xasprintf("the update adds %s "
			    "without value %s, which the topology declares",
			    path, d->values[i]->key) :
			    xasprintf("the update removes value %s from %s, "
			    "which the topology still declares",
			    d->values[i]->key, path);
			return -1;
		}
	for (i = 0; i < d->n_policies; i++)
		if (fcfg_policy(w, d->policies[i]->key) == NULL) {
			*reason = r == NULL ? xasprintf("the update adds %s "
			    "without policy %s, which the topology declares",
			    path, d->policies[i]->key) :
			    xasprintf("the update removes policy %s from %s, "
			    "which the topology still declares",
			    d->policies[i]->key, path);
			return -1;
		}
	return check_group_mod(w, d, path, reason);
}

/*
 * check_members against the live group L (NULL: the live config has no
 * such group) of a group W that exists (R, its read set entry, is not
 * NULL): every key W has and L lacks is one D declares (added), every key
 * L has and W lacks is one D does not declare (removed); keys of D in
 * neither are changes still to come. What W keeps of L and D lacks is
 * left, as a reference, to check_group.
 */
static int
check_members_live(const Common__ConfigGroup *w, const Common__ConfigGroup *d,
    const Common__ConfigGroup *l, const char *path, char **reason)
{
	size_t i;
	const char *k;

	for (i = 0; i < w->n_groups; i++) {
		k = w->groups[i]->key;
		if (fcfg_group(d, k) == NULL && fcfg_group(l, k) == NULL) {
			*reason = xasprintf("the update adds %s to %s, which "
			    "the consortium does not declare", k, path);
			return -1;
		}
	}
	for (i = 0; i < w->n_values; i++) {
		k = w->values[i]->key;
		if (fcfg_value(d, k) == NULL && fcfg_value(l, k) == NULL) {
			*reason = xasprintf("the update adds value %s to %s, "
			    "which the topology does not declare", k, path);
			return -1;
		}
	}
	for (i = 0; i < w->n_policies; i++) {
		k = w->policies[i]->key;
		if (fcfg_policy(d, k) == NULL && fcfg_policy(l, k) == NULL) {
			*reason = xasprintf("the update adds policy %s to %s, "
			    "which the topology does not declare", k, path);
			return -1;
		}
	}
	for (i = 0; l != NULL && i < l->n_groups; i++) {
		k = l->groups[i]->key;
		if (fcfg_group(w, k) == NULL && fcfg_group(d, k) != NULL) {
			*reason = xasprintf("the update removes %s from %s, "
			    "which the consortium still declares", k, path);
			return -1;
		}
	}
	for (i = 0; l != NULL && i < l->n_values; i++) {
		k = l->values[i]->key;
		if (fcfg_value(w, k) == NULL && fcfg_value(d, k) != NULL) {
			*reason = xasprintf("the update removes value %s from "
			    "%s, which the topology still declares", k, path);
			return -1;
		}
	}
	for (i = 0; l != NULL && i < l->n_policies; i++) {
		k = l->policies[i]->key;
		if (fcfg_policy(w, k) == NULL && fcfg_policy(d, k) != NULL) {
			*reason = xasprintf("the update removes policy %s from "
			    "%s, which the topology still declares", k, path);
			return -1;
		}
	}
	return check_group_mod(w, d, path, reason);
}

/* Two messages with the same encoding. */
static int
msg_eq(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	uint8_t *pa, *pb;
	size_t la, lb;
	int eq;

	pa = fupd_msg(a, &la);
	pb = fupd_msg(b, &lb);
	eq = la == lb && memcmp(pa, pb, la) == 0;
	free(pa);
	free(pb);
	return eq;
}

/* Whether MD (may be NULL) lists a consenter encoded as C. */
static int
raft_lists(const Etcdraft__ConfigMetadata *md, const Etcdraft__Consenter *c)
{
	size_t i;

	for (i = 0; md != NULL && i < md->n_consenters; i++)
		if (md->consenters[i] != NULL &&
		    msg_eq(&md->consenters[i]->base, &c->base))
			return 1;
	return 0;
}

/*
 * An Orderer/ConsensusType value of type etcdraft: *ct and *md (free both
 * with their free_unpacked), or -1.
 */
static int
raft_decode(const ProtobufCBinaryData *b, Orderer__ConsensusType **ct,
    Etcdraft__ConfigMetadata **md)
{
	size_t i;

	*md = NULL;
	if ((*ct = orderer__consensus_type__unpack(NULL, b->len,
	    b->data)) == NULL)
		return -1;
	if ((*ct)->type == NULL || strcmp((*ct)->type, "etcdraft") != 0 ||
	    (*md = etcdraft__config_metadata__unpack(NULL,
	    (*ct)->metadata.len, (*ct)->metadata.data)) == NULL) {
		orderer__consensus_type__free_unpacked(*ct, NULL);
		*ct = NULL;
		return -1;
	}
	for (i = 0; i < (*md)->n_consenters; i++)
		if ((*md)->consenters[i] == NULL) {
			etcdraft__config_metadata__free_unpacked(*md, NULL);
			orderer__consensus_type__free_unpacked(*ct, NULL);
			*ct = NULL;
			*md = NULL;
			return -1;
		}
	return 0;
}

/*
 * Channel/Orderer/ConsensusType against the live config: the consenters
 * W writes that L lacks are D's, those of L that W drops are not D's, and
 * everything else (type, state, Raft options, the encoding) is D's. W is
 * a change whose bytes differ from D's; L may be NULL.
 */
static int
check_consensus(const Common__ConfigValue *wv, const Common__ConfigValue *dv,
    const Common__ConfigValue *lv, const char *path, char **reason)
{
	Orderer__ConsensusType *wt = NULL, *dt = NULL, *lt = NULL, want;
	Etcdraft__ConfigMetadata *wm = NULL, *dm = NULL, *lm = NULL, wantm;
	const Etcdraft__Consenter *c;
	uint8_t *b = NULL;
	char *h;
	size_t i, j, len;
	int ret = -1;

	memset(&want, 0, sizeof(want));
	if (raft_decode(&wv->value, &wt, &wm) == -1) {
		*reason = xasprintf("the update sets %s/ConsensusType to a "
		    "value that is not etcdraft consensus with its metadata",
		    path);
		goto done;
	}
	if (raft_decode(&dv->value, &dt, &dm) == -1) {
		*reason = xasprintf("the update sets %s/ConsensusType to a "
		    "value the topology does not declare", path);
		goto done;
	}
	if (lv != NULL && raft_decode(&lv->value, &lt, &lm) == -1) {
		*reason = xasprintf("the live config's %s/ConsensusType is not "
		    "etcdraft consensus with its metadata", path);
		goto done;
	}
	for (i = 0; i < wm->n_consenters; i++) {
		c = wm->consenters[i];
		for (j = 0; j < i; j++)
			if (msg_eq(&wm->consenters[j]->base, &c->base))
				break;
		if (j < i || (!raft_lists(lm, c) && !raft_lists(dm, c))) {
			h = fupd_safe(c->host);
			*reason = xasprintf(j < i ? "the update lists consenter "
			    "%s:%u twice in %s/ConsensusType" : "the update adds "
			    "consenter %s:%u to %s/ConsensusType, which the "
			    "consortium does not declare", h, (unsigned)c->port,
			    path);
			free(h);
			goto done;
		}
	}
	for (i = 0; lm != NULL && i < lm->n_consenters; i++) {
		c = lm->consenters[i];
		if (!raft_lists(wm, c) && raft_lists(dm, c)) {
			h = fupd_safe(c->host);
			*reason = xasprintf("the update removes consenter %s:%u "
			    "from %s/ConsensusType, which the consortium still "
			    "declares", h, (unsigned)c->port, path);
			free(h);
			goto done;
		}
	}
	/* D's value with W's consenters must be W's very bytes. */
	wantm = *dm;
	wantm.n_consenters = wm->n_consenters;
	wantm.consenters = wm->consenters;
	want = *dt;
	want.metadata.data = fupd_msg(&wantm.base, &want.metadata.len);
	b = fupd_msg(&want.base, &len);
	if (len != wv->value.len || memcmp(b, wv->value.data, len) != 0) {
		*reason = xasprintf("the update sets %s/ConsensusType to a "
		    "value the topology does not declare: its type, state or "
		    "Raft options differ from the topology's, or it is not in "
		    "canonical form", path);
		goto done;
	}
	ret = 0;
done:
	free(want.metadata.data);
	free(b);
	if (wm != NULL)
		etcdraft__config_metadata__free_unpacked(wm, NULL);
	if (dm != NULL)
		etcdraft__config_metadata__free_unpacked(dm, NULL);
	if (lm != NULL)
		etcdraft__config_metadata__free_unpacked(lm, NULL);
	if (wt != NULL)
		orderer__consensus_type__free_unpacked(wt, NULL);
	if (dt != NULL)
		orderer__consensus_type__free_unpacked(dt, NULL);
	if (lt != NULL)
		orderer__consensus_type__free_unpacked(lt, NULL);
	return ret;
}

static int
addrs_has(const Common__OrdererAddresses *a, const char *s)
{
	size_t i;

	for (i = 0; a != NULL && i < a->n_addresses; i++)
		if (str_eq(a->addresses[i], s))
			return 1;
	return 0;
}

/*
 * An orderer org's Endpoints against the live config, as check_consensus
 * does for consenters: addresses W adds are D's, those it drops are not,
 * and the encoding is canonical. L may be NULL.
 */
static int
check_endpoints(const Common__ConfigValue *wv, const Common__ConfigValue *dv,
    const Common__ConfigValue *lv, const char *path, char **reason)
{
	Common__OrdererAddresses *wa = NULL, *da = NULL, *la = NULL;
	Common__OrdererAddresses want = COMMON__ORDERER_ADDRESSES__INIT;
	uint8_t *b = NULL;
	char *a;
	size_t i, j, len;
	int ret = -1;

	if ((wa = common__orderer_addresses__unpack(NULL, wv->value.len,
	    wv->value.data)) == NULL ||
	    (da = common__orderer_addresses__unpack(NULL, dv->value.len,
	    dv->value.data)) == NULL) {
		*reason = xasprintf("the update sets %s/Endpoints to a value "
		    "the topology does not declare", path);
		goto done;
	}
	if (lv != NULL && (la = common__orderer_addresses__unpack(NULL,
	    lv->value.len, lv->value.data)) == NULL) {
		*reason = xasprintf("the live config's %s/Endpoints is not a "
		    "list of orderer addresses", path);
		goto done;
	}
	for (i = 0; i < wa->n_addresses; i++) {
		for (j = 0; j < i; j++)
			if (str_eq(wa->addresses[j], wa->addresses[i]))
				break;
		if (j < i || (!addrs_has(la, wa->addresses[i]) &&
		    !addrs_has(da, wa->addresses[i]))) {
			a = fupd_safe(wa->addresses[i]);
			*reason = xasprintf(j < i ? "the update lists orderer "
			    "address %s twice in %s/Endpoints" : "the update "
			    "adds orderer address %s to %s/Endpoints, which the "
			    "consortium does not declare", a, path);
			free(a);
			goto done;
		}
	}
	for (i = 0; la != NULL && i < la->n_addresses; i++)
		if (!addrs_has(wa, la->addresses[i]) &&
		    addrs_has(da, la->addresses[i])) {
			a = fupd_safe(la->addresses[i]);
			*reason = xasprintf("the update removes orderer address "
			    "%s from %s/Endpoints, which the consortium still "
			    "declares", a, path);
			free(a);
			goto done;
		}
	want.n_addresses = wa->n_addresses;
	want.addresses = wa->addresses;
	b = fupd_msg(&want.base, &len);
	if (len != wv->value.len || memcmp(b, wv->value.data, len) != 0) {
		*reason = xasprintf("the update sets %s/Endpoints to a value "
		    "that is not in canonical form", path);
		goto done;
	}
	ret = 0;
done:
	free(b);
	if (wa != NULL)
		common__orderer_addresses__free_unpacked(wa, NULL);
	if (da != NULL)
		common__orderer_addresses__free_unpacked(da, NULL);
	if (la != NULL)
		common__orderer_addresses__free_unpacked(la, NULL);
	return ret;
}

/*
 * Whether value K of the group at PATH is one whose declared content is a
 * set that a change of consenters moves one element at a time: 1 for
 * Channel/Orderer/ConsensusType, 2 for Channel/Orderer/<org>/Endpoints.
 */
static int
set_valued(const char *path, const char *k)
{
	static const char og[] = "Channel/Orderer";

	if (strncmp(path, og, sizeof(og) - 1) != 0)
		return 0;
	if (path[sizeof(og) - 1] == '\0')
		return strcmp(k, "ConsensusType") == 0 ? 1 : 0;
	if (path[sizeof(og) - 1] == '/' &&
	    strchr(path + sizeof(og), '/') == NULL)
		return strcmp(k, "Endpoints") == 0 ? 2 : 0;
	return 0;
}

/*
 * Checks the write set group W (R: its read set entry, D: the desired
 * group, L: the live group or NULL) at PATH. LIVE: whether a live config
 * was given (fupd_check_live); without it L is NULL throughout.
 */
static int
check_group(const Common__ConfigGroup *w, const Common__ConfigGroup *r,
    const Common__ConfigGroup *d, const Common__ConfigGroup *l, int live,
    const char *path, int depth, char **reason)
{
	const Common__ConfigValue *wv, *rv, *dv, *lv;
	const Common__ConfigPolicy *wp, *rp, *dp;
	const Common__ConfigGroup *wg, *rg, *dg, *lg;
	const char *k;
	char *sub = NULL;
	size_t i;
	int ret = -1, set;

	if (depth > FUPD_MAX_DEPTH) {
		*reason = xasprintf("the update nests deeper than %d groups",
		    FUPD_MAX_DEPTH);
		return -1;
	}
	if (group_sound(w, path, "write set", reason) == -1)
		return -1;
	if (r == NULL || r->version != w->version) {
		if (live && r != NULL) {
			if (check_members_live(w, d, l, path, reason) == -1)
				return -1;
		} else if (check_members(w, r, d, path, reason) == -1)
			return -1;
	}

	for (i = 0; i < w->n_values; i++) {
		k = w->values[i]->key;
		wv = w->values[i]->value;
		rv = fcfg_value(r, k);
		lv = fcfg_value(l, k);
		if ((dv = fcfg_value(d, k)) == NULL) {
			/* Kept as it is while the document removes it. */
			if (live && lv != NULL && value_is_ref(wv, rv))
				continue;
			*reason = xasprintf("the update %s value %s %s %s, "
			    "which the topology does not declare",
			    rv != NULL ? "names" : "adds", k,
			    rv != NULL ? "in" : "to", path);
			return -1;
		}
		if (value_is_ref(wv, rv))
			continue;	/* a reference, not a change */
		if (wv->value.len != dv->value.len || (wv->value.len > 0 &&
		    memcmp(wv->value.data, dv->value.data, wv->value.len) != 0)) {
			set = live ? set_valued(path, k) : 0;
			if (set == 1 && check_consensus(wv, dv, lv, path,
			    reason) == -1)
				return -1;
			if (set == 2 && check_endpoints(wv, dv, lv, path,
			    reason) == -1)
				return -1;
			if (set == 0) {
				*reason = xasprintf("the update sets %s/%s to a "
				    "value the topology does not declare", path,
				    k);
				return -1;
			}
		}
		if (!str_eq(wv->mod_policy, dv->mod_policy)) {
			char *m = fupd_safe(wv->mod_policy);

			*reason = xasprintf("the update sets the mod_policy of "
			    "%s/%s to \"%s\", but the topology has \"%s\"",
			    path, k, m, str_or_empty(dv->mod_policy));
			free(m);
			return -1;
		}
	}

	for (i = 0; i < w->n_policies; i++) {
		k = w->policies[i]->key;
		wp = w->policies[i]->value;
		rp = fcfg_policy(r, k);
		if ((dp = fcfg_policy(d, k)) == NULL) {
			if (live && fcfg_policy(l, k) != NULL &&
			    policy_is_ref(wp, rp))
				continue;
			*reason = xasprintf("the update %s policy %s %s %s, "
			    "which the topology does not declare",
			    rp != NULL ? "names" : "adds", k,
			    rp != NULL ? "in" : "to", path);
			return -1;
		}
		if (policy_is_ref(wp, rp))
			continue;
		if (!policy_eq(wp->policy, dp->policy)) {
			*reason = xasprintf("the update sets policy %s/%s to a "
			    "rule the topology does not declare", path, k);
			return -1;
		}
		if (!str_eq(wp->mod_policy, dp->mod_policy)) {
			char *m = fupd_safe(wp->mod_policy);

			*reason = xasprintf("the update sets the mod_policy of "
			    "policy %s/%s to \"%s\", but the topology has "
			    "\"%s\"", path, k, m, str_or_empty(dp->mod_policy));
			free(m);
			return -1;
		}
	}

	for (i = 0; i < w->n_groups; i++) {
		k = w->groups[i]->key;
		wg = w->groups[i]->value;
		rg = fcfg_group(r, k);
		lg = fcfg_group(l, k);
		if ((dg = fcfg_group(d, k)) == NULL) {
			if (live && lg != NULL && group_is_ref(wg, rg))
				continue;
			*reason = xasprintf("the update %s %s %s %s, which the "
			    "consortium does not declare",
			    rg != NULL ? "names" : "adds", k,
			    rg != NULL ? "in" : "to", path);
			return -1;
		}
		sub = xasprintf("%s/%s", path, k);
		if (check_group(wg, rg, dg, lg, live, sub, depth + 1,
		    reason) == -1)
			goto done;
		free(sub);
		sub = NULL;
	}
	ret = 0;
done:
	free(sub);
	return ret;
}

int
fupd_check_live(const Common__ConfigUpdate *cu, const Common__Config *desired,
    const Common__Config *live, char **reason)
{
	*reason = NULL;
	if (desired == NULL || desired->channel_group == NULL) {
		*reason = xstrdup("there is no desired config to check the "
		    "update against");
		return -1;
	}
	if (live != NULL && live->channel_group == NULL) {
		*reason = xstrdup("the live config to check the update against "
		    "has no channel group");
		return -1;
	}
	if (cu == NULL || cu->write_set == NULL) {
		*reason = xstrdup("the update has no write set");
		return -1;
	}
	if (cu->n_isolated_data > 0) {
		*reason = xstrdup("the update carries isolated_data, which is "
		    "not part of a channel config and which fabfed never "
		    "writes");
		return -1;
	}
	if (read_sound(cu->read_set, "Channel", 1, reason) == -1)
		return -1;
	return check_group(cu->write_set, cu->read_set, desired->channel_group,
	    live != NULL ? live->channel_group : NULL, live != NULL, "Channel",
	    1, reason);
}

int
fupd_check(const Common__ConfigUpdate *cu, const Common__Config *desired,
    char **reason)
{
	return fupd_check_live(cu, desired, NULL, reason);
}

/* A ConfigValue or Policy the live check does not read: its content goes. */
static int
outline_group(Common__ConfigGroup *g, int depth)
{
	Common__ConfigValue *v;
	Common__ConfigPolicy *p;
	size_t i;

	if (depth > FUPD_MAX_DEPTH)
		return -1;
	for (i = 0; i < g->n_values; i++) {
		v = g->values[i]->value;
		if (v == NULL || strcmp(g->values[i]->key, "ConsensusType") == 0 ||
		    strcmp(g->values[i]->key, "Endpoints") == 0)
			continue;
		free(v->value.data);
		v->value.data = NULL;
		v->value.len = 0;
	}
	for (i = 0; i < g->n_policies; i++) {
		p = g->policies[i]->value;
		if (p != NULL && p->policy != NULL) {
			common__policy__free_unpacked(p->policy, NULL);
			p->policy = NULL;
		}
	}
	for (i = 0; i < g->n_groups; i++)
		if (g->groups[i]->value != NULL &&
		    outline_group(g->groups[i]->value, depth + 1) == -1)
			return -1;
	return 0;
}

uint8_t *
fupd_live_outline(const Common__Config *live, size_t *len)
{
	Common__Config *c;
	uint8_t *b = NULL;

	if (live == NULL || live->channel_group == NULL ||
	    (c = fcfg_msg_copy(&live->base)) == NULL)
		return NULL;
	if (outline_group(c->channel_group, 1) == 0)
		b = fupd_msg(&c->base, len);
	fcfg_free(c);
	return b;
}

Common__Config *
fupd_decode_config(const uint8_t *data, size_t len, char **cause)
{
	Common__Config *c;

	*cause = NULL;
	if (len > FUPD_MAX_UPDATE) {
		*cause = xasprintf("the config is %zu bytes, more than the %d "
		    "this side reads", len, FUPD_MAX_UPDATE);
		return NULL;
	}
	/* Config: its channel_group (field 2) is a group. */
	if (wire_walk(data, len, 0, 2, wire_group) == -1) {
		*cause = xasprintf("the config is not a Config whose groups "
		    "nest at most %d deep", FUPD_MAX_DEPTH);
		return NULL;
	}
	if ((c = common__config__unpack(NULL, len, data)) == NULL) {
		*cause = xstrdup("the config does not decode as a Config");
		return NULL;
	}
	if (c->channel_group == NULL) {
		*cause = xstrdup("the config has no channel group");
		fcfg_free(c);
		return NULL;
	}
	return c;
}

Common__Config *
fupd_desired(const json_t *topo, const char *channel, const json_t *orgs,
    char **cause)
{
	return fcfg_build(topo, channel, orgs, cause);
}
