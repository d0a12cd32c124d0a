/*
 * log.h: the one logging module. stderr in the foreground, JSON lines with
 * --log-format json. Secrets are never passed here.
 */
#ifndef FABFED_LOG_H
#define FABFED_LOG_H

#include <stdarg.h>

enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* progname is borrowed for the life of the process. */
void log_init(const char *progname, int verbose, enum log_format fmt);
int log_verbose(void);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vlog_msg(const char *level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
