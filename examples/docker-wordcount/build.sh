#!/bin/sh
# Builds this job's image with no registry: Debian's statically linked busybox
# alone in an otherwise empty image (docker import), saved into the job folder
# as image.tar; allot.job.json then names the image by its id (its digest).
# Usage: ./build.sh [job folder]   (DOCKER_HOST picks the engine)
set -eu
job=$(cd "${1:-$(dirname "$0")}" && pwd)
busybox=$(command -v busybox)
if command -v file >/dev/null && ! file -L "$busybox" | grep -q "statically linked"; then echo "$busybox is not statically linked (apt-get install busybox-static)" >&2; exit 1; fi
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/job"
cp "$busybox" "$rootfs/bin/busybox"
for applet in sh cat echo tr grep sort uniq head tee wc; do ln -s busybox "$rootfs/bin/$applet"; done
id=$(tar -C "$rootfs" --owner=0 --group=0 --numeric-owner -c . | docker import --change 'ENV PATH=/bin' - allot-example/busybox:1)
docker save -o "$job/image.tar" allot-example/busybox:1
# Pin the image: the manifest's entry becomes the id, which the job hash then covers.
sed -i "s|\"entry\": \"[^\"]*\"|\"entry\": \"$id\"|" "$job/allot.job.json"
echo "$id"
