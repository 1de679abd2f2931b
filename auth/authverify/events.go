package authverify

import (
	"context"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Topics returns the topics a Verifier follows: realm.created, realm.updated
// and realm.deleted.
func Topics() []string {
	return []string{iam.TopicRealmCreated, iam.TopicRealmUpdated, iam.TopicRealmDeleted}
}

// CacheGroup returns the consumer group of one process's verifier: every
// verifier must see every realm event, so the group is per process (service
// name plus an instance id such as the host name).
func CacheGroup(service, instance string) string {
	return service + ".token-verifier." + instance
}

// deletedTTL is how long a deleted realm's id is remembered: longer than
// any token lives (auth caps lifetimes at 24 h by default).
const deletedTTL = 48 * time.Hour

// realmDeleted is the part of realm.deleted the verifier reads.
type realmDeleted struct {
	ID string `json:"id"`
}

// HandleEvent applies a realm event: each drops the realm's cached keys (so
// the next token reads the realm's current keys and id), and realm.deleted
// also makes the verifier refuse every token of the deleted realm's id from
// then on, whatever a cache or a lagging issuer still serves. Other topics
// are ignored. It never fails on a well-formed event (idempotent, so
// redelivery is harmless); malformed data is CodeInvalid.
func (v *Verifier) HandleEvent(_ context.Context, e iam.Event) error {
	switch e.Type {
	case iam.TopicRealmCreated, iam.TopicRealmUpdated:
		v.Invalidate(e.Realm)
	case iam.TopicRealmDeleted:
		var d realmDeleted
		if len(e.Data) > 0 {
			if err := e.Decode(&d); err != nil {
				return err
			}
		}
		if d.ID != "" {
			v.forgetRealmID(d.ID)
		}
		v.Invalidate(e.Realm)
	}
	return nil
}

// Follow subscribes the verifier to Topics() as group (see CacheGroup) until
// ctx ends; it returns the subscriber's error (ctx's after a normal stop).
func (v *Verifier) Follow(ctx context.Context, sub iam.Subscriber, group string) error {
	return sub.Subscribe(ctx, group, Topics(), v.HandleEvent)
}

// Invalidate drops realm's cached keys (when the key source caches) and
// allows an immediate refresh.
func (v *Verifier) Invalidate(realm iam.Realm) {
	if inv, ok := v.keys.(invalidator); ok {
		inv.Invalidate(realm)
	}
	v.mu.Lock()
	delete(v.lastRefresh, realm)
	v.mu.Unlock()
}

// forgetRealmID records that the realm with immutable id was deleted.
func (v *Verifier) forgetRealmID(id string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.clock()
	if len(v.deleted) >= maxRealms {
		for k, at := range v.deleted {
			if now.Sub(at) > deletedTTL {
				delete(v.deleted, k)
			}
		}
		if len(v.deleted) >= maxRealms {
			clear(v.deleted) // only a flood of deletions gets here
		}
	}
	v.deleted[id] = now
}

// wasDeleted reports whether id is the id of a realm seen deleted.
func (v *Verifier) wasDeleted(id string) bool {
	if id == "" {
		return false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	_, ok := v.deleted[id]
	return ok
}
