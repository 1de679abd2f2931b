package iamtest

import (
	"os"
	"testing"
)

// Environment variables read by this package.
const (
	EnvPostgresURL = "OPENGATE_TEST_POSTGRES_URL"
	EnvRedisURL    = "OPENGATE_TEST_REDIS_URL"
	EnvRequire     = "OPENGATE_TEST_REQUIRE"
)

// unavailable skips t (or fails it under OPENGATE_TEST_REQUIRE=1) because a
// service is missing.
func unavailable(t testing.TB, variable string, why error) {
	t.Helper()
	msg := variable + " is not set and no Docker engine answered"
	if why != nil {
		msg += " (" + why.Error() + ")"
	}
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("%s; %s=1 requires it", msg, EnvRequire)
	}
	t.Skip(msg + "; set " + variable + " to run this test")
}
