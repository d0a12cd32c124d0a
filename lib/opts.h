/*
 * opts.h: command options as a table (name, type, bounds, default, help),
 * parsed with getopt_long. Numbers go through a checked parse.
 */
#ifndef FABFED_OPTS_H
#define FABFED_OPTS_H

#include <stdio.h>

enum opt_type { OPT_STRING, OPT_INT, OPT_FLAG };

struct opt {
	const char *name;     /* long name without dashes; NULL ends the table */
	int short_name;       /* 0 if none */
	enum opt_type type;
	long long min, max;   /* OPT_INT bounds, inclusive */
	const char *defval;   /* default as text, NULL for none */
	const char *help;
	void *dst;            /* const char ** | long long * | int * */
};

/*
 * Sets every dst to its default, then parses argv from index 1 (the caller
 * passes argv starting at the subcommand). Returns the index of the first
 * operand, or -1 with *cause (caller frees).
 */
int opts_parse(int argc, char **argv, const struct opt *, char **cause);
void opts_usage(FILE *, const char *synopsis, const struct opt *);
/* Checked decimal parse of a whole string into [min, max]. */
int opts_number(const char *s, long long min, long long max, long long *out);

#endif
