/*
 * api_enroll.c: join tokens and agent enrollment (docs/api.md).
 *
 * A lead makes a single-use token for one org of one consortium; the
 * controller keeps only the SHA-256 of its secret, on an etcd lease. An
 * agent with no certificate yet fetches the CA (and checks it against the
 * hash its token pins), then trades token + CSR for a client certificate.
 * Consuming the token is an etcd txn on the token key's mod_revision, so
 * one token yields one certificate however many agents race with it.
 */
#include "api.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "b64.h"
#include "etcd.h"
#include "log.h"
#include "pki.h"
#include "server.h"
#include "topology.h"
#include "xmalloc.h"

#define TOKEN_MIN_TTL     60
#define TOKEN_MAX_TTL     (7 * 24 * 3600)
#define TOKEN_DEFAULT_TTL 3600
#define ENROLL_MAX_BODY   (64 * 1024)
#define AGENT_CERT_DAYS   90
#define API_MAX_ATTEMPTS  8

static void
hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

char *
api_token_format(const unsigned char secret[32], const unsigned char cahash[32])
{
	char hx[65], *enc, *tok;

	/* fft1.<base64url of the secret, 43 characters, no '='>.<hex hash> */
	enc = b64_encode(secret, 32, B64_URL | B64_NOPAD);
	hex(cahash, 32, hx);
	tok = xasprintf("fft1.%s.%s", enc, hx);
	freezero_str(enc);
	return tok;
}

int
api_token_parse(const char *tok, unsigned char secret[32], unsigned char cahash[32])
{
	size_t i, n;

	if (tok == NULL || strlen(tok) != 5 + 43 + 1 + 64 || strncmp(tok, "fft1.", 5) != 0 ||
	    tok[48] != '.')
		return -1;
	/* Canonical: the 2 spare bits of the 43 characters must be zero. */
	if (b64_decode_to(tok + 5, 43, B64_URL | B64_NOPAD, secret, 32, &n) == -1 ||
	    n != 32)
		return -1;
	for (i = 0; i < 32; i++) {
		unsigned int v;
		const char *h = tok + 49 + 2 * i;

		if (!((h[0] >= '0' && h[0] <= '9') || (h[0] >= 'a' && h[0] <= 'f')) ||
		    !((h[1] >= '0' && h[1] <= '9') || (h[1] >= 'a' && h[1] <= 'f')))
			return -1;
		v = (unsigned int)((h[0] <= '9' ? h[0] - '0' : h[0] - 'a' + 10) << 4);
		v |= (unsigned int)(h[1] <= '9' ? h[1] - '0' : h[1] - 'a' + 10);
		cahash[i] = (unsigned char)v;
	}
	return 0;
}

char *
api_token_key(const unsigned char secret[32])
{
	unsigned char h[32];
	char hx[65];
	unsigned int n = 32;

	EVP_Digest(secret, 32, h, &n, EVP_sha256(), NULL);
	hex(h, 32, hx);
	return xasprintf(API_PREFIX "tokens/%s", hx);
}

X509 *
api_enroll_issue(X509 *ca, EVP_PKEY *cakey, const char *csr_pem, size_t len,
    const char *consortium, const char *msp, int days, char **cause)
{
	struct pki_subject s;
	char *cn = NULL, *uri = NULL;
	const char *uris[2] = { NULL, NULL };
	X509_REQ *req = NULL;
	EVP_PKEY *pub;
	X509 *cert = NULL;
	BIO *bio = NULL;
	char name[64];

	if (len > 16 * 1024 || (bio = BIO_new_mem_buf(csr_pem, (int)len)) == NULL ||
	    (req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL)) == NULL) {
		*cause = xstrdup("csr: not a PEM certificate request");
		goto done;
	}
	if ((pub = X509_REQ_get0_pubkey(req)) == NULL || X509_REQ_verify(req, pub) != 1) {
		*cause = xstrdup("csr: its signature does not verify");
		goto done;
	}
	if (EVP_PKEY_get_base_id(pub) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(pub, "group", name, sizeof(name), NULL) != 1 ||
	    strcmp(name, "prime256v1") != 0) {
		*cause = xstrdup("csr: the key must be ECDSA P-256");
		goto done;
	}
	cn = xasprintf("fabfed-agent.%s", msp);
	uri = xasprintf("fabfed://%s/org/%s", consortium, msp);
	uris[0] = uri;
	memset(&s, 0, sizeof(s));
	s.cn = cn;
	s.o = msp;
	s.uris = uris;
	s.days = days;
	s.client = 1;
	cert = pki_issue(ca, cakey, pub, &s, cause);
done:
	ERR_clear_error();
	X509_REQ_free(req);
	BIO_free(bio);
	free(cn);
	free(uri);
	return cert;
}

static char *
iso8601(time_t t)
{
	char buf[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

/* ---- POST /v1/consortia/{name}/tokens ---- */

enum tok_state { TOK_READ_SPEC, TOK_LEASE, TOK_WRITE };

struct tok_ctx {
	enum tok_state state;
	char *org;
	long long ttl;
	char *spec_key;
	int64_t spec_rev;
	int64_t lease;
	unsigned char secret[32];
	int attempts;
};

static void
tok_free(void *arg)
{
	struct tok_ctx *t = arg;

	if (t == NULL)
		return;
	OPENSSL_cleanse(t->secret, sizeof(t->secret));
	free(t->org);
	free(t->spec_key);
	free(t);
}

static void tok_drive(const struct etcd_result *, void *);

static void
tok_read_spec(struct server_req *sr)
{
	struct tok_ctx *t = sr->state;

	t->state = TOK_READ_SPEC;
	if (etcd_range(sr->srv->etcd, t->spec_key, 0, tok_drive, sr) != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
}

static void
tok_drive(const struct etcd_result *res, void *arg)
{
	struct server_req *sr = arg;
	struct tok_ctx *t = sr->state;
	struct etcd_txn *txn;
	json_t *doc, *val;
	char *key, *text, *msg, *exp, *tok;
	int found = 0, queued;

	if (!res->ok) {
		server_reply_error(sr, api_etcd_status(res), res->error, NULL);
		return;
	}
	switch (t->state) {
	case TOK_READ_SPEC:
		if (res->range.nkvs == 0) {
			msg = xasprintf("consortium \"%s\" not found", sr->name);
			server_reply_error(sr, 404, msg, NULL);
			free(msg);
			return;
		}
		t->spec_rev = res->range.kvs[0].mod_revision;
		doc = json_loadb(res->range.kvs[0].value, res->range.kvs[0].value_len, 0, NULL);
		found = topology_find_org(doc, t->org) != NULL;
		json_decref(doc);
		if (!found) {
			msg = xasprintf("org \"%s\" is not declared in consortium \"%s\"",
			    t->org, sr->name);
			server_reply_error(sr, 422, msg, json_pack("[{s:s, s:i, s:i, s:s}]",
			    "path", "org", "line", 0, "column", 0, "message", msg));
			free(msg);
			return;
		}
		if (t->lease != 0) {   /* a retry after a lost race keeps its lease */
			t->state = TOK_LEASE;
			tok_drive(res, sr);
			return;
		}
		t->state = TOK_LEASE;
		if (etcd_lease_grant(sr->srv->etcd, t->ttl, tok_drive, sr) != 0)
			server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
		return;
	case TOK_LEASE:
		if (t->lease == 0)
			t->lease = res->lease_id;
		if (RAND_bytes(t->secret, sizeof(t->secret)) != 1) {
			server_reply_error(sr, 500, "no randomness for the token", NULL);
			return;
		}
		key = api_token_key(t->secret);
		exp = iso8601(time(NULL) + t->ttl);
		val = json_pack("{s:s, s:s, s:s}", "consortium", sr->name, "org", t->org,
		    "expiresAt", exp);
		text = json_dumps(val, JSON_COMPACT);
		txn = etcd_txn_new();
		/* The org must still be declared when the token is stored. */
		etcd_txn_cmp_int(txn, t->spec_key, ETCD_CMP_MOD, ETCD_CMP_EQUAL, t->spec_rev);
		etcd_txn_put(txn, 1, key, text, strlen(text), t->lease);
		t->state = TOK_WRITE;
		queued = etcd_txn(sr->srv->etcd, txn, tok_drive, sr);
		etcd_txn_free(txn);
		json_decref(val);
		free(text);
		free(exp);
		free(key);
		if (queued != 0)
			server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
		return;
	case TOK_WRITE:
		if (!res->succeeded) {
			if (++t->attempts >= API_MAX_ATTEMPTS)
				server_reply_error(sr, 409, "the consortium keeps changing; "
				    "no token was made, try again", NULL);
			else
				tok_read_spec(sr);
			return;
		}
		tok = api_token_format(t->secret, sr->srv->ca_sha256);
		exp = iso8601(time(NULL) + t->ttl);
		log_info("join token made for %s in consortium %s (expires %s)", t->org,
		    sr->name, exp);
		server_reply_json(sr, 201, json_pack("{s:s, s:s, s:s, s:I, s:s}", "token",
		    tok, "consortium", sr->name, "org", t->org, "ttl", (json_int_t)t->ttl,
		    "expiresAt", exp));
		OPENSSL_cleanse(tok, strlen(tok));
		free(tok);
		free(exp);
		return;
	}
}

void
api_token_create(struct server_req *sr)
{
	struct tok_ctx *t = xcalloc(1, sizeof(*t));
	json_error_t jerr;
	json_t *body = NULL, *org, *ttl;

	sr->state = t;
	sr->state_free = tok_free;
	t->ttl = TOKEN_DEFAULT_TTL;
	if (topology_valid_consortium_name(sr->name) != 0) {
		server_reply_error(sr, 404, "no such consortium", NULL);
		goto done;
	}
	if ((body = json_loadb(sr->body, sr->body_len, 0, &jerr)) == NULL ||
	    !json_is_object(body)) {
		server_reply_error(sr, 400, "the body must be a JSON object "
		    "{\"org\": MSPID, \"ttl\": seconds}", NULL);
		goto done;
	}
	org = json_object_get(body, "org");
	ttl = json_object_get(body, "ttl");
	if (!json_is_string(org) || topology_valid_msp_id(json_string_value(org)) != 0) {
		server_reply_error(sr, 400, "org must be an MSP ID", NULL);
		goto done;
	}
	if (ttl != NULL && (!json_is_integer(ttl) || json_integer_value(ttl) < TOKEN_MIN_TTL ||
	    json_integer_value(ttl) > TOKEN_MAX_TTL)) {
		server_reply_error(sr, 400, "ttl must be seconds from 60 to 604800", NULL);
		goto done;
	}
	if (ttl != NULL)
		t->ttl = json_integer_value(ttl);
	t->org = xstrdup(json_string_value(org));
	t->spec_key = api_spec_key(sr->name);
	tok_read_spec(sr);
done:
	json_decref(body);
}

/* ---- GET /v1/enroll/ca ---- */

void
api_enroll_ca(struct server_req *sr)
{
	server_reply_text(sr, 200, "application/x-pem-file", sr->srv->ca_pem);
}

/* ---- POST /v1/enroll ---- */

enum enr_state { ENR_READ, ENR_WRITE };

struct enr_ctx {
	enum enr_state state;
	unsigned char secret[32];
	char *key;
	char *csr;
	char *cert_pem;
	char *consortium;
	char *org;
	char *not_after;
};

static void
enr_free(void *arg)
{
	struct enr_ctx *e = arg;

	if (e == NULL)
		return;
	OPENSSL_cleanse(e->secret, sizeof(e->secret));
	free(e->key);
	free(e->csr);
	free(e->cert_pem);
	free(e->consortium);
	free(e->org);
	free(e->not_after);
	free(e);
}

static void
enr_refuse(struct server_req *sr)
{
	server_reply_error(sr, 401, "the join token is unknown, already used or expired",
	    NULL);
}

static void
enr_drive(const struct etcd_result *res, void *arg)
{
	struct server_req *sr = arg;
	struct enr_ctx *e = sr->state;
	struct etcd_txn *txn;
	json_t *val, *rec;
	char *cause = NULL, *reckey, *text, fp[65];
	unsigned char h[32];
	X509 *cert;
	int queued;

	if (!res->ok) {
		server_reply_error(sr, api_etcd_status(res), res->error, NULL);
		return;
	}
	switch (e->state) {
	case ENR_READ:
		if (res->range.nkvs == 0) {
			enr_refuse(sr);
			return;
		}
		val = json_loadb(res->range.kvs[0].value, res->range.kvs[0].value_len, 0, NULL);
		if (!json_is_string(json_object_get(val, "consortium")) ||
		    !json_is_string(json_object_get(val, "org"))) {
			json_decref(val);
			server_reply_error(sr, 500, "the stored token is malformed", NULL);
			return;
		}
		e->consortium = xstrdup(json_string_value(json_object_get(val, "consortium")));
		e->org = xstrdup(json_string_value(json_object_get(val, "org")));
		json_decref(val);
		cert = api_enroll_issue(sr->srv->ca, sr->srv->cakey, e->csr, strlen(e->csr),
		    e->consortium, e->org, AGENT_CERT_DAYS, &cause);
		if (cert == NULL) {
			server_reply_error(sr, 400, cause, NULL);
			free(cause);
			return;
		}
		e->cert_pem = pki_cert_pem(cert, NULL);
		e->not_after = iso8601(time(NULL) + (time_t)AGENT_CERT_DAYS * 86400);
		pki_cert_sha256(cert, h);
		hex(h, 32, fp);
		X509_free(cert);
		reckey = xasprintf(API_PREFIX "consortia/%s/orgs/%s/agent", e->consortium, e->org);
		rec = json_pack("{s:s, s:s}", "certSha256", fp, "notAfter", e->not_after);
		text = json_dumps(rec, JSON_COMPACT);
		txn = etcd_txn_new();
		/* Consume the token exactly once. */
		etcd_txn_cmp_int(txn, e->key, ETCD_CMP_MOD, ETCD_CMP_EQUAL,
		    res->range.kvs[0].mod_revision);
		etcd_txn_delete(txn, 1, e->key, 0);
		etcd_txn_put(txn, 1, reckey, text, strlen(text), 0);
		e->state = ENR_WRITE;
		queued = etcd_txn(sr->srv->etcd, txn, enr_drive, sr);
		etcd_txn_free(txn);
		json_decref(rec);
		free(text);
		free(reckey);
		if (queued != 0)
			server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
		return;
	case ENR_WRITE:
		if (!res->succeeded) {
			enr_refuse(sr);   /* another agent used it first */
			return;
		}
		log_info("agent of %s enrolled in consortium %s", e->org, e->consortium);
		server_reply_json(sr, 200, json_pack("{s:s, s:s, s:s, s:s, s:s}",
		    "certificate", e->cert_pem, "ca", sr->srv->ca_pem, "consortium",
		    e->consortium, "mspId", e->org, "notAfter", e->not_after));
		return;
	}
}

void
api_enroll(struct server_req *sr)
{
	struct enr_ctx *e = xcalloc(1, sizeof(*e));
	unsigned char cahash[32];
	json_error_t jerr;
	json_t *body = NULL, *tok, *csr;

	sr->state = e;
	sr->state_free = enr_free;
	if (sr->body_len > ENROLL_MAX_BODY) {
		server_reply_error(sr, 413, "the enrollment body is over 64 KiB", NULL);
		goto done;
	}
	body = json_loadb(sr->body, sr->body_len, 0, &jerr);
	OPENSSL_cleanse(sr->body, sr->body_len);  /* the token was in it */
	if (body == NULL ||
	    !json_is_object(body) || !json_is_string(tok = json_object_get(body, "token")) ||
	    !json_is_string(csr = json_object_get(body, "csr"))) {
		server_reply_error(sr, 400, "the body must be a JSON object "
		    "{\"token\": ..., \"csr\": PEM}", NULL);
		goto done;
	}
	if (api_token_parse(json_string_value(tok), e->secret, cahash) != 0) {
		server_reply_error(sr, 400, "the join token is malformed", NULL);
		goto done;
	}
	if (memcmp(cahash, sr->srv->ca_sha256, 32) != 0) {
		server_reply_error(sr, 401, "the join token was made for another "
		    "federation CA", NULL);
		goto done;
	}
	e->csr = xstrdup(json_string_value(csr));
	e->key = api_token_key(e->secret);
	e->state = ENR_READ;
	if (etcd_range(sr->srv->etcd, e->key, 0, enr_drive, sr) != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
done:
	json_decref(body);  /* sr may be gone here: touch nothing of it */
}

/* ---- POST /v1/agent/renew (agent certificate) ---- */

struct renew_ctx {
	char *consortium;
	char *msp;
	char *csr;
	char *cert_pem;
	char *not_after;
	int writing;
};

static void
renew_free(void *arg)
{
	struct renew_ctx *r = arg;

	if (r == NULL)
		return;
	free(r->consortium);
	free(r->msp);
	free(r->csr);
	free(r->cert_pem);
	free(r->not_after);
	free(r);
}

static void
renew_drive(const struct etcd_result *res, void *arg)
{
	struct server_req *sr = arg;
	struct renew_ctx *r = sr->state;
	struct etcd_txn *txn;
	json_t *doc, *rec;
	char *cause = NULL, *reckey, *speckey, *text, fp[65];
	unsigned char h[32];
	int declared = 0, queued;
	X509 *cert;

	if (!res->ok) {
		server_reply_error(sr, api_etcd_status(res), res->error, NULL);
		return;
	}
	if (r->writing) {
		if (!res->succeeded) {
			server_reply_error(sr, 409, "the consortium changed during the renewal; "
			    "try again", NULL);
			return;
		}
		log_info("agent certificate of %s in %s renewed (until %s)", r->msp,
		    r->consortium, r->not_after);
		server_reply_json(sr, 200, json_pack("{s:s, s:s, s:s, s:s, s:s}",
		    "certificate", r->cert_pem, "ca", sr->srv->ca_pem, "consortium",
		    r->consortium, "mspId", r->msp, "notAfter", r->not_after));
		return;
	}
	if (res->range.nkvs == 0) {
		server_reply_error(sr, 410, "the consortium no longer exists", NULL);
		return;
	}
	doc = json_loadb(res->range.kvs[0].value, res->range.kvs[0].value_len, 0, NULL);
	declared = topology_find_org(doc, r->msp) != NULL;
	json_decref(doc);
	if (!declared) {
		server_reply_error(sr, 403, "this org is no longer declared in the consortium",
		    NULL);
		return;
	}
	cert = api_enroll_issue(sr->srv->ca, sr->srv->cakey, r->csr, strlen(r->csr),
	    r->consortium, r->msp, AGENT_CERT_DAYS, &cause);
	if (cert == NULL) {
		server_reply_error(sr, 400, cause, NULL);
		free(cause);
		return;
	}
	r->cert_pem = pki_cert_pem(cert, NULL);
	r->not_after = iso8601(time(NULL) + (time_t)AGENT_CERT_DAYS * 86400);
	pki_cert_sha256(cert, h);
	hex(h, 32, fp);
	X509_free(cert);
	reckey = xasprintf(API_PREFIX "consortia/%s/orgs/%s/agent", r->consortium, r->msp);
	speckey = api_spec_key(r->consortium);
	rec = json_pack("{s:s, s:s}", "certSha256", fp, "notAfter", r->not_after);
	text = json_dumps(rec, JSON_COMPACT);
	txn = etcd_txn_new();
	etcd_txn_cmp_int(txn, speckey, ETCD_CMP_MOD, ETCD_CMP_EQUAL,
	    res->range.kvs[0].mod_revision);
	etcd_txn_put(txn, 1, reckey, text, strlen(text), 0);
	r->writing = 1;
	queued = etcd_txn(sr->srv->etcd, txn, renew_drive, sr);
	etcd_txn_free(txn);
	json_decref(rec);
	free(text);
	free(reckey);
	free(speckey);
	if (queued != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
}

void
api_agent_renew(struct server_req *sr)
{
	struct renew_ctx *r;
	const char *org;
	json_t *body, *csr;
	char *speckey;

	if (sr->peer_uri == NULL || strncmp(sr->peer_uri, "fabfed://", 9) != 0 ||
	    (org = strstr(sr->peer_uri + 9, "/org/")) == NULL) {
		server_reply_error(sr, 403, "this certificate names no agent identity", NULL);
		return;
	}
	r = xcalloc(1, sizeof(*r));
	sr->state = r;
	sr->state_free = renew_free;
	r->consortium = xstrndup(sr->peer_uri + 9, (size_t)(org - sr->peer_uri - 9));
	r->msp = xstrdup(org + 5);
	if (topology_valid_consortium_name(r->consortium) != 0 ||
	    topology_valid_msp_id(r->msp) != 0) {
		server_reply_error(sr, 403, "this certificate's agent identity is malformed",
		    NULL);
		return;
	}
	body = sr->body_len <= ENROLL_MAX_BODY ? json_loadb(sr->body, sr->body_len, 0,
	    NULL) : NULL;
	if (!json_is_string(csr = json_object_get(body, "csr"))) {
		json_decref(body);
		server_reply_error(sr, 400, "the body must be a JSON object {\"csr\": PEM} of "
		    "at most 64 KiB", NULL);
		return;
	}
	r->csr = xstrdup(json_string_value(csr));
	json_decref(body);
	speckey = api_spec_key(r->consortium);
	if (etcd_range(sr->srv->etcd, speckey, 0, renew_drive, sr) != 0)
		server_reply_error(sr, 503, "etcd: cannot queue the request", NULL);
	free(speckey);
}
