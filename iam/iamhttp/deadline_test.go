package iamhttp_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

func TestStandardGivesEveryRequestDeadlines(t *testing.T) {
	var deadline time.Time
	var budget time.Duration
	h := iamhttp.Standard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deadline, _ = r.Context().Deadline()
		budget = iam.CallTimeout(r.Context())
	}), slog.New(slog.DiscardHandler))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if deadline.IsZero() || time.Until(deadline) > iamhttp.DefaultRequestTimeout {
		t.Fatalf("request deadline = %v", deadline)
	}
	if budget != iamhttp.DefaultCallTimeout {
		t.Fatalf("call budget = %v, want %v", budget, iamhttp.DefaultCallTimeout)
	}
}
