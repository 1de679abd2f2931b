package users_test

import (
	"context"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usersmem"
	"github.com/opengate-iam/opengate/users/userstest"
)

// racingStore runs race once, just before the next Update reaches the
// store: the moment a concurrent writer could slip in between a caller's
// read and its write.
type racingStore struct {
	users.Store
	race func()
}

func (s *racingStore) Update(ctx context.Context, realm iam.Realm, id string, opts users.UpdateOptions, fn func(*users.User) ([]iam.Event, error)) (users.User, error) {
	if race := s.race; race != nil {
		s.race = nil
		race()
	}
	return s.Store.Update(ctx, realm, id, opts, fn)
}

func TestUpdatesRacingEachOtherLoseNothing(t *testing.T) {
	tests := []struct {
		name  string
		first func(svc *users.Service, id string) error // the racing change
		then  func(svc *users.Service, id string) error // the change it races
		check func(t *testing.T, u users.User)
	}{
		{
			name: "AdminDisableDuringProfileUpdateStaysDisabled",
			first: func(svc *users.Service, id string) error {
				off := false
				_, err := svc.Update(bg(), "acme", id, users.Patch{Enabled: &off})
				return err
			},
			then: func(svc *users.Service, id string) error {
				first := "Alice"
				_, err := svc.UpdateAccount(bg(), "acme", id, users.AccountPatch{FirstName: &first})
				return err
			},
			check: func(t *testing.T, u users.User) {
				if u.Enabled || u.FirstName != "Alice" {
					t.Fatalf("enabled %v, firstName %q: want disabled and renamed", u.Enabled, u.FirstName)
				}
			},
		},
		{
			name: "ProfileUpdateDuringEmailVerificationKeepsVerification",
			first: func(svc *users.Service, id string) error {
				verified := true
				_, err := svc.Update(bg(), "acme", id, users.Patch{EmailVerified: &verified})
				return err
			},
			then: func(svc *users.Service, id string) error {
				last := "Liddell"
				_, err := svc.Update(bg(), "acme", id, users.Patch{LastName: &last})
				return err
			},
			check: func(t *testing.T, u users.User) {
				if !u.EmailVerified || u.LastName != "Liddell" {
					t.Fatalf("emailVerified %v, lastName %q: a change was lost", u.EmailVerified, u.LastName)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := userstest.NewRealms(userstest.Realm("acme"))
			store := &racingStore{Store: usersmem.New(nil)}
			svc := users.New(store, rs, users.WithParams(userstest.FastParams))
			u, err := svc.Create(bg(), "acme", users.User{Username: "alice", Email: "alice@example.com", Enabled: true})
			if err != nil {
				t.Fatal(err)
			}
			store.race = func() {
				if err := tt.first(svc, u.ID); err != nil {
					t.Errorf("racing change: %v", err)
				}
			}
			if err := tt.then(svc, u.ID); err != nil {
				t.Fatal(err)
			}
			got, err := svc.Get(bg(), "acme", u.ID)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}
