package session_test

import (
	"context"
	"fmt"

	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/session/sessionmem"
)

func Example() {
	ctx := context.Background()
	events := iamtest.NewRecorder() // the bus
	svc := session.New(sessionmem.New(), realmGetter{"acme": {Name: "acme"}}, session.WithPublisher(events))

	// auth.login.success creates the session; auth asks whether it is
	// alive on every refresh.
	_, _ = svc.Create(ctx, "acme", session.Session{ID: "sid-1", UserID: "alice", Clients: map[string]string{"uuid-web": "web"}})
	alive, _ := svc.Touch(ctx, "acme", "sid-1")
	fmt.Println("alive:", alive)

	// An administrator ends it: one session.terminated, and it is dead.
	_ = svc.Terminate(ctx, "acme", "sid-1", session.ReasonAdmin)
	alive, _ = svc.Alive(ctx, "acme", "sid-1")
	fmt.Println("alive:", alive, "events:", len(events.Events(nil)), events.Events(nil)[0].Type)
	// Output:
	// alive: true
	// alive: false events: 1 session.terminated
}
