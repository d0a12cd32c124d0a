/*
 * k8s_names.c: Kubernetes object names (see k8s.h and k8s_names.h):
 * apimachinery's validation rules, and the deterministic, collision-free
 * names fabfed derives from MSP IDs and topology node names (namespace,
 * StatefulSet, Service, Secret and ConfigMap names, a node's in-cluster
 * host names, an object's REST path). Pure functions: the same input
 * always gives the same name.
 */
#include "k8s.h"
#include "k8s_names.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "xmalloc.h"

int
k8s_valid_dns_label(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 63)
		return 0;
	for (i = 0; i < n; i++) {
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		    s[i] == '-'))
			return 0;
	}
	return s[0] != '-' && s[n - 1] != '-';
}

int
k8s_valid_dns1035_label(const char *s)
{
	return k8s_valid_dns_label(s) && islower((unsigned char)s[0]);
}

int
k8s_valid_dns_subdomain(const char *s)
{
	const char *p = s, *dot;
	char label[64];
	size_t n;

	if (strlen(s) == 0 || strlen(s) > 253)
		return 0;
	for (;;) {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n == 0 || n > 63)
			return 0;
		memcpy(label, p, n);
		label[n] = '\0';
		if (!k8s_valid_dns_label(label))
			return 0;
		if (dot == NULL)
			return 1;
		p = dot + 1;
	}
}

int
k8s_valid_label_value(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0)
		return 1;
	if (n > 63 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (i = 0; i < n; i++) {
		if (!(isalnum((unsigned char)s[i]) || s[i] == '-' ||
		    s[i] == '_' || s[i] == '.'))
			return 0;
	}
	return 1;
}

int
k8s_valid_data_key(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 253 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (!(isalnum((unsigned char)s[i]) || s[i] == '-' ||
		    s[i] == '_' || s[i] == '.'))
			return 0;
	}
	return 1;
}

void
k8s_hex(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/*
 * A DNS-1123 label (DNS-1035 when dns1035) of at most max characters for
 * BASE followed by SUFFIX (SUFFIX is already valid, e.g. "-msp"). When
 * BASE lowercased fits as it is, that is the name; otherwise the name is
 * made of BASE's valid characters, cut to fit, then "-" and 8 hex digits
 * of SHA-256(BASE), then SUFFIX: distinct bases never share a name.
 */
char *
k8s_name(const char *base, const char *suffix, size_t max, int dns1035)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1], *name, *clean;
	size_t i, n, room, slen = strlen(suffix);
	int changed = 0;

	clean = xstrdup(base);
	for (i = 0; clean[i] != '\0'; i++) {
		if (isupper((unsigned char)clean[i]))
			clean[i] = (char)tolower((unsigned char)clean[i]);
		else if (!islower((unsigned char)clean[i]) &&
		    !isdigit((unsigned char)clean[i]) && clean[i] != '-') {
			clean[i] = '-';
			changed = 1;
		}
	}
	name = xasprintf("%s%s", clean, suffix);
	if (!changed && strlen(name) <= max &&
	    (dns1035 ? k8s_valid_dns1035_label(name) : k8s_valid_dns_label(name))) {
		free(clean);
		return name;
	}
	free(name);

	SHA256((const unsigned char *)base, strlen(base), md);
	k8s_hex(md, 4, hex);
	/* prefix + "-" + 8 hex + suffix <= max; a DNS-1035 name gets "n" first */
	room = max - slen - 9 - (dns1035 ? 1 : 0);
	n = strlen(clean);
	if (n > room)
		clean[room] = '\0';
	/* no '-' at the start (nor, for the join, at the end) of the prefix */
	n = strspn(clean, "-");
	memmove(clean, clean + n, strlen(clean + n) + 1);
	n = strlen(clean);
	while (n > 0 && clean[n - 1] == '-')
		clean[--n] = '\0';
	if (n == 0)
		name = xasprintf("%s%s%s", dns1035 ? "n" : "", hex, suffix);
	else if (dns1035 && !islower((unsigned char)clean[0]))
		name = xasprintf("n%s-%s%s", clean, hex, suffix);
	else
		name = xasprintf("%s-%s%s", clean, hex, suffix);
	free(clean);
	return name;
}

char *
k8s_namespace_name(const char *mspid)
{
	return k8s_name(mspid, "", 63, 0);
}

json_t *
k8s_node_hosts(const char *mspid, const char *node)
{
	char *ns = k8s_namespace_name(mspid), *svc = k8s_name(node, "", 63, 1);
	json_t *a = json_array();

	json_array_append_new(a, json_string(svc));
	json_array_append_new(a, json_sprintf("%s.%s", svc, ns));
	json_array_append_new(a, json_sprintf("%s.%s.svc", svc, ns));
	json_array_append_new(a, json_sprintf("%s.%s.svc.cluster.local", svc, ns));
	free(ns);
	free(svc);
	return a;
}

char *
k8s_object_path(const json_t *obj)
{
	static const struct {
		const char *kind, *prefix, *plural;
	} kinds[] = {
		{ "Secret", "/api/v1", "secrets" },
		{ "ConfigMap", "/api/v1", "configmaps" },
		{ "Service", "/api/v1", "services" },
		{ "StatefulSet", "/apis/apps/v1", "statefulsets" },
	};
	const char *kind, *name, *ns;
	size_t i;

	kind = json_string_value(json_object_get(obj, "kind"));
	name = json_string_value(json_object_get(
	    json_object_get(obj, "metadata"), "name"));
	ns = json_string_value(json_object_get(
	    json_object_get(obj, "metadata"), "namespace"));
	if (kind == NULL || name == NULL)
		return NULL;
	if (strcmp(kind, "Namespace") == 0)
		return xasprintf("/api/v1/namespaces/%s", name);
	if (ns == NULL)
		return NULL;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(kind, kinds[i].kind) == 0)
			return xasprintf("%s/namespaces/%s/%s/%s", kinds[i].prefix,
			    ns, kinds[i].plural, name);
	}
	return NULL;
}
