/*
 * ctl_get.c: "fabfedctl get consortia" and "fabfedctl get consortium NAME".
 * -o json and -o yaml of one consortium print its normalized document, so
 * "get -o yaml > f; edit f; apply -f f" round-trips; -o json of the list
 * prints the controller's answer as it is.
 */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* An integer member as text; "" when absent. */
static void
ctl_get_int(const json_t *o, const char *key, char *out, size_t size)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		snprintf(out, size, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	else
		out[0] = '\0';
}

static const char *
ctl_get_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/*
 * The elements of a list joined with ",": strings as they are, objects by
 * their "name". Caller frees.
 */
static char *
ctl_get_join(const json_t *list)
{
	struct buf b;
	const json_t *v;
	const char *s;
	size_t i;
	char *dump;

	buf_init(&b, 0);
	json_array_foreach(list, i, v) {
		if (i > 0)
			buf_add(&b, ",", 1);
		if ((s = json_string_value(v)) != NULL ||
		    (s = ctl_get_str(v, "name")) != NULL)
			buf_add(&b, s, strlen(s));
		else if ((dump = json_dumps(v, JSON_COMPACT |
		    JSON_ENCODE_ANY)) != NULL) {
			buf_add(&b, dump, strlen(dump));
			free(dump);
		}
	}
	return buf_steal(&b, NULL);
}

int
ctl_get_print_list(FILE *fp, const json_t *answer, char **cause)
{
	static const char *const hdr[] = {
		"NAME", "ORGS", "PEERS", "ORDERERS", "CHANNELS", "REVISION"
	};
	struct ctl_table *t;
	const json_t *items, *it;
	char n[5][32];
	size_t i;

	*cause = NULL;
	items = json_object_get(answer, "items");
	if (!json_is_array(items)) {
		*cause = xstrdup("the controller's answer has no \"items\" "
		    "list");
		return -1;
	}
	if (json_array_size(items) == 0) {
		fputs("No consortia found.\n", stderr);
		return 0;
	}
	t = ctl_table_new(6, hdr);
	json_array_foreach(items, i, it) {
		const char *row[6];

		ctl_get_int(it, "orgs", n[0], sizeof(n[0]));
		ctl_get_int(it, "peers", n[1], sizeof(n[1]));
		ctl_get_int(it, "orderers", n[2], sizeof(n[2]));
		ctl_get_int(it, "channels", n[3], sizeof(n[3]));
		ctl_get_int(it, "revision", n[4], sizeof(n[4]));
		row[0] = ctl_get_str(it, "name");
		row[1] = n[0];
		row[2] = n[1];
		row[3] = n[2];
		row[4] = n[3];
		row[5] = n[4];
		ctl_table_add(t, row);
	}
	ctl_table_print(t, fp);
	ctl_table_free(t);
	return 0;
}

static void
ctl_get_orgs(FILE *fp, const json_t *orgs)
{
	static const char *const hdr[] = {
		"MSP ID", "DOMAIN", "CLUSTER", "REGION", "PEERS", "ORDERERS"
	};
	struct ctl_table *t;
	const json_t *o, *cluster;
	size_t i;

	t = ctl_table_new(6, hdr);
	json_array_foreach(orgs, i, o) {
		char *peers = ctl_get_join(json_object_get(o, "peers"));
		char *orderers = ctl_get_join(json_object_get(o, "orderers"));
		const char *row[6];

		cluster = json_object_get(o, "cluster");
		row[0] = ctl_get_str(o, "mspId");
		row[1] = ctl_get_str(o, "domain");
		row[2] = ctl_get_str(cluster, "name");
		row[3] = ctl_get_str(cluster, "region");
		row[4] = peers;
		row[5] = orderers;
		ctl_table_add(t, row);
		free(peers);
		free(orderers);
	}
	fputs("\nORGS\n", fp);
	if (ctl_table_rows(t) == 0)
		fputs("(none)\n", fp);
	else
		ctl_table_print(t, fp);
	ctl_table_free(t);
}

static void
ctl_get_channels(FILE *fp, const json_t *channels)
{
	static const char *const hdr[] = {
		"NAME", "MEMBERS", "CONSENTERS", "ADMINS", "ENDORSEMENT",
		"BATCH"
	};
	struct ctl_table *t;
	const json_t *ch, *pol, *batch, *v;
	size_t i;

	t = ctl_table_new(6, hdr);
	json_array_foreach(channels, i, ch) {
		char *members = ctl_get_join(json_object_get(ch, "members"));
		char *consenters = ctl_get_join(json_object_get(ch,
		    "consenters"));
		char *bs = NULL, count[32] = "";
		const char *row[6], *timeout;

		pol = json_object_get(ch, "policies");
		batch = json_object_get(ch, "batch");
		timeout = ctl_get_str(batch, "timeout");
		v = json_object_get(batch, "maxMessageCount");
		if (json_is_integer(v))
			snprintf(count, sizeof(count), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(v));
		if (timeout != NULL || count[0] != '\0')
			bs = xasprintf("%s/%s", timeout != NULL ? timeout :
			    "-", count[0] != '\0' ? count : "-");
		row[0] = ctl_get_str(ch, "name");
		row[1] = members;
		row[2] = consenters;
		row[3] = ctl_get_str(pol, "admins");
		row[4] = ctl_get_str(pol, "endorsement");
		row[5] = bs;
		ctl_table_add(t, row);
		free(members);
		free(consenters);
		free(bs);
	}
	fputs("\nCHANNELS\n", fp);
	if (ctl_table_rows(t) == 0)
		fputs("(none)\n", fp);
	else
		ctl_table_print(t, fp);
	ctl_table_free(t);
}

int
ctl_get_print_one(FILE *fp, const json_t *answer, char **cause)
{
	const json_t *doc, *spec;
	const char *name, *fv;
	char rev[32], *s;

	*cause = NULL;
	doc = json_object_get(answer, "document");
	if (!json_is_object(doc)) {
		*cause = xstrdup("the controller's answer has no "
		    "\"document\"");
		return -1;
	}
	spec = json_object_get(doc, "spec");
	name = ctl_get_str(answer, "name");
	if (name == NULL)
		name = ctl_get_str(json_object_get(doc, "metadata"), "name");
	ctl_get_int(answer, "revision", rev, sizeof(rev));
	fv = ctl_get_str(spec, "fabricVersion");

	s = ctl_out_sanitize(name != NULL ? name : "<none>");
	fprintf(fp, "Name:            %s\n", s);
	free(s);
	fprintf(fp, "Revision:        %s\n", rev[0] != '\0' ? rev : "<none>");
	s = ctl_out_sanitize(fv != NULL ? fv : "<none>");
	fprintf(fp, "Fabric version:  %s\n", s);
	free(s);
	ctl_get_orgs(fp, json_object_get(spec, "orgs"));
	ctl_get_channels(fp, json_object_get(spec, "channels"));
	return 0;
}

/* Prints v as -o asks (json or yaml). */
static int
ctl_get_dump(FILE *fp, const json_t *v, enum ctl_format format,
    char **cause)
{
	struct buf b;

	if (format == CTL_FORMAT_JSON) {
		if (ctl_out_json(fp, v) == -1) {
			*cause = xstrdup("cannot write JSON");
			return -1;
		}
		return 0;
	}
	buf_init(&b, 0);
	if (ctl_yaml_emit(v, &b, cause) == -1) {
		buf_free(&b);
		return -1;
	}
	fwrite(b.data, 1, b.len, fp);
	buf_free(&b);
	return 0;
}

int
ctl_get_run(const struct ctl_args *args, struct ctl_client *c)
{
	struct ctl_response resp;
	json_t *answer = NULL;
	char *cause = NULL, *esc = NULL, *path;
	int ret = CTL_EXIT_USAGE, rc;

	memset(&resp, 0, sizeof(resp));
	if (args->cmd == CTL_CMD_GET_ONE) {
		esc = ctl_client_escape(args->name);
		path = xasprintf("/v1/consortia/%s", esc);
	} else
		path = xstrdup("/v1/consortia");
	if (ctl_client_request(c, "GET", path, NULL, NULL, 0, &resp,
	    &cause) == -1)
		goto fail;
	if (ctl_out_exit_for_status(resp.status) != CTL_EXIT_OK) {
		ctl_out_error_response(stderr, NULL, &resp);
		ret = ctl_out_exit_for_status(resp.status);
		goto done;
	}
	if ((answer = ctl_out_parse(&resp, &cause)) == NULL)
		goto fail;
	if (args->format == CTL_FORMAT_TABLE)
		rc = args->cmd == CTL_CMD_GET_ONE ?
		    ctl_get_print_one(stdout, answer, &cause) :
		    ctl_get_print_list(stdout, answer, &cause);
	else if (args->cmd == CTL_CMD_GET_ONE) {
		const json_t *doc = json_object_get(answer, "document");

		if (doc == NULL) {
			cause = xstrdup("the controller's answer has no "
			    "\"document\"");
			goto fail;
		}
		rc = ctl_get_dump(stdout, doc, args->format, &cause);
	} else
		rc = ctl_get_dump(stdout, answer, args->format, &cause);
	if (rc == -1)
		goto fail;
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
