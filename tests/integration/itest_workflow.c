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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

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

	if (argc != 5 || strcmp(argv[1], "publish") != 0) {
		fprintf(stderr, "usage: itest_workflow publish SPEC MSPID DIR\n");
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
