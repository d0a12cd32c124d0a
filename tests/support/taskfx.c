/*
 * taskfx.c: the agent's tasks' unit test fixture (taskfx.h).
 */
#include "taskfx.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fabric_config.h"
#include "fabric_update.h"
#include "fixture.h"
#include "xmalloc.h"

static const char *const taskfx_orgs[] = { "Org1MSP", "Org2MSP", "Org3MSP" };

int
taskfx_open(struct taskfx *f, const char *name, json_t *doc, char **cause)
{
	memset(f, 0, sizeof(*f));
	if ((size_t)snprintf(f->dir, sizeof(f->dir), "/tmp/%s.XXXXXX", name) >=
	    sizeof(f->dir)) {
		*cause = xasprintf("the name %s is too long", name);
		json_decref(doc);
		return -1;
	}
	if (mkdtemp(f->dir) == NULL) {
		*cause = xasprintf("mkdtemp %s: %s", f->dir, strerror(errno));
		json_decref(doc);
		return -1;
	}
	if (doc == NULL && (doc = fixture_load_example()) == NULL) {
		*cause = xstrdup("examples/consortium.yaml does not load "
		    "(FABFED_SRC unset?)");
		goto fail;
	}
	f->doc = doc;
	if ((f->pub = fixture_publish_all(f->doc, taskfx_orgs, 3, f->dir, NULL,
	    cause)) == NULL)
		goto fail;
	f->pkidir = xasprintf("%s/Org1MSP", f->dir);
	f->out = xasprintf("%s/out", f->dir);
	if ((f->rt = rt_manifests_new(f->out)) == NULL) {
		*cause = xasprintf("no manifests runtime in %s", f->out);
		goto fail;
	}
	f->env.rt = f->rt;
	f->env.mspid = "Org1MSP";
	f->env.domain = "org1.example.com";
	f->env.pkidir = f->pkidir;
	f->env.spec = f->doc;
	f->env.orgs = f->pub;
	f->env.signer_url = "ipc:///nonexistent/signer.sock";
	f->env.outdir = f->out;
	f->env.statedir = f->dir;
	return 0;
fail:
	taskfx_close(f);
	return -1;
}

void
taskfx_close(struct taskfx *f)
{
	if (f->dir[0] != '\0')
		(void)fixture_rmtree(f->dir);
	runtime_free(f->rt);
	json_decref(f->doc);
	json_decref(f->pub);
	free(f->pkidir);
	free(f->out);
	memset(f, 0, sizeof(*f));
}

struct taskfx *
taskfx_new(const char *name, const char *doc)
{
	struct taskfx *f = xcalloc(1, sizeof(*f));
	json_t *d = NULL;
	char *cause = NULL;

	if (doc != NULL && (d = fixture_load_string(doc, strlen(doc),
	    "the test's consortium")) == NULL) {
		free(f);
		return NULL;
	}
	if (taskfx_open(f, name, d, &cause) == -1) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		free(f);
		return NULL;
	}
	return f;
}

void
taskfx_free(struct taskfx *f)
{
	if (f == NULL)
		return;
	taskfx_close(f);
	free(f);
}

int
taskfx_setup(void **state, const char *name, const char *doc)
{
	return (*state = taskfx_new(name, doc)) == NULL ? -1 : 0;
}

int
taskfx_teardown(void **state)
{
	taskfx_free(*state);
	return 0;
}

json_t *
taskfx_expect(const struct taskfx *f, json_t *task, const char *state,
    const char *want)
{
	json_t *r = NULL;
	const char *msg;

	assert_int_equal(tasks_run(&f->env, task, &r), 0);
	assert_non_null(r);
	msg = json_string_value(json_object_get(r, "message"));
	assert_non_null(msg);
	if (strcmp(json_string_value(json_object_get(r, "state")), state) != 0 ||
	    strstr(msg, want) == NULL)
		fail_msg("wanted %s with \"%s\", got %s: %s", state, want,
		    json_string_value(json_object_get(r, "state")), msg);
	assert_true(strlen(msg) <= TASKS_MAX_MESSAGE);
	json_decref(task);
	return r;
}

json_t *
taskfx_with(const json_t *doc, const char *key, const char *const *v,
    size_t n)
{
	json_t *copy = json_deep_copy(doc), *arr = json_array(), *c;
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(v[i]));
	c = json_array_get(json_object_get(json_object_get(copy, "spec"),
	    "channels"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "name")),
	    "trade");
	json_object_set_new(c, key, arr);
	return copy;
}

Common__Config *
taskfx_build(const json_t *doc, const json_t *pub, unsigned int flags)
{
	Common__Config *c;
	char *cause = NULL;

	if ((c = fcfg_build_flags(doc, "trade", pub, flags, &cause)) == NULL)
		fail_msg("fcfg_build: %s", cause);
	return c;
}

Common__ConfigGroup *
taskfx_group(const Common__ConfigGroup *g, const char *key)
{
	Common__ConfigGroup *s;

	assert_non_null(g);
	s = fcfg_group(g, key);
	if (s == NULL)
		fail_msg("no group %s", key);
	return s;
}

void
taskfx_not_submits(const Common__Config *from, const Common__Config *to,
    const char *want)
{
	Common__ConfigUpdate *upd;
	char *cause = NULL;

	upd = fupd_compute(from, to, "trade", &cause);
	assert_non_null(upd);
	assert_int_equal(tasks_update_applied(upd, from, NULL, &cause), -1);
	assert_non_null(strstr(cause, want));
	free(cause);
	fupd_free(upd);
}

/* tasks_needs_signer of T under each runtime named in LIST is WANT. */
static void
taskfx_signer_each(const json_t *t, const char *list, int want)
{
	char *copy, *rt, *last;

	if (list == NULL)
		return;
	copy = xstrdup(list);
	for (rt = strtok_r(copy, " ", &last); rt != NULL;
	    rt = strtok_r(NULL, " ", &last))
		if ((tasks_needs_signer(rt, t) != 0) != want)
			fail_msg("a %s task %s for the signer under %s",
			    json_string_value(json_object_get(t, "type")),
			    want ? "does not wait" : "waits", rt);
	free(copy);
}

void
taskfx_needs_signer(const char *type, const char *yes, const char *no)
{
	json_t *t = json_pack("{s:s}", "type", type);

	taskfx_signer_each(t, yes, 1);
	taskfx_signer_each(t, no, 0);
	json_decref(t);
}

char *
taskfx_read(const char *path, size_t *len)
{
	char *buf, *cause = NULL;

	if ((buf = fixture_read_file(path, FIXTURE_MAX_DOC, len,
	    &cause)) == NULL)
		fail_msg("%s is missing: %s", path, cause);
	return buf;
}
