/*
 * etcd_watch.c: the etcd v3 client's watches (see etcd_watch in etcd.h),
 * on the client's curl multi and libevent loop (etcd.c, etcd_int.h).
 *
 * Watches: one long-lived POST /v3/watch per watch. The gateway answers a
 * stream of JSON lines ({"result":{...}}); bytes are buffered in curl's write
 * callback and parsed after curl returns, so user callbacks never run inside
 * curl. When the stream breaks, the watch reconnects to the next endpoint
 * after a backoff (100 ms doubling to 5 s, reset after a stream was
 * established) from the revision after the last event seen. If that
 * revision was compacted, the callback gets ETCD_EVENT_COMPACTED (events
 * were lost: the caller must re-read) and the watch goes on from the
 * compact revision. A watch that etcd cancels for another reason reports
 * ETCD_EVENT_CANCELED once and stops. A member that hangs without closing
 * the TCP connection is noticed by TCP keepalive (about 30 s), and a stream
 * not created within the request timeout is abandoned for the next member.
 */
#include "etcd.h"
#include "etcd_int.h"

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "curlev.h"
#include "log.h"
#include "xmalloc.h"

#define WATCH_BACKOFF_MIN_MS  100
#define WATCH_BACKOFF_MAX_MS  5000

enum watch_state {
	WATCH_STREAMING,      /* easy handle in the multi */
	WATCH_BACKOFF,        /* timer armed to reconnect */
	WATCH_STOPPED         /* cancelled by etcd; waits for etcd_watch_cancel */
};

struct etcd_watch {
	TAILQ_ENTRY(etcd_watch) entry;
	struct etcd_client *client;
	char *key;
	size_t key_len;
	int flags;
	int64_t next_rev;                    /* 0: from now */
	etcd_watch_cb cb;
	void *arg;
	enum watch_state state;
	CURL *easy;
	char *body;
	struct buf stream;
	int overflow;
	unsigned int gen;                    /* connections made */
	int created;                         /* this stream said created */
	int pending;                         /* stream holds unparsed bytes */
	int in_cb;
	int dead;                            /* cancelled inside its callback */
	size_t ep;
	long backoff_ms;
	struct curlev_timer *timer;          /* backoff, or create deadline */
	char errbuf[CURL_ERROR_SIZE];
};

static void	 watch_connect(struct etcd_watch *);
static void	 watch_done(CURL *, CURLcode, void *);

static void
watch_drop_easy(struct etcd_watch *w)
{
	if (w->easy == NULL)
		return;
	curlev_remove(w->client->cv, w->easy);
	curl_easy_cleanup(w->easy);
	w->easy = NULL;
}

static void
watch_free(struct etcd_watch *w)
{
	watch_drop_easy(w);
	curlev_timer_free(w->timer);
	free(w->key);
	free(w->body);
	buf_free(&w->stream);
	free(w);
}

static void
watch_timer(void *arg)
{
	struct etcd_watch *w = arg;
	struct etcd_client *c = w->client;

	if (w->state == WATCH_BACKOFF)
		watch_connect(w);
	else if (w->state == WATCH_STREAMING && !w->created) {
		/* The member took the stream but never created the watch. */
		log_warnx("etcd: watch on %s not created within %ld ms; trying "
		    "the next member", c->endpoints[w->ep], c->timeout_ms);
		watch_drop_easy(w);
		w->ep = (w->ep + 1) % c->nendpoints;
		watch_connect(w);
	}
}

static void
watch_schedule(struct etcd_watch *w, long ms)
{
	w->state = WATCH_BACKOFF;
	curlev_timer_add(w->timer, ms);
}

/* A broken stream: reconnect to the next member after the backoff. */
static void
watch_retry(struct etcd_watch *w, const char *why)
{
	struct etcd_client *c = w->client;

	watch_drop_easy(w);
	if (w->created)
		w->backoff_ms = WATCH_BACKOFF_MIN_MS;
	else if (w->backoff_ms < WATCH_BACKOFF_MAX_MS)
		w->backoff_ms = w->backoff_ms * 2 > WATCH_BACKOFF_MAX_MS ?
		    WATCH_BACKOFF_MAX_MS : w->backoff_ms * 2;
	if (w->next_rev > 0)
		log_warnx("etcd: watch stream on %s ended (%s); resuming "
		    "from revision %lld in %ld ms", c->endpoints[w->ep], why,
		    (long long)w->next_rev, w->backoff_ms);
	else
		log_warnx("etcd: watch stream on %s ended (%s); starting "
		    "again in %ld ms", c->endpoints[w->ep], why,
		    w->backoff_ms);
	w->ep = (w->ep + 1) % c->nendpoints;
	watch_schedule(w, w->backoff_ms);
}

static size_t
watch_write(char *p, size_t size, size_t n, void *arg)
{
	struct etcd_watch *w = arg;

	if (size != 1 || buf_add(&w->stream, p, n) == -1) {
		w->overflow = 1;
		return 0;
	}
	if (memchr(p, '\n', n) != NULL)
		w->pending = 1;
	return n;
}

static void
watch_connect(struct etcd_watch *w)
{
	struct etcd_client *c = w->client;

	w->gen++;
	free(w->body);
	w->body = etcd_encode_watch(w->key, w->key_len, w->flags, w->next_rev);
	buf_reset(&w->stream);
	w->overflow = 0;
	w->created = 0;
	w->pending = 0;
	w->easy = etcd_easy_new(c, c->endpoints[w->ep], "/v3/watch", w->body,
	    w->errbuf);
	if (w->easy == NULL) {
		watch_schedule(w, WATCH_BACKOFF_MAX_MS);
		return;
	}
	curl_easy_setopt(w->easy, CURLOPT_WRITEFUNCTION, watch_write);
	curl_easy_setopt(w->easy, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(w->easy, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
	if (curlev_add(c->cv, w->easy, watch_done, w) == -1) {
		curl_easy_cleanup(w->easy);
		w->easy = NULL;
		watch_schedule(w, WATCH_BACKOFF_MAX_MS);
		return;
	}
	w->state = WATCH_STREAMING;
	/* The create deadline; deleted once etcd says created. */
	curlev_timer_add(w->timer, c->timeout_ms);
}

/*
 * Runs the callback for one decoded message. Returns -1 when the watch or
 * the client went away inside it, or the stream must not be read further.
 */
static int
watch_handle(struct etcd_watch *w, struct etcd_watch_response *wr)
{
	struct etcd_client *c = w->client;
	struct etcd_event ev;
	size_t i;

	if (wr->created && !w->created) {
		w->created = 1;
		w->backoff_ms = WATCH_BACKOFF_MIN_MS;
		curlev_timer_del(w->timer);
		c->preferred = w->ep;
		if (w->next_rev == 0 && wr->revision > 0)
			w->next_rev = wr->revision + 1;
	}
	for (i = 0; i < wr->nevents; i++) {
		const struct etcd_kv *kv = &wr->events[i].kv;

		if (kv->mod_revision >= w->next_rev)
			w->next_rev = kv->mod_revision + 1;
		ev.type = wr->events[i].type;
		ev.kv = kv;
		w->in_cb = 1;
		w->cb(&ev, kv->mod_revision, w->arg);
		w->in_cb = 0;
		if (w->dead || c->freeing)
			return -1;
	}
	if (wr->canceled) {
		ev.kv = NULL;
		if (wr->compact_revision > 0) {
			ev.type = ETCD_EVENT_COMPACTED;
			log_warnx("etcd: watch from revision %lld: compacted "
			    "at %lld; events were lost", (long long)w->next_rev,
			    (long long)wr->compact_revision);
			w->next_rev = wr->compact_revision;
		} else {
			ev.type = ETCD_EVENT_CANCELED;
			log_warnx("etcd: watch cancelled by etcd: %s",
			    wr->cancel_reason != NULL ? wr->cancel_reason :
			    "no reason given");
		}
		w->in_cb = 1;
		w->cb(&ev, ev.type == ETCD_EVENT_COMPACTED ?
		    wr->compact_revision : 0, w->arg);
		w->in_cb = 0;
		if (w->dead || c->freeing)
			return -1;
		watch_drop_easy(w);
		curlev_timer_del(w->timer);
		if (ev.type == ETCD_EVENT_COMPACTED)
			watch_connect(w);     /* same member, at once */
		else
			w->state = WATCH_STOPPED;
		return -1;
	}
	return 0;
}

/* Parses the complete lines of w's stream. Returns -1 if w is gone. */
static int
watch_parse(struct etcd_watch *w)
{
	struct etcd_watch_response wr;
	char *nl, *line, *cause;
	size_t off = 0, len;
	int r;

	w->pending = 0;
	while (w->state == WATCH_STREAMING && off < w->stream.len &&
	    (nl = memchr(w->stream.data + off, '\n', w->stream.len - off))
	    != NULL) {
		line = w->stream.data + off;
		len = (size_t)(nl - line);
		off += len + 1;
		if (len == 0 || (len == 1 && line[0] == '\r'))
			continue;
		if (etcd_decode_watch(line, len, &wr, &cause) == -1) {
			watch_retry(w, cause);
			free(cause);
			return 0;
		}
		r = watch_handle(w, &wr);
		etcd_watch_response_clear(&wr);
		if (w->dead) {
			TAILQ_REMOVE(&w->client->watches, w, entry);
			watch_free(w);
			return -1;
		}
		if (r == -1)
			return w->client->freeing ? -1 : 0;
	}
	if (w->state == WATCH_STREAMING && off > 0) {
		memmove(w->stream.data, w->stream.data + off,
		    w->stream.len - off);
		w->stream.len -= off;
		w->stream.data[w->stream.len] = '\0';
	}
	return 0;
}

/* curlev's after hook: the bytes curl buffered, to the watch callbacks. */
void
etcd_watch_deliver(void *arg)
{
	struct etcd_client *c = arg;
	struct etcd_watch *w;
	int again = 1, rounds = 0;

	/* Rescan after each callback: it may have cancelled any watch. */
	while (again && !c->freeing && rounds++ < 100000) {
		again = 0;
		TAILQ_FOREACH(w, &c->watches, entry) {
			if (w->pending && w->state == WATCH_STREAMING) {
				watch_parse(w);
				again = 1;
				break;
			}
		}
	}
}

/* curlev's done callback: w->easy is out of the multi. */
static void
watch_done(CURL *easy, CURLcode rc, void *arg)
{
	struct etcd_watch *w = arg;
	const char *why;
	char *msg;
	unsigned int gen = w->gen;

	/* Whatever arrived before the end is still news. */
	if (w->stream.len > 0 && watch_parse(w) == -1)
		return;
	/* Gone, stopped, or already reconnected by what was parsed. */
	if (w->client->freeing || w->state != WATCH_STREAMING || w->gen != gen)
		return;
	if (w->overflow)
		why = "a message larger than the limit";
	else if (rc == CURLE_OK)
		why = "closed by the member";
	else
		why = w->errbuf[0] != '\0' ? w->errbuf : curl_easy_strerror(rc);
	msg = xstrdup(why);
	curlev_timer_del(w->timer);
	watch_retry(w, msg);
	free(msg);
}

struct etcd_watch *
etcd_watch(struct etcd_client *c, const char *key, int flags,
    int64_t start_revision, etcd_watch_cb cb, void *arg)
{
	struct etcd_watch *w;

	if (c == NULL || c->freeing || key == NULL || cb == NULL ||
	    start_revision < 0)
		return NULL;
	w = xcalloc(1, sizeof(*w));
	w->client = c;
	w->key_len = strlen(key);
	w->key = xstrdup(key);
	w->flags = flags & ETCD_PREFIX;
	w->next_rev = start_revision;
	w->cb = cb;
	w->arg = arg;
	w->ep = c->preferred;
	w->backoff_ms = WATCH_BACKOFF_MIN_MS;
	buf_init(&w->stream, ETCD_MAX_ANSWER);
	w->timer = curlev_timer_new(c->cv, watch_timer, w);
	TAILQ_INSERT_TAIL(&c->watches, w, entry);
	watch_connect(w);
	return w;
}

void
etcd_watch_cancel(struct etcd_watch *w)
{
	if (w == NULL)
		return;
	if (w->in_cb) {
		/* Freed by watch_parse once the callback returns. */
		w->dead = 1;
		watch_drop_easy(w);
		curlev_timer_del(w->timer);
		return;
	}
	TAILQ_REMOVE(&w->client->watches, w, entry);
	watch_free(w);
}

/* etcd_client_free's part: frees c's watches (those inside their callback
 * once it returns). */
void
etcd_watch_free_all(struct etcd_client *c)
{
	struct etcd_watch *w, *next;

	for (w = TAILQ_FIRST(&c->watches); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (w->in_cb) {
			/* Freed by watch_parse once the callback returns. */
			w->dead = 1;
			watch_drop_easy(w);
			curlev_timer_del(w->timer);
			continue;
		}
		TAILQ_REMOVE(&c->watches, w, entry);
		watch_free(w);
	}
}
