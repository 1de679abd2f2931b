// Package iammem is what OpenGate's in-memory stores (realmsmem, clientsmem,
// usersmem, rbacmem, and the services still to come) share, so that each
// does one thing one way:
//
//   - Once records which events a consumer has handled and runs each
//     event's effect at most once, checking and running atomically: of
//     concurrent deliveries of one event, one runs and the others wait for
//     it, then see it handled.
//   - Publisher hands a store's events to the bus after each change, in the
//     order the changes were applied, logging (never returning) a failure to
//     publish: the change is made.
//
// A memory store embeds both:
//
//	type Store struct {
//		mu     sync.RWMutex
//		events *iammem.Publisher
//		once   *iammem.Once
//		...
//	}
//
//	func (s *Store) Delete(ctx context.Context, id string, events ...iam.Event) error {
//		s.mu.Lock()
//		delete(s.items, id)
//		s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
//		return nil
//	}
//
//	func (s *Store) Once(ctx context.Context, consumer, eventID string, fn func(svc.Store) error) error {
//		return s.once.Do(ctx, consumer, eventID, func() error { return fn(s) })
//	}
//
// It depends on the standard library and iam only, like the root service
// packages.
package iammem
