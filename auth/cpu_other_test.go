//go:build !unix

package auth_test

import "time"

// processCPU is not available here; CPU metrics are then not reported.
func processCPU() time.Duration { return 0 }
