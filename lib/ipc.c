/*
 * ipc.c: the local message format (see ipc.h) and nanomsg REQ/REP helpers.
 * Everything that arrives here is checked before use: a header that lies,
 * an oversized body or bad JSON gets a precise error, never a crash.
 */
#include "ipc.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <openssl/rand.h>

#include "b64.h"
#include "xmalloc.h"

static const char *const ipc_type_names[] = {
	[IPC_PING] = "PING",
	[IPC_PONG] = "PONG",
	[IPC_SIGN] = "SIGN",
	[IPC_SIGNED] = "SIGNED",
	[IPC_REFUSED] = "REFUSED",
	[IPC_ERROR] = "ERROR",
};

const char *
ipc_type_name(int type)
{
	if (type <= 0 ||
	    (size_t)type >= sizeof(ipc_type_names) / sizeof(ipc_type_names[0]))
		return NULL;
	return ipc_type_names[type];
}

int
ipc_type_is_request(int type)
{
	return type == IPC_PING || type == IPC_SIGN;
}

static void
ipc_put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void
ipc_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint16_t
ipc_get16(const unsigned char *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
ipc_get32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

int
ipc_encode(int type, uint32_t id, const json_t *body, unsigned char **out,
    size_t *outlen, char **cause)
{
	char *text = NULL;
	size_t n;
	int ret = -1;

	*out = NULL;
	*outlen = 0;
	if (ipc_type_name(type) == NULL) {
		*cause = xasprintf("cannot encode unknown message type %d", type);
		goto done;
	}
	if (body != NULL && !json_is_object(body)) {
		*cause = xasprintf("the body of a %s message must be a JSON object",
		    ipc_type_name(type));
		goto done;
	}
	text = body != NULL ? json_dumps(body, JSON_COMPACT) : xstrdup("{}");
	if (text == NULL) {
		*cause = xasprintf("cannot serialize the body of a %s message",
		    ipc_type_name(type));
		goto done;
	}
	if ((n = strlen(text)) > IPC_MAX_BODY) {
		*cause = xasprintf("%s message body of %zu bytes is larger than "
		    "the maximum %zu", ipc_type_name(type), n, IPC_MAX_BODY);
		goto done;
	}
	*out = xmalloc(IPC_HDR_LEN + n);
	memcpy(*out, IPC_MAGIC, 4);
	(*out)[4] = IPC_VERSION;
	(*out)[5] = (unsigned char)type;
	ipc_put16(*out + 6, 0);
	ipc_put32(*out + 8, id);
	ipc_put32(*out + 12, (uint32_t)n);
	memcpy(*out + IPC_HDR_LEN, text, n);
	*outlen = IPC_HDR_LEN + n;
	ret = 0;
done:
	free(text);
	return ret;
}

int
ipc_decode(const void *data, size_t len, struct ipc_msg *m, char **cause)
{
	const unsigned char *p = data;
	json_error_t jerr;
	uint32_t blen;
	json_t *body;

	memset(m, 0, sizeof(*m));
	if (len < IPC_HDR_LEN) {
		*cause = xasprintf("message of %zu bytes is shorter than the "
		    "%d-byte header", len, IPC_HDR_LEN);
		return -1;
	}
	if (memcmp(p, IPC_MAGIC, 4) != 0) {
		*cause = xstrdup("not a fabfed message: the header does not "
		    "start with \"" IPC_MAGIC "\"");
		return -1;
	}
	if (p[4] != IPC_VERSION) {
		*cause = xasprintf("message format version %u is not supported "
		    "(this side speaks version %d)", p[4], IPC_VERSION);
		return -1;
	}
	m->type = p[5];
	m->id = ipc_get32(p + 8);
	m->flags = ipc_get16(p + 6);
	blen = ipc_get32(p + 12);
	if (ipc_type_name(m->type) == NULL) {
		*cause = xasprintf("unknown message type %d", m->type);
		return -1;
	}
	if (m->flags != 0) {
		*cause = xasprintf("unknown flags 0x%04x in a %s message (version "
		    "%d defines none)", m->flags, ipc_type_name(m->type),
		    IPC_VERSION);
		return -1;
	}
	if (blen > IPC_MAX_BODY) {
		*cause = xasprintf("%s message body of %u bytes is larger than the "
		    "maximum %zu", ipc_type_name(m->type), blen, IPC_MAX_BODY);
		return -1;
	}
	if (blen != len - IPC_HDR_LEN) {
		*cause = xasprintf("%s message header says the body is %u bytes "
		    "but %zu follow", ipc_type_name(m->type), blen,
		    len - IPC_HDR_LEN);
		return -1;
	}
	body = json_loadb((const char *)p + IPC_HDR_LEN, blen,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (body == NULL) {
		*cause = xasprintf("%s message body is not valid JSON: %s (byte "
		    "%d)", ipc_type_name(m->type), jerr.text, jerr.position);
		return -1;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		*cause = xasprintf("%s message body is not a JSON object",
		    ipc_type_name(m->type));
		return -1;
	}
	m->body = body;
	return 0;
}

void
ipc_msg_clear(struct ipc_msg *m)
{
	if (m == NULL)
		return;
	json_decref(m->body);
	memset(m, 0, sizeof(*m));
}

char *
ipc_b64_encode(const void *data, size_t len)
{
	if (len > (size_t)INT_MAX / 4 * 3 - 3)
		return NULL;
	return b64_encode(data, len, 0);
}

unsigned char *
ipc_b64_decode(const char *in, size_t *outlen, size_t max)
{
	return b64_decode(in, strlen(in), 0, max, outlen);
}

const char *
ipc_url_path(const char *url)
{
	if (url == NULL || strncmp(url, "ipc://", 6) != 0 || url[6] == '\0')
		return NULL;
	return url + 6;
}

static char *
ipc_nn_error(const char *what, const char *url)
{
	return xasprintf("%s %s: %s", what, url, nn_strerror(nn_errno()));
}

/*
 * Whether someone listens on the unix socket at path. Checked before
 * nn_bind, which would otherwise remove any non-socket file in the way and
 * (nanomsg 1.1.5) leak its endpoint when the address is in use.
 */
static int
ipc_path_busy(const char *path, char **cause)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		*cause = xasprintf("%s exists and is not a socket", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		*cause = xasprintf("socket: %s", strerror(errno));
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0) {
		*cause = xasprintf("ipc://%s is in use: another process listens "
		    "there", path);
		return -1;
	}
	return 0;  /* a stale socket file: nanomsg replaces it */
}

int
ipc_listen(const char *url, char **cause)
{
	const char *path;
	struct sockaddr_un sun;
	int s = -1, maxsz = (int)IPC_MAX_WIRE, sndto = 1000;
	mode_t old;

	if ((path = ipc_url_path(url)) == NULL) {
		*cause = xasprintf("%s is not an ipc:// URL: local sockets listen "
		    "only on ipc://PATH", url);
		return -1;
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*cause = xasprintf("socket path %s is %zu bytes long; the system "
		    "limit is %zu", path, strlen(path), sizeof(sun.sun_path) - 1);
		return -1;
	}
	if (ipc_path_busy(path, cause) != 0)
		return -1;
	if ((s = nn_socket(AF_SP, NN_REP)) < 0) {
		*cause = ipc_nn_error("cannot make a socket for", url);
		return -1;
	}
	if (nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVMAXSIZE, &maxsz,
	    sizeof(maxsz)) != 0 ||
	    nn_setsockopt(s, NN_SOL_SOCKET, NN_SNDTIMEO, &sndto,
	    sizeof(sndto)) != 0) {
		*cause = ipc_nn_error("cannot set socket options for", url);
		nn_close(s);
		return -1;
	}
	/* The file is born 0600: nobody else can connect in between. */
	old = umask(077);
	if (nn_bind(s, url) < 0) {
		int e = nn_errno();

		umask(old);
		if (e == EADDRINUSE)
			*cause = xasprintf("%s is in use: another process listens "
			    "there", url);
		else
			*cause = xasprintf("cannot listen on %s: %s", url,
			    nn_strerror(e));
		nn_close(s);
		return -1;
	}
	umask(old);
	if (chmod(path, 0600) != 0) {
		*cause = xasprintf("cannot set the mode of %s: %s", path,
		    strerror(errno));
		nn_close(s);
		return -1;
	}
	return s;
}

enum ipc_recv_result
ipc_recv(int sock, int flags, struct ipc_msg *m, char **cause)
{
	void *data = NULL;
	int n, e;

	memset(m, 0, sizeof(*m));
	if ((n = nn_recv(sock, &data, NN_MSG, flags)) < 0) {
		e = nn_errno();
		if (e == EAGAIN || e == ETIMEDOUT || e == EINTR)
			return IPC_RECV_NONE;
		*cause = xasprintf("cannot receive: %s", nn_strerror(e));
		return IPC_RECV_FAIL;
	}
	if (ipc_decode(data, (size_t)n, m, cause) != 0) {
		nn_freemsg(data);
		return IPC_RECV_BAD;
	}
	nn_freemsg(data);
	return IPC_RECV_OK;
}

int
ipc_send(int sock, int type, uint32_t id, const json_t *body, char **cause)
{
	unsigned char *out;
	size_t outlen;
	int ret = -1;

	if (ipc_encode(type, id, body, &out, &outlen, cause) != 0)
		return -1;
	if (nn_send(sock, out, outlen, 0) < 0)
		*cause = xasprintf("cannot send a %s message: %s",
		    ipc_type_name(type), nn_strerror(nn_errno()));
	else
		ret = 0;
	free(out);
	return ret;
}

void
ipc_unlisten(int sock, const char *url)
{
	const char *path = ipc_url_path(url);
	struct stat before, after;
	int had;

	had = path != NULL && lstat(path, &before) == 0 && S_ISSOCK(before.st_mode);
	nn_close(sock);
	/* nanomsg may remove the file itself; remove it only if it is still ours. */
	if (had && lstat(path, &after) == 0 && after.st_dev == before.st_dev &&
	    after.st_ino == before.st_ino)
		unlink(path);
}

int
ipc_call(const char *url, int type, json_t *body, int timeout_ms,
    int *rtype, json_t **rbody, char **cause)
{
	struct ipc_msg m = { 0 };
	unsigned char *out = NULL;
	const char *path;
	struct stat st;
	void *in = NULL;
	char *why = NULL;
	size_t outlen;
	uint32_t id;
	int s = -1, n, maxsz = (int)IPC_MAX_WIRE, resend, ret = -1;

	*rtype = 0;
	*rbody = NULL;
	if (timeout_ms <= 0) {
		*cause = xasprintf("the timeout for %s must be positive", url);
		goto done;
	}
	if (RAND_bytes((unsigned char *)&id, sizeof(id)) != 1) {
		*cause = xstrdup("cannot draw a request id");
		goto done;
	}
	if (ipc_encode(type, id, body, &out, &outlen, cause) != 0)
		goto done;
	if ((path = ipc_url_path(url)) != NULL && stat(path, &st) != 0) {
		*cause = xasprintf("cannot reach %s: %s", url, strerror(errno));
		goto done;
	}
	if ((s = nn_socket(AF_SP, NN_REQ)) < 0) {
		*cause = ipc_nn_error("cannot make a socket for", url);
		goto done;
	}
	/* No automatic resend while we wait: a request is sent once. */
	resend = timeout_ms < INT_MAX / 2 ? timeout_ms * 2 : INT_MAX;
	if (nn_setsockopt(s, NN_SOL_SOCKET, NN_SNDTIMEO, &timeout_ms,
	    sizeof(timeout_ms)) != 0 ||
	    nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVTIMEO, &timeout_ms,
	    sizeof(timeout_ms)) != 0 ||
	    nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVMAXSIZE, &maxsz,
	    sizeof(maxsz)) != 0 ||
	    nn_setsockopt(s, NN_REQ, NN_REQ_RESEND_IVL, &resend,
	    sizeof(resend)) != 0) {
		*cause = ipc_nn_error("cannot set socket options for", url);
		goto done;
	}
	if (nn_connect(s, url) < 0) {
		*cause = ipc_nn_error("cannot connect to", url);
		goto done;
	}
	if (nn_send(s, out, outlen, 0) < 0) {
		if (nn_errno() == ETIMEDOUT)
			*cause = xasprintf("cannot send to %s: nobody took the "
			    "request within %d ms", url, timeout_ms);
		else
			*cause = ipc_nn_error("cannot send to", url);
		goto done;
	}
	if ((n = nn_recv(s, &in, NN_MSG, 0)) < 0) {
		if (nn_errno() == ETIMEDOUT)
			*cause = xasprintf("no answer from %s within %d ms", url,
			    timeout_ms);
		else
			*cause = ipc_nn_error("no answer from", url);
		in = NULL;
		goto done;
	}
	if (ipc_decode(in, (size_t)n, &m, &why) != 0) {
		*cause = xasprintf("bad answer from %s: %s", url, why);
		goto done;
	}
	if (m.id != id || ipc_type_is_request(m.type)) {
		*cause = xasprintf("bad answer from %s: a %s for request %u, not "
		    "an answer to request %u", url, ipc_type_name(m.type), m.id, id);
		goto done;
	}
	*rtype = m.type;
	*rbody = m.body;
	m.body = NULL;
	ret = 0;
done:
	free(why);
	ipc_msg_clear(&m);
	if (in != NULL)
		nn_freemsg(in);
	if (s >= 0)
		nn_close(s);
	free(out);
	return ret;
}
