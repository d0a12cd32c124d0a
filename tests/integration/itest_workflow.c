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
#include "fixture.h"
#include "itest.h"
#include "msp.h"
#include "topology.h"
#include "xmalloc.h"

/* The update subcommand. */
static int
update(const char *old_path, const char *new_path, const char *channel,
    const char *orgs_path)
{
	json_t *a = fixture_load(old_path), *b = fixture_load(new_path);
	json_t *orgs, *out;
	Common__Config *ca, *cb;
	Common__ConfigUpdate *cu;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char hex[65], *cause = NULL, *b64, *text;
	uint8_t *bytes;
	size_t len = 0;

	REQUIRE(a != NULL && b != NULL);
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
	json_t *doc, *out;
	char *cause = NULL, *text;

	if (argc == 6 && strcmp(argv[1], "update") == 0)
		return update(argv[2], argv[3], argv[4], argv[5]);
	if (argc != 5 || strcmp(argv[1], "publish") != 0) {
		fprintf(stderr, "usage: itest_workflow publish SPEC MSPID DIR\n"
		    "       itest_workflow update OLD NEW CHANNEL ORGS\n");
		return 2;
	}
	doc = fixture_load(argv[2]);
	REQUIRE(doc != NULL);
	REQUIRE(topology_find_org(doc, argv[3]) != NULL);
	if ((out = fixture_publish(doc, argv[3], argv[4], NULL,
	    &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	text = json_dumps(out, JSON_COMPACT);
	puts(text);
	free(text);
	json_decref(out);
	json_decref(doc);
	return nfailures != 0;
}
