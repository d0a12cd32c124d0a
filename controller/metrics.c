/*
 * metrics.c: counters and a histogram in Prometheus text format.
 */
#include "metrics.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define METRICS_MAX_SERIES 128

static const double etcd_buckets[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5
};
#define NBUCKETS (sizeof(etcd_buckets) / sizeof(etcd_buckets[0]))

static struct {
	const char *route;
	int code;
	uint64_t count;
} requests[METRICS_MAX_SERIES];
static size_t nrequests;

static struct {
	uint64_t buckets[NBUCKETS];
	uint64_t count;
	uint64_t errors;
	double sum;
} etcd;

static long consortia = -1;
static int leader = -1;

static const char *wf_states[] = { "running", "succeeded", "failed", "rendered" };
#define NWF_STATES (sizeof(wf_states) / sizeof(wf_states[0]))
static long workflows[NWF_STATES] = { -1, -1, -1, -1 };

void
metrics_request(const char *route, int code)
{
	size_t i;

	for (i = 0; i < nrequests; i++)
		if (requests[i].code == code && strcmp(requests[i].route, route) == 0) {
			requests[i].count++;
			return;
		}
	if (nrequests == METRICS_MAX_SERIES)
		return;  /* routes are a fixed set; this bounds memory regardless */
	requests[nrequests].route = route;
	requests[nrequests].code = code;
	requests[nrequests].count = 1;
	nrequests++;
}

void
metrics_etcd(const char *method, int ok, double seconds)
{
	size_t i;

	(void)method;
	for (i = 0; i < NBUCKETS; i++)
		if (seconds <= etcd_buckets[i])
			etcd.buckets[i]++;
	etcd.count++;
	etcd.sum += seconds;
	if (!ok)
		etcd.errors++;
}

void
metrics_set_consortia(long n)
{
	consortia = n;
}

void
metrics_set_leader(int leading)
{
	leader = leading ? 1 : 0;
}

void
metrics_set_workflows(const char *state, long n)
{
	size_t i;

	for (i = 0; i < NWF_STATES; i++)
		if (state == NULL || strcmp(state, wf_states[i]) == 0)
			workflows[i] = n < 0 ? -1 : n;
}

char *
metrics_render(void)
{
	struct buf b;
	size_t i;
	int hdr = 0;

	buf_init(&b, 0);
	buf_printf(&b, "# HELP fabfed_http_requests_total API requests by route and status code.\n"
	    "# TYPE fabfed_http_requests_total counter\n");
	for (i = 0; i < nrequests; i++)
		buf_printf(&b, "fabfed_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
		    requests[i].route, requests[i].code,
		    (unsigned long long)requests[i].count);
	buf_printf(&b, "# HELP fabfed_etcd_request_duration_seconds etcd round-trip latency.\n"
	    "# TYPE fabfed_etcd_request_duration_seconds histogram\n");
	for (i = 0; i < NBUCKETS; i++)
		buf_printf(&b, "fabfed_etcd_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
		    etcd_buckets[i], (unsigned long long)etcd.buckets[i]);
	buf_printf(&b, "fabfed_etcd_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
	    "fabfed_etcd_request_duration_seconds_sum %.6f\n"
	    "fabfed_etcd_request_duration_seconds_count %llu\n",
	    (unsigned long long)etcd.count, etcd.sum, (unsigned long long)etcd.count);
	buf_printf(&b, "# HELP fabfed_etcd_request_errors_total etcd requests that failed.\n"
	    "# TYPE fabfed_etcd_request_errors_total counter\n"
	    "fabfed_etcd_request_errors_total %llu\n", (unsigned long long)etcd.errors);
	if (consortia >= 0)
		buf_printf(&b, "# HELP fabfed_consortia Consortia stored in etcd.\n"
		    "# TYPE fabfed_consortia gauge\nfabfed_consortia %ld\n", consortia);
	if (leader >= 0)
		buf_printf(&b, "# HELP fabfed_leader 1 while this controller leads the "
		    "workflows.\n# TYPE fabfed_leader gauge\nfabfed_leader %d\n", leader);
	for (i = 0; i < NWF_STATES; i++) {
		if (workflows[i] < 0)
			continue;
		if (hdr++ == 0)
			buf_printf(&b, "# HELP fabfed_workflows Workflows by state, as the "
			    "leader counted them.\n# TYPE fabfed_workflows gauge\n");
		buf_printf(&b, "fabfed_workflows{state=\"%s\"} %ld\n", wf_states[i],
		    workflows[i]);
	}
	return buf_steal(&b, NULL);
}
