/*
 * curlev.c: libcurl multi on libevent (curlev.h). Curl says which sockets
 * and which timeout to wait for through CURLMOPT_SOCKETFUNCTION and
 * CURLMOPT_TIMERFUNCTION; libevent says what fired and curlev hands that
 * to curl_multi_socket_action, then reads the finished transfers and calls
 * their done callbacks. One struct event per socket, one timer per multi.
 *
 * The dispatch guard: busy counts how deep the callbacks curlev runs are
 * nested; curlev_free inside them sets freeing (which also stops reading
 * finished transfers) and the last curlev_leave tears everything down.
 */
#include "curlev.h"

#include <sys/queue.h>

#include <stdlib.h>

#include <event2/event.h>

#include "log.h"
#include "xmalloc.h"

struct curlev_sock {
	LIST_ENTRY(curlev_sock) entry;
	struct curlev *cv;
	struct event *ev;
};

/* One added easy handle (its CURLOPT_PRIVATE). */
struct curlev_xfer {
	LIST_ENTRY(curlev_xfer) entry;
	CURL *easy;
	curlev_done_cb done;
	void *arg;
};

struct curlev_timer {
	struct curlev *cv;
	struct event *ev;
	void (*fn)(void *);
	void *arg;
};

struct curlev {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	LIST_HEAD(, curlev_sock) socks;
	LIST_HEAD(, curlev_xfer) xfers;
	void (*release)(void *);
	void *release_arg;
	void (*after)(void *);
	void *after_arg;
	int busy;                            /* dispatch depth */
	int freeing;                         /* curlev_free called */
	int curl_inited;
};

static void
ms_to_tv(long ms, struct timeval *tv)
{
	if (ms < 0)
		ms = 0;
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

static void
xfer_drop(struct curlev *cv, struct curlev_xfer *x)
{
	curl_multi_remove_handle(cv->multi, x->easy);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, NULL);
	LIST_REMOVE(x, entry);
	free(x);
}

static void
curlev_destroy(struct curlev *cv)
{
	struct curlev_sock *s;
	struct curlev_xfer *x;
	int inited = cv->curl_inited;

	while ((x = LIST_FIRST(&cv->xfers)) != NULL)
		xfer_drop(cv, x);
	if (cv->multi != NULL)
		curl_multi_cleanup(cv->multi);
	while ((s = LIST_FIRST(&cv->socks)) != NULL) {
		LIST_REMOVE(s, entry);
		event_free(s->ev);
		free(s);
	}
	if (cv->timer != NULL)
		event_free(cv->timer);
	if (cv->release != NULL)
		cv->release(cv->release_arg);
	free(cv);
	if (inited)
		curl_global_cleanup();
}

static void
curlev_enter(struct curlev *cv)
{
	cv->busy++;
}

static void
curlev_leave(struct curlev *cv)
{
	if (--cv->busy == 0 && cv->freeing)
		curlev_destroy(cv);
}

/* Hands every finished transfer to its done callback. */
static void
curlev_check_done(struct curlev *cv)
{
	struct curlev_xfer *x;
	curlev_done_cb done;
	CURLMsg *msg;
	CURLcode rc;
	CURL *easy;
	char *priv;
	void *arg;
	int left;

	/* A callback may free the curlev or remove any handle: re-read. */
	while (!cv->freeing && (msg = curl_multi_info_read(cv->multi, &left))
	    != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		easy = msg->easy_handle;
		rc = msg->data.result;
		priv = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		if ((x = (struct curlev_xfer *)(void *)priv) == NULL)
			continue;
		done = x->done;
		arg = x->arg;
		xfer_drop(cv, x);
		done(easy, rc, arg);
	}
}

static void
curlev_action(struct curlev *cv, curl_socket_t fd, int action)
{
	int running;

	curlev_enter(cv);
	curl_multi_socket_action(cv->multi, fd, action, &running);
	if (cv->after != NULL && !cv->freeing)
		cv->after(cv->after_arg);
	curlev_check_done(cv);
	curlev_leave(cv);
}

static void
sock_event(evutil_socket_t fd, short what, void *arg)
{
	struct curlev_sock *s = arg;
	int action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	/* s may be freed by curl inside. */
	curlev_action(s->cv, fd, action);
}

static void
timer_event(evutil_socket_t fd, short what, void *arg)
{
	curlev_action(arg, CURL_SOCKET_TIMEOUT, 0);
}

static int
curl_sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct curlev *cv = userp;
	struct curlev_sock *s = sockp;
	short kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			LIST_REMOVE(s, entry);
			event_free(s->ev);
			free(s);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->cv = cv;
		LIST_INSERT_HEAD(&cv->socks, s, entry);
		curl_multi_assign(cv->multi, fd, s);
	} else
		event_free(s->ev);
	if ((s->ev = event_new(cv->base, fd, kind, sock_event, s)) == NULL)
		fatalx("curlev: event_new failed");
	event_add(s->ev, NULL);
	return 0;
}

static int
curl_timer_cb(CURLM *multi, long ms, void *userp)
{
	struct curlev *cv = userp;
	struct timeval tv;

	if (ms < 0) {
		evtimer_del(cv->timer);
		return 0;
	}
	ms_to_tv(ms, &tv);
	evtimer_add(cv->timer, &tv);
	return 0;
}

struct curlev *
curlev_new(struct event_base *base, long maxconnects, char **cause)
{
	struct curlev *cv;

	*cause = NULL;
	cv = xcalloc(1, sizeof(*cv));
	cv->base = base;
	LIST_INIT(&cv->socks);
	LIST_INIT(&cv->xfers);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		*cause = xstrdup("libcurl failed to initialize");
		goto fail;
	}
	cv->curl_inited = 1;
	if ((cv->multi = curl_multi_init()) == NULL) {
		*cause = xstrdup("curl_multi_init failed");
		goto fail;
	}
	if ((cv->timer = evtimer_new(base, timer_event, cv)) == NULL) {
		*cause = xstrdup("evtimer_new failed");
		goto fail;
	}
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETFUNCTION, curl_sock_cb);
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETDATA, cv);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERDATA, cv);
	curl_multi_setopt(cv->multi, CURLMOPT_MAXCONNECTS, maxconnects);
	return cv;
 fail:
	curlev_destroy(cv);
	return NULL;
}

void
curlev_free(struct curlev *cv)
{
	if (cv == NULL || cv->freeing)
		return;
	cv->freeing = 1;
	if (cv->busy == 0)
		curlev_destroy(cv);
}

int
curlev_freeing(const struct curlev *cv)
{
	return cv->freeing;
}

void
curlev_set_release(struct curlev *cv, void (*release)(void *), void *arg)
{
	cv->release = release;
	cv->release_arg = arg;
}

void
curlev_set_after(struct curlev *cv, void (*after)(void *), void *arg)
{
	cv->after = after;
	cv->after_arg = arg;
}

int
curlev_add(struct curlev *cv, CURL *easy, curlev_done_cb done, void *arg)
{
	struct curlev_xfer *x;

	if (cv->freeing || easy == NULL || done == NULL)
		return -1;
	x = xcalloc(1, sizeof(*x));
	x->easy = easy;
	x->done = done;
	x->arg = arg;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, x);
	if (curl_multi_add_handle(cv->multi, easy) != CURLM_OK) {
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		free(x);
		return -1;
	}
	LIST_INSERT_HEAD(&cv->xfers, x, entry);
	return 0;
}

void
curlev_remove(struct curlev *cv, CURL *easy)
{
	char *priv = NULL;

	if (easy == NULL)
		return;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
	if (priv != NULL)
		xfer_drop(cv, (struct curlev_xfer *)(void *)priv);
}

/* Timers inside the dispatch guard. */

static void
curlev_timer_fire(evutil_socket_t fd, short what, void *arg)
{
	struct curlev_timer *t = arg;
	struct curlev *cv = t->cv;           /* t may be freed by fn */

	curlev_enter(cv);
	t->fn(t->arg);
	curlev_leave(cv);
}

struct curlev_timer *
curlev_timer_new(struct curlev *cv, void (*fn)(void *), void *arg)
{
	struct curlev_timer *t;

	t = xcalloc(1, sizeof(*t));
	t->cv = cv;
	t->fn = fn;
	t->arg = arg;
	if ((t->ev = evtimer_new(cv->base, curlev_timer_fire, t)) == NULL)
		fatalx("curlev: evtimer_new failed");
	return t;
}

void
curlev_timer_add(struct curlev_timer *t, long ms)
{
	struct timeval tv;

	ms_to_tv(ms, &tv);
	evtimer_add(t->ev, &tv);
}

void
curlev_timer_del(struct curlev_timer *t)
{
	evtimer_del(t->ev);
}

void
curlev_timer_free(struct curlev_timer *t)
{
	if (t == NULL)
		return;
	event_free(t->ev);
	free(t);
}
