/*
 * ctl_delete.c: "fabfedctl delete consortium NAME [--if-match REV]":
 * DELETE /v1/consortia/{name}; the controller removes the consortium and
 * everything under it in etcd.
 */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

int
ctl_delete_run(const struct ctl_args *args, struct ctl_client *c)
{
	struct ctl_response resp;
	json_t *answer = NULL;
	const char *name;
	char *cause = NULL, *esc, *path, *s;
	int ret = CTL_EXIT_USAGE;

	memset(&resp, 0, sizeof(resp));
	esc = ctl_client_escape(args->name);
	path = xasprintf("/v1/consortia/%s", esc);
	if (ctl_client_request(c, "DELETE", path, args->if_match, NULL, 0,
	    &resp, &cause) == -1)
		goto fail;
	if (ctl_out_exit_for_status(resp.status) != CTL_EXIT_OK) {
		ctl_out_error_response(stderr, NULL, &resp);
		ret = ctl_out_exit_for_status(resp.status);
		goto done;
	}
	if ((answer = ctl_out_parse(&resp, &cause)) == NULL)
		goto fail;
	name = json_string_value(json_object_get(answer, "name"));
	s = ctl_out_sanitize(name != NULL ? name : args->name);
	printf("consortium/%s deleted\n", s);
	free(s);
	ret = CTL_EXIT_OK;
	goto done;
fail:
	ret = ctl_out_fail(stderr, cause);
done:
	json_decref(answer);
	ctl_client_response_free(&resp);
	free(path);
	free(esc);
	free(cause);
	return ret;
}
