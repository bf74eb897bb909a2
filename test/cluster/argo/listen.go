package main

// listen: one of Argo's EventSource listeners, configured from a shipped EventSource file, with a
// dispatch function standing in for Argo's EventBus. Each dispatched event is wrapped in a
// CloudEvent the way Argo's EventSource adaptor publishes it, read back the way its Sensor reads
// it, and run through Argo's Sensor dependency filters (transform first, when one is set).

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	aev1 "github.com/argoproj/argo-events/pkg/apis/events/v1alpha1"
	eventsourcecommon "github.com/argoproj/argo-events/pkg/eventsources/common"
	"github.com/argoproj/argo-events/pkg/eventsources/sources/generic"
	"github.com/argoproj/argo-events/pkg/eventsources/sources/resource"
	"github.com/argoproj/argo-events/pkg/eventsources/sources/webhook"
	"github.com/argoproj/argo-events/pkg/metrics"
	"github.com/argoproj/argo-events/pkg/sensors/dependencies"
	"github.com/argoproj/argo-events/pkg/shared/logging"
	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/google/uuid"
	"go.uber.org/zap"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

type listener interface {
	StartListening(ctx context.Context, dispatch func([]byte, ...eventsourcecommon.Option) error) error
	GetEventSourceType() aev1.EventSourceType
}

type eventReport struct {
	Kind        string          `json:"kind"` // "event"
	EventSource string          `json:"eventSource"`
	Event       string          `json:"event"`
	ReceivedAt  string          `json:"receivedAt"`
	Data        json.RawMessage `json:"data"`
	// Each Sensor dependency on this event: whether Argo's filter lets the event through.
	Dependencies map[string]bool   `json:"dependencies"`
	FilterErrors map[string]string `json:"filterErrors,omitempty"`
}

func listen(kind string, args []string) int {
	flags := flag.NewFlagSet("listen "+kind, flag.ContinueOnError)
	eventSourceFile := flags.String("eventsource", "", "the EventSource YAML (a shipped file)")
	eventName := flags.String("event", "", "which event of the EventSource to run")
	sensorFile := flags.String("sensor", "", "the Sensor YAML whose dependencies on this event are applied (optional)")
	url := flags.String("url", "", "generic: the gateway's gRPC address, in place of the file's url")
	port := flags.Int("port", 0, "webhook: the port to serve, in place of the file's port")
	namespace := flags.String("namespace", "", "resource: the namespace to watch, in place of the file's")
	drain := flags.Duration("drain", time.Second, "webhook: after SIGTERM, how long the stopped EventSource keeps answering (400, inactive)")
	maxDuration := flags.Duration("max-duration", 10*time.Minute, "stop after this long whatever happens")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *eventSourceFile == "" || *eventName == "" {
		fmt.Fprintln(os.Stderr, "argo-check listen: --eventsource and --event are required")
		return 2
	}
	es, err := loadEventSource(*eventSourceFile)
	if err != nil {
		return failed(err)
	}
	// Without --sensor, events are reported with no dependency verdicts.
	var deps []aev1.EventDependency
	if *sensorFile != "" {
		sensor, err := loadSensor(*sensorFile)
		if err != nil {
			return failed(err)
		}
		for _, d := range sensor.Spec.Dependencies {
			if d.EventSourceName == es.Name && d.EventName == *eventName {
				deps = append(deps, d)
			}
		}
		if len(deps) == 0 {
			return failed(fmt.Errorf("Sensor %s has no dependency on %s/%s", sensor.Name, es.Name, *eventName))
		}
	}

	m := metrics.NewMetrics(es.Namespace)
	var l listener
	switch kind {
	case "generic":
		spec, ok := es.Spec.Generic[*eventName]
		if !ok {
			return failed(fmt.Errorf("EventSource %s has no generic event %q", es.Name, *eventName))
		}
		if *url != "" {
			spec.URL = *url
		}
		l = &generic.EventListener{EventSourceName: es.Name, EventName: *eventName, GenericEventSource: spec, Metrics: m}
	case "webhook":
		spec, ok := es.Spec.Webhook[*eventName]
		if !ok {
			return failed(fmt.Errorf("EventSource %s has no webhook event %q", es.Name, *eventName))
		}
		if *port != 0 {
			spec.Port = strconv.Itoa(*port)
		}
		l = &webhook.EventListener{EventSourceName: es.Name, EventName: *eventName, Webhook: spec, Metrics: m}
	case "resource":
		spec, ok := es.Spec.Resource[*eventName]
		if !ok {
			return failed(fmt.Errorf("EventSource %s has no resource event %q", es.Name, *eventName))
		}
		if *namespace != "" {
			spec.Namespace = *namespace
		}
		l = &resource.EventListener{EventSourceName: es.Name, EventName: *eventName, ResourceEventSource: spec, Metrics: m}
	default:
		fmt.Fprintf(os.Stderr, "argo-check listen: unknown EventSource type %q (generic, webhook, resource)\n", kind)
		return 2
	}
	if v, ok := l.(validator); ok {
		if err := v.ValidateEventSource(context.Background()); err != nil {
			return failed(fmt.Errorf("Argo refuses %s/%s: %w", es.Name, *eventName, err))
		}
	}

	logger := stderrLogger()
	ctx, cancel := context.WithCancel(logging.WithLogger(context.Background(), logger))
	defer cancel()
	dispatch := func(data []byte, opts ...eventsourcecommon.Option) error {
		report, err := sensorView(l.GetEventSourceType(), es.Name, *eventName, data, deps, opts)
		if err != nil {
			return err
		}
		stdout.line(report)
		return nil
	}
	stopped := make(chan error, 1)
	stdout.line(map[string]any{"kind": "started", "type": kind, "eventSource": es.Name, "event": *eventName, "pid": os.Getpid()})
	go func() { stopped <- l.StartListening(ctx, dispatch) }()

	reason := waitForStop(*maxDuration, stopped)
	stdout.line(map[string]any{"kind": "stopping", "reason": reason})
	cancel()
	if kind == "webhook" {
		// As when Argo's EventSource pod is told to stop: the route is inactive (400) until the process is gone.
		time.Sleep(*drain)
	}
	stdout.line(map[string]any{"kind": "stopped"})
	if reason == "listener ended" || reason == "max-duration" {
		return 1
	}
	return 0
}

// waitForStop returns why the listener should stop: a signal, standard input closing, the
// listener itself ending (an error), or the time limit.
func waitForStop(limit time.Duration, stopped <-chan error) string {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		close(stdinClosed)
	}()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case s := <-signals:
		return s.String()
	case <-stdinClosed:
		return "stdin closed"
	case err := <-stopped:
		stdout.line(map[string]any{"kind": "error", "error": fmt.Sprint(err)})
		return "listener ended"
	case <-timer.C:
		return "max-duration"
	}
}

// sensorView publishes data as Argo's EventSource adaptor does (a CloudEvent with the EventSource
// type, name and event name, the data as application/json), decodes it as the Sensor does and
// applies each dependency's transform and filters with Argo's code.
func sensorView(sourceType aev1.EventSourceType, eventSource, eventName string, data []byte, deps []aev1.EventDependency, opts []eventsourcecommon.Option) (*eventReport, error) {
	id := uuid.New()
	published := cloudevents.NewEvent()
	published.SetID(fmt.Sprintf("%x", id[:]))
	published.SetType(string(sourceType))
	published.SetSource(eventSource)
	published.SetSubject(eventName)
	published.SetTime(time.Now())
	for _, opt := range opts {
		if err := opt(&published); err != nil {
			return nil, err
		}
	}
	if err := published.SetData(cloudevents.ApplicationJSON, data); err != nil {
		return nil, err
	}
	onTheBus, err := json.Marshal(published)
	if err != nil {
		return nil, err
	}
	var received cloudevents.Event
	if err := json.Unmarshal(onTheBus, &received); err != nil {
		return nil, err
	}
	report := &eventReport{
		Kind: "event", EventSource: eventSource, Event: eventName, ReceivedAt: time.Now().UTC().Format(time.RFC3339Nano),
		Data: json.RawMessage(received.Data()), Dependencies: map[string]bool{},
	}
	for _, dep := range deps {
		event := received
		if dep.Transform != nil {
			transformed, err := dependencies.ApplyTransform(&event, dep.Transform)
			if err != nil {
				report.Dependencies[dep.Name] = false
				report.addFilterError(dep.Name, fmt.Errorf("transform: %w", err))
				continue
			}
			event = *transformed
		}
		pass, err := dependencies.Filter(argoEvent(event), dep.Filters, dep.FiltersLogicalOperator)
		report.Dependencies[dep.Name] = pass
		if err != nil {
			report.addFilterError(dep.Name, err)
		}
	}
	return report, nil
}

func (r *eventReport) addFilterError(dep string, err error) {
	if r.FilterErrors == nil {
		r.FilterErrors = map[string]string{}
	}
	r.FilterErrors[dep] = err.Error()
}

// argoEvent is the Sensor's view of a CloudEvent (the fields its filters read).
func argoEvent(e cloudevents.Event) *aev1.Event {
	return &aev1.Event{
		Context: &aev1.EventContext{
			ID: e.ID(), Source: e.Source(), SpecVersion: e.SpecVersion(), Type: e.Type(), Subject: e.Subject(),
			DataContentType: e.DataContentType(), Time: metav1.Time{Time: e.Time()},
		},
		Data: e.Data(),
	}
}

func loadEventSource(file string) (*aev1.EventSource, error) {
	var es aev1.EventSource
	if err := loadKind(file, "EventSource", &es); err != nil {
		return nil, err
	}
	return &es, nil
}

func loadSensor(file string) (*aev1.Sensor, error) {
	var s aev1.Sensor
	if err := loadKind(file, "Sensor", &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// loadKind strictly decodes the one document of kind `kind` in file.
func loadKind(file, kind string, into any) error {
	docs, err := splitDocuments(file)
	if err != nil {
		return err
	}
	for _, doc := range docs {
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		if meta.APIVersion == "argoproj.io/v1alpha1" && meta.Kind == kind {
			if err := strictDecode(doc, into); err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			return nil
		}
	}
	return fmt.Errorf("%s holds no argoproj.io/v1alpha1 %s", file, kind)
}

func stderrLogger() *zap.SugaredLogger {
	config := zap.NewProductionConfig()
	config.OutputPaths = []string{"stderr"}
	config.ErrorOutputPaths = []string{"stderr"}
	logger, err := config.Build()
	if err != nil {
		panic(err)
	}
	return logger.Sugar()
}

func failed(err error) int {
	stdout.line(map[string]any{"kind": "error", "error": err.Error()})
	fmt.Fprintf(os.Stderr, "argo-check: %v\n", err)
	return 1
}
