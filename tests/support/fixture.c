/*
 * fixture.c: the set-up the C tests share (see fixture.h).
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "fixture.h"
#include "msp.h"
#include "topology.h"
#include "xmalloc.h"

const char *const fixture_loopback[] = { "127.0.0.1", "localhost", NULL };

char *
fixture_read_file(const char *path, size_t max, size_t *lenp, char **cause)
{
	FILE *fp;
	char *buf = NULL, *ret = NULL;
	size_t n;

	if ((fp = fopen(path, "rb")) == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(max + 1);
	n = fread(buf, 1, max, fp);
	if (ferror(fp)) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto done;
	}
	if (n == max && fgetc(fp) != EOF) {
		*cause = xasprintf("%s is larger than %zu bytes", path, max);
		goto done;
	}
	buf[n] = '\0';
	if (lenp != NULL)
		*lenp = n;
	ret = buf;
	buf = NULL;
done:
	fclose(fp);
	free(buf);
	return ret;
}

char *
fixture_example_path(void)
{
	const char *src = getenv("FABFED_SRC");

	return xasprintf("%s/examples/consortium.yaml", src ? src : ".");
}

json_t *
fixture_load_string(const char *text, size_t len, const char *name)
{
	struct topo_diags d;
	json_t *doc;

	topo_diags_init(&d);
	doc = topology_load(text, len, &d);
	if (doc == NULL) {
		if (d.n > 0)
			fprintf(stderr, "%s: %s: %s\n", name, d.v[0].path,
			    d.v[0].message);
		else
			fprintf(stderr, "%s does not load\n", name);
	}
	topo_diags_free(&d);
	return doc;
}

json_t *
fixture_load(const char *path)
{
	json_t *doc;
	char *text, *cause = NULL;
	size_t n;

	if ((text = fixture_read_file(path, FIXTURE_MAX_DOC, &n,
	    &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return NULL;
	}
	doc = fixture_load_string(text, n, path);
	free(text);
	return doc;
}

json_t *
fixture_load_example(void)
{
	char *path = fixture_example_path();
	json_t *doc;

	doc = fixture_load(path);
	free(path);
	return doc;
}

/* ORG's msp_org under DIR; -1 when it lacks its mspId or domain. */
static int
org_of(const json_t *org, const char *dir, struct msp_org *m, char **cause)
{
	memset(m, 0, sizeof(*m));
	m->dir = dir;
	m->mspid = json_string_value(json_object_get(org, "mspId"));
	m->domain = json_string_value(json_object_get(org, "domain"));
	if (m->mspid == NULL || m->domain == NULL) {
		*cause = xstrdup("the org has no mspId or no domain");
		return -1;
	}
	return 0;
}

int
fixture_pki(const json_t *org, const char *dir, const char *const *hosts,
    char **cause)
{
	static const char *const lists[] = { "peers", "orderers" };
	struct msp_org m;
	struct msp_node node;
	const json_t *n;
	char *why = NULL;
	size_t i, k;

	if (org_of(org, dir, &m, cause) == -1)
		return -1;
	if (msp_org_ensure(&m, NULL, &why) == -1) {
		*cause = xasprintf("msp_org_ensure: %s", why);
		free(why);
		return -1;
	}
	for (k = 0; k < 2; k++) {
		json_array_foreach(json_object_get(org, lists[k]), i, n) {
			memset(&node, 0, sizeof(node));
			node.name = json_string_value(json_object_get(n, "name"));
			node.role = k == 0 ? MSP_ROLE_PEER : MSP_ROLE_ORDERER;
			node.hosts = hosts;
			if (node.name == NULL) {
				*cause = xasprintf("%s[%zu] of %s has no name",
				    lists[k], i, m.mspid);
				return -1;
			}
			if (msp_node_ensure(&m, &node, NULL, &why) == -1) {
				*cause = xasprintf("msp_node_ensure: %s", why);
				free(why);
				return -1;
			}
		}
	}
	return 0;
}

json_t *
fixture_published(const json_t *org, const char *dir, char **cause)
{
	struct msp_org m;
	const json_t *n;
	json_t *msp, *ords, *peers, *e, *ret;
	char *why = NULL;
	size_t i;

	if (org_of(org, dir, &m, cause) == -1)
		return NULL;
	if ((msp = msp_public(&m, &why)) == NULL) {
		*cause = xasprintf("msp_public: %s", why);
		free(why);
		return NULL;
	}
	ords = json_array();
	json_array_foreach(json_object_get(org, "orderers"), i, n) {
		const char *name = json_string_value(json_object_get(n, "name"));

		e = json_pack("{s:s, s:O, s:O}", "name", name, "endpoint",
		    json_object_get(n, "endpoint"), "tlsCert",
		    json_object_get(json_object_get(json_object_get(msp,
		    "orderers"), name ? name : ""), "tlsCert"));
		if (e == NULL) {
			*cause = xasprintf("orderers[%zu] of %s has no name, "
			    "endpoint or TLS certificate", i, m.mspid);
			goto fail;
		}
		json_array_append_new(ords, e);
	}
	peers = json_array();
	json_array_foreach(json_object_get(org, "peers"), i, n) {
		e = json_pack("{s:O, s:O}", "name", json_object_get(n, "name"),
		    "endpoint", json_object_get(n, "endpoint"));
		if (e == NULL) {
			*cause = xasprintf("peers[%zu] of %s has no name or "
			    "endpoint", i, m.mspid);
			json_decref(peers);
			goto fail;
		}
		json_array_append_new(peers, e);
	}
	ret = json_pack("{s:o, s:{s:o, s:o}}", "msp", msp, "endpoints",
	    "orderers", ords, "peers", peers);
	if (ret == NULL)
		*cause = xstrdup("the published material does not pack");
	return ret;
fail:
	json_decref(ords);
	json_decref(msp);
	return NULL;
}

json_t *
fixture_publish(const json_t *doc, const char *mspid, const char *dir,
    const char *const *hosts, char **cause)
{
	const json_t *org;

	if ((org = topology_find_org(doc, mspid)) == NULL) {
		*cause = xasprintf("the document has no org %s", mspid);
		return NULL;
	}
	if (fixture_pki(org, dir, hosts, cause) == -1)
		return NULL;
	return fixture_published(org, dir, cause);
}

json_t *
fixture_publish_all(const json_t *doc, const char *const *mspids, size_t n,
    const char *dir, const char *const *hosts, char **cause)
{
	json_t *all = json_object(), *pub;
	char *odir, *why = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		odir = xasprintf("%s/%s", dir, mspids[i]);
		pub = fixture_publish(doc, mspids[i], odir, hosts, &why);
		free(odir);
		if (pub == NULL) {
			*cause = xasprintf("publish %s: %s", mspids[i], why);
			free(why);
			json_decref(all);
			return NULL;
		}
		json_object_set_new(all, mspids[i], pub);
	}
	return all;
}

int
fixture_example_open(const char *tag, char *dir, size_t dirsize, json_t **doc,
    json_t **pub)
{
	static const char *const orgs3[] = { "Org1MSP", "Org2MSP", "Org3MSP" };
	char *cause = NULL;

	*doc = *pub = NULL;
	if ((size_t)snprintf(dir, dirsize, "/tmp/%s.XXXXXX", tag) >= dirsize ||
	    mkdtemp(dir) == NULL) {
		fprintf(stderr, "cannot make a directory /tmp/%s.XXXXXX\n", tag);
		return -1;
	}
	if ((*doc = fixture_load_example()) == NULL) {
		fprintf(stderr, "examples/consortium.yaml does not load "
		    "(FABFED_SRC unset?)\n");
		goto fail;
	}
	if ((*pub = fixture_publish_all(*doc, orgs3, 3, dir, NULL, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		goto fail;
	}
	return 0;
fail:
	fixture_example_close(dir, *doc, *pub);
	*doc = *pub = NULL;
	return -1;
}

void
fixture_example_close(const char *dir, json_t *doc, json_t *pub)
{
	(void)fixture_rmtree(dir);
	json_decref(doc);
	json_decref(pub);
}

int
fixture_example_setup(void **state)
{
	struct fixture_ex *f = xcalloc(1, sizeof(*f));

	if (fixture_example_open("fabfed-example", f->dir, sizeof(f->dir),
	    &f->doc, &f->pub) == -1) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

int
fixture_example_teardown(void **state)
{
	struct fixture_ex *f = *state;

	if (f == NULL)
		return 0;
	fixture_example_close(f->dir, f->doc, f->pub);
	free(f);
	*state = NULL;
	return 0;
}

char *
fixture_read_or_exit(const char *path, size_t max, size_t *lenp)
{
	char *buf, *cause = NULL;

	if ((buf = fixture_read_file(path, max, lenp, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		exit(1);
	}
	return buf;
}

json_t *
fixture_published_or_exit(const json_t *org, const char *dir)
{
	json_t *pub;
	char *cause = NULL;

	if ((pub = fixture_published(org, dir, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		exit(1);
	}
	return pub;
}

int
fixture_pki_ok(const json_t *org, const char *dir, const char *const *hosts)
{
	char *cause = NULL;

	if (fixture_pki(org, dir, hosts, &cause) == -1) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return 1;
	}
	printf("ok - the PKI of %s is in %s\n",
	    json_string_value(json_object_get(org, "mspId")), dir);
	return 0;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
fixture_rmtree(const char *dir)
{
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
