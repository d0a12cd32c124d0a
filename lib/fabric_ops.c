/*
 * fabric_ops.c: Broadcast and Deliver on the org's orderers, JoinChain,
 * GetChannels and GetChainInfo on its peers, over grpc.c with the signed
 * messages of fabric_tx.c (see fabric_ops.h).
 */
#include "fabric_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "common/common.pb-c.h"
#include "common/ledger.pb-c.h"
#include "orderer/ab.pb-c.h"
#include "peer/query.pb-c.h"
#include "pki.h"
#include "xmalloc.h"

/* What a Deliver call has received so far. */
struct fops_deliver {
	uint8_t *block;         /* the block's exact bytes */
	size_t len;
	uint64_t number;
	int nblocks;
	int status;             /* 0 until the status message */
	char *err;              /* why on_msg failed the call */
};

/* The one BroadcastResponse. */
struct fops_bcast {
	int got;
	int status;
	char *info;
	char *err;
};

/* The one ProposalResponse. */
struct fops_prop {
	uint8_t *msg;
	size_t len;
	int got;
};

int
fops_retryable(const struct fops_result *r)
{
	if (r == NULL)
		return 0;
	if (r->status == FOPS_SERVICE_UNAVAILABLE)
		return 1;
	if (r->status == 0 && (r->code == GRPC_UNAVAILABLE ||
	    r->code == GRPC_DEADLINE_EXCEEDED))
		return 1;
	return 0;
}

const char *
fops_status_name(int status)
{
	static _Thread_local char buf[32];	/* tasks run on a worker thread */
	const ProtobufCEnumValue *v;

	v = protobuf_c_enum_descriptor_get_value(&common__status__descriptor,
	    status);
	if (v != NULL)
		return v->name;
	snprintf(buf, sizeof(buf), "status %d", status);
	return buf;
}

static void
fops_res(struct fops_result *res, int status, int code)
{
	if (res != NULL) {
		res->status = status;
		res->code = code;
	}
}

/* "127.0.0.1:7050" of a target. Caller frees. */
static char *
fops_addr(const struct grpc_target *t)
{
	return xasprintf("%s:%u", t->host != NULL ? t->host : "?", t->port);
}

/* A printable copy of at most FOPS_MAX_INFO bytes. Caller frees. */
static char *
fops_printable(const char *s)
{
	size_t i, n = strnlen(s, FOPS_MAX_INFO);
	char *out = xstrndup(s, n);

	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
	return out;
}

static int
fops_varint(const uint8_t *p, size_t len, size_t *off, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (*off < len && shift < 64) {
		uint8_t b = p[(*off)++];

		*v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			return 0;
		shift += 7;
	}
	return -1;
}

int
fops_field_bytes(const uint8_t *msg, size_t len, uint32_t field,
    const uint8_t **out, size_t *out_len)
{
	size_t off = 0;
	uint64_t tag, v;
	int found = 0;

	while (off < len) {
		if (fops_varint(msg, len, &off, &tag) != 0)
			return -1;
		switch (tag & 7) {
		case 0:
			if (fops_varint(msg, len, &off, &v) != 0)
				return -1;
			break;
		case 1:
			if (len - off < 8)
				return -1;
			off += 8;
			break;
		case 2:
			if (fops_varint(msg, len, &off, &v) != 0 || v > len - off)
				return -1;
			if ((tag >> 3) == field) {
				*out = msg + off;
				*out_len = (size_t)v;
				found = 1;
			}
			off += (size_t)v;
			break;
		case 5:
			if (len - off < 4)
				return -1;
			off += 4;
			break;
		default:
			return -1;
		}
	}
	return found;
}

/* --- Broadcast ----------------------------------------------------------- */

static int
fops_bcast_msg(const void *msg, size_t len, void *arg)
{
	struct fops_bcast *b = arg;
	Orderer__BroadcastResponse *r;

	if ((r = orderer__broadcast_response__unpack(NULL, len, msg)) == NULL) {
		b->err = xasprintf("its answer (%zu bytes) is not a "
		    "BroadcastResponse", len);
		return -1;
	}
	b->got = 1;
	b->status = r->status;
	b->info = fops_printable(r->info != NULL ? r->info : "");
	orderer__broadcast_response__free_unpacked(r, NULL);
	return 1;	/* one envelope sent, one answer: done */
}

int
fops_broadcast(const struct grpc_target *t, const void *env, size_t len,
    struct fops_result *res, char **info, long timeout_ms, char **cause)
{
	struct fops_bcast b;
	struct grpc_msg m;
	char *addr = fops_addr(t), *why = NULL;
	int ret = -1, code = GRPC_UNKNOWN;

	memset(&b, 0, sizeof(b));
	fops_res(res, 0, GRPC_UNKNOWN);
	if (info != NULL)
		*info = NULL;
	m.data = env;
	m.len = len;
	if (grpc_call_msgs(t, GRPC_ORDERER_BROADCAST, &m, 1, fops_bcast_msg, &b,
	    timeout_ms, &code, &why) != 0) {
		fops_res(res, 0, code);
		*cause = xasprintf("broadcast to orderer %s failed: %s", addr,
		    b.err != NULL ? b.err : why);
		goto done;
	}
	if (!b.got) {
		fops_res(res, 0, code);
		*cause = xasprintf("broadcast to orderer %s failed: the orderer "
		    "ended the call without a BroadcastResponse", addr);
		goto done;
	}
	fops_res(res, b.status, code);
	if (info != NULL)
		*info = xstrdup(b.info);
	if (b.status != FOPS_SUCCESS) {
		*cause = xasprintf("orderer %s refused the broadcast: %s%s%s",
		    addr, fops_status_name(b.status), *b.info != '\0' ? ": " : "",
		    b.info);
		goto done;
	}
	ret = 0;
done:
	free(b.info);
	free(b.err);
	free(why);
	free(addr);
	return ret;
}

/* --- Deliver ------------------------------------------------------------- */

int
fops_deliver_parse(const void *msg, size_t len, int *status, uint8_t **block,
    size_t *blen, uint64_t *number, char **cause)
{
	Orderer__DeliverResponse *r;
	const uint8_t *raw;
	size_t rawlen;
	int ret = -1;

	*status = 0;
	*block = NULL;
	*blen = 0;
	*number = 0;
	if ((r = orderer__deliver_response__unpack(NULL, len, msg)) == NULL) {
		*cause = xasprintf("an answer (%zu bytes) is not a "
		    "DeliverResponse", len);
		return -1;
	}
	switch (r->type_case) {
	case ORDERER__DELIVER_RESPONSE__TYPE_STATUS:
		*status = r->status;
		ret = 1;
		break;
	case ORDERER__DELIVER_RESPONSE__TYPE_BLOCK:
		if (r->block->header == NULL) {
			*cause = xstrdup("it sent a block without a header");
			break;
		}
		if (fops_field_bytes(msg, len, 2, &raw, &rawlen) != 1) {
			*cause = xstrdup("its block cannot be read back");
			break;
		}
		*number = r->block->header->number;
		*block = xmalloc(rawlen > 0 ? rawlen : 1);
		memcpy(*block, raw, rawlen);
		*blen = rawlen;
		ret = 0;
		break;
	default:
		*cause = xstrdup("it sent a DeliverResponse with neither a "
		    "status nor a block");
		break;
	}
	orderer__deliver_response__free_unpacked(r, NULL);
	return ret;
}

static int
fops_deliver_msg(const void *msg, size_t len, void *arg)
{
	struct fops_deliver *d = arg;
	uint8_t *block;
	size_t blen;
	uint64_t number;
	int status, ret;

	ret = fops_deliver_parse(msg, len, &status, &block, &blen, &number,
	    &d->err);
	if (ret == 1) {
		d->status = status;
		return 1;	/* the status ends the answer to our one request */
	}
	if (ret != 0)
		return -1;
	if (d->nblocks++ > 0) {
		free(block);
		d->err = xstrdup("it sent more than the one block asked for");
		return -1;
	}
	d->number = number;
	d->block = block;
	d->len = blen;
	return 0;
}

/* SHA-256 of the DER of the PEM certificate in path. */
static int
fops_cert_hash(const char *path, uint8_t out[FTX_TLS_HASH_LEN], char **cause)
{
	X509 *x;
	int ret;

	if ((x = pki_cert_read(path, cause)) == NULL)
		return -1;
	ret = pki_cert_sha256(x, out) == 0 ? 0 : -1;
	if (ret != 0)
		*cause = xasprintf("cannot hash the client certificate %s", path);
	X509_free(x);
	return ret;
}

static int
fops_signer_ok(const struct fops_signer *s, char **cause)
{
	if (s == NULL || s->id == NULL || s->sign == NULL) {
		*cause = xstrdup("no signer was given (an identity and a signing "
		    "function)");
		return -1;
	}
	return 0;
}

int
fops_deliver_block(const struct grpc_target *t, const char *channel,
    uint64_t number, const struct fops_signer *s, uint8_t **block,
    size_t *len, struct fops_result *res, long timeout_ms, char **cause)
{
	struct fops_deliver d;
	struct ftx_seek pos;
	struct grpc_msg m;
	uint8_t hash[FTX_TLS_HASH_LEN], *env = NULL;
	size_t envlen;
	char *addr = fops_addr(t), *why = NULL, what[64];
	int ret = -1, code = GRPC_UNKNOWN;

	memset(&d, 0, sizeof(d));
	*block = NULL;
	*len = 0;
	fops_res(res, 0, GRPC_UNKNOWN);
	if (number == FOPS_NEWEST) {
		pos.kind = FTX_SEEK_NEWEST;
		pos.number = 0;
		snprintf(what, sizeof(what), "the newest block");
	} else {
		pos.kind = FTX_SEEK_SPECIFIED;
		pos.number = number;
		snprintf(what, sizeof(what), "block %llu",
		    (unsigned long long)number);
	}
	if (fops_signer_ok(s, &why) != 0 ||
	    (t->cert_file != NULL && fops_cert_hash(t->cert_file, hash,
	    &why) != 0) ||
	    (env = ftx_seek_info(channel, &pos, &pos, FTX_FAIL_IF_NOT_READY, 1,
	    t->cert_file != NULL ? hash : NULL, s->id, s->sign, s->arg, &envlen,
	    &why)) == NULL) {
		*cause = xasprintf("cannot ask orderer %s for %s of channel %s: "
		    "%s", addr, what, channel != NULL ? channel : "(none)", why);
		goto done;
	}
	m.data = env;
	m.len = envlen;
	if (grpc_call_msgs(t, GRPC_ORDERER_DELIVER, &m, 1, fops_deliver_msg, &d,
	    timeout_ms, &code, &why) != 0) {
		fops_res(res, d.status, code);
		*cause = xasprintf("fetching %s of channel %s from orderer %s "
		    "failed: %s", what, channel, addr, d.err != NULL ? d.err :
		    why);
		goto done;
	}
	fops_res(res, d.status, code);
	if (d.block == NULL) {
		*cause = xasprintf("orderer %s did not deliver %s of channel "
		    "%s: it answered %s", addr, what, channel, d.status != 0 ?
		    fops_status_name(d.status) : "no block and no status");
		goto done;
	}
	if (d.status != 0 && d.status != FOPS_SUCCESS) {
		*cause = xasprintf("orderer %s sent %s of channel %s, then %s",
		    addr, what, channel, fops_status_name(d.status));
		goto done;
	}
	if (number != FOPS_NEWEST && d.number != number) {
		*cause = xasprintf("orderer %s sent block %llu of channel %s for "
		    "block %llu", addr, (unsigned long long)d.number, channel,
		    (unsigned long long)number);
		goto done;
	}
	fops_res(res, FOPS_SUCCESS, code);
	*block = d.block;
	*len = d.len;
	d.block = NULL;
	ret = 0;
done:
	free(d.block);
	free(d.err);
	free(env);
	free(why);
	free(addr);
	return ret;
}

int
fops_config_block(const struct grpc_target *t, const char *channel,
    const struct fops_signer *s, uint8_t **block, size_t *len,
    uint64_t *number, struct fops_result *res, long timeout_ms, char **cause)
{
	Common__Block *b = NULL;
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	uint64_t idx;
	char *addr = fops_addr(t), *why = NULL, *ch = NULL;
	int ret = -1, type;

	*block = NULL;
	*len = 0;
	if (fops_deliver_block(t, channel, FOPS_NEWEST, s, &raw, &rawlen, res,
	    timeout_ms, cause) != 0)
		goto done;
	if ((b = common__block__unpack(NULL, rawlen, raw)) == NULL ||
	    b->header == NULL) {
		*cause = xasprintf("the newest block of channel %s from orderer "
		    "%s does not decode", channel, addr);
		goto done;
	}
	if (ftx_block_last_config(b, &idx, &why) != 0) {
		*cause = xasprintf("block %llu of channel %s from orderer %s: %s",
		    (unsigned long long)b->header->number, channel, addr, why);
		goto done;
	}
	if (idx > b->header->number) {
		*cause = xasprintf("block %llu of channel %s from orderer %s "
		    "names a later block (%llu) as its last config",
		    (unsigned long long)b->header->number, channel, addr,
		    (unsigned long long)idx);
		goto done;
	}
	if (idx != b->header->number) {
		common__block__free_unpacked(b, NULL);
		b = NULL;
		free(raw);
		raw = NULL;
		if (fops_deliver_block(t, channel, idx, s, &raw, &rawlen, res,
		    timeout_ms, cause) != 0)
			goto done;
		if ((b = common__block__unpack(NULL, rawlen, raw)) == NULL ||
		    b->header == NULL) {
			*cause = xasprintf("block %llu of channel %s from orderer "
			    "%s does not decode", (unsigned long long)idx,
			    channel, addr);
			goto done;
		}
	}
	if (ftx_block_channel(b, &ch, &type, &why) != 0) {
		*cause = xasprintf("block %llu of channel %s from orderer %s: %s",
		    (unsigned long long)idx, channel, addr, why);
		goto done;
	}
	if (type != FTX_HDR_CONFIG || strcmp(ch, channel) != 0) {
		*cause = xasprintf("block %llu from orderer %s, named as the last "
		    "config block of channel %s, is a type %d block of channel "
		    "%s", (unsigned long long)idx, addr, channel, type, ch);
		goto done;
	}
	*block = raw;
	*len = rawlen;
	raw = NULL;
	if (number != NULL)
		*number = idx;
	ret = 0;
done:
	if (b != NULL)
		common__block__free_unpacked(b, NULL);
	free(raw);
	free(ch);
	free(why);
	free(addr);
	return ret;
}

/* --- Peer proposals ------------------------------------------------------ */

static int
fops_prop_msg(const void *msg, size_t len, void *arg)
{
	struct fops_prop *p = arg;

	if (p->got)
		return -1;	/* a unary call answers once */
	p->got = 1;
	p->msg = xmalloc(len > 0 ? len : 1);
	memcpy(p->msg, msg, len);
	p->len = len;
	return 0;
}

/*
 * Sends the signed proposal sp/splen to the peer and reads its Response
 * into *r. what names the call in a cause ("JoinChain"). A transport
 * failure or an unreadable answer is -1; any Response is 0 (the caller
 * judges its status).
 */
static int
fops_propose(const struct grpc_target *t, const char *what, const uint8_t *sp,
    size_t splen, struct ftx_response *r, struct fops_result *res,
    long timeout_ms, char **cause)
{
	struct fops_prop p;
	struct grpc_msg m;
	char *addr = fops_addr(t), *why = NULL;
	int ret = -1, code = GRPC_UNKNOWN;

	memset(&p, 0, sizeof(p));
	memset(r, 0, sizeof(*r));
	m.data = sp;
	m.len = splen;
	if (grpc_call_msgs(t, GRPC_PEER_PROCESS_PROPOSAL, &m, 1, fops_prop_msg,
	    &p, timeout_ms, &code, &why) != 0) {
		fops_res(res, 0, code);
		*cause = xasprintf("%s on peer %s failed: %s", what, addr, why);
		goto done;
	}
	if (!p.got) {
		fops_res(res, 0, code);
		*cause = xasprintf("%s on peer %s failed: the peer ended the call "
		    "without a ProposalResponse", what, addr);
		goto done;
	}
	if (ftx_proposal_response(p.msg, p.len, r, &why) != 0) {
		fops_res(res, 0, code);
		*cause = xasprintf("%s on peer %s failed: %s", what, addr, why);
		goto done;
	}
	fops_res(res, r->status, code);
	ret = 0;
done:
	free(p.msg);
	free(why);
	free(addr);
	return ret;
}

int
fops_join_chain(const struct grpc_target *t, const uint8_t *block, size_t len,
    const struct fops_signer *s, enum fops_join_result *result,
    struct fops_result *res, long timeout_ms, char **cause)
{
	Common__Block *b = NULL;
	struct ftx_response r;
	uint8_t *sp = NULL;
	size_t splen;
	char *addr = fops_addr(t), *why = NULL, *ch = NULL, *exists = NULL;
	int ret = -1, type;

	memset(&r, 0, sizeof(r));
	fops_res(res, 0, GRPC_UNKNOWN);
	if (block == NULL || (b = common__block__unpack(NULL, len, block)) ==
	    NULL || b->header == NULL) {
		*cause = xasprintf("cannot join peer %s to a channel: the "
		    "genesis block (%zu bytes) does not decode", addr, len);
		goto done;
	}
	if (ftx_block_channel(b, &ch, &type, &why) != 0) {
		*cause = xasprintf("cannot join peer %s to a channel: %s", addr,
		    why);
		goto done;
	}
	if (type != FTX_HDR_CONFIG || b->header->number != 0) {
		*cause = xasprintf("cannot join peer %s to channel %s: block "
		    "%llu is not the channel's genesis config block", addr, ch,
		    (unsigned long long)b->header->number);
		goto done;
	}
	if (fops_signer_ok(s, &why) != 0 ||
	    (sp = ftx_join_chain(block, len, s->id, s->sign, s->arg, &splen,
	    &why)) == NULL) {
		*cause = xasprintf("cannot join peer %s to channel %s: %s", addr,
		    ch, why);
		goto done;
	}
	if (fops_propose(t, "JoinChain", sp, splen, &r, res, timeout_ms,
	    cause) != 0)
		goto done;
	if (r.status == 200) {
		*result = FOPS_JOINED;
		ret = 0;
		goto done;
	}
	exists = xasprintf("ledger [%s] already exists with state [ACTIVE]", ch);
	if (r.status >= 400 && strstr(r.message, exists) != NULL) {
		*result = FOPS_ALREADY_JOINED;
		ret = 0;
		goto done;
	}
	*cause = xasprintf("peer %s refused to join channel %s: status %d: %s",
	    addr, ch, r.status, *r.message != '\0' ? r.message :
	    "(no message)");
done:
	if (b != NULL)
		common__block__free_unpacked(b, NULL);
	ftx_response_clear(&r);
	free(sp);
	free(ch);
	free(why);
	free(exists);
	free(addr);
	return ret;
}

void
fops_names_free(char **names, size_t n)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* A query proposal whose answer must be 200: the Response into *r. */
static int
fops_query(const struct grpc_target *t, const char *what, uint8_t *sp,
    size_t splen, struct ftx_response *r, struct fops_result *res,
    long timeout_ms, char **cause)
{
	char *addr;

	if (fops_propose(t, what, sp, splen, r, res, timeout_ms, cause) != 0)
		return -1;
	if (r->status == 200)
		return 0;
	addr = fops_addr(t);
	*cause = xasprintf("%s on peer %s failed: status %d: %s", what, addr,
	    r->status, *r->message != '\0' ? r->message : "(no message)");
	free(addr);
	ftx_response_clear(r);
	return -1;
}

int
fops_get_channels(const struct grpc_target *t, const struct fops_signer *s,
    char ***names, size_t *n, struct fops_result *res, long timeout_ms,
    char **cause)
{
	Protos__ChannelQueryResponse *q = NULL;
	struct ftx_response r;
	uint8_t *sp = NULL;
	size_t splen, i;
	char *addr = fops_addr(t), *why = NULL;
	int ret = -1;

	memset(&r, 0, sizeof(r));
	*names = NULL;
	*n = 0;
	fops_res(res, 0, GRPC_UNKNOWN);
	if (fops_signer_ok(s, &why) != 0 ||
	    (sp = ftx_get_channels(s->id, s->sign, s->arg, &splen, &why)) ==
	    NULL) {
		*cause = xasprintf("cannot list the channels of peer %s: %s",
		    addr, why);
		goto done;
	}
	if (fops_query(t, "GetChannels", sp, splen, &r, res, timeout_ms,
	    cause) != 0)
		goto done;
	if ((q = protos__channel_query_response__unpack(NULL, r.payload_len,
	    r.payload)) == NULL) {
		*cause = xasprintf("GetChannels on peer %s: its payload is not a "
		    "ChannelQueryResponse", addr);
		goto done;
	}
	if (q->n_channels > FOPS_MAX_CHANNELS) {
		*cause = xasprintf("GetChannels on peer %s: %zu channels, more "
		    "than the %d kept", addr, q->n_channels, FOPS_MAX_CHANNELS);
		goto done;
	}
	*names = xcalloc(q->n_channels + 1, sizeof(**names));
	for (i = 0; i < q->n_channels; i++)
		(*names)[i] = fops_printable(q->channels[i]->channel_id != NULL ?
		    q->channels[i]->channel_id : "");
	*n = q->n_channels;
	ret = 0;
done:
	if (q != NULL)
		protos__channel_query_response__free_unpacked(q, NULL);
	ftx_response_clear(&r);
	free(sp);
	free(why);
	free(addr);
	return ret;
}

int
fops_peer_height(const struct grpc_target *t, const char *channel,
    const struct fops_signer *s, uint64_t *height, struct fops_result *res,
    long timeout_ms, char **cause)
{
	Common__BlockchainInfo *bi = NULL;
	struct ftx_response r;
	uint8_t *sp = NULL;
	size_t splen;
	char *addr = fops_addr(t), *why = NULL;
	int ret = -1;

	memset(&r, 0, sizeof(r));
	fops_res(res, 0, GRPC_UNKNOWN);
	if (fops_signer_ok(s, &why) != 0 ||
	    (sp = ftx_get_chain_info(channel, s->id, s->sign, s->arg, &splen,
	    &why)) == NULL) {
		*cause = xasprintf("cannot ask peer %s for the height of channel "
		    "%s: %s", addr, channel != NULL ? channel : "(none)", why);
		goto done;
	}
	if (fops_query(t, "GetChainInfo", sp, splen, &r, res, timeout_ms,
	    cause) != 0)
		goto done;
	if ((bi = common__blockchain_info__unpack(NULL, r.payload_len,
	    r.payload)) == NULL) {
		*cause = xasprintf("GetChainInfo on peer %s: its payload is not "
		    "a BlockchainInfo", addr);
		goto done;
	}
	*height = bi->height;
	ret = 0;
done:
	if (bi != NULL)
		common__blockchain_info__free_unpacked(bi, NULL);
	ftx_response_clear(&r);
	free(sp);
	free(why);
	free(addr);
	return ret;
}
