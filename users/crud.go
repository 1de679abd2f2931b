package users

import (
	"context"
	"errors"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users/password"
)

// Paging defaults of List.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// NewCredential is a credential given when creating or importing a user:
// either a plaintext Value (checked against the realm's password policy and
// hashed) or an already encoded Hash (from a migration; see
// password.KeycloakCredential), never both.
type NewCredential struct {
	Type      string // CredentialPassword; "" means password
	Value     string
	Hash      string
	Temporary bool // the user must change it at next login (UPDATE_PASSWORD)
	UserLabel string
}

// Patch is a partial update: nil fields stay unchanged.
type Patch struct {
	Username        *string
	Email           *string
	EmailVerified   *bool
	FirstName       *string
	LastName        *string
	Enabled         *bool
	Attributes      *map[string][]string
	RequiredActions *[]string
	// Extra's fields are set over the user's Extra, one by one (the others
	// are kept, as Keycloak keeps the fields a PUT does not send).
	Extra iam.Extra
}

// Create validates and stores a new user of realm with at most one password
// credential, and emits user.created. u.ID may be a UUID chosen by the
// caller (imports keep Keycloak's ids); otherwise a UUIDv7 is assigned.
// Username and email are stored lowercase. Errors: CodeNotFound for a
// missing realm, CodeInvalid naming the field (every violated password rule
// in the message), CodeConflict for a taken username or (unless the realm
// allows duplicates) email.
func (s *Service) Create(ctx context.Context, realm iam.Realm, u User, creds ...NewCredential) (User, error) {
	const op = "users.Create"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return User{}, iam.Wrap(op, err)
	}
	u, err = s.newUser(realm, u)
	if err != nil {
		return User{}, iam.Wrap(op, err)
	}
	cred, temporary, err := s.credential(ctx, r, u, creds)
	if err != nil {
		return User{}, iam.Wrap(op, err)
	}
	if temporary {
		u.RequiredActions = withAction(u.RequiredActions, ActionUpdatePassword)
	}
	evs, err := events(func() (iam.Event, error) { return CreatedEvent(u) })
	if err != nil {
		return User{}, iam.Wrap(op, err)
	}
	opts := CreateOptions{UniqueEmail: !r.DuplicateEmailsAllowed, Password: cred}
	if err := s.store.Create(ctx, u, opts, evs...); err != nil {
		return User{}, iam.Wrap(op, err)
	}
	return u, nil
}

// newUser normalises and validates u as a new user of realm, with its id and
// timestamps set.
func (s *Service) newUser(realm iam.Realm, u User) (User, error) {
	u = u.Clone()
	u.Realm = realm
	if u.ID == "" {
		u.ID = iam.NewID()
	} else {
		id, err := validID(u.ID)
		if err != nil {
			return User{}, err
		}
		u.ID = id
	}
	if err := normalize(&u); err != nil {
		return User{}, err
	}
	now := s.now().UTC()
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	u.CreatedAt = u.CreatedAt.UTC()
	u.UpdatedAt = now
	return u, nil
}

// Get returns the user with id in realm: CodeNotFound if the realm or the
// user (in that realm) does not exist. With WithCache the user may come
// from the cache (see WithCache for how fresh it is).
func (s *Service) Get(ctx context.Context, realm iam.Realm, id string) (User, error) {
	const op = "users.Get"
	if _, err := s.realm(ctx, realm); err != nil {
		return User{}, iam.Wrap(op, err)
	}
	u, err := s.cache.get(ctx, realm, id, func(ctx context.Context) (User, error) { return s.store.Get(ctx, realm, id) })
	if err != nil {
		return User{}, iam.Wrap(op, userNotFound(err))
	}
	return u, nil
}

// GetByUsername returns the user named username (case-insensitively) in
// realm, or CodeNotFound.
func (s *Service) GetByUsername(ctx context.Context, realm iam.Realm, username string) (User, error) {
	const op = "users.GetByUsername"
	if _, err := s.realm(ctx, realm); err != nil {
		return User{}, iam.Wrap(op, err)
	}
	u, err := s.store.GetByUsername(ctx, realm, NormalizeUsername(username))
	if err != nil {
		return User{}, iam.Wrap(op, userNotFound(err))
	}
	return u, nil
}

// userNotFound gives not-found errors a uniform message.
func userNotFound(err error) error {
	if errors.Is(err, iam.ErrNotFound) {
		return &iam.Error{Code: iam.CodeNotFound, Message: "user not found", Err: err}
	}
	return err
}

// List returns the users of realm matching f, ordered by username. f.Max
// defaults to DefaultPageSize and is capped at MaxPageSize; f.Search follows
// Keycloak's syntax (see Filter) unless f.SearchMode is set.
func (s *Service) List(ctx context.Context, realm iam.Realm, f Filter) ([]User, error) {
	const op = "users.List"
	if _, err := s.realm(ctx, realm); err != nil {
		return nil, iam.Wrap(op, err)
	}
	f, err := normalizeFilter(f)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	list, err := s.store.List(ctx, realm, f)
	return list, iam.Wrap(op, err)
}

// Count returns how many users of realm match f (paging ignored).
func (s *Service) Count(ctx context.Context, realm iam.Realm, f Filter) (int, error) {
	const op = "users.Count"
	if _, err := s.realm(ctx, realm); err != nil {
		return 0, iam.Wrap(op, err)
	}
	f, err := normalizeFilter(f)
	if err != nil {
		return 0, iam.Wrap(op, err)
	}
	n, err := s.store.Count(ctx, realm, f)
	return n, iam.Wrap(op, err)
}

// ParseSearch interprets Keycloak's search syntax: "\"foo\"" is an exact
// match, "*foo*" (or "*foo") an infix match, "foo*" or "foo" a prefix match.
// The value is lowercased.
func ParseSearch(s string) (string, Match) {
	s = strings.TrimSpace(s)
	switch {
	case len(s) >= 2 && strings.HasPrefix(s, `"`) && strings.HasSuffix(s, `"`):
		return strings.ToLower(s[1 : len(s)-1]), MatchExact
	case strings.HasPrefix(s, "*"):
		return strings.ToLower(strings.Trim(s, "*")), MatchInfix
	default:
		return strings.ToLower(strings.TrimSuffix(s, "*")), MatchPrefix
	}
}

func normalizeFilter(f Filter) (Filter, error) {
	if f.First < 0 {
		return Filter{}, iam.Invalidf("first", "first must not be negative")
	}
	switch {
	case f.Max <= 0:
		f.Max = DefaultPageSize
	case f.Max > MaxPageSize:
		f.Max = MaxPageSize
	}
	if f.SearchMode == "" {
		if f.Search != "" {
			f.Search, f.SearchMode = ParseSearch(f.Search)
		}
	} else {
		f.Search = strings.ToLower(f.Search)
	}
	if f.Search == "" {
		f.SearchMode = ""
	}
	f.Username = strings.ToLower(f.Username)
	f.Email = strings.ToLower(f.Email)
	f.FirstName = strings.ToLower(f.FirstName)
	f.LastName = strings.ToLower(f.LastName)
	return f, nil
}

// Update applies p to the user id of realm and emits user.updated. p is
// applied to the user as stored when the change is written, so concurrent
// updates of other fields are kept. A changed email becomes unverified
// unless p sets EmailVerified. Errors as Create, plus CodeNotFound for a
// missing user and CodeForbidden for a caller with less administrative
// power than the user (see power.go).
func (s *Service) Update(ctx context.Context, realm iam.Realm, id string, p Patch) (User, error) {
	const op = "users.Update"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return User{}, iam.Wrap(op, err)
	}
	if err := s.authorize(ctx, realm, id); err != nil {
		return User{}, iam.Wrap(op, err)
	}
	u, err := s.update(ctx, realm, r, id, p)
	return u, iam.Wrap(op, err)
}

// update applies p to user id of realm (whose settings are r), unchecked by
// the rule of power.go.
func (s *Service) update(ctx context.Context, realm iam.Realm, r realms.Realm, id string, p Patch) (User, error) {
	opts := UpdateOptions{UniqueEmail: !r.DuplicateEmailsAllowed}
	u, err := s.store.Update(ctx, realm, id, opts, func(u *User) ([]iam.Event, error) {
		*u = applyPatch(*u, p)
		if err := normalize(u); err != nil {
			return nil, err
		}
		u.UpdatedAt = s.now().UTC()
		return events(func() (iam.Event, error) { return UpdatedEvent(*u) })
	})
	if err != nil {
		return User{}, userNotFound(err)
	}
	return u, nil
}

func applyPatch(u User, p Patch) User {
	if p.Username != nil {
		u.Username = *p.Username
	}
	if p.Email != nil && NormalizeEmail(*p.Email) != u.Email {
		u.Email = *p.Email
		u.EmailVerified = false
	}
	if p.EmailVerified != nil {
		u.EmailVerified = *p.EmailVerified
	}
	if p.FirstName != nil {
		u.FirstName = *p.FirstName
	}
	if p.LastName != nil {
		u.LastName = *p.LastName
	}
	if p.Enabled != nil {
		u.Enabled = *p.Enabled
	}
	if p.Attributes != nil {
		u.Attributes = User{Attributes: *p.Attributes}.Clone().Attributes
	}
	if p.RequiredActions != nil {
		u.RequiredActions = append([]string(nil), (*p.RequiredActions)...)
	}
	if len(p.Extra) > 0 {
		u.Extra = u.Extra.Merge(p.Extra)
	}
	return u
}

// Delete removes the user id of realm with its credentials and tokens, and
// emits user.deleted. CodeNotFound if it does not exist, CodeForbidden for
// a caller with less administrative power than the user (see power.go).
func (s *Service) Delete(ctx context.Context, realm iam.Realm, id string) error {
	const op = "users.Delete"
	if _, err := s.realm(ctx, realm); err != nil {
		return iam.Wrap(op, err)
	}
	u, err := s.store.Get(ctx, realm, id)
	if err != nil {
		return iam.Wrap(op, userNotFound(err))
	}
	if err := s.mayChange(ctx, realm, u.ID); err != nil {
		return iam.Wrap(op, err)
	}
	evs, err := events(func() (iam.Event, error) { return DeletedEvent(u) })
	if err != nil {
		return iam.Wrap(op, err)
	}
	return iam.Wrap(op, userNotFound(s.store.Delete(ctx, realm, id, evs...)))
}

// credential turns the credentials given at creation into at most one
// stored password credential, reporting whether it is temporary.
func (s *Service) credential(ctx context.Context, r realms.Realm, u User, creds []NewCredential) (*Credential, bool, error) {
	var out *Credential
	temporary := false
	for _, c := range creds {
		if c.Type != "" && c.Type != CredentialPassword {
			return nil, false, iam.Invalidf("credentials", "unsupported credential type %q; only %q can be set here", c.Type, CredentialPassword)
		}
		if out != nil {
			return nil, false, iam.Invalidf("credentials", "at most one password credential")
		}
		var hash string
		switch {
		case c.Value != "" && c.Hash != "":
			return nil, false, iam.Invalidf("credentials", "give either a value or a hash, not both")
		case c.Hash != "":
			if _, err := password.Decode(c.Hash); err != nil {
				if errors.Is(err, password.ErrParams) {
					// Name the parameter and its bound (never the hash).
					return nil, false, iam.Invalidf("credentials", "credential hash parameters are out of bounds: %s",
						strings.TrimPrefix(err.Error(), password.ErrParams.Error()+": "))
				}
				return nil, false, iam.Invalidf("credentials", "credential hash is not in a supported format")
			}
			hash = c.Hash
		default:
			if err := CheckPolicy(r.PasswordPolicy, u, c.Value); err != nil {
				return nil, false, err
			}
			h, err := s.hash(ctx, c.Value, s.HashParams(r))
			if err != nil {
				return nil, false, err
			}
			hash = h
		}
		out = &Credential{ID: iam.NewID(), Type: CredentialPassword, UserLabel: c.UserLabel,
			CreatedAt: s.now().UTC(), Hash: hash}
		temporary = c.Temporary
	}
	return out, temporary, nil
}
