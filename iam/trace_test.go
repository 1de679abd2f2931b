package iam_test

import (
	"context"
	"testing"

	"github.com/opengate-iam/opengate/iam"
)

const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestValidTraceParent(t *testing.T) {
	for s, want := range map[string]bool{
		traceparent: true,
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00":   true,
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01":   false, // zero trace id
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01":   false, // zero parent id
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01":   false, // uppercase
		"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01":   false, // unknown version
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x": false,
		"": false,
	} {
		if got := iam.ValidTraceParent(s); got != want {
			t.Errorf("ValidTraceParent(%q) = %v", s, got)
		}
	}
}

func TestTraceParentInContext(t *testing.T) {
	ctx := context.Background()
	if iam.TraceParent(iam.WithTraceParent(ctx, "garbage")) != "" {
		t.Fatal("a malformed traceparent entered the context")
	}
	if got := iam.TraceParent(iam.WithTraceParent(ctx, traceparent)); got != traceparent {
		t.Fatalf("TraceParent = %q", got)
	}
}

func TestStampTrace(t *testing.T) {
	own := "00-11111111111111111111111111111111-2222222222222222-01"
	events := []iam.Event{{ID: "a"}, {ID: "b", TraceParent: own}}
	if got := iam.StampTrace(context.Background(), events); &got[0] != &events[0] {
		t.Fatal("without a trace the events are copied")
	}
	got := iam.StampTrace(iam.WithTraceParent(context.Background(), traceparent), events)
	if got[0].TraceParent != traceparent || got[1].TraceParent != own {
		t.Fatalf("stamped %+v", got)
	}
	if events[0].TraceParent != "" {
		t.Fatal("StampTrace modified its argument")
	}
}
