/* clock.h - the one wall clock of rblmon (epoch seconds): what the state
 * records and every report shows.  Tests set it: $RBLMON_NOW for a
 * process, clock_set() for a simulated run. */
#ifndef RBL_CLOCK_H
#define RBL_CLOCK_H

#include <stdint.h>

/* The set time, else $RBLMON_NOW, else time(2). */
int64_t clock_now(void);
/* From now on clock_now() answers t (rblmon run's simulation). */
void clock_set(int64_t t);

#endif
