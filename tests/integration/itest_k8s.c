/*
 * itest_k8s.c: drives the kubernetes runtime (member-agent/rt_kubernetes.c)
 * for tests/integration/k8s_apply.sh. The org's PKI is made for real with
 * lib/msp.c (as the agent makes it), the topology is read with
 * topology_load, and the runtime is called as the agent calls it.
 *
 *	itest_k8s [-k KUBECONFIG] -t TOPOLOGY -m MSPID -p PKIDIR STEP...
 *
 * Without -k the runtime uses in-cluster credentials (KUBERNETES_SERVICE_*
 * and $FABFED_K8S_SA_DIR). Steps run in order in one process, so the
 * runtime's memory of refusals carries from a render to an observe:
 *
 *	render | ensure:NODE | observe:NODE | remove:NODE
 *	wait:NODE:N     observe NODE up to N times, 200 ms apart, until ready
 *
 * Each step prints one line: "STEP: ok", "STEP: failed: CAUSE" or
 * "observe NODE: STATE: DETAIL". Exit 0 when every step ran (whatever
 * each gave), 2 on a usage error, 3 when the runtime cannot start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "k8s.h"
#include "log.h"
#include "msp.h"
#include "runtime.h"
#include "topology.h"
#include "xmalloc.h"

#define ITEST_MAX_TOPOLOGY (1024 * 1024)
#define ITEST_MAX_WAIT     100

static json_t *
load_topology(const char *path)
{
	struct topo_diags d;
	json_t *doc;
	char *data;
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return NULL;
	}
	data = xmalloc(ITEST_MAX_TOPOLOGY + 1);
	n = fread(data, 1, ITEST_MAX_TOPOLOGY + 1, f);
	fclose(f);
	if (n > ITEST_MAX_TOPOLOGY) {
		fprintf(stderr, "%s: too large\n", path);
		free(data);
		return NULL;
	}
	topo_diags_init(&d);
	doc = topology_load(data, n, &d);
	if (doc == NULL && d.n > 0)
		fprintf(stderr, "%s: %s: %s\n", path, d.v[0].path,
		    d.v[0].message);
	topo_diags_free(&d);
	free(data);
	return doc;
}

/* The PKI of every node of MSPID, with the in-cluster SANs (as the agent). */
static int
make_pki(const json_t *doc, const char *mspid, const char *dir)
{
	const char *lists[] = { "peers", "orderers" };
	const json_t *org = NULL, *o, *n;
	const char *hosts[8];
	struct msp_org morg;
	struct msp_node node;
	char *cause = NULL;
	json_t *h;
	size_t i, j, l;

	json_array_foreach(json_object_get(json_object_get(doc, "spec"),
	    "orgs"), i, o) {
		if (strcmp(json_string_value(json_object_get(o, "mspId")),
		    mspid) == 0)
			org = o;
	}
	if (org == NULL) {
		fprintf(stderr, "no org %s in the topology\n", mspid);
		return -1;
	}
	morg.dir = dir;
	morg.mspid = mspid;
	morg.domain = json_string_value(json_object_get(org, "domain"));
	if (msp_org_ensure(&morg, NULL, &cause) == -1) {
		fprintf(stderr, "msp_org_ensure: %s\n", cause);
		free(cause);
		return -1;
	}
	for (l = 0; l < 2; l++) {
		json_array_foreach(json_object_get(org, lists[l]), j, n) {
			memset(&node, 0, sizeof(node));
			node.name = json_string_value(json_object_get(n, "name"));
			node.role = l == 0 ? MSP_ROLE_PEER : MSP_ROLE_ORDERER;
			h = k8s_node_hosts(mspid, node.name);
			for (i = 0; i < json_array_size(h) && i < 7; i++)
				hosts[i] = json_string_value(json_array_get(h, i));
			hosts[i] = NULL;
			node.hosts = hosts;
			if (msp_node_ensure(&morg, &node, NULL, &cause) == -1) {
				fprintf(stderr, "msp_node_ensure %s: %s\n",
				    node.name, cause);
				free(cause);
				json_decref(h);
				return -1;
			}
			json_decref(h);
		}
	}
	return 0;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1)
		;
}

static void
print_result(const char *step, int rc, char *cause)
{
	if (rc == 0)
		printf("%s: ok\n", step);
	else
		printf("%s: failed: %s\n", step, cause != NULL ? cause :
		    "(no cause given)");
	fflush(stdout);
	free(cause);
}

/* One observe; returns the state or -1. */
static int
observe(struct runtime *rt, const struct rt_org *org, const char *node)
{
	enum rt_state st;
	char *detail = NULL, *cause = NULL;

	if (runtime_observe(rt, org, node, &st, &detail, &cause) == -1) {
		printf("observe %s: failed: %s\n", node, cause != NULL ? cause :
		    "(no cause given)");
		free(cause);
		fflush(stdout);
		return -1;
	}
	printf("observe %s: %s: %s\n", node, rt_state_name(st),
	    detail != NULL ? detail : "(no detail)");
	fflush(stdout);
	free(detail);
	return (int)st;
}

static int
run_step(struct runtime *rt, const struct rt_org *org, const char *step)
{
	char *arg = strchr(step, ':'), *node = NULL, *cnt, *end;
	char *cause = NULL;
	long n, i;
	int rc;

	if (arg != NULL)
		node = xstrdup(arg + 1);
	if (strcmp(step, "render") != 0 && node == NULL) {
		fprintf(stderr, "%s: which node?\n", step);
		return -1;
	}
	if (strcmp(step, "render") == 0) {
		rc = runtime_render(rt, org, &cause);
		print_result(step, rc, cause);
	} else if (strncmp(step, "ensure:", 7) == 0) {
		rc = runtime_ensure(rt, org, node, &cause);
		print_result(step, rc, cause);
	} else if (strncmp(step, "remove:", 7) == 0) {
		rc = runtime_remove(rt, org, node, &cause);
		print_result(step, rc, cause);
	} else if (strncmp(step, "observe:", 8) == 0) {
		(void)observe(rt, org, node);
	} else if (strncmp(step, "wait:", 5) == 0 && node != NULL &&
	    (cnt = strchr(node, ':')) != NULL) {
		*cnt++ = '\0';
		n = strtol(cnt, &end, 10);
		if (*end != '\0' || n < 1 || n > ITEST_MAX_WAIT) {
			fprintf(stderr, "%s: bad count\n", step);
			free(node);
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (observe(rt, org, node) == RT_STATE_READY)
				break;
			sleep_ms(200);
		}
		printf("wait %s: %s after %ld observe%s\n", node, i < n ?
		    "ready" : "not ready", i < n ? i + 1 : n, i == 0 ? "" : "s");
		fflush(stdout);
	} else {
		fprintf(stderr, "unknown step %s\n", step);
		free(node);
		return -1;
	}
	free(node);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *kubeconfig = NULL, *topo = NULL, *mspid = NULL, *pki = NULL;
	struct runtime *rt = NULL;
	struct rt_org org;
	json_t *doc = NULL;
	char *cause = NULL;
	int c, i, ret = 2;

	while ((c = getopt(argc, argv, "k:t:m:p:")) != -1) {
		switch (c) {
		case 'k':
			kubeconfig = optarg;
			break;
		case 't':
			topo = optarg;
			break;
		case 'm':
			mspid = optarg;
			break;
		case 'p':
			pki = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (topo == NULL || mspid == NULL || pki == NULL || optind >= argc)
		goto usage;
	log_init("itest_k8s", 0, LOG_FORMAT_TEXT);
	if ((doc = load_topology(topo)) == NULL)
		return 2;
	if (mkdir(pki, 0700) == -1 && access(pki, F_OK) == -1) {
		perror(pki);
		goto done;
	}
	if (make_pki(doc, mspid, pki) == -1)
		goto done;
	if ((rt = rt_kubernetes_new(kubeconfig, &cause)) == NULL) {
		printf("start: failed: %s\n", cause != NULL ? cause :
		    "(no cause given)");
		free(cause);
		ret = 3;
		goto done;
	}
	printf("start: ok (runtime %s)\n", rt->ops->name);
	fflush(stdout);
	org.consortium = doc;
	org.mspid = mspid;
	org.pkidir = pki;
	for (i = optind; i < argc; i++) {
		if (run_step(rt, &org, argv[i]) == -1)
			goto done;
	}
	ret = 0;
done:
	runtime_free(rt);
	json_decref(doc);
	return ret;
usage:
	fprintf(stderr, "usage: itest_k8s [-k KUBECONFIG] -t TOPOLOGY -m MSPID "
	    "-p PKIDIR STEP...\n");
	return 2;
}
