package rbackafka

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
)

// Invalidator drops cached effective roles. *rbac.Service (its
// WithEffectiveRolesCache cache) and *rbac.CachedResolver implement it.
type Invalidator interface {
	InvalidateUser(realm iam.Realm, userID string)
	InvalidateRealm(realm iam.Realm)
}

var (
	_ Invalidator = (*rbac.Service)(nil)
	_ Invalidator = (*rbac.CachedResolver)(nil)
)

// CacheTopics are the topics of the cache consumer: the events after which
// someone's effective roles may differ.
func CacheTopics() []string {
	return []string{
		iam.TopicRoleMappingChanged,
		iam.TopicRoleCreated, iam.TopicRoleUpdated, iam.TopicRoleDeleted,
		iam.TopicGroupMemberAdded, iam.TopicGroupMemberRemoved,
		iam.TopicGroupUpdated, iam.TopicGroupMoved, iam.TopicGroupDeleted, iam.TopicGroupRoleMappingChanged,
		iam.TopicScopeMappingChanged,
		iam.TopicUserDeleted,
		iam.TopicClientUpdated, iam.TopicClientDeleted,
		iam.TopicRealmDeleted,
	}
}

// CacheGroup returns the consumer group of one process's effective-roles
// cache: caches must each see every event, so the group is per process
// (service name plus an instance id such as the host name), unlike
// work-sharing consumers whose group is the service name.
func CacheGroup(service, instance string) string {
	return service + ".role-cache." + instance
}

// CacheHandler returns the iam.Handler that invalidates inv:
//
//   - role_mapping.changed, group.member.added, group.member.removed: the
//     subject (data "userId", else the event's subject);
//   - user.deleted: that user (data "id", else the subject);
//   - role.created, role.updated, role.deleted, group.updated,
//     group.moved, group.deleted, group.role_mapping.changed,
//     scope_mapping.changed, client.updated, client.deleted,
//     realm.deleted: the event's whole realm (a group's roles reach the
//     members of all its subgroups; a renamed group changes the cached
//     group paths of rbac.WithGroupPaths; a client's scope is cached
//     beside the subjects, and changes rarely).
//
// Other topics (group.created changes nobody's roles nor groups) are
// ignored. It never fails, so it is trivially idempotent.
func CacheHandler(inv Invalidator) iam.Handler {
	return func(_ context.Context, e iam.Event) error {
		switch e.Type {
		case iam.TopicRoleMappingChanged, iam.TopicGroupMemberAdded, iam.TopicGroupMemberRemoved:
			var d struct {
				UserID string `json:"userId"`
			}
			inv.InvalidateUser(e.Realm, dataOr(e, &d, &d.UserID))
		case iam.TopicUserDeleted:
			var d struct {
				ID string `json:"id"`
			}
			inv.InvalidateUser(e.Realm, dataOr(e, &d, &d.ID))
		case iam.TopicRoleCreated, iam.TopicRoleUpdated, iam.TopicRoleDeleted,
			iam.TopicGroupUpdated, iam.TopicGroupMoved, iam.TopicGroupDeleted, iam.TopicGroupRoleMappingChanged,
			iam.TopicScopeMappingChanged, iam.TopicClientUpdated, iam.TopicClientDeleted, iam.TopicRealmDeleted:
			inv.InvalidateRealm(e.Realm)
		}
		return nil
	}
}

// dataOr decodes e's data into d and returns *field, or e's subject when
// the data has no such field.
func dataOr(e iam.Event, d any, field *string) string {
	if len(e.Data) > 0 && e.Decode(d) == nil && *field != "" {
		return *field
	}
	return e.Subject
}

// RunCacheInvalidation subscribes group (see CacheGroup) to CacheTopics and
// invalidates inv on each event until ctx ends; it returns the subscriber's
// error (ctx's error after a normal stop). Run it in every process that
// caches effective roles: each rbac-service replica (with its *rbac.Service)
// and each process reading through an *rbac.CachedResolver.
func RunCacheInvalidation(ctx context.Context, sub iam.Subscriber, group string, inv Invalidator) error {
	return sub.Subscribe(ctx, group, CacheTopics(), CacheHandler(inv))
}
