/*
 * ctl_get.c: "fabfedctl get consortia", "get consortium NAME", "get orgs
 * --consortium C" and "get org MSPID --consortium C".
 * -o json and -o yaml of one consortium print its normalized document, so
 * "get -o yaml > f; edit f; apply -f f" round-trips; -o json of a list or
 * of one org prints the controller's answer as it is.
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
ctl_get_items(const json_t *answer, const char *what, const json_t **items,
    char **cause)
{
	*cause = NULL;
	*items = json_object_get(answer, "items");
	if (!json_is_array(*items)) {
		*cause = xstrdup("the controller's answer has no \"items\" "
		    "list");
		return -1;
	}
	if (json_array_size(*items) == 0) {
		fprintf(stderr, "No %s found.\n", what);
		return 0;
	}
	return 1;
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
	int rc;

	if ((rc = ctl_get_items(answer, "consortia", &items, cause)) != 1)
		return rc;
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

/* ---- orgs: GET /v1/consortia/{name}/orgs[/{msp}] ---- */

/* Labels of the org header and MSP summary end before this column. */
#define CTL_GET_LABEL	19

/* s, or "-" when s is NULL or empty: "not reported", not "empty". */
static const char *
ctl_get_dash(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

void
ctl_get_age(json_int_t then, time_t now, char *out, size_t size)
{
	long long d;

	if (then < 0) {
		out[0] = '\0';
		return;
	}
	/* Both are at least 0 here, so the difference cannot overflow. */
	d = (long long)now > (long long)then ? (long long)now -
	    (long long)then : 0;
	if (d < 60)
		snprintf(out, size, "%llds ago", d);
	else if (d < 3600)
		snprintf(out, size, "%lldm ago", d / 60);
	else if (d < 86400)
		snprintf(out, size, "%lldh ago", d / 3600);
	else
		snprintf(out, size, "%lldd ago", d / 86400);
}

/* status.reportedAt as an age; "" when not reported. */
static void
ctl_get_reported(const json_t *status, time_t now, char *out, size_t size)
{
	const json_t *v = json_object_get(status, "reportedAt");

	if (json_is_integer(v))
		ctl_get_age(json_integer_value(v), now, out, size);
	else
		out[0] = '\0';
}

int
ctl_get_print_orgs(FILE *fp, const json_t *answer, time_t now, char **cause)
{
	static const char *const hdr[] = {
		"MSP ID", "STATE", "APPLIED REVISION", "RUNTIME", "PEERS",
		"ORDERERS", "REPORTED"
	};
	struct ctl_table *t;
	const json_t *items, *it, *status, *eps;
	char rev[32], age[32];
	size_t i;
	int rc;

	if ((rc = ctl_get_items(answer, "orgs", &items, cause)) != 1)
		return rc;
	t = ctl_table_new(7, hdr);
	json_array_foreach(items, i, it) {
		char *peers, *orderers;
		const char *row[7];

		status = json_object_get(it, "status");
		eps = json_object_get(it, "endpoints");
		peers = ctl_get_join(json_object_get(eps, "peers"));
		orderers = ctl_get_join(json_object_get(eps, "orderers"));
		ctl_get_int(status, "appliedRevision", rev, sizeof(rev));
		ctl_get_reported(status, now, age, sizeof(age));
		row[0] = ctl_get_str(it, "mspId");
		row[1] = ctl_get_str(it, "state");
		row[2] = ctl_get_dash(rev);
		row[3] = ctl_get_dash(ctl_get_str(status, "runtime"));
		row[4] = ctl_get_dash(peers);
		row[5] = ctl_get_dash(orderers);
		row[6] = ctl_get_dash(age);
		ctl_table_add(t, row);
		free(peers);
		free(orderers);
	}
	ctl_table_print(t, fp);
	ctl_table_free(t);
	return 0;
}

/* "Label:" padded to CTL_GET_LABEL, then value made safe for a terminal. */
static void
ctl_get_field(FILE *fp, const char *label, const char *value)
{
	char *s = ctl_out_sanitize(value != NULL ? value : "<none>");

	fprintf(fp, "%-*s%s\n", CTL_GET_LABEL, label, s);
	free(s);
}

/* Adds one row per element of list (peers or orderers) of kind. */
static void
ctl_get_endpoint_rows(struct ctl_table *t, const json_t *list,
    const char *kind)
{
	const json_t *n;
	size_t i;

	json_array_foreach(list, i, n) {
		const char *row[3];

		row[0] = ctl_get_str(n, "name");
		row[1] = kind;
		row[2] = ctl_get_str(n, "endpoint");
		ctl_table_add(t, row);
	}
}

static void
ctl_get_endpoints(FILE *fp, const json_t *eps)
{
	static const char *const hdr[] = { "NAME", "KIND", "ENDPOINT" };
	struct ctl_table *t;

	fputs("\nENDPOINTS\n", fp);
	if (!json_is_object(eps)) {
		fputs("(not published)\n", fp);
		return;
	}
	t = ctl_table_new(3, hdr);
	ctl_get_endpoint_rows(t, json_object_get(eps, "peers"), "peer");
	ctl_get_endpoint_rows(t, json_object_get(eps, "orderers"), "orderer");
	if (ctl_table_rows(t) == 0)
		fputs("(none)\n", fp);
	else
		ctl_table_print(t, fp);
	ctl_table_free(t);
}

/* Counts only: the certificates are public, but not worth a screen. */
static void
ctl_get_msp(FILE *fp, const json_t *msp)
{
	static const struct {
		const char *label;
		const char *key;
	} counts[] = {
		{ "Root certs:", "rootCerts" },
		{ "TLS root certs:", "tlsRootCerts" },
		{ "Admin certs:", "adminCerts" },
	};
	const json_t *ous;
	char n[32];
	size_t i;

	fputs("\nMSP\n", fp);
	if (!json_is_object(msp)) {
		fputs("(not published)\n", fp);
		return;
	}
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		snprintf(n, sizeof(n), "%zu",
		    json_array_size(json_object_get(msp, counts[i].key)));
		ctl_get_field(fp, counts[i].label, n);
	}
	ous = json_object_get(json_object_get(msp, "nodeOUs"), "enable");
	ctl_get_field(fp, "Node OUs:", json_is_true(ous) ? "enabled" :
	    "disabled");
}

int
ctl_get_print_org(FILE *fp, const json_t *answer, time_t now, char **cause)
{
	const json_t *status;
	char rev[32], age[32];

	*cause = NULL;
	if (ctl_get_str(answer, "mspId") == NULL) {
		*cause = xstrdup("the controller's answer has no \"mspId\"");
		return -1;
	}
	status = json_object_get(answer, "status");
	ctl_get_int(status, "appliedRevision", rev, sizeof(rev));
	ctl_get_reported(status, now, age, sizeof(age));
	ctl_get_field(fp, "MSP ID:", ctl_get_str(answer, "mspId"));
	ctl_get_field(fp, "State:", ctl_get_str(answer, "state"));
	ctl_get_field(fp, "Applied revision:", ctl_get_dash(rev));
	ctl_get_field(fp, "Runtime:",
	    ctl_get_dash(ctl_get_str(status, "runtime")));
	ctl_get_field(fp, "Reported:", ctl_get_dash(age));
	ctl_get_endpoints(fp, json_object_get(answer, "endpoints"));
	ctl_get_msp(fp, json_object_get(answer, "msp"));
	return 0;
}

/* ---- the command ---- */

int
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

/* The path of the command's GET. Caller frees. */
static char *
ctl_get_path(const struct ctl_args *args)
{
	char *c = NULL, *n = NULL, *path;

	if (args->consortium != NULL)
		c = ctl_client_escape(args->consortium);
	if (args->name != NULL)
		n = ctl_client_escape(args->name);
	switch (args->cmd) {
	case CTL_CMD_GET_ONE:
		path = xasprintf("/v1/consortia/%s", n);
		break;
	case CTL_CMD_GET_ORGS:
		path = xasprintf("/v1/consortia/%s/orgs", c);
		break;
	case CTL_CMD_GET_ORG:
		path = xasprintf("/v1/consortia/%s/orgs/%s", c, n);
		break;
	default:
		path = xstrdup("/v1/consortia");
		break;
	}
	free(c);
	free(n);
	return path;
}

int
ctl_get_run(const struct ctl_args *args, struct ctl_client *c)
{
	const json_t *v;
	json_t *answer = NULL;
	char *cause = NULL, *path;
	long status;
	int ret, rc;

	path = ctl_get_path(args);
	if ((ret = ctl_wf_get(c, path, &answer, &status, NULL, 0, &cause,
	    stderr)) != CTL_EXIT_OK)
		goto done;
	if (args->format == CTL_FORMAT_TABLE) {
		switch (args->cmd) {
		case CTL_CMD_GET_ONE:
			rc = ctl_get_print_one(stdout, answer, &cause);
			break;
		case CTL_CMD_GET_ORGS:
			rc = ctl_get_print_orgs(stdout, answer, time(NULL),
			    &cause);
			break;
		case CTL_CMD_GET_ORG:
			rc = ctl_get_print_org(stdout, answer, time(NULL),
			    &cause);
			break;
		default:
			rc = ctl_get_print_list(stdout, answer, &cause);
			break;
		}
	} else if (args->cmd == CTL_CMD_GET_ONE) {
		if ((v = json_object_get(answer, "document")) == NULL) {
			cause = xstrdup("the controller's answer has no "
			    "\"document\"");
			goto fail;
		}
		rc = ctl_get_dump(stdout, v, args->format, &cause);
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
	free(path);
	free(cause);
	return ret;
}
