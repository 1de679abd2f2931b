package sessiontest

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/session"
)

// Harness is one fresh, empty store under test and its clock.
type Harness struct {
	Store session.Store
	// Now is the store's clock.
	Now func() time.Time
	// Wait lets d pass on the store's clock: a fake clock advances, a real
	// one sleeps (Redis expires keys by its own clock).
	Wait func(t *testing.T, d time.Duration)
	// Tick is the shortest lifetime the expiry cases give a session: a
	// few milliseconds on a fake clock, some hundreds on a real one, so
	// that the session is surely active before it passes and surely gone
	// after twice that. Zero: 300ms.
	Tick time.Duration
}

// Run runs the conformance suite; newHarness must return an empty store
// each time it is called.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"CreateThenGetReturnsEveryField", testCreateGet},
		{"CreateJoinsAnActiveSession", testJoin},
		{"ConcurrentJoinsDoNotLoseClients", testConcurrentJoins},
		{"CreateRefusesAnEndedID", testCreateEnded},
		{"CreateRefusesAPastIdleExpiry", testCreateInvalid},
		{"RealmsAreIsolated", testRealmIsolation},
		{"SessionExpiresWhenIdle", testIdleExpiry},
		{"TouchExtendsIdleUpToTheMaxLifespan", testTouch},
		{"StateTellsActiveEndedAndUnknown", testState},
		{"ListFiltersOrdersAndPages", testList},
		{"ListAndStatsDropEndedSessions", testListDropsEnded},
		{"StatsCountsActiveSessionsPerClient", testStats},
		{"TerminateEndsOnceAndRecordsItsEvent", testTerminate},
		{"TerminateEventErrorChangesNothing", testTerminateEventError},
		{"ConcurrentTerminationsEndOnce", testConcurrentTerminate},
		{"ForbidBlocksALateCreate", testForbid},
		{"PendingIsOldestFirstAcrossRealms", testPending},
		{"DeleteRealmRemovesOnlyThatRealm", testDeleteRealm},
		{"ValuesAreCopied", testCopies},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if h.Tick <= 0 {
				h.Tick = 300 * time.Millisecond
			}
			tt.fn(t, h)
		})
	}
}

// Clock is a fake clock for memory stores: Wait advances it.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock at a fixed instant.
func NewClock() *Clock { return &Clock{now: time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Wait advances the clock by d.
func (c *Clock) Wait(_ *testing.T, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// ms truncates to the millisecond, the precision every store keeps.
func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// newSession returns a session of realm and user with every field set,
// idle for an hour and ending in ten.
func newSession(h Harness, realm iam.Realm, userID string) session.Session {
	now := ms(h.Now())
	return session.Session{
		ID: iam.NewID(), Realm: realm, UserID: userID, Username: "user-" + userID,
		Clients:   map[string]string{"uuid-web": "web", "uuid-cli": "cli"},
		IPAddress: "192.0.2.7", UserAgent: "Mozilla/5.0 (déjà vu)",
		Started: now.Add(-time.Minute), LastAccess: now,
		IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(10 * time.Hour),
	}
}

func mustCreate(t *testing.T, s session.Store, in session.Session) session.Session {
	t.Helper()
	out, err := s.Create(ctx(t), in)
	if err != nil {
		t.Fatalf("Create(%s/%s): %v", in.Realm, in.ID, err)
	}
	return out
}

func wantCode(t *testing.T, err error, code iam.Code) {
	t.Helper()
	if iam.ErrorCode(err) != code {
		t.Fatalf("err = %v, want code %q", err, code)
	}
	var e *iam.Error
	if err != nil && !errors.As(err, &e) {
		t.Fatalf("err %v is not an *iam.Error", err)
	}
}

// normalize compares times as instants at millisecond precision and treats
// empty and nil client maps alike.
func normalize(s session.Session) session.Session {
	s = s.Clone()
	for _, p := range []*time.Time{&s.Started, &s.LastAccess, &s.IdleExpiresAt, &s.ExpiresAt} {
		*p = ms(*p)
	}
	if len(s.Clients) == 0 {
		s.Clients = nil
	}
	return s
}

func equal(t *testing.T, got, want session.Session) {
	t.Helper()
	if !reflect.DeepEqual(normalize(got), normalize(want)) {
		t.Fatalf("session differs\n got: %+v\nwant: %+v", normalize(got), normalize(want))
	}
}

func ids(list []session.Session) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.ID
	}
	return out
}

func state(t *testing.T, h Harness, realm iam.Realm, id string) session.State {
	t.Helper()
	st, err := h.Store.State(ctx(t), realm, id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// terminate ends id with a session.terminated event and returns the event.
func terminate(t *testing.T, s session.Store, realm iam.Realm, id string) iam.Event {
	t.Helper()
	var e iam.Event
	_, err := s.Terminate(ctx(t), realm, id, func(sess session.Session) (iam.Event, error) {
		var err error
		e, err = iam.NewEvent(session.EventSource, iam.TopicSessionTerminated, realm, sess.UserID,
			session.TerminatedEvent{Realm: realm, UserID: sess.UserID, SessionID: sess.ID, Reason: session.ReasonAdmin})
		return e, err
	})
	if err != nil {
		t.Fatalf("Terminate(%s/%s): %v", realm, id, err)
	}
	return e
}
