/*
 * fabric_update_sig.c: a config update's signatures and envelope
 * (fabric_update.h): the SignatureHeader of a signer, the bytes a
 * ConfigSignature signs, the CONFIG_UPDATE envelope, and fupd_open, which
 * opens a ConfigUpdateEnvelope and verifies each of its signatures.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "common/common.pb-c.h"
#include "common/configtx.pb-c.h"
#include "msp/identities.pb-c.h"

#include "fabric_config.h"
#include "fabric_update.h"
#include "fabric_update_int.h"
#include "sig.h"
#include "xmalloc.h"

uint8_t *
fupd_signature_header(const char *mspid, const char *cert_pem,
    const uint8_t *nonce, size_t *len)
{
	Msp__SerializedIdentity id = MSP__SERIALIZED_IDENTITY__INIT;
	Common__SignatureHeader sh = COMMON__SIGNATURE_HEADER__INIT;
	uint8_t n[FUPD_NONCE_LEN], *out;

	if (nonce == NULL) {
		if (RAND_bytes(n, sizeof(n)) != 1)
			return NULL;
		nonce = n;
	}
	id.mspid = (char *)mspid;
	id.id_bytes.data = (uint8_t *)cert_pem;
	id.id_bytes.len = strlen(cert_pem);
	sh.creator.data = fupd_msg(&id.base, &sh.creator.len);
	sh.nonce.data = (uint8_t *)nonce;
	sh.nonce.len = FUPD_NONCE_LEN;
	out = fupd_msg(&sh.base, len);
	free(sh.creator.data);
	return out;
}

uint8_t *
fupd_signing_bytes(const uint8_t *header, size_t header_len,
    const uint8_t *update, size_t update_len, size_t *len)
{
	uint8_t *b;

	*len = header_len + update_len;
	b = xmalloc(*len > 0 ? *len : 1);
	if (header_len > 0)
		memcpy(b, header, header_len);
	if (update_len > 0)
		memcpy(b + header_len, update, update_len);
	return b;
}

uint8_t *
fupd_envelope(const uint8_t *update, size_t update_len,
    const struct fupd_sig *sigs, size_t nsigs, size_t *len)
{
	Common__ConfigUpdateEnvelope env = COMMON__CONFIG_UPDATE_ENVELOPE__INIT;
	Common__ConfigSignature *cs = NULL, **csp = NULL;
	uint8_t *out;
	size_t i;

	env.config_update.data = (uint8_t *)update;
	env.config_update.len = update_len;
	if (nsigs > 0) {
		cs = xcalloc(nsigs, sizeof(*cs));
		csp = xcalloc(nsigs, sizeof(*csp));
		for (i = 0; i < nsigs; i++) {
			common__config_signature__init(&cs[i]);
			cs[i].signature_header.data = (uint8_t *)sigs[i].header;
			cs[i].signature_header.len = sigs[i].header_len;
			cs[i].signature.data = (uint8_t *)sigs[i].sig;
			cs[i].signature.len = sigs[i].sig_len;
			csp[i] = &cs[i];
		}
	}
	env.n_signatures = nsigs;
	env.signatures = csp;
	out = fupd_msg(&env.base, len);
	free(cs);
	free(csp);
	return out;
}

void
fupd_opened_clear(struct fupd_opened *o)
{
	size_t i;

	if (o == NULL)
		return;
	fupd_free(o->update);
	free(o->update_bytes);
	for (i = 0; i < o->nsigs; i++) {
		free(o->mspids[i]);
		free(o->certs[i]);
	}
	free(o->mspids);
	free(o->certs);
	memset(o, 0, sizeof(*o));
}

/* The public key of the PEM certificate in B, or NULL. */
static EVP_PKEY *
pem_pubkey(const ProtobufCBinaryData *b)
{
	BIO *bio;
	X509 *x;
	EVP_PKEY *k = NULL;

	if (b->len == 0 || b->len > FCFG_MAX_CERT_BYTES ||
	    (bio = BIO_new_mem_buf(b->data, (int)b->len)) == NULL)
		return NULL;
	if ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		k = X509_get_pubkey(x);
		X509_free(x);
	}
	BIO_free(bio);
	return k;
}

int
fupd_open(const uint8_t *data, size_t len, size_t max,
    struct fupd_opened *out, char **cause)
{
	Common__ConfigUpdateEnvelope *env = NULL;
	Common__SignatureHeader *sh = NULL;
	Msp__SerializedIdentity *id = NULL;
	Common__ConfigSignature *cs;
	EVP_PKEY *pub = NULL;
	uint8_t *msg = NULL;
	size_t i, mlen;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	*cause = NULL;
	if (max > FUPD_MAX_ENVELOPE)
		max = FUPD_MAX_ENVELOPE;
	if (len > max) {
		*cause = xasprintf("the config update envelope is %zu bytes, "
		    "more than the %zu accepted", len, max);
		goto done;
	}
	if ((env = common__config_update_envelope__unpack(NULL, len,
	    data)) == NULL) {
		*cause = xstrdup("the bytes are not a ConfigUpdateEnvelope");
		goto done;
	}
	if (env->n_signatures > FUPD_MAX_SIGNATURES) {
		*cause = xasprintf("the envelope has %zu signatures, more than "
		    "the %d accepted", env->n_signatures, FUPD_MAX_SIGNATURES);
		goto done;
	}
	if ((out->update = fupd_decode(env->config_update.data,
	    env->config_update.len, cause)) == NULL)
		goto done;
	out->update_len = env->config_update.len;
	out->update_bytes = xmalloc(out->update_len > 0 ? out->update_len : 1);
	if (out->update_len > 0)
		memcpy(out->update_bytes, env->config_update.data,
		    out->update_len);
	out->mspids = xcalloc(env->n_signatures + 1, sizeof(*out->mspids));
	out->certs = xcalloc(env->n_signatures + 1, sizeof(*out->certs));
	for (i = 0; i < env->n_signatures; i++) {
		cs = env->signatures[i];
		if (cs->signature_header.len > FUPD_MAX_HEADER ||
		    (sh = common__signature_header__unpack(NULL,
		    cs->signature_header.len, cs->signature_header.data)) ==
		    NULL ||
		    (id = msp__serialized_identity__unpack(NULL,
		    sh->creator.len, sh->creator.data)) == NULL) {
			*cause = xasprintf("signature %zu has no readable "
			    "signature header and creator", i + 1);
			goto done;
		}
		if ((pub = pem_pubkey(&id->id_bytes)) == NULL) {
			char *m = fupd_safe(id->mspid);

			*cause = xasprintf("the creator of signature %zu (%s) "
			    "holds no PEM certificate", i + 1, m);
			free(m);
			goto done;
		}
		msg = fupd_signing_bytes(cs->signature_header.data,
		    cs->signature_header.len, env->config_update.data,
		    env->config_update.len, &mlen);
		if (sig_verify(pub, msg, mlen, cs->signature.data,
		    cs->signature.len) != 0) {
			char *m = fupd_safe(id->mspid);

			*cause = xasprintf("signature %zu (%s) does not verify "
			    "with its creator's certificate, or is not low-S",
			    i + 1, m);
			free(m);
			goto done;
		}
		out->mspids[i] = xstrdup(id->mspid);
		out->certs[i] = xstrndup((const char *)id->id_bytes.data,
		    id->id_bytes.len);
		out->nsigs = i + 1;
		free(msg);
		msg = NULL;
		EVP_PKEY_free(pub);
		pub = NULL;
		msp__serialized_identity__free_unpacked(id, NULL);
		id = NULL;
		common__signature_header__free_unpacked(sh, NULL);
		sh = NULL;
	}
	ret = 0;
done:
	free(msg);
	EVP_PKEY_free(pub);
	if (id != NULL)
		msp__serialized_identity__free_unpacked(id, NULL);
	if (sh != NULL)
		common__signature_header__free_unpacked(sh, NULL);
	if (env != NULL)
		common__config_update_envelope__free_unpacked(env, NULL);
	if (ret == -1)
		fupd_opened_clear(out);
	return ret;
}
