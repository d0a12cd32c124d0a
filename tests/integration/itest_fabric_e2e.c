/*
 * itest_fabric_e2e.c: issue 4's end to end, against REAL Fabric 2.5
 * binaries (FABRIC_BIN), driven by fabric_e2e.sh. Every part is fabfed's:
 *
 *   pki STATEDIR TOPO     the org's PKI (lib/msp.c) in STATEDIR/pki, for
 *                         the first org of the consortium document TOPO
 *   run STATEDIR TOPO SIGNER OUTDIR
 *       - the org's orderer and peer started by the process runtime
 *         (member-agent/rt_process.c) until both are ready;
 *       - the channel's genesis block built from the topology and the
 *         org's public MSP (fcfg_build_flags without anchor peers,
 *         fblock_genesis), written to OUTDIR/genesis.block;
 *       - the orderer joined through the participation client, the peer
 *         through a cscc JoinChain proposal signed by the org admin's
 *         signer process (SIGNER, an ipc:// URL; kind fabric.join-chain);
 *       - the live config fetched back from the orderer (Deliver, signed
 *         through the signer, kind fabric.channel-read) and decoded;
 *       - the update that sets the org's anchor peers computed from it
 *         (fupd_compute against fcfg_build of the topology), its
 *         ConfigSignature made by the signer (kind fabric.config-update,
 *         which checks it against the topology), wrapped and broadcast;
 *       - both nodes at height 2; the config block 1 fetched, written to
 *         OUTDIR/config1.block, holding the anchor peer and the org
 *         admin's verified signature in its last update;
 *       - an update adding an org the topology does not declare is
 *         refused by the signer, and the reason names that org.
 *     Run again on the same STATEDIR it changes nothing: both joins are
 *     "already joined", the update is "no differences", nothing is
 *     broadcast, and it prints "resumed: nothing to do".
 *
 * Output: "ok - ..." lines; exit 0 when every check held.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "common/common.pb-c.h"
#include "common/configtx.pb-c.h"
#include "fabric_block.h"
#include "fabric_config.h"
#include "fabdrv.h"
#include "fixture.h"
#include "fabric_decode.h"
#include "fabric_ops.h"
#include "fabric_tx.h"
#include "fabric_update.h"
#include "msp.h"
#include "participation.h"
#include "peer/configuration.pb-c.h"
#include "runtime.h"
#include "signer_client.h"
#include "topology.h"
#include "xmalloc.h"
#include "itest.h"

#define TIMEOUT_MS	15000
#define WAIT_S		90	/* a node ready, a leader elected, a height */
#define MAX_FILE	FIXTURE_MAX_FILE

static void
write_bytes(const char *dir, const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");

	REQUIRE(fp != NULL);
	REQUIRE(fwrite(data, 1, len, fp) == len);
	REQUIRE(fclose(fp) == 0);
	free(path);
}

static const json_t *
first_org(const json_t *doc)
{
	const json_t *org = json_array_get(json_object_get(json_object_get(doc,
	    "spec"), "orgs"), 0);

	REQUIRE(org != NULL);
	return org;
}

static void
org_of(const json_t *org, const char *statedir, struct msp_org *m, char **dir)
{
	*dir = xasprintf("%s/pki", statedir);
	m->dir = *dir;
	m->mspid = fabdrv_sget(org, "mspId");
	m->domain = fabdrv_sget(org, "domain");
}

static int
make_pki(const char *statedir, const char *topo_path)
{
	json_t *doc = fabdrv_load(topo_path);
	char *dir = xasprintf("%s/pki", statedir);
	int rc;

	rc = fixture_pki_ok(first_org(doc), dir, fixture_loopback);
	free(dir);
	json_decref(doc);
	return rc;
}

/* host:port of a node's info field into a target's host and port. */
static void
target_addr(const json_t *info, const char *field, char **host,
    unsigned int *port)
{
	const char *hp = fabdrv_sget(info, field), *colon = strrchr(hp, ':');

	REQUIRE(colon != NULL);
	*host = xstrndup(hp, (size_t)(colon - hp));
	*port = (unsigned int)strtoul(colon + 1, NULL, 10);
	REQUIRE(*port > 0 && *port < 65536);
}

/* The channel's height at the orderer (participation) and at the peer. */
static void
heights(const struct part_target *adm, const struct grpc_target *peer,
    const char *ch, const struct fops_signer *rd, uint64_t *oh, uint64_t *ph)
{
	struct part_channel info;
	char *cause = NULL;
	int found = 0;

	*oh = *ph = 0;
	memset(&info, 0, sizeof(info));
	if (part_get(adm, ch, &info, &found, TIMEOUT_MS, &cause) == 0 && found)
		*oh = info.height;
	part_channel_clear(&info);
	free(cause);
	cause = NULL;
	if (fops_peer_height(peer, ch, rd, ph, NULL, TIMEOUT_MS, &cause) != 0)
		*ph = 0;
	free(cause);
}

/* The AnchorPeers of MSPID in a config, as "host:port" (first), or NULL. */
static char *
anchor_of(const Common__Config *cfg, const char *mspid)
{
	Common__ConfigGroup *app, *org;
	Common__ConfigValue *v;
	Protos__AnchorPeers *aps;
	char *s = NULL;

	if ((app = fcfg_group(cfg->channel_group, "Application")) == NULL ||
	    (org = fcfg_group(app, mspid)) == NULL ||
	    (v = fcfg_value(org, "AnchorPeers")) == NULL)
		return NULL;
	aps = protos__anchor_peers__unpack(NULL, v->value.len, v->value.data);
	if (aps != NULL && aps->n_anchor_peers > 0)
		s = xasprintf("%s:%d", aps->anchor_peers[0]->host,
		    aps->anchor_peers[0]->port);
	protos__anchor_peers__free_unpacked(aps, NULL);
	return s;
}

/* The ConfigUpdateEnvelope that produced the config in a config block. */
static uint8_t *
last_update(const uint8_t *blk, size_t len, size_t *out_len)
{
	Common__Block *b = common__block__unpack(NULL, len, blk);
	Common__Envelope *env = NULL, *lu;
	Common__Payload *pl = NULL, *lpl = NULL;
	Common__ConfigEnvelope *ce = NULL;
	uint8_t *out = NULL;

	REQUIRE(b != NULL && b->data != NULL && b->data->n_data == 1);
	env = common__envelope__unpack(NULL, b->data->data[0].len,
	    b->data->data[0].data);
	REQUIRE(env != NULL);
	pl = common__payload__unpack(NULL, env->payload.len, env->payload.data);
	REQUIRE(pl != NULL);
	ce = common__config_envelope__unpack(NULL, pl->data.len, pl->data.data);
	REQUIRE(ce != NULL && ce->last_update != NULL);
	lu = ce->last_update;
	lpl = common__payload__unpack(NULL, lu->payload.len, lu->payload.data);
	REQUIRE(lpl != NULL);
	out = xmalloc(lpl->data.len > 0 ? lpl->data.len : 1);
	memcpy(out, lpl->data.data, lpl->data.len);
	*out_len = lpl->data.len;
	common__payload__free_unpacked(lpl, NULL);
	common__config_envelope__free_unpacked(ce, NULL);
	common__payload__free_unpacked(pl, NULL);
	common__envelope__free_unpacked(env, NULL);
	common__block__free_unpacked(b, NULL);
	return out;
}

/*
 * A copy of CFG with org NEW added to the Application group as a copy of
 * org FROM: an org the topology does not declare.
 */
static Common__Config *
with_stranger(const Common__Config *cfg, const char *from, const char *new)
{
	Common__Config *c;
	Common__ConfigGroup *app;
	uint8_t *b;
	size_t len, i, n;

	b = fcfg_pack(cfg, &len);
	c = common__config__unpack(NULL, len, b);
	free(b);
	REQUIRE(c != NULL);
	app = fcfg_group(c->channel_group, "Application");
	REQUIRE(app != NULL);
	for (i = 0; i < app->n_groups; i++)
		if (strcmp(app->groups[i]->key, from) == 0)
			break;
	REQUIRE(i < app->n_groups);
	n = app->n_groups;
	/* protobuf-c's unpacked arrays come from its allocator (malloc). */
	app->groups = xreallocarray(app->groups, n + 1, sizeof(*app->groups));
	app->groups[n] = xmalloc(sizeof(*app->groups[n]));
	common__config_group__groups_entry__init(app->groups[n]);
	app->groups[n]->key = xstrdup(new);
	len = common__config_group__get_packed_size(app->groups[i]->value);
	b = xmalloc(len);
	common__config_group__pack(app->groups[i]->value, b);
	app->groups[n]->value = common__config_group__unpack(NULL, len, b);
	free(b);
	app->n_groups = n + 1;
	return c;
}

static int
run(const char *statedir, const char *topo_path, const char *signer_url,
    const char *outdir)
{
	json_t *doc = fabdrv_load(topo_path);
	const json_t *org = first_org(doc), *chan;
	const char *fabric_bin = getenv("FABRIC_BIN"), *ch, *mspid;
	struct msp_org m;
	struct rt_org o;
	struct runtime *rt;
	json_t *oinfo = NULL, *pinfo = NULL, *orgs, *ctx_join, *ctx_upd, *ctx_rd,
	    *ctx_sub;
	struct grpc_target ord, peer;
	struct part_target adm;
	struct part_channel pinf;
	enum part_join_result pj;
	enum fops_join_result jr;
	struct ftx_identity id;
	struct signer_client sc_join, sc_read, sc_upd, sc_sub;
	struct fops_signer s_join, s_read, s_submit;
	struct fops_result res;
	struct fupd_sig fs;
	struct fupd_opened op;
	Common__Config *cfg0 = NULL, *cur = NULL, *desired = NULL, *bad = NULL,
	    *cfg1 = NULL;
	Common__ConfigUpdate *upd = NULL;
	Common__Block *gen;
	uint8_t *gbytes, *blk = NULL, *ubytes, *hdr, *sb, *sig = NULL, *cue,
	    *env, *lu;
	size_t glen, blen = 0, ulen, hlen, sblen, siglen = 0, cuelen, elen,
	    lulen;
	uint64_t number = 0, oh = 0, ph = 0;
	char *pkidir, *cause = NULL, *info = NULL, *admin_cert, *path, *anchor,
	    *ohost = NULL, *phost = NULL, *ahost = NULL;
	const char *peer_ep;
	time_t t0;
	int resumed = 0;

	REQUIRE(fabric_bin != NULL);
	org_of(org, statedir, &m, &pkidir);
	mspid = m.mspid;
	chan = json_array_get(json_object_get(json_object_get(doc, "spec"),
	    "channels"), 0);
	REQUIRE(chan != NULL);
	ch = fabdrv_sget(chan, "name");
	peer_ep = fabdrv_sget(json_array_get(json_object_get(org, "peers"), 0),
	    "endpoint");

	/* The org's nodes, as local processes of real Fabric binaries. */
	if ((rt = rt_process_new(fabric_bin, statedir, "127.0.0.1",
	    &cause)) == NULL) {
		fprintf(stderr, "rt_process_new: %s\n", cause);
		return 1;
	}
	o.consortium = doc;
	o.mspid = mspid;
	o.pkidir = pkidir;
	if (runtime_render(rt, &o, &cause) != 0) {
		fprintf(stderr, "render: %s\n", cause);
		runtime_free(rt);
		return 1;
	}
	fabdrv_wait_ready(rt, &o, "orderer0", WAIT_S);
	printf("ok - orderer0 is ready (process runtime, real Fabric binary)\n");
	fabdrv_wait_ready(rt, &o, "peer0", WAIT_S);
	printf("ok - peer0 is ready (process runtime, real Fabric binary)\n");
	REQUIRE(rt_process_node_info(rt, &o, "orderer0", &oinfo, &cause) == 0);
	REQUIRE(rt_process_node_info(rt, &o, "peer0", &pinfo, &cause) == 0);

	path = xasprintf("%s/users/Admin@%s/tls/client.crt", pkidir, m.domain);
	memset(&ord, 0, sizeof(ord));
	target_addr(oinfo, "listen", &ohost, &ord.port);
	ord.host = ohost;
	ord.ca_file = fabdrv_sget(oinfo, "tlsCa");
	ord.cert_file = path;
	ord.key_file = xasprintf("%s/users/Admin@%s/tls/client.key", pkidir,
	    m.domain);
	peer = ord;
	target_addr(pinfo, "listen", &phost, &peer.port);
	peer.host = phost;
	memset(&adm, 0, sizeof(adm));
	target_addr(oinfo, "admin", &ahost, &adm.port);
	adm.host = ahost;
	adm.ca_file = ord.ca_file;
	adm.cert_file = ord.cert_file;
	adm.key_file = ord.key_file;

	/* The genesis block, from the topology and the published MSP. */
	orgs = json_object();
	json_object_set_new(orgs, mspid, fixture_published_or_exit(org, m.dir));
	if ((cfg0 = fcfg_build_flags(doc, ch, orgs, FCFG_NO_ANCHORS,
	    &cause)) == NULL || (gen = fblock_genesis(cfg0, ch,
	    (int64_t)time(NULL), NULL, &cause)) == NULL) {
		fprintf(stderr, "genesis: %s\n", cause);
		return 1;
	}
	gbytes = fblock_pack(gen, &glen);
	fblock_free(gen);
	REQUIRE(anchor_of(cfg0, mspid) == NULL);

	/* The orderer joins (a second run finds it joined). */
	memset(&pinf, 0, sizeof(pinf));
	if (part_join(&adm, gbytes, glen, &pj, &pinf, TIMEOUT_MS, &cause) != 0)
		fprintf(stderr, "part_join: %s\n", cause);
	REQUIRE(cause == NULL);
	part_channel_clear(&pinf);
	if (pj == PART_ALREADY_JOINED)
		resumed++;
	else
		write_bytes(outdir, "genesis.block", gbytes, glen);
	printf("ok - orderer0 %s %s through the participation API\n",
	    pj == PART_JOINED ? "joined" : "had already joined", ch);

	/* Signers: every signature by the org admin's signer process. */
	admin_cert = xasprintf("%s/users/Admin@%s/msp/signcerts/Admin@%s-cert.pem",
	    pkidir, m.domain, m.domain);
	if (access(admin_cert, R_OK) != 0) {
		free(admin_cert);
		admin_cert = xasprintf("%s/users/Admin@%s/msp/signcerts/cert.pem",
		    pkidir, m.domain);
	}
	id.mspid = mspid;
	id.cert_pem = fixture_read_or_exit(admin_cert, MAX_FILE, NULL);
	ctx_join = json_pack("{s:O}", "topology", doc);
	ctx_rd = json_object();
	sc_join = (struct signer_client){ signer_url, "fabric.join-chain",
	    ctx_join, 0 };
	sc_read = (struct signer_client){ signer_url, "fabric.channel-read",
	    ctx_rd, 0 };
	s_join = (struct fops_signer){ &id, signer_client_sign, &sc_join };
	s_read = (struct fops_signer){ &id, signer_client_sign, &sc_read };

	/* The peer joins with a JoinChain proposal the signer signed. */
	if (fops_join_chain(&peer, gbytes, glen, &s_join, &jr, &res, TIMEOUT_MS,
	    &cause) != 0) {
		/* A resumed run joins with the genesis block it built now,
		 * whose timestamp differs: the peer has the ledger already. */
		fprintf(stderr, "join: %s\n", cause);
	}
	REQUIRE(cause == NULL);
	if (jr == FOPS_ALREADY_JOINED)
		resumed++;
	printf("ok - peer0 %s %s (cscc JoinChain signed by the signer)\n",
	    jr == FOPS_JOINED ? "joined" : "had already joined", ch);

	/* The live config, fetched back through Deliver. */
	t0 = time(NULL);
	for (;;) {
		free(cause);
		cause = NULL;
		free(blk);
		blk = NULL;
		if (fops_config_block(&ord, ch, &s_read, &blk, &blen, &number,
		    &res, TIMEOUT_MS, &cause) == 0)
			break;
		REQUIRE(fops_retryable(&res) && time(NULL) - t0 < WAIT_S);
		fabdrv_pause_ms(500);
	}
	if ((cur = fdec_config_from_block(blk, blen, MAX_FILE, &cause)) == NULL)
		fprintf(stderr, "decode: %s\n", cause);
	REQUIRE(cur != NULL);
	printf("ok - the live config of %s is block %llu (Deliver, decoded)\n",
	    ch, (unsigned long long)number);

	/* The anchor peer update, signed by the signer after its check. */
	REQUIRE((desired = fcfg_build(doc, ch, orgs, &cause)) != NULL);
	upd = fupd_compute(cur, desired, ch, &cause);
	if (upd == NULL) {
		REQUIRE(strstr(cause, "no differences") != NULL);
		REQUIRE(resumed == 2);
		printf("resumed: nothing to do (%s)\n", cause);
		free(cause);
		cause = NULL;
		goto check_heights;
	}
	ubytes = fupd_pack(upd, &ulen);
	hdr = fupd_signature_header(mspid, id.cert_pem, NULL, &hlen);
	REQUIRE(hdr != NULL);
	sb = fupd_signing_bytes(hdr, hlen, ubytes, ulen, &sblen);
	ctx_upd = json_pack("{s:s, s:I, s:O, s:O}", "channel", ch,
	    "headerLength", (json_int_t)hlen, "topology", doc, "orgs", orgs);
	sc_upd = (struct signer_client){ signer_url, "fabric.config-update",
	    ctx_upd, 0 };
	if (signer_client_sign(&sc_upd, sb, sblen, &sig, &siglen, &cause) != 0)
		fprintf(stderr, "sign: %s\n", cause);
	REQUIRE(cause == NULL);
	json_decref(ctx_upd);
	fs = (struct fupd_sig){ hdr, hlen, sig, siglen };
	cue = fupd_envelope(ubytes, ulen, &fs, 1, &cuelen);
	printf("ok - the signer signed the anchor peer update (%zu bytes)\n",
	    ulen);

	/* Submitted in a CONFIG_UPDATE envelope, also signed by the admin
	 * (kind fabric.config-submit: the signer checks the update inside). */
	ctx_sub = json_pack("{s:s, s:O, s:O}", "channel", ch, "topology", doc,
	    "orgs", orgs);
	sc_sub = (struct signer_client){ signer_url, "fabric.config-submit",
	    ctx_sub, 0 };
	s_submit = (struct fops_signer){ &id, signer_client_sign, &sc_sub };
	env = ftx_envelope(COMMON__HEADER_TYPE__CONFIG_UPDATE, ch, cue, cuelen,
	    NULL, &id, s_submit.sign, s_submit.arg, &elen, &cause);
	if (env == NULL)
		fprintf(stderr, "envelope: %s\n", cause);
	REQUIRE(env != NULL);
	t0 = time(NULL);
	for (;;) {
		free(cause);
		cause = NULL;
		free(info);
		info = NULL;
		if (fops_broadcast(&ord, env, elen, &res, &info, TIMEOUT_MS,
		    &cause) == 0)
			break;
		fprintf(stderr, "broadcast: %s\n", cause);
		REQUIRE(fops_retryable(&res) && time(NULL) - t0 < WAIT_S);
		fabdrv_pause_ms(500);
	}
	printf("ok - the orderer accepted the update (Broadcast SUCCESS)\n");
	json_decref(ctx_sub);
	free(env);
	free(cue);
	free(sig);
	free(sb);
	free(hdr);
	free(ubytes);

check_heights:
	t0 = time(NULL);
	do {
		heights(&adm, &peer, ch, &s_read, &oh, &ph);
		if (oh >= 2 && ph >= 2)
			break;
		fabdrv_pause_ms(250);
	} while (time(NULL) - t0 < WAIT_S);
	printf("heights: orderer %llu, peer %llu\n", (unsigned long long)oh,
	    (unsigned long long)ph);
	CHECK(oh == 2 && ph == 2);

	free(blk);
	blk = NULL;
	CHECK(fops_config_block(&ord, ch, &s_read, &blk, &blen, &number, &res,
	    TIMEOUT_MS, &cause) == 0 && number == 1);
	if (blk != NULL && number == 1) {
		write_bytes(outdir, "config1.block", blk, blen);
		cfg1 = fdec_config_from_block(blk, blen, MAX_FILE, &cause);
		REQUIRE(cfg1 != NULL);
		anchor = anchor_of(cfg1, mspid);
		CHECK(anchor != NULL && strcmp(anchor, peer_ep) == 0);
		printf("ok - block 1 sets %s's anchor peer to %s\n", mspid,
		    anchor != NULL ? anchor : "(none)");
		free(anchor);
		lu = last_update(blk, blen, &lulen);
		memset(&op, 0, sizeof(op));
		if (fupd_open(lu, lulen, FUPD_MAX_ENVELOPE, &op, &cause) != 0)
			fprintf(stderr, "open: %s\n", cause);
		CHECK(cause == NULL && op.nsigs == 1 &&
		    strcmp(op.mspids[0], mspid) == 0 &&
		    strcmp(op.certs[0], id.cert_pem) == 0);
		printf("ok - the update the orderer accepted carries %zu "
		    "verified signature(s), by %s's admin\n", op.nsigs,
		    op.nsigs > 0 ? op.mspids[0] : "-");
		fupd_opened_clear(&op);
		free(lu);
	}

	/* A hostile update: an org the topology does not declare. */
	bad = with_stranger(cfg1 != NULL ? cfg1 : desired, mspid, "Org9MSP");
	fupd_free(upd);
	free(cause);
	cause = NULL;
	upd = fupd_compute(cfg1 != NULL ? cfg1 : cur, bad, ch, &cause);
	REQUIRE(upd != NULL);
	ubytes = fupd_pack(upd, &ulen);
	hdr = fupd_signature_header(mspid, id.cert_pem, NULL, &hlen);
	sb = fupd_signing_bytes(hdr, hlen, ubytes, ulen, &sblen);
	ctx_upd = json_pack("{s:s, s:I, s:O, s:O}", "channel", ch,
	    "headerLength", (json_int_t)hlen, "topology", doc, "orgs", orgs);
	sc_upd = (struct signer_client){ signer_url, "fabric.config-update",
	    ctx_upd, 0 };
	CHECK(signer_client_sign(&sc_upd, sb, sblen, &sig, &siglen,
	    &cause) != 0 && strstr(cause, "refused") != NULL &&
	    strstr(cause, "Org9MSP") != NULL);
	printf("ok - an update adding Org9MSP is refused: %s\n",
	    cause != NULL ? cause : "(signed!)");
	json_decref(ctx_upd);
	free(sig);
	free(sb);
	free(hdr);
	free(ubytes);

	free(cause);
	fupd_free(upd);
	fcfg_free(bad);
	fcfg_free(cfg1);
	fcfg_free(desired);
	fcfg_free(cur);
	fcfg_free(cfg0);
	free(blk);
	free(gbytes);
	free(info);
	json_decref(ctx_join);
	json_decref(ctx_rd);
	json_decref(orgs);
	json_decref(oinfo);
	json_decref(pinfo);
	free((char *)id.cert_pem);
	free(admin_cert);
	free(path);
	free((char *)ord.key_file);
	free(ohost);
	free(phost);
	free(ahost);
	runtime_free(rt);
	free(pkidir);
	json_decref(doc);
	printf("%d checks, %d failed\n", nchecks, nfailures);
	return nfailures == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "pki") == 0)
		return make_pki(argv[2], argv[3]);
	if (argc == 6 && strcmp(argv[1], "run") == 0)
		return run(argv[2], argv[3], argv[4], argv[5]);
	fprintf(stderr, "usage: itest_fabric_e2e pki STATEDIR TOPO | "
	    "run STATEDIR TOPO SIGNER_URL OUTDIR\n");
	return 2;
}
