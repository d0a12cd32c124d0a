/*
 * topology.h: the consortium document (fabfed.io/v1alpha1, kind Consortium,
 * ../shared/TOPOLOGY.md): parse YAML or JSON with positions, validate, and
 * normalize (defaults filled in) into a jansson document.
 */
#ifndef FABFED_TOPOLOGY_H
#define FABFED_TOPOLOGY_H

#include <stddef.h>

#include <jansson.h>

#define TOPOLOGY_MAX_BYTES (1024 * 1024)  /* a document past this is refused */

struct topo_diag {
	char *path;      /* "spec.orgs[2].mspId"; "" for the whole document */
	int line;        /* 1-based; 0 when unknown (JSON from jansson gives it too) */
	int column;      /* 1-based; 0 when unknown */
	char *message;   /* a sentence, no trailing period needed */
	int warning;     /* 1 = warning, 0 = error */
};

struct topo_diags {
	struct topo_diag *v;
	size_t n;
	size_t cap;
	size_t nerrors;
	size_t nwarnings;
	int syntax;      /* 1 when the input is not well-formed YAML/JSON at all */
};

void topo_diags_init(struct topo_diags *);
void topo_diags_free(struct topo_diags *);
/* {"path":..,"line":..,"column":..,"message":..} list; caller decrefs. */
json_t *topo_diags_json(const struct topo_diags *, int warnings);

/*
 * Parses a document (YAML or JSON; YAML's flow style covers JSON), checks it
 * against the schema and the rules of TOPOLOGY.md, and returns the
 * normalized document (defaults filled in, unknown fields refused) or NULL.
 * Every error and warning goes to *d, all of them at once. A document with
 * errors returns NULL; warnings alone do not. Caller decrefs.
 */
json_t *topology_load(const char *data, size_t len, struct topo_diags *d);

/* Validates an already-parsed JSON document (no positions). Same contract. */
json_t *topology_check(json_t *doc, struct topo_diags *d);

/* Borrowed metadata.name of a normalized document. */
const char *topology_name(const json_t *doc);

/* The org with mspId in a normalized document, or NULL. Borrowed. */
json_t *topology_find_org(const json_t *doc, const char *mspid);
/*
 * The peer or orderer called name in org (an entry of spec.orgs), or NULL;
 * *kind (may be NULL) gets "peer" or "orderer". Borrowed.
 */
json_t *topology_find_node(const json_t *org, const char *name, const char **kind);

/* Rules a name must meet, shared with the API (0 = ok). */
int topology_valid_consortium_name(const char *);
int topology_valid_channel_name(const char *);
int topology_valid_msp_id(const char *);

#endif
