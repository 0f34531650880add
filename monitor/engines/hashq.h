/* hashq.h - query names for hash lists: an e-mail address is asked as the
 * hash of its normalized form, one label, before the list's zone
 * (Spamhaus HBL, MSBL EBL, SURBL hashbl; lists/msbl.yaml and others). */
#ifndef RBL_HASHQ_H
#define RBL_HASHQ_H

#include <stddef.h>
#include "catalog.h"
#include "status.h"

/* The longest label a hash gives: SHA-256 in base32 (52). */
#define HASHQ_LABEL_MAX 64

/* The address as the lists hash it: lower-cased (rspamd's selectors
 * .lower, SpamAssassin HashBL's default); nothing else is changed (no
 * +tag or Gmail dot folding: rblmon watches the address as given).
 * RBL_ETOOBIG when it does not fit out (room for size bytes). */
rbl_status hashq_normalize(const char *address, char *out, size_t size);

/* The label for address: the digest of its normalized form with fn,
 * written in enc (hex: lower case; base32: RFC 4648 alphabet, upper case,
 * no padding).  RBL_ECONFIG for LIST_HASH_NONE or a digest longer than a
 * DNS label (sha256 in hex); RBL_ETOOBIG when out (size bytes) is too
 * small. */
rbl_status hashq_label(const char *address, enum list_hash fn,
                       enum list_hash_enc enc, char *out, size_t size);

/* The query name: hashq_label() + "." + zone into buf (size bytes).
 * RBL_ETOOBIG when it would not fit a DNS name (253) or buf. */
rbl_status hashq_qname(const char *address, enum list_hash fn,
                       enum list_hash_enc enc, const char *zone, char *buf,
                       size_t size);

#endif
