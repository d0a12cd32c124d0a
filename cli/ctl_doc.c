/*
 * ctl_doc.c: the consortium document as fabfedctl sends it: read as bytes
 * (the controller parses and validates it), and just enough of a libyaml
 * event walk to find metadata.name for the URL. libyaml reads JSON too.
 */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "xmalloc.h"

/* Events the walk reads at most: a bound on what a hostile file costs. */
#define CTL_DOC_MAXEVENTS	((size_t)1024 * 1024)

void
ctl_doc_free(struct ctl_doc *doc)
{
	if (doc == NULL)
		return;
	free(doc->label);
	free(doc->data);
	memset(doc, 0, sizeof(*doc));
}

int
ctl_doc_read(const char *path, struct ctl_doc *doc, char **cause)
{
	struct buf b;
	char chunk[16384];
	ssize_t n;
	int fd, stdin_ = strcmp(path, "-") == 0, ret = -1;

	memset(doc, 0, sizeof(*doc));
	*cause = NULL;
	buf_init(&b, CTL_DOC_MAX);
	doc->label = xstrdup(stdin_ ? "<stdin>" : path);
	if (stdin_)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("cannot open %s: %s", path,
		    strerror(errno));
		goto done;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = xasprintf("cannot read %s: %s", doc->label,
			    strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		if (buf_add(&b, chunk, (size_t)n) == -1) {
			*cause = xasprintf("%s is larger than 1 MiB, the most "
			    "the controller accepts for one consortium "
			    "document", doc->label);
			goto done;
		}
	}
	if (b.data == NULL || strspn(b.data, " \t\r\n") == b.len) {
		*cause = xasprintf("%s is empty", doc->label);
		goto done;
	}
	if (memchr(b.data, '\0', b.len) != NULL) {
		*cause = xasprintf("%s holds a NUL byte; it is not a YAML or "
		    "JSON document", doc->label);
		goto done;
	}
	doc->data = buf_steal(&b, &doc->len);
	ret = 0;
done:
	if (fd != -1 && !stdin_)
		close(fd);
	buf_free(&b);
	if (ret == -1)
		ctl_doc_free(doc);
	return ret;
}

/*
 * The walk: the root must be a mapping; in it, the value of the first
 * "metadata" key must be a mapping; in that, the value of the first "name"
 * key must be a non-empty scalar. Everything else is skipped by depth.
 */
enum ctl_doc_state {
	DOC_ROOT,		/* before the root node */
	DOC_TOP_KEY,		/* in the root mapping, at a key */
	DOC_TOP_VALUE,		/* at the value of an uninteresting key */
	DOC_META,		/* at the value of "metadata" */
	DOC_META_KEY,		/* in metadata, at a key */
	DOC_META_VALUE,		/* at the value of an uninteresting key */
	DOC_NAME,		/* at the value of metadata.name */
};

static char *
ctl_doc_syntax(const yaml_parser_t *p, const char *label)
{
	const yaml_mark_t *m = &p->problem_mark;

	if (p->context != NULL)
		return xasprintf("%s:%zu:%zu: not valid YAML or JSON: %s %s",
		    label, m->line + 1, m->column + 1, p->problem, p->context);
	return xasprintf("%s:%zu:%zu: not valid YAML or JSON: %s", label,
	    m->line + 1, m->column + 1,
	    p->problem != NULL ? p->problem : "unknown error");
}

/* Skips the rest of a collection whose start event was just read. */
static int
ctl_doc_skip(yaml_parser_t *p, const char *label, size_t *budget,
    char **cause)
{
	yaml_event_t ev;
	size_t depth = 1;

	while (depth > 0) {
		if ((*budget)-- == 0) {
			*cause = xasprintf("%s: too many YAML nodes", label);
			return -1;
		}
		if (!yaml_parser_parse(p, &ev)) {
			*cause = ctl_doc_syntax(p, label);
			return -1;
		}
		if (ev.type == YAML_MAPPING_START_EVENT ||
		    ev.type == YAML_SEQUENCE_START_EVENT)
			depth++;
		else if (ev.type == YAML_MAPPING_END_EVENT ||
		    ev.type == YAML_SEQUENCE_END_EVENT)
			depth--;
		else if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			*cause = xasprintf("%s: unexpected end of document",
			    label);
			return -1;
		}
		yaml_event_delete(&ev);
	}
	return 0;
}

static int
ctl_doc_is_scalar(const yaml_event_t *ev, const char *s)
{
	return ev->type == YAML_SCALAR_EVENT &&
	    ev->data.scalar.length == strlen(s) &&
	    memcmp(ev->data.scalar.value, s, ev->data.scalar.length) == 0;
}

int
ctl_doc_name(const char *data, size_t len, const char *label, char **name,
    char **cause)
{
	yaml_parser_t p;
	yaml_event_t ev;
	enum ctl_doc_state st = DOC_ROOT;
	size_t budget = CTL_DOC_MAXEVENTS;
	int ret = -1, done_ = 0, have_ev;
	const char *missing = "has no metadata.name";

	*name = NULL;
	*cause = NULL;
	if (!yaml_parser_initialize(&p)) {
		*cause = xstrdup("cannot start the YAML parser");
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);

	while (!done_) {
		if (budget-- == 0) {
			*cause = xasprintf("%s: too many YAML nodes", label);
			goto done;
		}
		if (!yaml_parser_parse(&p, &ev)) {
			*cause = ctl_doc_syntax(&p, label);
			goto done;
		}
		have_ev = 1;
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
			break;
		case YAML_STREAM_END_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			done_ = 1;
			break;
		case YAML_ALIAS_EVENT:
			if (st == DOC_META || st == DOC_NAME) {
				missing = "uses a YAML alias for metadata or "
				    "metadata.name; write it out";
				done_ = 1;
			} else if (st == DOC_TOP_VALUE)
				st = DOC_TOP_KEY;
			else if (st == DOC_META_VALUE)
				st = DOC_META_KEY;
			else
				done_ = 1;
			break;
		case YAML_SCALAR_EVENT:
			switch (st) {
			case DOC_ROOT:
				missing = "is not a mapping (a consortium "
				    "document starts with apiVersion, kind, "
				    "metadata)";
				done_ = 1;
				break;
			case DOC_TOP_KEY:
				st = ctl_doc_is_scalar(&ev, "metadata") ?
				    DOC_META : DOC_TOP_VALUE;
				break;
			case DOC_TOP_VALUE:
				st = DOC_TOP_KEY;
				break;
			case DOC_META:
				missing = "has a metadata that is not a "
				    "mapping";
				done_ = 1;
				break;
			case DOC_META_KEY:
				st = ctl_doc_is_scalar(&ev, "name") ?
				    DOC_NAME : DOC_META_VALUE;
				break;
			case DOC_META_VALUE:
				st = DOC_META_KEY;
				break;
			case DOC_NAME:
				if (ev.data.scalar.length == 0 ||
				    memchr(ev.data.scalar.value, '\0',
				    ev.data.scalar.length) != NULL) {
					missing = "has an empty metadata.name";
					done_ = 1;
					break;
				}
				*name = xstrndup(
				    (const char *)ev.data.scalar.value,
				    ev.data.scalar.length);
				done_ = 1;
				break;
			}
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (st == DOC_ROOT &&
			    ev.type == YAML_MAPPING_START_EVENT)
				st = DOC_TOP_KEY;
			else if (st == DOC_META &&
			    ev.type == YAML_MAPPING_START_EVENT)
				st = DOC_META_KEY;
			else if (st == DOC_TOP_VALUE || st == DOC_META_VALUE ||
			    st == DOC_TOP_KEY || st == DOC_META_KEY) {
				/* A value (or a complex key) to skip. */
				yaml_event_delete(&ev);
				have_ev = 0;
				if (ctl_doc_skip(&p, label, &budget,
				    cause) == -1)
					goto done;
				if (st == DOC_TOP_VALUE)
					st = DOC_TOP_KEY;
				else if (st == DOC_META_VALUE)
					st = DOC_META_KEY;
				else if (st == DOC_TOP_KEY)
					st = DOC_TOP_VALUE;
				else
					st = DOC_META_VALUE;
			} else {
				missing = st == DOC_ROOT ? "is not a mapping "
				    "(a consortium document starts with "
				    "apiVersion, kind, metadata)" :
				    st == DOC_META ? "has a metadata that is "
				    "not a mapping" :
				    "has a metadata.name that is not a string";
				done_ = 1;
			}
			break;
		case YAML_MAPPING_END_EVENT:	/* root or metadata: no name */
		case YAML_SEQUENCE_END_EVENT:
		case YAML_NO_EVENT:
			done_ = 1;
			break;
		}
		if (have_ev)
			yaml_event_delete(&ev);
	}
	if (*name == NULL) {
		*cause = xasprintf("%s %s; fabfedctl needs it to know which "
		    "consortium to apply", label, missing);
		goto done;
	}
	ret = 0;
done:
	yaml_parser_delete(&p);
	return ret;
}
