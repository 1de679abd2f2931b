package realmstest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// Harness is one fresh, empty store under test and a way to read the events
// it has recorded (the memory store's publisher, the Postgres outbox).
type Harness struct {
	Store realms.Store
	// Events returns every event the store has recorded, oldest first.
	Events func(t *testing.T) []iam.Event
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
		{"CreateDuplicateIsConflict", testCreateDuplicate},
		{"GetMissingIsNotFound", testGetMissing},
		{"ListIsOrderedByName", testList},
		{"UpdateAppliesChangeAndKeepsNameAndID", testUpdate},
		{"UpdateErrorChangesNothing", testUpdateError},
		{"UpdateMissingIsNotFound", testUpdateMissing},
		{"ConcurrentUpdatesDoNotLoseChanges", testConcurrentUpdates},
		{"DeleteRemoves", testDelete},
		{"DeleteMissingIsNotFound", testDeleteMissing},
		{"ValuesAreCopied", testCopies},
		{"ConcurrentCreatesOfOneNameOneWins", testConcurrentCreate},
		{"EventsAreRecordedWithTheirChange", testEvents},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newHarness(t))
		})
	}
}

// full returns a realm with every field set to a non-default value.
func full(name iam.Realm) realms.Realm {
	at := time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)
	return realms.Realm{
		Name:                  name,
		ID:                    "id-of-" + string(name),
		DisplayName:           "Acme Corp ✓",
		Enabled:               true,
		AccessTokenLifespan:   7 * time.Minute,
		SSOSessionIdleTimeout: 45 * time.Minute,
		SSOSessionMaxLifespan: 8 * time.Hour,
		AccessCodeLifespan:    90 * time.Second,
		PasswordPolicy: realms.PasswordPolicy{MinLength: 12, Digits: 1, UpperCase: 2, LowerCase: 3, SpecialChars: 4,
			NotUsername: true, NotEmail: true, PasswordHistory: 5, HashIterations: 3, HashMemoryKiB: 65536},
		BruteForce: realms.BruteForce{Enabled: true, FailureFactor: 5, WaitIncrement: 2 * time.Minute,
			MaxWait: 20 * time.Minute, ResetAfter: 6 * time.Hour},
		MFA: realms.MFARequired,
		OTP: realms.OTPPolicy{Type: realms.OTPTypeTOTP, Algorithm: realms.OTPHmacSHA512, Digits: 8,
			Period: 45 * time.Second, LookAheadWindow: 3},
		SigningAlgorithm: realms.AlgES256,
		SMTP: realms.SMTP{Host: "smtp.acme.test", Port: 587, From: "noreply@acme.test", FromName: "Acme",
			ReplyTo: "help@acme.test", ReplyToName: "Acme Help", EnvelopeFrom: "bounces@acme.test",
			User: "mailer", Password: "smtp-pass", StartTLS: true},
		CORSOrigins:            []string{"https://app.acme.test", "http://localhost:3000"},
		RegistrationAllowed:    true,
		LoginTheme:             "acme",
		DuplicateEmailsAllowed: true,
		Attributes:             map[string]string{"frontendUrl": "https://id.acme.test", "empty": ""},
		Extra: iam.Extra{"sslRequired": json.RawMessage(`"external"`),
			"browserSecurityHeaders": json.RawMessage(`{"xFrameOptions":"DENY","contentSecurityPolicy":"frame-src 'self'"}`),
			"eventsListeners":        json.RawMessage(`["jboss-logging"]`), "eventsExpiration": json.RawMessage(`3600`)},
		CreatedAt: at,
		UpdatedAt: at.Add(time.Second),
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func event(t *testing.T, topic string, name iam.Realm) iam.Event {
	t.Helper()
	e, err := iam.NewEvent(realms.Source, topic, name, string(name), realms.UpdatedEvent{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func mustCreate(t *testing.T, s realms.Store, r realms.Realm) {
	t.Helper()
	if err := s.Create(ctx(t), r); err != nil {
		t.Fatalf("Create(%s): %v", r.Name, err)
	}
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

func equal(t *testing.T, got, want realms.Realm) {
	t.Helper()
	if !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("timestamps = %v/%v, want %v/%v", got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
	}
	got.CreatedAt, got.UpdatedAt = want.CreatedAt, want.UpdatedAt
	if !got.Extra.Equal(want.Extra) {
		t.Fatalf("Extra = %s, want %s", got.Extra, want.Extra)
	}
	got.Extra, want.Extra = nil, nil
	if !reflect.DeepEqual(normalize(got), normalize(want)) {
		t.Fatalf("realm differs\n got: %#v\nwant: %#v", got, want)
	}
}

// normalize treats nil and empty slices and maps alike.
func normalize(r realms.Realm) realms.Realm {
	if len(r.CORSOrigins) == 0 {
		r.CORSOrigins = nil
	}
	if len(r.Attributes) == 0 {
		r.Attributes = nil
	}
	return r
}
