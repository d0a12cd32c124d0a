/*
 * ctl_args.c: fabfedctl's command line.
 *
 * fabfedctl [--config FILE] [--controller URL] [--timeout SECONDS] COMMAND
 * Options may come before or after the command ("--" ends them) and take
 * their value as "--opt VALUE", "--opt=VALUE" or, for -f and -o, "-fVALUE".
 * Parsing only looks at argv; ctl_args_env() adds the environment.
 */
#include "ctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define CTL_ARGS_MAXPOS	8

enum ctl_opt {
	OPT_CONFIG,
	OPT_CONTROLLER,
	OPT_TIMEOUT,
	OPT_FILE,
	OPT_IF_MATCH,
	OPT_OUTPUT,
	OPT_CONSORTIUM,
	OPT_ORG,
	OPT_TTL,
	OPT_STATE_DIR,
	OPT_BLOCK,
	OPT_WAIT,
	OPT_HELP,
	OPT_COUNT
};

static const struct {
	const char *name;	/* long form */
	char short_name;	/* 0 = none */
	int has_value;
} ctl_opts[OPT_COUNT] = {
	[OPT_CONFIG] = { "config", 0, 1 },
	[OPT_CONTROLLER] = { "controller", 0, 1 },
	[OPT_TIMEOUT] = { "timeout", 0, 1 },
	[OPT_FILE] = { "filename", 'f', 1 },
	[OPT_IF_MATCH] = { "if-match", 0, 1 },
	[OPT_OUTPUT] = { "output", 'o', 1 },
	[OPT_CONSORTIUM] = { "consortium", 0, 1 },
	[OPT_ORG] = { "org", 0, 1 },
	[OPT_TTL] = { "ttl", 0, 1 },
	[OPT_STATE_DIR] = { "state-dir", 0, 1 },
	[OPT_BLOCK] = { "block", 0, 1 },
	[OPT_WAIT] = { "wait", 0, 0 },
	[OPT_HELP] = { "help", 'h', 0 },
};

void
ctl_args_usage(FILE *fp)
{
	fputs("usage: fabfedctl [--config FILE] [--controller URL] "
	    "[--timeout SECONDS] COMMAND\n"
	    "\n"
	    "Commands:\n"
	    "  apply -f FILE [--if-match REV] [--wait [--timeout DURATION]]\n"
	    "                                    create or replace the "
	    "consortium in FILE (- = stdin);\n"
	    "                                    --wait: until every channel's "
	    "workflow is done\n"
	    "  diff -f FILE                      show what apply would change\n"
	    "  get consortia [-o table|json|yaml]\n"
	    "                                    list the consortia\n"
	    "  get consortium NAME [-o table|json|yaml]\n"
	    "                                    show one consortium\n"
	    "  get orgs --consortium NAME [-o table|json|yaml]\n"
	    "                                    list a consortium's orgs and "
	    "how their agents are\n"
	    "  get org MSPID --consortium NAME [-o table|json|yaml]\n"
	    "                                    show one org: state, "
	    "endpoints, MSP\n"
	    "  get workflows --consortium NAME [-o table|json|yaml]\n"
	    "                                    list a consortium's "
	    "cross-cluster workflows\n"
	    "  describe workflow ID --consortium NAME [-o json|yaml]\n"
	    "  retry workflow ID --consortium NAME   run a failed change again\n"
	    "                                    show a workflow's steps, tasks "
	    "and what it waits for\n"
	    "  delete consortium NAME [--if-match REV]\n"
	    "                                    delete a consortium and all "
	    "under it\n"
	    "  token create --consortium NAME --org MSPID [--ttl DURATION]\n"
	    "                                    make a single-use join token "
	    "for an org\n"
	    "  agent status --state-dir DIR [-o table|json]\n"
	    "                                    ask a local agent how it is "
	    "(its admin socket)\n"
	    "  channel config --block FILE       print a config block's "
	    "channel config as JSON\n"
	    "  channel decode --block FILE       print a block as JSON "
	    "(as configtxlator does)\n"
	    "  version                           print the version\n"
	    "\n"
	    "Options:\n"
	    "  --config FILE       admin.conf (default $FABFED_CONFIG)\n"
	    "  --controller URL    controller URL (default $FABFED_CONTROLLER, "
	    "else admin.conf)\n"
	    "  --timeout SECONDS   per-request timeout (default 30); with "
	    "apply --wait, how long\n"
	    "                      to wait: 90s, 5m (default), 1h\n"
	    "  --wait              apply: wait for the channels' workflows "
	    "(0 converged,\n"
	    "                      1 failed or timed out)\n"
	    "  -f, --filename FILE the consortium document, YAML or JSON\n"
	    "  --if-match REV      only if the stored revision is REV "
	    "(0 = must not exist)\n"
	    "  -o, --output FMT    table, json or yaml\n"
	    "  --consortium NAME   the consortium (token create, get orgs, "
	    "get org, workflows)\n"
	    "  --org MSPID         the org's MSP ID (token create)\n"
	    "  --ttl DURATION      token lifetime: 90s, 30m, 1h (default), "
	    "7d at most\n"
	    "  --block FILE        a Fabric block file, - for stdin (channel)\n"
	    "\n"
	    "Exit status: 0 done (diff: no differences), 1 rejected by the "
	    "controller\n"
	    "(diff: differences), 2 usage, file, connection or TLS error.\n",
	    fp);
}

/* Checked decimal revision: digits only, at most INT64_MAX. */
static int
ctl_args_revision(const char *s, char **cause)
{
	uintmax_t v;
	char *end;

	if (*s == '\0' || strspn(s, "0123456789") != strlen(s)) {
		*cause = xasprintf("--if-match wants a revision number, "
		    "not \"%s\"", s);
		return -1;
	}
	errno = 0;
	v = strtoumax(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > INT64_MAX) {
		*cause = xasprintf("--if-match revision \"%s\" is out of range",
		    s);
		return -1;
	}
	return 0;
}

static int
ctl_args_timeout(const char *s, long *out, char **cause)
{
	long v;
	char *end;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 1 ||
	    v > CTL_TIMEOUT_MAX) {
		*cause = xasprintf("--timeout wants seconds from 1 to %d, "
		    "not \"%s\"", CTL_TIMEOUT_MAX, s);
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * A duration (see ctl_args_ttl()) of at most max seconds: 0, -1 for bad
 * syntax, -2 when over max.
 */
static int
ctl_args_duration(const char *s, long max, long *out)
{
	const char *p = s;
	long total = 0, v;
	char *end;
	int mult;

	if (*s == '\0')
		return -1;
	do {
		if (*p < '0' || *p > '9')
			return -1;
		errno = 0;
		v = strtol(p, &end, 10);
		if (errno != 0 || v > max)
			return -2;
		switch (*end) {
		case 's':
			mult = 1;
			break;
		case 'm':
			mult = 60;
			break;
		case 'h':
			mult = 3600;
			break;
		case 'd':
			mult = 86400;
			break;
		case '\0':
			if (p != s)	/* "1h30" is ambiguous */
				return -1;
			mult = 1;
			end--;
			break;
		default:
			return -1;
		}
		/* v <= max (at most a week), so v * mult fits in a long. */
		total += v * mult;
		if (total > max)
			return -2;
		p = end + 1;
	} while (*p != '\0');
	*out = total;
	return 0;
}

int
ctl_args_ttl(const char *s, long *out, char **cause)
{
	long v = 0;
	int rc;

	*cause = NULL;
	if ((rc = ctl_args_duration(s, CTL_TTL_MAX, &v)) == -1) {
		*cause = xasprintf("--ttl wants a duration such as 90s, 30m, "
		    "1h or 7d, not \"%s\"", s);
		return -1;
	}
	if (rc == -2 || v < CTL_TTL_MIN) {
		*cause = xasprintf("--ttl \"%s\" is out of range: a join token "
		    "lives from 1m to 7d", s);
		return -1;
	}
	*out = v;
	return 0;
}

int
ctl_args_wait_timeout(const char *s, long *out, char **cause)
{
	long v = 0;
	int rc;

	*cause = NULL;
	if ((rc = ctl_args_duration(s, CTL_WAIT_MAX, &v)) == -1) {
		*cause = xasprintf("--timeout of apply --wait wants a duration "
		    "such as 90s, 5m or 1h, not \"%s\"", s);
		return -1;
	}
	if (rc == -2 || v < 1) {
		*cause = xasprintf("--timeout \"%s\" is out of range: apply "
		    "--wait waits from 1s to 24h", s);
		return -1;
	}
	*out = v;
	return 0;
}

static int
ctl_args_format(const char *s, enum ctl_format *out, char **cause)
{
	if (strcmp(s, "table") == 0 || strcmp(s, "wide") == 0)
		*out = CTL_FORMAT_TABLE;
	else if (strcmp(s, "json") == 0)
		*out = CTL_FORMAT_JSON;
	else if (strcmp(s, "yaml") == 0)
		*out = CTL_FORMAT_YAML;
	else {
		*cause = xasprintf("-o wants table, json or yaml, not \"%s\"",
		    s);
		return -1;
	}
	return 0;
}

/*
 * Recognizes argv[*i] as an option; sets *opt and *value (value borrowed
 * from argv) and advances *i past a separate value. Returns 0, or -1 with
 * *cause.
 */
static int
ctl_args_option(int argc, char *argv[], int *i, enum ctl_opt *opt,
    const char **value, char **cause)
{
	const char *arg = argv[*i], *attached = NULL;
	size_t n;
	int k;

	*value = NULL;
	if (arg[1] == '-') {
		n = strcspn(arg + 2, "=");
		for (k = 0; k < OPT_COUNT; k++)
			if (strlen(ctl_opts[k].name) == n &&
			    strncmp(ctl_opts[k].name, arg + 2, n) == 0)
				break;
		if (k == OPT_COUNT) {
			*cause = xasprintf("unknown option \"%.*s\"",
			    (int)(n + 2), arg);
			return -1;
		}
		if (arg[2 + n] == '=')
			attached = arg + 3 + n;
	} else {
		for (k = 0; k < OPT_COUNT; k++)
			if (ctl_opts[k].short_name != 0 &&
			    ctl_opts[k].short_name == arg[1])
				break;
		if (k == OPT_COUNT) {
			*cause = xasprintf("unknown option \"-%c\"", arg[1]);
			return -1;
		}
		if (arg[2] != '\0')
			attached = arg + 2;
	}
	*opt = (enum ctl_opt)k;
	if (!ctl_opts[k].has_value) {
		if (attached != NULL) {
			*cause = xasprintf("option \"--%s\" takes no value",
			    ctl_opts[k].name);
			return -1;
		}
		return 0;
	}
	if (attached != NULL) {
		*value = attached;
		return 0;
	}
	if (*i + 1 >= argc) {
		*cause = xasprintf("option \"%s\" needs a value", arg);
		return -1;
	}
	(*i)++;
	*value = argv[*i];
	return 0;
}

enum ctl_res {
	CTL_RES_CONSORTIUM,
	CTL_RES_ORG,
	CTL_RES_WORKFLOW,
};

/* The kind named by s[0..len), singular or plural; -1 if none. */
static int
ctl_args_kind(const char *s, size_t len, enum ctl_res *kind)
{
	static const struct {
		const char *word;
		enum ctl_res kind;
	} words[] = {
		{ "consortium", CTL_RES_CONSORTIUM },
		{ "consortia", CTL_RES_CONSORTIUM },
		{ "org", CTL_RES_ORG },
		{ "orgs", CTL_RES_ORG },
		{ "workflow", CTL_RES_WORKFLOW },
		{ "workflows", CTL_RES_WORKFLOW },
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i].word) == len &&
		    strncmp(words[i].word, s, len) == 0) {
			*kind = words[i].kind;
			return 0;
		}
	return -1;
}

/*
 * Resource words for get and delete: "consortia", "consortium NAME",
 * "consortium/NAME", "orgs", "org MSPID" or "org/MSPID" (either number
 * for either word). Sets *kind and args->name (NULL for the list).
 */
static int
ctl_args_resource(const char *verb, const char **pos, int npos,
    enum ctl_res *kind, struct ctl_args *args, char **cause)
{
	size_t n;

	if (npos < 2) {
		*cause = xasprintf("%s needs a resource, as in "
		    "\"fabfedctl %s consortium NAME\"", verb, verb);
		return -1;
	}
	n = strcspn(pos[1], "/");
	if (ctl_args_kind(pos[1], n, kind) == -1) {
		*cause = xasprintf("unknown resource \"%s\" (fabfedctl knows "
		    "\"consortia\", \"consortium NAME\", \"orgs\" and "
		    "\"org MSPID\", and \"workflows\" and \"workflow ID\")",
		    pos[1]);
		return -1;
	}
	if (pos[1][n] == '/') {
		if (npos > 2) {
			*cause = xasprintf("unexpected argument \"%s\"",
			    pos[2]);
			return -1;
		}
		args->name = pos[1] + n + 1;
	} else {
		if (npos > 3) {
			*cause = xasprintf("unexpected argument \"%s\"",
			    pos[3]);
			return -1;
		}
		args->name = npos == 3 ? pos[2] : NULL;
	}
	if (args->name != NULL && args->name[0] == '\0') {
		*cause = xstrdup(*kind == CTL_RES_ORG ? "the MSP ID is empty" :
		    *kind == CTL_RES_WORKFLOW ? "the workflow ID is empty" :
		    "the consortium name is empty");
		return -1;
	}
	return 0;
}

/* The command as the user names it, for messages. */
static const char *
ctl_args_cmd_name(enum ctl_cmd cmd)
{
	switch (cmd) {
	case CTL_CMD_HELP:
		return "help";
	case CTL_CMD_VERSION:
		return "version";
	case CTL_CMD_APPLY:
		return "apply";
	case CTL_CMD_DIFF:
		return "diff";
	case CTL_CMD_GET_LIST:
		return "get consortia";
	case CTL_CMD_GET_ONE:
		return "get consortium";
	case CTL_CMD_GET_ORGS:
		return "get orgs";
	case CTL_CMD_GET_ORG:
		return "get org";
	case CTL_CMD_DELETE:
		return "delete";
	case CTL_CMD_TOKEN_CREATE:
		return "token create";
	case CTL_CMD_AGENT_STATUS:
		return "agent status";
	case CTL_CMD_CHANNEL_CONFIG:
		return "channel config";
	case CTL_CMD_CHANNEL_DECODE:
		return "channel decode";
	case CTL_CMD_GET_WORKFLOWS:
		return "get workflows";
	case CTL_CMD_GET_WORKFLOW:
		return "get workflow";
	case CTL_CMD_DESCRIBE_WORKFLOW:
		return "describe workflow";
	case CTL_CMD_RETRY_WORKFLOW:
		return "retry workflow";
	}
	return "this command";
}

int
ctl_args_parse(int argc, char *argv[], struct ctl_args *args, char **cause)
{
	const char *pos[CTL_ARGS_MAXPOS], *value;
	const char *seen[OPT_COUNT] = { NULL };
	int i, npos = 0, options = 1, ret = -1;
	enum ctl_opt opt;
	enum ctl_res kind;

	memset(args, 0, sizeof(*args));
	args->timeout = CTL_TIMEOUT_DEFAULT;
	args->format = CTL_FORMAT_TABLE;
	*cause = NULL;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (options && strcmp(a, "--") == 0) {
			options = 0;
			continue;
		}
		if (!options || a[0] != '-' || a[1] == '\0') {
			if (npos == CTL_ARGS_MAXPOS) {
				*cause = xasprintf("too many arguments "
				    "(\"%s\")", a);
				goto done;
			}
			pos[npos++] = a;
			continue;
		}
		if (ctl_args_option(argc, argv, &i, &opt, &value, cause) == -1)
			goto done;
		if (opt != OPT_HELP && seen[opt] != NULL) {
			*cause = xasprintf("option \"--%s\" given twice",
			    ctl_opts[opt].name);
			goto done;
		}
		if (ctl_opts[opt].has_value && value == NULL) {
			*cause = xasprintf("option \"%s\" needs a value", a);
			goto done;
		}
		seen[opt] = value != NULL ? value : "";
		switch (opt) {
		case OPT_CONFIG:
			if (*value == '\0') {
				*cause = xstrdup("--config needs a file name");
				goto done;
			}
			args->config = value;
			break;
		case OPT_CONTROLLER:
			if (*value == '\0') {
				*cause = xstrdup("--controller needs a URL");
				goto done;
			}
			args->controller = value;
			break;
		case OPT_TIMEOUT:
			/* Read below: its syntax depends on --wait. */
			break;
		case OPT_FILE:
			if (*value == '\0') {
				*cause = xstrdup("-f needs a file name "
				    "(- for stdin)");
				goto done;
			}
			args->file = value;
			break;
		case OPT_IF_MATCH:
			if (ctl_args_revision(value, cause) == -1)
				goto done;
			args->if_match = value;
			break;
		case OPT_OUTPUT:
			if (ctl_args_format(value, &args->format,
			    cause) == -1)
				goto done;
			break;
		case OPT_CONSORTIUM:
			if (*value == '\0') {
				*cause = xstrdup("--consortium needs a name");
				goto done;
			}
			args->consortium = value;
			break;
		case OPT_STATE_DIR:
			if (*value == '\0') {
				*cause = xstrdup("--state-dir needs a directory");
				goto done;
			}
			args->state_dir = value;
			break;
		case OPT_ORG:
			if (*value == '\0') {
				*cause = xstrdup("--org needs an MSP ID");
				goto done;
			}
			args->org = value;
			break;
		case OPT_TTL:
			if (ctl_args_ttl(value, &args->ttl, cause) == -1)
				goto done;
			break;
		case OPT_BLOCK:
			if (*value == '\0') {
				*cause = xstrdup("--block needs a file name "
				    "(- for stdin)");
				goto done;
			}
			args->block = value;
			break;
		case OPT_WAIT:
			args->wait = 1;
			break;
		case OPT_HELP:
		case OPT_COUNT:
			break;
		}
	}

	/*
	 * --timeout is seconds per request, except with --wait, where it is
	 * how long to wait (a duration, as docs/workflows.md writes it); each
	 * request is then limited to the smaller of that and the default.
	 */
	args->wait_timeout = CTL_WAIT_DEFAULT;
	if (seen[OPT_WAIT] != NULL && seen[OPT_TIMEOUT] != NULL) {
		if (ctl_args_wait_timeout(seen[OPT_TIMEOUT],
		    &args->wait_timeout, cause) == -1)
			goto done;
	} else if (seen[OPT_TIMEOUT] != NULL &&
	    ctl_args_timeout(seen[OPT_TIMEOUT], &args->timeout, cause) == -1)
		goto done;
	if (seen[OPT_WAIT] != NULL && args->wait_timeout < args->timeout)
		args->timeout = args->wait_timeout;

	if (seen[OPT_HELP] != NULL || npos == 0 ||
	    strcmp(pos[0], "help") == 0) {
		if (npos == 0 && seen[OPT_HELP] == NULL) {
			*cause = xstrdup("no command given");
			goto done;
		}
		args->cmd = CTL_CMD_HELP;
		ret = 0;
		goto done;
	}

	if (strcmp(pos[0], "version") == 0) {
		args->cmd = CTL_CMD_VERSION;
		if (npos > 1) {
			*cause = xasprintf("unexpected argument \"%s\"",
			    pos[1]);
			goto done;
		}
	} else if (strcmp(pos[0], "apply") == 0 ||
	    strcmp(pos[0], "diff") == 0) {
		args->cmd = pos[0][0] == 'a' ? CTL_CMD_APPLY : CTL_CMD_DIFF;
		if (npos > 1) {
			*cause = xasprintf("unexpected argument \"%s\" "
			    "(the document is given with -f FILE)", pos[1]);
			goto done;
		}
		if (args->file == NULL) {
			*cause = xasprintf("%s needs -f FILE (- for stdin)",
			    pos[0]);
			goto done;
		}
	} else if (strcmp(pos[0], "get") == 0) {
		if (ctl_args_resource("get", pos, npos, &kind, args,
		    cause) == -1)
			goto done;
		if (kind == CTL_RES_ORG) {
			args->cmd = args->name == NULL ? CTL_CMD_GET_ORGS :
			    CTL_CMD_GET_ORG;
			if (args->consortium == NULL) {
				*cause = xasprintf("%s needs --consortium "
				    "NAME, as in \"fabfedctl get %s "
				    "--consortium NAME\"",
				    ctl_args_cmd_name(args->cmd),
				    args->name == NULL ? "orgs" : "org MSPID");
				goto done;
			}
		} else if (kind == CTL_RES_WORKFLOW) {
			args->cmd = args->name == NULL ? CTL_CMD_GET_WORKFLOWS :
			    CTL_CMD_GET_WORKFLOW;
			if (args->consortium == NULL) {
				*cause = xasprintf("%s needs --consortium "
				    "NAME, as in \"fabfedctl get %s "
				    "--consortium NAME\"",
				    ctl_args_cmd_name(args->cmd),
				    args->name == NULL ? "workflows" :
				    "workflow ID");
				goto done;
			}
		} else
			args->cmd = args->name == NULL ? CTL_CMD_GET_LIST :
			    CTL_CMD_GET_ONE;
	} else if (strcmp(pos[0], "describe") == 0) {
		if (ctl_args_resource("describe", pos, npos, &kind, args,
		    cause) == -1)
			goto done;
		if (kind != CTL_RES_WORKFLOW) {
			*cause = xstrdup("fabfedctl describes workflows only, "
			    "as in \"fabfedctl describe workflow ID "
			    "--consortium NAME\" (use get for consortia and "
			    "orgs)");
			goto done;
		}
		if (args->name == NULL) {
			*cause = xstrdup("describe workflow needs an ID, as in "
			    "\"fabfedctl describe workflow create-channel-trade "
			    "--consortium NAME\" (get workflows lists them)");
			goto done;
		}
		args->cmd = CTL_CMD_DESCRIBE_WORKFLOW;
		if (args->consortium == NULL) {
			*cause = xstrdup("describe workflow needs --consortium "
			    "NAME, as in \"fabfedctl describe workflow ID "
			    "--consortium NAME\"");
			goto done;
		}
	} else if (strcmp(pos[0], "retry") == 0) {
		if (ctl_args_resource("retry", pos, npos, &kind, args,
		    cause) == -1)
			goto done;
		if (kind != CTL_RES_WORKFLOW || args->name == NULL ||
		    args->consortium == NULL) {
			*cause = xstrdup("retry takes a failed workflow, as in "
			    "\"fabfedctl retry workflow add-org-trade-Org4MSP "
			    "--consortium NAME\" (get workflows lists them)");
			goto done;
		}
		args->cmd = CTL_CMD_RETRY_WORKFLOW;
	} else if (strcmp(pos[0], "delete") == 0) {
		if (ctl_args_resource("delete", pos, npos, &kind, args,
		    cause) == -1)
			goto done;
		if (kind == CTL_RES_WORKFLOW) {
			*cause = xstrdup("fabfedctl does not delete a workflow: "
			    "the controller makes and keeps them from the "
			    "consortium document");
			goto done;
		}
		if (kind == CTL_RES_ORG) {
			*cause = xstrdup("fabfedctl does not delete an org: "
			    "remove it from spec.orgs of the consortium "
			    "document and apply that");
			goto done;
		}
		if (args->name == NULL) {
			*cause = xstrdup("delete needs a name, as in "
			    "\"fabfedctl delete consortium NAME\"");
			goto done;
		}
		args->cmd = CTL_CMD_DELETE;
	} else if (strcmp(pos[0], "token") == 0) {
		if (npos < 2 || strcmp(pos[1], "create") != 0) {
			*cause = xasprintf("%s: fabfedctl knows \"token "
			    "create --consortium NAME --org MSPID\"",
			    npos < 2 ? "token needs a subcommand" :
			    "unknown token subcommand");
			goto done;
		}
		if (npos > 2) {
			*cause = xasprintf("unexpected argument \"%s\"",
			    pos[2]);
			goto done;
		}
		if (args->consortium == NULL || args->org == NULL) {
			*cause = xstrdup("token create needs --consortium NAME "
			    "and --org MSPID");
			goto done;
		}
		args->cmd = CTL_CMD_TOKEN_CREATE;
	} else if (strcmp(pos[0], "agent") == 0) {
		if (npos != 2 || strcmp(pos[1], "status") != 0) {
			*cause = xstrdup("fabfedctl knows \"agent status "
			    "--state-dir DIR\"");
			goto done;
		}
		if (args->state_dir == NULL) {
			*cause = xstrdup("agent status needs --state-dir DIR "
			    "(the agent's state directory)");
			goto done;
		}
		args->cmd = CTL_CMD_AGENT_STATUS;
	} else if (strcmp(pos[0], "channel") == 0) {
		if (npos < 2 || (strcmp(pos[1], "config") != 0 &&
		    strcmp(pos[1], "decode") != 0)) {
			*cause = xasprintf("%s: fabfedctl knows \"channel config "
			    "--block FILE\" and \"channel decode --block "
			    "FILE\"", npos < 2 ? "channel needs a subcommand" :
			    "unknown channel subcommand");
			goto done;
		}
		args->cmd = pos[1][0] == 'c' ? CTL_CMD_CHANNEL_CONFIG :
		    CTL_CMD_CHANNEL_DECODE;
		if (npos > 2) {
			*cause = xasprintf("unexpected argument \"%s\" (the "
			    "block is given with --block FILE)", pos[2]);
			goto done;
		}
		if (args->block == NULL) {
			*cause = xasprintf("%s needs --block FILE (a block "
			    "file, - for stdin; reading a live channel's "
			    "config through an agent is not in this version)",
			    ctl_args_cmd_name(args->cmd));
			goto done;
		}
	} else {
		*cause = xasprintf("unknown command \"%s\"", pos[0]);
		goto done;
	}

	/* Options that make no sense for the command are refused. */
	if (seen[OPT_FILE] != NULL && args->cmd != CTL_CMD_APPLY &&
	    args->cmd != CTL_CMD_DIFF) {
		*cause = xasprintf("-f is for apply and diff, not %s", pos[0]);
		goto done;
	}
	if (seen[OPT_IF_MATCH] != NULL && args->cmd != CTL_CMD_APPLY &&
	    args->cmd != CTL_CMD_DELETE) {
		*cause = xasprintf("--if-match is for apply and delete, not %s",
		    pos[0]);
		goto done;
	}
	if (seen[OPT_BLOCK] != NULL && args->cmd != CTL_CMD_CHANNEL_CONFIG &&
	    args->cmd != CTL_CMD_CHANNEL_DECODE) {
		*cause = xasprintf("--block is for channel config and channel "
		    "decode, not %s", ctl_args_cmd_name(args->cmd));
		goto done;
	}
	if (seen[OPT_STATE_DIR] != NULL && args->cmd != CTL_CMD_AGENT_STATUS) {
		*cause = xasprintf("--state-dir is for agent status, not %s",
		    ctl_args_cmd_name(args->cmd));
		goto done;
	}
	if (seen[OPT_OUTPUT] != NULL && args->cmd != CTL_CMD_GET_LIST &&
	    args->cmd != CTL_CMD_GET_ONE && args->cmd != CTL_CMD_GET_ORGS &&
	    args->cmd != CTL_CMD_GET_ORG && args->cmd != CTL_CMD_AGENT_STATUS &&
	    args->cmd != CTL_CMD_GET_WORKFLOWS &&
	    args->cmd != CTL_CMD_GET_WORKFLOW &&
	    args->cmd != CTL_CMD_DESCRIBE_WORKFLOW) {
		*cause = xasprintf("-o is for get, not %s (and for describe)",
		    pos[0]);
		goto done;
	}
	if (seen[OPT_CONSORTIUM] != NULL && args->cmd != CTL_CMD_TOKEN_CREATE &&
	    args->cmd != CTL_CMD_GET_ORGS && args->cmd != CTL_CMD_GET_ORG &&
	    args->cmd != CTL_CMD_GET_WORKFLOWS &&
	    args->cmd != CTL_CMD_GET_WORKFLOW &&
	    args->cmd != CTL_CMD_DESCRIBE_WORKFLOW &&
	    args->cmd != CTL_CMD_RETRY_WORKFLOW) {
		*cause = xasprintf("--consortium is for token create, get orgs "
		    "and get org, not %s (and for get workflows and describe "
		    "workflow)", ctl_args_cmd_name(args->cmd));
		goto done;
	}
	if (seen[OPT_WAIT] != NULL && args->cmd != CTL_CMD_APPLY) {
		*cause = xasprintf("--wait is for apply, not %s",
		    ctl_args_cmd_name(args->cmd));
		goto done;
	}
	if ((seen[OPT_ORG] != NULL || seen[OPT_TTL] != NULL) &&
	    args->cmd != CTL_CMD_TOKEN_CREATE) {
		*cause = xasprintf("--%s is for token create, not %s%s",
		    seen[OPT_ORG] != NULL ? "org" : "ttl",
		    ctl_args_cmd_name(args->cmd),
		    seen[OPT_ORG] != NULL && (args->cmd == CTL_CMD_GET_ORGS ||
		    args->cmd == CTL_CMD_GET_ORG) ? " (name the org as in "
		    "\"get org MSPID\")" : "");
		goto done;
	}
	ret = 0;
done:
	if (ret == -1 && *cause == NULL)
		*cause = xstrdup("bad command line");
	return ret;
}

int
ctl_args_needs_controller(const struct ctl_args *args)
{
	return args->cmd != CTL_CMD_HELP && args->cmd != CTL_CMD_VERSION &&
	    args->cmd != CTL_CMD_AGENT_STATUS &&
	    args->cmd != CTL_CMD_CHANNEL_CONFIG &&
	    args->cmd != CTL_CMD_CHANNEL_DECODE;
}

int
ctl_args_env(struct ctl_args *args, char **cause)
{
	const char *s;

	*cause = NULL;
	if (args->config == NULL && (s = getenv("FABFED_CONFIG")) != NULL &&
	    *s != '\0')
		args->config = s;
	if (args->controller == NULL &&
	    (s = getenv("FABFED_CONTROLLER")) != NULL && *s != '\0')
		args->controller = s;
	if (ctl_args_needs_controller(args) && args->config == NULL) {
		*cause = xstrdup("no admin.conf: pass --config FILE or set "
		    "FABFED_CONFIG (\"fabfed-controller init --state-dir DIR\" "
		    "writes DIR/admin.conf)");
		return -1;
	}
	return 0;
}
