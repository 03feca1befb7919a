# bash completion for odradek (installed as
# /usr/share/bash-completion/completions/odradek).  Subcommands, then each
# subcommand's flags (kept equal to the tables in cli/cli_*.c; a test
# checks every flag of `odradek help CMD` is here), and values where the
# set is fixed.

_odradek_flags() {
    case "$1" in
    topics)
        echo "--bootstrap-server --zookeeper --create --list --describe --alter --delete
              --topic --partitions --replication-factor --config --if-not-exists --if-exists
              --under-replicated-partitions --unavailable-partitions
              --topics-with-overrides --exclude-internal --json --timeout-ms --help" ;;
    console-producer)
        echo "--bootstrap-server --broker-list --topic --property --compression-codec
              --request-required-acks --batch-size --sync --request-timeout-ms
              --producer-property --help" ;;
    console-consumer)
        echo "--bootstrap-server --topic --from-beginning --group --partition --offset
              --max-messages --timeout-ms --property --consumer-property --isolation-level
              --help" ;;
    consumer-groups)
        echo "--bootstrap-server --list --describe --reset-offsets --delete --group --topic
              --all-topics --to-earliest --to-latest --to-offset --to-datetime --by-duration --shift-by
              --to-current --dry-run --execute --offsets --members --state --json --timeout
              --help" ;;
    ctl)
        echo "--socket --json status start stop restart signal tail reload --help" ;;
    zk)
        echo "-server -timeout ls get set create delete deleteall stat getAcl setAcl addauth
              sync --help" ;;
    esac
}

_odradek() {
    local cur prev sub
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    COMPREPLY=()
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "topics console-producer console-consumer consumer-groups
                                 ctl zk help --help --version" -- "$cur"))
        return 0
    fi
    sub="${COMP_WORDS[1]}"
    if [ "$sub" = help ]; then
        COMPREPLY=($(compgen -W "topics console-producer console-consumer consumer-groups
                                 ctl zk" -- "$cur"))
        return 0
    fi
    case "$prev" in
    --compression-codec)
        COMPREPLY=($(compgen -W "none gzip snappy lz4 zstd" -- "$cur")); return 0 ;;
    --request-required-acks)
        COMPREPLY=($(compgen -W "0 1 -1 all" -- "$cur")); return 0 ;;
    --offset)
        COMPREPLY=($(compgen -W "earliest latest" -- "$cur")); return 0 ;;
    --isolation-level)
        COMPREPLY=($(compgen -W "read_committed read_uncommitted" -- "$cur")); return 0 ;;
    --property)
        COMPREPLY=($(compgen -W "parse.key=true key.separator= ignore.error=true
                                 print.key=true print.timestamp=true print.partition=true
                                 print.offset=true print.value=false line.separator=
                                 null.literal=" -- "$cur"))
        compopt -o nospace 2>/dev/null
        return 0 ;;
    --bootstrap-server|--broker-list|--zookeeper|--topic|--partitions|--replication-factor|\
    --config|--group|--partition|--max-messages|--timeout-ms|--to-offset|--to-datetime|\
    --by-duration|\
    --shift-by|--batch-size|--timeout|--socket|--request-timeout-ms|--producer-property|\
    --consumer-property|-server|-timeout)
        return 0 ;;
    esac
    COMPREPLY=($(compgen -W "$(_odradek_flags "$sub")" -- "$cur"))
    return 0
}

complete -F _odradek odradek
