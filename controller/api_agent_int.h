/*
 * api_agent_int.h: what api_agent.c (the agent's record writes, heartbeats,
 * task results and the org views) and api_agent_desired.c (the desired
 * state long poll) share; not for other modules (they use api.h).
 */
#ifndef FABFED_API_AGENT_INT_H
#define FABFED_API_AGENT_INT_H

#include <stdint.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <jansson.h>

struct server_req;

struct lp_cons;

/* One request: a long poll, a record write, a heartbeat or a read. */
struct ag_ctx {
	struct server_req *sr;     /* the request this belongs to */
	char *consortium;
	char *msp;
	int64_t since;            /* long poll */
	int poll_secs;
	struct event *timer;      /* long poll deadline */
	struct lp_cons *cons;     /* set while waiting on a consortium's mirror */
	int64_t seen_rev;         /* barrier: etcd's revision at arrival, */
	int64_t seen_max;         /* the newest mod_revision in the prefix then, */
	int64_t seen_keys;        /* and how many keys it held */
	TAILQ_ENTRY(ag_ctx) entry;
	int state;
	char *key;                /* record written */
	json_t *value;            /* record to write */
	int tries;
};
/* api_agent.c */
struct ag_ctx	*api_ag_new(struct server_req *);

/* api_agent_desired.c: takes a pending desired request off its mirror. */
void		 api_lp_detach(struct ag_ctx *);

#endif /* FABFED_API_AGENT_INT_H */
