/*
 * etcd_codec.c: the pure half of the etcd client. Builds the JSON bodies the
 * gRPC gateway expects (keys and values base64, int64 as strings) and parses
 * its answers (int64 fields arrive as JSON strings; zero values, empty lists
 * and false booleans are omitted, so every field is optional). No I/O here.
 */
#include "etcd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "b64.h"
#include "xmalloc.h"

struct etcd_txn_cmp {
	char *key;
	size_t key_len;
	enum etcd_cmp_target target;
	enum etcd_cmp_result result;
	int64_t ival;
	char *value;
	size_t value_len;
};

struct etcd_txn_op {
	enum etcd_op_type type;
	char *key;
	size_t key_len;
	char *value;
	size_t value_len;
	int64_t lease;
	int flags;
};

struct etcd_txn_list {
	struct etcd_txn_op *ops;
	size_t n;
	size_t cap;
};

struct etcd_txn {
	struct etcd_txn_cmp *cmps;
	size_t ncmps;
	size_t capcmps;
	struct etcd_txn_list lists[2];   /* [0] failure, [1] success */
};

/* The longest piece of an etcd error message we keep. */
#define ETCD_MAX_MESSAGE 512

char *
etcd_prefix_end(const char *key, size_t len, size_t *outlen)
{
	char *end;
	size_t n = len;

	/* Drop trailing 0xff bytes; increment the last byte left. */
	while (n > 0 && (unsigned char)key[n - 1] == 0xff)
		n--;
	if (n == 0) {
		/* No prefix end: "\0" means "to the end of the keyspace". */
		end = xcalloc(1, 2);
		*outlen = 1;
		return end;
	}
	end = xmalloc(n + 1);
	memcpy(end, key, n);
	end[n - 1] = (char)((unsigned char)end[n - 1] + 1);
	end[n] = '\0';
	*outlen = n;
	return end;
}

static void
json_set_b64(json_t *obj, const char *name, const void *data, size_t len)
{
	/* Standard base64 with padding (what Go's encoding/json does for []byte). */
	char *s = b64_encode(data, len, 0);

	json_object_set_new(obj, name, json_string(s));
	free(s);
}

static void
json_set_int64(json_t *obj, const char *name, int64_t v)
{
	char s[32];

	snprintf(s, sizeof(s), "%lld", (long long)v);
	json_object_set_new(obj, name, json_string(s));
}

static char *
json_finish(json_t *obj)
{
	char *s;

	s = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (s == NULL)
		abort();   /* jansson fails here only when out of memory */
	return s;
}

/* key/range_end for a range or delete; an empty prefix is the keyspace. */
static void
json_set_keyrange(json_t *obj, const char *key, size_t len, int flags)
{
	char *end;
	size_t endlen;

	if ((flags & ETCD_PREFIX) && len == 0) {
		json_set_b64(obj, "key", "", 1);
		json_set_b64(obj, "range_end", "", 1);
		return;
	}
	json_set_b64(obj, "key", key, len);
	if (flags & ETCD_PREFIX) {
		end = etcd_prefix_end(key, len, &endlen);
		json_set_b64(obj, "range_end", end, endlen);
		free(end);
	}
}

static json_t *
range_object(const char *key, size_t len, int flags)
{
	json_t *o = json_object();

	if (o == NULL)
		abort();
	json_set_keyrange(o, key, len, flags);
	if (flags & ETCD_KEYS_ONLY)
		json_object_set_new(o, "keys_only", json_true());
	if (flags & ETCD_COUNT_ONLY)
		json_object_set_new(o, "count_only", json_true());
	return o;
}

static json_t *
put_object(const char *key, size_t keylen, const void *value, size_t len,
    int64_t lease)
{
	json_t *o = json_object();

	if (o == NULL)
		abort();
	json_set_b64(o, "key", key, keylen);
	json_set_b64(o, "value", value, len);
	if (lease != 0)
		json_set_int64(o, "lease", lease);
	return o;
}

static json_t *
delete_object(const char *key, size_t len, int flags)
{
	json_t *o = json_object();

	if (o == NULL)
		abort();
	json_set_keyrange(o, key, len, flags);
	return o;
}

char *
etcd_encode_range(const char *key, size_t len, int flags)
{
	return json_finish(range_object(key, len, flags));
}

char *
etcd_encode_put(const char *key, const void *value, size_t len, int64_t lease)
{
	return json_finish(put_object(key, strlen(key), value, len, lease));
}

char *
etcd_encode_delete(const char *key, size_t len, int flags)
{
	return json_finish(delete_object(key, len, flags));
}

char *
etcd_encode_lease(const char *field, int64_t v)
{
	json_t *o = json_object();

	if (o == NULL)
		abort();
	json_set_int64(o, field, v);
	return json_finish(o);
}

char *
etcd_encode_watch(const char *key, size_t len, int flags, int64_t start_revision)
{
	json_t *o, *cr;

	if ((o = json_object()) == NULL || (cr = json_object()) == NULL)
		abort();
	json_set_keyrange(cr, key, len, flags);
	if (start_revision > 0)
		json_set_int64(cr, "start_revision", start_revision);
	json_object_set_new(o, "create_request", cr);
	return json_finish(o);
}

struct etcd_txn *
etcd_txn_new(void)
{
	return xcalloc(1, sizeof(struct etcd_txn));
}

void
etcd_txn_free(struct etcd_txn *txn)
{
	size_t i, l;

	if (txn == NULL)
		return;
	for (i = 0; i < txn->ncmps; i++) {
		free(txn->cmps[i].key);
		free(txn->cmps[i].value);
	}
	free(txn->cmps);
	for (l = 0; l < 2; l++) {
		for (i = 0; i < txn->lists[l].n; i++) {
			free(txn->lists[l].ops[i].key);
			free(txn->lists[l].ops[i].value);
		}
		free(txn->lists[l].ops);
	}
	free(txn);
}

static char *
memdup0(const void *p, size_t len)
{
	char *s = xmalloc(len + 1);

	if (len > 0)
		memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

static struct etcd_txn_cmp *
txn_add_cmp(struct etcd_txn *txn, const char *key)
{
	struct etcd_txn_cmp *c;

	if (txn->ncmps == txn->capcmps) {
		txn->capcmps = txn->capcmps == 0 ? 4 : txn->capcmps * 2;
		txn->cmps = xreallocarray(txn->cmps, txn->capcmps, sizeof(*c));
	}
	c = &txn->cmps[txn->ncmps++];
	memset(c, 0, sizeof(*c));
	c->key_len = strlen(key);
	c->key = memdup0(key, c->key_len);
	return c;
}

void
etcd_txn_cmp_int(struct etcd_txn *txn, const char *key,
    enum etcd_cmp_target target, enum etcd_cmp_result result, int64_t value)
{
	struct etcd_txn_cmp *c = txn_add_cmp(txn, key);

	c->target = target;
	c->result = result;
	c->ival = value;
}

void
etcd_txn_cmp_value(struct etcd_txn *txn, const char *key,
    enum etcd_cmp_result result, const void *value, size_t len)
{
	struct etcd_txn_cmp *c = txn_add_cmp(txn, key);

	c->target = ETCD_CMP_VALUE;
	c->result = result;
	c->value = memdup0(value, len);
	c->value_len = len;
}

static struct etcd_txn_op *
txn_add_op(struct etcd_txn *txn, int success, enum etcd_op_type type,
    const char *key)
{
	struct etcd_txn_list *l = &txn->lists[success ? 1 : 0];
	struct etcd_txn_op *op;

	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 4 : l->cap * 2;
		l->ops = xreallocarray(l->ops, l->cap, sizeof(*op));
	}
	op = &l->ops[l->n++];
	memset(op, 0, sizeof(*op));
	op->type = type;
	op->key_len = strlen(key);
	op->key = memdup0(key, op->key_len);
	return op;
}

void
etcd_txn_put(struct etcd_txn *txn, int success, const char *key,
    const void *value, size_t len, int64_t lease)
{
	struct etcd_txn_op *op = txn_add_op(txn, success, ETCD_OP_PUT, key);

	op->value = memdup0(value, len);
	op->value_len = len;
	op->lease = lease;
}

void
etcd_txn_range(struct etcd_txn *txn, int success, const char *key, int flags)
{
	txn_add_op(txn, success, ETCD_OP_RANGE, key)->flags = flags;
}

void
etcd_txn_delete(struct etcd_txn *txn, int success, const char *key, int flags)
{
	txn_add_op(txn, success, ETCD_OP_DELETE, key)->flags = flags;
}

size_t
etcd_txn_nops(const struct etcd_txn *txn)
{
	return txn->ncmps + txn->lists[0].n + txn->lists[1].n;
}

static json_t *
txn_ops_json(const struct etcd_txn_list *l)
{
	const struct etcd_txn_op *op;
	json_t *a, *o;
	size_t i;

	if ((a = json_array()) == NULL)
		abort();
	for (i = 0; i < l->n; i++) {
		op = &l->ops[i];
		if ((o = json_object()) == NULL)
			abort();
		switch (op->type) {
		case ETCD_OP_RANGE:
			json_object_set_new(o, "request_range",
			    range_object(op->key, op->key_len, op->flags));
			break;
		case ETCD_OP_PUT:
			json_object_set_new(o, "request_put",
			    put_object(op->key, op->key_len, op->value,
			    op->value_len, op->lease));
			break;
		case ETCD_OP_DELETE:
			json_object_set_new(o, "request_delete_range",
			    delete_object(op->key, op->key_len, op->flags));
			break;
		}
		json_array_append_new(a, o);
	}
	return a;
}

char *
etcd_encode_txn(const struct etcd_txn *txn)
{
	static const char *targets[] = { "VERSION", "CREATE", "MOD", "VALUE" };
	static const char *results[] = { "EQUAL", "GREATER", "LESS", "NOT_EQUAL" };
	static const char *fields[] = { "version", "create_revision",
	    "mod_revision" };
	const struct etcd_txn_cmp *c;
	json_t *o, *cmps, *jc;
	size_t i;

	if ((o = json_object()) == NULL || (cmps = json_array()) == NULL)
		abort();
	for (i = 0; i < txn->ncmps; i++) {
		c = &txn->cmps[i];
		if ((jc = json_object()) == NULL)
			abort();
		json_set_b64(jc, "key", c->key, c->key_len);
		json_object_set_new(jc, "target",
		    json_string(targets[c->target & 3]));
		json_object_set_new(jc, "result",
		    json_string(results[c->result & 3]));
		if (c->target == ETCD_CMP_VALUE)
			json_set_b64(jc, "value", c->value, c->value_len);
		else
			json_set_int64(jc, fields[c->target % 3], c->ival);
		json_array_append_new(cmps, jc);
	}
	json_object_set_new(o, "compare", cmps);
	json_object_set_new(o, "success", txn_ops_json(&txn->lists[1]));
	json_object_set_new(o, "failure", txn_ops_json(&txn->lists[0]));
	return json_finish(o);
}

/* Decoding. */

static void
kv_clear(struct etcd_kv *kv)
{
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

static void
range_clear(struct etcd_range_result *r)
{
	size_t i;

	for (i = 0; i < r->nkvs; i++)
		kv_clear(&r->kvs[i]);
	free(r->kvs);
	memset(r, 0, sizeof(*r));
}

void
etcd_result_clear(struct etcd_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	free(res->error);
	range_clear(&res->range);
	kv_clear(&res->prev_kv);
	for (i = 0; i < res->nresponses; i++)
		range_clear(&res->responses[i].range);
	free(res->responses);
	memset(res, 0, sizeof(*res));
}

/* A copy of an outside string fit for a log line: printable, bounded. */
static char *
sanitize(const char *s, size_t len)
{
	char *out;
	size_t i;

	if (len > ETCD_MAX_MESSAGE)
		len = ETCD_MAX_MESSAGE;
	out = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	out[len] = '\0';
	/* Trim trailing blanks left by a newline. */
	while (len > 0 && out[len - 1] == ' ')
		out[--len] = '\0';
	return out;
}

static int
set_error(char **cause, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
set_error(char **cause, const char *fmt, ...)
{
	va_list ap;

	free(*cause);
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		abort();
	va_end(ap);
	return -1;
}

/*
 * An int64 field: a JSON string of decimal digits (the gateway's way) or a
 * JSON integer. Absent is 0 (proto3 omits zero values). Returns -1 on junk.
 */
static int
get_int64(const json_t *obj, const char *name, int64_t *out)
{
	const json_t *v = json_object_get(obj, name);
	const char *s;
	char *end;
	long long ll;

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	if (json_string_length(v) == 0 || json_string_length(v) > 20 ||
	    strlen(s) != json_string_length(v))
		return -1;
	if (!(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
		return -1;
	errno = 0;
	ll = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s)
		return -1;
	*out = ll;
	return 0;
}

static int
get_bool(const json_t *obj, const char *name, int *out)
{
	const json_t *v = json_object_get(obj, name);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return -1;
	*out = json_is_true(v);
	return 0;
}

/* A base64 bytes field; absent is empty. Always sets a NUL-terminated copy. */
static int
get_bytes(const json_t *obj, const char *name, char **out, size_t *outlen)
{
	const json_t *v = json_object_get(obj, name);

	*out = NULL;
	*outlen = 0;
	if (v == NULL || json_is_null(v)) {
		*out = xcalloc(1, 1);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	/* Canonical, with or without the padding. */
	*out = (char *)b64_decode(json_string_value(v), json_string_length(v),
	    B64_PADOPT, SIZE_MAX - 1, outlen);
	return *out == NULL ? -1 : 0;
}

static int
decode_kv(const json_t *j, struct etcd_kv *kv, char **cause)
{
	if (!json_is_object(j))
		return set_error(cause, "etcd: a kv is not an object");
	if (get_bytes(j, "key", &kv->key, &kv->key_len) == -1)
		return set_error(cause, "etcd: a kv key is not base64");
	if (get_bytes(j, "value", &kv->value, &kv->value_len) == -1)
		return set_error(cause, "etcd: a kv value is not base64");
	if (get_int64(j, "create_revision", &kv->create_revision) == -1 ||
	    get_int64(j, "mod_revision", &kv->mod_revision) == -1 ||
	    get_int64(j, "version", &kv->version) == -1 ||
	    get_int64(j, "lease", &kv->lease) == -1)
		return set_error(cause, "etcd: a kv has a bad integer field");
	return 0;
}

static int
decode_range(const json_t *j, struct etcd_range_result *r, char **cause)
{
	const json_t *kvs = json_object_get(j, "kvs");
	size_t i, n;

	if (get_int64(j, "count", &r->count) == -1 ||
	    get_bool(j, "more", &r->more) == -1)
		return set_error(cause, "etcd: bad count or more in a range");
	if (kvs == NULL || json_is_null(kvs))
		return 0;
	if (!json_is_array(kvs))
		return set_error(cause, "etcd: kvs is not a list");
	n = json_array_size(kvs);
	if (n == 0)
		return 0;
	r->kvs = xcalloc(n, sizeof(*r->kvs));
	for (i = 0; i < n; i++) {
		r->nkvs = i + 1;
		if (decode_kv(json_array_get(kvs, i), &r->kvs[i], cause) == -1)
			return -1;
	}
	return 0;
}

static int
decode_header(const json_t *j, int64_t *revision, char **cause)
{
	const json_t *h = json_object_get(j, "header");

	*revision = 0;
	if (h == NULL || json_is_null(h))
		return 0;
	if (!json_is_object(h) || get_int64(h, "revision", revision) == -1)
		return set_error(cause, "etcd: bad header in the answer");
	return 0;
}

static int
decode_prev_kv(const json_t *j, struct etcd_result *res, char **cause)
{
	const json_t *p = json_object_get(j, "prev_kv");

	if (p == NULL || json_is_null(p))
		return 0;
	res->has_prev_kv = 1;
	return decode_kv(p, &res->prev_kv, cause);
}

static int
decode_txn(const json_t *j, struct etcd_result *res, char **cause)
{
	const json_t *rs = json_object_get(j, "responses"), *r, *v;
	struct etcd_op_result *op;
	size_t i, n;

	if (get_bool(j, "succeeded", &res->succeeded) == -1)
		return set_error(cause, "etcd: bad succeeded in a txn answer");
	if (rs == NULL || json_is_null(rs))
		return 0;
	if (!json_is_array(rs))
		return set_error(cause, "etcd: txn responses is not a list");
	n = json_array_size(rs);
	if (n == 0)
		return 0;
	res->responses = xcalloc(n, sizeof(*res->responses));
	for (i = 0; i < n; i++) {
		res->nresponses = i + 1;
		op = &res->responses[i];
		r = json_array_get(rs, i);
		if (!json_is_object(r))
			return set_error(cause, "etcd: a txn response is not "
			    "an object");
		if ((v = json_object_get(r, "response_range")) != NULL) {
			op->type = ETCD_OP_RANGE;
			if (!json_is_object(v))
				return set_error(cause, "etcd: bad txn range");
			if (decode_range(v, &op->range, cause) == -1)
				return -1;
		} else if ((v = json_object_get(r, "response_put")) != NULL) {
			op->type = ETCD_OP_PUT;
			if (!json_is_object(v))
				return set_error(cause, "etcd: bad txn put");
		} else if ((v = json_object_get(r,
		    "response_delete_range")) != NULL) {
			op->type = ETCD_OP_DELETE;
			if (!json_is_object(v) ||
			    get_int64(v, "deleted", &op->deleted) == -1)
				return set_error(cause, "etcd: bad txn delete");
		} else
			return set_error(cause, "etcd: a txn response of "
			    "unknown kind");
	}
	return 0;
}

/*
 * An error answer: {"error","code","message"} (unary) or, inside a stream,
 * {"error":{"grpc_code","http_code","message","http_status"}}. Returns 1
 * (and fills res) when j is one.
 */
static int
decode_error(const json_t *j, int http_status, struct etcd_result *res)
{
	const json_t *e = json_object_get(j, "error"), *m;
	const char *msg = NULL;
	size_t msglen = 0;
	json_int_t code = 0;
	char *clean;

	if (e == NULL)
		return 0;
	if (json_is_object(e)) {
		m = json_object_get(e, "message");
		if (json_is_integer(json_object_get(e, "grpc_code")))
			code = json_integer_value(json_object_get(e,
			    "grpc_code"));
		if (json_is_integer(json_object_get(e, "http_code")) &&
		    http_status == 200)
			http_status = (int)json_integer_value(
			    json_object_get(e, "http_code"));
	} else {
		m = json_object_get(j, "message");
		if (!json_is_string(m) || json_string_length(m) == 0)
			m = e;
		if (json_is_integer(json_object_get(j, "code")))
			code = json_integer_value(json_object_get(j, "code"));
	}
	if (json_is_string(m)) {
		msg = json_string_value(m);
		msglen = strlen(msg);
	}
	if (msglen == 0) {
		msg = "unknown error";
		msglen = strlen(msg);
	}
	if (code < 0 || code > 1000)
		code = 0;
	clean = sanitize(msg, msglen);
	if (http_status < 0 || http_status > 999)
		http_status = 0;
	res->ok = 0;
	res->http_status = http_status;
	res->grpc_code = (int)code;
	free(res->error);
	if (strncmp(clean, "etcdserver: ", 12) == 0)
		res->error = xasprintf("etcd: %s", clean + 12);
	else
		res->error = xasprintf("etcd: %s", clean);
	free(clean);
	return 1;
}

static int
method_known(const char *method)
{
	static const char *methods[] = { "range", "put", "deleterange", "txn",
	    "lease_grant", "lease_keepalive", "lease_revoke" };
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(method, methods[i]) == 0)
			return 1;
	return 0;
}

int
etcd_decode(const char *method, int http_status, const char *body, size_t len,
    struct etcd_result *res)
{
	json_t *root = NULL;
	const json_t *j;
	json_error_t jerr;
	char *cause = NULL, *clean;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	if (!method_known(method)) {
		set_error(&cause, "etcd: unknown method %s", method);
		goto done;
	}
	if (len > ETCD_MAX_ANSWER) {
		set_error(&cause, "etcd: the answer is larger than %u bytes",
		    (unsigned)ETCD_MAX_ANSWER);
		goto done;
	}
	if (body == NULL)
		len = 0;
	if (len > 0)
		root = json_loadb(body, len, JSON_ALLOW_NUL, &jerr);
	if (root != NULL && json_is_object(root) &&
	    decode_error(root, http_status, res)) {
		json_decref(root);
		return -1;
	}
	if (http_status != 200) {
		clean = sanitize(len > 0 ? body : "", len);
		set_error(&cause, "etcd: HTTP %d%s%s", http_status,
		    clean[0] != '\0' ? ": " : "", clean);
		free(clean);
		res->http_status = http_status;
		goto done;
	}
	if (root == NULL) {
		set_error(&cause, "etcd: the answer is not JSON (%s)",
		    len == 0 ? "empty" : jerr.text);
		goto done;
	}
	if (!json_is_object(root)) {
		set_error(&cause, "etcd: the answer is not a JSON object");
		goto done;
	}

	j = root;
	if (strcmp(method, "lease_keepalive") == 0) {
		/* A one-message stream: {"result":{...}}. */
		j = json_object_get(root, "result");
		if (!json_is_object(j)) {
			set_error(&cause, "etcd: the keepalive answer has no "
			    "result");
			goto done;
		}
	}
	if (decode_header(j, &res->revision, &cause) == -1)
		goto done;
	if (strcmp(method, "range") == 0) {
		if (decode_range(j, &res->range, &cause) == -1)
			goto done;
	} else if (strcmp(method, "put") == 0) {
		if (decode_prev_kv(j, res, &cause) == -1)
			goto done;
	} else if (strcmp(method, "deleterange") == 0) {
		if (get_int64(j, "deleted", &res->deleted) == -1) {
			set_error(&cause, "etcd: bad deleted count");
			goto done;
		}
	} else if (strcmp(method, "txn") == 0) {
		if (decode_txn(j, res, &cause) == -1)
			goto done;
	} else if (strcmp(method, "lease_grant") == 0 ||
	    strcmp(method, "lease_keepalive") == 0) {
		const json_t *e = json_object_get(j, "error");

		if (json_is_string(e) && json_string_length(e) > 0) {
			clean = sanitize(json_string_value(e),
			    json_string_length(e));
			set_error(&cause, "etcd: %s", clean);
			free(clean);
			goto done;
		}
		if (get_int64(j, "ID", &res->lease_id) == -1 ||
		    get_int64(j, "TTL", &res->lease_ttl) == -1) {
			set_error(&cause, "etcd: bad lease ID or TTL");
			goto done;
		}
		if (res->lease_id == 0) {
			set_error(&cause, "etcd: the lease answer has no ID");
			goto done;
		}
		/* A keepalive on a lease that is gone answers without TTL. */
		if (res->lease_ttl <= 0)
			res->lease_ttl = -1;
	}
	res->ok = 1;
	ret = 0;
 done:
	json_decref(root);
	if (ret == -1) {
		int status = res->http_status;

		etcd_result_clear(res);
		res->http_status = status;
		res->error = cause != NULL ? cause :
		    xstrdup("etcd: the answer could not be read");
	}
	return ret;
}

void
etcd_watch_response_clear(struct etcd_watch_response *wr)
{
	size_t i;

	if (wr == NULL)
		return;
	for (i = 0; i < wr->nevents; i++)
		kv_clear(&wr->events[i].kv);
	free(wr->events);
	free(wr->cancel_reason);
	memset(wr, 0, sizeof(*wr));
}

int
etcd_decode_watch(const char *body, size_t len, struct etcd_watch_response *wr,
    char **cause)
{
	json_t *root = NULL;
	const json_t *j, *evs, *ev, *t;
	json_error_t jerr;
	struct etcd_result eres;
	size_t i, n;
	int ret = -1;

	memset(wr, 0, sizeof(*wr));
	*cause = NULL;
	if (len > ETCD_MAX_ANSWER) {
		set_error(cause, "etcd: a watch message is too large");
		goto done;
	}
	if (len == 0 || body == NULL ||
	    (root = json_loadb(body, len, JSON_ALLOW_NUL, &jerr)) == NULL) {
		set_error(cause, "etcd: a watch message is not JSON");
		goto done;
	}
	if (!json_is_object(root)) {
		set_error(cause, "etcd: a watch message is not an object");
		goto done;
	}
	memset(&eres, 0, sizeof(eres));
	if (decode_error(root, 200, &eres)) {
		*cause = eres.error;
		goto done;
	}
	j = json_object_get(root, "result");
	if (!json_is_object(j)) {
		set_error(cause, "etcd: a watch message has no result");
		goto done;
	}
	if (decode_header(j, &wr->revision, cause) == -1)
		goto done;
	if (get_bool(j, "created", &wr->created) == -1 ||
	    get_bool(j, "canceled", &wr->canceled) == -1 ||
	    get_int64(j, "compact_revision", &wr->compact_revision) == -1 ||
	    get_int64(j, "watch_id", &wr->watch_id) == -1) {
		set_error(cause, "etcd: bad fields in a watch message");
		goto done;
	}
	t = json_object_get(j, "cancel_reason");
	if (json_is_string(t) && json_string_length(t) > 0)
		wr->cancel_reason = sanitize(json_string_value(t),
		    json_string_length(t));
	evs = json_object_get(j, "events");
	if (evs != NULL && !json_is_null(evs)) {
		if (!json_is_array(evs)) {
			set_error(cause, "etcd: watch events is not a list");
			goto done;
		}
		n = json_array_size(evs);
		if (n > 0)
			wr->events = xcalloc(n, sizeof(*wr->events));
		for (i = 0; i < n; i++) {
			wr->nevents = i + 1;
			ev = json_array_get(evs, i);
			if (!json_is_object(ev)) {
				set_error(cause, "etcd: a watch event is not "
				    "an object");
				goto done;
			}
			t = json_object_get(ev, "type");
			if (t == NULL || (json_is_string(t) &&
			    strcmp(json_string_value(t), "PUT") == 0) ||
			    (json_is_integer(t) && json_integer_value(t) == 0))
				wr->events[i].type = ETCD_EVENT_PUT;
			else if ((json_is_string(t) &&
			    strcmp(json_string_value(t), "DELETE") == 0) ||
			    (json_is_integer(t) && json_integer_value(t) == 1))
				wr->events[i].type = ETCD_EVENT_DELETE;
			else {
				set_error(cause, "etcd: a watch event of "
				    "unknown type");
				goto done;
			}
			if (decode_kv(json_object_get(ev, "kv"),
			    &wr->events[i].kv, cause) == -1)
				goto done;
		}
	}
	ret = 0;
 done:
	json_decref(root);
	if (ret == -1) {
		char *c = *cause;

		etcd_watch_response_clear(wr);
		*cause = c;
	}
	return ret;
}

int
etcd_txn_read_only(const struct etcd_txn *txn)
{
	size_t l, i;

	for (l = 0; l < 2; l++)
		for (i = 0; i < txn->lists[l].n; i++)
			if (txn->lists[l].ops[i].type != ETCD_OP_RANGE)
				return 0;
	return 1;
}
