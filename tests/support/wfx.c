/*
 * wfx.c: the workflow tests' shared set-up and reading (wfx.h).
 */
#include "wfx.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "b64.h"
#include "fabric_update.h"
#include "fixture.h"
#include "xmalloc.h"

json_t *
wfx_doc(const char *fmt, ...)
{
	va_list ap;
	char *text;
	json_t *doc;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1) {
		va_end(ap);
		return NULL;
	}
	va_end(ap);
	doc = fixture_load_string(text, strlen(text), "the test's document");
	free(text);
	return doc;
}

json_t *
wfx_published(unsigned int n, const char *kind)
{
	json_t *p = json_object();
	unsigned int i;
	char *m;

	for (i = 1; i <= n; i++) {
		m = xasprintf("Org%uMSP", i);
		json_object_set_new(p, m, json_pack("{s:{s:s}, s:{s:[]}}", "msp",
		    "mspId", m, "endpoints", kind));
		free(m);
	}
	return p;
}

json_t *
wfx_live(unsigned int n)
{
	json_t *l = json_object();
	unsigned int i;
	char *m;

	for (i = 1; i <= n; i++) {
		m = xasprintf("Org%uMSP", i);
		json_object_set_new(l, m, json_true());
		free(m);
	}
	return l;
}

json_t *
wfx_prepared(const char *channel, json_int_t block)
{
	Common__ConfigUpdate cu = COMMON__CONFIG_UPDATE__INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char hex[2 * EVP_MAX_MD_SIZE + 1], *b64;
	json_t *ret = NULL;
	uint8_t *bytes;
	size_t len;

	cu.channel_id = (char *)channel;
	if ((bytes = fupd_pack(&cu, &len)) == NULL)
		return NULL;
	if (EVP_Digest(bytes, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		goto done;
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	b64 = b64_encode(bytes, len, 0);
	ret = json_pack("{s:s, s:s, s:I}", "update", b64, "sha256", hex,
	    "configBlock", block);
	free(b64);
done:
	free(bytes);
	return ret;
}

const char *
wfx_sget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

const json_t *
wfx_step_named(const json_t *rec, const char *name)
{
	const json_t *s;
	size_t i;

	json_array_foreach(json_object_get(rec, "steps"), i, s)
		if (wfx_sget(s, "name") != NULL &&
		    strcmp(wfx_sget(s, "name"), name) == 0)
			return s;
	return NULL;
}

const char *
wfx_nstate(const json_t *rec, const char *name)
{
	const char *s = wfx_sget(wfx_step_named(rec, name), "state");

	return s != NULL ? s : "(none)";
}

void
wfx_result(json_t *results, const char *id, const char *state,
    const char *msg, json_t *detail)
{
	json_t *v = json_pack("{s:s, s:s}", "state", state, "message", msg);

	if (detail != NULL)
		json_object_set_new(v, "detail", detail);
	json_object_set_new(results, id, v);
}

int
wfx_teardown(void **state)
{
	struct wfx *f = *state;

	if (f == NULL)
		return 0;
	json_decref(f->topo);
	json_decref(f->published);
	json_decref(f->live);
	json_decref(f->members);
	json_decref(f->consenters);
	json_decref(f->genesis);
	json_decref(f->prepared);
	json_decref(f->update);
	free(f);
	return 0;
}
