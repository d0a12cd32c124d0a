/*
 * fabfedctl: the consortium lead's command-line client of the fabfed
 * controller. Usage in docs/fabfedctl.md; the API in docs/api.md.
 *
 * Exit status: 0 done (diff: no differences), 1 rejected by the controller
 * (diff: differences), 2 usage, local file, connection or TLS error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <yaml.h>

#include "ctl.h"
#include "log.h"

static int
ctl_version(void)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

	printf("fabfedctl %s (libcurl %s, %s, jansson %s, libyaml %s)\n",
	    FABFED_VERSION, cv->version,
	    cv->ssl_version != NULL ? cv->ssl_version : "no TLS",
	    jansson_version_str(), yaml_get_version_string());
	return CTL_EXIT_OK;
}

int
main(int argc, char *argv[])
{
	struct ctl_args args;
	struct ctl_conf conf;
	struct ctl_client *c = NULL;
	char *cause = NULL;
	int ret = CTL_EXIT_USAGE;

	log_init("fabfedctl", 0, LOG_FORMAT_TEXT);
	memset(&conf, 0, sizeof(conf));

	if (ctl_args_parse(argc, argv, &args, &cause) == -1) {
		fprintf(stderr, "error: %s\nRun \"fabfedctl --help\" for "
		    "usage.\n", cause);
		goto done;
	}
	if (args.cmd == CTL_CMD_HELP) {
		ctl_args_usage(stdout);
		ret = CTL_EXIT_OK;
		goto done;
	}
	if (args.cmd == CTL_CMD_VERSION) {
		ret = ctl_version();
		goto done;
	}
	if (args.cmd == CTL_CMD_AGENT_STATUS) {
		ret = ctl_agent_run(&args);
		goto done;
	}
	if (args.cmd == CTL_CMD_CHANNEL_CONFIG ||
	    args.cmd == CTL_CMD_CHANNEL_DECODE) {
		ret = ctl_channel_run(&args);
		goto done;
	}
	if (ctl_args_env(&args, &cause) == -1 ||
	    ctl_conf_load(args.config, args.controller, &conf, &cause) == -1 ||
	    ctl_conf_check(&conf, stderr, &cause) == -1) {
		ret = ctl_out_fail(stderr, cause);
		goto done;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		ret = ctl_out_fail(stderr, "cannot start libcurl");
		goto done;
	}
	if ((c = ctl_client_new(&conf, args.timeout, &cause)) == NULL) {
		ret = ctl_out_fail(stderr, cause);
		goto cleanup;
	}

	switch (args.cmd) {
	case CTL_CMD_APPLY:
		ret = ctl_apply_run(&args, c);
		break;
	case CTL_CMD_DIFF:
		ret = ctl_diff_run(&args, c);
		break;
	case CTL_CMD_GET_LIST:
	case CTL_CMD_GET_ONE:
	case CTL_CMD_GET_ORGS:
	case CTL_CMD_GET_ORG:
		ret = ctl_get_run(&args, c);
		break;
	case CTL_CMD_DELETE:
		ret = ctl_delete_run(&args, c);
		break;
	case CTL_CMD_TOKEN_CREATE:
		ret = ctl_token_run(&args, c);
		break;
	case CTL_CMD_GET_WORKFLOWS:
	case CTL_CMD_GET_WORKFLOW:
	case CTL_CMD_DESCRIBE_WORKFLOW:
	case CTL_CMD_RETRY_WORKFLOW:
		ret = ctl_workflow_run(&args, c);
		break;
	case CTL_CMD_HELP:
	case CTL_CMD_VERSION:
	case CTL_CMD_AGENT_STATUS:
	case CTL_CMD_CHANNEL_CONFIG:
	case CTL_CMD_CHANNEL_DECODE:
		break;
	}
	ctl_client_free(c);
cleanup:
	curl_global_cleanup();
done:
	if (fflush(stdout) == EOF && ret == CTL_EXIT_OK) {
		fprintf(stderr, "error: cannot write the output\n");
		ret = CTL_EXIT_USAGE;
	}
	ctl_conf_free(&conf);
	free(cause);
	return ret;
}
