/*
 * yamljson.c: libyaml's event parser into a jansson tree, with positions.
 *
 * One pass over the events with an explicit stack of open collections (no
 * recursion: the depth is bounded by the caller). Scalars are typed by the
 * YAML 1.2 core schema: a plain scalar that reads as null, a boolean, an
 * integer or a float becomes one; anything quoted is a string.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "xmalloc.h"
#include "yamljson.h"

#define YJ_TAG_PREFIX "tag:yaml.org,2002:"

enum yj_tag {
	YJ_TAG_NONE,
	YJ_TAG_STR,
	YJ_TAG_INT,
	YJ_TAG_FLOAT,
	YJ_TAG_BOOL,
	YJ_TAG_NULL,
	YJ_TAG_MAP,
	YJ_TAG_SEQ,
	YJ_TAG_BAD
};

struct yj_frame {
	json_t *node;       /* owned reference */
	int ismap;
	int skipped;        /* not attached to the document: no positions */
	size_t restore;     /* path length before this node's key or index */
	size_t index;       /* sequence: index of the next item */
	char *key;          /* mapping: key waiting for its value, owned */
	int keyline;
	int keycol;
	int skipvalue;      /* mapping: drop the value of this key */
};

struct yj {
	yaml_parser_t parser;
	struct yamljson_path path;
	struct yamljson_pos *pos;
	yamljson_report_cb cb;
	void *arg;
	struct yj_frame *stack;
	int depth;
	int maxdepth;
	json_t *root;
	int ndocs;
	int failed;
	const char *data;
	size_t len;
};

static int
yj_int(size_t v)
{
	return v >= (size_t)INT_MAX ? INT_MAX : (int)v + 1;
}

static void __attribute__((format(printf, 5, 6)))
yj_report(struct yj *y, int line, int column, int fatal, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (fatal)
		y->failed = 1;
	if (y->cb != NULL)
		y->cb(y->arg, 0, y->path.s, line, column,
		    msg != NULL ? msg : "error (out of memory)");
	free(msg);
}

static json_int_t
yj_pack(int line, int column)
{
	return ((json_int_t)line << 32) | (json_int_t)(unsigned int)column;
}

static void
yj_record(struct yj *y, json_t *table, int line, int column)
{
	if (y->pos == NULL)
		return;
	/* A path is valid UTF-8 (libyaml checks its input), so this holds. */
	(void)json_object_set_new(table, y->path.s,
	    json_integer(yj_pack(line, column)));
}

static enum yj_tag
yj_tag(const yaml_char_t *tag)
{
	const char *t = (const char *)tag;
	static const struct {
		const char *name;
		enum yj_tag tag;
	} std[] = {
		{ "str", YJ_TAG_STR }, { "int", YJ_TAG_INT },
		{ "float", YJ_TAG_FLOAT }, { "bool", YJ_TAG_BOOL },
		{ "null", YJ_TAG_NULL }, { "map", YJ_TAG_MAP },
		{ "seq", YJ_TAG_SEQ },
	};
	size_t i;

	if (t == NULL)
		return YJ_TAG_NONE;
	if (strcmp(t, "!") == 0)
		return YJ_TAG_STR;      /* the non-specific tag: a string */
	if (strncmp(t, YJ_TAG_PREFIX, strlen(YJ_TAG_PREFIX)) != 0)
		return YJ_TAG_BAD;
	t += strlen(YJ_TAG_PREFIX);
	for (i = 0; i < sizeof(std) / sizeof(std[0]); i++)
		if (strcmp(t, std[i].name) == 0)
			return std[i].tag;
	return YJ_TAG_BAD;
}

/* "tag:yaml.org,2002:str" is shown as the user wrote it: "!!str". */
static const char *
yj_tagname(const yaml_char_t *tag, char *buf, size_t size)
{
	const char *t = (const char *)tag;

	if (strncmp(t, YJ_TAG_PREFIX, strlen(YJ_TAG_PREFIX)) == 0) {
		(void)snprintf(buf, size, "!!%s", t + strlen(YJ_TAG_PREFIX));
		return buf;
	}
	return t;
}

static int
yj_all(const char *s, const char *set)
{
	if (*s == '\0')
		return 0;
	return s[strspn(s, set)] == '\0';
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int
yj_isfloat(const char *s)
{
	size_t n;

	if (*s == '-' || *s == '+')
		s++;
	if (*s == '.') {
		s++;
		if ((n = strspn(s, "0123456789")) == 0)
			return 0;
		s += n;
	} else {
		if ((n = strspn(s, "0123456789")) == 0)
			return 0;
		s += n;
		if (*s == '.')
			s += 1 + strspn(s + 1, "0123456789");
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if ((n = strspn(s, "0123456789")) == 0)
			return 0;
		s += n;
	}
	return *s == '\0';
}

/*
 * Types a plain scalar by the YAML 1.2 core schema. Returns a new value, or
 * NULL with *errstr set when it reads as a number jansson cannot hold.
 */
static json_t *
yj_resolve(const char *s, const char **errstr)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	static const char *const trues[] = { "true", "True", "TRUE" };
	static const char *const falses[] = { "false", "False", "FALSE" };
	const char *p;
	char *end;
	long long ll;
	unsigned long long ull;
	double dbl;
	size_t i;

	*errstr = NULL;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(s, nulls[i]) == 0)
			return json_null();
	for (i = 0; i < sizeof(trues) / sizeof(trues[0]); i++)
		if (strcmp(s, trues[i]) == 0)
			return json_true();
	for (i = 0; i < sizeof(falses) / sizeof(falses[0]); i++)
		if (strcmp(s, falses[i]) == 0)
			return json_false();

	if ((s[0] == '0' && s[1] == 'x' &&
	    yj_all(s + 2, "0123456789abcdefABCDEF")) ||
	    (s[0] == '0' && s[1] == 'o' && yj_all(s + 2, "01234567"))) {
		errno = 0;
		ull = strtoull(s + 2, &end, s[1] == 'x' ? 16 : 8);
		if (errno != 0 || *end != '\0' ||
		    ull > (unsigned long long)LLONG_MAX) {
			*errstr = "number out of range";
			return NULL;
		}
		return json_integer((json_int_t)ull);
	}

	p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (yj_all(p, "0123456789")) {
		errno = 0;
		ll = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0')
			return json_integer(ll);
		/* Past 64 bits: still a number, held as a float. */
	}
	if (strcmp(p, ".inf") == 0 || strcmp(p, ".Inf") == 0 ||
	    strcmp(p, ".INF") == 0 || strcmp(s, ".nan") == 0 ||
	    strcmp(s, ".NaN") == 0 || strcmp(s, ".NAN") == 0) {
		*errstr = "infinite and NaN numbers are not supported";
		return NULL;
	}
	if (yj_all(p, "0123456789") || yj_isfloat(s)) {
		errno = 0;
		dbl = strtod(s, &end);
		if (*end != '\0' || !isfinite(dbl) ||
		    (errno == ERANGE && fabs(dbl) > 1.0)) {
			*errstr = "number out of range";
			return NULL;
		}
		return json_real(dbl);
	}
	return json_string(s);
}

static json_t *
yj_scalar(struct yj *y, const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	int line = yj_int(ev->start_mark.line);
	int col = yj_int(ev->start_mark.column);
	enum yj_tag tag = yj_tag(ev->data.scalar.tag);
	const char *errstr;
	char tbuf[64];
	json_t *v;

	if (memchr(s, '\0', len) != NULL) {
		yj_report(y, line, col, 0,
		    "a string may not contain a NUL character");
		return (v = json_string(s)) != NULL ? v : json_null();
	}
	if (tag == YJ_TAG_BAD) {
		yj_report(y, line, col, 0, "unsupported tag \"%s\" (only the "
		    "standard !!str, !!int, !!float, !!bool and !!null are "
		    "allowed)",
		    (const char *)ev->data.scalar.tag);
		tag = YJ_TAG_NONE;
	} else if (tag == YJ_TAG_MAP || tag == YJ_TAG_SEQ) {
		yj_report(y, line, col, 0, "tag %s on a scalar",
		    yj_tagname(ev->data.scalar.tag, tbuf, sizeof(tbuf)));
		tag = YJ_TAG_NONE;
	}
	if (tag == YJ_TAG_STR || (tag == YJ_TAG_NONE &&
	    ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)) {
		if ((v = json_stringn(s, len)) == NULL) {
			yj_report(y, line, col, 0,
			    "a string is not valid UTF-8");
			return json_null();
		}
		return v;
	}
	if ((v = yj_resolve(s, &errstr)) == NULL) {
		yj_report(y, line, col, 0, "%s", errstr);
		return json_null();
	}
	if (tag == YJ_TAG_NONE)
		return v;
	if (tag == YJ_TAG_FLOAT && json_is_integer(v)) {
		json_t *r = json_real((double)json_integer_value(v));

		json_decref(v);
		return r != NULL ? r : json_null();
	}
	if ((tag == YJ_TAG_INT && json_is_integer(v)) ||
	    (tag == YJ_TAG_FLOAT && json_is_real(v)) ||
	    (tag == YJ_TAG_BOOL && json_is_boolean(v)) ||
	    (tag == YJ_TAG_NULL && json_is_null(v)))
		return v;
	yj_report(y, line, col, 0, "\"%s\" is not a valid %s", s,
	    yj_tagname(ev->data.scalar.tag, tbuf, sizeof(tbuf)));
	return v;
}

/* Refuses an anchor (&name) on a node: nothing may refer to it anyway. */
static void
yj_anchor(struct yj *y, const yaml_char_t *anchor, const yaml_event_t *ev)
{
	if (anchor == NULL)
		return;
	yj_report(y, yj_int(ev->start_mark.line),
	    yj_int(ev->start_mark.column), 0,
	    "anchors (&%s) are not supported", (const char *)anchor);
}

/* A scalar in key position: remembers it for the value that follows. */
static void
yj_key(struct yj *y, struct yj_frame *top, const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = strnlen(s, ev->data.scalar.length);
	int line = yj_int(ev->start_mark.line);
	int col = yj_int(ev->start_mark.column);
	size_t restore;
	int fline, fcol;

	top->key = xstrndup(s, len);
	top->keyline = line;
	top->keycol = col;
	top->skipvalue = 0;
	restore = yamljson_path_push_key(&y->path, top->key, len);
	yj_anchor(y, ev->data.scalar.anchor, ev);
	if (len != ev->data.scalar.length)
		yj_report(y, line, col, 0,
		    "a key may not contain a NUL character");
	if (yj_tag(ev->data.scalar.tag) == YJ_TAG_BAD)
		yj_report(y, line, col, 0, "unsupported tag \"%s\"",
		    (const char *)ev->data.scalar.tag);
	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    ev->data.scalar.tag == NULL && strcmp(top->key, "<<") == 0) {
		yj_report(y, line, col, 0, "merge keys (<<) are not supported");
		top->skipvalue = 1;
	} else if (json_object_get(top->node, top->key) != NULL) {
		if (!top->skipped && yamljson_pos_get(y->pos, y->path.s, 1,
		    &fline, &fcol) == 0)
			yj_report(y, line, col, 0, "duplicate key \"%s\" "
			    "(first at line %d, column %d)", top->key, fline,
			    fcol);
		else
			yj_report(y, line, col, 0, "duplicate key \"%s\"",
			    top->key);
		top->skipvalue = 1;
	}
	yamljson_path_pop(&y->path, restore);
}

/*
 * Adds a node (owned reference handed over) under the open collection, or
 * as the root. A collection is then opened: its frame keeps the reference.
 */
static void
yj_add(struct yj *y, json_t *node, const yaml_event_t *ev, int collection,
    int ismap)
{
	struct yj_frame *top = y->depth > 0 ? &y->stack[y->depth - 1] : NULL;
	struct yj_frame *f;
	int line = yj_int(ev->start_mark.line);
	int col = yj_int(ev->start_mark.column);
	size_t restore = y->path.len;
	json_t *vtab = y->pos != NULL ? y->pos->value : NULL;
	json_t *ktab = y->pos != NULL ? y->pos->key : NULL;
	int skip = 0;

	if (top == NULL) {
		json_decref(y->root);
		y->root = json_incref(node);
		yj_record(y, vtab, line, col);
	} else if (top->ismap) {
		restore = yamljson_path_push_key(&y->path, top->key,
		    strlen(top->key));
		skip = top->skipped || top->skipvalue;
		if (!top->skipvalue)
			(void)json_object_set(top->node, top->key, node);
		if (!skip) {
			yj_record(y, vtab, line, col);
			yj_record(y, ktab, top->keyline, top->keycol);
		}
		free(top->key);
		top->key = NULL;
		top->skipvalue = 0;
	} else {
		restore = yamljson_path_push_index(&y->path, top->index++);
		skip = top->skipped;
		(void)json_array_append(top->node, node);
		if (!skip)
			yj_record(y, vtab, line, col);
	}

	if (!collection) {
		json_decref(node);
		yamljson_path_pop(&y->path, restore);
		return;
	}
	if (y->depth >= y->maxdepth) {
		json_decref(node);
		yj_report(y, line, col, 1, "the document nests deeper than %d "
		    "levels", y->maxdepth);
		yamljson_path_pop(&y->path, restore);
		return;
	}
	f = &y->stack[y->depth++];
	memset(f, 0, sizeof(*f));
	f->node = node;
	f->ismap = ismap;
	f->skipped = skip;
	f->restore = restore;
}

static void
yj_end(struct yj *y)
{
	struct yj_frame *f;

	if (y->depth == 0)
		return;
	f = &y->stack[--y->depth];
	free(f->key);
	json_decref(f->node);
	yamljson_path_pop(&y->path, f->restore);
	memset(f, 0, sizeof(*f));
}

/* Checks a collection's anchor and tag; returns the new empty node. */
static json_t *
yj_collection(struct yj *y, const yaml_event_t *ev, int ismap)
{
	const yaml_char_t *tag = ismap ? ev->data.mapping_start.tag :
	    ev->data.sequence_start.tag;
	enum yj_tag t = yj_tag(tag);
	int line = yj_int(ev->start_mark.line);
	int col = yj_int(ev->start_mark.column);
	char tbuf[64];

	yj_anchor(y, ismap ? ev->data.mapping_start.anchor :
	    ev->data.sequence_start.anchor, ev);
	if (t == YJ_TAG_BAD)
		yj_report(y, line, col, 0, "unsupported tag \"%s\" (only the "
		    "standard !!map and !!seq are allowed here)",
		    (const char *)tag);
	else if (t != YJ_TAG_NONE && t != (ismap ? YJ_TAG_MAP : YJ_TAG_SEQ) &&
	    strcmp((const char *)tag, "!") != 0)
		yj_report(y, line, col, 0, "tag %s on a %s",
		    yj_tagname(tag, tbuf, sizeof(tbuf)),
		    ismap ? "mapping" : "sequence");
	return ismap ? json_object() : json_array();
}

static void
yj_syntax(struct yj *y)
{
	yaml_parser_t *p = &y->parser;
	const char *problem = p->problem != NULL ? p->problem : "syntax error";
	size_t i, off, line = 0, col = 0;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		yj_report(y, 0, 0, 1,
		    "out of memory while parsing the document");
		break;
	case YAML_READER_ERROR:
		off = p->problem_offset < y->len ? p->problem_offset : y->len;
		for (i = 0; i < off; i++) {
			if (y->data[i] == '\n') {
				line++;
				col = 0;
			} else
				col++;
		}
		if (p->problem_value != -1)
			yj_report(y, yj_int(line), yj_int(col), 1,
			    "%s (byte 0x%02x at offset %zu): the document must "
			    "be UTF-8 text", problem,
			    (unsigned int)p->problem_value & 0xff,
			    p->problem_offset);
		else
			yj_report(y, yj_int(line), yj_int(col), 1,
			    "%s at offset %zu", problem, p->problem_offset);
		break;
	default:
		if (p->context != NULL)
			yj_report(y, yj_int(p->problem_mark.line),
			    yj_int(p->problem_mark.column), 1,
			    "%s (%s started at line %d, column %d)", problem,
			    p->context, yj_int(p->context_mark.line),
			    yj_int(p->context_mark.column));
		else
			yj_report(y, yj_int(p->problem_mark.line),
			    yj_int(p->problem_mark.column), 1, "%s", problem);
		break;
	}
}

/* Pushes the path of the node about to be added (undo with the return). */
static size_t
yj_child(struct yj *y, const struct yj_frame *top)
{
	if (top == NULL)
		return y->path.len;
	if (top->ismap)
		return yamljson_path_push_key(&y->path, top->key,
		    strlen(top->key));
	return yamljson_path_push_index(&y->path, top->index);
}

/* Handles one event; returns 1 at the end of the stream. */
static int
yj_event(struct yj *y, const yaml_event_t *ev)
{
	struct yj_frame *top = y->depth > 0 ? &y->stack[y->depth - 1] : NULL;
	int line = yj_int(ev->start_mark.line);
	int col = yj_int(ev->start_mark.column);
	size_t restore;
	json_t *node;
	int ismap;

	switch (ev->type) {
	case YAML_STREAM_START_EVENT:
	case YAML_DOCUMENT_END_EVENT:
	case YAML_NO_EVENT:
		break;
	case YAML_STREAM_END_EVENT:
		if (y->ndocs == 0)
			yj_report(y, 1, 1, 1, "the document is empty");
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (y->ndocs++ > 0)
			yj_report(y, line, col, 1, "only one document is "
			    "allowed, found a second one (---)");
		break;
	case YAML_ALIAS_EVENT:
		/* Never expanded: no "billion laughs". */
		if (top == NULL || !top->ismap || top->key != NULL)
			(void)yj_child(y, top);
		yj_report(y, line, col, 1, "aliases (*%s) are not supported",
		    (const char *)ev->data.alias.anchor);
		break;
	case YAML_SCALAR_EVENT:
		if (top != NULL && top->ismap && top->key == NULL) {
			yj_key(y, top, ev);
			break;
		}
		restore = yj_child(y, top);
		yj_anchor(y, ev->data.scalar.anchor, ev);
		node = yj_scalar(y, ev);
		yamljson_path_pop(&y->path, restore);
		yj_add(y, node, ev, 0, 0);
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (top != NULL && top->ismap && top->key == NULL) {
			yj_report(y, line, col, 1, "a mapping key must be a "
			    "scalar, not a %s",
			    ev->type == YAML_MAPPING_START_EVENT ?
			    "mapping" : "sequence");
			break;
		}
		restore = yj_child(y, top);
		ismap = ev->type == YAML_MAPPING_START_EVENT;
		node = yj_collection(y, ev, ismap);
		yamljson_path_pop(&y->path, restore);
		yj_add(y, node, ev, 1, ismap);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		yj_end(y);
		break;
	}
	return 0;
}

json_t *
yamljson_parse(const char *data, size_t len, int maxdepth,
    struct yamljson_pos *pos, yamljson_report_cb cb, void *arg)
{
	struct yj y;
	yaml_event_t ev;
	json_t *ret = NULL;
	int done = 0;

	memset(&y, 0, sizeof(y));
	if (pos != NULL)
		yamljson_pos_init(pos);
	y.pos = pos;
	y.cb = cb;
	y.arg = arg;
	y.data = data;
	y.len = len;
	y.maxdepth = maxdepth > 0 ? maxdepth : 1;
	y.stack = xcalloc((size_t)y.maxdepth, sizeof(*y.stack));
	yamljson_path_init(&y.path);
	if (!yaml_parser_initialize(&y.parser)) {
		yj_report(&y, 0, 0, 1, "cannot initialize the YAML parser");
		goto done;
	}
	/* UTF-8 only (a UTF-8 BOM is skipped): a UTF-16 document is refused
	 * at its first byte instead of being decoded. */
	yaml_parser_set_encoding(&y.parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)data,
	    len);

	while (!done && !y.failed) {
		if (!yaml_parser_parse(&y.parser, &ev)) {
			yj_syntax(&y);
			break;
		}
		done = yj_event(&y, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&y.parser);
	if (!y.failed && y.root != NULL) {
		ret = y.root;
		y.root = NULL;
	}
done:
	while (y.depth > 0)
		yj_end(&y);
	free(y.stack);
	json_decref(y.root);
	yamljson_path_free(&y.path);
	return ret;
}

void
yamljson_pos_init(struct yamljson_pos *pos)
{
	pos->value = json_object();
	pos->key = json_object();
}

void
yamljson_pos_free(struct yamljson_pos *pos)
{
	if (pos == NULL)
		return;
	json_decref(pos->value);
	json_decref(pos->key);
	pos->value = pos->key = NULL;
}

int
yamljson_pos_get(const struct yamljson_pos *pos, const char *path, int key,
    int *line, int *column)
{
	json_t *v;
	json_int_t packed;

	*line = *column = 0;
	if (pos == NULL || path == NULL)
		return -1;
	v = json_object_get(key ? pos->key : pos->value, path);
	if (!json_is_integer(v))
		return -1;
	packed = json_integer_value(v);
	*line = (int)(packed >> 32);
	*column = (int)(packed & 0xffffffff);
	return 0;
}

void
yamljson_path_init(struct yamljson_path *p)
{
	p->cap = 64;
	p->s = xmalloc(p->cap);
	p->s[0] = '\0';
	p->len = 0;
}

void
yamljson_path_free(struct yamljson_path *p)
{
	free(p->s);
	p->s = NULL;
	p->len = p->cap = 0;
}

static void
yj_path_add(struct yamljson_path *p, const char *s, size_t n)
{
	size_t need = p->len + n + 1;

	if (need > p->cap) {
		while (p->cap < need)
			p->cap *= 2;
		p->s = xreallocarray(p->s, p->cap, 1);
	}
	memcpy(p->s + p->len, s, n);
	p->len += n;
	p->s[p->len] = '\0';
}

static int
yj_ident(const char *key, size_t len)
{
	size_t i;
	unsigned char c;

	if (len == 0 || (key[0] >= '0' && key[0] <= '9') || key[0] == '-')
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

size_t
yamljson_path_push_key(struct yamljson_path *p, const char *key, size_t len)
{
	size_t old = p->len, i, start;
	char esc[8];
	unsigned char c;

	if (yj_ident(key, len)) {
		if (p->len > 0)
			yj_path_add(p, ".", 1);
		yj_path_add(p, key, len);
		return old;
	}
	yj_path_add(p, "[\"", 2);
	for (i = start = 0; i < len; i++) {
		c = (unsigned char)key[i];
		if (c != '"' && c != '\\' && c >= 0x20 && c != 0x7f)
			continue;
		yj_path_add(p, key + start, i - start);
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			yj_path_add(p, esc, 2);
		} else {
			(void)snprintf(esc, sizeof(esc), "\\u%04x", c);
			yj_path_add(p, esc, 6);
		}
		start = i + 1;
	}
	yj_path_add(p, key + start, len - start);
	yj_path_add(p, "\"]", 2);
	return old;
}

size_t
yamljson_path_push_index(struct yamljson_path *p, size_t index)
{
	size_t old = p->len;
	char num[32];
	int n;

	n = snprintf(num, sizeof(num), "[%zu]", index);
	yj_path_add(p, num, (size_t)n);
	return old;
}

void
yamljson_path_pop(struct yamljson_path *p, size_t len)
{
	if (len < p->len) {
		p->len = len;
		p->s[len] = '\0';
	}
}
