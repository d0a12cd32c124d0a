/*
 * yamljson_walk.c: the schema walk over a tree yamljson_parse() made (see
 * yamljson.h): the current path, problems reported at the position of the
 * node (or key) they are about, type checks with the expected type named,
 * unknown fields with the nearest known one suggested.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "yamljson.h"

void
yamljson_walk_init(struct yamljson_walk *w, const struct yamljson_pos *pos,
    yamljson_report_cb report, void *arg)
{
	yamljson_path_init(&w->path);
	w->pos = pos;
	w->report = report;
	w->arg = arg;
}

void
yamljson_walk_free(struct yamljson_walk *w)
{
	yamljson_path_free(&w->path);
}

static void __attribute__((format(printf, 4, 0)))
yj_vreport(struct yamljson_walk *w, int warning, int atkey, const char *fmt,
    va_list ap)
{
	char *msg;
	int line, col;

	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	if (!atkey || yamljson_pos_get(w->pos, w->path.s, 1, &line, &col) != 0)
		(void)yamljson_pos_get(w->pos, w->path.s, 0, &line, &col);
	w->report(w->arg, warning, w->path.s, line, col,
	    msg != NULL ? msg : "error (out of memory)");
	free(msg);
}

void
yamljson_err(struct yamljson_walk *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	yj_vreport(w, 0, 0, fmt, ap);
	va_end(ap);
}

void
yamljson_err_key(struct yamljson_walk *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	yj_vreport(w, 0, 1, fmt, ap);
	va_end(ap);
}

void
yamljson_warn(struct yamljson_walk *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	yj_vreport(w, 1, 0, fmt, ap);
	va_end(ap);
}

size_t
yamljson_push(struct yamljson_walk *w, const char *key)
{
	return yamljson_path_push_key(&w->path, key, strlen(key));
}

size_t
yamljson_push_index(struct yamljson_walk *w, size_t i)
{
	return yamljson_path_push_index(&w->path, i);
}

void
yamljson_leave(struct yamljson_walk *w, size_t restore)
{
	yamljson_path_pop(&w->path, restore);
}

const char *
yamljson_found(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "a mapping";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "true/false";
	case JSON_NULL:
		break;
	}
	return "an empty value";
}

static const char *
yj_expected(enum yamljson_type t)
{
	switch (t) {
	case YAMLJSON_STRING:
		return "a string";
	case YAMLJSON_INT:
		return "an integer";
	case YAMLJSON_BOOL:
		return "true or false";
	case YAMLJSON_MAP:
		return "a mapping";
	case YAMLJSON_LIST:
		break;
	}
	return "a list";
}

static int
yj_is(const json_t *j, enum yamljson_type t)
{
	switch (t) {
	case YAMLJSON_STRING:
		return json_is_string(j);
	case YAMLJSON_INT:
		return json_is_integer(j);
	case YAMLJSON_BOOL:
		return json_is_boolean(j);
	case YAMLJSON_MAP:
		return json_is_object(j);
	case YAMLJSON_LIST:
		break;
	}
	return json_is_array(j);
}

/* YAML 1.1 booleans, strings in YAML 1.2. */
static int
yj_old_bool(const json_t *j)
{
	static const char *const words[] = {
		"yes", "no", "on", "off", "y", "n", NULL };
	size_t i;

	for (i = 0; json_is_string(j) && words[i] != NULL; i++)
		if (strcasecmp(json_string_value(j), words[i]) == 0)
			return 1;
	return 0;
}

json_t *
yamljson_typed(struct yamljson_walk *w, json_t *j, enum yamljson_type t)
{
	if (t == YAMLJSON_BOOL && yj_old_bool(j)) {
		yamljson_err(w, "expected true or false, found the string "
		    "\"%s\" (YAML 1.2 reads only true and false as booleans)",
		    json_string_value(j));
		return NULL;
	}
	if (!yj_is(j, t)) {
		yamljson_err(w, "expected %s, found %s", yj_expected(t),
		    yamljson_found(j));
		return NULL;
	}
	if (t == YAMLJSON_STRING &&
	    strlen(json_string_value(j)) != json_string_length(j)) {
		yamljson_err(w, "a string may not contain a NUL character");
		return NULL;
	}
	return j;
}

json_t *
yamljson_enter(struct yamljson_walk *w, const json_t *obj, const char *key,
    enum yamljson_type t, int required, size_t *restore)
{
	json_t *j = json_object_get(obj, key);
	int line, col;

	if (j == NULL && required) {
		/* Nothing to point at: point at the mapping that lacks it. */
		(void)yamljson_pos_get(w->pos, w->path.s, 0, &line, &col);
		*restore = yamljson_push(w, key);
		w->report(w->arg, 0, w->path.s, line, col,
		    "missing required field");
		return NULL;
	}
	*restore = yamljson_push(w, key);
	if (j == NULL || (json_is_null(j) && !required))
		return NULL;
	return yamljson_typed(w, j, t);
}

/* Edit distance, ignoring case, of two short names (64 when too long). */
static size_t
yj_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, row[64];

	if (la >= 64 || lb >= 64)
		return 64;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = row[j];
			row[j] = tolower((unsigned char)a[i - 1]) ==
			    tolower((unsigned char)b[j - 1]) ? prev : prev + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (cur + 1 < row[j])
				row[j] = cur + 1;
			prev = cur;
		}
	}
	return row[lb];
}

void
yamljson_fields(struct yamljson_walk *w, const json_t *obj,
    const char *const *known)
{
	const char *key, *best;
	json_t *val;
	size_t i, n, dist, bestdist, r, used;
	char list[512];

	json_object_foreach((json_t *)obj, key, val) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (known[i] != NULL)
			continue;
		best = NULL;
		bestdist = 3;
		list[0] = '\0';
		for (i = 0, used = 0; known[i] != NULL; i++) {
			dist = yj_distance(key, known[i]);
			/* A long shared start ("maxMessages") is close too. */
			for (n = 0; key[n] != '\0' && tolower((unsigned char)
			    key[n]) == tolower((unsigned char)known[i][n]); n++)
				;
			if (n >= 6 && n * 2 >= strlen(known[i]) && dist > 2)
				dist = 2;
			if (dist < bestdist && dist < strlen(known[i])) {
				best = known[i];
				bestdist = dist;
			}
			if (used < sizeof(list))
				used += (size_t)snprintf(list + used,
				    sizeof(list) - used, "%s%s",
				    i > 0 ? ", " : "", known[i]);
		}
		r = yamljson_push(w, key);
		if (best != NULL)
			yamljson_err_key(w, "unknown field (did you mean "
			    "\"%s\"?)", best);
		else
			yamljson_err_key(w, "unknown field (expected one of: "
			    "%s)", list);
		yamljson_leave(w, r);
	}
}

void
yamljson_enum(struct yamljson_walk *w, const json_t *obj, const char *key,
    const char *const *set, const char *what, const char *expect)
{
	json_t *j;
	size_t r, i;

	if ((j = yamljson_enter(w, obj, key, YAMLJSON_STRING, 0, &r)) != NULL) {
		for (i = 0; set[i] != NULL; i++)
			if (strcmp(json_string_value(j), set[i]) == 0)
				break;
		if (set[i] == NULL)
			yamljson_err(w, "invalid %s \"%s\": expected %s", what,
			    json_string_value(j), expect);
	}
	yamljson_leave(w, r);
}

void
yamljson_int(struct yamljson_walk *w, const json_t *obj, const char *key,
    json_int_t min, json_int_t max, json_int_t *out)
{
	json_t *j;
	size_t r;

	if ((j = yamljson_enter(w, obj, key, YAMLJSON_INT, 0, &r)) != NULL) {
		if (json_integer_value(j) < min || json_integer_value(j) > max)
			yamljson_err(w, "expected an integer from %"
			    JSON_INTEGER_FORMAT " to %" JSON_INTEGER_FORMAT
			    ", found %" JSON_INTEGER_FORMAT, min, max,
			    json_integer_value(j));
		else
			*out = json_integer_value(j);
	}
	yamljson_leave(w, r);
}
