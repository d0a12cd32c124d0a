/*
 * topology_rules.h: the word rules topology_rules.c shares with
 * topology.c (the public ones, topology_valid_*, are in topology.h).
 */
#ifndef FABFED_TOPOLOGY_RULES_H
#define FABFED_TOPOLOGY_RULES_H

#include <stddef.h>

#define TOPO_NS_PER_SEC         1000000000LL
#define TOPO_TIMEOUT_MAX        (3600LL * TOPO_NS_PER_SEC)

/* A DNS label: 1..63 of [a-z0-9-] (upper case too if !lower), no '-' at
 * either end. Returns 0 or -1. */
int topo_label(const char *s, size_t len, int lower);

/* A DNS name: labels joined by dots, at most 253 characters. 0 or -1. */
int topo_dns_name(const char *s);

/* 1 when s is digits and dots only: meant as an IPv4 address, not a DNS
 * name; 0 otherwise. */
int topo_numeric(const char *s);

/* A cluster name or region: 1..253 of [A-Za-z0-9._-]. 0 or -1. */
int topo_cluster_word(const char *s);

/*
 * Checks "host:port" and writes its canonical form (host lower-cased,
 * IPv6 compressed) into canon, for the uniqueness check. Returns NULL or
 * the reason it is not an endpoint (a static string).
 */
const char *topo_endpoint(const char *s, char *canon, size_t canonlen);

/*
 * A Go duration ("2s", "500ms", "1m30s", "1.5h") into nanoseconds.
 * Returns 0, or -1 when it does not parse; *ns is capped past 1000 hours.
 */
int topo_duration(const char *s, long long *ns);

/* Go's time.Duration.String() of a positive duration into buf. */
void topo_duration_fmt(long long ns, char *buf, size_t len);

#endif
