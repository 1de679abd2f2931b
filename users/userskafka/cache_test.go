package userskafka_test

import (
	"context"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users/userskafka"
)

// invalidations records what a cache handler dropped.
type invalidations struct{ users, realms []string }

func (i *invalidations) Invalidate(realm iam.Realm, id string) {
	i.users = append(i.users, string(realm)+"/"+id)
}
func (i *invalidations) InvalidateRealm(realm iam.Realm) { i.realms = append(i.realms, string(realm)) }

func TestCacheHandlerDropsTheUserOrTheRealm(t *testing.T) {
	tests := []struct {
		name          string
		event         iam.Event
		users, realms int
	}{
		{"UserUpdated", iam.Event{Type: iam.TopicUserUpdated, Realm: "acme", Subject: "u1"}, 1, 0},
		{"UserDeleted", iam.Event{Type: iam.TopicUserDeleted, Realm: "acme", Subject: "u1"}, 1, 0},
		{"EmailVerified", iam.Event{Type: iam.TopicUserEmailVerified, Realm: "acme", Subject: "u1"}, 1, 0},
		{"CredentialsChanged", iam.Event{Type: iam.TopicUserCredentialsChanged, Realm: "acme", Subject: "u1"}, 1, 0},
		{"RealmDeleted", iam.Event{Type: iam.TopicRealmDeleted, Realm: "acme"}, 0, 1},
		{"OtherTopicsAreIgnored", iam.Event{Type: iam.TopicUserCreated, Realm: "acme", Subject: "u1"}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inv invalidations
			if err := userskafka.CacheHandler(&inv)(context.Background(), tt.event); err != nil {
				t.Fatal(err)
			}
			if len(inv.users) != tt.users || len(inv.realms) != tt.realms {
				t.Fatalf("dropped users %v, realms %v", inv.users, inv.realms)
			}
			if tt.users == 1 && inv.users[0] != "acme/u1" {
				t.Fatalf("dropped %v, want acme/u1", inv.users)
			}
		})
	}
}

// Every topic of the handler is one CacheTopics subscribes to.
func TestCacheTopicsCoverTheHandler(t *testing.T) {
	var inv invalidations
	for _, topic := range userskafka.CacheTopics() {
		_ = userskafka.CacheHandler(&inv)(context.Background(), iam.Event{Type: topic, Realm: "acme", Subject: "u1"})
	}
	if len(inv.users) != 4 || len(inv.realms) != 1 {
		t.Fatalf("CacheTopics reach users %v, realms %v", inv.users, inv.realms)
	}
}
