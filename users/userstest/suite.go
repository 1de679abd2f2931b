package userstest

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/password"
)

// Harness is one fresh, empty store under test and a way to read the events
// it has recorded (the memory store's publisher, the PostgreSQL outbox).
type Harness struct {
	Store users.Store
	// Events returns every event the store has recorded, oldest first.
	Events func(t *testing.T) []iam.Event
}

// Run runs the conformance suite: each case on a fresh Harness from
// newHarness, which must return an empty store each time it is called.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"CreateThenGetReturnsEveryField", testCreateThenGetReturnsEveryField},
		{"ValuesAreCopied", testValuesAreCopied},
		{"EmptyOptionalFieldsRoundTrip", testEmptyOptionalFieldsRoundTrip},
		{"MissingIsNotFound", testMissingIsNotFound},
		{"MalformedIDIsNotFound", testMalformedIDIsNotFound},
		{"UppercaseUsernameIsInvalid", testUppercaseUsernameIsInvalid},
		{"ConflictsNameTheField", testConflictsNameTheField},
		{"DuplicateEmailsWithoutUniqueEmail", testDuplicateEmailsWithoutUniqueEmail},
		{"DeleteRemovesUserAndFreesName", testDeleteRemovesUserAndFreesName},
		{"DeleteRealmIsIdempotentAndScoped", testDeleteRealmIsIdempotentAndScoped},
		{"RealmsAreIsolated", testRealmIsolation},
		{"UpdateAppliesChangeAndKeepsIdentity", testUpdateAppliesChangeAndKeepsIdentity},
		{"UpdateErrorChangesNothing", testUpdateErrorChangesNothing},
		{"UpdateMissingIsNotFound", testUpdateMissingIsNotFound},
		{"UpdateConflictsNameTheField", testUpdateConflictsNameTheField},
		{"UppercaseUsernameInUpdateIsInvalid", testUppercaseUsernameInUpdateIsInvalid},
		{"ConcurrentUpdatesDoNotLoseChanges", testConcurrentUpdatesDoNotLoseChanges},
		{"ListFiltersOrdersAndPages", testList},
		{"CreateWithPassword", testCreateWithPassword},
		{"NoPasswordIsNotFound", testNoPasswordIsNotFound},
		{"SetPasswordKeepsHistory", testSetPasswordKeepsHistory},
		{"SetPasswordWithRequiredActions", testSetPasswordWithRequiredActions},
		{"SetPasswordOfMissingUser", testSetPasswordOfMissingUser},
		{"RehashIsCompareAndSwap", testRehashIsCompareAndSwap},
		{"DeletePasswordRemovesIt", testDeletePasswordRemovesIt},
		{"TokenCreateGetConsumeRoundTrip", testTokenCreateGetConsumeRoundTrip},
		{"NewTokenReplacesSameActionOnly", testNewTokenReplacesSameActionOnly},
		{"NewTokenRemovesExpiredOnes", testNewTokenRemovesExpiredOnes},
		{"TokenOfMissingUser", testTokenOfMissingUser},
		{"DeletingUserDeletesTokens", testDeletingUserDeletesTokens},
		{"ConcurrentConsumeSucceedsOnce", testConcurrentConsumeSucceedsOnce},
		{"ImportFailLeavesEverythingUnchanged", testImportFailLeavesEverythingUnchanged},
		{"ImportSkipKeepsExisting", testImportSkipKeepsExisting},
		{"ImportOverwriteKeepsIDAndCreatedAt", testImportOverwriteKeepsIDAndCreatedAt},
		{"ImportOverwriteAsksMayOverwrite", testImportOverwriteAsksMayOverwrite},
		{"ImportEmailConflictFailsWholeBatch", testImportEmailConflictFailsWholeBatch},
		{"ImportEmptyBatch", testImportEmptyBatch},
		{"ConcurrentCreatesOfOneUsernameOneWins", testConcurrentCreatesOfOneUsernameOneWins},
		{"ConcurrentCreatesOfOneUniqueEmailOneWins", testConcurrentCreatesOfOneUniqueEmailOneWins},
		{"ConcurrentCreatesOfOneUsernameInAnyCaseOneWins", testConcurrentCreatesOfOneUsernameInAnyCaseOneWins},
		{"ConcurrentCreatesInDifferentRealmsAllWin", testConcurrentCreatesInDifferentRealmsAllWin},
		{"OnceRunsOncePerConsumerAndEvent", testOnceRunsOncePerConsumerAndEvent},
		{"OnceFailureLeavesTheEventUnhandled", testOnceFailureLeavesTheEventUnhandled},
		{"OnceWritesThroughTheGivenStore", testOnceWritesThroughTheGivenStore},
		{"OnceConcurrentDeliveriesRunOnce", testOnceConcurrentDeliveriesRunOnce},
		{"OnceNeedsAConsumer", testOnceNeedsAConsumer},
		{"EventsAreRecordedWithTheirChange", testEventsAreRecordedWithTheirChange},
		{"ServiceAuthenticatesByUsernameOrEmail", testServiceAuthenticatesByUsernameOrEmail},
		{"ServiceRehashesBelowCurrentParametersOnLogin", testServiceRehashesBelowCurrentParametersOnLogin},
		{"ServiceImportedPBKDF2HashLogsInAndBecomesArgon2id", testServiceImportedPBKDF2HashLogsInAndBecomesArgon2id},
		{"ServicePasswordResetFlow", testServicePasswordResetFlow},
		{"ServiceVerifyEmailFlow", testServiceVerifyEmailFlow},
		{"ServiceDeletedRealmDeletesUsers", testServiceDeletedRealmDeletesUsers},
		{"DecomposedAndFullwidthSpellingsAreOneUsername", testDecomposedAndFullwidthSpellingsAreOneUsername},
		{"LookAlikeAndReservedUsernamesAreRefused", testLookAlikeAndReservedUsernamesAreRefused},
		{"NULIsRefusedInEveryStore", testNULIsRefusedInEveryStore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newHarness(t))
		})
	}
}

// FastParams are cheap argon2id parameters for tests.
var FastParams = password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Realms is a users.RealmGetter over an in-memory set of realms, a
// hand-written fake for tests. It is safe for concurrent use.
type Realms struct {
	mu sync.Mutex
	m  map[iam.Realm]realms.Realm
}

var _ users.RealmGetter = (*Realms)(nil)

// NewRealms returns Realms holding rs.
func NewRealms(rs ...realms.Realm) *Realms {
	r := &Realms{m: map[iam.Realm]realms.Realm{}}
	for _, x := range rs {
		r.Put(x)
	}
	return r
}

// Put adds or replaces a realm.
func (r *Realms) Put(x realms.Realm) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[x.Name] = x
}

// Delete removes a realm.
func (r *Realms) Delete(name iam.Realm) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, name)
}

// Get implements users.RealmGetter: CodeNotFound for an unknown realm.
func (r *Realms) Get(_ context.Context, name iam.Realm) (realms.Realm, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	x, ok := r.m[name]
	if !ok {
		return realms.Realm{}, iam.NotFoundf("realm not found")
	}
	return x, nil
}

// Realm returns a realm named name with cheap hashing for tests.
func Realm(name iam.Realm) realms.Realm {
	return realms.Realm{Name: name, Enabled: true,
		PasswordPolicy: realms.PasswordPolicy{HashIterations: 1, HashMemoryKiB: 64}}
}

// ctx returns a context ending with the test.
func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// ts is a fixed instant at the microsecond precision every store keeps.
var ts = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

// newUser returns a valid user of realm named username.
func newUser(realm iam.Realm, username string) users.User {
	return users.User{
		ID: iam.NewID(), Realm: realm, Username: username, Email: username + "@example.com",
		FirstName: "First " + username, LastName: "Last", Enabled: true,
		Attributes:      map[string][]string{"dept": {"eng", "ops"}, "level": {"3"}},
		RequiredActions: []string{users.ActionVerifyEmail},
		Extra: iam.Extra{"notBefore": json.RawMessage(`1700000000`),
			"federatedIdentities": json.RawMessage(`[{"identityProvider":"github","userId":"42","userName":"` + username + `"}]`)},
		CreatedAt: ts, UpdatedAt: ts,
	}
}

// mustCreate creates u or fails the test.
func mustCreate(t *testing.T, s users.Store, u users.User, opts users.CreateOptions) users.User {
	t.Helper()
	if err := s.Create(ctx(t), u, opts); err != nil {
		t.Fatalf("Create(%s): %v", u.Username, err)
	}
	return u
}

// sameUser fails unless got equals want, treating nil and empty
// collections alike and comparing instants.
func sameUser(t *testing.T, got, want users.User) {
	t.Helper()
	eqAttrs := maps.EqualFunc(got.Attributes, want.Attributes, func(a, b []string) bool { return slices.Equal(a, b) })
	if got.ID != want.ID || got.Realm != want.Realm || got.Username != want.Username || got.Email != want.Email ||
		got.EmailVerified != want.EmailVerified || got.FirstName != want.FirstName || got.LastName != want.LastName ||
		got.Enabled != want.Enabled || !eqAttrs || !slices.Equal(got.RequiredActions, want.RequiredActions) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) || !got.Extra.Equal(want.Extra) {
		t.Fatalf("user mismatch\n got %+v\nwant %+v", got, want)
	}
}

// wantCode fails unless err has code.
func wantCode(t *testing.T, err error, code iam.Code) {
	t.Helper()
	if got := iam.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}
