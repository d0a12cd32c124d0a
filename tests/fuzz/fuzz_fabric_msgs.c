/*
 * fuzz_fabric_msgs.c: the parsers of what Fabric nodes and the agent send
 * back, on arbitrary bytes. The first byte (modulo 7) picks the parser,
 * the rest is its input:
 *
 *   0  ftx_proposal_response: a peer's ProposalResponse;
 *   1  ftx_block_last_config and ftx_block_channel on a block from an
 *      orderer (the input is unpacked as a Common__Block first, as
 *      fops_config_block and fops_join_chain do);
 *   2  signer_tx_check_join: the Proposal bytes of a JoinChain;
 *   3  signer_tx_check_read: a DELIVER_SEEK_INFO Payload, or the Proposal
 *      bytes of a GetChannels or GetChainInfo;
 *   4  signer_fabric_config_submit: the Payload of a CONFIG_UPDATE
 *      envelope;
 *   5  fops_deliver_parse: an orderer's DeliverResponse (the block it
 *      returns must be bytes inside the input);
 *   6  fops_field_bytes: our own protobuf wire reader, for field 2 (what
 *      it returns must lie inside the input).
 *
 * The signer's checks run as the signer below (Org1MSP, the certificate
 * embedded here) with the context {"topology": <a one-org consortium with
 * channel "trade">} (plus "channel" and an empty "orgs" for the submit
 * check, whose desired config then cannot be built: it never signs, so
 * everything up to fupd_desired is reached; fupd_check itself is fuzzed
 * by fuzz_config_update). The seeds carry this certificate as creator.
 *
 * BroadcastResponse, ChannelQueryResponse and BlockchainInfo are read by
 * protobuf-c's generated unpackers inside the gRPC calls of
 * lib/fabric_ops.c, not by code of ours, and are not fuzzed here.
 *
 * Findings: a crash, a leak or undefined behaviour; a failure without a
 * one-line printable cause, or a success with one; a result that breaks
 * its documented bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/common.pb-c.h"
#include "fabric_ops.h"
#include "fabric_tx.h"
#include "signer.h"
#include "signer_tx.h"
#include "topology.h"

#define FUZZ_MAX_CHANNEL	256	/* FTX_MAX_NAME in lib/fabric_tx.c */

enum fuzz_mode {
	FM_PROPOSAL_RESPONSE,
	FM_BLOCK,
	FM_JOIN,
	FM_READ,
	FM_SUBMIT,
	FM_DELIVER,
	FM_FIELD,
	FM_COUNT
};

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* EC P-256, self-signed, O=Org1MSP (openssl req -x509). */
static const char cert_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIB3DCCAYOgAwIBAgIUYv+J7Hrc/BAMPqhnJE+mkly3xxswCgYIKoZIzj0EAwIw\n"
    "QzEQMA4GA1UECgwHT3JnMU1TUDEOMAwGA1UECwwFYWRtaW4xHzAdBgNVBAMMFkFk\n"
    "bWluQG9yZzEuZXhhbXBsZS5jb20wIBcNMjYxMTIzMTYxMTE2WhgPMjEyNjEwMzAx\n"
    "NjExMTZaMEMxEDAOBgNVBAoMB09yZzFNU1AxDjAMBgNVBAsMBWFkbWluMR8wHQYD\n"
    "VQQDDBZBZG1pbkBvcmcxLmV4YW1wbGUuY29tMFkwEwYHKoZIzj0CAQYIKoZIzj0D\n"
    "AQcDQgAEggQq6jBacDOOmyFdcf9xIjLBUvRtXk68tdw8jHp3QbGFxGkb6ubQmu/N\n"
    "hGlzit17fVXDUJTMbGM1nryWWMDnHKNTMFEwHQYDVR0OBBYEFIcAGZWxsvomBU1I\n"
    "YEhUMzuIiRqJMB8GA1UdIwQYMBaAFIcAGZWxsvomBU1IYEhUMzuIiRqJMA8GA1Ud\n"
    "EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgXB7pU5nyKqfkIqBYuRXo788P\n"
    "n5gkQiX/MT2GmJy0P0cCIHka3pRzPLRMuEL5De9I/f4RBR+iMDAQ/Zz/2/onvxjB\n"
    "-----END CERTIFICATE-----\n";

static const char topo_json[] =
    "{\"apiVersion\":\"fabfed.io/v1alpha1\",\"kind\":\"Consortium\","
    "\"metadata\":{\"name\":\"fuzz\"},\"spec\":{\"orgs\":["
    "{\"mspId\":\"Org1MSP\",\"domain\":\"org1.example.com\","
    "\"cluster\":{\"name\":\"c1\",\"region\":\"r1\"},"
    "\"peers\":[{\"name\":\"peer0\",\"endpoint\":\"peer0.org1.example.com:7051\","
    "\"anchor\":true}],\"orderers\":[{\"name\":\"orderer0\","
    "\"endpoint\":\"orderer0.org1.example.com:7050\"}]}],"
    "\"channels\":[{\"name\":\"trade\",\"consenters\":[\"Org1MSP/orderer0\"],"
    "\"members\":[\"Org1MSP\"]}]}}";

static json_t *tx_ctx;       /* {"topology"} */
static json_t *submit_ctx;   /* {"channel", "topology", "orgs"} */

static void
init(void)
{
	struct topo_diags d;
	json_t *topo;
	char *cause = NULL;

	topo_diags_init(&d);
	topo = topology_load(topo_json, sizeof(topo_json) - 1, &d);
	topo_diags_free(&d);
	if (topo == NULL)
		abort();
	tx_ctx = json_pack("{s:O}", "topology", topo);
	submit_ctx = json_pack("{s:s, s:o, s:{}}", "channel", "trade",
	    "topology", topo, "orgs");
	if (tx_ctx == NULL || submit_ctx == NULL)
		abort();
	if (signer_tx_set_identity("Org1MSP", cert_pem, &cause) != 0 ||
	    signer_fabric_init("Org1MSP", cert_pem) != 0)
		abort();
}

/* Text of at most max bytes without control bytes. */
static void
check_text(const char *s, size_t max)
{
	size_t i;

	if (s == NULL)
		abort();
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || i >= max)
			abort();
}

/* A cause is a one-line sentence that travels as JSON (valid UTF-8). */
static void
check_cause(const char *cause)
{
	json_t *j;

	if (cause == NULL || *cause == '\0')
		abort();
	check_text(cause, 4096);
	if ((j = json_string(cause)) == NULL)
		abort();
	json_decref(j);
}

/* r is 0 without a cause, or -1 with one; frees the cause. */
static void
check_result(int r, char *cause)
{
	if (r == 0) {
		if (cause != NULL)
			abort();
	} else if (r == -1)
		check_cause(cause);
	else
		abort();
	free(cause);
}

static void
fuzz_proposal_response(const uint8_t *data, size_t size)
{
	struct ftx_response r;
	char *cause = NULL;
	int ret;

	ret = ftx_proposal_response(data, size, &r, &cause);
	if (ret == 0) {
		check_text(r.message, FTX_MAX_MESSAGE);
		if ((r.payload == NULL) != (r.payload_len == 0) ||
		    r.payload_len > size)
			abort();
	} else if (r.message != NULL || r.payload != NULL)
		abort();
	check_result(ret, cause);
	ftx_response_clear(&r);
	if (r.message != NULL || r.payload != NULL || r.payload_len != 0)
		abort();
}

static void
fuzz_block(const uint8_t *data, size_t size)
{
	static char unset[] = "unset";
	Common__Block *b;
	uint64_t idx;
	char *cause = NULL, *channel = unset;
	int ret, type;

	if ((b = common__block__unpack(NULL, size, data)) == NULL)
		return;
	ret = ftx_block_last_config(b, &idx, &cause);
	check_result(ret, cause);

	cause = NULL;
	ret = ftx_block_channel(b, &channel, &type, &cause);
	if (ret == 0) {
		if (*channel == '\0')
			abort();
		check_text(channel, FUZZ_MAX_CHANNEL);
	} else if (channel != NULL)
		abort();
	check_result(ret, cause);
	free(channel);
	common__block__free_unpacked(b, NULL);
}

static void
fuzz_deliver(const uint8_t *data, size_t size)
{
	uint8_t *block = NULL;
	size_t blen = 0;
	uint64_t number;
	char *cause = NULL;
	int status, ret;

	ret = fops_deliver_parse(data, size, &status, &block, &blen, &number,
	    &cause);
	if (ret == 0 && (block == NULL || blen > size || cause != NULL))
		abort();
	if (ret != 0 && block != NULL)
		abort();
	if (ret == -1)
		check_result(-1, cause);
	else
		free(cause);
	free(block);
}

static void
fuzz_field(const uint8_t *data, size_t size)
{
	const uint8_t *out = NULL;
	size_t olen = 0;
	int ret;

	ret = fops_field_bytes(data, size, 2, &out, &olen);
	if (ret < -1 || ret > 1)
		abort();
	if (ret == 1 && (out < data || olen > size ||
	    (size_t)(out - data) > size - olen))
		abort();
}

static void
fuzz_check(signer_check_fn check, const json_t *ctx, const uint8_t *data,
    size_t size, int may_sign)
{
	char *reason = NULL;
	int ret;

	ret = check(ctx, data, size, &reason);
	if (ret == 0 && !may_sign)
		abort();
	check_result(ret, reason);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (tx_ctx == NULL)
		init();
	if (size == 0)
		return 0;
	switch (data[0] % FM_COUNT) {
	case FM_PROPOSAL_RESPONSE:
		fuzz_proposal_response(data + 1, size - 1);
		break;
	case FM_BLOCK:
		fuzz_block(data + 1, size - 1);
		break;
	case FM_JOIN:
		fuzz_check(signer_tx_check_join, tx_ctx, data + 1, size - 1, 1);
		break;
	case FM_READ:
		fuzz_check(signer_tx_check_read, tx_ctx, data + 1, size - 1, 1);
		break;
	case FM_SUBMIT:
		/* "orgs" is empty: the desired config cannot be built. */
		fuzz_check(signer_fabric_config_submit, submit_ctx, data + 1,
		    size - 1, 0);
		break;
	case FM_DELIVER:
		fuzz_deliver(data + 1, size - 1);
		break;
	case FM_FIELD:
		fuzz_field(data + 1, size - 1);
		break;
	}
	return 0;
}
