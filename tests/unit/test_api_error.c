/*
 * test_api_error.c: how failures map to HTTP answers, If-Match parsing,
 * the etcd key names, HOST:PORT parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api.h"
#include "etcd.h"
#include "server.h"

static void
test_etcd_status(void **state)
{
	struct etcd_result r;

	memset(&r, 0, sizeof(r));
	assert_int_equal(api_etcd_status(NULL), 500);
	r.http_status = 0;   /* nobody answered */
	r.error = "etcd: no member answered (http://127.0.0.1:1: Couldn't connect)";
	assert_int_equal(api_etcd_status(&r), 503);
	r.http_status = 503;
	assert_int_equal(api_etcd_status(&r), 503);
	r.http_status = 500;
	r.error = "etcdserver: no leader";
	assert_int_equal(api_etcd_status(&r), 503);
	r.error = "etcdserver: request timed out";
	assert_int_equal(api_etcd_status(&r), 503);
	r.http_status = 400;
	r.error = "etcdserver: mvcc: required revision has been compacted";
	assert_int_equal(api_etcd_status(&r), 500);
}

static void
test_error_body(void **state)
{
	json_t *d = json_pack("[{s:s, s:i, s:i, s:s}]", "path", "spec.orgs[0].mspId",
	    "line", 7, "column", 13, "message", "duplicate");
	json_t *b = api_error_body("the document has 1 error", d);
	char *s = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);

	assert_string_equal(s, "{\"details\":[{\"column\":13,\"line\":7,\"message\":"
	    "\"duplicate\",\"path\":\"spec.orgs[0].mspId\"}],\"error\":\"the document has 1 error\"}");
	free(s);
	json_decref(b);
	b = api_error_body(NULL, NULL);
	assert_string_equal(json_string_value(json_object_get(b, "error")), "error");
	assert_null(json_object_get(b, "details"));
	json_decref(b);
}

static void
test_if_match(void **state)
{
	long long r = -1;

	assert_int_equal(api_parse_if_match("7", &r), 0);
	assert_int_equal(r, 7);
	assert_int_equal(api_parse_if_match("\"42\"", &r), 0);
	assert_int_equal(r, 42);
	assert_int_equal(api_parse_if_match("  0 ", &r), 0);
	assert_int_equal(r, 0);
	assert_int_equal(api_parse_if_match("9223372036854775807", &r), 0);
	assert_int_equal(api_parse_if_match("9223372036854775808", &r), -1);
	assert_int_equal(api_parse_if_match("-1", &r), -1);
	assert_int_equal(api_parse_if_match("W/\"3\"", &r), -1);
	assert_int_equal(api_parse_if_match("*", &r), -1);
	assert_int_equal(api_parse_if_match("", &r), -1);
	assert_int_equal(api_parse_if_match("\"\"", &r), -1);
	assert_int_equal(api_parse_if_match("12abc", &r), -1);
	assert_int_equal(api_parse_if_match(NULL, &r), -1);
}

static void
test_keys(void **state)
{
	const char *k;
	char *s;

	s = api_spec_key("trade");
	assert_string_equal(s, "/fabfed/v1/consortia/trade/spec");
	free(s);
	s = api_consortium_prefix("trade");
	assert_string_equal(s, "/fabfed/v1/consortia/trade/");
	free(s);
	k = "/fabfed/v1/consortia/trade/spec";
	s = api_spec_key_name(k, strlen(k));
	assert_string_equal(s, "trade");
	free(s);
	k = "/fabfed/v1/consortia/trade/orgs/Org1MSP/spec";
	assert_null(api_spec_key_name(k, strlen(k)));
	k = "/fabfed/v1/consortia//spec";
	assert_null(api_spec_key_name(k, strlen(k)));
	k = "/fabfed/v1/consortia/trade/status";
	assert_null(api_spec_key_name(k, strlen(k)));
	k = "/fabfed/v1/other/trade/spec";
	assert_null(api_spec_key_name(k, strlen(k)));
}

static void
test_hostport(void **state)
{
	char *h = NULL;
	int p = -1;

	assert_int_equal(server_split_hostport("127.0.0.1:0", &h, &p), 0);
	assert_string_equal(h, "127.0.0.1");
	assert_int_equal(p, 0);
	free(h);
	assert_int_equal(server_split_hostport("[::1]:7443", &h, &p), 0);
	assert_string_equal(h, "::1");
	assert_int_equal(p, 7443);
	free(h);
	assert_int_equal(server_split_hostport("localhost:65535", &h, &p), 0);
	free(h);
	assert_int_equal(server_split_hostport("localhost:65536", &h, &p), -1);
	assert_int_equal(server_split_hostport("localhost", &h, &p), -1);
	assert_int_equal(server_split_hostport(":80", &h, &p), -1);
	assert_int_equal(server_split_hostport("::1:80", &h, &p), -1);
	assert_int_equal(server_split_hostport("[::1]80", &h, &p), -1);
	assert_int_equal(server_split_hostport("a:b", &h, &p), -1);
	assert_int_equal(server_split_hostport(NULL, &h, &p), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_etcd_status),
		cmocka_unit_test(test_error_body),
		cmocka_unit_test(test_if_match),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_hostport),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
