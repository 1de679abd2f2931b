package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/opengate-iam/opengate/cmd/internal/boottest"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// While OpenGate is being built the listener answers at once: alive, not
// ready, and 503 with Retry-After for the API.
func TestStartingAnswersUnavailable(t *testing.T) {
	h := starting()
	for _, tt := range []struct {
		path, want string
		status     int
	}{
		{"/healthz", `"status":"ok"`, 200},
		{"/readyz", `"startup":"starting"`, 503},
		{"/admin/realms", `"error":"unavailable"`, 503},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
			t.Errorf("GET %s = %d %s, want %d with %s", tt.path, rec.Code, rec.Body.String(), tt.status, tt.want)
		}
		if tt.status == 503 && tt.path != "/readyz" && rec.Header().Get("Retry-After") == "" {
			t.Errorf("GET %s has no Retry-After", tt.path)
		}
	}
}

// /readyz waits for the consumers: while the broker holds their joins, the
// process serves its API but is not ready; once they are in their groups
// it is.
func TestNotReadyUntilTheConsumersHaveJoined(t *testing.T) {
	c := iamtest.KafkaCluster(t)
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	c.ControlKey(int16(kmsg.JoinGroup), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		c.SleepControl(func() { <-release })
		return nil, nil, false
	})
	s := start(t, map[string]string{"OPENGATE_KAFKA_BROKERS": strings.Join(c.ListenAddrs(), ",")})
	// Longer than a task that reports nothing needs to count as up.
	time.Sleep(1500 * time.Millisecond)
	resp, body := s.Call(t, "GET", "/readyz", "", "")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"background_tasks":"unavailable"`) {
		t.Fatalf("with the joins held: /readyz = %d %s, want 503 naming background_tasks", resp.StatusCode, body)
	}
	if resp, _ := s.Call(t, "GET", "/realms/master/.well-known/openid-configuration", "", ""); resp.StatusCode != 200 {
		t.Fatalf("the API while not ready = %d, want 200", resp.StatusCode)
	}
	if resp, body := s.Call(t, "GET", "/readyz?exclude=background_tasks", "", ""); resp.StatusCode != 200 {
		t.Fatalf("/readyz?exclude=background_tasks = %d %s, want 200", resp.StatusCode, body)
	}
	once.Do(func() { close(release) })
	boottest.Eventually(t, 20*time.Second, "/readyz never turned 200 after the joins went through", func() bool {
		resp, _ := s.Call(t, "GET", "/readyz", "", "")
		return resp.StatusCode == 200
	})
}
