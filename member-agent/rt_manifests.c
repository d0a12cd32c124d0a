/*
 * rt_manifests.c: the manifests runtime. The org's Kubernetes objects
 * (k8s.c) rendered into a directory, one file per object, for a GitOps
 * tool (Flux, Argo CD) to apply. Files are JSON, which is YAML: a YAML
 * emitter exists in the CLI (cli/ctl_yaml.c) but the agent cannot link it.
 *
 * A file is rewritten (temporary file, fsync, rename) only when its bytes
 * change, so a re-render with nothing new touches nothing and a GitOps
 * diff shows exactly what changed. Only files named NN-KIND-NAME.yaml are
 * ours: a kustomization.yaml or README next to them is never touched.
 */
#include "runtime.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "topology.h"
#include "k8s.h"
#include "xmalloc.h"

#define RT_MANIFESTS_MAX_FILE (8 * 1024 * 1024) /* a file of ours read back */
#define RT_MANIFESTS_MAX_FILES 100000           /* entries looked at in outdir */

static const struct {
	const char *kind, *word;
	int rank;
} rt_manifests_kinds[] = {
	{ "Namespace", "namespace", 0 },
	{ "Secret", "secret", 10 },
	{ "ConfigMap", "configmap", 20 },
	{ "StatefulSet", "statefulset", 30 },
	{ "Service", "service", 40 },
};
#define RT_MANIFESTS_NKINDS \
	(sizeof(rt_manifests_kinds) / sizeof(rt_manifests_kinds[0]))

struct rt_manifests {
	char *outdir;
};

char *
rt_manifests_file_name(const json_t *obj)
{
	const char *kind, *name;
	size_t i;

	kind = json_string_value(json_object_get(obj, "kind"));
	name = json_string_value(json_object_get(json_object_get(obj,
	    "metadata"), "name"));
	if (kind == NULL || name == NULL || !k8s_valid_dns_subdomain(name))
		return NULL;
	for (i = 0; i < RT_MANIFESTS_NKINDS; i++) {
		if (strcmp(kind, rt_manifests_kinds[i].kind) == 0)
			return xasprintf("%02d-%s-%s.yaml",
			    rt_manifests_kinds[i].rank, rt_manifests_kinds[i].word,
			    name);
	}
	return NULL;
}

/* 1 when NAME is a file this runtime writes: NN-KIND-NAME.yaml. */
static int
rt_manifests_owned(const char *name)
{
	size_t i, n = strlen(name), w;
	char *obj;
	int ok;

	if (n < 4 + 5 || !isdigit((unsigned char)name[0]) ||
	    !isdigit((unsigned char)name[1]) || name[2] != '-' ||
	    strcmp(name + n - 5, ".yaml") != 0)
		return 0;
	for (i = 0; i < RT_MANIFESTS_NKINDS; i++) {
		w = strlen(rt_manifests_kinds[i].word);
		if (strncmp(name + 3, rt_manifests_kinds[i].word, w) != 0 ||
		    name[3 + w] != '-')
			continue;
		obj = xstrndup(name + 4 + w, n - 5 - (4 + w));
		ok = k8s_valid_dns_subdomain(obj);
		free(obj);
		return ok;
	}
	return 0;
}

static int
rt_manifests_is_secret(const json_t *obj)
{
	const char *kind = json_string_value(json_object_get(obj, "kind"));

	return kind != NULL && strcmp(kind, "Secret") == 0;
}

/* mkdir -p, the last component with MODE. */
static int
rt_manifests_mkdirs(const char *dir, mode_t mode, char **cause)
{
	char *p = xstrdup(dir), *s;
	int ret = -1;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST) {
			*cause = xasprintf("cannot create %s: %s", p,
			    strerror(errno));
			goto done;
		}
		*s = '/';
	}
	if (mkdir(p, mode) == -1 && errno != EEXIST) {
		*cause = xasprintf("cannot create %s: %s", p, strerror(errno));
		goto done;
	}
	ret = 0;
done:
	free(p);
	return ret;
}

/* 1 when PATH holds exactly TEXT with MODE, 0 otherwise (absent too). */
static int
rt_manifests_same(const char *path, const char *text, size_t len, mode_t mode)
{
	struct stat st;
	char *cur;
	size_t off = 0;
	ssize_t r;
	int fd, same = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return 0;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size != len || (st.st_mode & 07777) != mode) {
		close(fd);
		return 0;
	}
	cur = xmalloc(len + 1);
	while (off < len) {
		r = read(fd, cur + off, len - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	if (off == len && memcmp(cur, text, len) == 0)
		same = 1;
	explicit_bzero(cur, len);
	free(cur);
	close(fd);
	return same;
}

/* DIR/NAME := TEXT, atomically; *changed = 1 when written. */
static int
rt_manifests_write(const char *dir, const char *name, const char *text,
    size_t len, mode_t mode, int *changed, char **cause)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *tmp = xasprintf("%s/.%s.tmp", dir, name);
	size_t off = 0;
	ssize_t r;
	int fd = -1, ret = -1;

	*changed = 0;
	if (rt_manifests_same(path, text, len, mode)) {
		ret = 0;
		goto done;
	}
	(void)unlink(tmp); /* left by a crash */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd == -1 || fchmod(fd, mode) == -1) {
		*cause = xasprintf("cannot create %s: %s", tmp, strerror(errno));
		goto done;
	}
	while (off < len) {
		r = write(fd, text + off, len - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			*cause = xasprintf("cannot write %s: %s", tmp,
			    strerror(errno));
			goto done;
		}
		off += (size_t)r;
	}
	if (fsync(fd) == -1) {
		*cause = xasprintf("cannot sync %s: %s", tmp, strerror(errno));
		goto done;
	}
	if (close(fd) == -1) {
		fd = -1;
		*cause = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		*cause = xasprintf("cannot rename %s to %s: %s", tmp, path,
		    strerror(errno));
		goto done;
	}
	*changed = 1;
	ret = 0;
done:
	if (fd != -1)
		close(fd);
	if (ret == -1)
		(void)unlink(tmp);
	free(path);
	free(tmp);
	return ret;
}

static int
rt_manifests_sync_dir(const char *dir, char **cause)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("cannot open %s: %s", dir, strerror(errno));
		return -1;
	}
	if (fsync(fd) == -1 && errno != EINVAL) {
		*cause = xasprintf("cannot sync %s: %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The text of a file: JSON (valid YAML), 2-space indent, keys in order. */
static char *
rt_manifests_text(const json_t *obj, size_t *lenp)
{
	char *s = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER), *t;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	t = xmalloc(n + 2);
	memcpy(t, s, n);
	t[n] = '\n';
	t[n + 1] = '\0';
	explicit_bzero(s, n);
	free(s);
	*lenp = n + 1;
	return t;
}

/*
 * Calls fn for each file of ours in dir (at most RT_MANIFESTS_MAX_FILES
 * entries looked at). Also removes temporary files a crash left.
 */
static int
rt_manifests_scan(const char *dir, int (*fn)(const char *, const char *,
    void *, char **), void *arg, char **cause)
{
	struct dirent *de;
	char **names = NULL, *tmp;
	size_t n = 0, i, seen = 0, len;
	DIR *d;
	int ret = -1;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		*cause = xasprintf("cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL && seen++ < RT_MANIFESTS_MAX_FILES) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' && len > 5 &&
		    strcmp(de->d_name + len - 4, ".tmp") == 0) {
			tmp = xstrndup(de->d_name + 1, len - 5);
			if (rt_manifests_owned(tmp)) {
				free(tmp);
				tmp = xasprintf("%s/%s", dir, de->d_name);
				(void)unlink(tmp);
			}
			free(tmp);
			continue;
		}
		if (!rt_manifests_owned(de->d_name))
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	/* callbacks run after the listing: they may unlink */
	for (i = 0; i < n; i++) {
		if (fn(dir, names[i], arg, cause) == -1)
			goto done;
	}
	ret = 0;
done:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

/* Removes a file of ours whose name is not in the wanted set. */
static int
rt_manifests_prune(const char *dir, const char *name, void *arg, char **cause)
{
	json_t *wanted = arg;
	char *path;

	if (json_object_get(wanted, name) != NULL)
		return 0;
	path = xasprintf("%s/%s", dir, name);
	if (unlink(path) == -1 && errno != ENOENT) {
		*cause = xasprintf("cannot remove %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

int
rt_manifests_render(const json_t *consortium, const char *mspid,
    const char *pkidir, const char *outdir, char **cause)
{
	json_t *objs = NULL, *wanted = json_object(), *obj;
	char *name = NULL, *text = NULL;
	size_t i, len;
	int ret = -1, changed;

	if ((objs = k8s_org_objects(consortium, mspid, pkidir, cause)) == NULL)
		goto done;
	if (rt_manifests_mkdirs(outdir, 0700, cause) == -1)
		goto done;
	json_array_foreach(objs, i, obj) {
		if ((name = rt_manifests_file_name(obj)) == NULL) {
			*cause = xstrdup("an object without a valid kind and "
			    "name (internal error)");
			goto done;
		}
		if (json_object_get(wanted, name) != NULL) {
			*cause = xasprintf("two objects would be written to %s",
			    name);
			goto done;
		}
		if ((text = rt_manifests_text(obj, &len)) == NULL) {
			*cause = xasprintf("cannot serialize %s", name);
			goto done;
		}
		if (rt_manifests_write(outdir, name, text, len,
		    rt_manifests_is_secret(obj) ? 0600 : 0644, &changed,
		    cause) == -1)
			goto done;
		json_object_set_new(wanted, name, json_true());
		freezero_str(text);
		text = NULL;
		free(name);
		name = NULL;
	}
	if (rt_manifests_scan(outdir, rt_manifests_prune, wanted, cause) == -1)
		goto done;
	if (rt_manifests_sync_dir(outdir, cause) == -1)
		goto done;
	ret = 0;
done:
	freezero_str(text);
	free(name);
	json_decref(objs);
	json_decref(wanted);
	return ret;
}

/* Borrowed instance label of an object, or NULL. */
static const char *
rt_manifests_instance(const json_t *obj)
{
	const json_t *labels = json_object_get(json_object_get(obj, "metadata"),
	    "labels");
	const char *part = json_string_value(json_object_get(labels,
	    K8S_LABEL_PART_OF));

	if (part == NULL || strcmp(part, K8S_PART_OF) != 0)
		return NULL;
	return json_string_value(json_object_get(labels, K8S_LABEL_INSTANCE));
}

struct rt_manifests_node {
	const char *node;
	size_t found;   /* files of the node on disk */
	int unlink;     /* remove them */
};

/* Reads back one file of ours; counts (and removes) the node's. */
static int
rt_manifests_node_file(const char *dir, const char *name, void *arg,
    char **cause)
{
	struct rt_manifests_node *m = arg;
	char *path = xasprintf("%s/%s", dir, name);
	const char *inst;
	json_error_t err;
	struct stat st;
	json_t *obj = NULL;
	int ret = -1;

	if (stat(path, &st) == -1 || st.st_size > RT_MANIFESTS_MAX_FILE) {
		ret = 0; /* vanished, or too big to be one of ours: skip */
		goto done;
	}
	if ((obj = json_load_file(path, 0, &err)) == NULL) {
		ret = 0; /* hand-edited into something else: not ours to judge */
		goto done;
	}
	inst = rt_manifests_instance(obj);
	if (inst != NULL && strcmp(inst, m->node) == 0) {
		m->found++;
		if (m->unlink && unlink(path) == -1 && errno != ENOENT) {
			*cause = xasprintf("cannot remove %s: %s", path,
			    strerror(errno));
			goto done;
		}
	}
	ret = 0;
done:
	json_decref(obj);
	free(path);
	return ret;
}

/* 1 when NODE is a peer or orderer of the org in the topology. */
static int
rt_manifests_has_node(const struct rt_org *org, const char *node)
{
	return topology_find_node(topology_find_org(org->consortium, org->mspid), node,
	    NULL) != NULL;
}

static int
rt_manifests_op_render(struct runtime *rt, const struct rt_org *org,
    char **cause)
{
	struct rt_manifests *m = rt->priv;

	return rt_manifests_render(org->consortium, org->mspid, org->pkidir,
	    m->outdir, cause);
}

/* A node's files depend on its org (namespace, gossip bootstrap list):
 * ensuring one node renders the org. */
static int
rt_manifests_op_ensure(struct runtime *rt, const struct rt_org *org,
    const char *node, char **cause)
{
	if (!rt_manifests_has_node(org, node)) {
		*cause = xasprintf("org %s has no peer or orderer named \"%s\"",
		    org->mspid, node);
		return -1;
	}
	return rt_manifests_op_render(rt, org, cause);
}

static int
rt_manifests_op_observe(struct runtime *rt, const struct rt_org *org,
    const char *node, enum rt_state *state, char **detail, char **cause)
{
	struct rt_manifests *m = rt->priv;
	struct rt_manifests_node on = { node, 0, 0 };
	json_t *objs = NULL, *obj;
	char *name, *text, *path;
	size_t i, len, want = 0, same = 0, present = 0;
	int ret = -1;

	if (detail != NULL)
		*detail = NULL;
	if (!rt_manifests_has_node(org, node)) {
		if (rt_manifests_scan(m->outdir, rt_manifests_node_file, &on,
		    cause) == -1)
			goto done;
		*state = on.found > 0 ? RT_STATE_PENDING : RT_STATE_ABSENT;
		if (detail != NULL)
			*detail = on.found > 0 ? xasprintf("%zu files of %s, "
			    "no longer in the topology, remain in %s", on.found,
			    node, m->outdir) : xasprintf("%s is not rendered",
			    node);
		ret = 0;
		goto done;
	}
	if ((objs = k8s_org_objects(org->consortium, org->mspid, org->pkidir,
	    cause)) == NULL)
		goto done;
	json_array_foreach(objs, i, obj) {
		const char *inst = rt_manifests_instance(obj);
		struct stat st;

		if (inst == NULL || strcmp(inst, node) != 0)
			continue;
		want++;
		if ((name = rt_manifests_file_name(obj)) == NULL ||
		    (text = rt_manifests_text(obj, &len)) == NULL) {
			free(name);
			*cause = xstrdup("cannot serialize an object");
			goto done;
		}
		path = xasprintf("%s/%s", m->outdir, name);
		if (lstat(path, &st) == 0)
			present++;
		if (rt_manifests_same(path, text, len,
		    rt_manifests_is_secret(obj) ? 0600 : 0644))
			same++;
		freezero_str(text);
		free(path);
		free(name);
	}
	if (same == want)
		*state = RT_STATE_READY;
	else if (present == 0)
		*state = RT_STATE_ABSENT;
	else
		*state = RT_STATE_PENDING;
	if (detail != NULL)
		*detail = xasprintf("%zu of %zu files of %s up to date in %s",
		    same, want, node, m->outdir);
	ret = 0;
done:
	json_decref(objs);
	return ret;
}

static int
rt_manifests_op_remove(struct runtime *rt, const struct rt_org *org,
    const char *node, char **cause)
{
	struct rt_manifests *m = rt->priv;
	struct rt_manifests_node on = { node, 0, 1 };

	if (rt_manifests_scan(m->outdir, rt_manifests_node_file, &on,
	    cause) == -1)
		return -1;
	return on.found > 0 ? rt_manifests_sync_dir(m->outdir, cause) : 0;
}

static void
rt_manifests_op_free(struct runtime *rt)
{
	struct rt_manifests *m = rt->priv;

	free(m->outdir);
	free(m);
	free(rt);
}

static const struct runtime_ops rt_manifests_ops = {
	.name = "manifests",
	.render = rt_manifests_op_render,
	.ensure = rt_manifests_op_ensure,
	.observe = rt_manifests_op_observe,
	.remove = rt_manifests_op_remove,
	.free = rt_manifests_op_free,
};

struct runtime *
rt_manifests_new(const char *outdir)
{
	struct runtime *rt = xcalloc(1, sizeof(*rt));
	struct rt_manifests *m = xcalloc(1, sizeof(*m));

	m->outdir = xstrdup(outdir);
	rt->ops = &rt_manifests_ops;
	rt->priv = m;
	return rt;
}
