/*
 * itest_fabric_ops.c: lib/fabric_ops.c and lib/fabric_tx.c against a REAL
 * Fabric 2.5 orderer and peer started by fabric_ops.sh, signing with the
 * org Admin's key from the MSP that lib/msp.c made (sig_sign).
 *
 * `itest_fabric_ops msp DIR` makes the org's PKI in DIR first (lib/msp.c:
 * Org1MSP, org1.example.com, orderer0 and peer0 with TLS SANs localhost
 * and 127.0.0.1, Admin@ and User1@).
 *
 * `itest_fabric_ops run` runs the checks. Environment (set by fabric_ops.sh):
 *   FOPS_CHANNEL       the channel (its genesis block in FOPS_BLOCK)
 *   FOPS_MSPID         the org's MSP ID
 *   FOPS_ADMIN_KEY     the Admin's signing key (PKCS#8 PEM)
 *   FOPS_ADMIN_CERT    its certificate
 *   FOPS_TLS_CA        the org's TLS CA
 *   FOPS_TLS_CERT, FOPS_TLS_KEY   the Admin's TLS client certificate, key
 *   FOPS_ORDERER_PORT, FOPS_ORDERER_ADMIN_PORT, FOPS_PEER_PORT
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/common.pb-c.h"
#include "common/configtx.pb-c.h"
#include "fabric_ops.h"
#include "fabric_tx.h"
#include "msp.h"
#include "participation.h"
#include "pki.h"
#include "sig.h"
#include "xmalloc.h"
#include "itest.h"

#define TIMEOUT_MS 15000

struct key_signer {
	EVP_PKEY *key;
	int nsigned;
};

static int
key_sign(void *arg, const uint8_t *msg, size_t len, uint8_t **sig,
    size_t *siglen, char **cause)
{
	struct key_signer *k = arg;
	unsigned char *der;
	size_t derlen;

	if (sig_sign(k->key, msg, len, &der, &derlen, cause) != 0)
		return -1;
	k->nsigned++;
	*sig = der;
	*siglen = derlen;
	return 0;
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0') {
		fprintf(stderr, "itest_fabric_ops: %s is not set\n", name);
		exit(2);
	}
	return v;
}

static unsigned int
env_port(const char *name)
{
	const char *s = env(name);
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end != '\0' || v == 0 || v > 65535) {
		fprintf(stderr, "itest_fabric_ops: %s is not a port\n", name);
		exit(2);
	}
	return (unsigned int)v;
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	long n;

	REQUIRE(f != NULL);
	REQUIRE(fseek(f, 0, SEEK_END) == 0);
	n = ftell(f);
	REQUIRE(n > 0 && n < 64L * 1024 * 1024);
	rewind(f);
	b = xmalloc((size_t)n);
	REQUIRE(fread(b, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static char *
read_text(const char *path)
{
	size_t len;
	uint8_t *b = read_file(path, &len);
	char *s = xmalloc(len + 1);

	memcpy(s, b, len);
	s[len] = '\0';
	free(b);
	return s;
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The block's header number and first envelope's channel and type. */
static void
check_block(const uint8_t *b, size_t len, uint64_t number, const char *channel,
    int type, const uint8_t *want_data_hash)
{
	Common__Block *blk = common__block__unpack(NULL, len, b);
	char *ch = NULL, *cause = NULL;
	int t = -1;

	CHECK(blk != NULL && blk->header != NULL);
	if (blk == NULL || blk->header == NULL)
		return;
	CHECK(blk->header->number == number);
	CHECK(ftx_block_channel(blk, &ch, &t, &cause) == 0);
	CHECK(ch != NULL && strcmp(ch, channel) == 0);
	CHECK(t == type);
	if (want_data_hash != NULL)
		CHECK(blk->header->data_hash.len == 32 &&
		    memcmp(blk->header->data_hash.data, want_data_hash, 32) == 0);
	free(ch);
	free(cause);
	common__block__free_unpacked(blk, NULL);
}

/* An identity of the right MSP ID that the org's CA never issued. */
static char *
stranger(EVP_PKEY **key)
{
	struct pki_subject s;
	char *cause = NULL, *pem;
	X509 *x;

	memset(&s, 0, sizeof(s));
	s.cn = "Admin@org1.example.com";
	s.o = "Org1MSP";
	s.ou = "admin";
	s.days = 30;
	REQUIRE((*key = pki_key_new()) != NULL);
	REQUIRE((x = pki_ca_new(*key, &s, &cause)) != NULL);
	pem = pki_cert_pem(x, NULL);
	X509_free(x);
	REQUIRE(pem != NULL);
	return pem;
}

/* The org's PKI in dir, as the agent makes it. */
static int
make_msp(const char *dir)
{
	static const char *const hosts[] = { "localhost", "127.0.0.1", NULL };
	struct msp_org org = { dir, "Org1MSP", "org1.example.com" };
	struct msp_node o = { "orderer0", MSP_ROLE_ORDERER, hosts };
	struct msp_node p = { "peer0", MSP_ROLE_PEER, hosts };
	char *cause = NULL;

	if (msp_org_ensure(&org, NULL, &cause) != 0 ||
	    msp_node_ensure(&org, &o, NULL, &cause) != 0 ||
	    msp_node_ensure(&org, &p, NULL, &cause) != 0) {
		fprintf(stderr, "itest_fabric_ops msp: %s\n", cause);
		free(cause);
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct grpc_target ord, peer;
	struct part_target adm;
	struct part_channel info;
	struct ftx_identity id, bad_id;
	struct key_signer ks, bad_ks;
	struct fops_signer signer, bad_signer;
	struct fops_result res;
	enum part_join_result pj;
	enum fops_join_result jr;
	Common__Block *gen;
	Common__ConfigUpdateEnvelope cue = COMMON__CONFIG_UPDATE_ENVELOPE__INIT;
	const char *channel;
	uint8_t *genesis, *blk = NULL, *env_b, cue_b[16], gen_hash[32];
	size_t glen, blen = 0, elen, cue_len, nch = 0, i;
	uint64_t number = 99, height = 0;
	char *cause = NULL, *info_s = NULL, *cert, **chans = NULL;
	int found = 0, active = 0, attempt, seen, ret;
	time_t t0;

	if (argc == 3 && strcmp(argv[1], "msp") == 0)
		return make_msp(argv[2]);
	if (argc != 2 || strcmp(argv[1], "run") != 0) {
		fprintf(stderr, "usage: itest_fabric_ops msp DIR | run\n");
		return 2;
	}
	channel = env("FOPS_CHANNEL");
	genesis = read_file(env("FOPS_BLOCK"), &glen);
	REQUIRE((gen = common__block__unpack(NULL, glen, genesis)) != NULL);
	REQUIRE(gen->header != NULL && gen->header->data_hash.len == 32);
	memcpy(gen_hash, gen->header->data_hash.data, 32);
	common__block__free_unpacked(gen, NULL);

	memset(&ks, 0, sizeof(ks));
	REQUIRE((ks.key = pki_key_read(env("FOPS_ADMIN_KEY"), &cause)) != NULL);
	cert = read_text(env("FOPS_ADMIN_CERT"));
	id.mspid = env("FOPS_MSPID");
	id.cert_pem = cert;
	signer.id = &id;
	signer.sign = key_sign;
	signer.arg = &ks;

	memset(&ord, 0, sizeof(ord));
	ord.host = "127.0.0.1";
	ord.port = env_port("FOPS_ORDERER_PORT");
	ord.ca_file = env("FOPS_TLS_CA");
	ord.cert_file = env("FOPS_TLS_CERT");
	ord.key_file = env("FOPS_TLS_KEY");
	peer = ord;
	peer.port = env_port("FOPS_PEER_PORT");
	memset(&adm, 0, sizeof(adm));
	adm.host = "127.0.0.1";
	adm.port = env_port("FOPS_ORDERER_ADMIN_PORT");
	adm.ca_file = ord.ca_file;
	adm.cert_file = ord.cert_file;
	adm.key_file = ord.key_file;

	/* The orderer joins the channel (channel participation). */
	memset(&info, 0, sizeof(info));
	if (part_join(&adm, genesis, glen, &pj, &info, TIMEOUT_MS, &cause) != 0)
		fprintf(stderr, "part_join: %s\n", cause);
	REQUIRE(cause == NULL && pj == PART_JOINED);
	part_channel_clear(&info);
	for (attempt = 0; attempt < 100 && !active; attempt++) {
		if (part_get(&adm, channel, &info, &found, TIMEOUT_MS,
		    &cause) == 0 && found && strcmp(info.status, "active") == 0)
			active = 1;
		part_channel_clear(&info);
		free(cause);
		cause = NULL;
		if (!active)
			pause_ms(100);
	}
	REQUIRE(active);
	printf("ok - the orderer joined %s (part_join) and it is active\n",
	    channel);

	/* Deliver: the newest block is the genesis block, block 0. */
	if (fops_deliver_block(&ord, channel, FOPS_NEWEST, &signer, &blk, &blen,
	    &res, TIMEOUT_MS, &cause) != 0)
		fprintf(stderr, "deliver newest: %s\n", cause);
	REQUIRE(blk != NULL);
	CHECK(res.status == FOPS_SUCCESS);
	check_block(blk, blen, 0, channel, FTX_HDR_CONFIG, gen_hash);
	free(blk);
	blk = NULL;
	printf("ok - fops_deliver_block newest: block 0 of %s, the genesis "
	    "block's data (mutual TLS, tls_cert_hash bound)\n", channel);

	/* Block 0 by number, exact. */
	CHECK(fops_deliver_block(&ord, channel, 0, &signer, &blk, &blen, &res,
	    TIMEOUT_MS, &cause) == 0);
	if (blk != NULL)
		check_block(blk, blen, 0, channel, FTX_HDR_CONFIG, gen_hash);
	free(blk);
	blk = NULL;

	/* A block past the height: NOT_FOUND at once (FAIL_IF_NOT_READY). */
	t0 = time(NULL);
	ret = fops_deliver_block(&ord, channel, 5, &signer, &blk, &blen, &res,
	    TIMEOUT_MS, &cause);
	CHECK(ret == -1 && blk == NULL);
	CHECK(res.status == FOPS_NOT_FOUND);
	CHECK(!fops_retryable(&res));
	CHECK(time(NULL) - t0 < 5);
	CHECK(cause != NULL && strstr(cause, "NOT_FOUND") != NULL &&
	    strstr(cause, "block 5") != NULL);
	printf("ok - block 5 is refused at once: %s\n", cause);
	free(cause);
	cause = NULL;

	/* A channel the orderer does not have. */
	ret = fops_deliver_block(&ord, "nosuch", FOPS_NEWEST, &signer, &blk,
	    &blen, &res, TIMEOUT_MS, &cause);
	CHECK(ret == -1 && res.status == FOPS_NOT_FOUND);
	printf("ok - an unknown channel: %s\n", cause);
	free(cause);
	cause = NULL;

	/* A signer the org's MSP does not know: FORBIDDEN. */
	memset(&bad_ks, 0, sizeof(bad_ks));
	bad_id.mspid = id.mspid;
	bad_id.cert_pem = stranger(&bad_ks.key);
	bad_signer.id = &bad_id;
	bad_signer.sign = key_sign;
	bad_signer.arg = &bad_ks;
	ret = fops_deliver_block(&ord, channel, FOPS_NEWEST, &bad_signer, &blk,
	    &blen, &res, TIMEOUT_MS, &cause);
	CHECK(ret == -1 && res.status == FOPS_FORBIDDEN && blk == NULL);
	printf("ok - a stranger's seek is refused: %s\n", cause);
	free(cause);
	cause = NULL;

	/* The config block: block 0. */
	if (fops_config_block(&ord, channel, &signer, &blk, &blen, &number,
	    &res, TIMEOUT_MS, &cause) != 0)
		fprintf(stderr, "config block: %s\n", cause);
	CHECK(blk != NULL && number == 0);
	if (blk != NULL) {
		check_block(blk, blen, 0, channel, FTX_HDR_CONFIG, gen_hash);
		/* The bytes the orderer serves are the block it was given. */
		CHECK(blen == glen && memcmp(blk, genesis, glen) == 0);
	}
	free(blk);
	blk = NULL;
	free(cause);
	cause = NULL;
	printf("ok - fops_config_block: block 0, the bytes it was joined with\n");

	/* The peer joins; a second join is a success too. */
	if (fops_join_chain(&peer, genesis, glen, &signer, &jr, &res,
	    TIMEOUT_MS, &cause) != 0)
		fprintf(stderr, "join: %s\n", cause);
	CHECK(cause == NULL && jr == FOPS_JOINED && res.status == 200);
	free(cause);
	cause = NULL;
	printf("ok - fops_join_chain: the peer joined %s\n", channel);
	jr = FOPS_JOINED;
	if (fops_join_chain(&peer, genesis, glen, &signer, &jr, &res,
	    TIMEOUT_MS, &cause) != 0)
		fprintf(stderr, "second join: %s\n", cause);
	CHECK(cause == NULL && jr == FOPS_ALREADY_JOINED);
	CHECK(res.status >= 400);
	free(cause);
	cause = NULL;
	printf("ok - a second fops_join_chain: already joined, a success\n");

	/* A stranger cannot join the peer. */
	ret = fops_join_chain(&peer, genesis, glen, &bad_signer, &jr, &res,
	    TIMEOUT_MS, &cause);
	/* Refused by the peer itself (an answer, not a transport failure). */
	CHECK(ret == -1 && cause != NULL &&
	    strstr(cause, "access denied") != NULL);
	printf("ok - a stranger's JoinChain is refused: %s\n", cause);
	free(cause);
	cause = NULL;

	/* The peer lists the channel. */
	if (fops_get_channels(&peer, &signer, &chans, &nch, &res, TIMEOUT_MS,
	    &cause) != 0)
		fprintf(stderr, "get channels: %s\n", cause);
	CHECK(cause == NULL);
	for (i = 0, seen = 0; i < nch; i++)
		if (strcmp(chans[i], channel) == 0)
			seen++;
	CHECK(nch == 1 && seen == 1);
	fops_names_free(chans, nch);
	free(cause);
	cause = NULL;
	printf("ok - fops_get_channels lists %s\n", channel);

	/* Its ledger holds the genesis block. */
	if (fops_peer_height(&peer, channel, &signer, &height, &res, TIMEOUT_MS,
	    &cause) != 0)
		fprintf(stderr, "peer height: %s\n", cause);
	CHECK(cause == NULL && height >= 1);
	free(cause);
	cause = NULL;
	printf("ok - fops_peer_height: %llu\n", (unsigned long long)height);
	ret = fops_peer_height(&peer, "nosuch", &signer, &height, &res,
	    TIMEOUT_MS, &cause);
	CHECK(ret == -1 && res.status >= 400);
	free(cause);
	cause = NULL;

	/*
	 * Broadcast a CONFIG_UPDATE with an empty update: the orderer must
	 * refuse it. Right after the join its Raft channel may not have a
	 * leader yet (SERVICE_UNAVAILABLE): that is retried, bounded.
	 */
	cue_len = common__config_update_envelope__pack(&cue, cue_b);
	for (attempt = 0; attempt < 60; attempt++) {
		env_b = ftx_envelope(FTX_HDR_CONFIG_UPDATE, channel, cue_b,
		    cue_len, NULL, &id, key_sign, &ks, &elen, &cause);
		REQUIRE(env_b != NULL);
		free(info_s);
		info_s = NULL;
		free(cause);
		cause = NULL;
		ret = fops_broadcast(&ord, env_b, elen, &res, &info_s,
		    TIMEOUT_MS, &cause);
		free(env_b);
		if (ret == 0 || !fops_retryable(&res))
			break;
		printf("note - broadcast attempt %d: %s (retryable)\n",
		    attempt + 1, cause);
		pause_ms(500);
	}
	CHECK(ret == -1);
	CHECK(res.status != 0 && res.status != FOPS_SUCCESS &&
	    !fops_retryable(&res));
	CHECK(res.status == FOPS_BAD_REQUEST);
	CHECK(cause != NULL && strstr(cause, fops_status_name(res.status)) !=
	    NULL);
	CHECK(info_s != NULL && *info_s != '\0' && strstr(cause, info_s) !=
	    NULL);
	printf("ok - an empty config update is refused: %s\n",
	    cause != NULL ? cause : "(none)");
	free(cause);
	free(info_s);

	CHECK(ks.nsigned >= 10);
	EVP_PKEY_free(ks.key);
	EVP_PKEY_free(bad_ks.key);
	free((char *)bad_id.cert_pem);
	free(cert);
	free(genesis);
	printf("%d checks, %d failures\n", nchecks, nfailures);
	return nfailures == 0 ? 0 : 1;
}
