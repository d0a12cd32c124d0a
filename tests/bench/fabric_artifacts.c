/*
 * fabric_artifacts: how long fabfed takes to make an org's full crypto
 * material (lib/msp.c) and a channel genesis block (lib/fabric_config.c,
 * lib/fabric_block.c), one phase per run so that tests/bench/
 * fabric_artifacts.sh can time it as a whole process beside Fabric's
 * cryptogen and configtxgen on the same spec.
 *
 *   bench_fabric_artifacts crypto  DIR ORGS PEERS ORDERERS
 *   bench_fabric_artifacts genesis DIR ORGS PEERS ORDERERS
 *
 * crypto makes DIR/orgN (N = 1..ORGS) from nothing: the org's CA and TLS
 * CA, PEERS peers and ORDERERS orderers (a signing identity and a TLS
 * certificate each), Admin and User1; it also writes DIR/consortium.json,
 * the consortium document of the spec (every org a member of channel
 * "bench", every orderer a consenter). genesis reads what crypto made
 * (each org's public MSP, as its agent would publish it), builds the
 * channel config and block 0 and writes DIR/fabfed.block.
 *
 * Prints one line: "PHASE MS_IN_PROCESS" (milliseconds, wall clock).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "fabric_block.h"
#include "fabric_config.h"
#include "msp.h"
#include "topology.h"
#include "xmalloc.h"

#define MAX_ORGS  100
#define MAX_NODES 50
#define BASE_PORT 20000

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
parse_count(const char *s, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The consortium document of the spec, validated and normalized. */
static json_t *
spec_doc(long orgs, long peers, long orderers)
{
	json_t *doc, *olist, *cons, *members, *org, *ps, *os;
	struct topo_diags d;
	char *text, name[64], ep[64], cl[64];
	long i, k, port = BASE_PORT;

	olist = json_array();
	cons = json_array();
	members = json_array();
	for (i = 1; i <= orgs; i++) {
		ps = json_array();
		os = json_array();
		for (k = 0; k < peers; k++) {
			snprintf(name, sizeof(name), "peer%ld", k);
			snprintf(ep, sizeof(ep), "127.0.0.1:%ld", port++);
			json_array_append_new(ps, json_pack("{s:s, s:s, s:b}",
			    "name", name, "endpoint", ep, "anchor", k == 0));
		}
		for (k = 0; k < orderers; k++) {
			snprintf(name, sizeof(name), "orderer%ld", k);
			snprintf(ep, sizeof(ep), "127.0.0.1:%ld", port++);
			json_array_append_new(os, json_pack("{s:s, s:s}",
			    "name", name, "endpoint", ep));
			json_array_append_new(cons, json_sprintf("Org%ldMSP/%s",
			    i, name));
		}
		snprintf(name, sizeof(name), "Org%ldMSP", i);
		snprintf(ep, sizeof(ep), "org%ld.bench.example.com", i);
		snprintf(cl, sizeof(cl), "cluster%ld", i);
		org = json_pack("{s:s, s:s, s:{s:s, s:s}, s:o, s:o}", "mspId",
		    name, "domain", ep, "cluster", "name", cl, "region", cl,
		    "peers", ps, "orderers", os);
		json_array_append_new(olist, org);
		json_array_append_new(members, json_string(name));
	}
	doc = json_pack("{s:s, s:s, s:{s:s}, s:{s:o, s:[{s:s, s:o, s:o}]}}",
	    "apiVersion", "fabfed.io/v1alpha1", "kind", "Consortium",
	    "metadata", "name", "bench", "spec", "orgs", olist, "channels",
	    "name", "bench", "consenters", cons, "members", members);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	topo_diags_init(&d);
	doc = topology_load(text, strlen(text), &d);
	if (doc == NULL && d.n > 0)
		fprintf(stderr, "bench: the spec does not validate: %s: %s\n",
		    d.v[0].path, d.v[0].message);
	topo_diags_free(&d);
	free(text);
	return doc;
}

static int
org_crypto(const char *dir, const json_t *org, long i)
{
	static const char *const hosts[] = { "127.0.0.1", "localhost", NULL };
	const char *kinds[] = { "peers", "orderers" };
	struct msp_org morg;
	struct msp_node node;
	const json_t *n;
	char *odir, *cause = NULL;
	size_t k, j;
	int ret = -1;

	odir = xasprintf("%s/org%ld", dir, i);
	morg.dir = odir;
	morg.mspid = json_string_value(json_object_get(org, "mspId"));
	morg.domain = json_string_value(json_object_get(org, "domain"));
	if (msp_org_ensure(&morg, NULL, &cause) != 0)
		goto done;
	for (k = 0; k < 2; k++) {
		json_array_foreach(json_object_get(org, kinds[k]), j, n) {
			memset(&node, 0, sizeof(node));
			node.name = json_string_value(json_object_get(n, "name"));
			node.role = k == 0 ? MSP_ROLE_PEER : MSP_ROLE_ORDERER;
			node.hosts = hosts;
			if (msp_node_ensure(&morg, &node, NULL, &cause) != 0)
				goto done;
		}
	}
	ret = 0;
done:
	if (ret != 0)
		fprintf(stderr, "bench: %s: %s\n", odir, cause);
	free(cause);
	free(odir);
	return ret;
}

/* What the org's agent would publish: {"msp", "endpoints"}. */
static json_t *
org_published(const char *dir, const json_t *org, long i)
{
	struct msp_org morg;
	const json_t *n;
	json_t *msp, *pos, *pps;
	char *odir, *cause = NULL;
	size_t j;

	odir = xasprintf("%s/org%ld", dir, i);
	morg.dir = odir;
	morg.mspid = json_string_value(json_object_get(org, "mspId"));
	morg.domain = json_string_value(json_object_get(org, "domain"));
	msp = msp_public(&morg, &cause);
	free(odir);
	if (msp == NULL) {
		fprintf(stderr, "bench: msp_public: %s\n", cause);
		free(cause);
		return NULL;
	}
	pos = json_array();
	json_array_foreach(json_object_get(org, "orderers"), j, n) {
		const char *name = json_string_value(json_object_get(n, "name"));

		json_array_append_new(pos, json_pack("{s:s, s:O, s:O}", "name",
		    name, "endpoint", json_object_get(n, "endpoint"), "tlsCert",
		    json_object_get(json_object_get(json_object_get(msp,
		    "orderers"), name), "tlsCert")));
	}
	pps = json_array();
	json_array_foreach(json_object_get(org, "peers"), j, n)
		json_array_append_new(pps, json_pack("{s:O, s:O}", "name",
		    json_object_get(n, "name"), "endpoint",
		    json_object_get(n, "endpoint")));
	return json_pack("{s:o, s:{s:o, s:o}}", "msp", msp, "endpoints",
	    "orderers", pos, "peers", pps);
}

static int
write_file(const char *path, const void *data, size_t len)
{
	FILE *fp;
	int ret = 0;

	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	if (fwrite(data, 1, len, fp) != len)
		ret = -1;
	if (fclose(fp) != 0)
		ret = -1;
	return ret;
}

int
main(int argc, char **argv)
{
	const json_t *org;
	json_t *doc, *orgs = NULL;
	Common__Config *cfg = NULL;
	Common__Block *blk = NULL;
	uint8_t *bytes = NULL;
	char *path = NULL, *cause = NULL, *text;
	long norgs, npeers, nord;
	double t0, t1;
	size_t i, len;
	int crypto, ret = 1;

	if (argc != 6 || (strcmp(argv[1], "crypto") != 0 &&
	    strcmp(argv[1], "genesis") != 0) ||
	    parse_count(argv[3], MAX_ORGS, &norgs) != 0 || norgs < 1 ||
	    parse_count(argv[4], MAX_NODES, &npeers) != 0 ||
	    parse_count(argv[5], MAX_NODES, &nord) != 0 || nord < 1) {
		fprintf(stderr, "usage: bench_fabric_artifacts crypto|genesis "
		    "DIR ORGS(1..%d) PEERS(0..%d) ORDERERS(1..%d)\n", MAX_ORGS,
		    MAX_NODES, MAX_NODES);
		return 2;
	}
	crypto = strcmp(argv[1], "crypto") == 0;
	if ((doc = spec_doc(norgs, npeers, nord)) == NULL)
		return 1;
	t0 = now_ms();
	if (crypto) {
		if (mkdir(argv[2], 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "bench: %s: %s\n", argv[2], strerror(errno));
			goto done;
		}
		json_array_foreach(json_object_get(json_object_get(doc, "spec"),
		    "orgs"), i, org)
			if (org_crypto(argv[2], org, (long)i + 1) != 0)
				goto done;
		t1 = now_ms();
		path = xasprintf("%s/consortium.json", argv[2]);
		text = json_dumps(doc, JSON_INDENT(2));
		if (write_file(path, text, strlen(text)) != 0) {
			free(text);
			fprintf(stderr, "bench: cannot write %s\n", path);
			goto done;
		}
		free(text);
	} else {
		orgs = json_object();
		json_array_foreach(json_object_get(json_object_get(doc, "spec"),
		    "orgs"), i, org) {
			json_t *pub = org_published(argv[2], org, (long)i + 1);

			if (pub == NULL)
				goto done;
			json_object_set_new(orgs, json_string_value(
			    json_object_get(org, "mspId")), pub);
		}
		if ((cfg = fcfg_build(doc, "bench", orgs, &cause)) == NULL ||
		    (blk = fblock_genesis(cfg, "bench", (int64_t)time(NULL),
		    NULL, &cause)) == NULL) {
			fprintf(stderr, "bench: %s\n", cause);
			goto done;
		}
		bytes = fblock_pack(blk, &len);
		path = xasprintf("%s/fabfed.block", argv[2]);
		if (write_file(path, bytes, len) != 0) {
			fprintf(stderr, "bench: cannot write %s\n", path);
			goto done;
		}
		t1 = now_ms();
	}
	printf("%s %.1f\n", argv[1], t1 - t0);
	ret = 0;
done:
	free(cause);
	free(path);
	free(bytes);
	fblock_free(blk);
	fcfg_free(cfg);
	json_decref(orgs);
	json_decref(doc);
	return ret;
}
