#!/usr/bin/env bash
# The user's install path, as the README documents it: pack every workspace package (npm pack),
# install @hurricane/core and @hurricane/hw-arm-cpu from the tarballs into a fresh project outside
# the workspace (denying onnxruntime-node's CUDA download), then run `hurricane doctor` and a profile
# of the mnist preset there. Fails when any step fails or when anything was fetched from the CUDA feed.
# Run from the repository root after `npm ci`; CI runs it (.ci/run).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/hurricane-packed-XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/packs" "$work/project"

echo "packing the workspace packages into $work/packs"
(cd "$repo" && npm pack --workspaces --pack-destination "$work/packs" --silent)
ls "$work/packs"

cd "$work/project"
npm init -y --silent >/dev/null
npm pkg set type=module
npm pkg set allowScripts.onnxruntime-node=false --json
echo "installing @hurricane/core and @hurricane/hw-arm-cpu from the tarballs"
npm install --no-audit --no-fund --foreground-scripts -D "$work"/packs/hurricane-core-*.tgz "$work"/packs/hurricane-hw-arm-cpu-*.tgz 2>&1 | tee "$work/install.log"
if grep -qi 'nuget' "$work/install.log" || ls node_modules/onnxruntime-node/bin/napi-v6/linux/x64/ 2>/dev/null | grep -q providers_cuda; then
  echo "check-packed-install: onnxruntime-node fetched CUDA binaries; the allowScripts denial did not hold" >&2
  exit 1
fi

echo "hurricane doctor"
npx --no-install hurricane doctor
echo "hurricane profile (mnist preset)"
npx --no-install hurricane profile --preset mnist
npx --no-install hurricane space --preset mnist >/dev/null
test -s .hurricane/arm-cpu/mnist/space.json
echo "check-packed-install: the packed packages install, check and profile in a fresh project"
