/*
 * participation.h: a client of the orderer's channel participation API
 * (Fabric 2.3+, /participation/v1/channels on the orderer's admin
 * endpoint) over mutual TLS: list channels, join one with its config
 * block, remove one. For the agent, against its own org's orderers.
 *
 * Calls are synchronous (a blocking libcurl easy handle bounded by
 * timeout_ms). An asynchronous version keeps these types and takes a
 * callback in place of the out-parameters.
 */
#ifndef FABFED_PARTICIPATION_H
#define FABFED_PARTICIPATION_H

#include <stddef.h>
#include <stdint.h>

/* The largest config block sent (Fabric's server reads 100 MiB forms). */
#define PART_MAX_BLOCK		(100UL * 1024 * 1024)
/* The largest answer read. */
#define PART_MAX_ANSWER		(4UL * 1024 * 1024)

/* The orderer's admin endpoint. Strings are borrowed for each call. */
struct part_target {
	const char *host;         /* name or IP; the server cert must match it */
	unsigned int port;
	const char *ca_file;      /* the org's TLS CA (PEM file) */
	const char *cert_file;    /* client TLS certificate (PEM), may be NULL */
	const char *key_file;     /* its key (PEM), may be NULL */
};

/* A channel as the orderer reports it. Strings may be "" (not given). */
struct part_channel {
	char *name;
	char *url;                /* "/participation/v1/channels/NAME" */
	char *consensus_relation; /* "consenter", "follower", "config-tracker" */
	char *status;             /* "active", "onboarding", "inactive", "failed" */
	uint64_t height;          /* blocks in the orderer's ledger */
	int has_height;           /* 1 when the answer had one (not in a list) */
};

enum part_join_result {
	PART_JOINED,              /* 201: the orderer joined the channel now */
	PART_ALREADY_JOINED       /* 405 "channel already exists": it had */
};

enum part_remove_result {
	PART_REMOVED,             /* 204 */
	PART_ABSENT               /* 404: there was no such channel */
};

/* 1 when name is a valid Fabric channel name ([a-z][a-z0-9.-]*, < 250). */
int part_channel_name_ok(const char *name);

/*
 * Lists the orderer's channels: *chans (caller frees with
 * part_channels_free) and *n. Entries of a list carry name and url only.
 * Returns 0, or -1 and *cause (caller frees).
 */
int part_list(const struct part_target *, struct part_channel **chans,
    size_t *n, long timeout_ms, char **cause);

/*
 * One channel's details into *out (caller clears with part_channel_clear).
 * *found is 0 (and out empty) when the orderer has no such channel.
 */
int part_get(const struct part_target *, const char *channel,
    struct part_channel *out, int *found, long timeout_ms, char **cause);

/*
 * Joins the channel whose config block (marshalled common.Block) is
 * block/len. A channel already joined is a success (PART_ALREADY_JOINED),
 * so a join can be re-run. info (may be NULL) gets the orderer's answer
 * for a fresh join (caller clears it). Returns 0, or -1 and *cause.
 */
int part_join(const struct part_target *, const void *block, size_t len,
    enum part_join_result *, struct part_channel *info, long timeout_ms,
    char **cause);

/* Removes the channel; an absent channel is a success (PART_ABSENT). */
int part_remove(const struct part_target *, const char *channel,
    enum part_remove_result *, long timeout_ms, char **cause);

/* Frees the strings; the struct is zeroed. NULL: no-op. */
void part_channel_clear(struct part_channel *);
/* Frees an array from part_list. NULL: no-op. */
void part_channels_free(struct part_channel *, size_t n);

#endif
