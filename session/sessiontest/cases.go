package sessiontest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/session"
)

func testCreateGet(t *testing.T, h Harness) {
	want := newSession(h, "acme", "u1")
	equal(t, mustCreate(t, h.Store, want), want)
	got, err := h.Store.Get(ctx(t), "acme", want.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, got, want)
	bare := newSession(h, "acme", "u2")
	bare.Clients, bare.IPAddress, bare.UserAgent, bare.Username = nil, "", "", ""
	mustCreate(t, h.Store, bare)
	got, err = h.Store.Get(ctx(t), "acme", bare.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, got, bare)
	_, err = h.Store.Get(ctx(t), "acme", iam.NewID())
	wantCode(t, err, iam.CodeNotFound)
}

func testJoin(t *testing.T, h Harness) {
	first := mustCreate(t, h.Store, newSession(h, "acme", "u1"))
	second := first
	second.Clients = map[string]string{"uuid-app": "app"}
	second.UserID, second.Username, second.IPAddress = "someone-else", "other", "198.51.100.1"
	second.LastAccess = first.LastAccess.Add(time.Second)
	second.IdleExpiresAt = first.IdleExpiresAt.Add(time.Second)
	got := mustCreate(t, h.Store, second)
	want := first.Clone()
	want.Clients["uuid-app"] = "app"
	want.LastAccess, want.IdleExpiresAt = second.LastAccess, second.IdleExpiresAt
	equal(t, got, want)
	stored, err := h.Store.Get(ctx(t), "acme", first.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, stored, want)

	older := second // a late, stale join moves nothing back
	older.Clients = map[string]string{"uuid-late": "late"}
	older.LastAccess, older.IdleExpiresAt = first.LastAccess, first.IdleExpiresAt
	got = mustCreate(t, h.Store, older)
	want.Clients["uuid-late"] = "late"
	equal(t, got, want)
}

func testConcurrentJoins(t *testing.T, h Harness) {
	base := newSession(h, "acme", "u1")
	base.Clients = nil
	const n = 10
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := base.Clone()
			in.Clients = map[string]string{fmt.Sprintf("uuid-%d", i): fmt.Sprintf("client-%d", i)}
			_, err := h.Store.Create(ctx(t), in)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent create or join: %v", err)
		}
	}
	got, err := h.Store.Get(ctx(t), "acme", base.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Clients) != n {
		t.Fatalf("clients after %d concurrent joins: %v", n, got.Clients)
	}
}

func testCreateEnded(t *testing.T, h Harness) {
	terminated := mustCreate(t, h.Store, newSession(h, "acme", "u1"))
	terminate(t, h.Store, "acme", terminated.ID)
	_, err := h.Store.Create(ctx(t), terminated)
	wantCode(t, err, iam.CodeConflict)

	expired := newSession(h, "acme", "u1")
	expired.IdleExpiresAt = ms(h.Now()).Add(h.Tick)
	mustCreate(t, h.Store, expired)
	h.Wait(t, 2*h.Tick)
	again := expired
	again.LastAccess, again.IdleExpiresAt = ms(h.Now()), ms(h.Now()).Add(time.Hour)
	_, err = h.Store.Create(ctx(t), again)
	wantCode(t, err, iam.CodeConflict)
	if _, err := h.Store.Get(ctx(t), "acme", expired.ID); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("expired session came back: %v", err)
	}
}

func testCreateInvalid(t *testing.T, h Harness) {
	past := newSession(h, "acme", "u1")
	past.IdleExpiresAt = ms(h.Now()).Add(-time.Second)
	_, err := h.Store.Create(ctx(t), past)
	wantCode(t, err, iam.CodeInvalid)
	beyond := newSession(h, "acme", "u1")
	beyond.IdleExpiresAt = beyond.ExpiresAt.Add(time.Second)
	_, err = h.Store.Create(ctx(t), beyond)
	wantCode(t, err, iam.CodeInvalid)
	noUser := newSession(h, "acme", "")
	_, err = h.Store.Create(ctx(t), noUser)
	wantCode(t, err, iam.CodeInvalid)
	badRealm := newSession(h, "Not A Realm", "u1")
	_, err = h.Store.Create(ctx(t), badRealm)
	wantCode(t, err, iam.CodeInvalid)
	if st := state(t, h, "acme", past.ID); st != session.Unknown {
		t.Fatalf("a refused session is %s", st)
	}
}

func testRealmIsolation(t *testing.T, h Harness) {
	a := mustCreate(t, h.Store, newSession(h, "acme", "u1"))
	if _, err := h.Store.Get(ctx(t), "beta", a.ID); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("acme's session read through beta: %v", err)
	}
	if st := state(t, h, "beta", a.ID); st != session.Unknown {
		t.Fatalf("acme's session in beta is %s", st)
	}
	if _, err := h.Store.Touch(ctx(t), "beta", a.ID, h.Now(), h.Now().Add(time.Hour)); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("acme's session touched through beta: %v", err)
	}
	if _, err := h.Store.Terminate(ctx(t), "beta", a.ID, func(session.Session) (iam.Event, error) {
		t.Fatal("terminated acme's session through beta")
		return iam.Event{}, nil
	}); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("Terminate through beta: %v", err)
	}
	for _, f := range []session.Filter{{}, {UserID: "u1"}, {ClientUUID: "uuid-web"}} {
		if list, err := h.Store.List(ctx(t), "beta", f); err != nil || len(list) != 0 {
			t.Fatalf("beta lists %v, %v with %+v", ids(list), err, f)
		}
	}
	if stats, err := h.Store.Stats(ctx(t), "beta"); err != nil || len(stats) != 0 {
		t.Fatalf("beta's stats: %+v, %v", stats, err)
	}
	// The same id in another realm is another session.
	b := a.Clone()
	b.Realm, b.UserID = "beta", "u9"
	mustCreate(t, h.Store, b)
	got, err := h.Store.Get(ctx(t), "acme", a.ID)
	if err != nil || got.UserID != "u1" {
		t.Fatalf("acme's session after beta's of the same id: %+v, %v", got, err)
	}
}

func testIdleExpiry(t *testing.T, h Harness) {
	s := newSession(h, "acme", "u1")
	s.IdleExpiresAt = ms(h.Now()).Add(h.Tick)
	mustCreate(t, h.Store, s)
	if st := state(t, h, "acme", s.ID); st != session.Active {
		t.Fatalf("fresh session is %s", st)
	}
	h.Wait(t, 2*h.Tick)
	if _, err := h.Store.Get(ctx(t), "acme", s.ID); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("Get after idle expiry: %v", err)
	}
	if st := state(t, h, "acme", s.ID); st != session.Ended {
		t.Fatalf("idle-expired session is %s, want ended", st)
	}
	if _, err := h.Store.Touch(ctx(t), "acme", s.ID, h.Now(), h.Now().Add(time.Hour)); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("Touch revived an expired session: %v", err)
	}
	if list, err := h.Store.List(ctx(t), "acme", session.Filter{UserID: "u1"}); err != nil || len(list) != 0 {
		t.Fatalf("user's sessions after expiry: %v, %v", ids(list), err)
	}
}

func testTouch(t *testing.T, h Harness) {
	start := ms(h.Now())
	s := newSession(h, "acme", "u1")
	s.IdleExpiresAt, s.ExpiresAt = start.Add(h.Tick), start.Add(3*h.Tick)
	mustCreate(t, h.Store, s)
	h.Wait(t, h.Tick/2)
	at := ms(h.Now())
	got, err := h.Store.Touch(ctx(t), "acme", s.ID, at, at.Add(h.Tick))
	if err != nil {
		t.Fatal(err)
	}
	if !got.LastAccess.Equal(at) || !got.IdleExpiresAt.Equal(at.Add(h.Tick)) {
		t.Fatalf("after touch: last access %v idle %v, want %v and %v", got.LastAccess, got.IdleExpiresAt, at, at.Add(h.Tick))
	}
	h.Wait(t, 2*h.Tick/3) // past the first idle expiry, before the new one
	if _, err := h.Store.Get(ctx(t), "acme", s.ID); err != nil {
		t.Fatalf("touched session ended at its old idle expiry: %v", err)
	}
	at = ms(h.Now())
	got, err = h.Store.Touch(ctx(t), "acme", s.ID, at, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !got.IdleExpiresAt.Equal(s.ExpiresAt) {
		t.Fatalf("idle expiry %v went past the max lifespan %v", got.IdleExpiresAt, s.ExpiresAt)
	}
	h.Wait(t, 2*h.Tick)
	// Past its max lifespan the session is gone, and may be forgotten.
	if _, err := h.Store.Get(ctx(t), "acme", s.ID); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("Get past the max lifespan: %v", err)
	}
	if st := state(t, h, "acme", s.ID); st == session.Active {
		t.Fatal("session past its max lifespan is active")
	}
}

func testState(t *testing.T, h Harness) {
	s := mustCreate(t, h.Store, newSession(h, "acme", "u1"))
	for _, c := range []struct {
		id   string
		want session.State
	}{{s.ID, session.Active}, {iam.NewID(), session.Unknown}} {
		if got := state(t, h, "acme", c.id); got != c.want {
			t.Fatalf("state of %s = %s, want %s", c.id, got, c.want)
		}
	}
	terminate(t, h.Store, "acme", s.ID)
	if got := state(t, h, "acme", s.ID); got != session.Ended {
		t.Fatalf("terminated session is %s", got)
	}
}

func testList(t *testing.T, h Harness) {
	var all []session.Session
	for i, user := range []string{"u1", "u2", "u1", "u1"} {
		s := newSession(h, "acme", user)
		s.ExpiresAt = s.ExpiresAt.Add(time.Duration(i) * time.Second) // the order
		if i == 3 {
			s.Clients = map[string]string{"uuid-app": "app"}
		}
		all = append(all, mustCreate(t, h.Store, s))
	}
	tests := []struct {
		name string
		f    session.Filter
		want []int
	}{
		{"Realm", session.Filter{}, []int{0, 1, 2, 3}},
		{"User", session.Filter{UserID: "u1"}, []int{0, 2, 3}},
		{"Client", session.Filter{ClientUUID: "uuid-web"}, []int{0, 1, 2}},
		{"UserAndClient", session.Filter{UserID: "u1", ClientUUID: "uuid-app"}, []int{3}},
		{"UnknownUser", session.Filter{UserID: "nobody"}, nil},
		{"Page", session.Filter{First: 1, Max: 2}, []int{1, 2}},
		{"PageOfClient", session.Filter{ClientUUID: "uuid-web", First: 2, Max: 5}, []int{2}},
		{"PastTheEnd", session.Filter{First: 9}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Store.List(ctx(t), "acme", tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, i := range tt.want {
				want = append(want, all[i].ID)
			}
			if !slices.Equal(ids(got), want) {
				t.Fatalf("List(%+v) = %v, want %v", tt.f, ids(got), want)
			}
			for i, s := range got {
				equal(t, s, all[tt.want[i]])
			}
		})
	}
}

func testListDropsEnded(t *testing.T, h Harness) {
	keep := mustCreate(t, h.Store, newSession(h, "acme", "u1"))
	ended := mustCreate(t, h.Store, newSession(h, "acme", "u1"))
	expiring := newSession(h, "acme", "u1")
	expiring.IdleExpiresAt = ms(h.Now()).Add(h.Tick)
	mustCreate(t, h.Store, expiring)
	terminate(t, h.Store, "acme", ended.ID)
	h.Wait(t, 2*h.Tick)
	for _, f := range []session.Filter{{}, {UserID: "u1"}, {ClientUUID: "uuid-web"}} {
		got, err := h.Store.List(ctx(t), "acme", f)
		if err != nil || !slices.Equal(ids(got), []string{keep.ID}) {
			t.Fatalf("List(%+v) = %v, %v; want only %s", f, ids(got), err, keep.ID)
		}
	}
	stats, err := h.Store.Stats(ctx(t), "acme")
	if err != nil || len(stats) != 2 || stats[0].Active != 1 || stats[1].Active != 1 {
		t.Fatalf("stats count ended sessions: %+v, %v", stats, err)
	}
}

func testStats(t *testing.T, h Harness) {
	mustCreate(t, h.Store, newSession(h, "acme", "u1")) // web, cli
	mustCreate(t, h.Store, newSession(h, "acme", "u2")) // web, cli
	app := newSession(h, "acme", "u3")
	app.Clients = map[string]string{"uuid-app": "app", "uuid-web": "web"}
	mustCreate(t, h.Store, app)
	got, err := h.Store.Stats(ctx(t), "acme")
	if err != nil {
		t.Fatal(err)
	}
	want := []session.ClientStats{{ClientUUID: "uuid-app", ClientID: "app", Active: 1},
		{ClientUUID: "uuid-cli", ClientID: "cli", Active: 2}, {ClientUUID: "uuid-web", ClientID: "web", Active: 3}}
	if !slices.Equal(got, want) {
		t.Fatalf("Stats = %+v, want %+v", got, want)
	}
}

func testTerminate(t *testing.T, h Harness) {
	s := mustCreate(t, h.Store, newSession(h, "acme", "u1"))
	e := terminate(t, h.Store, "acme", s.ID)
	if _, err := h.Store.Get(ctx(t), "acme", s.ID); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("Get after Terminate: %v", err)
	}
	_, err := h.Store.Terminate(ctx(t), "acme", s.ID, func(session.Session) (iam.Event, error) {
		t.Fatal("a second termination asked for an event")
		return iam.Event{}, nil
	})
	wantCode(t, err, iam.CodeNotFound)
	pending, err := h.Store.Pending(ctx(t), h.Now().Add(time.Second), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].ID != e.ID || string(pending[0].Data) != string(e.Data) || pending[0].Realm != "acme" {
		t.Fatalf("pending = %+v, want the one event %+v", pending, e)
	}
	if err := h.Store.Published(ctx(t), "acme", s.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.Published(ctx(t), "acme", s.ID); err != nil {
		t.Fatalf("Published twice: %v", err)
	}
	if pending, err := h.Store.Pending(ctx(t), h.Now().Add(time.Second), 10); err != nil || len(pending) != 0 {
		t.Fatalf("pending after Published: %v, %v", pending, err)
	}
}

func testTerminateEventError(t *testing.T, h Harness) {
	s := mustCreate(t, h.Store, newSession(h, "acme", "u1"))
	boom := iam.Errorf(iam.CodeInternal, "boom")
	_, err := h.Store.Terminate(ctx(t), "acme", s.ID, func(session.Session) (iam.Event, error) { return iam.Event{}, boom })
	if err != boom {
		t.Fatalf("Terminate returned %v, want the event function's error", err)
	}
	if _, err := h.Store.Get(ctx(t), "acme", s.ID); err != nil {
		t.Fatalf("a failed termination ended the session: %v", err)
	}
	if pending, _ := h.Store.Pending(ctx(t), h.Now().Add(time.Second), 10); len(pending) != 0 {
		t.Fatalf("a failed termination recorded %v", pending)
	}
}

func testConcurrentTerminate(t *testing.T, h Harness) {
	s := mustCreate(t, h.Store, newSession(h, "acme", "u1"))
	const n = 10
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.Store.Terminate(ctx(t), "acme", s.ID, func(sess session.Session) (iam.Event, error) {
				return iam.NewEvent(session.EventSource, iam.TopicSessionTerminated, "acme", sess.UserID,
					session.TerminatedEvent{Realm: "acme", UserID: sess.UserID, SessionID: sess.ID})
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch iam.ErrorCode(err) {
		case "":
			ok++
		case iam.CodeNotFound:
		default:
			t.Fatalf("concurrent terminate: %v", err)
		}
	}
	pending, err := h.Store.Pending(ctx(t), h.Now().Add(time.Second), 100)
	if ok != 1 || err != nil || len(pending) != 1 {
		t.Fatalf("%d of %d concurrent terminations succeeded, %d events pending (%v); want one and one", ok, n, len(pending), err)
	}
}

func testForbid(t *testing.T, h Harness) {
	id := iam.NewID()
	until := ms(h.Now()).Add(time.Hour)
	if ok, err := h.Store.Forbid(ctx(t), "acme", id, until); err != nil || !ok {
		t.Fatalf("Forbid(unknown) = %v, %v", ok, err)
	}
	if st := state(t, h, "acme", id); st != session.Ended {
		t.Fatalf("forbidden id is %s", st)
	}
	late := newSession(h, "acme", "u1")
	late.ID = id
	_, err := h.Store.Create(ctx(t), late)
	wantCode(t, err, iam.CodeConflict)
	if ok, err := h.Store.Forbid(ctx(t), "acme", id, until); err != nil || ok {
		t.Fatalf("Forbid(forbidden) = %v, %v; want false", ok, err)
	}
	active := mustCreate(t, h.Store, newSession(h, "acme", "u1"))
	if ok, err := h.Store.Forbid(ctx(t), "acme", active.ID, until); err != nil || ok {
		t.Fatalf("Forbid(active) = %v, %v; want false", ok, err)
	}
	if _, err := h.Store.Get(ctx(t), "acme", active.ID); err != nil {
		t.Fatalf("Forbid ended an active session: %v", err)
	}
	if pending, _ := h.Store.Pending(ctx(t), h.Now().Add(time.Second), 10); len(pending) != 0 {
		t.Fatalf("Forbid recorded events: %v", pending)
	}
}

func testPending(t *testing.T, h Harness) {
	var want []string
	for _, realm := range []iam.Realm{"acme", "beta", "acme"} {
		s := mustCreate(t, h.Store, newSession(h, realm, "u1"))
		want = append(want, terminate(t, h.Store, realm, s.ID).ID)
		h.Wait(t, 5*time.Millisecond) // distinct recording times
	}
	got, err := h.Store.Pending(ctx(t), h.Now().Add(time.Second), 10)
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, e := range got {
		gotIDs = append(gotIDs, e.ID)
	}
	if !slices.Equal(gotIDs, want) {
		t.Fatalf("Pending = %v, want %v (oldest first)", gotIDs, want)
	}
	if got, _ := h.Store.Pending(ctx(t), h.Now().Add(time.Second), 2); len(got) != 2 || got[0].ID != want[0] {
		t.Fatalf("Pending(limit 2) = %v", got)
	}
	if got, _ := h.Store.Pending(ctx(t), h.Now().Add(-time.Hour), 10); len(got) != 0 {
		t.Fatalf("Pending(before an hour ago) = %v", got)
	}
}

func testDeleteRealm(t *testing.T, h Harness) {
	a := mustCreate(t, h.Store, newSession(h, "acme", "u1"))
	ended := mustCreate(t, h.Store, newSession(h, "acme", "u1"))
	terminate(t, h.Store, "acme", ended.ID)
	b := mustCreate(t, h.Store, newSession(h, "beta", "u1"))
	if err := h.Store.DeleteRealm(ctx(t), "acme"); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.DeleteRealm(ctx(t), "acme"); err != nil {
		t.Fatalf("DeleteRealm twice: %v", err)
	}
	for _, id := range []string{a.ID, ended.ID} {
		if st := state(t, h, "acme", id); st != session.Unknown {
			t.Fatalf("acme's session %s is %s after DeleteRealm", id, st)
		}
	}
	if list, err := h.Store.List(ctx(t), "acme", session.Filter{UserID: "u1"}); err != nil || len(list) != 0 {
		t.Fatalf("acme lists %v, %v", ids(list), err)
	}
	if pending, _ := h.Store.Pending(ctx(t), h.Now().Add(time.Second), 10); len(pending) != 0 {
		t.Fatalf("acme's pending events survived: %v", pending)
	}
	if _, err := h.Store.Get(ctx(t), "beta", b.ID); err != nil {
		t.Fatalf("beta's session: %v", err)
	}
}

func testCopies(t *testing.T, h Harness) {
	in := newSession(h, "acme", "u1")
	out := mustCreate(t, h.Store, in)
	in.Clients["uuid-in"] = "changed"
	out.Clients["uuid-out"] = "changed"
	got, err := h.Store.Get(ctx(t), "acme", in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Clients) != 2 {
		t.Fatalf("stored clients changed through a caller's map: %v", got.Clients)
	}
	got.Clients["uuid-got"] = "changed"
	again, _ := h.Store.Get(ctx(t), "acme", in.ID)
	if len(again.Clients) != 2 {
		t.Fatalf("stored clients changed through Get's map: %v", again.Clients)
	}
}
