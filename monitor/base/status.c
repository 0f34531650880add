#include "status.h"

const char *
rbl_strerror(rbl_status st)
{
  switch (st) {
  case RBL_OK:        return "success";
  case RBL_ENOMEM:    return "out of memory";
  case RBL_EIO:       return "input/output error";
  case RBL_ESYNTAX:   return "syntax error";
  case RBL_ECONFIG:   return "invalid configuration";
  case RBL_EUSAGE:    return "invalid usage";
  case RBL_ETOOBIG:   return "too large";
  case RBL_ENOTFOUND: return "not found";
  case RBL_EDNS:      return "DNS failure";
  case RBL_ETIMEOUT:  return "timed out";
  case RBL_ECANCEL:   return "cancelled";
  }
  return "unknown status";
}
