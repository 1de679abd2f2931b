package usershttp_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

func TestVerifyEmailLink(t *testing.T) {
	f := newFixture(t)
	id := f.alice()
	wantStatus(t, f.do(acmeAdmin, "PUT", "/admin/realms/acme/users/"+id+"/send-verify-email?client_id=app&redirect_uri=x", nil), http.StatusNoContent)
	key := f.pub.key(t, iam.TopicUserVerifyEmailRequested)
	path := "/realms/acme/login-actions/verify-email?key=" + url.QueryEscape(key)
	wantError(t, f.do(nil, "GET", "/realms/other/login-actions/verify-email?key="+url.QueryEscape(key), nil), 400, iam.CodeInvalid, "key")
	rec := f.do(nil, "GET", path, nil)
	wantStatus(t, rec, http.StatusOK)
	if f.pub.count(iam.TopicUserEmailVerified) != 1 {
		t.Fatal("no user.email_verified")
	}
	wantError(t, f.do(nil, "GET", path, nil), 400, iam.CodeInvalid, "key")
	t.Run("BrowserGetsAPage", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/realms/acme/login-actions/verify-email?key=used", nil)
		r.Header.Set("Accept", "text/html,application/xhtml+xml")
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, r)
		if rec.Code != 400 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") ||
			rec.Header().Get("Referrer-Policy") != "no-referrer" || !strings.Contains(rec.Body.String(), "invalid or has expired") {
			t.Fatalf("page = %d %v %s", rec.Code, rec.Header(), rec.Body)
		}
	})
	t.Run("Lifespan", func(t *testing.T) {
		wantError(t, f.do(acmeAdmin, "PUT", "/admin/realms/acme/users/"+id+"/send-verify-email?lifespan=x", nil), 400, iam.CodeInvalid, "lifespan")
	})
}

func TestExecuteActionsEmail(t *testing.T) {
	f := newFixture(t)
	id := f.alice()
	wantStatus(t, f.do(acmeAdmin, "PUT", "/admin/realms/acme/users/"+id+"/execute-actions-email?lifespan=3600",
		[]string{"UPDATE_PASSWORD"}), http.StatusNoContent)
	key := f.pub.key(t, iam.TopicUserPasswordResetRequested)
	wantStatus(t, f.do(nil, "POST", "/realms/acme/login-actions/reset-credentials/complete",
		map[string]string{"key": key, "password": "chosen-pw"}), http.StatusNoContent)
	if _, err := f.svc.Authenticate(t.Context(), "acme", "alice", "chosen-pw"); err != nil {
		t.Fatal(err)
	}
	wantError(t, f.do(acmeAdmin, "PUT", "/admin/realms/acme/users/"+id+"/execute-actions-email", []string{"FLY"}), 400, iam.CodeInvalid, "requiredActions")
}

func TestResetCredentialsAnswersAlike(t *testing.T) {
	f := newFixture(t)
	f.alice()
	answer := func(body any) (int, string) {
		rec := f.do(nil, "POST", "/realms/acme/login-actions/reset-credentials", body)
		return rec.Code, rec.Body.String()
	}
	code, known := answer(map[string]string{"username": "alice"})
	if code != http.StatusOK {
		t.Fatalf("status = %d", code)
	}
	for _, body := range []any{
		map[string]string{"username": "mallory"},
		map[string]string{"email": "nobody@example.com"},
		map[string]string{"email": "alice@example.com"},
		map[string]string{},
	} {
		if c, b := answer(body); c != code || b != known {
			t.Fatalf("answer for %v = %d %q, want %d %q", body, c, b, code, known)
		}
	}
	if n := f.pub.count(iam.TopicUserPasswordResetRequested); n != 2 {
		t.Fatalf("%d reset mails, want 2 (alice by username and by email)", n)
	}
	wantError(t, f.do(nil, "POST", "/realms/missing/login-actions/reset-credentials", map[string]string{"username": "x"}), 404, iam.CodeNotFound, "")
}

func TestResetCredentialsBrowserFlow(t *testing.T) {
	f := newFixture(t)
	f.alice()
	rec := f.do(nil, "GET", "/realms/acme/login-actions/reset-credentials", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `action="/realms/acme/login-actions/reset-credentials"`) {
		t.Fatalf("request form = %d %s", rec.Code, rec.Body)
	}
	rec = f.do(nil, "POST", "/realms/acme/login-actions/reset-credentials", url.Values{"username": {"alice"}})
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("request answer = %d %s", rec.Code, rec.Body)
	}
	key := f.pub.key(t, iam.TopicUserPasswordResetRequested)
	rec = f.do(nil, "GET", "/realms/acme/login-actions/reset-credentials?key="+url.QueryEscape(key+`"><script>`), nil)
	if rec.Code != 200 || strings.Contains(rec.Body.String(), "<script>") || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("complete form = %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	rec = f.do(nil, "POST", "/realms/acme/login-actions/reset-credentials/complete",
		url.Values{"key": {key}, "password": {"a-new-pw"}, "confirmation": {"another"}})
	if rec.Code != 400 {
		t.Fatalf("mismatched confirmation = %d", rec.Code)
	}
	rec = f.do(nil, "POST", "/realms/acme/login-actions/reset-credentials/complete",
		url.Values{"key": {key}, "password": {"a-new-pw"}, "confirmation": {"a-new-pw"}})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "password has been changed") {
		t.Fatalf("complete = %d %s", rec.Code, rec.Body)
	}
	if _, err := f.svc.Authenticate(t.Context(), "acme", "alice", "a-new-pw"); err != nil {
		t.Fatal(err)
	}
	wantError(t, f.do(nil, "POST", "/realms/acme/login-actions/reset-credentials/complete",
		map[string]string{"key": key, "password": "again"}), 400, iam.CodeInvalid, "key")
}

// TestKeysNeverReachTheRequestLog drives the action endpoints through the
// standard middlewares and checks the log for the key.
func TestKeysNeverReachTheRequestLog(t *testing.T) {
	f := newFixture(t)
	id := f.alice()
	var logs bytes.Buffer
	h := iamhttp.Standard(f.h, slog.New(slog.NewJSONHandler(&logs, nil)))
	send := func(method, path string, body io.Reader, ct string) {
		r := httptest.NewRequest(method, path, body)
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		r = r.WithContext(iam.WithPrincipal(r.Context(), acmeAdmin))
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	send("PUT", "/admin/realms/acme/users/"+id+"/send-verify-email", nil, "")
	send("POST", "/realms/acme/login-actions/reset-credentials", strings.NewReader(`{"username":"alice"}`), "application/json")
	vkey := f.pub.key(t, iam.TopicUserVerifyEmailRequested)
	rkey := f.pub.key(t, iam.TopicUserPasswordResetRequested)
	send("GET", "/realms/acme/login-actions/verify-email?key="+url.QueryEscape(vkey), nil, "")
	send("GET", "/realms/acme/login-actions/reset-credentials?key="+url.QueryEscape(rkey), nil, "")
	send("POST", "/realms/acme/login-actions/reset-credentials/complete",
		strings.NewReader(`{"key":"`+rkey+`","password":"logged-pw?"}`), "application/json")
	if logs.Len() == 0 {
		t.Fatal("nothing was logged")
	}
	for _, secret := range []string{vkey, rkey, "logged-pw", "alice-pw"} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("the log contains a secret: %s", logs.String())
		}
	}
}
