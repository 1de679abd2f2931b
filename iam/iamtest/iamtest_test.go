package iamtest_test

import (
	"context"
	"testing"

	"github.com/opengate-iam/opengate/iam/iamtest"
)

func TestPostgresGivesEachTestItsOwnDatabase(t *testing.T) {
	a, b := iamtest.Postgres(t), iamtest.Postgres(t)
	ctx := context.Background()
	if _, err := a.Exec(ctx, "CREATE TABLE only_in_a (id int)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("table created in one test database is visible in another")
	}
}

func TestRedisPrefixesAreUnique(t *testing.T) {
	c1, p1 := iamtest.Redis(t)
	_, p2 := iamtest.Redis(t)
	if p1 == p2 {
		t.Fatalf("two calls returned the same prefix %q", p1)
	}
	ctx := context.Background()
	if err := c1.Do(ctx, c1.B().Set().Key(p1+"k").Value("v").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	got, err := c1.Do(ctx, c1.B().Get().Key(p1+"k").Build()).ToString()
	if err != nil || got != "v" {
		t.Fatalf("get = %q, %v", got, err)
	}
}

func TestKafkaStartsABroker(t *testing.T) {
	seeds := iamtest.Kafka(t, "t1")
	if len(seeds) == 0 {
		t.Fatal("no seed brokers")
	}
}
