/*
 * itest_participation.c: the channel participation client against a
 * STAND-IN HTTPS server (python3, started by participation_client.sh; it
 * mimics Fabric 2.5's answers, it is not a Fabric orderer).
 *
 * Environment: PART_PORT, PART_DIR (ca.crt, otherca.crt, client.crt,
 * client.key).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "participation.h"
#include "xmalloc.h"
#include "itest.h"

/*
 * A stand-in "block": the channel name, the SHA-256 (hex) of the rest,
 * then binary bytes (every byte value, CR LF, "--") the server checks.
 */
static unsigned char *
fake_block(const char *name, size_t *lenp)
{
	unsigned char tail[4096], md[32];
	unsigned int mdlen = 0;
	unsigned char *b;
	size_t i, n, off;

	for (i = 0; i < sizeof(tail); i++)
		tail[i] = (unsigned char)(i * 7 + i / 256);
	memcpy(tail + 100, "\r\n--\r\n\r\n--x", 11);
	EVP_Digest(tail, sizeof(tail), md, &mdlen, EVP_sha256(), NULL);
	n = strlen(name);
	b = xmalloc(n + 1 + 64 + 1 + sizeof(tail));
	memcpy(b, name, n);
	off = n;
	b[off++] = '\n';
	for (i = 0; i < 32; i++) {
		snprintf((char *)b + off, 3, "%02x", md[i]);
		off += 2;
	}
	b[off++] = '\n';
	memcpy(b + off, tail, sizeof(tail));
	*lenp = off + sizeof(tail);
	return b;
}

int
main(void)
{
	struct part_target t, t2;
	struct part_channel info, *chans = NULL;
	enum part_join_result jr;
	enum part_remove_result rr;
	char ca[512], otherca[512], cert[512], key[512];
	const char *dir, *ps;
	char *cause = NULL, *end;
	unsigned char *blk, *blk2, *pend;
	size_t blen, blen2, plen, n = 0;
	unsigned long port;
	int found;

	dir = getenv("PART_DIR");
	ps = getenv("PART_PORT");
	REQUIRE(dir != NULL && ps != NULL);
	port = strtoul(ps, &end, 10);
	REQUIRE(*end == '\0' && port > 0 && port < 65536);
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

	CHECK(part_channel_name_ok("mychannel"));
	CHECK(part_channel_name_ok("a.b-c9"));
	CHECK(!part_channel_name_ok("MyChannel"));
	CHECK(!part_channel_name_ok("../x"));
	CHECK(!part_channel_name_ok(""));
	CHECK(!part_channel_name_ok("9abc"));

	/* Nothing joined yet. */
	CHECK(part_list(&t, &chans, &n, 10000, &cause) == 0);
	CHECK(n == 0 && chans == NULL);
	free(cause);
	cause = NULL;
	CHECK(part_get(&t, "mychannel", &info, &found, 10000, &cause) == 0);
	CHECK(found == 0);
	free(cause);
	cause = NULL;

	/* Join: 201, then 405 "already exists" is a success too. */
	blk = fake_block("mychannel", &blen);
	memset(&info, 0, sizeof(info));
	CHECK(part_join(&t, blk, blen, &jr, &info, 10000, &cause) == 0);
	if (cause != NULL)
		fprintf(stderr, "join: %s\n", cause);
	free(cause);
	cause = NULL;
	CHECK(jr == PART_JOINED);
	CHECK(info.name != NULL && strcmp(info.name, "mychannel") == 0);
	CHECK(info.url != NULL &&
	    strcmp(info.url, "/participation/v1/channels/mychannel") == 0);
	CHECK(info.status != NULL && strcmp(info.status, "active") == 0);
	CHECK(info.consensus_relation != NULL &&
	    strcmp(info.consensus_relation, "consenter") == 0);
	CHECK(info.has_height && info.height == 1);
	part_channel_clear(&info);
	CHECK(part_join(&t, blk, blen, &jr, &info, 10000, &cause) == 0);
	CHECK(jr == PART_ALREADY_JOINED);
	free(cause);
	cause = NULL;
	part_channel_clear(&info);

	blk2 = fake_block("other", &blen2);
	CHECK(part_join(&t, blk2, blen2, &jr, NULL, 10000, &cause) == 0);
	CHECK(jr == PART_JOINED);
	free(cause);
	cause = NULL;

	/* 409 pending removal is an error, with Fabric's text. */
	pend = fake_block("pending", &plen);
	CHECK(part_join(&t, pend, plen, &jr, NULL, 10000, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "HTTP 409") != NULL &&
	    strstr(cause, "cannot join: channel pending removal") != NULL);
	fprintf(stderr, "expected failure: %s\n", cause ? cause : "(none)");
	free(cause);
	cause = NULL;

	/* A block the stand-in finds altered: a 400 with its error. */
	blk2[blen2 - 1] ^= 1;
	CHECK(part_join(&t, blk2, blen2, &jr, NULL, 10000, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "HTTP 400") != NULL &&
	    strstr(cause, "cannot unmarshal") != NULL);
	free(cause);
	cause = NULL;
	CHECK(part_join(&t, blk2, 0, &jr, NULL, 10000, &cause) == -1);
	free(cause);
	cause = NULL;

	/* List and get. */
	CHECK(part_list(&t, &chans, &n, 10000, &cause) == 0);
	CHECK(n == 2);
	if (n == 2) {
		CHECK(strcmp(chans[0].name, "mychannel") == 0);
		CHECK(strcmp(chans[1].name, "other") == 0);
		CHECK(strcmp(chans[1].url,
		    "/participation/v1/channels/other") == 0);
		CHECK(!chans[0].has_height);
	}
	part_channels_free(chans, n);
	chans = NULL;
	free(cause);
	cause = NULL;
	CHECK(part_get(&t, "mychannel", &info, &found, 10000, &cause) == 0);
	CHECK(found == 1);
	CHECK(info.name != NULL && strcmp(info.name, "mychannel") == 0);
	CHECK(info.has_height && info.height == 1);
	part_channel_clear(&info);
	free(cause);
	cause = NULL;

	/* Answer limits and garbage. */
	CHECK(part_get(&t, "huge", &info, &found, 10000, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "limit") != NULL);
	fprintf(stderr, "expected failure: %s\n", cause ? cause : "(none)");
	free(cause);
	cause = NULL;
	CHECK(part_get(&t, "garbled", &info, &found, 10000, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "not a JSON object") != NULL);
	free(cause);
	cause = NULL;
	CHECK(part_get(&t, "../etc", &info, &found, 10000, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "not a valid channel name") !=
	    NULL);
	free(cause);
	cause = NULL;

	/* Remove: 204, then 404 is "absent", a success. */
	CHECK(part_remove(&t, "other", &rr, 10000, &cause) == 0);
	CHECK(rr == PART_REMOVED);
	free(cause);
	cause = NULL;
	CHECK(part_remove(&t, "other", &rr, 10000, &cause) == 0);
	CHECK(rr == PART_ABSENT);
	free(cause);
	cause = NULL;
	CHECK(part_list(&t, &chans, &n, 10000, &cause) == 0);
	CHECK(n == 1);
	part_channels_free(chans, n);
	chans = NULL;
	free(cause);
	cause = NULL;

	/* TLS: the wrong CA, and no client certificate. */
	t2 = t;
	t2.ca_file = otherca;
	CHECK(part_list(&t2, &chans, &n, 10000, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "127.0.0.1") != NULL);
	fprintf(stderr, "expected failure: %s\n", cause ? cause : "(none)");
	free(cause);
	cause = NULL;
	t2 = t;
	t2.cert_file = t2.key_file = NULL;
	CHECK(part_list(&t2, &chans, &n, 10000, &cause) == -1);
	fprintf(stderr, "expected failure: %s\n", cause ? cause : "(none)");
	free(cause);
	cause = NULL;

	free(blk);
	free(blk2);
	free(pend);
	printf("itest_participation: %d checks, %d failures\n", nchecks,
	    nfailures);
	return nfailures == 0 ? 0 : 1;
}
