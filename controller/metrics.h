/*
 * metrics.h: the controller's Prometheus metrics (one set per process).
 */
#ifndef FABFED_METRICS_H
#define FABFED_METRICS_H

/* route is a template ("/v1/consortia/{name}"), borrowed for the process's life. */
void metrics_request(const char *route, int code);
void metrics_etcd(const char *method, int ok, double seconds);
/* n < 0: unknown (etcd did not answer). */
void metrics_set_consortia(long n);
/* 1 while this controller leads the workflows, 0 otherwise. */
void metrics_set_leader(int leading);
/*
 * Workflows in STATE ("running", "succeeded", "failed", "rendered") as the
 * leader last counted them; n < 0 (any state, or NULL for all): unknown.
 */
void metrics_set_workflows(const char *state, long n);
/* The exposition text. Caller frees. */
char *metrics_render(void);

#endif
