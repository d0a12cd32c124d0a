/*
 * fabric_decode_int.h: what fabric_decode.c (messages to JSON, the path
 * and error of a decode) and fabric_decode_wire.c (the wire-format check
 * and unpacking) share; not for other modules (they use fabric_decode.h).
 */
#ifndef FABFED_FABRIC_DECODE_INT_H
#define FABFED_FABRIC_DECODE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#define FDEC_WHY_MAX	160

struct fdec {
	char *path;		/* "block.data.data[0]...", NUL-terminated */
	size_t plen, pcap;
	size_t nodes;		/* JSON values made so far */
	char *cause;		/* the first failure */
	char why[FDEC_WHY_MAX];	/* fdec_scan's reason */
};

/* Appends s[0..n) to d's path. */
void fdec_path_add(struct fdec *d, const char *s, size_t n);

/* Appends ".name" to d's path; returns the mark fdec_pop goes back to. */
size_t fdec_push_field(struct fdec *d, const char *name);

/* Cuts d's path back to mark. */
void fdec_pop(struct fdec *d, size_t mark);

/* Records "PATH: message" unless a failure is recorded already. */
void fdec_fail(struct fdec *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears d and starts its path at root. */
void fdec_init(struct fdec *d, const char *root);

/* Hands d's cause to *cause (a sentence) and frees d. */
void fdec_done(struct fdec *d, char **cause);

/* p[0..len) checked and unpacked as desc at depth, or NULL and d->cause. */
ProtobufCMessage *fdec_unpack(struct fdec *d,
    const ProtobufCMessageDescriptor *desc, const uint8_t *p, size_t len,
    int depth);

#endif
