/*
 * tasks.c: the member agent's side of the cross-cluster workflows
 * (docs/workflows.md, docs/agent-tasks.md). One task, checked, then
 * carried out on the org's live nodes (process runtime) or written out
 * for GitOps (manifests, kubernetes), answered as a result:
 *
 *   join-orderer  channel participation join on the orderer's admin port
 *   join-peer     cscc JoinChain signed by the signer (fabric.join-chain)
 *   anchor-peers  the newest config fetched from an orderer of the channel
 *                 (fabric.channel-read), the update that sets only this
 *                 org's AnchorPeers, its ConfigSignature
 *                 (fabric.config-update) and CONFIG_UPDATE envelope
 *                 (fabric.config-submit), broadcast: tasks_anchor.c
 *   update-prepare, update-sign, update-submit
 *                 adding or removing an org (tasks_update.c) or a
 *                 consenter (tasks_consenter.c)
 *   join-orderer with "blockFrom": "channel"
 *                 a new consenter joined with the channel's newest config
 *                 block, fetched from another orderer of the channel
 *   leave-orderer the channel taken off an orderer that is no longer its
 *                 consenter (tasks_consenter.c)
 *
 * The sequence is the one tests/integration/itest_fabric_e2e.c runs
 * against real Fabric. Retryable failures of a call are retried inside
 * the task's time bound; what still fails then is a "retry" result, which
 * the agent runs again later.
 *
 * This file holds the checks, the joins and the dispatch (tasks_run).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "b64.h"
#include "fabric_decode.h"
#include "fabric_ops.h"
#include "fabric_tx.h"
#include "k8s.h"
#include "participation.h"
#include "pki.h"
#include "runtime.h"
#include "signer_client.h"
#include "tasks.h"
#include "tasks_int.h"
#include "topology.h"
#include "xmalloc.h"

#define TASKS_PAUSE_MS		500	/* between retries of a call */
#define TASKS_MAX_CERT_FILE	(64 * 1024)

/* The result object; the message is cut to TASKS_MAX_MESSAGE bytes on a
 * UTF-8 character boundary. Takes detail (may be NULL). */
json_t *
tasks_result(const char *state, json_t *detail, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	size_t n;
	json_t *r;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		msg = xstrdup("(no message: out of memory)");
	n = strlen(msg);
	if (n > TASKS_MAX_MESSAGE) {
		n = TASKS_MAX_MESSAGE;
		while (n > 0 && ((unsigned char)msg[n] & 0xc0) == 0x80)
			n--;
		msg[n] = '\0';
	}
	if ((r = json_pack("{s:s, s:s, s:o}", "state", state, "message", msg,
	    "detail", detail != NULL ? detail : json_object())) == NULL)
		r = json_pack("{s:s, s:s, s:{}}", "state", state, "message",
		    "(the message is not valid UTF-8)", "detail");
	free(msg);
	return r;
}

int
tasks_final(const char *state)
{
	return state != NULL && (strcmp(state, TASKS_DONE) == 0 ||
	    strcmp(state, TASKS_RENDERED) == 0 || strcmp(state, TASKS_FAILED) == 0);
}

int
tasks_needs_signer(const char *runtime, const json_t *task)
{
	const char *type = json_string_value(json_object_get(task, "type"));

	if (type != NULL && strcmp(type, "leave-orderer") == 0)
		return 0;
	return (runtime != NULL && strcmp(runtime, "process") == 0) ||
	    (type != NULL && strcmp(type, "update-sign") == 0);
}

static int
is_process(const struct tasks_env *env)
{
	return env->rt != NULL && strcmp(env->rt->ops->name, "process") == 0;
}

static void
deadline_init(struct deadline *d, const struct tasks_env *env)
{
	long ms = env->task_ms > 0 ? env->task_ms : TASKS_TASK_MS;

	clock_gettime(CLOCK_MONOTONIC, &d->end);
	d->end.tv_sec += ms / 1000;
	d->end.tv_nsec += (ms % 1000) * 1000000L;
	if (d->end.tv_nsec >= 1000000000L) {
		d->end.tv_sec++;
		d->end.tv_nsec -= 1000000000L;
	}
	d->call_ms = env->call_ms > 0 ? env->call_ms : TASKS_CALL_MS;
}

/* Milliseconds left, 0 when past. */
static long
deadline_left(const struct deadline *d)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long)(d->end.tv_sec - now.tv_sec) * 1000 +
	    (d->end.tv_nsec - now.tv_nsec) / 1000000L;
	return ms > 0 ? ms : 0;
}

/* The bound of the next call: call_ms, less when the task ends sooner. */
long
tasks_deadline_call(const struct deadline *d)
{
	long left = deadline_left(d);

	return left < d->call_ms ? (left > 1000 ? left : 1000) : d->call_ms;
}

/* Pauses before another try; 0 when the task has no time left for one. */
int
tasks_deadline_again(const struct deadline *d)
{
	struct timespec ts = { 0, TASKS_PAUSE_MS * 1000000L };

	if (deadline_left(d) < TASKS_PAUSE_MS + 1000)
		return 0;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	return 1;
}

const json_t *
tasks_chan_find(const json_t *spec, const char *name)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(spec, "spec"),
	    "channels"), i, c)
		if (json_is_string(json_object_get(c, "name")) &&
		    strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
			return c;
	return NULL;
}

int
tasks_list_has(const json_t *list, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

/* Whether "MSP/node" is a consenter of the channel. */
static int
is_consenter(const json_t *chan, const char *mspid, const char *node)
{
	char *s = xasprintf("%s/%s", mspid, node);
	int r = tasks_list_has(json_object_get(chan, "consenters"), s);

	free(s);
	return r;
}

int
tasks_hex_eq(const char *hex, const uint8_t *d, size_t n)
{
	char buf[2 * SHA256_DIGEST_LENGTH + 1];
	size_t i;

	if (n > SHA256_DIGEST_LENGTH)
		return 0;
	for (i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", d[i]);
	return strlen(hex) == 2 * n && strncasecmp(hex, buf, 2 * n) == 0;
}

const char *
tasks_sget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/*
 * Text from a task, fit to quote in a result: control bytes become '?',
 * at most TASKS_SHOWN - 1 bytes kept. Returns buf.
 */
#define TASKS_SHOWN 80
static const char *
shown(const char *s, char buf[TASKS_SHOWN])
{
	size_t i;

	for (i = 0; i < TASKS_SHOWN - 1 && s[i] != '\0'; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

/*
 * join-orderer with "blockFrom": no block of its own; the block is
 * fetched from one of its orderers, which must name another orderer than
 * the node itself.
 */
static json_t *
check_from_channel(const struct tasks_env *env, struct task *t,
    const json_t *bf)
{
	char *self;
	const json_t *v;
	size_t i;
	int other = 0;

	if (!json_is_string(bf) || strcmp(json_string_value(bf), "channel") != 0)
		return tasks_result(TASKS_FAILED, NULL, "a join-orderer task's "
		    "blockFrom can only be \"channel\" (the channel's newest "
		    "config block)");
	if (json_object_get(t->json, "block") != NULL ||
	    json_object_get(t->json, "blockSha256") != NULL)
		return tasks_result(TASKS_FAILED, NULL, "a join-orderer task "
		    "carries either a block or blockFrom \"channel\", not both");
	if (t->orderers == NULL)
		return tasks_result(TASKS_FAILED, NULL, "a join-orderer task with "
		    "blockFrom \"channel\" needs the channel's orderers to fetch "
		    "the block from");
	self = xasprintf("%s/%s", env->mspid, t->node);
	json_array_foreach(t->orderers, i, v)
		if (strcmp(json_string_value(v), self) != 0)
			other = 1;
	free(self);
	if (!other)
		return tasks_result(TASKS_FAILED, NULL, "a join-orderer task with "
		    "blockFrom \"channel\" needs an orderer other than %s/%s "
		    "among its orderers: a node cannot fetch the block that "
		    "makes it a consenter from itself", env->mspid, t->node);
	t->from_channel = 1;
	return NULL;
}

/* leave-orderer: an orderer of this org that the document no longer
 * lists among the channel's consenters. */
static json_t *
check_leave(const struct tasks_env *env, struct task *t)
{
	const char *kind = NULL;
	char b1[TASKS_SHOWN];

	if ((t->node = tasks_sget(t->json, "node")) == NULL)
		return tasks_result(TASKS_FAILED, NULL, "a leave-orderer task needs "
		    "a node");
	if ((t->nodespec = topology_find_node(t->me, t->node, &kind)) == NULL)
		return tasks_result(TASKS_FAILED, NULL, "%s is not a node of %s",
		    shown(t->node, b1), env->mspid);
	if (strcmp(kind, "orderer") != 0)
		return tasks_result(TASKS_FAILED, NULL, "%s of %s is a %s, not an "
		    "orderer", t->node, env->mspid, kind);
	if (is_consenter(t->chan, env->mspid, t->node))
		return tasks_result(TASKS_FAILED, NULL, "%s/%s is still a consenter "
		    "of channel %s in the consortium: it does not leave the "
		    "channel", env->mspid, t->node, t->channel);
	if (json_object_get(t->json, "block") != NULL)
		return tasks_result(TASKS_FAILED, NULL, "a leave-orderer task "
		    "carries no block");
	return NULL;
}

/*
 * Checks the task against the spec; fills *t (tasks_task_clear frees what
 * it holds). Returns NULL, or the "failed" result saying what is wrong.
 */
json_t *
tasks_check(const struct tasks_env *env, const json_t *task, struct task *t)
{
	const char *sha, *b64, *kind = NULL;
	uint8_t md[SHA256_DIGEST_LENGTH];
	Common__Block *b = NULL;
	char *cause = NULL, *ch = NULL, b1[TASKS_SHOWN], b2[TASKS_SHOWN];
	const json_t *bf;
	json_t *r = NULL;
	int type = 0, join, leave;

	memset(t, 0, sizeof(*t));
	t->json = task;
	if (!json_is_object(task) || (t->id = tasks_sget(task, "id")) == NULL ||
	    (t->type = tasks_sget(task, "type")) == NULL ||
	    (t->channel = tasks_sget(task, "channel")) == NULL)
		return tasks_result(TASKS_FAILED, NULL, "the task needs an id, a type "
		    "and a channel");
	join = strcmp(t->type, "join-orderer") == 0 ||
	    strcmp(t->type, "join-peer") == 0;
	leave = strcmp(t->type, "leave-orderer") == 0;
	if (!join && !leave && strcmp(t->type, "anchor-peers") != 0 &&
	    !tasks_update_type(t->type))
		return tasks_result(TASKS_FAILED, NULL, "this agent does not know task "
		    "type \"%s\" (it knows join-orderer, join-peer, leave-orderer, "
		    "anchor-peers, update-prepare, update-sign and update-submit)",
		    shown(t->type, b1));
	if ((t->me = topology_find_org(env->spec, env->mspid)) == NULL)
		return tasks_result(TASKS_FAILED, NULL, "org %s is not declared in the "
		    "consortium", env->mspid);
	if ((t->chan = tasks_chan_find(env->spec, t->channel)) == NULL)
		return tasks_result(TASKS_FAILED, NULL, "channel \"%s\" is not declared "
		    "in the consortium", shown(t->channel, b1));
	if ((r = tasks_orderers_check(task, &t->orderers)) != NULL)
		return r;
	/* The update tasks check their own fields (tasks_update.c). */
	if (tasks_update_type(t->type))
		return NULL;
	if (leave)
		return check_leave(env, t);
	if (!join) {
		if (!tasks_list_has(json_object_get(t->chan, "members"), env->mspid))
			return tasks_result(TASKS_FAILED, NULL, "%s is not a member of "
			    "channel %s: it has no anchor peers to set there",
			    env->mspid, t->channel);
		return NULL;
	}
	if ((t->node = tasks_sget(task, "node")) == NULL)
		return tasks_result(TASKS_FAILED, NULL, "a %s task needs a node",
		    shown(t->type, b1));
	if ((t->nodespec = topology_find_node(t->me, t->node, &kind)) == NULL)
		return tasks_result(TASKS_FAILED, NULL, "%s is not a node of %s",
		    shown(t->node, b1), env->mspid);
	if (strcmp(t->type, "join-orderer") == 0) {
		if (strcmp(kind, "orderer") != 0)
			return tasks_result(TASKS_FAILED, NULL, "%s of %s is a %s, not "
			    "an orderer", t->node, env->mspid, kind);
		if (!is_consenter(t->chan, env->mspid, t->node))
			return tasks_result(TASKS_FAILED, NULL, "%s/%s is not a "
			    "consenter of channel %s", env->mspid, t->node,
			    t->channel);
		if ((bf = json_object_get(task, "blockFrom")) != NULL)
			return check_from_channel(env, t, bf);
	} else {
		if (json_object_get(task, "blockFrom") != NULL)
			return tasks_result(TASKS_FAILED, NULL, "a join-peer task "
			    "carries its block: blockFrom is for join-orderer "
			    "only (a peer joins from block 0)");
		if (strcmp(kind, "peer") != 0)
			return tasks_result(TASKS_FAILED, NULL, "%s of %s is an %s, not "
			    "a peer", t->node, env->mspid, kind);
		if (!tasks_list_has(json_object_get(t->chan, "members"), env->mspid))
			return tasks_result(TASKS_FAILED, NULL, "%s is not a member of "
			    "channel %s: its peers do not join it", env->mspid,
			    t->channel);
	}
	if ((b64 = tasks_sget(task, "block")) == NULL ||
	    (sha = tasks_sget(task, "blockSha256")) == NULL)
		return tasks_result(TASKS_FAILED, NULL, "a %s task needs a block and "
		    "its blockSha256", shown(t->type, b1));
	if ((t->block = b64_decode(b64, strlen(b64), 0, TASKS_MAX_BLOCK,
	    &t->blen)) == NULL || t->blen == 0)
		return tasks_result(TASKS_FAILED, NULL, "the task's block is not "
		    "canonical base64 of at most %lu bytes",
		    (unsigned long)TASKS_MAX_BLOCK);
	SHA256(t->block, t->blen, md);
	if (!tasks_hex_eq(sha, md, sizeof(md)))
		return tasks_result(TASKS_FAILED, NULL, "the block's SHA-256 does not "
		    "match the task's blockSha256 (%.64s)", shown(sha, b1));
	if ((b = fdec_block_unpack(t->block, t->blen, TASKS_MAX_BLOCK,
	    &cause)) == NULL) {
		r = tasks_result(TASKS_FAILED, NULL, "the task's block does not "
		    "decode: %s", cause);
		goto done;
	}
	if (b->header == NULL || b->header->number != 0) {
		r = tasks_result(TASKS_FAILED, NULL, "the task's block is block %llu, "
		    "not block 0 of channel %s", b->header != NULL ?
		    (unsigned long long)b->header->number : 0ULL, t->channel);
		goto done;
	}
	if (ftx_block_channel(b, &ch, &type, &cause) != 0) {
		r = tasks_result(TASKS_FAILED, NULL, "the task's block: %s", cause);
		goto done;
	}
	if (type != FTX_HDR_CONFIG || strcmp(ch, t->channel) != 0) {
		r = tasks_result(TASKS_FAILED, NULL, "the task's block is %s of "
		    "channel \"%s\", not a config block of channel %s",
		    type != FTX_HDR_CONFIG ? "not a config block" :
		    "a config block", shown(ch, b2), t->channel);
		goto done;
	}
done:
	if (b != NULL)
		common__block__free_unpacked(b, NULL);
	free(ch);
	free(cause);
	return r;
}

void
tasks_task_clear(struct task *t)
{
	free(t->block);
	t->block = NULL;
}

/* Writes a file (atomically), making its directory; 0 or -1 with *cause. */
int
tasks_write_file(const char *dir, const char *name, const void *data, size_t len,
    int mode, char **cause)
{
	char *path;
	int ret;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		*cause = xasprintf("%s: %s", dir, strerror(errno));
		return -1;
	}
	path = xasprintf("%s/%s", dir, name);
	ret = pki_file_write(path, data, len, mode, cause);
	free(path);
	return ret;
}

/*
 * Other runtimes: OUT/channels/CH/CH.block and join-NODE.sh, the command
 * an operator or a GitOps job runs in the org's cluster.
 */
static json_t *
render_join(const struct tasks_env *env, const struct task *t)
{
	json_t *hosts = NULL, *r = NULL;
	char *chdir_ = NULL, *top = NULL, *script = NULL, *name = NULL,
	    *cause = NULL, *blockname = NULL;
	const char *svc;
	int orderer = strcmp(t->type, "join-orderer") == 0;

	if (env->outdir == NULL)
		return tasks_result(TASKS_FAILED, NULL, "the %s runtime has no output "
		    "directory to write the join of %s to", env->rt != NULL ?
		    env->rt->ops->name : "(none)", t->node);
	top = xasprintf("%s/channels", env->outdir);
	chdir_ = xasprintf("%s/%s", top, t->channel);
	if (mkdir(env->outdir, 0755) != 0 && errno != EEXIST) {
		cause = xasprintf("%s: %s", env->outdir, strerror(errno));
		goto fail;
	}
	if (mkdir(top, 0755) != 0 && errno != EEXIST) {
		cause = xasprintf("%s: %s", top, strerror(errno));
		goto fail;
	}
	blockname = xasprintf("%s.block", t->channel);
	if (tasks_write_file(chdir_, blockname, t->block, t->blen, 0644, &cause) != 0)
		goto fail;
	hosts = k8s_node_hosts(env->mspid, t->node);
	svc = json_string_value(json_array_get(hosts, 2));
	if (orderer)
		script = xasprintf(
		    "#!/bin/sh\n"
		    "# Joins orderer %s of %s to channel %s with its genesis block\n"
		    "# (fabfed task %s). Run where the orderer's admin port is\n"
		    "# reachable; joining twice is harmless (\"channel already exists\").\n"
		    "set -eu\n"
		    "here=$(cd \"$(dirname \"$0\")\" && pwd)\n"
		    "PKI=${FABFED_PKI:-%s}\n"
		    "ADMIN=${ORDERER_ADMIN_ADDRESS:-%s:%d}\n"
		    "exec osnadmin channel join --channelID %s \\\n"
		    "    --config-block \"$here/%s\" -o \"$ADMIN\" \\\n"
		    "    --ca-file \"$PKI/tlsca/tlsca.%s-cert.pem\" \\\n"
		    "    --client-cert \"$PKI/users/Admin@%s/tls/client.crt\" \\\n"
		    "    --client-key \"$PKI/users/Admin@%s/tls/client.key\"\n",
		    t->node, env->mspid, t->channel, t->id, env->pkidir, svc,
		    TASKS_K8S_ADMIN_PORT, t->channel, blockname, env->domain,
		    env->domain, env->domain);
	else
		script = xasprintf(
		    "#!/bin/sh\n"
		    "# Joins peer %s of %s to channel %s with its genesis block\n"
		    "# (fabfed task %s), as %s's admin. Joining twice is\n"
		    "# harmless (\"ledger already exists\").\n"
		    "set -eu\n"
		    "here=$(cd \"$(dirname \"$0\")\" && pwd)\n"
		    "PKI=${FABFED_PKI:-%s}\n"
		    "export CORE_PEER_ADDRESS=${CORE_PEER_ADDRESS:-%s:%d}\n"
		    "export CORE_PEER_LOCALMSPID=%s\n"
		    "export CORE_PEER_MSPCONFIGPATH=\"$PKI/users/Admin@%s/msp\"\n"
		    "export CORE_PEER_TLS_ENABLED=true\n"
		    "export CORE_PEER_TLS_ROOTCERT_FILE=\"$PKI/tlsca/tlsca.%s-cert.pem\"\n"
		    "export CORE_PEER_TLS_SERVERHOSTOVERRIDE=${CORE_PEER_TLS_SERVERHOSTOVERRIDE:-%s}\n"
		    "exec peer channel join -b \"$here/%s\"\n",
		    t->node, env->mspid, t->channel, t->id, env->mspid,
		    env->pkidir, svc, TASKS_K8S_PEER_PORT, env->mspid,
		    env->domain, env->domain, svc, blockname);
	name = xasprintf("join-%s.sh", t->node);
	if (tasks_write_file(chdir_, name, script, strlen(script), 0755, &cause) != 0)
		goto fail;
	r = tasks_result(TASKS_RENDERED, json_pack("{s:s, s:s, s:s}", "directory",
	    chdir_, "block", blockname, "script", name), "the %s runtime does "
	    "not act on live nodes: the join of %s to %s is written to %s "
	    "(%s and %s) for an operator or a GitOps job to run",
	    env->rt != NULL ? env->rt->ops->name : "(none)", t->node,
	    t->channel, chdir_, blockname, name);
	goto done;
fail:
	r = tasks_result(TASKS_RETRY, NULL, "cannot write the join of %s to %s: %s",
	    t->node, t->channel, cause);
done:
	json_decref(hosts);
	free(cause);
	free(blockname);
	free(name);
	free(script);
	free(chdir_);
	free(top);
	return r;
}

/* "host:port" split; 0 or -1. *host caller frees. */
int
tasks_split_hp(const char *hp, char **host, unsigned int *port)
{
	return hp != NULL ? rt_process_endpoint(hp, host, port) : -1;
}

/* The process runtime's view of a node: {"listen","admin","tlsCa",...}. */
json_t *
tasks_node_info(const struct tasks_env *env, const char *node, char **cause)
{
	struct rt_org o;
	json_t *info = NULL;

	/* rt_process_node_info refuses any runtime but the process one. */
	o.consortium = env->spec;
	o.mspid = env->mspid;
	o.pkidir = env->pkidir;
	if (rt_process_node_info(env->rt, &o, node, &info, cause) != 0)
		return NULL;
	return info;
}

int
tasks_admin_load(const struct tasks_env *env, struct admin_files *af, char **cause)
{
	char *path;
	FILE *fp;
	size_t n;

	memset(af, 0, sizeof(*af));
	af->tls_crt = xasprintf("%s/users/Admin@%s/tls/client.crt", env->pkidir,
	    env->domain);
	af->tls_key = xasprintf("%s/users/Admin@%s/tls/client.key", env->pkidir,
	    env->domain);
	path = xasprintf("%s/users/Admin@%s/msp/signcerts/Admin@%s-cert.pem",
	    env->pkidir, env->domain, env->domain);
	if ((fp = fopen(path, "r")) == NULL) {
		*cause = xasprintf("the org admin's certificate %s: %s", path,
		    strerror(errno));
		free(path);
		return -1;
	}
	af->cert_pem = xmalloc(TASKS_MAX_CERT_FILE + 1);
	n = fread(af->cert_pem, 1, TASKS_MAX_CERT_FILE, fp);
	fclose(fp);
	af->cert_pem[n] = '\0';
	free(path);
	if (n == 0 || n == TASKS_MAX_CERT_FILE) {
		*cause = xstrdup("the org admin's certificate is empty or too large");
		return -1;
	}
	return 0;
}

void
tasks_admin_clear(struct admin_files *af)
{
	free(af->tls_crt);
	free(af->tls_key);
	free(af->cert_pem);
	memset(af, 0, sizeof(*af));
}

/* The HTTP status a participation failure carries, or 0 (no answer). */
long
tasks_part_status(const char *cause)
{
	const char *p = cause != NULL ? strstr(cause, ": HTTP ") : NULL;

	return p != NULL ? strtol(p + 7, NULL, 10) : 0;
}

json_t *
tasks_part_again(const char *cause, int conflict_again, const char *doing,
    const struct deadline *d)
{
	long st = tasks_part_status(cause);

	if (st != 0 && st < 500 && !(conflict_again && st == 409)) {
		if (doing != NULL)
			return tasks_result(TASKS_FAILED, NULL, "%s (%s)", cause,
			    doing);
		return tasks_result(TASKS_FAILED, NULL, "%s", cause);
	}
	if (!tasks_deadline_again(d))
		return tasks_result(TASKS_RETRY, NULL, "%s", cause);
	return NULL;
}

json_t *
tasks_part_target(const struct tasks_env *env, const char *node,
    struct part_target *adm, json_t **ni, char **host, struct admin_files *af)
{
	char *cause = NULL;
	json_t *r;

	memset(adm, 0, sizeof(*adm));
	memset(af, 0, sizeof(*af));
	*host = NULL;
	if ((*ni = tasks_node_info(env, node, &cause)) == NULL) {
		r = tasks_result(TASKS_RETRY, NULL, "%s", cause);
		free(cause);
		return r;
	}
	if (tasks_split_hp(tasks_sget(*ni, "admin"), host, &adm->port) != 0 ||
	    tasks_sget(*ni, "tlsCa") == NULL)
		return tasks_result(TASKS_FAILED, NULL, "the process runtime gives "
		    "%s no admin endpoint", node);
	if (tasks_admin_load(env, af, &cause) != 0) {
		r = tasks_result(TASKS_FAILED, NULL, "%s", cause);
		free(cause);
		return r;
	}
	adm->host = *host;
	adm->ca_file = tasks_sget(*ni, "tlsCa");
	adm->cert_file = af->tls_crt;
	adm->key_file = af->tls_key;
	return NULL;
}

static json_t *
join_orderer(const struct tasks_env *env, const struct task *t,
    const struct deadline *d)
{
	struct part_target adm;
	struct part_channel info;
	struct admin_files af;
	enum part_join_result pj = PART_JOINED;
	json_t *ni = NULL, *r = NULL;
	char *cause = NULL, *host = NULL;

	memset(&info, 0, sizeof(info));
	if ((r = tasks_part_target(env, t->node, &adm, &ni, &host, &af)) != NULL)
		goto done;
	for (;;) {
		free(cause);
		cause = NULL;
		part_channel_clear(&info);
		if (part_join(&adm, t->block, t->blen, &pj, &info,
		    tasks_deadline_call(d), &cause) == 0)
			break;
		if ((r = tasks_part_again(cause, 1, NULL, d)) != NULL)
			goto done;
	}
	if (pj == PART_ALREADY_JOINED)
		r = tasks_result(TASKS_DONE, json_pack("{s:b}", "alreadyJoined", 1),
		    "%s had already joined %s (channel participation)", t->node,
		    t->channel);
	else
		r = tasks_result(TASKS_DONE, json_pack("{s:b, s:s}", "alreadyJoined", 0,
		    "status", info.status != NULL ? info.status : ""),
		    "joined (channel participation): %s is a %s of %s",
		    t->node, info.consensus_relation != NULL &&
		    info.consensus_relation[0] != '\0' ?
		    info.consensus_relation : "member", t->channel);
done:
	part_channel_clear(&info);
	tasks_admin_clear(&af);
	json_decref(ni);
	free(host);
	free(cause);
	return r;
}

/* A failed Fabric call as a result: retry when it may pass, else failed. */
json_t *
tasks_call_failure(const struct fops_result *res, const char *cause)
{
	if (strstr(cause, "the signer refused") != NULL)
		return tasks_result(TASKS_FAILED, NULL, "%s", cause);
	if (fops_retryable(res) || strstr(cause, "no answer from the signer") != NULL)
		return tasks_result(TASKS_RETRY, NULL, "%s", cause);
	return tasks_result(TASKS_FAILED, NULL, "%s", cause);
}

static json_t *
join_peer(const struct tasks_env *env, const struct task *t,
    const struct deadline *d)
{
	struct grpc_target peer;
	struct admin_files af;
	struct ftx_identity id;
	struct signer_client sc;
	struct fops_signer s;
	struct fops_result res;
	enum fops_join_result jr = FOPS_JOINED;
	json_t *ni = NULL, *r = NULL, *ctx = NULL;
	char *cause = NULL, *host = NULL;

	memset(&af, 0, sizeof(af));
	if ((ni = tasks_node_info(env, t->node, &cause)) == NULL) {
		r = tasks_result(TASKS_RETRY, NULL, "%s", cause);
		goto done;
	}
	memset(&peer, 0, sizeof(peer));
	if (tasks_split_hp(tasks_sget(ni, "listen"), &host, &peer.port) != 0 ||
	    tasks_sget(ni, "tlsCa") == NULL) {
		r = tasks_result(TASKS_FAILED, NULL, "the process runtime gives %s no "
		    "listen endpoint", t->node);
		goto done;
	}
	if (tasks_admin_load(env, &af, &cause) != 0) {
		r = tasks_result(TASKS_FAILED, NULL, "%s", cause);
		goto done;
	}
	peer.host = host;
	peer.ca_file = tasks_sget(ni, "tlsCa");
	peer.cert_file = af.tls_crt;
	peer.key_file = af.tls_key;
	id.mspid = env->mspid;
	id.cert_pem = af.cert_pem;
	ctx = json_pack("{s:O}", "topology", env->spec);
	sc = (struct signer_client){ env->signer_url, "fabric.join-chain", ctx,
	    0 };
	s = (struct fops_signer){ &id, signer_client_sign, &sc };
	for (;;) {
		free(cause);
		cause = NULL;
		memset(&res, 0, sizeof(res));
		if (fops_join_chain(&peer, t->block, t->blen, &s, &jr, &res,
		    tasks_deadline_call(d), &cause) == 0)
			break;
		r = tasks_call_failure(&res, cause);
		if (strcmp(tasks_sget(r, "state"), TASKS_RETRY) != 0 ||
		    !tasks_deadline_again(d))
			goto done;
		json_decref(r);
		r = NULL;
	}
	r = tasks_result(TASKS_DONE, json_pack("{s:b}", "alreadyJoined",
	    jr == FOPS_ALREADY_JOINED), jr == FOPS_ALREADY_JOINED ?
	    "%s had already joined %s (its ledger exists)" :
	    "joined (cscc JoinChain): %s has joined %s", t->node, t->channel);
done:
	json_decref(ctx);
	tasks_admin_clear(&af);
	json_decref(ni);
	free(host);
	free(cause);
	return r;
}

int
tasks_run(const struct tasks_env *env, const json_t *task, json_t **result_)
{
	struct deadline d;
	struct task t;
	json_t *r;

	if ((r = tasks_check(env, task, &t)) != NULL)
		goto done;
	deadline_init(&d, env);
	if (tasks_update_type(t.type))
		r = tasks_update_run(env, &t, &d, is_process(env));
	else if (t.from_channel)
		r = tasks_join_from_channel(env, &t, &d, is_process(env));
	else if (strcmp(t.type, "leave-orderer") == 0)
		r = tasks_leave_orderer(env, &t, &d, is_process(env));
	else if (!is_process(env)) {
		if (strcmp(t.type, "anchor-peers") == 0)
			r = tasks_result(TASKS_RENDERED, NULL, "the %s runtime has no live "
			    "orderer to fetch the config of %s from: %s's anchor "
			    "peers are set by an operator (peer channel fetch "
			    "config, then an update of %s's AnchorPeers only)",
			    env->rt != NULL ? env->rt->ops->name : "(none)",
			    t.channel, env->mspid, env->mspid);
		else
			r = render_join(env, &t);
	} else if (strcmp(t.type, "join-orderer") == 0)
		r = join_orderer(env, &t, &d);
	else if (strcmp(t.type, "join-peer") == 0)
		r = join_peer(env, &t, &d);
	else
		r = tasks_anchor_peers(env, &t, &d);
done:
	tasks_task_clear(&t);
	*result_ = r;
	return 0;
}
