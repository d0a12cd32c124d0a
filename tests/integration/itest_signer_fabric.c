/*
 * itest_signer_fabric.c: the real `fabfed-agent signer` and its
 * "fabric.config-update" check, driven over its socket (run by
 * signer_fabric.sh).
 *
 *	itest_signer_fabric prepare DIR      PKIs of the example consortium's
 *	                                     three orgs under DIR, and
 *	                                     DIR/desired.json ({"spec","orgs"})
 *	itest_signer_fabric client URL DIR   every check below against a signer
 *	                                     holding Org1MSP's admin key
 *	itest_signer_fabric ping URL         one PING; exit 0 if PONG
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/configtx.pb-c.h"

#include "fabric_config.h"
#include "fabric_update.h"
#include "fixture.h"
#include "ipc.h"
#include "itest.h"
#include "msp.h"
#include "pki.h"
#include "sig.h"
#include "topology.h"
#include "xmalloc.h"

#define TIMEOUT_MS	10000
#define CHANNEL		"trade"

static const char *const orgs3[] = { "Org1MSP", "Org2MSP", "Org3MSP" };

static int
prepare(const char *dir)
{
	json_t *doc, *pub, *out;
	char *path, *cause = NULL;

	REQUIRE((doc = fixture_load_example()) != NULL);
	if ((pub = fixture_publish_all(doc, orgs3, 3, dir, NULL,
	    &cause)) == NULL)
		fprintf(stderr, "%s\n", cause);
	REQUIRE(pub != NULL);
	out = json_pack("{s:o, s:o}", "spec", doc, "orgs", pub);
	path = xasprintf("%s/desired.json", dir);
	REQUIRE(json_dump_file(out, path, JSON_COMPACT) == 0);
	free(path);
	json_decref(out);
	return 0;
}

/* CTX's "liveConfig": LIVE's outline, or TEXT when LIVE is NULL. */
static void
set_live(json_t *ctx, const Common__Config *live, const char *text)
{
	uint8_t *b;
	char *s;
	size_t len = 0;

	if (live == NULL) {
		json_object_set_new(ctx, "liveConfig", json_string(text));
		return;
	}
	REQUIRE((b = fupd_live_outline(live, &len)) != NULL);
	s = ipc_b64_encode(b, len);
	json_object_set_new(ctx, "liveConfig", json_string(s));
	free(s);
	free(b);
}

static int
ping(const char *url)
{
	json_t *req = json_object(), *ans = NULL;
	char *cause = NULL;
	int type = 0, ok;

	ok = ipc_call(url, IPC_PING, req, TIMEOUT_MS, &type, &ans, &cause) == 0
	    && type == IPC_PONG;
	free(cause);
	json_decref(req);
	json_decref(ans);
	return ok ? 0 : 1;
}

/* One SIGN; returns the answer type, *ans the body (caller decrefs). */
static int
sign(const char *url, const uint8_t *payload, size_t len, json_t *context,
    json_t **ans)
{
	char *b64 = ipc_b64_encode(payload, len), *cause = NULL;
	json_t *req;
	int type = 0;

	req = json_pack("{s:s, s:s}", "kind", "fabric.config-update",
	    "payload", b64);
	if (context != NULL)
		json_object_set(req, "context", context);
	*ans = NULL;
	if (ipc_call(url, IPC_SIGN, req, TIMEOUT_MS, &type, ans, &cause) != 0) {
		fprintf(stderr, "ipc_call: %s\n", cause);
		type = -1;
	}
	free(cause);
	free(b64);
	json_decref(req);
	return type;
}

static const char *
reason(const json_t *ans)
{
	const char *s = json_string_value(json_object_get(ans, "reason"));

	return s != NULL ? s : "";
}

/* The answer is REFUSED with exactly WANT. */
static void
want_refused(int type, json_t *ans, const char *want)
{
	CHECK(type == IPC_REFUSED);
	if (strcmp(reason(ans), want) != 0) {
		fprintf(stderr, "reason: %s\nwanted: %s\n", reason(ans), want);
		CHECK(strcmp(reason(ans), want) == 0);
	}
	json_decref(ans);
}

struct req {
	uint8_t *payload;
	size_t len, hlen;
};

/* header(MSPID, PEM) || the update from A to B. */
static void
req_make(struct req *r, const Common__Config *a, const Common__Config *b,
    const char *channel, const char *mspid, const char *pem)
{
	Common__ConfigUpdate *cu;
	uint8_t *hdr, *upd;
	size_t ulen;
	char *cause = NULL;

	REQUIRE((cu = fupd_compute(a, b, channel, &cause)) != NULL);
	upd = fupd_pack(cu, &ulen);
	REQUIRE((hdr = fupd_signature_header(mspid, pem, NULL, &r->hlen)) !=
	    NULL);
	r->payload = fupd_signing_bytes(hdr, r->hlen, upd, ulen, &r->len);
	free(hdr);
	free(upd);
	fupd_free(cu);
}

static json_t *
context(const char *channel, size_t hlen, const json_t *spec,
    const json_t *orgs)
{
	return json_pack("{s:s, s:I, s:O, s:O}", "channel", channel,
	    "headerLength", (json_int_t)hlen, "topology", spec, "orgs", orgs);
}

/*
 * R adds Org3MSP to channel trade of Org1MSP and Org2MSP. With
 * "liveConfig" the signer checks it against the live config too: signed
 * under SPEC (Org3 declared), refused under T2 (not declared); the update
 * the other way (removing Org3MSP from M3, the live config then) refused
 * under SPEC and signed under T2; a malformed liveConfig refused.
 */
static void
live_checks(const char *url, const struct req *r, const json_t *spec,
    const json_t *t2, const json_t *orgs, const Common__Config *m3,
    const char *pem)
{
	Common__Config *m2;
	struct req rm;
	json_t *ctx, *ans;
	char *cause = NULL, *junk;
	int type;

	REQUIRE((m2 = fcfg_build(t2, CHANNEL, orgs, &cause)) != NULL);
	ctx = context(CHANNEL, r->hlen, spec, orgs);
	set_live(ctx, m2, NULL);
	type = sign(url, r->payload, r->len, ctx, &ans);
	CHECK(type == IPC_SIGNED);
	if (type != IPC_SIGNED)
		fprintf(stderr, "refused with liveConfig: %s\n", reason(ans));
	json_decref(ans);
	json_decref(ctx);
	ctx = context(CHANNEL, r->hlen, t2, orgs);
	set_live(ctx, m2, NULL);
	type = sign(url, r->payload, r->len, ctx, &ans);
	want_refused(type, ans, "the update adds Org3MSP to "
	    "Channel/Application, which the consortium does not declare");
	json_decref(ctx);

	req_make(&rm, m3, m2, CHANNEL, "Org1MSP", pem);
	ctx = context(CHANNEL, rm.hlen, spec, orgs);
	set_live(ctx, m3, NULL);
	type = sign(url, rm.payload, rm.len, ctx, &ans);
	want_refused(type, ans, "the update removes Org3MSP from "
	    "Channel/Application, which the consortium still declares");
	json_decref(ctx);
	ctx = context(CHANNEL, rm.hlen, t2, orgs);
	set_live(ctx, m3, NULL);
	type = sign(url, rm.payload, rm.len, ctx, &ans);
	CHECK(type == IPC_SIGNED);
	json_decref(ans);
	json_decref(ctx);
	free(rm.payload);

	/* Malformed liveConfig: refused with the reason, still serving. */
	ctx = context(CHANNEL, r->hlen, spec, orgs);
	set_live(ctx, NULL, "not base64!");
	type = sign(url, r->payload, r->len, ctx, &ans);
	want_refused(type, ans, "the context's \"liveConfig\" is not standard "
	    "base64 of 1 to 10485760 bytes");
	json_object_set_new(ctx, "liveConfig", json_integer(7));
	type = sign(url, r->payload, r->len, ctx, &ans);
	want_refused(type, ans, "the context's \"liveConfig\" is not standard "
	    "base64 of 1 to 10485760 bytes");
	set_live(ctx, NULL, "");
	type = sign(url, r->payload, r->len, ctx, &ans);
	want_refused(type, ans, "the context's \"liveConfig\" is not standard "
	    "base64 of 1 to 10485760 bytes");
	junk = ipc_b64_encode((const uint8_t *)"\x12\x09\x12", 3);
	set_live(ctx, NULL, junk);
	free(junk);
	type = sign(url, r->payload, r->len, ctx, &ans);
	want_refused(type, ans, "the context's \"liveConfig\" is not a "
	    "channel config: the config is not a Config whose groups nest at "
	    "most 16 deep");
	junk = ipc_b64_encode((const uint8_t *)"\x08\x01", 2);
	set_live(ctx, NULL, junk);
	free(junk);
	type = sign(url, r->payload, r->len, ctx, &ans);
	want_refused(type, ans, "the context's \"liveConfig\" is not a "
	    "channel config: the config has no channel group");
	json_decref(ctx);
	fcfg_free(m2);
}

static char *
read_pem(const char *path)
{
	char *cause = NULL, *pem;
	X509 *x;

	REQUIRE((x = pki_cert_read(path, &cause)) != NULL);
	pem = pki_cert_pem(x, NULL);
	X509_free(x);
	return pem;
}

static int
client(const char *url, const char *dir)
{
	json_t *desired, *spec, *orgs, *t1, *t2, *ctx, *ans, *req, *kinds;
	Common__Config *na, *a1, *m3;
	struct req r;
	X509 *cert;
	EVP_MD_CTX *md;
	unsigned char *der;
	char *path, *pem1, *pem2, *cause = NULL, *b64;
	json_error_t jerr;
	size_t i, derlen;
	int type, found = 0;

	path = xasprintf("%s/desired.json", dir);
	REQUIRE((desired = json_load_file(path, 0, &jerr)) != NULL);
	free(path);
	spec = json_object_get(desired, "spec");
	orgs = json_object_get(desired, "orgs");
	path = xasprintf("%s/Org1MSP/users/Admin@org1.example.com/msp/"
	    "signcerts/Admin@org1.example.com-cert.pem", dir);
	pem1 = read_pem(path);
	REQUIRE((cert = pki_cert_read(path, &cause)) != NULL);
	free(path);
	path = xasprintf("%s/Org2MSP/users/Admin@org2.example.com/msp/"
	    "signcerts/Admin@org2.example.com-cert.pem", dir);
	pem2 = read_pem(path);
	free(path);

	/* PING lists the kind. */
	req = json_object();
	ans = NULL;
	REQUIRE(ipc_call(url, IPC_PING, req, TIMEOUT_MS, &type, &ans,
	    &cause) == 0);
	CHECK(type == IPC_PONG);
	kinds = json_object_get(ans, "kinds");
	for (i = 0; i < json_array_size(kinds); i++)
		if (strcmp(json_string_value(json_array_get(kinds, i)),
		    "fabric.config-update") == 0)
			found = 1;
	CHECK(found);
	json_decref(ans);
	json_decref(req);

	/* The channel as created (no anchors); Org1MSP sets its anchor. */
	REQUIRE((na = fcfg_build_flags(spec, CHANNEL, orgs, FCFG_NO_ANCHORS,
	    &cause)) != NULL);
	t1 = json_deep_copy(spec);
	for (i = 1; i < 3; i++)
		json_object_set_new(json_array_get(json_object_get(
		    topology_find_org(t1, orgs3[i]), "peers"), 0), "anchor",
		    json_false());
	REQUIRE((a1 = fcfg_build(t1, CHANNEL, orgs, &cause)) != NULL);
	req_make(&r, na, a1, CHANNEL, "Org1MSP", pem1);
	ctx = context(CHANNEL, r.hlen, spec, orgs);
	type = sign(url, r.payload, r.len, ctx, &ans);
	CHECK(type == IPC_SIGNED);
	if (type != IPC_SIGNED)
		fprintf(stderr, "refused: %s\n", reason(ans));
	b64 = (char *)json_string_value(json_object_get(ans, "signature"));
	der = b64 != NULL ? ipc_b64_decode(b64, &derlen, SIG_MAX_DER) : NULL;
	CHECK(der != NULL);
	if (der != NULL) {
		CHECK(sig_verify(X509_get0_pubkey(cert), r.payload, r.len, der,
		    derlen) == 0);
		CHECK(sig_is_low_s(der, derlen) == 1);
		md = EVP_MD_CTX_new();
		CHECK(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
		    X509_get0_pubkey(cert)) == 1 &&
		    EVP_DigestVerify(md, der, derlen, r.payload, r.len) == 1);
		EVP_MD_CTX_free(md);
		printf("anchor-peer update signed: signature verifies, low-S\n");
	}
	CHECK(json_is_string(json_object_get(ans, "identity")));
	free(der);
	json_decref(ans);

	/* The same update, another channel named in the request. */
	json_object_set_new(ctx, "channel", json_string("other"));
	type = sign(url, r.payload, r.len, ctx, &ans);
	want_refused(type, ans, "the config update is for channel \"trade\", "
	    "but the request is for channel other");
	json_decref(ctx);
	free(r.payload);

	/* A header whose creator is another identity. */
	req_make(&r, na, a1, CHANNEL, "Org2MSP", pem2);
	ctx = context(CHANNEL, r.hlen, spec, orgs);
	type = sign(url, r.payload, r.len, ctx, &ans);
	want_refused(type, ans, "the signature header names MSP Org2MSP as "
	    "creator, but this signer signs for Org1MSP");
	json_decref(ctx);
	free(r.payload);
	req_make(&r, na, a1, CHANNEL, "Org1MSP", pem2);
	ctx = context(CHANNEL, r.hlen, spec, orgs);
	type = sign(url, r.payload, r.len, ctx, &ans);
	want_refused(type, ans, "the signature header's creator is not this "
	    "signer's certificate: Org1MSP would sign for another identity of "
	    "Org1MSP");
	json_decref(ctx);
	free(r.payload);

	/* An update adding an org the consortium does not declare. */
	t2 = json_deep_copy(spec);
	json_object_set_new(json_array_get(json_object_get(json_object_get(t2,
	    "spec"), "channels"), 0), "members",
	    json_pack("[s,s]", "Org1MSP", "Org2MSP"));
	REQUIRE((m3 = fcfg_build(spec, CHANNEL, orgs, &cause)) != NULL);
	{
		Common__Config *m2;

		REQUIRE((m2 = fcfg_build(t2, CHANNEL, orgs, &cause)) != NULL);
		req_make(&r, m2, m3, CHANNEL, "Org1MSP", pem1);
		fcfg_free(m2);
	}
	ctx = context(CHANNEL, r.hlen, t2, orgs);
	type = sign(url, r.payload, r.len, ctx, &ans);
	want_refused(type, ans, "the update adds Org3MSP to "
	    "Channel/Application, which the consortium does not declare");
	/* Declared: signed. */
	json_decref(ctx);
	ctx = context(CHANNEL, r.hlen, spec, orgs);
	type = sign(url, r.payload, r.len, ctx, &ans);
	CHECK(type == IPC_SIGNED);
	json_decref(ans);
	live_checks(url, &r, spec, t2, orgs, m3, pem1);

	/* Malformed: every one REFUSED or ERROR, never a crash. */
	json_object_set_new(ctx, "headerLength", json_integer(
	    (json_int_t)r.len));
	type = sign(url, r.payload, r.len, ctx, &ans);
	CHECK(type == IPC_REFUSED);
	json_decref(ans);
	json_object_set_new(ctx, "headerLength", json_integer(3));
	type = sign(url, r.payload, r.len, ctx, &ans);
	CHECK(type == IPC_REFUSED);
	json_decref(ans);
	json_object_set_new(ctx, "headerLength", json_string("12"));
	type = sign(url, r.payload, r.len, ctx, &ans);
	CHECK(type == IPC_REFUSED);
	json_decref(ans);
	json_object_set_new(ctx, "headerLength", json_integer(
	    (json_int_t)r.hlen));
	type = sign(url, r.payload, r.len, NULL, &ans);
	CHECK(type == IPC_REFUSED);
	json_decref(ans);
	type = sign(url, (const uint8_t *)"\xff\xff\xff\xff\x0f", 5, ctx, &ans);
	CHECK(type == IPC_REFUSED);
	json_decref(ans);
	for (i = r.hlen; i < r.len; i += 97) {
		r.payload[i] ^= 0x80;
		type = sign(url, r.payload, r.len, ctx, &ans);
		CHECK(type == IPC_REFUSED || type == IPC_SIGNED);
		json_decref(ans);
		r.payload[i] ^= 0x80;
	}
	json_object_set_new(ctx, "topology", json_pack("{s:s}", "kind",
	    "Consortium"));
	type = sign(url, r.payload, r.len, ctx, &ans);
	CHECK(type == IPC_REFUSED && strstr(reason(ans), "topology") != NULL);
	json_decref(ans);
	json_object_set_new(ctx, "extra", json_true());
	type = sign(url, r.payload, r.len, ctx, &ans);
	want_refused(type, ans, "unknown context field \"extra\" (known: "
	    "channel, headerLength, topology, orgs, liveConfig)");
	req = json_pack("{s:s, s:s}", "kind", "fabric.config-update",
	    "payload", "not base64!");
	ans = NULL;
	REQUIRE(ipc_call(url, IPC_SIGN, req, TIMEOUT_MS, &type, &ans,
	    &cause) == 0);
	CHECK(type == IPC_ERROR);
	json_decref(ans);
	json_decref(req);
	CHECK(ping(url) == 0);

	json_decref(ctx);
	free(r.payload);
	fcfg_free(m3);
	fcfg_free(na);
	fcfg_free(a1);
	json_decref(t1);
	json_decref(t2);
	X509_free(cert);
	free(pem1);
	free(pem2);
	json_decref(desired);
	printf("client: %d checks, %d failed\n", nchecks, nfailures);
	return nfailures == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "prepare") == 0)
		return prepare(argv[2]);
	if (argc == 4 && strcmp(argv[1], "client") == 0)
		return client(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "ping") == 0)
		return ping(argv[2]);
	fprintf(stderr, "usage: itest_signer_fabric prepare DIR | client URL "
	    "DIR | ping URL\n");
	return 2;
}
