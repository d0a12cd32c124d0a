/*
 * grpc.c: gRPC over HTTP/2 with libcurl (see grpc.h).
 *
 * A call is one POST https://HOST:PORT/<package.Service>/<Method> with
 * content-type application/grpc and te: trailers, over TLS where ALPN
 * must pick h2. The request body is the length-prefixed request messages;
 * the answer body is a stream of length-prefixed messages, decoded as it
 * arrives by a grpc_reader (one message in memory at a time). The call's
 * status comes in grpc-status / grpc-message, in the trailers (or in the
 * headers of a "trailers-only" answer); libcurl hands both to the header
 * callback.
 */
#include "grpc.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "buf.h"
#include "xmalloc.h"

#define GRPC_HDR_LEN		5
#define GRPC_MSG_TEXT_MAX	1024	/* grpc-message kept for the cause */
#define GRPC_CONNECT_MS		10000L
#define GRPC_TIMEOUT_MAX_MS	99999999L	/* grpc-timeout: 8 digits */

struct grpc_reader {
	unsigned char hdr[GRPC_HDR_LEN];
	size_t hdrlen;
	int in_msg;
	size_t need;            /* length of the message being read */
	struct buf msg;
	size_t max_msg;
	size_t max_total;
	size_t total;           /* bytes of the answer so far, headers included */
	size_t count;
	int err_code;           /* the gRPC status of the last failure */
};

/* The state of one call, shared by the curl callbacks. */
struct grpc_call {
	const char *path;
	struct grpc_reader *reader;
	grpc_msg_cb on_msg;
	void *arg;
	long http_status;       /* from the last status line */
	int not_h2;             /* the status line was not HTTP/2 */
	int is_grpc;            /* content-type: application/grpc... */
	int have_status;        /* grpc-status seen */
	int grpc_status;
	char *grpc_message;     /* decoded, or NULL */
	int stopped;            /* on_msg asked to stop: success */
	int failed_code;        /* our own reason to abort, when failed */
	char *failed;           /* that reason, a sentence */
	size_t discarded;       /* body bytes of a non-gRPC answer */
};

static const char *const grpc_names[] = {
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
	"RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
	"UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
	"UNAUTHENTICATED"
};

const char *
grpc_code_name(int code)
{
	if (code < 0 || (size_t)code >= sizeof(grpc_names) / sizeof(grpc_names[0]))
		return "UNRECOGNIZED";
	return grpc_names[code];
}

struct grpc_reader *
grpc_reader_new(size_t max_msg, size_t max_total)
{
	struct grpc_reader *r;

	r = xcalloc(1, sizeof(*r));
	r->max_msg = max_msg != 0 ? max_msg : GRPC_MAX_MSG_DEFAULT;
	r->max_total = max_total != 0 ? max_total : GRPC_MAX_TOTAL_DEFAULT;
	buf_init(&r->msg, r->max_msg);
	return r;
}

void
grpc_reader_free(struct grpc_reader *r)
{
	if (r == NULL)
		return;
	buf_free(&r->msg);
	free(r);
}

int
grpc_reader_idle(const struct grpc_reader *r)
{
	return r->hdrlen == 0 && !r->in_msg;
}

size_t
grpc_reader_count(const struct grpc_reader *r)
{
	return r->count;
}

/* A message is complete: hand it over. Returns on_msg's verdict. */
static int
reader_deliver(struct grpc_reader *r, grpc_msg_cb on_msg, void *arg,
    char **cause)
{
	const void *p = r->msg.data != NULL ? r->msg.data : "";
	int rv;

	r->count++;
	rv = on_msg != NULL ? on_msg(p, r->msg.len, arg) : 0;
	buf_reset(&r->msg);
	r->in_msg = 0;
	r->hdrlen = 0;
	if (rv < 0) {
		r->err_code = GRPC_CANCELLED;
		*cause = xasprintf("the handler refused answer message %zu",
		    r->count);
		return -1;
	}
	return rv > 0 ? 1 : 0;
}

int
grpc_reader_feed(struct grpc_reader *r, const void *data, size_t len,
    grpc_msg_cb on_msg, void *arg, char **cause)
{
	const unsigned char *p = data;
	size_t k;
	uint32_t n;
	int rv;

	while (len > 0) {
		if (!r->in_msg) {
			k = GRPC_HDR_LEN - r->hdrlen;
			if (k > len)
				k = len;
			memcpy(r->hdr + r->hdrlen, p, k);
			r->hdrlen += k;
			p += k;
			len -= k;
			if (r->hdrlen < GRPC_HDR_LEN)
				break;
			r->err_code = GRPC_INTERNAL;
			if (r->hdr[0] == 1) {
				*cause = xasprintf("answer message %zu is "
				    "compressed, which was not asked for",
				    r->count + 1);
				return -1;
			}
			if (r->hdr[0] != 0) {
				*cause = xasprintf("answer message %zu has an "
				    "invalid flag byte 0x%02x", r->count + 1,
				    r->hdr[0]);
				return -1;
			}
			n = (uint32_t)r->hdr[1] << 24 | (uint32_t)r->hdr[2] << 16 |
			    (uint32_t)r->hdr[3] << 8 | (uint32_t)r->hdr[4];
			r->err_code = GRPC_RESOURCE_EXHAUSTED;
			if (n > r->max_msg) {
				*cause = xasprintf("answer message %zu has %lu "
				    "bytes, more than the limit of %zu",
				    r->count + 1, (unsigned long)n, r->max_msg);
				return -1;
			}
			if (r->total > r->max_total ||
			    GRPC_HDR_LEN + (size_t)n > r->max_total - r->total) {
				*cause = xasprintf("the answer passes the limit "
				    "of %zu bytes at message %zu", r->max_total,
				    r->count + 1);
				return -1;
			}
			r->total += GRPC_HDR_LEN + (size_t)n;
			r->need = n;
			r->in_msg = 1;
			buf_reset(&r->msg);
		}
		k = r->need - r->msg.len;
		if (k > len)
			k = len;
		if (k > 0 && buf_add(&r->msg, p, k) == -1) {
			/* Cannot happen: need <= max_msg. */
			*cause = xasprintf("answer message %zu passes the "
			    "limit of %zu bytes", r->count + 1, r->max_msg);
			return -1;
		}
		p += k;
		len -= k;
		if (r->msg.len == r->need) {
			rv = reader_deliver(r, on_msg, arg, cause);
			if (rv != 0)
				return rv;
		}
	}
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
grpc_message_decode(const char *s, size_t len, size_t max)
{
	struct buf b;
	size_t i;
	int hi, lo;
	unsigned char c;

	buf_init(&b, 0);
	buf_add(&b, "", 0);
	for (i = 0; i < len && b.len < max; i++) {
		c = (unsigned char)s[i];
		if (c == '%' && i + 2 < len && (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		/* UTF-8 bytes (>= 0x80) pass; controls do not. */
		if (c < 0x20 || c == 0x7f)
			c = '?';
		buf_add(&b, &c, 1);
	}
	if (i < len && max >= 3 && b.len >= 3) {
		b.len -= 3;
		buf_add(&b, "...", 3);
	}
	return buf_steal(&b, NULL);
}

/* Records our own reason to abort the transfer (the first one wins). */
static void
call_fail(struct grpc_call *c, int code, char *why)
{
	if (c->failed == NULL) {
		c->failed = why;
		c->failed_code = code;
	} else
		free(why);
}

/* Trims the CRLF and blanks around a header value. */
static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && ((*s)[*len - 1] == '\r' || (*s)[*len - 1] == '\n' ||
	    (*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
	while (*len > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
}

/* name: "grpc-status", ...; 1 and the value when the line is that header. */
static int
header_is(const char *line, size_t len, const char *name, const char **val,
    size_t *vlen)
{
	size_t n = strlen(name);

	if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
		return 0;
	*val = line + n + 1;
	*vlen = len - n - 1;
	trim(val, vlen);
	return 1;
}

static size_t
call_header(char *line, size_t size, size_t nitems, void *arg)
{
	struct grpc_call *c = arg;
	size_t len = size * nitems;
	const char *v;
	size_t vlen, i;
	long st;

	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* A status line: a new header block. */
		if (len < 7 || strncmp(line, "HTTP/2 ", 7) != 0) {
			c->not_h2 = 1;
			call_fail(c, GRPC_UNAVAILABLE, xstrdup("the server did "
			    "not negotiate HTTP/2 (ALPN h2), which gRPC needs"));
			return 0;
		}
		st = 0;
		for (i = 7; i < len && i < 10 && isdigit((unsigned char)line[i]);
		    i++)
			st = st * 10 + (line[i] - '0');
		c->http_status = st;
		c->is_grpc = 0;
		return len;
	}
	if (header_is(line, len, "content-type", &v, &vlen)) {
		c->is_grpc = vlen >= 16 &&
		    strncasecmp(v, "application/grpc", 16) == 0 &&
		    (vlen == 16 || v[16] == '+' || v[16] == ';');
	} else if (header_is(line, len, "grpc-status", &v, &vlen)) {
		st = 0;
		if (vlen == 0 || vlen > 3)
			st = -1;
		for (i = 0; st >= 0 && i < vlen; i++) {
			if (!isdigit((unsigned char)v[i]))
				st = -1;
			else
				st = st * 10 + (v[i] - '0');
		}
		if (st < 0) {
			call_fail(c, GRPC_INTERNAL, xasprintf("the server sent "
			    "an invalid grpc-status \"%.*s\"",
			    (int)(vlen > 16 ? 16 : vlen), v));
			return 0;
		}
		c->have_status = 1;
		c->grpc_status = (int)st;
	} else if (header_is(line, len, "grpc-message", &v, &vlen)) {
		free(c->grpc_message);
		c->grpc_message = grpc_message_decode(v, vlen,
		    GRPC_MSG_TEXT_MAX);
	}
	return len;
}

static size_t
call_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct grpc_call *c = arg;
	size_t len = size * nmemb;
	char *why = NULL;
	int rv;

	if (c->http_status != 200 || !c->is_grpc) {
		/* Not a gRPC answer (an HTTP error page): drop it, bounded. */
		c->discarded += len;
		if (c->discarded > 64 * 1024) {
			call_fail(c, GRPC_INTERNAL, xasprintf("the server "
			    "answered HTTP %ld with more than 64 KiB that is "
			    "not gRPC", c->http_status));
			return 0;
		}
		return len;
	}
	rv = grpc_reader_feed(c->reader, data, len, c->on_msg, c->arg, &why);
	if (rv < 0) {
		call_fail(c, c->reader->err_code, why);
		return 0;
	}
	if (rv > 0) {
		c->stopped = 1;
		return 0;
	}
	return len;
}

/* The gRPC status of an answer that is not gRPC (HTTP-to-gRPC mapping). */
static int
http_to_grpc(long status)
{
	switch (status) {
	case 400:
		return GRPC_INTERNAL;
	case 401:
		return GRPC_UNAUTHENTICATED;
	case 403:
		return GRPC_PERMISSION_DENIED;
	case 404:
		return GRPC_UNIMPLEMENTED;
	case 429:
	case 502:
	case 503:
	case 504:
		return GRPC_UNAVAILABLE;
	default:
		return GRPC_UNKNOWN;
	}
}

/* Frames the request messages into one body. */
static int
frame_body(const struct grpc_msg *msgs, size_t n, size_t max, struct buf *b,
    char **cause)
{
	unsigned char hdr[GRPC_HDR_LEN];
	size_t i;

	buf_init(b, 0);
	buf_add(b, "", 0);
	for (i = 0; i < n; i++) {
		if (msgs[i].len > max || msgs[i].len > UINT32_MAX) {
			*cause = xasprintf("request message %zu has %zu bytes, "
			    "more than the limit of %zu", i + 1, msgs[i].len,
			    max);
			buf_free(b);
			return -1;
		}
		hdr[0] = 0;
		hdr[1] = (unsigned char)(msgs[i].len >> 24);
		hdr[2] = (unsigned char)(msgs[i].len >> 16);
		hdr[3] = (unsigned char)(msgs[i].len >> 8);
		hdr[4] = (unsigned char)msgs[i].len;
		buf_add(b, hdr, sizeof(hdr));
		if (msgs[i].len > 0)
			buf_add(b, msgs[i].data, msgs[i].len);
	}
	return 0;
}

/* The transport failure curl reports, as a code and a sentence. */
static char *
curl_reason(CURLcode rc, const char *errbuf, long timeout_ms, int *code)
{
	const char *why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		*code = GRPC_DEADLINE_EXCEEDED;
		return xasprintf("no complete answer within %ld ms (%s)",
		    timeout_ms, why);
	case CURLE_FILESIZE_EXCEEDED:
	case CURLE_TOO_MANY_REDIRECTS:
		*code = GRPC_RESOURCE_EXHAUSTED;
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_WEIRD_SERVER_REPLY:
		*code = GRPC_INTERNAL;
		break;
	default:
		/* Connection refused, DNS, TLS: as gRPC clients do. */
		*code = GRPC_UNAVAILABLE;
		break;
	}
	return xasprintf("%s (curl error %d)", why, (int)rc);
}

int
grpc_call_msgs(const struct grpc_target *t, const char *path,
    const struct grpc_msg *msgs, size_t n, grpc_msg_cb on_msg, void *arg,
    long timeout_ms, int *codep, char **cause)
{
	struct grpc_call c;
	struct curl_slist *hdrs = NULL;
	struct buf body;
	char errbuf[CURL_ERROR_SIZE];
	char *url = NULL, *why = NULL, *tmo;
	const char *lb, *rb;
	CURL *easy = NULL;
	CURLcode rc;
	long version = 0;
	size_t max_msg;
	int ret = -1, code = GRPC_INTERNAL;

	memset(&c, 0, sizeof(c));
	buf_init(&body, 0);
	*cause = NULL;
	if (t == NULL || t->host == NULL || t->host[0] == '\0' ||
	    t->port == 0 || t->port > 65535 || t->ca_file == NULL) {
		why = xstrdup("the target needs a host, a port and a CA file");
		goto done;
	}
	if (path == NULL || path[0] != '/' || strchr(path + 1, '/') == NULL ||
	    strpbrk(path, " ?#\r\n") != NULL) {
		why = xstrdup("the method path is not /package.Service/Method");
		goto done;
	}
	if ((t->cert_file == NULL) != (t->key_file == NULL)) {
		why = xstrdup("a client certificate needs its key, and a key "
		    "its certificate");
		goto done;
	}
	if (timeout_ms <= 0)
		timeout_ms = 30000;
	if (timeout_ms > GRPC_TIMEOUT_MAX_MS)
		timeout_ms = GRPC_TIMEOUT_MAX_MS;
	max_msg = t->max_msg != 0 ? t->max_msg : GRPC_MAX_MSG_DEFAULT;
	if (frame_body(msgs, n, GRPC_MAX_MSG_DEFAULT, &body, &why) == -1) {
		code = GRPC_RESOURCE_EXHAUSTED;
		goto done;
	}

	/* An IPv6 literal goes in brackets. */
	lb = strchr(t->host, ':') != NULL ? "[" : "";
	rb = *lb != '\0' ? "]" : "";
	url = xasprintf("https://%s%s%s:%u%s", lb, t->host, rb, t->port, path);

	c.path = path;
	c.reader = grpc_reader_new(max_msg, t->max_total);
	c.on_msg = on_msg;
	c.arg = arg;

	if ((easy = curl_easy_init()) == NULL) {
		why = xstrdup("libcurl cannot make a handle");
		goto done;
	}
	hdrs = curl_slist_append(hdrs, "content-type: application/grpc");
	hdrs = curl_slist_append(hdrs, "te: trailers");
	hdrs = curl_slist_append(hdrs, "grpc-accept-encoding: identity");
	hdrs = curl_slist_append(hdrs, "user-agent: fabfed-grpc/1");
	hdrs = curl_slist_append(hdrs, "accept:");
	hdrs = curl_slist_append(hdrs, "expect:");
	tmo = xasprintf("grpc-timeout: %ldm", timeout_ms);
	hdrs = curl_slist_append(hdrs, tmo);
	free(tmo);
	if (hdrs == NULL) {
		why = xstrdup("libcurl cannot make the header list");
		goto done;
	}

	errbuf[0] = '\0';
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(easy, CURLOPT_PROXY, "");
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(easy, CURLOPT_SSL_ENABLE_ALPN, 1L);
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
	    timeout_ms < GRPC_CONNECT_MS ? timeout_ms : GRPC_CONNECT_MS);
	curl_easy_setopt(easy, CURLOPT_POST, 1L);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)body.len);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, call_header);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, &c);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, call_write);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, &c);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);

	rc = curl_easy_perform(easy);
	if (c.stopped) {
		code = GRPC_OK;
		ret = 0;
		goto done;
	}
	if (c.failed != NULL) {
		code = c.failed_code;
		why = c.failed;
		c.failed = NULL;
		goto done;
	}
	/*
	 * A server may answer in full (grpc-status given) before it has read
	 * the whole request, then reset the stream to stop the upload (RFC
	 * 9113 8.1: the client must not discard that answer). grpc-js does so
	 * for an unknown method; libcurl reports the reset as an error.
	 */
	if (rc != CURLE_OK && !(c.have_status && (rc == CURLE_HTTP2_STREAM ||
	    rc == CURLE_HTTP2 || rc == CURLE_SEND_ERROR))) {
		why = curl_reason(rc, errbuf, timeout_ms, &code);
		goto done;
	}
	if (curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version) !=
	    CURLE_OK || version != CURL_HTTP_VERSION_2_0 || c.not_h2) {
		code = GRPC_UNAVAILABLE;
		why = xstrdup("the server did not negotiate HTTP/2 (ALPN h2), "
		    "which gRPC needs");
		goto done;
	}
	if (c.http_status != 200) {
		code = http_to_grpc(c.http_status);
		why = xasprintf("the server answered HTTP %ld, not gRPC",
		    c.http_status);
		goto done;
	}
	if (!c.have_status) {
		code = GRPC_INTERNAL;
		why = xstrdup("the answer ended without a grpc-status");
		goto done;
	}
	if (c.grpc_status != GRPC_OK) {
		code = c.grpc_status;
		why = xasprintf("%s (%d): %s", grpc_code_name(c.grpc_status),
		    c.grpc_status, c.grpc_message != NULL &&
		    c.grpc_message[0] != '\0' ? c.grpc_message :
		    "the server gave no message");
		goto done;
	}
	if (!c.is_grpc) {
		code = GRPC_INTERNAL;
		why = xstrdup("the answer's content-type is not "
		    "application/grpc");
		goto done;
	}
	if (!grpc_reader_idle(c.reader)) {
		code = GRPC_INTERNAL;
		why = xstrdup("the answer ended inside a message");
		goto done;
	}
	code = GRPC_OK;
	ret = 0;
done:
	if (ret == -1) {
		/* Our own (non-server) failures carry their status name too. */
		if (why != NULL && strncmp(why, grpc_code_name(code),
		    strlen(grpc_code_name(code))) != 0) {
			char *w = xasprintf("%s: %s", grpc_code_name(code), why);

			free(why);
			why = w;
		}
		*cause = xasprintf("gRPC %s on %s:%u failed: %s",
		    path != NULL ? path : "(no path)",
		    t != NULL && t->host != NULL ? t->host : "(no host)",
		    t != NULL ? t->port : 0, why != NULL ? why : "unknown");
	}
	if (codep != NULL)
		*codep = code;
	free(why);
	free(c.failed);
	free(c.grpc_message);
	grpc_reader_free(c.reader);
	curl_slist_free_all(hdrs);
	if (easy != NULL)
		curl_easy_cleanup(easy);
	buf_free(&body);
	free(url);
	return ret;
}

int
grpc_call(const struct grpc_target *t, const char *path, const void *req,
    size_t len, grpc_msg_cb on_msg, void *arg, long timeout_ms, char **cause)
{
	struct grpc_msg m;

	m.data = req;
	m.len = len;
	return grpc_call_msgs(t, path, &m, 1, on_msg, arg, timeout_ms, NULL,
	    cause);
}
