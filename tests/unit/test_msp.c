/*
 * test_msp.c: an org's PKI in Fabric's MSP layout. Every leaf is checked
 * against its CA with OpenSSL's verifier (and once with the openssl
 * command), with the contents Fabric needs: NodeOU in the OU, SANs, key
 * usages, AKI = the CA's SKI, file modes. Re-runs change no file (SHA-256
 * and inode of every file compared); lost certificates come back for the
 * same key; mismatched pairs are errors; the public JSON has no key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "msp.h"
#include "pki.h"
#include "xmalloc.h"

#define DOMAIN "org1.example.com"

static char tmpdir[64];
static int seq;

static const char *const peer_hosts[] = { "peer0.org1.svc.cluster.local",
    "peer0.org1.example.net", "203.0.113.7", "::1", NULL };
static const char *const orderer_hosts[] = { "orderer0-org1", "127.0.0.1", NULL };

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/fabfed-msp.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);

	(void)state;
	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* A fresh org directory for each test. */
static struct msp_org
org_new(void)
{
	struct msp_org org = { .mspid = "Org1MSP", .domain = DOMAIN };

	org.dir = xasprintf("%s/org%d", tmpdir, seq++);
	return org;
}

static void
org_free(struct msp_org *org)
{
	free((char *)org->dir);
}

static struct msp_node
peer0(void)
{
	struct msp_node n = { .name = "peer0", .role = MSP_ROLE_PEER,
	    .hosts = peer_hosts };

	return n;
}

static struct msp_node
orderer0(void)
{
	struct msp_node n = { .name = "orderer0", .role = MSP_ROLE_ORDERER,
	    .hosts = orderer_hosts };

	return n;
}

/* The org with its CAs, Admin, User1, peer0 and orderer0. */
static void
org_build(const struct msp_org *org)
{
	struct msp_node p = peer0(), o = orderer0();
	unsigned changes = 0;
	char *cause = NULL;

	assert_int_equal(msp_org_ensure(org, &changes, &cause), 0);
	assert_null(cause);
	assert_true(changes & MSP_CREATED);
	assert_int_equal(msp_node_ensure(org, &p, &changes, &cause), 0);
	assert_int_equal(changes & MSP_CREATED, MSP_CREATED);
	assert_int_equal(msp_node_ensure(org, &o, &changes, &cause), 0);
	assert_int_equal(changes & MSP_CREATED, MSP_CREATED);
}

static char *
path(const struct msp_org *org, const char *rel)
{
	return xasprintf("%s/%s", org->dir, rel);
}

static X509 *
cert_at(const struct msp_org *org, const char *rel)
{
	char *p = path(org, rel), *cause = NULL;
	X509 *c = pki_cert_read(p, &cause);

	if (c == NULL)
		fail_msg("%s: %s", p, cause);
	free(p);
	return c;
}

static EVP_PKEY *
key_at(const struct msp_org *org, const char *rel)
{
	char *p = path(org, rel), *cause = NULL;
	EVP_PKEY *k = pki_key_read(p, &cause);

	if (k == NULL)
		fail_msg("%s: %s", p, cause);
	free(p);
	return k;
}

static char *
file_at(const struct msp_org *org, const char *rel)
{
	char *p = path(org, rel), *data;
	FILE *f = fopen(p, "r");
	long n;

	if (f == NULL)
		fail_msg("cannot open %s", p);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	data = xcalloc(1, (size_t)n + 1);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	free(p);
	return data;
}

static int
mode_at(const struct msp_org *org, const char *rel)
{
	char *p = path(org, rel);
	struct stat st;

	if (stat(p, &st) != 0)
		fail_msg("%s is missing", p);
	free(p);
	return (int)(st.st_mode & 07777);
}

static int
exists_at(const struct msp_org *org, const char *rel)
{
	char *p = path(org, rel);
	int rc = access(p, F_OK) == 0;

	free(p);
	return rc;
}

static void
unlink_at(const struct msp_org *org, const char *rel)
{
	char *p = path(org, rel);

	assert_int_equal(unlink(p), 0);
	free(p);
}

/* X509_verify_cert of leaf against ca alone, with purpose (0 = none). */
static int
verify(X509 *ca, X509 *leaf, int purpose)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;

	assert_int_equal(X509_STORE_add_cert(store, ca), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, NULL), 1);
	if (purpose != 0)
		assert_int_equal(X509_STORE_CTX_set_purpose(ctx, purpose), 1);
	ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

static int
has_ou(X509 *cert, const char *ou)
{
	char buf[64];

	if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
	    NID_organizationalUnitName, buf, sizeof(buf)) < 0)
		return 0;
	return strcmp(buf, ou) == 0;
}

static void
assert_cn(X509 *cert, const char *cn)
{
	char buf[128];

	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
	    NID_commonName, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, cn);
}

static int
ext_critical(X509 *cert, int nid)
{
	int i = X509_get_ext_by_NID(cert, nid, -1);

	if (i < 0)
		return -1;
	return X509_EXTENSION_get_critical(X509_get_ext(cert, i));
}

/* Fabric's cryptogen signs with low-S (s <= n/2); so do we. */
static void
assert_low_s(X509 *cert)
{
	const ASN1_BIT_STRING *sig;
	const unsigned char *p;
	const BIGNUM *r, *sv;
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *half = BN_dup(EC_GROUP_get0_order(g));
	ECDSA_SIG *es;

	X509_get0_signature(&sig, NULL, cert);
	p = sig->data;
	es = d2i_ECDSA_SIG(NULL, &p, sig->length);
	assert_non_null(es);
	assert_int_equal(BN_rshift1(half, half), 1);
	ECDSA_SIG_get0(es, &r, &sv);
	assert_true(BN_cmp(sv, half) <= 0);
	ECDSA_SIG_free(es);
	BN_free(half);
	EC_GROUP_free(g);
}

static void
assert_aki(X509 *ca, X509 *leaf)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca);
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(leaf);

	assert_non_null(ski);
	assert_non_null(aki);
	assert_non_null(X509_get0_subject_key_id(leaf));
	assert_int_equal(ASN1_OCTET_STRING_cmp(ski, aki), 0);
}

/* A signing identity: issued by ca, NodeOU, key usage, its key beside it. */
static void
check_signcert(const struct msp_org *org, X509 *ca, const char *nodedir,
    const char *cn, const char *ou)
{
	char *rel = xasprintf("%s/msp/signcerts/%s-cert.pem", nodedir, cn);
	char *krel = xasprintf("%s/msp/keystore/priv_sk", nodedir);
	char *kdir = xasprintf("%s/msp/keystore", nodedir);
	X509 *c = cert_at(org, rel);
	EVP_PKEY *k = key_at(org, krel);
	char *pem = file_at(org, krel);

	assert_int_equal(verify(ca, c, 0), 1);
	assert_true(has_ou(c, ou));
	assert_cn(c, cn);
	assert_int_equal(X509_check_ca(c), 0);
	assert_int_equal(ext_critical(c, NID_basic_constraints), 1);
	assert_int_equal(X509_get_key_usage(c), KU_DIGITAL_SIGNATURE);
	assert_int_equal(ext_critical(c, NID_key_usage), 1);
	assert_int_equal(ext_critical(c, NID_ext_key_usage), -1);
	assert_aki(ca, c);
	assert_low_s(c);
	assert_int_equal(X509_check_private_key(c, k), 1);
	assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
	assert_int_equal(mode_at(org, krel), 0600);
	assert_int_equal(mode_at(org, kdir), 0700);
	EVP_PKEY_free(k);
	X509_free(c);
	free(pem);
	free(kdir);
	free(krel);
	free(rel);
}

/* A TLS certificate: issued by the TLS CA, server and client. */
static X509 *
check_tls(const struct msp_org *org, X509 *tlsca, const char *nodedir,
    const char *base, const char *cn)
{
	char *rel = xasprintf("%s/tls/%s.crt", nodedir, base);
	char *krel = xasprintf("%s/tls/%s.key", nodedir, base);
	X509 *c = cert_at(org, rel);
	EVP_PKEY *k = key_at(org, krel);

	assert_int_equal(verify(tlsca, c, X509_PURPOSE_SSL_SERVER), 1);
	assert_int_equal(verify(tlsca, c, X509_PURPOSE_SSL_CLIENT), 1);
	assert_int_equal(X509_check_purpose(c, X509_PURPOSE_SSL_SERVER, 0), 1);
	assert_int_equal(X509_check_purpose(c, X509_PURPOSE_SSL_CLIENT, 0), 1);
	assert_cn(c, cn);
	assert_int_equal(X509_get_key_usage(c),
	    KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	assert_int_equal(X509_get_extended_key_usage(c), XKU_SSL_SERVER | XKU_SSL_CLIENT);
	assert_int_equal(X509_check_ca(c), 0);
	assert_aki(tlsca, c);
	assert_low_s(c);
	assert_int_equal(X509_check_private_key(c, k), 1);
	assert_int_equal(mode_at(org, krel), 0600);
	EVP_PKEY_free(k);
	free(krel);
	free(rel);
	return c;
}

static void
check_ca(X509 *ca, const char *cn)
{
	assert_int_equal(X509_check_ca(ca), 1);
	assert_int_equal(verify(ca, ca, 0), 1);
	assert_int_equal(ext_critical(ca, NID_basic_constraints), 1);
	assert_int_equal(ext_critical(ca, NID_key_usage), 1);
	assert_int_equal(X509_get_key_usage(ca), KU_DIGITAL_SIGNATURE |
	    KU_KEY_ENCIPHERMENT | KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_int_equal(X509_get_extended_key_usage(ca), XKU_SSL_SERVER | XKU_SSL_CLIENT);
	assert_non_null(X509_get0_subject_key_id(ca));
	assert_low_s(ca);
	assert_cn(ca, cn);
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(ca)), 256);
}

static void
assert_file_equal(const struct msp_org *org, const char *a, const char *b)
{
	char *x = file_at(org, a), *y = file_at(org, b);

	assert_string_equal(x, y);
	free(x);
	free(y);
}

static const char *config_yaml =
    "NodeOUs:\n"
    "  Enable: true\n"
    "  ClientOUIdentifier:  {Certificate: cacerts/ca.org1.example.com-cert.pem, OrganizationalUnitIdentifier: client}\n"
    "  PeerOUIdentifier:    {Certificate: cacerts/ca.org1.example.com-cert.pem, OrganizationalUnitIdentifier: peer}\n"
    "  AdminOUIdentifier:   {Certificate: cacerts/ca.org1.example.com-cert.pem, OrganizationalUnitIdentifier: admin}\n"
    "  OrdererOUIdentifier: {Certificate: cacerts/ca.org1.example.com-cert.pem, OrganizationalUnitIdentifier: orderer}\n";

/* Every file of a node's MSP and TLS dirs, as cryptogen lays them out. */
static void
check_node_layout(const struct msp_org *org, const char *nodedir)
{
	static const char *const files[] = { "msp/cacerts/ca." DOMAIN "-cert.pem",
	    "msp/tlscacerts/tlsca." DOMAIN "-cert.pem", "msp/config.yaml",
	    "tls/ca.crt", NULL };
	char *rel, *yaml;
	size_t i;

	for (i = 0; files[i] != NULL; i++) {
		rel = xasprintf("%s/%s", nodedir, files[i]);
		assert_true(exists_at(org, rel));
		free(rel);
	}
	rel = xasprintf("%s/msp/cacerts/ca." DOMAIN "-cert.pem", nodedir);
	assert_file_equal(org, rel, "ca/ca." DOMAIN "-cert.pem");
	free(rel);
	rel = xasprintf("%s/msp/tlscacerts/tlsca." DOMAIN "-cert.pem", nodedir);
	assert_file_equal(org, rel, "tlsca/tlsca." DOMAIN "-cert.pem");
	free(rel);
	rel = xasprintf("%s/tls/ca.crt", nodedir);
	assert_file_equal(org, rel, "tlsca/tlsca." DOMAIN "-cert.pem");
	free(rel);
	rel = xasprintf("%s/msp/config.yaml", nodedir);
	yaml = file_at(org, rel);
	assert_string_equal(yaml, config_yaml);
	free(yaml);
	free(rel);
}

static void
test_layout_and_contents(void **state)
{
	struct msp_org org = org_new();
	X509 *ca, *tlsca, *tls;
	char *yaml;

	(void)state;
	org_build(&org);
	assert_int_equal(mode_at(&org, "."), 0700);
	assert_int_equal(mode_at(&org, "ca"), 0700);
	assert_int_equal(mode_at(&org, "tlsca"), 0700);
	assert_int_equal(mode_at(&org, "ca/priv_sk"), 0600);
	assert_int_equal(mode_at(&org, "tlsca/priv_sk"), 0600);
	assert_int_equal(mode_at(&org, "ca/ca." DOMAIN "-cert.pem"), 0644);
	ca = cert_at(&org, "ca/ca." DOMAIN "-cert.pem");
	tlsca = cert_at(&org, "tlsca/tlsca." DOMAIN "-cert.pem");
	check_ca(ca, "ca." DOMAIN);
	check_ca(tlsca, "tlsca." DOMAIN);
	assert_int_not_equal(X509_cmp(ca, tlsca), 0);
	/* The CA's key pair is the one in ca/. */
	{
		EVP_PKEY *k = key_at(&org, "ca/priv_sk");

		assert_int_equal(X509_check_private_key(ca, k), 1);
		EVP_PKEY_free(k);
	}

	/* The org-level (verifying) MSP. */
	assert_file_equal(&org, "msp/cacerts/ca." DOMAIN "-cert.pem",
	    "ca/ca." DOMAIN "-cert.pem");
	assert_file_equal(&org, "msp/tlscacerts/tlsca." DOMAIN "-cert.pem",
	    "tlsca/tlsca." DOMAIN "-cert.pem");
	yaml = file_at(&org, "msp/config.yaml");
	assert_string_equal(yaml, config_yaml);
	free(yaml);
	assert_false(exists_at(&org, "msp/keystore"));

	/* peer0: NodeOU peer; TLS with every host, IPs as IP SANs. */
	check_node_layout(&org, "peers/peer0." DOMAIN);
	check_signcert(&org, ca, "peers/peer0." DOMAIN, "peer0." DOMAIN, "peer");
	tls = check_tls(&org, tlsca, "peers/peer0." DOMAIN, "server", "peer0." DOMAIN);
	assert_int_equal(X509_check_host(tls, "peer0." DOMAIN, 0,
	    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL), 1);
	assert_int_equal(X509_check_host(tls, "peer0", 0,
	    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL), 1);
	assert_int_equal(X509_check_host(tls, "peer0.org1.svc.cluster.local", 0,
	    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL), 1);
	assert_int_equal(X509_check_host(tls, "peer0.org1.example.net", 0,
	    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL), 1);
	assert_int_equal(X509_check_ip_asc(tls, "203.0.113.7", 0), 1);
	assert_int_equal(X509_check_ip_asc(tls, "::1", 0), 1);
	assert_int_equal(X509_check_ip_asc(tls, "203.0.113.8", 0), 0);
	/* An IP is not also written as a DNS name. */
	assert_int_equal(X509_check_host(tls, "203.0.113.7", 0,
	    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL), 0);
	assert_int_equal(X509_check_host(tls, "orderer0." DOMAIN, 0,
	    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL), 0);
	X509_free(tls);
	assert_false(verify(ca, tls = cert_at(&org, "peers/peer0." DOMAIN "/tls/server.crt"), 0));
	X509_free(tls);

	/* orderer0: NodeOU orderer; TLS server and client (Raft). */
	check_node_layout(&org, "orderers/orderer0." DOMAIN);
	check_signcert(&org, ca, "orderers/orderer0." DOMAIN, "orderer0." DOMAIN,
	    "orderer");
	tls = check_tls(&org, tlsca, "orderers/orderer0." DOMAIN, "server",
	    "orderer0." DOMAIN);
	assert_int_equal(X509_check_ip_asc(tls, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_host(tls, "orderer0-org1", 0,
	    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL), 1);
	X509_free(tls);

	/* Users: Admin (OU admin) and User1 (OU client), TLS as client.crt. */
	check_node_layout(&org, "users/Admin@" DOMAIN);
	check_signcert(&org, ca, "users/Admin@" DOMAIN, "Admin@" DOMAIN, "admin");
	X509_free(check_tls(&org, tlsca, "users/Admin@" DOMAIN, "client",
	    "Admin@" DOMAIN));
	check_node_layout(&org, "users/User1@" DOMAIN);
	check_signcert(&org, ca, "users/User1@" DOMAIN, "User1@" DOMAIN, "client");
	X509_free(check_tls(&org, tlsca, "users/User1@" DOMAIN, "client",
	    "User1@" DOMAIN));

	/* A signcert is not a TLS CA's, nor the other way round. */
	tls = cert_at(&org, "users/Admin@" DOMAIN "/msp/signcerts/Admin@" DOMAIN "-cert.pem");
	assert_false(verify(tlsca, tls, 0));
	X509_free(tls);
	X509_free(ca);
	X509_free(tlsca);
	org_free(&org);
}

/* A snapshot of a tree: "path inode sha256" per file, sorted. */
static char **snap_v;
static size_t snap_n;

static int
snap_one(const char *fpath, const struct stat *st, int flag, struct FTW *ftw)
{
	unsigned char md[32];
	unsigned int mdlen = sizeof(md);
	char hex[65], *data;
	FILE *f;
	size_t i;

	(void)ftw;
	if (flag != FTW_F)
		return 0;
	f = fopen(fpath, "r");
	assert_non_null(f);
	data = xmalloc((size_t)st->st_size + 1);
	assert_int_equal(fread(data, 1, (size_t)st->st_size, f), (size_t)st->st_size);
	fclose(f);
	assert_int_equal(EVP_Digest(data, (size_t)st->st_size, md, &mdlen,
	    EVP_sha256(), NULL), 1);
	free(data);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snap_v = xreallocarray(snap_v, snap_n + 1, sizeof(*snap_v));
	snap_v[snap_n++] = xasprintf("%s %lu %o %s", fpath,
	    (unsigned long)st->st_ino, (unsigned)(st->st_mode & 07777), hex);
	return 0;
}

static int
snap_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Caller frees. */
static char *
snapshot(const struct msp_org *org, size_t *nfiles)
{
	size_t i, len = 0, off = 0, n;
	char *s;

	snap_v = NULL;
	snap_n = 0;

	assert_int_equal(nftw(org->dir, snap_one, 16, FTW_PHYS), 0);
	assert_non_null(snap_v);
	qsort(snap_v, snap_n, sizeof(*snap_v), snap_cmp);
	for (i = 0; i < snap_n; i++)
		len += strlen(snap_v[i]) + 1;
	s = xcalloc(1, len + 1);
	for (i = 0; i < snap_n; i++) {
		n = strlen(snap_v[i]);
		memcpy(s + off, snap_v[i], n);
		s[off + n] = '\n';
		off += n + 1;
		free(snap_v[i]);
	}
	free(snap_v);
	*nfiles = snap_n;
	return s;
}

static void
test_idempotent(void **state)
{
	struct msp_org org = org_new();
	struct msp_node p = peer0(), o = orderer0();
	unsigned changes = 99;
	char *cause = NULL, *before, *after;
	size_t n1, n2;

	(void)state;
	org_build(&org);
	before = snapshot(&org, &n1);
	/* 2 CAs x 2 files, org MSP 3, 4 identities x 8 files. */
	assert_int_equal(n1, 4 + 3 + 4 * 8);
	assert_int_equal(msp_org_ensure(&org, &changes, &cause), 0);
	assert_int_equal(changes, MSP_UNCHANGED);
	assert_int_equal(msp_node_ensure(&org, &p, &changes, &cause), 0);
	assert_int_equal(changes, MSP_UNCHANGED);
	assert_int_equal(msp_node_ensure(&org, &o, &changes, &cause), 0);
	assert_int_equal(changes, MSP_UNCHANGED);
	after = snapshot(&org, &n2);
	assert_int_equal(n1, n2);
	assert_string_equal(before, after);
	free(before);
	free(after);
	org_free(&org);
}

/* A run killed after a key was written but before its certificate: the
 * next run issues the certificate for the key that is there. */
static void
test_lost_certs(void **state)
{
	struct msp_org org = org_new();
	struct msp_node p = peer0();
	unsigned changes = 0;
	char *cause = NULL, *k1, *k2, *c1, *c2, *before, *after;
	X509 *ca, *cert;
	EVP_PKEY *key;
	size_t n;

	(void)state;
	org_build(&org);
	k1 = file_at(&org, "peers/peer0." DOMAIN "/msp/keystore/priv_sk");
	k2 = file_at(&org, "peers/peer0." DOMAIN "/tls/server.key");
	unlink_at(&org, "peers/peer0." DOMAIN "/msp/signcerts/peer0." DOMAIN "-cert.pem");
	unlink_at(&org, "peers/peer0." DOMAIN "/tls/server.crt");
	unlink_at(&org, "peers/peer0." DOMAIN "/tls/ca.crt");
	assert_int_equal(msp_node_ensure(&org, &p, &changes, &cause), 0);
	assert_int_equal(changes, MSP_REISSUED | MSP_UPDATED);
	c1 = file_at(&org, "peers/peer0." DOMAIN "/msp/keystore/priv_sk");
	c2 = file_at(&org, "peers/peer0." DOMAIN "/tls/server.key");
	assert_string_equal(k1, c1);
	assert_string_equal(k2, c2);
	free(c1);
	free(c2);
	ca = cert_at(&org, "ca/ca." DOMAIN "-cert.pem");
	cert = cert_at(&org, "peers/peer0." DOMAIN "/msp/signcerts/peer0." DOMAIN "-cert.pem");
	key = key_at(&org, "peers/peer0." DOMAIN "/msp/keystore/priv_sk");
	assert_int_equal(verify(ca, cert, 0), 1);
	assert_int_equal(X509_check_private_key(cert, key), 1);
	assert_true(has_ou(cert, "peer"));
	EVP_PKEY_free(key);
	X509_free(cert);

	/* The root CA's certificate lost: made again for its key and name,
	 * so every identity already issued still verifies. */
	before = snapshot(&org, &n);
	X509_free(ca);
	unlink_at(&org, "ca/ca." DOMAIN "-cert.pem");
	assert_int_equal(msp_org_ensure(&org, &changes, &cause), 0);
	assert_true(changes & MSP_REISSUED);
	assert_false(changes & MSP_CREATED);
	ca = cert_at(&org, "ca/ca." DOMAIN "-cert.pem");
	cert = cert_at(&org, "peers/peer0." DOMAIN "/msp/signcerts/peer0." DOMAIN "-cert.pem");
	assert_int_equal(verify(ca, cert, 0), 1);
	X509_free(cert);
	/* An identity made before still matches; its copy of the CA is
	 * brought up to date by its next ensure. */
	assert_int_equal(msp_node_ensure(&org, &p, &changes, &cause), 0);
	assert_int_equal(changes, MSP_UPDATED);
	assert_file_equal(&org, "peers/peer0." DOMAIN "/msp/cacerts/ca." DOMAIN "-cert.pem",
	    "ca/ca." DOMAIN "-cert.pem");
	after = snapshot(&org, &n);
	assert_string_not_equal(before, after);
	/* The CA key's line (path, inode, mode, hash) is the same. */
	c1 = strstr(before, "/ca/priv_sk ");
	c2 = strstr(after, "/ca/priv_sk ");
	assert_non_null(c1);
	assert_non_null(c2);
	assert_memory_equal(c1, c2, (size_t)(strchr(c1, '\n') - c1));
	X509_free(ca);
	free(before);
	free(after);
	free(k1);
	free(k2);
	org_free(&org);
}

static void
test_mismatch_is_an_error(void **state)
{
	struct msp_org org = org_new(), other = org_new();
	struct msp_node p = peer0();
	unsigned changes = 0;
	char *cause = NULL, *src, *dst, *cmd, *before, *after;
	size_t n;

	(void)state;
	org_build(&org);
	org_build(&other);

	/* Another org's CA certificate in place of ours: refused, nothing
	 * regenerated. */
	src = path(&other, "ca/ca." DOMAIN "-cert.pem");
	dst = path(&org, "ca/ca." DOMAIN "-cert.pem");
	cmd = xasprintf("cp '%s' '%s'", src, dst);
	assert_int_equal(system(cmd), 0);
	before = snapshot(&org, &n);
	assert_int_equal(msp_org_ensure(&org, &changes, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "does not belong to the key"));
	assert_non_null(strstr(cause, "ca/priv_sk"));
	free(cause);
	cause = NULL;
	assert_int_equal(msp_node_ensure(&org, &p, &changes, &cause), -1);
	assert_non_null(strstr(cause, "does not belong to the key"));
	free(cause);
	cause = NULL;
	after = snapshot(&org, &n);
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(cmd);
	free(src);
	free(dst);

	org_free(&org);
	org_free(&other);
}

static void
test_leaf_mismatch(void **state)
{
	struct msp_org org = org_new(), other = org_new();
	struct msp_node p = peer0();
	unsigned changes = 0;
	char *cause = NULL, *src, *dst, *cmd;

	(void)state;
	org_build(&org);
	org_build(&other);
	/* Another org's peer0 TLS cert: not our key. */
	src = path(&other, "peers/peer0." DOMAIN "/tls/server.crt");
	dst = path(&org, "peers/peer0." DOMAIN "/tls/server.crt");
	cmd = xasprintf("cp '%s' '%s'", src, dst);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(msp_node_ensure(&org, &p, &changes, &cause), -1);
	assert_non_null(strstr(cause, "server.crt does not belong to the key"));
	free(cause);
	cause = NULL;
	free(cmd);
	/* Key and cert both from the other org: a pair, but not our CA's. */
	free(src);
	free(dst);
	src = path(&other, "peers/peer0." DOMAIN "/tls/server.key");
	dst = path(&org, "peers/peer0." DOMAIN "/tls/server.key");
	cmd = xasprintf("cp '%s' '%s'", src, dst);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(msp_node_ensure(&org, &p, &changes, &cause), -1);
	assert_non_null(strstr(cause, "was not issued by this org's CA"));
	free(cause);
	cause = NULL;
	free(cmd);
	free(src);
	free(dst);

	/* A certificate whose key is gone: refused, no new identity. */
	unlink_at(&org, "users/Admin@" DOMAIN "/msp/keystore/priv_sk");
	assert_int_equal(msp_org_ensure(&org, &changes, &cause), -1);
	assert_non_null(strstr(cause, "its key"));
	assert_non_null(strstr(cause, "is gone"));
	free(cause);
	assert_false(exists_at(&org, "users/Admin@" DOMAIN "/msp/keystore/priv_sk"));
	org_free(&org);
	org_free(&other);
}

static void
test_host_added(void **state)
{
	static const char *const more[] = { "peer0.org1.svc.cluster.local",
	    "peer0.org1.example.net", "203.0.113.7", "::1", "198.51.100.1",
	    "peer0.new.example.org", NULL };
	struct msp_org org = org_new();
	struct msp_node p = peer0();
	unsigned changes = 0;
	char *cause = NULL, *k1, *k2, *s1, *s2;
	X509 *tls, *tlsca;

	(void)state;
	org_build(&org);
	k1 = file_at(&org, "peers/peer0." DOMAIN "/tls/server.key");
	s1 = file_at(&org, "peers/peer0." DOMAIN "/msp/signcerts/peer0." DOMAIN "-cert.pem");
	p.hosts = more;
	assert_int_equal(msp_node_ensure(&org, &p, &changes, &cause), 0);
	assert_int_equal(changes, MSP_REISSUED);
	k2 = file_at(&org, "peers/peer0." DOMAIN "/tls/server.key");
	s2 = file_at(&org, "peers/peer0." DOMAIN "/msp/signcerts/peer0." DOMAIN "-cert.pem");
	assert_string_equal(k1, k2);
	assert_string_equal(s1, s2);  /* the signing identity is untouched */
	tlsca = cert_at(&org, "tlsca/tlsca." DOMAIN "-cert.pem");
	tls = cert_at(&org, "peers/peer0." DOMAIN "/tls/server.crt");
	assert_int_equal(verify(tlsca, tls, X509_PURPOSE_SSL_SERVER), 1);
	assert_int_equal(X509_check_ip_asc(tls, "198.51.100.1", 0), 1);
	assert_int_equal(X509_check_ip_asc(tls, "203.0.113.7", 0), 1);
	assert_int_equal(X509_check_host(tls, "peer0.new.example.org", 0,
	    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL), 1);
	assert_int_equal(X509_check_host(tls, "peer0." DOMAIN, 0,
	    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL), 1);
	X509_free(tls);
	/* Asked again with the same hosts (or fewer): nothing changes. */
	assert_int_equal(msp_node_ensure(&org, &p, &changes, &cause), 0);
	assert_int_equal(changes, MSP_UNCHANGED);
	p.hosts = NULL;
	assert_int_equal(msp_node_ensure(&org, &p, &changes, &cause), 0);
	assert_int_equal(changes, MSP_UNCHANGED);
	X509_free(tlsca);
	free(k1);
	free(k2);
	free(s1);
	free(s2);
	org_free(&org);
}

static void
test_node_added_later(void **state)
{
	struct msp_org org = org_new();
	struct msp_node p1 = { .name = "peer1", .role = MSP_ROLE_PEER };
	struct msp_node o1 = { .name = "orderer1", .role = MSP_ROLE_ORDERER };
	unsigned changes = 0;
	char *cause = NULL, *ca1, *ca2, *k0, *k1;
	X509 *ca, *tlsca;

	(void)state;
	org_build(&org);
	ca1 = file_at(&org, "ca/ca." DOMAIN "-cert.pem");
	assert_int_equal(msp_org_ensure(&org, &changes, &cause), 0);
	assert_int_equal(msp_node_ensure(&org, &p1, &changes, &cause), 0);
	assert_int_equal(changes & (MSP_CREATED | MSP_REISSUED), MSP_CREATED);
	assert_int_equal(msp_node_ensure(&org, &o1, &changes, &cause), 0);
	ca2 = file_at(&org, "ca/ca." DOMAIN "-cert.pem");
	assert_string_equal(ca1, ca2);
	ca = cert_at(&org, "ca/ca." DOMAIN "-cert.pem");
	tlsca = cert_at(&org, "tlsca/tlsca." DOMAIN "-cert.pem");
	check_signcert(&org, ca, "peers/peer1." DOMAIN, "peer1." DOMAIN, "peer");
	check_signcert(&org, ca, "orderers/orderer1." DOMAIN, "orderer1." DOMAIN,
	    "orderer");
	X509_free(check_tls(&org, tlsca, "peers/peer1." DOMAIN, "server",
	    "peer1." DOMAIN));
	check_node_layout(&org, "peers/peer1." DOMAIN);
	/* A new identity: not peer0's key. */
	k0 = file_at(&org, "peers/peer0." DOMAIN "/msp/keystore/priv_sk");
	k1 = file_at(&org, "peers/peer1." DOMAIN "/msp/keystore/priv_sk");
	assert_string_not_equal(k0, k1);
	X509_free(ca);
	X509_free(tlsca);
	free(k0);
	free(k1);
	free(ca1);
	free(ca2);
	org_free(&org);
}

/* The body line after BEGIN of a PEM key (enough to spot a leak). */
static char *
key_body(const struct msp_org *org, const char *rel)
{
	char *pem = file_at(org, rel), *nl, *ret;

	nl = strchr(pem, '\n');
	assert_non_null(nl);
	ret = xstrndup(nl + 1, 40);
	free(pem);
	return ret;
}

static void
test_public(void **state)
{
	static const char *const keys[] = { "ca/priv_sk", "tlsca/priv_sk",
	    "users/Admin@" DOMAIN "/msp/keystore/priv_sk",
	    "users/Admin@" DOMAIN "/tls/client.key",
	    "peers/peer0." DOMAIN "/msp/keystore/priv_sk",
	    "orderers/orderer0." DOMAIN "/tls/server.key", NULL };
	static const char *const ous[][2] = { { "clientOUIdentifier", "client" },
	    { "peerOUIdentifier", "peer" }, { "adminOUIdentifier", "admin" },
	    { "ordererOUIdentifier", "orderer" } };
	struct msp_org org = org_new();
	struct msp_node o1 = { .name = "orderer1", .role = MSP_ROLE_ORDERER };
	json_t *pub, *ou;
	char *cause = NULL, *dump, *capem, *tlspem, *admin, *o0, *body;
	size_t i;

	(void)state;
	org_build(&org);
	assert_int_equal(msp_node_ensure(&org, &o1, NULL, &cause), 0);
	pub = msp_public(&org, &cause);
	assert_non_null(pub);
	dump = json_dumps(pub, JSON_COMPACT);
	assert_null(strstr(dump, "PRIVATE KEY"));
	for (i = 0; keys[i] != NULL; i++) {
		body = key_body(&org, keys[i]);
		assert_null(strstr(dump, body));
		free(body);
	}
	capem = file_at(&org, "ca/ca." DOMAIN "-cert.pem");
	tlspem = file_at(&org, "tlsca/tlsca." DOMAIN "-cert.pem");
	admin = file_at(&org, "users/Admin@" DOMAIN "/msp/signcerts/Admin@" DOMAIN "-cert.pem");
	o0 = file_at(&org, "orderers/orderer0." DOMAIN "/tls/server.crt");
	assert_string_equal(json_string_value(json_object_get(pub, "mspId")), "Org1MSP");
	assert_int_equal(json_array_size(json_object_get(pub, "rootCerts")), 1);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(pub, "rootCerts"), 0)), capem);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(pub, "tlsRootCerts"), 0)), tlspem);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(pub, "adminCerts"), 0)), admin);
	assert_true(json_is_true(json_object_get(json_object_get(pub, "nodeOUs"),
	    "enable")));
	for (i = 0; i < 4; i++) {
		ou = json_object_get(json_object_get(pub, "nodeOUs"), ous[i][0]);
		assert_non_null(ou);
		assert_string_equal(json_string_value(json_object_get(ou,
		    "organizationalUnitIdentifier")), ous[i][1]);
		assert_string_equal(json_string_value(json_object_get(ou,
		    "certificate")), capem);
	}
	assert_int_equal(json_object_size(json_object_get(pub, "orderers")), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(pub, "orderers"), "orderer0"), "tlsCert")), o0);
	assert_non_null(json_object_get(json_object_get(pub, "orderers"), "orderer1"));
	assert_null(json_object_get(pub, "peers"));
	free(dump);
	json_decref(pub);
	free(capem);
	free(tlspem);
	free(admin);
	free(o0);

	/* An org not made yet has nothing to publish. */
	{
		struct msp_org none = org_new();

		assert_null(msp_public(&none, &cause));
		assert_non_null(strstr(cause, "not made yet"));
		free(cause);
		org_free(&none);
	}
	org_free(&org);
}

/* Checked by a tool we did not write: the openssl command. */
static void
test_openssl_verify(void **state)
{
	struct msp_org org = org_new();
	char *cmd;

	(void)state;
	org_build(&org);
	cmd = xasprintf("cd '%s' && openssl verify -CAfile tlsca/tlsca." DOMAIN
	    "-cert.pem -purpose sslserver peers/peer0." DOMAIN "/tls/server.crt"
	    " && openssl verify -CAfile tlsca/tlsca." DOMAIN "-cert.pem -purpose "
	    "sslclient orderers/orderer0." DOMAIN "/tls/server.crt && openssl "
	    "verify -CAfile ca/ca." DOMAIN "-cert.pem users/Admin@" DOMAIN
	    "/msp/signcerts/Admin@" DOMAIN "-cert.pem && openssl pkey -in "
	    "peers/peer0." DOMAIN "/msp/keystore/priv_sk -noout", org.dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	/* And it refuses a cert against the wrong CA. */
	cmd = xasprintf("cd '%s' && openssl verify -CAfile ca/ca." DOMAIN
	    "-cert.pem peers/peer0." DOMAIN "/tls/server.crt >/dev/null 2>&1",
	    org.dir);
	assert_int_not_equal(system(cmd), 0);
	free(cmd);
	org_free(&org);
}

static void
test_bad_input(void **state)
{
	static const char *const comma[] = { "a.example.com,URI:x", NULL };
	static const char *const slash[] = { "a/b", NULL };
	struct msp_org org = org_new(), bad;
	struct msp_node n = { .name = "peer0", .role = MSP_ROLE_PEER };
	unsigned changes = 0;
	char *cause = NULL;

	(void)state;
	/* Nodes before the org's CAs. */
	assert_int_equal(msp_node_ensure(&org, &n, &changes, &cause), -1);
	assert_non_null(strstr(cause, "not made yet"));
	free(cause);
	org_build(&org);

	n.name = "../x";
	assert_int_equal(msp_node_ensure(&org, &n, &changes, &cause), -1);
	assert_non_null(strstr(cause, "not a DNS label"));
	free(cause);
	n.name = "peer9";
	n.hosts = comma;
	assert_int_equal(msp_node_ensure(&org, &n, &changes, &cause), -1);
	assert_non_null(strstr(cause, "neither an IP address nor a DNS name"));
	free(cause);
	n.hosts = slash;
	assert_int_equal(msp_node_ensure(&org, &n, &changes, &cause), -1);
	free(cause);
	assert_false(exists_at(&org, "peers/peer9." DOMAIN));

	/* User1 is a client: asking for it as an admin is refused. */
	n.name = "User1";
	n.role = MSP_ROLE_ADMIN;
	n.hosts = NULL;
	assert_int_equal(msp_node_ensure(&org, &n, &changes, &cause), -1);
	assert_non_null(strstr(cause, "not a NodeOU admin identity"));
	free(cause);

	bad = org;
	bad.domain = "org1..example.com";
	assert_int_equal(msp_org_ensure(&bad, &changes, &cause), -1);
	assert_non_null(strstr(cause, "not a DNS name"));
	free(cause);
	/* The same directory for another domain. */
	bad.domain = "org2.example.com";
	assert_int_equal(msp_org_ensure(&bad, &changes, &cause), -1);
	assert_non_null(strstr(cause, "another domain"));
	free(cause);
	assert_false(exists_at(&org, "ca/ca.org2.example.com-cert.pem"));
	bad.mspid = "";
	assert_int_equal(msp_org_ensure(&bad, &changes, &cause), -1);
	free(cause);
	org_free(&org);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_and_contents),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_lost_certs),
		cmocka_unit_test(test_mismatch_is_an_error),
		cmocka_unit_test(test_leaf_mismatch),
		cmocka_unit_test(test_host_added),
		cmocka_unit_test(test_node_added_later),
		cmocka_unit_test(test_public),
		cmocka_unit_test(test_openssl_verify),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
