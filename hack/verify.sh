#!/usr/bin/env bash
# Fails when a generated file (deepcopy, CRDs, RBAC) or the Go formatting is stale.
# It regenerates in place, so after a failure the tree holds the fresh files: review and commit.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

generated() {
  find api -name 'zz_generated*.go' -print0
  find config/crd/bases config/rbac -name '*.yaml' -print0
  [[ -d charts/kube-ecs/crds ]] && find charts/kube-ecs/crds -name '*.yaml' -print0
  [[ -d charts/kube-ecs/files ]] && find charts/kube-ecs/files -name '*.yaml' -print0
  true
}
snapshot() { generated | sort -z | xargs -0 sha256sum 2>/dev/null || true; }

before=$(snapshot)
make --no-print-directory generate manifests >/dev/null
after=$(snapshot)
if [[ $before != "$after" ]]; then
  echo "verify: generated files were stale and have been regenerated; review and commit them:" >&2
  diff <(echo "$before") <(echo "$after") | sed -n 's/^> [0-9a-f]*  /  /p' >&2
  exit 1
fi

unformatted=$(gofmt -s -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.local/*') 2>/dev/null || true)
if [[ -n $unformatted ]]; then
  echo "verify: these files are not gofmt -s formatted (run make fmt):" >&2
  echo "$unformatted" >&2
  exit 1
fi
echo "verify: generated files and formatting are up to date"
