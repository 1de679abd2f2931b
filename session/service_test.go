package session_test

import (
	"context"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/session"
)

func TestCreateTakesLifespansFromTheRealm(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	now := e.clock.Now()
	s := e.login(t, "s1", "u1")
	if !s.Started.Equal(now) || !s.LastAccess.Equal(now) || !s.IdleExpiresAt.Equal(now.Add(idle)) || !s.ExpiresAt.Equal(now.Add(maxLife)) {
		t.Fatalf("session times %+v, want started now, idle %v, max %v", s, idle, maxLife)
	}
	// The login event's max expiry wins; the idle expiry never passes it.
	end := now.Add(10 * time.Minute)
	s, err := e.svc.Create(ctx, "acme", session.Session{ID: "s2", UserID: "u1", Started: now.Add(-time.Hour), ExpiresAt: end})
	if err != nil {
		t.Fatal(err)
	}
	if !s.ExpiresAt.Equal(end) || !s.IdleExpiresAt.Equal(end) {
		t.Fatalf("expiry %v idle %v, want both %v", s.ExpiresAt, s.IdleExpiresAt, end)
	}
	// A realm without lifespans gets the realms service's defaults.
	s, err = e.svc.Create(ctx, "beta", session.Session{ID: "s3", UserID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	if s.IdleExpiresAt.Sub(now) != 30*time.Minute || s.ExpiresAt.Sub(now) != 10*time.Hour {
		t.Fatalf("defaults: idle %v max %v", s.IdleExpiresAt.Sub(now), s.ExpiresAt.Sub(now))
	}
}

func TestCreateRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	past := e.clock.Now().Add(-time.Second)
	tests := []struct {
		name  string
		realm iam.Realm
		in    session.Session
		code  iam.Code
	}{
		{"MalformedRealm", "Bad Realm", session.Session{ID: "s", UserID: "u"}, iam.CodeInvalid},
		{"NoID", "acme", session.Session{UserID: "u"}, iam.CodeInvalid},
		{"NoUser", "acme", session.Session{ID: "s"}, iam.CodeInvalid},
		{"Over", "acme", session.Session{ID: "s", UserID: "u", ExpiresAt: past}, iam.CodeInvalid},
		{"UnknownRealm", "gamma", session.Session{ID: "s", UserID: "u"}, iam.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Create(ctx, tt.realm, tt.in)
			wantCode(t, err, tt.code)
		})
	}
}

func TestTouchExtendsIdleUpToMax(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.login(t, "s1", "u1")
	for range 25 { // 25 × 25 minutes: past the 10-hour max lifespan
		e.clock.Wait(t, 25*time.Minute)
		ok, err := e.svc.Touch(ctx, "acme", "s1")
		if err != nil {
			t.Fatal(err)
		}
		if s, err := e.svc.Get(ctx, "acme", "s1"); err == nil {
			if !ok || !s.LastAccess.Equal(e.clock.Now()) || s.IdleExpiresAt.After(s.ExpiresAt) {
				t.Fatalf("after a touch: alive %v, %+v", ok, s)
			}
			continue
		}
		// Past its max lifespan the session is gone for good (Alive may
		// answer true again once the store forgets the id: auth enforces
		// the max lifespan itself).
		if e.clock.Now().Sub(sessiontestStart) < maxLife {
			t.Fatalf("touched session ended before its max lifespan, at %v", e.clock.Now().Sub(sessiontestStart))
		}
		if _, err := e.svc.Get(ctx, "acme", "s1"); iam.ErrorCode(err) != iam.CodeNotFound {
			t.Fatalf("a touch revived the session: %v", err)
		}
		return
	}
	t.Fatal("the session outlived its max lifespan")
}

var sessiontestStart = time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC) // sessiontest.NewClock's start

func TestAlive(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.login(t, "active", "u1")
	e.login(t, "terminated", "u1")
	e.login(t, "idle", "u1")
	if err := e.svc.Terminate(ctx, "acme", "terminated", session.ReasonAdmin); err != nil {
		t.Fatal(err)
	}
	e.clock.Wait(t, idle-time.Minute)
	if ok, err := e.svc.Touch(ctx, "acme", "active"); err != nil || !ok {
		t.Fatalf("Touch(active) = %v, %v", ok, err)
	}
	e.clock.Wait(t, 2*time.Minute) // "idle" is past its idle timeout, "active" is not
	tests := []struct {
		sid  string
		want bool
	}{
		{"active", true},
		{"terminated", false},
		{"idle", false},
		{"never-seen", true}, // its auth.login.success may be on its way
	}
	for _, tt := range tests {
		t.Run(tt.sid, func(t *testing.T) {
			if got := alive(t, e, "acme", tt.sid); got != tt.want {
				t.Fatalf("Alive(%s) = %v, want %v", tt.sid, got, tt.want)
			}
			if got, err := e.svc.Touch(ctx, "acme", tt.sid); err != nil || got != tt.want {
				t.Fatalf("Touch(%s) = %v, %v; want %v", tt.sid, got, err, tt.want)
			}
		})
	}
	t.Run("RealmGone", func(t *testing.T) {
		if ok, err := e.svc.Touch(ctx, "gamma", "active"); err != nil || ok {
			t.Fatalf("Touch in a deleted realm = %v, %v", ok, err)
		}
	})
	t.Run("MalformedRealm", func(t *testing.T) {
		_, err := e.svc.Alive(ctx, "Bad", "s")
		wantCode(t, err, iam.CodeInvalid)
	})
}

func TestListsAndStats(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.login(t, "s1", "u1")
	e.login(t, "s2", "u2")
	if list, err := e.svc.ListByUser(ctx, "acme", "u1"); err != nil || len(list) != 1 || list[0].ID != "s1" {
		t.Fatalf("ListByUser = %+v, %v", list, err)
	}
	if list, err := e.svc.ListByClient(ctx, "acme", "uuid-web", 1, 0); err != nil || len(list) != 1 || list[0].ID != "s2" {
		t.Fatalf("ListByClient(first 1) = %+v, %v", list, err)
	}
	if stats, err := e.svc.Stats(ctx, "acme"); err != nil || len(stats) != 1 || stats[0].Active != 2 {
		t.Fatalf("Stats = %+v, %v", stats, err)
	}
	for _, tt := range []struct {
		name        string
		client      string
		first, max  int
		wantInvalid bool
	}{{"NegativeFirst", "uuid-web", -1, 0, true}, {"NegativeMax", "uuid-web", 0, -1, true}, {"NoClient", "", 0, 0, true}} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.ListByClient(ctx, "acme", tt.client, tt.first, tt.max)
			wantCode(t, err, iam.CodeInvalid)
		})
	}
	_, err := e.svc.ListByUser(ctx, "acme", "")
	wantCode(t, err, iam.CodeInvalid)
}
