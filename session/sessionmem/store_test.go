package sessionmem_test

import (
	"testing"
	"time"

	"github.com/opengate-iam/opengate/session/sessionmem"
	"github.com/opengate-iam/opengate/session/sessiontest"
)

func TestStore(t *testing.T) {
	sessiontest.Run(t, func(t *testing.T) sessiontest.Harness {
		clock := sessiontest.NewClock()
		return sessiontest.Harness{Store: sessionmem.New(sessionmem.WithClock(clock.Now)),
			Now: clock.Now, Wait: clock.Wait, Tick: 30 * time.Millisecond}
	})
}
