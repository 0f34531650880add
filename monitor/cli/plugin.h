/* plugin.h - the Nagios plugin contract for --format nagios: whatever
 * happens (bad usage, a bad configuration, a locked state, a failure
 * before the check could report), exactly one status line reaches stdout,
 * "RBLMON UNKNOWN - <reason>", and the exit code is the state.  The
 * details stay on stderr.
 *
 * Errors are said in many places (the configuration, the catalog, the
 * state, the cycle), each on stderr as "rblmon: what is wrong".  Rather
 * than route every one of them through a new function, main wraps stdout
 * and stderr once, when the command line asks for the Nagios format:
 * stderr is written through as it is and its first message is kept as the
 * reason; stdout is written through and counted.  At the end, a run that
 * printed nothing on stdout gets its status line from the reason.  See
 * the Nagios Plugins Development Guidelines, "Plugin Output for Nagios"
 * (https://www.monitoring-plugins.org/doc/guidelines.html). */
#ifndef RBL_PLUGIN_H
#define RBL_PLUGIN_H

#include <stdbool.h>

/* Whether argv asks for --format nagios (--format nagios or
 * --format=nagios before a "--"), known before the options are parsed so
 * that a bad option is answered as a plugin too. */
bool plugin_wanted(int argc, char *const *argv);
/* Wraps stdout and stderr as above; false (nothing changed) when the
 * streams cannot be made. */
bool plugin_begin(void);
/* The command does not print in the Nagios format (spf, history...):
 * plugin_end() adds no status line to what it says. */
void plugin_not_ours(void);
/* Flushes stdout and, when nothing was written to it, prints the status
 * line of rc with the first message of stderr; returns rc. */
int plugin_end(int rc);

#endif
