/*
 * enroll.h: "fabfed-agent enroll": join a consortium with a one-time token
 * (docs/api.md, "GET /v1/enroll/ca" and "POST /v1/enroll").
 *
 *   fabfed-agent enroll --controller https://HOST:PORT --token T
 *       --state-dir DIR
 *
 * 1. The token is parsed (token.h); DIR is made 0700 if absent.
 * 2. GET /v1/enroll/ca without verifying the server (its CA is not known
 *    yet); the SHA-256 of that certificate must equal the hash pinned in
 *    the token, or the agent stops before sending anything.
 * 3. The agent's key DIR/agent.key (ECDSA P-256, mode 0600) is made once
 *    and reused ever after; a CSR signed by it and the token are POSTed
 *    to /v1/enroll over TLS 1.3, verifying the controller against the
 *    pinned CA only.
 * 4. On 200: DIR/ca.crt, DIR/agent.crt and DIR/agent.json are written.
 *
 * The token and the key are never printed, logged or written anywhere
 * else; the key never leaves DIR.
 */
#ifndef FABFED_ENROLL_H
#define FABFED_ENROLL_H

#include <stddef.h>
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "token.h"

/* Exit codes of "fabfed-agent enroll". */
#define ENROLL_EXIT_OK		0
#define ENROLL_EXIT_REFUSED	1	/* controller said no, CA mismatch,
					   already enrolled */
#define ENROLL_EXIT_USAGE	2	/* usage, local file, connection, TLS */

#define ENROLL_CA_MAX		((size_t)64 * 1024)	/* GET /v1/enroll/ca */
#define ENROLL_ANSWER_MAX	((size_t)256 * 1024)	/* POST /v1/enroll */
#define ENROLL_TOKEN_FILE_MAX	((size_t)4096)
#define ENROLL_TIMEOUT_DEFAULT	30			/* seconds */
#define ENROLL_TIMEOUT_MAX	3600

/* Files in the state directory. */
#define ENROLL_KEY_FILE		"agent.key"
#define ENROLL_CERT_FILE	"agent.crt"
#define ENROLL_CA_FILE		"ca.crt"
#define ENROLL_STATE_FILE	"agent.json"

/* Strings borrow from argv. */
struct enroll_args {
	const char *controller;	/* --controller, as given */
	char *token;		/* --token (wiped from argv once read) */
	const char *token_file;	/* --token-file, "-" = stdin */
	const char *state_dir;	/* --state-dir */
	long timeout;		/* --timeout, seconds */
	int force;		/* --force: enroll again over an enrollment */
	int help;		/* -h, --help */
};

/*
 * The "enroll" subcommand; argv[0] is "enroll" (main.c passes its own
 * argc - 1, argv + 1). Returns an exit code (ENROLL_EXIT_*).
 */
int enroll_main(int argc, char **argv);
void enroll_usage(FILE *);

/* Parses argv (argv[0] is the subcommand). 0, or -1 with *cause. */
int enroll_args_parse(int argc, char **argv, struct enroll_args *,
    char **cause);
/*
 * The controller's base URL: "HOST:PORT" gets "https://", trailing slashes
 * go, other schemes are refused. Caller frees; NULL with *cause.
 */
char *enroll_url(const char *url, char **cause);
/* Makes dir 0700 if absent; checks that it is a directory. */
int enroll_state_dir(const char *dir, char **cause);
/*
 * The agent's key: dir/agent.key read if it exists (it must be ECDSA
 * P-256), else made and written 0600 with an exclusive create. *created
 * (may be NULL) says which. Caller frees; NULL with *cause.
 */
EVP_PKEY *enroll_key(const char *dir, int *created, char **cause);
/* A PEM CSR self-signed by key (SHA-256). Caller frees; NULL + *cause. */
char *enroll_csr(EVP_PKEY *key, char **cause);
/*
 * The first certificate of the PEM pem[0..len) if its SHA-256 (DER) is
 * t->ca_sha256; NULL with *cause otherwise (a mismatch says both hashes).
 * *mismatch (may be NULL) is set to 1 when a certificate was read but its
 * hash differs. Caller frees.
 */
X509 *enroll_ca_pin(const char *pem, size_t len, const struct token *t,
    int *mismatch, char **cause);
/*
 * Checks a 200 answer of POST /v1/enroll: its certificate is for key,
 * signed by ca, names fabfed://<consortium>/org/<mspId> and its "ca" is
 * ca. Returns the certificate (caller frees) and sets *consortium and
 * *msp (caller frees); NULL with *cause.
 */
X509 *enroll_check_answer(const char *body, size_t len, X509 *ca,
    EVP_PKEY *key, char **consortium, char **msp, char **cause);

#endif
