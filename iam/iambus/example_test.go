package iambus_test

import (
	"context"
	"fmt"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iambus"
)

func Example() {
	bus := iambus.New()
	defer bus.Close()

	// Declare the group before publishing, so no event is missed while its
	// consumer starts.
	if err := bus.Declare("welcome-mail", iam.TopicUserCreated); err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = bus.Subscribe(ctx, "welcome-mail", []string{iam.TopicUserCreated}, func(_ context.Context, e iam.Event) error {
			var u struct{ Username string }
			if err := e.Decode(&u); err != nil {
				return err
			}
			fmt.Println("welcome", u.Username, "to", e.Realm)
			cancel()
			return nil
		})
	}()

	e, err := iam.NewEvent("/opengate/users", iam.TopicUserCreated, "acme", "user-1", map[string]string{"username": "alice"})
	if err != nil {
		panic(err)
	}
	if err := bus.Publish(context.Background(), e); err != nil {
		panic(err)
	}
	<-done
	// Output: welcome alice to acme
}
