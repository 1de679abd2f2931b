package sessionhttp_test

import (
	"context"
	"net/http/httptest"
	"reflect"
	"sort"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/session/sessionhttp"
)

// accountSessions is what auth's account pages need of the session
// service: the Service and the Client both satisfy it.
type accountSessions interface {
	ListByUser(ctx context.Context, realm iam.Realm, userID string) ([]session.Session, error)
	TerminateOwn(ctx context.Context, realm iam.Realm, userID, id string) error
}

var (
	_ accountSessions = (*session.Service)(nil)
	_ accountSessions = (*sessionhttp.Client)(nil)
)

func TestClientListsAndEndsAUsersSessions(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c := newClient(t, f)
	want, err := f.svc.ListByUser(ctx, "acme", "alice")
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.ListByUser(ctx, "acme", "alice")
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].ID < got[j].ID })
	sort.Slice(want, func(i, j int) bool { return want[i].ID < want[j].ID })
	if len(got) != 2 || len(got) != len(want) {
		t.Fatalf("ListByUser = %+v", got)
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.Started.Equal(w.Started) || !g.LastAccess.Equal(w.LastAccess) || !g.ExpiresAt.Equal(w.ExpiresAt) ||
			!g.IdleExpiresAt.Equal(w.IdleExpiresAt) {
			t.Fatalf("times of %s: %+v, want %+v", g.ID, g, w)
		}
		g.Started, g.LastAccess, g.ExpiresAt, g.IdleExpiresAt = w.Started, w.LastAccess, w.ExpiresAt, w.IdleExpiresAt
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("session %+v, want %+v", g, w)
		}
	}
	if err := c.TerminateOwn(ctx, "acme", "alice", "bob-1"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("ending another user's session: %v", err)
	}
	if err := c.TerminateOwn(ctx, "acme", "alice", "alice-2"); err != nil {
		t.Fatal(err)
	}
	if alive, _ := f.svc.Alive(ctx, "acme", "alice-2"); alive {
		t.Fatal("the session is still alive")
	}
	if list, _ := c.ListByUser(ctx, "acme", "bob"); len(list) != 1 {
		t.Fatalf("bob's sessions: %v", list)
	}
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	if _, err := sessionhttp.NewClient(srv.URL, "wrong").ListByUser(ctx, "acme", "alice"); iam.ErrorCode(err) != iam.CodeForbidden {
		t.Fatalf("wrong service token: %v", err)
	}
}
