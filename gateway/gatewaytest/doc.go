// Package gatewaytest is the conformance suite of gateway.Limiter: every
// implementation (gateway's MemoryLimiter, gatewayredis's Limiter) runs it.
//
//	func TestLimiter(t *testing.T) {
//		gatewaytest.RunLimiter(t, func(t *testing.T) gateway.Limiter { return gateway.NewMemoryLimiter() })
//	}
package gatewaytest
