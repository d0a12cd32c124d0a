/*
 * msp.c: an org's PKI in Fabric's MSP layout (see msp.h), made with
 * OpenSSL through pki.c. Certificate contents follow what Fabric 2.5's
 * cryptogen writes and what real peers and orderers were seen to accept:
 *
 *   CAs      self-signed, CA:TRUE, keyUsage critical digitalSignature,
 *            keyEncipherment, keyCertSign, cRLSign, extendedKeyUsage
 *            serverAuth, clientAuth, SKI; subject O=DOMAIN, CN=ca.DOMAIN
 *            (tlsca.DOMAIN for the TLS CA).
 *   signcert CA:FALSE, keyUsage critical digitalSignature, SKI + AKI;
 *            subject OU=<NodeOU>, CN=NAME.DOMAIN (NAME@DOMAIN for users).
 *   TLS      CA:FALSE, keyUsage critical digitalSignature,keyEncipherment,
 *            extendedKeyUsage serverAuth, clientAuth, SKI + AKI, every host
 *            as a DNS or IP SAN; subject CN=NAME.DOMAIN.
 *
 * Every signature is ECDSA with SHA-256 and low-S, as cryptogen signs.
 * Unlike cryptogen, subjects carry no invented C/ST/L: Fabric reads only
 * the OU. Keys are PKCS#8 PEM named priv_sk, as cryptogen 2.5 names them;
 * Fabric's keystore finds a key by its public key, not by the file name.
 */
#include "msp.h"
#include "msp_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "pki.h"
#include "xmalloc.h"

#define MSP_KEY_FILE "priv_sk"

/* One leaf to ensure. Strings and objects borrowed. */
struct msp_leaf {
	const char *keypath, *certpath;
	X509 *ca;
	EVP_PKEY *cakey;
	const struct pki_subject *subject;
	const char *ou;           /* signcerts: the NodeOU it must carry */
	const char *const *hosts; /* TLS: the SANs it must carry */
};

const char *
msp_role_ou(enum msp_role role)
{
	switch (role) {
	case MSP_ROLE_PEER:
		return "peer";
	case MSP_ROLE_ORDERER:
		return "orderer";
	case MSP_ROLE_ADMIN:
		return "admin";
	case MSP_ROLE_CLIENT:
		return "client";
	}
	return NULL;
}

/* A DNS label: letters, digits and inner hyphens, 1 to 63 bytes. */
int
msp_valid_label(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!isascii((unsigned char)s[i]) ||
		    (!isalnum((unsigned char)s[i]) && s[i] != '-'))
			return 0;
	return 1;
}

/* A DNS name of labels; wildcard allows a leading "*." label. */
static int
msp_valid_dns(const char *s, int wildcard)
{
	const char *dot;
	size_t len = strlen(s);

	if (len == 0 || len > 253)
		return 0;
	if (wildcard && strncmp(s, "*.", 2) == 0)
		s += 2;
	for (;;) {
		dot = strchr(s, '.');
		if (!msp_valid_label(s, dot != NULL ? (size_t)(dot - s) : strlen(s)))
			return 0;
		if (dot == NULL)
			return 1;
		s = dot + 1;
	}
}

/* AF_INET or AF_INET6 when host is an IP address (addr gets its bytes), else 0. */
static int
msp_host_ip(const char *host, unsigned char addr[16])
{
	if (inet_pton(AF_INET, host, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, host, addr) == 1)
		return AF_INET6;
	return 0;
}

int
msp_check_org(const struct msp_org *org, char **cause)
{
	if (org == NULL || org->dir == NULL || org->dir[0] == '\0') {
		*cause = xstrdup("the org's PKI directory is not set");
		return -1;
	}
	if (org->mspid == NULL || org->mspid[0] == '\0' || strlen(org->mspid) > 128) {
		*cause = xstrdup("the org's MSP ID must be 1 to 128 bytes");
		return -1;
	}
	if (org->domain == NULL || !msp_valid_dns(org->domain, 0)) {
		*cause = xasprintf("the org's domain \"%s\" is not a DNS name",
		    org->domain != NULL ? org->domain : "");
		return -1;
	}
	return 0;
}

static int
msp_check_node(const struct msp_node *node, char **cause)
{
	unsigned char addr[16];
	size_t i;

	if (node == NULL || node->name == NULL ||
	    !msp_valid_label(node->name, strlen(node->name))) {
		*cause = xasprintf("node name \"%s\" is not a DNS label (letters, "
		    "digits, inner hyphens, at most 63)",
		    node != NULL && node->name != NULL ? node->name : "");
		return -1;
	}
	if (msp_role_ou(node->role) == NULL) {
		*cause = xasprintf("node %s has no known role", node->name);
		return -1;
	}
	for (i = 0; node->hosts != NULL && node->hosts[i] != NULL; i++) {
		if (i >= MSP_MAX_HOSTS) {
			*cause = xasprintf("node %s has more than %d hosts",
			    node->name, MSP_MAX_HOSTS);
			return -1;
		}
		if (msp_host_ip(node->hosts[i], addr) == 0 &&
		    !msp_valid_dns(node->hosts[i], 1)) {
			*cause = xasprintf("host \"%s\" of node %s is neither an "
			    "IP address nor a DNS name", node->hosts[i], node->name);
			return -1;
		}
	}
	return 0;
}

/* 1 if path exists, 0 if not, -1 with *cause on another error. */
static int
msp_exists(const char *path, char **cause)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	*cause = xasprintf("%s: %s", path, strerror(errno));
	return -1;
}

/* Makes a directory with mode if missing; a directory that holds keys
 * (private != 0) is also tightened to mode if it is looser. */
static int
msp_mkdir(const char *path, mode_t mode, int private, char **cause)
{
	struct stat st;

	if (mkdir(path, mode) == 0) {
		/* The umask may have narrowed it; set it exactly. */
		if (chmod(path, mode) == 0)
			return 0;
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (errno != EEXIST || stat(path, &st) != 0) {
		*cause = xasprintf("cannot make directory %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		*cause = xasprintf("%s is not a directory", path);
		return -1;
	}
	if (private && (st.st_mode & 077 & ~mode) != 0 && chmod(path, mode) != 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Makes each of the NULL-terminated paths under base, mode 0755. */
static int
msp_mkdirs(const char *base, const char *const *subs, char **cause)
{
	char *p;
	int rc = 0;
	size_t i;

	for (i = 0; subs[i] != NULL && rc == 0; i++) {
		p = xasprintf("%s/%s", base, subs[i]);
		rc = msp_mkdir(p, 0755, 0, cause);
		free(p);
	}
	return rc;
}

/* Reads a whole small file. NULL with errno ENOENT if missing (no cause),
 * else NULL + *cause. Caller frees. */
static char *
msp_slurp(const char *path, size_t *lenp, char **cause)
{
	struct stat st;
	char *data = NULL;
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno != ENOENT)
			*cause = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > PKI_MAX_PEM) {
		*cause = xasprintf("%s: not a regular file under %ld bytes", path,
		    PKI_MAX_PEM);
		goto fail;
	}
	data = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		n = read(fd, data + off, (size_t)st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*cause = xasprintf("%s: %s", path,
			    n == 0 ? "shorter than its size" : strerror(errno));
			goto fail;
		}
		off += (size_t)n;
	}
	data[off] = '\0';
	close(fd);
	*lenp = off;
	return data;
fail:
	free(data);
	close(fd);
	errno = EIO;
	return NULL;
}

/* Writes a derived (public) file unless it already holds exactly data. */
static int
msp_put(const char *path, const char *data, unsigned *changes, char **cause)
{
	char *old;
	size_t oldlen = 0, len = strlen(data);
	int same;

	old = msp_slurp(path, &oldlen, cause);
	if (old == NULL && errno != ENOENT)
		return -1;
	same = old != NULL && oldlen == len && memcmp(old, data, len) == 0;
	free(old);
	if (same)
		return 0;
	if (pki_file_write(path, data, len, 0644, cause) != 0)
		return -1;
	*changes |= MSP_UPDATED;
	return 0;
}

/* Refuses a CA directory that holds another domain's certificate. */
static int
msp_check_foreign(const char *sub, const char *want, char **cause)
{
	struct dirent *de;
	DIR *d;
	size_t len;
	int ret = 0;

	if ((d = opendir(sub)) == NULL) {
		*cause = xasprintf("%s: %s", sub, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len > 9 && strcmp(de->d_name + len - 9, "-cert.pem") == 0 &&
		    strcmp(de->d_name, want) != 0) {
			*cause = xasprintf("%s holds %s, not %s: this directory was "
			    "made for another domain; use another directory",
			    sub, de->d_name, want);
			ret = -1;
			break;
		}
	}
	closedir(d);
	return ret;
}

/* Checks that key is an ECDSA P-256 key. */
static int
msp_check_key(const char *path, EVP_PKEY *key, char **cause)
{
	char group[32];

	if (!EVP_PKEY_is_a(key, "EC") || EVP_PKEY_get_group_name(key, group,
	    sizeof(group), NULL) != 1 || strcmp(group, "prime256v1") != 0) {
		*cause = xasprintf("%s is not an ECDSA P-256 key", path);
		return -1;
	}
	return 0;
}

/* Reads the key at path, or makes and writes it when neither it nor its
 * certificate exists. *fresh = 1 when the key is new. */
static EVP_PKEY *
msp_key(const char *keypath, const char *certpath, int *fresh, char **cause)
{
	EVP_PKEY *key;
	int ek, ec;

	*fresh = 0;
	if ((ek = msp_exists(keypath, cause)) == -1 ||
	    (ec = msp_exists(certpath, cause)) == -1)
		return NULL;
	if (ek == 1) {
		if ((key = pki_key_read(keypath, cause)) == NULL)
			return NULL;
		if (msp_check_key(keypath, key, cause) != 0) {
			EVP_PKEY_free(key);
			return NULL;
		}
		return key;
	}
	if (ec == 1) {
		*cause = xasprintf("%s exists but its key %s is gone: that "
		    "identity cannot sign any more; remove the certificate to "
		    "make a new identity", certpath, keypath);
		return NULL;
	}
	if ((key = pki_key_new()) == NULL) {
		*cause = pki_ssl_error("cannot make an ECDSA P-256 key");
		return NULL;
	}
	if (pki_key_write(keypath, key, cause) != 0) {
		EVP_PKEY_free(key);
		return NULL;
	}
	*fresh = 1;
	return key;
}

/* Time formatted for messages. */
static void
msp_time(const ASN1_TIME *t, char *out, size_t len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int n;

	out[0] = '\0';
	if (bio == NULL)
		return;
	if (ASN1_TIME_print(bio, t) == 1 && (n = BIO_read(bio, out,
	    (int)len - 1)) > 0)
		out[n] = '\0';
	BIO_free(bio);
}

/* Loads (or, with create, makes the missing parts of) a CA in sub. */
static int
msp_ca(const char *sub, const char *cn, const char *o, int create, X509 **certp,
    EVP_PKEY **keyp, unsigned *changes, char **cause)
{
	struct pki_subject s = { .cn = cn, .o = o, .days = MSP_CA_DAYS,
	    .server = 1, .client = 1, .low_s = 1 };
	char *certname, *certpath, *keypath, when[64];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int ret = -1, fresh = 0, ec;
	time_t soon;

	certname = xasprintf("%s-cert.pem", cn);
	certpath = xasprintf("%s/%s", sub, certname);
	keypath = xasprintf("%s/%s", sub, MSP_KEY_FILE);
	if (create && msp_mkdir(sub, 0700, 1, cause) != 0)
		goto done;
	if (!create && (ec = msp_exists(keypath, cause)) != 1) {
		if (ec == 0)
			*cause = xasprintf("%s does not exist: the org's CAs are "
			    "not made yet", keypath);
		goto done;
	}
	if (msp_check_foreign(sub, certname, cause) != 0)
		goto done;
	if ((key = msp_key(keypath, certpath, &fresh, cause)) == NULL)
		goto done;
	if ((ec = msp_exists(certpath, cause)) == -1)
		goto done;
	if (ec == 0 && !create) {
		*cause = xasprintf("%s does not exist: the org's CAs are not "
		    "made yet", certpath);
		goto done;
	}
	if (ec == 0) {
		/* A new CA, or one whose certificate was lost before it was
		 * written: the same key and subject make an equivalent CA. */
		if ((cert = pki_ca_new(key, &s, cause)) == NULL ||
		    pki_cert_write(certpath, cert, cause) != 0)
			goto done;
		*changes |= fresh ? MSP_CREATED : MSP_REISSUED;
		if (!fresh)
			log_info("%s: CA certificate made again for its existing key",
			    certpath);
	} else if ((cert = pki_cert_read(certpath, cause)) == NULL)
		goto done;

	if (X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		*cause = xasprintf("%s does not belong to the key %s; refusing to "
		    "replace either: put back the matching pair, or remove both "
		    "to make a new CA (every identity of the org then changes)",
		    certpath, keypath);
		goto done;
	}
	if (X509_check_ca(cert) < 1 || X509_get0_subject_key_id(cert) == NULL ||
	    X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) != 0 ||
	    X509_verify(cert, key) != 1) {
		ERR_clear_error();
		*cause = xasprintf("%s is not a self-signed CA certificate with a "
		    "subject key identifier", certpath);
		goto done;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0) {
		msp_time(X509_get0_notAfter(cert), when, sizeof(when));
		*cause = xasprintf("the CA %s expired on %s; the org needs a new CA",
		    certpath, when);
		goto done;
	}
	soon = time(NULL) + (time_t)MSP_RENEW_DAYS * 86400;
	if (X509_cmp_time(X509_get0_notAfter(cert), &soon) < 0) {
		msp_time(X509_get0_notAfter(cert), when, sizeof(when));
		log_warnx("the CA %s expires on %s", certpath, when);
	}
	*certp = cert;
	*keyp = key;
	cert = NULL;
	key = NULL;
	ret = 0;
done:
	X509_free(cert);
	EVP_PKEY_free(key);
	free(certname);
	free(certpath);
	free(keypath);
	return ret;
}

void
msp_cas_free(struct msp_cas *c)
{
	X509_free(c->ca);
	X509_free(c->tlsca);
	EVP_PKEY_free(c->cakey);
	EVP_PKEY_free(c->tlscakey);
	free(c->capem);
	free(c->tlscapem);
	free(c->cafile);
	free(c->tlscafile);
	memset(c, 0, sizeof(*c));
}

int
msp_cas_load(const struct msp_org *org, int create, struct msp_cas *c,
    unsigned *changes, char **cause)
{
	char *sub, *cn;
	int rc;

	memset(c, 0, sizeof(*c));
	cn = xasprintf("ca.%s", org->domain);
	sub = xasprintf("%s/ca", org->dir);
	rc = msp_ca(sub, cn, org->domain, create, &c->ca, &c->cakey, changes, cause);
	c->cafile = xasprintf("%s-cert.pem", cn);
	free(sub);
	free(cn);
	if (rc != 0)
		goto fail;
	cn = xasprintf("tlsca.%s", org->domain);
	sub = xasprintf("%s/tlsca", org->dir);
	rc = msp_ca(sub, cn, org->domain, create, &c->tlsca, &c->tlscakey,
	    changes, cause);
	c->tlscafile = xasprintf("%s-cert.pem", cn);
	free(sub);
	free(cn);
	if (rc != 0)
		goto fail;
	if ((c->capem = pki_cert_pem(c->ca, NULL)) == NULL ||
	    (c->tlscapem = pki_cert_pem(c->tlsca, NULL)) == NULL) {
		*cause = pki_ssl_error("cannot encode a CA certificate");
		goto fail;
	}
	return 0;
fail:
	msp_cas_free(c);
	return -1;
}

/* 1 if cert was issued and signed by ca. */
int
msp_issued_by(X509 *ca, X509 *cert)
{
	int ok;

	ok = X509_check_issued(ca, cert) == X509_V_OK &&
	    X509_verify(cert, X509_get0_pubkey(ca)) == 1;
	ERR_clear_error();
	return ok;
}

/* 1 if the subject of cert has an OU equal to ou. */
int
msp_has_ou(X509 *cert, const char *ou)
{
	X509_NAME *name = X509_get_subject_name(cert);
	const ASN1_STRING *v;
	int i = -1;

	while ((i = X509_NAME_get_index_by_NID(name, NID_organizationalUnitName,
	    i)) >= 0) {
		v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
		if ((size_t)ASN1_STRING_length(v) == strlen(ou) &&
		    memcmp(ASN1_STRING_get0_data(v), ou, strlen(ou)) == 0)
			return 1;
	}
	return 0;
}

/* 1 if cert has host as a SAN: DNS names compared without case, IP
 * addresses by their bytes. */
static int
msp_has_host(X509 *cert, const char *host)
{
	GENERAL_NAMES *names;
	unsigned char addr[16];
	int af, i, found = 0;
	size_t alen;

	af = msp_host_ip(host, addr);
	alen = af == AF_INET ? 4 : 16;
	if ((names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL)) == NULL)
		return 0;
	for (i = 0; i < sk_GENERAL_NAME_num(names) && !found; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		const ASN1_STRING *v;

		if (af != 0 && gn->type == GEN_IPADD) {
			v = gn->d.iPAddress;
			found = (size_t)ASN1_STRING_length(v) == alen &&
			    memcmp(ASN1_STRING_get0_data(v), addr, alen) == 0;
		} else if (af == 0 && gn->type == GEN_DNS) {
			v = gn->d.dNSName;
			found = (size_t)ASN1_STRING_length(v) == strlen(host) &&
			    strncasecmp((const char *)ASN1_STRING_get0_data(v), host,
			    strlen(host)) == 0;
		}
	}
	GENERAL_NAMES_free(names);
	return found;
}

/* Makes or keeps one key + certificate (see struct msp_leaf). */
static int
msp_leaf_ensure(const struct msp_leaf *l, unsigned *changes, char **cause)
{
	EVP_PKEY *key;
	X509 *cert = NULL;
	char *why = NULL, when[64];
	int ret = -1, fresh, ec;
	time_t soon;
	size_t i;

	if ((key = msp_key(l->keypath, l->certpath, &fresh, cause)) == NULL)
		return -1;
	if ((ec = msp_exists(l->certpath, cause)) == -1)
		goto done;
	if (ec == 0)
		why = xstrdup("it was missing");
	else {
		if ((cert = pki_cert_read(l->certpath, cause)) == NULL)
			goto done;
		if (X509_check_private_key(cert, key) != 1) {
			ERR_clear_error();
			*cause = xasprintf("%s does not belong to the key %s; refusing "
			    "to replace either: put back the matching pair, or remove "
			    "both to make a new identity", l->certpath, l->keypath);
			goto done;
		}
		if (!msp_issued_by(l->ca, cert)) {
			*cause = xasprintf("%s was not issued by this org's CA; "
			    "remove the node's directory to make it a new identity",
			    l->certpath);
			goto done;
		}
		if (l->ou != NULL && !msp_has_ou(cert, l->ou)) {
			*cause = xasprintf("%s is not a NodeOU %s identity; a node "
			    "keeps its role: remove its directory to make another",
			    l->certpath, l->ou);
			goto done;
		}
		for (i = 0; l->hosts != NULL && l->hosts[i] != NULL && why == NULL; i++)
			if (!msp_has_host(cert, l->hosts[i]))
				why = xasprintf("it lacked host %s", l->hosts[i]);
		soon = time(NULL) + (time_t)MSP_RENEW_DAYS * 86400;
		if (why == NULL && X509_cmp_time(X509_get0_notAfter(cert), &soon) < 0) {
			msp_time(X509_get0_notAfter(cert), when, sizeof(when));
			why = xasprintf("it ends on %s", when);
		}
		if (why == NULL) {
			ret = 0;
			goto done;
		}
		X509_free(cert);
	}
	if ((cert = pki_issue(l->ca, l->cakey, key, l->subject, cause)) == NULL ||
	    pki_cert_write(l->certpath, cert, cause) != 0)
		goto done;
	if (fresh)
		*changes |= MSP_CREATED;
	else {
		*changes |= MSP_REISSUED;
		log_info("%s: issued again for its existing key because %s",
		    l->certpath, why);
	}
	ret = 0;
done:
	free(why);
	X509_free(cert);
	EVP_PKEY_free(key);
	return ret;
}

static const char *
msp_role_dir(enum msp_role role)
{
	return role == MSP_ROLE_PEER ? "peers" : role == MSP_ROLE_ORDERER ?
	    "orderers" : "users";
}

/* NAME.DOMAIN for nodes, NAME@DOMAIN for users. Caller frees. */
static char *
msp_fqdn(const struct msp_org *org, const struct msp_node *node)
{
	int user = node->role == MSP_ROLE_ADMIN || node->role == MSP_ROLE_CLIENT;

	return xasprintf("%s%c%s", node->name, user ? '@' : '.', org->domain);
}

char *
msp_node_dir(const struct msp_org *org, const struct msp_node *node)
{
	char *fqdn = msp_fqdn(org, node), *ret;

	ret = xasprintf("%s/%s/%s", org->dir, msp_role_dir(node->role), fqdn);
	free(fqdn);
	return ret;
}

/* config.yaml: NodeOUs on, each OU tied to the root CA file in cacerts/. */
static char *
msp_config_yaml(const char *cafile)
{
	return xasprintf(
	    "NodeOUs:\n"
	    "  Enable: true\n"
	    "  ClientOUIdentifier:  {Certificate: cacerts/%s, OrganizationalUnitIdentifier: client}\n"
	    "  PeerOUIdentifier:    {Certificate: cacerts/%s, OrganizationalUnitIdentifier: peer}\n"
	    "  AdminOUIdentifier:   {Certificate: cacerts/%s, OrganizationalUnitIdentifier: admin}\n"
	    "  OrdererOUIdentifier: {Certificate: cacerts/%s, OrganizationalUnitIdentifier: orderer}\n",
	    cafile, cafile, cafile, cafile);
}

/* Writes mspdir/{cacerts,tlscacerts,config.yaml} (the public part). */
static int
msp_verifying(const char *mspdir, const struct msp_cas *c, unsigned *changes,
    char **cause)
{
	static const char *const subs[] = { "cacerts", "tlscacerts", NULL };
	char *p = NULL, *yaml;
	int ret = -1;

	if (msp_mkdir(mspdir, 0755, 0, cause) != 0 ||
	    msp_mkdirs(mspdir, subs, cause) != 0)
		return -1;
	p = xasprintf("%s/cacerts/%s", mspdir, c->cafile);
	if (msp_put(p, c->capem, changes, cause) != 0)
		goto done;
	free(p);
	p = xasprintf("%s/tlscacerts/%s", mspdir, c->tlscafile);
	if (msp_put(p, c->tlscapem, changes, cause) != 0)
		goto done;
	free(p);
	p = xasprintf("%s/config.yaml", mspdir);
	yaml = msp_config_yaml(c->cafile);
	ret = msp_put(p, yaml, changes, cause);
	free(yaml);
done:
	free(p);
	return ret;
}

/* The SAN list of a node: NAME.DOMAIN and NAME for peers and orderers
 * (as cryptogen), then the hosts asked for, without repeats. Caller frees
 * the array (the strings are fqdn, name or borrowed from node). */
static const char **
msp_sans(const struct msp_node *node, const char *fqdn)
{
	const char **v;
	size_t n = 0, i, j;
	int dup;

	v = xcalloc(MSP_MAX_HOSTS + 3, sizeof(*v));
	if (node->role == MSP_ROLE_PEER || node->role == MSP_ROLE_ORDERER) {
		v[n++] = fqdn;
		v[n++] = node->name;
	}
	for (i = 0; node->hosts != NULL && node->hosts[i] != NULL; i++) {
		for (dup = 0, j = 0; j < n && !dup; j++)
			dup = strcasecmp(v[j], node->hosts[i]) == 0;
		if (!dup)
			v[n++] = node->hosts[i];
	}
	v[n] = NULL;
	return v;
}

/* Splits SANs into DNS names and IP addresses (NULL-terminated; caller
 * frees both arrays, the strings are borrowed). */
static void
msp_split_sans(const char *const *sans, const char ***dns, const char ***ips)
{
	unsigned char addr[16];
	size_t i, nd = 0, ni = 0;

	for (i = 0; sans[i] != NULL; i++)
		;
	*dns = xcalloc(i + 1, sizeof(**dns));
	*ips = xcalloc(i + 1, sizeof(**ips));
	for (i = 0; sans[i] != NULL; i++) {
		if (msp_host_ip(sans[i], addr) != 0)
			(*ips)[ni++] = sans[i];
		else
			(*dns)[nd++] = sans[i];
	}
}

static int
msp_node_make(const struct msp_org *org, const struct msp_cas *c,
    const struct msp_node *node, unsigned *changes, char **cause)
{
	static const char *const subs[] = { "signcerts", NULL };
	int user = node->role == MSP_ROLE_ADMIN || node->role == MSP_ROLE_CLIENT;
	const char *tlsname = user ? "client" : "server";
	char *fqdn, *top, *nodedir, *mspdir, *p = NULL, *keypath = NULL, *certpath = NULL;
	const char **sans, **dns = NULL, **ips = NULL;
	struct pki_subject sign = { 0 }, tls = { 0 };
	struct msp_leaf leaf;
	int ret = -1;

	fqdn = msp_fqdn(org, node);
	top = xasprintf("%s/%s", org->dir, msp_role_dir(node->role));
	nodedir = msp_node_dir(org, node);
	mspdir = xasprintf("%s/msp", nodedir);
	sans = msp_sans(node, fqdn);
	msp_split_sans(sans, &dns, &ips);

	if (msp_mkdir(top, 0755, 0, cause) != 0 ||
	    msp_mkdir(nodedir, 0755, 0, cause) != 0 ||
	    msp_verifying(mspdir, c, changes, cause) != 0 ||
	    msp_mkdirs(mspdir, subs, cause) != 0)
		goto done;
	p = xasprintf("%s/keystore", mspdir);
	if (msp_mkdir(p, 0700, 1, cause) != 0)
		goto done;

	/* The signing identity, from the root CA, NodeOU in the OU. */
	sign.cn = fqdn;
	sign.ou = msp_role_ou(node->role);
	sign.days = MSP_LEAF_DAYS;
	sign.low_s = 1;
	keypath = xasprintf("%s/%s", p, MSP_KEY_FILE);
	certpath = xasprintf("%s/signcerts/%s-cert.pem", mspdir, fqdn);
	memset(&leaf, 0, sizeof(leaf));
	leaf.keypath = keypath;
	leaf.certpath = certpath;
	leaf.ca = c->ca;
	leaf.cakey = c->cakey;
	leaf.subject = &sign;
	leaf.ou = sign.ou;
	if (msp_leaf_ensure(&leaf, changes, cause) != 0)
		goto done;

	/* TLS, from the TLS CA, usable as server and as client. */
	free(p);
	p = xasprintf("%s/tls", nodedir);
	if (msp_mkdir(p, 0700, 1, cause) != 0)
		goto done;
	free(keypath);
	free(certpath);
	keypath = xasprintf("%s/%s.key", p, tlsname);
	certpath = xasprintf("%s/%s.crt", p, tlsname);
	tls.cn = fqdn;
	tls.dns = dns;
	tls.ips = ips;
	tls.days = MSP_LEAF_DAYS;
	tls.server = 1;
	tls.client = 1;
	tls.low_s = 1;
	memset(&leaf, 0, sizeof(leaf));
	leaf.keypath = keypath;
	leaf.certpath = certpath;
	leaf.ca = c->tlsca;
	leaf.cakey = c->tlscakey;
	leaf.subject = &tls;
	leaf.hosts = sans;
	if (msp_leaf_ensure(&leaf, changes, cause) != 0)
		goto done;
	free(p);
	p = xasprintf("%s/tls/ca.crt", nodedir);
	if (msp_put(p, c->tlscapem, changes, cause) != 0)
		goto done;
	ret = 0;
done:
	free(sans);
	free(dns);
	free(ips);
	free(p);
	free(keypath);
	free(certpath);
	free(mspdir);
	free(nodedir);
	free(top);
	free(fqdn);
	return ret;
}

int
msp_org_ensure(const struct msp_org *org, unsigned *changesp, char **cause)
{
	static const char *const users[] = { "Admin", "User1" };
	struct msp_node node;
	struct msp_cas c;
	unsigned changes = 0;
	char *p;
	int ret = -1;
	size_t i;

	*cause = NULL;
	memset(&c, 0, sizeof(c));
	if (msp_check_org(org, cause) != 0 ||
	    msp_mkdir(org->dir, 0700, 0, cause) != 0 ||
	    msp_cas_load(org, 1, &c, &changes, cause) != 0)
		goto done;
	p = xasprintf("%s/msp", org->dir);
	ret = msp_verifying(p, &c, &changes, cause);
	free(p);
	if (ret != 0)
		goto done;
	ret = -1;
	for (i = 0; i < 2; i++) {
		memset(&node, 0, sizeof(node));
		node.name = users[i];
		node.role = i == 0 ? MSP_ROLE_ADMIN : MSP_ROLE_CLIENT;
		if (msp_node_make(org, &c, &node, &changes, cause) != 0)
			goto done;
	}
	ret = 0;
done:
	msp_cas_free(&c);
	if (changesp != NULL)
		*changesp = changes;
	return ret;
}

int
msp_node_ensure(const struct msp_org *org, const struct msp_node *node,
    unsigned *changesp, char **cause)
{
	struct msp_cas c;
	unsigned changes = 0;
	int ret = -1;

	*cause = NULL;
	memset(&c, 0, sizeof(c));
	if (msp_check_org(org, cause) != 0 || msp_check_node(node, cause) != 0 ||
	    msp_cas_load(org, 0, &c, &changes, cause) != 0)
		goto done;
	ret = msp_node_make(org, &c, node, &changes, cause);
done:
	msp_cas_free(&c);
	if (changesp != NULL)
		*changesp = changes;
	return ret;
}
