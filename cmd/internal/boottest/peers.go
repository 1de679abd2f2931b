package boottest

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/clients/clientsmem"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/mfa/mfahttp"
	"github.com/opengate-iam/opengate/mfa/mfamem"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/notify/notifyhttp"
	"github.com/opengate-iam/opengate/notify/notifymem"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/rbac/rbacmem"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmsmem"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
	"github.com/opengate-iam/opengate/users/usersmem"
)

// Peers are the other services of a binary under test: in-memory realms,
// users, clients, rbac, MFA and notify services, each serving its real
// handler (the internal API with the service token) on its own address
// until the test ends. The notify peer sends no mail: Mail returns what it
// would have sent. The master realm exists with its default clients and roles. Tests
// change the services directly to arrange or alter what the binary sees.
type Peers struct {
	Realms  *realms.Service
	Users   *users.Service
	Clients *clients.Service
	RBAC    *rbac.Service
	MFA     *mfa.Service
	Notify  *notify.Service
	env     map[string]string

	mu   sync.Mutex
	mail []notify.Message
}

// Mail returns the messages the notify peer was asked to send, in order.
func (p *Peers) Mail() []notify.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]notify.Message{}, p.mail...)
}

// StartPeers starts the peers, whose internal APIs take serviceToken; their
// stores publish their events to pub (nil: nowhere).
func StartPeers(t testing.TB, serviceToken string, pub iam.Publisher) *Peers {
	t.Helper()
	ctx := context.Background()
	p := &Peers{Realms: realms.New(realmsmem.New(pub))}
	p.Users = users.New(usersmem.New(pub), p.Realms)
	p.Clients = clients.New(clientsmem.New(pub))
	p.RBAC = rbac.New(rbacmem.New(pub), rbac.WithClientResolver(p.Clients))
	p.MFA = mfa.New(mfamem.New(), mfamem.NewEphemeral(), p.Realms, mfa.WithPublisher(pub), mfa.WithRequiredActions(p.Users))
	var err error
	p.Notify, err = notify.New(notifymem.New(), p.Users, p.Realms, notify.WithLogger(slog.New(slog.DiscardHandler)),
		notify.WithFallback(notify.TransportFunc(func(_ context.Context, _ notify.Server, m notify.Message) error {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.mail = append(p.mail, m)
			return nil
		})))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Realms.EnsureMaster(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Clients.EnsureDefaults(ctx, iam.MasterRealm); err != nil {
		t.Fatal(err)
	}
	if err := p.RBAC.EnsureRealmDefaults(ctx, iam.MasterRealm); err != nil {
		t.Fatal(err)
	}
	url := func(h http.Handler) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	p.env = map[string]string{
		"OPENGATE_REALMS_URL":  url(realmshttp.NewHandler(p.Realms, realmshttp.WithServiceToken(serviceToken))),
		"OPENGATE_USERS_URL":   url(usershttp.NewHandler(p.Users, usershttp.WithServiceToken(serviceToken))),
		"OPENGATE_CLIENTS_URL": url(clientshttp.NewHandler(p.Clients, clientshttp.WithServiceToken(serviceToken))),
		"OPENGATE_RBAC_URL":    url(rbachttp.NewHandler(p.RBAC, rbachttp.WithServiceToken(serviceToken))),
		"OPENGATE_MFA_URL":     url(mfahttp.NewHandler(p.MFA, mfahttp.WithServiceToken(serviceToken))),
		"OPENGATE_NOTIFY_URL":  url(notifyhttp.NewHandler(p.Notify, notifyhttp.WithServiceToken(serviceToken))),
	}
	return p
}

// Env returns env (which it does not change) with the variables that point
// a binary at the peers: OPENGATE_REALMS_URL, OPENGATE_USERS_URL,
// OPENGATE_CLIENTS_URL, OPENGATE_RBAC_URL, OPENGATE_MFA_URL and
// OPENGATE_NOTIFY_URL.
func (p *Peers) Env(env map[string]string) map[string]string {
	out := make(map[string]string, len(env)+len(p.env))
	for k, v := range env {
		out[k] = v
	}
	for k, v := range p.env {
		out[k] = v
	}
	return out
}

// Realm creates the enabled realm name in the peers, with its default
// clients and roles.
func (p *Peers) Realm(t testing.TB, name iam.Realm) {
	t.Helper()
	ctx := context.Background()
	if _, err := p.Realms.Create(ctx, realms.Realm{Name: name, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if err := p.Clients.EnsureDefaults(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := p.RBAC.EnsureRealmDefaults(ctx, name); err != nil {
		t.Fatal(err)
	}
}

// User creates an enabled user of realm in the peers' users service, gives
// it the realm roles named roles in the peers' rbac service, and returns its
// id: the subject of its tokens (Issuer.Token).
func (p *Peers) User(t testing.TB, realm iam.Realm, username string, roles ...string) string {
	t.Helper()
	ctx := context.Background()
	u, err := p.Users.Create(ctx, realm, users.User{Username: username, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.RBAC.AssignRealmRoles(ctx, realm, u.ID, roles...); err != nil {
		t.Fatal(err)
	}
	return u.ID
}
