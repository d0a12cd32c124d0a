/*
 * buf.h: a growable byte buffer with a hard maximum.
 */
#ifndef FABFED_BUF_H
#define FABFED_BUF_H

#include <stddef.h>

struct buf {
	char *data;   /* always NUL-terminated after data[len] */
	size_t len;
	size_t cap;
	size_t max;   /* 0 = unlimited */
};

void buf_init(struct buf *, size_t max);
/* Returns -1 (and appends nothing) when the maximum would be passed. */
int buf_add(struct buf *, const void *, size_t);
int buf_printf(struct buf *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *);
/* Hands data to the caller (caller frees); the buf is empty after. */
char *buf_steal(struct buf *, size_t *lenp);
void buf_free(struct buf *);

#endif
