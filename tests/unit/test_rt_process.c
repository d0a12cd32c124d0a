/*
 * test_rt_process.c: what the process runtime starts a node with
 * (member-agent/rt_process_conf.c): every key of the peer's core.yaml and
 * the orderer's orderer.yaml that it sets, from a minimal fixture shaped
 * like Fabric's samples (tests/unit/fixtures/rt_process/) and, when
 * Fabric's own sample config is around (FABRIC_CFG_PATH or
 * FABRIC_BIN/../config), from that too; the environment it builds; the
 * ports it assigns and keeps; endpoint parsing; and the runtime's start-up
 * checks, node_info and observe of a node never started (no process is
 * started here: tests/integration/process_runtime.sh does that).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime.h"
#include "topology.h"
#include "xmalloc.h"

static const char *topo_yaml =
    "apiVersion: fabfed.io/v1alpha1\n"
    "kind: Consortium\n"
    "metadata: {name: trade}\n"
    "spec:\n"
    "  orgs:\n"
    "    - mspId: Org1MSP\n"
    "      domain: org1.example.com\n"
    "      cluster: {name: here, region: r1}\n"
    "      peers:\n"
    "        - {name: peer0, endpoint: \"127.0.0.1:17051\", anchor: true}\n"
    "        - {name: peer1, endpoint: peer1.org1.example.com:17151}\n"
    "      orderers:\n"
    "        - {name: orderer0, endpoint: \"127.0.0.1:17050\"}\n"
    "  channels:\n"
    "    - {name: ch1, consenters: [Org1MSP/orderer0], members: [Org1MSP]}\n";

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static char *
fixture(const char *name)
{
	const char *src = getenv("FABFED_SRC");

	return xasprintf("%s/tests/unit/fixtures/rt_process/%s",
	    src != NULL ? src : ".", name);
}

/* conf at a dotted path, or NULL. */
static json_t *
at(json_t *conf, const char *path)
{
	char *p = xstrdup(path), *s = p, *dot;
	json_t *cur = conf;

	while (cur != NULL && (dot = strchr(s, '.')) != NULL) {
		*dot = '\0';
		cur = json_object_get(cur, s);
		s = dot + 1;
	}
	cur = json_object_get(cur, s);
	free(p);
	return cur;
}

static void
want_str(json_t *conf, const char *path, const char *v)
{
	json_t *j = at(conf, path);

	if (!json_is_string(j) || strcmp(json_string_value(j), v) != 0)
		fail_msg("%s: expected \"%s\", found %s", path, v,
		    json_is_string(j) ? json_string_value(j) : "no string");
}

static void
want_bool(json_t *conf, const char *path, int v)
{
	json_t *j = at(conf, path);

	if (!json_is_boolean(j) || json_is_true(j) != v)
		fail_msg("%s: expected %s", path, v ? "true" : "false");
}

static void
want_list1(json_t *conf, const char *path, const char *v)
{
	json_t *j = at(conf, path);

	if (!json_is_array(j) || json_array_size(j) != 1 ||
	    strcmp(json_string_value(json_array_get(j, 0)), v) != 0)
		fail_msg("%s: expected [\"%s\"]", path, v);
}

static const char *const boot[] = { "peer1.org1.example.com:17151", NULL };

static void
peer_node(struct rt_process_node *n)
{
	memset(n, 0, sizeof(*n));
	n->kind = "peer";
	n->name = "peer0";
	n->mspid = "Org1MSP";
	n->domain = "org1.example.com";
	n->endpoint = "peer0.org1.example.com:7051";
	n->listen_host = "0.0.0.0";
	n->port = 7051;
	n->ops_port = 40001;
	n->cc_port = 40002;
	n->pkinode = "/pki/peers/peer0.org1.example.com";
	n->tlsca = "/pki/tlsca/tlsca.org1.example.com-cert.pem";
	n->datadir = "/state/process/peer0/data";
	n->bootstrap = boot;
	n->builder = NULL;
}

static void
orderer_node(struct rt_process_node *n)
{
	memset(n, 0, sizeof(*n));
	n->kind = "orderer";
	n->name = "orderer0";
	n->mspid = "Org1MSP";
	n->domain = "org1.example.com";
	n->endpoint = "orderer0.org1.example.com:7050";
	n->listen_host = "10.1.2.3";
	n->port = 7050;
	n->admin_port = 40011;
	n->ops_port = 40012;
	n->pkinode = "/pki/orderers/orderer0.org1.example.com";
	n->tlsca = "/pki/tlsca/tlsca.org1.example.com-cert.pem";
	n->datadir = "/state/process/orderer0/data";
}

static void
check_peer(json_t *c, int fixture_sample)
{
	const char *P = "/pki/peers/peer0.org1.example.com";
	char *s;
	json_t *b;

	want_str(c, "peer.id", "peer0.org1.example.com");
	want_str(c, "peer.listenAddress", "0.0.0.0:7051");
	want_str(c, "peer.address", "peer0.org1.example.com:7051");
	want_str(c, "peer.chaincodeListenAddress", "127.0.0.1:40002");
	want_str(c, "peer.chaincodeAddress", "127.0.0.1:40002");
	want_bool(c, "peer.addressAutoDetect", 0);
	want_list1(c, "peer.gossip.bootstrap", "peer1.org1.example.com:17151");
	want_str(c, "peer.gossip.endpoint", "peer0.org1.example.com:7051");
	want_str(c, "peer.gossip.externalEndpoint", "peer0.org1.example.com:7051");
	want_bool(c, "peer.gossip.useLeaderElection", 1);
	want_bool(c, "peer.gossip.orgLeader", 0);
	want_bool(c, "peer.tls.enabled", 1);
	want_bool(c, "peer.tls.clientAuthRequired", 0);
	s = xasprintf("%s/tls/server.crt", P);
	want_str(c, "peer.tls.cert.file", s);
	free(s);
	s = xasprintf("%s/tls/server.key", P);
	want_str(c, "peer.tls.key.file", s);
	free(s);
	s = xasprintf("%s/tls/ca.crt", P);
	want_str(c, "peer.tls.rootcert.file", s);
	want_list1(c, "peer.tls.clientRootCAs.files", s);
	free(s);
	want_str(c, "peer.fileSystemPath", "/state/process/peer0/data");
	s = xasprintf("%s/msp", P);
	want_str(c, "peer.mspConfigPath", s);
	free(s);
	want_str(c, "peer.localMspId", "Org1MSP");
	want_bool(c, "peer.profile.enabled", 0);
	want_str(c, "vm.endpoint", "");
	want_str(c, "ledger.state.stateDatabase", "goleveldb");
	want_str(c, "ledger.snapshots.rootDir",
	    "/state/process/peer0/data/snapshots");
	want_str(c, "operations.listenAddress", "127.0.0.1:40001");
	want_bool(c, "operations.tls.enabled", 0);
	want_str(c, "metrics.provider", "prometheus");
	/* The builder entry stays: with vm.endpoint "" the peer needs one. */
	b = at(c, "chaincode.externalBuilders");
	assert_true(json_is_array(b));
	assert_true(json_array_size(b) >= 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(b,
	    0), "name")), "ccaas_builder");
	if (fixture_sample) {
		/* Keys the runtime does not set are the sample's. */
		want_str(c, "peer.networkId", "dev");
		want_str(c, "peer.gossip.pvtData.pullRetryThreshold", "60s");
		want_str(c, "chaincode.installTimeout", "300s");
		assert_string_equal(json_string_value(json_object_get(
		    json_array_get(b, 0), "path")), "/opt/hyperledger/ccaas_builder");
	}
}

static void
check_orderer(json_t *c, int fixture_sample)
{
	const char *P = "/pki/orderers/orderer0.org1.example.com";
	char *crt = xasprintf("%s/tls/server.crt", P);
	char *key = xasprintf("%s/tls/server.key", P);
	char *ca = xasprintf("%s/tls/ca.crt", P);
	char *msp = xasprintf("%s/msp", P);
	json_t *j;

	want_str(c, "General.ListenAddress", "10.1.2.3");
	j = at(c, "General.ListenPort");
	assert_true(json_is_integer(j));
	assert_int_equal(json_integer_value(j), 7050);
	want_bool(c, "General.TLS.Enabled", 1);
	want_str(c, "General.TLS.PrivateKey", key);
	want_str(c, "General.TLS.Certificate", crt);
	want_list1(c, "General.TLS.RootCAs", ca);
	want_bool(c, "General.TLS.ClientAuthRequired", 0);
	want_str(c, "General.Cluster.ListenAddress", "");
	assert_int_equal(json_integer_value(at(c, "General.Cluster.ListenPort")), 0);
	want_str(c, "General.Cluster.ClientCertificate", crt);
	want_str(c, "General.Cluster.ClientPrivateKey", key);
	want_list1(c, "General.Cluster.RootCAs", ca);
	want_str(c, "General.BootstrapMethod", "none");
	want_str(c, "General.BootstrapFile", "");
	want_str(c, "General.LocalMSPDir", msp);
	want_str(c, "General.LocalMSPID", "Org1MSP");
	want_bool(c, "General.Profile.Enabled", 0);
	want_str(c, "FileLedger.Location", "/state/process/orderer0/data/ledger");
	want_str(c, "Consensus.WALDir", "/state/process/orderer0/data/etcdraft/wal");
	want_str(c, "Consensus.SnapDir",
	    "/state/process/orderer0/data/etcdraft/snapshot");
	want_str(c, "Operations.ListenAddress", "127.0.0.1:40012");
	want_bool(c, "Operations.TLS.Enabled", 0);
	want_str(c, "Metrics.Provider", "prometheus");
	want_str(c, "Admin.ListenAddress", "127.0.0.1:40011");
	want_bool(c, "Admin.TLS.Enabled", 1);
	want_str(c, "Admin.TLS.PrivateKey", key);
	want_str(c, "Admin.TLS.Certificate", crt);
	want_list1(c, "Admin.TLS.RootCAs", ca);
	want_bool(c, "Admin.TLS.ClientAuthRequired", 1);
	want_list1(c, "Admin.TLS.ClientRootCAs",
	    "/pki/tlsca/tlsca.org1.example.com-cert.pem");
	want_bool(c, "ChannelParticipation.Enabled", 1);
	if (fixture_sample) {
		want_str(c, "General.Keepalive.ServerMinInterval", "60s");
		want_str(c, "ChannelParticipation.MaxRequestSize", "1 MB");
		assert_int_equal(json_integer_value(at(c,
		    "General.Cluster.SendBufferSize")), 100);
	}
	free(crt);
	free(key);
	free(ca);
	free(msp);
}

static void
test_conf_fixture(void **state)
{
	struct rt_process_node n;
	json_t *sample, *c, *again;
	char *path, *cause = NULL, *t1, *t2;

	(void)state;
	path = fixture("core.yaml");
	sample = rt_process_sample_load(path, &cause);
	free(path);
	assert_non_null(sample);
	peer_node(&n);
	c = rt_process_conf(sample, &n, &cause);
	assert_non_null(c);
	check_peer(c, 1);
	/* The sample itself is not touched, and the output is stable. */
	want_str(sample, "vm.endpoint", "unix:///var/run/docker.sock");
	again = rt_process_conf(sample, &n, &cause);
	t1 = json_dumps(c, JSON_INDENT(2));
	t2 = json_dumps(again, JSON_INDENT(2));
	assert_string_equal(t1, t2);
	free(t1);
	free(t2);
	json_decref(again);
	json_decref(c);
	/* A ccaas builder directory next to the binaries replaces the path. */
	n.builder = "/opt/fabric/builders/ccaas";
	c = rt_process_conf(sample, &n, &cause);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    at(c, "chaincode.externalBuilders"), 0), "path")),
	    "/opt/fabric/builders/ccaas");
	json_decref(c);
	/* A peer alone in its org bootstraps gossip from itself. */
	n.bootstrap = NULL;
	n.builder = NULL;
	c = rt_process_conf(sample, &n, &cause);
	want_list1(c, "peer.gossip.bootstrap", "peer0.org1.example.com:7051");
	json_decref(c);
	/* A sample without builders gets one. */
	json_object_del(json_object_get(sample, "chaincode"), "externalBuilders");
	c = rt_process_conf(sample, &n, &cause);
	assert_int_equal(json_array_size(at(c, "chaincode.externalBuilders")), 1);
	want_str(json_array_get(at(c, "chaincode.externalBuilders"), 0), "name",
	    "ccaas_builder");
	json_decref(c);
	/* A sample of another shape is refused, with the key. */
	json_object_set_new(sample, "peer", json_string("oops"));
	assert_null(rt_process_conf(sample, &n, &cause));
	assert_non_null(strstr(cause, "peer"));
	free(cause);
	cause = NULL;
	json_decref(sample);

	path = fixture("orderer.yaml");
	sample = rt_process_sample_load(path, &cause);
	free(path);
	assert_non_null(sample);
	orderer_node(&n);
	c = rt_process_conf(sample, &n, &cause);
	assert_non_null(c);
	check_orderer(c, 1);
	json_decref(c);
	/* An orderer without its admin port cannot be configured. */
	n.admin_port = 0;
	assert_null(rt_process_conf(sample, &n, &cause));
	free(cause);
	json_decref(sample);
}

/* The same against Fabric's own samples, when they are around. */
static void
test_conf_fabric_sample(void **state)
{
	struct rt_process_node n;
	const char *cfg = getenv("FABRIC_CFG_PATH"), *bin = getenv("FABRIC_BIN");
	char *dir, *path, *cause = NULL;
	json_t *sample, *c;

	(void)state;
	if (cfg != NULL && *cfg != '\0')
		dir = xstrdup(cfg);
	else if (bin != NULL && *bin != '\0')
		dir = xasprintf("%s/../config", bin);
	else {
		print_message("no FABRIC_CFG_PATH or FABRIC_BIN: Fabric's sample "
		    "config not checked\n");
		skip();
		return;
	}
	path = xasprintf("%s/core.yaml", dir);
	if (access(path, R_OK) != 0) {
		print_message("%s not found: not checked\n", path);
		free(path);
		free(dir);
		skip();
		return;
	}
	sample = rt_process_sample_load(path, &cause);
	if (sample == NULL)
		fail_msg("%s", cause);
	peer_node(&n);
	c = rt_process_conf(sample, &n, &cause);
	assert_non_null(c);
	check_peer(c, 0);
	json_decref(c);
	json_decref(sample);
	free(path);
	path = xasprintf("%s/orderer.yaml", dir);
	sample = rt_process_sample_load(path, &cause);
	if (sample == NULL)
		fail_msg("%s", cause);
	orderer_node(&n);
	c = rt_process_conf(sample, &n, &cause);
	assert_non_null(c);
	check_orderer(c, 0);
	json_decref(c);
	json_decref(sample);
	free(path);
	free(dir);
}

static void
test_sample_errors(void **state)
{
	char dir[] = "/tmp/fabfed-rtp-XXXXXX", *path, *cause = NULL;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/missing.yaml", dir);
	assert_null(rt_process_sample_load(path, &cause));
	assert_non_null(strstr(cause, "FABRIC_CFG_PATH"));
	free(cause);
	cause = NULL;
	free(path);
	path = xasprintf("%s/core.yaml", dir);
	fp = fopen(path, "w");
	fputs("a: &x 1\nb: *x\n", fp);
	fclose(fp);
	assert_null(rt_process_sample_load(path, &cause));
	assert_non_null(strstr(cause, path));
	free(cause);
	cause = NULL;
	fp = fopen(path, "w");
	fputs("- a list\n", fp);
	fclose(fp);
	assert_null(rt_process_sample_load(path, &cause));
	free(cause);
	unlink(path);
	free(path);
	rmdir(dir);
}

static void
test_env(void **state)
{
	char *in[] = { "CORE_PEER_ID=intruder", "HOME=/home/agent",
	    "ORDERER_GENERAL_LISTENPORT=1", "PATH=/opt/bin:/usr/bin",
	    "FABRIC_LOGGING_SPEC=debug", "FABRIC_CFG_PATH=/elsewhere",
	    "SECRET_TOKEN=x", NULL };
	char *nopath[] = { "TZ=UTC", NULL };
	char *fmt[] = { "FABRIC_LOGGING_FORMAT=json", "PATH=/bin", NULL };
	char **e;
	size_t i;

	(void)state;
	e = rt_process_env("/state/process/peer0/config", in);
	for (i = 0; e[i] != NULL; i++) {
		assert_null(strstr(e[i], "CORE_"));
		assert_null(strstr(e[i], "ORDERER_"));
		assert_null(strstr(e[i], "SECRET"));
	}
	assert_int_equal(i, 5);
	assert_string_equal(e[0], "FABRIC_CFG_PATH=/state/process/peer0/config");
	assert_string_equal(e[1], "PATH=/opt/bin:/usr/bin");
	assert_string_equal(e[2], "HOME=/home/agent");
	assert_string_equal(e[3], "FABRIC_LOGGING_SPEC=debug");
	assert_non_null(strstr(e[4], "FABRIC_LOGGING_FORMAT=%{time:"));
	assert_null(strstr(e[4], "color"));
	rt_process_env_free(e);
	e = rt_process_env("/c", nopath);
	assert_string_equal(e[0], "FABRIC_CFG_PATH=/c");
	assert_string_equal(e[1], "TZ=UTC");
	assert_string_equal(e[2], "PATH=/usr/local/bin:/usr/bin:/bin");
	assert_non_null(strstr(e[3], "FABRIC_LOGGING_FORMAT="));
	assert_null(e[4]);
	rt_process_env_free(e);
	/* The agent's own format is passed on, not replaced. */
	e = rt_process_env("/c", fmt);
	assert_string_equal(e[2], "FABRIC_LOGGING_FORMAT=json");
	assert_null(e[3]);
	rt_process_env_free(e);
	rt_process_env_free(NULL);
}

static void
test_ports(void **state)
{
	char dir[] = "/tmp/fabfed-rtp-XXXXXX", *file, *cause = NULL;
	struct rt_process_ports p, q;
	unsigned int avoid[2];
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	file = xasprintf("%s/ports.json", dir);
	assert_int_equal(rt_process_ports_load(file, "orderer", NULL, 0, &p,
	    &cause), 0);
	assert_true(p.admin > 0 && p.ops > 0 && p.admin != p.ops);
	assert_int_equal(p.cc, 0);
	/* Kept: a second load (a restart) gives the same ports. */
	avoid[0] = p.admin;
	avoid[1] = p.ops;
	assert_int_equal(rt_process_ports_load(file, "orderer", avoid, 2, &q,
	    &cause), 0);
	assert_int_equal(q.admin, p.admin);
	assert_int_equal(q.ops, p.ops);
	/* Another kind of node in the same directory is refused. */
	assert_int_equal(rt_process_ports_load(file, "peer", NULL, 0, &q,
	    &cause), -1);
	assert_non_null(strstr(cause, "orderer"));
	free(cause);
	cause = NULL;
	/* A peer gets operations and chaincode, none of the avoided ones. */
	unlink(file);
	assert_int_equal(rt_process_ports_load(file, "peer", avoid, 2, &q,
	    &cause), 0);
	assert_int_equal(q.admin, 0);
	assert_true(q.ops > 0 && q.cc > 0 && q.ops != q.cc);
	assert_true(q.ops != avoid[0] && q.ops != avoid[1]);
	assert_true(q.cc != avoid[0] && q.cc != avoid[1]);
	/* A missing entry is filled in, the others kept. */
	fp = fopen(file, "w");
	fprintf(fp, "{\"kind\":\"peer\",\"operations\":%u}", q.ops);
	fclose(fp);
	assert_int_equal(rt_process_ports_load(file, "peer", NULL, 0, &p,
	    &cause), 0);
	assert_int_equal(p.ops, q.ops);
	assert_true(p.cc > 0 && p.cc != p.ops);
	/* A bad entry is an error, not a silent change. */
	fp = fopen(file, "w");
	fputs("{\"kind\":\"peer\",\"operations\":70000}", fp);
	fclose(fp);
	assert_int_equal(rt_process_ports_load(file, "peer", NULL, 0, &p,
	    &cause), -1);
	assert_non_null(strstr(cause, "operations"));
	free(cause);
	unlink(file);
	free(file);
	rmdir(dir);
}

static void
test_endpoint(void **state)
{
	char *h;
	unsigned int port;

	(void)state;
	assert_int_equal(rt_process_endpoint("peer0.example.com:7051", &h,
	    &port), 0);
	assert_string_equal(h, "peer0.example.com");
	assert_int_equal(port, 7051);
	free(h);
	assert_int_equal(rt_process_endpoint("[::1]:443", &h, &port), 0);
	assert_string_equal(h, "::1");
	assert_int_equal(port, 443);
	free(h);
	assert_int_equal(rt_process_endpoint("h:0", &h, &port), -1);
	assert_int_equal(rt_process_endpoint("h:65536", &h, &port), -1);
	assert_int_equal(rt_process_endpoint("h:+1", &h, &port), -1);
	assert_int_equal(rt_process_endpoint("h", &h, &port), -1);
	assert_int_equal(rt_process_endpoint("::1:7051", &h, &port), -1);
	assert_int_equal(rt_process_endpoint(":7051", &h, &port), -1);
	assert_int_equal(rt_process_endpoint("[::1]7051", &h, &port), -1);
	assert_int_equal(rt_process_endpoint(NULL, &h, &port), -1);
	assert_null(h);
}

/* A directory with stand-in binaries (never run here) and the fixtures. */
static char *
standin_bin(const char *root)
{
	char *bin = xasprintf("%s/bin", root), *cfg = xasprintf("%s/config",
	    root), *p, *src, *cmd;
	const char *names[] = { "peer", "orderer" };
	FILE *fp;
	size_t i;

	assert_int_equal(mkdir(bin, 0755), 0);
	assert_int_equal(mkdir(cfg, 0755), 0);
	for (i = 0; i < 2; i++) {
		p = xasprintf("%s/%s", bin, names[i]);
		fp = fopen(p, "w");
		fputs("#!/bin/sh\nexit 0\n", fp);
		fclose(fp);
		chmod(p, 0755);
		free(p);
	}
	src = fixture("");
	cmd = xasprintf("cp %s/core.yaml %s/orderer.yaml %s/", src, src, cfg);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(src);
	free(cfg);
	return bin;
}

static void
test_runtime(void **state)
{
	char root[] = "/tmp/fabfed-rtp-XXXXXX", *bin, *sd, *cause = NULL;
	char *detail = NULL, *pki;
	struct topo_diags d;
	struct runtime *rt;
	struct rt_org org;
	enum rt_state st;
	json_t *doc, *info, *info2;
	char *saved = getenv("FABRIC_CFG_PATH") != NULL ?
	    xstrdup(getenv("FABRIC_CFG_PATH")) : NULL;

	(void)state;
	unsetenv("FABRIC_CFG_PATH");
	assert_non_null(mkdtemp(root));
	/* No binaries: a sentence naming FABRIC_BIN. */
	assert_null(rt_process_new(NULL, root, NULL, &cause));
	assert_non_null(strstr(cause, "FABRIC_BIN"));
	free(cause);
	cause = NULL;
	assert_null(rt_process_new(root, root, NULL, &cause));
	assert_non_null(strstr(cause, "peer"));
	free(cause);
	cause = NULL;
	bin = standin_bin(root);
	sd = xasprintf("%s/state", root);
	assert_null(rt_process_new(bin, sd, "not-an-ip", &cause));
	assert_non_null(strstr(cause, "not-an-ip"));
	free(cause);
	cause = NULL;
	rt = rt_process_new(bin, sd, NULL, &cause);
	if (rt == NULL)
		fail_msg("%s", cause);
	assert_string_equal(rt->ops->name, "process");

	topo_diags_init(&d);
	doc = topology_load(topo_yaml, strlen(topo_yaml), &d);
	assert_non_null(doc);
	topo_diags_free(&d);
	pki = xasprintf("%s/pki", root);
	org.consortium = doc;
	org.mspid = "Org1MSP";
	org.pkidir = pki;
	/* Never started: absent. */
	assert_int_equal(runtime_observe(rt, &org, "peer0", &st, &detail,
	    &cause), 0);
	assert_int_equal(st, RT_STATE_ABSENT);
	assert_string_equal(detail, "not started");
	free(detail);
	/* Where the nodes would run; the IP endpoint's host is listened on. */
	assert_int_equal(rt_process_node_info(rt, &org, "orderer0", &info,
	    &cause), 0);
	assert_string_equal(json_string_value(json_object_get(info, "kind")),
	    "orderer");
	assert_string_equal(json_string_value(json_object_get(info, "listen")),
	    "127.0.0.1:17050");
	assert_non_null(strstr(json_string_value(json_object_get(info, "admin")),
	    "127.0.0.1:"));
	assert_non_null(strstr(json_string_value(json_object_get(info, "tlsCa")),
	    "/pki/tlsca/tlsca.org1.example.com-cert.pem"));
	assert_int_equal(json_integer_value(json_object_get(info, "pid")), 0);
	assert_int_equal(rt_process_node_info(rt, &org, "peer1", &info2,
	    &cause), 0);
	assert_string_equal(json_string_value(json_object_get(info2, "listen")),
	    "0.0.0.0:17151");
	assert_null(json_object_get(info2, "admin"));
	assert_non_null(json_object_get(info2, "chaincode"));
	json_decref(info2);
	assert_int_equal(rt_process_node_info(rt, &org, "nope", &info2,
	    &cause), -1);
	assert_non_null(strstr(cause, "nope"));
	free(cause);
	cause = NULL;
	runtime_free(rt);
	/* A new runtime on the same state dir keeps the ports. */
	rt = rt_process_new(bin, sd, "127.0.0.2", &cause);
	assert_non_null(rt);
	assert_int_equal(rt_process_node_info(rt, &org, "orderer0", &info2,
	    &cause), 0);
	assert_string_equal(json_string_value(json_object_get(info, "admin")),
	    json_string_value(json_object_get(info2, "admin")));
	assert_string_equal(json_string_value(json_object_get(info,
	    "operations")), json_string_value(json_object_get(info2,
	    "operations")));
	json_decref(info2);
	assert_int_equal(rt_process_node_info(rt, &org, "peer1", &info2,
	    &cause), 0);
	assert_string_equal(json_string_value(json_object_get(info2, "listen")),
	    "127.0.0.2:17151");
	json_decref(info2);
	/* A couchdb peer is refused with the reason, before anything runs. */
	json_object_set_new(json_array_get(json_object_get(json_array_get(
	    json_object_get(json_object_get(doc, "spec"), "orgs"), 0), "peers"),
	    1), "stateDatabase", json_string("couchdb"));
	assert_int_equal(runtime_ensure(rt, &org, "peer1", &cause), -1);
	assert_non_null(strstr(cause, "CouchDB"));
	free(cause);
	cause = NULL;
	assert_int_equal(runtime_remove(rt, &org, "../x", &cause), -1);
	free(cause);
	runtime_free(rt);
	json_decref(info);
	json_decref(doc);
	free(pki);
	free(sd);
	free(bin);
	nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	if (saved != NULL) {
		setenv("FABRIC_CFG_PATH", saved, 1);
		free(saved);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_fixture),
		cmocka_unit_test(test_conf_fabric_sample),
		cmocka_unit_test(test_sample_errors),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_runtime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
