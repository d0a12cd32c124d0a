/*
 * runtime.h: what the agent's reconcile loop drives to make an org's
 * Fabric nodes exist. One interface, three runtimes:
 *
 *   manifests   renders the org's Kubernetes objects into a directory for
 *               GitOps (Flux, Argo CD) to apply (rt_manifests.c)
 *   kubernetes  applies the same objects (k8s.h) with server-side apply
 *   process     real peer/orderer binaries as supervised local processes
 *               (rt_process.c, rt_process_conf.c)
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

/*
 * The process runtime (rt_process.c): the org's peers and orderers as
 * supervised local processes from Fabric's binaries in fabric_bin (peer,
 * orderer; Fabric's sample core.yaml and orderer.yaml in FABRIC_CFG_PATH
 * or fabric_bin/../config). Each node lives in STATEDIR/process/NODE:
 * its own config, data, ports and log. Main ports listen on the
 * endpoint's host when it is an IP literal, else on listen_address
 * (e.g. "0.0.0.0"). Nodes are stopped when the runtime is freed, and
 * die with the agent (PR_SET_PDEATHSIG). Returns the runtime (caller
 * frees with runtime_free) or NULL with *cause (caller frees).
 */
struct runtime *rt_process_new(const char *fabric_bin, const char *statedir,
    const char *listen_address, char **cause);

/*
 * Where a node of the org runs, for the agent's Fabric operations:
 * {"kind":"peer"|"orderer", "listen":"host:port", "endpoint":"host:port"
 * (the topology's, the name its TLS certificate carries),
 * "admin":"127.0.0.1:port" (orderers), "operations":"127.0.0.1:port",
 * "chaincode":"127.0.0.1:port" (peers), "dataDir", "tlsCa" (the org's TLS
 * CA file), "pid" (0 when not running)}. Ports are assigned on first use
 * and kept. *info: caller decrefs. Returns 0, or -1 with *cause.
 */
int rt_process_node_info(struct runtime *, const struct rt_org *,
    const char *node, json_t **info, char **cause);
/* 1 when RT is a process runtime (rt_process_new), else 0. */
int rt_is_process(const struct runtime *rt);

/* The process runtime's timings and bounds (defaults in brackets). */
struct rt_process_limits {
	unsigned int backoff_min_ms;  /* first restart after a crash [1000] */
	unsigned int backoff_max_ms;  /* cap of the doubling delay [60000]; a
				       * run this long resets it */
	unsigned int crash_max;       /* this many crashes [5] ... */
	unsigned int crash_window_s;  /* ... within this window: failed [300] */
	unsigned int stop_wait_ms;    /* SIGTERM to SIGKILL [10000] */
	unsigned int health_ms;       /* a /healthz answer [1000] */
	size_t log_max;               /* node.log rotated past this [16 MiB] */
};

/* Replaces the limits (zero fields keep theirs); for nodes started
 * afterwards. */
void rt_process_set_limits(struct runtime *, const struct rt_process_limits *);

/*
 * rt_process_conf.c: what a node is started with, pure functions of their
 * inputs (tests/unit/test_rt_process.c). One node, strings borrowed.
 */
struct rt_process_node {
	const char *kind;             /* "peer" or "orderer" */
	const char *name;             /* "peer0" */
	const char *mspid;
	const char *domain;
	const char *endpoint;         /* the topology's host:port (advertised) */
	const char *listen_host;      /* where the main port binds */
	unsigned int port;            /* the main port: the endpoint's */
	unsigned int admin_port;      /* orderer: admin (TLS, client auth) */
	unsigned int ops_port;        /* operations (/healthz, /metrics) */
	unsigned int cc_port;         /* peer: chaincode listener */
	const char *pkinode;          /* PKIDIR/peers/NAME.DOMAIN (msp, tls) */
	const char *tlsca;            /* the org's TLS CA certificate file */
	const char *datadir;          /* everything the node writes */
	const char *const *bootstrap; /* peer: gossip bootstrap, NULL-terminated */
	const char *builder;          /* peer: ccaas builder dir, or NULL */
};

/* Ports the runtime assigned to a node (0: the kind has none). */
struct rt_process_ports {
	unsigned int admin, ops, cc;
};

/* "host:port" or "[v6]:port" split; *host caller frees. 0 or -1. */
int rt_process_endpoint(const char *ep, char **host, unsigned int *port);

/* A Fabric sample config file (YAML, at most 1 MiB) as JSON. Caller
 * decrefs; NULL with *cause. */
json_t *rt_process_sample_load(const char *path, char **cause);

/*
 * The node's config document: a deep copy of sample (core.yaml for a
 * peer, orderer.yaml for an orderer) with every address, port, path, TLS
 * and MSP setting the node needs. JSON, which Fabric reads as YAML.
 * Caller decrefs; NULL with *cause.
 */
json_t *rt_process_conf(const json_t *sample, const struct rt_process_node *,
    char **cause);

/*
 * The node's environment: FABRIC_CFG_PATH=cfgdir, and PATH, HOME, TZ,
 * FABRIC_LOGGING_SPEC, FABRIC_LOGGING_FORMAT from env (the agent's,
 * NULL-terminated) when there (else a default PATH, and Fabric's log
 * format without colours); nothing else is passed on (no stray CORE_* or
 * ORDERER_*). Caller frees
 * with rt_process_env_free.
 */
char **rt_process_env(const char *cfgdir, char *const *env);
void rt_process_env_free(char **);

/*
 * The node's assigned ports from file (JSON), the missing ones picked
 * (free ports on 127.0.0.1, none of avoid[0..navoid)) and the file
 * rewritten. A file made for another kind is an error. Returns 0, or -1
 * with *cause.
 */
int rt_process_ports_load(const char *file, const char *kind,
    const unsigned int *avoid, size_t navoid, struct rt_process_ports *,
    char **cause);

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
