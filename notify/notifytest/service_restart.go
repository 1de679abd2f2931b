package notifytest

import (
	"context"
	"errors"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/users"
)

// testRestartTakesBackClaims: a worker killed mid-send (frozen in its
// transport, as a killed process never comes back) leaves its claim; a
// worker starting under its instance name sends the mail at once, once,
// while workers of another name or none wait for the lease.
func testRestartTakesBackClaims(t *testing.T, e *Env) {
	e.User(t, users.User{Username: "alice", Email: "alice@example.com"})
	e.Handle(t)
	killed := frozenWorker(t, e, "notify-0")
	for _, name := range []string{"notify-1", ""} {
		firstRound(t, e.Service(t, notify.WithInstance(name)))
	}
	e.Mails(t, 0) // the killed worker's lease (3 minutes) has not passed
	firstRound(t, e.Service(t, notify.WithInstance("notify-0")))
	if m := e.Mails(t, 1)[0]; m.Subject() != "Welcome to Acme Corp" {
		t.Fatalf("sent %q, want the welcome", m.Subject())
	}
	d := e.Deliveries(t, notify.Filter{})
	if len(d) != 1 || d[0].Status != notify.StatusSent || d[0].Attempts != 2 {
		t.Fatalf("deliveries %+v, want the welcome sent at the second attempt", d)
	}
	firstRound(t, e.Service(t, notify.WithInstance("notify-0"))) // a second restart
	killed()                                                     // the frozen send fails late: the mail stays sent
	e.Mails(t, 1)
	if d := e.Deliveries(t, notify.Filter{}); d[0].Status != notify.StatusSent {
		t.Fatalf("delivery %+v after the first worker's late failure, want sent", d[0])
	}
}

// frozenWorker runs a worker named name whose transport never returns,
// and waits until it is sending. The returned function unfreezes it (its
// send fails) and waits for it to stop; it also runs when the test ends.
func frozenWorker(t *testing.T, e *Env, name string) (stop func()) {
	t.Helper()
	sending, unfreeze := make(chan struct{}), make(chan struct{})
	frozen := notify.TransportFunc(func(context.Context, notify.Server, notify.Message) error {
		close(sending)
		<-unfreeze // a killed process ignores its context
		return errors.New("killed")
	})
	c, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Service(t, notify.WithInstance(name), notify.WithTransport(frozen)).Run(c) }()
	select {
	case <-sending:
	case <-ctx(t).Done():
		t.Fatal("the worker did not start sending")
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			close(unfreeze)
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return stop
}

// firstRound runs svc's worker until its first round (releasing its
// instance's claims, then attempting what is due) has ended.
func firstRound(t *testing.T, svc *notify.Service) {
	t.Helper()
	r := &rounds{done: make(chan error, 1)}
	c, cancel := context.WithCancel(ctx(t))
	ran := make(chan error, 1)
	go func() { ran <- svc.Run(iam.WithReadiness(c, r)) }()
	var err error
	select {
	case err = <-r.done:
	case <-ctx(t).Done():
		err = errors.New("the worker's first round did not end")
	}
	cancel()
	if runErr := <-ran; runErr != nil {
		t.Fatalf("Run: %v", runErr)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// rounds is an iam.Readiness that reports the first round's outcome.
type rounds struct{ done chan error }

func (r *rounds) Starting()         {}
func (r *rounds) Ready()            { r.report(nil) }
func (r *rounds) Failing(err error) { r.report(err) }

func (r *rounds) report(err error) {
	select {
	case r.done <- err:
	default:
	}
}
