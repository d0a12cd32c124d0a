/*
 * test_manifests.c: the manifests runtime (member-agent/rt_manifests.c)
 * and the objects it writes (member-agent/k8s.c). The org's PKI is made
 * for real with lib/msp.c (OpenSSL keys and certificates), so Secrets are
 * checked against the very bytes Fabric would read.
 *
 * With FABFED_MANIFESTS_OUT=DIR set, only render_example runs and leaves
 * the example consortium's three orgs rendered under DIR/<namespace>/:
 * tests/integration/manifests_k8s_schema.sh validates those files with
 * the kubernetes-models npm package (plus DIR/variant-org1msp/: this
 * file's own org, with a CouchDB peer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "k8s.h"
#include "msp.h"
#include "runtime.h"
#include "topology.h"
#include "xmalloc.h"

static const char doc_yaml[] =
    "apiVersion: fabfed.io/v1alpha1\n"
    "kind: Consortium\n"
    "metadata: {name: trade-finance}\n"
    "spec:\n"
    "  orgs:\n"
    "    - mspId: Org1MSP\n"
    "      domain: org1.example.com\n"
    "      cluster: {name: beijing-prod, region: cn-north}\n"
    "      peers:\n"
    "        - {name: peer0, endpoint: peer0.org1.example.com:7051, anchor: true, stateDatabase: couchdb}\n"
    "        - {name: peer1, endpoint: \"203.0.113.7:443\"}\n"
    "      orderers:\n"
    "        - {name: orderer0, endpoint: orderer0.org1.example.com:7050}\n"
    "    - mspId: Org2MSP\n"
    "      domain: org2.example.com\n"
    "      cluster: {name: shanghai-prod, region: cn-east}\n"
    "      orderers:\n"
    "        - {name: orderer0, endpoint: orderer0.org2.example.com:7050}\n";

struct fx {
	char dir[64];
	char *pki, *out;
	json_t *doc;
};

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static json_t *
load_doc(const char *text, size_t len)
{
	struct topo_diags d;
	json_t *doc;

	topo_diags_init(&d);
	doc = topology_load(text, len, &d);
	if (doc == NULL && d.n > 0)
		fprintf(stderr, "topology: %s: %s\n", d.v[0].path, d.v[0].message);
	topo_diags_free(&d);
	return doc;
}

/* The PKI of every node of MSPID in DOC, with the in-cluster SANs. */
static void
make_pki(const json_t *doc, const char *mspid, const char *dir)
{
	const json_t *org = NULL, *o, *n;
	const char *lists[] = { "peers", "orderers" };
	struct msp_org morg;
	struct msp_node node;
	const char *hosts[8];
	char *cause = NULL;
	json_t *h;
	size_t i, j, k;

	json_array_foreach(json_object_get(json_object_get(doc, "spec"),
	    "orgs"), i, o) {
		if (strcmp(json_string_value(json_object_get(o, "mspId")),
		    mspid) == 0)
			org = o;
	}
	assert_non_null(org);
	morg.dir = dir;
	morg.mspid = mspid;
	morg.domain = json_string_value(json_object_get(org, "domain"));
	if (msp_org_ensure(&morg, NULL, &cause) == -1)
		fail_msg("msp_org_ensure: %s", cause);
	for (k = 0; k < 2; k++) {
		json_array_foreach(json_object_get(org, lists[k]), j, n) {
			memset(&node, 0, sizeof(node));
			node.name = json_string_value(json_object_get(n, "name"));
			node.role = k == 0 ? MSP_ROLE_PEER : MSP_ROLE_ORDERER;
			h = k8s_node_hosts(mspid, node.name);
			assert_int_equal(json_array_size(h), 4);
			for (i = 0; i < 4; i++)
				hosts[i] = json_string_value(json_array_get(h, i));
			hosts[4] = NULL;
			node.hosts = hosts;
			if (msp_node_ensure(&morg, &node, NULL, &cause) == -1)
				fail_msg("msp_node_ensure %s: %s", node.name, cause);
			json_decref(h);
		}
	}
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_manifests.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->pki = xasprintf("%s/pki", f->dir);
	f->out = xasprintf("%s/out/org1", f->dir);
	f->doc = load_doc(doc_yaml, sizeof(doc_yaml) - 1);
	if (f->doc == NULL)
		return -1;
	make_pki(f->doc, "Org1MSP", f->pki);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	json_decref(f->doc);
	free(f->pki);
	free(f->out);
	free(f);
	return 0;
}

static char *
slurp(const char *path, size_t *lenp)
{
	FILE *fp = fopen(path, "rb");
	char *s;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	s = xmalloc((size_t)n + 1);
	if (fread(s, 1, (size_t)n, fp) != (size_t)n) {
		fclose(fp);
		free(s);
		return NULL;
	}
	s[n] = '\0';
	fclose(fp);
	if (lenp != NULL)
		*lenp = (size_t)n;
	return s;
}

/* {file name: contents} of every regular file in dir. */
static json_t *
dir_snapshot(const char *dir)
{
	json_t *snap = json_object();
	struct dirent *de;
	char *path, *s;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		s = slurp(path, NULL);
		assert_non_null(s);
		json_object_set_new(snap, de->d_name, json_string(s));
		free(s);
		free(path);
	}
	closedir(d);
	return snap;
}

static void
render_ok(const json_t *doc, const char *mspid, const char *pki,
    const char *out)
{
	char *cause = NULL;

	if (rt_manifests_render(doc, mspid, pki, out, &cause) == -1)
		fail_msg("render: %s", cause);
}

static json_t *
load_obj(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	json_error_t err;
	json_t *o = json_load_file(path, 0, &err);

	if (o == NULL)
		fail_msg("%s: %s", path, err.text);
	free(path);
	return o;
}

static unsigned char *
b64dec(const char *s, size_t *lenp)
{
	size_t n = strlen(s), pad = 0;
	unsigned char *out = xmalloc(n / 4 * 3 + 1);
	int r;

	assert_int_equal(n % 4, 0);
	if (n > 0 && s[n - 1] == '=')
		pad++;
	if (n > 1 && s[n - 2] == '=')
		pad++;
	r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	assert_true(r >= 0);
	*lenp = (size_t)r - pad;
	return out;
}

static void
test_stable(void **state)
{
	struct fx *f = *state;
	json_t *a, *b;
	struct stat st1, st2;
	char *p;

	render_ok(f->doc, "Org1MSP", f->pki, f->out);
	a = dir_snapshot(f->out);
	p = xasprintf("%s/30-statefulset-peer0.yaml", f->out);
	assert_int_equal(stat(p, &st1), 0);
	render_ok(f->doc, "Org1MSP", f->pki, f->out);
	b = dir_snapshot(f->out);
	assert_true(json_equal(a, b));
	/* unchanged bytes are not even rewritten (same inode) */
	assert_int_equal(stat(p, &st2), 0);
	assert_true(st1.st_ino == st2.st_ino);
	/* a file edited by hand is put back */
	assert_int_equal(truncate(p, 10), 0);
	render_ok(f->doc, "Org1MSP", f->pki, f->out);
	json_decref(b);
	b = dir_snapshot(f->out);
	assert_true(json_equal(a, b));
	free(p);
	json_decref(a);
	json_decref(b);
}

static const char *const org1_files[] = {
	"00-namespace-org1msp.yaml",
	"10-secret-orderer0-msp.yaml", "10-secret-orderer0-tls.yaml",
	"10-secret-peer0-couchdb.yaml",
	"10-secret-peer0-msp.yaml", "10-secret-peer0-tls.yaml",
	"10-secret-peer1-msp.yaml", "10-secret-peer1-tls.yaml",
	"20-configmap-orderer0-env.yaml", "20-configmap-peer0-env.yaml",
	"20-configmap-peer1-env.yaml",
	"30-statefulset-orderer0.yaml", "30-statefulset-peer0.yaml",
	"30-statefulset-peer1.yaml",
	"40-service-orderer0.yaml", "40-service-orderer0-external.yaml",
	"40-service-peer0.yaml", "40-service-peer0-external.yaml",
	"40-service-peer1.yaml", "40-service-peer1-external.yaml",
	NULL,
};

static void
test_fileset(void **state)
{
	struct fx *f = *state;
	json_t *snap, *doc, *peers, *org;
	char *other, *s, *cause = NULL;
	size_t i;

	render_ok(f->doc, "Org1MSP", f->pki, f->out);
	other = xasprintf("%s/kustomization.yaml", f->out);
	{
		FILE *fp = fopen(other, "w");
		assert_non_null(fp);
		fputs("resources: []\n", fp);
		fclose(fp);
	}
	snap = dir_snapshot(f->out);
	for (i = 0; org1_files[i] != NULL; i++) {
		if (json_object_get(snap, org1_files[i]) == NULL)
			fail_msg("missing %s", org1_files[i]);
	}
	assert_int_equal(json_object_size(snap), i + 1);
	json_decref(snap);

	/* add a peer: its files appear */
	doc = json_deep_copy(f->doc);
	org = json_array_get(json_object_get(json_object_get(doc, "spec"),
	    "orgs"), 0);
	peers = json_object_get(org, "peers");
	json_array_append_new(peers, json_pack("{s:s, s:s, s:b, s:s}", "name",
	    "peer2", "endpoint", "peer2.org1.example.com:7051", "anchor", 0,
	    "stateDatabase", "leveldb"));
	/* without its PKI the render fails and says why */
	assert_int_equal(rt_manifests_render(doc, "Org1MSP", f->pki, f->out,
	    &cause), -1);
	assert_non_null(strstr(cause, "peer2.org1.example.com"));
	free(cause);
	make_pki(doc, "Org1MSP", f->pki);
	render_ok(doc, "Org1MSP", f->pki, f->out);
	snap = dir_snapshot(f->out);
	assert_non_null(json_object_get(snap, "10-secret-peer2-msp.yaml"));
	assert_non_null(json_object_get(snap, "10-secret-peer2-tls.yaml"));
	assert_non_null(json_object_get(snap, "20-configmap-peer2-env.yaml"));
	assert_non_null(json_object_get(snap, "30-statefulset-peer2.yaml"));
	assert_non_null(json_object_get(snap, "40-service-peer2.yaml"));
	assert_non_null(json_object_get(snap, "40-service-peer2-external.yaml"));
	assert_int_equal(json_object_size(snap), i + 1 + 6);
	/* peer0's gossip bootstrap now lists peer2 */
	s = (char *)json_string_value(json_object_get(snap,
	    "20-configmap-peer0-env.yaml"));
	assert_non_null(strstr(s, "peer2.org1msp.svc:7051"));
	json_decref(snap);

	/* remove peer1 and peer0: their files go, the others stay */
	json_array_remove(peers, 0);
	json_array_remove(peers, 0);
	render_ok(doc, "Org1MSP", f->pki, f->out);
	snap = dir_snapshot(f->out);
	assert_null(json_object_get(snap, "10-secret-peer1-msp.yaml"));
	assert_null(json_object_get(snap, "30-statefulset-peer1.yaml"));
	assert_null(json_object_get(snap, "40-service-peer1-external.yaml"));
	assert_null(json_object_get(snap, "10-secret-peer0-couchdb.yaml"));
	assert_non_null(json_object_get(snap, "30-statefulset-peer2.yaml"));
	assert_non_null(json_object_get(snap, "30-statefulset-orderer0.yaml"));
	assert_non_null(json_object_get(snap, "kustomization.yaml"));
	/* ns + orderer0 (2 secrets, cm, sts, 2 svc) + peer2 (same) */
	assert_int_equal(json_object_size(snap), 1 + 6 + 6 + 1);
	json_decref(snap);
	json_decref(doc);
	free(other);
}

static void
check_labels(const json_t *labels)
{
	const char *k;
	json_t *v;

	assert_true(json_is_object(labels));
	json_object_foreach((json_t *)labels, k, v) {
		assert_true(json_is_string(v));
		if (!k8s_valid_label_value(json_string_value(v)))
			fail_msg("label %s=%s invalid", k, json_string_value(v));
	}
	assert_string_equal(json_string_value(json_object_get(labels,
	    K8S_LABEL_PART_OF)), "fabfed");
	assert_string_equal(json_string_value(json_object_get(labels,
	    K8S_LABEL_MANAGED)), "fabfed-agent");
}

static void
test_names(void **state)
{
	struct fx *f = *state;
	json_t *snap, *o, *v, *c;
	const char *file, *kind, *name;
	char *ns;
	size_t i;

	render_ok(f->doc, "Org1MSP", f->pki, f->out);
	snap = dir_snapshot(f->out);
	json_object_foreach(snap, file, v) {
		o = load_obj(f->out, file);
		kind = json_string_value(json_object_get(o, "kind"));
		name = json_string_value(json_object_get(json_object_get(o,
		    "metadata"), "name"));
		assert_non_null(kind);
		assert_non_null(name);
		check_labels(json_object_get(json_object_get(o, "metadata"),
		    "labels"));
		if (strcmp(kind, "Namespace") == 0) {
			assert_true(k8s_valid_dns_label(name));
			assert_string_equal(name, "org1msp");
		} else {
			assert_string_equal(json_string_value(json_object_get(
			    json_object_get(o, "metadata"), "namespace")),
			    "org1msp");
			assert_non_null(json_object_get(json_object_get(
			    json_object_get(o, "metadata"), "labels"),
			    K8S_LABEL_INSTANCE));
		}
		if (strcmp(kind, "Service") == 0)
			assert_true(k8s_valid_dns1035_label(name));
		else if (strcmp(kind, "StatefulSet") == 0) {
			assert_true(k8s_valid_dns_label(name));
			assert_true(strlen(name) <= K8S_MAX_STS_NAME);
			json_array_foreach(json_object_get(json_object_get(
			    json_object_get(json_object_get(o, "spec"),
			    "template"), "spec"), "containers"), i, c)
				assert_true(k8s_valid_dns_label(json_string_value(
				    json_object_get(c, "name"))));
		} else
			assert_true(k8s_valid_dns_subdomain(name));
		json_decref(o);
	}
	json_decref(snap);

	/* namespaces: lowercased when valid, hashed otherwise, never shared */
	ns = k8s_namespace_name("Org1MSP");
	assert_string_equal(ns, "org1msp");
	free(ns);
	{
		const char *ids[] = { "Org.One-MSP", "Org-One-MSP", "org.one.msp",
		    "-.-", "9lives",
		    "A123456789012345678901234567890123456789012345678901234567890123456789",
		    "A123456789012345678901234567890123456789012345678901234567890123456780",
		    NULL };
		json_t *seen = json_object();
		for (i = 0; ids[i] != NULL; i++) {
			ns = k8s_namespace_name(ids[i]);
			if (!k8s_valid_dns_label(ns))
				fail_msg("%s -> invalid namespace %s", ids[i], ns);
			assert_null(json_object_get(seen, ns));
			json_object_set_new(seen, ns, json_true());
			free(ns);
		}
		json_decref(seen);
	}
	assert_false(k8s_valid_dns_label("Org1"));
	assert_false(k8s_valid_dns_label("-a"));
	assert_false(k8s_valid_dns1035_label("0peer"));
	assert_true(k8s_valid_dns_subdomain("a.b-c.d"));
	assert_false(k8s_valid_dns_subdomain("a..b"));
	assert_false(k8s_valid_label_value("-x"));
	/* a node name starting with a digit still gives a DNS-1035 Service */
	{
		json_t *h = k8s_node_hosts("Org1MSP", "0peer");
		const char *svc = json_string_value(json_array_get(h, 0));
		assert_true(k8s_valid_dns1035_label(svc));
		json_decref(h);
	}
}

/* Decodes every data value of every file; no non-Secret holds a key. */
static void
test_no_key_outside_secrets(void **state)
{
	struct fx *f = *state;
	json_t *snap, *v, *o, *d;
	const char *file, *kind, *k;
	unsigned char *bytes;
	size_t len;
	int keys_in_secrets = 0;

	render_ok(f->doc, "Org1MSP", f->pki, f->out);
	snap = dir_snapshot(f->out);
	json_object_foreach(snap, file, v) {
		/* no PEM key in clear text anywhere, Secret or not */
		assert_null(strstr(json_string_value(v), "PRIVATE KEY"));
		o = load_obj(f->out, file);
		kind = json_string_value(json_object_get(o, "kind"));
		if (strcmp(kind, "ConfigMap") == 0) {
			json_object_foreach(json_object_get(o, "data"), k, d)
				assert_null(strstr(json_string_value(d), "PRIVATE"));
		}
		if (strcmp(kind, "Secret") == 0) {
			json_object_foreach(json_object_get(o, "data"), k, d) {
				bytes = b64dec(json_string_value(d), &len);
				bytes[len] = '\0';
				if (strstr((char *)bytes, "PRIVATE KEY") != NULL)
					keys_in_secrets++;
				free(bytes);
			}
		} else {
			/* nothing else carries base64 that decodes to a key:
			 * look for the base64 of "-----BEGIN PRIVATE KEY" too */
			assert_null(strstr(json_string_value(v),
			    "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS"));
		}
		json_decref(o);
	}
	/* the detector works: 3 nodes x (msp keystore + tls server.key) */
	assert_int_equal(keys_in_secrets, 6);
	json_decref(snap);
}

/* Every file of every node's msp/ and tls/ comes back byte for byte at the
 * path the StatefulSet's volume items mount it to. */
static void
test_secret_roundtrip(void **state)
{
	struct fx *f = *state;
	const char *nodes[] = { "peers/peer0", "peers/peer1",
	    "orderers/orderer0" };
	const char *names[] = { "peer0", "peer1", "orderer0" };
	json_t *sts, *vols, *vol, *items, *item, *secret;
	char *file, *path, *want;
	unsigned char *got;
	size_t i, j, k, glen = 0, wlen = 0, checked = 0;

	render_ok(f->doc, "Org1MSP", f->pki, f->out);
	for (i = 0; i < 3; i++) {
		file = xasprintf("30-statefulset-%s.yaml", names[i]);
		sts = load_obj(f->out, file);
		free(file);
		vols = json_object_get(json_object_get(json_object_get(
		    json_object_get(sts, "spec"), "template"), "spec"), "volumes");
		json_array_foreach(vols, j, vol) {
			const char *vn = json_string_value(json_object_get(vol,
			    "name"));
			json_t *sv = json_object_get(vol, "secret");
			if (sv == NULL || (strcmp(vn, "msp") && strcmp(vn, "tls")))
				continue;
			file = xasprintf("10-secret-%s.yaml", json_string_value(
			    json_object_get(sv, "secretName")));
			secret = load_obj(f->out, file);
			free(file);
			assert_string_equal(json_string_value(json_object_get(
			    secret, "type")), "Opaque");
			items = json_object_get(sv, "items");
			assert_int_equal(json_array_size(items), json_object_size(
			    json_object_get(secret, "data")));
			json_array_foreach(items, k, item) {
				path = xasprintf("%s/%s.org1.example.com/%s/%s",
				    f->pki, nodes[i], vn, json_string_value(
				    json_object_get(item, "path")));
				want = slurp(path, &wlen);
				assert_non_null(want);
				got = b64dec(json_string_value(json_object_get(
				    json_object_get(secret, "data"),
				    json_string_value(json_object_get(item,
				    "key")))), &glen);
				assert_int_equal(glen, wlen);
				assert_memory_equal(got, want, wlen);
				checked++;
				free(got);
				free(want);
				free(path);
			}
			json_decref(secret);
		}
		json_decref(sts);
	}
	/* per node: msp cacerts, signcerts, keystore, tlscacerts, config.yaml
	 * and tls ca.crt, server.crt, server.key */
	assert_int_equal(checked, 3 * 8);
}

static const char *
env_of(const json_t *cm, const char *k)
{
	return json_string_value(json_object_get(json_object_get(cm, "data"), k));
}

static void
test_fabric_settings(void **state)
{
	struct fx *f = *state;
	json_t *cm, *sts, *svc, *ctrs, *pod;

	render_ok(f->doc, "Org1MSP", f->pki, f->out);
	cm = load_obj(f->out, "20-configmap-orderer0-env.yaml");
	assert_string_equal(env_of(cm, "ORDERER_GENERAL_BOOTSTRAPMETHOD"), "none");
	assert_string_equal(env_of(cm, "ORDERER_CHANNELPARTICIPATION_ENABLED"),
	    "true");
	assert_string_equal(env_of(cm, "ORDERER_GENERAL_TLS_ENABLED"), "true");
	assert_string_equal(env_of(cm, "ORDERER_OPERATIONS_LISTENADDRESS"),
	    "0.0.0.0:9443");
	assert_string_equal(env_of(cm, "ORDERER_GENERAL_LOCALMSPID"), "Org1MSP");
	assert_string_equal(env_of(cm, "ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED"),
	    "true");
	json_decref(cm);

	cm = load_obj(f->out, "20-configmap-peer0-env.yaml");
	assert_string_equal(env_of(cm, "CORE_PEER_GOSSIP_EXTERNALENDPOINT"),
	    "peer0.org1.example.com:7051");
	assert_string_equal(env_of(cm, "CORE_PEER_TLS_ENABLED"), "true");
	assert_string_equal(env_of(cm, "CORE_OPERATIONS_LISTENADDRESS"),
	    "0.0.0.0:9443");
	assert_string_equal(env_of(cm, "CORE_LEDGER_STATE_STATEDATABASE"),
	    "CouchDB");
	assert_string_equal(env_of(cm, "CORE_PEER_GOSSIP_BOOTSTRAP"),
	    "peer1.org1msp.svc:7051");
	assert_null(env_of(cm, "CORE_LEDGER_STATE_COUCHDBCONFIG_PASSWORD"));
	json_decref(cm);
	cm = load_obj(f->out, "20-configmap-peer1-env.yaml");
	assert_string_equal(env_of(cm, "CORE_LEDGER_STATE_STATEDATABASE"),
	    "goleveldb");
	json_decref(cm);

	/* CouchDB peer: sidecar, two claims; LevelDB peer: one of each */
	sts = load_obj(f->out, "30-statefulset-peer0.yaml");
	pod = json_object_get(json_object_get(json_object_get(sts, "spec"),
	    "template"), "spec");
	ctrs = json_object_get(pod, "containers");
	assert_int_equal(json_array_size(ctrs), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    ctrs, 0), "image")), "hyperledger/fabric-peer:2.5");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    ctrs, 1), "image")), "couchdb:3.3");
	assert_int_equal(json_array_size(json_object_get(json_object_get(sts,
	    "spec"), "volumeClaimTemplates")), 2);
	json_decref(sts);
	sts = load_obj(f->out, "30-statefulset-peer1.yaml");
	assert_int_equal(json_array_size(json_object_get(json_object_get(
	    json_object_get(json_object_get(sts, "spec"), "template"), "spec"),
	    "containers")), 1);
	json_decref(sts);
	sts = load_obj(f->out, "30-statefulset-orderer0.yaml");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(json_object_get(json_object_get(json_object_get(sts,
	    "spec"), "template"), "spec"), "containers"), 0), "image")),
	    "hyperledger/fabric-orderer:2.5");
	json_decref(sts);

	/* the external Service listens on the endpoint's port */
	svc = load_obj(f->out, "40-service-peer1-external.yaml");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    svc, "spec"), "type")), "LoadBalancer");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(json_object_get(svc, "spec"), "ports"), 0),
	    "port")), 443);
	/* an IP endpoint gets no ExternalDNS hostname */
	assert_null(json_object_get(json_object_get(json_object_get(svc,
	    "metadata"), "annotations"), "external-dns.alpha.kubernetes.io/hostname"));
	json_decref(svc);
	svc = load_obj(f->out, "40-service-peer0-external.yaml");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(svc, "metadata"), "annotations"),
	    "external-dns.alpha.kubernetes.io/hostname")), "peer0.org1.example.com");
	json_decref(svc);
}

static void
test_runtime(void **state)
{
	struct fx *f = *state;
	struct rt_org org = { f->doc, "Org1MSP", f->pki };
	struct runtime *rt = rt_manifests_new(f->out);
	enum rt_state st;
	char *detail = NULL, *cause = NULL, *p;
	json_t *snap;

	assert_string_equal(rt->ops->name, "manifests");
	assert_int_equal(runtime_observe(rt, &org, "peer0", &st, &detail,
	    &cause), 0);
	assert_int_equal(st, RT_STATE_ABSENT);
	free(detail);
	assert_int_equal(runtime_ensure(rt, &org, "peer0", &cause), 0);
	assert_int_equal(runtime_observe(rt, &org, "peer0", &st, &detail,
	    &cause), 0);
	assert_int_equal(st, RT_STATE_READY);
	assert_string_equal(rt_state_name(st), "ready");
	free(detail);

	/* a file changed by hand: pending until the next render */
	p = xasprintf("%s/20-configmap-peer0-env.yaml", f->out);
	assert_int_equal(truncate(p, 3), 0);
	assert_int_equal(runtime_observe(rt, &org, "peer0", &st, NULL,
	    &cause), 0);
	assert_int_equal(st, RT_STATE_PENDING);
	assert_int_equal(runtime_render(rt, &org, &cause), 0);
	assert_int_equal(runtime_observe(rt, &org, "peer0", &st, NULL,
	    &cause), 0);
	assert_int_equal(st, RT_STATE_READY);
	free(p);

	/* remove: only peer0's files go */
	assert_int_equal(runtime_remove(rt, &org, "peer0", &cause), 0);
	snap = dir_snapshot(f->out);
	assert_null(json_object_get(snap, "10-secret-peer0-couchdb.yaml"));
	assert_null(json_object_get(snap, "30-statefulset-peer0.yaml"));
	assert_null(json_object_get(snap, "40-service-peer0-external.yaml"));
	assert_non_null(json_object_get(snap, "30-statefulset-peer1.yaml"));
	assert_non_null(json_object_get(snap, "00-namespace-org1msp.yaml"));
	json_decref(snap);
	assert_int_equal(runtime_observe(rt, &org, "peer0", &st, NULL,
	    &cause), 0);
	assert_int_equal(st, RT_STATE_ABSENT);
	assert_int_equal(runtime_remove(rt, &org, "peer0", &cause), 0);

	/* unknown node, unknown org */
	assert_int_equal(runtime_ensure(rt, &org, "peer9", &cause), -1);
	assert_non_null(strstr(cause, "peer9"));
	free(cause);
	cause = NULL;
	org.mspid = "Org9MSP";
	assert_int_equal(runtime_render(rt, &org, &cause), -1);
	assert_non_null(strstr(cause, "Org9MSP"));
	free(cause);
	runtime_free(rt);
	runtime_free(NULL);
}

static void
test_object_path(void **state)
{
	struct fx *f = *state;
	json_t *objs;
	char *cause = NULL, *p;

	objs = k8s_org_objects(f->doc, "Org1MSP", f->pki, &cause);
	assert_non_null(objs);
	p = k8s_object_path(json_array_get(objs, 0));
	assert_string_equal(p, "/api/v1/namespaces/org1msp");
	free(p);
	p = k8s_object_path(json_array_get(objs, 1));
	assert_non_null(strstr(p, "/api/v1/namespaces/org1msp/secrets/"));
	free(p);
	{
		size_t i;
		json_t *o;
		int found = 0;
		json_array_foreach(objs, i, o) {
			p = k8s_object_path(o);
			assert_non_null(p);
			if (strcmp(p, "/apis/apps/v1/namespaces/org1msp/"
			    "statefulsets/orderer0") == 0)
				found = 1;
			free(p);
		}
		assert_true(found);
	}
	json_decref(objs);
}

/* The example consortium's three orgs, each with its own PKI. */
static void
test_render_example(void **state)
{
	struct fx *f = *state;
	const char *src = getenv("FABFED_SRC"), *keep =
	    getenv("FABFED_MANIFESTS_OUT");
	const json_t *org;
	char *path, *text, *pki, *out, *ns, *base;
	json_t *doc, *snap;
	size_t i, len = 0;

	assert_non_null(src);
	path = xasprintf("%s/examples/consortium.yaml", src);
	text = slurp(path, &len);
	assert_non_null(text);
	doc = load_doc(text, len);
	assert_non_null(doc);
	base = keep != NULL ? xstrdup(keep) : xasprintf("%s/example", f->dir);
	json_array_foreach(json_object_get(json_object_get(doc, "spec"), "orgs"),
	    i, org) {
		const char *id = json_string_value(json_object_get(org, "mspId"));
		pki = xasprintf("%s/pki-%s", f->dir, id);
		ns = k8s_namespace_name(id);
		out = xasprintf("%s/%s", base, ns);
		make_pki(doc, id, pki);
		render_ok(doc, id, pki, out);
		snap = dir_snapshot(out);
		/* ns, 2 secrets x 2 nodes, 2 configmaps, 2 sts, 4 services */
		assert_int_equal(json_object_size(snap), 13);
		json_decref(snap);
		free(pki);
		free(ns);
		free(out);
	}
	assert_int_equal(i, 3);
	/* and this file's org: a CouchDB peer (sidecar, two claims), an IP
	 * endpoint on port 443, three nodes */
	out = xasprintf("%s/variant-org1msp", base);
	render_ok(f->doc, "Org1MSP", f->pki, out);
	snap = dir_snapshot(out);
	assert_int_equal(json_object_size(snap), 20);
	json_decref(snap);
	free(out);
	free(base);
	free(path);
	free(text);
	json_decref(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fileset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_key_outside_secrets,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fabric_settings, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_runtime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_object_path, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_render_example, setup,
		    teardown),
	};

	if (getenv("FABFED_MANIFESTS_OUT") != NULL)
		cmocka_set_test_filter("test_render_example");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
