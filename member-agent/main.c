/*
 * fabfed-agent: the member org agent. This build only reports its version;
 * enrollment, sync and runtimes arrive with the agent issue.
 */
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "version") == 0 ||
	    strcmp(argv[1], "--version") == 0)) {
		printf("fabfed-agent %s\n", FABFED_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: fabfed-agent version\n"
	    "fabfed-agent %s: enrollment and sync are not in this build yet\n",
	    FABFED_VERSION);
	return 2;
}
