/*
 * ctl_table.c: kubectl-style tables: upper-case headers, columns padded to
 * their widest cell plus three spaces, no trailing blanks. Cells are
 * copied and made safe for a terminal (they come from the controller).
 * Widths count UTF-8 characters, not bytes.
 */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define CTL_TABLE_GAP	3
#define CTL_TABLE_NONE	"<none>"

struct ctl_table {
	size_t ncols;
	size_t nrows;		/* rows of cells, headers not counted */
	size_t cap;
	char **cells;		/* (nrows + 1) * ncols; row 0 = headers */
	size_t *width;		/* ncols */
};

/* Characters in a UTF-8 string: bytes that do not continue a sequence. */
static size_t
ctl_table_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static void
ctl_table_push(struct ctl_table *t, const char *const *cells)
{
	size_t i, row = t->nrows + 1, w;
	char *s;

	if (row > t->cap) {
		t->cap = t->cap == 0 ? 8 : t->cap * 2;
		t->cells = xreallocarray(t->cells, t->cap * t->ncols,
		    sizeof(*t->cells));
	}
	for (i = 0; i < t->ncols; i++) {
		const char *c = cells[i];

		s = ctl_out_sanitize(c == NULL || *c == '\0' ?
		    CTL_TABLE_NONE : c);
		t->cells[(row - 1) * t->ncols + i] = s;
		if ((w = ctl_table_width(s)) > t->width[i])
			t->width[i] = w;
	}
}

struct ctl_table *
ctl_table_new(size_t ncols, const char *const *headers)
{
	struct ctl_table *t;

	t = xcalloc(1, sizeof(*t));
	t->ncols = ncols;
	t->width = xcalloc(ncols, sizeof(*t->width));
	ctl_table_push(t, headers);	/* row 0 */
	return t;
}

void
ctl_table_add(struct ctl_table *t, const char *const *cells)
{
	t->nrows++;
	ctl_table_push(t, cells);
}

size_t
ctl_table_rows(const struct ctl_table *t)
{
	return t->nrows;
}

void
ctl_table_print(const struct ctl_table *t, FILE *fp)
{
	size_t r, i, w;
	const char *s;

	for (r = 0; r <= t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			s = t->cells[r * t->ncols + i];
			fputs(s, fp);
			if (i + 1 == t->ncols)
				break;
			for (w = ctl_table_width(s);
			    w < t->width[i] + CTL_TABLE_GAP; w++)
				fputc(' ', fp);
		}
		fputc('\n', fp);
	}
}

void
ctl_table_free(struct ctl_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < (t->nrows + 1) * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}
