/*
 * leader.h: leader election among controllers sharing one etcd, on the key
 * /fabfed/v1/leader (docs/workflows.md). A controller holds a lease (15 s
 * TTL, kept alive every 5 s) and creates the key on it with a txn that
 * succeeds only if the key is absent; the others watch the key and try
 * again when it goes. A leader that cannot renew its lease before the TTL
 * runs out stops leading at once, without waiting for etcd.
 */
#ifndef FABFED_LEADER_H
#define FABFED_LEADER_H

#include <stdint.h>

struct event_base;
struct etcd_client;
struct leader;

#define LEADER_KEY        "/fabfed/v1/leader"
#define LEADER_TTL        15    /* seconds */
#define LEADER_KEEPALIVE  5     /* seconds */

/* Called with 1 when this controller becomes the leader, 0 when it stops. */
typedef void (*leader_cb)(int leading, void *arg);

/*
 * Starts campaigning at once. The id is "HOST:PID:RANDOM". Borrows base and
 * etcd (which must outlive it).
 */
struct leader *leader_new(struct event_base *, struct etcd_client *, leader_cb,
    void *arg);
/* Stops (without calling back). NULL is a no-op. */
void leader_free(struct leader *);
int leader_is(const struct leader *);
/* This controller's id (borrowed). */
const char *leader_id(const struct leader *);
/*
 * While leading: the create_revision of the leader key this controller
 * made. A write guarded by "create_revision of LEADER_KEY == this" is done
 * only by the current leader (etcd_txn_cmp_int with ETCD_CMP_CREATE).
 */
int64_t leader_revision(const struct leader *);

#endif
