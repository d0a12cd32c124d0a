/*
 * ctl_conf.c: admin.conf, written by "fabfed-controller init" (docs/api.md):
 * {"controller": URL, "ca": FILE, "cert": FILE, "key": FILE}.
 * Relative files are relative to the directory admin.conf is in, so a
 * state directory can be moved or mounted elsewhere as a whole.
 */
#include "ctl.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "xmalloc.h"

void
ctl_conf_free(struct ctl_conf *conf)
{
	if (conf == NULL)
		return;
	free(conf->controller);
	free(conf->ca);
	free(conf->cert);
	free(conf->key);
	memset(conf, 0, sizeof(*conf));
}

char *
ctl_conf_url(const char *url, char **cause)
{
	const char *sep, *host;
	char *out;
	size_t n;

	sep = strstr(url, "://");
	if (sep == NULL) {
		host = url;
		out = xasprintf("https://%s", url);
	} else {
		if ((size_t)(sep - url) != 5 ||
		    strncasecmp(url, "https", 5) != 0) {
			*cause = xasprintf("controller URL \"%s\" is not "
			    "https:// (the controller only speaks HTTPS "
			    "with mutual TLS)", url);
			return NULL;
		}
		host = sep + 3;
		out = xasprintf("https://%s", host);
	}
	if (*host == '\0' || *host == '/' || strpbrk(url, " \t\r\n?#") !=
	    NULL) {
		*cause = xasprintf("controller URL \"%s\" has no usable host",
		    url);
		free(out);
		return NULL;
	}
	n = strlen(out);
	while (n > strlen("https://") && out[n - 1] == '/')
		out[--n] = '\0';
	return out;
}

/* dir/p for a relative p; caller frees. */
static char *
ctl_conf_resolve(const char *dir, const char *p)
{
	size_t n;

	if (p[0] == '/' || dir == NULL || *dir == '\0')
		return xstrdup(p);
	n = strlen(dir);
	return xasprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", p);
}

static int
ctl_conf_field(const json_t *o, const char *field, const char *label,
    const char **out, char **cause)
{
	const json_t *v;

	v = json_object_get(o, field);
	if (v == NULL) {
		*cause = xasprintf("%s: \"%s\" is missing", label, field);
		return -1;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		*cause = xasprintf("%s: \"%s\" must be a non-empty string",
		    label, field);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int
ctl_conf_parse(const char *data, size_t len, const char *label,
    const char *dir, const char *controller, struct ctl_conf *conf,
    char **cause)
{
	const char *url = NULL, *ca, *cert, *key;
	json_error_t jerr;
	json_t *o;
	int ret = -1;

	memset(conf, 0, sizeof(*conf));
	*cause = NULL;
	o = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL) {
		*cause = xasprintf("%s:%d:%d: not valid JSON: %s", label,
		    jerr.line, jerr.column, jerr.text);
		goto done;
	}
	if (!json_is_object(o)) {
		*cause = xasprintf("%s: not a JSON object", label);
		goto done;
	}
	if (controller != NULL)
		url = controller;
	else if (ctl_conf_field(o, "controller", label, &url, cause) == -1)
		goto done;
	if (ctl_conf_field(o, "ca", label, &ca, cause) == -1 ||
	    ctl_conf_field(o, "cert", label, &cert, cause) == -1 ||
	    ctl_conf_field(o, "key", label, &key, cause) == -1)
		goto done;
	if ((conf->controller = ctl_conf_url(url, cause)) == NULL) {
		char *c = *cause;

		*cause = xasprintf("%s: %s", controller != NULL ?
		    "--controller/FABFED_CONTROLLER" : label, c);
		free(c);
		goto done;
	}
	conf->ca = ctl_conf_resolve(dir, ca);
	conf->cert = ctl_conf_resolve(dir, cert);
	conf->key = ctl_conf_resolve(dir, key);
	ret = 0;
done:
	json_decref(o);
	if (ret == -1)
		ctl_conf_free(conf);
	return ret;
}

int
ctl_conf_load(const char *path, const char *controller,
    struct ctl_conf *conf, char **cause)
{
	struct buf b;
	char chunk[4096], *dir = NULL;
	const char *slash;
	ssize_t n;
	int fd, ret = -1;

	memset(conf, 0, sizeof(*conf));
	*cause = NULL;
	buf_init(&b, CTL_CONF_MAX);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("cannot open %s: %s", path,
		    strerror(errno));
		goto done;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = xasprintf("cannot read %s: %s", path,
			    strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		if (buf_add(&b, chunk, (size_t)n) == -1) {
			*cause = xasprintf("%s is larger than %zu KiB; is it "
			    "an admin.conf?", path, CTL_CONF_MAX / 1024);
			goto done;
		}
	}
	slash = strrchr(path, '/');
	if (slash == NULL)
		dir = NULL;
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	ret = ctl_conf_parse(b.data != NULL ? b.data : "", b.len, path, dir,
	    controller, conf, cause);
done:
	if (fd != -1)
		close(fd);
	free(dir);
	buf_free(&b);
	return ret;
}

static int
ctl_conf_readable(const char *what, const char *path, struct stat *st,
    char **cause)
{
	if (access(path, R_OK) == -1 || stat(path, st) == -1) {
		*cause = xasprintf("cannot read the %s %s (from admin.conf): "
		    "%s", what, path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		*cause = xasprintf("the %s %s (from admin.conf) is not a "
		    "file", what, path);
		return -1;
	}
	return 0;
}

int
ctl_conf_check(const struct ctl_conf *conf, FILE *err, char **cause)
{
	struct stat st;

	*cause = NULL;
	if (ctl_conf_readable("CA certificate", conf->ca, &st, cause) == -1 ||
	    ctl_conf_readable("client certificate", conf->cert, &st,
	    cause) == -1 ||
	    ctl_conf_readable("client key", conf->key, &st, cause) == -1)
		return -1;
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0 && err != NULL)
		fprintf(err, "warning: the client key %s may be read by group "
		    "or others (mode %03o); chmod 600 it\n", conf->key,
		    (unsigned)(st.st_mode & 0777));
	return 0;
}
