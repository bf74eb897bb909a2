#!/usr/bin/env bash
# Re-pins test/cluster/kubernetes to another Kubernetes release:
#   bash test/cluster/pin.sh v1.36.3
# Rewrites go.mod from the release's own go.mod: require k8s.io/kubernetes <version>, and replace every
# staging module it maps to ./staging/... with the published twin v0.<minor>.<patch> (skipping the few
# that are not published for that version), then runs go mod tidy. etcd and kwok are pinned separately
# in test/cluster/etcd/go.mod and test/cluster/kwok/go.mod (go get <module>@<version> && go mod tidy).
set -euo pipefail

version="${1:?usage: pin.sh vX.Y.Z}"
[[ "$version" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || { echo "expected a release like v1.36.3, got $version" >&2; exit 2; }
staging_version="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/kubernetes" && pwd)"
cd "$dir"
export GOFLAGS=-mod=mod

upstream_mod="$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
[[ -f "$upstream_mod" ]] || { echo "cannot download k8s.io/kubernetes@$version" >&2; exit 1; }
go_line="$(grep -m1 '^go ' "$upstream_mod")"
godebug_line="$(grep -m1 '^godebug ' "$upstream_mod" || true)"

replaces=()
while read -r module; do
  if go list -m "$module@$staging_version" >/dev/null 2>&1; then
    replaces+=("	$module => $module $staging_version")
  else
    echo "skipping $module: $staging_version is not published" >&2
  fi
done < <(awk '$2 == "=>" && $3 ~ /^\.\/staging\// { print $1 }' "$upstream_mod")

{
  echo '// Builds kube-apiserver, kube-controller-manager and kube-scheduler from the published'
  echo '// k8s.io/kubernetes module. Kubernetes replaces its staging modules with ./staging/...,'
  echo '// which a dependent module cannot see, so each is replaced here with its published v0 twin.'
  echo '// Regenerate with: bash test/cluster/pin.sh <kubernetes version>'
  echo 'module tas.ai/test/cluster/kubernetes'
  echo
  echo "$go_line"
  [[ -n "$godebug_line" ]] && { echo; echo "$godebug_line"; }
  echo
  echo "require k8s.io/kubernetes $version"
  echo
  echo 'tool ('
  echo '	k8s.io/kubernetes/cmd/kube-apiserver'
  echo '	k8s.io/kubernetes/cmd/kube-controller-manager'
  echo '	k8s.io/kubernetes/cmd/kube-scheduler'
  echo ')'
  echo
  echo 'replace ('
  printf '%s\n' "${replaces[@]}"
  echo ')'
} >go.mod
rm -f go.sum
go mod tidy
echo "pinned k8s.io/kubernetes $version (staging $staging_version, ${#replaces[@]} replaces) in $dir/go.mod" >&2
