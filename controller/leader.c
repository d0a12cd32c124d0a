/*
 * leader.c: leader election on /fabfed/v1/leader (leader.h).
 *
 * One timer ticks every LEADER_KEEPALIVE seconds: it grants a lease when
 * there is none, keeps the lease alive, and, while not leading, campaigns
 * (a txn creating the key on the lease if its create_revision is 0). A
 * watch on the key campaigns at once when the key goes. A second timer,
 * re-armed by every successful keep-alive, fires one second before the
 * lease would run out: a leader that cannot reach etcd stops leading then,
 * whatever etcd says later. Every write the leader makes is guarded by the
 * key's create_revision, so a deposed leader's writes fail in etcd too.
 *
 * leader_free frees at once: the etcd client must be freed right after
 * (before the loop runs again), which drops the callbacks still pending.
 */
#include "leader.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/rand.h>

#include "etcd.h"
#include "log.h"
#include "xmalloc.h"

struct leader {
	struct event_base *base;
	struct etcd_client *etcd;
	leader_cb cb;
	void *arg;
	char *id;
	int64_t lease;            /* 0: none */
	int leading;
	int64_t key_rev;          /* create_revision of our key while leading */
	int granting, campaigning, renewing;
	struct event *tick;
	struct event *expiry;
	struct etcd_watch *watch;
};

static void leader_campaign(struct leader *);

static void
leader_set(struct leader *l, int leading, int64_t rev)
{
	if (l->leading == leading)
		return;
	l->leading = leading;
	l->key_rev = leading ? rev : 0;
	if (leading)
		log_info("leader: %s is the leader (key revision %lld)", l->id,
		    (long long)rev);
	else
		log_warnx("leader: %s is no longer the leader", l->id);
	l->cb(leading, l->arg);
}

static void
leader_soon(struct leader *l, int secs)
{
	struct timeval tv = { secs, 0 };

	evtimer_add(l->tick, &tv);
}

static void
leader_arm_expiry(struct leader *l, int64_t ttl)
{
	struct timeval tv = { ttl > 1 ? ttl - 1 : 0, 0 };

	evtimer_add(l->expiry, &tv);
}

static void
leader_expiry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct leader *l = arg;

	(void)fd;
	(void)what;
	log_warnx("leader: lease %llx not renewed before its TTL ran out",
	    (unsigned long long)l->lease);
	l->lease = 0;
	leader_set(l, 0, 0);
	leader_soon(l, 1);
}

static void
leader_grant_cb(const struct etcd_result *res, void *arg)
{
	struct leader *l = arg;

	l->granting = 0;
	if (!res->ok || res->lease_id == 0) {
		log_warnx("leader: cannot get a lease: %s", res->ok ? "no lease id" :
		    res->error);
		leader_soon(l, 1);
		return;
	}
	l->lease = res->lease_id;
	leader_arm_expiry(l, res->lease_ttl > 0 ? res->lease_ttl : LEADER_TTL);
	leader_campaign(l);
}

static void
leader_keepalive_cb(const struct etcd_result *res, void *arg)
{
	struct leader *l = arg;

	l->renewing = 0;
	if (!res->ok) {
		/* The expiry timer decides; etcd may be back before it fires. */
		log_warnx("leader: keep-alive failed: %s", res->error);
		return;
	}
	if (res->lease_ttl <= 0) {
		log_warnx("leader: lease %llx is gone", (unsigned long long)l->lease);
		evtimer_del(l->expiry);
		l->lease = 0;
		leader_set(l, 0, 0);
		leader_soon(l, 0);
		return;
	}
	leader_arm_expiry(l, res->lease_ttl);
}

static void
leader_campaign_cb(const struct etcd_result *res, void *arg)
{
	struct leader *l = arg;
	const struct etcd_kv *kv;
	json_t *v;
	int ours;

	l->campaigning = 0;
	if (!res->ok) {
		log_warnx("leader: campaign failed: %s", res->error);
		return;
	}
	if (l->lease == 0)
		return;   /* the lease went while the txn was out */
	if (res->succeeded) {
		leader_set(l, 1, res->revision);
		return;
	}
	if (res->nresponses != 1 || res->responses[0].range.nkvs != 1)
		return;   /* gone again: the watch or the next tick campaigns */
	kv = &res->responses[0].range.kvs[0];
	v = json_loadb(kv->value, kv->value_len, 0, NULL);
	ours = json_is_string(json_object_get(v, "id")) &&
	    strcmp(json_string_value(json_object_get(v, "id")), l->id) == 0 &&
	    kv->lease == l->lease;
	json_decref(v);
	if (ours)
		leader_set(l, 1, kv->create_revision);
	else if (l->leading)
		leader_set(l, 0, 0);
}

static void
leader_campaign(struct leader *l)
{
	struct etcd_txn *txn;
	json_t *v;
	char *text;

	if (l->campaigning || l->lease == 0 || l->leading)
		return;
	v = json_pack("{s:s, s:I}", "id", l->id, "since", (json_int_t)time(NULL));
	text = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	txn = etcd_txn_new();
	etcd_txn_cmp_int(txn, LEADER_KEY, ETCD_CMP_CREATE, ETCD_CMP_EQUAL, 0);
	etcd_txn_put(txn, 1, LEADER_KEY, text, strlen(text), l->lease);
	etcd_txn_range(txn, 0, LEADER_KEY, 0);
	if (etcd_txn(l->etcd, txn, leader_campaign_cb, l) == 0)
		l->campaigning = 1;
	etcd_txn_free(txn);
	free(text);
}

static void
leader_watch_cb(const struct etcd_event *ev, int64_t revision, void *arg)
{
	struct leader *l = arg;

	(void)revision;
	switch (ev->type) {
	case ETCD_EVENT_DELETE:
		if (l->leading) {
			log_warnx("leader: the leader key was deleted");
			leader_set(l, 0, 0);
		}
		leader_campaign(l);
		break;
	case ETCD_EVENT_COMPACTED:
		leader_campaign(l);
		break;
	case ETCD_EVENT_CANCELED:
		etcd_watch_cancel(l->watch);
		l->watch = NULL;   /* the next tick makes another */
		break;
	default:
		break;
	}
}

static void
leader_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct leader *l = arg;

	(void)fd;
	(void)what;
	leader_soon(l, LEADER_KEEPALIVE);
	if (l->watch == NULL)
		l->watch = etcd_watch(l->etcd, LEADER_KEY, 0, 0, leader_watch_cb, l);
	if (l->lease == 0) {
		if (!l->granting &&
		    etcd_lease_grant(l->etcd, LEADER_TTL, leader_grant_cb, l) == 0)
			l->granting = 1;
		return;
	}
	if (!l->renewing &&
	    etcd_lease_keepalive(l->etcd, l->lease, leader_keepalive_cb, l) == 0)
		l->renewing = 1;
	leader_campaign(l);
}

struct leader *
leader_new(struct event_base *base, struct etcd_client *etcd, leader_cb cb, void *arg)
{
	struct leader *l = xcalloc(1, sizeof(*l));
	unsigned char rnd[6];
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		fatalx("RAND_bytes failed");
	l->id = xasprintf("%s:%ld:%02x%02x%02x%02x%02x%02x", host, (long)getpid(),
	    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	l->base = base;
	l->etcd = etcd;
	l->cb = cb;
	l->arg = arg;
	if ((l->tick = evtimer_new(base, leader_tick_cb, l)) == NULL ||
	    (l->expiry = evtimer_new(base, leader_expiry_cb, l)) == NULL)
		fatalx("evtimer_new failed");
	leader_soon(l, 0);
	return l;
}

void
leader_free(struct leader *l)
{
	if (l == NULL)
		return;
	if (l->watch != NULL)
		etcd_watch_cancel(l->watch);
	event_free(l->tick);
	event_free(l->expiry);
	free(l->id);
	free(l);
}

int
leader_is(const struct leader *l)
{
	return l != NULL && l->leading;
}

const char *
leader_id(const struct leader *l)
{
	return l->id;
}

int64_t
leader_revision(const struct leader *l)
{
	return l != NULL && l->leading ? l->key_rev : 0;
}
