package main

// validate: every YAML document in a directory strictly decoded into its Go type (unknown or
// misspelt fields are errors) and, for Argo's kinds, checked by Argo's own validation: the
// EventSource listeners' ValidateEventSource and the Sensor reconciler's ValidateSensor.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	aev1 "github.com/argoproj/argo-events/pkg/apis/events/v1alpha1"
	"github.com/argoproj/argo-events/pkg/eventsources/sources/generic"
	"github.com/argoproj/argo-events/pkg/eventsources/sources/resource"
	"github.com/argoproj/argo-events/pkg/eventsources/sources/webhook"
	sensorreconciler "github.com/argoproj/argo-events/pkg/reconciler/sensor"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

type objectReport struct {
	Kind       string `json:"kind"` // always "object"
	File       string `json:"file"`
	APIVersion string `json:"apiVersion"`
	ObjectKind string `json:"objectKind"`
	Name       string `json:"name"`
	// What was checked: "argo" (strict decode + Argo's validation), "decode" (strict decode into the
	// Kubernetes type), or "skipped" (not a kind this program knows; Reason says why).
	Checked string `json:"checked"`
	Reason  string `json:"reason,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Kinds that are not Argo's or core Kubernetes', checked elsewhere.
var skipped = map[string]string{
	"mcp.tas.ai/v1alpha1 McpRoute":                  "a TAS MCP object: the API server's dry run checks it (test/integration/api/crds.test.ts)",
	"kustomize.config.k8s.io/v1beta1 Kustomization": "kustomize's file, not an object",
}

func validateDir(dir string) int {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		fmt.Fprintf(os.Stderr, "argo-check: no *.yaml files in %s\n", dir)
		return 2
	}
	sort.Strings(files)
	objects, failures := 0, 0
	for _, file := range files {
		docs, err := splitDocuments(file)
		if err != nil {
			stdout.line(objectReport{Kind: "object", File: filepath.Base(file), Checked: "decode", Error: err.Error()})
			failures++
			continue
		}
		for _, doc := range docs {
			report := validateDocument(doc)
			report.Kind, report.File = "object", filepath.Base(file)
			stdout.line(report)
			objects++
			if report.Error != "" {
				failures++
			}
		}
	}
	stdout.line(map[string]any{"kind": "summary", "files": len(files), "objects": objects, "errors": failures})
	if failures > 0 {
		return 1
	}
	return 0
}

func splitDocuments(file string) ([][]byte, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	reader := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	var docs [][]byte
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(stripComments(doc))) > 0 {
			docs = append(docs, doc)
		}
	}
}

func stripComments(doc []byte) []byte {
	var kept [][]byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			kept = append(kept, line)
		}
	}
	return bytes.Join(kept, []byte("\n"))
}

// strictDecode decodes YAML the way the API server decodes a strict request: duplicate keys,
// unknown fields and fields in the wrong case are errors (encoding/json alone would take
// "afterstart" for afterStart).
func strictDecode(doc []byte, into any) error {
	data, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(data, into)
	if err != nil {
		return err
	}
	if len(strict) > 0 {
		problems := make([]string, len(strict))
		for i, e := range strict {
			problems[i] = e.Error()
		}
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func validateDocument(doc []byte) objectReport {
	var meta struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        metav1.ObjectMeta `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return objectReport{Checked: "decode", Error: err.Error()}
	}
	report := objectReport{APIVersion: meta.APIVersion, ObjectKind: meta.Kind, Name: meta.Metadata.Name}
	fail := func(checked string, err error) objectReport {
		report.Checked = checked
		if err != nil {
			report.Error = err.Error()
		}
		return report
	}
	switch meta.APIVersion + " " + meta.Kind {
	case "argoproj.io/v1alpha1 EventSource":
		var es aev1.EventSource
		if err := strictDecode(doc, &es); err != nil {
			return fail("argo", err)
		}
		return fail("argo", validateEventSource(&es))
	case "argoproj.io/v1alpha1 Sensor":
		var sensor aev1.Sensor
		if err := strictDecode(doc, &sensor); err != nil {
			return fail("argo", err)
		}
		return fail("argo", validateSensor(&sensor))
	case "v1 ServiceAccount":
		return fail("decode", strictDecode(doc, &corev1.ServiceAccount{}))
	case "rbac.authorization.k8s.io/v1 Role":
		return fail("decode", strictDecode(doc, &rbacv1.Role{}))
	case "rbac.authorization.k8s.io/v1 RoleBinding":
		return fail("decode", strictDecode(doc, &rbacv1.RoleBinding{}))
	}
	if reason, ok := skipped[meta.APIVersion+" "+meta.Kind]; ok {
		report.Checked, report.Reason = "skipped", reason
		return report
	}
	return fail("decode", fmt.Errorf("%s %s: a kind argo-check does not know; add it to validate.go", meta.APIVersion, meta.Kind))
}

// validator is what every Argo EventSource listener implements besides StartListening.
type validator interface {
	ValidateEventSource(ctx context.Context) error
	GetEventName() string
}

// listenersOf builds Argo's listener for every event of the types this project ships. Other types
// are an error: nothing here would check them.
func listenersOf(es *aev1.EventSource) ([]validator, error) {
	var listeners []validator
	for name, spec := range es.Spec.Generic {
		listeners = append(listeners, &generic.EventListener{EventSourceName: es.Name, EventName: name, GenericEventSource: spec})
	}
	for name, spec := range es.Spec.Webhook {
		listeners = append(listeners, &webhook.EventListener{EventSourceName: es.Name, EventName: name, Webhook: spec})
	}
	for name, spec := range es.Spec.Resource {
		listeners = append(listeners, &resource.EventListener{EventSourceName: es.Name, EventName: name, ResourceEventSource: spec})
	}
	known := len(es.Spec.Generic) + len(es.Spec.Webhook) + len(es.Spec.Resource)
	if known == 0 {
		return nil, fmt.Errorf("EventSource %s has no generic, webhook or resource events (the only types argo-check runs)", es.Name)
	}
	return listeners, nil
}

func validateEventSource(es *aev1.EventSource) error {
	if err := aev1.ValidateEventSource(es); err != nil {
		return err
	}
	listeners, err := listenersOf(es)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var problems []string
	for _, l := range listeners {
		// Argo's controller refuses one EventSource with two events of the same name, whatever their types.
		if seen[l.GetEventName()] {
			problems = append(problems, fmt.Sprintf("more than one %q found in the spec", l.GetEventName()))
		}
		seen[l.GetEventName()] = true
		if err := l.ValidateEventSource(context.Background()); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", l.GetEventName(), err))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// validateSensor runs Argo's ValidateSensor against the two EventBus kinds that constrain Sensors
// differently (NATS Streaming refuses one event referenced by two dependencies; JetStream does not).
func validateSensor(sensor *aev1.Sensor) error {
	buses := map[string]*aev1.EventBus{
		"jetstream": {Spec: aev1.EventBusSpec{JetStream: &aev1.JetStreamBus{}}},
		"nats":      {Spec: aev1.EventBusSpec{NATS: &aev1.NATSBus{}}},
	}
	for _, name := range []string{"jetstream", "nats"} {
		if err := sensorreconciler.ValidateSensor(sensor.DeepCopy(), buses[name]); err != nil {
			return fmt.Errorf("with a %s EventBus: %w", name, err)
		}
	}
	return nil
}
