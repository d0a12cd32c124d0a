/*
 * itest_fabric_tx.c: writes one of each message lib/fabric_tx.c builds,
 * for fabric_tx_oracle.sh to decode with protoc and Fabric's official
 * .proto files, and to verify with openssl(1).
 *
 * itest_fabric_tx DIR writes into DIR:
 *   cert.pem, pub.pem       the signer's certificate and public key
 *   block.bin               the bytes given to JoinChain
 *   join.bin                SignedProposal: cscc JoinChain(block.bin)
 *   channels.bin            SignedProposal: cscc GetChannels
 *   chaininfo.bin           SignedProposal: qscc GetChainInfo("trade")
 *   seek_newest.bin         Envelope: DELIVER_SEEK_INFO newest..newest,
 *                           FAIL_IF_NOT_READY, BEST_EFFORT, tls_cert_hash
 *                           = bytes 0xa0..0xbf
 *   seek_range.bin          Envelope: block 3..9, BLOCK_UNTIL_READY, STRICT
 *   seek_oldest.bin         Envelope: oldest..newest
 *   config_update.bin       Envelope: CONFIG_UPDATE on "trade" whose data is
 *                           cue.bin
 *   cue.bin                 a ConfigUpdateEnvelope{config_update: "update"}
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/configtx.pb-c.h"
#include "fabric_tx.h"
#include "pki.h"
#include "sig.h"
#include "xmalloc.h"
#include "itest.h"

static EVP_PKEY *key;
static const char *dir;

static int
key_sign(void *arg, const uint8_t *msg, size_t len, uint8_t **sig,
    size_t *siglen, char **cause)
{
	unsigned char *der;
	size_t derlen;

	if (sig_sign(key, msg, len, &der, &derlen, cause) != 0)
		return -1;
	*sig = der;
	*siglen = derlen;
	return 0;
}

static void
put(const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");

	REQUIRE(f != NULL);
	REQUIRE(fwrite(data, 1, len, f) == len);
	REQUIRE(fclose(f) == 0);
	free(path);
}

static void
put_msg(const char *name, uint8_t *b, size_t len, char *cause)
{
	if (b == NULL)
		fprintf(stderr, "%s: %s\n", name, cause);
	REQUIRE(b != NULL);
	put(name, b, len);
	free(b);
}

int
main(int argc, char **argv)
{
	struct pki_subject s;
	struct ftx_identity id;
	struct ftx_seek newest = { FTX_SEEK_NEWEST, 0 };
	struct ftx_seek oldest = { FTX_SEEK_OLDEST, 0 };
	struct ftx_seek from = { FTX_SEEK_SPECIFIED, 3 };
	struct ftx_seek to = { FTX_SEEK_SPECIFIED, 9 };
	Common__ConfigUpdateEnvelope cue = COMMON__CONFIG_UPDATE_ENVELOPE__INIT;
	uint8_t block[600], hash[FTX_TLS_HASH_LEN], cueb[64], *b;
	size_t len, i, cuelen;
	char *cause = NULL, *pem;
	X509 *x;
	BIO *bio;
	BUF_MEM *mem;

	REQUIRE(argc == 2);
	dir = argv[1];
	memset(&s, 0, sizeof(s));
	s.cn = "Admin@org1.example.com";
	s.o = "Org1MSP";
	s.ou = "admin";
	s.days = 30;
	REQUIRE((key = pki_key_new()) != NULL);
	REQUIRE((x = pki_ca_new(key, &s, &cause)) != NULL);
	REQUIRE((pem = pki_cert_pem(x, NULL)) != NULL);
	put("cert.pem", pem, strlen(pem));
	REQUIRE((bio = BIO_new(BIO_s_mem())) != NULL);
	REQUIRE(PEM_write_bio_PUBKEY(bio, key) == 1);
	BIO_get_mem_ptr(bio, &mem);
	put("pub.pem", mem->data, mem->length);
	BIO_free(bio);
	X509_free(x);
	id.mspid = "Org1MSP";
	id.cert_pem = pem;

	for (i = 0; i < sizeof(block); i++)
		block[i] = (uint8_t)(i * 13 + 1);
	put("block.bin", block, sizeof(block));
	b = ftx_join_chain(block, sizeof(block), &id, key_sign, NULL, &len,
	    &cause);
	put_msg("join.bin", b, len, cause);
	b = ftx_get_channels(&id, key_sign, NULL, &len, &cause);
	put_msg("channels.bin", b, len, cause);
	b = ftx_get_chain_info("trade", &id, key_sign, NULL, &len, &cause);
	put_msg("chaininfo.bin", b, len, cause);

	for (i = 0; i < sizeof(hash); i++)
		hash[i] = (uint8_t)(0xa0 + i);
	b = ftx_seek_info("trade", &newest, &newest, FTX_FAIL_IF_NOT_READY, 1,
	    hash, &id, key_sign, NULL, &len, &cause);
	put_msg("seek_newest.bin", b, len, cause);
	b = ftx_seek_info("trade", &from, &to, FTX_BLOCK_UNTIL_READY, 0, NULL,
	    &id, key_sign, NULL, &len, &cause);
	put_msg("seek_range.bin", b, len, cause);
	b = ftx_seek_info("trade", &oldest, &newest, FTX_BLOCK_UNTIL_READY, 0,
	    NULL, &id, key_sign, NULL, &len, &cause);
	put_msg("seek_oldest.bin", b, len, cause);

	cue.config_update.data = (uint8_t *)"update";
	cue.config_update.len = 6;
	cuelen = common__config_update_envelope__pack(&cue, cueb);
	put("cue.bin", cueb, cuelen);
	b = ftx_envelope(FTX_HDR_CONFIG_UPDATE, "trade", cueb, cuelen, NULL,
	    &id, key_sign, NULL, &len, &cause);
	put_msg("config_update.bin", b, len, cause);

	free(pem);
	EVP_PKEY_free(key);
	printf("%d checks, %d failures\n", nchecks, nfailures);
	return nfailures == 0 ? 0 : 1;
}
