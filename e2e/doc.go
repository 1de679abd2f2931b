// Package e2e tests OpenGate's deployments end to end, as a client sees
// them: its tests build the binaries, start them as separate processes
// with only their documented environment, and drive one scenario through
// one base URL over HTTP — the all-in-one in memory, the all-in-one on
// PostgreSQL, Redis and a kfake broker, and the eight microservices behind
// the gateway. See docs/testing.md.
package e2e
