/*
 * ctl_token.c: "fabfedctl token create --consortium C --org MSPID
 * [--ttl DURATION]": POST /v1/consortia/{C}/tokens. The token goes alone
 * on a line to stdout, so that T=$(fabfedctl token create ...) works; what
 * a person reads goes to stderr. The token is a credential: it is printed
 * once, never logged, and the answer that held it is wiped.
 */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "xmalloc.h"

/* fft1. + 43 base64url + . + 64 lowercase hex (docs/api.md). */
static int
ctl_token_wellformed(const char *s)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";

	if (strlen(s) != 5 + 43 + 1 + 64 || strncmp(s, "fft1.", 5) != 0)
		return 0;
	if (strspn(s + 5, b64) != 43 || s[48] != '.')
		return 0;
	return strspn(s + 49, "0123456789abcdef") == 64;
}

int
ctl_token_print(FILE *out, FILE *err, const json_t *answer, char **cause)
{
	const char *token, *expires, *org, *cons;
	char *s1, *s2, *s3;

	*cause = NULL;
	token = json_string_value(json_object_get(answer, "token"));
	if (token == NULL || !ctl_token_wellformed(token)) {
		*cause = xstrdup("the controller's answer has no well-formed "
		    "\"token\" (fft1.<secret>.<CA hash>)");
		return -1;
	}
	expires = json_string_value(json_object_get(answer, "expiresAt"));
	org = json_string_value(json_object_get(answer, "org"));
	cons = json_string_value(json_object_get(answer, "consortium"));
	fprintf(out, "%s\n", token);
	s1 = ctl_out_sanitize(expires != NULL ? expires : "an unknown time");
	s2 = ctl_out_sanitize(org != NULL ? org : "?");
	s3 = ctl_out_sanitize(cons != NULL ? cons : "?");
	fprintf(err, "expires at %s (single use, for %s in consortium %s; "
	    "enroll with: fabfed-agent enroll --controller URL --token TOKEN "
	    "--state-dir DIR)\n", s1, s2, s3);
	free(s1);
	free(s2);
	free(s3);
	return 0;
}

int
ctl_token_run(const struct ctl_args *args, struct ctl_client *c)
{
	struct ctl_response resp;
	json_t *req = NULL, *answer = NULL;
	char *cause = NULL, *esc, *path, *body = NULL;
	int ret = CTL_EXIT_USAGE;

	memset(&resp, 0, sizeof(resp));
	esc = ctl_client_escape(args->consortium);
	path = xasprintf("/v1/consortia/%s/tokens", esc);
	req = json_pack("{s:s}", "org", args->org);
	if (req != NULL && args->ttl != 0)
		json_object_set_new(req, "ttl", json_integer(args->ttl));
	if (req == NULL || (body = json_dumps(req, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) == NULL) {
		cause = xstrdup("cannot encode the request");
		goto fail;
	}
	if (ctl_client_request(c, "POST", path, NULL, body, strlen(body),
	    &resp, &cause) == -1)
		goto fail;
	if (ctl_out_exit_for_status(resp.status) != CTL_EXIT_OK) {
		ctl_out_error_response(stderr, NULL, &resp);
		ret = ctl_out_exit_for_status(resp.status);
		goto done;
	}
	if ((answer = ctl_out_parse(&resp, &cause)) == NULL ||
	    ctl_token_print(stdout, stderr, answer, &cause) == -1)
		goto fail;
	ret = CTL_EXIT_OK;
	goto done;
fail:
	ret = ctl_out_fail(stderr, cause);
done:
	json_decref(answer);
	if (resp.body != NULL)
		OPENSSL_cleanse(resp.body, resp.len);
	ctl_client_response_free(&resp);
	json_decref(req);
	free(body);
	free(path);
	free(esc);
	free(cause);
	return ret;
}
