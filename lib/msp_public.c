/*
 * msp_public.c: an org's public MSP (see msp_public in msp.h), read back
 * from the PKI directory msp.c made: root and TLS root CA certificates,
 * the admin's certificate, NodeOUs, and each orderer's TLS certificate,
 * every certificate checked against the org's CAs before it is published.
 */
#include "msp.h"
#include "msp_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pki.h"
#include "xmalloc.h"

/* Reads a certificate that must have been issued by ca; returns its PEM. */
static char *
msp_public_cert(const char *path, X509 *ca, const char *ou, char **cause)
{
	X509 *cert;
	char *pem = NULL;

	if ((cert = pki_cert_read(path, cause)) == NULL)
		return NULL;
	if (!msp_issued_by(ca, cert))
		*cause = xasprintf("%s was not issued by this org's CA", path);
	else if (ou != NULL && !msp_has_ou(cert, ou))
		*cause = xasprintf("%s is not a NodeOU %s identity", path, ou);
	else if ((pem = pki_cert_pem(cert, NULL)) == NULL)
		*cause = pki_ssl_error("cannot encode a certificate");
	X509_free(cert);
	return pem;
}

static int
msp_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The org's orderers (names, sorted). Caller frees each and the array. */
static char **
msp_orderer_names(const struct msp_org *org, size_t *np, char **cause)
{
	struct dirent *de;
	DIR *d;
	char *path, **v;
	size_t n = 0, len, dlen = strlen(org->domain);

	*np = 0;
	v = xcalloc(MSP_MAX_NODES, sizeof(*v));
	path = xasprintf("%s/orderers", org->dir);
	if ((d = opendir(path)) == NULL) {
		if (errno == ENOENT) {
			free(path);
			return v;
		}
		*cause = xasprintf("%s: %s", path, strerror(errno));
		free(path);
		free(v);
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= dlen + 1 || de->d_name[len - dlen - 1] != '.' ||
		    strcmp(de->d_name + len - dlen, org->domain) != 0 ||
		    !msp_valid_label(de->d_name, len - dlen - 1))
			continue;
		if (n == MSP_MAX_NODES) {
			*cause = xasprintf("%s holds more than %d orderers", path,
			    MSP_MAX_NODES);
			break;
		}
		v[n++] = xstrndup(de->d_name, len - dlen - 1);
	}
	closedir(d);
	free(path);
	if (*cause != NULL) {
		while (n > 0)
			free(v[--n]);
		free(v);
		return NULL;
	}
	qsort(v, n, sizeof(*v), msp_cmp_str);
	*np = n;
	return v;
}

static json_t *
msp_ou_identifier(const char *capem, const char *ou)
{
	return json_pack("{s:s, s:s}", "certificate", capem,
	    "organizationalUnitIdentifier", ou);
}

json_t *
msp_public(const struct msp_org *org, char **cause)
{
	struct msp_cas c;
	unsigned changes = 0;
	json_t *ret = NULL, *orderers, *nodeous;
	char *path, *pem, **names = NULL;
	size_t i, n = 0;

	*cause = NULL;
	memset(&c, 0, sizeof(c));
	if (msp_check_org(org, cause) != 0 ||
	    msp_cas_load(org, 0, &c, &changes, cause) != 0)
		goto done;
	path = xasprintf("%s/users/Admin@%s/msp/signcerts/Admin@%s-cert.pem",
	    org->dir, org->domain, org->domain);
	pem = msp_public_cert(path, c.ca, "admin", cause);
	free(path);
	if (pem == NULL)
		goto done;
	nodeous = json_pack("{s:b, s:o, s:o, s:o, s:o}", "enable", 1,
	    "clientOUIdentifier", msp_ou_identifier(c.capem, "client"),
	    "peerOUIdentifier", msp_ou_identifier(c.capem, "peer"),
	    "adminOUIdentifier", msp_ou_identifier(c.capem, "admin"),
	    "ordererOUIdentifier", msp_ou_identifier(c.capem, "orderer"));
	ret = json_pack("{s:s, s:[s], s:[s], s:[s], s:o, s:{}}",
	    "mspId", org->mspid, "rootCerts", c.capem, "tlsRootCerts", c.tlscapem,
	    "adminCerts", pem, "nodeOUs", nodeous, "orderers");
	free(pem);
	if (ret == NULL) {
		*cause = xstrdup("cannot build the org's public MSP as JSON");
		goto done;
	}
	if ((names = msp_orderer_names(org, &n, cause)) == NULL)
		goto fail;
	orderers = json_object_get(ret, "orderers");
	for (i = 0; i < n; i++) {
		path = xasprintf("%s/orderers/%s.%s/tls/server.crt", org->dir,
		    names[i], org->domain);
		pem = msp_public_cert(path, c.tlsca, NULL, cause);
		free(path);
		if (pem == NULL)
			goto fail;
		json_object_set_new(orderers, names[i],
		    json_pack("{s:s}", "tlsCert", pem));
		free(pem);
	}
	goto done;
fail:
	json_decref(ret);
	ret = NULL;
done:
	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
	msp_cas_free(&c);
	return ret;
}
