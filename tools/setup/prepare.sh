#!/usr/bin/env bash
# Makes a fresh clone ready, and does nothing (in about a second) when it already is:
#   1. checks the prerequisites and stops, naming what is missing and how to get it, before any
#      long work: Node >= 20.19 with npm, Go >= 1.26, openssl, kubectl;
#   2. npm ci when node_modules is missing or was installed from another package-lock.json;
#   3. (unless --node-only) every binary the tests and `make run` start (`test/cluster/build.sh --all`:
#      etcd, kube-apiserver, ..., nats-server, grpcurl, helm, ghz, buf, the Go client), built from Go modules and cached under
#      ~/.cache/tas-mcp, each component on its own;
#   4. (unless --node-only) Debian's Chromium for the browser tests, installed with apt-get when
#      missing and this runs as root (CI does); otherwise it says how to get it.
# Used by `make run`, `make test` and `make setup`; safe to run again at any time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

node_only=false
[[ "${1:-}" == "--node-only" ]] && node_only=true

say() { printf '[prepare] %s\n' "$*" >&2; }
missing=()
need() { missing+=("$1"$'\n'"      $2"); }

version_at_least() { # version_at_least 20.19.0 20.19 -> true
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" == "$2" ]]
}

if ! command -v node >/dev/null; then
  need "node (>= 20.19) is not on PATH" "install Node.js 20.19 or newer: https://nodejs.org/en/download (or: apt-get install nodejs npm, if your distribution has >= 20.19)"
else
  node_version="$(node -p 'process.versions.node')"
  version_at_least "$node_version" 20.19 ||
    need "node $node_version is too old (>= 20.19 is needed)" "install Node.js 20.19 or newer: https://nodejs.org/en/download, or with nvm: nvm install 20"
  command -v npm >/dev/null || need "npm is not on PATH" "it comes with Node.js; on Debian: apt-get install npm"
fi
if ! $node_only; then
  if ! command -v go >/dev/null; then
    need "go (>= 1.26) is not on PATH (it builds etcd, kube-apiserver and helm from Go modules)" "install Go 1.26 or newer: https://go.dev/doc/install"
  else
    go_version="$(go env GOVERSION)"; go_version="${go_version#go}"
    version_at_least "$go_version" 1.26 || need "go $go_version is too old (>= 1.26 is needed)" "install Go 1.26 or newer: https://go.dev/doc/install"
  fi
  command -v openssl >/dev/null || need "openssl is not on PATH (the test harness issues certificates with it)" "apt-get install openssl (macOS: brew install openssl)"
  command -v kubectl >/dev/null || need "kubectl is not on PATH (make run and the tests apply manifests with it)" "install kubectl: https://kubernetes.io/docs/tasks/tools/ (Debian/Ubuntu: apt-get install kubectl from the Kubernetes apt repository)"
fi
if ((${#missing[@]} > 0)); then
  say "missing prerequisites:"
  for m in "${missing[@]}"; do printf '  - %s\n' "$m" >&2; done
  exit 1
fi

# npm dependencies: what package-lock.json pins, or installed again.
if node tools/setup/lockfile-matches.mjs; then
  say "npm dependencies: up to date"
else
  reason="missing"; [[ -d node_modules ]] && reason="not what package-lock.json pins"
  say "npm dependencies: $reason; running npm ci (about a minute)"
  t0=$SECONDS
  npm ci --no-audit --no-fund --loglevel=error
  say "npm ci done ($((SECONDS - t0))s)"
fi
$node_only && exit 0

# The binaries: build.sh answers from its cache in well under a second, or builds.
say "binaries ($(bash test/cluster/build.sh --binaries | awk '{print $1}' | sort -u | paste -sd, - | sed 's/,/, /g')): checking the cache;"
say "  a cold build compiles them from Go modules: about 40 min on 2 cores, once; cached in ~/.cache/tas-mcp"
t0=$SECONDS
bash test/cluster/build.sh --all >/dev/null
say "binaries ready ($((SECONDS - t0))s)"

# Chromium for the browser tests (playwright-core drives Debian's build; no browser download).
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ -x "$chromium" ]]; then
  say "chromium: $chromium"
elif [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
  say "chromium: missing; installing Debian's chromium with apt-get (about 45 s and 125 MB of packages, once)"
  t0=$SECONDS
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends chromium >/dev/null
  say "chromium installed ($((SECONDS - t0))s)"
else
  say "chromium: not found at $chromium; the browser tests need it: apt-get install chromium (as root), or set CHROMIUM_PATH"
fi
