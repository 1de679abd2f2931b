package iamkafka

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// maxInstanceID is the longest group.instance.id Kafka accepts.
const maxInstanceID = 249

// InstanceID returns the static member id (group.instance.id) under which a
// Subscriber made WithInstance(instance) joins group: "<instance>.<group>",
// with every byte Kafka does not allow in an instance id (outside
// [a-zA-Z0-9._-]) replaced by '_' and, when something was replaced or the
// id is longer than 249 bytes, a hash of the original appended (shortened to
// fit), so that distinct names stay distinct. It is the same in every run
// of a process with the same instance name, and differs between instance
// names.
func InstanceID(instance, group string) string {
	raw := instance + "." + group
	id := []byte(raw)
	changed := false
	for i, c := range id {
		if !topicByte(c) {
			id[i] = '_'
			changed = true
		}
	}
	if !changed && len(id) <= maxInstanceID {
		return raw
	}
	sum := sha256.Sum256([]byte(raw))
	suffix := "-" + hex.EncodeToString(sum[:8])
	if len(id) > maxInstanceID-len(suffix) {
		id = id[:maxInstanceID-len(suffix)]
	}
	return string(id) + suffix
}

// topicByte reports whether c may appear in a topic name or instance id.
func topicByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

// instances hands out the static member ids of one Subscriber's running
// members: the first member of a group gets InstanceID(instance, group), a
// second one running at the same time in the same group "-2" appended, and
// so on, so members of one process never fence each other.
type instances struct {
	mu    sync.Mutex
	inUse map[string]bool
}

// acquire returns a free id derived from base and marks it used.
func (in *instances) acquire(base string) string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.inUse == nil {
		in.inUse = map[string]bool{}
	}
	id := base
	for n := 2; in.inUse[id]; n++ {
		id = base + "-" + strconv.Itoa(n)
	}
	in.inUse[id] = true
	return id
}

// release frees an id acquire returned.
func (in *instances) release(id string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	delete(in.inUse, id)
}

// leave ends a member's membership before its client closes, within ctx
// (the shutdown deadline): it stops the client's group management (a
// dynamic member sends LeaveGroup there), and a static member, which
// franz-go deliberately keeps in the group on close, sends LeaveGroup for
// its instance id itself, so its partitions move to the other members at
// once instead of after the session timeout.
func leave(ctx context.Context, client *kgo.Client, group, instanceID string, log *slog.Logger) {
	memberID, _ := client.GroupMetadata()
	if err := client.LeaveGroupContext(ctx); err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "iamkafka: leaving group failed",
			slog.String("group", group), slog.String("error", err.Error()))
		return
	}
	if instanceID == "" {
		return
	}
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Group = group
	m := kmsg.NewLeaveGroupRequestMember()
	// Our member id too, when the coordinator has told us (a member whose
	// first join is still pending has none): if a restarted process already
	// took the instance id over, the coordinator fences this request instead
	// of removing the newer member.
	m.MemberID = memberID
	m.InstanceID = &instanceID
	m.Reason = kmsg.StringPtr("shutting down")
	req.Members = append(req.Members, m)
	resp, err := req.RequestWith(ctx, client)
	if err == nil {
		err = kerr.ErrorForCode(resp.ErrorCode)
		for _, mr := range resp.Members {
			if err == nil {
				err = kerr.ErrorForCode(mr.ErrorCode)
			}
		}
	}
	switch {
	case err == nil:
	case errors.Is(err, kerr.UnknownMemberID), errors.Is(err, kerr.FencedInstanceID):
		// Already gone, or replaced by a newer process of this instance.
	default:
		log.LogAttrs(ctx, slog.LevelWarn, "iamkafka: leaving group failed",
			slog.String("group", group), slog.String("instance_id", instanceID), slog.String("error", err.Error()))
	}
}

// closeWithin closes client, waiting at most until ctx ends: franz-go's
// Close waits for a join in flight, which a rebalance waiting for a dead
// member can hold for minutes. The close then finishes in the background.
func closeWithin(ctx context.Context, client *kgo.Client, group string, log *slog.Logger) {
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		client.CloseAllowingRebalance()
	}()
	select {
	case <-closed:
	case <-ctx.Done():
		log.LogAttrs(ctx, slog.LevelWarn, "iamkafka: the group is rebalancing; closing the client in the background",
			slog.String("group", group))
	}
}

// shutdownClock fixes the deadline of a member's shutdown when its ctx
// ends: the final commit and the leave share it.
type shutdownClock struct {
	once     sync.Once
	timeout  time.Duration
	deadline time.Time
}

// ctx returns a context that ignores parent's cancellation and ends at the
// shutdown deadline, fixed by the first call.
func (c *shutdownClock) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	c.once.Do(func() { c.deadline = time.Now().Add(c.timeout) })
	return context.WithDeadline(context.WithoutCancel(parent), c.deadline)
}
