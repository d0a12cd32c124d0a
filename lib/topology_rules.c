/*
 * topology_rules.c: the rules a consortium document's words follow (see
 * topology_rules.h): consortium, channel and MSP names, cluster words,
 * DNS names, "host:port" endpoints and Go durations. topology.c applies
 * them while it walks the document; topology_valid_* are public.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "topology.h"
#include "topology_rules.h"

#define TOPO_NAME_MAX           249     /* Fabric's configtx MaxLength */
#define TOPO_CLUSTER_MAX        253

/* A DNS label: 1..63 of [a-z0-9-] (upper case too if !lower), no '-' at
 * either end. */
int
topo_label(const char *s, size_t len, int lower)
{
	size_t i;
	unsigned char c;

	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return -1;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || (!lower && c >= 'A' && c <= 'Z')))
			return -1;
	}
	return 0;
}

/* A DNS name: labels joined by dots, at most 253 characters. */
int
topo_dns_name(const char *s)
{
	const char *dot;
	size_t len = strlen(s);

	if (len == 0 || len > 253)
		return -1;
	for (;;) {
		dot = strchr(s, '.');
		len = dot != NULL ? (size_t)(dot - s) : strlen(s);
		if (topo_label(s, len, 0) != 0)
			return -1;
		if (dot == NULL)
			return 0;
		s = dot + 1;
	}
}

/* Digits and dots only: meant as an IPv4 address, not a DNS name. */
int
topo_numeric(const char *s)
{
	return s[strspn(s, "0123456789.")] == '\0';
}

int
topology_valid_consortium_name(const char *s)
{
	if (s == NULL)
		return -1;
	return topo_label(s, strlen(s), 1);
}

int
topology_valid_channel_name(const char *s)
{
	size_t len;

	if (s == NULL || (len = strlen(s)) == 0 || len > TOPO_NAME_MAX)
		return -1;
	if (s[0] < 'a' || s[0] > 'z')
		return -1;
	return s[strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.-")] == '\0' ?
	    0 : -1;
}

int
topology_valid_msp_id(const char *s)
{
	size_t len;

	if (s == NULL || (len = strlen(s)) == 0 || len > TOPO_NAME_MAX ||
	    strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return -1;
	return s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789.-")] == '\0' ? 0 : -1;
}

int
topo_cluster_word(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > TOPO_CLUSTER_MAX)
		return -1;
	return s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-")] == '\0' ? 0 : -1;
}

/*
 * Checks "host:port" and writes its canonical form (host lower-cased,
 * IPv6 compressed) into canon, for the uniqueness check. Returns NULL or
 * the reason it is not an endpoint.
 */
const char *
topo_endpoint(const char *s, char *canon, size_t canonlen)
{
	char host[256], addr[INET6_ADDRSTRLEN];
	const char *colon, *p;
	unsigned char bin[16];
	size_t hlen, i;
	long port = 0;

	if (s[0] == '[') {
		if ((p = strchr(s, ']')) == NULL)
			return "an IPv6 address needs a closing ']'";
		hlen = (size_t)(p - s - 1);
		if (hlen >= sizeof(host))
			return "the host is too long";
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, bin) != 1)
			return "not a valid IPv6 address between '[' and ']'";
		if (inet_ntop(AF_INET6, bin, addr, sizeof(addr)) == NULL)
			return "not a valid IPv6 address between '[' and ']'";
		if (p[1] != ':')
			return "missing port: expected [IPv6]:port";
		colon = p + 1;
		(void)snprintf(host, sizeof(host), "[%s]", addr);
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return "missing port: expected host:port";
		hlen = (size_t)(colon - s);
		if (memchr(s, ':', hlen) != NULL)
			return "an IPv6 address goes in brackets: "
			    "[address]:port";
		if (hlen == 0)
			return "missing host: expected host:port";
		if (hlen >= sizeof(host))
			return "the host is too long";
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (topo_numeric(host)) {
			if (inet_pton(AF_INET, host, bin) != 1)
				return "not a valid IPv4 address";
		} else if (topo_dns_name(host) != 0)
			return "the host is not a valid DNS name";
		for (i = 0; i < hlen; i++)
			host[i] = (char)tolower((unsigned char)host[i]);
	}
	p = colon + 1;
	if (*p == '\0' || *p == '0' || strlen(p) > 5 ||
	    p[strspn(p, "0123456789")] != '\0')
		return "the port must be a number from 1 to 65535";
	for (; *p != '\0'; p++)
		port = port * 10 + (*p - '0');
	if (port < 1 || port > 65535)
		return "the port must be a number from 1 to 65535";
	(void)snprintf(canon, canonlen, "%s:%ld", host, port);
	return NULL;
}

/*
 * A Go duration ("2s", "500ms", "1m30s", "1.5h") into nanoseconds.
 * Returns 0, or -1 when it does not parse; *ns is capped past 1000 hours.
 */
int
topo_duration(const char *s, long long *ns)
{
	static const struct {
		const char *unit;
		long long ns;
	} units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 },
		{ "\xce\xbcs", 1000 }, { "ms", 1000000 },
		{ "s", TOPO_NS_PER_SEC }, { "m", 60 * TOPO_NS_PER_SEC },
		{ "h", 3600LL * TOPO_NS_PER_SEC },
	};
	const long long cap = 1000LL * 3600 * TOPO_NS_PER_SEC;
	long double total = 0, frac, scale;
	long long whole, unit;
	size_t i, ulen;
	int neg = 0, digits;

	if (*s == '-' || *s == '+')
		neg = (*s++ == '-');
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		whole = 0;
		digits = 0;
		for (; *s >= '0' && *s <= '9'; s++, digits++)
			if (whole < cap)
				whole = whole * 10 + (*s - '0');
		frac = 0;
		scale = 1;
		if (*s == '.') {
			for (s++; *s >= '0' && *s <= '9'; s++, digits++) {
				if (scale >= 1e18L)
					continue;       /* past a nanosecond */
				frac = frac * 10 + (*s - '0');
				scale *= 10;
			}
		}
		if (digits == 0)
			return -1;
		for (i = 0, unit = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			ulen = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, ulen) == 0 &&
			    !(s[ulen] >= 'a' && s[ulen] <= 'z') &&
			    !((unsigned char)s[ulen] >= 0x80)) {
				unit = units[i].ns;
				s += ulen;
				break;
			}
		}
		if (unit == 0)
			return -1;
		total += (long double)whole * unit + frac / scale * unit;
		if (total > cap)
			total = cap;
	}
	*ns = (long long)(total + 0.5L);
	if (neg)
		*ns = -*ns;
	return 0;
}

/* Go's time.Duration.String() of a positive duration. */
void
topo_duration_fmt(long long ns, char *buf, size_t len)
{
	unsigned long long u = (unsigned long long)ns, whole, frac, secs, p10;
	const char *unit;
	char fracs[32] = "";
	int prec, i;

	if (u < (unsigned long long)TOPO_NS_PER_SEC) {
		if (u < 1000) {
			prec = 0;
			unit = "ns";
		} else if (u < 1000000) {
			prec = 3;
			unit = "\xc2\xb5s";
		} else {
			prec = 6;
			unit = "ms";
		}
	} else {
		prec = 9;
		unit = "s";
	}
	for (p10 = 1, i = 0; i < prec; i++)
		p10 *= 10;
	whole = u / p10;
	frac = u % p10;
	if (frac != 0) {
		/* The fraction without its trailing zeros, as Go writes it. */
		(void)snprintf(fracs, sizeof(fracs), ".%0*llu", prec, frac);
		for (i = (int)strlen(fracs) - 1; i > 0 && fracs[i] == '0'; i--)
			fracs[i] = '\0';
	}
	if (prec < 9) {
		(void)snprintf(buf, len, "%llu%s%s", whole, fracs, unit);
		return;
	}
	secs = whole;
	if (secs >= 3600)
		(void)snprintf(buf, len, "%lluh%llum%llu%ss", secs / 3600,
		    (secs / 60) % 60, secs % 60, fracs);
	else if (secs >= 60)
		(void)snprintf(buf, len, "%llum%llu%ss", secs / 60, secs % 60,
		    fracs);
	else
		(void)snprintf(buf, len, "%llu%ss", secs, fracs);
}
