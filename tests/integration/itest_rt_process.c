/*
 * itest_rt_process.c: a driver of the process runtime for
 * process_runtime.sh, standing in for the agent (no controller needed).
 *
 *	itest_rt_process FABRIC_BIN STATEDIR TOPOLOGY.yaml MSPID PKIDIR
 *
 * builds the runtime and reads one command a line on stdin, answering one
 * line on stdout:
 *
 *	limits BMIN BMAX CMAX CWIN STOPWAIT   rt_process_set_limits    -> ok
 *	pki                 the org's PKI (lib/msp.h); TLS names: the
 *	                    endpoint's host, 127.0.0.1, localhost      -> ok
 *	render | ensure NODE | remove NODE                     -> ok | error ...
 *	observe NODE        -> STATE DETAIL (newlines as " | ")
 *	wait NODE STATE S   observe every 100 ms, at most S s  -> STATE DETAIL
 *	info NODE           -> rt_process_node_info as JSON
 *	partlist NODE       part_list on the orderer's admin endpoint over
 *	                    mutual TLS with Admin@DOMAIN's TLS cert -> channels N
 *	quit                runtime_free (stops its nodes), exit 0
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "log.h"
#include "msp.h"
#include "participation.h"
#include "runtime.h"
#include "topology.h"
#include "xmalloc.h"

static json_t *doc;
static struct rt_org org;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	static char s[65536];
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	for (p = s; *p != '\0'; p++)
		if (*p == '\n')
			*p = '|';
	printf("%s\n", s);
	fflush(stdout);
}

static void
answer(int rc, char *cause)
{
	if (rc == 0)
		say("ok");
	else
		say("error %s", cause != NULL ? cause : "?");
	free(cause);
}

static int
make_pki(char **cause)
{
	static const char *const kinds[] = { "peers", "orderers" };
	const json_t *me = topology_find_org(doc, org.mspid);
	struct msp_org mo;
	struct msp_node mn;
	const char *hosts[4];
	unsigned int port;
	json_t *n;
	char *host;
	size_t k, i;

	mo.dir = org.pkidir;
	mo.mspid = org.mspid;
	mo.domain = json_string_value(json_object_get(me, "domain"));
	if (msp_org_ensure(&mo, NULL, cause) != 0)
		return -1;
	for (k = 0; k < 2; k++) {
		json_array_foreach(json_object_get(me, kinds[k]), i, n) {
			if (rt_process_endpoint(json_string_value(json_object_get(n,
			    "endpoint")), &host, &port) != 0) {
				*cause = xstrdup("bad endpoint");
				return -1;
			}
			hosts[0] = host;
			hosts[1] = "127.0.0.1";
			hosts[2] = "localhost";
			hosts[3] = NULL;
			mn.name = json_string_value(json_object_get(n, "name"));
			mn.role = k == 0 ? MSP_ROLE_PEER : MSP_ROLE_ORDERER;
			mn.hosts = hosts;
			if (msp_node_ensure(&mo, &mn, NULL, cause) != 0) {
				free(host);
				return -1;
			}
			free(host);
		}
	}
	return 0;
}

static void
observe_line(struct runtime *rt, const char *node, const char *want,
    long secs)
{
	struct timespec ts = { 0, 100L * 1000 * 1000 };
	enum rt_state st = RT_STATE_ABSENT;
	char *detail = NULL, *cause = NULL;
	long i, n = secs * 10;

	for (i = 0; i <= n; i++) {
		free(detail);
		detail = NULL;
		if (runtime_observe(rt, &org, node, &st, &detail, &cause) != 0) {
			say("error %s", cause);
			free(cause);
			return;
		}
		if (want == NULL || strcmp(rt_state_name(st), want) == 0)
			break;
		nanosleep(&ts, NULL);
	}
	say("%s %s", rt_state_name(st), detail != NULL ? detail : "");
	free(detail);
}

static void
partlist(struct runtime *rt, const char *node)
{
	const json_t *me = topology_find_org(doc, org.mspid);
	const char *domain = json_string_value(json_object_get(me, "domain"));
	struct part_target t;
	struct part_channel *ch = NULL;
	char *cause = NULL, *crt, *key, num[32];
	const char *admin;
	json_t *info;
	size_t n = 0;
	unsigned long port;

	if (rt_process_node_info(rt, &org, node, &info, &cause) != 0) {
		answer(-1, cause);
		return;
	}
	admin = json_string_value(json_object_get(info, "admin"));
	if (admin == NULL || strncmp(admin, "127.0.0.1:", 10) != 0) {
		json_decref(info);
		answer(-1, xstrdup("no admin endpoint"));
		return;
	}
	port = strtoul(admin + 10, NULL, 10);
	crt = xasprintf("%s/users/Admin@%s/tls/client.crt", org.pkidir, domain);
	key = xasprintf("%s/users/Admin@%s/tls/client.key", org.pkidir, domain);
	memset(&t, 0, sizeof(t));
	t.host = "127.0.0.1";
	t.port = (unsigned int)port;
	t.ca_file = json_string_value(json_object_get(info, "tlsCa"));
	t.cert_file = crt;
	t.key_file = key;
	if (part_list(&t, &ch, &n, 5000, &cause) != 0)
		answer(-1, cause);
	else {
		snprintf(num, sizeof(num), "%zu", n);
		say("channels %s", num);
	}
	part_channels_free(ch, n);
	json_decref(info);
	free(crt);
	free(key);
}

int
main(int argc, char **argv)
{
	struct rt_process_limits lim;
	struct topo_diags d;
	struct runtime *rt;
	char line[1024], *cause = NULL, *text, *arg, *w, *save = NULL;
	unsigned long v[5];
	json_t *info;
	FILE *fp;
	size_t len;
	int i;

	if (argc != 6) {
		fprintf(stderr, "usage: itest_rt_process FABRIC_BIN STATEDIR "
		    "TOPOLOGY MSPID PKIDIR\n");
		return 2;
	}
	log_init("itest_rt_process", 1, LOG_FORMAT_TEXT);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((fp = fopen(argv[3], "r")) == NULL) {
		perror(argv[3]);
		return 1;
	}
	text = xmalloc(1024 * 1024);
	len = fread(text, 1, 1024 * 1024 - 1, fp);
	fclose(fp);
	topo_diags_init(&d);
	doc = topology_load(text, len, &d);
	topo_diags_free(&d);
	free(text);
	if (doc == NULL) {
		fprintf(stderr, "%s: not a valid topology\n", argv[3]);
		return 1;
	}
	org.consortium = doc;
	org.mspid = argv[4];
	org.pkidir = argv[5];
	if ((rt = rt_process_new(argv[1], argv[2], NULL, &cause)) == NULL) {
		fprintf(stderr, "rt_process_new: %s\n", cause);
		printf("error %s\n", cause);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		save = NULL;
		if ((w = strtok_r(line, " ", &save)) == NULL)
			continue;
		arg = strtok_r(NULL, " ", &save);
		cause = NULL;
		if (strcmp(w, "quit") == 0)
			break;
		else if (strcmp(w, "limits") == 0) {
			v[0] = strtoul(arg != NULL ? arg : "0", NULL, 10);
			for (i = 1; i < 5; i++) {
				arg = strtok_r(NULL, " ", &save);
				v[i] = strtoul(arg != NULL ? arg : "0", NULL, 10);
			}
			memset(&lim, 0, sizeof(lim));
			lim.backoff_min_ms = (unsigned int)v[0];
			lim.backoff_max_ms = (unsigned int)v[1];
			lim.crash_max = (unsigned int)v[2];
			lim.crash_window_s = (unsigned int)v[3];
			lim.stop_wait_ms = (unsigned int)v[4];
			rt_process_set_limits(rt, &lim);
			answer(0, NULL);
		} else if (strcmp(w, "pki") == 0)
			answer(make_pki(&cause), cause);
		else if (strcmp(w, "render") == 0)
			answer(runtime_render(rt, &org, &cause), cause);
		else if (arg == NULL)
			answer(-1, xasprintf("%s needs a node", w));
		else if (strcmp(w, "ensure") == 0)
			answer(runtime_ensure(rt, &org, arg, &cause), cause);
		else if (strcmp(w, "remove") == 0)
			answer(runtime_remove(rt, &org, arg, &cause), cause);
		else if (strcmp(w, "observe") == 0)
			observe_line(rt, arg, NULL, 0);
		else if (strcmp(w, "wait") == 0) {
			const char *want = strtok_r(NULL, " ", &save);
			const char *secs = strtok_r(NULL, " ", &save);
			long s = secs != NULL ? strtol(secs, NULL, 10) : 10;

			observe_line(rt, arg, want, s > 0 && s <= 300 ? s : 10);
		} else if (strcmp(w, "info") == 0) {
			if (rt_process_node_info(rt, &org, arg, &info, &cause) != 0)
				answer(-1, cause);
			else {
				text = json_dumps(info, JSON_COMPACT);
				say("%s", text);
				free(text);
				json_decref(info);
			}
		} else if (strcmp(w, "partlist") == 0)
			partlist(rt, arg);
		else
			answer(-1, xasprintf("unknown command %s", w));
	}
	runtime_free(rt);
	json_decref(doc);
	curl_global_cleanup();
	return 0;
}
