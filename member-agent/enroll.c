/*
 * enroll.c: "fabfed-agent enroll" (enroll.h). A one-shot command: two
 * blocking libcurl requests, each on its own easy handle so that the
 * unverified connection that fetched the CA is never reused for the
 * verified one that carries the token.
 */
#include "enroll.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf.h"
#include "pki.h"
#include "xmalloc.h"

#define ENROLL_UA	"fabfed-agent/" FABFED_VERSION
#define ENROLL_NAME_MAX	256	/* consortium and MSP ID in an answer */

void
enroll_usage(FILE *fp)
{
	fputs("usage: fabfed-agent enroll --controller URL "
	    "(--token TOKEN | --token-file FILE)\n"
	    "           --state-dir DIR [--timeout SECONDS] [--force]\n"
	    "\n"
	    "Joins this org's agent to a consortium with a one-time token from\n"
	    "\"fabfedctl token create\". The controller's CA is checked against\n"
	    "the hash in the token before anything is sent.\n"
	    "\n"
	    "  --controller URL    https://HOST:PORT of the fabfed controller\n"
	    "  --token TOKEN       the join token (fft1....)\n"
	    "  --token-file FILE   read the token from FILE (- = stdin)\n"
	    "  --state-dir DIR     the agent's state (made 0700 if absent)\n"
	    "  --timeout SECONDS   per-request timeout (default 30)\n"
	    "  --force             enroll again although DIR is enrolled\n"
	    "\n"
	    "Exit status: 0 enrolled, 1 refused (by the controller, a CA that "
	    "does not\nmatch the token, or DIR already enrolled), 2 usage, "
	    "file, connection or\nTLS error.\n", fp);
}

/* ---- command line ---- */

enum {
	ENROLL_OPT_CONTROLLER = 256,
	ENROLL_OPT_TOKEN,
	ENROLL_OPT_TOKEN_FILE,
	ENROLL_OPT_STATE_DIR,
	ENROLL_OPT_TIMEOUT,
	ENROLL_OPT_FORCE,
};

int
enroll_args_parse(int argc, char **argv, struct enroll_args *args,
    char **cause)
{
	static const struct option longopts[] = {
		{ "controller", required_argument, NULL, ENROLL_OPT_CONTROLLER },
		{ "token", required_argument, NULL, ENROLL_OPT_TOKEN },
		{ "token-file", required_argument, NULL, ENROLL_OPT_TOKEN_FILE },
		{ "state-dir", required_argument, NULL, ENROLL_OPT_STATE_DIR },
		{ "timeout", required_argument, NULL, ENROLL_OPT_TIMEOUT },
		{ "force", no_argument, NULL, ENROLL_OPT_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	long v;
	int c;

	memset(args, 0, sizeof(*args));
	args->timeout = ENROLL_TIMEOUT_DEFAULT;
	*cause = NULL;
	opterr = 0;
	optind = 0;	/* glibc: start afresh (tests parse many times) */
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		/* getopt sets optarg for every required_argument option. */
		const char *val = optarg != NULL ? optarg : "";

		switch (c) {
		case ENROLL_OPT_CONTROLLER:
			args->controller = val;
			break;
		case ENROLL_OPT_TOKEN:
			if (args->token != NULL || args->token_file != NULL)
				goto twice;
			args->token = optarg;
			break;
		case ENROLL_OPT_TOKEN_FILE:
			if (args->token != NULL || args->token_file != NULL)
				goto twice;
			if (*val == '\0') {
				*cause = xstrdup("--token-file needs a file "
				    "name (- for stdin)");
				return -1;
			}
			args->token_file = val;
			break;
		case ENROLL_OPT_STATE_DIR:
			if (*val == '\0') {
				*cause = xstrdup("--state-dir needs a "
				    "directory");
				return -1;
			}
			args->state_dir = val;
			break;
		case ENROLL_OPT_TIMEOUT:
			errno = 0;
			v = strtol(val, &end, 10);
			if (*val == '\0' || *end != '\0' || errno != 0 ||
			    v < 1 || v > ENROLL_TIMEOUT_MAX) {
				*cause = xasprintf("--timeout wants seconds "
				    "from 1 to %d, not \"%s\"",
				    ENROLL_TIMEOUT_MAX, val);
				return -1;
			}
			args->timeout = v;
			break;
		case ENROLL_OPT_FORCE:
			args->force = 1;
			break;
		case 'h':
			args->help = 1;
			break;
		case ':':
			*cause = xasprintf("option \"%s\" needs a value",
			    argv[optind - 1]);
			return -1;
		default:
			*cause = xasprintf("unknown option \"%s\"",
			    argv[optind - 1]);
			return -1;
		}
	}
	if (args->help)
		return 0;
	if (optind < argc) {
		*cause = xasprintf("unexpected argument \"%s\"", argv[optind]);
		return -1;
	}
	if (args->controller == NULL || *args->controller == '\0') {
		*cause = xstrdup("enroll needs --controller https://HOST:PORT");
		return -1;
	}
	if (args->token == NULL && args->token_file == NULL) {
		*cause = xstrdup("enroll needs --token TOKEN or --token-file "
		    "FILE (\"fabfedctl token create\" makes one)");
		return -1;
	}
	if (args->state_dir == NULL) {
		*cause = xstrdup("enroll needs --state-dir DIR");
		return -1;
	}
	return 0;
twice:
	*cause = xstrdup("give the token once, with --token or --token-file");
	return -1;
}

char *
enroll_url(const char *url, char **cause)
{
	const char *sep;
	size_t len;
	char *s;

	*cause = NULL;
	sep = strstr(url, "://");
	if (sep != NULL && (sep - url != 5 ||
	    strncasecmp(url, "https", 5) != 0)) {
		*cause = xasprintf("the controller URL must be https://, not "
		    "\"%.*s\"", (int)(sep - url + 3), url);
		return NULL;
	}
	s = sep != NULL ? xasprintf("https://%s", sep + 3) :
	    xasprintf("https://%s", url);
	len = strlen(s);
	while (len > 8 && s[len - 1] == '/')
		s[--len] = '\0';
	if (len <= 8 || strcspn(s, " \t\r\n") != len) {
		*cause = xasprintf("\"%s\" is not a controller URL "
		    "(https://HOST:PORT)", url);
		free(s);
		return NULL;
	}
	return s;
}

/* ---- files ---- */

int
enroll_state_dir(const char *dir, char **cause)
{
	struct stat st;

	*cause = NULL;
	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST) {
		*cause = xasprintf("cannot make the state directory %s: %s",
		    dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		*cause = xasprintf("%s is not a directory", dir);
		return -1;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		*cause = xasprintf("cannot write to the state directory %s: %s",
		    dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int
enroll_is_p256(EVP_PKEY *key)
{
	char group[64];
	size_t n;

	if (!EVP_PKEY_is_a(key, "EC"))
		return 0;
	if (EVP_PKEY_get_group_name(key, group, sizeof(group), &n) != 1)
		return 0;
	return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
}

EVP_PKEY *
enroll_key(const char *dir, int *created, char **cause)
{
	struct stat st;
	EVP_PKEY *key = NULL;
	char *path;

	*cause = NULL;
	if (created != NULL)
		*created = 0;
	path = xasprintf("%s/%s", dir, ENROLL_KEY_FILE);
	if (lstat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			*cause = xasprintf("%s is not a regular file", path);
			goto done;
		}
		if ((key = pki_key_read(path, cause)) == NULL)
			goto done;
		if (!enroll_is_p256(key)) {
			*cause = xasprintf("%s is not an ECDSA P-256 key; the "
			    "agent's key is P-256 (remove the file only if "
			    "this agent was never enrolled)", path);
			EVP_PKEY_free(key);
			key = NULL;
			goto done;
		}
		if ((st.st_mode & 077) != 0)
			fprintf(stderr, "warning: %s can be read by group or "
			    "others; chmod 600 it\n", path);
		goto done;
	}
	if (errno != ENOENT) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto done;
	}
	if ((key = pki_key_new()) == NULL) {
		*cause = pki_ssl_error("cannot make an ECDSA P-256 key");
		goto done;
	}
	if (pki_key_write(path, key, cause) == -1) {
		EVP_PKEY_free(key);
		key = NULL;
		goto done;
	}
	if (created != NULL)
		*created = 1;
done:
	free(path);
	return key;
}

/* Reads the token from path ("-" = stdin), at most ENROLL_TOKEN_FILE_MAX. */
static int
enroll_token_file(const char *path, struct token *t, char **cause)
{
	char data[ENROLL_TOKEN_FILE_MAX + 1];
	size_t n;
	FILE *fp;
	int ret = -1;

	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "r")) == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(data, 1, sizeof(data), fp);
	if (ferror(fp)) {
		*cause = xasprintf("%s: cannot read the token", path);
		goto done;
	}
	if (n > ENROLL_TOKEN_FILE_MAX) {
		*cause = xasprintf("%s: larger than %zu bytes; not a join "
		    "token", path, ENROLL_TOKEN_FILE_MAX);
		goto done;
	}
	ret = token_parse(data, n, t, cause);
done:
	OPENSSL_cleanse(data, sizeof(data));
	if (fp != stdin)
		fclose(fp);
	return ret;
}

/* ---- PKI ---- */

char *
enroll_csr(EVP_PKEY *key, char **cause)
{
	X509_REQ *req = NULL;
	X509_NAME *name;
	BIO *bio = NULL;
	BUF_MEM *mem;
	char *ret = NULL;

	*cause = NULL;
	/* The controller ignores the subject and sets O and CN itself. */
	if ((req = X509_REQ_new()) == NULL ||
	    X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
	    (name = X509_REQ_get_subject_name(req)) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"fabfed-agent", -1, -1, 0) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1 ||
	    X509_REQ_sign(req, key, EVP_sha256()) <= 0) {
		*cause = pki_ssl_error("cannot make the certificate request");
		goto done;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509_REQ(bio, req) != 1) {
		*cause = pki_ssl_error("cannot encode the certificate request");
		goto done;
	}
	BIO_get_mem_ptr(bio, &mem);
	ret = xstrndup(mem->data, mem->length);
done:
	BIO_free(bio);
	X509_REQ_free(req);
	return ret;
}

static void
enroll_hex(const unsigned char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The first PEM certificate of data[0..len), or NULL. */
static X509 *
enroll_pem_cert(const char *data, size_t len)
{
	BIO *bio;
	X509 *cert;

	if (len > INT32_MAX ||
	    (bio = BIO_new_mem_buf(data, (int)len)) == NULL)
		return NULL;
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return cert;
}

X509 *
enroll_ca_pin(const char *pem, size_t len, const struct token *t,
    int *mismatch, char **cause)
{
	unsigned char got[32];
	char hex[65];
	X509 *ca;

	*cause = NULL;
	if (mismatch != NULL)
		*mismatch = 0;
	if ((ca = enroll_pem_cert(pem, len)) == NULL) {
		*cause = pki_ssl_error("the controller's answer to GET "
		    "/v1/enroll/ca is not a PEM certificate");
		return NULL;
	}
	if (pki_cert_sha256(ca, got) == -1) {
		*cause = pki_ssl_error("cannot hash the controller's CA "
		    "certificate");
		X509_free(ca);
		return NULL;
	}
	if (CRYPTO_memcmp(got, t->ca_sha256, sizeof(got)) != 0) {
		enroll_hex(got, sizeof(got), hex);
		*cause = xasprintf("the controller's CA certificate (SHA-256 "
		    "%s) does not match the token's pinned hash %s; nothing "
		    "was sent. Check --controller, or ask the consortium lead "
		    "for a token from this controller", hex, t->ca_hex);
		if (mismatch != NULL)
			*mismatch = 1;
		X509_free(ca);
		return NULL;
	}
	return ca;
}

/*
 * A string member of obj, at most max bytes, no control characters (but
 * line ends when pem is set).
 */
static const char *
enroll_json_str(const json_t *obj, const char *key, size_t max, int pem,
    char **cause)
{
	const char *s = json_string_value(json_object_get(obj, key));
	size_t i, n;

	if (s == NULL) {
		*cause = xasprintf("the controller's answer has no \"%s\" "
		    "string", key);
		return NULL;
	}
	n = json_string_length(json_object_get(obj, key));
	if (n == 0 || n > max || strlen(s) != n) {
		*cause = xasprintf("the controller's answer has a bad \"%s\"",
		    key);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (pem && (s[i] == '\n' || s[i] == '\r'))
			continue;
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			*cause = xasprintf("the controller's answer has a "
			    "control character in \"%s\"", key);
			return NULL;
		}
	}
	return s;
}

X509 *
enroll_check_answer(const char *body, size_t len, X509 *ca, EVP_PKEY *key,
    char **consortium, char **msp, char **cause)
{
	json_error_t jerr;
	json_t *answer = NULL;
	const char *pem, *capem, *cons, *id;
	unsigned char h1[32], h2[32];
	char *uri = NULL, *want = NULL;
	X509 *cert = NULL, *anca = NULL, *ret = NULL;
	EVP_PKEY *capub;

	*cause = NULL;
	*consortium = *msp = NULL;
	answer = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (answer == NULL || !json_is_object(answer)) {
		*cause = xstrdup("the controller's answer to POST /v1/enroll "
		    "is not a JSON object");
		goto done;
	}
	if ((pem = enroll_json_str(answer, "certificate", PKI_MAX_PEM, 1,
	    cause)) == NULL ||
	    (capem = enroll_json_str(answer, "ca", PKI_MAX_PEM, 1,
	    cause)) == NULL ||
	    (cons = enroll_json_str(answer, "consortium", ENROLL_NAME_MAX, 0,
	    cause)) == NULL ||
	    (id = enroll_json_str(answer, "mspId", ENROLL_NAME_MAX, 0,
	    cause)) == NULL)
		goto done;
	if ((cert = enroll_pem_cert(pem, strlen(pem))) == NULL) {
		*cause = pki_ssl_error("the controller's \"certificate\" is "
		    "not a PEM certificate");
		goto done;
	}
	if ((anca = enroll_pem_cert(capem, strlen(capem))) == NULL ||
	    pki_cert_sha256(anca, h1) == -1 || pki_cert_sha256(ca, h2) == -1 ||
	    CRYPTO_memcmp(h1, h2, sizeof(h1)) != 0) {
		*cause = xstrdup("the controller's \"ca\" is not the CA "
		    "pinned by the token");
		goto done;
	}
	if ((capub = X509_get0_pubkey(ca)) == NULL ||
	    X509_verify(cert, capub) != 1) {
		*cause = pki_ssl_error("the controller's certificate is not "
		    "signed by the pinned CA");
		goto done;
	}
	if (X509_check_private_key(cert, key) != 1) {
		*cause = pki_ssl_error("the controller's certificate is not "
		    "for this agent's key");
		goto done;
	}
	want = xasprintf("fabfed://%s/org/%s", cons, id);
	uri = pki_cert_uri(cert, "fabfed://");
	if (uri == NULL || strcmp(uri, want) != 0) {
		*cause = xasprintf("the controller's certificate does not "
		    "name %s", want);
		goto done;
	}
	*consortium = xstrdup(cons);
	*msp = xstrdup(id);
	ret = cert;
	cert = NULL;
done:
	free(uri);
	free(want);
	X509_free(anca);
	X509_free(cert);
	json_decref(answer);
	return ret;
}

/* ---- HTTP ---- */

struct enroll_rx {
	struct buf body;
	int toobig;
};

static size_t
enroll_write(char *p, size_t size, size_t n, void *arg)
{
	struct enroll_rx *rx = arg;

	if (size != 1 || buf_add(&rx->body, p, n) == -1) {
		rx->toobig = 1;
		return 0;
	}
	return n;
}

/*
 * One request to url on a fresh easy handle. ca == NULL: the server is
 * not verified (only for GET /v1/enroll/ca). body == NULL: GET. Returns 0
 * when an answer arrived, whatever its status, with *status and *out
 * (NUL-terminated, at most max bytes; caller frees); -1 with *cause.
 */
static int
enroll_http(const char *url, X509 *ca, const char *body, size_t len,
    long timeout, size_t max, long *status, char **out, size_t *outlen,
    char **cause)
{
	struct enroll_rx rx;
	struct curl_slist *hdrs = NULL;
	struct curl_blob blob;
	char errbuf[CURL_ERROR_SIZE], *capem = NULL;
	const char *hint = "";
	CURLcode rc = CURLE_OK;
	CURL *easy;
	int ret = -1;

	*cause = NULL;
	*out = NULL;
	*status = 0;
	errbuf[0] = '\0';
	memset(&rx, 0, sizeof(rx));
	buf_init(&rx.body, max);
	if ((easy = curl_easy_init()) == NULL) {
		*cause = xstrdup("cannot start libcurl");
		goto done;
	}
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (hdrs != NULL)
		hdrs = curl_slist_append(hdrs, "Expect:");
	if (hdrs != NULL && body != NULL)
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	if (hdrs == NULL) {
		*cause = xstrdup("out of memory building request headers");
		goto done;
	}
#define SET(opt, val) do {						\
	if (rc == CURLE_OK)						\
		rc = curl_easy_setopt(easy, opt, val);			\
} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	SET(CURLOPT_FRESH_CONNECT, 1L);
	SET(CURLOPT_FORBID_REUSE, 1L);
	SET(CURLOPT_SSL_SESSIONID_CACHE, 0L);
	if (ca == NULL) {
		/* The CA is not known yet; the pin check follows. */
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
	} else {
		size_t calen;

		if ((capem = pki_cert_pem(ca, &calen)) == NULL) {
			*cause = pki_ssl_error("cannot encode the pinned CA");
			goto done;
		}
		blob.data = capem;
		blob.len = calen;
		blob.flags = CURL_BLOB_COPY;
		SET(CURLOPT_SSL_VERIFYPEER, 1L);
		SET(CURLOPT_SSL_VERIFYHOST, 2L);
		SET(CURLOPT_CAINFO, NULL);
		SET(CURLOPT_CAINFO_BLOB, &blob);
		/* Only the pinned CA: no system store, no CA directory. */
		SET(CURLOPT_CAPATH, NULL);
	}
	SET(CURLOPT_TIMEOUT, timeout);
	SET(CURLOPT_CONNECTTIMEOUT, timeout < 10 ? timeout : 10L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	SET(CURLOPT_USERAGENT, ENROLL_UA);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_WRITEFUNCTION, enroll_write);
	SET(CURLOPT_WRITEDATA, &rx);
	if (body != NULL) {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		SET(CURLOPT_POSTFIELDS, body);
	}
#undef SET
	if (rc != CURLE_OK) {
		*cause = xasprintf("libcurl refused an option: %s (libcurl "
		    "%s)", curl_easy_strerror(rc),
		    curl_version_info(CURLVERSION_NOW)->version);
		goto done;
	}
	rc = curl_easy_perform(easy);
	if (rx.toobig || rc == CURLE_FILESIZE_EXCEEDED) {
		*cause = xasprintf("%s: the controller's answer is larger than "
		    "%zu KiB; refused", url, max >> 10);
		goto done;
	}
	if (rc != CURLE_OK) {
		switch (rc) {
		case CURLE_PEER_FAILED_VERIFICATION:
			hint = "; the controller's TLS certificate is not "
			    "issued by the CA pinned in the token for this "
			    "address";
			break;
		case CURLE_COULDNT_CONNECT:
			hint = "; is the controller running at this address?";
			break;
		case CURLE_OPERATION_TIMEDOUT:
			hint = "; see --timeout";
			break;
		default:
			break;
		}
		*cause = xasprintf("%s: %s%s", url, errbuf[0] != '\0' ?
		    errbuf : curl_easy_strerror(rc), hint);
		goto done;
	}
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, status);
	*out = buf_steal(&rx.body, outlen);
	ret = 0;
done:
	if (easy != NULL)
		curl_easy_cleanup(easy);
	curl_slist_free_all(hdrs);
	buf_free(&rx.body);
	free(capem);
	return ret;
}

/* Prints the controller's error answer, made safe for a terminal. */
static void
enroll_print_error(long status, const char *body, size_t len)
{
	json_error_t jerr;
	json_t *answer;
	const char *msg = NULL;
	char *safe, *p;

	answer = json_loadb(body, len, 0, &jerr);
	if (answer != NULL)
		msg = json_string_value(json_object_get(answer, "error"));
	if (msg == NULL)
		safe = xasprintf("the controller answered %ld: %.200s", status,
		    body);
	else
		safe = xasprintf("%s", msg);
	for (p = safe; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	fprintf(stderr, "error: %s\n", safe);
	free(safe);
	json_decref(answer);
}

/* ---- the command ---- */

static int
enroll_time(const ASN1_TIME *t, char *out, size_t len)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return 0;
}

static int
enroll_write_state(const char *dir, const char *url, const char *cons,
    const char *msp, char **cause)
{
	char now[32], *path = NULL, *text = NULL;
	struct tm tm;
	time_t t = time(NULL);
	json_t *state;
	int ret = -1;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		*cause = xstrdup("cannot read the clock");
		return -1;
	}
	state = json_pack("{s:s, s:s, s:s, s:s}", "controller", url,
	    "consortium", cons, "mspId", msp, "enrolledAt", now);
	if (state == NULL || (text = json_dumps(state, JSON_PRESERVE_ORDER |
	    JSON_INDENT(2))) == NULL) {
		*cause = xstrdup("cannot encode agent.json");
		goto done;
	}
	path = xasprintf("%s/%s", dir, ENROLL_STATE_FILE);
	{
		char *line = xasprintf("%s\n", text);

		ret = pki_file_write(path, line, strlen(line), 0644, cause);
		free(line);
	}
done:
	free(path);
	free(text);
	json_decref(state);
	return ret;
}

/* 1 if dir holds an enrollment (agent.crt or agent.json). */
static int
enroll_is_enrolled(const char *dir)
{
	char *p1 = xasprintf("%s/%s", dir, ENROLL_CERT_FILE);
	char *p2 = xasprintf("%s/%s", dir, ENROLL_STATE_FILE);
	int ret;

	ret = access(p1, F_OK) == 0 || access(p2, F_OK) == 0;
	free(p1);
	free(p2);
	return ret;
}

/* The JSON body {"token": ..., "csr": ...}; wiped by the caller. */
static char *
enroll_body(const struct token *t, const char *csr, size_t *lenp)
{
	json_t *s = json_string(csr);
	char *csrjson;
	struct buf b;

	csrjson = s != NULL ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
	json_decref(s);
	if (csrjson == NULL)
		return NULL;
	buf_init(&b, 0);
	/* The token is [A-Za-z0-9._-] only (token_parse): no escaping. */
	buf_printf(&b, "{\"token\": \"%s\", \"csr\": %s}", t->text, csrjson);
	free(csrjson);
	return buf_steal(&b, lenp);
}

int
enroll_main(int argc, char **argv)
{
	struct enroll_args args;
	struct token t;
	EVP_PKEY *key = NULL;
	X509 *ca = NULL, *cert = NULL;
	char *cause = NULL, *url = NULL, *path = NULL, *answer = NULL;
	char *body = NULL, *csr = NULL, *cons = NULL, *msp = NULL;
	char until[32];
	size_t alen = 0, blen = 0;
	long status;
	int ret = ENROLL_EXIT_USAGE, mismatch = 0, curl_up = 0;

	memset(&t, 0, sizeof(t));
	if (enroll_args_parse(argc, argv, &args, &cause) == -1) {
		fprintf(stderr, "error: %s\nRun \"fabfed-agent enroll --help\" "
		    "for usage.\n", cause);
		if (args.token != NULL)
			OPENSSL_cleanse(args.token, strlen(args.token));
		goto done;
	}
	if (args.help) {
		enroll_usage(stdout);
		ret = ENROLL_EXIT_OK;
		goto done;
	}
	if (args.token != NULL) {
		int r = token_parse(args.token, strlen(args.token), &t, &cause);

		/* Out of the process's command line (ps, /proc/PID/cmdline). */
		OPENSSL_cleanse(args.token, strlen(args.token));
		if (r == -1)
			goto fail;
	} else if (enroll_token_file(args.token_file, &t, &cause) == -1)
		goto fail;
	if ((url = enroll_url(args.controller, &cause)) == NULL ||
	    enroll_state_dir(args.state_dir, &cause) == -1)
		goto fail;
	if (!args.force && enroll_is_enrolled(args.state_dir)) {
		fprintf(stderr, "error: %s is already enrolled (it has %s or "
		    "%s); nothing was sent. Use another --state-dir, or "
		    "--force to enroll this agent again with the same key\n",
		    args.state_dir, ENROLL_CERT_FILE, ENROLL_STATE_FILE);
		ret = ENROLL_EXIT_REFUSED;
		goto done;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		cause = xstrdup("cannot start libcurl");
		goto fail;
	}
	curl_up = 1;

	/* 1. The CA, unverified, then pinned. */
	free(path);
	path = xasprintf("%s/v1/enroll/ca", url);
	if (enroll_http(path, NULL, NULL, 0, args.timeout, ENROLL_CA_MAX,
	    &status, &answer, &alen, &cause) == -1)
		goto fail;
	if (status != 200) {
		enroll_print_error(status, answer, alen);
		fprintf(stderr, "error: %s answered %ld; is this a fabfed "
		    "controller? nothing was sent\n", path, status);
		ret = status >= 200 ? ENROLL_EXIT_REFUSED : ENROLL_EXIT_USAGE;
		goto done;
	}
	if ((ca = enroll_ca_pin(answer, alen, &t, &mismatch, &cause)) == NULL) {
		if (mismatch)
			ret = ENROLL_EXIT_REFUSED;
		goto failret;
	}
	free(answer);
	answer = NULL;

	/* 2. The key (made once, kept) and the CSR. */
	if ((key = enroll_key(args.state_dir, NULL, &cause)) == NULL ||
	    (csr = enroll_csr(key, &cause)) == NULL)
		goto fail;
	if ((body = enroll_body(&t, csr, &blen)) == NULL) {
		cause = xstrdup("cannot encode the enrollment request");
		goto fail;
	}

	/* 3. Token and CSR, to a controller verified against the pin. */
	free(path);
	path = xasprintf("%s/v1/enroll", url);
	if (enroll_http(path, ca, body, blen, args.timeout, ENROLL_ANSWER_MAX,
	    &status, &answer, &alen, &cause) == -1)
		goto fail;
	if (status != 200) {
		enroll_print_error(status, answer, alen);
		ret = status >= 200 ? ENROLL_EXIT_REFUSED : ENROLL_EXIT_USAGE;
		goto done;
	}
	if ((cert = enroll_check_answer(answer, alen, ca, key, &cons, &msp,
	    &cause)) == NULL) {
		char *c2 = xasprintf("%s (the token has been used: ask the "
		    "consortium lead for a new one)", cause);

		free(cause);
		cause = c2;
		goto fail;
	}

	/* 4. Files: agent.json last, it marks the enrollment done. */
	free(path);
	path = xasprintf("%s/%s", args.state_dir, ENROLL_CA_FILE);
	if (pki_cert_write(path, ca, &cause) == -1)
		goto fail;
	free(path);
	path = xasprintf("%s/%s", args.state_dir, ENROLL_CERT_FILE);
	if (pki_cert_write(path, cert, &cause) == -1 ||
	    enroll_write_state(args.state_dir, url, cons, msp, &cause) == -1)
		goto fail;
	if (enroll_time(X509_get0_notAfter(cert), until, sizeof(until)) == -1)
		snprintf(until, sizeof(until), "an unreadable date");
	printf("enrolled %s in consortium %s (certificate valid until %s)\n",
	    msp, cons, until);
	ret = ENROLL_EXIT_OK;
	goto done;
fail:
	ret = ENROLL_EXIT_USAGE;
failret:
	fprintf(stderr, "error: %s\n", cause != NULL ? cause : "enrollment "
	    "failed");
done:
	token_clear(&t);
	if (body != NULL) {
		OPENSSL_cleanse(body, blen);
		free(body);
	}
	free(csr);
	free(answer);
	free(path);
	free(url);
	free(cons);
	free(msp);
	free(cause);
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(key);
	if (curl_up)
		curl_global_cleanup();
	return ret;
}
