package boottest

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/session/sessionhttp"
	"github.com/opengate-iam/opengate/session/sessionkafka"
	"github.com/opengate-iam/opengate/session/sessionredis"
)

// Sessions is a session-service peer, assembled as cmd/session-service
// assembles it: the session service on the test Redis (under a prefix of its
// own), consuming the session topics of a Kafka cluster and publishing
// session.terminated there, with its HTTP API (the internal one with the
// service token) on its own address, until the test ends. Tests call the
// service directly to end sessions.
type Sessions struct {
	*session.Service
	// URL is the base URL of its API: OPENGATE_SESSIONS_URL of auth-service.
	URL string
}

// StartSessions starts a Sessions peer reading realms' lifespans from
// realms, on the Kafka cluster at seeds.
func StartSessions(t testing.TB, serviceToken string, realms session.RealmGetter, seeds []string) *Sessions {
	t.Helper()
	rc, prefix := iamtest.Redis(t)
	pub, err := iamkafka.OpenPublisher(seeds)
	if err != nil {
		t.Fatal(err)
	}
	svc := session.New(sessionredis.New(rc, sessionredis.WithPrefix(prefix)), realms, session.WithPublisher(pub))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = sessionkafka.Run(ctx, iamkafka.NewSubscriber(seeds), svc); done <- struct{}{} }()
	go func() { _ = svc.Run(ctx); done <- struct{}{} }()
	srv := httptest.NewServer(sessionhttp.NewHandler(svc, sessionhttp.WithServiceToken(serviceToken)))
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		<-done
		_ = pub.Close()
	})
	return &Sessions{Service: svc, URL: srv.URL}
}
