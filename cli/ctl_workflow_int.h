/*
 * ctl_workflow_int.h: what ctl_workflow.c (get/describe workflows) and
 * ctl_wait.c (the wait of "apply --wait") share; not for other modules
 * (they use ctl.h).
 */
#ifndef FABFED_CTL_WORKFLOW_INT_H
#define FABFED_CTL_WORKFLOW_INT_H

#include <stdio.h>

#include <jansson.h>

#include "ctl.h"

/* The string member key of o, or NULL. Borrowed from o. */
const char	*ctl_wf_str(const json_t *, const char *);

/* The paths of a consortium's workflows and of one workflow. Caller frees. */
char		*ctl_wf_list_path(const char *);
char		*ctl_wf_record_path(const char *, const char *);

#endif /* FABFED_CTL_WORKFLOW_INT_H */
