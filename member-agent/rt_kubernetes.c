/*
 * rt_kubernetes.c: the kubernetes runtime. The org's objects (k8s.c, the
 * very ones the manifests runtime writes) applied with server-side apply
 * over the Kubernetes REST API:
 *
 *	PATCH <path>?fieldManager=fabfed-agent&force=true
 *	Content-Type: application/apply-patch+yaml      (the object as JSON)
 *
 * in apply order (Namespace, Secrets, ConfigMaps, StatefulSets, Services).
 * Readiness is the StatefulSet's status. Objects of nodes that left the
 * topology are found by label and deleted; PersistentVolumeClaims never
 * are (a ledger is deleted by an operator, not by a reconcile).
 *
 * Calls are blocking libcurl easy calls, because the runtime interface is
 * synchronous (runtime.h): each call is bounded (RTK_CALL_MS, connect
 * RTK_CONNECT_MS) and so is each operation as a whole (RTK_OP_MS). One
 * easy handle is kept, so its connection is reused across calls.
 *
 * Failures: an object the API server refuses (409, 422, 403, ...) marks
 * its node FAILED with the Status object's message, and the rest is still
 * applied; no answer, a 401 or the operation's time bound stops the
 * operation. Nothing from the network is trusted: answers are bounded
 * (RTK_MAX_ANSWER), every number is range-checked, names are checked
 * before they go into a path. TLS is always verified. The bearer token
 * and Secret bodies are never logged, and buffers that held them are
 * wiped.
 */
#include "runtime.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "topology.h"
#include "buf.h"
#include "k8s.h"
#include "kubeconfig.h"
#include "log.h"
#include "xmalloc.h"

#define RTK_CALL_MS       10000L            /* one API call, all of it */
#define RTK_CONNECT_MS    5000L             /* its TCP + TLS connect */
#define RTK_OP_MS         120000L           /* one render/ensure/observe/remove */
#define RTK_MAX_ANSWER    (4 * 1024 * 1024) /* one answer body */
#define RTK_MAX_MESSAGE   1024              /* of an API message kept */
#define RTK_MAX_URL       4096
#define RTK_LIST_LIMIT    500               /* items per list page */
#define RTK_MAX_PAGES     20                /* pages followed per list */
#define RTK_FIELD_MANAGER "fabfed-agent"
#define RTK_APPLY_TYPE    "application/apply-patch+yaml"
/* Lists ask for metadata only: Secrets' data never travels back. */
#define RTK_ACCEPT_META   "application/json;as=PartialObjectMetadataList;" \
			  "g=meta.k8s.io;v=v1,application/json"

/* What a node is made of, in delete order. */
static const struct {
	const char *kind, *prefix, *plural;
} rtk_kinds[] = {
	{ "StatefulSet", "/apis/apps/v1", "statefulsets" },
	{ "Service", "/api/v1", "services" },
	{ "ConfigMap", "/api/v1", "configmaps" },
	{ "Secret", "/api/v1", "secrets" },
};
#define RTK_NKINDS (sizeof(rtk_kinds) / sizeof(rtk_kinds[0]))

struct rtk {
	struct kubeconfig kc;
	CURL *curl;
	json_t *failed;      /* node -> sentence: its last apply was refused */
	double deadline;     /* of the operation under way (monotonic s) */
	char errbuf[CURL_ERROR_SIZE];
};

/* One answer. */
struct rtk_ans {
	long status;         /* HTTP status */
	json_t *body;        /* the body when it is JSON, else NULL */
};

static double
rtk_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct rtk_sink {
	struct buf b;
	int too_big;
};

static size_t
rtk_write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct rtk_sink *s = arg;

	if (size != 1 || buf_add(&s->b, p, n) == -1) {
		s->too_big = 1;
		return 0;
	}
	return n;
}

/* A sentence from the network, safe to print and bounded. */
static char *
rtk_clean(const char *s)
{
	size_t i, n = strnlen(s, RTK_MAX_MESSAGE);
	char *p = xstrndup(s, n);

	for (i = 0; i < n; i++) {
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			p[i] = ' ';
	}
	return p;
}

static void
rtk_ans_free(struct rtk_ans *a)
{
	json_decref(a->body);
	a->body = NULL;
}

/*
 * One call: METHOD server+path with body (may be NULL; sent as
 * content_type). 0 when an HTTP answer arrived (any status; *a filled,
 * caller frees with rtk_ans_free), -1 with *cause when none did (no
 * connection, TLS, time bound, answer too large).
 */
static int
rtk_call(struct rtk *k, const char *method, const char *path,
    const char *body, size_t len, const char *content_type,
    const char *accept, struct rtk_ans *a, char **cause)
{
	struct curl_slist *hdrs = NULL, *h;
	struct rtk_sink sink;
	struct curl_blob blob;
	char *url = NULL, *auth = NULL;
	double left;
	long timeout;
	CURLcode rc;
	int ret = -1;

	memset(a, 0, sizeof(*a));
	buf_init(&sink.b, RTK_MAX_ANSWER);
	sink.too_big = 0;
	left = (k->deadline - rtk_now()) * 1000.0;
	if (left < 1.0) {
		*cause = xasprintf("the operation took longer than %ld s and "
		    "was stopped", RTK_OP_MS / 1000);
		goto done;
	}
	timeout = left < (double)RTK_CALL_MS ? (long)left : RTK_CALL_MS;
	url = xasprintf("%s%s", k->kc.server, path);
	if (strlen(url) > RTK_MAX_URL) {
		*cause = xstrdup("an API URL longer than 4096 bytes");
		goto done;
	}
	curl_easy_reset(k->curl);
	k->errbuf[0] = '\0';
	(void)curl_easy_setopt(k->curl, CURLOPT_URL, url);
	(void)curl_easy_setopt(k->curl, CURLOPT_PROTOCOLS_STR, "https");
	(void)curl_easy_setopt(k->curl, CURLOPT_PROXY, "");
	(void)curl_easy_setopt(k->curl, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(k->curl, CURLOPT_FOLLOWLOCATION, 0L);
	(void)curl_easy_setopt(k->curl, CURLOPT_TIMEOUT_MS, timeout);
	(void)curl_easy_setopt(k->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    timeout < RTK_CONNECT_MS ? timeout : RTK_CONNECT_MS);
	(void)curl_easy_setopt(k->curl, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1);
	(void)curl_easy_setopt(k->curl, CURLOPT_ERRORBUFFER, k->errbuf);
	(void)curl_easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, rtk_write_cb);
	(void)curl_easy_setopt(k->curl, CURLOPT_WRITEDATA, &sink);
	(void)curl_easy_setopt(k->curl, CURLOPT_USERAGENT,
	    "fabfed-agent/" FABFED_VERSION);
	/* TLS: always verified, against the given CA only when there is one */
	(void)curl_easy_setopt(k->curl, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2);
	(void)curl_easy_setopt(k->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	(void)curl_easy_setopt(k->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (k->kc.ca_pem != NULL) {
		(void)curl_easy_setopt(k->curl, CURLOPT_CAINFO, NULL);
		(void)curl_easy_setopt(k->curl, CURLOPT_CAPATH, NULL);
		blob.data = k->kc.ca_pem;
		blob.len = k->kc.ca_len;
		blob.flags = CURL_BLOB_NOCOPY;
		(void)curl_easy_setopt(k->curl, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (k->kc.cert_pem != NULL && k->kc.key_pem != NULL) {
		blob.data = k->kc.cert_pem;
		blob.len = k->kc.cert_len;
		blob.flags = CURL_BLOB_NOCOPY;
		(void)curl_easy_setopt(k->curl, CURLOPT_SSLCERT_BLOB, &blob);
		(void)curl_easy_setopt(k->curl, CURLOPT_SSLCERTTYPE, "PEM");
		blob.data = k->kc.key_pem;
		blob.len = k->kc.key_len;
		(void)curl_easy_setopt(k->curl, CURLOPT_SSLKEY_BLOB, &blob);
		(void)curl_easy_setopt(k->curl, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (k->kc.token != NULL) {
		auth = xasprintf("Authorization: Bearer %s", k->kc.token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	hdrs = curl_slist_append(hdrs, accept != NULL ? accept :
	    "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (body != NULL) {
		char *ct = xasprintf("Content-Type: %s", content_type);

		hdrs = curl_slist_append(hdrs, ct);
		free(ct);
		(void)curl_easy_setopt(k->curl, CURLOPT_POSTFIELDS, body);
		(void)curl_easy_setopt(k->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len);
	}
	if (hdrs == NULL) {
		*cause = xstrdup("cannot build the request headers");
		goto done;
	}
	(void)curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, hdrs);
	if (strcmp(method, "GET") == 0)
		(void)curl_easy_setopt(k->curl, CURLOPT_HTTPGET, 1L);
	else
		(void)curl_easy_setopt(k->curl, CURLOPT_CUSTOMREQUEST, method);
	rc = curl_easy_perform(k->curl);
	if (sink.too_big) {
		*cause = xasprintf("the API server's answer to %s %s is larger "
		    "than %d bytes", method, path, RTK_MAX_ANSWER);
		goto done;
	}
	if (rc != CURLE_OK) {
		*cause = xasprintf("no answer from the API server at %s to %s "
		    "%s: %s", k->kc.server, method, path, k->errbuf[0] != '\0' ?
		    k->errbuf : curl_easy_strerror(rc));
		goto done;
	}
	(void)curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &a->status);
	if (a->status < 100 || a->status > 599) {
		*cause = xasprintf("the API server answered %s %s with HTTP "
		    "status %ld", method, path, a->status);
		goto done;
	}
	/* A successful PATCH or DELETE of a Secret answers with its data:
	 * only GETs and failures (a Status) are parsed, the rest is wiped. */
	if (sink.b.len > 0 && (strcmp(method, "GET") == 0 ||
	    a->status < 200 || a->status > 299))
		a->body = json_loadb(sink.b.data, sink.b.len, 0, NULL);
	ret = 0;
done:
	/* the headers held the token; the answer may hold a Secret */
	for (h = hdrs; h != NULL; h = h->next)
		OPENSSL_cleanse(h->data, strlen(h->data));
	curl_slist_free_all(hdrs);
	freezero_str(auth);
	if (sink.b.data != NULL)
		OPENSSL_cleanse(sink.b.data, sink.b.len);
	buf_free(&sink.b);
	free(url);
	return ret;
}

/* "422 Invalid: <Status.message>", from an answer that is not a success. */
static char *
rtk_refusal(const struct rtk_ans *a)
{
	const char *reason, *msg;
	char *m, *r, *s;

	reason = json_string_value(json_object_get(a->body, "reason"));
	msg = json_string_value(json_object_get(a->body, "message"));
	r = rtk_clean(reason != NULL && reason[0] != '\0' ? reason :
	    "no reason given");
	m = msg != NULL && msg[0] != '\0' ? rtk_clean(msg) :
	    xstrdup("the answer has no Status message");
	s = xasprintf("%ld %s: %s", a->status, r, m);
	free(r);
	free(m);
	return s;
}

/* The sentence for a 401: the credentials, not the object, are wrong. */
static char *
rtk_unauthorized(const struct rtk *k, const struct rtk_ans *a)
{
	char *r = rtk_refusal(a), *s;

	s = xasprintf("the API server at %s refused the credentials from %s "
	    "(%s)", k->kc.server, k->kc.origin, r);
	free(r);
	return s;
}

/* Borrowed instance label of one of our objects, or NULL. */
static const char *
rtk_instance(const json_t *obj)
{
	return json_string_value(json_object_get(json_object_get(
	    json_object_get(obj, "metadata"), "labels"), K8S_LABEL_INSTANCE));
}

/* "StatefulSet org1msp/peer0", for messages. Caller frees. */
static char *
rtk_describe(const json_t *obj)
{
	const json_t *md = json_object_get(obj, "metadata");
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *ns = json_string_value(json_object_get(md, "namespace"));
	const char *name = json_string_value(json_object_get(md, "name"));

	return xasprintf("%s %s%s%s", kind != NULL ? kind : "object",
	    ns != NULL ? ns : "", ns != NULL ? "/" : "",
	    name != NULL ? name : "?");
}

/*
 * Server-side apply of one object. 0: applied; 1: refused by the API
 * server (*msg, caller frees); -1: stop (*cause: no answer, 401).
 */
static int
rtk_apply(struct rtk *k, const json_t *obj, char **msg, char **cause)
{
	struct rtk_ans a = { 0, NULL };
	char *path = NULL, *q = NULL, *body = NULL, *what = rtk_describe(obj);
	char *r;
	int ret = -1;

	if ((path = k8s_object_path(obj)) == NULL) {
		*cause = xasprintf("%s: no API path for it (internal error)", what);
		goto done;
	}
	if ((body = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
		*cause = xasprintf("%s: cannot serialize it", what);
		goto done;
	}
	q = xasprintf("%s?fieldManager=%s&force=true", path, RTK_FIELD_MANAGER);
	if (rtk_call(k, "PATCH", q, body, strlen(body), RTK_APPLY_TYPE, NULL,
	    &a, cause) == -1)
		goto done;
	if (a.status == 200 || a.status == 201) {
		log_debug("applied %s", what);
		ret = 0;
	} else if (a.status == 401) {
		*cause = rtk_unauthorized(k, &a);
	} else {
		r = rtk_refusal(&a);
		*msg = xasprintf("%s: %s", what, r);
		free(r);
		log_warnx("the API server refused %s", *msg);
		ret = 1;
	}
done:
	rtk_ans_free(&a);
	freezero_str(body);
	free(q);
	free(path);
	free(what);
	return ret;
}

static char *
rtk_escape(struct rtk *k, const char *s)
{
	char *e = curl_easy_escape(k->curl, s, 0), *r;

	if (e == NULL)
		fatalx("curl_easy_escape: out of memory");
	r = xstrdup(e);
	curl_free(e);
	return r;
}

/* The selector of our objects in the org's namespace, NODE's when given. */
static char *
rtk_selector(const struct rt_org *org, const char *node)
{
	const char *c = json_string_value(json_object_get(json_object_get(
	    org->consortium, "metadata"), "name"));

	return xasprintf("%s=%s,%s=%s%s%s%s%s%s", K8S_LABEL_PART_OF,
	    K8S_PART_OF, K8S_LABEL_MANAGED, K8S_MANAGED_BY,
	    c != NULL ? ",fabfed.io/consortium=" : "", c != NULL ? c : "",
	    node != NULL ? "," : "", node != NULL ? K8S_LABEL_INSTANCE "=" : "",
	    node != NULL ? node : "");
}

/*
 * Names (and instance labels) of the objects of one kind in namespace NS
 * matching selector, appended to *items as {"name", "instance"} (instance
 * may be ""). prefix/plural name the kind's collection. 0, or -1 with
 * *cause (a refusal included: a list that cannot be read cannot be
 * pruned).
 */
static int
rtk_list(struct rtk *k, const char *prefix, const char *plural,
    const char *ns, const char *selector, json_t *items, char **cause)
{
	struct rtk_ans a = { 0, NULL };
	char *sel = rtk_escape(k, selector), *cont = NULL, *path = NULL, *r;
	const json_t *it, *md;
	const char *name, *inst, *c;
	size_t i, page;
	int ret = -1;

	for (page = 0; page < RTK_MAX_PAGES; page++) {
		free(path);
		path = xasprintf("%s/namespaces/%s/%s?labelSelector=%s&limit=%d%s%s",
		    prefix, ns, plural, sel, RTK_LIST_LIMIT,
		    cont != NULL ? "&continue=" : "", cont != NULL ? cont : "");
		rtk_ans_free(&a);
		if (rtk_call(k, "GET", path, NULL, 0, NULL,
		    "Accept: " RTK_ACCEPT_META, &a, cause) == -1)
			goto done;
		if (a.status == 404) {   /* no namespace: nothing of ours */
			ret = 0;
			goto done;
		}
		if (a.status == 401) {
			*cause = rtk_unauthorized(k, &a);
			goto done;
		}
		if (a.status != 200 || !json_is_array(json_object_get(a.body,
		    "items"))) {
			r = a.status != 200 ? rtk_refusal(&a) :
			    xstrdup("the answer is not a list");
			*cause = xasprintf("cannot list %s in namespace %s: %s",
			    plural, ns, r);
			free(r);
			goto done;
		}
		json_array_foreach(json_object_get(a.body, "items"), i, it) {
			md = json_object_get(it, "metadata");
			name = json_string_value(json_object_get(md, "name"));
			inst = json_string_value(json_object_get(json_object_get(
			    md, "labels"), K8S_LABEL_INSTANCE));
			if (name == NULL || !k8s_valid_dns_subdomain(name)) {
				*cause = xasprintf("the list of %s in namespace "
				    "%s has an item without a valid name",
				    plural, ns);
				goto done;
			}
			json_array_append_new(items, json_pack("{s:s, s:s}",
			    "name", name, "instance", inst != NULL &&
			    k8s_valid_label_value(inst) ? inst : ""));
		}
		free(cont);
		cont = NULL;
		c = json_string_value(json_object_get(json_object_get(a.body,
		    "metadata"), "continue"));
		if (c == NULL || c[0] == '\0') {
			ret = 0;
			goto done;
		}
		cont = rtk_escape(k, c);
	}
	*cause = xasprintf("the list of %s in namespace %s has more than %d "
	    "pages", plural, ns, RTK_MAX_PAGES);
done:
	rtk_ans_free(&a);
	free(sel);
	free(cont);
	free(path);
	return ret;
}

/* DELETE of one object: 0 deleted or already gone, 1 refused (*msg), -1
 * stop (*cause). */
static int
rtk_delete(struct rtk *k, size_t kind, const char *ns, const char *name,
    char **msg, char **cause)
{
	struct rtk_ans a = { 0, NULL };
	char *path, *r;
	int ret = -1;

	path = xasprintf("%s/namespaces/%s/%s/%s?propagationPolicy=Background",
	    rtk_kinds[kind].prefix, ns, rtk_kinds[kind].plural, name);
	if (rtk_call(k, "DELETE", path, NULL, 0, NULL, NULL, &a, cause) == -1)
		goto done;
	if (a.status == 200 || a.status == 202 || a.status == 404) {
		log_info("deleted %s %s/%s", rtk_kinds[kind].kind, ns, name);
		ret = 0;
	} else if (a.status == 401) {
		*cause = rtk_unauthorized(k, &a);
	} else {
		r = rtk_refusal(&a);
		*msg = xasprintf("%s %s/%s not deleted: %s",
		    rtk_kinds[kind].kind, ns, name, r);
		free(r);
		log_warnx("%s", *msg);
		ret = 1;
	}
done:
	rtk_ans_free(&a);
	free(path);
	return ret;
}

/* Says, once per node, that its ledger volumes stay (and which). */
static void
rtk_log_kept_pvcs(struct rtk *k, const char *mspid, const char *ns,
    const char *node)
{
	json_t *pvcs = json_array(), *it;
	char *sel = xasprintf("%s=%s", K8S_LABEL_INSTANCE, node), *cause = NULL;
	struct buf names;
	size_t i;

	buf_init(&names, 4096);
	if (rtk_list(k, "/api/v1", "persistentvolumeclaims", ns, sel, pvcs,
	    &cause) == -1) {
		log_info("org %s: %s removed from namespace %s; its "
		    "PersistentVolumeClaims are kept, never deleted by the agent "
		    "(%s)", mspid, node, ns, cause);
		goto done;
	}
	json_array_foreach(pvcs, i, it) {
		if (buf_printf(&names, "%s%s", i > 0 ? " " : "",
		    json_string_value(json_object_get(it, "name"))) == -1)
			break;
	}
	if (json_array_size(pvcs) == 0)
		log_info("org %s: %s removed from namespace %s; it has no "
		    "PersistentVolumeClaims (the agent never deletes them)",
		    mspid, node, ns);
	else
		log_info("org %s: %s removed from namespace %s; its ledger "
		    "PersistentVolumeClaims are kept: %s (delete them with "
		    "kubectl -n %s delete pvc NAME when the data is no longer "
		    "wanted)", mspid, node, ns, names.data, ns);
done:
	buf_free(&names);
	free(cause);
	free(sel);
	json_decref(pvcs);
}

/*
 * Deletes our objects in the org's namespace matching selector whose
 * kind/name is not in keep (NULL: delete all matching), StatefulSets
 * first. Logs the kept PVCs of each node whose StatefulSet went.
 * 0, or -1 with *cause (the first refusal or the stop).
 */
static int
rtk_delete_matching(struct rtk *k, const struct rt_org *org, const char *ns,
    const char *selector, const json_t *keep, char **cause)
{
	json_t *items = NULL, *it, *gone = json_object();
	const char *name, *inst, *node;
	char *key, *msg = NULL, *first = NULL;
	size_t kind, i, refused = 0;
	int rc, ret = -1;
	void *tmp;
	json_t *v;

	for (kind = 0; kind < RTK_NKINDS; kind++) {
		json_decref(items);
		items = json_array();
		if (rtk_list(k, rtk_kinds[kind].prefix, rtk_kinds[kind].plural,
		    ns, selector, items, cause) == -1)
			goto done;
		json_array_foreach(items, i, it) {
			name = json_string_value(json_object_get(it, "name"));
			inst = json_string_value(json_object_get(it, "instance"));
			key = xasprintf("%s/%s", rtk_kinds[kind].kind, name);
			if (keep != NULL && json_object_get(keep, key) != NULL) {
				free(key);
				continue;
			}
			free(key);
			rc = rtk_delete(k, kind, ns, name, &msg, cause);
			if (rc == -1)
				goto done;
			if (rc == 1) {
				if (refused++ == 0)
					first = msg;
				else
					free(msg);
				msg = NULL;
				continue;
			}
			if (kind == 0 && inst[0] != '\0')
				json_object_set_new(gone, inst, json_true());
		}
	}
	json_object_foreach_safe(gone, tmp, node, v)
		rtk_log_kept_pvcs(k, org->mspid, ns, node);
	if (refused > 0) {
		*cause = xasprintf("%zu object%s not deleted; first: %s", refused,
		    refused == 1 ? "" : "s", first);
		goto done;
	}
	ret = 0;
done:
	free(first);
	json_decref(items);
	json_decref(gone);
	return ret;
}

/* Starts an operation: its time bound and a fresh token (kubelet rotates
 * a service account's). */
static int
rtk_begin(struct rtk *k, char **cause)
{
	k->deadline = rtk_now() + (double)RTK_OP_MS / 1000.0;
	return kubeconfig_refresh_token(&k->kc, cause);
}

/* 1 when NODE is a peer or orderer of the org in the topology. */
static int
rtk_has_node(const struct rt_org *org, const char *node)
{
	return topology_find_node(topology_find_org(org->consortium, org->mspid), node,
	    NULL) != NULL;
}

/*
 * Applies the org's objects (NODE's and the Namespace when node is not
 * NULL), recording each node's refusals in k->failed. With node NULL and
 * everything applied, deletes our objects that are no longer wanted.
 */
static int
rtk_apply_org(struct rtk *k, const struct rt_org *org, const char *node,
    char **cause)
{
	json_t *objs = NULL, *obj, *round = json_object(), *keep = json_object();
	const char *inst, *kind, *name, *n;
	char *msg = NULL, *first = NULL, *ns = NULL, *sel = NULL, *key;
	size_t i, total = 0, refused = 0;
	void *tmp;
	json_t *v;
	int rc, ret = -1;

	if (rtk_begin(k, cause) == -1)
		goto done;
	if ((objs = k8s_org_objects(org->consortium, org->mspid, org->pkidir,
	    cause)) == NULL)
		goto done;
	json_array_foreach(objs, i, obj) {
		inst = rtk_instance(obj);
		kind = json_string_value(json_object_get(obj, "kind"));
		name = json_string_value(json_object_get(json_object_get(obj,
		    "metadata"), "name"));
		if (node != NULL && inst != NULL && strcmp(inst, node) != 0)
			continue;
		total++;
		key = xasprintf("%s/%s", kind != NULL ? kind : "",
		    name != NULL ? name : "");
		json_object_set_new(keep, key, json_true());
		free(key);
		if (inst != NULL && json_object_get(round, inst) == NULL)
			json_object_set_new(round, inst, json_null());
		if ((rc = rtk_apply(k, obj, &msg, cause)) == -1)
			goto done;
		if (rc == 0)
			continue;
		if (inst != NULL && json_is_null(json_object_get(round, inst)))
			json_object_set_new(round, inst, json_string(msg));
		if (refused++ == 0)
			first = msg;
		else
			free(msg);
		msg = NULL;
	}
	/* every object of these nodes was tried: their state is known */
	json_object_foreach_safe(round, tmp, n, v) {
		if (json_is_string(v))
			json_object_set(k->failed, n, v);
		else
			json_object_del(k->failed, n);
	}
	if (refused > 0) {
		*cause = xasprintf("the API server refused %zu of %zu objects "
		    "of org %s; first: %s", refused, total, org->mspid, first);
		goto done;
	}
	if (node == NULL) {
		ns = k8s_namespace_name(org->mspid);
		sel = rtk_selector(org, NULL);
		if (rtk_delete_matching(k, org, ns, sel, keep, cause) == -1)
			goto done;
	}
	ret = 0;
done:
	free(msg);
	free(first);
	free(ns);
	free(sel);
	json_decref(objs);
	json_decref(round);
	json_decref(keep);
	return ret;
}

static int
rtk_op_render(struct runtime *rt, const struct rt_org *org, char **cause)
{
	return rtk_apply_org(rt->priv, org, NULL, cause);
}

static int
rtk_op_ensure(struct runtime *rt, const struct rt_org *org, const char *node,
    char **cause)
{
	if (!rtk_has_node(org, node)) {
		*cause = xasprintf("org %s has no peer or orderer named \"%s\"",
		    org->mspid, node);
		return -1;
	}
	return rtk_apply_org(rt->priv, org, node, cause);
}

/* A member that must be an integer in [0, max] when present. */
static int
rtk_int(const json_t *obj, const char *key, json_int_t dflt, json_int_t max,
    json_int_t *out)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v)) {
		*out = dflt;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > max)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

/* The state of a StatefulSet from its answer. */
static int
rtk_sts_state(const json_t *sts, const char *what, enum rt_state *state,
    char **detail, char **cause)
{
	const json_t *spec = json_object_get(sts, "spec");
	const json_t *status = json_object_get(sts, "status");
	json_int_t want, ready, gen, seen;

	if (!json_is_object(spec) || (status != NULL && !json_is_null(status) &&
	    !json_is_object(status))) {
		*cause = xasprintf("%s: the API server's answer is not a "
		    "StatefulSet", what);
		return -1;
	}
	if (rtk_int(spec, "replicas", 1, INT32_MAX, &want) == -1 ||
	    rtk_int(status, "readyReplicas", 0, INT32_MAX, &ready) == -1 ||
	    rtk_int(status, "observedGeneration", 0, INT64_MAX, &seen) == -1 ||
	    rtk_int(json_object_get(sts, "metadata"), "generation", 0,
	    INT64_MAX, &gen) == -1) {
		*cause = xasprintf("%s: its replicas, readyReplicas or "
		    "generations are not integers in range", what);
		return -1;
	}
	if (seen < gen) {
		*state = RT_STATE_PENDING;
		*detail = xasprintf("%s: generation %lld not yet observed by the "
		    "StatefulSet controller (%lld)", what, (long long)gen,
		    (long long)seen);
	} else {
		*state = ready == want ? RT_STATE_READY : RT_STATE_PENDING;
		*detail = xasprintf("%s: %lld of %lld replicas ready", what,
		    (long long)ready, (long long)want);
	}
	return 0;
}

static int
rtk_op_observe(struct runtime *rt, const struct rt_org *org, const char *node,
    enum rt_state *state, char **detail, char **cause)
{
	struct rtk *k = rt->priv;
	struct rtk_ans a = { 0, NULL };
	json_t *objs = NULL, *obj, *items = NULL;
	const json_t *sts = NULL;
	const char *kind, *inst, *f;
	char *ns = NULL, *sel = NULL, *path = NULL, *what = NULL, *d = NULL, *r;
	size_t i, kd;
	int ret = -1;

	if (detail != NULL)
		*detail = NULL;
	if (rtk_begin(k, cause) == -1)
		goto done;
	ns = k8s_namespace_name(org->mspid);
	if (!rtk_has_node(org, node)) {
		if (!k8s_valid_label_value(node) || node[0] == '\0') {
			*state = RT_STATE_ABSENT;
			d = xasprintf("\"%s\" cannot name a node", node);
			ret = 0;
			goto done;
		}
		items = json_array();
		sel = rtk_selector(org, node);
		for (kd = 0; kd < RTK_NKINDS; kd++) {
			if (rtk_list(k, rtk_kinds[kd].prefix,
			    rtk_kinds[kd].plural, ns, sel, items, cause) == -1)
				goto done;
		}
		*state = json_array_size(items) > 0 ? RT_STATE_PENDING :
		    RT_STATE_ABSENT;
		d = json_array_size(items) > 0 ? xasprintf("%zu objects of %s, "
		    "no longer in the topology, remain in namespace %s",
		    json_array_size(items), node, ns) : xasprintf("%s has no "
		    "objects in namespace %s", node, ns);
		ret = 0;
		goto done;
	}
	if ((f = json_string_value(json_object_get(k->failed, node))) != NULL) {
		*state = RT_STATE_FAILED;
		d = xstrdup(f);
		ret = 0;
		goto done;
	}
	if ((objs = k8s_org_objects(org->consortium, org->mspid, org->pkidir,
	    cause)) == NULL)
		goto done;
	json_array_foreach(objs, i, obj) {
		kind = json_string_value(json_object_get(obj, "kind"));
		inst = rtk_instance(obj);
		if (kind != NULL && strcmp(kind, "StatefulSet") == 0 &&
		    inst != NULL && strcmp(inst, node) == 0)
			sts = obj;
	}
	if (sts == NULL || (path = k8s_object_path(sts)) == NULL) {
		*cause = xasprintf("node %s has no StatefulSet (internal error)",
		    node);
		goto done;
	}
	what = rtk_describe(sts);
	if (rtk_call(k, "GET", path, NULL, 0, NULL, NULL, &a, cause) == -1)
		goto done;
	if (a.status == 404) {
		*state = RT_STATE_ABSENT;
		d = xasprintf("%s does not exist", what);
	} else if (a.status == 401) {
		*cause = rtk_unauthorized(k, &a);
		goto done;
	} else if (a.status != 200) {
		r = rtk_refusal(&a);
		*cause = xasprintf("cannot read %s: %s", what, r);
		free(r);
		goto done;
	} else if (rtk_sts_state(a.body, what, state, &d, cause) == -1)
		goto done;
	ret = 0;
done:
	if (ret == 0 && detail != NULL) {
		*detail = d;
		d = NULL;
	}
	free(d);
	rtk_ans_free(&a);
	json_decref(objs);
	json_decref(items);
	free(ns);
	free(sel);
	free(path);
	free(what);
	return ret;
}

static int
rtk_op_remove(struct runtime *rt, const struct rt_org *org, const char *node,
    char **cause)
{
	struct rtk *k = rt->priv;
	char *ns = NULL, *sel = NULL;
	int ret = -1;

	if (node[0] == '\0' || !k8s_valid_label_value(node)) {
		*cause = xasprintf("\"%s\" cannot name a node", node);
		return -1;
	}
	if (rtk_begin(k, cause) == -1)
		return -1;
	ns = k8s_namespace_name(org->mspid);
	sel = rtk_selector(org, node);
	log_info("org %s: removing %s from namespace %s (StatefulSet, "
	    "Services, ConfigMap, Secrets; never its PersistentVolumeClaims)",
	    org->mspid, node, ns);
	if (rtk_delete_matching(k, org, ns, sel, NULL, cause) == -1)
		goto done;
	json_object_del(k->failed, node);
	ret = 0;
done:
	free(ns);
	free(sel);
	return ret;
}

static void
rtk_op_free(struct runtime *rt)
{
	struct rtk *k = rt->priv;

	curl_easy_cleanup(k->curl);
	kubeconfig_free(&k->kc);
	json_decref(k->failed);
	free(k);
	free(rt);
	curl_global_cleanup();
}

static const struct runtime_ops rtk_ops = {
	.name = "kubernetes",
	.render = rtk_op_render,
	.ensure = rtk_op_ensure,
	.observe = rtk_op_observe,
	.remove = rtk_op_remove,
	.free = rtk_op_free,
};

struct runtime *
rt_kubernetes_new(const char *kubeconfig, char **cause)
{
	struct runtime *rt;
	struct rtk *k;

	k = xcalloc(1, sizeof(*k));
	if ((kubeconfig != NULL ? kubeconfig_load(kubeconfig, &k->kc, cause) :
	    kubeconfig_in_cluster(NULL, &k->kc, cause)) == -1) {
		free(k);
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		*cause = xstrdup("cannot initialize libcurl");
		kubeconfig_free(&k->kc);
		free(k);
		return NULL;
	}
	if ((k->curl = curl_easy_init()) == NULL) {
		*cause = xstrdup("cannot make a libcurl handle");
		kubeconfig_free(&k->kc);
		free(k);
		curl_global_cleanup();
		return NULL;
	}
	k->failed = json_object();
	rt = xcalloc(1, sizeof(*rt));
	rt->ops = &rtk_ops;
	rt->priv = k;
	log_info("kubernetes runtime: API server %s, credentials from %s (%s%s%s)",
	    k->kc.server, k->kc.origin,
	    k->kc.token != NULL ? "bearer token" : "",
	    k->kc.token != NULL && k->kc.cert_pem != NULL ? " and " : "",
	    k->kc.cert_pem != NULL ? "client certificate" : "");
	if (k->kc.ca_pem == NULL)
		log_info("kubernetes runtime: %s names no CA: the API server is "
		    "verified against the system's trusted roots", k->kc.origin);
	return rt;
}
