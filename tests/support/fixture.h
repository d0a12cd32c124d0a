/*
 * fixture.h: what the C tests (tests/unit, tests/integration/itest_*.c)
 * share to set up their material: a consortium document loaded, an org's
 * PKI made (lib/msp.c) and its public material as its agent publishes it,
 * a temporary tree removed, a whole file read.
 */
#ifndef FABFED_FIXTURE_H
#define FABFED_FIXTURE_H

#include <stddef.h>

#include <jansson.h>

#define FIXTURE_MAX_DOC		(1024 * 1024)	/* a topology document */
#define FIXTURE_MAX_FILE	(16 * 1024 * 1024)

/*
 * The whole file PATH, NUL-terminated (*lenp, may be NULL, gets its
 * length), or NULL with *cause (caller frees) when it cannot be read or is
 * larger than max bytes. Caller frees.
 */
char *fixture_read_file(const char *path, size_t max, size_t *lenp,
    char **cause);

/* $FABFED_SRC/examples/consortium.yaml ("." when unset). Caller frees. */
char *fixture_example_path(void);

/*
 * The normalized document (topology_load) of TEXT, or of the file PATH, or
 * of examples/consortium.yaml; NULL when it does not load, with the first
 * diagnostic (or why the file cannot be read) printed on stderr, NAME
 * naming the document there. Caller decrefs.
 */
json_t *fixture_load_string(const char *text, size_t len, const char *name);
json_t *fixture_load(const char *path);
json_t *fixture_load_example(void);

/*
 * ORG's (an entry of spec.orgs) PKI under DIR: its CAs, admin and user
 * (msp_org_ensure), each of its peers and orderers (msp_node_ensure) with
 * HOSTS (NULL-terminated, may be NULL) in their TLS certificates. Returns
 * 0, or -1 with *cause (caller frees).
 */
int fixture_pki(const json_t *org, const char *dir, const char *const *hosts,
    char **cause);

/*
 * What ORG's agent publishes from its PKI under DIR:
 *   {"msp": <msp_public>, "endpoints": {"orderers": [{name, endpoint,
 *    tlsCert}], "peers": [{name, endpoint}]}}
 * or NULL with *cause (caller frees). Caller decrefs.
 */
json_t *fixture_published(const json_t *org, const char *dir, char **cause);

/*
 * fixture_pki then fixture_published for the org MSPID of DOC; NULL with
 * *cause when DOC has no such org or either step fails.
 */
json_t *fixture_publish(const json_t *doc, const char *mspid, const char *dir,
    const char *const *hosts, char **cause);

/*
 * fixture_publish for each of the N orgs MSPIDS of DOC, each org's PKI
 * under DIR/<mspId>: {"<mspId>": {"msp", "endpoints"}, ...}, as the
 * controller's desired state carries them, or NULL with *cause.
 */
json_t *fixture_publish_all(const json_t *doc, const char *const *mspids,
    size_t n, const char *dir, const char *const *hosts, char **cause);

/*
 * The example consortium (fixture_load_example) with Org1MSP, Org2MSP and
 * Org3MSP published (fixture_publish_all) under a new directory
 * /tmp/TAG.XXXXXX: DIR (at least 64 bytes) gets its path, *DOC and *PUB
 * the document and the published material. Returns 0, or -1 with the
 * reason on stderr and nothing left behind. fixture_example_close removes
 * the directory and frees both.
 */
int fixture_example_open(const char *tag, char *dir, size_t dirsize, json_t **doc,
    json_t **pub);
void fixture_example_close(const char *dir, json_t *doc, json_t *pub);

/* The same as a cmocka group fixture: *state is a struct fixture_ex. */
struct fixture_ex {
	char dir[64];
	json_t *doc;	/* normalized topology */
	json_t *pub;	/* published material by MSP ID */
};
int fixture_example_setup(void **state);
int fixture_example_teardown(void **state);

/* The TLS hosts of nodes run on this machine: 127.0.0.1, localhost. */
extern const char *const fixture_loopback[];

/*
 * For the itest_* drivers, which stop at the first error: the same as
 * above, but the cause is printed on stderr and the process exits 1.
 * fixture_pki_ok prints "ok - the PKI of MSPID is in DIR" and returns 0,
 * or prints the cause and returns 1 (an exit status).
 */
char *fixture_read_or_exit(const char *path, size_t max, size_t *lenp);
json_t *fixture_published_or_exit(const json_t *org, const char *dir);
int fixture_pki_ok(const json_t *org, const char *dir,
    const char *const *hosts);

/* Removes the tree DIR (no links followed). Returns 0 or -1 (errno). */
int fixture_rmtree(const char *dir);

#endif
