/*
 * test_ipc.c: the local message format (every decode error, byte layout,
 * limits), base64, and the nanomsg helpers on real ipc sockets in a
 * temporary directory: socket mode, one listener per path, ipc_call
 * against a server thread that answers right, wrong and not at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <pthread.h>

#include <cmocka.h>
#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>

#include "ipc.h"
#include "xmalloc.h"

static char tmpdir[64];

static int
setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/fabfed-ipc.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);

	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* A message built by hand: header fields as given, then body. Caller frees. */
static unsigned char *
raw_msg(const char *magic, unsigned version, unsigned type, unsigned flags,
    uint32_t id, uint32_t blen, const char *body, size_t *len)
{
	size_t n = body != NULL ? strlen(body) : 0;
	unsigned char *m = xcalloc(1, IPC_HDR_LEN + n + 1);

	memcpy(m, magic, 4);
	m[4] = (unsigned char)version;
	m[5] = (unsigned char)type;
	m[6] = (unsigned char)(flags >> 8);
	m[7] = (unsigned char)flags;
	m[8] = (unsigned char)(id >> 24);
	m[9] = (unsigned char)(id >> 16);
	m[10] = (unsigned char)(id >> 8);
	m[11] = (unsigned char)id;
	m[12] = (unsigned char)(blen >> 24);
	m[13] = (unsigned char)(blen >> 16);
	m[14] = (unsigned char)(blen >> 8);
	m[15] = (unsigned char)blen;
	if (n > 0)
		memcpy(m + IPC_HDR_LEN, body, n);
	*len = IPC_HDR_LEN + n;
	return m;
}

/* Decoding data fails with a cause containing want; returns the msg. */
static struct ipc_msg
expect_error(const void *data, size_t len, const char *want)
{
	struct ipc_msg m;
	char *cause = NULL;

	assert_int_equal(ipc_decode(data, len, &m, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, want);
	assert_null(m.body);
	free(cause);
	return m;
}

static void
test_roundtrip_and_layout(void **state)
{
	json_t *body = json_pack("{s:s, s:s, s:{s:i}}", "kind", "k",
	    "payload", "aGk=", "context", "n", 1);
	unsigned char *out;
	size_t outlen;
	struct ipc_msg m;
	char *cause = NULL, *text;
	int t;

	assert_int_equal(ipc_encode(IPC_SIGN, 0xa1b2c3d4, body, &out, &outlen,
	    &cause), 0);
	text = json_dumps(body, JSON_COMPACT);
	assert_int_equal(outlen, IPC_HDR_LEN + strlen(text));
	assert_memory_equal(out, "FFSG", 4);
	assert_int_equal(out[4], 1);
	assert_int_equal(out[5], IPC_SIGN);
	assert_int_equal(out[6], 0);
	assert_int_equal(out[7], 0);
	assert_int_equal(out[8], 0xa1);
	assert_int_equal(out[11], 0xd4);
	assert_int_equal((out[12] << 24) | (out[13] << 16) | (out[14] << 8) |
	    out[15], (int)strlen(text));
	assert_memory_equal(out + IPC_HDR_LEN, text, strlen(text));
	assert_int_equal(ipc_decode(out, outlen, &m, &cause), 0);
	assert_int_equal(m.type, IPC_SIGN);
	assert_int_equal(m.id, 0xa1b2c3d4);
	assert_int_equal(m.flags, 0);
	assert_true(json_equal(m.body, body));
	ipc_msg_clear(&m);
	assert_null(m.body);
	ipc_msg_clear(NULL);
	free(out);
	free(text);
	json_decref(body);

	/* Every type, NULL body = {}. */
	for (t = IPC_PING; t <= IPC_ERROR; t++) {
		assert_non_null(ipc_type_name(t));
		assert_int_equal(ipc_encode(t, (uint32_t)t, NULL, &out, &outlen,
		    &cause), 0);
		assert_int_equal(outlen, IPC_HDR_LEN + 2);
		assert_int_equal(ipc_decode(out, outlen, &m, &cause), 0);
		assert_int_equal(m.type, t);
		assert_int_equal(json_object_size(m.body), 0);
		ipc_msg_clear(&m);
		free(out);
	}
	assert_true(ipc_type_is_request(IPC_PING));
	assert_true(ipc_type_is_request(IPC_SIGN));
	assert_false(ipc_type_is_request(IPC_SIGNED));
	assert_null(ipc_type_name(0));
	assert_null(ipc_type_name(7));
	assert_null(ipc_type_name(-1));
	assert_string_equal(ipc_type_name(IPC_REFUSED), "REFUSED");
}

static void
test_decode_errors(void **state)
{
	unsigned char *m;
	struct ipc_msg got;
	size_t len;
	char *big;

	expect_error("", 0, "message of 0 bytes is shorter than the 16-byte header");
	expect_error("FFSG\1\1\0\0", 8, "shorter than the 16-byte header");

	m = raw_msg("FFSX", 1, IPC_PING, 0, 7, 2, "{}", &len);
	got = expect_error(m, len, "does not start with \"FFSG\"");
	assert_int_equal(got.id, 0);
	free(m);

	m = raw_msg("FFSG", 2, IPC_PING, 0, 7, 2, "{}", &len);
	expect_error(m, len, "message format version 2 is not supported "
	    "(this side speaks version 1)");
	free(m);
	m = raw_msg("FFSG", 0, IPC_PING, 0, 7, 2, "{}", &len);
	expect_error(m, len, "version 0 is not supported");
	free(m);
	m = raw_msg("FFSG", 255, IPC_PING, 0, 7, 2, "{}", &len);
	expect_error(m, len, "version 255");
	free(m);

	m = raw_msg("FFSG", 1, 0, 0, 7, 2, "{}", &len);
	expect_error(m, len, "unknown message type 0");
	free(m);
	m = raw_msg("FFSG", 1, 200, 0, 7, 2, "{}", &len);
	got = expect_error(m, len, "unknown message type 200");
	assert_int_equal(got.id, 7);
	free(m);

	m = raw_msg("FFSG", 1, IPC_PING, 0x8000, 9, 2, "{}", &len);
	got = expect_error(m, len, "unknown flags 0x8000 in a PING message");
	assert_int_equal(got.id, 9);
	assert_int_equal(got.type, IPC_PING);
	free(m);

	/* The header claims more than the maximum: refused before reading. */
	m = raw_msg("FFSG", 1, IPC_SIGN, 0, 11, IPC_MAX_BODY + 1, "{}", &len);
	got = expect_error(m, len, "SIGN message body of 262145 bytes is larger "
	    "than the maximum 262144");
	assert_int_equal(got.id, 11);
	free(m);
	m = raw_msg("FFSG", 1, IPC_SIGN, 0, 11, 0xffffffff, "{}", &len);
	expect_error(m, len, "4294967295 bytes is larger than the maximum");
	free(m);
	/* An honest header over an oversized body. */
	big = xmalloc(IPC_MAX_BODY + 100);
	memset(big, ' ', IPC_MAX_BODY + 99);
	big[0] = '{';
	big[IPC_MAX_BODY + 97] = '}';
	big[IPC_MAX_BODY + 99] = '\0';
	m = raw_msg("FFSG", 1, IPC_SIGN, 0, 1, IPC_MAX_BODY + 99, big, &len);
	expect_error(m, len, "larger than the maximum 262144");
	free(m);
	free(big);

	/* Length lies, both ways. */
	m = raw_msg("FFSG", 1, IPC_PING, 0, 1, 3, "{}", &len);
	expect_error(m, len, "PING message header says the body is 3 bytes but 2 follow");
	free(m);
	m = raw_msg("FFSG", 1, IPC_PING, 0, 1, 1, "{}", &len);
	expect_error(m, len, "says the body is 1 bytes but 2 follow");
	free(m);

	/* JSON. */
	m = raw_msg("FFSG", 1, IPC_PING, 0, 1, 0, NULL, &len);
	expect_error(m, len, "PING message body is not valid JSON");
	free(m);
	m = raw_msg("FFSG", 1, IPC_SIGN, 0, 1, 9, "{\"kind\":}", &len);
	expect_error(m, len, "SIGN message body is not valid JSON");
	free(m);
	m = raw_msg("FFSG", 1, IPC_SIGN, 0, 1, 4, "{} x", &len);
	expect_error(m, len, "not valid JSON");
	free(m);
	m = raw_msg("FFSG", 1, IPC_SIGN, 0, 1, 13, "{\"a\":1,\"a\":2}", &len);
	expect_error(m, len, "duplicate object key");
	free(m);
	m = raw_msg("FFSG", 1, IPC_SIGN, 0, 1, 2, "[]", &len);
	expect_error(m, len, "SIGN message body is not a JSON object");
	free(m);
	m = raw_msg("FFSG", 1, IPC_SIGN, 0, 1, 4, "\"x\"}", &len);
	expect_error(m, len, "not valid JSON");
	free(m);
	/* A NUL inside the body. */
	m = raw_msg("FFSG", 1, IPC_SIGN, 0, 1, 4, "{}  ", &len);
	m[IPC_HDR_LEN + 2] = '\0';
	expect_error(m, len, "not valid JSON");
	free(m);
	m = raw_msg("FFSG", 1, IPC_SIGN, 0, 1, 11, "{\"a\":\"\\u0000\"}", &len);
	free(m);
	m = raw_msg("FFSG", 1, IPC_SIGN, 0, 1, 14, "{\"a\":\"\\u0000\"}", &len);
	expect_error(m, len, "not valid JSON");
	free(m);
}

static void
test_encode_errors(void **state)
{
	json_t *arr = json_array(), *big;
	unsigned char *out;
	size_t outlen;
	char *cause = NULL, *s;

	assert_int_equal(ipc_encode(0, 1, NULL, &out, &outlen, &cause), -1);
	assert_non_null(strstr(cause, "unknown message type 0"));
	assert_null(out);
	free(cause);
	cause = NULL;
	assert_int_equal(ipc_encode(IPC_PING, 1, arr, &out, &outlen, &cause), -1);
	assert_non_null(strstr(cause, "must be a JSON object"));
	free(cause);
	cause = NULL;
	json_decref(arr);

	s = xmalloc(IPC_MAX_BODY);
	memset(s, 'a', IPC_MAX_BODY - 1);
	s[IPC_MAX_BODY - 1] = '\0';
	big = json_pack("{s:s}", "payload", s);
	assert_int_equal(ipc_encode(IPC_SIGN, 1, big, &out, &outlen, &cause), -1);
	assert_non_null(strstr(cause, "larger than the maximum 262144"));
	free(cause);
	cause = NULL;
	json_decref(big);
	/* Exactly the maximum is fine: {"p":"aaa..."} is IPC_MAX_BODY bytes. */
	s[IPC_MAX_BODY - 8] = '\0';
	big = json_pack("{s:s}", "p", s);
	assert_int_equal(ipc_encode(IPC_SIGN, 1, big, &out, &outlen, &cause), 0);
	assert_int_equal(outlen, IPC_MAX_MSG);
	{
		struct ipc_msg m;

		assert_int_equal(ipc_decode(out, outlen, &m, &cause), 0);
		assert_true(json_equal(m.body, big));
		ipc_msg_clear(&m);
	}
	free(out);
	json_decref(big);
	free(s);
}

static void
test_base64(void **state)
{
	static const unsigned char data[] = { 0, 1, 2, 0xfb, 0xff, 'x' };
	unsigned char *dec;
	size_t n, len;
	char *enc;

	for (n = 0; n <= sizeof(data); n++) {
		enc = ipc_b64_encode(data, n);
		assert_non_null(enc);
		assert_int_equal(strlen(enc), (n + 2) / 3 * 4);
		dec = ipc_b64_decode(enc, &len, 64);
		assert_non_null(dec);
		assert_int_equal(len, n);
		assert_memory_equal(dec, data, n);
		assert_int_equal(dec[len], 0);
		free(dec);
		free(enc);
	}
	enc = ipc_b64_encode("hello", 5);
	assert_string_equal(enc, "aGVsbG8=");
	free(enc);
	assert_null(ipc_b64_decode("aGVsbG8", &len, 64));     /* unpadded */
	assert_null(ipc_b64_decode("aGVs bG8=", &len, 64));   /* blank */
	assert_null(ipc_b64_decode(" aGVsbG8=", &len, 64));
	assert_null(ipc_b64_decode("aGVsbG8=\n", &len, 64));
	assert_null(ipc_b64_decode("aGV=bG8=", &len, 64));    /* '=' inside */
	assert_null(ipc_b64_decode("aG==bG8=", &len, 64));
	assert_null(ipc_b64_decode("a===", &len, 64));
	assert_null(ipc_b64_decode("aGVsbG8-", &len, 64));    /* url alphabet */
	assert_null(ipc_b64_decode("aGVsbG9=", &len, 64));    /* pad bits set */
	assert_null(ipc_b64_decode("aGVsbA9=", &len, 64));
	assert_null(ipc_b64_decode("aGVsbB==", &len, 64));
	dec = ipc_b64_decode("aGVsbA==", &len, 64);
	assert_non_null(dec);
	assert_int_equal(len, 4);
	free(dec);
	assert_null(ipc_b64_decode("aGVsbG8=", &len, 4));     /* over max */
	dec = ipc_b64_decode("aGVsbG8=", &len, 5);
	assert_non_null(dec);
	assert_int_equal(len, 5);
	free(dec);
	dec = ipc_b64_decode("", &len, 0);
	assert_non_null(dec);
	assert_int_equal(len, 0);
	free(dec);
}

static void
test_url_path(void **state)
{
	assert_string_equal(ipc_url_path("ipc:///run/x.sock"), "/run/x.sock");
	assert_string_equal(ipc_url_path("ipc://rel.sock"), "rel.sock");
	assert_null(ipc_url_path("ipc://"));
	assert_null(ipc_url_path("tcp://127.0.0.1:5555"));
	assert_null(ipc_url_path(NULL));
}

static void
test_listen(void **state)
{
	char *url = xasprintf("ipc://%s/a.sock", tmpdir);
	char *path = xasprintf("%s/a.sock", tmpdir);
	char *cause = NULL, *longurl;
	struct stat st;
	int s, s2;

	s = ipc_listen(url, &cause);
	assert_true(s >= 0);
	assert_null(cause);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	s2 = ipc_listen(url, &cause);
	assert_int_equal(s2, -1);
	assert_non_null(strstr(cause, "is in use: another process listens there"));
	free(cause);
	cause = NULL;
	ipc_unlisten(s, url);
	assert_int_equal(stat(path, &st), -1);

	/* A regular file in the way is refused and left alone. */
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs("keep me", f);
		fclose(f);
		assert_int_equal(ipc_listen(url, &cause), -1);
		assert_non_null(strstr(cause, "exists and is not a socket"));
		free(cause);
		cause = NULL;
		assert_int_equal(stat(path, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(unlink(path), 0);
	}
	/* A stale socket file (its process died) is replaced. */
	{
		struct sockaddr_un sun;
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
		assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
		close(fd);
		assert_int_equal(stat(path, &st), 0);
		s = ipc_listen(url, &cause);
		assert_true(s >= 0);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		ipc_unlisten(s, url);
	}

	assert_int_equal(ipc_listen("tcp://127.0.0.1:0", &cause), -1);
	assert_non_null(strstr(cause, "not an ipc:// URL"));
	free(cause);
	cause = NULL;
	longurl = xmalloc(300);
	snprintf(longurl, 300, "ipc://%s/%0200d.sock", tmpdir, 0);
	assert_int_equal(ipc_listen(longurl, &cause), -1);
	assert_non_null(strstr(cause, "the system limit is 107"));
	free(cause);
	free(longurl);
	free(url);
	free(path);
}

/* A one-shot server thread: how it answers the one request it gets. */
enum answer { ANSWER_PONG, ANSWER_WRONG_ID, ANSWER_GARBAGE, ANSWER_NONE,
    ANSWER_REQUEST_TYPE };

struct server {
	int sock;
	enum answer how;
	enum ipc_recv_result got;
	struct ipc_msg req;
	char *cause;
};

static void *
server_run(void *arg)
{
	struct server *sv = arg;
	json_t *body;
	char *cause = NULL;
	int to = 5000;

	nn_setsockopt(sv->sock, NN_SOL_SOCKET, NN_RCVTIMEO, &to, sizeof(to));
	sv->got = ipc_recv(sv->sock, 0, &sv->req, &sv->cause);
	if (sv->got != IPC_RECV_OK && sv->got != IPC_RECV_BAD)
		return NULL;
	switch (sv->how) {
	case ANSWER_PONG:
		body = json_pack("{s:i}", "version", 1);
		ipc_send(sv->sock, IPC_PONG, sv->req.id, body, &cause);
		json_decref(body);
		break;
	case ANSWER_WRONG_ID:
		ipc_send(sv->sock, IPC_PONG, sv->req.id + 1, NULL, &cause);
		break;
	case ANSWER_REQUEST_TYPE:
		ipc_send(sv->sock, IPC_SIGN, sv->req.id, NULL, &cause);
		break;
	case ANSWER_GARBAGE:
		nn_send(sv->sock, "garbage!", 8, 0);
		break;
	case ANSWER_NONE:
		break;
	}
	free(cause);
	return NULL;
}

/* ipc_call against a thread answering how; returns ipc_call's result. */
static int
call_with(enum answer how, int timeout_ms, int *rtype, json_t **rbody,
    char **cause, struct server *sv)
{
	char *url = xasprintf("ipc://%s/call.sock", tmpdir);
	char *lcause = NULL;
	pthread_t th;
	int rc;

	memset(sv, 0, sizeof(*sv));
	sv->how = how;
	sv->sock = ipc_listen(url, &lcause);
	assert_true(sv->sock >= 0);
	assert_int_equal(pthread_create(&th, NULL, server_run, sv), 0);
	rc = ipc_call(url, IPC_PING, NULL, timeout_ms, rtype, rbody, cause);
	assert_int_equal(pthread_join(th, NULL), 0);
	ipc_unlisten(sv->sock, url);
	free(url);
	return rc;
}

static void
test_call(void **state)
{
	struct server sv;
	json_t *rbody = NULL;
	char *cause = NULL, *url;
	int rtype;

	assert_int_equal(call_with(ANSWER_PONG, 5000, &rtype, &rbody, &cause, &sv), 0);
	assert_int_equal(sv.got, IPC_RECV_OK);
	assert_int_equal(sv.req.type, IPC_PING);
	assert_int_equal(rtype, IPC_PONG);
	assert_int_equal(json_integer_value(json_object_get(rbody, "version")), 1);
	json_decref(rbody);
	ipc_msg_clear(&sv.req);

	assert_int_equal(call_with(ANSWER_WRONG_ID, 5000, &rtype, &rbody, &cause, &sv), -1);
	assert_non_null(strstr(cause, "not an answer to request"));
	assert_null(rbody);
	assert_int_equal(rtype, 0);
	free(cause);
	cause = NULL;
	ipc_msg_clear(&sv.req);

	assert_int_equal(call_with(ANSWER_REQUEST_TYPE, 5000, &rtype, &rbody, &cause, &sv), -1);
	assert_non_null(strstr(cause, "a SIGN for request"));
	free(cause);
	cause = NULL;
	ipc_msg_clear(&sv.req);

	assert_int_equal(call_with(ANSWER_GARBAGE, 5000, &rtype, &rbody, &cause, &sv), -1);
	assert_non_null(strstr(cause, "bad answer from ipc://"));
	assert_non_null(strstr(cause, "shorter than the 16-byte header"));
	free(cause);
	cause = NULL;
	ipc_msg_clear(&sv.req);

	assert_int_equal(call_with(ANSWER_NONE, 300, &rtype, &rbody, &cause, &sv), -1);
	assert_non_null(strstr(cause, "no answer from ipc://"));
	assert_non_null(strstr(cause, "within 300 ms"));
	free(cause);
	cause = NULL;
	ipc_msg_clear(&sv.req);

	url = xasprintf("ipc://%s/nobody.sock", tmpdir);
	assert_int_equal(ipc_call(url, IPC_PING, NULL, 300, &rtype, &rbody, &cause), -1);
	assert_non_null(strstr(cause, "cannot reach"));
	assert_non_null(strstr(cause, "No such file or directory"));
	free(cause);
	cause = NULL;
	assert_int_equal(ipc_call(url, 99, NULL, 300, &rtype, &rbody, &cause), -1);
	assert_non_null(strstr(cause, "unknown message type 99"));
	free(cause);
	cause = NULL;
	assert_int_equal(ipc_call(url, IPC_PING, NULL, 0, &rtype, &rbody, &cause), -1);
	assert_non_null(strstr(cause, "must be positive"));
	free(cause);
	free(url);
}

/* Raw bytes from a plain NN_REQ reach ipc_recv as IPC_RECV_BAD with a cause. */
static void
test_recv_bad(void **state)
{
	char *url = xasprintf("ipc://%s/bad.sock", tmpdir);
	char *cause = NULL;
	struct ipc_msg m;
	int s, c, to = 5000;
	unsigned char *raw;
	size_t len;
	void *ans = NULL;

	s = ipc_listen(url, &cause);
	assert_true(s >= 0);
	c = nn_socket(AF_SP, NN_REQ);
	assert_true(c >= 0);
	nn_setsockopt(c, NN_SOL_SOCKET, NN_RCVTIMEO, &to, sizeof(to));
	nn_setsockopt(c, NN_SOL_SOCKET, NN_SNDTIMEO, &to, sizeof(to));
	nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVTIMEO, &to, sizeof(to));
	assert_true(nn_connect(c, url) >= 0);

	raw = raw_msg("FFSG", 3, IPC_SIGN, 0, 42, 2, "{}", &len);
	assert_int_equal(nn_send(c, raw, len, 0), (int)len);
	assert_int_equal(ipc_recv(s, 0, &m, &cause), IPC_RECV_BAD);
	assert_non_null(strstr(cause, "version 3 is not supported"));
	free(cause);
	cause = NULL;
	assert_int_equal(ipc_send(s, IPC_ERROR, m.id, NULL, &cause), 0);
	assert_true(nn_recv(c, &ans, NN_MSG, 0) == IPC_HDR_LEN + 2);
	nn_freemsg(ans);
	free(raw);

	/* Nothing waiting. */
	assert_int_equal(ipc_recv(s, NN_DONTWAIT, &m, &cause), IPC_RECV_NONE);
	assert_null(cause);
	nn_close(c);
	ipc_unlisten(s, url);
	/* A closed socket. */
	assert_int_equal(ipc_recv(s, NN_DONTWAIT, &m, &cause), IPC_RECV_FAIL);
	assert_non_null(strstr(cause, "cannot receive"));
	free(cause);
	free(url);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_and_layout),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_url_path),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_call),
		cmocka_unit_test(test_recv_bad),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
