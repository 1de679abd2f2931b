package usershttp_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
	"github.com/opengate-iam/opengate/users/usersmem"
	"github.com/opengate-iam/opengate/users/userstest"
)

func TestResetRequestsBeyondTheLimitsAre429WithRetryAfter(t *testing.T) {
	rs := userstest.NewRealms(userstest.Realm("acme"))
	svc := users.New(usersmem.New(nil), rs, users.WithParams(userstest.FastParams),
		users.WithLinkSealer(userstest.NewLinkSealer(t)), users.WithResetRunner(func(work func()) { work() }),
		users.WithResetLimits(users.NewMemoryLimiter(nil, 0), users.ResetLimits{PerLogin: 1, PerIP: 2, Window: time.Minute}))
	// The caller's address comes from the option: here a header a trusted
	// proxy would set.
	h := usershttp.NewHandler(svc, usershttp.WithClientIP(func(r *http.Request) string { return r.Header.Get("X-Test-Client") }))
	send := func(from, login string, html bool) *httptest.ResponseRecorder {
		var r *http.Request
		if html {
			r = httptest.NewRequest("POST", "/realms/acme/login-actions/reset-credentials", strings.NewReader(url.Values{"username": {login}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Accept", "text/html")
		} else {
			r = httptest.NewRequest("POST", "/realms/acme/login-actions/reset-credentials", strings.NewReader(`{"username":"`+login+`"}`))
			r.Header.Set("Content-Type", "application/json")
		}
		r.Header.Set("X-Test-Client", from)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	wantStatus(t, send("192.0.2.1", "alice", false), 200)
	rec := send("192.0.2.2", "alice", false) // the same login from elsewhere
	wantError(t, rec, 429, iam.CodeRateLimited, "")
	if rec.Header().Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	wantStatus(t, send("192.0.2.1", "bob", false), 200)
	rec = send("192.0.2.1", "carol", true) // the address's third request
	if rec.Code != 429 || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "too many password reset requests") {
		t.Fatalf("HTML answer = %d %q: %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	wantStatus(t, send("192.0.2.3", "carol", false), 200)
}
