/*
 * runtime.h: what the agent's reconcile loop drives to make an org's
 * Fabric nodes exist. One interface, three runtimes:
 *
 *   manifests   renders the org's Kubernetes objects into a directory for
 *               GitOps (Flux, Argo CD) to apply (rt_manifests.c)
 *   kubernetes  applies the same objects (k8s.h) with server-side apply
 *   process     real peer/orderer binaries as local processes
 *
 * Every call is idempotent: ensure on a node that is already right
 * changes nothing, remove on a node that is gone succeeds. Calls are
 * synchronous and bounded (a runtime that talks to a server bounds its
 * own waits). A runtime keeps no copy of the org: each call gets the
 * current consortium document.
 */
#ifndef FABFED_RUNTIME_H
#define FABFED_RUNTIME_H

#include <stddef.h>

#include <jansson.h>

/* The org a call is for. Everything borrowed for the call's duration. */
struct rt_org {
	const json_t *consortium; /* normalized document (topology_load) */
	const char *mspid;        /* the agent's own org */
	const char *pkidir;       /* its PKI, lib/msp.h layout */
};

enum rt_state {
	RT_STATE_ABSENT,   /* nothing of the node exists */
	RT_STATE_PENDING,  /* exists, not (yet) as desired or not ready */
	RT_STATE_READY,    /* as desired (manifests: rendered; else running) */
	RT_STATE_FAILED,   /* the runtime gave up on it; detail says why */
};

struct runtime;

struct runtime_ops {
	const char *name;  /* "manifests", "kubernetes", "process" */
	/* The whole org: every node in the topology made as desired, and
	 * what belongs to nodes no longer there removed. */
	int (*render)(struct runtime *, const struct rt_org *, char **cause);
	/* One node of the org made as desired (NODE must be in the org). */
	int (*ensure)(struct runtime *, const struct rt_org *, const char *node,
	    char **cause);
	/* One node's state; *detail (may be NULL) gets a sentence, caller
	 * frees. Returns -1 with *cause only when it cannot tell. */
	int (*observe)(struct runtime *, const struct rt_org *, const char *node,
	    enum rt_state *, char **detail, char **cause);
	/* One node removed (it may no longer be in the topology). Its
	 * ledger volumes are kept: deleting data is an operator's decision. */
	int (*remove)(struct runtime *, const struct rt_org *, const char *node,
	    char **cause);
	void (*free)(struct runtime *);
};

struct runtime {
	const struct runtime_ops *ops;
	void *priv;  /* the runtime's own state */
};

/* The manifests runtime writing to outdir (copied). Caller frees with
 * runtime_free. */
struct runtime *rt_manifests_new(const char *outdir);

/*
 * The kubernetes runtime (rt_kubernetes.c): the same objects applied with
 * server-side apply over the Kubernetes REST API, with the credentials of
 * kubeconfig_or_null (its current-context), or NULL: the pod's service
 * account (kubeconfig.h). Calls block, each bounded (docs/runtimes.md).
 * Returns the runtime (caller frees with runtime_free) or NULL with
 * *cause (caller frees).
 */
struct runtime *rt_kubernetes_new(const char *kubeconfig_or_null, char **cause);

/*
 * Renders org MSPID's objects (k8s_org_objects) into outdir, one file per
 * object named NN-KIND-NAME.yaml (00 Namespace, 10 Secret, 20 ConfigMap,
 * 30 StatefulSet, 40 Service), each written to a temporary file and
 * renamed over the old one only when its bytes changed, and removes the
 * files of this form that no longer match an object (nodes that left the
 * topology). Other files in outdir are left alone. The same inputs give
 * byte-identical files. Secrets hold private keys: their files are 0600
 * and outdir is made 0700. Returns 0, or -1 with *cause (caller frees).
 */
int rt_manifests_render(const json_t *consortium, const char *mspid,
    const char *pkidir, const char *outdir, char **cause);

/* The file name of an object, e.g. "30-statefulset-peer0.yaml"; NULL
 * for a kind the renderer does not write. Caller frees. */
char *rt_manifests_file_name(const json_t *obj);

static inline const char *
rt_state_name(enum rt_state s)
{
	switch (s) {
	case RT_STATE_ABSENT:
		return "absent";
	case RT_STATE_PENDING:
		return "pending";
	case RT_STATE_READY:
		return "ready";
	case RT_STATE_FAILED:
		return "failed";
	}
	return "unknown";
}

static inline int
runtime_render(struct runtime *rt, const struct rt_org *org, char **cause)
{
	return rt->ops->render(rt, org, cause);
}

static inline int
runtime_ensure(struct runtime *rt, const struct rt_org *org, const char *node,
    char **cause)
{
	return rt->ops->ensure(rt, org, node, cause);
}

static inline int
runtime_observe(struct runtime *rt, const struct rt_org *org, const char *node,
    enum rt_state *state, char **detail, char **cause)
{
	return rt->ops->observe(rt, org, node, state, detail, cause);
}

static inline int
runtime_remove(struct runtime *rt, const struct rt_org *org, const char *node,
    char **cause)
{
	return rt->ops->remove(rt, org, node, cause);
}

static inline void
runtime_free(struct runtime *rt)
{
	if (rt != NULL)
		rt->ops->free(rt);
}

#endif
