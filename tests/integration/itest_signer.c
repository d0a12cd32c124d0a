/*
 * itest_signer.c: the signer as a real process, and a client for it
 * (run by signer.sh).
 *
 *	itest_signer serve SIGNER-OPTIONS...     the signer, with two test
 *	                                         kinds registered (below)
 *	itest_signer serve-bare SIGNER-OPTIONS...  the signer as shipped: only
 *	                                         its Fabric kinds
 *	itest_signer client URL CERT OUTDIR      every request path against "serve"
 *	itest_signer client-bare URL             against "serve-bare"
 *	itest_signer ping URL                    one PING; exit 0 if PONG
 *
 * The test kinds exist only in this program; the production signer
 * registers none that sign arbitrary bytes:
 *	itest.prefix   signs when the payload starts with context.prefix
 *	itest.silent   always refuses, without giving a reason
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <jansson.h>
#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ipc.h"
#include "pki.h"
#include "sig.h"
#include "signer.h"
#include "xmalloc.h"

#define TIMEOUT_MS 5000
#define NTHREADS 8
#define PER_THREAD 25

static int nchecks, nfailures;

#define CHECK(c) do {							\
	nchecks++;							\
	if (!(c)) {							\
		__atomic_add_fetch(&nfailures, 1, __ATOMIC_SEQ_CST);	\
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,	\
		    __LINE__, #c);					\
	}								\
} while (0)

#define REQUIRE(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, \
		    __LINE__, #c);					\
		exit(1);						\
	}								\
} while (0)

static int
check_prefix(const json_t *context, const unsigned char *payload, size_t len,
    char **reason)
{
	const json_t *p = json_object_get(context, "prefix");
	size_t n;

	if (!json_is_string(p)) {
		*reason = xstrdup("the context names no \"prefix\"");
		return -1;
	}
	n = json_string_length(p);
	if (n > len || memcmp(payload, json_string_value(p), n) != 0) {
		*reason = xstrdup("the payload does not start with the prefix "
		    "the context names");
		return -1;
	}
	return 0;
}

static int
check_silent(const json_t *context, const unsigned char *payload, size_t len,
    char **reason)
{
	return -1;
}

/* Reason text of an answer body, or "". */
static const char *
reason_of(json_t *body)
{
	const char *r = json_string_value(json_object_get(body, "reason"));

	return r != NULL ? r : "";
}

/* SIGN: kind, payload bytes, context (borrowed, may be NULL). */
static int
sign_req(const char *url, const char *kind, const void *payload, size_t len,
    json_t *context, json_t **rbody)
{
	json_t *req = json_object();
	char *b64 = ipc_b64_encode(payload, len), *cause = NULL;
	int rtype = 0;

	json_object_set_new(req, "kind", json_string(kind));
	json_object_set_new(req, "payload", json_string(b64));
	if (context != NULL)
		json_object_set(req, "context", context);
	if (ipc_call(url, IPC_SIGN, req, TIMEOUT_MS, &rtype, rbody, &cause) != 0) {
		fprintf(stderr, "SIGN %s: %s\n", kind, cause);
		free(cause);
		rtype = -1;
	}
	json_decref(req);
	free(b64);
	return rtype;
}

/* A SIGN body as given (for malformed requests). */
static int
call_body(const char *url, int type, json_t *req, json_t **rbody)
{
	char *cause = NULL;
	int rtype = 0;

	if (ipc_call(url, type, req, TIMEOUT_MS, &rtype, rbody, &cause) != 0) {
		fprintf(stderr, "call: %s\n", cause);
		free(cause);
		rtype = -1;
	}
	json_decref(req);
	return rtype;
}

/* Raw bytes over a plain NN_REQ. Returns the decoded answer type or -1. */
static int
raw_call(const char *url, const void *data, size_t len, int timeout_ms,
    struct ipc_msg *ans)
{
	int s, n, rtype = -1, resend = 60000, maxsz = (int)IPC_MAX_WIRE;
	void *buf = NULL;
	char *cause = NULL;

	memset(ans, 0, sizeof(*ans));
	REQUIRE((s = nn_socket(AF_SP, NN_REQ)) >= 0);
	nn_setsockopt(s, NN_SOL_SOCKET, NN_SNDTIMEO, &timeout_ms, sizeof(timeout_ms));
	nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVTIMEO, &timeout_ms, sizeof(timeout_ms));
	nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVMAXSIZE, &maxsz, sizeof(maxsz));
	nn_setsockopt(s, NN_REQ, NN_REQ_RESEND_IVL, &resend, sizeof(resend));
	REQUIRE(nn_connect(s, url) >= 0);
	if (nn_send(s, data, len, 0) == (int)len &&
	    (n = nn_recv(s, &buf, NN_MSG, 0)) >= 0) {
		if (ipc_decode(buf, (size_t)n, ans, &cause) == 0)
			rtype = ans->type;
		else {
			fprintf(stderr, "raw answer: %s\n", cause);
			free(cause);
		}
		nn_freemsg(buf);
	}
	nn_close(s);
	return rtype;
}

/* A header + body by hand. Caller frees. */
static unsigned char *
hand_msg(unsigned version, unsigned type, uint32_t id, uint32_t blen,
    const void *body, size_t n, size_t *len)
{
	unsigned char *m = xcalloc(1, IPC_HDR_LEN + n + 1);

	memcpy(m, "FFSG", 4);
	m[4] = (unsigned char)version;
	m[5] = (unsigned char)type;
	m[8] = (unsigned char)(id >> 24);
	m[9] = (unsigned char)(id >> 16);
	m[10] = (unsigned char)(id >> 8);
	m[11] = (unsigned char)id;
	m[12] = (unsigned char)(blen >> 24);
	m[13] = (unsigned char)(blen >> 16);
	m[14] = (unsigned char)(blen >> 8);
	m[15] = (unsigned char)blen;
	if (n > 0)
		memcpy(m + IPC_HDR_LEN, body, n);
	*len = IPC_HDR_LEN + n;
	return m;
}

static void
expect_raw_error(const char *url, const void *data, size_t len,
    const char *want, uint32_t want_id)
{
	struct ipc_msg ans;
	int t = raw_call(url, data, len, TIMEOUT_MS, &ans);

	CHECK(t == IPC_ERROR);
	CHECK(strstr(reason_of(ans.body), want) != NULL);
	CHECK(ans.id == want_id);
	if (t != IPC_ERROR || strstr(reason_of(ans.body), want) == NULL)
		fprintf(stderr, "  wanted ERROR \"%s\", got type %d \"%s\"\n",
		    want, t, reason_of(ans.body));
	ipc_msg_clear(&ans);
}

/* A SIGNED body: low-S, verifies against cert with plain OpenSSL and sig_verify. */
static int
signed_ok(json_t *body, X509 *cert, const void *payload, size_t len,
    unsigned char **derp, size_t *derlenp)
{
	const char *sigb64 = json_string_value(json_object_get(body, "signature"));
	const char *pem = json_string_value(json_object_get(body, "identity"));
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	unsigned char *der;
	size_t derlen;
	EVP_MD_CTX *md;
	BIO *bio;
	X509 *id;
	int ok = 1;

	if (sigb64 == NULL || pem == NULL ||
	    (der = ipc_b64_decode(sigb64, &derlen, SIG_MAX_DER)) == NULL)
		return 0;
	ok &= sig_is_low_s(der, derlen) == 1;
	ok &= sig_verify(pub, payload, len, der, derlen) == 0;
	md = EVP_MD_CTX_new();
	ok &= EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
	    EVP_DigestVerify(md, der, derlen, payload, len) == 1;
	EVP_MD_CTX_free(md);
	/* The identity is the admin certificate, and only that. */
	bio = BIO_new_mem_buf(pem, -1);
	id = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	ok &= id != NULL && X509_cmp(id, cert) == 0;
	ok &= strstr(pem, "PRIVATE") == NULL;
	X509_free(id);
	BIO_free(bio);
	if (derp != NULL) {
		*derp = der;
		*derlenp = derlen;
	} else
		free(der);
	return ok;
}

struct worker {
	const char *url;
	X509 *cert;
	int n, good;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	json_t *ctx = json_pack("{s:s}", "prefix", "batch"), *rbody;
	char payload[64];
	int i;

	for (i = 0; i < w->n; i++) {
		size_t len = (size_t)snprintf(payload, sizeof(payload),
		    "batch %p %d", (void *)w, i);

		rbody = NULL;
		if (sign_req(w->url, "itest.prefix", payload, len, ctx,
		    &rbody) == IPC_SIGNED && signed_ok(rbody, w->cert, payload,
		    len, NULL, NULL))
			w->good++;
		json_decref(rbody);
	}
	json_decref(ctx);
	return NULL;
}

static void
write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");

	REQUIRE(f != NULL);
	REQUIRE(fwrite(data, 1, len, f) == len);
	REQUIRE(fclose(f) == 0);
	free(path);
}

static int
ping(const char *url, json_t **rbody)
{
	char *cause = NULL;
	int rtype = 0;

	if (ipc_call(url, IPC_PING, NULL, TIMEOUT_MS, &rtype, rbody, &cause) != 0) {
		fprintf(stderr, "PING: %s\n", cause);
		free(cause);
		return -1;
	}
	return rtype;
}

static int
client(const char *url, const char *certfile, const char *outdir)
{
	static const char payload[] = "PAYLOAD-NOT-FOR-LOGS config update bytes";
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	struct ipc_msg ans;
	json_t *rbody = NULL, *ctx;
	unsigned char *der = NULL, *m, *big;
	size_t derlen = 0, len, i;
	char *cause = NULL;
	X509 *cert;
	int t, good;

	REQUIRE((cert = pki_cert_read(certfile, &cause)) != NULL);

	/* PING */
	CHECK(ping(url, &rbody) == IPC_PONG);
	CHECK(json_integer_value(json_object_get(rbody, "version")) == IPC_VERSION);
	CHECK(json_is_string(json_object_get(rbody, "software")));
	CHECK(strcmp(json_string_value(json_object_get(rbody, "mspId")) ?
	    json_string_value(json_object_get(rbody, "mspId")) : "", "Org1MSP") == 0);
	/* The two test kinds, then the four Fabric kinds signer_main adds. */
	CHECK(json_array_size(json_object_get(rbody, "kinds")) == 6);
	CHECK(strcmp(json_string_value(json_array_get(json_object_get(rbody,
	    "kinds"), 0)), "itest.prefix") == 0);
	json_decref(rbody);

	/* SIGN that the check accepts. */
	ctx = json_pack("{s:s}", "prefix", "PAYLOAD-");
	rbody = NULL;
	t = sign_req(url, "itest.prefix", payload, sizeof(payload) - 1, ctx, &rbody);
	CHECK(t == IPC_SIGNED);
	CHECK(signed_ok(rbody, cert, payload, sizeof(payload) - 1, &der, &derlen));
	if (der != NULL) {
		write_file(outdir, "payload.bin", payload, sizeof(payload) - 1);
		write_file(outdir, "sig.der", der, derlen);
		free(der);
	}
	json_decref(rbody);

	/* SIGN the check refuses: its reason comes back. */
	rbody = NULL;
	t = sign_req(url, "itest.prefix", "other bytes", 11, ctx, &rbody);
	CHECK(t == IPC_REFUSED);
	CHECK(strcmp(reason_of(rbody), "the payload does not start with the "
	    "prefix the context names") == 0);
	CHECK(json_object_get(rbody, "signature") == NULL);
	json_decref(rbody);
	rbody = NULL;
	t = sign_req(url, "itest.prefix", "x", 1, NULL, &rbody);
	CHECK(t == IPC_REFUSED);
	CHECK(strcmp(reason_of(rbody), "the context names no \"prefix\"") == 0);
	json_decref(rbody);
	rbody = NULL;
	t = sign_req(url, "itest.silent", "x", 1, ctx, &rbody);
	CHECK(t == IPC_REFUSED);
	CHECK(strcmp(reason_of(rbody), "the check for \"itest.silent\" refused "
	    "the request without saying why") == 0);
	json_decref(rbody);

	/* Unknown kind. */
	rbody = NULL;
	t = sign_req(url, "fabric.sign-anything", "x", 1, ctx, &rbody);
	CHECK(t == IPC_REFUSED);
	CHECK(strcmp(reason_of(rbody), "unknown request kind "
	    "\"fabric.sign-anything\": this signer signs only \"itest.prefix\", "
	    "\"itest.silent\", \"fabric.config-update\", "
	    "\"fabric.config-submit\", \"fabric.join-chain\" and "
	    "\"fabric.channel-read\"") == 0);
	json_decref(rbody);

	/* Malformed SIGN requests: ERROR, each with what is wrong. */
	rbody = NULL;
	CHECK(call_body(url, IPC_SIGN, json_pack("{s:s}", "payload", "eA=="),
	    &rbody) == IPC_ERROR);
	CHECK(strstr(reason_of(rbody), "needs \"kind\", a string") != NULL);
	json_decref(rbody);
	rbody = NULL;
	CHECK(call_body(url, IPC_SIGN, json_pack("{s:s, s:s}", "kind",
	    "Bad Kind\n", "payload", "eA=="), &rbody) == IPC_ERROR);
	CHECK(strstr(reason_of(rbody), "\"kind\" must be 1 to 64 characters") != NULL);
	json_decref(rbody);
	rbody = NULL;
	CHECK(call_body(url, IPC_SIGN, json_pack("{s:s, s:s}", "kind",
	    "itest.prefix", "payload", "not base64!"), &rbody) == IPC_ERROR);
	CHECK(strstr(reason_of(rbody), "\"payload\" is not standard padded base64") != NULL);
	json_decref(rbody);
	rbody = NULL;
	CHECK(call_body(url, IPC_SIGN, json_pack("{s:s}", "kind",
	    "itest.prefix"), &rbody) == IPC_ERROR);
	CHECK(strstr(reason_of(rbody), "needs \"payload\"") != NULL);
	json_decref(rbody);
	rbody = NULL;
	CHECK(call_body(url, IPC_SIGN, json_pack("{s:s, s:s, s:[]}", "kind",
	    "itest.prefix", "payload", "eA==", "context"), &rbody) == IPC_ERROR);
	CHECK(strstr(reason_of(rbody), "\"context\" must be a JSON object") != NULL);
	json_decref(rbody);
	rbody = NULL;
	CHECK(call_body(url, IPC_SIGN, json_pack("{s:s, s:s, s:b}", "kind",
	    "itest.prefix", "payload", "eA==", "force"), &rbody) == IPC_ERROR);
	CHECK(strstr(reason_of(rbody), "unknown field \"force\" in a SIGN request") != NULL);
	json_decref(rbody);
	rbody = NULL;
	CHECK(call_body(url, IPC_PONG, json_object(), &rbody) == IPC_ERROR);
	CHECK(strstr(reason_of(rbody), "a PONG message is not a request") != NULL);
	json_decref(rbody);

	/* Garbage over a raw nanomsg REQ: ERROR answers, never a crash. */
	expect_raw_error(url, "hello, signer", 13, "message of 13 bytes is "
	    "shorter than the 16-byte header", 0);
	expect_raw_error(url, "GARBAGE GARBAGE GARBAGE", 23,
	    "does not start with \"FFSG\"", 0);
	m = hand_msg(2, IPC_PING, 77, 2, "{}", 2, &len);
	expect_raw_error(url, m, len, "message format version 2 is not "
	    "supported (this side speaks version 1)", 0);
	free(m);
	m = hand_msg(1, 9, 78, 2, "{}", 2, &len);
	expect_raw_error(url, m, len, "unknown message type 9", 78);
	free(m);
	m = hand_msg(1, IPC_SIGN, 79, 30, "{}", 2, &len);
	expect_raw_error(url, m, len, "header says the body is 30 bytes but "
	    "2 follow", 79);
	free(m);
	m = hand_msg(1, IPC_SIGN, 80, 9, "{\"kind\":", 9, &len);
	expect_raw_error(url, m, len, "SIGN message body is not valid JSON", 80);
	free(m);

	/* Oversized: within what the transport reads, a precise ERROR ... */
	big = xmalloc(IPC_MAX_BODY + 1000);
	memset(big, ' ', IPC_MAX_BODY + 1000);
	big[0] = '{';
	big[IPC_MAX_BODY + 999] = '}';
	m = hand_msg(1, IPC_SIGN, 81, IPC_MAX_BODY + 1000, big,
	    IPC_MAX_BODY + 1000, &len);
	expect_raw_error(url, m, len, "SIGN message body of 263144 bytes is "
	    "larger than the maximum 262144", 81);
	free(m);
	free(big);
	/* ... past it, nanomsg drops the message and the connection. */
	big = xcalloc(1, IPC_MAX_WIRE + 4096);
	t = raw_call(url, big, IPC_MAX_WIRE + 4096, 1500, &ans);
	CHECK(t == -1);
	ipc_msg_clear(&ans);
	free(big);

	/* The signer still serves, also many clients at once. */
	rbody = NULL;
	CHECK(ping(url, &rbody) == IPC_PONG);
	json_decref(rbody);
	for (i = 0; i < NTHREADS; i++) {
		w[i].url = url;
		w[i].cert = cert;
		w[i].n = PER_THREAD;
		w[i].good = 0;
		REQUIRE(pthread_create(&th[i], NULL, worker_run, &w[i]) == 0);
	}
	for (good = 0, i = 0; i < NTHREADS; i++) {
		REQUIRE(pthread_join(th[i], NULL) == 0);
		good += w[i].good;
	}
	CHECK(good == NTHREADS * PER_THREAD);
	printf("%d concurrent signatures: %d valid and low-S\n",
	    NTHREADS * PER_THREAD, good);

	json_decref(ctx);
	X509_free(cert);
	printf("client: %d checks, %d failed\n", nchecks, nfailures);
	return nfailures == 0 ? 0 : 1;
}

static int
client_bare(const char *url)
{
	json_t *rbody = NULL;

	CHECK(ping(url, &rbody) == IPC_PONG);
	CHECK(json_array_size(json_object_get(rbody, "kinds")) == 4);
	json_decref(rbody);
	rbody = NULL;
	CHECK(sign_req(url, "test.echo", "anything", 8, NULL, &rbody) == IPC_REFUSED);
	CHECK(strcmp(reason_of(rbody), "unknown request kind \"test.echo\": this "
	    "signer signs only \"fabric.config-update\", "
	    "\"fabric.config-submit\", \"fabric.join-chain\" and "
	    "\"fabric.channel-read\"") == 0);
	json_decref(rbody);
	printf("client-bare: %d checks, %d failed\n", nchecks, nfailures);
	return nfailures == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	json_t *rbody = NULL;
	int t;

	if (argc >= 2 && strcmp(argv[1], "serve") == 0) {
		REQUIRE(signer_register_kind("itest.prefix", check_prefix) == 0);
		REQUIRE(signer_register_kind("itest.silent", check_silent) == 0);
		/* The registry refuses bad names and duplicates. */
		REQUIRE(signer_register_kind("itest.prefix", check_prefix) == -1);
		REQUIRE(signer_register_kind("Bad Name", check_prefix) == -1);
		REQUIRE(signer_register_kind("", check_prefix) == -1);
		REQUIRE(signer_register_kind("x", NULL) == -1);
		return signer_main(argc - 1, argv + 1);
	}
	if (argc >= 2 && strcmp(argv[1], "serve-bare") == 0)
		return signer_main(argc - 1, argv + 1);
	if (argc == 5 && strcmp(argv[1], "client") == 0)
		return client(argv[2], argv[3], argv[4]);
	if (argc == 3 && strcmp(argv[1], "client-bare") == 0)
		return client_bare(argv[2]);
	if (argc == 3 && strcmp(argv[1], "ping") == 0) {
		t = ping(argv[2], &rbody);
		json_decref(rbody);
		return t == IPC_PONG ? 0 : 1;
	}
	fprintf(stderr, "usage: itest_signer serve|serve-bare SIGNER-OPTIONS | "
	    "client URL CERT OUTDIR | client-bare URL | ping URL\n");
	return 2;
}
