/*
 * fabric_decode_wire.c: the bytes side of fabric_decode: the wire-format
 * check, fdec_unpack (checked, then unpacked by protobuf-c), and the entry
 * points that only unpack (fdec_block_unpack, fdec_last_config_index).
 *
 * Before protobuf-c unpacks anything, fdec_scan walks the wire format with
 * the same descriptors: it bounds the nesting (protobuf-c recurses without
 * a limit), refuses strings that are not UTF-8 (Go refuses them too) or
 * hold NULs (a C string cannot), and gives the reason a layer is broken.
 */
#include <stdint.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

#include "common/common.pb-c.h"

#include "fabric_decode.h"
#include "fabric_decode_int.h"
#include "xmalloc.h"

/* ---- wire format check ---- */

static int
fdec_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;
	int i;

	for (i = 0; i < 10; i++) {
		if (*p >= end)
			return -1;
		if (i == 9 && **p > 1)
			return -1;	/* more than 64 bits */
		r |= (uint64_t)(**p & 0x7f) << (7 * i);
		if ((*(*p)++ & 0x80) == 0) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

static int
fdec_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0, k, need;
	uint32_t cp;

	while (i < n) {
		if (s[i] == 0)
			return -1;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			need = 1;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			need = 2;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			need = 3;
			cp = s[i] & 0x07;
		} else
			return -1;
		if (n - i <= need)
			return -1;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		i += need + 1;
	}
	return 0;
}

static int
fdec_wire_type(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 1;
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return 5;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return 2;
	default:
		return 0;
	}
}

/*
 * Checks p[0..len) is a well-formed encoding of desc (NULL: no known
 * fields) at nesting depth. 0, or -1 with d->why.
 */
static int
fdec_scan(struct fdec *d, const uint8_t *p, size_t len,
    const ProtobufCMessageDescriptor *desc, int depth)
{
	const uint8_t *end;
	const ProtobufCFieldDescriptor *f;
	uint64_t tag, v;
	unsigned wt;

	if (depth > FDEC_DEPTH_MAX) {
		snprintf(d->why, sizeof(d->why), "messages nest more than %d "
		    "deep", FDEC_DEPTH_MAX);
		return -1;
	}
	if (len == 0)
		return 0;	/* p may be NULL */
	end = p + len;
	while (p < end) {
		if (fdec_varint(&p, end, &tag) == -1 || tag > UINT32_MAX)
			goto truncated;
		wt = tag & 7;
		if ((tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) {
			snprintf(d->why, sizeof(d->why), "field number %llu is "
			    "out of range", (unsigned long long)(tag >> 3));
			return -1;
		}
		f = desc != NULL ? protobuf_c_message_descriptor_get_field(desc,
		    (unsigned)(tag >> 3)) : NULL;
		if (f != NULL && (int)wt != fdec_wire_type(f->type) &&
		    !(wt == 2 && f->label == PROTOBUF_C_LABEL_REPEATED &&
		    fdec_wire_type(f->type) != 2)) {
			snprintf(d->why, sizeof(d->why), "field %s has wire type "
			    "%u, not %d", f->name, wt, fdec_wire_type(f->type));
			return -1;
		}
		switch (wt) {
		case 0:
			if (fdec_varint(&p, end, &v) == -1)
				goto truncated;
			break;
		case 1:
			if (end - p < 8)
				goto truncated;
			p += 8;
			break;
		case 5:
			if (end - p < 4)
				goto truncated;
			p += 4;
			break;
		case 2:
			if (fdec_varint(&p, end, &v) == -1 ||
			    v > (uint64_t)(end - p))
				goto truncated;
			if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE &&
			    fdec_scan(d, p, (size_t)v, f->descriptor,
			    depth + 1) == -1)
				return -1;
			if (f != NULL && f->type == PROTOBUF_C_TYPE_STRING &&
			    fdec_utf8(p, (size_t)v) == -1) {
				snprintf(d->why, sizeof(d->why), "string field "
				    "%s is not valid UTF-8 or holds a NUL",
				    f->name);
				return -1;
			}
			p += v;
			break;
		case 3:
		case 4:
			snprintf(d->why, sizeof(d->why), "groups (wire types 3 "
			    "and 4) are not supported");
			return -1;
		default:
			snprintf(d->why, sizeof(d->why), "wire type %u is not "
			    "valid", wt);
			return -1;
		}
	}
	return 0;
truncated:
	snprintf(d->why, sizeof(d->why), "the data ends inside a field");
	return -1;
}

/*
 * p[0..len) unpacked as desc at depth; NULL and d->cause ("PATH: not a
 * valid X: why") on failure. Caller frees with
 * protobuf_c_message_free_unpacked.
 */
ProtobufCMessage *
fdec_unpack(struct fdec *d, const ProtobufCMessageDescriptor *desc,
    const uint8_t *p, size_t len, int depth)
{
	ProtobufCMessage *m;

	d->why[0] = '\0';
	if (fdec_scan(d, p, len, desc, depth) == -1) {
		fdec_fail(d, "not a valid %s: %s", desc->name, d->why);
		return NULL;
	}
	if ((m = protobuf_c_message_unpack(desc, NULL, len, p)) == NULL)
		fdec_fail(d, "not a valid %s", desc->name);
	return m;
}

/* ---- entry points ---- */

Common__Block *
fdec_block_unpack(const uint8_t *data, size_t len, size_t max, char **cause)
{
	Common__Block *b = NULL;
	struct fdec d;

	*cause = NULL;
	fdec_init(&d, "block");
	if (len > max) {
		d.cause = xasprintf("the block is %zu bytes, more than the "
		    "%zu allowed", len, max);
		goto done;
	}
	if (len == 0) {
		d.cause = xstrdup("the block is empty (0 bytes)");
		goto done;
	}
	b = (Common__Block *)fdec_unpack(&d, &common__block__descriptor,
	    data, len, 0);
done:
	fdec_done(&d, cause);
	return b;
}

int
fdec_last_config_index(const Common__Block *b, uint64_t *index, char **cause)
{
	Common__Metadata *md = NULL;
	Common__OrdererBlockMetadata *obm = NULL;
	Common__LastConfig *lc = NULL;
	const ProtobufCBinaryData *slot;
	struct fdec d;
	int ret = -1;

	*cause = NULL;
	fdec_init(&d, "block.metadata.metadata[0]");
	if (b->metadata == NULL || b->metadata->n_metadata <=
	    COMMON__BLOCK_METADATA_INDEX__SIGNATURES) {
		d.cause = xstrdup("the block has no SIGNATURES metadata (slot "
		    "0), where Fabric records the last config block");
		goto done;
	}
	slot = &b->metadata->metadata[COMMON__BLOCK_METADATA_INDEX__SIGNATURES];
	md = (Common__Metadata *)fdec_unpack(&d, &common__metadata__descriptor,
	    slot->data, slot->len, 1);
	if (md == NULL)
		goto done;
	if (md->value.len != 0) {
		fdec_push_field(&d, "value");
		obm = (Common__OrdererBlockMetadata *)fdec_unpack(&d,
		    &common__orderer_block_metadata__descriptor,
		    md->value.data, md->value.len, 2);
		if (obm == NULL)
			goto done;
		if (obm->last_config == NULL) {
			fdec_fail(&d, "the OrdererBlockMetadata has no "
			    "last_config");
			goto done;
		}
		*index = obm->last_config->index;
		ret = 0;
		goto done;
	}
	/* Orderers before 1.4.1: LastConfig in the LAST_CONFIG slot. */
	fdec_pop(&d, 0);
	fdec_path_add(&d, "block.metadata.metadata[1]", 26);
	if (b->metadata->n_metadata <= COMMON__BLOCK_METADATA_INDEX__LAST_CONFIG) {
		d.cause = xstrdup("the block's SIGNATURES metadata has no "
		    "value and it has no LAST_CONFIG metadata (slot 1)");
		goto done;
	}
	common__metadata__free_unpacked(md, NULL);
	slot = &b->metadata->metadata[COMMON__BLOCK_METADATA_INDEX__LAST_CONFIG];
	md = (Common__Metadata *)fdec_unpack(&d, &common__metadata__descriptor,
	    slot->data, slot->len, 1);
	if (md == NULL)
		goto done;
	fdec_push_field(&d, "value");
	lc = (Common__LastConfig *)fdec_unpack(&d,
	    &common__last_config__descriptor, md->value.data, md->value.len, 2);
	if (lc == NULL)
		goto done;
	*index = lc->index;
	ret = 0;
done:
	if (lc != NULL)
		common__last_config__free_unpacked(lc, NULL);
	if (obm != NULL)
		common__orderer_block_metadata__free_unpacked(obm, NULL);
	if (md != NULL)
		common__metadata__free_unpacked(md, NULL);
	fdec_done(&d, cause);
	return ret;
}
