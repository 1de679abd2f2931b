package iam_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

func TestErrorCodeSurvivesWrapping(t *testing.T) {
	base := iam.NotFoundf("user %s not found", "u1")
	wrapped := fmt.Errorf("loading: %w", iam.Wrap("users.Get", base))
	if iam.ErrorCode(wrapped) != iam.CodeNotFound {
		t.Fatalf("code = %s", iam.ErrorCode(wrapped))
	}
	if !errors.Is(wrapped, iam.ErrNotFound) || errors.Is(wrapped, iam.ErrConflict) {
		t.Fatal("errors.Is does not compare by code")
	}
	if iam.ErrorMessage(wrapped) != "user u1 not found" {
		t.Fatalf("message = %q", iam.ErrorMessage(wrapped))
	}
}

func TestUnknownErrorsAreInternalAndHidden(t *testing.T) {
	err := iam.Wrap("store.Get", errors.New("dial tcp 10.0.0.1: password=hunter2"))
	if iam.ErrorCode(err) != iam.CodeInternal {
		t.Fatalf("code = %s", iam.ErrorCode(err))
	}
	if iam.ErrorMessage(err) != "internal error" {
		t.Fatalf("message leaks cause: %q", iam.ErrorMessage(err))
	}
	if iam.Wrap("x", nil) != nil || iam.ErrorCode(nil) != "" {
		t.Fatal("nil must stay nil")
	}
}

func TestRealmValidate(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"master", true}, {"acme-corp", true}, {"a1", true}, {"a", true},
		{"", false}, {"Acme", false}, {"-acme", false}, {"acme-", false}, {"ac me", false},
		{"acme_corp", false}, {"ünicode", false},
		{"a23456789012345678901234567890123456789012345678901234567890123", true},
		{"a234567890123456789012345678901234567890123456789012345678901234", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := iam.ParseRealm(tt.name)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseRealm(%q) err = %v, want ok=%v", tt.name, err, tt.ok)
			}
			if err != nil && (iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "realm") {
				t.Fatalf("error = %v", err)
			}
		})
	}
}

func TestCanAdminister(t *testing.T) {
	tests := []struct {
		name   string
		p      *iam.Principal
		realm  iam.Realm
		want   bool
		master bool
	}{
		{"Anonymous", nil, "acme", false, false},
		{"MasterAdminAdministersEveryRealm", &iam.Principal{Realm: "master", Roles: []string{"admin"}}, "acme", true, true},
		{"MasterRealmAdminAdministersMasterOnly", &iam.Principal{Realm: "master", Roles: []string{"realm-admin"}}, "acme", false, false},
		{"RealmAdminAdministersOwnRealm", &iam.Principal{Realm: "acme", Roles: []string{"realm-admin"}}, "acme", true, false},
		{"AdminOfARealmAdministersOwnRealm", &iam.Principal{Realm: "acme", Roles: []string{"admin"}}, "acme", true, false},
		{"AdminOfARealmIsNoMasterAdmin", &iam.Principal{Realm: "acme", Roles: []string{"realm-admin", "admin"}}, "other", false, false},
		{"PlainUser", &iam.Principal{Realm: "acme", Roles: []string{"user"}}, "acme", false, false},
		{"AnyRealmManagementRoleAdministersOwnRealm", &iam.Principal{Realm: "acme",
			ClientRoles: map[string][]string{iam.RealmManagement: {"query-users"}}}, "acme", true, false},
		{"RealmManagementRoleOfAnotherRealm", &iam.Principal{Realm: "beta",
			ClientRoles: map[string][]string{iam.RealmManagement: {"manage-users"}}}, "acme", false, false},
		{"OtherClientRolesDoNot", &iam.Principal{Realm: "acme",
			ClientRoles: map[string][]string{iam.RealmManagement: {"custom"}, "shop": {"manage-users"}}}, "acme", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.CanAdminister(tt.realm); got != tt.want {
				t.Fatalf("CanAdminister(%s) = %v, want %v", tt.realm, got, tt.want)
			}
			if got := tt.p.IsMasterAdmin(); got != tt.master {
				t.Fatalf("IsMasterAdmin() = %v, want %v", got, tt.master)
			}
		})
	}
}

func TestAdminRolesAreAdminRealmAdminAndRealmManagementRoles(t *testing.T) {
	rm := func(roles ...string) map[string][]string { return map[string][]string{iam.RealmManagement: roles} }
	tests := []struct {
		name        string
		roles       []string
		clientRoles map[string][]string
		want        string
	}{
		{"None", []string{"offline_access", "default-roles-acme"}, map[string][]string{"account": {"view-profile"}}, ""},
		{"Both", []string{"realm-admin", "x", "admin", "admin"}, nil, "admin,realm-admin"},
		{"LookAlikesAreNot", []string{"Admin", "realm_admin", "admin "}, nil, ""},
		{"RealmManagementRoles", []string{"realm-admin"}, rm("view-users", "manage-users", "view-users"),
			"realm-admin,realm-management/manage-users,realm-management/view-users"},
		{"OtherRolesOfRealmManagementAreNot", nil, rm("custom", "View-Users"), ""},
		{"PermissionNamesOfAnotherClientAreNot", []string{"view-users"}, map[string][]string{"shop": {"manage-users"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fmt.Sprint(iam.AdminRoles(tt.roles, tt.clientRoles))
			if want := fmt.Sprint(strings.Split(tt.want, ",")); tt.want == "" && got != "[]" || tt.want != "" && got != want {
				t.Fatalf("AdminRoles(%v, %v) = %s, want %q", tt.roles, tt.clientRoles, got, tt.want)
			}
		})
	}
}

func TestEventIsCloudEventsJSON(t *testing.T) {
	e, err := iam.NewEvent("/opengate/users", iam.TopicUserCreated, "acme", "u1", map[string]string{"username": "alice"})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(e)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	for _, k := range []string{"specversion", "id", "source", "type", "time", "subject", "datacontenttype", "realm", "data"} {
		if _, ok := m[k]; !ok {
			t.Errorf("missing %q in %s", k, raw)
		}
	}
	if m["specversion"] != "1.0" || m["type"] != "user.created" || e.Key() != "acme/u1" {
		t.Fatalf("event = %s", raw)
	}
	if e.ID[14] != '7' {
		t.Fatalf("id %s is not a UUIDv7", e.ID)
	}
	var data struct{ Username string }
	if err := e.Decode(&data); err != nil || data.Username != "alice" {
		t.Fatalf("decode = %+v, %v", data, err)
	}
}

func TestTopicsListsEachTopicOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, topic := range iam.Topics() {
		if seen[topic] {
			t.Fatalf("%s listed twice", topic)
		}
		seen[topic] = true
	}
	// The seed's topics keep their names.
	for _, topic := range []string{"user.created", "user.email_verified", "auth.login.success",
		"auth.login.failure", "auth.logout", "session.terminated", "mfa.otp_sent"} {
		if !seen[topic] {
			t.Errorf("Topics() lacks %s", topic)
		}
	}
}

func TestRetryAfterFindsTheHintInTheChain(t *testing.T) {
	hint := &iam.RetryAfterError{After: 2 * time.Second, Err: errors.New("queue full")}
	err := fmt.Errorf("login: %w", iam.Wrap("users.Authenticate", &iam.Error{Code: iam.CodeUnavailable, Err: hint}))
	if got := iam.RetryAfter(err); got != 2*time.Second {
		t.Fatalf("RetryAfter = %v, want 2s", got)
	}
	if iam.ErrorCode(err) != iam.CodeUnavailable {
		t.Fatalf("code = %s", iam.ErrorCode(err))
	}
	if iam.RetryAfter(iam.Errorf(iam.CodeUnavailable, "down")) != 0 || iam.RetryAfter(nil) != 0 {
		t.Fatal("an error without a hint has a retry delay")
	}
}

func TestCallContextBoundsACallByTheBudget(t *testing.T) {
	ctx := context.Background()
	if _, ok := ctx.Deadline(); ok {
		t.Fatal("background has a deadline")
	}
	call, cancel := iam.CallContext(ctx)
	cancel()
	if _, ok := call.Deadline(); ok || iam.CallTimeout(ctx) != 0 {
		t.Fatal("a context without a budget got a deadline")
	}
	budgeted := iam.WithCallTimeout(ctx, time.Hour)
	call, cancel = iam.CallContext(budgeted)
	defer cancel()
	deadline, ok := call.Deadline()
	if !ok || time.Until(deadline) > time.Hour || iam.CallTimeout(budgeted) != time.Hour {
		t.Fatalf("deadline = %v, %v", deadline, ok)
	}
	// An earlier deadline of the request wins over the budget.
	short, cancelShort := context.WithTimeout(budgeted, time.Minute)
	defer cancelShort()
	call, cancel = iam.CallContext(short)
	defer cancel()
	if d, _ := call.Deadline(); time.Until(d) > time.Minute {
		t.Fatal("the budget extended the request's deadline")
	}
	if iam.CallTimeout(iam.WithCallTimeout(ctx, -time.Second)) != 0 {
		t.Fatal("a negative budget is a budget")
	}
}
