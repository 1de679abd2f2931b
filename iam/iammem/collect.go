package iammem

import (
	"context"
	"slices"
	"sync"

	"github.com/opengate-iam/opengate/iam"
)

// Collector is an iam.Publisher that keeps what it is given: the publisher
// of a memory store's scratch copy, whose events are published by the real
// store only if the copy is kept (the stores' Atomically). Safe for
// concurrent use.
type Collector struct {
	mu     sync.Mutex
	events []iam.Event
}

var _ iam.Publisher = (*Collector)(nil)

// Publish keeps events; it never fails.
func (c *Collector) Publish(_ context.Context, events ...iam.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, events...)
	return nil
}

// Events returns what was published, in order.
func (c *Collector) Events() []iam.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events)
}
