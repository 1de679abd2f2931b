package rbachttp_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
)

// roleReader is what auth and the bootstrap need from rbac; both the
// in-process Service and the remote Client provide it.
type roleReader interface {
	EffectiveRoles(ctx context.Context, realm iam.Realm, userID string) ([]string, map[string][]string, error)
	HasRole(ctx context.Context, realm iam.Realm, userID, role string) (bool, error)
	AssignRealmRoles(ctx context.Context, realm iam.Realm, userID string, roleNames ...string) error
	UserGroupPaths(ctx context.Context, realm iam.Realm, userID string) ([]string, error)
}

var (
	_ roleReader = (*rbac.Service)(nil)
	_ roleReader = (*rbachttp.Client)(nil)
)

func TestClientAgainstHandler(t *testing.T) {
	e := newEnv(t)
	seed(t, e)
	ctx := t.Context()
	c := rbachttp.NewClient(e.srv.URL+"/", serviceToken, rbachttp.WithHTTPClient(e.srv.Client()))

	if err := c.AssignRealmRoles(ctx, "acme", "u1", "top", "spare"); err != nil {
		t.Fatal(err)
	}
	realmRoles, clientRoles, err := c.EffectiveRoles(ctx, "acme", "u1")
	if err != nil || !slices.Equal(realmRoles, []string{"low", "mid", "spare", "top"}) || len(clientRoles) != 0 {
		t.Fatalf("EffectiveRoles = %v %v %v", realmRoles, clientRoles, err)
	}
	if ok, err := c.HasRole(ctx, "acme", "u1", "low"); err != nil || !ok {
		t.Fatalf("HasRole(low) = %v, %v", ok, err)
	}
	if ok, err := c.HasRole(ctx, "acme", "u2", "low"); err != nil || ok {
		t.Fatalf("HasRole of a user without roles = %v, %v", ok, err)
	}
	// Realms stay apart on the internal routes too.
	if rr, cr, err := c.EffectiveRoles(ctx, "other", "u1"); err != nil || len(rr) != 0 || len(cr) != 0 {
		t.Fatalf("u1 in another realm = %v %v %v", rr, cr, err)
	}
	if err := c.AssignRealmRoles(ctx, "other", "u1", "top"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("assigning acme's role in another realm: %v", err)
	}
	// Service accounts go through the same calls.
	sa := iam.ServiceAccountSubject("c-1")
	if err := c.AssignRealmRoles(ctx, "acme", sa, "low"); err != nil {
		t.Fatal(err)
	}
	if rr, _, err := c.EffectiveRoles(ctx, "acme", sa); err != nil || !slices.Equal(rr, []string{"low"}) {
		t.Fatalf("service account = %v, %v", rr, err)
	}

	// The groups of a user, for the groups claim.
	top, err := e.svc.CreateGroup(ctx, "acme", rbac.Group{Name: "top"})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := e.svc.CreateGroup(ctx, "acme", rbac.Group{Name: "sub", ParentID: top.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []rbac.Group{sub, top} {
		if err := e.svc.JoinGroup(ctx, "acme", "u1", g.ID); err != nil {
			t.Fatal(err)
		}
	}
	if paths, err := c.UserGroupPaths(ctx, "acme", "u1"); err != nil || !slices.Equal(paths, []string{"/top", "/top/sub"}) {
		t.Fatalf("UserGroupPaths = %v, %v", paths, err)
	}
	if paths, err := c.UserGroupPaths(ctx, "acme", "u2"); err != nil || paths == nil || len(paths) != 0 {
		t.Fatalf("UserGroupPaths of a user without groups = %#v, %v", paths, err)
	}

	// Errors keep their codes across the wire.
	err = c.AssignRealmRoles(ctx, "acme", "u1", "no-such-role")
	if iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("unknown role: %v", err)
	}
	_, _, err = c.EffectiveRoles(ctx, "acme", "bad id")
	if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "id" {
		t.Fatalf("bad id: %v", err)
	}
	_, _, err = c.EffectiveRoles(ctx, "Bad!", "u1")
	if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "realm" {
		t.Fatalf("bad realm: %v", err)
	}
	for _, token := range []string{"", "wrong"} {
		other := rbachttp.NewClient(e.srv.URL, token)
		if _, _, err := other.EffectiveRoles(ctx, "acme", "u1"); iam.ErrorCode(err) != iam.CodeForbidden {
			t.Fatalf("token %q: %v", token, err)
		}
		if err := other.AssignRealmRoles(ctx, "acme", "u1", "low"); iam.ErrorCode(err) != iam.CodeForbidden {
			t.Fatalf("token %q: %v", token, err)
		}
	}
	// An admin principal is not a service token.
	if r := e.admin("GET", "/internal/realms/acme/users/u1/effective-roles", nil); r.status != http.StatusForbidden {
		t.Fatalf("internal route as an administrator = %d", r.status)
	}
	down := rbachttp.NewClient("http://127.0.0.1:1", serviceToken)
	if _, _, err := down.EffectiveRoles(ctx, "acme", "u1"); iam.ErrorCode(err) != iam.CodeUnavailable {
		t.Fatalf("unreachable: %v", err)
	}
}
