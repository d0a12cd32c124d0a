/*
 * itest_grpc.c: the gRPC client against a STAND-IN gRPC server (Node
 * @grpc/grpc-js with the official fabric-protos, started by grpc_client.sh;
 * not a Fabric orderer), and an HTTP/1.1-only TLS server.
 *
 * Environment: GRPC_PORT (the stand-in), GRPC_H1_PORT (HTTP/1.1 only),
 * GRPC_DIR (ca.crt, otherca.crt, client.crt, client.key).
 *
 * Requests are built and answers decoded with our protobuf-c code.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.pb-c.h"
#include "orderer/ab.pb-c.h"

#include "grpc.h"
#include "xmalloc.h"
#include "itest.h"

static char ca[512], otherca[512], cert[512], key[512];

/* Every answer message, decoded. */
struct answers {
	size_t n;
	int stop_at;            /* on_msg returns 1 at this count (0: never) */
	int fail_at;            /* on_msg returns -1 at this count */
	/* Deliver */
	size_t blocks;
	uint64_t numbers[8];
	int data_ok;            /* every block's data as the stand-in makes it */
	int final_status;
	/* Broadcast */
	int bstatus[8];
	char binfo[8][128];
	int undecodable;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
on_deliver(const void *msg, size_t len, void *arg)
{
	struct answers *a = arg;
	Orderer__DeliverResponse *r;
	Common__Block *b;
	size_t i;

	a->n++;
	r = orderer__deliver_response__unpack(NULL, len, msg);
	if (r == NULL) {
		a->undecodable++;
		return 0;
	}
	if (r->type_case == ORDERER__DELIVER_RESPONSE__TYPE_BLOCK) {
		b = r->block;
		if (a->blocks < 8 && b->header != NULL)
			a->numbers[a->blocks] = b->header->number;
		if (b->data == NULL || b->data->n_data != 1 ||
		    b->data->data[0].len != 300)
			a->data_ok = 0;
		else {
			for (i = 0; i < 300; i++) {
				if (b->data->data[0].data[i] != 0x61 + a->blocks)
					a->data_ok = 0;
			}
		}
		a->blocks++;
	} else if (r->type_case == ORDERER__DELIVER_RESPONSE__TYPE_STATUS)
		a->final_status = (int)r->status;
	orderer__deliver_response__free_unpacked(r, NULL);
	if (a->fail_at != 0 && (int)a->n == a->fail_at)
		return -1;
	if (a->stop_at != 0 && (int)a->n == a->stop_at)
		return 1;
	return 0;
}

static int
on_broadcast(const void *msg, size_t len, void *arg)
{
	struct answers *a = arg;
	Orderer__BroadcastResponse *r;

	r = orderer__broadcast_response__unpack(NULL, len, msg);
	if (r == NULL) {
		a->undecodable++;
		a->n++;
		return 0;
	}
	if (a->n < 8) {
		a->bstatus[a->n] = (int)r->status;
		snprintf(a->binfo[a->n], sizeof(a->binfo[a->n]), "%s",
		    r->info);
	}
	a->n++;
	orderer__broadcast_response__free_unpacked(r, NULL);
	return 0;
}

/* A marshalled Envelope for channel of header type with data. */
static uint8_t *
envelope(const char *channel, int type, const void *data, size_t dlen,
    size_t *lenp)
{
	Common__ChannelHeader ch = COMMON__CHANNEL_HEADER__INIT;
	Common__Header hdr = COMMON__HEADER__INIT;
	Common__Payload pl = COMMON__PAYLOAD__INIT;
	Common__Envelope env = COMMON__ENVELOPE__INIT;
	uint8_t *chb, *plb, *out;

	ch.type = type;
	ch.channel_id = (char *)channel;
	ch.tx_id = (char *)"itest";
	chb = xmalloc(common__channel_header__get_packed_size(&ch));
	hdr.channel_header.len = common__channel_header__pack(&ch, chb);
	hdr.channel_header.data = chb;
	pl.header = &hdr;
	pl.data.data = (uint8_t *)data;
	pl.data.len = dlen;
	plb = xmalloc(common__payload__get_packed_size(&pl));
	env.payload.len = common__payload__pack(&pl, plb);
	env.payload.data = plb;
	env.signature.data = (uint8_t *)"not a signature";
	env.signature.len = 15;
	out = xmalloc(common__envelope__get_packed_size(&env));
	*lenp = common__envelope__pack(&env, out);
	free(chb);
	free(plb);
	return out;
}

/* A Deliver envelope: SeekInfo oldest to newest, as the agent sends. */
static uint8_t *
seek_envelope(const char *channel, size_t *lenp)
{
	Orderer__SeekInfo si = ORDERER__SEEK_INFO__INIT;
	Orderer__SeekPosition start = ORDERER__SEEK_POSITION__INIT;
	Orderer__SeekPosition stop = ORDERER__SEEK_POSITION__INIT;
	Orderer__SeekOldest oldest = ORDERER__SEEK_OLDEST__INIT;
	Orderer__SeekNewest newest = ORDERER__SEEK_NEWEST__INIT;
	uint8_t *sib, *out;
	size_t silen;

	start.type_case = ORDERER__SEEK_POSITION__TYPE_OLDEST;
	start.oldest = &oldest;
	stop.type_case = ORDERER__SEEK_POSITION__TYPE_NEWEST;
	stop.newest = &newest;
	si.start = &start;
	si.stop = &stop;
	si.behavior = ORDERER__SEEK_INFO__SEEK_BEHAVIOR__FAIL_IF_NOT_READY;
	sib = xmalloc(orderer__seek_info__get_packed_size(&si));
	silen = orderer__seek_info__pack(&si, sib);
	out = envelope(channel, COMMON__HEADER_TYPE__DELIVER_SEEK_INFO, sib,
	    silen, lenp);
	free(sib);
	return out;
}

static int
count_msg(const void *msg, size_t len, void *arg)
{
	size_t *n = arg;

	(void)msg;
	(void)len;
	(*n)++;
	return 0;
}

/* The framing and grpc-message decoding on recorded bytes. */
static void
test_offline(void)
{
	static const unsigned char rec[] = {
		0, 0, 0, 0, 3, 'a', 'b', 'c',
		0, 0, 0, 0, 0,
		0, 0, 0, 0, 2, 'x', 'y'
	};
	static const unsigned char zipped[] = { 1, 0, 0, 0, 1, 'z' };
	static const unsigned char big[] = { 0, 0, 0, 1, 0 };
	struct grpc_reader *r;
	size_t i, n = 0;
	char *cause = NULL, *s;

	r = grpc_reader_new(16, 0);
	for (i = 0; i < sizeof(rec); i++) {
		CHECK(grpc_reader_feed(r, rec + i, 1, count_msg, &n,
		    &cause) == 0);
		if (i == 3)
			CHECK(!grpc_reader_idle(r));
	}
	CHECK(n == 3);
	CHECK(grpc_reader_count(r) == 3);
	CHECK(grpc_reader_idle(r));
	CHECK(grpc_reader_feed(r, zipped, sizeof(zipped), count_msg, &n,
	    &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "compressed") != NULL);
	free(cause);
	cause = NULL;
	grpc_reader_free(r);

	r = grpc_reader_new(16, 0);
	CHECK(grpc_reader_feed(r, big, sizeof(big), count_msg, &n,
	    &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "limit") != NULL);
	free(cause);
	cause = NULL;
	grpc_reader_free(r);

	/* max_total 12: the second 3-byte message passes it. */
	r = grpc_reader_new(16, 12);
	n = 0;
	CHECK(grpc_reader_feed(r, rec, sizeof(rec), count_msg, &n,
	    &cause) == -1);
	CHECK(n == 1);
	free(cause);
	grpc_reader_free(r);

	s = grpc_message_decode("a%20b%zz%2%25%0Aend", 19, 100);
	CHECK(strcmp(s, "a b%zz%2%?end") == 0);
	free(s);
	s = grpc_message_decode("caf%C3%A9", 9, 100);
	CHECK(strcmp(s, "caf\xc3\xa9") == 0);
	free(s);
	s = grpc_message_decode("0123456789", 10, 6);
	CHECK(strcmp(s, "012...") == 0);
	free(s);
	CHECK(strcmp(grpc_code_name(14), "UNAVAILABLE") == 0);
	CHECK(strcmp(grpc_code_name(99), "UNRECOGNIZED") == 0);
}

int
main(void)
{
	struct grpc_target t, t2;
	struct grpc_msg msgs[3];
	struct answers a;
	const char *dir, *ps, *h1s;
	char *cause = NULL, *end;
	uint8_t *good1, *good2, *bad, *seek, *forb, *slow;
	size_t l1, l2, lb, ls, lf, lsl;
	unsigned long port, h1port;
	double t0;
	int code;

	test_offline();

	dir = getenv("GRPC_DIR");
	ps = getenv("GRPC_PORT");
	h1s = getenv("GRPC_H1_PORT");
	REQUIRE(dir != NULL && ps != NULL && h1s != NULL);
	port = strtoul(ps, &end, 10);
	REQUIRE(*end == '\0' && port > 0 && port < 65536);
	h1port = strtoul(h1s, &end, 10);
	REQUIRE(*end == '\0' && h1port > 0 && h1port < 65536);
	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	snprintf(otherca, sizeof(otherca), "%s/otherca.crt", dir);
	snprintf(cert, sizeof(cert), "%s/client.crt", dir);
	snprintf(key, sizeof(key), "%s/client.key", dir);
	memset(&t, 0, sizeof(t));
	t.host = "127.0.0.1";
	t.port = (unsigned int)port;
	t.ca_file = ca;
	t.cert_file = cert;
	t.key_file = key;

	good1 = envelope("mychannel", COMMON__HEADER_TYPE__CONFIG_UPDATE,
	    "update-1", 8, &l1);
	good2 = envelope("mychannel", COMMON__HEADER_TYPE__CONFIG_UPDATE,
	    "update-2", 8, &l2);
	{
		Common__Envelope env = COMMON__ENVELOPE__INIT;

		/* An Envelope whose payload is not a Payload. */
		env.payload.data = (uint8_t *)"\xff\xff\xff\xff";
		env.payload.len = 4;
		bad = xmalloc(common__envelope__get_packed_size(&env));
		lb = common__envelope__pack(&env, bad);
	}
	seek = seek_envelope("mychannel", &ls);
	forb = seek_envelope("forbidden", &lf);
	slow = seek_envelope("slow", &lsl);

	/* Broadcast, one envelope: one SUCCESS. */
	memset(&a, 0, sizeof(a));
	CHECK(grpc_call(&t, GRPC_ORDERER_BROADCAST, good1, l1, on_broadcast,
	    &a, 10000, &cause) == 0);
	if (cause != NULL)
		fprintf(stderr, "broadcast: %s\n", cause);
	free(cause);
	cause = NULL;
	CHECK(a.n == 1 && a.undecodable == 0);
	CHECK(a.bstatus[0] == COMMON__STATUS__SUCCESS);

	/* Broadcast, three envelopes: one answer each, in order. */
	memset(&a, 0, sizeof(a));
	msgs[0].data = good1;
	msgs[0].len = l1;
	msgs[1].data = bad;
	msgs[1].len = lb;
	msgs[2].data = good2;
	msgs[2].len = l2;
	code = -1;
	CHECK(grpc_call_msgs(&t, GRPC_ORDERER_BROADCAST, msgs, 3,
	    on_broadcast, &a, 10000, &code, &cause) == 0);
	free(cause);
	cause = NULL;
	CHECK(code == GRPC_OK);
	CHECK(a.n == 3);
	CHECK(a.bstatus[0] == COMMON__STATUS__SUCCESS);
	CHECK(a.bstatus[1] == COMMON__STATUS__BAD_REQUEST);
	CHECK(strstr(a.binfo[1], "bad envelope") != NULL);
	CHECK(a.bstatus[2] == COMMON__STATUS__SUCCESS);

	/* Deliver: 3 blocks, then SUCCESS. */
	memset(&a, 0, sizeof(a));
	a.data_ok = 1;
	CHECK(grpc_call(&t, GRPC_ORDERER_DELIVER, seek, ls, on_deliver, &a,
	    10000, &cause) == 0);
	if (cause != NULL)
		fprintf(stderr, "deliver: %s\n", cause);
	free(cause);
	cause = NULL;
	CHECK(a.n == 4 && a.undecodable == 0);
	CHECK(a.blocks == 3);
	CHECK(a.numbers[0] == 0 && a.numbers[1] == 1 && a.numbers[2] == 2);
	CHECK(a.data_ok);
	CHECK(a.final_status == COMMON__STATUS__SUCCESS);

	/* The handler ends the stream early: a success after one block. */
	memset(&a, 0, sizeof(a));
	a.data_ok = 1;
	a.stop_at = 1;
	CHECK(grpc_call(&t, GRPC_ORDERER_DELIVER, seek, ls, on_deliver, &a,
	    10000, &cause) == 0);
	free(cause);
	cause = NULL;
	CHECK(a.n == 1 && a.blocks == 1);

	/* The handler fails: CANCELLED, the call fails. */
	memset(&a, 0, sizeof(a));
	a.fail_at = 2;
	CHECK(grpc_call_msgs(&t, GRPC_ORDERER_DELIVER, &(struct grpc_msg){
	    seek, ls }, 1, on_deliver, &a, 10000, &code, &cause) == -1);
	CHECK(code == GRPC_CANCELLED);
	CHECK(cause != NULL && strstr(cause, "refused") != NULL);
	free(cause);
	cause = NULL;

	/* A server status: PERMISSION_DENIED with its message decoded. */
	memset(&a, 0, sizeof(a));
	code = -1;
	CHECK(grpc_call_msgs(&t, GRPC_ORDERER_DELIVER, &(struct grpc_msg){
	    forb, lf }, 1, on_deliver, &a, 10000, &code, &cause) == -1);
	CHECK(code == GRPC_PERMISSION_DENIED);
	CHECK(cause != NULL && strstr(cause, "PERMISSION_DENIED (7)") != NULL);
	CHECK(cause != NULL &&
	    strstr(cause, "access denied: 100% sure, caf\xc3\xa9") != NULL);
	CHECK(cause != NULL && strstr(cause, GRPC_ORDERER_DELIVER) != NULL);
	fprintf(stderr, "expected failure: %s\n", cause ? cause : "(none)");
	free(cause);
	cause = NULL;
	CHECK(a.n == 0);

	/* Size limits: one message, then all of them. */
	t2 = t;
	t2.max_msg = 100;
	memset(&a, 0, sizeof(a));
	CHECK(grpc_call_msgs(&t2, GRPC_ORDERER_DELIVER, &(struct grpc_msg){
	    seek, ls }, 1, on_deliver, &a, 10000, &code, &cause) == -1);
	CHECK(code == GRPC_RESOURCE_EXHAUSTED);
	CHECK(cause != NULL && strstr(cause, "limit of 100") != NULL);
	fprintf(stderr, "expected failure: %s\n", cause ? cause : "(none)");
	free(cause);
	cause = NULL;
	CHECK(a.n == 0);
	t2 = t;
	t2.max_total = 1000;
	memset(&a, 0, sizeof(a));
	CHECK(grpc_call_msgs(&t2, GRPC_ORDERER_DELIVER, &(struct grpc_msg){
	    seek, ls }, 1, on_deliver, &a, 10000, &code, &cause) == -1);
	CHECK(code == GRPC_RESOURCE_EXHAUSTED);
	CHECK(a.n >= 1 && a.n < 4);
	free(cause);
	cause = NULL;

	/* A method the server does not have. */
	CHECK(grpc_call_msgs(&t, "/orderer.AtomicBroadcast/Nope",
	    &(struct grpc_msg){ seek, ls }, 1, NULL, NULL, 10000, &code,
	    &cause) == -1);
	if (code != GRPC_UNIMPLEMENTED)
		fprintf(stderr, "the unknown method answered %d: %s\n", code,
		    cause != NULL ? cause : "(no cause)");
	CHECK(code == GRPC_UNIMPLEMENTED);
	CHECK(cause != NULL && strstr(cause, "UNIMPLEMENTED") != NULL);
	free(cause);
	cause = NULL;

	/* Timeout: DEADLINE_EXCEEDED, well before the server's 20 s. */
	t0 = now();
	CHECK(grpc_call_msgs(&t, GRPC_ORDERER_DELIVER, &(struct grpc_msg){
	    slow, lsl }, 1, on_deliver, &a, 500, &code, &cause) == -1);
	CHECK(now() - t0 < 5.0);
	CHECK(code == GRPC_DEADLINE_EXCEEDED);
	CHECK(cause != NULL && strstr(cause, "DEADLINE_EXCEEDED") != NULL);
	fprintf(stderr, "expected failure: %s\n", cause ? cause : "(none)");
	free(cause);
	cause = NULL;

	/* The wrong CA: the server is not trusted. */
	t2 = t;
	t2.ca_file = otherca;
	memset(&a, 0, sizeof(a));
	CHECK(grpc_call_msgs(&t2, GRPC_ORDERER_DELIVER, &(struct grpc_msg){
	    seek, ls }, 1, on_deliver, &a, 10000, &code, &cause) == -1);
	CHECK(code == GRPC_UNAVAILABLE);
	CHECK(a.n == 0);
	fprintf(stderr, "expected failure: %s\n", cause ? cause : "(none)");
	free(cause);
	cause = NULL;

	/* No client certificate: the server (which requires one) refuses. */
	t2 = t;
	t2.cert_file = t2.key_file = NULL;
	memset(&a, 0, sizeof(a));
	CHECK(grpc_call_msgs(&t2, GRPC_ORDERER_DELIVER, &(struct grpc_msg){
	    seek, ls }, 1, on_deliver, &a, 10000, &code, &cause) == -1);
	CHECK(code != GRPC_OK);
	CHECK(a.n == 0);
	free(cause);
	cause = NULL;

	/* A TLS server without h2: refused as not gRPC-capable. */
	t2 = t;
	t2.port = (unsigned int)h1port;
	CHECK(grpc_call_msgs(&t2, GRPC_ORDERER_DELIVER, &(struct grpc_msg){
	    seek, ls }, 1, on_deliver, &a, 10000, &code, &cause) == -1);
	CHECK(code == GRPC_UNAVAILABLE);
	CHECK(cause != NULL && strstr(cause, "HTTP/2") != NULL);
	fprintf(stderr, "expected failure: %s\n", cause ? cause : "(none)");
	free(cause);
	cause = NULL;

	/* Bad arguments. */
	CHECK(grpc_call(&t, "no-slash", seek, ls, NULL, NULL, 1000,
	    &cause) == -1);
	CHECK(cause != NULL);
	free(cause);
	cause = NULL;
	t2 = t;
	t2.key_file = NULL;
	CHECK(grpc_call(&t2, GRPC_ORDERER_DELIVER, seek, ls, NULL, NULL, 1000,
	    &cause) == -1);
	free(cause);

	free(good1);
	free(good2);
	free(bad);
	free(seek);
	free(forb);
	free(slow);
	printf("itest_grpc: %d checks, %d failures\n", nchecks, nfailures);
	return nfailures == 0 ? 0 : 1;
}
