package session_test

import (
	"context"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/session"
)

func TestTerminatePublishesExactlyOneEvent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.login(t, "s1", "u1")
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- e.svc.Terminate(ctx, "acme", "s1", session.ReasonAdmin)
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
		} else if iam.ErrorCode(err) != iam.CodeNotFound {
			t.Fatal(err)
		}
	}
	got := e.pub.terminated(t)
	want := session.TerminatedEvent{Realm: "acme", UserID: "u1", SessionID: "s1", Reason: session.ReasonAdmin}
	if ok != 1 || len(got) != 1 || got[0] != want {
		t.Fatalf("%d terminations succeeded, published %+v; want one and %+v", ok, got, want)
	}
	if n, err := e.svc.RelayPending(ctx); err != nil || n != 0 {
		t.Fatalf("the relay republished %d (%v) events that were published", n, err)
	}
}

// A publication that fails is neither lost nor returned to the caller (the
// termination is done): the event stays pending until the relay publishes
// it, once, with the same id.
func TestAFailedPublicationIsRelayedLater(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.login(t, "s1", "u1")
	e.pub.setFail(true)
	if err := e.svc.Terminate(ctx, "acme", "s1", session.ReasonAdmin); err != nil {
		t.Fatalf("Terminate with the bus down: %v", err)
	}
	if alive(t, e, "acme", "s1") {
		t.Fatal("the session is alive after its termination")
	}
	e.pub.setFail(false)
	if n, err := e.svc.RelayPending(ctx); err != nil || n != 0 {
		t.Fatalf("the relay published %d (%v) within its grace", n, err)
	}
	e.clock.Wait(t, session.RelayGrace+1)
	e.pub.setFail(true)
	if _, err := e.svc.RelayPending(ctx); iam.ErrorCode(err) != iam.CodeUnavailable {
		t.Fatalf("relay with the bus down: %v", err)
	}
	e.pub.setFail(false)
	if n, err := e.svc.RelayPending(ctx); err != nil || n != 1 {
		t.Fatalf("RelayPending = %d, %v; want the one event", n, err)
	}
	if n, err := e.svc.RelayPending(ctx); err != nil || n != 0 {
		t.Fatalf("second RelayPending = %d, %v", n, err)
	}
	if got := e.pub.terminated(t); len(got) != 1 || got[0].SessionID != "s1" {
		t.Fatalf("published %+v", got)
	}
}

func TestTerminateOwnRefusesOthersSessions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.login(t, "mine", "u1")
	e.login(t, "theirs", "u2")
	wantCode(t, e.svc.TerminateOwn(ctx, "acme", "u1", "theirs"), iam.CodeNotFound)
	if !alive(t, e, "acme", "theirs") {
		t.Fatal("a user ended another's session")
	}
	if err := e.svc.TerminateOwn(ctx, "acme", "u1", "mine"); err != nil {
		t.Fatal(err)
	}
	if got := e.pub.terminated(t); len(got) != 1 || got[0].SessionID != "mine" || got[0].Reason != session.ReasonAccount {
		t.Fatalf("published %+v", got)
	}
}

func TestTerminateUserAndRealm(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for _, s := range []struct{ sid, user string }{{"a1", "u1"}, {"a2", "u1"}, {"a3", "u1"}, {"b1", "u2"}} {
		e.login(t, s.sid, s.user)
	}
	if n, err := e.svc.TerminateUser(ctx, "acme", "u1", session.ReasonAdmin, "a2"); err != nil || n != 2 {
		t.Fatalf("TerminateUser = %d, %v", n, err)
	}
	if !alive(t, e, "acme", "a2") || alive(t, e, "acme", "a1") || !alive(t, e, "acme", "b1") {
		t.Fatal("TerminateUser ended the wrong sessions")
	}
	if n, err := e.svc.TerminateRealm(ctx, "acme", session.ReasonAdmin); err != nil || n != 2 {
		t.Fatalf("TerminateRealm = %d, %v", n, err)
	}
	if list, _ := e.svc.ListByClient(ctx, "acme", "uuid-web", 0, 0); len(list) != 0 {
		t.Fatalf("sessions after logout-all: %+v", list)
	}
	if got := e.pub.terminated(t); len(got) != 4 {
		t.Fatalf("published %d events for 4 terminations: %+v", len(got), got)
	}
}
