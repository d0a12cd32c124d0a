/*
 * yamljson.h: one YAML document (YAML 1.2 core schema; JSON is YAML's flow
 * style, so this reads JSON too) into a jansson tree, with the 1-based line
 * and column of every node kept in a side table keyed by the node's path
 * ("spec.orgs[2].peers[0].endpoint").
 *
 * Refused, to keep untrusted input cheap and unambiguous: aliases (no
 * "billion laughs"), anchors, merge keys, tags other than the standard
 * ones (!!str, !!int, !!float, !!bool, !!null, !!map, !!seq), duplicate
 * keys, collection keys, more than one document and nesting deeper than
 * the caller's limit.
 */
#ifndef FABFED_YAMLJSON_H
#define FABFED_YAMLJSON_H

#include <stddef.h>

#include <jansson.h>

/* Positions of the nodes of one parsed document. */
struct yamljson_pos {
	json_t *value;  /* path -> start of the node */
	json_t *key;    /* path -> start of the mapping key naming the node */
};

/*
 * Called for each problem found (warning = 0: an error). path and msg are
 * borrowed for the call; line and column are 1-based, 0 when unknown.
 */
typedef void (*yamljson_report_cb)(void *arg, int warning, const char *path,
    int line, int column, const char *msg);

/*
 * Parses data[0..len). Returns the tree (caller decrefs) or NULL after a
 * fatal problem (syntax, alias, depth, second document, empty input). A
 * returned tree may still have had non-fatal problems (duplicate keys,
 * anchors, tags, merge keys): they were reported through cb, and the first
 * of duplicate keys was kept. pos may be NULL; otherwise it is filled (also
 * on failure) and the caller frees it with yamljson_pos_free().
 */
json_t *yamljson_parse(const char *data, size_t len, int maxdepth,
    struct yamljson_pos *pos, yamljson_report_cb cb, void *arg);

void yamljson_pos_init(struct yamljson_pos *);
void yamljson_pos_free(struct yamljson_pos *);
/*
 * Position of the node at path (key = 0) or of the key that names it
 * (key = 1). Returns 0, or -1 and sets line and column to 0 when unknown.
 * pos may be NULL.
 */
int yamljson_pos_get(const struct yamljson_pos *, const char *path, int key,
    int *line, int *column);

/* A growable path ("spec.orgs[2].mspId"); keys that are not plain
 * identifiers are written ["as JSON strings"]. */
struct yamljson_path {
	char *s;        /* always NUL-terminated */
	size_t len;
	size_t cap;
};

void yamljson_path_init(struct yamljson_path *);
void yamljson_path_free(struct yamljson_path *);
/* Both return the length before the push, for yamljson_path_pop(). */
size_t yamljson_path_push_key(struct yamljson_path *, const char *key,
    size_t keylen);
size_t yamljson_path_push_index(struct yamljson_path *, size_t);
void yamljson_path_pop(struct yamljson_path *, size_t len);

/*
 * A walk over a parsed tree that checks it against a schema, reporting
 * each problem with the path and position of the node at fault.
 */
enum yamljson_type {
	YAMLJSON_STRING,
	YAMLJSON_INT,
	YAMLJSON_BOOL,
	YAMLJSON_MAP,
	YAMLJSON_LIST
};

struct yamljson_walk {
	struct yamljson_path path;          /* of the node being checked */
	const struct yamljson_pos *pos;     /* borrowed; NULL: no positions */
	yamljson_report_cb report;
	void *arg;
};

void yamljson_walk_init(struct yamljson_walk *, const struct yamljson_pos *,
    yamljson_report_cb, void *arg);
void yamljson_walk_free(struct yamljson_walk *);
/* At the current path: an error on the node, on the key naming it, a
 * warning on the node. */
void yamljson_err(struct yamljson_walk *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void yamljson_err_key(struct yamljson_walk *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void yamljson_warn(struct yamljson_walk *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Path steps; both return what yamljson_leave() takes to undo them. */
size_t yamljson_push(struct yamljson_walk *, const char *key);
size_t yamljson_push_index(struct yamljson_walk *, size_t);
void yamljson_leave(struct yamljson_walk *, size_t restore);
/* "a string", "a number", ...: what a value is, for messages. */
const char *yamljson_found(const json_t *);
/* Returns j when it is of type t (a string without NUL), else reports the
 * node at the current path and returns NULL. */
json_t *yamljson_typed(struct yamljson_walk *, json_t *j, enum yamljson_type t);
/*
 * Pushes key and returns obj's member there (borrowed) when present and of
 * type t. Absent or null: NULL, an error when required. Another type: an
 * error and NULL. Always undo with yamljson_leave(*restore).
 */
json_t *yamljson_enter(struct yamljson_walk *, const json_t *obj,
    const char *key, enum yamljson_type t, int required, size_t *restore);
/* Reports each member of obj not in known (NULL-terminated), with a
 * suggestion when one is close. */
void yamljson_fields(struct yamljson_walk *, const json_t *obj,
    const char *const *known);
/* An optional string member that must be one of set; what names it and
 * expect lists set in the message. */
void yamljson_enum(struct yamljson_walk *, const json_t *obj, const char *key,
    const char *const *set, const char *what, const char *expect);
/* An optional integer member in [min, max], stored in *out when valid. */
void yamljson_int(struct yamljson_walk *, const json_t *obj, const char *key,
    json_int_t min, json_int_t max, json_int_t *out);

#endif
