package gateway_test

import (
	"testing"

	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/gateway/gatewaytest"
)

func TestMemoryLimiter(t *testing.T) {
	gatewaytest.RunLimiter(t, func(*testing.T) gateway.Limiter { return gateway.NewMemoryLimiter() })
}
