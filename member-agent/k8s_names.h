/*
 * k8s_names.h: the name helpers k8s_names.c shares with k8s.c (the
 * public name rules, k8s_valid_* and k8s_namespace_name, are in k8s.h).
 */
#ifndef FABFED_K8S_NAMES_H
#define FABFED_K8S_NAMES_H

#include <stddef.h>

/*
 * A DNS-1123 label (DNS-1035 when dns1035) of at most max characters for
 * BASE followed by SUFFIX (SUFFIX is already valid, e.g. "-msp"). When
 * BASE lowercased fits as it is, that is the name; otherwise the name is
 * made of BASE's valid characters, cut to fit, then "-" and 8 hex digits
 * of SHA-256(BASE), then SUFFIX: distinct bases never share a name.
 * Caller frees.
 */
char *k8s_name(const char *base, const char *suffix, size_t max, int dns1035);

/* A Secret or ConfigMap data key ([-._a-zA-Z0-9]+, <= 253, not . or ..): 1 = valid. */
int k8s_valid_data_key(const char *);

/* Lowercase hex of the n bytes at d into out (2 * n + 1 bytes). */
void k8s_hex(const unsigned char *d, size_t n, char *out);

#endif
