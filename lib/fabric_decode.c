/*
 * fabric_decode.c: blocks and channel configs back into trees, printed as
 * configtxlator's protolator prints them (docs/fabric-decode.md).
 *
 * One generic walker turns any message into JSON through protobuf-c's
 * descriptors, the way Go's jsonpb does with EmitDefaults and OrigName:
 * every field present, proto names, 64-bit integers as strings, empty
 * singular bytes and absent messages as null, enums by name. Two small
 * tables add what protolator adds: which bytes fields hold a marshalled
 * message (fdec_opaques, by message and field, some resolved by a sibling
 * field or by the config key), and which ConfigGroup is which part of a
 * channel (fdec_child_group), so that a ConfigValue's bytes decode by the
 * key and the group they sit in.
 *
 * Also here: a decode's path and first error (struct fdec, shared with
 * fabric_decode_wire.c through fabric_decode_int.h), and the entry points
 * that walk messages: fdec_block, fdec_config, fdec_config_from_block.
 * Bytes are checked and unpacked in fabric_decode_wire.c (fdec_unpack).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "common/common.pb-c.h"
#include "common/configtx.pb-c.h"
#include "common/configuration.pb-c.h"
#include "common/policies.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "msp/identities.pb-c.h"
#include "msp/msp_config.pb-c.h"
#include "msp/msp_principal.pb-c.h"
#include "orderer/configuration.pb-c.h"
#include "orderer/etcdraft/configuration.pb-c.h"
#include "peer/configuration.pb-c.h"
#include "peer/proposal.pb-c.h"
#include "peer/proposal_response.pb-c.h"
#include "peer/transaction.pb-c.h"
#include "peer/chaincode.pb-c.h"

#include "b64.h"
#include "fabric_decode.h"
#include "fabric_decode_int.h"
#include "xmalloc.h"

#define FDEC_KEY_SHOWN	64	/* map key characters shown in a path */

/* Which part of a channel's tree a ConfigGroup is (protolator's Dynamic*). */
enum fdec_group {
	FDEC_G_NONE,		/* not a known group: values stay bytes */
	FDEC_G_CHANNEL,
	FDEC_G_ORDERER,
	FDEC_G_ORDERER_ORG,
	FDEC_G_APPLICATION,
	FDEC_G_APPLICATION_ORG,
	FDEC_G_CONSORTIUMS,
	FDEC_G_CONSORTIUM,
	FDEC_G_CONSORTIUM_ORG,
};

/* What a message's walk knows of where it is. */
struct fdec_frame {
	enum fdec_group group;	/* for a ConfigGroup: which one */
	const char *key;	/* for a ConfigValue: its key in values */
};

static json_t *fdec_msg(struct fdec *, const ProtobufCMessage *,
    const ProtobufCMessageDescriptor *, const struct fdec_frame *, int);

/* ---- paths and errors ---- */

void
fdec_path_add(struct fdec *d, const char *s, size_t n)
{
	if (d->plen + n + 1 > d->pcap) {
		while (d->plen + n + 1 > d->pcap)
			d->pcap = d->pcap ? d->pcap * 2 : 128;
		d->path = xreallocarray(d->path, d->pcap, 1);
	}
	memcpy(d->path + d->plen, s, n);
	d->plen += n;
	d->path[d->plen] = '\0';
}

size_t
fdec_push_field(struct fdec *d, const char *name)
{
	size_t mark = d->plen;

	fdec_path_add(d, ".", 1);
	fdec_path_add(d, name, strlen(name));
	return mark;
}

static size_t
fdec_push_index(struct fdec *d, size_t i)
{
	size_t mark = d->plen;
	char b[32];
	int n;

	n = snprintf(b, sizeof(b), "[%zu]", i);
	fdec_path_add(d, b, (size_t)n);
	return mark;
}

/* ".Key" for a plain key, else ["..."] with odd bytes as '?'; long keys cut. */
static size_t
fdec_push_key(struct fdec *d, const char *key)
{
	size_t mark = d->plen, i, n = strlen(key);
	int plain = n > 0;
	char c;

	for (i = 0; i < n && plain; i++) {
		c = key[i];
		plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-';
	}
	fdec_path_add(d, plain ? "." : "[\"", plain ? 1 : 2);
	for (i = 0; i < n && i < FDEC_KEY_SHOWN; i++) {
		c = key[i];
		if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f ||
		    c == '"' || c == '\\')
			c = '?';
		fdec_path_add(d, &c, 1);
	}
	if (n > FDEC_KEY_SHOWN)
		fdec_path_add(d, "...", 3);
	if (!plain)
		fdec_path_add(d, "\"]", 2);
	return mark;
}

void
fdec_pop(struct fdec *d, size_t mark)
{
	d->plen = mark;
	if (d->path != NULL)
		d->path[mark] = '\0';
}

/* Records "PATH: message" unless a failure is recorded already. */
void
fdec_fail(struct fdec *d, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (d->cause != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		abort();	/* as xasprintf does */
	va_end(ap);
	d->cause = xasprintf("%s: %s", d->path != NULL ? d->path : "", msg);
	free(msg);
}

/* Counts one JSON value; 0, or -1 once the budget is spent. */
static int
fdec_count(struct fdec *d)
{
	if (++d->nodes <= FDEC_NODES_MAX)
		return 0;
	if (d->cause == NULL)
		d->cause = xasprintf("%s: more than %zu values to print; the "
		    "input is too large to decode", d->path, FDEC_NODES_MAX);
	return -1;
}

/* ---- what protolator decodes ---- */

static const ProtobufCMessageDescriptor *
fdec_if(int ok, const ProtobufCMessageDescriptor *desc)
{
	return ok ? desc : NULL;
}

/* Payload.data by the channel header's type (commonext.Payload). */
static const ProtobufCMessageDescriptor *
fdec_r_payload(struct fdec *d, const ProtobufCMessage *m,
    const struct fdec_frame *fr)
{
	const Common__Payload *pl = (const Common__Payload *)m;
	Common__ChannelHeader *ch;
	int32_t type;

	(void)fr;
	if (pl->header == NULL)
		return NULL;
	/* The header was walked (and checked) before the data. */
	ch = common__channel_header__unpack(NULL, pl->header->channel_header.len,
	    pl->header->channel_header.data);
	if (ch == NULL)
		return NULL;
	type = ch->type;
	common__channel_header__free_unpacked(ch, NULL);
	(void)d;
	switch (type) {
	case COMMON__HEADER_TYPE__CONFIG:
		return &common__config_envelope__descriptor;
	case COMMON__HEADER_TYPE__ORDERER_TRANSACTION:
		return &common__envelope__descriptor;
	case COMMON__HEADER_TYPE__CONFIG_UPDATE:
		return &common__config_update_envelope__descriptor;
	case COMMON__HEADER_TYPE__MESSAGE:
		return &common__config_value__descriptor;
	case COMMON__HEADER_TYPE__ENDORSER_TRANSACTION:
		return &protos__transaction__descriptor;
	default:
		return NULL;
	}
}

/* ChannelHeader.extension: endorser transactions only. */
static const ProtobufCMessageDescriptor *
fdec_r_extension(struct fdec *d, const ProtobufCMessage *m,
    const struct fdec_frame *fr)
{
	(void)d;
	(void)fr;
	return fdec_if(((const Common__ChannelHeader *)m)->type ==
	    COMMON__HEADER_TYPE__ENDORSER_TRANSACTION,
	    &protos__chaincode_header_extension__descriptor);
}

/* Policy.value by its type. */
static const ProtobufCMessageDescriptor *
fdec_r_policy(struct fdec *d, const ProtobufCMessage *m,
    const struct fdec_frame *fr)
{
	(void)d;
	(void)fr;
	switch (((const Common__Policy *)m)->type) {
	case COMMON__POLICY__POLICY_TYPE__SIGNATURE:
		return &common__signature_policy_envelope__descriptor;
	case COMMON__POLICY__POLICY_TYPE__IMPLICIT_META:
		return &common__implicit_meta_policy__descriptor;
	default:
		return NULL;
	}
}

/* MSPConfig.config: type 0 is FABRIC (1, IDEMIX, is not in our protos). */
static const ProtobufCMessageDescriptor *
fdec_r_msp(struct fdec *d, const ProtobufCMessage *m,
    const struct fdec_frame *fr)
{
	(void)d;
	(void)fr;
	return fdec_if(((const Msp__MSPConfig *)m)->type == 0,
	    &msp__fabric_mspconfig__descriptor);
}

/* MSPPrincipal.principal by its classification. */
static const ProtobufCMessageDescriptor *
fdec_r_principal(struct fdec *d, const ProtobufCMessage *m,
    const struct fdec_frame *fr)
{
	(void)d;
	(void)fr;
	switch (((const Common__MSPPrincipal *)m)->principal_classification) {
	case COMMON__MSPPRINCIPAL__CLASSIFICATION__ROLE:
		return &common__msprole__descriptor;
	case COMMON__MSPPRINCIPAL__CLASSIFICATION__ORGANIZATION_UNIT:
		return &common__organization_unit__descriptor;
	case COMMON__MSPPRINCIPAL__CLASSIFICATION__IDENTITY:
		return &msp__serialized_identity__descriptor;
	default:
		return NULL;
	}
}

/*
 * ConsensusType.metadata: etcdraft's. protolator reads any other type's as
 * a google.protobuf.Empty, and configtxlator 2.5.5 then fails on metadata
 * that is not empty; fabfed prints those bytes as they are.
 */
static const ProtobufCMessageDescriptor *
fdec_r_consensus(struct fdec *d, const ProtobufCMessage *m,
    const struct fdec_frame *fr)
{
	(void)d;
	(void)fr;
	return fdec_if(strcmp(((const Orderer__ConsensusType *)m)->type,
	    "etcdraft") == 0, &etcdraft__config_metadata__descriptor);
}

/* A ConfigValue's value by its key and the group holding it. */
static const ProtobufCMessageDescriptor *
fdec_r_value(struct fdec *d, const ProtobufCMessage *m,
    const struct fdec_frame *fr)
{
	static const struct {
		enum fdec_group group;
		const char *key;
		const ProtobufCMessageDescriptor *desc;
	} values[] = {
		{ FDEC_G_CHANNEL, "HashingAlgorithm",
		    &common__hashing_algorithm__descriptor },
		{ FDEC_G_CHANNEL, "BlockDataHashingStructure",
		    &common__block_data_hashing_structure__descriptor },
		{ FDEC_G_CHANNEL, "OrdererAddresses",
		    &common__orderer_addresses__descriptor },
		{ FDEC_G_CHANNEL, "Consortium", &common__consortium__descriptor },
		{ FDEC_G_CHANNEL, "Capabilities",
		    &common__capabilities__descriptor },
		{ FDEC_G_ORDERER, "ConsensusType",
		    &orderer__consensus_type__descriptor },
		{ FDEC_G_ORDERER, "BatchSize", &orderer__batch_size__descriptor },
		{ FDEC_G_ORDERER, "BatchTimeout",
		    &orderer__batch_timeout__descriptor },
		{ FDEC_G_ORDERER, "ChannelRestrictions",
		    &orderer__channel_restrictions__descriptor },
		{ FDEC_G_ORDERER, "Capabilities",
		    &common__capabilities__descriptor },
		{ FDEC_G_ORDERER_ORG, "MSP", &msp__mspconfig__descriptor },
		{ FDEC_G_ORDERER_ORG, "Endpoints",
		    &common__orderer_addresses__descriptor },
		{ FDEC_G_APPLICATION, "Capabilities",
		    &common__capabilities__descriptor },
		{ FDEC_G_APPLICATION, "ACLs", &protos__acls__descriptor },
		{ FDEC_G_APPLICATION_ORG, "MSP", &msp__mspconfig__descriptor },
		{ FDEC_G_APPLICATION_ORG, "AnchorPeers",
		    &protos__anchor_peers__descriptor },
		{ FDEC_G_CONSORTIUM, "ChannelCreationPolicy",
		    &common__policy__descriptor },
		{ FDEC_G_CONSORTIUM_ORG, "MSP", &msp__mspconfig__descriptor },
	};
	size_t i;

	(void)d;
	(void)m;
	if (fr == NULL || fr->key == NULL)
		return NULL;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		if (values[i].group == fr->group &&
		    strcmp(values[i].key, fr->key) == 0)
			return values[i].desc;
	return NULL;
}

/* The group under parent at key (protolator's DynamicMapFieldProto). */
static enum fdec_group
fdec_child_group(enum fdec_group parent, const char *key)
{
	switch (parent) {
	case FDEC_G_CHANNEL:
		if (strcmp(key, "Orderer") == 0)
			return FDEC_G_ORDERER;
		if (strcmp(key, "Application") == 0)
			return FDEC_G_APPLICATION;
		if (strcmp(key, "Consortiums") == 0)
			return FDEC_G_CONSORTIUMS;
		return FDEC_G_NONE;
	case FDEC_G_ORDERER:
		return FDEC_G_ORDERER_ORG;
	case FDEC_G_APPLICATION:
		return FDEC_G_APPLICATION_ORG;
	case FDEC_G_CONSORTIUMS:
		return FDEC_G_CONSORTIUM;
	case FDEC_G_CONSORTIUM:
		return FDEC_G_CONSORTIUM_ORG;
	default:
		return FDEC_G_NONE;
	}
}

typedef const ProtobufCMessageDescriptor *(*fdec_resolver)(struct fdec *,
    const ProtobufCMessage *, const struct fdec_frame *);

/* Bytes fields that hold a marshalled message: fixed type or resolver. */
static const struct fdec_opaque {
	const ProtobufCMessageDescriptor *msg;
	const char *field;
	const ProtobufCMessageDescriptor *fixed;
	fdec_resolver resolve;
} fdec_opaques[] = {
	{ &common__block_data__descriptor, "data",
	    &common__envelope__descriptor, NULL },
	{ &common__envelope__descriptor, "payload",
	    &common__payload__descriptor, NULL },
	{ &common__payload__descriptor, "data", NULL, fdec_r_payload },
	{ &common__header__descriptor, "channel_header",
	    &common__channel_header__descriptor, NULL },
	{ &common__header__descriptor, "signature_header",
	    &common__signature_header__descriptor, NULL },
	{ &common__channel_header__descriptor, "extension", NULL,
	    fdec_r_extension },
	{ &common__signature_header__descriptor, "creator",
	    &msp__serialized_identity__descriptor, NULL },
	{ &common__config_update_envelope__descriptor, "config_update",
	    &common__config_update__descriptor, NULL },
	{ &common__config_signature__descriptor, "signature_header",
	    &common__signature_header__descriptor, NULL },
	{ &common__config_value__descriptor, "value", NULL, fdec_r_value },
	{ &common__policy__descriptor, "value", NULL, fdec_r_policy },
	{ &msp__mspconfig__descriptor, "config", NULL, fdec_r_msp },
	{ &common__mspprincipal__descriptor, "principal", NULL,
	    fdec_r_principal },
	{ &orderer__consensus_type__descriptor, "metadata", NULL,
	    fdec_r_consensus },
	{ &protos__transaction_action__descriptor, "header",
	    &common__signature_header__descriptor, NULL },
	{ &protos__transaction_action__descriptor, "payload",
	    &protos__chaincode_action_payload__descriptor, NULL },
	{ &protos__chaincode_action_payload__descriptor,
	    "chaincode_proposal_payload",
	    &protos__chaincode_proposal_payload__descriptor, NULL },
	{ &protos__chaincode_endorsed_action__descriptor,
	    "proposal_response_payload",
	    &protos__proposal_response_payload__descriptor, NULL },
	{ &protos__chaincode_proposal_payload__descriptor, "input",
	    &protos__chaincode_invocation_spec__descriptor, NULL },
	{ &protos__proposal_response_payload__descriptor, "extension",
	    &protos__chaincode_action__descriptor, NULL },
};

static const struct fdec_opaque *
fdec_opaque_find(const ProtobufCMessageDescriptor *desc, const char *field)
{
	size_t i;

	for (i = 0; i < sizeof(fdec_opaques) / sizeof(fdec_opaques[0]); i++)
		if (fdec_opaques[i].msg == desc &&
		    strcmp(fdec_opaques[i].field, field) == 0)
			return &fdec_opaques[i];
	return NULL;
}

/* ---- values ---- */

static json_t *
fdec_bytes(struct fdec *d, const ProtobufCBinaryData *b, int null_if_empty)
{
	json_t *j;
	char *s;

	if (fdec_count(d) == -1)
		return NULL;
	if (b->len == 0)
		return null_if_empty ? json_null() : json_string("");
	s = b64_encode(b->data, b->len, 0);
	j = json_stringn_nocheck(s, strlen(s));
	free(s);
	return j;
}

/*
 * The bytes of an opaque field decoded as desc (NULL: printed as bytes).
 * Empty singular bytes are nil in Go and print null; an empty element of a
 * repeated field is an empty message.
 */
static json_t *
fdec_opaque(struct fdec *d, const ProtobufCBinaryData *b,
    const ProtobufCMessageDescriptor *desc, int elem, int depth)
{
	ProtobufCMessage *m;
	json_t *j;

	if (desc == NULL)
		return fdec_bytes(d, b, !elem);
	if (b->len == 0 && !elem) {
		if (fdec_count(d) == -1)
			return NULL;
		return json_null();
	}
	if ((m = fdec_unpack(d, desc, b->data, b->len, depth + 1)) == NULL)
		return NULL;
	j = fdec_msg(d, m, desc, NULL, depth + 1);
	protobuf_c_message_free_unpacked(m, NULL);
	return j;
}

/* "2006-01-02T15:04:05[.fff[fff[fff]]]Z" as Go's jsonpb writes it. */
static json_t *
fdec_timestamp(struct fdec *d, const Google__Protobuf__Timestamp *ts)
{
	struct tm tm;
	time_t t;
	char b[64], frac[16] = "";
	int32_t ns = ts->nanos;

	if (fdec_count(d) == -1)
		return NULL;
	if (ts->seconds < -62135596800LL || ts->seconds > 253402300799LL ||
	    ns < 0 || ns > 999999999) {
		fdec_fail(d, "timestamp out of range (years 1 to 9999)");
		return NULL;
	}
	t = (time_t)ts->seconds;
	if (gmtime_r(&t, &tm) == NULL) {
		fdec_fail(d, "timestamp out of range");
		return NULL;
	}
	if (ns != 0) {
		if (ns % 1000000 == 0)
			snprintf(frac, sizeof(frac), ".%03d", ns / 1000000);
		else if (ns % 1000 == 0)
			snprintf(frac, sizeof(frac), ".%06d", ns / 1000);
		else
			snprintf(frac, sizeof(frac), ".%09d", ns);
	}
	snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d%sZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, frac);
	return json_string(b);
}

static json_t *
fdec_int64s(struct fdec *d, int is_signed, uint64_t v)
{
	char b[32];

	if (fdec_count(d) == -1)
		return NULL;
	if (is_signed)
		snprintf(b, sizeof(b), "%lld", (long long)(int64_t)v);
	else
		snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
	return json_string(b);
}

/*
 * One value of field f of message m (type desc, frame parent) at p; child
 * is the frame for a message value. elem: p is an element of a repeated
 * field or a map's value, which Go never holds as nil (empty bytes print
 * "", an absent message is an empty one).
 */
static json_t *
fdec_value(struct fdec *d, const ProtobufCMessage *m,
    const ProtobufCMessageDescriptor *desc, const ProtobufCFieldDescriptor *f,
    const void *p, const struct fdec_frame *parent,
    const struct fdec_frame *child, int elem, int depth)
{
	const struct fdec_opaque *op;
	const ProtobufCMessageDescriptor *sub;
	const ProtobufCEnumValue *ev;
	const ProtobufCMessage *msg;
	ProtobufCMessage *empty;
	json_t *j;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (fdec_count(d) == -1)
			return NULL;
		return json_integer(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (fdec_count(d) == -1)
			return NULL;
		return json_integer(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return fdec_int64s(d, 1, (uint64_t)*(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return fdec_int64s(d, 0, *(const uint64_t *)p);
	case PROTOBUF_C_TYPE_FLOAT:
		if (fdec_count(d) == -1)
			return NULL;
		return json_real(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		if (fdec_count(d) == -1)
			return NULL;
		return json_real(*(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		if (fdec_count(d) == -1)
			return NULL;
		return json_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_ENUM:
		if (fdec_count(d) == -1)
			return NULL;
		ev = protobuf_c_enum_descriptor_get_value(f->descriptor,
		    *(const int *)p);
		return ev != NULL ? json_string(ev->name) :
		    json_integer(*(const int *)p);
	case PROTOBUF_C_TYPE_STRING:
		if (fdec_count(d) == -1)
			return NULL;
		j = json_string(*(char *const *)p != NULL ?
		    *(char *const *)p : "");
		if (j == NULL)
			fdec_fail(d, "string is not valid UTF-8");
		return j;
	case PROTOBUF_C_TYPE_BYTES:
		if ((op = fdec_opaque_find(desc, f->name)) == NULL)
			return fdec_bytes(d, p, !elem);
		sub = op->fixed != NULL ? op->fixed : op->resolve(d, m, parent);
		return fdec_opaque(d, p, sub, elem, depth);
	case PROTOBUF_C_TYPE_MESSAGE:
		msg = *(const ProtobufCMessage *const *)p;
		sub = f->descriptor;
		if (msg == NULL && !elem) {
			if (fdec_count(d) == -1)
				return NULL;
			return json_null();
		}
		if (msg != NULL && sub == &google__protobuf__timestamp__descriptor)
			return fdec_timestamp(d,
			    (const Google__Protobuf__Timestamp *)msg);
		if (msg != NULL)
			return fdec_msg(d, msg, sub, child, depth + 1);
		/* An element Go would read as an empty message. */
		empty = xcalloc(1, sub->sizeof_message);
		protobuf_c_message_init(sub, empty);
		if (sub == &google__protobuf__timestamp__descriptor)
			j = fdec_timestamp(d,
			    (const Google__Protobuf__Timestamp *)empty);
		else
			j = fdec_msg(d, empty, sub, child, depth + 1);
		free(empty);
		return j;
	}
	fdec_fail(d, "field %s has a type fabfed cannot print", f->name);
	return NULL;
}

/* 1 if f is a map<K, V> (a repeated GroupsEntry-style message). */
static int
fdec_is_map(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *e = f->descriptor;
	size_t n;

	if (f->label != PROTOBUF_C_LABEL_REPEATED ||
	    f->type != PROTOBUF_C_TYPE_MESSAGE || e->n_fields != 2 ||
	    e->fields[0].id != 1 || e->fields[1].id != 2 ||
	    strcmp(e->fields[0].name, "key") != 0 ||
	    strcmp(e->fields[1].name, "value") != 0)
		return 0;
	n = strlen(e->short_name);
	return n > 5 && strcmp(e->short_name + n - 5, "Entry") == 0;
}

/* The key of a map entry as Go prints it (fmt.Sprint of the key). */
static char *
fdec_map_key(const ProtobufCMessage *e)
{
	const ProtobufCFieldDescriptor *k = &e->descriptor->fields[0];
	const void *p = (const char *)e + k->offset;

	switch (k->type) {
	case PROTOBUF_C_TYPE_STRING:
		return xstrdup(*(char *const *)p != NULL ? *(char *const *)p :
		    "");
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return xasprintf("%lld", (long long)*(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return xasprintf("%llu", (unsigned long long)
		    *(const uint64_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return xasprintf("%u", *(const uint32_t *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return xstrdup(*(const protobuf_c_boolean *)p ? "true" :
		    "false");
	default:
		return xasprintf("%d", *(const int32_t *)p);
	}
}

/* The frame of a message in field f of desc, under frame fr. */
static void
fdec_child_frame(const ProtobufCMessageDescriptor *desc,
    const ProtobufCFieldDescriptor *f, const struct fdec_frame *fr,
    const char *key, struct fdec_frame *out)
{
	out->group = FDEC_G_NONE;
	out->key = NULL;
	if ((desc == &common__config__descriptor &&
	    strcmp(f->name, "channel_group") == 0) ||
	    (desc == &common__config_update__descriptor &&
	    (strcmp(f->name, "read_set") == 0 ||
	    strcmp(f->name, "write_set") == 0)))
		out->group = FDEC_G_CHANNEL;
	else if (desc == &common__config_group__descriptor && fr != NULL &&
	    key != NULL) {
		if (strcmp(f->name, "groups") == 0)
			out->group = fdec_child_group(fr->group, key);
		else if (strcmp(f->name, "values") == 0) {
			out->group = fr->group;
			out->key = key;
		}
	}
}

static json_t *
fdec_map(struct fdec *d, const ProtobufCMessageDescriptor *desc,
    const ProtobufCFieldDescriptor *f, const struct fdec_frame *fr,
    ProtobufCMessage **entries, size_t n, int depth)
{
	const ProtobufCFieldDescriptor *vf;
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	struct fdec_frame child;
	json_t *obj, *v;
	size_t i, mark;
	char *key;

	if (fdec_count(d) == -1)
		return NULL;
	obj = json_object();
	vf = &ed->fields[1];
	for (i = 0; i < n; i++) {
		key = fdec_map_key(entries[i]);
		mark = fdec_push_key(d, key);
		fdec_child_frame(desc, f, fr, key, &child);
		v = fdec_value(d, entries[i], ed, vf,
		    (const char *)entries[i] + vf->offset, fr, &child, 1,
		    depth);
		fdec_pop(d, mark);
		if (v == NULL) {
			free(key);
			json_decref(obj);
			return NULL;
		}
		/* A key given twice: the last one wins, as in Go. */
		json_object_set_new(obj, key, v);
		free(key);
	}
	return obj;
}

static size_t
fdec_type_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	default:
		return 4;
	}
}

/* Message m of type desc as a JSON object (jsonpb with EmitDefaults). */
static json_t *
fdec_msg(struct fdec *d, const ProtobufCMessage *m,
    const ProtobufCMessageDescriptor *desc, const struct fdec_frame *fr,
    int depth)
{
	const ProtobufCFieldDescriptor *f;
	struct fdec_frame child;
	const char *base = (const char *)m;
	json_t *obj, *v = NULL, *arr;
	size_t i, k, n, mark, emark;

	if (depth > FDEC_DEPTH_MAX) {
		fdec_fail(d, "messages nest more than %d deep", FDEC_DEPTH_MAX);
		return NULL;
	}
	if (fdec_count(d) == -1)
		return NULL;
	obj = json_object();
	for (i = 0; i < desc->n_fields; i++) {
		f = &desc->fields[i];
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0 &&
		    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		mark = fdec_push_field(d, f->name);
		if (fdec_is_map(f)) {
			v = fdec_map(d, desc, f, fr, *(ProtobufCMessage **const *)
			    (base + f->offset), *(const size_t *)(base +
			    f->quantifier_offset), depth);
		} else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			n = *(const size_t *)(base + f->quantifier_offset);
			arr = fdec_count(d) == -1 ? NULL : json_array();
			fdec_child_frame(desc, f, fr, NULL, &child);
			for (k = 0; arr != NULL && k < n; k++) {
				emark = fdec_push_index(d, k);
				v = fdec_value(d, m, desc, f,
				    *(const char *const *)(base + f->offset) +
				    k * fdec_type_size(f->type), fr, &child, 1,
				    depth);
				fdec_pop(d, emark);
				if (v == NULL) {
					json_decref(arr);
					arr = NULL;
				} else
					json_array_append_new(arr, v);
			}
			v = arr;
		} else {
			fdec_child_frame(desc, f, fr, NULL, &child);
			v = fdec_value(d, m, desc, f, base + f->offset, fr,
			    &child, 0, depth);
		}
		if (v == NULL) {
			json_decref(obj);
			return NULL;
		}
		fdec_pop(d, mark);
		json_object_set_new(obj, f->name, v);
	}
	return obj;
}

/* ---- entry points ---- */

void
fdec_init(struct fdec *d, const char *root)
{
	memset(d, 0, sizeof(*d));
	fdec_path_add(d, root, strlen(root));
}

/* Hands d's cause to *cause (a sentence) and frees d. */
void
fdec_done(struct fdec *d, char **cause)
{
	if (cause != NULL) {
		*cause = d->cause;
		d->cause = NULL;
	}
	free(d->cause);
	free(d->path);
}

json_t *
fdec_block(const uint8_t *data, size_t len, size_t max, char **cause)
{
	Common__Block *b;
	json_t *j = NULL;
	struct fdec d;

	if ((b = fdec_block_unpack(data, len, max, cause)) == NULL)
		return NULL;
	fdec_init(&d, "block");
	j = fdec_msg(&d, &b->base, &common__block__descriptor, NULL, 0);
	common__block__free_unpacked(b, NULL);
	fdec_done(&d, cause);
	return j;
}

json_t *
fdec_config(const Common__Config *cfg, char **cause)
{
	struct fdec d;
	json_t *j;

	*cause = NULL;
	fdec_init(&d, "config");
	j = fdec_msg(&d, &cfg->base, &common__config__descriptor, NULL, 1);
	fdec_done(&d, cause);
	return j;
}

static const char *
fdec_header_type(int32_t type)
{
	const ProtobufCEnumValue *ev;

	ev = protobuf_c_enum_descriptor_get_value(
	    &common__header_type__descriptor, type);
	return ev != NULL ? ev->name : "unknown type";
}

Common__Config *
fdec_config_from_block(const uint8_t *data, size_t len, size_t max,
    char **cause)
{
	Common__Block *b;
	Common__Envelope *env = NULL;
	Common__Payload *pl = NULL;
	Common__ChannelHeader *ch = NULL;
	Common__ConfigEnvelope *ce = NULL;
	Common__Config *cfg = NULL;
	json_t *j;
	struct fdec d;
	unsigned long long num;

	if ((b = fdec_block_unpack(data, len, max, cause)) == NULL)
		return NULL;
	fdec_init(&d, "block");
	num = b->header != NULL ? (unsigned long long)b->header->number : 0;
	if (b->data == NULL || b->data->n_data == 0) {
		d.cause = xasprintf("block %llu is not a config block: it holds "
		    "no transaction", num);
		goto done;
	}
	if (b->data->n_data != 1) {
		d.cause = xasprintf("block %llu is not a config block: it holds "
		    "%zu transactions, a config block exactly one", num,
		    b->data->n_data);
		goto done;
	}
	fdec_path_add(&d, ".data.data[0]", 13);
	env = (Common__Envelope *)fdec_unpack(&d, &common__envelope__descriptor,
	    b->data->data[0].data, b->data->data[0].len, 2);
	if (env == NULL)
		goto done;
	fdec_push_field(&d, "payload");
	if (env->payload.len == 0) {
		fdec_fail(&d, "empty: the transaction has no payload");
		goto done;
	}
	pl = (Common__Payload *)fdec_unpack(&d, &common__payload__descriptor,
	    env->payload.data, env->payload.len, 3);
	if (pl == NULL)
		goto done;
	if (pl->header == NULL || pl->header->channel_header.len == 0) {
		fdec_push_field(&d, "header");
		fdec_fail(&d, "missing: the transaction has no channel "
		    "header");
		goto done;
	}
	fdec_push_field(&d, "header.channel_header");
	ch = (Common__ChannelHeader *)fdec_unpack(&d,
	    &common__channel_header__descriptor,
	    pl->header->channel_header.data, pl->header->channel_header.len,
	    5);
	if (ch == NULL)
		goto done;
	if (ch->type != COMMON__HEADER_TYPE__CONFIG) {
		d.cause = xasprintf("block %llu is not a config block: its "
		    "transaction is %s %s (%d), not CONFIG (1)", num,
		    ch->type == COMMON__HEADER_TYPE__ENDORSER_TRANSACTION ||
		    ch->type == COMMON__HEADER_TYPE__ORDERER_TRANSACTION ?
		    "an" : "a", fdec_header_type(ch->type), (int)ch->type);
		goto done;
	}
	fdec_pop(&d, strlen("block.data.data[0].payload"));
	fdec_push_field(&d, "data");
	if (pl->data.len == 0) {
		fdec_fail(&d, "empty: the CONFIG transaction carries no "
		    "ConfigEnvelope");
		goto done;
	}
	ce = (Common__ConfigEnvelope *)fdec_unpack(&d,
	    &common__config_envelope__descriptor, pl->data.data, pl->data.len,
	    4);
	if (ce == NULL)
		goto done;
	fdec_push_field(&d, "config");
	if (ce->config == NULL) {
		fdec_fail(&d, "missing: the ConfigEnvelope holds no "
		    "config");
		goto done;
	}
	/* Every opaque value must decode, as fdec_config will print it. */
	if ((j = fdec_msg(&d, &ce->config->base, &common__config__descriptor,
	    NULL, 5)) == NULL)
		goto done;
	json_decref(j);
	cfg = ce->config;
	ce->config = NULL;	/* detached: freed on its own */
done:
	if (ce != NULL)
		common__config_envelope__free_unpacked(ce, NULL);
	if (ch != NULL)
		common__channel_header__free_unpacked(ch, NULL);
	if (pl != NULL)
		common__payload__free_unpacked(pl, NULL);
	if (env != NULL)
		common__envelope__free_unpacked(env, NULL);
	common__block__free_unpacked(b, NULL);
	fdec_done(&d, cause);
	return cfg;
}
