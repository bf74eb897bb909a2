# Component `argo` of test/cluster/build.sh (the recipe interface is described there):
#   argo-check    this folder's program: Argo Events' own EventSource listeners, validation and Sensor
#                 filters (github.com/argoproj/argo-events, pinned in go.mod) run against the gateway by
#                 test/e2e/argo-events.test.ts and test/integration/gateway/argo-resource-eventsource.test.ts.
#                 Only the packages it imports are compiled (three EventSource types, not all thirty).
ARGO_EVENTS_VERSION="$(modver go.mod github.com/argoproj/argo-events)"
[[ -n "$ARGO_EVENTS_VERSION" ]] || die "cannot read the argo-events version from test/cluster/argo/go.mod"

recipe_version=1
binaries=(argo-check)
key_inputs=(go.mod go.sum recipe.sh *.go)

cache_label() { echo "argo-check-argo-events-${ARGO_EVENTS_VERSION}"; }

build() {
  go_build -ldflags "-s -w" -o "$1/argo-check" .
}

check() {
  local reported
  reported="$("$1/argo-check" version)"
  echo "$reported"
  [[ "$reported" == "argo-check (github.com/argoproj/argo-events ${ARGO_EVENTS_VERSION})" ]] ||
    die "argo-check reports '$reported', expected argo-events ${ARGO_EVENTS_VERSION}"
}
