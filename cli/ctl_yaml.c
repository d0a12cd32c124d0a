/*
 * ctl_yaml.c: a JSON tree emitted as one YAML document with libyaml's
 * emitter: block style, keys in the tree's order (jansson keeps insertion
 * order), and every string that YAML 1.1 or 1.2 would read back as
 * something else ("2.5", "true", "no", "null", "0x1f", "12:30", "") in
 * double quotes, so fabricVersion "2.5" stays a string.
 */
#include "ctl.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "xmalloc.h"

#define CTL_YAML_MAXDEPTH	256

static int
ctl_yaml_write(void *arg, unsigned char *p, size_t n)
{
	struct buf *out = arg;

	return buf_add(out, p, n) == 0;
}

/* 1 if s, written plain, would read back as a string in YAML 1.1 and 1.2. */
static int
ctl_yaml_plain_is_string(const char *s, size_t len)
{
	static const char *const words[] = {
		"~", "null", "y", "n", "yes", "no", "on", "off", "true",
		"false", ".inf", "-.inf", "+.inf", ".nan", "=", "<<",
	};
	size_t i;

	if (len == 0 || strlen(s) != len)
		return 0;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0)
			return 0;
	/* Numbers, sexagesimals, dates: a digit, sign or dot first and
	 * nothing but number characters after. */
	if (isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '+' ||
	    s[0] == '.') {
		if (strspn(s, "0123456789abcdefABCDEF_+-.:xXoO") == len)
			return 0;
	}
	return 1;
}

static int
ctl_yaml_scalar(yaml_emitter_t *em, const char *s, size_t len, int string)
{
	yaml_event_t ev;
	int plain;

	if (string) {
		plain = ctl_yaml_plain_is_string(s, len);
		if (!yaml_scalar_event_initialize(&ev, NULL, NULL,
		    (yaml_char_t *)(uintptr_t)s, (int)len, plain, 1,
		    plain ? YAML_ANY_SCALAR_STYLE :
		    YAML_DOUBLE_QUOTED_SCALAR_STYLE))
			return -1;
	} else if (!yaml_scalar_event_initialize(&ev, NULL, NULL,
	    (yaml_char_t *)(uintptr_t)s, (int)len, 1, 0,
	    YAML_PLAIN_SCALAR_STYLE))
		return -1;
	return yaml_emitter_emit(em, &ev) ? 0 : -1;
}

static int
ctl_yaml_node(yaml_emitter_t *em, const json_t *v, int depth)
{
	yaml_event_t ev;
	const char *key;
	const json_t *item;
	char num[64];
	size_t i;
	int n;

	if (depth > CTL_YAML_MAXDEPTH)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_MAPPING_STYLE) || !yaml_emitter_emit(em, &ev))
			return -1;
		json_object_foreach((json_t *)(uintptr_t)v, key, item) {
			if (ctl_yaml_scalar(em, key, strlen(key), 1) == -1 ||
			    ctl_yaml_node(em, item, depth + 1) == -1)
				return -1;
		}
		if (!yaml_mapping_end_event_initialize(&ev) ||
		    !yaml_emitter_emit(em, &ev))
			return -1;
		return 0;
	case JSON_ARRAY:
		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_SEQUENCE_STYLE) || !yaml_emitter_emit(em, &ev))
			return -1;
		json_array_foreach(v, i, item) {
			if (ctl_yaml_node(em, item, depth + 1) == -1)
				return -1;
		}
		if (!yaml_sequence_end_event_initialize(&ev) ||
		    !yaml_emitter_emit(em, &ev))
			return -1;
		return 0;
	case JSON_STRING:
		return ctl_yaml_scalar(em, json_string_value(v),
		    json_string_length(v), 1);
	case JSON_INTEGER:
		n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return ctl_yaml_scalar(em, num, (size_t)n, 0);
	case JSON_REAL:
		n = snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		if (strpbrk(num, ".eEn") == NULL)
			n = snprintf(num, sizeof(num), "%.1f",
			    json_real_value(v));
		return ctl_yaml_scalar(em, num, (size_t)n, 0);
	case JSON_TRUE:
		return ctl_yaml_scalar(em, "true", 4, 0);
	case JSON_FALSE:
		return ctl_yaml_scalar(em, "false", 5, 0);
	case JSON_NULL:
		return ctl_yaml_scalar(em, "null", 4, 0);
	}
	return -1;
}

int
ctl_yaml_emit(const json_t *v, struct buf *out, char **cause)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int ret = -1;

	*cause = NULL;
	if (!yaml_emitter_initialize(&em)) {
		*cause = xstrdup("cannot start the YAML emitter");
		return -1;
	}
	yaml_emitter_set_output(&em, ctl_yaml_write, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_indent(&em, 2);

	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
	    !yaml_emitter_emit(&em, &ev))
		goto fail;
	if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
	    !yaml_emitter_emit(&em, &ev))
		goto fail;
	if (ctl_yaml_node(&em, v, 0) == -1)
		goto fail;
	if (!yaml_document_end_event_initialize(&ev, 1) ||
	    !yaml_emitter_emit(&em, &ev))
		goto fail;
	if (!yaml_stream_end_event_initialize(&ev) ||
	    !yaml_emitter_emit(&em, &ev) || !yaml_emitter_flush(&em))
		goto fail;
	ret = 0;
	goto done;
fail:
	*cause = xasprintf("cannot write the document as YAML: %s",
	    em.problem != NULL ? em.problem : "too deep or too large");
done:
	yaml_emitter_delete(&em);
	return ret;
}
