/*
 * test_topology.c: the consortium document: parsing with positions, every
 * rule of TOPOLOGY.md with the exact path (and for many the exact line and
 * column) of its error, warnings, normalization, and hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "topology.h"
#include "xmalloc.h"

/* The example of TOPOLOGY.md without its comments; line numbers matter. */
static const char base[] =
    "apiVersion: fabfed.io/v1alpha1\n"                                  /* 1 */
    "kind: Consortium\n"
    "metadata:\n"
    "  name: trade-finance\n"
    "spec:\n"                                                           /* 5 */
    "  fabricVersion: \"2.5\"\n"
    "  orgs:\n"
    "    - mspId: Org1MSP\n"
    "      domain: org1.example.com\n"
    "      cluster:\n"                                                  /* 10 */
    "        name: beijing-prod\n"
    "        region: cn-north\n"
    "      peers:\n"
    "        - name: peer0\n"
    "          endpoint: peer0.org1.example.com:7051\n"                 /* 15 */
    "          anchor: true\n"
    "          stateDatabase: leveldb\n"
    "      orderers:\n"
    "        - name: orderer0\n"
    "          endpoint: orderer0.org1.example.com:7050\n"              /* 20 */
    "    - mspId: Org2MSP\n"
    "      domain: org2.example.com\n"
    "      cluster: {name: shanghai-prod, region: cn-east}\n"
    "      peers:\n"
    "        - {name: peer0, endpoint: peer0.org2.example.com:7051, anchor: true}\n"
    "      orderers:\n"
    "        - {name: orderer0, endpoint: orderer0.org2.example.com:7050}\n"
    "    - mspId: Org3MSP\n"
    "      domain: org3.example.com\n"
    "      cluster: {name: shenzhen-prod, region: cn-south}\n"         /* 30 */
    "      peers:\n"
    "        - {name: peer0, endpoint: peer0.org3.example.com:7051, anchor: true}\n"
    "      orderers:\n"
    "        - {name: orderer0, endpoint: orderer0.org3.example.com:7050}\n"
    "  channels:\n"                                                     /* 35 */
    "    - name: trade\n"
    "      consenters: [Org1MSP/orderer0, Org2MSP/orderer0, Org3MSP/orderer0]\n"
    "      members: [Org1MSP, Org2MSP, Org3MSP]\n"
    "      policies:\n"
    "        admins: MAJORITY\n"                                        /* 40 */
    "        endorsement: MAJORITY\n"
    "      batch:\n"
    "        timeout: 2s\n"
    "        maxMessageCount: 500\n";

/* The same consortium as JSON: keys reordered, defaults left out. */
static const char base_json[] =
    "{\"spec\": {\"channels\": [{\"members\": [\"Org1MSP\", \"Org2MSP\", "
    "\"Org3MSP\"], \"name\": \"trade\", \"batch\": {\"timeout\": \"2000ms\"},"
    "\"consenters\": [\"Org1MSP/orderer0\", \"Org2MSP/orderer0\", "
    "\"Org3MSP/orderer0\"]}],\n"
    "\t\"orgs\": [\n"
    "\t{\"orderers\": [{\"endpoint\": \"orderer0.org1.example.com:7050\","
    " \"name\": \"orderer0\"}], \"domain\": \"org1.example.com\","
    " \"mspId\": \"Org1MSP\", \"cluster\": {\"region\": \"cn-north\","
    " \"name\": \"beijing-prod\"}, \"peers\": [{\"anchor\": true,"
    " \"endpoint\": \"peer0.org1.example.com:7051\", \"name\": \"peer0\"}]},\n"
    "\t{\"mspId\": \"Org2MSP\", \"domain\": \"org2.example.com\","
    " \"cluster\": {\"name\": \"shanghai-prod\", \"region\": \"cn-east\"},"
    " \"peers\": [{\"name\": \"peer0\", \"endpoint\":"
    " \"peer0.org2.example.com:7051\", \"anchor\": true,"
    " \"stateDatabase\": \"leveldb\"}], \"orderers\": [{\"name\":"
    " \"orderer0\", \"endpoint\": \"orderer0.org2.example.com:7050\"}]},\n"
    "\t{\"mspId\": \"Org3MSP\", \"domain\": \"org3.example.com\","
    " \"cluster\": {\"name\": \"shenzhen-prod\", \"region\": \"cn-south\"},"
    " \"peers\": [{\"name\": \"peer0\", \"endpoint\":"
    " \"peer0.org3.example.com:7051\", \"anchor\": true}], \"orderers\":"
    " [{\"name\": \"orderer0\", \"endpoint\":"
    " \"orderer0.org3.example.com:7050\"}]}]},\n"
    "\"metadata\": {\"name\": \"trade-finance\"}, \"kind\": \"Consortium\","
    " \"apiVersion\": \"fabfed.io/v1alpha1\"}\n";

/* base with the first occurrence of find replaced. Caller frees. */
static char *
mutate(const char *doc, const char *find, const char *repl)
{
	const char *p = strstr(doc, find);

	if (p == NULL)
		fail_msg("mutation \"%s\" does not apply", find);
	return xasprintf("%.*s%s%s", (int)(p - doc), doc, repl,
	    p + strlen(find));
}

static json_t *
load(const char *doc, struct topo_diags *d)
{
	topo_diags_init(d);
	return topology_load(doc, strlen(doc), d);
}

static const struct topo_diag *
first_error(const struct topo_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!d->v[i].warning)
			return &d->v[i];
	return NULL;
}

static int
has_error(const struct topo_diags *d, const char *path)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!d->v[i].warning && strcmp(d->v[i].path, path) == 0)
			return 1;
	return 0;
}

static void
dump(const struct topo_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		print_message("  %s %s:%d:%d: %s\n", d->v[i].warning ? "warning" :
		    "error", d->v[i].path, d->v[i].line, d->v[i].column,
		    d->v[i].message);
}

static void
test_example_loads(void **state)
{
	struct topo_diags d;
	json_t *doc;

	(void)state;
	doc = load(base, &d);
	if (doc == NULL)
		dump(&d);
	assert_non_null(doc);
	assert_int_equal(d.n, 0);
	assert_string_equal(topology_name(doc), "trade-finance");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    doc, "spec"), "fabricVersion")), "2.5");
	json_decref(doc);
	topo_diags_free(&d);
}

/* examples/consortium.yaml (with its comments) is the same document. */
static void
test_example_file(void **state)
{
	struct topo_diags d, d2;
	const char *src = getenv("FABFED_SRC");
	char *path, chunk[4096];
	struct buf b;
	json_t *doc, *doc2;
	FILE *f;
	size_t n;

	(void)state;
	if (src == NULL)
		src = ".";
	path = xasprintf("%s/examples/consortium.yaml", src);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	buf_init(&b, (size_t)TOPOLOGY_MAX_BYTES);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_add(&b, chunk, n), 0);
	fclose(f);
	free(path);

	topo_diags_init(&d);
	doc = topology_load(b.data, b.len, &d);
	if (doc == NULL)
		dump(&d);
	assert_non_null(doc);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.nwarnings, 0);
	doc2 = load(base, &d2);
	assert_non_null(doc2);
	assert_true(json_equal(doc, doc2));
	json_decref(doc);
	json_decref(doc2);
	topo_diags_free(&d);
	topo_diags_free(&d2);
	buf_free(&b);
}

struct bad {
	const char *find;
	const char *repl;
	const char *path;       /* of the first error in document order */
	size_t nerrors;         /* exactly */
	int line;               /* 0: not checked */
	int column;
	const char *msg;        /* part of that error's message, or NULL */
};

static const struct bad bads[] = {
	{ "apiVersion: fabfed.io/v1alpha1", "apiVersion: fabfed.io/v1",
	    "apiVersion", 1, 1, 13, "unsupported apiVersion" },
	{ "kind: Consortium", "kind: Network", "kind", 1, 2, 7,
	    "expected \"Consortium\"" },
	{ "kind: Consortium\n", "", "kind", 1, 1, 1, "missing required field" },
	{ "kind: Consortium", "kind: [Consortium]", "kind", 1, 2, 7,
	    "expected a string, found a list" },
	{ "name: trade-finance", "name: Trade_Finance", "metadata.name", 1,
	    4, 9, "invalid consortium name" },
	{ "name: trade-finance", "name: trade-", "metadata.name", 1, 4, 9,
	    NULL },
	{ "name: trade-finance",
	    "name: a123456789012345678901234567890123456789012345678901234567890123",
	    "metadata.name", 1, 4, 9, NULL },
	{ "  name: trade-finance\n", "  name: trade-finance\n  labels: {a: b}\n",
	    "metadata.labels", 1, 5, 3, "expected one of: name" },
	{ "fabricVersion: \"2.5\"", "fabricVersion: 2.5", "spec.fabricVersion",
	    1, 6, 18, "quote it" },
	{ "fabricVersion: \"2.5\"", "fabricVersion: \"3.0\"",
	    "spec.fabricVersion", 1, 6, 18, "\"2.5\" or \"2.4\"" },
	{ "  orgs:", "  orgz:", "spec.orgs", 8, 6, 3, "missing required field" },
	{ "    - mspId: Org2MSP", "    - mspId: Org1MSP", "spec.orgs[1].mspId",
	    3, 21, 14, "duplicate MSP ID \"Org1MSP\" (first at spec.orgs[0].mspId)" },
	{ "    - mspId: Org2MSP", "    - mspId: ORG1MSP", "spec.orgs[1].mspId",
	    3, 21, 14, "differs only in case" },
	{ "mspId: Org3MSP", "mspId: Org3_MSP", "spec.orgs[2].mspId", 3, 28, 14,
	    "invalid MSP ID" },
	{ "mspId: Org3MSP", "mspId: \"\"", "spec.orgs[2].mspId", 3, 28, 14,
	    NULL },
	{ "domain: org2.example.com", "domain: org2..example.com",
	    "spec.orgs[1].domain", 1, 22, 15, "invalid domain" },
	{ "domain: org2.example.com", "domain: 10.0.0.1",
	    "spec.orgs[1].domain", 1, 22, 15, NULL },
	{ "      domain: org2.example.com\n", "", "spec.orgs[1].domain", 1,
	    21, 7, "missing required field" },
	{ "{name: shanghai-prod, region: cn-east}", "{name: shanghai-prod}",
	    "spec.orgs[1].cluster.region", 1, 23, 16, "missing required field" },
	{ "name: beijing-prod", "name: [beijing]", "spec.orgs[0].cluster.name",
	    1, 11, 15, "expected a string, found a list" },
	{ "region: cn-north", "region: cn north", "spec.orgs[0].cluster.region",
	    1, 12, 17, "invalid cluster region" },
	{ "          anchor: true\n", "          anchr: true\n",
	    "spec.orgs[0].peers[0].anchr", 1, 16, 11,
	    "unknown field (did you mean \"anchor\"?)" },
	{ "      peers:\n        - name: peer0", "      peer:\n        - name: peer0",
	    "spec.orgs[0].peer", 1, 13, 7, "did you mean \"peers\"?" },
	{ "- name: peer0\n", "- name: Peer_0\n", "spec.orgs[0].peers[0].name", 1,
	    14, 17, "invalid node name" },
	{ "- name: orderer0\n", "- name: peer0\n",
	    "spec.orgs[0].orderers[0].name", 2, 19, 17,
	    "duplicate node name \"peer0\" in this org" },
	{ "endpoint: peer0.org1.example.com:7051",
	    "endpoint: peer0.org1.example.com", "spec.orgs[0].peers[0].endpoint",
	    1, 15, 21, "missing port" },
	{ "example.com:7051", "example.com:0", "spec.orgs[0].peers[0].endpoint",
	    1, 15, 21, "1 to 65535" },
	{ "example.com:7051", "example.com:65536",
	    "spec.orgs[0].peers[0].endpoint", 1, 15, 21, "1 to 65535" },
	{ "peer0.org1.example.com:7051", "peer_0.org1.example.com:7051",
	    "spec.orgs[0].peers[0].endpoint", 1, 15, 21, "DNS name" },
	{ "peer0.org1.example.com:7051", "\"::1:7051\"",
	    "spec.orgs[0].peers[0].endpoint", 1, 15, 21, "brackets" },
	{ "peer0.org1.example.com:7051", "\"[fe80::1:7051\"",
	    "spec.orgs[0].peers[0].endpoint", 1, 15, 21, NULL },
	{ "peer0.org1.example.com:7051", "300.1.1.1:7051",
	    "spec.orgs[0].peers[0].endpoint", 1, 15, 21, "IPv4" },
	{ "orderer0.org3.example.com:7050", "ORDERER0.org2.example.com:7050",
	    "spec.orgs[2].orderers[0].endpoint", 1, 34, 38,
	    "is already used by spec.orgs[1].orderers[0]" },
	{ "stateDatabase: leveldb", "stateDatabase: mysql",
	    "spec.orgs[0].peers[0].stateDatabase", 1, 17, 26, "leveldb or couchdb" },
	{ "anchor: true\n", "anchor: yes\n", "spec.orgs[0].peers[0].anchor", 1,
	    16, 19, "YAML 1.2" },
	{ "anchor: true\n", "anchor: \"true\"\n", "spec.orgs[0].peers[0].anchor",
	    1, 16, 19, "found a string" },
	{ "- name: trade", "- name: Trade", "spec.channels[0].name", 1, 36, 13,
	    "invalid channel name" },
	{ "- name: trade", "- name: 1trade", "spec.channels[0].name", 1, 36, 13,
	    NULL },
	{ "  channels:\n", "  channels:\n    - {name: trade, consenters: "
	    "[Org1MSP/orderer0], members: [Org1MSP]}\n", "spec.channels[1].name",
	    1, 37, 13, "duplicate channel name \"trade\"" },
	{ "[Org1MSP/orderer0,", "[Org9MSP/orderer0,",
	    "spec.channels[0].consenters[0]", 1, 37, 20,
	    "no org with MSP ID \"Org9MSP\"" },
	{ "Org2MSP/orderer0,", "Org2MSP/orderer9,",
	    "spec.channels[0].consenters[1]", 1, 37, 38,
	    "org Org2MSP has no orderer named \"orderer9\"" },
	{ "Org3MSP/orderer0]", "Org3MSP]", "spec.channels[0].consenters[2]", 1,
	    37, 56, "MSPID/ordererName" },
	{ "Org3MSP/orderer0]", "Org1MSP/orderer0]",
	    "spec.channels[0].consenters[2]", 1, 37, 56, "duplicate consenter" },
	{ "[Org1MSP/orderer0, Org2MSP/orderer0, Org3MSP/orderer0]", "[]",
	    "spec.channels[0].consenters", 1, 37, 19, "at least one consenter" },
	{ "[Org1MSP, Org2MSP, Org3MSP]", "[Org1MSP, Org2MSP, Org4MSP]",
	    "spec.channels[0].members[2]", 1, 38, 35, "no org with MSP ID" },
	{ "[Org1MSP, Org2MSP, Org3MSP]", "[Org1MSP, Org2MSP, Org2MSP]",
	    "spec.channels[0].members[2]", 1, 38, 35, "duplicate member" },
	{ "[Org1MSP, Org2MSP, Org3MSP]", "[]", "spec.channels[0].members", 1,
	    38, 16, "at least one member" },
	{ "      members: [Org1MSP, Org2MSP, Org3MSP]\n", "",
	    "spec.channels[0].members", 1, 36, 7, "missing required field" },
	{ "admins: MAJORITY", "admins: most", "spec.channels[0].policies.admins",
	    1, 40, 17, "ANY, MAJORITY or ALL" },
	{ "endorsement: MAJORITY", "endorsement: majority",
	    "spec.channels[0].policies.endorsement", 1, 41, 22, NULL },
	{ "timeout: 2s", "timeout: 2 seconds", "spec.channels[0].batch.timeout",
	    1, 43, 18, "Go duration" },
	{ "timeout: 2s", "timeout: 0s", "spec.channels[0].batch.timeout", 1, 43,
	    18, "more than 0" },
	{ "timeout: 2s", "timeout: 2h", "spec.channels[0].batch.timeout", 1, 43,
	    18, "at most 1h" },
	{ "timeout: 2s", "timeout: 2", "spec.channels[0].batch.timeout", 1, 43,
	    18, "expected a string, found a number" },
	{ "maxMessageCount: 500", "maxMessageCount: 0",
	    "spec.channels[0].batch.maxMessageCount", 1, 44, 26,
	    "from 1 to 100000" },
	{ "maxMessageCount: 500", "maxMessageCount: \"500\"",
	    "spec.channels[0].batch.maxMessageCount", 1, 44, 26,
	    "expected an integer, found a string" },
	{ "maxMessageCount: 500", "maxMessageCount: 500\n"
	    "        preferredMaxBytes: 20971520",
	    "spec.channels[0].batch.preferredMaxBytes", 1, 45, 28,
	    "must not exceed absoluteMaxBytes (10485760)" },
	{ "maxMessageCount: 500", "maxMessages: 500",
	    "spec.channels[0].batch.maxMessages", 1, 44, 9,
	    "did you mean \"maxMessageCount\"" },
	{ "kind: Consortium\n", "kind: Consortium\nkind: Consortium\n", "kind",
	    1, 3, 1, "duplicate key \"kind\" (first at line 2, column 1)" },
	{ "  orgs:\n", "  orgs: &orgs\n", "spec.orgs", 1, 7, 9,
	    "anchors (&orgs) are not supported" },
	{ "timeout: 2s", "timeout: !duration 2s",
	    "spec.channels[0].batch.timeout", 1, 43, 18, "unsupported tag" },
	{ "members: [Org1MSP, Org2MSP, Org3MSP]",
	    "members: [Org1MSP, Org2MSP, Org3MSP",
	    "spec.channels[0].members", 1, 39, 15, "did not find expected" },
};

static void
test_bad_documents(void **state)
{
	struct topo_diags d;
	const struct topo_diag *g;
	json_t *doc;
	char *text;
	size_t i, failures = 0;

	(void)state;
	assert_true(sizeof(bads) / sizeof(bads[0]) >= 30);
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];

		text = mutate(base, b->find, b->repl);
		doc = load(text, &d);
		g = first_error(&d);
		if (doc != NULL || g == NULL || d.nerrors != b->nerrors ||
		    strcmp(g->path, b->path) != 0 ||
		    (b->line != 0 && (g->line != b->line ||
		    g->column != b->column)) ||
		    (b->msg != NULL && strstr(g->message, b->msg) == NULL)) {
			print_message("case %zu (\"%s\" -> \"%s\"): expected %zu "
			    "error(s), first %s:%d:%d \"%s\"; got:\n", i, b->find,
			    b->repl, b->nerrors, b->path, b->line, b->column,
			    b->msg != NULL ? b->msg : "");
			dump(&d);
			failures++;
		}
		json_decref(doc);
		topo_diags_free(&d);
		free(text);
	}
	assert_int_equal(failures, 0);
}

static void
test_three_errors(void **state)
{
	struct topo_diags d;
	char *t1, *t2, *t3;
	json_t *arr;
	size_t i;

	(void)state;
	t1 = mutate(base, "kind: Consortium", "kind: Consortia");
	t2 = mutate(t1, "stateDatabase: leveldb", "stateDatabase: rocksdb");
	t3 = mutate(t2, "timeout: 2s", "timeout: soon");
	assert_null(load(t3, &d));
	assert_int_equal(d.nerrors, 3);
	assert_int_equal(d.nwarnings, 0);
	assert_string_equal(d.v[0].path, "kind");
	assert_int_equal(d.v[0].line, 2);
	assert_string_equal(d.v[1].path, "spec.orgs[0].peers[0].stateDatabase");
	assert_int_equal(d.v[1].line, 17);
	assert_string_equal(d.v[2].path, "spec.channels[0].batch.timeout");
	assert_int_equal(d.v[2].line, 43);
	assert_int_equal(d.v[2].column, 18);

	arr = topo_diags_json(&d, 0);
	assert_int_equal(json_array_size(arr), 3);
	for (i = 0; i < 3; i++) {
		json_t *e = json_array_get(arr, i);

		assert_string_equal(json_string_value(json_object_get(e, "path")),
		    d.v[i].path);
		assert_int_equal(json_integer_value(json_object_get(e, "line")),
		    d.v[i].line);
		assert_int_equal(json_integer_value(json_object_get(e, "column")),
		    d.v[i].column);
		assert_non_null(json_string_value(json_object_get(e, "message")));
		assert_int_equal(json_object_size(e), 4);
	}
	json_decref(arr);
	arr = topo_diags_json(&d, 1);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	topo_diags_free(&d);
	free(t1);
	free(t2);
	free(t3);
}

/* Errors come out in document order even when found out of it. */
static void
test_document_order(void **state)
{
	struct topo_diags d;
	char *t1, *t2;
	size_t i;

	(void)state;
	/* The channel's reference error is found after the orgs, but the
	 * unknown field at the top of the document sorts first. */
	t1 = mutate(base, "apiVersion: fabfed.io/v1alpha1\n",
	    "spec2: 1\napiVersion: fabfed.io/v1alpha1\n");
	t2 = mutate(t1, "Org2MSP/orderer0,", "Org2MSP/nope,");
	assert_null(load(t2, &d));
	assert_int_equal(d.nerrors, 2);
	assert_string_equal(d.v[0].path, "spec2");
	assert_int_equal(d.v[0].line, 1);
	assert_string_equal(d.v[1].path, "spec.channels[0].consenters[1]");
	for (i = 1; i < d.n; i++)
		assert_true(d.v[i - 1].line < d.v[i].line ||
		    (d.v[i - 1].line == d.v[i].line &&
		    d.v[i - 1].column <= d.v[i].column));
	topo_diags_free(&d);
	free(t1);
	free(t2);
}

static void
test_warnings(void **state)
{
	struct topo_diags d;
	json_t *doc, *w;
	char *t1, *t2;

	(void)state;
	/* Two consenters, both in cn-north; Org2 without an anchor peer. */
	t1 = mutate(base, "[Org1MSP/orderer0, Org2MSP/orderer0, Org3MSP/orderer0]",
	    "[Org1MSP/orderer0, Org2MSP/orderer0]");
	t2 = mutate(t1, "region: cn-east", "region: cn-north");
	free(t1);
	t1 = mutate(t2, "peer0.org2.example.com:7051, anchor: true",
	    "peer0.org2.example.com:7051");
	doc = load(t1, &d);
	if (doc == NULL)
		dump(&d);
	assert_non_null(doc);           /* warnings alone do not refuse */
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.nwarnings, 3);
	assert_string_equal(d.v[0].path, "spec.channels[0].consenters");
	assert_int_equal(d.v[0].line, 37);
	assert_int_equal(d.v[0].column, 19);
	assert_non_null(strstr(d.v[0].message, "even number of consenters (2)"));
	assert_string_equal(d.v[1].path, "spec.channels[0].consenters");
	assert_non_null(strstr(d.v[1].message, "region \"cn-north\""));
	assert_string_equal(d.v[2].path, "spec.channels[0].members[1]");
	assert_non_null(strstr(d.v[2].message, "Org2MSP has peers but no anchor"));
	w = topo_diags_json(&d, 1);
	assert_int_equal(json_array_size(w), 3);
	json_decref(w);
	w = topo_diags_json(&d, 0);
	assert_int_equal(json_array_size(w), 0);
	json_decref(w);
	json_decref(doc);
	topo_diags_free(&d);
	free(t1);
	free(t2);

	/* An org with no peers at all needs no anchor; 3 regions, 3 consenters. */
	t1 = mutate(base, "      peers:\n        - {name: peer0, endpoint: "
	    "peer0.org2.example.com:7051, anchor: true}\n", "");
	doc = load(t1, &d);
	assert_non_null(doc);
	assert_int_equal(d.n, 0);
	json_decref(doc);
	topo_diags_free(&d);
	free(t1);
}

static void
test_normalize_equal(void **state)
{
	struct topo_diags d1, d2, d3;
	json_t *a, *b, *c, *parsed, *batch;
	json_error_t jerr;

	(void)state;
	a = load(base, &d1);
	b = load(base_json, &d2);
	if (b == NULL)
		dump(&d2);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(json_equal(a, b));

	/* Defaults are filled in. */
	batch = json_object_get(json_array_get(json_object_get(json_object_get(b,
	    "spec"), "channels"), 0), "batch");
	assert_string_equal(json_string_value(json_object_get(batch, "timeout")),
	    "2s");
	assert_int_equal(json_integer_value(json_object_get(batch,
	    "maxMessageCount")), 500);
	assert_int_equal(json_integer_value(json_object_get(batch,
	    "absoluteMaxBytes")), 10 * 1024 * 1024);
	assert_int_equal(json_integer_value(json_object_get(batch,
	    "preferredMaxBytes")), 2 * 1024 * 1024);

	/* topology_check on the parsed JSON: the same, without positions. */
	parsed = json_loads(base_json, 0, &jerr);
	assert_non_null(parsed);
	topo_diags_init(&d3);
	c = topology_check(parsed, &d3);
	assert_non_null(c);
	assert_true(json_equal(a, c));
	/* And the normalized document is a fixed point. */
	json_decref(c);
	c = topology_check(a, &d3);
	assert_non_null(c);
	assert_true(json_equal(a, c));
	assert_int_equal(d3.n, 0);
	json_decref(c);

	/* A change in a value is a different document. */
	json_object_set_new(json_object_get(parsed, "metadata"), "name",
	    json_string("other"));
	c = topology_check(parsed, &d3);
	assert_non_null(c);
	assert_false(json_equal(a, c));
	json_decref(c);

	json_decref(parsed);
	json_decref(a);
	json_decref(b);
	topo_diags_free(&d1);
	topo_diags_free(&d2);
	topo_diags_free(&d3);
}

static void
test_check_without_positions(void **state)
{
	struct topo_diags d;
	json_t *doc;

	(void)state;
	doc = json_pack("{s:s, s:s, s:{s:s}, s:{s:[{s:s}], s:i}}",
	    "apiVersion", "fabfed.io/v1alpha1", "kind", "Consortium",
	    "metadata", "name", "x", "spec", "orgs", "mspId", "A MSP",
	    "extra", 1);
	topo_diags_init(&d);
	assert_null(topology_check(doc, &d));
	/* extra (unknown), mspId invalid, domain, cluster missing. */
	assert_int_equal(d.nerrors, 4);
	assert_true(has_error(&d, "spec.extra"));
	assert_true(has_error(&d, "spec.orgs[0].mspId"));
	assert_true(has_error(&d, "spec.orgs[0].domain"));
	assert_true(has_error(&d, "spec.orgs[0].cluster"));
	assert_int_equal(d.v[0].line, 0);
	assert_int_equal(d.v[0].column, 0);
	json_decref(doc);
	topo_diags_free(&d);

	/* Not an object at all. */
	doc = json_integer(3);
	topo_diags_init(&d);
	assert_null(topology_check(doc, &d));
	assert_int_equal(d.nerrors, 1);
	assert_string_equal(d.v[0].path, "");
	json_decref(doc);
	topo_diags_free(&d);
}

static void
test_durations(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "2s", "2s" }, { "2000ms", "2s" }, { "1m30s", "1m30s" },
		{ "90s", "1m30s" }, { "1500ms", "1.5s" }, { "0.5s", "500ms" },
		{ "1h", "1h0m0s" }, { "250us", "250\xc2\xb5s" },
		{ "1.25m", "1m15s" }, { "100ns", "100ns" }, { "+3s", "3s" },
	};
	struct topo_diags d;
	json_t *doc, *t;
	char *text, *repl;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		repl = xasprintf("timeout: \"%s\"", cases[i].in);
		text = mutate(base, "timeout: 2s", repl);
		doc = load(text, &d);
		if (doc == NULL)
			dump(&d);
		assert_non_null(doc);
		t = json_object_get(json_object_get(json_array_get(json_object_get(
		    json_object_get(doc, "spec"), "channels"), 0), "batch"),
		    "timeout");
		assert_string_equal(json_string_value(t), cases[i].out);
		json_decref(doc);
		topo_diags_free(&d);
		free(text);
		free(repl);
	}
}

static void
test_yaml_typing(void **state)
{
	struct topo_diags d;
	json_t *doc;
	char *text;

	(void)state;
	/* An explicit !!str makes 2.5 a string; !!int reads a quoted 500. */
	text = mutate(base, "fabricVersion: \"2.5\"", "fabricVersion: !!str 2.5");
	doc = load(text, &d);
	assert_non_null(doc);
	json_decref(doc);
	topo_diags_free(&d);
	free(text);

	text = mutate(base, "maxMessageCount: 500", "maxMessageCount: 0x1f4");
	doc = load(text, &d);
	assert_non_null(doc);
	json_decref(doc);
	topo_diags_free(&d);
	free(text);

	text = mutate(base, "maxMessageCount: 500", "maxMessageCount: !!int 5x");
	assert_null(load(text, &d));
	assert_true(has_error(&d, "spec.channels[0].batch.maxMessageCount"));
	topo_diags_free(&d);
	free(text);

	/* Optional fields left empty (null) take their defaults. */
	text = mutate(base, "stateDatabase: leveldb", "stateDatabase:");
	doc = load(text, &d);
	assert_non_null(doc);
	json_decref(doc);
	topo_diags_free(&d);
	free(text);

	/* Huge numbers are refused, not wrapped. */
	text = mutate(base, "maxMessageCount: 500",
	    "maxMessageCount: 99999999999999999999999");
	assert_null(load(text, &d));
	assert_int_equal(d.nerrors, 1);
	assert_true(has_error(&d, "spec.channels[0].batch.maxMessageCount"));
	topo_diags_free(&d);
	free(text);

	text = mutate(base, "maxMessageCount: 500", "maxMessageCount: .inf");
	assert_null(load(text, &d));
	assert_int_equal(d.nerrors, 1);
	topo_diags_free(&d);
	free(text);
}

static void
test_size_limit(void **state)
{
	struct topo_diags d;
	char *big;
	size_t len = TOPOLOGY_MAX_BYTES + 1;

	(void)state;
	big = xmalloc(len);
	memset(big, ' ', len);
	memcpy(big, base, sizeof(base) - 1);
	topo_diags_init(&d);
	assert_null(topology_load(big, len, &d));
	assert_int_equal(d.nerrors, 1);
	assert_string_equal(d.v[0].path, "");
	assert_non_null(strstr(d.v[0].message, "1 MiB"));
	topo_diags_free(&d);

	/* At the limit it is parsed (trailing blanks are fine). */
	topo_diags_init(&d);
	json_decref(topology_load(big, len - 1, &d));
	assert_int_equal(d.nerrors, 0);
	topo_diags_free(&d);
	free(big);
}

static char *
nested(int depth)
{
	char *s = xmalloc((size_t)depth * 2 + 1);
	int i;

	for (i = 0; i < depth; i++) {
		s[i] = '[';
		s[(size_t)depth * 2 - 1 - (size_t)i] = ']';
	}
	s[(size_t)depth * 2] = '\0';
	return s;
}

static void
test_deep_nesting(void **state)
{
	struct topo_diags d;
	char *s, *doc;

	(void)state;
	s = nested(64);
	doc = xasprintf("a: %s", s);   /* 65 levels with the root mapping */
	assert_null(load(doc, &d));
	assert_int_equal(d.nerrors, 1);
	assert_non_null(strstr(d.v[0].message, "deeper than 64"));
	assert_int_equal(d.v[0].line, 1);
	assert_int_equal(d.v[0].column, 67);
	topo_diags_free(&d);
	free(doc);
	free(s);

	/* 64 levels parse: only the schema complains. */
	s = nested(63);
	doc = xasprintf("a: %s", s);
	assert_null(load(doc, &d));
	assert_true(has_error(&d, "a"));
	assert_null(strstr(d.v[0].message, "deeper"));
	topo_diags_free(&d);
	free(doc);
	free(s);

	/* A megabyte of brackets stops at once. */
	s = nested(400000);
	assert_null(load(s, &d));
	assert_int_equal(d.nerrors, 1);
	topo_diags_free(&d);
	free(s);
}

static void
test_aliases(void **state)
{
	struct topo_diags d;
	struct buf b;
	int i;

	(void)state;
	assert_null(load("a: &x [1]\nb: *x\n", &d));
	assert_int_equal(d.nerrors, 2);
	assert_string_equal(d.v[0].path, "a");
	assert_non_null(strstr(d.v[0].message, "anchors (&x)"));
	assert_string_equal(d.v[1].path, "b");
	assert_int_equal(d.v[1].line, 2);
	assert_int_equal(d.v[1].column, 4);
	assert_non_null(strstr(d.v[1].message, "aliases (*x) are not supported"));
	topo_diags_free(&d);

	/* Billion laughs: refused at the first alias, never expanded. */
	buf_init(&b, 0);
	buf_printf(&b, "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
	for (i = 1; i < 10; i++)
		buf_printf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, "
		    "*a%d, *a%d, *a%d]\n", i, i, i - 1, i - 1, i - 1, i - 1,
		    i - 1, i - 1, i - 1, i - 1, i - 1);
	assert_null(topology_load(b.data, b.len, &d));
	assert_true(d.nerrors >= 1);
	assert_non_null(strstr(d.v[d.n - 1].message, "aliases"));
	topo_diags_free(&d);
	buf_free(&b);

	/* Merge keys. */
	assert_null(load("a: {b: 1}\n<<: {c: 1}\n", &d));
	assert_true(has_error(&d, "[\"<<\"]"));
	topo_diags_free(&d);
}

static void
test_duplicate_keys(void **state)
{
	struct topo_diags d;
	char *text;

	(void)state;
	text = mutate(base, "        region: cn-north\n",
	    "        region: cn-north\n        region: cn-east\n");
	assert_null(load(text, &d));
	assert_int_equal(d.nerrors, 1);
	assert_string_equal(d.v[0].path, "spec.orgs[0].cluster.region");
	assert_int_equal(d.v[0].line, 13);
	assert_int_equal(d.v[0].column, 9);
	topo_diags_free(&d);
	free(text);

	/* In flow style (JSON) too. */
	assert_null(load("{\"kind\": \"a\", \"kind\": \"b\"}", &d));
	assert_true(has_error(&d, "kind"));
	topo_diags_free(&d);
}

static void
test_empty_and_roots(void **state)
{
	static const char *const empties[] = {
		"", "   \n\n", "# only a comment\n",
	};
	static const char *const roots[] = {
		"---\n", "hello", "42", "[a, b]", "null", "\"a string\"",
	};
	struct topo_diags d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		assert_null(load(empties[i], &d));
		assert_int_equal(d.nerrors, 1);
		assert_non_null(strstr(d.v[0].message, "empty"));
		topo_diags_free(&d);
	}
	topo_diags_init(&d);
	assert_null(topology_load(NULL, 0, &d));
	assert_int_equal(d.nerrors, 1);
	topo_diags_free(&d);
	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		assert_null(load(roots[i], &d));
		assert_int_equal(d.nerrors, 1);
		assert_string_equal(d.v[0].path, "");
		assert_non_null(strstr(d.v[0].message, "must be a mapping"));
		topo_diags_free(&d);
	}
	/* Two documents. */
	assert_null(load("a: 1\n---\nb: 2\n", &d));
	assert_int_equal(d.nerrors, 1);
	assert_non_null(strstr(d.v[0].message, "only one document"));
	assert_int_equal(d.v[0].line, 2);
	topo_diags_free(&d);
}

static void
test_binary_garbage(void **state)
{
	struct topo_diags d;
	unsigned char data[4096];
	uint32_t x = 2463534242u;
	size_t i, round;

	(void)state;
	for (round = 0; round < 200; round++) {
		for (i = 0; i < sizeof(data); i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			data[i] = (unsigned char)x;
		}
		topo_diags_init(&d);
		assert_null(topology_load((const char *)data,
		    1 + (size_t)(x % sizeof(data)), &d));
		assert_true(d.nerrors >= 1);
		topo_diags_free(&d);
	}
	/* A NUL byte inside otherwise valid text. */
	topo_diags_init(&d);
	assert_null(topology_load("kind: a\0b\n", 10, &d));
	assert_true(d.nerrors >= 1);
	topo_diags_free(&d);
	/* Invalid UTF-8: the offset and position are given. */
	assert_null(load("kind: \"\xff\"\n", &d));
	assert_int_equal(d.nerrors, 1);
	assert_int_equal(d.v[0].line, 1);
	assert_int_equal(d.v[0].column, 8);
	topo_diags_free(&d);
}

/* 500 orgs, one channel with all of them: linear, and correct. */
static void
test_many_orgs(void **state)
{
	struct topo_diags d;
	struct buf b;
	json_t *doc;
	int i, n = 500;

	(void)state;
	buf_init(&b, (size_t)TOPOLOGY_MAX_BYTES);
	buf_printf(&b, "apiVersion: fabfed.io/v1alpha1\nkind: Consortium\n"
	    "metadata: {name: big}\nspec:\n  orgs:\n");
	for (i = 0; i < n; i++)
		assert_int_equal(buf_printf(&b, "    - mspId: Org%dMSP\n"
		    "      domain: org%d.example.com\n"
		    "      cluster: {name: c%d, region: r%d}\n"
		    "      peers: [{name: peer0, endpoint: \"peer0.org%d.example.com:7051\", "
		    "anchor: true}]\n"
		    "      orderers: [{name: orderer0, endpoint: "
		    "\"orderer0.org%d.example.com:7050\"}]\n",
		    i, i, i, i % 7, i, i), 0);
	buf_printf(&b, "  channels:\n    - name: all\n      consenters:\n");
	for (i = 0; i < n - 1; i++)
		buf_printf(&b, "        - Org%dMSP/orderer0\n", i);
	buf_printf(&b, "      members:\n");
	for (i = 0; i < n; i++)
		buf_printf(&b, "        - Org%dMSP\n", i);
	topo_diags_init(&d);
	doc = topology_load(b.data, b.len, &d);
	if (doc == NULL)
		dump(&d);
	assert_non_null(doc);
	assert_int_equal(d.n, 0);
	assert_int_equal(json_array_size(json_object_get(json_object_get(doc,
	    "spec"), "orgs")), n);
	json_decref(doc);
	topo_diags_free(&d);
	buf_free(&b);
}

static void
test_name_rules(void **state)
{
	char longname[300];

	(void)state;
	assert_int_equal(topology_valid_consortium_name("trade-finance"), 0);
	assert_int_equal(topology_valid_consortium_name("a"), 0);
	assert_int_equal(topology_valid_consortium_name(""), -1);
	assert_int_equal(topology_valid_consortium_name("-a"), -1);
	assert_int_equal(topology_valid_consortium_name("a-"), -1);
	assert_int_equal(topology_valid_consortium_name("A"), -1);
	assert_int_equal(topology_valid_consortium_name("a.b"), -1);
	assert_int_equal(topology_valid_consortium_name(NULL), -1);
	memset(longname, 'a', sizeof(longname));
	longname[63] = '\0';
	assert_int_equal(topology_valid_consortium_name(longname), 0);
	longname[63] = 'a';
	longname[64] = '\0';
	assert_int_equal(topology_valid_consortium_name(longname), -1);

	assert_int_equal(topology_valid_channel_name("trade"), 0);
	assert_int_equal(topology_valid_channel_name("a.b-c9"), 0);
	assert_int_equal(topology_valid_channel_name("Trade"), -1);
	assert_int_equal(topology_valid_channel_name("9trade"), -1);
	assert_int_equal(topology_valid_channel_name("tr_ade"), -1);
	assert_int_equal(topology_valid_channel_name(""), -1);
	memset(longname, 'a', sizeof(longname));
	longname[249] = '\0';
	assert_int_equal(topology_valid_channel_name(longname), 0);
	longname[249] = 'a';
	longname[250] = '\0';
	assert_int_equal(topology_valid_channel_name(longname), -1);

	assert_int_equal(topology_valid_msp_id("Org1MSP"), 0);
	assert_int_equal(topology_valid_msp_id("org-1.msp"), 0);
	assert_int_equal(topology_valid_msp_id("Org 1"), -1);
	assert_int_equal(topology_valid_msp_id("Org1/MSP"), -1);
	assert_int_equal(topology_valid_msp_id("."), -1);
	assert_int_equal(topology_valid_msp_id(".."), -1);
	assert_int_equal(topology_valid_msp_id(""), -1);
	assert_int_equal(topology_valid_msp_id(NULL), -1);
}

static void
test_ipv6_and_ipv4_endpoints(void **state)
{
	struct topo_diags d;
	json_t *doc;
	char *t1, *t2;

	(void)state;
	t1 = mutate(base, "peer0.org1.example.com:7051", "\"[2001:db8::1]:7051\"");
	t2 = mutate(t1, "orderer0.org1.example.com:7050", "10.0.0.1:7050");
	doc = load(t2, &d);
	if (doc == NULL)
		dump(&d);
	assert_non_null(doc);
	json_decref(doc);
	topo_diags_free(&d);
	free(t1);
	t1 = t2;

	/* The same IPv6 address written another way is the same endpoint. */
	t2 = mutate(t1, "peer0.org2.example.com:7051",
	    "\"[2001:0db8:0:0::1]:7051\"");
	assert_null(load(t2, &d));
	assert_int_equal(d.nerrors, 1);
	assert_string_equal(d.v[0].path, "spec.orgs[1].peers[0].endpoint");
	topo_diags_free(&d);
	free(t1);
	free(t2);
}

static void
test_find(void **state)
{
	char *text = NULL;
	size_t len = 0;
	struct topo_diags d;
	json_t *doc, *org;
	const char *kind = NULL;
	FILE *f;
	char *path = NULL;

	if (asprintf(&path, "%s/examples/consortium.yaml", getenv("FABFED_SRC")) < 0)
		fail();
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(getdelim(&text, &len, '\0', f) > 0, 1);
	fclose(f);
	topo_diags_init(&d);
	doc = topology_load(text, strlen(text), &d);
	assert_non_null(doc);
	org = topology_find_org(doc, "Org2MSP");
	assert_non_null(org);
	assert_string_equal(json_string_value(json_object_get(org, "domain")),
	    "org2.example.com");
	assert_null(topology_find_org(doc, "Org9MSP"));
	assert_null(topology_find_org(doc, NULL));
	assert_non_null(topology_find_node(org, "orderer0", &kind));
	assert_string_equal(kind, "orderer");
	assert_non_null(topology_find_node(org, "peer0", &kind));
	assert_string_equal(kind, "peer");
	assert_null(topology_find_node(org, "peer9", NULL));
	assert_null(topology_find_node(NULL, "peer0", NULL));
	json_decref(doc);
	topo_diags_free(&d);
	free(text);
	free(path);
}

/* The API answers 400 for input that is not YAML/JSON, 422 for an invalid document. */
static void
test_syntax_flag(void **state)
{
	const char *bad = "apiVersion: [unclosed\n";
	const char *invalid = "apiVersion: fabfed.io/v1alpha1\nkind: Consortium\n";
	struct topo_diags d;

	topo_diags_init(&d);
	assert_null(topology_load(bad, strlen(bad), &d));
	assert_int_equal(d.syntax, 1);
	assert_true(d.nerrors >= 1);
	assert_true(d.v[0].line >= 1);
	topo_diags_free(&d);
	topo_diags_init(&d);
	assert_null(topology_load(invalid, strlen(invalid), &d));
	assert_int_equal(d.syntax, 0);
	assert_true(d.nerrors >= 1);
	topo_diags_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_loads),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_bad_documents),
		cmocka_unit_test(test_three_errors),
		cmocka_unit_test(test_document_order),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_normalize_equal),
		cmocka_unit_test(test_check_without_positions),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_yaml_typing),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_empty_and_roots),
		cmocka_unit_test(test_binary_garbage),
		cmocka_unit_test(test_many_orgs),
		cmocka_unit_test(test_name_rules),
		cmocka_unit_test(test_ipv6_and_ipv4_endpoints),
		cmocka_unit_test(test_syntax_flag),
		cmocka_unit_test(test_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
