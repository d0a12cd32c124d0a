/*
 * ctl_agent.c: `fabfedctl agent status --state-dir DIR`: asks a member
 * agent on this machine how it is, over its local admin socket (nanomsg
 * REQ/REP, ipc://DIR/admin.sock; lib/ipc.h's message format). No
 * controller involved: this works when the controller is unreachable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ctl.h"
#include "ipc.h"
#include "xmalloc.h"

#define CTL_AGENT_TIMEOUT_MS 5000

int
ctl_agent_print(FILE *fp, const json_t *st, char **cause)
{
	static const char *rows[][2] = {
		{ "MSP ID", "mspId" }, { "Consortium", "consortium" },
		{ "Controller", "controller" }, { "State", "state" },
		{ "Applied revision", "appliedRevision" }, { "Runtime", "runtime" },
		{ "Signer", "signer" }, { "Last error", "lastError" },
		{ "Version", "version" },
	};
	const json_t *run;
	char *safe;
	size_t i;

	if (!json_is_object(st) || !json_is_string(json_object_get(st, "mspId"))) {
		*cause = xstrdup("the agent's answer has no mspId");
		return -1;
	}
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const json_t *v = json_object_get(st, rows[i][1]);

		if (json_is_integer(v))
			fprintf(fp, "%-18s%" JSON_INTEGER_FORMAT "\n", rows[i][0],
			    json_integer_value(v));
		else {
			safe = ctl_out_sanitize(json_is_string(v) ? json_string_value(v) : "-");
			fprintf(fp, "%-18s%s\n", rows[i][0], safe);
			free(safe);
		}
	}
	/* The cross-cluster tasks (docs/agent-tasks.md). */
	if (json_is_array(json_object_get(st, "tasks")))
		fprintf(fp, "%-18s%zu\n", "Open tasks",
		    json_array_size(json_object_get(st, "tasks")));
	run = json_object_get(st, "runningTask");
	if (json_is_string(json_object_get(run, "id"))) {
		safe = ctl_out_sanitize(json_string_value(json_object_get(run, "id")));
		fprintf(fp, "%-18s%s (attempt %" JSON_INTEGER_FORMAT ")\n",
		    "Running task", safe, json_integer_value(json_object_get(run,
		    "attempt")));
		free(safe);
	} else if (json_object_get(st, "runningTask") != NULL)
		fprintf(fp, "%-18s-\n", "Running task");
	return 0;
}

int
ctl_agent_run(const struct ctl_args *args)
{
	char *url = xasprintf("ipc://%s/admin.sock", args->state_dir), *cause = NULL;
	json_t *req = json_object(), *ans = NULL;
	int rtype = 0, ret;

	if (ipc_call(url, IPC_PING, req, CTL_AGENT_TIMEOUT_MS, &rtype, &ans, &cause) != 0) {
		char *msg = xasprintf("no answer from the agent at %s: %s (is "
		    "`fabfed-agent run --state-dir %s` running?)", url, cause, args->state_dir);

		ret = ctl_out_fail(stderr, msg);
		free(msg);
		goto done;
	}
	if (rtype != IPC_PONG) {
		fprintf(stderr, "error: the agent answered %s: %s\n", ipc_type_name(rtype),
		    json_string_value(json_object_get(ans, "reason")) != NULL ?
		    json_string_value(json_object_get(ans, "reason")) : "");
		ret = CTL_EXIT_REJECTED;
		goto done;
	}
	if (args->format == CTL_FORMAT_JSON)
		ret = ctl_out_json(stdout, ans) == 0 ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	else if (ctl_agent_print(stdout, ans, &cause) != 0)
		ret = ctl_out_fail(stderr, cause);
	else
		ret = CTL_EXIT_OK;
done:
	json_decref(req);
	json_decref(ans);
	free(cause);
	free(url);
	return ret;
}
