#!/bin/sh
# Seed, run and report the libFuzzer targets named as arguments (make fuzz:
# tests/fuzz/fuzz.mk sets the environment).  For each target:
#   1. the working corpus $FZ/corpus/T gets the seeds (cp -n: what earlier
#      runs found stays):
#        committed    tests/fuzz/seeds/T and tests/fuzz/regressions/T
#        reader       golden/*.pcap, the FUZZ_CORPUS_FILES smallest files of
#                     FUZZ_CORPUS, and gzip-compressed copies of some of both
#        decode,      every packet of golden/*.pcap, the first
#        rebuild      FUZZ_CORPUS_PKTS packets of every FUZZ_CORPUS capture
#                     (fuzz-seeds adds the link-type prefix), and the frames
#                     the criterion tests spell in hex (hexseeds.py)
#        dns          the DNS messages found in those packets
#        http         each committed seed again under every limit set and
#                     piece size (its first byte, see fuzz_http.c)
#        stream       crafted conversations (stream-seeds.py stream)
#        analyzer     golden/*.pcap and the FUZZ_CORPUS_FILES smallest pcap
#                     files of FUZZ_CORPUS, each its first 400 packets under
#                     three configurations (stream-seeds.py analyzer)
#        dhcp, ntp    the committed seeds only (messages, not packets)
#        conv         the committed seeds only (engine options, faults, script)
#        script       the committed seeds and every scenario script of tests/run
#                     and examples/scripts
#   2. the target runs FUZZ_SECONDS with -timeout and -rss_limit_mb, its
#      dictionary tests/fuzz/T.dict, artifacts into $FZ/artifacts/T;
#   3. crash-, leak-, timeout- and oom- artifacts are copied to
#      tests/fuzz/regressions/T/ and make fuzz fails listing them.
# At the end one line per target: executions, coverage (cov: edges, ft:
# features), corpus size, result.
set -u

: "${FZ:?}" "${FUZZ_SECONDS:=30}" "${FUZZ_TIMEOUT:=10}" "${FUZZ_RSS_MB:=2048}"
: "${FUZZ_CORPUS:=../shared/corpus}" "${FUZZ_CORPUS_FILES:=200}" "${FUZZ_CORPUS_PKTS:=8}"
HERE=tests/fuzz

# Largest input each target mutates (a packet, a small capture, a message,
# an option value).
max_len() {
    case $1 in
    reader) echo 16384 ;;
    cliparse) echo 256 ;;
    dns) echo 2048 ;;
    tls) echo 12288 ;;
    http) echo 8192 ;;
    dnstxn) echo 4096 ;;
    analyzer) echo 32768 ;;
    stream) echo 8192 ;;
    dhcp) echo 1500 ;;
    ntp) echo 512 ;;
    conv) echo 256 ;;
    script) echo 8192 ;;
    *) echo 4096 ;;
    esac
}

# Capture files of the shared corpus, smallest first (names have no spaces).
corpus_files() {
    [ -d "$FUZZ_CORPUS" ] || return 0
    find "$FUZZ_CORPUS" -type f ! -name MANIFEST.tsv ! -name '*.md' ! -path '*/holdout/*' -printf '%s %p\n' |
        sort -n -k1,1 -k2 | cut -d' ' -f2-
}

seed_reader() {
    out=$1
    for f in golden/*.pcap $(corpus_files | head -n "$FUZZ_CORPUS_FILES"); do
        cp "$f" "$out/$(echo "$f" | tr '/.' '__')"
    done
    # gzip-compressed inputs: the golden captures and the 20 smallest others.
    for f in golden/*.pcap $(corpus_files | head -n 20); do
        gzip -c -n "$f" > "$out/$(echo "$f" | tr '/.' '__').gz"
    done
}

seed_packets() {
    mode=$1 out=$2
    "$FZ/fuzz-seeds" "$mode" "$out" 1000000 golden/*.pcap
    mkdir -p "$out/corpus"
    # shellcheck disable=SC2046
    "$FZ/fuzz-seeds" "$mode" "$out/corpus" "$FUZZ_CORPUS_PKTS" $(corpus_files)
    if [ "$mode" != dns ]; then
        mkdir -p "$out/hex"
        python3 "$HERE/hexseeds.py" "$mode" "$out/hex" tests/test_*.c
    fi
}

# fuzz_http: the committed seeds with other configuration bytes.
seed_http() {
    for f in "$HERE"/seeds/http/*; do
        [ -f "$f" ] || continue
        for c in 000 001 002 003 015 036 061 077 101 143; do
            { printf "\\$c"; tail -c +2 "$f"; } > "$1/$(basename "$f")-$c"
        done
    done
}

seed() {
    t=$1 gen="$FZ/seeds/$t" corpus="$FZ/corpus/$t"
    rm -rf "$gen"
    mkdir -p "$gen" "$corpus"
    case $t in
    reader) seed_reader "$gen" ;;
    decode | rebuild | dns) seed_packets "$t" "$gen" ;;
    defrag) python3 "$HERE/defrag-seeds.py" "$gen" golden/*.pcap ;;
    tls) python3 "$HERE/tls-seeds.py" "$gen" "$FUZZ_CORPUS" ;;
    http) seed_http "$gen" ;;
    script) cp tests/run/*.pcs examples/scripts/*.pcs "$gen" ;;
    stream) python3 "$HERE/stream-seeds.py" stream "$gen" ;;
    # shellcheck disable=SC2046
    analyzer) python3 "$HERE/stream-seeds.py" analyzer "$gen" golden/*.pcap $(corpus_files | head -n "$FUZZ_CORPUS_FILES") ;;
    esac
    # Each source gets its own name prefix: the splitter names seeds by
    # position, so golden and corpus seeds would otherwise collide.
    add "$gen" gen- "$corpus"
    add "$gen/corpus" corpus- "$corpus"
    add "$gen/hex" hex- "$corpus"
    add "$HERE/seeds/$t" seed- "$corpus"
    add "$HERE/regressions/$t" regression- "$corpus"
    # A regression still PENDING (its bug unfixed) would stop every run at
    # startup: it stays out of the working corpus.
    grep -v '^#' "$HERE/regressions/PENDING.txt" 2>/dev/null | cut -f1 | while read -r p; do
        case $p in "$t"/*) rm -f "$corpus/regression-${p#"$t"/}" ;; esac
    done
}

# Files of directory $1 (if any) into $3 as $2NAME, keeping what is there.
add() {
    [ -d "$1" ] || return 0
    for f in "$1"/*; do
        [ -f "$f" ] && cp -n "$f" "$3/$2$(basename "$f")"
    done
    return 0
}

run() {
    t=$1 log="$FZ/logs/$t.log" art="$FZ/artifacts/$t"
    rm -rf "$art"
    mkdir -p "$art" "$FZ/logs"
    dict=
    [ -f "$HERE/$t.dict" ] && dict="-dict=$HERE/$t.dict"
    echo "fuzz: $t: ${FUZZ_SECONDS}s on $(ls "$FZ/corpus/$t" | wc -l) inputs (log: $log)"
    # shellcheck disable=SC2086
    "$FZ/fuzz_$t" "$FZ/corpus/$t" -max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_TIMEOUT" \
        -rss_limit_mb="$FUZZ_RSS_MB" -max_len="$(max_len "$t")" -print_final_stats=1 \
        -artifact_prefix="$art/" $dict > "$log" 2>&1
    echo $? > "$FZ/logs/$t.rc"
}

# crash/leak/timeout/oom artifacts into the committed regressions.
collect() {
    t=$1 found=
    for a in "$FZ/artifacts/$t"/crash-* "$FZ/artifacts/$t"/leak-* "$FZ/artifacts/$t"/timeout-* "$FZ/artifacts/$t"/oom-*; do
        [ -f "$a" ] || continue
        mkdir -p "$HERE/regressions/$t"
        cp "$a" "$HERE/regressions/$t/"
        found="$found $HERE/regressions/$t/$(basename "$a")"
    done
    echo "$found"
}

summary() {
    t=$1 log="$FZ/logs/$t.log"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
    corp=$(ls "$FZ/corpus/$t" | wc -l)
    printf '%-9s execs %-10s %-22s corpus %-6s %s\n' "$t" "${execs:-?}" "${cov:-cov: ? ft: ?}" "$corp" "$2"
}

failed=
results=
for t in "$@"; do
    mkdir -p "$FZ/logs"
    seed "$t" > "$FZ/logs/seed-$t.log" 2>&1 || { cat "$FZ/logs/seed-$t.log"; exit 1; }
    run "$t"
    new=$(collect "$t")
    if [ -n "$new" ]; then
        failed="$failed$new"
        results="$results$(summary "$t" "FAILED:$new")
"
        grep -m 5 -E '^==[0-9]+==ERROR|^SUMMARY|fuzz invariant failed|runtime error' "$FZ/logs/$t.log"
    elif [ "$(cat "$FZ/logs/$t.rc")" != 0 ]; then
        failed="$failed (fuzz_$t exited $(cat "$FZ/logs/$t.rc"), see $FZ/logs/$t.log)"
        results="$results$(summary "$t" "FAILED (exit $(cat "$FZ/logs/$t.rc"))")
"
    else
        results="$results$(summary "$t" ok)
"
    fi
done
echo
echo "fuzz results (${FUZZ_SECONDS}s per target):"
printf '%s' "$results"
if [ -n "$failed" ]; then
    echo "fuzz: FAILED; new regression inputs:$failed"
    exit 1
fi
