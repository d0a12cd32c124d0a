/*
 * ctl_client.c: the HTTPS client of the controller (libcurl, mutual TLS,
 * TLS 1.3 minimum). One easy handle per process, so the connection is kept
 * between the requests of one command. Answers are read into a buffer with
 * a hard maximum (CTL_RESPONSE_MAX).
 */
#include "ctl.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

struct ctl_client {
	const struct ctl_conf *conf;	/* borrowed */
	CURL *easy;
	long timeout;
};

/* What the callbacks of one request fill. */
struct ctl_client_rx {
	struct buf body;
	char *statusline;
	int toobig;
};

#define CTL_CLIENT_UA	"fabfedctl/" FABFED_VERSION

void
ctl_client_response_free(struct ctl_response *resp)
{
	if (resp == NULL)
		return;
	free(resp->statusline);
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

char *
ctl_client_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;
	const unsigned char *p;

	buf_init(&b, 0);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' ||
		    *p == '~')
			buf_add(&b, p, 1);
		else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };

			buf_add(&b, e, 3);
		}
	}
	return buf_steal(&b, NULL);
}

int
ctl_client_tls_setup(CURL *easy, const struct ctl_conf *conf, long timeout,
    char **cause)
{
	CURLcode rc = CURLE_OK;

	*cause = NULL;
#define SET(opt, val) do {						\
	if (rc == CURLE_OK)						\
		rc = curl_easy_setopt(easy, opt, val);			\
} while (0)
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_CAINFO, conf->ca);
	SET(CURLOPT_CAPATH, NULL);
	SET(CURLOPT_SSLCERT, conf->cert);
	SET(CURLOPT_SSLCERTTYPE, "PEM");
	SET(CURLOPT_SSLKEY, conf->key);
	SET(CURLOPT_SSLKEYTYPE, "PEM");
	SET(CURLOPT_TIMEOUT, timeout);
	SET(CURLOPT_CONNECTTIMEOUT, timeout < 10 ? timeout : 10L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CTL_RESPONSE_MAX);
	SET(CURLOPT_USERAGENT, CTL_CLIENT_UA);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
#undef SET
	if (rc != CURLE_OK) {
		*cause = xasprintf("libcurl refused a TLS option: %s "
		    "(libcurl %s)", curl_easy_strerror(rc),
		    curl_version_info(CURLVERSION_NOW)->version);
		return -1;
	}
	return 0;
}

struct ctl_client *
ctl_client_new(const struct ctl_conf *conf, long timeout, char **cause)
{
	struct ctl_client *c;

	*cause = NULL;
	c = xcalloc(1, sizeof(*c));
	c->conf = conf;
	c->timeout = timeout;
	if ((c->easy = curl_easy_init()) == NULL) {
		*cause = xstrdup("cannot start libcurl");
		free(c);
		return NULL;
	}
	if (ctl_client_tls_setup(c->easy, conf, timeout, cause) == -1) {
		ctl_client_free(c);
		return NULL;
	}
	return c;
}

void
ctl_client_free(struct ctl_client *c)
{
	if (c == NULL)
		return;
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	free(c);
}

static size_t
ctl_client_write(char *p, size_t size, size_t n, void *arg)
{
	struct ctl_client_rx *rx = arg;

	/* size is always 1 (curl's documentation). */
	if (size != 1 || buf_add(&rx->body, p, n) == -1) {
		rx->toobig = 1;
		return 0;	/* makes curl stop with CURLE_WRITE_ERROR */
	}
	return n;
}

static size_t
ctl_client_header(char *p, size_t size, size_t n, void *arg)
{
	struct ctl_client_rx *rx = arg;
	size_t len = size * n;

	/* Keep the last status line (after any 100 Continue). */
	if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
		while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n'))
			len--;
		if (len > 256)
			len = 256;
		free(rx->statusline);
		rx->statusline = xstrndup(p, len);
	}
	return size * n;
}

/* curl's message, with a hint for the failures an operator can fix. */
static char *
ctl_client_cause(const char *url, CURLcode rc,
    const char *errbuf)
{
	const char *msg = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
	const char *hint = "";

	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		hint = "; is \"ca\" in admin.conf the federation CA that "
		    "issued the controller's certificate?";
		break;
	case CURLE_SSL_CERTPROBLEM:
		hint = "; check \"cert\" and \"key\" in admin.conf";
		break;
	case CURLE_SSL_CACERT_BADFILE:
		hint = "; check \"ca\" in admin.conf";
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		if (strstr(msg, "protocol version") != NULL)
			hint = "; fabfedctl and the controller speak TLS 1.3 "
			    "only";
		else if (strstr(msg, "unknown ca") != NULL ||
		    strstr(msg, "certificate required") != NULL ||
		    strstr(msg, "bad certificate") != NULL ||
		    strstr(msg, "certificate unknown") != NULL)
			hint = "; the controller refused the client "
			    "certificate: \"cert\" in admin.conf must be "
			    "issued by its federation CA";
		break;
	case CURLE_COULDNT_CONNECT:
		hint = "; is the controller running (fabfed-controller run)?";
		break;
	case CURLE_OPERATION_TIMEDOUT:
		hint = "; see --timeout";
		break;
	default:
		break;
	}
	return xasprintf("%s: %s%s", url, msg, hint);
}

int
ctl_client_request(struct ctl_client *c, const char *method,
    const char *path, const char *if_match, const char *body, size_t len,
    struct ctl_response *resp, char **cause)
{
	struct ctl_client_rx rx;
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE], *url, *h;
	CURLcode rc;
	long status = 0;
	int ret = -1;

	memset(resp, 0, sizeof(*resp));
	memset(&rx, 0, sizeof(rx));
	buf_init(&rx.body, CTL_RESPONSE_MAX);
	*cause = NULL;
	errbuf[0] = '\0';
	url = xasprintf("%s%s", c->conf->controller, path);

	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (if_match != NULL) {
		h = xasprintf("If-Match: %s", if_match);
		hdrs = curl_slist_append(hdrs, h);
		free(h);
	}
	if (body != NULL) {
		size_t i = strspn(body, " \t\r\n");

		hdrs = curl_slist_append(hdrs, i < len && body[i] == '{' ?
		    "Content-Type: application/json" :
		    "Content-Type: application/yaml");
	}
	if (hdrs == NULL) {
		*cause = xstrdup("out of memory building request headers");
		goto done;
	}

	rc = curl_easy_setopt(c->easy, CURLOPT_URL, url);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, hdrs);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, errbuf);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION,
		    ctl_client_write);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, &rx);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c->easy, CURLOPT_HEADERFUNCTION,
		    ctl_client_header);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c->easy, CURLOPT_HEADERDATA, &rx);
	if (rc == CURLE_OK && body != NULL) {
		/* POSTFIELDS sends Content-Length (the controller wants it). */
		rc = curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len);
		if (rc == CURLE_OK)
			rc = curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS,
			    body);
	} else if (rc == CURLE_OK)
		rc = curl_easy_setopt(c->easy, CURLOPT_HTTPGET, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST,
		    strcmp(method, "GET") == 0 ? NULL : method);
	if (rc != CURLE_OK) {
		*cause = xasprintf("libcurl refused the request: %s",
		    curl_easy_strerror(rc));
		goto done;
	}

	rc = curl_easy_perform(c->easy);
	if (rx.toobig) {
		*cause = xasprintf("%s: the controller's answer is larger "
		    "than %zu MiB; refused", url, CTL_RESPONSE_MAX >> 20);
		goto done;
	}
	if (rc == CURLE_FILESIZE_EXCEEDED) {
		*cause = xasprintf("%s: the controller's answer is larger "
		    "than %zu MiB; refused", url, CTL_RESPONSE_MAX >> 20);
		goto done;
	}
	if (rc != CURLE_OK) {
		*cause = ctl_client_cause(url, rc, errbuf);
		goto done;
	}
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	resp->status = status;
	resp->statusline = rx.statusline;
	rx.statusline = NULL;
	resp->body = buf_steal(&rx.body, &resp->len);
	ret = 0;
done:
	/* The handle outlives this frame: drop what points into it. */
	curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, NULL);
	curl_easy_setopt(c->easy, CURLOPT_HEADERDATA, NULL);
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(hdrs);
	free(rx.statusline);
	buf_free(&rx.body);
	free(url);
	return ret;
}
