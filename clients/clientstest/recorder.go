package clientstest

import (
	"context"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/iam"
)

// Recorder is an iam.Publisher that keeps what it is given, for stores that
// publish (the memory store).
type Recorder struct {
	mu     sync.Mutex
	events []iam.Event
}

var _ iam.Publisher = (*Recorder)(nil)

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{} }

// Publish records events.
func (r *Recorder) Publish(_ context.Context, events ...iam.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, events...)
	return nil
}

// Events returns the events recorded so far, in order.
func (r *Recorder) Events(*testing.T) []iam.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]iam.Event{}, r.events...)
}
