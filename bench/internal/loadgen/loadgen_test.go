package loadgen_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/bench/internal/loadgen"
)

// fakeAdmin is a master token endpoint issuing tokens valid for one second
// and a user search accepting only a token that has not expired.
type fakeAdmin struct {
	signIns atomic.Int64
	mu      sync.Mutex
	issued  map[string]time.Time
}

func (f *fakeAdmin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/realms/master/protocol/openid-connect/token":
		if r.FormValue("grant_type") != "password" || r.FormValue("password") != "pw" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		tok := fmt.Sprintf("token-%d", f.signIns.Add(1))
		f.mu.Lock()
		f.issued[tok] = time.Now()
		f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "expires_in": 1})
	case r.URL.Path == "/admin/realms/acme/users" && r.URL.Query().Get("max") == "20":
		f.mu.Lock()
		at, ok := f.issued[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		f.mu.Unlock()
		if !ok || time.Since(at) > time.Second {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`[]`))
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// The administrator's token is renewed before it expires: a run longer
// than a token's life has no failure.
func TestAdminTokenIsRenewedBeforeItExpires(t *testing.T) {
	f := &fakeAdmin{issued: map[string]time.Time{}}
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	res, err := loadgen.Run(context.Background(), loadgen.Config{Base: ts.URL, Realm: "acme", Scenario: "usersearch",
		Admin: loadgen.Admin{User: "admin", Password: "pw"}, Workers: 2, Duration: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK == 0 || res.Failed != 0 || f.signIns.Load() < 2 {
		t.Fatalf("ok %d, failed %d (%s), sign-ins %d", res.OK, res.Failed, res.FirstError, f.signIns.Load())
	}
}

func TestPercentileIsTheNearestRank(t *testing.T) {
	var r loadgen.Result
	if r.Percentile(0.99) != 0 || r.Rate() != 0 {
		t.Fatal("an empty result has latencies or a rate")
	}
	for i := 1; i <= 100; i++ {
		r.Latencies = append(r.Latencies, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{0: time.Millisecond, 0.5: 50 * time.Millisecond,
		0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond} {
		if got := r.Percentile(p); got != want {
			t.Errorf("Percentile(%v) = %s, want %s", p, got, want)
		}
	}
}

// A sign-in refused with 503 while the workers are prepared (the server's
// hashing queue full) is tried again: the run starts.
func TestPreparationRetriesWhileTheServerIsBusy(t *testing.T) {
	var signIns atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/realms/acme/protocol/openid-connect/token":
			if signIns.Add(1) <= 2 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "t", "expires_in": 300})
		case "/realms/acme/protocol/openid-connect/userinfo":
			_, _ = w.Write([]byte(`{"sub":"u"}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(ts.Close)
	res, err := loadgen.Run(context.Background(), loadgen.Config{Base: ts.URL, Realm: "acme", ClientID: "svc",
		Username: "alice", Password: "pw", Scenario: "userinfo", Workers: 1, Requests: 3, Duration: time.Minute})
	if err != nil || res.OK != 3 || signIns.Load() != 3 {
		t.Fatalf("err %v, ok %d, sign-ins %d", err, res.OK, signIns.Load())
	}
}

// A request still running when the duration ends is not a latency, but
// it is reported when counting it would raise the p99: the percentiles
// understate the slow end.
func TestRequestsCutOffAtTheEndAreReported(t *testing.T) {
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 3 {
			time.Sleep(1500 * time.Millisecond)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "t", "expires_in": 300})
	}))
	t.Cleanup(ts.Close)
	res, err := loadgen.Run(context.Background(), loadgen.Config{Base: ts.URL, Realm: "acme", ClientID: "svc",
		Scenario: "client_credentials", Workers: 1, Duration: 700 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK != 2 || res.Unfinished != 1 || !res.Censored() || !strings.Contains(res.String(), "1 unfinished at the end") {
		t.Fatalf("ok %d, unfinished %d (longest %s): %s", res.OK, res.Unfinished, res.LongestUnfinished, res)
	}
}

func TestACutRequestWithinTheSlowestPercentDoesNotCensor(t *testing.T) {
	r := loadgen.Result{Cut: []time.Duration{14 * time.Millisecond}}
	for i := 1; i <= 1000; i++ {
		r.Latencies = append(r.Latencies, time.Duration(i)*10*time.Microsecond)
	}
	if r.Censored() {
		t.Fatalf("one cut request among 1,000 censors the p99 (%s)", r.Percentile(0.99))
	}
	r.Cut = []time.Duration{14 * time.Millisecond, 15 * time.Millisecond, 16 * time.Millisecond, 17 * time.Millisecond,
		18 * time.Millisecond, 19 * time.Millisecond, 20 * time.Millisecond, 21 * time.Millisecond, 22 * time.Millisecond,
		23 * time.Millisecond, 24 * time.Millisecond}
	if !r.Censored() {
		t.Fatal("eleven cut requests slower than every latency of 1,000 do not censor the p99")
	}
}
