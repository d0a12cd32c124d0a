/*
 * fabfed-agent: the member org agent. One binary, one subcommand per
 * module: "fabfed-agent COMMAND [OPTIONS]". Each command's function gets
 * argv starting at the command's name and returns the exit status.
 */
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "enroll.h"
#include "signer.h"
#include "log.h"

static int
agent_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("fabfed-agent %s\n", FABFED_VERSION);
	return 0;
}

static const struct {
	const char *name;
	int (*run)(int, char **);
	const char *help;
} agent_cmds[] = {
	{ "enroll", enroll_main, "join a consortium with a one-time token" },
	{ "run", agent_main, "keep the org's share of the consortium built and published" },
	{ "signer", signer_main, "serve the org admin's signing key on a local socket" },
	{ "version", agent_version, "print the version" },
	{ "--version", agent_version, NULL },
};

static void
agent_usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: fabfed-agent COMMAND [OPTIONS]\n\nCommands:\n");
	for (i = 0; i < sizeof(agent_cmds) / sizeof(agent_cmds[0]); i++)
		if (agent_cmds[i].help != NULL)
			fprintf(fp, "  %-10s %s\n", agent_cmds[i].name,
			    agent_cmds[i].help);
	fprintf(fp, "\n\"fabfed-agent COMMAND --help\" describes a command.\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	log_init("fabfed-agent", 0, LOG_FORMAT_TEXT);
	if (argc < 2) {
		agent_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		agent_usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(agent_cmds) / sizeof(agent_cmds[0]); i++)
		if (strcmp(argv[1], agent_cmds[i].name) == 0)
			return agent_cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "fabfed-agent: unknown command \"%s\"\n", argv[1]);
	agent_usage(stderr);
	return 2;
}
