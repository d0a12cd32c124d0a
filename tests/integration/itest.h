/*
 * itest.h: the check macros of the C integration drivers (itest_*.c).
 * CHECK counts a failure and goes on; REQUIRE stops the driver. Each
 * driver prints nchecks/nfailures and exits non-zero on any failure.
 * (itest_signer.c keeps its own: its checks run on several threads.)
 */
#ifndef FABFED_ITEST_H
#define FABFED_ITEST_H

#include <stdio.h>
#include <stdlib.h>

static int nchecks, nfailures;

#define CHECK(c) do {							\
	nchecks++;							\
	if (!(c)) {							\
		nfailures++;						\
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,	\
		    __LINE__, #c);					\
	}								\
} while (0)

#define REQUIRE(c) do {							\
	nchecks++;							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, \
		    __LINE__, #c);					\
		exit(1);						\
	}								\
} while (0)

#endif
