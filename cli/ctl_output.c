/*
 * ctl_output.c: how fabfedctl speaks: error answers of the controller
 * (docs/api.md: {"error", "details": [{path, line, column, message}]}),
 * warnings, compiler-style "FILE:LINE:COLUMN: PATH: MESSAGE" lines, JSON,
 * and the mapping of outcomes to exit codes. Everything that came from the
 * controller is made safe for a terminal before it is printed.
 */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* The most of a non-JSON error body that is shown. */
#define CTL_OUT_BODY_EXCERPT	200

int
ctl_out_exit_for_status(long status)
{
	if (status >= 200 && status <= 299)
		return CTL_EXIT_OK;
	if (status >= 300 && status <= 599)
		return CTL_EXIT_REJECTED;
	return CTL_EXIT_USAGE;	/* no answer, or not HTTP */
}

const char *
ctl_out_reason(long status)
{
	static const struct {
		long status;
		const char *reason;
	} reasons[] = {
		{ 200, "OK" }, { 201, "Created" }, { 204, "No Content" },
		{ 301, "Moved Permanently" }, { 302, "Found" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 403, "Forbidden" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 408, "Request Timeout" },
		{ 409, "Conflict" }, { 411, "Length Required" },
		{ 412, "Precondition Failed" },
		{ 413, "Content Too Large" }, { 415, "Unsupported Media Type" },
		{ 422, "Unprocessable Content" }, { 428, "Precondition Required" },
		{ 429, "Too Many Requests" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
	};
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "";
}

char *
ctl_out_sanitize(const char *s)
{
	unsigned char *out, *p;

	out = (unsigned char *)xstrdup(s);
	for (p = out; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			/* C1 controls (CSI is U+009B): two bytes, one '?'. */
			*p = '?';
			memmove(p + 1, p + 2, strlen((char *)p + 2) + 1);
		}
	}
	return (char *)out;
}

int
ctl_out_fail(FILE *fp, const char *cause)
{
	fprintf(fp, "error: %s\n", cause != NULL ? cause : "failed");
	return CTL_EXIT_USAGE;
}

int
ctl_out_json(FILE *fp, const json_t *v)
{
	if (json_dumpf(v, fp, JSON_INDENT(2) | JSON_ENCODE_ANY) == -1)
		return -1;
	fputc('\n', fp);
	return 0;
}

json_t *
ctl_out_parse(const struct ctl_response *resp, char **cause)
{
	json_error_t jerr;
	json_t *v;

	*cause = NULL;
	v = json_loadb(resp->body != NULL ? resp->body : "", resp->len, 0,
	    &jerr);
	if (v == NULL || !json_is_object(v)) {
		*cause = xasprintf("the controller's answer (%ld %s) is not "
		    "a JSON object%s%s", resp->status,
		    ctl_out_reason(resp->status), v == NULL ? ": " : "",
		    v == NULL ? jerr.text : "");
		json_decref(v);
		return NULL;
	}
	return v;
}

/* An integer member, 0 when absent or not a sane integer. */
static long long
ctl_out_int(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 100000000)
		return 0;
	return json_integer_value(v);
}

static void
ctl_out_diag(FILE *fp, const char *level, const char *file, const json_t *d)
{
	const char *path = json_string_value(json_object_get(d, "path"));
	const char *msg = json_string_value(json_object_get(d, "message"));
	long long line = ctl_out_int(d, "line"), col = ctl_out_int(d, "column");
	char *spath = NULL, *smsg;

	if (!json_is_object(d))
		return;
	smsg = ctl_out_sanitize(msg != NULL ? msg :
	    "(the controller gave no message)");
	fprintf(fp, "%s: ", level);
	if (file != NULL) {
		fputs(file, fp);
		if (line > 0)
			fprintf(fp, ":%lld:%lld", line, col);
		fputs(": ", fp);
	}
	if (path != NULL && *path != '\0') {
		spath = ctl_out_sanitize(path);
		fprintf(fp, "%s: ", spath);
	}
	fprintf(fp, "%s\n", smsg);
	free(spath);
	free(smsg);
}

void
ctl_out_diags(FILE *fp, const char *level, const char *file,
    const json_t *list)
{
	const json_t *d;
	size_t i;

	if (!json_is_array(list))
		return;
	json_array_foreach(list, i, d)
		ctl_out_diag(fp, level, file, d);
}

void
ctl_out_error_response(FILE *fp, const char *file,
    const struct ctl_response *resp)
{
	json_error_t jerr;
	json_t *v;
	const char *err, *field;
	char *s, *f;

	v = json_loadb(resp->body != NULL ? resp->body : "", resp->len, 0,
	    &jerr);
	err = json_string_value(json_object_get(v, "error"));
	if (err != NULL) {
		ctl_out_diags(fp, "error", file, json_object_get(v, "details"));
		s = ctl_out_sanitize(err);
		field = json_string_value(json_object_get(v, "field"));
		if (field != NULL && *field != '\0') {
			f = ctl_out_sanitize(field);
			fprintf(fp, "error: %s: %s\n", f, s);
			free(f);
		} else
			fprintf(fp, "error: %s\n", s);
		free(s);
		json_decref(v);
		return;
	}
	json_decref(v);

	/* Not our JSON (a proxy, a load balancer): the status line. */
	if (resp->statusline != NULL && strchr(resp->statusline, ' ') !=
	    NULL && strchr(strchr(resp->statusline, ' ') + 1, ' ') != NULL)
		s = ctl_out_sanitize(resp->statusline);
	else
		s = xasprintf("HTTP %ld %s", resp->status,
		    ctl_out_reason(resp->status));
	if (resp->body != NULL && resp->len > 0) {
		size_t n = strcspn(resp->body, "\r\n");
		char *excerpt, *clean;

		if (n > CTL_OUT_BODY_EXCERPT)
			n = CTL_OUT_BODY_EXCERPT;
		excerpt = xstrndup(resp->body, n);
		clean = ctl_out_sanitize(excerpt);
		if (*clean != '\0')
			fprintf(fp, "error: %s: %s\n", s, clean);
		else
			fprintf(fp, "error: %s\n", s);
		free(clean);
		free(excerpt);
	} else
		fprintf(fp, "error: %s\n", s);
	free(s);
}
