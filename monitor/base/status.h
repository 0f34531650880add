/* status.h - the one status enum of rblmon.
 *
 * Numbers are explicit and never reused; a retired code stays as
 * RBL_OBSOLETE<n>.  rbl_strerror() is a switch without default so the
 * compiler flags a code without a message. */
#ifndef RBL_STATUS_H
#define RBL_STATUS_H

typedef enum {
  RBL_OK        = 0,
  RBL_ENOMEM    = 1,  /* out of memory */
  RBL_EIO       = 2,  /* a file or socket could not be read or written */
  RBL_ESYNTAX   = 3,  /* malformed input (YAML, address, number) */
  RBL_ECONFIG   = 4,  /* input well formed but wrong (unknown key, range) */
  RBL_EUSAGE    = 5,  /* bad command line */
  RBL_ETOOBIG   = 6,  /* a bounded buffer or count would be exceeded */
  RBL_ENOTFOUND = 7,  /* a named thing does not exist */
  RBL_EDNS      = 8,  /* resolver set-up or query failure */
  RBL_ETIMEOUT  = 9,  /* no answer in time */
  RBL_ECANCEL   = 10  /* work cancelled (deadline, shutdown) */
} rbl_status;

/* A static, human-readable description of st. */
const char *rbl_strerror(rbl_status st);

/* Process exit codes (Nagios plugin convention), used by every command. */
enum {
  RBL_EXIT_OK = 0,
  RBL_EXIT_WARNING = 1,
  RBL_EXIT_CRITICAL = 2,
  RBL_EXIT_UNKNOWN = 3
};

#endif
