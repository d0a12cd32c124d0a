/*
 * log.c: logging for the daemons and tools.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

static const char *log_progname = "fabfed";
static int log_level_verbose;
static enum log_format log_fmt = LOG_FORMAT_TEXT;

void
log_init(const char *progname, int verbose, enum log_format fmt)
{
	if (progname != NULL)
		log_progname = progname;
	log_level_verbose = verbose;
	log_fmt = fmt;
}

int
log_verbose(void)
{
	return log_level_verbose;
}

static void
log_emit(const char *level, const char *msg)
{
	if (log_fmt == LOG_FORMAT_JSON) {
		struct timespec ts;
		char when[64];
		struct tm tm;
		size_t n;
		json_t *o;
		char *line;

		/* RFC 3339 in UTC, to the millisecond. */
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(when + n, sizeof(when) - n, ".%03ldZ",
		    ts.tv_nsec / 1000000L);
		o = json_pack("{s:s, s:s, s:s, s:s}", "ts", when, "level", level,
		    "prog", log_progname, "msg", msg);
		line = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
		if (line != NULL)
			fprintf(stderr, "%s\n", line);
		free(line);
		json_decref(o);
	} else
		fprintf(stderr, "%s: %s%s%s\n", log_progname,
		    strcmp(level, "info") == 0 ? "" : level,
		    strcmp(level, "info") == 0 ? "" : ": ", msg);
	fflush(stderr);
}

void
vlog_msg(const char *level, const char *fmt, va_list ap)
{
	char msg[4096];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_emit(level, msg);
}

static void vlog_errno(const char *, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
vlog_errno(const char *level, int saved, const char *fmt, va_list ap)
{
	char msg[4096], full[4200];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(full, sizeof(full), "%s: %s", msg, strerror(saved));
	log_emit(level, full);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog_errno("warning", saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_msg("warning", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_msg("info", fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_level_verbose)
		return;
	va_start(ap, fmt);
	vlog_msg("debug", fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog_errno("fatal", saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_msg("fatal", fmt, ap);
	va_end(ap);
	exit(1);
}
