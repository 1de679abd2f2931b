package iamkafka_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
)

// longSession is a session timeout far beyond hangGuard: a test that passes
// with it shows that members did not wait for a session to expire.
const longSession = 3 * time.Minute

func TestInstanceID(t *testing.T) {
	long := strings.Repeat("h", 300)
	tests := []struct {
		name, instance, group string
		want                  string // "" when checked by property only
	}{
		{"PlainNamesAreJoined", "host-1", "rbac", "host-1.rbac"},
		{"CacheGroupsKeepTheirDots", "pod-0", "rbac-service.role-cache.pod-0", "pod-0.rbac-service.role-cache.pod-0"},
		{"ForbiddenBytesAreReplacedAndHashed", "host 1/a", "rbac", ""},
		{"LongNamesAreShortenedAndHashed", long, "rbac", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := iamkafka.InstanceID(tt.instance, tt.group)
			if tt.want != "" && got != tt.want {
				t.Fatalf("InstanceID = %q, want %q", got, tt.want)
			}
			if len(got) > 249 {
				t.Errorf("InstanceID is %d bytes long, Kafka allows 249", len(got))
			}
			for _, c := range []byte(got) {
				if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
					t.Fatalf("InstanceID %q has byte %q, which Kafka refuses", got, c)
				}
			}
			if again := iamkafka.InstanceID(tt.instance, tt.group); again != got {
				t.Errorf("InstanceID is not stable: %q then %q", got, again)
			}
		})
	}
	t.Run("DistinctNamesStayDistinct", func(t *testing.T) {
		pairs := [][2]string{{"host 1", "host_1"}, {long + "a", long + "b"}, {"a", "b"}}
		for _, p := range pairs {
			if iamkafka.InstanceID(p[0], "g") == iamkafka.InstanceID(p[1], "g") {
				t.Errorf("instances %.20q and %.20q get the same id", p[0], p[1])
			}
		}
	})
}

// staticCluster is a one-broker kfake cluster whose topic t has partitions
// partitions.
func staticCluster(t *testing.T, partitions int32) (*kfake.Cluster, []string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, "t"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()
}

// members returns the instance ids of group's members.
func members(t *testing.T, seeds []string, group string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	described, err := kadm.NewClient(newClient(t, seeds)).DescribeGroups(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range described[group].Members {
		if m.InstanceID != nil {
			ids = append(ids, *m.InstanceID)
		} else {
			ids = append(ids, "(dynamic "+m.MemberID+")")
		}
	}
	return ids
}

// handledBy returns a handler that signals got for every event.
func handledBy(got chan<- iam.Event) iam.Handler {
	return func(ctx context.Context, e iam.Event) error {
		select {
		case got <- e:
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	}
}

func receive(t *testing.T, got <-chan iam.Event, what string) iam.Event {
	t.Helper()
	select {
	case e := <-got:
		return e
	case <-time.After(hangGuard):
		t.Fatalf("timed out waiting for %s", what)
		return iam.Event{}
	}
}

func TestRestartedStaticMemberTakesItsPartitionsBackAtOnce(t *testing.T) {
	c, seeds := staticCluster(t, 1)
	p := openPublisher(t, seeds)
	opts := testOpts(iamkafka.WithInstance("host-a"), iamkafka.WithSessionTimeout(longSession))

	got := make(chan iam.Event)
	stop := subscribe(t, iamkafka.NewSubscriber(seeds, opts...), "g", []string{"t"}, handledBy(got))
	publish(t, p, event(t, "t", "k", 1))
	receive(t, got, "the first event")
	waitCommitted(t, seeds, "g", "t", 0, 1)

	// A crash: the member stops without leaving (its LeaveGroup is lost).
	var leaves atomic.Int32
	c.ControlKey(int16(kmsg.LeaveGroup), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		leaves.Add(1)
		return nil, errors.New("dropped: the process is dead"), true
	})
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Subscribe returned %v", err)
	}
	if ids := members(t, seeds, "g"); len(ids) != 1 || ids[0] != "host-a.g" {
		t.Fatalf("after the crash the group's members are %v, want the dead host-a.g", ids)
	}

	// The restart under the same instance name replaces the dead member at
	// once; a new dynamic member would wait for its session (3 minutes).
	publish(t, p, event(t, "t", "k", 2))
	subscribe(t, iamkafka.NewSubscriber(seeds, opts...), "g", []string{"t"}, handledBy(got))
	if n := seq(t, receive(t, got, "the event published during the crash")); n != 2 {
		t.Fatalf("restarted member got event %d, want 2", n)
	}
	if ids := members(t, seeds, "g"); len(ids) != 1 || ids[0] != "host-a.g" {
		t.Errorf("after the restart the group's members are %v, want host-a.g alone", ids)
	}
	if leaves.Load() == 0 {
		t.Error("the stopped static member never tried to leave")
	}
}

func TestStoppedStaticMemberLeavesSoOthersTakeOverAtOnce(t *testing.T) {
	_, seeds := staticCluster(t, 2)
	p := openPublisher(t, seeds)
	session := iamkafka.WithSessionTimeout(longSession)
	got := make(chan iam.Event, 16)
	subA := iamkafka.NewSubscriber(seeds, testOpts(iamkafka.WithInstance("host-a"), session)...)
	subB := iamkafka.NewSubscriber(seeds, testOpts(iamkafka.WithInstance("host-b"), session)...)
	stopA := subscribe(t, subA, "g", []string{"t"}, handledBy(got))
	subscribe(t, subB, "g", []string{"t"}, handledBy(got))
	deadline := time.Now().Add(hangGuard)
	for len(members(t, seeds, "g")) != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("members %v, want host-a.g and host-b.g", members(t, seeds, "g"))
		}
		time.Sleep(20 * time.Millisecond)
	}

	if err := stopA(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Subscribe returned %v", err)
	}
	if ids := members(t, seeds, "g"); len(ids) != 1 || ids[0] != "host-b.g" {
		t.Fatalf("after host-a stopped the members are %v, want host-b.g alone", ids)
	}
	// host-b now owns both partitions: every event reaches it well before
	// host-a's session could have expired.
	const n = 8
	for i := range n {
		publish(t, p, event(t, "t", "key-"+string(rune('a'+i)), i))
	}
	for range n {
		receive(t, got, "an event after host-a left")
	}
}

func TestMembersOfOneGroupInOneProcessDoNotFenceEachOther(t *testing.T) {
	_, seeds := staticCluster(t, 2)
	sub := iamkafka.NewSubscriber(seeds, testOpts(iamkafka.WithInstance("host-a"))...)
	got := make(chan iam.Event, 16)
	subscribe(t, sub, "g", []string{"t"}, handledBy(got))
	subscribe(t, sub, "g", []string{"t"}, handledBy(got))
	deadline := time.Now().Add(hangGuard)
	for {
		ids := members(t, seeds, "g")
		if len(ids) == 2 && (ids[0] == "host-a.g" && ids[1] == "host-a.g-2" || ids[1] == "host-a.g" && ids[0] == "host-a.g-2") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("members %v, want host-a.g and host-a.g-2", ids)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p := openPublisher(t, seeds)
	for i := range 4 {
		publish(t, p, event(t, "t", "key-"+string(rune('a'+i)), i))
	}
	for range 4 {
		receive(t, got, "an event")
	}
}

func TestStopIsBoundedWhileARebalanceWaitsForADeadMember(t *testing.T) {
	c, seeds := staticCluster(t, 2)
	session := iamkafka.WithSessionTimeout(longSession)
	got := make(chan iam.Event, 16)
	stopA := subscribe(t, iamkafka.NewSubscriber(seeds, testOpts(iamkafka.WithInstance("host-a"), session)...), "g", []string{"t"}, handledBy(got))
	deadline := time.Now().Add(hangGuard)
	for len(members(t, seeds, "g")) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("host-a never joined")
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.ControlKey(int16(kmsg.LeaveGroup), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		return nil, errors.New("dropped: the process is dead"), true
	})
	if err := stopA(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Subscribe returned %v", err)
	}
	// host-b's join starts a rebalance that waits for the dead host-a
	// (for minutes); host-b is stopped meanwhile, and must return within
	// its shutdown timeout rather than when the rebalance ends.
	subB := iamkafka.NewSubscriber(seeds, testOpts(iamkafka.WithInstance("host-b"), session, iamkafka.WithShutdownTimeout(500*time.Millisecond))...)
	stopB := subscribe(t, subB, "g", []string{"t"}, handledBy(got))
	for len(members(t, seeds, "g")) != 2 {
		if time.Now().After(deadline) {
			t.Fatal("host-b never asked to join")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := stopB(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Subscribe returned %v", err)
	}
}
