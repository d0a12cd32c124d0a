/*
 * agent.h: `fabfed-agent run`: sync with the controller, reconcile the
 * org's PKI and runtime, publish its public material (agent.c).
 */
#ifndef FABFED_AGENT_H
#define FABFED_AGENT_H

/* argv[0] is "run". Returns the process exit code. */
int agent_main(int argc, char **argv);

#endif
