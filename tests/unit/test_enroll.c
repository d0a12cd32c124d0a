/*
 * test_enroll.c: the agent's join token parser (member-agent/token.c) and
 * the pieces of "fabfed-agent enroll" (member-agent/enroll.c): command
 * line, controller URL, state directory, the agent key made once and
 * reused, the CSR, the CA pin, the checks on the controller's answer, and
 * enroll_main's refusals that need no controller. The exchange with a real
 * controller is tests/integration/enroll.sh.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "enroll.h"
#include "pki.h"
#include "token.h"
#include "xmalloc.h"

/* 43 base64url characters of 32 bytes (last one's low 2 bits are 0). */
#define SECRET	"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA"
#define HASH	"00112233445566778899aabbccddeeff" \
		"00112233445566778899aabbccddeeff"
#define GOOD	"fft1." SECRET "." HASH

static char tmpdir[64];

static int
setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_enroll.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_tmp(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);

	(void)state;
	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* ---- token ---- */

static void
test_token_good(void **state)
{
	struct token t;
	char *cause;
	size_t i;

	(void)state;
	assert_int_equal(token_parse(GOOD, strlen(GOOD), &t, &cause), 0);
	assert_null(cause);
	assert_string_equal(t.text, GOOD);
	assert_string_equal(t.ca_hex, HASH);
	for (i = 0; i < 32; i++)
		assert_int_equal(t.ca_sha256[i], (i % 16) * 0x11);

	/* As read from a file: blanks around, a newline after. */
	assert_int_equal(token_parse("  " GOOD "\r\n", strlen(GOOD) + 4, &t,
	    &cause), 0);
	assert_string_equal(t.text, GOOD);

	token_clear(&t);
	for (i = 0; i < sizeof(t.text); i++)
		assert_int_equal(t.text[i], 0);
}

static void
test_token_errors(void **state)
{
	static const struct {
		const char *in;
		const char *want;	/* in *cause */
	} cases[] = {
		{ "", "is empty" },
		{ " \n", "is empty" },
		{ "fft2." SECRET "." HASH, "does not start with \"fft1.\"" },
		{ SECRET "." HASH, "does not start with \"fft1.\"" },
		{ "fft1", "does not start with" },
		{ "fft1." SECRET, "no \".\" between" },
		{ "fft1." SECRET "x." HASH, "has 44 characters; it should "
		    "have 43" },
		{ "fft1.." HASH, "has 0 characters" },
		{ "fft1.q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWe+A." HASH,
		    "not base64url at position 42" },
		{ "fft1.q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJB." HASH,
		    "not the base64url encoding of 32 bytes" },
		{ "fft1." SECRET "." "0011", "CA hash has 4 characters; it "
		    "should have 64" },
		{ "fft1." SECRET ".", "CA hash has 0 characters" },
		{ "fft1." SECRET "." HASH "0", "CA hash has 65" },
		{ "fft1." SECRET "." HASH ".x", "more than two" },
		{ "fft1." SECRET ".0011223344556677889AAabbccddeeff"
		    "00112233445566778899aabbccddeeff",
		    "not lowercase hex at position 20" },
		{ "fft1." SECRET ".00112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeefg",
		    "not lowercase hex at position 64" },
		{ "fft1." SECRET " ." HASH, "has 44 characters" },
	};
	struct token t;
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cause = NULL;
		if (token_parse(cases[i].in, strlen(cases[i].in), &t,
		    &cause) != -1)
			fail_msg("case %zu: \"%s\" parsed", i, cases[i].in);
		assert_non_null(cause);
		if (strstr(cause, cases[i].want) == NULL)
			fail_msg("case %zu: \"%s\" not in \"%s\"", i,
			    cases[i].want, cause);
		/* The secret is never quoted back. */
		assert_null(strstr(cause, "q83vEjRW"));
		assert_int_equal(t.text[0], '\0');
		free(cause);
	}
	/* A NUL inside the given length is not a token. */
	assert_int_equal(token_parse(GOOD, strlen(GOOD) + 1, &t, &cause), -1);
	free(cause);
}

/* ---- command line, URL, state directory ---- */

static int
parse(struct enroll_args *a, char **cause, ...)
{
	char *argv[16];
	int argc = 0, ret;
	va_list ap;
	const char *s;

	argv[argc++] = (char *)"enroll";
	va_start(ap, cause);
	while ((s = va_arg(ap, const char *)) != NULL && argc < 15)
		argv[argc++] = (char *)(uintptr_t)s;
	va_end(ap);
	argv[argc] = NULL;
	*cause = NULL;
	ret = enroll_args_parse(argc, argv, a, cause);
	if (ret == 0)
		assert_null(*cause);
	else
		assert_non_null(*cause);
	return ret;
}

#define END ((const char *)NULL)

static void
test_args(void **state)
{
	struct enroll_args a;
	char *cause;

	(void)state;
	assert_int_equal(parse(&a, &cause, "--controller", "https://h:1",
	    "--token=" GOOD, "--state-dir", "/s", END), 0);
	assert_string_equal(a.controller, "https://h:1");
	assert_string_equal(a.token, GOOD);
	assert_string_equal(a.state_dir, "/s");
	assert_int_equal(a.timeout, ENROLL_TIMEOUT_DEFAULT);
	assert_int_equal(a.force, 0);

	assert_int_equal(parse(&a, &cause, "--controller", "h:1",
	    "--token-file", "-", "--state-dir", "/s", "--timeout", "5",
	    "--force", END), 0);
	assert_string_equal(a.token_file, "-");
	assert_null(a.token);
	assert_int_equal(a.timeout, 5);
	assert_int_equal(a.force, 1);

	assert_int_equal(parse(&a, &cause, "--help", END), 0);
	assert_int_equal(a.help, 1);

#define BAD(want, ...) do {						\
	assert_int_equal(parse(&a, &cause, __VA_ARGS__, END), -1);	\
	if (strstr(cause, want) == NULL)				\
		fail_msg("\"%s\" not in \"%s\"", want, cause);		\
	free(cause);							\
} while (0)
	BAD("needs --controller", "--token", GOOD, "--state-dir", "/s");
	BAD("needs --token", "--controller", "h:1", "--state-dir", "/s");
	BAD("needs --state-dir", "--controller", "h:1", "--token", GOOD);
	BAD("give the token once", "--controller", "h:1", "--token", GOOD,
	    "--token-file", "f", "--state-dir", "/s");
	BAD("unknown option \"--tokn\"", "--tokn", GOOD);
	BAD("unknown option \"-x\"", "-x");
	BAD("needs a value", "--controller");
	BAD("--timeout wants seconds", "--timeout", "0");
	BAD("--timeout wants seconds", "--timeout", "5s");
	BAD("unexpected argument \"extra\"", "--controller", "h:1",
	    "--token", GOOD, "--state-dir", "/s", "extra");
	BAD("--state-dir needs", "--state-dir=");
#undef BAD
}

static void
test_url(void **state)
{
	char *cause, *u;

	(void)state;
	u = enroll_url("127.0.0.1:7443", &cause);
	assert_string_equal(u, "https://127.0.0.1:7443");
	free(u);
	u = enroll_url("HTTPS://ctl.example.com:7443//", &cause);
	assert_string_equal(u, "https://ctl.example.com:7443");
	free(u);
	assert_null(enroll_url("http://h:1", &cause));
	assert_non_null(strstr(cause, "must be https://"));
	free(cause);
	assert_null(enroll_url("https://", &cause));
	free(cause);
	assert_null(enroll_url("https://h :1", &cause));
	free(cause);
}

static void
test_state_dir(void **state)
{
	struct stat st;
	char *dir, *file, *cause;
	FILE *fp;

	(void)state;
	dir = xasprintf("%s/state", tmpdir);
	assert_int_equal(enroll_state_dir(dir, &cause), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(enroll_state_dir(dir, &cause), 0);	/* exists */

	file = xasprintf("%s/file", tmpdir);
	assert_non_null(fp = fopen(file, "w"));
	fclose(fp);
	assert_int_equal(enroll_state_dir(file, &cause), -1);
	assert_non_null(strstr(cause, "is not a directory"));
	free(cause);
	free(file);
	file = xasprintf("%s/no/such/parent", tmpdir);
	assert_int_equal(enroll_state_dir(file, &cause), -1);
	free(cause);
	free(file);
	free(dir);
}

/* ---- key and CSR ---- */

static X509_REQ *
read_csr(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509_REQ *req;

	assert_non_null(bio);
	req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(req);
	return req;
}

static void
test_key_and_csr(void **state)
{
	EVP_PKEY *k1, *k2, *pub;
	X509_REQ *req;
	struct stat st;
	char *cause, *csr, *path, group[64];
	size_t n;
	int created;

	(void)state;
	k1 = enroll_key(tmpdir, &created, &cause);
	assert_non_null(k1);
	assert_int_equal(created, 1);
	path = xasprintf("%s/%s", tmpdir, ENROLL_KEY_FILE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	csr = enroll_csr(k1, &cause);
	assert_non_null(csr);
	assert_non_null(strstr(csr, "-----BEGIN CERTIFICATE REQUEST-----"));
	req = read_csr(csr);
	pub = X509_REQ_get0_pubkey(req);
	assert_non_null(pub);
	assert_int_equal(X509_REQ_verify(req, pub), 1);
	assert_true(EVP_PKEY_is_a(pub, "EC"));
	assert_int_equal(EVP_PKEY_get_group_name(pub, group, sizeof(group),
	    &n), 1);
	assert_string_equal(group, "prime256v1");
	assert_int_equal(EVP_PKEY_eq(pub, k1), 1);
	X509_REQ_free(req);
	free(csr);

	/* A second call reads the same key back: it never changes. */
	k2 = enroll_key(tmpdir, &created, &cause);
	assert_non_null(k2);
	assert_int_equal(created, 0);
	assert_int_equal(EVP_PKEY_eq(k1, k2), 1);
	csr = enroll_csr(k2, &cause);
	req = read_csr(csr);
	assert_int_equal(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), k1), 1);
	assert_int_equal(X509_REQ_verify(req, k1), 1);
	X509_REQ_free(req);
	free(csr);
	EVP_PKEY_free(k2);

	/* Two CSRs of one key are both valid but a different key fails. */
	k2 = pki_key_new();
	csr = enroll_csr(k1, &cause);
	req = read_csr(csr);
	assert_int_not_equal(X509_REQ_verify(req, k2), 1);
	X509_REQ_free(req);
	free(csr);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k1);
	free(path);
}

static void
test_key_not_p256(void **state)
{
	EVP_PKEY *k;
	char *cause, *path;
	BIO *bio;

	(void)state;
	/* A P-384 key where the agent's key should be is refused. */
	k = EVP_EC_gen("P-384");
	assert_non_null(k);
	path = xasprintf("%s/%s", tmpdir, ENROLL_KEY_FILE);
	bio = BIO_new_file(path, "w");
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL,
	    NULL), 1);
	BIO_free(bio);
	EVP_PKEY_free(k);
	assert_int_equal(chmod(path, 0600), 0);
	assert_null(enroll_key(tmpdir, NULL, &cause));
	assert_non_null(strstr(cause, "not an ECDSA P-256 key"));
	free(cause);

	/* Something that is not a key at all. */
	assert_int_equal(pki_file_write(path, "junk\n", 5, 0600, &cause), 0);
	assert_null(enroll_key(tmpdir, NULL, &cause));
	assert_non_null(strstr(cause, "not a PEM private key"));
	free(cause);
	free(path);
}

/* ---- CA pin and answer ---- */

struct fixture {
	EVP_PKEY *cakey, *agentkey;
	X509 *ca;
	struct token t;
};

static void
fixture_init(struct fixture *f)
{
	struct pki_subject s = { .cn = "fabfed federation CA", .days = 3650 };
	unsigned char h[32];
	char *cause = NULL, *tok;
	size_t i;

	f->cakey = pki_key_new();
	f->agentkey = pki_key_new();
	assert_non_null(f->cakey);
	assert_non_null(f->agentkey);
	f->ca = pki_ca_new(f->cakey, &s, &cause);
	assert_non_null(f->ca);
	assert_int_equal(pki_cert_sha256(f->ca, h), 0);
	tok = xasprintf("fft1.%s.", SECRET);
	for (i = 0; i < 32; i++) {
		char *t2 = xasprintf("%s%02x", tok, h[i]);

		free(tok);
		tok = t2;
	}
	assert_int_equal(token_parse(tok, strlen(tok), &f->t, &cause), 0);
	free(tok);
}

static void
fixture_free(struct fixture *f)
{
	X509_free(f->ca);
	EVP_PKEY_free(f->cakey);
	EVP_PKEY_free(f->agentkey);
	token_clear(&f->t);
}

static void
test_ca_pin(void **state)
{
	struct fixture f, other;
	char *pem, *cause, *two;
	size_t len;
	X509 *got;
	int mismatch;

	(void)state;
	fixture_init(&f);
	fixture_init(&other);
	pem = pki_cert_pem(f.ca, &len);
	assert_non_null(pem);

	got = enroll_ca_pin(pem, len, &f.t, &mismatch, &cause);
	assert_non_null(got);
	assert_int_equal(mismatch, 0);
	assert_int_equal(X509_cmp(got, f.ca), 0);
	X509_free(got);

	/* Another controller's CA: refused, both hashes in the message. */
	assert_null(enroll_ca_pin(pem, len, &other.t, &mismatch, &cause));
	assert_int_equal(mismatch, 1);
	assert_non_null(strstr(cause, "does not match the token's pinned "
	    "hash"));
	assert_non_null(strstr(cause, "nothing was sent"));
	assert_non_null(strstr(cause, other.t.ca_hex));
	assert_non_null(strstr(cause, f.t.ca_hex));
	assert_null(strstr(cause, SECRET));
	free(cause);

	/* Only the first certificate counts: a pinned one after an
	 * unpinned one is not accepted. */
	{
		char *opem = pki_cert_pem(other.ca, NULL);

		two = xasprintf("%s%s", opem, pem);
		free(opem);
	}
	assert_null(enroll_ca_pin(two, strlen(two), &f.t, &mismatch, &cause));
	assert_int_equal(mismatch, 1);
	free(cause);
	free(two);

	/* Not a certificate. */
	assert_null(enroll_ca_pin("<html>hi</html>", 15, &f.t, &mismatch,
	    &cause));
	assert_int_equal(mismatch, 0);
	assert_non_null(strstr(cause, "not a PEM certificate"));
	free(cause);
	assert_null(enroll_ca_pin(pem, 40, &f.t, &mismatch, &cause));
	free(cause);

	free(pem);
	fixture_free(&f);
	fixture_free(&other);
}

/* A POST /v1/enroll answer with a certificate for pub issued by ca. */
static char *
answer(X509 *ca, EVP_PKEY *cakey, EVP_PKEY *pub, X509 *anca,
    const char *uri, const char *cons, const char *msp)
{
	const char *uris[] = { uri, NULL };
	struct pki_subject s = { .cn = "fabfed-agent.Org1MSP",
	    .o = "Org1MSP", .uris = uris, .days = 90, .client = 1 };
	char *cause = NULL, *cpem, *capem, *text;
	X509 *cert;
	json_t *j;

	cert = pki_issue(ca, cakey, pub, &s, &cause);
	assert_non_null(cert);
	cpem = pki_cert_pem(cert, NULL);
	capem = pki_cert_pem(anca, NULL);
	j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "certificate", cpem,
	    "ca", capem, "consortium", cons, "mspId", msp, "notAfter",
	    "2027-02-21T14:24:11Z");
	text = json_dumps(j, 0);
	json_decref(j);
	free(cpem);
	free(capem);
	X509_free(cert);
	return text;
}

static void
test_check_answer(void **state)
{
	struct fixture f, other;
	const char *uri = "fabfed://trade-finance/org/Org1MSP";
	char *body, *cause, *cons, *msp;
	X509 *cert;

	(void)state;
	fixture_init(&f);
	fixture_init(&other);

	body = answer(f.ca, f.cakey, f.agentkey, f.ca, uri, "trade-finance",
	    "Org1MSP");
	cert = enroll_check_answer(body, strlen(body), f.ca, f.agentkey, &cons,
	    &msp, &cause);
	if (cert == NULL)
		fail_msg("%s", cause);
	assert_string_equal(cons, "trade-finance");
	assert_string_equal(msp, "Org1MSP");
	X509_free(cert);
	free(cons);
	free(msp);

	/* The same answer, but this agent holds another key. */
	assert_null(enroll_check_answer(body, strlen(body), f.ca,
	    other.agentkey, &cons, &msp, &cause));
	assert_non_null(strstr(cause, "not for this agent's key"));
	assert_null(cons);
	free(cause);
	/* ... or pinned another CA. */
	assert_null(enroll_check_answer(body, strlen(body), other.ca,
	    f.agentkey, &cons, &msp, &cause));
	assert_non_null(strstr(cause, "not the CA pinned"));
	free(cause);
	free(body);

	/* A certificate from another CA while "ca" is the pinned one. */
	body = answer(other.ca, other.cakey, f.agentkey, f.ca, uri,
	    "trade-finance", "Org1MSP");
	assert_null(enroll_check_answer(body, strlen(body), f.ca, f.agentkey,
	    &cons, &msp, &cause));
	assert_non_null(strstr(cause, "not signed by the pinned CA"));
	free(cause);
	free(body);

	/* A certificate for another org than the answer says. */
	body = answer(f.ca, f.cakey, f.agentkey, f.ca,
	    "fabfed://trade-finance/org/Org2MSP", "trade-finance", "Org1MSP");
	assert_null(enroll_check_answer(body, strlen(body), f.ca, f.agentkey,
	    &cons, &msp, &cause));
	assert_non_null(strstr(cause, "does not name "
	    "fabfed://trade-finance/org/Org1MSP"));
	free(cause);
	free(body);

	/* Control characters in a name, missing members, not JSON. */
	body = answer(f.ca, f.cakey, f.agentkey, f.ca, uri, "trade\nfinance",
	    "Org1MSP");
	assert_null(enroll_check_answer(body, strlen(body), f.ca, f.agentkey,
	    &cons, &msp, &cause));
	assert_non_null(strstr(cause, "control character"));
	free(cause);
	free(body);
	body = xstrdup("{\"certificate\": \"x\"}");
	assert_null(enroll_check_answer(body, strlen(body), f.ca, f.agentkey,
	    &cons, &msp, &cause));
	assert_non_null(strstr(cause, "no \"ca\""));
	free(cause);
	free(body);
	assert_null(enroll_check_answer("[1]", 3, f.ca, f.agentkey, &cons,
	    &msp, &cause));
	assert_non_null(strstr(cause, "not a JSON object"));
	free(cause);

	fixture_free(&f);
	fixture_free(&other);
}

/* ---- enroll_main without a controller ---- */

static int
run_main(const char *controller, const char *dir, char *token, int force)
{
	char *argv[12];
	int argc = 0;

	argv[argc++] = (char *)"enroll";
	argv[argc++] = (char *)"--controller";
	argv[argc++] = (char *)(uintptr_t)controller;
	argv[argc++] = (char *)"--token";
	argv[argc++] = token;
	argv[argc++] = (char *)"--state-dir";
	argv[argc++] = (char *)(uintptr_t)dir;
	argv[argc++] = (char *)"--timeout";
	argv[argc++] = (char *)"5";
	if (force)
		argv[argc++] = (char *)"--force";
	argv[argc] = NULL;
	return enroll_main(argc, argv);
}

static void
test_main_refusals(void **state)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	char token[sizeof(GOOD)], *dir, *url, *path;
	size_t i;
	int s;

	(void)state;
	/* A port bound but not listening refuses connections. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &slen), 0);
	url = xasprintf("127.0.0.1:%u", ntohs(sin.sin_port));
	dir = xasprintf("%s/agent", tmpdir);

	/* No controller: exit 2, DIR made 0700 but no key yet (the CA
	 * comes first), and the token is wiped from argv. */
	memcpy(token, GOOD, sizeof(token));
	assert_int_equal(run_main(url, dir, token, 0), ENROLL_EXIT_USAGE);
	for (i = 0; i < sizeof(token) - 1; i++)
		assert_int_equal(token[i], 0);
	path = xasprintf("%s/%s", dir, ENROLL_KEY_FILE);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(access(dir, F_OK), 0);
	free(path);

	/* A bad token: exit 2 before anything, and wiped too. */
	memcpy(token, GOOD, sizeof(token));
	token[10] = '*';
	assert_int_equal(run_main(url, dir, token, 0), ENROLL_EXIT_USAGE);
	assert_int_equal(token[0], 0);

	/* http:// is refused. */
	memcpy(token, GOOD, sizeof(token));
	assert_int_equal(run_main("http://127.0.0.1:1", dir, token, 0),
	    ENROLL_EXIT_USAGE);

	/* Already enrolled: exit 1 and nothing is contacted or changed;
	 * --force goes on (and here fails to connect: exit 2). */
	path = xasprintf("%s/%s", dir, ENROLL_STATE_FILE);
	{
		char *cause = NULL;

		assert_int_equal(pki_file_write(path, "{}\n", 3, 0644,
		    &cause), 0);
	}
	memcpy(token, GOOD, sizeof(token));
	assert_int_equal(run_main(url, dir, token, 0), ENROLL_EXIT_REFUSED);
	memcpy(token, GOOD, sizeof(token));
	assert_int_equal(run_main(url, dir, token, 1), ENROLL_EXIT_USAGE);
	free(path);

	close(s);
	free(url);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_good),
		cmocka_unit_test(test_token_errors),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_url),
		cmocka_unit_test_setup_teardown(test_state_dir, setup_tmp,
		    teardown_tmp),
		cmocka_unit_test_setup_teardown(test_key_and_csr, setup_tmp,
		    teardown_tmp),
		cmocka_unit_test_setup_teardown(test_key_not_p256, setup_tmp,
		    teardown_tmp),
		cmocka_unit_test(test_ca_pin),
		cmocka_unit_test(test_check_answer),
		cmocka_unit_test_setup_teardown(test_main_refusals, setup_tmp,
		    teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
