package clients_test

import (
	"context"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientsmem"
	"github.com/opengate-iam/opengate/iam"
)

// roleTable is a fake iam.RoleReader: effective realm roles by realm and
// subject.
type roleTable map[string][]string

func (r roleTable) EffectiveRoles(_ context.Context, realm iam.Realm, subject string) ([]string, map[string][]string, error) {
	return r[string(realm)+"/"+subject], nil, nil
}

func TestNobodyTakesOverAServiceAccountWithMorePower(t *testing.T) {
	ctx := context.Background()
	master := iam.MasterRealm
	caller := func(subject string) context.Context {
		return iam.WithPrincipal(ctx, &iam.Principal{Subject: subject, Realm: master})
	}
	ops := []struct {
		name string
		do   func(ctx context.Context, svc *clients.Service, id string) error
	}{
		{"ReadSecret", func(ctx context.Context, svc *clients.Service, id string) error {
			_, err := svc.Secret(ctx, master, id)
			return err
		}},
		{"RotateSecret", func(ctx context.Context, svc *clients.Service, id string) error {
			_, err := svc.RotateSecret(ctx, master, id)
			return err
		}},
		{"Update", func(ctx context.Context, svc *clients.Service, id string) error {
			off := false
			_, err := svc.Update(ctx, master, id, clients.Update{Enabled: &off})
			return err
		}},
		{"Delete", func(ctx context.Context, svc *clients.Service, id string) error {
			return svc.Delete(ctx, master, id)
		}},
	}
	tests := []struct {
		name, caller string
		powerful     bool // the client's service account holds admin
		want         iam.Code
	}{
		{"MasterRealmAdminOnAnAdminServiceAccount", "mra", true, iam.CodeForbidden},
		{"MasterRealmAdminOnAnOrdinaryClient", "mra", false, ""},
		{"MasterAdministratorOnAnAdminServiceAccount", "root", true, ""},
		{"TrustedCodeWithoutAPrincipal", "", true, ""},
	}
	for _, tt := range tests {
		for _, op := range ops {
			t.Run(tt.name+"/"+op.name, func(t *testing.T) {
				roles := roleTable{"master/root": {iam.RoleAdmin}, "master/mra": {iam.RoleRealmAdmin}}
				svc := clients.New(clientsmem.New(nil), clients.WithRoles(roles))
				c, err := svc.Create(ctx, master, clients.Client{ClientID: "robot", Enabled: true, ServiceAccountsEnabled: true}, "")
				if err != nil {
					t.Fatal(err)
				}
				if tt.powerful {
					roles["master/"+iam.ServiceAccountSubject(c.ID)] = []string{"boss", iam.RoleAdmin}
				}
				secret, err := svc.Secret(ctx, master, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				callCtx := ctx
				if tt.caller != "" {
					callCtx = caller(tt.caller)
				}
				err = op.do(callCtx, svc, c.ID)
				if iam.ErrorCode(err) != tt.want {
					t.Fatalf("err = %v, want code %q", err, tt.want)
				}
				if tt.want == "" {
					return
				}
				// Nothing was changed.
				if got, err := svc.Get(ctx, master, c.ID); err != nil || !got.Enabled {
					t.Fatalf("the client after a refused call: %+v, %v", got, err)
				}
				if after, err := svc.Secret(ctx, master, c.ID); err != nil || after != secret {
					t.Fatalf("the secret changed in a refused call (%v)", err)
				}
			})
		}
	}
	t.Run("AMissingClientIsNotFoundWhateverTheCaller", func(t *testing.T) {
		svc := clients.New(clientsmem.New(nil), clients.WithRoles(roleTable{}))
		_, err := svc.RotateSecret(caller("mra"), master, iam.NewID())
		if iam.ErrorCode(err) != iam.CodeNotFound {
			t.Fatalf("err = %v, want not found", err)
		}
	})
}
