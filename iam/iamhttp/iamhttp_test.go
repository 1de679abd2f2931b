package iamhttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

type payload struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func decodeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p payload
		if err := iamhttp.Decode(w, r, &p); err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		iamhttp.JSON(w, http.StatusOK, p)
	})
}

func errorBody(t *testing.T, rec *httptest.ResponseRecorder) iamhttp.ErrorBody {
	t.Helper()
	var b iamhttp.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("error body is not JSON: %q", rec.Body.String())
	}
	return b
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		field  string
	}{
		{"AcceptsValidJSON", `{"name":"a","count":2}`, 200, "", ""},
		{"OversizedBodyIs413", `{"name":"` + strings.Repeat("x", iamhttp.MaxBodyBytes) + `"}`, 413, "too_large", ""},
		{"MalformedJSONIsInvalid", `{"name":`, 400, "invalid", ""},
		{"UnknownFieldIsInvalidAndNamed", `{"name":"a","admin":true}`, 400, "invalid", "admin"},
		{"WrongTypeIsInvalidAndNamed", `{"count":"many"}`, 400, "invalid", "count"},
		{"EmptyBodyIsInvalid", ``, 400, "invalid", ""},
		{"TrailingDataIsInvalid", `{"name":"a"} {"name":"b"}`, 400, "invalid", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			decodeHandler().ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d (%s)", rec.Code, tt.status, rec.Body.String())
			}
			if tt.code == "" {
				return
			}
			b := errorBody(t, rec)
			if b.Error != tt.code || b.Field != tt.field || b.ErrorDescription == "" {
				t.Fatalf("body = %+v, want code %q field %q", b, tt.code, tt.field)
			}
			if len(rec.Body.String()) > 500 {
				t.Fatalf("error body echoes the input: %d bytes", rec.Body.Len())
			}
		})
	}
}

func TestErrorMapsCodesToStatus(t *testing.T) {
	tests := []struct {
		err    error
		status int
	}{
		{iam.Invalidf("f", "bad"), 400},
		{iam.NotFoundf("missing"), 404},
		{iam.Conflictf("dup"), 409},
		{iam.Errorf(iam.CodeUnauthenticated, "who"), 401},
		{iam.Errorf(iam.CodeForbidden, "no"), 403},
		{iam.Errorf(iam.CodeRateLimited, "slow"), 429},
		{iam.Errorf(iam.CodeUnavailable, "down"), 503},
		{errors.New("db password=secret"), 500},
	}
	for _, tt := range tests {
		t.Run(string(iam.ErrorCode(tt.err)), func(t *testing.T) {
			rec := httptest.NewRecorder()
			iamhttp.Error(rec, httptest.NewRequest("GET", "/", nil), tt.err)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			if strings.Contains(rec.Body.String(), "secret") {
				t.Fatalf("internal cause leaked: %s", rec.Body.String())
			}
			if iamhttp.CodeOf(tt.status) != iam.ErrorCode(tt.err) {
				t.Fatalf("CodeOf(%d) = %s, want %s", tt.status, iamhttp.CodeOf(tt.status), iam.ErrorCode(tt.err))
			}
		})
	}
}

func TestRecoverAnswers500WithoutStack(t *testing.T) {
	h := iamhttp.Standard(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom: secret internals")
	}), slog.New(slog.NewTextHandler(io.Discard, nil)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 500 {
		t.Fatalf("status = %d", rec.Code)
	}
	body := rec.Body.String()
	if strings.Contains(body, "goroutine") || strings.Contains(body, "secret") || strings.Contains(body, ".go:") {
		t.Fatalf("body leaks panic details: %s", body)
	}
	if b := errorBody(t, rec); b.Error != "internal" {
		t.Fatalf("code = %q", b.Error)
	}
	if rec.Header().Get(iamhttp.RequestIDHeader) == "" {
		t.Fatal("no request id")
	}
}

func TestResponseErrorRoundTrips(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		iamhttp.Error(w, r, iam.Invalidf("email", "email is malformed"))
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := iamhttp.ResponseError("remote", resp)
	if iam.ErrorCode(got) != iam.CodeInvalid || iam.ErrorField(got) != "email" || iam.ErrorMessage(got) != "email is malformed" {
		t.Fatalf("got %v", got)
	}
}

func TestReadyzReportsFailingCheck(t *testing.T) {
	h := iamhttp.Readyz(map[string]iamhttp.Check{
		"postgres": func(context.Context) error { return nil },
		"redis":    func(context.Context) error { return errors.New("dial redis:6379 refused") },
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), `"redis":"unavailable"`) || strings.Contains(rec.Body.String(), "6379") {
		t.Fatalf("readyz = %d %s", rec.Code, rec.Body.String())
	}
}

// /healthz and /readyz answer one JSON shape, so a probe or a dashboard reads
// both alike.
func TestHealthAndReadinessShareOneShape(t *testing.T) {
	tests := []struct {
		name       string
		h          http.Handler
		wantStatus int
		want       iamhttp.Health
	}{
		{"Healthz", iamhttp.Healthz(), 200, iamhttp.Health{Status: "ok", Checks: map[string]string{}}},
		{"ReadyzNoChecks", iamhttp.Readyz(nil), 200, iamhttp.Health{Status: "ok", Checks: map[string]string{}}},
		{"ReadyzOK", iamhttp.Readyz(map[string]iamhttp.Check{"postgres": func(context.Context) error { return nil }}),
			200, iamhttp.Health{Status: "ok", Checks: map[string]string{"postgres": "ok"}}},
		{"ReadyzFailing", iamhttp.Readyz(map[string]iamhttp.Check{
			"postgres": func(context.Context) error { return nil },
			"redis":    func(context.Context) error { return errors.New("down") },
		}), 503, iamhttp.Health{Status: "unavailable", Checks: map[string]string{"postgres": "ok", "redis": "unavailable"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tt.h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			var got map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("body %s: want exactly status and checks", rec.Body)
			}
			var h iamhttp.Health
			_ = json.Unmarshal(rec.Body.Bytes(), &h)
			if rec.Code != tt.wantStatus || !reflect.DeepEqual(h, tt.want) {
				t.Fatalf("= %d %s, want %d %+v", rec.Code, rec.Body, tt.wantStatus, tt.want)
			}
		})
	}
}

func TestReadyzExcludesNamedChecks(t *testing.T) {
	h := iamhttp.Readyz(map[string]iamhttp.Check{
		"postgres":         func(context.Context) error { return nil },
		"background_tasks": func(context.Context) error { return errors.New("rbac consumer: starting") },
	})
	get := func(target string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		return rec
	}
	if rec := get("/readyz"); rec.Code != 503 {
		t.Fatalf("without exclude = %d %s, want 503", rec.Code, rec.Body.String())
	}
	if rec := get("/readyz?exclude=background_tasks"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"background_tasks":"excluded"`) ||
		!strings.Contains(rec.Body.String(), `"postgres":"ok"`) {
		t.Fatalf("excluding the failing check = %d %s, want 200", rec.Code, rec.Body.String())
	}
	if rec := get("/readyz?exclude=kafka"); rec.Code != 400 || !strings.Contains(rec.Body.String(), `kafka`) {
		t.Fatalf("excluding an unknown check = %d %s, want 400 naming it", rec.Code, rec.Body.String())
	}
}

func TestParsePage(t *testing.T) {
	tests := []struct {
		query     string
		first, mx int
		wantErr   bool
	}{
		{"", 0, 100, false},
		{"first=20&max=10", 20, 10, false},
		{"max=100000", 0, 1000, false},
		{"first=-1", 0, 0, true},
		{"max=abc", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			p, err := iamhttp.ParsePage(httptest.NewRequest("GET", "/?"+tt.query, nil), 100, 1000)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if !tt.wantErr && (p.First != tt.first || p.Max != tt.mx) {
				t.Fatalf("page = %+v", p)
			}
		})
	}
}

func TestRequireServiceToken(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	tests := []struct {
		name       string
		configured string
		sent       string
		status     int
	}{
		{"MatchingTokenPasses", "s3cret", "s3cret", 204},
		{"WrongTokenIsForbidden", "s3cret", "s3cre", 403},
		{"MissingTokenIsForbidden", "s3cret", "", 403},
		{"UnconfiguredRefusesEverything", "", "", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/internal/x", nil)
			if tt.sent != "" {
				req.Header.Set(iamhttp.ServiceTokenHeader, tt.sent)
			}
			rec := httptest.NewRecorder()
			iamhttp.RequireServiceToken(tt.configured)(ok).ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
		})
	}
}

func TestStandardRoutesTrailingSlashLikeKeycloak(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/realms", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) })
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) })
	h := iamhttp.Standard(mux, slog.New(slog.NewTextHandler(io.Discard, nil)))
	tests := []struct {
		path   string
		status int
	}{
		{"/admin/realms", 204},
		{"/admin/realms/", 204},
		{"/admin/realms//", 204},
		{"/", 299},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
			if rec.Code != tt.status {
				t.Fatalf("GET %s = %d, want %d", tt.path, rec.Code, tt.status)
			}
		})
	}
}

func TestWithRequestIDTakesTheTraceParent(t *testing.T) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for sent, want := range map[string]string{tp: tp, "00-garbage": ""} {
		var got string
		h := iamhttp.WithRequestID(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = iam.TraceParent(r.Context()) }))
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("traceparent", sent)
		h.ServeHTTP(httptest.NewRecorder(), r)
		if got != want {
			t.Errorf("traceparent %q: context has %q, want %q", sent, got, want)
		}
	}
}
