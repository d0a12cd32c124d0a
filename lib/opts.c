/*
 * opts.c: table-driven options.
 */
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

int
opts_number(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
opts_set(const struct opt *o, const char *val, char **cause)
{
	long long n;

	switch (o->type) {
	case OPT_STRING:
		*(const char **)o->dst = val;
		break;
	case OPT_INT:
		if (opts_number(val, o->min, o->max, &n) != 0) {
			*cause = xasprintf("--%s: \"%s\" is not a number in %lld..%lld",
			    o->name, val, o->min, o->max);
			return -1;
		}
		*(long long *)o->dst = n;
		break;
	case OPT_FLAG:
		*(int *)o->dst = val != NULL;
		break;
	}
	return 0;
}

int
opts_parse(int argc, char **argv, const struct opt *table, char **cause)
{
	struct option *lo;
	char shorts[128];
	size_t n = 0, i, s = 0;
	int c, idx, ret = -1;

	for (n = 0; table[n].name != NULL; n++)
		;
	lo = xcalloc(n + 1, sizeof(*lo));
	shorts[s++] = ':';
	for (i = 0; i < n; i++) {
		if (opts_set(&table[i], table[i].type == OPT_FLAG ? NULL :
		    table[i].defval, cause) != 0)
			goto done;
		lo[i].name = table[i].name;
		lo[i].has_arg = table[i].type == OPT_FLAG ? no_argument : required_argument;
		lo[i].val = 256 + (int)i;
		if (table[i].short_name != 0 && s + 3 < sizeof(shorts)) {
			shorts[s++] = (char)table[i].short_name;
			if (table[i].type != OPT_FLAG)
				shorts[s++] = ':';
		}
	}
	shorts[s] = '\0';
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lo, &idx)) != -1) {
		const struct opt *o = NULL;

		if (c == '?') {
			*cause = xasprintf("unknown option %s", argv[optind - 1]);
			goto done;
		}
		if (c == ':') {
			*cause = xasprintf("option %s needs a value", argv[optind - 1]);
			goto done;
		}
		if (c >= 256)
			o = &table[c - 256];
		else
			for (i = 0; i < n && o == NULL; i++)
				if (table[i].short_name == c)
					o = &table[i];
		if (o == NULL) {
			*cause = xasprintf("unknown option -%c", c);
			goto done;
		}
		if (opts_set(o, o->type == OPT_FLAG ? "1" : optarg, cause) != 0)
			goto done;
	}
	ret = optind;
done:
	free(lo);
	return ret;
}

void
opts_usage(FILE *f, const char *synopsis, const struct opt *table)
{
	size_t i;

	fprintf(f, "usage: %s\n", synopsis);
	for (i = 0; table[i].name != NULL; i++) {
		const struct opt *o = &table[i];
		char left[64];

		if (o->short_name != 0)
			snprintf(left, sizeof(left), "-%c, --%s%s", o->short_name,
			    o->name, o->type == OPT_FLAG ? "" : " VALUE");
		else
			snprintf(left, sizeof(left), "    --%s%s", o->name,
			    o->type == OPT_FLAG ? "" : " VALUE");
		fprintf(f, "  %-28s %s", left, o->help);
		if (o->defval != NULL)
			fprintf(f, " (default %s)", o->defval);
		fprintf(f, "\n");
	}
}
