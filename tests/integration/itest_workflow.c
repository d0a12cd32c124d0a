/*
 * itest_workflow.c: the MSP material an org's agent publishes, made for
 * real (lib/msp.c) for tests/integration/workflow_api.sh, which plays the
 * agents with curl.
 *
 *   itest_workflow publish SPEC MSPID DIR
 *
 * makes the org's PKI under DIR (CAs, admin, its peers and orderers of the
 * document SPEC) and prints {"msp": <msp_public>, "endpoints": {"orderers":
 * [{name, endpoint, tlsCert}], "peers": [{name, endpoint}]}}.
 *
 *   itest_workflow update OLD NEW CHANNEL ORGS
 *
 * prints what an agent's update-prepare result detail holds for the change
 * from document OLD to document NEW: {"update": <base64 ConfigUpdate>,
 * "sha256": <hex>}, computed by fupd_compute between the two channel
 * configs (fupd_desired) over ORGS, a file holding the published material
 * {"<msp>": {"msp": .., "endpoints": ..}}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <openssl/evp.h>

#include "b64.h"
#include "fabric_config.h"
#include "fabric_update.h"
#include "itest.h"
#include "msp.h"
#include "topology.h"
#include "xmalloc.h"

#define MAX_DOC (1024 * 1024)

static json_t *
load(const char *path)
{
	struct topo_diags d;
	char *buf = xmalloc(MAX_DOC);
	json_t *doc;
	FILE *fp;
	size_t n;

	REQUIRE((fp = fopen(path, "r")) != NULL);
	n = fread(buf, 1, MAX_DOC, fp);
	fclose(fp);
	topo_diags_init(&d);
	doc = topology_load(buf, n, &d);
	topo_diags_free(&d);
	free(buf);
	REQUIRE(doc != NULL);
	return doc;
}

/* The update subcommand. */
static int
update(const char *old_path, const char *new_path, const char *channel,
    const char *orgs_path)
{
	json_t *a = load(old_path), *b = load(new_path), *orgs, *out;
	Common__Config *ca, *cb;
	Common__ConfigUpdate *cu;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char hex[65], *cause = NULL, *b64, *text;
	uint8_t *bytes;
	size_t len = 0;

	orgs = json_load_file(orgs_path, 0, NULL);
	REQUIRE(orgs != NULL);
	if ((ca = fupd_desired(a, channel, orgs, &cause)) == NULL ||
	    (cb = fupd_desired(b, channel, orgs, &cause)) == NULL ||
	    (cu = fupd_compute(ca, cb, channel, &cause)) == NULL) {
		fprintf(stderr, "update: %s\n", cause);
		return 1;
	}
	bytes = fupd_pack(cu, &len);
	REQUIRE(bytes != NULL);
	REQUIRE(EVP_Digest(bytes, len, md, &mdlen, EVP_sha256(), NULL) == 1);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	b64 = b64_encode(bytes, len, 0);
	out = json_pack("{s:s, s:s}", "update", b64, "sha256", hex);
	text = json_dumps(out, JSON_COMPACT);
	puts(text);
	free(text);
	free(b64);
	free(bytes);
	json_decref(out);
	fupd_free(cu);
	fcfg_free(ca);
	fcfg_free(cb);
	json_decref(orgs);
	json_decref(a);
	json_decref(b);
	return nfailures != 0;
}

int
main(int argc, char **argv)
{
	const char *lists[] = { "peers", "orderers" };
	const json_t *org = NULL, *o, *n;
	struct msp_org morg;
	struct msp_node node;
	json_t *doc, *msp, *eps, *arr, *out;
	char *cause = NULL, *text;
	size_t i, k;

	if (argc == 6 && strcmp(argv[1], "update") == 0)
		return update(argv[2], argv[3], argv[4], argv[5]);
	if (argc != 5 || strcmp(argv[1], "publish") != 0) {
		fprintf(stderr, "usage: itest_workflow publish SPEC MSPID DIR\n"
		    "       itest_workflow update OLD NEW CHANNEL ORGS\n");
		return 2;
	}
	doc = load(argv[2]);
	json_array_foreach(json_object_get(json_object_get(doc, "spec"), "orgs"), i, o)
		if (strcmp(json_string_value(json_object_get(o, "mspId")), argv[3]) == 0)
			org = o;
	REQUIRE(org != NULL);
	morg.dir = argv[4];
	morg.mspid = argv[3];
	morg.domain = json_string_value(json_object_get(org, "domain"));
	if (msp_org_ensure(&morg, NULL, &cause) == -1) {
		fprintf(stderr, "msp_org_ensure: %s\n", cause);
		return 1;
	}
	for (k = 0; k < 2; k++) {
		json_array_foreach(json_object_get(org, lists[k]), i, n) {
			memset(&node, 0, sizeof(node));
			node.name = json_string_value(json_object_get(n, "name"));
			node.role = k == 0 ? MSP_ROLE_PEER : MSP_ROLE_ORDERER;
			if (msp_node_ensure(&morg, &node, NULL, &cause) == -1) {
				fprintf(stderr, "msp_node_ensure: %s\n", cause);
				return 1;
			}
		}
	}
	if ((msp = msp_public(&morg, &cause)) == NULL) {
		fprintf(stderr, "msp_public: %s\n", cause);
		return 1;
	}
	eps = json_object();
	arr = json_array();
	json_array_foreach(json_object_get(org, "orderers"), i, n) {
		const char *name = json_string_value(json_object_get(n, "name"));

		json_array_append_new(arr, json_pack("{s:s, s:O, s:O}", "name", name,
		    "endpoint", json_object_get(n, "endpoint"), "tlsCert",
		    json_object_get(json_object_get(json_object_get(msp, "orderers"),
		    name), "tlsCert")));
	}
	json_object_set_new(eps, "orderers", arr);
	arr = json_array();
	json_array_foreach(json_object_get(org, "peers"), i, n)
		json_array_append_new(arr, json_pack("{s:O, s:O}", "name",
		    json_object_get(n, "name"), "endpoint", json_object_get(n, "endpoint")));
	json_object_set_new(eps, "peers", arr);
	out = json_pack("{s:o, s:o}", "msp", msp, "endpoints", eps);
	text = json_dumps(out, JSON_COMPACT);
	puts(text);
	free(text);
	json_decref(out);
	json_decref(doc);
	return nfailures != 0;
}
