/* main.c - the command table, common options, and the set-up every
 * command shares. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "dns.h"
#include "i18n.h"
#include "plugin.h"
#include "report.h"
#include "store.h"

#ifndef RBLMON_VERSION
#define RBLMON_VERSION "0.0.0"
#endif

/* Options a command takes beyond the common ones. */
enum {
  OPT_ALL = 1 << 0, OPT_PROBE = 1 << 1, OPT_CHANGES = 1 << 2,
  OPT_NOSTATE = 1 << 3, OPT_OUTPUT = 1 << 4, OPT_SINCE = 1 << 5,
  OPT_NOTE = 1 << 6, OPT_TEST = 1 << 7, OPT_HELO = 1 << 8,
  OPT_SENDER = 1 << 9, OPT_TIMEOUT = 1 << 10, OPT_CONSUMER = 1 << 11
};

static const struct {
  unsigned bit;
  const char *name;
} option_names[] = {
  {OPT_ALL, "all"}, {OPT_PROBE, "probe"}, {OPT_CHANGES, "changes-only"},
  {OPT_NOSTATE, "no-state"}, {OPT_OUTPUT, "output"}, {OPT_SINCE, "since"},
  {OPT_NOTE, "note"}, {OPT_TEST, "test"}, {OPT_HELO, "helo"},
  {OPT_SENDER, "sender"}, {OPT_TIMEOUT, "timeout"},
  {OPT_CONSUMER, "consumer"},
};

/* One command (tmux's cmd_entry): its help, the options it accepts, the
 * formats it prints in and how many arguments it takes, all checked here
 * before the command runs. */
struct command {
  const char *name;
  const char *usage;
  const char *summary;
  const char *options;   /* option help lines for "CMD --help" */
  unsigned accepts;      /* OPT_* */
  unsigned formats;      /* REPORT_*; 0: --format is not read */
  const char *bad_format; /* NULL: "unknown format 'FMT' (one of ...)" */
  int min_args, max_args; /* positional arguments; max -1: any number */
  const char *bad_args;  /* said when their number is wrong (and when one
                            does not parse: cli.misuse) */
  int (*fn)(struct cli *c);
};

#define F_TJ (REPORT_TEXT | REPORT_JSON)
#define F_ALL (F_TJ | REPORT_NAGIOS | REPORT_PROMETHEUS)

static const char common_options[] =
  "  -c, --config FILE    configuration file (default: $RBLMON_CONFIG,\n"
  "                       ~/.config/rblmon/rblmon.yaml, /etc/rblmon/rblmon.yaml)\n"
  "      --format FMT     output format: text, json, nagios, prometheus\n"
  "  -h, --help           show this help\n"
  "  -V, --version        show the version\n";

static const struct command commands[] = {
  {"check", "check [--format FMT] [--all] [--changes-only [--consumer "
   "NAME]]\n"
   "                    [--no-state] [--output FILE] [--timeout SECONDS]\n"
   "                    [TARGET...]",
   "query the lists, record the results in the state, report",
   "  -a, --all            text: show clean results too\n"
   "      --changes-only   print only the changes not printed yet, whichever "
   "check\n"
   "                       found them (nothing when there are none); the exit\n"
   "                       code still tells the state\n"
   "      --consumer NAME  with --changes-only: who reads them; each NAME "
   "gets\n"
   "                       every change once (default: 'default', for cron)\n"
   "      --no-state       read and write no state: a one-off check\n"
   "  -o, --output FILE    write the report to FILE atomically (for the\n"
   "                       node_exporter textfile collector)\n"
   "  -t, --timeout SECONDS\n"
   "                       finish and report within SECONDS (a Nagios "
   "plugin's\n"
   "                       timeout): what is unanswered by then is not "
   "checked\n",
   OPT_ALL | OPT_CHANGES | OPT_NOSTATE | OPT_OUTPUT | OPT_TIMEOUT |
   OPT_CONSUMER, F_ALL,
   NULL, 0, -1,
   NULL, cmd_check},
  {"scan-logs", "scan-logs [--format text|json] [--since DURATION] "
   "[--no-state] [FILE...]",
   "find and classify rejections of outgoing mail in the mail logs",
   "      --since DURATION read the rotated logs too, keep what is newer\n"
   "      --no-state       store nothing and use no cursor\n",
   OPT_SINCE | OPT_NOSTATE, F_TJ,
   "rblmon: scan-logs: format must be text or json\n", 0, -1, NULL,
   cmd_scanlogs},
  {"status", "status [--format text|json|nagios|prometheus]",
   "current listings and list health, from the state (no queries)",
   "  (also the rejections no listing explains, and the receivers' problems:\n"
   "  a cited list that a healthy check found us clean on, a receiver whose\n"
   "  own list query fails; those never change the exit code; a last check\n"
   "  older than twice schedule.dnsbl (default 1h) is stale: WARNING)\n", 0,
   F_ALL, "rblmon: format must be text, json, nagios or prometheus\n", 0, 0,
   "rblmon: status takes no arguments\n", cmd_status},
  {"history", "history [--format text|json] [TARGET]",
   "listing episodes over time, newest first", "", 0, F_TJ,
   "rblmon: format must be text, json\n", 0, 1,
   "rblmon: usage: rblmon history [TARGET]\n", cmd_history},
  {"remind", "remind [--format text|json]",
   "print the delisting reminders that are due, and mark them sent", "", 0,
   F_TJ, "rblmon: usage: rblmon remind [--format text|json]\n", 0, 0,
   "rblmon: usage: rblmon remind [--format text|json]\n", cmd_remind},
  {"ack", "ack ID [--note TEXT]",
   "record that removal was requested for reminder ID",
   "      --note TEXT      what was done (a ticket number, a form)\n",
   OPT_NOTE, 0, NULL, 1, 1, "rblmon: usage: rblmon ack ID [--note TEXT] "
   "(ID from rblmon remind or status)\n", cmd_ack},
  {"snooze", "snooze ID DURATION",
   "postpone reminder ID (DURATION such as 12h or 3d)", "", 0, 0, NULL, 2,
   2, "rblmon: usage: rblmon snooze ID DURATION (such as 12h or 3d)\n",
   cmd_snooze},
  {"notify", "notify --test",
   "send a test event to every configured notification channel",
   "      --test           send the test event and report each channel\n",
   OPT_TEST, 0, NULL, 0, 0, "rblmon: usage: rblmon notify --test\n",
   cmd_notify},
  {"run", "run",
   "the long-running scheduler: checks, scans and reminders on schedule",
   "  (intervals and jitter: schedule: in the configuration; SIGHUP "
   "reloads it,\n"
   "  SIGTERM stops after committing what is in flight)\n", 0, 0, NULL, 0,
   0, "rblmon: run takes no arguments; see rblmon run --help\n", cmd_run},
  {"config", "config check",
   "validate the configuration and the catalog", "", 0, 0, NULL, 1, 1,
   "rblmon: usage: rblmon [-c FILE] config check\n", cmd_config},
  {"lists", "lists [--format text|json] [--all] [--probe]",
   "the catalog; --probe tests each selected list's health",
   "  -a, --all            every catalog entry, with why it is not used\n"
   "      --probe          query each selected list's test points and show "
   "its health\n", OPT_ALL | OPT_PROBE, F_TJ,
   "rblmon: lists: format must be text or json\n", 0, 0,
   "rblmon: lists takes no arguments; see rblmon lists --help\n",
   cmd_lists},
  {"spf", "spf [--format text|json] [--helo NAME] [--sender ADDRESS] IP "
   "DOMAIN",
   "evaluate SPF for IP and DOMAIN as a receiver would, and show why",
   "      --helo NAME      the HELO/EHLO name (default: DOMAIN)\n"
   "      --sender ADDRESS the MAIL FROM address (default: postmaster@DOMAIN;\n"
   "                       '' for the null sender <>: the HELO identity)\n"
   "  (exit code: 0 pass; 1 neutral, none, softfail; 2 fail, permerror;\n"
   "  3 temperror or bad usage)\n", OPT_HELO | OPT_SENDER, F_TJ,
   "rblmon: spf: format must be text or json\n", 2, 2,
   "rblmon: usage: rblmon spf [--helo NAME] [--sender ADDRESS] IP DOMAIN\n",
   cmd_spf},
};

static void
usage(FILE *f)
{
  fprintf(f, "Usage: rblmon [OPTIONS] COMMAND [ARGS]\n\n"
             "Watch your mail IPs and domains on DNS blocklists.\n\n"
             "Commands:\n");
  for (size_t i = 0; i < UTIL_ARRAY_LEN(commands); i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nOptions:\n%s\n"
             "Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (including "
             "bad usage\nand bad configuration).\n"
             "Run 'rblmon COMMAND --help' for a command; man rblmon(1), "
             "rblmon.yaml(5).\n", common_options);
}

static void
command_usage(const struct command *cmd)
{
  printf("Usage: rblmon %s\n\nrblmon %s: %s.\n\nOptions:\n%s%s", cmd->usage,
         cmd->name, cmd->summary, cmd->options, common_options);
}

static const struct command *
find_command(const char *name)
{
  for (size_t i = 0; i < UTIL_ARRAY_LEN(commands); i++)
    if (strcmp(commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

static const struct option long_options[] = {
  {"config", required_argument, NULL, 'c'},
  {"format", required_argument, NULL, 'f'},
  {"all", no_argument, NULL, 'a'},
  {"probe", no_argument, NULL, 'p'},
  {"changes-only", no_argument, NULL, 'C'},
  {"no-state", no_argument, NULL, 'N'},
  {"output", required_argument, NULL, 'o'},
  {"since", required_argument, NULL, 'S'},
  {"note", required_argument, NULL, 'n'},
  {"test", no_argument, NULL, 'T'},
  {"helo", required_argument, NULL, 'H'},
  {"sender", required_argument, NULL, 's'},
  {"timeout", required_argument, NULL, 't'},
  {"consumer", required_argument, NULL, 'R'},
  {"help", no_argument, NULL, 'h'},
  {"version", no_argument, NULL, 'V'},
  {NULL, 0, NULL, 0},
};

/* The format and the number of arguments, as the table says; the
 * reporter into c->rep.  Says what is wrong and returns false. */
static bool
command_accepts(const struct command *cmd, struct cli *c)
{
  c->misuse = cmd->bad_args;
  if (cmd->formats != 0) {
    const char *name = c->format ? c->format : "text";
    c->rep = report_find(name);
    if (c->rep == NULL || !(report_bit(c->rep) & cmd->formats)) {
      if (cmd->bad_format != NULL)
        fputs(cmd->bad_format, stderr);
      else
        fprintf(stderr, "rblmon: unknown format '%s' (one of %s)\n", name,
                report_names);
      return false;
    }
  }
  if (c->nargs < cmd->min_args ||
      (cmd->max_args >= 0 && c->nargs > cmd->max_args)) {
    fputs(cmd->bad_args, stderr);
    return false;
  }
  return true;
}

/* The options, the command and its run; the exit code. */
static int
dispatch(int argc, char **argv)
{
  struct cli c;
  memset(&c, 0, sizeof(c));
  bool help = false;
  unsigned used = 0;
  int opt;
  opterr = 0;
  i18n_init();
  /* "+" would stop at the command; we accept options anywhere. */
  while ((opt = getopt_long(argc, argv, ":c:o:t:ahV", long_options, NULL)) !=
         -1) {
    switch (opt) {
    case 'c': c.config_path = optarg; break;
    case 'f': c.format = optarg; break;
    case 'a': c.all = true; used |= OPT_ALL; break;
    case 'p': c.probe = true; used |= OPT_PROBE; break;
    case 'C': c.changes_only = true; used |= OPT_CHANGES; break;
    case 'N': c.no_state = true; used |= OPT_NOSTATE; break;
    case 'o': c.output = optarg; used |= OPT_OUTPUT; break;
    case 'S': c.since = optarg; used |= OPT_SINCE; break;
    case 'n': c.note = optarg; used |= OPT_NOTE; break;
    case 'T': c.test = true; used |= OPT_TEST; break;
    case 'H': c.helo = optarg; used |= OPT_HELO; break;
    case 's': c.sender = optarg; used |= OPT_SENDER; break;
    case 'R': c.consumer = optarg; used |= OPT_CONSUMER; break;
    case 't':
      if (util_parse_u64(optarg, 86400, &c.timeout_s) != RBL_OK ||
          c.timeout_s == 0) {
        fprintf(stderr, "rblmon: --timeout takes whole seconds, 1 to 86400, "
                "not '%s'\n", optarg);
        return RBL_EXIT_UNKNOWN;
      }
      used |= OPT_TIMEOUT;
      break;
    case 'h': help = true; break;
    case 'V':
      printf("rblmon %s\n", RBLMON_VERSION);
      return RBL_EXIT_OK;
    case ':':
      fprintf(stderr, "rblmon: option %s needs a value; see rblmon --help\n",
              argv[optind - 1]);
      return RBL_EXIT_UNKNOWN;
    default:
      fprintf(stderr, "rblmon: unknown option '%s'; see rblmon --help\n",
              argv[optind - 1]);
      return RBL_EXIT_UNKNOWN;
    }
  }
  if (optind >= argc) {
    if (help) {
      usage(stdout);
      return RBL_EXIT_OK;
    }
    usage(stderr);
    return RBL_EXIT_UNKNOWN;
  }
  const struct command *cmd = find_command(argv[optind]);
  if (cmd == NULL) {
    fprintf(stderr, "rblmon: unknown command '%s'; see rblmon --help\n",
            argv[optind]);
    return RBL_EXIT_UNKNOWN;
  }
  if (!(cmd->formats & REPORT_NAGIOS))
    plugin_not_ours(); /* --format nagios is refused as a usage error */
  if (help) {
    command_usage(cmd);
    return RBL_EXIT_OK;
  }
  for (size_t i = 0; i < UTIL_ARRAY_LEN(option_names); i++) {
    if ((used & option_names[i].bit) && !(cmd->accepts & option_names[i].bit)) {
      fprintf(stderr, "rblmon: %s does not take --%s; see rblmon %s --help\n",
              cmd->name, option_names[i].name, cmd->name);
      return RBL_EXIT_UNKNOWN;
    }
  }
  c.args = argv + optind + 1;
  c.nargs = argc - optind - 1;
  if (!command_accepts(cmd, &c))
    return RBL_EXIT_UNKNOWN;
  return cmd->fn(&c);
}

int
main(int argc, char **argv)
{
  /* A Nagios plugin prints its status line whatever goes wrong, a bad
   * option before --format included (plugin.h). */
  bool plugin = plugin_wanted(argc, argv) && plugin_begin();
  int rc = dispatch(argc, argv);
  return plugin ? plugin_end(rc) : rc;
}

int
cmd_app_load(struct app *a, const struct cli *c, bool need_config)
{
  struct app_source src = {c->config_path, NULL, 0, NULL, NULL, false};
  return app_load(a, &src, need_config);
}
