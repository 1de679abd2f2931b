package mfatest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func wantCode(t *testing.T, err error, code iam.Code) {
	t.Helper()
	if iam.ErrorCode(err) != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	var e *iam.Error
	if !errors.As(err, &e) {
		t.Fatalf("err %v is not an *iam.Error", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond until it holds (records expiring by TTL).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// run runs the named cases, each on a fresh harness.
func run[H any](t *testing.T, newHarness func(*testing.T) H, tests []namedCase[H]) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newHarness(t)) })
	}
}

type namedCase[H any] struct {
	name string
	fn   func(*testing.T, H)
}
