/*
 * fabric_update_int.h: what fabric_update.c (computing, decoding and
 * checking config updates) and fabric_update_sig.c (signatures, envelopes,
 * fupd_open) share; not for other modules (they use fabric_update.h).
 */
#ifndef FABFED_FABRIC_UPDATE_INT_H
#define FABFED_FABRIC_UPDATE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* The packed bytes of M. Caller frees. */
uint8_t	*fupd_msg(const ProtobufCMessage *m, size_t *len);

/* fupd_safe: see fabric_update.h. */

#endif /* FABFED_FABRIC_UPDATE_INT_H */
