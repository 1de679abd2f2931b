package users

import (
	"context"
	"errors"
	"fmt"

	"github.com/opengate-iam/opengate/iam"
)

// MaxImportBatch is the largest number of users one Import accepts.
const MaxImportBatch = 10_000

// ImportUser is one user of an Import with its credentials (plaintext
// values are checked against the policy and hashed; hashes are kept).
type ImportUser struct {
	User        User
	Credentials []NewCredential
}

// ImportResult counts what Import did, with one outcome per user in input
// order.
type ImportResult struct {
	Added, Skipped, Overwritten int
	Outcomes                    []ImportOutcome
}

// Import adds many users to realm in one atomic batch, as Keycloak's
// partialImport does: mode says what happens to a user whose username
// exists ("" means ImportFail; see ImportBatch). Users keep the ids they
// carry when those are UUIDs; added users emit user.created, overwritten
// ones user.updated and user.credentials_changed (their password was
// replaced or removed: their sessions end). Errors: CodeInvalid naming the
// offending user ("users[3].email") or a username given twice,
// CodeConflict when mode is ImportFail and a username exists or an email is
// taken, CodeForbidden when mode is ImportOverwrite and the caller has less
// administrative power than a user it would overwrite (see power.go); on
// any error nothing is imported.
func (s *Service) Import(ctx context.Context, realm iam.Realm, mode ImportMode, list []ImportUser) (ImportResult, error) {
	const op = "users.Import"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return ImportResult{}, iam.Wrap(op, err)
	}
	mode, err = iam.ParseImportMode(string(mode))
	if err != nil {
		return ImportResult{}, iam.Wrap(op, err)
	}
	if len(list) > MaxImportBatch {
		return ImportResult{}, iam.Wrap(op, iam.Invalidf("users", "at most %d users per import", MaxImportBatch))
	}
	batch := ImportBatch{Mode: mode, UniqueEmail: !r.DuplicateEmailsAllowed, Items: make([]ImportItem, 0, len(list)),
		Events: importEvents}
	seen := map[string]int{}
	for i, iu := range list {
		u, err := s.newUser(realm, iu.User)
		if err == nil {
			var temporary bool
			var cred *Credential
			cred, temporary, err = s.credential(ctx, r, u, iu.Credentials)
			if temporary {
				u.RequiredActions = withAction(u.RequiredActions, ActionUpdatePassword)
			}
			batch.Items = append(batch.Items, ImportItem{User: u, Password: cred})
		}
		if err != nil {
			return ImportResult{}, iam.Wrap(op, atIndex(i, err))
		}
		if j, dup := seen[u.Username]; dup {
			return ImportResult{}, iam.Wrap(op, iam.Invalidf(fmt.Sprintf("users[%d].username", i),
				"users[%d] has the same username as users[%d]", i, j))
		}
		seen[u.Username] = i
	}
	if mode == ImportOverwrite && iam.PrincipalFrom(ctx) != nil && s.roles != nil {
		if batch.MayOverwrite, err = s.overwritable(ctx, realm, batch.Items); err != nil {
			return ImportResult{}, iam.Wrap(op, err)
		}
	}
	outcomes, err := s.store.Import(ctx, realm, batch)
	if err != nil {
		return ImportResult{}, iam.Wrap(op, err)
	}
	res := ImportResult{Outcomes: outcomes}
	for _, o := range outcomes {
		switch o.Action {
		case ImportAdded:
			res.Added++
		case ImportSkipped:
			res.Skipped++
		case ImportOverwritten:
			res.Overwritten++
		}
	}
	return res, nil
}

// overwritable checks the rule of power.go for every existing user items
// would overwrite, before the batch's transaction, and returns the
// ImportBatch.MayOverwrite that lets the store overwrite exactly the users
// checked: one that took an item's username since is refused (CodeConflict,
// try again) rather than overwritten unchecked.
func (s *Service) overwritable(ctx context.Context, realm iam.Realm, items []ImportItem) (func(User) error, error) {
	checked := map[string]bool{}
	for _, it := range items {
		u, err := s.store.GetByUsername(ctx, realm, it.User.Username)
		switch {
		case errors.Is(err, iam.ErrNotFound):
			continue
		case err != nil:
			return nil, err
		}
		if err := s.mayChange(ctx, realm, u.ID); err != nil {
			return nil, err
		}
		checked[u.ID] = true
	}
	return func(existing User) error {
		if !checked[existing.ID] {
			return iam.Errorf(iam.CodeConflict, "user %q was created or renamed during the import: try again", existing.Username)
		}
		return nil
	}, nil
}

// importEvents records an import outcome: an overwritten user's password
// was replaced (or removed), so it also ends their sessions.
func importEvents(o ImportOutcome) []iam.Event {
	var evs []iam.Event
	var err error
	switch o.Action {
	case ImportAdded:
		evs, err = events(func() (iam.Event, error) { return importedEvent(o.User) })
	case ImportOverwritten:
		evs, err = events(
			func() (iam.Event, error) { return UpdatedEvent(o.User) },
			func() (iam.Event, error) { return CredentialsChangedEvent(o.User, CredentialsSetByAdmin, "") })
	}
	if err != nil {
		return nil // payloads of plain strings always marshal
	}
	return evs
}

// atIndex prefixes a validation error's field and message with users[i].
func atIndex(i int, err error) error {
	var e *iam.Error
	if !errors.As(err, &e) || e.Code != iam.CodeInvalid {
		return err
	}
	c := *e
	c.Field = fmt.Sprintf("users[%d].%s", i, e.Field)
	c.Message = fmt.Sprintf("users[%d]: %s", i, e.Message)
	return &c
}

// ExportedUser is a user as a full realm export holds it: with its password
// credential (nil for none), whose Hash is the stored hash, never a clear
// password.
type ExportedUser struct {
	User     User
	Password *Credential
}

// Export returns every user of realm in username order with its password
// credential: what a full realm export holds (the opengate export command,
// in process). No admin API serves it: hashes never leave the deployment
// but through its operator. CodeNotFound for a missing realm.
func (s *Service) Export(ctx context.Context, realm iam.Realm) ([]ExportedUser, error) {
	const op = "users.Export"
	if _, err := s.realm(ctx, realm); err != nil {
		return nil, iam.Wrap(op, err)
	}
	var out []ExportedUser
	for first := 0; ; first += MaxPageSize {
		page, err := s.store.List(ctx, realm, Filter{First: first, Max: MaxPageSize})
		if err != nil {
			return nil, iam.Wrap(op, err)
		}
		for _, u := range page {
			eu := ExportedUser{User: u}
			c, err := s.store.GetPassword(ctx, realm, u.ID)
			switch {
			case err == nil:
				eu.Password = &c
			case !errors.Is(err, iam.ErrNotFound):
				return nil, iam.Wrap(op, err)
			}
			out = append(out, eu)
		}
		if len(page) < MaxPageSize {
			return out, nil
		}
	}
}
