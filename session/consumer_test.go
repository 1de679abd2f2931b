package session_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/users"
)

func event(t *testing.T, topic string, realm iam.Realm, subject string, data any) iam.Event {
	t.Helper()
	e, err := iam.NewEvent("/test", topic, realm, subject, data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// loginEvent is what auth publishes when user logs in with client into
// session sid.
func loginEvent(t *testing.T, e env, sid, user, clientUUID, clientID string) iam.Event {
	t.Helper()
	return event(t, iam.TopicLoginSuccess, "acme", user, auth.LoginSuccessEvent{UserID: user, Username: "name-" + user,
		ClientID: clientID, ClientUUID: clientUUID, SessionID: sid, GrantType: "password", IPAddress: "192.0.2.1",
		UserAgent: "curl/8", SessionExpiresAt: e.clock.Now().Add(maxLife).Unix()})
}

func handle(t *testing.T, e env, events ...iam.Event) {
	t.Helper()
	for _, ev := range events {
		if err := e.svc.HandleEvent(context.Background(), ev); err != nil {
			t.Fatalf("HandleEvent(%s): %v", ev.Type, err)
		}
	}
}

func TestLoginEventsCreateAndJoinSessions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	first := loginEvent(t, e, "s1", "u1", "uuid-web", "web")
	handle(t, e, first, first) // a redelivery changes nothing
	handle(t, e, loginEvent(t, e, "s1", "u1", "uuid-app", "app"))
	s, err := e.svc.Get(ctx, "acme", "s1")
	if err != nil {
		t.Fatal(err)
	}
	if s.UserID != "u1" || s.Username != "name-u1" || s.IPAddress != "192.0.2.1" || s.UserAgent != "curl/8" ||
		!slices.Equal(s.ClientIDs(), []string{"app", "web"}) || s.Clients["uuid-web"] != "web" ||
		!s.Started.Equal(first.Time) || !s.ExpiresAt.Equal(e.clock.Now().Add(maxLife).Truncate(time.Second)) {
		t.Fatalf("session %+v", s)
	}
	if len(e.pub.terminated(t)) != 0 {
		t.Fatal("a login published an event")
	}
}

func TestLogoutEventsEndSessionsOnce(t *testing.T) {
	e := newEnv(t)
	handle(t, e, loginEvent(t, e, "s1", "u1", "uuid-web", "web"))
	logout := event(t, iam.TopicLogout, "acme", "u1", auth.LogoutEvent{UserID: "u1", SessionID: "s1", ClientID: "web"})
	handle(t, e, logout, logout)
	if alive(t, e, "acme", "s1") {
		t.Fatal("session alive after auth.logout")
	}
	got := e.pub.terminated(t)
	if len(got) != 1 || got[0] != (session.TerminatedEvent{Realm: "acme", UserID: "u1", SessionID: "s1", Reason: session.ReasonLogout}) {
		t.Fatalf("published %+v, want one session.terminated", got)
	}
}

// auth.logout and auth.login.success travel on different topics, so a
// logout may come first: the late login must not create the session.
func TestALogoutBeforeItsLoginForbidsTheSession(t *testing.T) {
	e := newEnv(t)
	handle(t, e, event(t, iam.TopicLogout, "acme", "u1", auth.LogoutEvent{UserID: "u1", SessionID: "s1"}),
		loginEvent(t, e, "s1", "u1", "uuid-web", "web"))
	if alive(t, e, "acme", "s1") {
		t.Fatal("a session logged out before its login event is alive")
	}
	if _, err := e.svc.Get(context.Background(), "acme", "s1"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("the late login created the session: %v", err)
	}
}

func TestUserEventsEndTheUsersSessions(t *testing.T) {
	e := newEnv(t)
	for _, sid := range []string{"s1", "s2", "s3"} {
		handle(t, e, loginEvent(t, e, sid, "u1", "uuid-web", "web"))
	}
	handle(t, e, loginEvent(t, e, "other", "u2", "uuid-web", "web"))
	changed := event(t, iam.TopicUserCredentialsChanged, "acme", "u1",
		users.CredentialsChangedData{ID: "u1", Reason: "password_changed", KeepSessionID: "s2"})
	handle(t, e, changed, changed)
	if alive(t, e, "acme", "s1") || !alive(t, e, "acme", "s2") || alive(t, e, "acme", "s3") {
		t.Fatal("user.credentials_changed must end every session of the user but the one kept")
	}
	handle(t, e, event(t, iam.TopicUserDeleted, "acme", "u1", map[string]string{"id": "u1"}))
	if alive(t, e, "acme", "s2") || !alive(t, e, "acme", "other") {
		t.Fatal("user.deleted must end the user's sessions, and only theirs")
	}
	var reasons []string
	for _, d := range e.pub.terminated(t) {
		reasons = append(reasons, d.SessionID+" "+d.Reason)
	}
	slices.Sort(reasons)
	want := []string{"s1 credentials_changed", "s2 user_deleted", "s3 credentials_changed"}
	if !slices.Equal(reasons, want) {
		t.Fatalf("published %v, want %v", reasons, want)
	}
}

func TestRealmDeletedRemovesTheRealmsSessions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	handle(t, e, loginEvent(t, e, "s1", "u1", "uuid-web", "web"))
	handle(t, e, event(t, iam.TopicRealmDeleted, "acme", "acme", map[string]string{"realm": "acme"}))
	if list, err := e.svc.ListByUser(ctx, "acme", "u1"); err != nil || len(list) != 0 {
		t.Fatalf("sessions after realm.deleted: %+v, %v", list, err)
	}
	if len(e.pub.terminated(t)) != 0 {
		t.Fatal("realm.deleted published per-session events")
	}
}

func TestHandleEventSkipsWhatItNeedNotDo(t *testing.T) {
	e := newEnv(t)
	late := loginEvent(t, e, "late", "u1", "uuid-web", "web")
	e.clock.Wait(t, maxLife+time.Second)
	gone := loginEvent(t, e, "gone", "u1", "uuid-web", "web")
	gone.Realm = "gamma"
	handle(t, e, late, gone, event(t, iam.TopicUserCreated, "acme", "u1", map[string]string{"id": "u1"}))
	if _, err := e.svc.Get(context.Background(), "acme", "late"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("a login delivered past its max lifespan created a session: %v", err)
	}
}

func TestHandleEventRefusesMalformedEvents(t *testing.T) {
	e := newEnv(t)
	bad := loginEvent(t, e, "s1", "u1", "uuid-web", "web")
	bad.Data = []byte(`{"sessionId": 7}`)
	noSession := loginEvent(t, e, "", "u1", "uuid-web", "web")
	badRealm := loginEvent(t, e, "s1", "u1", "uuid-web", "web")
	badRealm.Realm = "Not A Realm"
	tests := []struct {
		name string
		e    iam.Event
	}{
		{"UndecodableLogin", bad},
		{"LoginWithoutSession", noSession},
		{"MalformedRealm", badRealm},
		{"LogoutWithoutSession", event(t, iam.TopicLogout, "acme", "u1", auth.LogoutEvent{UserID: "u1"})},
		{"UserDeletedWithoutID", event(t, iam.TopicUserDeleted, "acme", "", map[string]string{})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, e.svc.HandleEvent(context.Background(), tt.e), iam.CodeInvalid)
		})
	}
}

func TestTopics(t *testing.T) {
	if session.Consumer != "session" {
		t.Fatalf("Consumer = %q", session.Consumer)
	}
	want := []string{iam.TopicLoginSuccess, iam.TopicLogout, iam.TopicUserDeleted, iam.TopicUserCredentialsChanged, iam.TopicRealmDeleted}
	if got := session.Topics(); !slices.Equal(got, want) {
		t.Fatalf("Topics() = %v", got)
	}
}
