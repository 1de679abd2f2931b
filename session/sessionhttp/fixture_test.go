package sessionhttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/session/sessionhttp"
	"github.com/opengate-iam/opengate/session/sessionmem"
)

const serviceToken = "test-service-token"

var (
	acmeAdmin = &iam.Principal{Subject: "a1", Realm: "acme", Roles: []string{iam.RoleRealmAdmin}}
	betaAdmin = &iam.Principal{Subject: "b1", Realm: "beta", Roles: []string{iam.RoleRealmAdmin}}
	alice     = &iam.Principal{Subject: "alice", Realm: "acme", Roles: []string{"user"}, SessionID: "alice-1"}
)

type realmGetter struct{}

func (realmGetter) Get(_ context.Context, name iam.Realm) (realms.Realm, error) {
	if name != "acme" && name != "beta" {
		return realms.Realm{}, iam.NotFoundf("realm not found")
	}
	return realms.Realm{Name: name}, nil
}

// recorder is the bus: it keeps the published events.
type recorder struct {
	mu     sync.Mutex
	events []iam.Event
}

func (r *recorder) Publish(_ context.Context, events ...iam.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, events...)
	return nil
}

// terminated returns the session ids of the published session.terminated.
func (r *recorder) terminated(t *testing.T) []string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		var d session.TerminatedEvent
		if err := e.Decode(&d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d.SessionID)
	}
	return out
}

type fixture struct {
	t   *testing.T
	svc *session.Service
	bus *recorder
	h   http.Handler
}

// newFixture serves the API over a memory store in which alice has sessions
// alice-1 (clients web and app) and alice-2 (web), and bob has bob-1 (web).
func newFixture(t *testing.T) *fixture {
	t.Helper()
	bus := &recorder{}
	svc := session.New(sessionmem.New(), realmGetter{}, session.WithPublisher(bus))
	f := &fixture{t: t, svc: svc, bus: bus, h: sessionhttp.NewHandler(svc, sessionhttp.WithServiceToken(serviceToken))}
	for _, s := range []session.Session{
		{ID: "alice-1", UserID: "alice", Username: "alice", IPAddress: "192.0.2.1", UserAgent: "Firefox",
			Clients: map[string]string{"uuid-web": "web", "uuid-app": "app"}},
		{ID: "alice-2", UserID: "alice", Username: "alice", Clients: map[string]string{"uuid-web": "web"}},
		{ID: "bob-1", UserID: "bob", Username: "bob", Clients: map[string]string{"uuid-web": "web"}},
	} {
		if _, err := svc.Create(context.Background(), "acme", s); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// do sends a request as principal p (nil: anonymous), with header h.
func (f *fixture) do(p *iam.Principal, method, path string, header ...string) *httptest.ResponseRecorder {
	f.t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	if p != nil {
		r = r.WithContext(iam.WithPrincipal(r.Context(), p))
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	return rec
}

// must sends a request and decodes its answer, failing unless the status
// is want.
func (f *fixture) must(p *iam.Principal, want int, method, path string, out any) {
	f.t.Helper()
	rec := f.do(p, method, path)
	if rec.Code != want {
		f.t.Fatalf("%s %s = %d %s, want %d", method, path, rec.Code, rec.Body, want)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			f.t.Fatalf("%s %s: %v in %s", method, path, err, rec.Body)
		}
	}
}

func (f *fixture) alive(sid string) bool {
	f.t.Helper()
	ok, err := f.svc.Alive(context.Background(), "acme", sid)
	if err != nil {
		f.t.Fatal(err)
	}
	return ok
}
