/*
 * test_cli.c: fabfedctl's modules (cli/ctl_*.c): command line, admin.conf,
 * the consortium document's name, tables, YAML, diff, error printing and
 * exit codes, and a connection failure through the real libcurl client.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl.h"

/* ---- helpers ---- */

struct capture {
	FILE *fp;
	char *data;
	size_t len;
};

static void
cap_open(struct capture *c)
{
	c->data = NULL;
	c->len = 0;
	c->fp = open_memstream(&c->data, &c->len);
	assert_non_null(c->fp);
}

/* Closes the stream; c->data stays for the test to read and free. */
static const char *
cap_close(struct capture *c)
{
	assert_int_equal(fclose(c->fp), 0);
	c->fp = NULL;
	return c->data;
}

/* The end of parse()'s arguments: a typed null pointer. */
#define END ((const char *)NULL)

static int
parse(struct ctl_args *a, char **cause, ...)
{
	char *argv[32];
	int argc = 0, ret;
	va_list ap;
	const char *s;

	argv[argc++] = (char *)"fabfedctl";
	va_start(ap, cause);
	while ((s = va_arg(ap, const char *)) != NULL && argc < 31)
		argv[argc++] = (char *)(uintptr_t)s;
	va_end(ap);
	argv[argc] = NULL;
	*cause = NULL;
	ret = ctl_args_parse(argc, argv, a, cause);
	if (ret == 0)
		assert_null(*cause);
	else
		assert_non_null(*cause);
	return ret;
}

static char tmpdir[64];

static int
setup_tmp(void **state)
{
	strcpy(tmpdir, "/tmp/test_cli.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int
teardown_tmp(void **state)
{
	char *cmd;

	if (asprintf(&cmd, "rm -rf '%s'", tmpdir) < 0)
		return -1;
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

/* Writes data to tmpdir/name with mode; returns the path (caller frees). */
static char *
write_file(const char *name, const char *data, size_t len, mode_t mode)
{
	char *path;
	int fd;

	assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd != -1);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static json_t *
js(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);

	if (v == NULL)
		fail_msg("bad test JSON at %d:%d: %s", e.line, e.column, e.text);
	return v;
}

/* ---- command line ---- */

static void
test_args_apply(void **state)
{
	struct ctl_args a;
	char *cause;

	assert_int_equal(parse(&a, &cause, "--config", "/etc/admin.conf",
	    "--timeout=5", "apply", "-f", "topo.yaml", "--if-match", "7",
	    END), 0);
	assert_int_equal(a.cmd, CTL_CMD_APPLY);
	assert_string_equal(a.config, "/etc/admin.conf");
	assert_string_equal(a.file, "topo.yaml");
	assert_string_equal(a.if_match, "7");
	assert_int_equal(a.timeout, 5);
	assert_null(a.controller);

	/* Options after the command, attached values, stdin. */
	assert_int_equal(parse(&a, &cause, "apply", "-f-",
	    "--controller=https://h:1", END), 0);
	assert_string_equal(a.file, "-");
	assert_string_equal(a.controller, "https://h:1");
	assert_int_equal(a.timeout, CTL_TIMEOUT_DEFAULT);

	assert_int_equal(parse(&a, &cause, "diff", "--filename", "x.json",
	    END), 0);
	assert_int_equal(a.cmd, CTL_CMD_DIFF);
	assert_string_equal(a.file, "x.json");
}

static void
test_args_get_delete(void **state)
{
	struct ctl_args a;
	char *cause;

	assert_int_equal(parse(&a, &cause, "get", "consortia", END), 0);
	assert_int_equal(a.cmd, CTL_CMD_GET_LIST);
	assert_int_equal(a.format, CTL_FORMAT_TABLE);
	assert_null(a.name);

	assert_int_equal(parse(&a, &cause, "get", "consortia", "-o", "json",
	    END), 0);
	assert_int_equal(a.format, CTL_FORMAT_JSON);

	assert_int_equal(parse(&a, &cause, "get", "consortium",
	    "trade-finance", "-oyaml", END), 0);
	assert_int_equal(a.cmd, CTL_CMD_GET_ONE);
	assert_string_equal(a.name, "trade-finance");
	assert_int_equal(a.format, CTL_FORMAT_YAML);

	assert_int_equal(parse(&a, &cause, "get", "consortium/tf", END), 0);
	assert_int_equal(a.cmd, CTL_CMD_GET_ONE);
	assert_string_equal(a.name, "tf");

	assert_int_equal(parse(&a, &cause, "delete", "consortium", "tf",
	    "--if-match", "0", END), 0);
	assert_int_equal(a.cmd, CTL_CMD_DELETE);
	assert_string_equal(a.name, "tf");
	assert_string_equal(a.if_match, "0");

	assert_int_equal(parse(&a, &cause, "version", END), 0);
	assert_int_equal(a.cmd, CTL_CMD_VERSION);
	assert_false(ctl_args_needs_controller(&a));
	assert_int_equal(parse(&a, &cause, "-h", END), 0);
	assert_int_equal(a.cmd, CTL_CMD_HELP);
	assert_int_equal(parse(&a, &cause, "get", "--help", END), 0);
	assert_int_equal(a.cmd, CTL_CMD_HELP);
}

static void
test_args_errors(void **state)
{
	static const struct {
		const char *argv[6];
		const char *needle;
	} bad[] = {
		{ { NULL }, "no command" },
		{ { "frobnicate", NULL }, "unknown command \"frobnicate\"" },
		{ { "apply", NULL }, "apply needs -f FILE" },
		{ { "apply", "-f", NULL }, "needs a value" },
		{ { "apply", "-f", "a", "-f", "b", NULL }, "given twice" },
		{ { "apply", "-f", "a", "extra", NULL }, "unexpected argument" },
		{ { "apply", "-f", "a", "--if-match", "abc", NULL },
		    "revision number" },
		{ { "apply", "-f", "a", "--if-match", "-1", NULL },
		    "revision number" },
		{ { "apply", "-f", "a", "--if-match",
		    "99999999999999999999", NULL }, "out of range" },
		{ { "--timeout", "0", "version", NULL }, "--timeout" },
		{ { "--timeout", "10s", "version", NULL }, "--timeout" },
		{ { "--timeout", "", "version", NULL }, "--timeout" },
		{ { "get", NULL }, "get needs a resource" },
		{ { "get", "peers", NULL }, "unknown resource \"peers\"" },
		{ { "get", "consortia", "-o", "xml", NULL }, "-o wants" },
		{ { "get", "consortia", "-f", "x", NULL }, "-f is for apply" },
		{ { "get", "consortium", "a", "b", NULL },
		    "unexpected argument \"b\"" },
		{ { "delete", "consortium", NULL }, "delete needs a name" },
		{ { "delete", "consortium/", NULL }, "name is empty" },
		{ { "diff", "-f", "x", "--if-match", "1", NULL },
		    "--if-match is for apply and delete" },
		{ { "apply", "-f", "x", "-o", "json", NULL }, "-o is for get" },
		{ { "--bogus", "version", NULL }, "unknown option \"--bogus\"" },
		{ { "-z", "version", NULL }, "unknown option \"-z\"" },
		{ { "--help=yes", NULL }, "takes no value" },
		{ { "version", "now", NULL }, "unexpected argument" },
	};
	struct ctl_args a;
	char *argv[8], *cause;
	size_t i;
	int argc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		argc = 0;
		argv[argc++] = (char *)"fabfedctl";
		while (argc < 7 && bad[i].argv[argc - 1] != NULL) {
			argv[argc] = (char *)(uintptr_t)bad[i].argv[argc - 1];
			argc++;
		}
		argv[argc] = NULL;
		cause = NULL;
		if (ctl_args_parse(argc, argv, &a, &cause) != -1)
			fail_msg("case %zu parsed", i);
		assert_non_null(cause);
		if (strstr(cause, bad[i].needle) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, cause,
			    bad[i].needle);
		free(cause);
	}
}

static void
test_args_env(void **state)
{
	struct ctl_args a;
	char *cause;

	unsetenv("FABFED_CONFIG");
	unsetenv("FABFED_CONTROLLER");
	assert_int_equal(parse(&a, &cause, "get", "consortia", END), 0);
	assert_int_equal(ctl_args_env(&a, &cause), -1);
	assert_non_null(strstr(cause, "--config FILE"));
	assert_non_null(strstr(cause, "FABFED_CONFIG"));
	free(cause);

	/* version needs no admin.conf. */
	assert_int_equal(parse(&a, &cause, "version", END), 0);
	assert_int_equal(ctl_args_env(&a, &cause), 0);

	setenv("FABFED_CONFIG", "/srv/fabfed/admin.conf", 1);
	setenv("FABFED_CONTROLLER", "https://10.0.0.1:7443", 1);
	assert_int_equal(parse(&a, &cause, "get", "consortia", END), 0);
	assert_int_equal(ctl_args_env(&a, &cause), 0);
	assert_string_equal(a.config, "/srv/fabfed/admin.conf");
	assert_string_equal(a.controller, "https://10.0.0.1:7443");

	/* The command line wins over the environment. */
	assert_int_equal(parse(&a, &cause, "--config", "mine.conf",
	    "--controller", "https://h:2", "get", "consortia", END), 0);
	assert_int_equal(ctl_args_env(&a, &cause), 0);
	assert_string_equal(a.config, "mine.conf");
	assert_string_equal(a.controller, "https://h:2");
	unsetenv("FABFED_CONFIG");
	unsetenv("FABFED_CONTROLLER");
}

/* ---- admin.conf ---- */

static void
test_conf_relative(void **state)
{
	static const char conf_text[] =
	    "{\"controller\": \"https://127.0.0.1:7443/\",\n"
	    " \"ca\": \"ca.crt\", \"cert\": \"sub/admin.crt\",\n"
	    " \"key\": \"/abs/admin.key\"}\n";
	struct ctl_conf conf;
	char *path, *cause, *want;

	path = write_file("admin.conf", conf_text, strlen(conf_text), 0600);
	assert_int_equal(ctl_conf_load(path, NULL, &conf, &cause), 0);
	assert_null(cause);
	assert_string_equal(conf.controller, "https://127.0.0.1:7443");
	assert_true(asprintf(&want, "%s/ca.crt", tmpdir) > 0);
	assert_string_equal(conf.ca, want);
	free(want);
	assert_true(asprintf(&want, "%s/sub/admin.crt", tmpdir) > 0);
	assert_string_equal(conf.cert, want);
	free(want);
	assert_string_equal(conf.key, "/abs/admin.key");
	ctl_conf_free(&conf);

	/* --controller overrides; "host:port" gets https://. */
	assert_int_equal(ctl_conf_load(path, "127.0.0.1:9999", &conf, &cause),
	    0);
	assert_string_equal(conf.controller, "https://127.0.0.1:9999");
	ctl_conf_free(&conf);
	free(path);

	/* A conf named without a directory: relative to the cwd. */
	assert_int_equal(ctl_conf_parse(conf_text, strlen(conf_text),
	    "admin.conf", NULL, NULL, &conf, &cause), 0);
	assert_string_equal(conf.ca, "ca.crt");
	ctl_conf_free(&conf);
	assert_int_equal(ctl_conf_parse(conf_text, strlen(conf_text),
	    "/admin.conf", "/", NULL, &conf, &cause), 0);
	assert_string_equal(conf.ca, "/ca.crt");
	ctl_conf_free(&conf);
}

static void
test_conf_errors(void **state)
{
	static const struct {
		const char *text;
		const char *override;
		const char *needle;
	} bad[] = {
		{ "{\"ca\": \"a\", \"cert\": \"b\", \"key\": \"c\"}", NULL,
		    "\"controller\" is missing" },
		{ "{\"controller\": \"https://h:1\", \"cert\": \"b\", "
		    "\"key\": \"c\"}", NULL, "\"ca\" is missing" },
		{ "{\"controller\": \"https://h:1\", \"ca\": \"a\", "
		    "\"cert\": \"b\"}", NULL, "\"key\" is missing" },
		{ "{\"controller\": \"https://h:1\", \"ca\": 7, "
		    "\"cert\": \"b\", \"key\": \"c\"}", NULL,
		    "\"ca\" must be a non-empty string" },
		{ "{\"controller\": \"https://h:1\", \"ca\": \"\", "
		    "\"cert\": \"b\", \"key\": \"c\"}", NULL,
		    "\"ca\" must be a non-empty string" },
		{ "{\"controller\": \"http://h:1\", \"ca\": \"a\", "
		    "\"cert\": \"b\", \"key\": \"c\"}", NULL, "not https://" },
		{ "{\"ca\": \"a\", \"cert\": \"b\", \"key\": \"c\"}",
		    "ftp://h", "--controller/FABFED_CONTROLLER" },
		{ "{\"controller\": \"https://\", \"ca\": \"a\", "
		    "\"cert\": \"b\", \"key\": \"c\"}", NULL, "no usable host" },
		{ "{\"controller\": \"https://h:1\",\n \"ca\": }", NULL,
		    "x.conf:2:8: not valid JSON" },
		{ "[1, 2]", NULL, "not a JSON object" },
		{ "{\"ca\": \"a\", \"ca\": \"b\"}", NULL, "not valid JSON" },
	};
	struct ctl_conf conf;
	char *cause;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cause = NULL;
		if (ctl_conf_parse(bad[i].text, strlen(bad[i].text), "x.conf",
		    "/d", bad[i].override, &conf, &cause) != -1)
			fail_msg("case %zu parsed", i);
		assert_non_null(cause);
		if (strstr(cause, bad[i].needle) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, cause,
			    bad[i].needle);
		assert_null(conf.controller);
		free(cause);
	}

	/* Missing file. */
	assert_int_equal(ctl_conf_load("/nonexistent/admin.conf", NULL, &conf,
	    &cause), -1);
	assert_non_null(strstr(cause, "cannot open /nonexistent/admin.conf"));
	free(cause);
}

static void
test_conf_check(void **state)
{
	static const char conf_text[] = "{\"controller\": \"https://h:1\", "
	    "\"ca\": \"ca.crt\", \"cert\": \"admin.crt\", \"key\": "
	    "\"admin.key\"}";
	struct capture err;
	struct ctl_conf conf;
	char *path, *p, *cause;

	path = write_file("admin.conf", conf_text, strlen(conf_text), 0600);
	assert_int_equal(ctl_conf_load(path, NULL, &conf, &cause), 0);
	cap_open(&err);
	assert_int_equal(ctl_conf_check(&conf, err.fp, &cause), -1);
	assert_non_null(strstr(cause, "cannot read the CA certificate"));
	free(cause);
	free(write_file("ca.crt", "x", 1, 0644));
	free(write_file("admin.crt", "x", 1, 0644));
	p = write_file("admin.key", "x", 1, 0644);
	assert_int_equal(ctl_conf_check(&conf, err.fp, &cause), 0);
	cap_close(&err);
	assert_non_null(strstr(err.data, "warning: the client key"));
	assert_non_null(strstr(err.data, "chmod 600"));
	free(err.data);

	assert_int_equal(chmod(p, 0600), 0);
	cap_open(&err);
	assert_int_equal(ctl_conf_check(&conf, err.fp, &cause), 0);
	cap_close(&err);
	assert_int_equal(err.len, 0);
	free(err.data);
	free(p);
	free(path);
	ctl_conf_free(&conf);
}

/* ---- the document's name ---- */

static void
test_doc_name(void **state)
{
	static const struct {
		const char *text;
		const char *name;
	} good[] = {
		{ "apiVersion: fabfed.io/v1alpha1\nkind: Consortium\n"
		    "metadata:\n  name: trade-finance\nspec: {}\n",
		    "trade-finance" },
		/* metadata after a deep spec, labels before name */
		{ "spec:\n  orgs:\n  - mspId: A\n    peers: [{name: x}]\n"
		    "  channels: []\nmetadata:\n  labels: {a: [1, {b: 2}]}\n"
		    "  name: late\n", "late" },
		{ "{\"apiVersion\": \"fabfed.io/v1alpha1\", \"metadata\": "
		    "{\"uid\": [1], \"name\": \"json-doc\"}}", "json-doc" },
		{ "---\nmetadata: {name: \"quoted\"}\n", "quoted" },
		/* a later syntax error is the controller's to report */
		{ "metadata:\n  name: early\nspec: [\n", "early" },
	};
	static const struct {
		const char *text;
		const char *needle;
	} bad[] = {
		{ "apiVersion: x\nkind: Consortium\n", "has no metadata.name" },
		{ "metadata:\n  labels: {}\n", "has no metadata.name" },
		{ "metadata: trade\n", "metadata that is not a mapping" },
		{ "metadata: [a]\n", "metadata that is not a mapping" },
		{ "metadata:\n  name: [a]\n", "metadata.name that is not a "
		    "string" },
		{ "metadata:\n  name: \"\"\n", "empty metadata.name" },
		{ "- a\n- b\n", "is not a mapping" },
		{ "just text\n", "is not a mapping" },
		{ "m: &x {name: a}\nmetadata: *x\n", "alias" },
		{ "kind: Consortium\n  bad: indent\nmetadata:\n  name: x\n",
		    "doc.yaml:2:6: not valid YAML or JSON" },
		{ "{\"kind\": \"C\",, \"metadata\": {\"name\": \"x\"}}",
		    "doc.yaml:1:" },
		{ "metadata:\n  name:\n", "empty metadata.name" },
	};
	char *name, *cause;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (ctl_doc_name(good[i].text, strlen(good[i].text), "doc.yaml",
		    &name, &cause) != 0)
			fail_msg("good case %zu: %s", i, cause);
		assert_string_equal(name, good[i].name);
		free(name);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cause = NULL;
		if (ctl_doc_name(bad[i].text, strlen(bad[i].text), "doc.yaml",
		    &name, &cause) != -1)
			fail_msg("bad case %zu found \"%s\"", i, name);
		assert_null(name);
		if (strstr(cause, bad[i].needle) == NULL)
			fail_msg("bad case %zu: \"%s\" lacks \"%s\"", i, cause,
			    bad[i].needle);
		free(cause);
	}
}

static void
test_doc_read(void **state)
{
	struct ctl_doc doc;
	char *path, *big, *cause;

	path = write_file("c.yaml", "metadata: {name: a}\n", 20, 0644);
	assert_int_equal(ctl_doc_read(path, &doc, &cause), 0);
	assert_string_equal(doc.label, path);
	assert_int_equal(doc.len, 20);
	assert_string_equal(doc.data, "metadata: {name: a}\n");
	ctl_doc_free(&doc);
	free(path);

	/* Exactly the limit is fine, one byte more is refused. */
	big = malloc(CTL_DOC_MAX + 1);
	assert_non_null(big);
	memset(big, '#', CTL_DOC_MAX + 1);
	big[0] = 'a';
	big[1] = ':';
	big[2] = ' ';
	big[3] = '1';
	big[4] = '\n';
	path = write_file("max.yaml", big, CTL_DOC_MAX, 0644);
	assert_int_equal(ctl_doc_read(path, &doc, &cause), 0);
	assert_int_equal(doc.len, CTL_DOC_MAX);
	ctl_doc_free(&doc);
	free(path);
	path = write_file("big.yaml", big, CTL_DOC_MAX + 1, 0644);
	assert_int_equal(ctl_doc_read(path, &doc, &cause), -1);
	assert_non_null(strstr(cause, "larger than 1 MiB"));
	assert_null(doc.data);
	free(cause);
	free(path);
	free(big);

	path = write_file("empty.yaml", "  \n\n", 4, 0644);
	assert_int_equal(ctl_doc_read(path, &doc, &cause), -1);
	assert_non_null(strstr(cause, "is empty"));
	free(cause);
	free(path);

	assert_int_equal(ctl_doc_read("/nonexistent.yaml", &doc, &cause), -1);
	assert_non_null(strstr(cause, "cannot open /nonexistent.yaml"));
	free(cause);
}

/* ---- tables ---- */

static void
test_table(void **state)
{
	static const char *const hdr[] = { "NAME", "ORGS", "REVISION" };
	static const char *const r1[] = { "trade-finance", "3", "7" };
	static const char *const r2[] = { "b\x1b[31m", NULL, "12" };
	static const char *const r3[] = { "caf\xc3\xa9", "", "1" };
	struct ctl_table *t;
	struct capture out;

	t = ctl_table_new(3, hdr);
	assert_int_equal(ctl_table_rows(t), 0);
	ctl_table_add(t, r1);
	ctl_table_add(t, r2);
	ctl_table_add(t, r3);
	assert_int_equal(ctl_table_rows(t), 3);
	cap_open(&out);
	ctl_table_print(t, out.fp);
	cap_close(&out);
	assert_string_equal(out.data,
	    "NAME            ORGS     REVISION\n"
	    "trade-finance   3        7\n"
	    "b?[31m          <none>   12\n"
	    "caf\xc3\xa9            <none>   1\n");
	free(out.data);
	ctl_table_free(t);
	ctl_table_free(NULL);
}

static void
test_get_list(void **state)
{
	struct capture out;
	json_t *answer;
	char *cause;

	answer = js("{\"items\": ["
	    "{\"name\": \"alpha\", \"revision\": 12, \"orgs\": 3, "
	    "\"peers\": 6, \"orderers\": 3, \"channels\": 2},"
	    "{\"name\": \"trade-finance\", \"revision\": 7, \"orgs\": 10, "
	    "\"peers\": 20, \"orderers\": 5, \"channels\": 1}]}");
	cap_open(&out);
	assert_int_equal(ctl_get_print_list(out.fp, answer, &cause), 0);
	cap_close(&out);
	assert_string_equal(out.data,
	    "NAME            ORGS   PEERS   ORDERERS   CHANNELS   REVISION\n"
	    "alpha           3      6       3          2          12\n"
	    "trade-finance   10     20      5          1          7\n");
	free(out.data);
	json_decref(answer);

	answer = js("{\"nothing\": 1}");
	cap_open(&out);
	assert_int_equal(ctl_get_print_list(out.fp, answer, &cause), -1);
	cap_close(&out);
	assert_non_null(strstr(cause, "\"items\""));
	free(cause);
	free(out.data);
	json_decref(answer);
}

static const char consortium_answer[] =
    "{\"name\": \"trade-finance\", \"revision\": 7, \"createRevision\": 5,"
    " \"document\": {\"apiVersion\": \"fabfed.io/v1alpha1\","
    " \"kind\": \"Consortium\", \"metadata\": {\"name\": \"trade-finance\"},"
    " \"spec\": {\"fabricVersion\": \"2.5\", \"orgs\": ["
    "  {\"mspId\": \"Org1MSP\", \"domain\": \"org1.example.com\","
    "   \"cluster\": {\"name\": \"beijing-prod\", \"region\": \"cn-north\"},"
    "   \"peers\": [{\"name\": \"peer0\", \"endpoint\": \"p0:7051\","
    "     \"anchor\": true, \"stateDatabase\": \"leveldb\"},"
    "    {\"name\": \"peer1\", \"endpoint\": \"p1:7051\", \"anchor\": false,"
    "     \"stateDatabase\": \"couchdb\"}],"
    "   \"orderers\": [{\"name\": \"orderer0\", \"endpoint\": \"o0:7050\"}]},"
    "  {\"mspId\": \"Org2MSP\", \"domain\": \"org2.example.com\","
    "   \"cluster\": {\"name\": \"shanghai-prod\", \"region\": \"cn-east\"},"
    "   \"peers\": [], \"orderers\": []}],"
    " \"channels\": [{\"name\": \"trade\","
    "   \"consenters\": [\"Org1MSP/orderer0\"],"
    "   \"members\": [\"Org1MSP\", \"Org2MSP\"],"
    "   \"policies\": {\"admins\": \"MAJORITY\", \"endorsement\": \"ANY\"},"
    "   \"batch\": {\"timeout\": \"2s\", \"maxMessageCount\": 500}}]}}}";

static void
test_get_one(void **state)
{
	struct capture out;
	json_t *answer;
	char *cause;

	answer = js(consortium_answer);
	cap_open(&out);
	assert_int_equal(ctl_get_print_one(out.fp, answer, &cause), 0);
	cap_close(&out);
	assert_string_equal(out.data,
	    "Name:            trade-finance\n"
	    "Revision:        7\n"
	    "Fabric version:  2.5\n"
	    "\n"
	    "ORGS\n"
	    "MSP ID    DOMAIN             CLUSTER         REGION     "
	    "PEERS         ORDERERS\n"
	    "Org1MSP   org1.example.com   beijing-prod    cn-north   "
	    "peer0,peer1   orderer0\n"
	    "Org2MSP   org2.example.com   shanghai-prod   cn-east    "
	    "<none>        <none>\n"
	    "\n"
	    "CHANNELS\n"
	    "NAME    MEMBERS           CONSENTERS         ADMINS     "
	    "ENDORSEMENT   BATCH\n"
	    "trade   Org1MSP,Org2MSP   Org1MSP/orderer0   MAJORITY   "
	    "ANY           2s/500\n");
	free(out.data);
	json_decref(answer);
}

/* ---- YAML ---- */

static void
test_yaml(void **state)
{
	struct buf b;
	json_t *v;
	char *cause;

	v = js("{\"apiVersion\": \"fabfed.io/v1alpha1\", \"kind\": "
	    "\"Consortium\", \"metadata\": {\"name\": \"tf\"}, \"spec\": "
	    "{\"fabricVersion\": \"2.5\", \"zeta\": 1, \"alpha\": 2.5, "
	    "\"orgs\": [{\"mspId\": \"Org1MSP\", \"peers\": [{\"name\": "
	    "\"peer0\", \"anchor\": true}], \"orderers\": []}], "
	    "\"words\": [\"yes\", \"No\", \"true\", \"null\", \"~\", \"\", "
	    "\"0x1F\", \"12:30\", \"1e3\", \".inf\", \"2s\", \"- dash\", "
	    "\"a: b\", \"#c\", \"peer0.org1.example.com:7051\"], "
	    "\"none\": null, \"off\": false, \"empty\": {}}}");
	buf_init(&b, 0);
	assert_int_equal(ctl_yaml_emit(v, &b, &cause), 0);
	assert_string_equal(b.data,
	    "apiVersion: fabfed.io/v1alpha1\n"
	    "kind: Consortium\n"
	    "metadata:\n"
	    "  name: tf\n"
	    "spec:\n"
	    "  fabricVersion: \"2.5\"\n"
	    "  zeta: 1\n"
	    "  alpha: 2.5\n"
	    "  orgs:\n"
	    "  - mspId: Org1MSP\n"
	    "    peers:\n"
	    "    - name: peer0\n"
	    "      anchor: true\n"
	    "    orderers: []\n"
	    "  words:\n"
	    "  - \"yes\"\n"
	    "  - \"No\"\n"
	    "  - \"true\"\n"
	    "  - \"null\"\n"
	    "  - \"~\"\n"
	    "  - \"\"\n"
	    "  - \"0x1F\"\n"
	    "  - \"12:30\"\n"
	    "  - \"1e3\"\n"
	    "  - \".inf\"\n"
	    "  - 2s\n"
	    "  - '- dash'\n"
	    "  - 'a: b'\n"
	    "  - '#c'\n"
	    "  - peer0.org1.example.com:7051\n"
	    "  none: null\n"
	    "  \"off\": false\n"
	    "  empty: {}\n");
	buf_free(&b);
	json_decref(v);

	/* A scalar document. */
	v = json_string("true");
	buf_init(&b, 0);
	assert_int_equal(ctl_yaml_emit(v, &b, &cause), 0);
	assert_string_equal(b.data, "\"true\"\n");
	buf_free(&b);
	json_decref(v);
}

/* The YAML of a document reads back with the same name. */
static void
test_yaml_roundtrip_name(void **state)
{
	struct buf b;
	json_t *v;
	char *cause, *name;

	v = js(consortium_answer);
	buf_init(&b, 0);
	assert_int_equal(ctl_yaml_emit(json_object_get(v, "document"), &b,
	    &cause), 0);
	assert_int_equal(ctl_doc_name(b.data, b.len, "x", &name, &cause), 0);
	assert_string_equal(name, "trade-finance");
	free(name);
	buf_free(&b);
	json_decref(v);
}

/* ---- diff ---- */

static char *
diff(const char *cur, const char *doc, size_t *n)
{
	struct capture out;
	json_t *a = cur != NULL ? js(cur) : NULL, *b = js(doc);

	cap_open(&out);
	*n = ctl_diff_render(a, b, out.fp);
	cap_close(&out);
	json_decref(a);
	json_decref(b);
	return out.data;
}

static void
test_diff(void **state)
{
	static const struct {
		const char *cur, *doc, *want;
		size_t n;
	} cases[] = {
		/* equal, key order aside */
		{ "{\"a\": 1, \"b\": [1, 2]}", "{\"b\": [1, 2], \"a\": 1}", "",
		    0 },
		/* a changed leaf, an added and a removed key */
		{ "{\"spec\": {\"fabricVersion\": \"2.4\", \"x\": 1}}",
		    "{\"spec\": {\"fabricVersion\": \"2.5\", \"y\": {\"z\": 1}}}",
		    "~ spec.fabricVersion: \"2.4\" -> \"2.5\"\n"
		    "+ spec.y: {\"z\": 1}\n"
		    "- spec.x: 1\n", 3 },
		/* an org removed in the middle: one line, by mspId */
		{ "{\"orgs\": [{\"mspId\": \"A\"}, {\"mspId\": \"B\", \"d\": 1},"
		    " {\"mspId\": \"C\", \"d\": 2}]}",
		    "{\"orgs\": [{\"mspId\": \"A\"}, {\"mspId\": \"C\", "
		    "\"d\": 3}, {\"mspId\": \"D\"}]}",
		    "- orgs[1]: {\"mspId\": \"B\", \"d\": 1}\n"
		    "~ orgs[1].d: 2 -> 3\n"
		    "+ orgs[2]: {\"mspId\": \"D\"}\n", 3 },
		/* by name, and strings by value */
		{ "{\"channels\": [{\"name\": \"t\", \"members\": [\"A\", "
		    "\"B\", \"C\"]}]}",
		    "{\"channels\": [{\"name\": \"t\", \"members\": [\"A\", "
		    "\"C\", \"D\"]}]}",
		    "- channels[0].members[1]: \"B\"\n"
		    "+ channels[0].members[2]: \"D\"\n", 2 },
		/* reordered: said once */
		{ "{\"m\": [\"A\", \"B\"]}", "{\"m\": [\"B\", \"A\"]}",
		    "~ m: [\"A\", \"B\"] -> [\"B\", \"A\"]\n", 1 },
		/* no identity: by index; type changes */
		{ "{\"l\": [1, 2, 3], \"t\": \"1\"}",
		    "{\"l\": [1, 5], \"t\": 1}",
		    "~ l[1]: 2 -> 5\n- l[2]: 3\n~ t: \"1\" -> 1\n", 3 },
		/* odd keys */
		{ "{\"a.b\": 1}", "{\"a.b\": 2}", "~ [\"a.b\"]: 1 -> 2\n", 1 },
		/* nothing stored yet */
		{ NULL, "{\"kind\": \"Consortium\", \"spec\": {}}",
		    "+ kind: \"Consortium\"\n+ spec: {}\n", 2 },
		{ "null", "{\"kind\": \"C\"}", "+ kind: \"C\"\n", 1 },
	};
	size_t i, n;
	char *got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = diff(cases[i].cur, cases[i].doc, &n);
		if (strcmp(got, cases[i].want) != 0 || n != cases[i].n)
			fail_msg("case %zu: got %zu lines:\n%s\nwant %zu:\n%s",
			    i, n, got, cases[i].n, cases[i].want);
		free(got);
	}
}

/* ---- errors and exit codes ---- */

static void
test_exit_codes(void **state)
{
	assert_int_equal(ctl_out_exit_for_status(200), CTL_EXIT_OK);
	assert_int_equal(ctl_out_exit_for_status(201), CTL_EXIT_OK);
	assert_int_equal(ctl_out_exit_for_status(204), CTL_EXIT_OK);
	assert_int_equal(ctl_out_exit_for_status(302), CTL_EXIT_REJECTED);
	assert_int_equal(ctl_out_exit_for_status(400), CTL_EXIT_REJECTED);
	assert_int_equal(ctl_out_exit_for_status(403), CTL_EXIT_REJECTED);
	assert_int_equal(ctl_out_exit_for_status(404), CTL_EXIT_REJECTED);
	assert_int_equal(ctl_out_exit_for_status(409), CTL_EXIT_REJECTED);
	assert_int_equal(ctl_out_exit_for_status(413), CTL_EXIT_REJECTED);
	assert_int_equal(ctl_out_exit_for_status(422), CTL_EXIT_REJECTED);
	assert_int_equal(ctl_out_exit_for_status(503), CTL_EXIT_REJECTED);
	assert_int_equal(ctl_out_exit_for_status(0), CTL_EXIT_USAGE);
	assert_int_equal(ctl_out_exit_for_status(100), CTL_EXIT_USAGE);
	assert_int_equal(ctl_out_exit_for_status(600), CTL_EXIT_USAGE);
	assert_string_equal(ctl_out_reason(422), "Unprocessable Content");
	assert_string_equal(ctl_out_reason(799), "");
}

static const char *
render_error(long status, const char *statusline, const char *body,
    const char *file, struct capture *out)
{
	struct ctl_response r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.statusline = (char *)(uintptr_t)statusline;
	r.body = (char *)(uintptr_t)body;
	r.len = body != NULL ? strlen(body) : 0;
	cap_open(out);
	ctl_out_error_response(out->fp, file, &r);
	return cap_close(out);
}

static void
test_error_printing(void **state)
{
	struct capture out;

	render_error(422, "HTTP/1.1 422 Unprocessable Entity",
	    "{\"error\": \"the consortium document has 2 errors\","
	    " \"details\": [{\"path\": \"spec.orgs[1].mspId\", \"line\": 12,"
	    " \"column\": 15, \"message\": \"duplicate MSP ID \\\"Org1MSP\\\"\"},"
	    " {\"path\": \"spec.channels\", \"line\": 0, \"column\": 0,"
	    " \"message\": \"no channel\\u001b[2J\"},"
	    " {\"path\": \"\", \"line\": 3, \"column\": 1,"
	    " \"message\": \"whole\"}]}", "topo.yaml", &out);
	assert_string_equal(out.data,
	    "error: topo.yaml:12:15: spec.orgs[1].mspId: duplicate MSP ID "
	    "\"Org1MSP\"\n"
	    "error: topo.yaml: spec.channels: no channel?[2J\n"
	    "error: topo.yaml:3:1: whole\n"
	    "error: the consortium document has 2 errors\n");
	free(out.data);

	/* No file (get, delete). */
	render_error(404, NULL, "{\"error\": \"no consortium \\\"x\\\"\"}",
	    NULL, &out);
	assert_string_equal(out.data, "error: no consortium \"x\"\n");
	free(out.data);

	/* STYLE.md's single-field form. */
	render_error(400, NULL, "{\"error\": \"bad value\", \"field\": "
	    "\"If-Match\"}", NULL, &out);
	assert_string_equal(out.data, "error: If-Match: bad value\n");
	free(out.data);

	/* Not JSON: the status line and the start of the body. */
	render_error(502, "HTTP/1.1 502 Bad Gateway",
	    "<html>upstream down</html>\nmore", NULL, &out);
	assert_string_equal(out.data,
	    "error: HTTP/1.1 502 Bad Gateway: <html>upstream down</html>\n");
	free(out.data);
	render_error(503, "HTTP/2 503", "", NULL, &out);
	assert_string_equal(out.data, "error: HTTP 503 Service Unavailable\n");
	free(out.data);
}

static void
test_warnings_and_result(void **state)
{
	struct capture out;
	json_t *answer;
	char *cause;

	answer = js("{\"name\": \"trade-finance\", \"revision\": 7, "
	    "\"result\": \"created\", \"warnings\": [{\"path\": "
	    "\"spec.channels[0].consenters\", \"line\": 40, \"column\": 19, "
	    "\"message\": \"even number of consenters (2)\"}]}");
	cap_open(&out);
	ctl_out_diags(out.fp, "warning", "<stdin>",
	    json_object_get(answer, "warnings"));
	assert_int_equal(ctl_apply_print_result(out.fp, answer, &cause), 0);
	cap_close(&out);
	assert_string_equal(out.data,
	    "warning: <stdin>:40:19: spec.channels[0].consenters: even number "
	    "of consenters (2)\n"
	    "consortium/trade-finance created (revision 7)\n");
	free(out.data);
	json_decref(answer);

	answer = js("{\"revision\": 7}");
	cap_open(&out);
	assert_int_equal(ctl_apply_print_result(out.fp, answer, &cause), -1);
	cap_close(&out);
	assert_non_null(cause);
	free(cause);
	free(out.data);
	json_decref(answer);
}

static void
test_sanitize_escape(void **state)
{
	char *s;

	s = ctl_out_sanitize("a\tb\x1b" "c\x7f" "d\xc2\x9b" "e\xc3\xa9");
	assert_string_equal(s, "a?b?c?d?e\xc3\xa9");
	free(s);
	s = ctl_client_escape("trade-finance");
	assert_string_equal(s, "trade-finance");
	free(s);
	s = ctl_client_escape("a b/../c?d");
	assert_string_equal(s, "a%20b%2F..%2Fc%3Fd");
	free(s);
	s = ctl_conf_url("https://h:1//", NULL);
	assert_string_equal(s, "https://h:1");
	free(s);
	s = ctl_conf_url("HTTPS://h:1", NULL);
	assert_string_equal(s, "https://h:1");
	free(s);
}

/*
 * The real client against a port where nothing listens: a connection
 * error with curl's message, which fabfedctl turns into exit 2.
 */
static void
test_client_refused(void **state)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct ctl_conf conf;
	struct ctl_client *c;
	struct ctl_response resp;
	char *cause;
	int s;

	/* A port bound but not listening refuses connections. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &slen), 0);

	memset(&conf, 0, sizeof(conf));
	assert_true(asprintf(&conf.controller, "https://127.0.0.1:%u",
	    ntohs(sin.sin_port)) > 0);
	conf.ca = strdup("/nonexistent/ca.crt");
	conf.cert = strdup("/nonexistent/admin.crt");
	conf.key = strdup("/nonexistent/admin.key");
	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	c = ctl_client_new(&conf, 5, &cause);
	assert_non_null(c);
	assert_int_equal(ctl_client_request(c, "GET", "/v1/consortia", NULL,
	    NULL, 0, &resp, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, conf.controller));
	assert_non_null(strstr(cause, "is the controller running"));
	assert_int_equal(resp.status, 0);
	assert_null(resp.body);
	free(cause);
	ctl_client_free(c);
	curl_global_cleanup();
	ctl_conf_free(&conf);
	close(s);
}

/* ---- token create ---- */

static void
test_args_token(void **state)
{
	struct ctl_args a;
	char *cause;

	assert_int_equal(parse(&a, &cause, "token", "create", "--consortium",
	    "trade-finance", "--org=Org1MSP", END), 0);
	assert_int_equal(a.cmd, CTL_CMD_TOKEN_CREATE);
	assert_string_equal(a.consortium, "trade-finance");
	assert_string_equal(a.org, "Org1MSP");
	assert_int_equal(a.ttl, 0);	/* the controller's default */

	assert_int_equal(parse(&a, &cause, "--ttl", "30m", "token", "create",
	    "--org", "O", "--consortium", "C", END), 0);
	assert_int_equal(a.ttl, 1800);

#define BAD(want, ...) do {						\
	assert_int_equal(parse(&a, &cause, __VA_ARGS__, END), -1);	\
	if (strstr(cause, want) == NULL)				\
		fail_msg("\"%s\" not in \"%s\"", want, cause);		\
	free(cause);							\
} while (0)
	BAD("token needs a subcommand", "token");
	BAD("unknown token subcommand", "token", "delete");
	BAD("needs --consortium NAME and --org MSPID", "token", "create",
	    "--org", "O");
	BAD("needs --consortium NAME and --org MSPID", "token", "create",
	    "--consortium", "C");
	BAD("unexpected argument \"x\"", "token", "create", "x",
	    "--consortium", "C", "--org", "O");
	BAD("--org needs an MSP ID", "token", "create", "--consortium", "C",
	    "--org", "");
	BAD("--consortium is for token create, get orgs and get org, not "
	    "get consortia", "get", "consortia", "--consortium", "C");
	BAD("--ttl is for token create, not apply", "apply", "-f", "x",
	    "--ttl", "1h");
	BAD("-o is for get, not token", "token", "create", "--consortium",
	    "C", "--org", "O", "-o", "json");
	BAD("given twice", "token", "create", "--consortium", "C", "--org",
	    "O", "--org", "P");
	BAD("lives from 1m to 7d", "token", "create", "--consortium", "C",
	    "--org", "O", "--ttl", "59s");
#undef BAD
}

/* ---- channel config, channel decode ---- */

static void
test_args_channel(void **state)
{
	struct ctl_args a;
	char *cause;

	(void)state;
	assert_int_equal(parse(&a, &cause, "channel", "config", "--block",
	    "b.pb", END), 0);
	assert_int_equal(a.cmd, CTL_CMD_CHANNEL_CONFIG);
	assert_string_equal(a.block, "b.pb");
	assert_int_equal(ctl_args_needs_controller(&a), 0);
	assert_int_equal(ctl_args_env(&a, &cause), 0);	/* no admin.conf */
	assert_int_equal(parse(&a, &cause, "--block=-", "channel", "decode",
	    END), 0);
	assert_int_equal(a.cmd, CTL_CMD_CHANNEL_DECODE);
	assert_string_equal(a.block, "-");

#define BAD(want, ...) do {						\
	assert_int_equal(parse(&a, &cause, __VA_ARGS__, END), -1);	\
	if (strstr(cause, want) == NULL)				\
		fail_msg("\"%s\" not in \"%s\"", want, cause);		\
	free(cause);							\
} while (0)
	BAD("channel needs a subcommand", "channel");
	BAD("unknown channel subcommand", "channel", "update", "--block", "b");
	BAD("channel config needs --block FILE", "channel", "config");
	BAD("channel decode needs --block FILE", "channel", "decode");
	BAD("unexpected argument \"x\"", "channel", "decode", "x", "--block",
	    "b");
	BAD("--block needs a file name", "channel", "decode", "--block", "");
	BAD("--block is for channel config and channel decode, not get "
	    "consortia", "get", "consortia", "--block", "b");
	BAD("-o is for get, not channel", "channel", "config", "--block", "b",
	    "-o", "json");
	BAD("given twice", "channel", "config", "--block", "a", "--block",
	    "b");
#undef BAD
}

static void
test_channel_read(void **state)
{
	uint8_t *data;
	size_t len;
	char *cause, *path, *missing;

	(void)state;
	path = write_file("b.pb", "\x0a\x00\x12\x00", 4, 0600);
	assert_int_equal(ctl_channel_read(path, 1024, &data, &len, &cause), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(data, "\x0a\x00\x12\x00", 4);
	free(data);
	assert_int_equal(ctl_channel_read(path, 3, &data, &len, &cause), -1);
	assert_non_null(strstr(cause, "larger than"));
	assert_null(data);
	free(cause);
	free(path);
	path = write_file("empty.pb", "", 0, 0600);
	assert_int_equal(ctl_channel_read(path, 1024, &data, &len, &cause), -1);
	assert_non_null(strstr(cause, "is empty"));
	free(cause);
	free(path);
	assert_true(asprintf(&missing, "%s/absent.pb", tmpdir) > 0);
	assert_int_equal(ctl_channel_read(missing, 1024, &data, &len, &cause),
	    -1);
	assert_non_null(strstr(cause, "cannot open"));
	free(cause);
	free(missing);
}

/* ---- get orgs, get org ---- */

static void
test_args_orgs(void **state)
{
	struct ctl_args a;
	char *cause;

	assert_int_equal(parse(&a, &cause, "get", "orgs", "--consortium",
	    "trade-finance", END), 0);
	assert_int_equal(a.cmd, CTL_CMD_GET_ORGS);
	assert_string_equal(a.consortium, "trade-finance");
	assert_null(a.name);
	assert_int_equal(a.format, CTL_FORMAT_TABLE);
	assert_true(ctl_args_needs_controller(&a));

	/* "get org" without an MSP ID lists, like "get consortium". */
	assert_int_equal(parse(&a, &cause, "--consortium=C", "get", "org",
	    "-ojson", END), 0);
	assert_int_equal(a.cmd, CTL_CMD_GET_ORGS);
	assert_int_equal(a.format, CTL_FORMAT_JSON);

	assert_int_equal(parse(&a, &cause, "get", "org", "Org1MSP",
	    "--consortium", "C", "-o", "yaml", END), 0);
	assert_int_equal(a.cmd, CTL_CMD_GET_ORG);
	assert_string_equal(a.name, "Org1MSP");
	assert_string_equal(a.consortium, "C");
	assert_int_equal(a.format, CTL_FORMAT_YAML);

	assert_int_equal(parse(&a, &cause, "get", "org/Org2MSP",
	    "--consortium", "C", END), 0);
	assert_int_equal(a.cmd, CTL_CMD_GET_ORG);
	assert_string_equal(a.name, "Org2MSP");
	assert_int_equal(parse(&a, &cause, "get", "orgs/Org3.MSP",
	    "--consortium", "C", END), 0);
	assert_int_equal(a.cmd, CTL_CMD_GET_ORG);
	assert_string_equal(a.name, "Org3.MSP");

#define BAD(want, ...) do {						\
	assert_int_equal(parse(&a, &cause, __VA_ARGS__, END), -1);	\
	if (strstr(cause, want) == NULL)				\
		fail_msg("\"%s\" not in \"%s\"", want, cause);		\
	free(cause);							\
} while (0)
	BAD("get orgs needs --consortium NAME", "get", "orgs");
	BAD("get org needs --consortium NAME, as in \"fabfedctl get org "
	    "MSPID --consortium NAME\"", "get", "org", "Org1MSP");
	BAD("get org needs --consortium NAME", "get", "org/Org1MSP");
	BAD("--consortium needs a name", "get", "orgs", "--consortium", "");
	BAD("the MSP ID is empty", "get", "org/", "--consortium", "C");
	BAD("unexpected argument \"b\"", "get", "org", "a", "b",
	    "--consortium", "C");
	BAD("unexpected argument \"b\"", "get", "org/a", "b",
	    "--consortium", "C");
	BAD("unknown resource \"organizations\"", "get", "organizations",
	    "--consortium", "C");
	BAD("\"orgs\" and \"org MSPID\"", "get", "orgz/a");
	BAD("does not delete an org", "delete", "org", "Org1MSP",
	    "--consortium", "C");
	BAD("--org is for token create, not get orgs (name the org as in "
	    "\"get org MSPID\")", "get", "orgs", "--consortium", "C",
	    "--org", "Org1MSP");
	BAD("--ttl is for token create, not get org", "get", "org", "O",
	    "--consortium", "C", "--ttl", "1h");
	BAD("-f is for apply and diff", "get", "orgs", "--consortium", "C",
	    "-f", "x");
	BAD("-o wants", "get", "orgs", "--consortium", "C", "-o", "xml");
	BAD("given twice", "get", "orgs", "--consortium", "C",
	    "--consortium", "D");
#undef BAD
}

static void
test_get_age(void **state)
{
	static const struct {
		long long then;
		long long now;
		const char *want;
	} cases[] = {
		{ 1700000000, 1700000000, "0s ago" },
		{ 1699999941, 1700000000, "59s ago" },
		{ 1699999940, 1700000000, "1m ago" },
		{ 1699996401, 1700000000, "59m ago" },
		{ 1699996400, 1700000000, "1h ago" },
		{ 1699913601, 1700000000, "23h ago" },
		{ 1699913600, 1700000000, "1d ago" },
		{ 0, 1700000000, "19675d ago" },
		{ 1700000030, 1700000000, "0s ago" },	/* clock skew */
		{ INT64_MAX, 1700000000, "0s ago" },
		{ -1, 1700000000, "" },
	};
	char out[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'x', sizeof(out));
		ctl_get_age(cases[i].then, (time_t)cases[i].now, out,
		    sizeof(out));
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu: \"%s\", want \"%s\"", i, out,
			    cases[i].want);
	}
}

/* now = 1700000000 in the tests below. */
#define ORGS_NOW	((time_t)1700000000)

static const char org1_item[] =
    "{\"mspId\": \"Org1MSP\", \"state\": \"ready\", \"enrolled\": true,"
    " \"msp\": {\"mspId\": \"Org1MSP\","
    "  \"rootCerts\": [\"-----BEGIN CERTIFICATE-----\\nMIIBroot\\n"
    "-----END CERTIFICATE-----\\n\"],"
    "  \"tlsRootCerts\": [\"-----BEGIN CERTIFICATE-----\\nMIIBtls\\n"
    "-----END CERTIFICATE-----\\n\"],"
    "  \"adminCerts\": [\"-----BEGIN CERTIFICATE-----\\nMIIBa1\\n"
    "-----END CERTIFICATE-----\\n\", \"-----BEGIN CERTIFICATE-----\\n"
    "MIIBa2\\n-----END CERTIFICATE-----\\n\"],"
    "  \"nodeOUs\": {\"enable\": true, \"clientOUIdentifier\": "
    "{\"certificate\": \"x\", \"organizationalUnitIdentifier\": "
    "\"client\"}},"
    "  \"orderers\": {\"orderer0\": {\"tlsCert\": \"-----BEGIN "
    "CERTIFICATE-----\"}}},"
    " \"endpoints\": {\"mspId\": \"Org1MSP\", \"peers\": ["
    "  {\"name\": \"peer0\","
    "   \"endpoint\": \"peer0.org1.example.com:7051\"},"
    "  {\"name\": \"peer1\","
    "   \"endpoint\": \"peer1.org1.example.com:7051\"}],"
    "  \"orderers\": [{\"name\": \"orderer0\", \"endpoint\": "
    "\"orderer0.org1.example.com:7050\", \"tlsCert\": \"-----BEGIN "
    "CERTIFICATE-----\"}]},"
    " \"status\": {\"appliedRevision\": 7, \"runtime\": \"docker\","
    "  \"reportedAt\": 1699999988}}";

static const char org2_item[] =
    "{\"mspId\": \"Org2MSP\", \"state\": \"unreachable\","
    " \"enrolled\": true, \"msp\": {\"mspId\": \"Org2MSP\","
    "  \"rootCerts\": [\"r\"]},"
    " \"endpoints\": {\"mspId\": \"Org2MSP\", \"peers\": [], "
    "\"orderers\": []},"
    " \"status\": {\"appliedRevision\": 3}}";

static const char org3_item[] =
    "{\"mspId\": \"Org3MSP\", \"state\": \"not enrolled\","
    " \"enrolled\": false, \"msp\": null, \"endpoints\": null,"
    " \"status\": null}";

static void
test_get_orgs(void **state)
{
	static const char org4_item[] =
	    "{\"mspId\": \"Org4MSP\", \"state\": \"unreachable\","
	    " \"enrolled\": true, \"msp\": null,"
	    " \"endpoints\": {\"peers\": [{\"name\": \"peer0\"}]},"
	    " \"status\": {\"appliedRevision\": 5, \"runtime\": "
	    "\"kubernetes\", \"reportedAt\": 1699999820}}";
	struct capture out;
	json_t *answer;
	char *cause, *text;

	assert_true(asprintf(&text, "{\"consortium\": \"trade-finance\", "
	    "\"items\": [%s, %s, %s, %s]}", org1_item, org2_item, org4_item,
	    org3_item) > 0);
	answer = js(text);
	free(text);
	cap_open(&out);
	assert_int_equal(ctl_get_print_orgs(out.fp, answer, ORGS_NOW,
	    &cause), 0);
	assert_null(cause);
	cap_close(&out);
	assert_string_equal(out.data,
	    "MSP ID    STATE          APPLIED REVISION   RUNTIME      "
	    "PEERS         ORDERERS   REPORTED\n"
	    "Org1MSP   ready          7                  docker       "
	    "peer0,peer1   orderer0   12s ago\n"
	    "Org2MSP   unreachable    3                  -            "
	    "-             -          -\n"
	    "Org4MSP   unreachable    5                  kubernetes   "
	    "peer0         -          3m ago\n"
	    "Org3MSP   not enrolled   -                  -            "
	    "-             -          -\n");
	free(out.data);
	json_decref(answer);

	/* No orgs: nothing on stdout, still a success. */
	answer = js("{\"consortium\": \"c\", \"items\": []}");
	cap_open(&out);
	assert_int_equal(ctl_get_print_orgs(out.fp, answer, ORGS_NOW,
	    &cause), 0);
	cap_close(&out);
	assert_int_equal(out.len, 0);
	free(out.data);
	json_decref(answer);

	answer = js("{\"consortium\": \"c\", \"items\": {}}");
	cap_open(&out);
	assert_int_equal(ctl_get_print_orgs(out.fp, answer, ORGS_NOW,
	    &cause), -1);
	cap_close(&out);
	assert_int_equal(out.len, 0);
	assert_non_null(strstr(cause, "no \"items\" list"));
	free(cause);
	free(out.data);
	json_decref(answer);
}

static void
test_get_org(void **state)
{
	struct capture out;
	json_t *answer;
	char *cause;

	answer = js(org1_item);
	json_object_set_new(json_object_get(answer, "status"), "reportedAt",
	    json_integer(1699992800));
	cap_open(&out);
	assert_int_equal(ctl_get_print_org(out.fp, answer, ORGS_NOW,
	    &cause), 0);
	assert_null(cause);
	cap_close(&out);
	assert_string_equal(out.data,
	    "MSP ID:            Org1MSP\n"
	    "State:             ready\n"
	    "Applied revision:  7\n"
	    "Runtime:           docker\n"
	    "Reported:          2h ago\n"
	    "\n"
	    "ENDPOINTS\n"
	    "NAME       KIND      ENDPOINT\n"
	    "peer0      peer      peer0.org1.example.com:7051\n"
	    "peer1      peer      peer1.org1.example.com:7051\n"
	    "orderer0   orderer   orderer0.org1.example.com:7050\n"
	    "\n"
	    "MSP\n"
	    "Root certs:        1\n"
	    "TLS root certs:    1\n"
	    "Admin certs:       2\n"
	    "Node OUs:          enabled\n");
	/* Counts only: no certificate reaches the screen. */
	assert_null(strstr(out.data, "BEGIN"));
	assert_null(strstr(out.data, "MIIB"));
	free(out.data);
	json_decref(answer);

	/* Published but empty endpoints, a bare MSP, a status without time. */
	answer = js(org2_item);
	cap_open(&out);
	assert_int_equal(ctl_get_print_org(out.fp, answer, ORGS_NOW,
	    &cause), 0);
	cap_close(&out);
	assert_string_equal(out.data,
	    "MSP ID:            Org2MSP\n"
	    "State:             unreachable\n"
	    "Applied revision:  3\n"
	    "Runtime:           -\n"
	    "Reported:          -\n"
	    "\n"
	    "ENDPOINTS\n"
	    "(none)\n"
	    "\n"
	    "MSP\n"
	    "Root certs:        1\n"
	    "TLS root certs:    0\n"
	    "Admin certs:       0\n"
	    "Node OUs:          disabled\n");
	free(out.data);
	json_decref(answer);

	answer = js(org3_item);
	cap_open(&out);
	assert_int_equal(ctl_get_print_org(out.fp, answer, ORGS_NOW,
	    &cause), 0);
	cap_close(&out);
	assert_string_equal(out.data,
	    "MSP ID:            Org3MSP\n"
	    "State:             not enrolled\n"
	    "Applied revision:  -\n"
	    "Runtime:           -\n"
	    "Reported:          -\n"
	    "\n"
	    "ENDPOINTS\n"
	    "(not published)\n"
	    "\n"
	    "MSP\n"
	    "(not published)\n");
	free(out.data);
	json_decref(answer);

	/* Text from the controller is made safe for a terminal. */
	answer = js("{\"mspId\": \"Evil\\u001b[2JMSP\", \"state\": "
	    "\"ready\", \"status\": {\"runtime\": \"dock\\u0007er\"}}");
	cap_open(&out);
	assert_int_equal(ctl_get_print_org(out.fp, answer, ORGS_NOW,
	    &cause), 0);
	cap_close(&out);
	assert_non_null(strstr(out.data, "MSP ID:            Evil?[2JMSP\n"));
	assert_non_null(strstr(out.data, "Runtime:           dock?er\n"));
	assert_null(strchr(out.data, '\x1b'));
	free(out.data);
	json_decref(answer);

	/* Not an org: an error, and nothing printed. */
	answer = js("{\"consortium\": \"c\", \"items\": []}");
	cap_open(&out);
	assert_int_equal(ctl_get_print_org(out.fp, answer, ORGS_NOW,
	    &cause), -1);
	cap_close(&out);
	assert_int_equal(out.len, 0);
	assert_non_null(strstr(cause, "no \"mspId\""));
	free(cause);
	free(out.data);
	json_decref(answer);
}

static void
test_ttl(void **state)
{
	static const struct {
		const char *in;
		long want;	/* -1: refused */
	} cases[] = {
		{ "60", 60 }, { "60s", 60 }, { "1m", 60 }, { "30m", 1800 },
		{ "1h", 3600 }, { "1h30m", 5400 }, { "2h0m10s", 7210 },
		{ "1d", 86400 }, { "7d", 604800 }, { "6d23h59m60s", 604800 },
		{ "604800", 604800 }, { "0090s", 90 },
		{ "59s", -1 }, { "59", -1 }, { "0", -1 }, { "7d1s", -1 },
		{ "604801", -1 }, { "8d", -1 }, { "", -1 }, { "h", -1 },
		{ "1", -1 }, { "1.5h", -1 }, { "-1h", -1 }, { "+1h", -1 },
		{ "1h30", -1 }, { "1w", -1 }, { "1H", -1 }, { "1 h", -1 },
		{ "99999999999999999999999s", -1 }, { "1h-1m", -1 },
		{ "9223372036854775807d", -1 },
	};
	size_t i;
	long v;
	char *cause;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 0;
		cause = NULL;
		if (cases[i].want == -1) {
			if (ctl_args_ttl(cases[i].in, &v, &cause) != -1)
				fail_msg("\"%s\" accepted as %ld", cases[i].in,
				    v);
			assert_non_null(cause);
			assert_non_null(strstr(cause, cases[i].in));
			free(cause);
		} else {
			if (ctl_args_ttl(cases[i].in, &v, &cause) != 0)
				fail_msg("\"%s\": %s", cases[i].in, cause);
			assert_int_equal(v, cases[i].want);
		}
	}
}

static void
test_token_print(void **state)
{
	static const char *tok = "fft1.q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEj"
	    "RWeJA.00112233445566778899aabbccddeeff00112233445566778899aabb"
	    "ccddeeff";
	struct capture out, err;
	json_t *answer;
	char *cause, *text;

	text = NULL;
	assert_true(asprintf(&text, "{\"token\": \"%s\", \"consortium\": "
	    "\"trade-finance\", \"org\": \"Org1MSP\", \"ttl\": 3600, "
	    "\"expiresAt\": \"2026-11-23T15:24:11Z\"}", tok) > 0);
	answer = js(text);
	free(text);
	cap_open(&out);
	cap_open(&err);
	assert_int_equal(ctl_token_print(out.fp, err.fp, answer, &cause), 0);
	cap_close(&out);
	cap_close(&err);
	/* stdout: the token alone on its line, for T=$(...). */
	assert_int_equal(out.len, strlen(tok) + 1);
	assert_memory_equal(out.data, tok, strlen(tok));
	assert_int_equal(out.data[out.len - 1], '\n');
	assert_non_null(strstr(err.data, "expires at 2026-11-23T15:24:11Z"));
	assert_non_null(strstr(err.data, "Org1MSP in consortium "
	    "trade-finance"));
	assert_null(strstr(err.data, "q83vEjRW"));	/* printed once */
	free(out.data);
	free(err.data);
	json_decref(answer);

	/* An answer without a well-formed token prints nothing to stdout. */
	answer = js("{\"token\": \"fft1.abc.def\", \"expiresAt\": \"x\"}");
	cap_open(&out);
	cap_open(&err);
	assert_int_equal(ctl_token_print(out.fp, err.fp, answer, &cause), -1);
	cap_close(&out);
	cap_close(&err);
	assert_int_equal(out.len, 0);
	assert_non_null(strstr(cause, "no well-formed \"token\""));
	free(cause);
	free(out.data);
	free(err.data);
	json_decref(answer);

	answer = js("{\"expiresAt\": \"x\"}");
	cap_open(&out);
	assert_int_equal(ctl_token_print(out.fp, stderr, answer, &cause), -1);
	cap_close(&out);
	assert_int_equal(out.len, 0);
	free(cause);
	free(out.data);
	json_decref(answer);
}


/* ---- workflows (get workflows, describe workflow, apply --wait) ---- */

static void
test_args_workflows(void **state)
{
	struct ctl_args a;
	char *cause;

	assert_int_equal(parse(&a, &cause, "get", "workflows",
	    "--consortium", "C", END), 0);
	assert_int_equal(a.cmd, CTL_CMD_GET_WORKFLOWS);
	assert_string_equal(a.consortium, "C");
	assert_null(a.name);
	assert_int_equal(a.format, CTL_FORMAT_TABLE);
	assert_int_equal(ctl_args_needs_controller(&a), 1);

	assert_int_equal(parse(&a, &cause, "get", "workflow",
	    "create-channel-trade", "--consortium=C", "-ojson", END), 0);
	assert_int_equal(a.cmd, CTL_CMD_GET_WORKFLOW);
	assert_string_equal(a.name, "create-channel-trade");
	assert_int_equal(a.format, CTL_FORMAT_JSON);

	assert_int_equal(parse(&a, &cause, "describe", "workflow",
	    "create-channel-trade", "--consortium", "C", END), 0);
	assert_int_equal(a.cmd, CTL_CMD_DESCRIBE_WORKFLOW);
	assert_string_equal(a.name, "create-channel-trade");
	assert_string_equal(a.consortium, "C");

	assert_int_equal(parse(&a, &cause, "--consortium", "C", "describe",
	    "workflows/create-channel-x", "-o", "yaml", END), 0);
	assert_int_equal(a.cmd, CTL_CMD_DESCRIBE_WORKFLOW);
	assert_string_equal(a.name, "create-channel-x");
	assert_int_equal(a.format, CTL_FORMAT_YAML);
}

static void
test_args_apply_wait(void **state)
{
	struct ctl_args a;
	char *cause;

	/* Without --wait, apply is as before. */
	assert_int_equal(parse(&a, &cause, "apply", "-f", "t.yaml", END), 0);
	assert_int_equal(a.wait, 0);
	assert_int_equal(a.timeout, CTL_TIMEOUT_DEFAULT);

	/* --wait: 5 minutes unless --timeout says otherwise. */
	assert_int_equal(parse(&a, &cause, "apply", "-f", "t.yaml", "--wait",
	    END), 0);
	assert_int_equal(a.cmd, CTL_CMD_APPLY);
	assert_int_equal(a.wait, 1);
	assert_int_equal(a.wait_timeout, 300);
	assert_int_equal(a.timeout, CTL_TIMEOUT_DEFAULT);

	assert_int_equal(parse(&a, &cause, "apply", "-f", "t.yaml", "--wait",
	    "--timeout", "90s", END), 0);
	assert_int_equal(a.wait_timeout, 90);
	assert_int_equal(a.timeout, CTL_TIMEOUT_DEFAULT);
	assert_int_equal(parse(&a, &cause, "--timeout=1h", "apply", "--wait",
	    "-f", "t.yaml", END), 0);
	assert_int_equal(a.wait_timeout, 3600);
	assert_int_equal(parse(&a, &cause, "apply", "-f", "t.yaml", "--wait",
	    "--timeout", "5m", END), 0);
	assert_int_equal(a.wait_timeout, 300);
	assert_int_equal(parse(&a, &cause, "apply", "-f", "t.yaml", "--wait",
	    "--timeout", "1m30s", END), 0);
	assert_int_equal(a.wait_timeout, 90);
	/* A bare number is seconds, and no request outlasts the wait. */
	assert_int_equal(parse(&a, &cause, "apply", "-f", "t.yaml", "--wait",
	    "--timeout", "3", END), 0);
	assert_int_equal(a.wait_timeout, 3);
	assert_int_equal(a.timeout, 3);
}

static void
test_args_workflow_errors(void **state)
{
	struct ctl_args a;
	char *cause;

#define BAD(want, ...) do {						\
	assert_int_equal(parse(&a, &cause, __VA_ARGS__, END), -1);	\
	if (strstr(cause, want) == NULL)				\
		fail_msg("\"%s\" not in \"%s\"", want, cause);		\
	free(cause);							\
} while (0)
	BAD("get workflows needs --consortium NAME", "get", "workflows");
	BAD("get workflow needs --consortium NAME", "get", "workflow", "W");
	BAD("describe workflow needs --consortium NAME", "describe",
	    "workflow", "W");
	BAD("describe workflow needs an ID", "describe", "workflows",
	    "--consortium", "C");
	BAD("the workflow ID is empty", "describe", "workflow/",
	    "--consortium", "C");
	BAD("describe needs a resource", "describe");
	BAD("describes workflows only", "describe", "consortium", "C");
	BAD("unknown resource \"steps\"", "describe", "steps");
	BAD("unexpected argument \"b\"", "describe", "workflow", "a", "b",
	    "--consortium", "C");
	BAD("does not delete a workflow", "delete", "workflow", "W");
	BAD("--wait is for apply, not diff", "diff", "-f", "x", "--wait");
	BAD("--wait is for apply, not get workflows", "get", "workflows",
	    "--consortium", "C", "--wait");
	BAD("--wait\" takes no value", "apply", "-f", "x", "--wait=yes");
	BAD("given twice", "apply", "-f", "x", "--wait", "--wait");
	BAD("wants a duration such as 90s, 5m or 1h, not \"5x\"", "apply",
	    "-f", "x", "--wait", "--timeout", "5x");
	BAD("wants a duration", "apply", "-f", "x", "--wait", "--timeout",
	    "1h30");
	BAD("from 1s to 24h", "apply", "-f", "x", "--wait", "--timeout", "0");
	BAD("from 1s to 24h", "apply", "-f", "x", "--wait", "--timeout",
	    "25h");
	BAD("from 1s to 24h", "apply", "-f", "x", "--wait", "--timeout",
	    "99999999999999999999s");
	/* Without --wait, --timeout stays seconds per request. */
	BAD("--timeout wants seconds", "apply", "-f", "x", "--timeout", "5m");
	BAD("-o is for get, not apply", "apply", "-f", "x", "--wait", "-o",
	    "json");
	BAD("--org is for token create, not get workflows", "get",
	    "workflows", "--consortium", "C", "--org", "O");
	BAD("-f is for apply and diff", "describe", "workflow", "W",
	    "--consortium", "C", "-f", "x");
#undef BAD
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_apply),
		cmocka_unit_test(test_args_get_delete),
		cmocka_unit_test(test_args_errors),
		cmocka_unit_test(test_args_env),
		cmocka_unit_test_setup_teardown(test_conf_relative, setup_tmp,
		    teardown_tmp),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test_setup_teardown(test_conf_check, setup_tmp,
		    teardown_tmp),
		cmocka_unit_test(test_doc_name),
		cmocka_unit_test_setup_teardown(test_doc_read, setup_tmp,
		    teardown_tmp),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_get_list),
		cmocka_unit_test(test_get_one),
		cmocka_unit_test(test_yaml),
		cmocka_unit_test(test_yaml_roundtrip_name),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_error_printing),
		cmocka_unit_test(test_warnings_and_result),
		cmocka_unit_test(test_sanitize_escape),
		cmocka_unit_test(test_client_refused),
		cmocka_unit_test(test_args_token),
		cmocka_unit_test(test_ttl),
		cmocka_unit_test(test_token_print),
		cmocka_unit_test(test_args_orgs),
		cmocka_unit_test(test_get_age),
		cmocka_unit_test(test_get_orgs),
		cmocka_unit_test(test_get_org),
		cmocka_unit_test(test_args_channel),
		cmocka_unit_test_setup_teardown(test_channel_read, setup_tmp,
		    teardown_tmp),
		cmocka_unit_test(test_args_workflows),
		cmocka_unit_test(test_args_apply_wait),
		cmocka_unit_test(test_args_workflow_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
