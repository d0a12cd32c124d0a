/*
 * kubeconfig.h: the credentials the kubernetes runtime talks to an API
 * server with, from a kubeconfig file (its current-context) or from the
 * pod's service account (in-cluster). TLS verification is never turned
 * off: a kubeconfig asking for insecure-skip-tls-verify is refused.
 *
 * Supported kubeconfig fields: clusters[].cluster.{server,
 * certificate-authority, certificate-authority-data}; users[].user.{token,
 * tokenFile, client-certificate(-data), client-key(-data)}; contexts[].
 * context.{cluster, user, namespace}; current-context. Credential plugins
 * (exec, auth-provider), basic auth and proxies are refused with a reason.
 * Relative file names are relative to the kubeconfig's directory, as
 * kubectl reads them.
 */
#ifndef FABFED_KUBECONFIG_H
#define FABFED_KUBECONFIG_H

#include <stddef.h>

#define KUBECONFIG_MAX_BYTES  (1024 * 1024) /* a kubeconfig, CA or cert file */
#define KUBECONFIG_MAX_TOKEN  (16 * 1024)   /* a bearer token */
#define KUBECONFIG_MAX_DEPTH  16            /* YAML nesting */
#define KUBECONFIG_SA_DIR     "/var/run/secrets/kubernetes.io/serviceaccount"
#define KUBECONFIG_SA_ENV     "FABFED_K8S_SA_DIR" /* overrides the above */

/* Everything owned; kubeconfig_free wipes the key and the token. */
struct kubeconfig {
	char *server;      /* "https://host:port[/prefix]", no trailing '/' */
	char *ca_file;     /* set by parse; read into ca_pem by read_files */
	char *ca_pem;      /* PEM; NULL: none given (the system's roots) */
	size_t ca_len;
	char *cert_file;   /* client certificate file, or NULL */
	char *cert_pem;    /* client certificate PEM, or NULL */
	size_t cert_len;
	char *key_file;    /* its key file, or NULL */
	char *key_pem;     /* its key PEM (secret), or NULL */
	size_t key_len;
	char *token;       /* bearer token (secret), or NULL */
	char *token_file;  /* re-read by kubeconfig_refresh_token, or NULL */
	char *namespace;   /* the context's or service account's, or NULL */
	char *origin;      /* for messages: where these credentials came from */
};

void kubeconfig_init(struct kubeconfig *);
/* Wipes the secrets and frees everything; the struct is then as _init
 * left it. */
void kubeconfig_free(struct kubeconfig *);

/*
 * Parses a kubeconfig document (YAML or JSON) into kc: the current
 * context's server, and inline data or file names (relative ones joined
 * to basedir; NULL basedir: relative names are refused). Reads no file.
 * Returns 0, or -1 with *cause (caller frees; kc is then empty). Never
 * puts a secret in *cause.
 */
int kubeconfig_parse(const char *data, size_t len, const char *basedir,
    const char *origin, struct kubeconfig *kc, char **cause);

/* Reads the files parse named (CA, client cert and key, token file),
 * each at most KUBECONFIG_MAX_BYTES, and checks that a client cert comes
 * with its key. Returns 0 or -1 with *cause. */
int kubeconfig_read_files(struct kubeconfig *, char **cause);

/* kubeconfig_parse of the file at path, then kubeconfig_read_files. */
int kubeconfig_load(const char *path, struct kubeconfig *, char **cause);

/*
 * In-cluster credentials: server https://$KUBERNETES_SERVICE_HOST:
 * $KUBERNETES_SERVICE_PORT, CA sadir/ca.crt, token sadir/token (re-read
 * by kubeconfig_refresh_token: kubelet rotates it), namespace
 * sadir/namespace when present. sadir NULL: $FABFED_K8S_SA_DIR, else
 * KUBECONFIG_SA_DIR. Returns 0 or -1 with *cause.
 */
int kubeconfig_in_cluster(const char *sadir, struct kubeconfig *,
    char **cause);

/* Re-reads token_file into token when there is one (a no-op otherwise).
 * Returns 0 or -1 with *cause (the old token is then kept). */
int kubeconfig_refresh_token(struct kubeconfig *, char **cause);

#endif
