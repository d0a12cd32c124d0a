/*
 * curlev.h: one libcurl multi handle driven by a libevent loop (the
 * hiperfifo pattern), shared by the etcd client and the HTTPS client. The
 * owner adds easy handles with a "done" callback each; curlev watches the
 * sockets and the timeout curl asks for, and calls done once per transfer,
 * from the loop, after curl has returned (never inside curl, never inside
 * curlev_add).
 *
 * Freeing from a callback: every callback curlev runs (done, the after
 * hook, curlev timers) runs inside a dispatch guard. curlev_free() called
 * inside it only marks the curlev; it is torn down when the dispatch
 * unwinds, and the owner's release hook runs then, so the owner frees
 * itself at a moment when nothing on the stack still uses it.
 */
#ifndef FABFED_CURLEV_H
#define FABFED_CURLEV_H

#include <curl/curl.h>

struct event_base;
struct curlev;
struct curlev_timer;

/* The transfer ended (rc from curl). easy is out of the multi again and
 * belongs to the owner (clean it up or add it again). */
typedef void (*curlev_done_cb)(CURL *easy, CURLcode rc, void *arg);

/*
 * maxconnects: the connection cache's size. Initializes libcurl (global).
 * Returns NULL and *cause (caller frees).
 */
struct curlev *curlev_new(struct event_base *, long maxconnects,
    char **cause);
/*
 * Tears down the multi handle and its events, then runs the release hook
 * and cleans up libcurl (global). Inside a dispatch, done when it unwinds.
 * Easy handles still added are removed (not cleaned up: the owner's).
 * NULL: no-op.
 */
void curlev_free(struct curlev *);
/* 1 once curlev_free has been called (the owner must not add more). */
int curlev_freeing(const struct curlev *);
/* release(arg) runs once when the curlev is torn down (see above). */
void curlev_set_release(struct curlev *, void (*release)(void *), void *arg);
/* after(arg) runs after each round of curl work, before done callbacks. */
void curlev_set_after(struct curlev *, void (*after)(void *), void *arg);

/*
 * Adds easy to the multi; done(easy, rc, arg) runs once when it ends,
 * unless curlev_remove comes first. curlev uses CURLOPT_PRIVATE: the owner
 * must not. Returns 0, or -1 (easy not added, done will not run).
 */
int curlev_add(struct curlev *, CURL *easy, curlev_done_cb, void *arg);
/* Takes easy out of the multi; its done does not run. Not added: no-op. */
void curlev_remove(struct curlev *, CURL *easy);

/*
 * A timer on the curlev's loop whose callback runs inside the dispatch
 * guard (so it may free the owner): for deferred failures, backoffs,
 * deadlines. fn may free the timer. Free it before the curlev's release.
 */
struct curlev_timer *curlev_timer_new(struct curlev *, void (*fn)(void *),
    void *arg);
/* (Re)arms it to fire in ms milliseconds (0: on the next loop turn). */
void curlev_timer_add(struct curlev_timer *, long ms);
void curlev_timer_del(struct curlev_timer *);
/* NULL: no-op. */
void curlev_timer_free(struct curlev_timer *);

#endif
