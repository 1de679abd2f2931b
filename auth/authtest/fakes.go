package authtest

import (
	"context"
	"crypto/subtle"
	"strings"
	"sync"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// Directory is a hand-written, in-memory stand-in for the realms, clients,
// users and rbac services: Realms, Clients, Users and Roles return views of
// it implementing the interfaces auth needs (RealmGetter,
// ClientAuthenticator, UserAuthenticator with UserFinder, RoleResolver).
// Tests fill it with Put* and may set Fail to make a dependency fail. Safe
// for concurrent use.
type Directory struct {
	mu         sync.Mutex
	realms     map[iam.Realm]realms.Realm
	clients    map[string]clients.Client // by realm/clientId
	secrets    map[string]string         // by realm/clientId
	users      map[string]users.User     // by realm/id
	passwords  map[string]string         // by realm/id
	realmRoles map[string][]string       // by realm/subject
	clientRole map[string]map[string][]string

	// Fail, if set, is called with the method name ("realms.Get",
	// "clients.Authenticate", "clients.GetByClientID",
	// "users.Authenticate", "users.Get", "users.Find",
	// "roles.EffectiveRoles", "roles.ScopeRoleNames") before each call; a non-nil result is
	// returned as the call's error.
	Fail func(method string) error
	// HashPassword, if set, is applied to a password before comparing it
	// (benchmarks plug a real password hash in to measure its cost).
	HashPassword func(password string) string
}

// The views of a Directory, one per service it stands in for.
type (
	realmView  struct{ d *Directory }
	clientView struct{ d *Directory }
	userView   struct{ d *Directory }
	roleView   struct{ d *Directory }
)

var (
	_ auth.RealmGetter         = realmView{}
	_ auth.ClientAuthenticator = clientView{}
	_ auth.UserAuthenticator   = userView{}
	_ auth.UserFinder          = userView{}
	_ auth.RoleResolver        = roleView{}
)

// Realms returns the directory as an auth.RealmGetter.
func (d *Directory) Realms() auth.RealmGetter { return realmView{d} }

// Clients returns the directory as an auth.ClientAuthenticator.
func (d *Directory) Clients() auth.ClientAuthenticator { return clientView{d} }

// Users returns the directory as an auth.UserAuthenticator.
func (d *Directory) Users() auth.UserAuthenticator { return userView{d} }

// Finder returns the directory as an auth.UserFinder.
func (d *Directory) Finder() auth.UserFinder { return userView{d} }

// Roles returns the directory as an auth.RoleResolver.
func (d *Directory) Roles() auth.RoleResolver { return roleView{d} }

// NewService returns an auth.Service over the directory's views, counting
// failed logins per user (auth.WithUserFinder) before opts.
func (d *Directory) NewService(issuerBase string, keys auth.KeyStore, tokens auth.TokenStore, opts ...auth.Option) (*auth.Service, error) {
	return auth.New(issuerBase, d.Realms(), d.Clients(), d.Users(), d.Roles(), keys, tokens,
		append([]auth.Option{auth.WithUserFinder(d.Finder())}, opts...)...)
}

// NewDirectory returns an empty Directory.
func NewDirectory() *Directory {
	return &Directory{
		realms:     make(map[iam.Realm]realms.Realm),
		clients:    make(map[string]clients.Client),
		secrets:    make(map[string]string),
		users:      make(map[string]users.User),
		passwords:  make(map[string]string),
		realmRoles: make(map[string][]string),
		clientRole: make(map[string]map[string][]string),
	}
}

func k(realm iam.Realm, id string) string { return string(realm) + "/" + id }

// PutRealm adds or replaces a realm. A realm without an ID gets
// "id-of-" + its name; give another ID to stand for a realm created again
// under the same name.
func (d *Directory) PutRealm(r realms.Realm) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r.ID == "" {
		r.ID = "id-of-" + string(r.Name)
	}
	d.realms[r.Name] = r
}

// DeleteRealm removes a realm.
func (d *Directory) DeleteRealm(name iam.Realm) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.realms, name)
}

// PutClient adds or replaces a client with its secret ("" for public
// clients).
func (d *Directory) PutClient(c clients.Client, secret string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.clients[k(c.Realm, c.ClientID)] = c
	d.secrets[k(c.Realm, c.ClientID)] = secret
}

// PutUser adds or replaces a user with a password.
func (d *Directory) PutUser(u users.User, password string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.users[k(u.Realm, u.ID)] = u
	if d.HashPassword != nil {
		password = d.HashPassword(password)
	}
	d.passwords[k(u.Realm, u.ID)] = password
}

// DeleteUser removes a user.
func (d *Directory) DeleteUser(realm iam.Realm, id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.users, k(realm, id))
}

// SetRoles sets the effective roles of subject (a user id or
// iam.ServiceAccountSubject(client.ID)).
func (d *Directory) SetRoles(realm iam.Realm, subject string, realmRoles []string, clientRoles map[string][]string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.realmRoles[k(realm, subject)] = realmRoles
	d.clientRole[k(realm, subject)] = clientRoles
}

// SetScope sets the roles within the scope of client clientUUID, as
// ScopeRoleNames answers them (none if unset).
func (d *Directory) SetScope(realm iam.Realm, clientUUID string, realmRoles []string, clientRoles map[string][]string) {
	d.SetRoles(realm, "scope "+clientUUID, realmRoles, clientRoles)
}

func (d *Directory) fail(method string) error {
	if d.Fail == nil {
		return nil
	}
	return d.Fail(method)
}

// Get returns a realm (CodeNotFound if absent).
func (v realmView) Get(ctx context.Context, realm iam.Realm) (realms.Realm, error) {
	d := v.d
	if err := d.fail("realms.Get"); err != nil {
		return realms.Realm{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.realms[realm]
	if !ok {
		return realms.Realm{}, iam.NotFoundf("realm %s not found", realm)
	}
	return r, nil
}

// Authenticate checks a client secret (CodeUnauthenticated on mismatch or
// for clients without a secret).
func (v clientView) Authenticate(ctx context.Context, realm iam.Realm, clientID, secret string) (clients.Client, error) {
	d := v.d
	if err := d.fail("clients.Authenticate"); err != nil {
		return clients.Client{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.clients[k(realm, clientID)]
	want := d.secrets[k(realm, clientID)]
	if !ok || want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(secret)) != 1 {
		return clients.Client{}, iam.Errorf(iam.CodeUnauthenticated, "invalid client credentials")
	}
	return c, nil
}

// GetByClientID returns a client by public id (CodeNotFound if absent).
func (v clientView) GetByClientID(ctx context.Context, realm iam.Realm, clientID string) (clients.Client, error) {
	d := v.d
	if err := d.fail("clients.GetByClientID"); err != nil {
		return clients.Client{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.clients[k(realm, clientID)]
	if !ok {
		return clients.Client{}, iam.NotFoundf("client not found")
	}
	return c, nil
}

// lookupLocked finds a user by username or email.
func (d *Directory) lookupLocked(realm iam.Realm, login string) (users.User, bool) {
	login = strings.ToLower(login)
	for _, u := range d.users {
		if u.Realm == realm && (u.Username == login || (u.Email != "" && strings.ToLower(u.Email) == login)) {
			return u, true
		}
	}
	return users.User{}, false
}

// Authenticate checks a password; unknown, disabled and wrong password are
// one CodeUnauthenticated error.
func (v userView) Authenticate(ctx context.Context, realm iam.Realm, login, password string) (users.User, error) {
	d := v.d
	if err := d.fail("users.Authenticate"); err != nil {
		return users.User{}, err
	}
	if d.HashPassword != nil {
		password = d.HashPassword(password)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	// The reasons are users.Service's: an unknown user, a wrong password, a
	// disabled user with the right one.
	failed := func(reason error) error {
		return &iam.Error{Code: iam.CodeUnauthenticated, Message: users.AuthFailedMessage, Err: reason}
	}
	u, ok := d.lookupLocked(realm, login)
	switch {
	case !ok:
		return users.User{}, failed(users.ErrUnknownUser)
	case subtle.ConstantTimeCompare([]byte(d.passwords[k(realm, u.ID)]), []byte(password)) != 1:
		return users.User{}, failed(users.ErrBadCredentials)
	case !u.Enabled:
		return users.User{}, failed(users.ErrDisabled)
	}
	return u, nil
}

// Get returns a user by id (CodeNotFound if absent).
func (v userView) Get(ctx context.Context, realm iam.Realm, id string) (users.User, error) {
	d := v.d
	if err := d.fail("users.Get"); err != nil {
		return users.User{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	u, ok := d.users[k(realm, id)]
	if !ok {
		return users.User{}, iam.NotFoundf("user not found")
	}
	return u, nil
}

// Find returns a user by username or email (CodeNotFound if absent).
func (v userView) Find(ctx context.Context, realm iam.Realm, login string) (users.User, error) {
	d := v.d
	if err := d.fail("users.Find"); err != nil {
		return users.User{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	u, ok := d.lookupLocked(realm, login)
	if !ok {
		return users.User{}, iam.NotFoundf("user not found")
	}
	return u, nil
}

// EffectiveRoles returns the roles set with SetRoles (none if unset).
func (v roleView) EffectiveRoles(ctx context.Context, realm iam.Realm, subject string) ([]string, map[string][]string, error) {
	d := v.d
	if err := d.fail("roles.EffectiveRoles"); err != nil {
		return nil, nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.realmRoles[k(realm, subject)], d.clientRole[k(realm, subject)], nil
}

// ScopeRoleNames returns the roles set with SetScope (none if unset).
func (v roleView) ScopeRoleNames(ctx context.Context, realm iam.Realm, clientUUID string) ([]string, map[string][]string, error) {
	d := v.d
	if err := d.fail("roles.ScopeRoleNames"); err != nil {
		return nil, nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.realmRoles[k(realm, "scope "+clientUUID)], d.clientRole[k(realm, "scope "+clientUUID)], nil
}
