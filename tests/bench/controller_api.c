/*
 * controller_api: throughput and latency of the controller's consortium
 * API, as fabfedctl sees it (HTTPS, mutual TLS, TLS 1.3).
 *
 *   controller_api --config admin.conf [--controller URL] [--clients 1,8]
 *       [--seconds N] [--requests N] [--names N]
 *
 * For each client count C: C easy handles on one curl multi handle, each
 * reusing its connection, first PUT /v1/consortia/bench-NNN (a valid
 * consortium document; the name cycles through --names, the batch size
 * changes every time so each PUT is a real write), then GET of the same
 * names. Each phase runs until --seconds pass or --requests are done.
 * Prints requests/s and P50/P99 latency; the bench-* consortia are deleted
 * at the end. A program that prints figures, not a test: nothing here
 * asserts on time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "ctl.h"
#include "xmalloc.h"

#define BENCH_MAX_CLIENTS	256
#define BENCH_MAX_PHASES	16
#define BENCH_MAX_REQUESTS	1000000
#define BENCH_MAX_SECONDS	3600
#define BENCH_MAX_NAMES		1000

enum bench_op { BENCH_APPLY, BENCH_GET };

struct bench_slot {
	CURL *easy;
	char *body;		/* the PUT body in flight */
	char *url;
	size_t rxlen;		/* bytes of answer, for the cap */
	double started;		/* seconds, monotonic */
	struct curl_slist *hdrs;
};

struct bench_result {
	enum bench_op op;
	int clients;
	size_t done;
	size_t errors;
	long connects;		/* new connections made */
	double elapsed;
	double p50, p99;	/* milliseconds */
};

static const struct ctl_conf *bench_conf;
static int bench_names = 16;
static char *bench_first_error;

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
bench_note_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
bench_note_error(const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (bench_first_error != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) >= 0)
		bench_first_error = s;
	va_end(ap);
}

static size_t
bench_write(char *p, size_t size, size_t n, void *arg)
{
	struct bench_slot *s = arg;

	s->rxlen += size * n;
	if (s->rxlen > CTL_RESPONSE_MAX)
		return 0;
	return size * n;
}

/* A valid consortium document (TOPOLOGY.md) in JSON. Caller frees. */
static char *
bench_document(const char *name, unsigned seq)
{
	return xasprintf(
	    "{\"apiVersion\": \"fabfed.io/v1alpha1\", \"kind\": \"Consortium\","
	    " \"metadata\": {\"name\": \"%s\"},"
	    " \"spec\": {\"fabricVersion\": \"2.5\", \"orgs\": ["
	    "  {\"mspId\": \"Org1MSP\", \"domain\": \"org1.example.com\","
	    "   \"cluster\": {\"name\": \"beijing-prod\", \"region\": \"cn-north\"},"
	    "   \"peers\": [{\"name\": \"peer0\", \"endpoint\":"
	    " \"peer0.org1.example.com:7051\", \"anchor\": true}],"
	    "   \"orderers\": [{\"name\": \"orderer0\", \"endpoint\":"
	    " \"orderer0.org1.example.com:7050\"}]},"
	    "  {\"mspId\": \"Org2MSP\", \"domain\": \"org2.example.com\","
	    "   \"cluster\": {\"name\": \"shanghai-prod\", \"region\": \"cn-east\"},"
	    "   \"peers\": [{\"name\": \"peer0\", \"endpoint\":"
	    " \"peer0.org2.example.com:7051\", \"anchor\": true}],"
	    "   \"orderers\": [{\"name\": \"orderer0\", \"endpoint\":"
	    " \"orderer0.org2.example.com:7050\"}]},"
	    "  {\"mspId\": \"Org3MSP\", \"domain\": \"org3.example.com\","
	    "   \"cluster\": {\"name\": \"shenzhen-prod\", \"region\": \"cn-south\"},"
	    "   \"peers\": [{\"name\": \"peer0\", \"endpoint\":"
	    " \"peer0.org3.example.com:7051\", \"anchor\": true}],"
	    "   \"orderers\": [{\"name\": \"orderer0\", \"endpoint\":"
	    " \"orderer0.org3.example.com:7050\"}]}],"
	    " \"channels\": [{\"name\": \"trade\","
	    "   \"consenters\": [\"Org1MSP/orderer0\", \"Org2MSP/orderer0\","
	    " \"Org3MSP/orderer0\"],"
	    "   \"members\": [\"Org1MSP\", \"Org2MSP\", \"Org3MSP\"],"
	    "   \"policies\": {\"admins\": \"MAJORITY\", \"endorsement\":"
	    " \"MAJORITY\"},"
	    "   \"batch\": {\"timeout\": \"2s\", \"maxMessageCount\": %u}}]}}",
	    name, 10 + seq % 990);
}

/* Sets up slot for request number seq of op. */
static int
bench_prepare(struct bench_slot *s, enum bench_op op, unsigned seq)
{
	char name[32];

	snprintf(name, sizeof(name), "bench-%03u", seq % (unsigned)bench_names);
	free(s->url);
	free(s->body);
	s->body = NULL;
	s->url = xasprintf("%s/v1/consortia/%s", bench_conf->controller, name);
	s->rxlen = 0;
	curl_easy_setopt(s->easy, CURLOPT_URL, s->url);
	if (op == BENCH_APPLY) {
		s->body = bench_document(name, seq);
		curl_easy_setopt(s->easy, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(s->body));
		curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
	} else {
		curl_easy_setopt(s->easy, CURLOPT_CUSTOMREQUEST, NULL);
		curl_easy_setopt(s->easy, CURLOPT_HTTPGET, 1L);
	}
	s->started = bench_now();
	return 0;
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
bench_pct(const double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static int
bench_phase(enum bench_op op, int clients, long seconds, long requests,
    struct bench_result *res)
{
	struct bench_slot slots[BENCH_MAX_CLIENTS];
	double *lat, start, deadline;
	size_t nlat = 0, started = 0;
	unsigned seq = 0;
	int running = 0, i, inflight = 0, ret = -1;
	long loops = 0;
	CURLM *multi;
	CURLMsg *msg;
	char *cause = NULL;

	memset(slots, 0, sizeof(slots));
	memset(res, 0, sizeof(*res));
	res->op = op;
	res->clients = clients;
	lat = xcalloc((size_t)requests, sizeof(*lat));
	if ((multi = curl_multi_init()) == NULL)
		goto done;
	curl_multi_setopt(multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)clients);
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)clients);

	for (i = 0; i < clients; i++) {
		if ((slots[i].easy = curl_easy_init()) == NULL)
			goto done;
		if (ctl_client_tls_setup(slots[i].easy, bench_conf, 30,
		    &cause) == -1) {
			fprintf(stderr, "controller_api: %s\n", cause);
			goto done;
		}
		slots[i].hdrs = curl_slist_append(NULL,
		    "Content-Type: application/json");
		slots[i].hdrs = curl_slist_append(slots[i].hdrs, "Expect:");
		curl_easy_setopt(slots[i].easy, CURLOPT_HTTPHEADER,
		    slots[i].hdrs);
		curl_easy_setopt(slots[i].easy, CURLOPT_WRITEFUNCTION,
		    bench_write);
		curl_easy_setopt(slots[i].easy, CURLOPT_WRITEDATA, &slots[i]);
		curl_easy_setopt(slots[i].easy, CURLOPT_PRIVATE, &slots[i]);
	}

	start = bench_now();
	deadline = start + (double)seconds;
	for (i = 0; i < clients && started < (size_t)requests; i++) {
		bench_prepare(&slots[i], op, seq++);
		curl_multi_add_handle(multi, slots[i].easy);
		started++;
		inflight++;
	}
	/* Bounded: by time (deadline plus the request timeout) and count. */
	while (inflight > 0 && loops++ < 100L * 1000 * 1000) {
		CURLMcode mc = curl_multi_perform(multi, &running);
		int left;

		if (mc != CURLM_OK) {
			fprintf(stderr, "controller_api: %s\n",
			    curl_multi_strerror(mc));
			goto done;
		}
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			struct bench_slot *s;
			long status = 0, conns = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&s);
			curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE,
			    &status);
			curl_easy_getinfo(s->easy, CURLINFO_NUM_CONNECTS,
			    &conns);
			res->connects += conns;
			if (msg->data.result != CURLE_OK) {
				res->errors++;
				bench_note_error("%s: %s", s->url,
				    curl_easy_strerror(msg->data.result));
			} else if (status < 200 || status > 299) {
				res->errors++;
				bench_note_error("%s: HTTP %ld", s->url,
				    status);
			} else
				lat[nlat++] = (bench_now() - s->started) *
				    1000.0;
			res->done++;
			curl_multi_remove_handle(multi, s->easy);
			inflight--;
			if (bench_now() < deadline &&
			    started < (size_t)requests) {
				bench_prepare(s, op, seq++);
				curl_multi_add_handle(multi, s->easy);
				started++;
				inflight++;
			}
		}
		if (inflight > 0 && curl_multi_poll(multi, NULL, 0, 100,
		    NULL) != CURLM_OK)
			goto done;
	}
	res->elapsed = bench_now() - start;
	qsort(lat, nlat, sizeof(*lat), bench_cmp);
	res->p50 = bench_pct(lat, nlat, 0.50);
	res->p99 = bench_pct(lat, nlat, 0.99);
	ret = 0;
done:
	for (i = 0; i < clients; i++) {
		if (slots[i].easy == NULL)
			continue;
		curl_multi_remove_handle(multi, slots[i].easy);
		curl_easy_cleanup(slots[i].easy);
		curl_slist_free_all(slots[i].hdrs);
		free(slots[i].url);
		free(slots[i].body);
	}
	if (multi != NULL)
		curl_multi_cleanup(multi);
	free(lat);
	free(cause);
	return ret;
}

/* Deletes bench-000.. so a run leaves nothing behind. */
static void
bench_cleanup(void)
{
	struct ctl_client *c;
	struct ctl_response resp;
	char *cause = NULL, *path;
	int i, deleted = 0;

	if ((c = ctl_client_new(bench_conf, 30, &cause)) == NULL) {
		fprintf(stderr, "controller_api: cleanup: %s\n", cause);
		free(cause);
		return;
	}
	for (i = 0; i < bench_names; i++) {
		path = xasprintf("/v1/consortia/bench-%03d", i);
		if (ctl_client_request(c, "DELETE", path, NULL, NULL, 0, &resp,
		    &cause) == -1) {
			fprintf(stderr, "controller_api: cleanup: %s\n",
			    cause);
			free(cause);
			cause = NULL;
		} else {
			if (resp.status == 200)
				deleted++;
			ctl_client_response_free(&resp);
		}
		free(path);
	}
	printf("\ncleanup: deleted %d bench-* consortia\n", deleted);
	ctl_client_free(c);
}

static int
bench_long(const char *opt, const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		fprintf(stderr, "controller_api: %s wants %ld..%ld, not "
		    "\"%s\"\n", opt, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

static void
bench_usage(void)
{
	fprintf(stderr, "usage: controller_api --config FILE "
	    "[--controller URL] [--clients 1,8] [--seconds N] "
	    "[--requests N] [--names N]\n");
}

int
main(int argc, char *argv[])
{
	static const char *const opnames[] = { "apply", "get" };
	struct bench_result res[BENCH_MAX_PHASES];
	struct ctl_conf conf;
	const char *config = NULL, *controller = NULL, *clients = "1,8";
	long seconds = 5, requests = 100000, names = 16, v;
	int counts[BENCH_MAX_PHASES / 2], ncounts = 0, i, nres = 0;
	char *cause = NULL, *list, *tok, *save = NULL;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] :
		    NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			bench_usage();
			return 0;
		}
		if (val == NULL) {
			bench_usage();
			return 2;
		}
		i++;
		if (strcmp(a, "--config") == 0)
			config = val;
		else if (strcmp(a, "--controller") == 0)
			controller = val;
		else if (strcmp(a, "--clients") == 0)
			clients = val;
		else if (strcmp(a, "--seconds") == 0) {
			if (bench_long(a, val, 1, BENCH_MAX_SECONDS,
			    &seconds) == -1)
				return 2;
		} else if (strcmp(a, "--requests") == 0) {
			if (bench_long(a, val, 1, BENCH_MAX_REQUESTS,
			    &requests) == -1)
				return 2;
		} else if (strcmp(a, "--names") == 0) {
			if (bench_long(a, val, 1, BENCH_MAX_NAMES,
			    &names) == -1)
				return 2;
		} else {
			bench_usage();
			return 2;
		}
	}
	if (config == NULL)
		config = getenv("FABFED_CONFIG");
	if (config == NULL) {
		bench_usage();
		return 2;
	}
	bench_names = (int)names;
	list = xstrdup(clients);
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (ncounts == BENCH_MAX_PHASES / 2) {
			fprintf(stderr, "controller_api: at most %d client "
			    "counts\n", BENCH_MAX_PHASES / 2);
			return 2;
		}
		if (bench_long("--clients", tok, 1, BENCH_MAX_CLIENTS,
		    &v) == -1)
			return 2;
		counts[ncounts++] = (int)v;
	}
	free(list);
	if (ncounts == 0) {
		bench_usage();
		return 2;
	}

	if (ctl_conf_load(config, controller, &conf, &cause) == -1 ||
	    ctl_conf_check(&conf, stderr, &cause) == -1) {
		fprintf(stderr, "controller_api: %s\n", cause);
		return 2;
	}
	bench_conf = &conf;
	curl_global_init(CURL_GLOBAL_DEFAULT);

	printf("controller %s, %ld s or %ld requests per phase, %d names\n\n",
	    conf.controller, seconds, requests, bench_names);
	for (i = 0; i < ncounts; i++) {
		if (bench_phase(BENCH_APPLY, counts[i], seconds, requests,
		    &res[nres]) == 0)
			nres++;
		if (bench_phase(BENCH_GET, counts[i], seconds, requests,
		    &res[nres]) == 0)
			nres++;
	}

	printf("%-6s %8s %9s %7s %6s %10s %9s %9s\n", "OP", "CLIENTS",
	    "REQUESTS", "ERRORS", "CONNS", "REQ/S", "P50 ms", "P99 ms");
	for (i = 0; i < nres; i++)
		printf("%-6s %8d %9zu %7zu %6ld %10.1f %9.2f %9.2f\n",
		    opnames[res[i].op], res[i].clients, res[i].done,
		    res[i].errors, res[i].connects,
		    res[i].elapsed > 0 ? (double)(res[i].done - res[i].errors) /
		    res[i].elapsed : 0.0, res[i].p50, res[i].p99);
	if (bench_first_error != NULL)
		printf("\nfirst error: %s\n", bench_first_error);

	bench_cleanup();
	free(bench_first_error);
	curl_global_cleanup();
	ctl_conf_free(&conf);
	return 0;
}
