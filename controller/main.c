/*
 * fabfed-controller: the federation controller.
 *
 *   fabfed-controller init --state-dir DIR [--url URL] [--san NAMES]
 *   fabfed-controller run  --state-dir DIR [--listen HOST:PORT] [--etcd URLS]
 *   fabfed-controller version
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "api.h"
#include "embed.h"
#include "etcd.h"
#include "fedca.h"
#include "log.h"
#include "metrics.h"
#include "opts.h"
#include "pki.h"
#include "server.h"
#include "xmalloc.h"

static const char *opt_state_dir, *opt_url, *opt_san, *opt_listen, *opt_etcd, *opt_logfmt;
static int opt_verbose, opt_check, opt_help;

static const struct opt init_opts[] = {
	{ "state-dir", 'd', OPT_STRING, 0, 0, NULL, "directory for the CA and identities", &opt_state_dir },
	{ "url", 0, OPT_STRING, 0, 0, "https://127.0.0.1:7443", "controller URL written to admin.conf", &opt_url },
	{ "san", 0, OPT_STRING, 0, 0, NULL, "extra server certificate names/IPs, comma-separated", &opt_san },
	{ "verbose", 'v', OPT_FLAG, 0, 0, NULL, "debug logging", &opt_verbose },
	{ "help", 'h', OPT_FLAG, 0, 0, NULL, "this help", &opt_help },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL },
};

static const struct opt run_opts[] = {
	{ "state-dir", 'd', OPT_STRING, 0, 0, NULL, "directory made by init", &opt_state_dir },
	{ "listen", 'l', OPT_STRING, 0, 0, "127.0.0.1:7443", "HOST:PORT to serve on (port 0 picks one)", &opt_listen },
	{ "etcd", 'e', OPT_STRING, 0, 0, NULL, "etcd endpoints URL[,URL...]; none = embedded etcd", &opt_etcd },
	{ "log-format", 0, OPT_STRING, 0, 0, "text", "text or json", &opt_logfmt },
	{ "check", 'n', OPT_FLAG, 0, 0, NULL, "check the configuration and exit", &opt_check },
	{ "verbose", 'v', OPT_FLAG, 0, 0, NULL, "debug logging", &opt_verbose },
	{ "help", 'h', OPT_FLAG, 0, 0, NULL, "this help", &opt_help },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL },
};

static void
usage(void)
{
	fprintf(stderr, "usage: fabfed-controller init|run|version [options]\n\n");
	opts_usage(stderr, "fabfed-controller init --state-dir DIR [options]", init_opts);
	fprintf(stderr, "\n");
	opts_usage(stderr, "fabfed-controller run --state-dir DIR [options]", run_opts);
}

static int
cmd_init(int argc, char **argv)
{
	char *cause = NULL;
	int created;

	if (opts_parse(argc, argv, init_opts, &cause) < 0) {
		fprintf(stderr, "fabfed-controller init: %s\n", cause);
		free(cause);
		return 2;
	}
	if (opt_help) {
		opts_usage(stdout, "fabfed-controller init --state-dir DIR [options]", init_opts);
		return 0;
	}
	log_init("fabfed-controller", opt_verbose, LOG_FORMAT_TEXT);
	if (opt_state_dir == NULL) {
		fprintf(stderr, "fabfed-controller init: --state-dir is required\n");
		return 2;
	}
	if (fedca_init(opt_state_dir, opt_url, opt_san, &created, &cause) != 0) {
		log_warnx("init: %s", cause);
		free(cause);
		return 1;
	}
	printf("%s federation CA in %s\nadmin client config: %s/admin.conf\n",
	    created ? "created" : "kept the existing", opt_state_dir, opt_state_dir);
	return 0;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	log_info("signal %d: shutting down", (int)sig);
	event_base_loopexit(arg, NULL);
}

static void
on_etcd_observe(const char *method, int ok, double seconds, void *arg)
{
	metrics_etcd(method, ok, seconds);
}

static int
write_addr(const char *dir, const char *addr, char **cause)
{
	char *path = xasprintf("%s/controller.addr", dir), *text = xasprintf("%s\n", addr);
	int ret = pki_file_write(path, text, strlen(text), 0644, cause);

	free(path);
	free(text);
	return ret;
}

static int
cmd_run(int argc, char **argv)
{
	struct event_base *base = NULL;
	struct event *sigterm = NULL, *sigint = NULL;
	struct embed *embed = NULL;
	struct etcd_client *etcd = NULL;
	struct server *srv = NULL;
	char *cause = NULL, *ca = NULL, *cakey = NULL, *crt = NULL, *key = NULL;
	char *url = NULL, *addrp = NULL;
	const char *endpoints;
	int ret = 1;

	if (opts_parse(argc, argv, run_opts, &cause) < 0) {
		fprintf(stderr, "fabfed-controller run: %s\n", cause);
		free(cause);
		return 2;
	}
	if (opt_help) {
		opts_usage(stdout, "fabfed-controller run --state-dir DIR [options]", run_opts);
		return 0;
	}
	if (strcmp(opt_logfmt, "text") != 0 && strcmp(opt_logfmt, "json") != 0) {
		fprintf(stderr, "fabfed-controller run: --log-format is text or json\n");
		return 2;
	}
	log_init("fabfed-controller", opt_verbose,
	    strcmp(opt_logfmt, "json") == 0 ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT);
	if (opt_state_dir == NULL) {
		fprintf(stderr, "fabfed-controller run: --state-dir is required\n");
		return 2;
	}
	ca = xasprintf("%s/ca.crt", opt_state_dir);
	cakey = xasprintf("%s/ca.key", opt_state_dir);
	crt = xasprintf("%s/server.crt", opt_state_dir);
	key = xasprintf("%s/server.key", opt_state_dir);
	if (access(ca, R_OK) != 0 || access(cakey, R_OK) != 0 || access(crt, R_OK) != 0 ||
	    access(key, R_OK) != 0) {
		log_warnx("%s has no federation CA or server identity: run "
		    "`fabfed-controller init --state-dir %s` first", opt_state_dir, opt_state_dir);
		goto done;
	}
	{
		char *h = NULL;
		int p;

		if (server_split_hostport(opt_listen, &h, &p) != 0) {
			log_warnx("--listen %s: expected HOST:PORT", opt_listen);
			goto done;
		}
		free(h);
	}
	if (opt_check) {
		printf("configuration OK\n");
		ret = 0;
		goto done;
	}

	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init failed");
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if (opt_etcd == NULL) {
		if ((embed = embed_start(base, opt_state_dir, &cause)) == NULL) {
			log_warnx("embedded etcd: %s", cause);
			goto done;
		}
		endpoints = embed_endpoint(embed);
	} else
		endpoints = opt_etcd;
	if ((etcd = etcd_client_new(base, endpoints, &cause)) == NULL) {
		log_warnx("--etcd: %s", cause);
		goto done;
	}
	etcd_client_set_observer(etcd, on_etcd_observe, NULL);
	if ((srv = server_new(base, etcd, opt_listen, ca, cakey, crt, key, &cause)) == NULL) {
		log_warnx("%s", cause);
		goto done;
	}
	if (write_addr(opt_state_dir, srv->addr, &cause) != 0) {
		log_warnx("%s", cause);
		goto done;
	}
	addrp = xasprintf("%s/controller.addr", opt_state_dir);
	if (strncmp(srv->addr, "0.0.0.0:", 8) != 0 && strncmp(srv->addr, "[::]:", 5) != 0) {
		url = xasprintf("https://%s", srv->addr);
		if (fedca_set_url(opt_state_dir, url, &cause) != 0) {
			log_warnx("%s", cause);
			free(cause);
			cause = NULL;
		}
	}
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	sigint = evsignal_new(base, SIGINT, on_signal, base);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	log_info("fabfed-controller %s serving https://%s (etcd %s)", FABFED_VERSION,
	    srv->addr, endpoints);
	event_base_dispatch(base);
	ret = 0;
done:
	if (addrp != NULL)
		unlink(addrp);
	api_agent_shutdown();    /* long-poll watches, before their client */
	etcd_client_free(etcd);  /* drops pending callbacks first */
	server_free(srv);        /* then frees the requests they held */
	embed_stop(embed);
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	if (base != NULL)
		event_base_free(base);
	if (base != NULL)
		curl_global_cleanup();
	free(cause);
	free(ca);
	free(cakey);
	free(crt);
	free(key);
	free(url);
	free(addrp);
	return ret;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
		return 2;
	}
	if (strcmp(argv[1], "init") == 0)
		return cmd_init(argc - 1, argv + 1);
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("fabfed-controller %s\n", FABFED_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		usage();
		return 0;
	}
	fprintf(stderr, "fabfed-controller: unknown command \"%s\"\n", argv[1]);
	usage();
	return 2;
}
