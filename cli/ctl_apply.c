/*
 * ctl_apply.c: "fabfedctl apply -f FILE [--if-match REV]": the document is
 * sent as written (the controller parses, validates and normalizes it and
 * answers with every problem at once, with lines and columns); fabfedctl
 * only finds metadata.name to build PUT /v1/consortia/{name}.
 */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

int
ctl_apply_put(struct ctl_client *c, const struct ctl_doc *doc,
    const char *name, int dry_run, const char *if_match,
    struct ctl_response *resp, char **cause)
{
	char *esc, *path;
	int ret;

	esc = ctl_client_escape(name);
	path = xasprintf("/v1/consortia/%s%s", esc,
	    dry_run ? "?dryRun=true" : "");
	ret = ctl_client_request(c, "PUT", path, if_match, doc->data,
	    doc->len, resp, cause);
	free(path);
	free(esc);
	return ret;
}

int
ctl_apply_print_result(FILE *fp, const json_t *answer, char **cause)
{
	const char *name, *result;
	const json_t *rev;
	char *sname, *sresult;

	*cause = NULL;
	name = json_string_value(json_object_get(answer, "name"));
	result = json_string_value(json_object_get(answer, "result"));
	rev = json_object_get(answer, "revision");
	if (name == NULL || result == NULL) {
		*cause = xstrdup("the controller's answer has no name or "
		    "result");
		return -1;
	}
	sname = ctl_out_sanitize(name);
	sresult = ctl_out_sanitize(result);
	if (json_is_integer(rev))
		fprintf(fp, "consortium/%s %s (revision %" JSON_INTEGER_FORMAT
		    ")\n", sname, sresult, json_integer_value(rev));
	else
		fprintf(fp, "consortium/%s %s\n", sname, sresult);
	free(sname);
	free(sresult);
	return 0;
}

int
ctl_apply_run(const struct ctl_args *args, struct ctl_client *c)
{
	struct ctl_doc doc;
	struct ctl_response resp;
	json_t *answer = NULL;
	char *name = NULL, *cause = NULL;
	int ret = CTL_EXIT_USAGE;

	memset(&resp, 0, sizeof(resp));
	if (ctl_doc_read(args->file, &doc, &cause) == -1)
		goto fail;
	if (ctl_doc_name(doc.data, doc.len, doc.label, &name, &cause) == -1)
		goto fail;
	if (ctl_apply_put(c, &doc, name, 0, args->if_match, &resp,
	    &cause) == -1)
		goto fail;
	if (ctl_out_exit_for_status(resp.status) != CTL_EXIT_OK) {
		ctl_out_error_response(stderr, doc.label, &resp);
		ret = ctl_out_exit_for_status(resp.status);
		goto done;
	}
	if ((answer = ctl_out_parse(&resp, &cause)) == NULL)
		goto fail;
	ctl_out_diags(stderr, "warning", doc.label,
	    json_object_get(answer, "warnings"));
	if (ctl_apply_print_result(stdout, answer, &cause) == -1)
		goto fail;
	ret = CTL_EXIT_OK;
	goto done;
fail:
	ret = ctl_out_fail(stderr, cause);
done:
	json_decref(answer);
	ctl_client_response_free(&resp);
	ctl_doc_free(&doc);
	free(name);
	free(cause);
	return ret;
}
