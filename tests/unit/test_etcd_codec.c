/*
 * test_etcd_codec.c: the etcd client's request bodies and answer parsing,
 * against answers captured from etcd 3.4.23's gRPC gateway.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "etcd.h"

#define HDR "\"header\":{\"cluster_id\":\"65618631056251472\"," \
	"\"member_id\":\"7075346882457384643\",\"revision\":\"%s\"," \
	"\"raft_term\":\"2\"}"

static int
decode(const char *method, int status, const char *body,
    struct etcd_result *res)
{
	return etcd_decode(method, status, body, strlen(body), res);
}

static json_t *
parse(char *s)
{
	json_error_t err;
	json_t *j = json_loads(s, 0, &err);

	assert_non_null(j);
	free(s);
	return j;
}

static const char *
jstr(const json_t *o, const char *path)
{
	const json_t *v = json_object_get(o, path);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void
test_prefix_end(void **state)
{
	char *e;
	size_t n;

	e = etcd_prefix_end("abc", 3, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(e, "abd", 3);
	free(e);
	e = etcd_prefix_end("a/", 2, &n);
	assert_int_equal(n, 2);
	assert_memory_equal(e, "a0", 2);
	free(e);
	/* trailing 0xff bytes are dropped, the byte before incremented */
	e = etcd_prefix_end("a\xff\xff", 3, &n);
	assert_int_equal(n, 1);
	assert_memory_equal(e, "b", 1);
	free(e);
	e = etcd_prefix_end("\x01\xfe", 2, &n);
	assert_int_equal(n, 2);
	assert_memory_equal(e, "\x01\xff", 2);
	free(e);
	/* a NUL inside the key is a byte like any other */
	e = etcd_prefix_end("a\0", 2, &n);
	assert_int_equal(n, 2);
	assert_memory_equal(e, "a\x01", 2);
	free(e);
	/* all 0xff, or empty: "\0", to the end of the keyspace */
	e = etcd_prefix_end("\xff\xff", 2, &n);
	assert_int_equal(n, 1);
	assert_int_equal(e[0], 0);
	free(e);
	e = etcd_prefix_end("", 0, &n);
	assert_int_equal(n, 1);
	assert_int_equal(e[0], 0);
	free(e);
}

static void
test_encode_range(void **state)
{
	json_t *j;

	j = parse(etcd_encode_range("foo", 3, 0));
	assert_string_equal(jstr(j, "key"), "Zm9v");
	assert_null(json_object_get(j, "range_end"));
	assert_null(json_object_get(j, "keys_only"));
	assert_null(json_object_get(j, "count_only"));
	json_decref(j);

	j = parse(etcd_encode_range("foo", 3, ETCD_PREFIX | ETCD_KEYS_ONLY));
	assert_string_equal(jstr(j, "range_end"), "Zm9w");   /* "fop" */
	assert_true(json_is_true(json_object_get(j, "keys_only")));
	assert_null(json_object_get(j, "count_only"));
	json_decref(j);

	j = parse(etcd_encode_range("foo", 3, ETCD_PREFIX | ETCD_COUNT_ONLY));
	assert_true(json_is_true(json_object_get(j, "count_only")));
	json_decref(j);

	/* the empty prefix is the whole keyspace: key = range_end = "\0" */
	j = parse(etcd_encode_range("", 0, ETCD_PREFIX));
	assert_string_equal(jstr(j, "key"), "AA==");
	assert_string_equal(jstr(j, "range_end"), "AA==");
	json_decref(j);

	/* a key of 0xff bytes: prefix end "\0" */
	j = parse(etcd_encode_range("\xff", 1, ETCD_PREFIX));
	assert_string_equal(jstr(j, "key"), "/w==");
	assert_string_equal(jstr(j, "range_end"), "AA==");
	json_decref(j);
}

static void
test_encode_put_delete(void **state)
{
	static const char bin[] = { 0, 1, 0, (char)0xff };
	json_t *j;

	j = parse(etcd_encode_put("foo1", bin, sizeof(bin), 0));
	assert_string_equal(jstr(j, "key"), "Zm9vMQ==");
	assert_string_equal(jstr(j, "value"), "AAEA/w==");
	assert_null(json_object_get(j, "lease"));
	json_decref(j);

	j = parse(etcd_encode_put("k", "", 0, 3946175856360127516LL));
	assert_string_equal(jstr(j, "value"), "");
	/* int64 as a string: JSON numbers lose precision past 2^53 */
	assert_string_equal(jstr(j, "lease"), "3946175856360127516");
	json_decref(j);

	j = parse(etcd_encode_put("ab", "xyz", 3, -1));
	assert_string_equal(jstr(j, "key"), "YWI=");
	assert_string_equal(jstr(j, "value"), "eHl6");
	assert_string_equal(jstr(j, "lease"), "-1");
	json_decref(j);

	j = parse(etcd_encode_delete("foo", 3, ETCD_PREFIX));
	assert_string_equal(jstr(j, "key"), "Zm9v");
	assert_string_equal(jstr(j, "range_end"), "Zm9w");
	json_decref(j);
	j = parse(etcd_encode_delete("foo", 3, 0));
	assert_null(json_object_get(j, "range_end"));
	json_decref(j);

	j = parse(etcd_encode_lease("TTL", 30));
	assert_string_equal(jstr(j, "TTL"), "30");
	json_decref(j);
	j = parse(etcd_encode_lease("ID", 12345));
	assert_string_equal(jstr(j, "ID"), "12345");
	json_decref(j);
}

static void
test_encode_watch(void **state)
{
	json_t *j, *cr;

	j = parse(etcd_encode_watch("w", 1, ETCD_PREFIX, 17));
	cr = json_object_get(j, "create_request");
	assert_non_null(cr);
	assert_string_equal(jstr(cr, "key"), "dw==");
	assert_string_equal(jstr(cr, "range_end"), "eA==");
	assert_string_equal(jstr(cr, "start_revision"), "17");
	json_decref(j);
	j = parse(etcd_encode_watch("w", 1, 0, 0));
	cr = json_object_get(j, "create_request");
	assert_null(json_object_get(cr, "start_revision"));
	assert_null(json_object_get(cr, "range_end"));
	json_decref(j);
}

static void
test_encode_txn(void **state)
{
	struct etcd_txn *txn = etcd_txn_new();
	json_t *j, *a, *o, *r;

	etcd_txn_cmp_int(txn, "foo", ETCD_CMP_MOD, ETCD_CMP_EQUAL, 42);
	etcd_txn_cmp_int(txn, "new", ETCD_CMP_CREATE, ETCD_CMP_EQUAL, 0);
	etcd_txn_cmp_int(txn, "v", ETCD_CMP_VERSION, ETCD_CMP_GREATER, 2);
	etcd_txn_cmp_value(txn, "val", ETCD_CMP_NOT_EQUAL, "a\0b", 3);
	etcd_txn_put(txn, 1, "foo", "z", 1, 7);
	etcd_txn_range(txn, 1, "foo", ETCD_PREFIX | ETCD_COUNT_ONLY);
	etcd_txn_delete(txn, 1, "old", ETCD_PREFIX);
	etcd_txn_range(txn, 0, "foo", 0);
	assert_int_equal(etcd_txn_nops(txn), 8);
	assert_int_equal(etcd_txn_read_only(txn), 0);

	j = parse(etcd_encode_txn(txn));
	a = json_object_get(j, "compare");
	assert_int_equal(json_array_size(a), 4);
	o = json_array_get(a, 0);
	assert_string_equal(jstr(o, "key"), "Zm9v");
	assert_string_equal(jstr(o, "target"), "MOD");
	assert_string_equal(jstr(o, "result"), "EQUAL");
	assert_string_equal(jstr(o, "mod_revision"), "42");
	o = json_array_get(a, 1);
	assert_string_equal(jstr(o, "target"), "CREATE");
	assert_string_equal(jstr(o, "create_revision"), "0");
	o = json_array_get(a, 2);
	assert_string_equal(jstr(o, "target"), "VERSION");
	assert_string_equal(jstr(o, "result"), "GREATER");
	assert_string_equal(jstr(o, "version"), "2");
	o = json_array_get(a, 3);
	assert_string_equal(jstr(o, "target"), "VALUE");
	assert_string_equal(jstr(o, "result"), "NOT_EQUAL");
	assert_string_equal(jstr(o, "value"), "YQBi");

	a = json_object_get(j, "success");
	assert_int_equal(json_array_size(a), 3);
	r = json_object_get(json_array_get(a, 0), "request_put");
	assert_string_equal(jstr(r, "value"), "eg==");
	assert_string_equal(jstr(r, "lease"), "7");
	r = json_object_get(json_array_get(a, 1), "request_range");
	assert_string_equal(jstr(r, "range_end"), "Zm9w");
	assert_true(json_is_true(json_object_get(r, "count_only")));
	r = json_object_get(json_array_get(a, 2), "request_delete_range");
	assert_string_equal(jstr(r, "key"), "b2xk");
	assert_string_equal(jstr(r, "range_end"), "b2xl");
	a = json_object_get(j, "failure");
	assert_int_equal(json_array_size(a), 1);
	r = json_object_get(json_array_get(a, 0), "request_range");
	assert_string_equal(jstr(r, "key"), "Zm9v");
	json_decref(j);
	etcd_txn_free(txn);

	/* empty txn: empty lists, read-only */
	txn = etcd_txn_new();
	assert_int_equal(etcd_txn_read_only(txn), 1);
	etcd_txn_range(txn, 0, "x", 0);
	assert_int_equal(etcd_txn_read_only(txn), 1);
	j = parse(etcd_encode_txn(txn));
	assert_int_equal(json_array_size(json_object_get(j, "compare")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "success")), 0);
	json_decref(j);
	etcd_txn_free(txn);
	etcd_txn_free(NULL);
}

static void
test_decode_put_range(void **state)
{
	struct etcd_result r;
	char body[1024];

	snprintf(body, sizeof(body), "{" HDR "}", "2");
	assert_int_equal(decode("put", 200, body, &r), 0);
	assert_true(r.ok);
	assert_int_equal(r.revision, 2);
	assert_false(r.has_prev_kv);
	assert_null(r.error);
	etcd_result_clear(&r);

	snprintf(body, sizeof(body), "{" HDR ",\"prev_kv\":{\"key\":"
	    "\"Zm9vMQ==\",\"create_revision\":\"3\",\"mod_revision\":\"3\","
	    "\"version\":\"1\",\"value\":\"AAEA/w==\"}}", "4");
	assert_int_equal(decode("put", 200, body, &r), 0);
	assert_true(r.has_prev_kv);
	assert_int_equal(r.prev_kv.key_len, 4);
	assert_string_equal(r.prev_kv.key, "foo1");
	assert_int_equal(r.prev_kv.value_len, 4);
	assert_memory_equal(r.prev_kv.value, "\0\1\0\xff", 4);
	assert_int_equal(r.prev_kv.value[4], 0);
	etcd_result_clear(&r);

	snprintf(body, sizeof(body), "{" HDR ",\"kvs\":[{\"key\":\"Zm9v\","
	    "\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":"
	    "\"1\",\"value\":\"YmFy\"},{\"key\":\"Zm9vMQ==\","
	    "\"create_revision\":\"3\",\"mod_revision\":\"4\",\"version\":"
	    "\"2\",\"value\":\"eA==\",\"lease\":\"3946175856360127516\"}],"
	    "\"count\":\"2\"}", "4");
	assert_int_equal(decode("range", 200, body, &r), 0);
	assert_true(r.ok);
	assert_int_equal(r.range.count, 2);
	assert_int_equal(r.range.nkvs, 2);
	assert_false(r.range.more);
	assert_string_equal(r.range.kvs[0].key, "foo");
	assert_string_equal(r.range.kvs[0].value, "bar");
	assert_int_equal(r.range.kvs[1].mod_revision, 4);
	assert_int_equal(r.range.kvs[1].create_revision, 3);
	assert_int_equal(r.range.kvs[1].version, 2);
	assert_int_equal(r.range.kvs[1].lease, 3946175856360127516LL);
	assert_int_equal(r.range.kvs[0].lease, 0);
	etcd_result_clear(&r);

	/* nothing found: kvs and count omitted */
	snprintf(body, sizeof(body), "{" HDR "}", "4");
	assert_int_equal(decode("range", 200, body, &r), 0);
	assert_true(r.ok);
	assert_int_equal(r.range.count, 0);
	assert_int_equal(r.range.nkvs, 0);
	assert_null(r.range.kvs);
	etcd_result_clear(&r);

	/* keys_only: values omitted; limit: more */
	snprintf(body, sizeof(body), "{" HDR ",\"kvs\":[{\"key\":\"Zm9v\","
	    "\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":"
	    "\"1\"}],\"more\":true,\"count\":\"2\"}", "4");
	assert_int_equal(decode("range", 200, body, &r), 0);
	assert_true(r.range.more);
	assert_int_equal(r.range.nkvs, 1);
	assert_non_null(r.range.kvs[0].value);
	assert_int_equal(r.range.kvs[0].value_len, 0);
	etcd_result_clear(&r);

	/* int64 as JSON numbers and as strings, no header at all */
	assert_int_equal(decode("range", 200, "{\"count\":7}", &r), 0);
	assert_int_equal(r.range.count, 7);
	assert_int_equal(r.revision, 0);
	etcd_result_clear(&r);
	assert_int_equal(decode("range", 200,
	    "{\"count\":\"9223372036854775807\"}", &r), 0);
	assert_int_equal(r.range.count, INT64_MAX);
	etcd_result_clear(&r);
}

static void
test_decode_delete_txn(void **state)
{
	struct etcd_result r;
	char body[2048];

	snprintf(body, sizeof(body), "{" HDR ",\"deleted\":\"3\"}", "7");
	assert_int_equal(decode("deleterange", 200, body, &r), 0);
	assert_int_equal(r.deleted, 3);
	assert_int_equal(r.revision, 7);
	etcd_result_clear(&r);
	snprintf(body, sizeof(body), "{" HDR "}", "7");
	assert_int_equal(decode("deleterange", 200, body, &r), 0);
	assert_int_equal(r.deleted, 0);
	etcd_result_clear(&r);

	/* success: put, range, delete */
	snprintf(body, sizeof(body), "{" HDR ",\"succeeded\":true,"
	    "\"responses\":[{\"response_put\":{\"header\":{\"revision\":\"6\"}}},"
	    "{\"response_range\":{\"header\":{\"revision\":\"6\"},\"kvs\":"
	    "[{\"key\":\"bmV3\",\"create_revision\":\"6\",\"mod_revision\":"
	    "\"6\",\"version\":\"1\",\"value\":\"eg==\"}],\"count\":\"1\"}},"
	    "{\"response_delete_range\":{\"header\":{\"revision\":\"6\"},"
	    "\"deleted\":\"1\"}}]}", "6");
	assert_int_equal(decode("txn", 200, body, &r), 0);
	assert_true(r.ok);
	assert_true(r.succeeded);
	assert_int_equal(r.nresponses, 3);
	assert_int_equal(r.responses[0].type, ETCD_OP_PUT);
	assert_int_equal(r.responses[1].type, ETCD_OP_RANGE);
	assert_int_equal(r.responses[1].range.nkvs, 1);
	assert_string_equal(r.responses[1].range.kvs[0].key, "new");
	assert_string_equal(r.responses[1].range.kvs[0].value, "z");
	assert_int_equal(r.responses[2].type, ETCD_OP_DELETE);
	assert_int_equal(r.responses[2].deleted, 1);
	etcd_result_clear(&r);

	/* failure: "succeeded" omitted, the failure ops' results */
	snprintf(body, sizeof(body), "{" HDR ",\"responses\":[{"
	    "\"response_range\":{\"header\":{\"revision\":\"6\"},\"kvs\":"
	    "[{\"key\":\"bmV3\",\"create_revision\":\"6\",\"mod_revision\":"
	    "\"6\",\"version\":\"1\",\"value\":\"eg==\"}],\"count\":\"1\"}}]}",
	    "6");
	assert_int_equal(decode("txn", 200, body, &r), 0);
	assert_true(r.ok);
	assert_false(r.succeeded);
	assert_int_equal(r.nresponses, 1);
	assert_int_equal(r.responses[0].range.kvs[0].mod_revision, 6);
	etcd_result_clear(&r);

	/* an empty txn */
	snprintf(body, sizeof(body), "{" HDR ",\"succeeded\":true}", "6");
	assert_int_equal(decode("txn", 200, body, &r), 0);
	assert_true(r.succeeded);
	assert_int_equal(r.nresponses, 0);
	etcd_result_clear(&r);

	/* an unknown response kind, a response that is not an object */
	assert_int_equal(decode("txn", 200,
	    "{\"responses\":[{\"response_frob\":{}}]}", &r), -1);
	assert_false(r.ok);
	assert_non_null(r.error);
	etcd_result_clear(&r);
	assert_int_equal(decode("txn", 200, "{\"responses\":[1]}", &r), -1);
	etcd_result_clear(&r);
	assert_int_equal(decode("txn", 200, "{\"succeeded\":\"yes\"}", &r), -1);
	etcd_result_clear(&r);
}

static void
test_decode_lease(void **state)
{
	struct etcd_result r;
	char body[1024];

	snprintf(body, sizeof(body), "{" HDR ",\"ID\":\"3946175856360127503\","
	    "\"TTL\":\"30\"}", "4");
	assert_int_equal(decode("lease_grant", 200, body, &r), 0);
	assert_int_equal(r.lease_id, 3946175856360127503LL);
	assert_int_equal(r.lease_ttl, 30);
	etcd_result_clear(&r);

	/* keepalive answers are a one-message stream, with a newline */
	snprintf(body, sizeof(body), "{\"result\":{" HDR ",\"ID\":"
	    "\"3946175856360127516\",\"TTL\":\"30\"}}\n", "7");
	assert_int_equal(decode("lease_keepalive", 200, body, &r), 0);
	assert_int_equal(r.lease_id, 3946175856360127516LL);
	assert_int_equal(r.lease_ttl, 30);
	assert_int_equal(r.revision, 7);
	etcd_result_clear(&r);

	/* a lease that is gone: TTL omitted -> -1 */
	snprintf(body, sizeof(body), "{\"result\":{" HDR ",\"ID\":\"12345\"}}\n",
	    "4");
	assert_int_equal(decode("lease_keepalive", 200, body, &r), 0);
	assert_true(r.ok);
	assert_int_equal(r.lease_ttl, -1);
	etcd_result_clear(&r);

	/* no result, no ID */
	assert_int_equal(decode("lease_keepalive", 200, "{}", &r), -1);
	assert_non_null(strstr(r.error, "no result"));
	etcd_result_clear(&r);
	assert_int_equal(decode("lease_grant", 200, "{\"TTL\":\"5\"}", &r), -1);
	etcd_result_clear(&r);
	/* LeaseGrantResponse.error */
	assert_int_equal(decode("lease_grant", 200,
	    "{\"ID\":\"1\",\"error\":\"lease already exists\"}", &r), -1);
	assert_string_equal(r.error, "etcd: lease already exists");
	etcd_result_clear(&r);

	snprintf(body, sizeof(body), "{" HDR "}", "9");
	assert_int_equal(decode("lease_revoke", 200, body, &r), 0);
	assert_int_equal(r.revision, 9);
	etcd_result_clear(&r);
}

static void
test_decode_errors(void **state)
{
	struct etcd_result r;

	assert_int_equal(decode("lease_revoke", 404,
	    "{\"error\":\"etcdserver: requested lease not found\",\"message\":"
	    "\"etcdserver: requested lease not found\",\"code\":5}", &r), -1);
	assert_false(r.ok);
	assert_int_equal(r.http_status, 404);
	assert_int_equal(r.grpc_code, 5);
	assert_string_equal(r.error, "etcd: requested lease not found");
	etcd_result_clear(&r);
	assert_null(r.error);

	assert_int_equal(decode("range", 400,
	    "{\"error\":\"etcdserver: mvcc: required revision has been "
	    "compacted\",\"message\":\"etcdserver: mvcc: required revision has "
	    "been compacted\",\"code\":11}", &r), -1);
	assert_int_equal(r.grpc_code, 11);
	assert_string_equal(r.error,
	    "etcd: mvcc: required revision has been compacted");
	etcd_result_clear(&r);

	assert_int_equal(decode("range", 400, "{\"error\":\"illegal base64 "
	    "data at input byte 0\",\"message\":\"illegal base64 data at input "
	    "byte 0\",\"code\":3}", &r), -1);
	assert_int_equal(r.grpc_code, 3);
	assert_non_null(strstr(r.error, "illegal base64"));
	etcd_result_clear(&r);

	assert_int_equal(decode("put", 503, "{\"error\":\"etcdserver: no "
	    "leader\",\"message\":\"etcdserver: no leader\",\"code\":14}", &r),
	    -1);
	assert_int_equal(r.http_status, 503);
	assert_int_equal(r.grpc_code, 14);
	assert_string_equal(r.error, "etcd: no leader");
	etcd_result_clear(&r);

	/* an error inside a stream, HTTP 200 */
	assert_int_equal(decode("lease_keepalive", 200, "{\"error\":{"
	    "\"grpc_code\":14,\"http_code\":503,\"message\":\"etcdserver: "
	    "leader changed\",\"http_status\":\"Service Unavailable\"}}", &r),
	    -1);
	assert_int_equal(r.http_status, 503);
	assert_int_equal(r.grpc_code, 14);
	assert_string_equal(r.error, "etcd: leader changed");
	etcd_result_clear(&r);

	/* not JSON at all: the gateway's 404 and 405 */
	assert_int_equal(decode("range", 404, "Not Found\n", &r), -1);
	assert_int_equal(r.http_status, 404);
	assert_string_equal(r.error, "etcd: HTTP 404: Not Found");
	etcd_result_clear(&r);
	assert_int_equal(decode("range", 502, "", &r), -1);
	assert_string_equal(r.error, "etcd: HTTP 502");
	etcd_result_clear(&r);

	/* control characters from outside are not passed on */
	assert_int_equal(decode("range", 500,
	    "{\"error\":\"bad\\u001b[31m\\nthing\",\"code\":2}", &r), -1);
	assert_null(strchr(r.error, '\033'));
	assert_null(strchr(r.error, '\n'));
	etcd_result_clear(&r);

	/* an error without any message */
	assert_int_equal(decode("range", 500, "{\"error\":{}}", &r), -1);
	assert_string_equal(r.error, "etcd: unknown error");
	etcd_result_clear(&r);

	/* 200 but junk */
	assert_int_equal(decode("range", 200, "", &r), -1);
	assert_non_null(strstr(r.error, "not JSON"));
	etcd_result_clear(&r);
	assert_int_equal(decode("range", 200, "{\"count\":", &r), -1);
	etcd_result_clear(&r);
	assert_int_equal(decode("range", 200, "[1,2]", &r), -1);
	assert_non_null(strstr(r.error, "not a JSON object"));
	etcd_result_clear(&r);
	assert_int_equal(decode("range", 200, "{\"kvs\":{}}", &r), -1);
	etcd_result_clear(&r);
	assert_int_equal(decode("range", 200, "{\"kvs\":[7]}", &r), -1);
	etcd_result_clear(&r);
	assert_int_equal(decode("nosuch", 200, "{}", &r), -1);
	assert_non_null(strstr(r.error, "unknown method"));
	etcd_result_clear(&r);
	assert_int_equal(etcd_decode("range", 200, NULL, 0, &r), -1);
	etcd_result_clear(&r);
}

static void
test_decode_bad_fields(void **state)
{
	static const char *bad[] = {
		/* base64 */
		"{\"kvs\":[{\"key\":\"!!!\"}]}",
		"{\"kvs\":[{\"key\":\"Zm9v\",\"value\":\"Zm9v=\"}]}",
		"{\"kvs\":[{\"key\":\"Z\"}]}",
		"{\"kvs\":[{\"key\":\"Zm=v\"}]}",
		"{\"kvs\":[{\"key\":\"Zg===\"}]}",
		"{\"kvs\":[{\"key\":7}]}",
		/* int64 */
		"{\"count\":\"99999999999999999999\"}",
		"{\"count\":\"12x\"}",
		"{\"count\":\"\"}",
		"{\"count\":\" 12\"}",
		"{\"count\":\"+12\"}",
		"{\"count\":1.5}",
		"{\"count\":true}",
		"{\"count\":\"1\\u00002\"}",
		"{\"header\":{\"revision\":\"abc\"}}",
		"{\"header\":7}",
		"{\"kvs\":[{\"key\":\"Zm9v\",\"mod_revision\":[]}]}",
		"{\"more\":\"true\"}",
	};
	struct etcd_result r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(decode("range", 200, bad[i], &r), -1);
		assert_false(r.ok);
		assert_non_null(r.error);
		assert_int_equal(r.range.nkvs, 0);
		etcd_result_clear(&r);
	}
	/* unpadded base64 and int64 limits are accepted */
	assert_int_equal(decode("range", 200, "{\"kvs\":[{\"key\":\"Zm9vMQ\","
	    "\"value\":\"\"}],\"count\":\"-9223372036854775808\"}", &r), 0);
	assert_string_equal(r.range.kvs[0].key, "foo1");
	assert_int_equal(r.range.count, INT64_MIN);
	etcd_result_clear(&r);
	/* null fields are absent fields */
	assert_int_equal(decode("range", 200, "{\"kvs\":null,\"count\":null}",
	    &r), 0);
	etcd_result_clear(&r);
}

static void
test_decode_huge(void **state)
{
	struct etcd_result r;
	size_t n = (size_t)ETCD_MAX_ANSWER + 1, i;
	char *big = malloc(n + 1);
	char *body, *p;

	assert_non_null(big);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = '\0';
	assert_int_equal(etcd_decode("range", 200, big, n, &r), -1);
	assert_non_null(strstr(r.error, "larger than"));
	etcd_result_clear(&r);
	free(big);

	/* many kvs, within the limit */
	body = malloc(100000 * 16 + 64);
	assert_non_null(body);
	p = body;
	p = stpcpy(p, "{\"kvs\":[");
	for (i = 0; i < 100000; i++)
		p = stpcpy(p, i == 0 ? "{\"key\":\"YQ==\"}" :
		    ",{\"key\":\"YQ==\"}");
	strcpy(p, "]}");
	assert_int_equal(decode("range", 200, body, &r), 0);
	assert_int_equal(r.range.nkvs, 100000);
	etcd_result_clear(&r);
	free(body);

	/* deep nesting is refused, not a crash */
	body = malloc(2 * 100000 + 16);
	assert_non_null(body);
	for (i = 0; i < 100000; i++)
		body[i] = '[';
	for (i = 0; i < 100000; i++)
		body[100000 + i] = ']';
	body[200000] = '\0';
	assert_int_equal(decode("range", 200, body, &r), -1);
	etcd_result_clear(&r);
	free(body);
}

static void
test_decode_watch(void **state)
{
	struct etcd_watch_response wr;
	char *cause = NULL;
	const char *s;

	s = "{\"result\":{\"header\":{\"cluster_id\":\"1731205055144751719\","
	    "\"member_id\":\"2182067637411304504\",\"revision\":\"1\","
	    "\"raft_term\":\"2\"},\"created\":true}}";
	assert_int_equal(etcd_decode_watch(s, strlen(s), &wr, &cause), 0);
	assert_true(wr.created);
	assert_false(wr.canceled);
	assert_int_equal(wr.revision, 1);
	assert_int_equal(wr.nevents, 0);
	etcd_watch_response_clear(&wr);

	s = "{\"result\":{\"header\":{\"revision\":\"5\"},\"events\":[{\"kv\":"
	    "{\"key\":\"dzM=\",\"create_revision\":\"5\",\"mod_revision\":\"5\","
	    "\"version\":\"1\",\"value\":\"Mw==\"}},{\"type\":\"DELETE\",\"kv\":"
	    "{\"key\":\"dzE=\",\"mod_revision\":\"5\"}}]}}";
	assert_int_equal(etcd_decode_watch(s, strlen(s), &wr, &cause), 0);
	assert_int_equal(wr.nevents, 2);
	assert_int_equal(wr.events[0].type, ETCD_EVENT_PUT);
	assert_string_equal(wr.events[0].kv.key, "w3");
	assert_string_equal(wr.events[0].kv.value, "3");
	assert_int_equal(wr.events[1].type, ETCD_EVENT_DELETE);
	assert_string_equal(wr.events[1].kv.key, "w1");
	assert_int_equal(wr.events[1].kv.value_len, 0);
	assert_int_equal(wr.events[1].kv.mod_revision, 5);
	etcd_watch_response_clear(&wr);

	s = "{\"result\":{\"header\":{\"raft_term\":\"2\"},\"canceled\":true,"
	    "\"compact_revision\":\"4\"}}";
	assert_int_equal(etcd_decode_watch(s, strlen(s), &wr, &cause), 0);
	assert_true(wr.canceled);
	assert_int_equal(wr.compact_revision, 4);
	etcd_watch_response_clear(&wr);

	s = "{\"result\":{\"header\":{\"revision\":\"9\"},\"watch_id\":\"-1\","
	    "\"created\":true,\"canceled\":true,\"cancel_reason\":"
	    "\"mvcc: watcher range is empty\"}}";
	assert_int_equal(etcd_decode_watch(s, strlen(s), &wr, &cause), 0);
	assert_int_equal(wr.watch_id, -1);
	assert_string_equal(wr.cancel_reason, "mvcc: watcher range is empty");
	etcd_watch_response_clear(&wr);

	s = "{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":"
	    "\"etcdserver: no leader\",\"http_status\":\"Service Unavailable\"}}";
	assert_int_equal(etcd_decode_watch(s, strlen(s), &wr, &cause), -1);
	assert_string_equal(cause, "etcd: no leader");
	free(cause);

	static const char *bad[] = {
		"", "{", "[]", "{}", "{\"result\":7}",
		"{\"result\":{\"events\":{}}}",
		"{\"result\":{\"events\":[{\"type\":\"FROB\",\"kv\":{}}]}}",
		"{\"result\":{\"events\":[{\"type\":\"PUT\"}]}}",
		"{\"result\":{\"events\":[{\"kv\":{\"key\":\"@@\"}}]}}",
		"{\"result\":{\"created\":1}}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cause = NULL;
		assert_int_equal(etcd_decode_watch(bad[i], strlen(bad[i]), &wr,
		    &cause), -1);
		assert_non_null(cause);
		assert_int_equal(wr.nevents, 0);
		free(cause);
	}
	etcd_watch_response_clear(NULL);
}

static void
test_result_clear(void **state)
{
	struct etcd_result r;

	memset(&r, 0, sizeof(r));
	etcd_result_clear(&r);
	etcd_result_clear(&r);
	etcd_result_clear(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_end),
		cmocka_unit_test(test_encode_range),
		cmocka_unit_test(test_encode_put_delete),
		cmocka_unit_test(test_encode_watch),
		cmocka_unit_test(test_encode_txn),
		cmocka_unit_test(test_decode_put_range),
		cmocka_unit_test(test_decode_delete_txn),
		cmocka_unit_test(test_decode_lease),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_decode_bad_fields),
		cmocka_unit_test(test_decode_huge),
		cmocka_unit_test(test_decode_watch),
		cmocka_unit_test(test_result_clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
