/*
 * topology.c: the consortium document (fabfed.io/v1alpha1, kind Consortium).
 *
 * yamljson turns the text into a jansson tree with positions; this file
 * walks the tree once against the schema of TOPOLOGY.md, reporting every
 * problem with its path and position, and then builds the normalized
 * document (fixed key order, defaults filled in, durations in Go's
 * canonical form) from the input it has proved valid. Uniqueness and
 * reference checks use jansson objects as hash maps: linear in the size of
 * the document.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology.h"
#include "topology_rules.h"
#include "xmalloc.h"
#include "yamljson.h"

#define TOPO_API_VERSION        "fabfed.io/v1alpha1"
#define TOPO_KIND               "Consortium"
#define TOPO_MAX_DEPTH          64
#define TOPO_DEF_FABRIC         "2.5"
#define TOPO_DEF_STATEDB        "leveldb"
#define TOPO_DEF_POLICY         "MAJORITY"
#define TOPO_DEF_TIMEOUT        "2s"
#define TOPO_DEF_MAXMSG         500
#define TOPO_MAX_MAXMSG         100000
#define TOPO_DEF_ABSMAX         (10LL * 1024 * 1024)
#define TOPO_DEF_PREFMAX        (2LL * 1024 * 1024)
#define TOPO_MAX_ABSMAX         (99LL * 1024 * 1024)

/* What the channel checks need to know about an org. */
struct tv_org {
	const char *msp;        /* borrowed; NULL when invalid */
	const char *region;     /* borrowed; NULL when invalid */
	size_t npeers;
	int anchor;
};

struct tv {
	struct yamljson_walk w;             /* path, positions, reporting */
	struct tv_org *orgs;
	size_t norgs;
	json_t *msps;           /* exact MSP ID -> org index */
	json_t *msps_fold;      /* lower-cased MSP ID -> path of first use */
	json_t *orderers;       /* "MSP/name" -> org index */
	json_t *endpoints;      /* canonical host:port -> path of its node */
	json_t *channels;       /* channel name -> path of its first use */
};

static const char *const tv_root_fields[] = {
	"apiVersion", "kind", "metadata", "spec", NULL };
static const char *const tv_meta_fields[] = { "name", NULL };
static const char *const tv_spec_fields[] = {
	"fabricVersion", "orgs", "channels", NULL };
static const char *const tv_org_fields[] = {
	"mspId", "domain", "cluster", "peers", "orderers", NULL };
static const char *const tv_cluster_fields[] = { "name", "region", NULL };
static const char *const tv_peer_fields[] = {
	"name", "endpoint", "anchor", "stateDatabase", NULL };
static const char *const tv_orderer_fields[] = { "name", "endpoint", NULL };
static const char *const tv_channel_fields[] = {
	"name", "consenters", "members", "policies", "batch", NULL };
static const char *const tv_policy_fields[] = {
	"admins", "endorsement", NULL };
static const char *const tv_batch_fields[] = {
	"timeout", "maxMessageCount", "absoluteMaxBytes", "preferredMaxBytes",
	NULL };
static const char *const tv_policies[] = { "ANY", "MAJORITY", "ALL", NULL };
static const char *const tv_statedbs[] = { "leveldb", "couchdb", NULL };
static const char *const tv_versions[] = { "2.5", "2.4", NULL };

void
topo_diags_init(struct topo_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void
topo_diags_free(struct topo_diags *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].path);
		free(d->v[i].message);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

static void
topo_diag_add(struct topo_diags *d, int warning, const char *path, int line,
    int column, const char *msg)
{
	struct topo_diag *g;

	if (d->n == d->cap) {
		d->cap = d->cap == 0 ? 8 : d->cap * 2;
		d->v = xreallocarray(d->v, d->cap, sizeof(*d->v));
	}
	g = &d->v[d->n++];
	g->path = xstrdup(path != NULL ? path : "");
	g->message = xstrdup(msg);
	g->line = line;
	g->column = column;
	g->warning = warning;
	if (warning)
		d->nwarnings++;
	else
		d->nerrors++;
}

json_t *
topo_diags_json(const struct topo_diags *d, int warnings)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; d != NULL && i < d->n; i++) {
		if ((d->v[i].warning != 0) != (warnings != 0))
			continue;
		(void)json_array_append_new(a, json_pack("{s:s, s:i, s:i, s:s}",
		    "path", d->v[i].path, "line", d->v[i].line,
		    "column", d->v[i].column, "message", d->v[i].message));
	}
	return a;
}

struct topo_sortent {
	struct topo_diag g;
	size_t seq;
};

static int
topo_diag_cmp(const void *pa, const void *pb)
{
	const struct topo_sortent *a = pa, *b = pb;

	if (a->g.line != b->g.line)
		return a->g.line < b->g.line ? -1 : 1;
	if (a->g.column != b->g.column)
		return a->g.column < b->g.column ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Document order: by position, then in the order found. */
static void
topo_diags_sort(struct topo_diags *d, size_t from)
{
	struct topo_sortent *e;
	size_t i, n = d->n - from;

	if (n < 2)
		return;
	e = xcalloc(n, sizeof(*e));
	for (i = 0; i < n; i++) {
		e[i].g = d->v[from + i];
		e[i].seq = i;
	}
	qsort(e, n, sizeof(*e), topo_diag_cmp);
	for (i = 0; i < n; i++)
		d->v[from + i] = e[i].g;
	free(e);
}

/* Remembers path under key in map; returns the earlier path, or NULL. */
static const char *
tv_once(json_t *map, const char *key, const char *path)
{
	json_t *first = json_object_get(map, key);

	if (first != NULL)
		return json_string_value(first);
	(void)json_object_set_new(map, key, json_string(path));
	return NULL;
}

/* A string member (see yamljson_enter): its value, or NULL. */
static const char *
tv_str(struct tv *v, const json_t *obj, const char *key, int required,
    size_t *restore)
{
	return json_string_value(yamljson_enter(&v->w, obj, key,
	    YAMLJSON_STRING, required, restore));
}

static void
tv_node(struct tv *v, json_t *n, size_t orgidx, json_t *names, int orderer)
{
	struct yamljson_walk *w = &v->w;
	struct tv_org *org = &v->orgs[orgidx];
	const char *s, *first, *why;
	char canon[300], *ref, *nodepath;
	json_t *j;
	size_t r;

	if (yamljson_typed(w, n, YAMLJSON_MAP) == NULL)
		return;
	yamljson_fields(w, n, orderer ? tv_orderer_fields : tv_peer_fields);
	nodepath = xstrdup(w->path.s);

	if ((s = tv_str(v, n, "name", 1, &r)) == NULL)
		;
	else if (topo_label(s, strlen(s), 1) != 0)
		yamljson_err(w, "invalid node name \"%s\": 1 to 63 "
		    "characters of a-z, 0-9 and '-', starting and ending "
		    "with a letter or digit", s);
	else if ((first = tv_once(names, s, w->path.s)) != NULL)
		yamljson_err(w, "duplicate node name \"%s\" in this org (first "
		    "at %s)", s, first);
	else if (orderer && org->msp != NULL) {
		ref = xasprintf("%s/%s", org->msp, s);
		(void)json_object_set_new(v->orderers, ref,
		    json_integer((json_int_t)orgidx));
		free(ref);
	}
	yamljson_leave(w, r);

	if ((s = tv_str(v, n, "endpoint", 1, &r)) == NULL)
		;
	else if ((why = topo_endpoint(s, canon, sizeof(canon))) != NULL)
		yamljson_err(w, "invalid endpoint \"%s\": %s", s, why);
	else if ((first = tv_once(v->endpoints, canon, nodepath)) != NULL)
		yamljson_err(w, "endpoint \"%s\" is already used by %s", s,
		    first);
	yamljson_leave(w, r);
	free(nodepath);

	if (orderer)
		return;
	org->npeers++;
	j = yamljson_enter(w, n, "anchor", YAMLJSON_BOOL, 0, &r);
	if (json_is_true(j))
		org->anchor = 1;
	yamljson_leave(w, r);
	yamljson_enum(w, n, "stateDatabase", tv_statedbs, "state database",
	    "leveldb or couchdb");
}

static void
tv_nodes(struct tv *v, const json_t *o, const char *key, size_t orgidx,
    json_t *names, int orderer)
{
	json_t *list, *n;
	size_t r, r2, i;

	list = yamljson_enter(&v->w, o, key, YAMLJSON_LIST, 0, &r);
	json_array_foreach(list, i, n) {
		r2 = yamljson_push_index(&v->w, i);
		tv_node(v, n, orgidx, names, orderer);
		yamljson_leave(&v->w, r2);
	}
	yamljson_leave(&v->w, r);
}

static void
tv_mspid(struct tv *v, const json_t *o, size_t idx)
{
	struct yamljson_walk *w = &v->w;
	const char *s, *first;
	char *fold;
	size_t r, i;

	if ((s = tv_str(v, o, "mspId", 1, &r)) == NULL) {
		yamljson_leave(w, r);
		return;
	}
	fold = xstrdup(s);
	for (i = 0; fold[i] != '\0'; i++)
		fold[i] = (char)tolower((unsigned char)fold[i]);
	if (topology_valid_msp_id(s) != 0)
		yamljson_err(w, "invalid MSP ID \"%s\": 1 to 249 characters of "
		    "A-Z, a-z, 0-9, '.' and '-'", s);
	else if ((first = tv_once(v->msps_fold, fold, w->path.s)) == NULL) {
		(void)json_object_set_new(v->msps, s,
		    json_integer((json_int_t)idx));
		v->orgs[idx].msp = s;
	} else if (json_object_get(v->msps, s) != NULL)
		yamljson_err(w, "duplicate MSP ID \"%s\" (first at %s)", s,
		    first);
	else
		yamljson_err(w, "MSP ID \"%s\" differs only in case from "
		    "the one at %s", s, first);
	free(fold);
	yamljson_leave(w, r);
}

static void
tv_cluster(struct tv *v, const json_t *o, size_t idx)
{
	static const char *const keys[] = { "name", "region" };
	struct yamljson_walk *w = &v->w;
	const char *s;
	json_t *c;
	size_t r, r2, i;

	if ((c = yamljson_enter(w, o, "cluster", YAMLJSON_MAP, 1, &r))) {
		yamljson_fields(w, c, tv_cluster_fields);
		for (i = 0; i < 2; i++) {
			if ((s = tv_str(v, c, keys[i], 1, &r2)) == NULL)
				;
			else if (topo_cluster_word(s) != 0)
				yamljson_err(w, "invalid cluster %s \"%s\": "
				    "1 to 253 characters of A-Z, a-z, 0-9, "
				    "'.', '_' and '-'", keys[i], s);
			else if (i == 1)
				v->orgs[idx].region = s;
			yamljson_leave(w, r2);
		}
	}
	yamljson_leave(w, r);
}

static void
tv_org(struct tv *v, json_t *o, size_t idx)
{
	struct yamljson_walk *w = &v->w;
	const char *s;
	json_t *names;
	size_t r;

	if (yamljson_typed(w, o, YAMLJSON_MAP) == NULL)
		return;
	yamljson_fields(w, o, tv_org_fields);
	tv_mspid(v, o, idx);
	if ((s = tv_str(v, o, "domain", 1, &r)) != NULL &&
	    (topo_dns_name(s) != 0 || topo_numeric(s)))
		yamljson_err(w, "invalid domain \"%s\": expected a DNS name "
		    "such as org1.example.com", s);
	yamljson_leave(w, r);
	tv_cluster(v, o, idx);
	names = json_object();
	tv_nodes(v, o, "peers", idx, names, 0);
	tv_nodes(v, o, "orderers", idx, names, 1);
	json_decref(names);
}

/* One consenter: returns the index of its org, or -1 after an error. */
static long
tv_consenter(struct tv *v, json_t *j, json_t *seen)
{
	struct yamljson_walk *w = &v->w;
	const char *s, *slash, *first;
	json_t *idx;
	char *msp;
	long ret = -1;

	if (yamljson_typed(w, j, YAMLJSON_STRING) == NULL)
		return -1;
	s = json_string_value(j);
	slash = strchr(s, '/');
	if (slash == NULL || slash == s || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL) {
		yamljson_err(w, "expected \"MSPID/ordererName\", found "
		    "\"%s\"", s);
		return -1;
	}
	msp = xstrndup(s, (size_t)(slash - s));
	if (json_object_get(v->msps, msp) == NULL)
		yamljson_err(w, "no org with MSP ID \"%s\"", msp);
	else if ((idx = json_object_get(v->orderers, s)) == NULL)
		yamljson_err(w, "org %s has no orderer named \"%s\"", msp,
		    slash + 1);
	else if ((first = tv_once(seen, s, w->path.s)) != NULL)
		yamljson_err(w, "duplicate consenter \"%s\" (first at %s)", s,
		    first);
	else
		ret = (long)json_integer_value(idx);
	free(msp);
	return ret;
}

static void
tv_consenters(struct tv *v, const json_t *list, const char *chname)
{
	struct yamljson_walk *w = &v->w;
	const char *region = NULL, *rg;
	json_t *seen, *j;
	size_t i, r, n = 0, bad = 0;
	int oneregion = 1;
	long org;

	if (json_array_size(list) == 0)
		yamljson_err(w, "a channel needs at least one consenter");
	seen = json_object();
	json_array_foreach(list, i, j) {
		r = yamljson_push_index(w, i);
		if ((org = tv_consenter(v, j, seen)) < 0)
			bad++;
		else {
			rg = v->orgs[org].region;
			if (rg == NULL ||
			    (region != NULL && strcmp(rg, region) != 0))
				oneregion = 0;
			region = rg;
			n++;
		}
		yamljson_leave(w, r);
	}
	json_decref(seen);
	if (bad > 0 || n < 2)
		return;
	if (n % 2 == 0)
		yamljson_warn(w, "even number of consenters (%zu): Raft "
		    "with %zu tolerates as many failures (%zu) as with %zu; "
		    "use an odd number", n, n, (n - 1) / 2, n - 1);
	if (oneregion && region != NULL)
		yamljson_warn(w, "all %zu consenters of channel \"%s\" are in "
		    "region \"%s\": losing that region stops the channel", n,
		    chname, region);
}

static void
tv_members(struct tv *v, const json_t *list, const char *chname)
{
	struct yamljson_walk *w = &v->w;
	const char *s, *first;
	json_t *seen, *j, *idx;
	struct tv_org *org;
	size_t i, r;

	if (json_array_size(list) == 0)
		yamljson_err(w, "a channel needs at least one member org");
	seen = json_object();
	json_array_foreach(list, i, j) {
		r = yamljson_push_index(w, i);
		if (yamljson_typed(w, j, YAMLJSON_STRING) == NULL)
			;
		else if ((idx = json_object_get(v->msps,
		    (s = json_string_value(j)))) == NULL)
			yamljson_err(w, "no org with MSP ID \"%s\"", s);
		else if ((first = tv_once(seen, s, w->path.s)) != NULL)
			yamljson_err(w, "duplicate member \"%s\" (first at "
			    "%s)", s, first);
		else {
			org = &v->orgs[json_integer_value(idx)];
			if (org->npeers > 0 && !org->anchor)
				yamljson_warn(w, "org %s has peers but no "
				    "anchor peer: peers of other orgs in "
				    "channel \"%s\" cannot find them (set "
				    "anchor: true on one of its peers)", s,
				    chname);
		}
		yamljson_leave(w, r);
	}
	json_decref(seen);
}

static void
tv_batch(struct tv *v, const json_t *b)
{
	struct yamljson_walk *w = &v->w;
	json_int_t maxmsg = TOPO_DEF_MAXMSG, absmax = TOPO_DEF_ABSMAX;
	json_int_t prefmax = TOPO_DEF_PREFMAX;
	const char *s;
	long long ns;
	size_t r;

	yamljson_fields(w, b, tv_batch_fields);
	if ((s = tv_str(v, b, "timeout", 0, &r)) == NULL)
		;
	else if (topo_duration(s, &ns) != 0)
		yamljson_err(w, "invalid duration \"%s\": expected a Go "
		    "duration such as \"2s\", \"500ms\" or \"1m30s\"", s);
	else if (ns <= 0 || ns > TOPO_TIMEOUT_MAX)
		yamljson_err(w, "the batch timeout must be more than 0 and at "
		    "most 1h, found \"%s\"", s);
	yamljson_leave(w, r);
	yamljson_int(w, b, "maxMessageCount", 1, TOPO_MAX_MAXMSG, &maxmsg);
	yamljson_int(w, b, "absoluteMaxBytes", 1, TOPO_MAX_ABSMAX, &absmax);
	yamljson_int(w, b, "preferredMaxBytes", 1, TOPO_MAX_ABSMAX, &prefmax);
	if (prefmax > absmax) {
		r = yamljson_push(w, json_object_get(b, "preferredMaxBytes") ?
		    "preferredMaxBytes" : "absoluteMaxBytes");
		yamljson_err(w, "preferredMaxBytes (%" JSON_INTEGER_FORMAT
		    ") must not exceed absoluteMaxBytes (%"
		    JSON_INTEGER_FORMAT ")", prefmax, absmax);
		yamljson_leave(w, r);
	}
}

static void
tv_channel(struct tv *v, json_t *c)
{
	struct yamljson_walk *w = &v->w;
	const char *name, *first, *chname = "?";
	json_t *j;
	size_t r;

	if (yamljson_typed(w, c, YAMLJSON_MAP) == NULL)
		return;
	yamljson_fields(w, c, tv_channel_fields);
	if ((name = tv_str(v, c, "name", 1, &r)) == NULL)
		;
	else if (topology_valid_channel_name(chname = name) != 0)
		yamljson_err(w, "invalid channel name \"%s\": must match "
		    "^[a-z][a-z0-9.-]*$ and be shorter than 250 characters",
		    name);
	else if ((first = tv_once(v->channels, name, w->path.s)) != NULL)
		yamljson_err(w, "duplicate channel name \"%s\" (first at %s)",
		    name, first);
	yamljson_leave(w, r);

	if ((j = yamljson_enter(w, c, "consenters", YAMLJSON_LIST, 1, &r)))
		tv_consenters(v, j, chname);
	yamljson_leave(w, r);
	if ((j = yamljson_enter(w, c, "members", YAMLJSON_LIST, 1, &r)))
		tv_members(v, j, chname);
	yamljson_leave(w, r);
	if ((j = yamljson_enter(w, c, "policies", YAMLJSON_MAP, 0, &r))) {
		yamljson_fields(w, j, tv_policy_fields);
		yamljson_enum(w, j, "admins", tv_policies, "policy",
		    "ANY, MAJORITY or ALL");
		yamljson_enum(w, j, "endorsement", tv_policies, "policy",
		    "ANY, MAJORITY or ALL");
	}
	yamljson_leave(w, r);
	if ((j = yamljson_enter(w, c, "batch", YAMLJSON_MAP, 0, &r)))
		tv_batch(v, j);
	yamljson_leave(w, r);
}

static void
tv_spec(struct tv *v, const json_t *spec)
{
	struct yamljson_walk *w = &v->w;
	json_t *list, *j;
	size_t r, r2, i;

	yamljson_fields(w, spec, tv_spec_fields);
	if (json_is_number(json_object_get(spec, "fabricVersion"))) {
		r = yamljson_push(w, "fabricVersion");
		yamljson_err(w, "expected a string, found a number (quote it: "
		    "fabricVersion: \"2.5\")");
		yamljson_leave(w, r);
	} else
		yamljson_enum(w, spec, "fabricVersion", tv_versions,
		    "fabricVersion", "\"2.5\" or \"2.4\"");

	if ((list = yamljson_enter(w, spec, "orgs", YAMLJSON_LIST, 1, &r))) {
		if (json_array_size(list) == 0)
			yamljson_err(w, "a consortium needs at least one org");
		v->norgs = json_array_size(list);
		v->orgs = xcalloc(v->norgs + 1, sizeof(*v->orgs));
		json_array_foreach(list, i, j) {
			r2 = yamljson_push_index(w, i);
			tv_org(v, j, i);
			yamljson_leave(w, r2);
		}
	}
	yamljson_leave(w, r);

	list = yamljson_enter(w, spec, "channels", YAMLJSON_LIST, 0, &r);
	json_array_foreach(list, i, j) {
		r2 = yamljson_push_index(w, i);
		tv_channel(v, j);
		yamljson_leave(w, r2);
	}
	yamljson_leave(w, r);
}

static void
tv_root(struct tv *v, const json_t *doc)
{
	struct yamljson_walk *w = &v->w;
	const char *s;
	json_t *j;
	size_t r, r2;

	if (!json_is_object(doc)) {
		yamljson_err(w, "the document must be a mapping (apiVersion, "
		    "kind, metadata, spec), found %s", yamljson_found(doc));
		return;
	}
	yamljson_fields(w, doc, tv_root_fields);
	if ((s = tv_str(v, doc, "apiVersion", 1, &r)) != NULL &&
	    strcmp(s, TOPO_API_VERSION) != 0)
		yamljson_err(w, "unsupported apiVersion \"%s\" (expected "
		    "\"%s\")", s, TOPO_API_VERSION);
	yamljson_leave(w, r);
	if ((s = tv_str(v, doc, "kind", 1, &r)) != NULL &&
	    strcmp(s, TOPO_KIND) != 0)
		yamljson_err(w, "unsupported kind \"%s\" (expected \"%s\")", s,
		    TOPO_KIND);
	yamljson_leave(w, r);
	if ((j = yamljson_enter(w, doc, "metadata", YAMLJSON_MAP, 1, &r))) {
		yamljson_fields(w, j, tv_meta_fields);
		if ((s = tv_str(v, j, "name", 1, &r2)) != NULL &&
		    topology_valid_consortium_name(s) != 0)
			yamljson_err(w, "invalid consortium name \"%s\": "
			    "1 to 63 characters of a-z, 0-9 and '-', "
			    "starting and ending with a letter or digit", s);
		yamljson_leave(w, r2);
	}
	yamljson_leave(w, r);
	if ((j = yamljson_enter(w, doc, "spec", YAMLJSON_MAP, 1, &r)))
		tv_spec(v, j);
	yamljson_leave(w, r);
}

/* Normalization, from a document that passed the checks. */

static json_t *
topo_str(const json_t *obj, const char *key, const char *def)
{
	json_t *j = json_object_get(obj, key);

	return json_string(json_is_string(j) ? json_string_value(j) : def);
}

static json_t *
topo_int(const json_t *obj, const char *key, json_int_t def)
{
	json_t *j = json_object_get(obj, key);

	return json_integer(json_is_integer(j) ? json_integer_value(j) : def);
}

static json_t *
topo_timeout(const json_t *batch)
{
	json_t *j = json_object_get(batch, "timeout");
	long long ns;
	char buf[64];

	if (!json_is_string(j) || topo_duration(json_string_value(j), &ns) != 0)
		return json_string(TOPO_DEF_TIMEOUT);
	topo_duration_fmt(ns, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *
topo_nodes(const json_t *org, const char *key, int orderer)
{
	json_t *out = json_array(), *n;
	size_t i;

	json_array_foreach(json_object_get(org, key), i, n) {
		if (orderer)
			(void)json_array_append_new(out, json_pack("{s:o, s:o}",
			    "name", topo_str(n, "name", ""),
			    "endpoint", topo_str(n, "endpoint", "")));
		else
			(void)json_array_append_new(out, json_pack(
			    "{s:o, s:o, s:b, s:o}",
			    "name", topo_str(n, "name", ""),
			    "endpoint", topo_str(n, "endpoint", ""),
			    "anchor",
			    json_is_true(json_object_get(n, "anchor")),
			    "stateDatabase", topo_str(n, "stateDatabase",
			    TOPO_DEF_STATEDB)));
	}
	return out;
}

static json_t *
topo_normalize(const json_t *doc)
{
	const json_t *spec = json_object_get(doc, "spec");
	json_t *orgs = json_array(), *chans = json_array(), *j, *c, *p, *b;
	size_t i;

	json_array_foreach(json_object_get(spec, "orgs"), i, j) {
		c = json_object_get(j, "cluster");
		(void)json_array_append_new(orgs, json_pack(
		    "{s:o, s:o, s:{s:o, s:o}, s:o, s:o}",
		    "mspId", topo_str(j, "mspId", ""),
		    "domain", topo_str(j, "domain", ""),
		    "cluster", "name", topo_str(c, "name", ""),
		    "region", topo_str(c, "region", ""),
		    "peers", topo_nodes(j, "peers", 0),
		    "orderers", topo_nodes(j, "orderers", 1)));
	}
	json_array_foreach(json_object_get(spec, "channels"), i, j) {
		p = json_object_get(j, "policies");
		b = json_object_get(j, "batch");
		(void)json_array_append_new(chans, json_pack(
		    "{s:o, s:o, s:o, s:{s:o, s:o}, s:{s:o, s:o, s:o, s:o}}",
		    "name", topo_str(j, "name", ""),
		    "consenters",
		    json_deep_copy(json_object_get(j, "consenters")),
		    "members", json_deep_copy(json_object_get(j, "members")),
		    "policies",
		    "admins", topo_str(p, "admins", TOPO_DEF_POLICY),
		    "endorsement", topo_str(p, "endorsement", TOPO_DEF_POLICY),
		    "batch",
		    "timeout", topo_timeout(b),
		    "maxMessageCount", topo_int(b, "maxMessageCount",
		    TOPO_DEF_MAXMSG),
		    "absoluteMaxBytes", topo_int(b, "absoluteMaxBytes",
		    TOPO_DEF_ABSMAX),
		    "preferredMaxBytes", topo_int(b, "preferredMaxBytes",
		    TOPO_DEF_PREFMAX)));
	}
	return json_pack("{s:s, s:s, s:{s:o}, s:{s:o, s:o, s:o}}",
	    "apiVersion", TOPO_API_VERSION, "kind", TOPO_KIND,
	    "metadata", "name",
	    topo_str(json_object_get(doc, "metadata"), "name", ""),
	    "spec", "fabricVersion",
	    topo_str(spec, "fabricVersion", TOPO_DEF_FABRIC),
	    "orgs", orgs, "channels", chans);
}

static void
topo_report(void *arg, int warning, const char *path, int line, int column,
    const char *msg)
{
	topo_diag_add(arg, warning, path, line, column, msg);
}

static json_t *
topo_validate(json_t *doc, const struct yamljson_pos *pos, struct topo_diags *d)
{
	struct tv v;
	size_t nerrors = d->nerrors;
	json_t *out = NULL;

	memset(&v, 0, sizeof(v));
	yamljson_walk_init(&v.w, pos, topo_report, d);
	v.msps = json_object();
	v.msps_fold = json_object();
	v.orderers = json_object();
	v.endpoints = json_object();
	v.channels = json_object();

	tv_root(&v, doc);
	if (d->nerrors == nerrors)
		out = topo_normalize(doc);

	yamljson_walk_free(&v.w);
	free(v.orgs);
	json_decref(v.msps);
	json_decref(v.msps_fold);
	json_decref(v.orderers);
	json_decref(v.endpoints);
	json_decref(v.channels);
	return out;
}


json_t *
topology_load(const char *data, size_t len, struct topo_diags *d)
{
	struct topo_diags local;
	struct yamljson_pos pos;
	json_t *doc, *out = NULL;
	size_t from, nerrors;
	char *msg;

	if (d == NULL) {
		topo_diags_init(&local);
		d = &local;
	}
	from = d->n;
	nerrors = d->nerrors;
	if (len > (size_t)TOPOLOGY_MAX_BYTES) {
		msg = xasprintf("the document is %zu bytes, more than the "
		    "limit of %d bytes (1 MiB)", len, TOPOLOGY_MAX_BYTES);
		topo_diag_add(d, 0, "", 0, 0, msg);
		free(msg);
		goto done;
	}
	if (data == NULL)
		data = "";
	doc = yamljson_parse(data, len, TOPO_MAX_DEPTH, &pos, topo_report, d);
	if (doc != NULL)
		out = topo_validate(doc, &pos, d);
	else
		d->syntax = 1;  /* not well-formed YAML/JSON: nothing to validate */
	json_decref(doc);
	yamljson_pos_free(&pos);
	topo_diags_sort(d, from);
	if (d->nerrors > nerrors) {
		json_decref(out);
		out = NULL;
	}
done:
	if (d == &local)
		topo_diags_free(&local);
	return out;
}

json_t *
topology_check(json_t *doc, struct topo_diags *d)
{
	struct topo_diags local;
	json_t *out;

	if (d == NULL) {
		topo_diags_init(&local);
		d = &local;
	}
	out = topo_validate(doc, NULL, d);
	if (d == &local)
		topo_diags_free(&local);
	return out;
}

json_t *
topology_find_org(const json_t *doc, const char *mspid)
{
	json_t *org;
	size_t i;

	if (mspid == NULL)
		return NULL;
	json_array_foreach(json_object_get(json_object_get(doc, "spec"), "orgs"), i, org) {
		const char *id = json_string_value(json_object_get(org, "mspId"));

		if (id != NULL && strcmp(id, mspid) == 0)
			return org;
	}
	return NULL;
}

json_t *
topology_find_node(const json_t *org, const char *name, const char **kind)
{
	static const char *lists[] = { "peers", "orderers" }, *kinds[] = { "peer", "orderer" };
	json_t *n;
	size_t i, l;

	for (l = 0; l < 2 && name != NULL; l++) {
		json_array_foreach(json_object_get(org, lists[l]), i, n) {
			const char *nm = json_string_value(json_object_get(n, "name"));

			if (nm != NULL && strcmp(nm, name) == 0) {
				if (kind != NULL)
					*kind = kinds[l];
				return n;
			}
		}
	}
	return NULL;
}

const char *
topology_name(const json_t *doc)
{
	return json_string_value(json_object_get(json_object_get(doc,
	    "metadata"), "name"));
}
