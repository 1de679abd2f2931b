package session_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/session/sessionmem"
	"github.com/opengate-iam/opengate/session/sessiontest"
)

// realmGetter serves fixed realms.
type realmGetter map[iam.Realm]realms.Realm

func (g realmGetter) Get(_ context.Context, name iam.Realm) (realms.Realm, error) {
	r, ok := g[name]
	if !ok {
		return realms.Realm{}, iam.NotFoundf("realm not found")
	}
	return r, nil
}

// publisher records what it publishes, or fails while fail is set.
type publisher struct {
	mu     sync.Mutex
	fail   bool
	events []iam.Event
}

func (p *publisher) Publish(_ context.Context, events ...iam.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail {
		return &iam.Error{Code: iam.CodeUnavailable, Message: "bus down", Err: errors.New("bus down")}
	}
	p.events = append(p.events, events...)
	return nil
}

func (p *publisher) setFail(fail bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail = fail
}

// terminated returns the session.terminated events published so far.
func (p *publisher) terminated(t *testing.T) []session.TerminatedEvent {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []session.TerminatedEvent
	for _, e := range p.events {
		if e.Type != iam.TopicSessionTerminated {
			t.Fatalf("published %s", e.Type)
		}
		var d session.TerminatedEvent
		if err := e.Decode(&d); err != nil {
			t.Fatal(err)
		}
		if e.Subject != d.UserID || e.Realm != d.Realm {
			t.Fatalf("event %+v: subject or realm differs from its data %+v", e, d)
		}
		out = append(out, d)
	}
	return out
}

// env is a Service over a memory store on a fake clock, with realm acme
// (idle 30 minutes, max 10 hours).
type env struct {
	svc   *session.Service
	store *sessionmem.Store
	clock *sessiontest.Clock
	pub   *publisher
}

const (
	idle    = 30 * time.Minute
	maxLife = 10 * time.Hour
)

func newEnv(t *testing.T, opts ...session.Option) env {
	t.Helper()
	clock := sessiontest.NewClock()
	store := sessionmem.New(sessionmem.WithClock(clock.Now))
	pub := &publisher{}
	getter := realmGetter{"acme": {Name: "acme", SSOSessionIdleTimeout: idle, SSOSessionMaxLifespan: maxLife},
		"beta": {Name: "beta"}}
	opts = append([]session.Option{session.WithPublisher(pub), session.WithClock(clock.Now)}, opts...)
	return env{svc: session.New(store, getter, opts...), store: store, clock: clock, pub: pub}
}

// login creates session sid of user in acme for client web.
func (e env) login(t *testing.T, sid, user string) session.Session {
	t.Helper()
	s, err := e.svc.Create(context.Background(), "acme", session.Session{ID: sid, UserID: user, Username: "name-" + user,
		Clients: map[string]string{"uuid-web": "web"}})
	if err != nil {
		t.Fatalf("Create(%s): %v", sid, err)
	}
	return s
}

func wantCode(t *testing.T, err error, code iam.Code) {
	t.Helper()
	if got := iam.ErrorCode(err); got != code {
		t.Fatalf("err = %v, want code %q", err, code)
	}
}

func alive(t *testing.T, e env, realm iam.Realm, sid string) bool {
	t.Helper()
	ok, err := e.svc.Alive(context.Background(), realm, sid)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}
