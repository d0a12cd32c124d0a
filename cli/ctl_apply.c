/*
 * ctl_apply.c: "fabfedctl apply -f FILE [--if-match REV]": the document is
 * sent as written (the controller parses, validates and normalizes it and
 * answers with every problem at once, with lines and columns); fabfedctl
 * only finds metadata.name to build PUT /v1/consortia/{name}.
 *
 * With --wait, the channels are read back from the stored (normalized)
 * document, GET /v1/consortia/{name}, and ctl_workflow_wait() follows
 * their create-channel workflows (docs/workflows.md).
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

/* Channels the controller is at most asked to create in one document. */
#define CTL_APPLY_MAX_CHANNELS	4096

/*
 * The names of spec.channels of the stored document of consortium name:
 * *doc holds them (caller decrefs), *names borrows from it (caller frees
 * the array). Returns an exit code, the error printed.
 */
static int
ctl_apply_channels(struct ctl_client *c, const char *name, json_t **doc,
    const char ***names, size_t *n)
{
	struct ctl_response resp;
	const json_t *channels, *ch;
	const char *s;
	char *esc, *path, *cause = NULL;
	size_t i;
	int ret = CTL_EXIT_USAGE;

	*doc = NULL;
	*names = NULL;
	*n = 0;
	memset(&resp, 0, sizeof(resp));
	esc = ctl_client_escape(name);
	path = xasprintf("/v1/consortia/%s", esc);
	free(esc);
	if (ctl_client_request(c, "GET", path, NULL, NULL, 0, &resp,
	    &cause) == -1) {
		ret = ctl_out_fail(stderr, cause);
		goto done;
	}
	if ((ret = ctl_out_exit_for_status(resp.status)) != CTL_EXIT_OK) {
		ctl_out_error_response(stderr, NULL, &resp);
		goto done;
	}
	ret = CTL_EXIT_USAGE;
	if ((*doc = ctl_out_parse(&resp, &cause)) == NULL) {
		ret = ctl_out_fail(stderr, cause);
		goto done;
	}
	channels = json_object_get(json_object_get(json_object_get(*doc,
	    "document"), "spec"), "channels");
	if (channels != NULL && !json_is_array(channels)) {
		ret = ctl_out_fail(stderr, "the stored document's "
		    "spec.channels is not a list");
		goto done;
	}
	if (json_array_size(channels) > CTL_APPLY_MAX_CHANNELS) {
		ret = ctl_out_fail(stderr, "the stored document declares "
		    "more channels than fabfedctl waits for");
		goto done;
	}
	*names = xcalloc(json_array_size(channels) + 1, sizeof(**names));
	json_array_foreach(channels, i, ch) {
		if ((s = json_string_value(json_object_get(ch, "name"))) ==
		    NULL || *s == '\0') {
			ret = ctl_out_fail(stderr, "a channel of the stored "
			    "document has no name");
			goto done;
		}
		(*names)[(*n)++] = s;
	}
	ret = CTL_EXIT_OK;
done:
	if (ret != CTL_EXIT_OK) {
		free(*names);
		*names = NULL;
		*n = 0;
		json_decref(*doc);
		*doc = NULL;
	}
	ctl_client_response_free(&resp);
	free(path);
	free(cause);
	return ret;
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
	if (args->wait) {
		json_t *stored;
		const char **channels;
		size_t n;

		fflush(stdout);
		ret = ctl_apply_channels(c, name, &stored, &channels, &n);
		if (ret == CTL_EXIT_OK) {
			ret = ctl_workflow_wait(c, name,
			    json_object_get(stored, "document"), channels, n,
			    args->wait_timeout, stdout, stderr);
			free(channels);
			json_decref(stored);
		}
	}
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
