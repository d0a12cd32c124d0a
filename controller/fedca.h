/*
 * fedca.h: the federation CA and the controller's own identities in the
 * state directory:
 *   ca.crt ca.key          federation CA (ECDSA P-256), made once, never replaced
 *   server.crt server.key  the controller's TLS server identity
 *   admin.crt admin.key    the first admin client identity (URI fabfed://admin)
 *   admin.conf             what fabfedctl --config reads
 */
#ifndef FABFED_FEDCA_H
#define FABFED_FEDCA_H

#define FEDCA_ADMIN_URI "fabfed://admin"

/*
 * Creates whatever of the above is missing in dir (made 0700 if absent).
 * An existing CA is kept, never overwritten; *created says whether a new CA
 * was made. sans: extra DNS names or IPs for the server certificate,
 * comma-separated, may be NULL. url: the controller URL for admin.conf.
 */
int fedca_init(const char *dir, const char *url, const char *sans, int *created,
    char **cause);

/* Rewrites admin.conf's "controller" if admin.conf exists. */
int fedca_set_url(const char *dir, const char *url, char **cause);

#endif
