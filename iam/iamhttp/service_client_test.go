package iamhttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

const testToken = "s3rvice-token"

// widgetServer serves h behind a check of the service token, so that every
// case also proves the token is sent.
func widgetServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(iamhttp.RequireServiceToken(testToken)(h))
	t.Cleanup(srv.Close)
	return srv
}

func TestServiceClientDo(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		method  string
		path    string
		in      any
		out     bool
		opts    []iamhttp.ServiceClientOption
		want    payload // the answer decoded, when no error
		code    iam.Code
		field   string
		message string
	}{
		{
			name:   "SendsBodyAndDecodesAnswer",
			method: http.MethodPost, path: "/internal/widgets?x=1", in: payload{Name: "w", Count: 2}, out: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				var p payload
				if r.URL.Path != "/internal/widgets" || r.URL.Query().Get("x") != "1" ||
					r.Header.Get("Accept") != "application/json" || r.Header.Get("Content-Type") != "application/json" ||
					iamhttp.Decode(w, r, &p) != nil {
					iamhttp.JSON(w, http.StatusTeapot, nil)
					return
				}
				p.Count++
				iamhttp.JSON(w, http.StatusOK, p)
			},
			want: payload{Name: "w", Count: 3},
		},
		{
			name:   "SendsNoBodyWithoutIn",
			method: http.MethodGet, path: "/w", out: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				raw, _ := io.ReadAll(r.Body)
				if len(raw) != 0 || r.Header.Get("Content-Type") != "" {
					iamhttp.JSON(w, http.StatusTeapot, nil)
					return
				}
				iamhttp.JSON(w, http.StatusOK, payload{Name: "empty"})
			},
			want: payload{Name: "empty"},
		},
		{
			name:   "NoContentWithoutOut",
			method: http.MethodDelete, path: "/w",
			handler: func(w http.ResponseWriter, _ *http.Request) { iamhttp.NoContent(w) },
		},
		{
			name:   "AnswerIgnoredWithoutOut",
			method: http.MethodPost, path: "/w", in: payload{},
			handler: func(w http.ResponseWriter, _ *http.Request) {
				iamhttp.JSON(w, http.StatusCreated, "not a payload")
			},
		},
		{
			name:   "ErrorBodyGivesCodeFieldAndMessage",
			method: http.MethodPost, path: "/w", in: payload{}, out: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				iamhttp.Error(w, r, iam.Invalidf("name", "name is required"))
			},
			code: iam.CodeInvalid, field: "name", message: "name is required",
		},
		{
			name:   "StatusWithoutErrorBodyGivesItsCode",
			method: http.MethodGet, path: "/w", out: true,
			handler: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) },
			code:    iam.CodeNotFound,
		},
		{
			name:   "MalformedAnswerIsInternal",
			method: http.MethodGet, path: "/w", out: true,
			handler: func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"name":`) },
			code:    iam.CodeInternal, message: "malformed answer from widget service",
		},
		{
			name:   "AnswerOfWrongShapeIsInternal",
			method: http.MethodGet, path: "/w", out: true,
			handler: func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"count":"many"}`) },
			code:    iam.CodeInternal, message: "malformed answer from widget service",
		},
		{
			name:   "EmptyAnswerIsInternalWhenOutIsWanted",
			method: http.MethodGet, path: "/w", out: true,
			handler: func(w http.ResponseWriter, _ *http.Request) { iamhttp.NoContent(w) },
			code:    iam.CodeInternal, message: "malformed answer from widget service",
		},
		{
			name:   "OversizedAnswerIsInternal",
			method: http.MethodGet, path: "/w", out: true, opts: []iamhttp.ServiceClientOption{iamhttp.WithAnswerLimit(64)},
			handler: func(w http.ResponseWriter, _ *http.Request) {
				iamhttp.JSON(w, http.StatusOK, payload{Name: strings.Repeat("x", 64)})
			},
			code: iam.CodeInternal, message: "malformed answer from widget service",
		},
		{
			name:   "DefaultLimitIsMaxAnswerBytes",
			method: http.MethodGet, path: "/w", out: true,
			handler: func(w http.ResponseWriter, _ *http.Request) {
				iamhttp.JSON(w, http.StatusOK, payload{Name: strings.Repeat("x", iamhttp.MaxAnswerBytes)})
			},
			code: iam.CodeInternal, message: "malformed answer from widget service",
		},
		{
			name:   "AnswerWithinRaisedLimitIsDecoded",
			method: http.MethodGet, path: "/w", out: true,
			opts: []iamhttp.ServiceClientOption{iamhttp.WithAnswerLimit(2 * iamhttp.MaxAnswerBytes)},
			handler: func(w http.ResponseWriter, _ *http.Request) {
				iamhttp.JSON(w, http.StatusOK, payload{Name: strings.Repeat("x", iamhttp.MaxAnswerBytes)})
			},
			want: payload{Name: strings.Repeat("x", iamhttp.MaxAnswerBytes)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := widgetServer(t, tt.handler)
			c := iamhttp.NewServiceClient("widget service", srv.URL+"/", testToken, srv.Client(), tt.opts...)
			var got payload
			var out any
			if tt.out {
				out = &got
			}
			err := c.Do(context.Background(), "test.Op", tt.method, tt.path, tt.in, out)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				if got != tt.want {
					t.Fatalf("answer = %+v, want %+v", got, tt.want)
				}
				return
			}
			var e *iam.Error
			if !errors.As(err, &e) || e.Code != tt.code || e.Op != "test.Op" {
				t.Fatalf("Do = %#v, want *iam.Error with code %s and op test.Op", err, tt.code)
			}
			if e.Field != tt.field || (tt.message != "" && e.Message != tt.message) {
				t.Fatalf("field, message = %q, %q; want %q, %q", e.Field, e.Message, tt.field, tt.message)
			}
		})
	}
}

func TestServiceClientSendsTheServiceToken(t *testing.T) {
	srv := widgetServer(t, func(w http.ResponseWriter, _ *http.Request) { iamhttp.NoContent(w) })
	if err := iamhttp.NewServiceClient("widget service", srv.URL, testToken, nil).
		Do(context.Background(), "op", http.MethodGet, "/w", nil, nil); err != nil {
		t.Fatalf("with the right token: %v", err)
	}
	err := iamhttp.NewServiceClient("widget service", srv.URL, "wrong", nil).
		Do(context.Background(), "op", http.MethodGet, "/w", nil, nil)
	if iam.ErrorCode(err) != iam.CodeForbidden {
		t.Fatalf("with a wrong token = %v, want forbidden", err)
	}
}

func TestServiceClientUnreachable(t *testing.T) {
	t.Run("TransportFailureIsUnavailable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		err := iamhttp.NewServiceClient("widget service", url, testToken, nil).
			Do(context.Background(), "op", http.MethodGet, "/w", nil, nil)
		if iam.ErrorCode(err) != iam.CodeUnavailable || iam.ErrorMessage(err) != "widget service unavailable" {
			t.Fatalf("Do = %v, want unavailable", err)
		}
	})
	t.Run("CancelledContextIsUnavailableWithItsCause", func(t *testing.T) {
		var called atomic.Bool
		srv := widgetServer(t, func(w http.ResponseWriter, _ *http.Request) {
			called.Store(true)
			iamhttp.NoContent(w)
		})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := iamhttp.NewServiceClient("widget service", srv.URL, testToken, srv.Client()).
			Do(ctx, "op", http.MethodGet, "/w", nil, nil)
		if iam.ErrorCode(err) != iam.CodeUnavailable || !errors.Is(err, context.Canceled) {
			t.Fatalf("Do = %v, want unavailable caused by context.Canceled", err)
		}
		if called.Load() {
			t.Fatal("the request reached the server after its context ended")
		}
	})
	t.Run("ContextEndingInFlightIsUnavailable", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		srv := widgetServer(t, func(w http.ResponseWriter, r *http.Request) {
			cancel()
			<-r.Context().Done()
		})
		err := iamhttp.NewServiceClient("widget service", srv.URL, testToken, srv.Client()).
			Do(ctx, "op", http.MethodGet, "/w", nil, nil)
		if iam.ErrorCode(err) != iam.CodeUnavailable || !errors.Is(err, context.Canceled) {
			t.Fatalf("Do = %v, want unavailable caused by context.Canceled", err)
		}
	})
}

func TestServiceClientErrorFunc(t *testing.T) {
	type reasonBody struct {
		iamhttp.ErrorBody
		Reason string `json:"reason"`
	}
	errLocked := errors.New("locked")
	onError := func(op string, resp *http.Response) error {
		if resp.StatusCode != http.StatusUnauthorized {
			return nil
		}
		var b reasonBody
		_ = json.NewDecoder(resp.Body).Decode(&b)
		if b.Reason != "locked" {
			return &iam.Error{Code: iam.CodeInternal, Op: op, Message: "no reason"}
		}
		return &iam.Error{Code: iam.CodeUnauthenticated, Op: op, Message: "login failed", Err: errLocked}
	}
	tests := []struct {
		name    string
		status  int
		body    any
		code    iam.Code
		message string
		cause   error
	}{
		{"ReadsTheBodyItKnows", http.StatusUnauthorized,
			reasonBody{ErrorBody: iamhttp.ErrorBody{Error: "unauthenticated"}, Reason: "locked"},
			iam.CodeUnauthenticated, "login failed", errLocked},
		{"DecidesAboutBodiesItDoesNotKnow", http.StatusUnauthorized, iamhttp.ErrorBody{Error: "unauthenticated"},
			iam.CodeInternal, "no reason", nil},
		{"NilLeavesTheAnswerToResponseError", http.StatusConflict,
			iamhttp.ErrorBody{Error: "conflict", ErrorDescription: "taken"}, iam.CodeConflict, "taken", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := widgetServer(t, func(w http.ResponseWriter, _ *http.Request) { iamhttp.JSON(w, tt.status, tt.body) })
			c := iamhttp.NewServiceClient("widget service", srv.URL, testToken, srv.Client())
			var out payload
			err := c.DoWithErrorFunc(context.Background(), "op", http.MethodPost, "/w", payload{}, &out, onError)
			var e *iam.Error
			if !errors.As(err, &e) || e.Code != tt.code || e.Message != tt.message {
				t.Fatalf("err = %v, want %s %q", err, tt.code, tt.message)
			}
			if tt.cause != nil && !errors.Is(err, tt.cause) {
				t.Fatalf("err = %v, want cause %v", err, tt.cause)
			}
		})
	}
	t.Run("NotAskedAboutSuccess", func(t *testing.T) {
		srv := widgetServer(t, func(w http.ResponseWriter, _ *http.Request) { iamhttp.JSON(w, http.StatusOK, payload{Name: "ok"}) })
		c := iamhttp.NewServiceClient("widget service", srv.URL, testToken, srv.Client())
		var out payload
		err := c.DoWithErrorFunc(context.Background(), "op", http.MethodGet, "/w", nil, &out,
			func(string, *http.Response) error { return errors.New("asked") })
		if err != nil || out.Name != "ok" {
			t.Fatalf("DoWithErrorFunc = %v, %+v", err, out)
		}
	})
}

func ExampleServiceClient() {
	srv := httptest.NewServer(iamhttp.RequireServiceToken("token")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/internal/realms/acme" {
			iamhttp.Error(w, r, iam.NotFoundf("realm not found"))
			return
		}
		iamhttp.JSON(w, http.StatusOK, map[string]string{"realm": "acme"})
	})))
	defer srv.Close()

	c := iamhttp.NewServiceClient("realm service", srv.URL, "token", nil)
	var rep struct {
		Realm string `json:"realm"`
	}
	err := c.Do(context.Background(), "example.Get", http.MethodGet, "/internal/realms/acme", nil, &rep)
	fmt.Println(rep.Realm, err)
	err = c.Do(context.Background(), "example.Get", http.MethodGet, "/internal/realms/other", nil, &rep)
	fmt.Println(iam.ErrorCode(err), iam.ErrorMessage(err))
	// Output:
	// acme <nil>
	// not_found realm not found
}
