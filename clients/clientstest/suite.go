package clientstest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
)

// Harness is one fresh, empty store under test and a way to read the events
// it has recorded (the memory store's publisher, the Postgres outbox).
type Harness struct {
	Store clients.Store
	// Events returns every event the store has recorded, oldest first.
	Events func(t *testing.T) []iam.Event
	// OnceIsAtomic says that Once rolls back fn's writes when fn fails
	// (true for Postgres; the memory store cannot).
	OnceIsAtomic bool
}

// Run runs the conformance suite; newHarness must return an empty store each
// time it is called.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"CreateThenGetReturnsEveryField", testCreateGet},
		{"GetByClientID", testGetByClientID},
		{"ClientIDIsUniquePerRealm", testClientIDUnique},
		{"DuplicateIDIsConflict", testDuplicateID},
		{"ConcurrentCreatesOfOneClientIDOneWins", testConcurrentCreate},
		{"CreateIfAbsentCreatesOnlyAFreeClientID", testCreateIfAbsent},
		{"ConcurrentCreateIfAbsentCreatesOnce", testConcurrentCreateIfAbsent},
		{"RealmsAreIsolated", testRealmIsolation},
		{"UpdateAppliesChangeAndKeepsIdentity", testUpdate},
		{"UpdateErrorChangesNothing", testUpdateError},
		{"UpdateToTakenClientIDIsConflict", testUpdateConflict},
		{"UpdateMissingIsNotFound", testUpdateMissing},
		{"ConcurrentUpdatesDoNotLoseChanges", testConcurrentUpdates},
		{"ListOrdersPagesAndFilters", testList},
		{"DeleteRemovesAndFreesClientID", testDelete},
		{"DeleteRealmRemovesOnlyThatRealm", testDeleteRealm},
		{"OnceRunsOncePerEvent", testOnce},
		{"ValuesAreCopied", testCopies},
		{"SecretVerifierIsKeyedAndMatchesOnlyItsSecret", testSecretVerifier},
		{"UpdateRecomputesTheSecretVerifier", testUpdateRecomputesVerifier},
		{"EventsAreRecordedWithTheirChange", testEvents},
		{"ImportAddsClientsWithTheirSecrets", testImportAddsClients},
		{"ImportModesFailSkipOverwrite", testImportModes},
		{"ImportFailureLeavesNothing", testImportFailureLeavesNothing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newHarness(t))
		})
	}
}

var base = time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)

// record returns a record of realm with every field set.
func record(realm iam.Realm, clientID string) clients.Record {
	return clients.Record{
		Client: clients.Client{
			ID:                        iam.NewID(),
			Realm:                     realm,
			ClientID:                  clientID,
			Name:                      "Name of " + clientID,
			Description:               "déscription",
			Enabled:                   true,
			BearerOnly:                true,
			StandardFlowEnabled:       true,
			DirectAccessGrantsEnabled: true,
			ServiceAccountsEnabled:    true,
			FullScopeDisabled:         true,
			RedirectURIs:              []string{"https://app.test/cb", "http://127.0.0.1/cb"},
			WebOrigins:                []string{"+", "https://app.test"},
			RootURL:                   "https://app.test",
			BaseURL:                   "/home",
			Attributes:                map[string]string{clients.AttrPKCEMethod: "S256", "empty": ""},
			DefaultClientScopes:       []string{"profile", "email"},
			OptionalClientScopes:      []string{"offline_access"},
			Extra: iam.Extra{"consentRequired": json.RawMessage(`true`),
				"protocolMappers": json.RawMessage(`[{"name":"aud","protocol":"openid-connect","config":{"included.client.audience":"web"}}]`)},
			CreatedAt: base,
			UpdatedAt: base.Add(time.Second),
		},
		// The store computes the verifier: a caller's value is ignored.
		SecretHash: []byte("0123456789abcdef0123456789abcdef"),
		Secret:     "s3cret-déjà-vu-0123456789",
	}
}

// public returns a minimal public client record.
func public(realm iam.Realm, clientID string) clients.Record {
	return clients.Record{Client: clients.Client{ID: iam.NewID(), Realm: realm, ClientID: clientID,
		PublicClient: true, CreatedAt: base, UpdatedAt: base}}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func event(t *testing.T, topic string, c clients.Client) iam.Event {
	t.Helper()
	e, err := iam.NewEvent(clients.Source, topic, c.Realm, c.ID, clients.DeletedEvent{ID: c.ID, ClientID: c.ClientID})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func mustCreate(t *testing.T, s clients.Store, rec clients.Record) clients.Record {
	t.Helper()
	if err := s.Create(ctx(t), rec); err != nil {
		t.Fatalf("Create(%s/%s): %v", rec.Client.Realm, rec.Client.ClientID, err)
	}
	return rec
}

func wantCode(t *testing.T, err error, code iam.Code) {
	t.Helper()
	if iam.ErrorCode(err) != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	var e *iam.Error
	if !errors.As(err, &e) {
		t.Fatalf("err %v is not an *iam.Error", err)
	}
}

// wantConflict fails unless err is a CodeConflict naming field.
func wantConflict(t *testing.T, err error, field string) {
	t.Helper()
	wantCode(t, err, iam.CodeConflict)
	if got := iam.ErrorField(err); got != field {
		t.Fatalf("conflict names field %q, want %q (%v)", got, field, err)
	}
}

// normalize makes nil and empty slices, maps and byte slices alike and
// compares timestamps as instants.
func normalize(r clients.Record) clients.Record {
	c := &r.Client
	for _, s := range []*[]string{&c.RedirectURIs, &c.WebOrigins, &c.DefaultClientScopes, &c.OptionalClientScopes} {
		if len(*s) == 0 {
			*s = nil
		}
	}
	if len(c.Attributes) == 0 {
		c.Attributes = nil
	}
	// Verifiers are the store's (see testSecretVerifier): compared here
	// only by presence.
	r.SecretHash = nil
	if r.Secret != "" {
		r.SecretHash = []byte("present")
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return r
}

func equal(t *testing.T, got, want clients.Record) {
	t.Helper()
	if !got.Client.Extra.Equal(want.Client.Extra) {
		t.Fatalf("Extra = %s, want %s", got.Client.Extra, want.Client.Extra)
	}
	got.Client.Extra, want.Client.Extra = nil, nil
	if !reflect.DeepEqual(normalize(got), normalize(want)) {
		t.Fatalf("record differs\n got: %+v\nwant: %+v", normalize(got), normalize(want))
	}
}
