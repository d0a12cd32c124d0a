/*
 * fabric_block.c: the genesis block of an application channel, byte for
 * byte as Fabric 2.5's genesis factory lays it out (common/genesis), and
 * the block hashes of protoutil.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/common.pb-c.h"
#include "common/configtx.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"

#include "fabric_block.h"
#include "xmalloc.h"

#define MSG_VERSION 1	/* genesis.go msgVersion */

static uint8_t *
fblock_msg(const ProtobufCMessage *m, size_t *len)
{
	uint8_t *b;

	*len = protobuf_c_message_get_packed_size(m);
	b = xmalloc(*len > 0 ? *len : 1);
	(void)protobuf_c_message_pack(m, b);
	return b;
}

static void
sha256(const void *d, size_t n, uint8_t out[FBLOCK_HASH_LEN])
{
	unsigned int olen = FBLOCK_HASH_LEN;

	if (EVP_Digest(d, n, out, &olen, EVP_sha256(), NULL) != 1)
		abort();	/* OpenSSL cannot hash: a broken library */
}

Common__Block *
fblock_genesis(const Common__Config *config, const char *channel_id,
    int64_t timestamp, const uint8_t *nonce, char **cause)
{
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Common__ChannelHeader chdr = COMMON__CHANNEL_HEADER__INIT;
	Common__SignatureHeader shdr = COMMON__SIGNATURE_HEADER__INIT;
	Common__Header hdr = COMMON__HEADER__INIT;
	Common__ConfigEnvelope cenv = COMMON__CONFIG_ENVELOPE__INIT;
	Common__Payload payload = COMMON__PAYLOAD__INIT;
	Common__Envelope env = COMMON__ENVELOPE__INIT;
	Common__LastConfig lc = COMMON__LAST_CONFIG__INIT;
	Common__OrdererBlockMetadata obm = COMMON__ORDERER_BLOCK_METADATA__INIT;
	Common__Metadata md_sig = COMMON__METADATA__INIT;
	Common__Metadata md_lc = COMMON__METADATA__INIT;
	Common__BlockHeader bh = COMMON__BLOCK_HEADER__INIT;
	Common__BlockData bd = COMMON__BLOCK_DATA__INIT;
	Common__BlockMetadata bm = COMMON__BLOCK_METADATA__INIT;
	Common__Block blk = COMMON__BLOCK__INIT, *out = NULL;
	ProtobufCBinaryData data[1], slots[FBLOCK_METADATA_SLOTS];
	uint8_t n[FBLOCK_NONCE_LEN], txh[FBLOCK_HASH_LEN];
	uint8_t dh[FBLOCK_HASH_LEN], *b = NULL;
	char txid[2 * FBLOCK_HASH_LEN + 1];
	size_t i, len;

	*cause = NULL;
	memset(data, 0, sizeof(data));
	memset(slots, 0, sizeof(slots));
	if (config == NULL || channel_id == NULL || *channel_id == '\0') {
		*cause = xstrdup("a genesis block needs a config and a "
		    "channel name");
		goto done;
	}
	if (nonce != NULL)
		memcpy(n, nonce, sizeof(n));
	else if (RAND_bytes(n, sizeof(n)) != 1) {
		*cause = xstrdup("OpenSSL could not draw a random nonce");
		goto done;
	}
	/* TxID = hex(SHA-256(nonce || creator)); the creator is empty. */
	sha256(n, sizeof(n), txh);
	for (i = 0; i < sizeof(txh); i++)
		(void)snprintf(txid + 2 * i, 3, "%02x", txh[i]);

	ts.seconds = timestamp;
	chdr.type = COMMON__HEADER_TYPE__CONFIG;
	chdr.version = MSG_VERSION;
	chdr.timestamp = &ts;
	chdr.channel_id = (char *)channel_id;
	chdr.tx_id = txid;
	chdr.epoch = 0;
	shdr.nonce.data = n;
	shdr.nonce.len = sizeof(n);
	hdr.channel_header.data = fblock_msg(&chdr.base,
	    &hdr.channel_header.len);
	hdr.signature_header.data = fblock_msg(&shdr.base,
	    &hdr.signature_header.len);
	cenv.config = (Common__Config *)config;
	payload.header = &hdr;
	payload.data.data = fblock_msg(&cenv.base, &payload.data.len);
	env.payload.data = fblock_msg(&payload.base, &env.payload.len);
	data[0].data = fblock_msg(&env.base, &data[0].len);
	bd.n_data = 1;
	bd.data = data;

	fblock_data_hash(&bd, dh);
	bh.number = 0;
	bh.data_hash.data = dh;
	bh.data_hash.len = sizeof(dh);

	lc.index = 0;
	md_lc.value.data = fblock_msg(&lc.base, &md_lc.value.len);
	obm.last_config = &lc;
	md_sig.value.data = fblock_msg(&obm.base, &md_sig.value.len);
	slots[COMMON__BLOCK_METADATA_INDEX__SIGNATURES].data =
	    fblock_msg(&md_sig.base,
	    &slots[COMMON__BLOCK_METADATA_INDEX__SIGNATURES].len);
	slots[COMMON__BLOCK_METADATA_INDEX__LAST_CONFIG].data =
	    fblock_msg(&md_lc.base,
	    &slots[COMMON__BLOCK_METADATA_INDEX__LAST_CONFIG].len);
	bm.n_metadata = FBLOCK_METADATA_SLOTS;
	bm.metadata = slots;

	blk.header = &bh;
	blk.data = &bd;
	blk.metadata = &bm;
	b = fblock_msg(&blk.base, &len);
	if ((out = common__block__unpack(NULL, len, b)) == NULL)
		*cause = xstrdup("the genesis block built does not unpack");
	free(md_lc.value.data);
	free(md_sig.value.data);
done:
	free(hdr.channel_header.data);
	free(hdr.signature_header.data);
	free(payload.data.data);
	free(env.payload.data);
	free(data[0].data);
	for (i = 0; i < FBLOCK_METADATA_SLOTS; i++)
		free(slots[i].data);
	free(b);
	return out;
}

void
fblock_free(Common__Block *b)
{
	if (b != NULL)
		common__block__free_unpacked(b, NULL);
}

uint8_t *
fblock_pack(const Common__Block *b, size_t *len)
{
	return fblock_msg(&b->base, len);
}

void
fblock_data_hash(const Common__BlockData *d, uint8_t out[FBLOCK_HASH_LEN])
{
	EVP_MD_CTX *ctx;
	unsigned int olen = FBLOCK_HASH_LEN;
	size_t i;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		abort();	/* allocation failure or a broken library */
	for (i = 0; d != NULL && i < d->n_data; i++)
		if (d->data[i].len > 0 && EVP_DigestUpdate(ctx,
		    d->data[i].data, d->data[i].len) != 1)
			abort();
	if (EVP_DigestFinal_ex(ctx, out, &olen) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
}

/* Appends a DER length to B at *off. */
static void
der_len(uint8_t *b, size_t *off, size_t len)
{
	uint8_t tmp[sizeof(size_t)];
	size_t n = 0;

	if (len < 0x80) {
		b[(*off)++] = (uint8_t)len;
		return;
	}
	while (len > 0) {
		tmp[n++] = (uint8_t)(len & 0xff);
		len >>= 8;
	}
	b[(*off)++] = (uint8_t)(0x80 | n);
	while (n > 0)
		b[(*off)++] = tmp[--n];
}

static size_t
der_len_size(size_t len)
{
	size_t n = 1;

	if (len < 0x80)
		return 1;
	while (len > 0) {
		n++;
		len >>= 8;
	}
	return n;
}

uint8_t *
fblock_header_bytes(const Common__BlockHeader *h, size_t *len)
{
	uint8_t num[9], *b;
	size_t nlen = 0, body, off = 0, i;
	uint64_t v = h->number;
	int shift;

	/* INTEGER: minimal big-endian two's complement of an unsigned value. */
	for (shift = 56; shift >= 0; shift -= 8) {
		uint8_t byte = (uint8_t)(v >> shift);

		if (nlen == 0 && byte == 0 && shift > 0)
			continue;
		if (nlen == 0 && (byte & 0x80))
			num[nlen++] = 0;
		num[nlen++] = byte;
	}
	body = 1 + der_len_size(nlen) + nlen +
	    1 + der_len_size(h->previous_hash.len) + h->previous_hash.len +
	    1 + der_len_size(h->data_hash.len) + h->data_hash.len;
	*len = 1 + der_len_size(body) + body;
	b = xmalloc(*len);
	b[off++] = 0x30;
	der_len(b, &off, body);
	b[off++] = 0x02;
	der_len(b, &off, nlen);
	for (i = 0; i < nlen; i++)
		b[off++] = num[i];
	b[off++] = 0x04;
	der_len(b, &off, h->previous_hash.len);
	if (h->previous_hash.len > 0)
		memcpy(b + off, h->previous_hash.data, h->previous_hash.len);
	off += h->previous_hash.len;
	b[off++] = 0x04;
	der_len(b, &off, h->data_hash.len);
	if (h->data_hash.len > 0)
		memcpy(b + off, h->data_hash.data, h->data_hash.len);
	return b;
}

void
fblock_header_hash(const Common__BlockHeader *h, uint8_t out[FBLOCK_HASH_LEN])
{
	uint8_t *b;
	size_t len;

	b = fblock_header_bytes(h, &len);
	sha256(b, len, out);
	free(b);
}
