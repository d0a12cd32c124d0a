/*
 * xmalloc.h: allocation that aborts on failure (STYLE.md), and wiping.
 */
#ifndef FABFED_XMALLOC_H
#define FABFED_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
/* Caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Wipes then frees a NUL-terminated secret; NULL is a no-op. */
void freezero_str(char *);

#endif
