/*
 * msp.h: an org's PKI in Fabric's MSP layout, made inside the org with
 * OpenSSL: an ECDSA P-256 root CA and TLS CA, and for each peer, orderer,
 * admin and client a signing identity (NodeOU in the subject's OU) and a
 * TLS certificate. The layout and file names are cryptogen's (Fabric 2.5):
 *
 *   DIR/ca/{ca.DOMAIN-cert.pem,priv_sk}
 *   DIR/tlsca/{tlsca.DOMAIN-cert.pem,priv_sk}
 *   DIR/msp/{cacerts/ca.DOMAIN-cert.pem,tlscacerts/tlsca.DOMAIN-cert.pem,
 *       config.yaml}
 *   DIR/peers/NAME.DOMAIN/msp/{cacerts,signcerts,keystore,tlscacerts,
 *       config.yaml}, tls/{ca.crt,server.crt,server.key}
 *   DIR/orderers/NAME.DOMAIN/...            (same as a peer)
 *   DIR/users/NAME@DOMAIN/...               (tls/client.{crt,key})
 *
 * Keys are made once (exclusive create, mode 0600, in 0700 directories)
 * and never replaced: a re-run changes no file, a lost certificate is
 * issued again for the key that is there, a node added later gets a new
 * identity from the same CAs. Nothing here is safe against two processes
 * working on the same DIR at once; the agent is the only writer.
 */
#ifndef FABFED_MSP_H
#define FABFED_MSP_H

#include <jansson.h>

#define MSP_MAX_HOSTS     64   /* TLS SANs asked for one node */
#define MSP_MAX_NODES     1024 /* orderers read by msp_public */
#define MSP_CA_DAYS       3650 /* as cryptogen */
#define MSP_LEAF_DAYS     3650
#define MSP_RENEW_DAYS    30   /* a leaf this close to its end is re-issued */

enum msp_role { MSP_ROLE_PEER, MSP_ROLE_ORDERER, MSP_ROLE_ADMIN, MSP_ROLE_CLIENT };

/* What an ensure call changed: a bit set, 0 when nothing was written. */
enum msp_change {
	MSP_UNCHANGED = 0,
	MSP_CREATED = 1 << 0,   /* a new key (a new identity or a new CA) */
	MSP_REISSUED = 1 << 1,  /* a certificate issued again for a kept key */
	MSP_UPDATED = 1 << 2,   /* a derived file (CA copy, config.yaml) rewritten */
};

/* One org. Strings borrowed. */
struct msp_org {
	const char *dir;     /* the org's PKI root; made 0700 if missing (its parent must exist) */
	const char *mspid;   /* e.g. "Org1MSP" */
	const char *domain;  /* e.g. "org1.example.com" */
};

/* One identity. Strings borrowed. */
struct msp_node {
	const char *name;          /* "peer0", "orderer0", "Admin", "User1" */
	enum msp_role role;        /* peers and orderers are PEER/ORDERER; users ADMIN/CLIENT */
	const char *const *hosts;  /* NULL-terminated, may be NULL: DNS names or
				    * IP addresses for the TLS SANs (external host,
				    * in-cluster names); peers and orderers also get
				    * NAME.DOMAIN and NAME */
};

/*
 * The org's CAs and org-level MSP under org->dir, and its Admin@DOMAIN
 * (OU admin) and User1@DOMAIN (OU client) identities. Keeps whatever is
 * there. *changes (may be NULL) gets the enum msp_change bits. A CA
 * certificate that does not belong to its key, a certificate whose key is
 * gone or a DIR made for another domain is an error (-1, *cause set,
 * caller frees); nothing is regenerated behind the operator's back.
 */
int msp_org_ensure(const struct msp_org *, unsigned *changes, char **cause);

/*
 * One node's msp/ and tls/ (the org's CAs must exist). A node whose TLS
 * certificate lacks a host now asked for, or whose certificate ends within
 * MSP_RENEW_DAYS, gets a new certificate for the SAME key (MSP_REISSUED,
 * and logged); an orderer's TLS certificate that changes must reach the
 * channels' consenter entries. Returns 0 or -1 with *cause (caller frees).
 */
int msp_node_ensure(const struct msp_org *, const struct msp_node *,
    unsigned *changes, char **cause);

/* The node's directory, e.g. DIR/peers/peer0.DOMAIN. Caller frees. */
char *msp_node_dir(const struct msp_org *, const struct msp_node *);

/*
 * The org's public material, for the controller:
 *   {"mspId", "rootCerts":[PEM], "tlsRootCerts":[PEM],
 *    "adminCerts":[PEM of Admin@DOMAIN's signcert],
 *    "nodeOUs":{"enable":true, "clientOUIdentifier":{"certificate":PEM,
 *        "organizationalUnitIdentifier":"client"}, "peerOUIdentifier",
 *        "adminOUIdentifier", "ordererOUIdentifier"},
 *    "orderers":{"NAME":{"tlsCert":PEM}}}
 * Only certificates, each checked against its CA; never a key. Caller
 * decrefs. NULL + *cause on failure.
 */
json_t *msp_public(const struct msp_org *, char **cause);

const char *msp_role_ou(enum msp_role);

#endif
