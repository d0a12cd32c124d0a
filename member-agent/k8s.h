/*
 * k8s.h: one org's Kubernetes objects, built as jansson documents (one
 * json_t per object, in apply order) from the normalized consortium
 * document and the org's PKI directory (lib/msp.h layout). The manifests
 * runtime writes them to files; the kubernetes runtime applies the very
 * same objects with server-side apply. See docs/runtimes.md for what each
 * object holds and why.
 *
 * Per org:  Namespace (from the MSP ID, k8s_namespace_name).
 * Per node: Secrets NODE-msp and NODE-tls (the node's msp/ and tls/ files,
 *           byte for byte), NODE-couchdb for a CouchDB peer, ConfigMap
 *           NODE-env (CORE_* or ORDERER_* settings, never a key),
 *           StatefulSet NODE (one replica, ledger PVC), Services NODE
 *           (ClusterIP) and NODE-external (LoadBalancer on the topology
 *           endpoint's port).
 */
#ifndef FABFED_K8S_H
#define FABFED_K8S_H

#include <jansson.h>

#define K8S_MAX_FILE_BYTES  (64 * 1024) /* one msp/ or tls/ file in a Secret */
#define K8S_MAX_NODE_FILES  64          /* files under one node's msp/ or tls/ */
#define K8S_MAX_STS_NAME    52          /* pods get NAME-<10 char hash> labels (<= 63) */

#define K8S_LABEL_NAME      "app.kubernetes.io/name"
#define K8S_LABEL_INSTANCE  "app.kubernetes.io/instance"
#define K8S_LABEL_COMPONENT "app.kubernetes.io/component"
#define K8S_LABEL_PART_OF   "app.kubernetes.io/part-of"
#define K8S_LABEL_MANAGED   "app.kubernetes.io/managed-by"
#define K8S_PART_OF         "fabfed"
#define K8S_MANAGED_BY      "fabfed-agent"

/*
 * The objects of org MSPID, in apply order: the Namespace, then Secrets,
 * ConfigMaps, StatefulSets and Services, each group in topology order
 * (peers, then orderers). Reads every node's msp/ and tls/ under pkidir
 * (made by msp_node_ensure). The same inputs give the same objects, key
 * order included. Returns a JSON array (caller decrefs) or NULL with
 * *cause (caller frees): unknown MSP ID, a node without its PKI, a file
 * too large or of an unexpected type.
 */
json_t *k8s_org_objects(const json_t *consortium, const char *mspid,
    const char *pkidir, char **cause);

/*
 * The org's namespace: the MSP ID lowercased when that is a DNS-1123
 * label; otherwise a label made of it ('.' and other characters to '-',
 * cut to fit) with "-" and 8 hex digits of its SHA-256 added, so two MSP
 * IDs never share a namespace. Caller frees.
 */
char *k8s_namespace_name(const char *mspid);

/*
 * The in-cluster host names of a node's ClusterIP Service, for its TLS
 * certificate's SANs (msp_node's hosts): SVC, SVC.NS, SVC.NS.svc,
 * SVC.NS.svc.cluster.local. A JSON array of strings; caller decrefs.
 */
json_t *k8s_node_hosts(const char *mspid, const char *node);

/* The REST path of an object for server-side apply, e.g.
 * "/apis/apps/v1/namespaces/org1msp/statefulsets/peer0"; NULL for a kind
 * this module does not make. Caller frees. */
char *k8s_object_path(const json_t *obj);

/* Kubernetes' name rules (apimachinery validation): 1 = valid. */
int k8s_valid_dns_label(const char *);     /* RFC 1123 label, <= 63 */
int k8s_valid_dns_subdomain(const char *); /* RFC 1123 subdomain, <= 253 */
int k8s_valid_dns1035_label(const char *); /* label starting with a letter */
int k8s_valid_label_value(const char *);   /* "" or <= 63, [A-Za-z0-9._-] */

#endif
