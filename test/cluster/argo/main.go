// argo-check runs Argo Events' own code against TAS MCP: the validation Argo applies to
// EventSources and Sensors, its generic, webhook and resource EventSource listeners, and the
// Sensor dependency filters, all as a library (github.com/argoproj/argo-events, see go.mod).
// It reports on stdout as JSON lines; Argo's own logs go to stderr.
//
//	argo-check version                  the argo-events module version built in
//	argo-check validate DIR
//	argo-check listen generic  --eventsource FILE --event NAME [--sensor FILE] --url HOST:PORT
//	argo-check listen webhook  --eventsource FILE --event NAME [--sensor FILE] --port PORT [--drain 1s]
//	argo-check listen resource --eventsource FILE --event NAME [--sensor FILE] --namespace NS  (KUBECONFIG from the environment)
//
// A listener runs until SIGTERM/SIGINT, until its standard input closes, or --max-duration.
// On SIGTERM the webhook listener first stops its EventSource the way Argo does when its pod
// stops (the route turns inactive and answers 400), keeps answering for --drain, then exits.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
)

// out writes one JSON object per line; listeners report from several goroutines.
type out struct {
	mu  sync.Mutex
	enc *json.Encoder
}

var stdout = &out{enc: json.NewEncoder(os.Stdout)}

func (o *out) line(v any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.enc.Encode(v); err != nil {
		fmt.Fprintf(os.Stderr, "argo-check: cannot write a report line: %v\n", err)
		os.Exit(3)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: argo-check version | argo-check validate DIR | argo-check listen generic|webhook|resource --eventsource FILE --event NAME --sensor FILE [options]")
	os.Exit(2)
}

// argoEventsVersion is the version of github.com/argoproj/argo-events this binary was built with.
func argoEventsVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, dep := range info.Deps {
		if dep.Path == "github.com/argoproj/argo-events" {
			return dep.Version
		}
	}
	return "unknown"
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "version" {
		fmt.Printf("argo-check (github.com/argoproj/argo-events %s)\n", argoEventsVersion())
		return
	}
	if len(os.Args) < 3 {
		usage()
	}
	switch os.Args[1] {
	case "validate":
		if len(os.Args) != 3 {
			usage()
		}
		os.Exit(validateDir(os.Args[2]))
	case "listen":
		os.Exit(listen(os.Args[2], os.Args[3:]))
	default:
		usage()
	}
}
