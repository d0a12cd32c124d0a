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
/* The exposition text. Caller frees. */
char *metrics_render(void);

#endif
