package main

import (
	"testing"

	"github.com/opengate-iam/opengate/cmd/internal/boottest"
)

// -h prints the usage and exits 0, before reading any required setting.
func TestHelpPrintsUsageAndExitsZero(t *testing.T) { boottest.Help(t, run) }
