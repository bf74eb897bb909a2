// mcp-go-client: a Go client of the gateway, generated from proto/ with protoc-gen-go and
// protoc-gen-go-grpc (see recipe.sh), as the Go reference server's users generate theirs. It calls
// every RPC of mcp.v1.MCPService (IngestEventBatch and IngestEventBatchStream included) and
// mcp.Eventing against a running gateway and checks each answer field by field; it prints
// "ok <check>" per check and exits 1 at the first one that fails.
//
//	mcp-go-client -addr 127.0.0.1:50051 [-run RUN_ID]
//	mcp-go-client -version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	mcp "tas.ai/test/cluster/go-client/gen/mcp"
	mcpv1 "tas.ai/test/cluster/go-client/gen/mcpv1"
)

// Each wait is bounded: a check that does not happen in time fails.
const wait = 10 * time.Second

type checker struct {
	v1     mcpv1.MCPServiceClient
	legacy mcp.EventingClient
	run    string
	start  int64
}

func fail(format string, args ...any) {
	fmt.Printf("FAIL "+format+"\n", args...)
	os.Exit(1)
}

func ok(check string) { fmt.Printf("ok %s\n", check) }

func expect(what string, got, want any) {
	if !reflect.DeepEqual(got, want) {
		fail("%s: got %#v, want %#v", what, got, want)
	}
}

func noError(what string, err error) {
	if err != nil {
		fail("%s: %v", what, err)
	}
}

func ctx() (context.Context, context.CancelFunc) { return context.WithTimeout(context.Background(), wait) }

func (c *checker) id(name string) string { return c.run + "-" + name }

func (c *checker) ingest(event *mcpv1.IngestEventRequest) *mcpv1.IngestEventResponse {
	cx, cancel := ctx()
	defer cancel()
	resp, err := c.v1.IngestEvent(cx, event)
	noError("IngestEvent "+event.EventId, err)
	return resp
}

// Events of the log from start_timestamp, as a finished (follow=false) StreamEvents returns them.
func (c *checker) replay(req *mcpv1.StreamEventsRequest) []*mcpv1.Event {
	cx, cancel := ctx()
	defer cancel()
	stream, err := c.v1.StreamEvents(cx, req)
	noError("StreamEvents", err)
	var events []*mcpv1.Event
	for {
		event, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return events
		}
		noError("StreamEvents Recv", err)
		events = append(events, event)
	}
}

func sameEvent(what string, got *mcpv1.Event, want *mcpv1.IngestEventRequest) {
	expect(what+" event_id", got.EventId, want.EventId)
	expect(what+" event_type", got.EventType, want.EventType)
	expect(what+" source", got.Source, want.Source)
	expect(what+" timestamp", got.Timestamp, want.Timestamp)
	expect(what+" data", got.Data, want.Data)
	if len(got.Metadata) != 0 || len(want.Metadata) != 0 {
		expect(what+" metadata", got.Metadata, want.Metadata)
	}
	if got.Position == 0 {
		fail("%s position: got 0, want the event's log position", what)
	}
}

func (c *checker) health() {
	cx, cancel := ctx()
	defer cancel()
	h, err := c.v1.GetHealth(cx, &mcpv1.HealthCheckRequest{})
	noError("GetHealth", err)
	expect("GetHealth healthy", h.Healthy, true)
	expect("GetHealth status", h.Status, "healthy")
	for key, want := range map[string]string{"grpc_server": "running", "http_server": "running", "health_server": "running", "event_queue": "healthy", "phase": "ready"} {
		expect("GetHealth details."+key, h.Details[key], want)
	}
	if h.Details["version"] == "" {
		fail("GetHealth details.version is empty")
	}
	// Milliseconds, like the reference: a gateway that just started reports well under an hour.
	if h.Uptime <= 0 || h.Uptime > 3_600_000 {
		fail("GetHealth uptime: got %d, want milliseconds since start", h.Uptime)
	}
	ok("GetHealth: healthy, status, details, uptime in milliseconds")
}

func (c *checker) ingestAndReplay() {
	first := &mcpv1.IngestEventRequest{
		EventId: c.id("1"), EventType: "go.client.created", Source: "go-client", Timestamp: c.start + 1,
		Data: `{"document_id":"doc_456","n":1}`, Metadata: map[string]string{"tenant_id": "tenant_789", "space_id": "s1"},
	}
	resp := c.ingest(first)
	expect("IngestEvent event_id", resp.EventId, first.EventId)
	expect("IngestEvent success", resp.Success, true)
	expect("IngestEvent status", resp.Status, "accepted")
	expect("IngestEvent message", resp.Message, "event accepted")
	if now := time.Now().UnixMilli(); resp.Timestamp < now-60_000 || resp.Timestamp > now+60_000 {
		fail("IngestEvent timestamp: got %d, want about %d (ms)", resp.Timestamp, now)
	}
	again := c.ingest(first)
	expect("IngestEvent (repeat) status", again.Status, "duplicate")
	expect("IngestEvent (repeat) success", again.Success, true)
	ok("IngestEvent: accepted, then duplicate for the same event_id")

	cx, cancel := ctx()
	defer cancel()
	_, err := c.v1.IngestEvent(cx, &mcpv1.IngestEventRequest{EventId: c.id("bad"), EventType: "go.client.bad", Source: "go-client", Data: "{not json"})
	expect("IngestEvent (bad data) code", status.Code(err), codes.InvalidArgument)
	if !strings.Contains(status.Convert(err).Message(), "data") {
		fail("IngestEvent (bad data) message %q does not name the field", status.Convert(err).Message())
	}
	ok("IngestEvent: INVALID_ARGUMENT naming the field for data that is not JSON")

	// The reference's HTTP path stamps seconds: a timestamp below 10^11 is taken as seconds.
	seconds := &mcpv1.IngestEventRequest{EventId: c.id("2"), EventType: "go.client.updated", Source: "go-client", Timestamp: c.start/1000 + 5, Data: `[1,2]`}
	c.ingest(seconds)
	other := &mcpv1.IngestEventRequest{EventId: c.id("3"), EventType: "other.type", Source: "go-client", Timestamp: c.start + 3, Data: `{}`}
	c.ingest(other)

	events := c.replay(&mcpv1.StreamEventsRequest{EventTypes: []string{"go.client.*"}, StartTimestamp: c.start - 1000, Follow: false})
	var mine []*mcpv1.Event
	for _, e := range events {
		if strings.HasPrefix(e.EventId, c.run+"-") {
			mine = append(mine, e)
		}
	}
	if len(mine) != 2 {
		fail("StreamEvents go.client.*: got %d of this run's events, want 2 (%v)", len(mine), mine)
	}
	sameEvent("StreamEvents[0]", mine[0], first)
	inMillis := *seconds
	inMillis.Timestamp = seconds.Timestamp * 1000
	sameEvent("StreamEvents[1]", mine[1], &inMillis)
	ok("StreamEvents (replay, type filter): every field as ingested, seconds stored as milliseconds, ends OK")

	resumed := c.replay(&mcpv1.StreamEventsRequest{EventTypes: []string{"go.client.*"}, AfterPosition: mine[0].Position})
	if len(resumed) != 1 || resumed[0].EventId != seconds.EventId {
		fail("StreamEvents after_position %d: got %v, want only %s", mine[0].Position, resumed, seconds.EventId)
	}
	ok("StreamEvents after_position: resumes right after the given position")
}

func (c *checker) follow() {
	cx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	stream, err := c.v1.StreamEvents(cx, &mcpv1.StreamEventsRequest{EventTypes: []string{"go.client.live"}, StartTimestamp: time.Now().UnixMilli(), Follow: true})
	noError("StreamEvents follow", err)
	live := &mcpv1.IngestEventRequest{EventId: c.id("live"), EventType: "go.client.live", Source: "go-client", Timestamp: time.Now().UnixMilli(), Data: `{"live":true}`}
	// The subscription is open once the server has the call; give it a moment before ingesting.
	time.Sleep(200 * time.Millisecond)
	c.ingest(live)
	event, err := stream.Recv()
	noError("StreamEvents follow Recv", err)
	sameEvent("StreamEvents follow", event, live)
	ok("StreamEvents follow: a live event arrives with every field")
}

func (c *checker) eventStream() {
	cx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	alice, err := c.v1.EventStream(cx)
	noError("EventStream alice", err)
	bob, err := c.v1.EventStream(cx)
	noError("EventStream bob", err)
	time.Sleep(200 * time.Millisecond)
	sent := &mcpv1.Event{EventId: c.id("alice-1"), EventType: "go.client.chat", Source: "alice", Timestamp: c.start + 10, Data: `{"text":"hi"}`, Metadata: map[string]string{"room": "r1"}}
	noError("EventStream alice Send", alice.Send(sent))
	got, err := bob.Recv()
	noError("EventStream bob Recv", err)
	sameEvent("EventStream bob", got, &mcpv1.IngestEventRequest{EventId: sent.EventId, EventType: sent.EventType, Source: sent.Source, Timestamp: sent.Timestamp, Data: sent.Data, Metadata: sent.Metadata})
	// Half-closing ends each stream with OK once what is queued for it is sent; alice gets no echo.
	noError("EventStream alice CloseSend", alice.CloseSend())
	if extra, err := alice.Recv(); !errors.Is(err, io.EOF) {
		fail("EventStream alice after CloseSend: got %v / %v, want OK (io.EOF) and no echo of its own event", extra, err)
	}
	noError("EventStream bob CloseSend", bob.CloseSend())
	if _, err := bob.Recv(); !errors.Is(err, io.EOF) {
		fail("EventStream bob after CloseSend: got %v, want OK (io.EOF)", err)
	}
	ok("EventStream: one stream's event reaches the other with every field, no echo, both end OK on half-close")
}

func (c *checker) legacyStream() {
	cx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	watch, err := c.v1.StreamEvents(cx, &mcpv1.StreamEventsRequest{EventTypes: []string{"legacy.event"}, StartTimestamp: time.Now().UnixMilli(), Follow: true})
	noError("StreamEvents legacy.event", err)
	old, err := c.legacy.EventStream(cx)
	noError("mcp.Eventing/EventStream", err)
	time.Sleep(200 * time.Millisecond)
	noError("mcp.Eventing Send", old.Send(&mcp.MCPEvent{Id: c.id("legacy-1"), Data: `{"agent":"assistant"}`}))
	mapped, err := watch.Recv()
	noError("StreamEvents legacy.event Recv", err)
	expect("legacy event_id", mapped.EventId, c.id("legacy-1"))
	expect("legacy event_type", mapped.EventType, "legacy.event")
	expect("legacy source", mapped.Source, "legacy-api")
	expect("legacy data", mapped.Data, `{"agent":"assistant"}`)
	ok("mcp.Eventing/EventStream: a legacy event becomes legacy.event from legacy-api, as the reference maps it")

	modern := &mcpv1.IngestEventRequest{EventId: c.id("to-legacy"), EventType: "go.client.notice", Source: "go-client", Data: `{"n":7}`}
	c.ingest(modern)
	got, err := old.Recv()
	noError("mcp.Eventing Recv", err)
	expect("legacy Recv id", got.Id, modern.EventId)
	expect("legacy Recv data", got.Data, modern.Data)
	noError("mcp.Eventing CloseSend", old.CloseSend())
	for {
		_, err := old.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		noError("mcp.Eventing Recv after CloseSend", err)
	}
	ok("mcp.Eventing/EventStream: other events arrive as {id, data}; ends OK on half-close")
}

// IngestEventBatch (added by TAS MCP): each event answered on its own, in order; results are left
// out when every event was taken.
func (c *checker) ingestBatch() {
	cx, cancel := ctx()
	defer cancel()
	good := func(n string) *mcpv1.IngestEventRequest {
		return &mcpv1.IngestEventRequest{EventId: c.id("batch-" + n), EventType: "go.client.batched", Source: "go-client", Timestamp: c.start + 10, Data: `{"n":1}`}
	}
	all, err := c.v1.IngestEventBatch(cx, &mcpv1.IngestEventBatchRequest{Events: []*mcpv1.IngestEventRequest{good("1"), good("2")}})
	noError("IngestEventBatch", err)
	expect("IngestEventBatch (all taken) accepted", all.Accepted, int32(2))
	expect("IngestEventBatch (all taken) results", len(all.Results), 0)
	bad := &mcpv1.IngestEventRequest{EventId: c.id("batch-bad"), EventType: "go.client.batched", Source: "go-client", Data: "not json"}
	mixed, err := c.v1.IngestEventBatch(cx, &mcpv1.IngestEventBatchRequest{Events: []*mcpv1.IngestEventRequest{good("3"), bad, good("1")}})
	noError("IngestEventBatch (mixed)", err)
	expect("IngestEventBatch (mixed) counts", []int32{mixed.Accepted, mixed.Duplicates, mixed.Rejected, mixed.Refused}, []int32{1, 1, 1, 0})
	if len(mixed.Results) != 3 {
		fail("IngestEventBatch (mixed) results: got %d, want 3", len(mixed.Results))
	}
	expect("IngestEventBatch (mixed) statuses", []string{mixed.Results[0].Status, mixed.Results[1].Status, mixed.Results[2].Status}, []string{"accepted", "rejected", "duplicate"})
	expect("IngestEventBatch (mixed) rejected event_id", mixed.Results[1].EventId, bad.EventId)
	expect("IngestEventBatch (mixed) rejected error", mixed.Results[1].Error, "invalid")
	expect("IngestEventBatch (mixed) rejected field", mixed.Results[1].Field, "events[1].data")
	_, err = c.v1.IngestEventBatch(cx, &mcpv1.IngestEventBatchRequest{})
	expect("IngestEventBatch (empty) code", status.Code(err), codes.InvalidArgument)
	ok("IngestEventBatch: per-event answers in order, none when all were taken; an empty batch is INVALID_ARGUMENT")
}

// IngestEventBatchStream (added by TAS MCP): one answer per batch, in order, as IngestEventBatch
// answers; the stream ends OK once the client half-closes and every batch is answered.
func (c *checker) ingestBatchStream() {
	cx, cancel := ctx()
	defer cancel()
	event := func(n string) *mcpv1.IngestEventRequest {
		return &mcpv1.IngestEventRequest{EventId: c.id("stream-" + n), EventType: "go.client.streamed", Source: "go-client", Timestamp: c.start + 10, Data: `{"n":1}`}
	}
	stream, err := c.v1.IngestEventBatchStream(cx)
	noError("IngestEventBatchStream", err)
	noError("IngestEventBatchStream Send 1", stream.Send(&mcpv1.IngestEventBatchRequest{Events: []*mcpv1.IngestEventRequest{event("1"), event("2")}}))
	noError("IngestEventBatchStream Send 2", stream.Send(&mcpv1.IngestEventBatchRequest{Events: []*mcpv1.IngestEventRequest{event("2"), event("3")}}))
	noError("IngestEventBatchStream CloseSend", stream.CloseSend())
	first, err := stream.Recv()
	noError("IngestEventBatchStream Recv 1", err)
	expect("IngestEventBatchStream first answer (accepted, duplicates, results)", []int32{first.Accepted, first.Duplicates, int32(len(first.Results))}, []int32{2, 0, 0})
	second, err := stream.Recv()
	noError("IngestEventBatchStream Recv 2", err)
	expect("IngestEventBatchStream second answer (accepted, duplicates, results)", []int32{second.Accepted, second.Duplicates, int32(len(second.Results))}, []int32{1, 1, 0})
	if extra, err := stream.Recv(); !errors.Is(err, io.EOF) {
		fail("IngestEventBatchStream after both answers: got %v / %v, want OK (io.EOF)", extra, err)
	}
	ok("IngestEventBatchStream: one answer per batch, in order; ends OK after the client half-closes")
}

func (c *checker) metrics() {
	cx, cancel := ctx()
	defer cancel()
	m, err := c.v1.GetMetrics(cx, &mcpv1.MetricsRequest{})
	noError("GetMetrics", err)
	// This run accepted 10 events (1, 2, 3, live, alice-1, legacy-1, to-legacy, batch-1, -2, -3) and had 2 rejected.
	if m.TotalEvents < 10 || m.ErrorEvents < 2 || m.StreamEvents < 1 {
		fail("GetMetrics counts: got total %d, errors %d, streamed %d; want at least 10, 2, 1", m.TotalEvents, m.ErrorEvents, m.StreamEvents)
	}
	expect("GetMetrics forwarded_events", m.ForwardedEvents, int64(0))
	if m.ActiveStreams < 0 || m.Uptime <= 0 || m.Uptime > 3_600_000 {
		fail("GetMetrics active_streams %d / uptime %d (ms)", m.ActiveStreams, m.Uptime)
	}
	ok("GetMetrics: counts of this run, uptime in milliseconds")
}

func version() string {
	info, _ := debug.ReadBuildInfo()
	var deps []string
	for _, dep := range info.Deps {
		if dep.Path == "google.golang.org/grpc" || dep.Path == "google.golang.org/protobuf" {
			deps = append(deps, dep.Path+" "+dep.Version)
		}
	}
	sort.Strings(deps)
	return "mcp-go-client (" + strings.Join(deps, ", ") + ")"
}

func main() {
	addr := flag.String("addr", "127.0.0.1:50051", "the gateway's gRPC address")
	run := flag.String("run", fmt.Sprintf("go-%d", time.Now().UnixNano()), "prefix of this run's event ids")
	showVersion := flag.Bool("version", false, "print the grpc and protobuf versions and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version())
		return
	}
	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	noError("dial "+*addr, err)
	defer conn.Close()
	c := &checker{v1: mcpv1.NewMCPServiceClient(conn), legacy: mcp.NewEventingClient(conn), run: *run, start: time.Now().UnixMilli()}
	c.health()
	c.ingestAndReplay()
	c.follow()
	c.eventStream()
	c.legacyStream()
	c.ingestBatch()
	c.ingestBatchStream()
	c.metrics()
	fmt.Println("all checks passed")
}
