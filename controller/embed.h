/*
 * embed.h: the embedded default: a single-member etcd (the `etcd` binary on
 * PATH) run as a supervised child of the controller, its data in
 * STATE/etcd, on loopback ports chosen once and kept in STATE/etcd.ports.
 * The child dies with the controller (PR_SET_PDEATHSIG) and is restarted
 * with backoff if it dies on its own.
 */
#ifndef FABFED_EMBED_H
#define FABFED_EMBED_H

struct event_base;
struct embed;

struct embed *embed_start(struct event_base *, const char *statedir, char **cause);
/* "http://127.0.0.1:PORT" (borrowed). */
const char *embed_endpoint(const struct embed *);
/* SIGTERM, bounded wait, then SIGKILL; frees. NULL is a no-op. */
void embed_stop(struct embed *);

#endif
