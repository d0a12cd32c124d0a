/*
 * signer.c: the org admin's signer process. It loads the admin key and
 * certificate, listens on a 0600 ipc socket in the agent's state dir, and
 * answers one request at a time:
 *
 *	PING -> PONG
 *	SIGN -> SIGNED when the check registered for the request's kind
 *	        accepts it, REFUSED with the check's reason otherwise
 *	anything malformed -> ERROR with what is wrong
 *
 * Nothing is signed without a check: a kind nobody registered is refused.
 * The key stays in this process's memory (not dumpable, never sent, never
 * logged); the log says what was signed (kind, SHA-256 of the payload) and
 * what was refused and why.
 */
#include "signer.h"
#include "signer_tx.h"

#include <sys/prctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nanomsg/nn.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf.h"
#include "ipc.h"
#include "log.h"
#include "opts.h"
#include "pki.h"
#include "sig.h"
#include "xmalloc.h"

#define SIGNER_MSPID_MAX	128
#define SIGNER_LOG_MAX		512   /* bytes of outside text put in a log line */
#define SIGNER_DRAIN		64    /* requests served per wakeup at most */

struct signer_kind {
	char name[SIGNER_KIND_MAX + 1];
	signer_check_fn check;
};

struct signer {
	EVP_PKEY *key;          /* the admin key: never leaves this struct */
	char *identity;         /* the admin certificate, PEM */
	char *msp_id;
	unsigned long nsigned, nrefused, nerrors;
};

static struct signer_kind signer_kinds[SIGNER_MAX_KINDS];
static size_t signer_nkinds;
static volatile sig_atomic_t signer_stop;

static int
signer_kind_valid(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > SIGNER_KIND_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static const struct signer_kind *
signer_kind_find(const char *name)
{
	size_t i;

	for (i = 0; i < signer_nkinds; i++)
		if (strcmp(signer_kinds[i].name, name) == 0)
			return &signer_kinds[i];
	return NULL;
}

int
signer_register_kind(const char *name, signer_check_fn check)
{
	if (name == NULL || check == NULL ||
	    !signer_kind_valid(name, strlen(name)) ||
	    signer_kind_find(name) != NULL || signer_nkinds == SIGNER_MAX_KINDS)
		return -1;
	snprintf(signer_kinds[signer_nkinds].name,
	    sizeof(signer_kinds[signer_nkinds].name), "%s", name);
	signer_kinds[signer_nkinds].check = check;
	signer_nkinds++;
	return 0;
}

void
signer_clear_kinds(void)
{
	memset(signer_kinds, 0, sizeof(signer_kinds));
	signer_nkinds = 0;
}

/* A copy of outside text fit for one log line: controls become '?'. Caller frees. */
static char *
signer_log_safe(const char *s)
{
	size_t i, n = strnlen(s, SIGNER_LOG_MAX);
	char *out = xstrndup(s, n);

	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
	return out;
}

static void
signer_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = sizeof(md);
	size_t i;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
		snprintf(hex, 65, "%s", "(sha256 failed)");
		return;
	}
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static json_t *
signer_kind_list(void)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < signer_nkinds; i++)
		json_array_append_new(a, json_string(signer_kinds[i].name));
	return a;
}

static char *
signer_unknown_reason(const char *kind)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_printf(&b, "unknown request kind \"%s\": this signer signs only ",
	    kind);
	if (signer_nkinds == 0)
		buf_printf(&b, "request kinds it has a check for, and it has none");
	for (i = 0; i < signer_nkinds; i++)
		buf_printf(&b, "%s\"%s\"", i == 0 ? "" :
		    i + 1 == signer_nkinds ? " and " : ", ", signer_kinds[i].name);
	return buf_steal(&b, NULL);
}

/*
 * A reason is text from a check, which may quote its input: one that is
 * not valid UTF-8 (jansson refuses it) is sent with its bytes outside
 * printable ASCII replaced, rather than not at all.
 */
static void
signer_answer(int *rtype, json_t **rbody, int type, const char *reason)
{
	char *ascii;
	size_t i;

	*rtype = type;
	if ((*rbody = json_pack("{s:s}", "reason", reason)) != NULL)
		return;
	ascii = signer_log_safe(reason);
	for (i = 0; ascii[i] != '\0'; i++)
		if ((unsigned char)ascii[i] > 0x7e)
			ascii[i] = '?';
	*rbody = json_pack("{s:s}", "reason", ascii);
	free(ascii);
}

/* A malformed request: ERROR, logged. */
static void
signer_error(struct signer *sg, uint32_t id, int *rtype, json_t **rbody,
    const char *reason)
{
	char *safe = signer_log_safe(reason);

	log_warnx("request %u: error: %s", id, safe);
	free(safe);
	sg->nerrors++;
	signer_answer(rtype, rbody, IPC_ERROR, reason);
}

static void
signer_sign(struct signer *sg, uint32_t id, json_t *body, int *rtype,
    json_t **rbody)
{
	const struct signer_kind *k;
	const char *field, *kind, *b64;
	json_t *v, *jkind, *jpayload, *context, *empty = NULL;
	unsigned char *payload = NULL, *der = NULL;
	size_t plen = 0, derlen = 0;
	char *reason = NULL, *cause = NULL, *sigb64 = NULL, *safe = NULL;
	char hash[65];

	json_object_foreach(body, field, v) {
		if (strcmp(field, "kind") != 0 && strcmp(field, "payload") != 0 &&
		    strcmp(field, "context") != 0) {
			reason = xasprintf("unknown field \"%.64s\" in a SIGN "
			    "request (known: kind, payload, context)", field);
			signer_error(sg, id, rtype, rbody, reason);
			goto done;
		}
	}
	jkind = json_object_get(body, "kind");
	if (!json_is_string(jkind)) {
		signer_error(sg, id, rtype, rbody,
		    "a SIGN request needs \"kind\", a string");
		goto done;
	}
	kind = json_string_value(jkind);
	if (!signer_kind_valid(kind, json_string_length(jkind))) {
		signer_error(sg, id, rtype, rbody, "\"kind\" must be 1 to 64 "
		    "characters of a-z, 0-9, '.', '-' and '_'");
		goto done;
	}
	jpayload = json_object_get(body, "payload");
	if (!json_is_string(jpayload)) {
		signer_error(sg, id, rtype, rbody,
		    "a SIGN request needs \"payload\", a base64 string");
		goto done;
	}
	b64 = json_string_value(jpayload);
	if ((payload = ipc_b64_decode(b64, &plen, IPC_MAX_BODY)) == NULL) {
		signer_error(sg, id, rtype, rbody,
		    "\"payload\" is not standard padded base64");
		goto done;
	}
	if ((context = json_object_get(body, "context")) == NULL)
		context = empty = json_object();
	else if (!json_is_object(context)) {
		signer_error(sg, id, rtype, rbody,
		    "\"context\" must be a JSON object");
		goto done;
	}
	signer_sha256_hex(payload, plen, hash);

	if ((k = signer_kind_find(kind)) == NULL) {
		reason = signer_unknown_reason(kind);
		goto refuse;
	}
	if (k->check(context, payload, plen, &reason) != 0) {
		if (reason == NULL)
			reason = xasprintf("the check for \"%s\" refused the "
			    "request without saying why", kind);
		goto refuse;
	}
	free(reason);
	reason = NULL;
	if (sig_sign(sg->key, payload, plen, &der, &derlen, &cause) != 0) {
		log_warnx("request %u: kind %s, payload sha256 %s: %s", id, kind,
		    hash, cause);
		sg->nerrors++;
		signer_answer(rtype, rbody, IPC_ERROR, "the signer could not "
		    "sign; see its log");
		goto done;
	}
	sigb64 = ipc_b64_encode(der, derlen);
	*rtype = IPC_SIGNED;
	*rbody = json_pack("{s:s, s:s}", "signature", sigb64, "identity",
	    sg->identity);
	sg->nsigned++;
	log_info("request %u: signed kind %s, payload %zu bytes sha256 %s", id,
	    kind, plen, hash);
	goto done;

refuse:
	safe = signer_log_safe(reason);
	log_info("request %u: refused kind %s, payload %zu bytes sha256 %s: %s",
	    id, kind, plen, hash, safe);
	sg->nrefused++;
	signer_answer(rtype, rbody, IPC_REFUSED, reason);
done:
	json_decref(empty);
	free(safe);
	free(sigb64);
	free(der);
	free(cause);
	free(reason);
	if (payload != NULL)
		OPENSSL_cleanse(payload, plen);
	free(payload);
}

/* Answers one valid message: *rtype and *rbody (caller's). */
static void
signer_handle(struct signer *sg, const struct ipc_msg *req, int *rtype,
    json_t **rbody)
{
	char *reason;

	switch (req->type) {
	case IPC_PING:
		*rtype = IPC_PONG;
		*rbody = json_pack("{s:i, s:s, s:s, s:o}", "version", IPC_VERSION,
		    "software", FABFED_VERSION, "mspId", sg->msp_id, "kinds",
		    signer_kind_list());
		log_debug("request %u: ping", req->id);
		break;
	case IPC_SIGN:
		signer_sign(sg, req->id, req->body, rtype, rbody);
		break;
	default:
		reason = xasprintf("a %s message is not a request; the signer "
		    "answers PING and SIGN", ipc_type_name(req->type));
		signer_error(sg, req->id, rtype, rbody, reason);
		free(reason);
		break;
	}
}

static int
signer_serve(struct signer *sg, int sock, const sigset_t *waitmask)
{
	struct timespec tick = { 1, 0 };
	struct pollfd pfd;
	struct ipc_msg req;
	size_t sz;
	json_t *rbody;
	char *cause;
	int fd, i, n, rtype;

	sz = sizeof(fd);
	if (nn_getsockopt(sock, NN_SOL_SOCKET, NN_RCVFD, &fd, &sz) != 0) {
		log_warnx("cannot get the socket's receive fd: %s",
		    nn_strerror(nn_errno()));
		return -1;
	}
	while (!signer_stop) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		/* Signals are blocked except inside ppoll: none is missed. */
		if ((n = ppoll(&pfd, 1, &tick, waitmask)) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("ppoll");
			return -1;
		}
		for (i = 0; n > 0 && i < SIGNER_DRAIN && !signer_stop; i++) {
			cause = NULL;
			rbody = NULL;
			switch (ipc_recv(sock, NN_DONTWAIT, &req, &cause)) {
			case IPC_RECV_NONE:
				n = 0;
				continue;
			case IPC_RECV_FAIL:
				log_warnx("%s", cause);
				free(cause);
				return -1;
			case IPC_RECV_BAD:
				signer_error(sg, req.id, &rtype, &rbody, cause);
				break;
			case IPC_RECV_OK:
				signer_handle(sg, &req, &rtype, &rbody);
				break;
			}
			free(cause);
			cause = NULL;
			if (rbody == NULL)
				fatalx("signer: no answer body for request %u", req.id);
			if (ipc_send(sock, rtype, req.id, rbody, &cause) != 0) {
				log_warnx("request %u: %s", req.id, cause);
				free(cause);
			}
			json_decref(rbody);
			ipc_msg_clear(&req);
		}
	}
	return 0;
}

static void
signer_on_signal(int sig)
{
	signer_stop = sig;
}

/* The PEM text of cert. Caller frees. */
static char *
signer_cert_pem(X509 *cert)
{
	BIO *bio;
	char *data, *pem = NULL;
	long n;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (PEM_write_bio_X509(bio, cert) == 1 &&
	    (n = BIO_get_mem_data(bio, &data)) > 0)
		pem = xstrndup(data, (size_t)n);
	BIO_free(bio);
	return pem;
}

/* The certificate subject's O, or NULL. Caller frees. */
static char *
signer_cert_org(X509 *cert)
{
	char o[SIGNER_MSPID_MAX + 1];
	int n;

	n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
	    NID_organizationName, o, sizeof(o));
	return n > 0 && (size_t)n < sizeof(o) - 1 ? xstrdup(o) : NULL;
}

static int
signer_msp_id_valid(const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0 || n > SIGNER_MSPID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)id[i] <= 0x20 || id[i] == 0x7f)
			return 0;
	return 1;
}

/* Loads and checks the admin key and certificate into sg. */
static int
signer_load(struct signer *sg, const char *keyfile, const char *certfile,
    const char *msp_id, char **cause)
{
	static const char probe[] = "fabfed signer self-test";
	X509 *cert = NULL;
	unsigned char *der = NULL, fp[32];
	char group[80], hex[65], *why = NULL;
	size_t derlen, i;
	int ret = -1;

	if ((sg->key = pki_key_read(keyfile, cause)) == NULL)
		goto done;
	if ((cert = pki_cert_read(certfile, cause)) == NULL)
		goto done;
	if (!EVP_PKEY_is_a(sg->key, "EC") ||
	    EVP_PKEY_get_utf8_string_param(sg->key, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), NULL) != 1 ||
	    strcmp(group, "prime256v1") != 0) {
		*cause = xasprintf("%s: the admin key must be ECDSA P-256, as "
		    "Fabric's default MSP expects", keyfile);
		goto done;
	}
	if (X509_check_private_key(cert, sg->key) != 1) {
		ERR_clear_error();
		*cause = xasprintf("the key in %s does not belong to the "
		    "certificate in %s", keyfile, certfile);
		goto done;
	}
	/* Prove the key signs what its certificate verifies, before serving. */
	if (sig_sign(sg->key, probe, sizeof(probe) - 1, &der, &derlen, &why) != 0 ||
	    sig_verify(X509_get0_pubkey(cert), probe, sizeof(probe) - 1, der,
	    derlen) != 0) {
		*cause = xasprintf("the admin key fails a signing self-test%s%s",
		    why != NULL ? ": " : "", why != NULL ? why : "");
		goto done;
	}
	if (msp_id != NULL)
		sg->msp_id = xstrdup(msp_id);
	else if ((sg->msp_id = signer_cert_org(cert)) == NULL) {
		*cause = xasprintf("--msp-id is needed: the subject of %s has no "
		    "O to take it from", certfile);
		goto done;
	}
	if (!signer_msp_id_valid(sg->msp_id)) {
		*cause = xasprintf("MSP ID \"%.*s\" must be 1 to %d printable "
		    "characters without blanks", SIGNER_MSPID_MAX, sg->msp_id,
		    SIGNER_MSPID_MAX);
		goto done;
	}
	if ((sg->identity = signer_cert_pem(cert)) == NULL ||
	    pki_cert_sha256(cert, fp) != 0) {
		*cause = pki_ssl_error("cannot encode the admin certificate");
		goto done;
	}
	for (i = 0; i < sizeof(fp); i++)
		snprintf(hex + 2 * i, 3, "%02x", fp[i]);
	log_info("admin identity for %s: certificate sha256 %s", sg->msp_id, hex);
	ret = 0;
done:
	free(why);
	free(der);
	X509_free(cert);
	return ret;
}

static void
signer_unload(struct signer *sg)
{
	EVP_PKEY_free(sg->key);   /* OpenSSL clears the private scalar */
	free(sg->identity);
	free(sg->msp_id);
	memset(sg, 0, sizeof(*sg));
}

/* The state dir exists (made 0700 if missing) and is a directory. */
static int
signer_state_dir(const char *dir, char **cause)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		*cause = xasprintf("cannot make state dir %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		*cause = xasprintf("state dir %s is not a directory", dir);
		return -1;
	}
	if (st.st_mode & 077)
		log_warnx("state dir %s has mode %03o; 0700 is expected (the "
		    "signer socket is 0600 regardless)", dir,
		    (unsigned)(st.st_mode & 0777));
	return 0;
}

static const char *opt_state_dir, *opt_key, *opt_cert, *opt_socket;
static const char *opt_msp_id, *opt_logfmt;
static int opt_verbose, opt_help;

static const struct opt signer_opts[] = {
	{ "state-dir", 'd', OPT_STRING, 0, 0, NULL, "the agent's state directory (made 0700 if missing)", &opt_state_dir },
	{ "key", 'k', OPT_STRING, 0, 0, NULL, "the org admin's private key (PKCS#8 PEM, ECDSA P-256)", &opt_key },
	{ "cert", 'c', OPT_STRING, 0, 0, NULL, "the org admin's certificate (PEM)", &opt_cert },
	{ "socket", 's', OPT_STRING, 0, 0, NULL, "ipc://PATH to listen on (default: ipc://STATE-DIR/" SIGNER_SOCKET_NAME ")", &opt_socket },
	{ "msp-id", 'm', OPT_STRING, 0, 0, NULL, "the org's MSP ID (default: the certificate subject's O)", &opt_msp_id },
	{ "log-format", 0, OPT_STRING, 0, 0, "text", "text or json", &opt_logfmt },
	{ "verbose", 'v', OPT_FLAG, 0, 0, NULL, "debug logging", &opt_verbose },
	{ "help", 'h', OPT_FLAG, 0, 0, NULL, "this help", &opt_help },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL },
};

#define SIGNER_SYNOPSIS "fabfed-agent signer --state-dir DIR --key FILE --cert FILE [options]"

int
signer_main(int argc, char **argv)
{
	struct signer sg;
	struct sigaction sa, oterm, oint, opipe;
	sigset_t block, oldmask, waitmask;
	char *cause = NULL, *url = NULL;
	int sock = -1, ret = 1;

	memset(&sg, 0, sizeof(sg));
	if (opts_parse(argc, argv, signer_opts, &cause) < 0) {
		fprintf(stderr, "fabfed-agent signer: %s\n", cause);
		free(cause);
		return 2;
	}
	if (opt_help) {
		opts_usage(stdout, SIGNER_SYNOPSIS, signer_opts);
		return 0;
	}
	if (strcmp(opt_logfmt, "text") != 0 && strcmp(opt_logfmt, "json") != 0) {
		fprintf(stderr, "fabfed-agent signer: --log-format is text or json\n");
		return 2;
	}
	if (opt_state_dir == NULL || opt_key == NULL || opt_cert == NULL) {
		fprintf(stderr, "fabfed-agent signer: --state-dir, --key and "
		    "--cert are required\n");
		opts_usage(stderr, SIGNER_SYNOPSIS, signer_opts);
		return 2;
	}
	log_init("fabfed-agent signer", opt_verbose,
	    strcmp(opt_logfmt, "json") == 0 ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT);

	/* The key will be in this process: no core dumps, no ptrace by peers. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		log_warn("cannot make the signer non-dumpable");
	if (signer_state_dir(opt_state_dir, &cause) != 0)
		goto done;
	url = opt_socket != NULL ? xstrdup(opt_socket) :
	    xasprintf("ipc://%s/%s", opt_state_dir, SIGNER_SOCKET_NAME);
	if (signer_load(&sg, opt_key, opt_cert, opt_msp_id, &cause) != 0)
		goto done;
	/* The kinds this signer signs, each with its check. */
	if (signer_fabric_init(sg.msp_id, sg.identity) != 0) {
		cause = xstrdup("the Fabric checks cannot read the admin "
		    "certificate");
		goto done;
	}
	if (signer_tx_set_identity(sg.msp_id, sg.identity, &cause) != 0)
		goto done;
	signer_tx_register();

	/*
	 * Block SIGTERM and SIGINT before nanomsg starts its threads (they
	 * inherit the mask), so they reach this thread, inside ppoll only.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &oldmask);
	waitmask = oldmask;
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = signer_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, &oterm);
	sigaction(SIGINT, &sa, &oint);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &opipe);
	signer_stop = 0;

	if ((sock = ipc_listen(url, &cause)) >= 0) {
		json_t *list = signer_kind_list();
		char *kinds = json_dumps(list, JSON_COMPACT);

		json_decref(list);

		log_info("serving %s for %s; request kinds it may sign: %s", url,
		    sg.msp_id, kinds != NULL ? kinds : "?");
		free(kinds);
		if (signer_serve(&sg, sock, &waitmask) == 0) {
			log_info("stopped by signal %d after %lu signed, %lu "
			    "refused, %lu malformed", (int)signer_stop,
			    sg.nsigned, sg.nrefused, sg.nerrors);
			ret = 0;
		}
		ipc_unlisten(sock, url);
	}
	/* Unblock first: a signal still pending lands in our handler. */
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	sigaction(SIGTERM, &oterm, NULL);
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGPIPE, &opipe, NULL);
done:
	if (cause != NULL) {
		log_warnx("%s", cause);
		free(cause);
	}
	signer_unload(&sg);
	free(url);
	return ret;
}
