/*
 * api_error.c: how failures become HTTP answers, and the etcd keyspace names.
 */
#include "api.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "etcd.h"
#include "opts.h"
#include "xmalloc.h"

int
api_etcd_status(const struct etcd_result *res)
{
	if (res == NULL)
		return 500;
	/* No answer at all, or etcd itself saying it cannot serve now. */
	if (res->http_status == 0 || res->http_status == 503 || res->http_status == 504)
		return 503;
	if (res->error != NULL && (strstr(res->error, "no leader") != NULL ||
	    strstr(res->error, "leader changed") != NULL ||
	    strstr(res->error, "timed out") != NULL ||
	    strstr(res->error, "too many requests") != NULL))
		return 503;
	return 500;
}

json_t *
api_error_body(const char *msg, json_t *details)
{
	json_t *o = json_object();

	json_object_set_new(o, "error", json_string(msg != NULL ? msg : "error"));
	if (details != NULL)
		json_object_set_new(o, "details", details);
	return o;
}

int
api_parse_if_match(const char *value, long long *rev)
{
	char buf[32];
	size_t len;

	if (value == NULL)
		return -1;
	while (isspace((unsigned char)*value))
		value++;
	len = strlen(value);
	while (len > 0 && isspace((unsigned char)value[len - 1]))
		len--;
	if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
		value++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, value, len);
	buf[len] = '\0';
	return opts_number(buf, 0, INT64_MAX, rev);
}

char *
api_spec_key(const char *name)
{
	return xasprintf(API_PREFIX "consortia/%s/spec", name);
}

char *
api_consortium_prefix(const char *name)
{
	return xasprintf(API_PREFIX "consortia/%s/", name);
}

/* The name of a spec key "/fabfed/v1/consortia/<name>/spec", or NULL. */
char *
api_spec_key_name(const char *key, size_t len)
{
	const char *pre = API_PREFIX "consortia/", *suf = "/spec";
	size_t plen = strlen(pre), slen = strlen(suf);

	if (len <= plen + slen || memcmp(key, pre, plen) != 0 ||
	    memcmp(key + len - slen, suf, slen) != 0)
		return NULL;
	if (memchr(key + plen, '/', len - plen - slen) != NULL)
		return NULL;
	return xstrndup(key + plen, len - plen - slen);
}
