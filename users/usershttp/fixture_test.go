package usershttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
	"github.com/opengate-iam/opengate/users/usersmem"
	"github.com/opengate-iam/opengate/users/userstest"
)

const serviceToken = "test-service-token"

var (
	masterAdmin = &iam.Principal{Subject: "root", Realm: iam.MasterRealm, Roles: []string{iam.RoleAdmin}}
	acmeAdmin   = &iam.Principal{Subject: "a1", Realm: "acme", Roles: []string{iam.RoleRealmAdmin}}
	otherAdmin  = &iam.Principal{Subject: "o1", Realm: "other", Roles: []string{iam.RoleRealmAdmin}}
	acmeUser    = &iam.Principal{Subject: "u1", Realm: "acme", Roles: []string{"user"}}
)

// recorder is an iam.Publisher that keeps what it is given.
type recorder struct {
	links  *iamcrypto.Sealer // opens the action links
	mu     sync.Mutex
	events []iam.Event
}

func (r *recorder) Publish(_ context.Context, events ...iam.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, events...)
	return nil
}

// key returns the key in the link of the last event of topic.
func (r *recorder) key(t *testing.T, topic string) string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.events) - 1; i >= 0; i-- {
		if r.events[i].Type != topic {
			continue
		}
		_, key := userstest.ActionKey(t, r.links, r.events[i])
		return key
	}
	t.Fatalf("no %s event", topic)
	return ""
}

func (r *recorder) count(topic string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.Type == topic {
			n++
		}
	}
	return n
}

// fixture is a handler over a memory-backed service with realms master,
// acme and other.
type fixture struct {
	t   *testing.T
	svc *users.Service
	pub *recorder
	h   http.Handler
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pub := &recorder{links: userstest.NewLinkSealer(t)}
	rs := userstest.NewRealms(userstest.Realm(iam.MasterRealm), userstest.Realm("acme"), userstest.Realm("other"))
	svc := users.New(usersmem.New(pub), rs, users.WithParams(userstest.FastParams), users.WithLinkSealer(pub.links),
		users.WithResetRunner(func(work func()) { work() }))
	return &fixture{t: t, svc: svc, pub: pub, h: usershttp.NewHandler(svc, usershttp.WithServiceToken(serviceToken))}
}

// do sends a request as principal p (nil: anonymous); body is marshalled
// unless it is a string (sent as JSON) or url.Values (sent as a form).
func (f *fixture) do(p *iam.Principal, method, path string, body any) *httptest.ResponseRecorder {
	f.t.Helper()
	var r *http.Request
	switch b := body.(type) {
	case nil:
		r = httptest.NewRequest(method, path, nil)
	case string:
		r = httptest.NewRequest(method, path, strings.NewReader(b))
		r.Header.Set("Content-Type", "application/json")
	case url.Values:
		r = httptest.NewRequest(method, path, strings.NewReader(b.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		r = httptest.NewRequest(method, path, bytes.NewReader(raw))
		r.Header.Set("Content-Type", "application/json")
	}
	if p != nil {
		r = r.WithContext(iam.WithPrincipal(r.Context(), p))
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	return rec
}

// importUsers posts body to the internal import route as principal p (the
// realm service forwards its caller's token there).
func (f *fixture) importUsers(p *iam.Principal, realm string, body any) *httptest.ResponseRecorder {
	f.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			f.t.Fatal(err)
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/internal/realms/"+realm+"/users/import", bytes.NewReader(raw))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(iamhttp.ServiceTokenHeader, serviceToken)
	if p != nil {
		r = r.WithContext(iam.WithPrincipal(r.Context(), p))
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	return rec
}

// create makes a user through the API and returns its id.
func (f *fixture) create(p *iam.Principal, realm string, rep map[string]any) string {
	f.t.Helper()
	rec := f.do(p, "POST", "/admin/realms/"+realm+"/users", rep)
	if rec.Code != http.StatusCreated {
		f.t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	loc := rec.Header().Get("Location")
	// Absolute, as Keycloak's: the request's scheme and host.
	want := "http://example.com/admin/realms/" + realm + "/users/"
	if !strings.HasPrefix(loc, want) {
		f.t.Fatalf("Location = %q", loc)
	}
	return strings.TrimPrefix(loc, want)
}

// alice creates an enabled alice in acme with password "alice-pw".
func (f *fixture) alice() string {
	f.t.Helper()
	return f.create(masterAdmin, "acme", map[string]any{"username": "alice", "email": "alice@example.com",
		"enabled": true, "credentials": []any{map[string]any{"type": "password", "value": "alice-pw"}}})
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("body %q: %v", rec.Body.String(), err)
	}
	return v
}

func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d: %s", rec.Code, status, rec.Body)
	}
}

func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, code iam.Code, field string) iamhttp.ErrorBody {
	t.Helper()
	wantStatus(t, rec, status)
	b := decode[iamhttp.ErrorBody](t, rec)
	if b.Error != string(code) || b.Field != field || b.ErrorMessage == "" {
		t.Fatalf("error body = %+v, want code %q field %q", b, code, field)
	}
	return b
}
