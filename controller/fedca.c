/*
 * fedca.c: the federation CA and the controller's identities.
 */
#include "fedca.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "log.h"
#include "pki.h"
#include "xmalloc.h"

#define FEDCA_CA_DAYS     3650
#define FEDCA_LEAF_DAYS   825

static int
fedca_exists(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	int ret = access(p, F_OK) == 0;

	free(p);
	return ret;
}

/* Issues name.crt/name.key with s unless name.crt exists. */
static int
fedca_leaf(const char *dir, const char *name, X509 *ca, EVP_PKEY *cakey,
    const struct pki_subject *s, char **cause)
{
	char *crt = xasprintf("%s/%s.crt", dir, name);
	char *keyp = xasprintf("%s/%s.key", dir, name);
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int ret = -1;

	if (access(crt, F_OK) == 0) {
		ret = 0;
		goto done;
	}
	/* A key left by an interrupted run is reused, never replaced. */
	if (access(keyp, F_OK) == 0)
		key = pki_key_read(keyp, cause);
	else if ((key = pki_key_new()) != NULL && pki_key_write(keyp, key, cause) != 0)
		goto done;
	if (key == NULL) {
		if (*cause == NULL)
			*cause = pki_ssl_error("cannot make a key");
		goto done;
	}
	if ((cert = pki_issue(ca, cakey, key, s, cause)) == NULL ||
	    pki_cert_write(crt, cert, cause) != 0)
		goto done;
	log_info("wrote %s", crt);
	ret = 0;
done:
	EVP_PKEY_free(key);
	X509_free(cert);
	free(crt);
	free(keyp);
	return ret;
}

static int
fedca_write_conf(const char *dir, const char *url, char **cause)
{
	char absdir[PATH_MAX], *path, *ca, *crt, *key, *text = NULL;
	json_t *conf;
	int ret = -1;

	if (realpath(dir, absdir) == NULL) {
		*cause = xasprintf("%s: %s", dir, strerror(errno));
		return -1;
	}
	path = xasprintf("%s/admin.conf", absdir);
	ca = xasprintf("%s/ca.crt", absdir);
	crt = xasprintf("%s/admin.crt", absdir);
	key = xasprintf("%s/admin.key", absdir);
	conf = json_pack("{s:s, s:s, s:s, s:s}", "controller", url, "ca", ca,
	    "cert", crt, "key", key);
	if (conf == NULL || (text = json_dumps(conf, JSON_INDENT(2))) == NULL) {
		*cause = xstrdup("cannot encode admin.conf");
		goto done;
	}
	if (pki_file_write(path, text, strlen(text), 0600, cause) != 0)
		goto done;
	ret = 0;
done:
	json_decref(conf);
	free(text);
	free(path);
	free(ca);
	free(crt);
	free(key);
	return ret;
}

int
fedca_set_url(const char *dir, const char *url, char **cause)
{
	char *path = xasprintf("%s/admin.conf", dir), *text = NULL;
	json_error_t jerr;
	json_t *conf = NULL;
	int ret = -1;

	if (access(path, F_OK) != 0) {
		ret = 0;
		goto done;
	}
	if ((conf = json_load_file(path, 0, &jerr)) == NULL || !json_is_object(conf)) {
		*cause = xasprintf("%s: %s", path, conf == NULL ? jerr.text : "not an object");
		goto done;
	}
	json_object_set_new(conf, "controller", json_string(url));
	if ((text = json_dumps(conf, JSON_INDENT(2))) == NULL) {
		*cause = xstrdup("cannot encode admin.conf");
		goto done;
	}
	ret = pki_file_write(path, text, strlen(text), 0600, cause);
done:
	json_decref(conf);
	free(text);
	free(path);
	return ret;
}

/* mkdir -p: parents 0755, the state directory itself 0700. */
static int
fedca_mkdirs(const char *dir, char **cause)
{
	char *p = xstrdup(dir), *s;
	int ret = -1;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			*cause = xasprintf("%s: %s", p, strerror(errno));
			goto done;
		}
		*s = '/';
	}
	if (mkdir(p, 0700) != 0 && errno != EEXIST) {
		*cause = xasprintf("%s: %s", p, strerror(errno));
		goto done;
	}
	ret = 0;
done:
	free(p);
	return ret;
}

int
fedca_init(const char *dir, const char *url, const char *sans, int *created,
    char **cause)
{
	const char *dns[34] = { "localhost" }, *ips[34] = { "127.0.0.1", "::1" };
	const char *uris[] = { FEDCA_ADMIN_URI, NULL };
	size_t ndns = 1, nips = 2;
	char *capath = xasprintf("%s/ca.crt", dir), *cakeyp = xasprintf("%s/ca.key", dir);
	char *sancopy = sans != NULL ? xstrdup(sans) : NULL, *tok, *save = NULL;
	EVP_PKEY *cakey = NULL;
	X509 *ca = NULL;
	struct pki_subject s;
	int ret = -1;

	*created = 0;
	if (fedca_mkdirs(dir, cause) != 0)
		goto done;
	for (tok = sancopy != NULL ? strtok_r(sancopy, ",", &save) : NULL;
	    tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		unsigned char addr[16];
		int isip = inet_pton(AF_INET, tok, addr) == 1 ||
		    inet_pton(AF_INET6, tok, addr) == 1;

		if (*tok == '\0')
			continue;
		if ((isip ? nips : ndns) >= 32) {
			*cause = xstrdup("--san: at most 32 names and 32 addresses");
			goto done;
		}
		if (isip)
			ips[nips++] = tok;
		else
			dns[ndns++] = tok;
	}
	dns[ndns] = NULL;
	ips[nips] = NULL;

	if (fedca_exists(dir, "ca.crt")) {
		if ((ca = pki_cert_read(capath, cause)) == NULL ||
		    (cakey = pki_key_read(cakeyp, cause)) == NULL)
			goto done;
		if (X509_check_private_key(ca, cakey) != 1) {
			*cause = xasprintf("%s does not match %s", cakeyp, capath);
			goto done;
		}
		log_info("federation CA exists in %s: keeping it", dir);
	} else {
		memset(&s, 0, sizeof(s));
		s.cn = "fabfed federation CA";
		s.o = "fabfed";
		s.days = FEDCA_CA_DAYS;
		if (fedca_exists(dir, "ca.key"))
			cakey = pki_key_read(cakeyp, cause);
		else if ((cakey = pki_key_new()) != NULL &&
		    pki_key_write(cakeyp, cakey, cause) != 0)
			goto done;
		if (cakey == NULL) {
			if (*cause == NULL)
				*cause = pki_ssl_error("cannot make the CA key");
			goto done;
		}
		if ((ca = pki_ca_new(cakey, &s, cause)) == NULL ||
		    pki_cert_write(capath, ca, cause) != 0)
			goto done;
		*created = 1;
		log_info("created federation CA %s", capath);
	}

	memset(&s, 0, sizeof(s));
	s.cn = "fabfed-controller";
	s.o = "fabfed";
	s.dns = dns;
	s.ips = ips;
	s.days = FEDCA_LEAF_DAYS;
	s.server = 1;
	if (fedca_leaf(dir, "server", ca, cakey, &s, cause) != 0)
		goto done;

	memset(&s, 0, sizeof(s));
	s.cn = "admin";
	s.o = "fabfed";
	s.ou = "admin";
	s.uris = uris;
	s.days = FEDCA_LEAF_DAYS;
	s.client = 1;
	if (fedca_leaf(dir, "admin", ca, cakey, &s, cause) != 0)
		goto done;
	if (!fedca_exists(dir, "admin.conf") && fedca_write_conf(dir, url, cause) != 0)
		goto done;
	ret = 0;
done:
	EVP_PKEY_free(cakey);
	X509_free(ca);
	free(capath);
	free(cakeyp);
	free(sancopy);
	return ret;
}
