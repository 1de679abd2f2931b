package notifypg_test

import (
	"testing"

	"github.com/opengate-iam/opengate/notify/notifypg"
	"github.com/opengate-iam/opengate/notify/notifytest"
)

func BenchmarkDeliver(b *testing.B) { notifytest.BenchDeliver(b, notifypg.New(migrated(b))) }
