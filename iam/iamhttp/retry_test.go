package iamhttp_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

func TestErrorSetsRetryAfterFromTheHint(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"WholeSeconds", &iam.Error{Code: iam.CodeUnavailable, Message: "busy",
			Err: &iam.RetryAfterError{After: 2 * time.Second}}, "2"},
		{"RoundsUp", &iam.Error{Code: iam.CodeRateLimited, Message: "slow",
			Err: &iam.RetryAfterError{After: 1500 * time.Millisecond}}, "2"},
		{"NoHintNoHeader", iam.Errorf(iam.CodeUnavailable, "down"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			iamhttp.Error(rec, httptest.NewRequest("GET", "/", nil), tt.err)
			if got := rec.Header().Get("Retry-After"); got != tt.want {
				t.Fatalf("Retry-After = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestResponseErrorKeepsRetryAfter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		iamhttp.Error(w, r, &iam.Error{Code: iam.CodeUnavailable, Message: "busy",
			Err: &iam.RetryAfterError{After: 3 * time.Second}})
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := iamhttp.ResponseError("remote", resp)
	if iam.ErrorCode(got) != iam.CodeUnavailable || iam.RetryAfter(got) != 3*time.Second {
		t.Fatalf("got %v, retry after %v", got, iam.RetryAfter(got))
	}
}
