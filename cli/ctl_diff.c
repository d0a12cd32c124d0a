/*
 * ctl_diff.c: "fabfedctl diff -f FILE": a dry-run PUT, then a structural
 * diff of what is stored ("current") and what would be ("document"), both
 * normalized by the controller, so defaults never show up as changes.
 *
 *   + spec.orgs[3]: {"mspId": "Org4MSP", ...}     added subtree
 *   - spec.channels[0].members[2]: "Org3MSP"      removed subtree
 *   ~ spec.channels[0].batch.timeout: "2s" -> "1s" changed leaf
 *
 * Orgs, nodes and channels are identities (TOPOLOGY.md): array elements
 * are matched by mspId, else name, else the string itself, so removing one
 * org is one "-" line, not a cascade of changes to the ones after it.
 * Paths use the document's index for what it has and the stored index for
 * what it lost.
 */
#include "ctl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define CTL_DIFF_MAXDEPTH	256

struct ctl_diff {
	FILE *fp;
	struct buf path;
	size_t n;		/* lines written */
};

/* How the elements of a pair of arrays are matched. */
enum ctl_diff_match {
	MATCH_INDEX,
	MATCH_MSPID,
	MATCH_NAME,
	MATCH_STRING,
};

static void ctl_diff_value(struct ctl_diff *, const json_t *, const json_t *,
    int);

static size_t
ctl_diff_push_key(struct ctl_diff *d, const char *key)
{
	size_t len = d->path.len, i;
	int plain = *key != '\0' && !(key[0] >= '0' && key[0] <= '9');
	char *q;

	for (i = 0; key[i] != '\0' && plain; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') ||
		    (key[i] >= 'A' && key[i] <= 'Z') ||
		    (key[i] >= '0' && key[i] <= '9') || key[i] == '_' ||
		    key[i] == '-'))
			plain = 0;
	if (plain)
		buf_printf(&d->path, "%s%s", len == 0 ? "" : ".", key);
	else {
		json_t *s = json_string(key);

		q = s != NULL ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
		buf_printf(&d->path, "[%s]", q != NULL ? q : "?");
		free(q);
		json_decref(s);
	}
	return len;
}

static size_t
ctl_diff_push_index(struct ctl_diff *d, size_t i)
{
	size_t len = d->path.len;

	buf_printf(&d->path, "[%zu]", i);
	return len;
}

static void
ctl_diff_pop(struct ctl_diff *d, size_t len)
{
	d->path.len = len;
	if (d->path.data != NULL)
		d->path.data[len] = '\0';
}

static char *
ctl_diff_dump(const json_t *v)
{
	char *s;

	s = json_dumps(v, JSON_ENCODE_ANY);
	return s != NULL ? s : xstrdup("?");
}

static void
ctl_diff_line(struct ctl_diff *d, char op, const json_t *old,
    const json_t *new)
{
	const char *path = d->path.len > 0 ? d->path.data : ".";
	char *a, *b;

	d->n++;
	if (op == '~') {
		a = ctl_diff_dump(old);
		b = ctl_diff_dump(new);
		fprintf(d->fp, "~ %s: %s -> %s\n", path, a, b);
		free(a);
		free(b);
	} else {
		a = ctl_diff_dump(op == '+' ? new : old);
		fprintf(d->fp, "%c %s: %s\n", op, path, a);
		free(a);
	}
}

static void
ctl_diff_object(struct ctl_diff *d, const json_t *a, const json_t *b,
    int depth)
{
	const char *key;
	const json_t *bv, *av;
	size_t len;

	json_object_foreach((json_t *)(uintptr_t)b, key, bv) {
		len = ctl_diff_push_key(d, key);
		if ((av = json_object_get(a, key)) == NULL)
			ctl_diff_line(d, '+', NULL, bv);
		else
			ctl_diff_value(d, av, bv, depth + 1);
		ctl_diff_pop(d, len);
	}
	json_object_foreach((json_t *)(uintptr_t)a, key, av) {
		if (json_object_get(b, key) != NULL)
			continue;
		len = ctl_diff_push_key(d, key);
		ctl_diff_line(d, '-', av, NULL);
		ctl_diff_pop(d, len);
	}
}

/* The identity of an element, or NULL. */
static const char *
ctl_diff_id(const json_t *v, enum ctl_diff_match m)
{
	switch (m) {
	case MATCH_MSPID:
		return json_string_value(json_object_get(v, "mspId"));
	case MATCH_NAME:
		return json_string_value(json_object_get(v, "name"));
	case MATCH_STRING:
		return json_string_value(v);
	case MATCH_INDEX:
		break;
	}
	return NULL;
}

/* 1 if every element of arr has an identity under m, all different. */
static int
ctl_diff_ids_ok(const json_t *arr, enum ctl_diff_match m)
{
	size_t i, j, n = json_array_size(arr);
	const char *x, *y;

	for (i = 0; i < n; i++) {
		if ((x = ctl_diff_id(json_array_get(arr, i), m)) == NULL)
			return 0;
		for (j = 0; j < i; j++) {
			y = ctl_diff_id(json_array_get(arr, j), m);
			if (strcmp(x, y) == 0)
				return 0;
		}
	}
	return 1;
}

static enum ctl_diff_match
ctl_diff_match(const json_t *a, const json_t *b)
{
	static const enum ctl_diff_match order[] = {
		MATCH_MSPID, MATCH_NAME, MATCH_STRING
	};
	size_t i;

	if (json_array_size(a) == 0 && json_array_size(b) == 0)
		return MATCH_INDEX;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (ctl_diff_ids_ok(a, order[i]) && ctl_diff_ids_ok(b, order[i]))
			return order[i];
	return MATCH_INDEX;
}

/* Index in arr of the element with identity id, or -1. */
static long
ctl_diff_find(const json_t *arr, enum ctl_diff_match m, const char *id)
{
	size_t i;

	for (i = 0; i < json_array_size(arr); i++)
		if (strcmp(ctl_diff_id(json_array_get(arr, i), m), id) == 0)
			return (long)i;
	return -1;
}

static json_t *
ctl_diff_id_list(const json_t *arr, enum ctl_diff_match m)
{
	json_t *l = json_array();
	size_t i;

	for (i = 0; i < json_array_size(arr); i++)
		json_array_append_new(l,
		    json_string(ctl_diff_id(json_array_get(arr, i), m)));
	return l;
}

static void
ctl_diff_array_by_id(struct ctl_diff *d, const json_t *a, const json_t *b,
    enum ctl_diff_match m, int depth)
{
	size_t na = json_array_size(a), nb = json_array_size(b), i, k, len;
	long j, last = -1;
	int reordered = 0;
	char *gone;		/* gone[j]: a[j] is not in b */
	char *shown;		/* shown[j]: its "-" line is written */
	json_t *oa, *ob;

	gone = xcalloc(na + 1, 1);
	shown = xcalloc(na + 1, 1);
	for (k = 0; k < na; k++)
		gone[k] = (char)(ctl_diff_find(b, m,
		    ctl_diff_id(json_array_get(a, k), m)) == -1);
	for (i = 0; i < nb; i++) {
		j = ctl_diff_find(a, m, ctl_diff_id(json_array_get(b, i), m));
		if (j == -1)
			continue;
		if (j < last)
			reordered = 1;
		last = j;
	}
	if (reordered) {
		/* Order matters to a reader of the document: say so once. */
		oa = ctl_diff_id_list(a, m);
		ob = ctl_diff_id_list(b, m);
		ctl_diff_line(d, '~', oa, ob);
		json_decref(oa);
		json_decref(ob);
	}

	k = 0;
	for (i = 0; i < nb; i++) {
		const json_t *bv = json_array_get(b, i);

		j = ctl_diff_find(a, m, ctl_diff_id(bv, m));
		if (j != -1) {
			/* What was removed before this one goes first. */
			for (; k < (size_t)j; k++)
				if (gone[k] && !shown[k]) {
					len = ctl_diff_push_index(d, k);
					ctl_diff_line(d, '-',
					    json_array_get(a, k), NULL);
					ctl_diff_pop(d, len);
					shown[k] = 1;
				}
			if ((size_t)j + 1 > k)
				k = (size_t)j + 1;
		}
		len = ctl_diff_push_index(d, i);
		if (j == -1)
			ctl_diff_line(d, '+', NULL, bv);
		else
			ctl_diff_value(d, json_array_get(a, (size_t)j), bv,
			    depth + 1);
		ctl_diff_pop(d, len);
	}
	for (k = 0; k < na; k++)
		if (gone[k] && !shown[k]) {
			len = ctl_diff_push_index(d, k);
			ctl_diff_line(d, '-', json_array_get(a, k), NULL);
			ctl_diff_pop(d, len);
		}
	free(gone);
	free(shown);
}

static void
ctl_diff_array(struct ctl_diff *d, const json_t *a, const json_t *b,
    int depth)
{
	size_t na = json_array_size(a), nb = json_array_size(b), i, len;
	enum ctl_diff_match m;

	if ((m = ctl_diff_match(a, b)) != MATCH_INDEX) {
		ctl_diff_array_by_id(d, a, b, m, depth);
		return;
	}
	for (i = 0; i < nb; i++) {
		len = ctl_diff_push_index(d, i);
		if (i < na)
			ctl_diff_value(d, json_array_get(a, i),
			    json_array_get(b, i), depth + 1);
		else
			ctl_diff_line(d, '+', NULL, json_array_get(b, i));
		ctl_diff_pop(d, len);
	}
	for (i = nb; i < na; i++) {
		len = ctl_diff_push_index(d, i);
		ctl_diff_line(d, '-', json_array_get(a, i), NULL);
		ctl_diff_pop(d, len);
	}
}

static void
ctl_diff_value(struct ctl_diff *d, const json_t *a, const json_t *b,
    int depth)
{
	if (json_equal((json_t *)(uintptr_t)a, (json_t *)(uintptr_t)b))
		return;
	if (depth < CTL_DIFF_MAXDEPTH && json_is_object(a) &&
	    json_is_object(b))
		ctl_diff_object(d, a, b, depth);
	else if (depth < CTL_DIFF_MAXDEPTH && json_is_array(a) &&
	    json_is_array(b))
		ctl_diff_array(d, a, b, depth);
	else
		ctl_diff_line(d, '~', a, b);
}

size_t
ctl_diff_render(const json_t *current, const json_t *document, FILE *fp)
{
	struct ctl_diff d;
	json_t *empty = NULL;

	memset(&d, 0, sizeof(d));
	d.fp = fp;
	buf_init(&d.path, 0);
	/* Nothing stored: every top-level key of the document is new. */
	if ((current == NULL || json_is_null(current)) &&
	    json_is_object(document))
		current = empty = json_object();
	if (current == NULL)
		current = empty = json_null();
	if (document == NULL)
		document = json_null();
	ctl_diff_value(&d, current, document, 0);
	json_decref(empty);
	buf_free(&d.path);
	return d.n;
}

int
ctl_diff_run(const struct ctl_args *args, struct ctl_client *c)
{
	struct ctl_doc doc;
	struct ctl_response resp;
	json_t *answer = NULL, *document;
	char *name = NULL, *cause = NULL;
	int ret = CTL_EXIT_USAGE;

	memset(&resp, 0, sizeof(resp));
	if (ctl_doc_read(args->file, &doc, &cause) == -1)
		goto fail;
	if (ctl_doc_name(doc.data, doc.len, doc.label, &name, &cause) == -1)
		goto fail;
	if (ctl_apply_put(c, &doc, name, 1, NULL, &resp, &cause) == -1)
		goto fail;
	if (ctl_out_exit_for_status(resp.status) != CTL_EXIT_OK) {
		ctl_out_error_response(stderr, doc.label, &resp);
		ret = ctl_out_exit_for_status(resp.status);
		goto done;
	}
	if ((answer = ctl_out_parse(&resp, &cause)) == NULL)
		goto fail;
	document = json_object_get(answer, "document");
	if (document == NULL) {
		cause = xstrdup("the controller's dry run answer has no "
		    "\"document\"; is it older than this fabfedctl?");
		goto fail;
	}
	ctl_out_diags(stderr, "warning", doc.label,
	    json_object_get(answer, "warnings"));
	ret = ctl_diff_render(json_object_get(answer, "current"), document,
	    stdout) > 0 ? CTL_EXIT_REJECTED : CTL_EXIT_OK;
	goto done;
fail:
	ret = ctl_out_fail(stderr, cause);
done:
	json_decref(answer);
	ctl_client_response_free(&resp);
	ctl_doc_free(&doc);
	free(name);
	free(cause);
	return ret;
}
