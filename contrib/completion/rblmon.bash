# bash completion for rblmon(1); installed as
# share/bash-completion/completions/rblmon (bash-completion loads it the
# first time "rblmon <TAB>" is pressed).
#
# Commands and each command's options come from "rblmon --help" and
# "rblmon COMMAND --help" (the command table of monitor/cli/main.c), so they
# follow the binary that is installed.  List names come from
# "rblmon lists --all --format json", reminder IDs and listed targets from
# "rblmon status --format json": both read only.  "rblmon remind" is never
# run here: it marks the reminders it prints as sent.

# The -c/--config given on the line so far, to pass on to rblmon.
_rblmon_config_args()
{
  local i
  for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
    case ${COMP_WORDS[i]} in
      -c | --config) printf '%s\n' -c "${COMP_WORDS[i + 1]}"; return ;;
      --config=*) printf '%s\n' -c "${COMP_WORDS[i]#--config=}"; return ;;
    esac
  done
}

_rblmon_commands()
{
  "$1" --help 2>/dev/null |
    sed -n '/^Commands:/,/^$/{/^  [a-z]/{s/^  \([a-z-]*\).*/\1/p}}'
}

# The long options of one command (its own and the common ones).
_rblmon_options()
{
  "$1" "$2" --help 2>/dev/null |
    sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}\(--[a-z-]*\).*/\2/p'
}

# Values of a key of the objects of a top-level JSON array, one a line;
# python3 when present (the JSON is ours, but stay out of the way if not).
_rblmon_json_values()
{
  command -v python3 >/dev/null 2>&1 || return 0
  python3 -c '
import json, sys
try:
    doc = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
arr, path = sys.argv[1], sys.argv[2].split(".")
for item in doc.get(arr) or []:
    for k in path:
        item = item.get(k) if isinstance(item, dict) else None
    if item is not None:
        print(item)
' "$1" "$2" 2>/dev/null
}

_rblmon_list_names()
{
  "$1" "${@:2}" lists --all --format json 2>/dev/null |
    _rblmon_json_values lists name
}

_rblmon_reminder_ids()
{
  "$1" "${@:2}" status --format json 2>/dev/null |
    _rblmon_json_values listings reminder.id | sort -un
}

_rblmon_listed_targets()
{
  "$1" "${@:2}" status --format json 2>/dev/null |
    _rblmon_json_values listings target | sort -u
}

_rblmon()
{
  local cur prev words cword
  if declare -F _init_completion >/dev/null; then
    _init_completion || return
  else
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
  fi
  local rblmon=${words[0]} cmd="" i npos=0
  local -a conf
  mapfile -t conf < <(_rblmon_config_args)

  # the command: the first word that is not an option or its value
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      -c | --config | --format | -o | --output | --since | --note | --helo | --sender)
        ((i++)) ;;
      -*) ;;
      *) if [[ -z $cmd ]]; then cmd=${words[i]}; else ((npos++)); fi ;;
    esac
  done

  case $prev in
    -c | --config | -o | --output)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return ;;
    --format)
      mapfile -t COMPREPLY < <(compgen -W "text json nagios prometheus" -- "$cur")
      return ;;
    --since | --note | --helo | --sender)
      return ;;
  esac

  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W "-c --config --format --help --version" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "$(_rblmon_commands "$rblmon")" -- "$cur")
    fi
    return
  fi
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_rblmon_options "$rblmon" "$cmd")" -- "$cur")
    return
  fi
  local words_list=""
  case $cmd in
    config) ((npos == 0)) && words_list="check" ;;
    ack | snooze | recheck)
      ((npos == 0)) && words_list=$(_rblmon_reminder_ids "$rblmon" "${conf[@]}") ;;
    history | why)
      if ((npos == 0)); then
        words_list=$(_rblmon_listed_targets "$rblmon" "${conf[@]}")
      elif [[ $cmd == why ]] && ((npos == 1)); then
        words_list=$(_rblmon_list_names "$rblmon" "${conf[@]}")
      fi ;;
    scan-logs)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return ;;
  esac
  [[ -n $words_list ]] &&
    mapfile -t COMPREPLY < <(compgen -W "$words_list" -- "$cur")
}
complete -F _rblmon rblmon
