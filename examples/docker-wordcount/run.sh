#!/bin/sh
# A Docker job: counts the words of input.txt and lists the ten most frequent.
# It runs in the busybox image built by build.sh, as /job/run.sh, with no network.
set -eu
words=$(tr -cs 'A-Za-z' '\n' < input.txt | grep -c .)
echo "$words words" | tee output/count.txt
tr -cs 'A-Za-z' '\n' < input.txt | tr 'A-Z' 'a-z' | grep . | sort | uniq -c | sort -k1,1nr -k2 | head -n 10 > output/top.txt
