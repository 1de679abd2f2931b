package iamredis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamredis"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

func TestMapError(t *testing.T) {
	ctx := context.Background()
	client, prefix := iamtest.Redis(t)
	nilReply := client.Do(ctx, client.B().Get().Key(prefix+"missing").Build()).Error()
	serverErr := client.Do(ctx, client.B().Eval().Script("return redis.error_reply('boom')").Numkeys(0).Build()).Error()
	conflict := client.Do(ctx, client.B().Eval().Script("return redis.error_reply('CONFLICT exists')").Numkeys(0).Build()).Error()
	for _, tt := range []struct {
		name string
		err  error
		want iam.Code
	}{
		{"Nil", nil, ""},
		{"NilReply", nilReply, iam.CodeNotFound},
		{"ErrorReply", serverErr, iam.CodeInternal},
		{"ConflictReply", conflict, iam.CodeConflict},
		{"Network", errors.New("dial tcp: connection refused"), iam.CodeUnavailable},
		{"Deadline", context.DeadlineExceeded, iam.CodeUnavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := iam.ErrorCode(iamredis.MapError("op", tt.err)); got != tt.want {
				t.Fatalf("MapError(%v) code = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestDeletePrefixDeletesOnlyThePrefix(t *testing.T) {
	ctx := context.Background()
	client, prefix := iamtest.Redis(t)
	keys := []struct {
		key  string
		kept bool
	}{
		{prefix + "a*[b]:1", false}, {prefix + "a*[b]:2", false},
		{prefix + "aX[b]:3", true}, // would match a*[b] as a pattern
		{prefix + "other", true},
	}
	for _, k := range keys {
		if err := client.Do(ctx, client.B().Set().Key(k.key).Value("v").Build()).Error(); err != nil {
			t.Fatal(err)
		}
	}
	if err := iamredis.DeletePrefix(ctx, client, "op", prefix+"a*[b]:"); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		n, err := client.Do(ctx, client.B().Exists().Key(k.key).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		if (n == 1) != k.kept {
			t.Fatalf("%s: exists = %d, want kept %v", k.key, n, k.kept)
		}
	}
}

func TestCallTimeoutsBoundEachCommand(t *testing.T) {
	client, _, proxy := iamtest.StallableRedis(t)
	c := iamredis.CallTimeouts(client)
	if iamredis.CallTimeouts(c) != c {
		t.Fatal("wrapping twice adds a layer")
	}
	proxy.Stall()
	defer proxy.Resume()
	ctx := iam.WithCallTimeout(context.Background(), 100*time.Millisecond)
	err := c.Do(ctx, c.B().Ping().Build()).Error()
	if iam.ErrorCode(iamredis.MapError("op", err)) != iam.CodeUnavailable {
		t.Fatalf("stalled PING = %v, want unavailable", err)
	}
	var _ rueidis.Client = c
}
