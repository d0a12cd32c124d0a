/*
 * ctl_channel.c: `fabfedctl channel config --block FILE` and `fabfedctl
 * channel decode --block FILE`: a Fabric block file read back as JSON in
 * the shape `configtxlator proto_decode` prints (lib/fabric_decode.h,
 * docs/fabric-decode.md). Local: no controller involved.
 */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fabric_config.h"
#include "fabric_decode.h"
#include "xmalloc.h"

int
ctl_channel_read(const char *path, size_t max, uint8_t **data, size_t *len,
    char **cause)
{
	struct buf b;
	char chunk[65536];
	const char *label;
	ssize_t n;
	int fd, stdin_ = strcmp(path, "-") == 0, ret = -1;

	*data = NULL;
	*len = 0;
	*cause = NULL;
	label = stdin_ ? "<stdin>" : path;
	buf_init(&b, max);
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
			*cause = xasprintf("cannot read %s: %s", label,
			    strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		if (buf_add(&b, chunk, (size_t)n) == -1) {
			*cause = xasprintf("%s is larger than %zu MiB, the "
			    "most fabfedctl reads as one block", label,
			    max / (1024 * 1024));
			goto done;
		}
	}
	if (b.len == 0) {
		*cause = xasprintf("%s is empty", label);
		goto done;
	}
	*data = (uint8_t *)buf_steal(&b, len);
	ret = 0;
done:
	if (fd != -1 && !stdin_)
		close(fd);
	buf_free(&b);
	return ret;
}

/* JSON as configtxlator orders it (keys sorted), 2-space indent. */
static int
ctl_channel_print(FILE *fp, const json_t *v)
{
	if (json_dumpf(v, fp, JSON_INDENT(2) | JSON_SORT_KEYS) == -1)
		return -1;
	fputc('\n', fp);
	return 0;
}

int
ctl_channel_run(const struct ctl_args *args)
{
	Common__Config *cfg = NULL;
	json_t *j = NULL;
	uint8_t *data = NULL;
	size_t len;
	char *cause = NULL, *msg;
	int ret;

	if (ctl_channel_read(args->block, FDEC_BLOCK_MAX, &data, &len,
	    &cause) == -1) {
		ret = ctl_out_fail(stderr, cause);
		goto done;
	}
	if (args->cmd == CTL_CMD_CHANNEL_CONFIG) {
		if ((cfg = fdec_config_from_block(data, len, FDEC_BLOCK_MAX,
		    &cause)) != NULL)
			j = fdec_config(cfg, &cause);
	} else
		j = fdec_block(data, len, FDEC_BLOCK_MAX, &cause);
	if (j == NULL) {
		msg = xasprintf("%s: %s", strcmp(args->block, "-") == 0 ?
		    "<stdin>" : args->block, cause);
		fprintf(stderr, "error: %s\n", msg);
		free(msg);
		ret = CTL_EXIT_REJECTED;
		goto done;
	}
	ret = ctl_channel_print(stdout, j) == 0 ? CTL_EXIT_OK : CTL_EXIT_USAGE;
done:
	json_decref(j);
	fcfg_free(cfg);
	free(data);
	free(cause);
	return ret;
}
