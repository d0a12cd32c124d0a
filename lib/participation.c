/*
 * participation.c: the orderer channel participation API client (see
 * participation.h).
 *
 * Fabric 2.5's orderer (orderer/common/channelparticipation/restapi.go):
 *   GET    /participation/v1/channels       200 {"systemChannel":..,"channels":[{name,url}]}
 *   GET    /participation/v1/channels/NAME  200 {name,url,consensusRelation,status,height}
 *                                           404 {"error":"channel does not exist"}
 *   POST   /participation/v1/channels       multipart/form-data, one file part
 *                                           "config-block": 201 + the channel's info;
 *                                           405 {"error":"cannot join: channel already exists"}
 *                                           (409 is "channel pending removal": an error)
 *   DELETE /participation/v1/channels/NAME  204; 404 when absent
 * Errors are JSON {"error": "..."}.
 */
#include "participation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "xmalloc.h"

#define PART_BASE		"/participation/v1/channels"
#define PART_CONNECT_MS		10000L
#define PART_MAX_CHANNELS	100000
#define PART_ERROR_MAX		512	/* bytes of the server's error kept */

struct part_answer {
	long status;
	struct buf body;
	int too_big;
};

int
part_channel_name_ok(const char *name)
{
	size_t i, n;

	if (name == NULL)
		return 0;
	n = strlen(name);
	if (n == 0 || n >= 250 || name[0] < 'a' || name[0] > 'z')
		return 0;
	for (i = 1; i < n; i++) {
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '.' ||
		    name[i] == '-'))
			return 0;
	}
	return 1;
}

void
part_channel_clear(struct part_channel *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->url);
	free(c->consensus_relation);
	free(c->status);
	memset(c, 0, sizeof(*c));
}

void
part_channels_free(struct part_channel *c, size_t n)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < n; i++)
		part_channel_clear(&c[i]);
	free(c);
}

static size_t
answer_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct part_answer *a = arg;
	size_t len = size * nmemb;

	if (buf_add(&a->body, data, len) == -1) {
		a->too_big = 1;
		return 0;
	}
	return len;
}

/* A printable copy of at most max bytes of s (server text for a cause). */
static char *
printable(const char *s, size_t len, size_t max)
{
	char *p;
	size_t i;

	if (len > max)
		len = max;
	p = xstrndup(s, len);
	for (i = 0; p[i] != '\0'; i++) {
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			p[i] = ' ';
	}
	/* Go's json encoder ends the body with a newline. */
	while (i > 0 && p[i - 1] == ' ')
		p[--i] = '\0';
	return p;
}

/* The "error" field of an error answer, or the start of its body. */
static char *
answer_error(const struct part_answer *a)
{
	json_t *root, *e;
	char *s;

	root = json_loadb(a->body.data != NULL ? a->body.data : "",
	    a->body.len, 0, NULL);
	e = json_is_object(root) ? json_object_get(root, "error") : NULL;
	if (json_is_string(e))
		s = printable(json_string_value(e), json_string_length(e),
		    PART_ERROR_MAX);
	else if (a->body.len > 0)
		s = printable(a->body.data, a->body.len, PART_ERROR_MAX);
	else
		s = xstrdup("no error text");
	json_decref(root);
	return s;
}

/*
 * One request: method on path (under https://host:port), with the block
 * as a multipart config-block part when block != NULL. Fills a (caller
 * frees a->body). Returns 0 when an HTTP answer came, or -1 and *cause.
 */
static int
part_do(const struct part_target *t, const char *method, const char *path,
    const void *block, size_t blen, long timeout_ms, struct part_answer *a,
    char **cause)
{
	struct curl_slist *hdrs = NULL;
	curl_mime *mime = NULL;
	curl_mimepart *part;
	char errbuf[CURL_ERROR_SIZE];
	char *url = NULL;
	const char *lb, *rb, *why;
	CURL *easy = NULL;
	CURLcode rc;
	int ret = -1;

	a->status = 0;
	a->too_big = 0;
	buf_init(&a->body, PART_MAX_ANSWER);
	if (t == NULL || t->host == NULL || t->host[0] == '\0' ||
	    t->port == 0 || t->port > 65535 || t->ca_file == NULL) {
		*cause = xstrdup("the orderer target needs a host, a port and "
		    "a CA file");
		goto done;
	}
	if ((t->cert_file == NULL) != (t->key_file == NULL)) {
		*cause = xstrdup("a client certificate needs its key, and a "
		    "key its certificate");
		goto done;
	}
	if (timeout_ms <= 0)
		timeout_ms = 30000;
	lb = strchr(t->host, ':') != NULL ? "[" : "";
	rb = *lb != '\0' ? "]" : "";
	url = xasprintf("https://%s%s%s:%u%s", lb, t->host, rb, t->port, path);

	if ((easy = curl_easy_init()) == NULL) {
		*cause = xstrdup("libcurl cannot make a handle");
		goto done;
	}
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (hdrs == NULL) {
		*cause = xstrdup("libcurl cannot make the header list");
		goto done;
	}
	errbuf[0] = '\0';
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(easy, CURLOPT_PROXY, "");
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(easy, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(easy, CURLOPT_CAINFO, t->ca_file);
	curl_easy_setopt(easy, CURLOPT_CAPATH, NULL);
	if (t->cert_file != NULL) {
		curl_easy_setopt(easy, CURLOPT_SSLCERT, t->cert_file);
		curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(easy, CURLOPT_SSLKEY, t->key_file);
		curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
	}
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
	    timeout_ms < PART_CONNECT_MS ? timeout_ms : PART_CONNECT_MS);
	curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)PART_MAX_ANSWER);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, answer_write);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
	if (block != NULL) {
		/*
		 * One file part: Go's multipart reader files a part only when
		 * it has a filename; without one it is a form value and the
		 * orderer answers "form does not contains part key".
		 */
		if ((mime = curl_mime_init(easy)) == NULL ||
		    (part = curl_mime_addpart(mime)) == NULL ||
		    curl_mime_name(part, "config-block") != CURLE_OK ||
		    curl_mime_filename(part, "config.block") != CURLE_OK ||
		    curl_mime_type(part, "application/octet-stream") !=
		    CURLE_OK ||
		    curl_mime_data(part, block, blen) != CURLE_OK) {
			*cause = xstrdup("libcurl cannot make the multipart "
			    "form");
			goto done;
		}
		curl_easy_setopt(easy, CURLOPT_MIMEPOST, mime);
	} else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);

	rc = curl_easy_perform(easy);
	if (a->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		*cause = xasprintf("the answer passes the limit of %lu bytes",
		    (unsigned long)PART_MAX_ANSWER);
		goto done;
	}
	if (rc != CURLE_OK) {
		why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
		if (rc == CURLE_OPERATION_TIMEDOUT)
			*cause = xasprintf("no answer within %ld ms (%s)",
			    timeout_ms, why);
		else
			*cause = xasprintf("%s (curl error %d)", why, (int)rc);
		goto done;
	}
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &a->status);
	ret = 0;
done:
	if (ret == -1)
		buf_free(&a->body);
	curl_mime_free(mime);
	curl_slist_free_all(hdrs);
	if (easy != NULL)
		curl_easy_cleanup(easy);
	free(url);
	return ret;
}

/* Wraps a failure with what was tried, where. Takes why. */
static char *
part_cause(const struct part_target *t, const char *what, char *why)
{
	char *s;

	s = xasprintf("%s on orderer %s:%u failed: %s", what,
	    t != NULL && t->host != NULL ? t->host : "(no host)",
	    t != NULL ? t->port : 0, why);
	free(why);
	return s;
}

/* The HTTP error answer as a sentence. */
static char *
status_cause(const struct part_target *t, const char *what,
    const struct part_answer *a)
{
	char *e, *s;

	e = answer_error(a);
	s = part_cause(t, what, xasprintf("HTTP %ld: %s", a->status, e));
	free(e);
	return s;
}

static char *
json_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return xstrdup(json_is_string(v) ? json_string_value(v) : "");
}

/* One channel object into c. Returns 0, or -1 when it is not one. */
static int
channel_from_json(json_t *o, struct part_channel *c)
{
	json_t *h;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(o) || !json_is_string(json_object_get(o, "name")))
		return -1;
	c->name = json_str(o, "name");
	c->url = json_str(o, "url");
	c->consensus_relation = json_str(o, "consensusRelation");
	c->status = json_str(o, "status");
	h = json_object_get(o, "height");
	if (json_is_integer(h) && json_integer_value(h) >= 0) {
		c->height = (uint64_t)json_integer_value(h);
		c->has_height = 1;
	}
	return 0;
}

/* The answer body as a JSON object, or NULL and *cause. */
static json_t *
answer_json(const struct part_target *t, const char *what,
    const struct part_answer *a, char **cause)
{
	json_error_t jerr;
	json_t *root;

	root = json_loadb(a->body.data != NULL ? a->body.data : "",
	    a->body.len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		*cause = part_cause(t, what, xasprintf("the answer (HTTP %ld) "
		    "is not a JSON object%s%s", a->status,
		    root == NULL ? ": " : "", root == NULL ? jerr.text : ""));
		return NULL;
	}
	return root;
}

int
part_list(const struct part_target *t, struct part_channel **chans,
    size_t *np, long timeout_ms, char **cause)
{
	struct part_answer a;
	struct part_channel *c = NULL;
	json_t *root = NULL, *arr, *o;
	size_t i, n = 0;
	char *why = NULL;
	int ret = -1;

	*chans = NULL;
	*np = 0;
	*cause = NULL;
	if (part_do(t, "GET", PART_BASE, NULL, 0, timeout_ms, &a, &why) == -1) {
		*cause = part_cause(t, "listing channels", why);
		return -1;
	}
	if (a.status != 200) {
		*cause = status_cause(t, "listing channels", &a);
		goto done;
	}
	if ((root = answer_json(t, "listing channels", &a, cause)) == NULL)
		goto done;
	arr = json_object_get(root, "channels");
	if (arr != NULL && !json_is_null(arr) && !json_is_array(arr)) {
		*cause = part_cause(t, "listing channels", xstrdup("the "
		    "answer's \"channels\" is not an array"));
		goto done;
	}
	if (json_is_array(arr) && json_array_size(arr) > PART_MAX_CHANNELS) {
		*cause = part_cause(t, "listing channels", xasprintf("the "
		    "answer has more than %d channels", PART_MAX_CHANNELS));
		goto done;
	}
	if (json_is_array(arr) && json_array_size(arr) > 0) {
		c = xcalloc(json_array_size(arr), sizeof(*c));
		json_array_foreach(arr, i, o) {
			if (channel_from_json(o, &c[n]) == -1) {
				part_channel_clear(&c[n]);
				*cause = part_cause(t, "listing channels",
				    xasprintf("channel %zu of the answer has "
				    "no name", i + 1));
				goto done;
			}
			n++;
		}
	}
	*chans = c;
	*np = n;
	c = NULL;
	ret = 0;
done:
	part_channels_free(c, n);
	json_decref(root);
	buf_free(&a.body);
	return ret;
}

int
part_get(const struct part_target *t, const char *channel,
    struct part_channel *out, int *found, long timeout_ms, char **cause)
{
	struct part_answer a;
	json_t *root = NULL;
	char *path, *what, *why = NULL;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	*found = 0;
	*cause = NULL;
	what = xasprintf("getting channel \"%s\"",
	    part_channel_name_ok(channel) ? channel : "?");
	if (!part_channel_name_ok(channel)) {
		*cause = part_cause(t, what, xstrdup("not a valid channel "
		    "name"));
		free(what);
		return -1;
	}
	path = xasprintf("%s/%s", PART_BASE, channel);
	if (part_do(t, "GET", path, NULL, 0, timeout_ms, &a, &why) == -1) {
		*cause = part_cause(t, what, why);
		free(path);
		free(what);
		return -1;
	}
	if (a.status == 404) {
		ret = 0;
		goto done;
	}
	if (a.status != 200) {
		*cause = status_cause(t, what, &a);
		goto done;
	}
	if ((root = answer_json(t, what, &a, cause)) == NULL)
		goto done;
	if (channel_from_json(root, out) == -1) {
		part_channel_clear(out);
		*cause = part_cause(t, what, xstrdup("the answer has no "
		    "channel name"));
		goto done;
	}
	*found = 1;
	ret = 0;
done:
	json_decref(root);
	buf_free(&a.body);
	free(path);
	free(what);
	return ret;
}

int
part_join(const struct part_target *t, const void *block, size_t len,
    enum part_join_result *res, struct part_channel *info, long timeout_ms,
    char **cause)
{
	struct part_answer a;
	json_t *root = NULL;
	char *why = NULL, *e = NULL;
	const char *what = "joining a channel";
	int ret = -1;

	*cause = NULL;
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (block == NULL || len == 0) {
		*cause = part_cause(t, what, xstrdup("the config block is "
		    "empty"));
		return -1;
	}
	if (len > PART_MAX_BLOCK) {
		*cause = part_cause(t, what, xasprintf("the config block has "
		    "%zu bytes, more than the limit of %lu", len,
		    (unsigned long)PART_MAX_BLOCK));
		return -1;
	}
	if (part_do(t, "POST", PART_BASE, block, len, timeout_ms, &a,
	    &why) == -1) {
		*cause = part_cause(t, what, why);
		return -1;
	}
	if (a.status == 201) {
		if ((root = answer_json(t, what, &a, cause)) == NULL)
			goto done;
		if (info != NULL && channel_from_json(root, info) == -1) {
			part_channel_clear(info);
			*cause = part_cause(t, what, xstrdup("the answer has "
			    "no channel name"));
			goto done;
		}
		*res = PART_JOINED;
		ret = 0;
		goto done;
	}
	/*
	 * Fabric 2.5 answers 405 "cannot join: channel already exists";
	 * 409 is for a channel being removed ("channel pending removal"),
	 * which is an error unless a later Fabric says "already exists".
	 */
	if (a.status == 405 || a.status == 409) {
		e = answer_error(&a);
		if (strstr(e, "channel already exists") != NULL) {
			*res = PART_ALREADY_JOINED;
			ret = 0;
			goto done;
		}
	}
	*cause = status_cause(t, what, &a);
done:
	free(e);
	json_decref(root);
	buf_free(&a.body);
	return ret;
}

int
part_remove(const struct part_target *t, const char *channel,
    enum part_remove_result *res, long timeout_ms, char **cause)
{
	struct part_answer a;
	char *path, *what, *why = NULL;
	int ret = -1;

	*cause = NULL;
	what = xasprintf("removing channel \"%s\"",
	    part_channel_name_ok(channel) ? channel : "?");
	if (!part_channel_name_ok(channel)) {
		*cause = part_cause(t, what, xstrdup("not a valid channel "
		    "name"));
		free(what);
		return -1;
	}
	path = xasprintf("%s/%s", PART_BASE, channel);
	if (part_do(t, "DELETE", path, NULL, 0, timeout_ms, &a, &why) == -1) {
		*cause = part_cause(t, what, why);
		free(path);
		free(what);
		return -1;
	}
	if (a.status == 204 || a.status == 200) {
		*res = PART_REMOVED;
		ret = 0;
	} else if (a.status == 404) {
		*res = PART_ABSENT;
		ret = 0;
	} else
		*cause = status_cause(t, what, &a);
	buf_free(&a.body);
	free(path);
	free(what);
	return ret;
}
