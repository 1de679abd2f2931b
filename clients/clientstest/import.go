package clientstest

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
)

// importList is a realm's clients as a Keycloak export holds them: a
// confidential client with a secret shorter than OpenGate's rule, a public
// one exported with a secret, one without secret.
func importList() []clients.ImportClient {
	return []clients.ImportClient{
		{Client: clients.Client{ID: "0190d6a4-0000-7000-8000-0000000000c1", ClientID: "test-app", Enabled: true,
			StandardFlowEnabled: true, RedirectURIs: []string{"https://app.test/cb"}, FullScopeDisabled: true,
			Extra: iam.Extra{"consentRequired": json.RawMessage(`false`)}}, Secret: "password"},
		{Client: clients.Client{ClientID: "spa", Enabled: true, PublicClient: true, StandardFlowEnabled: true}, Secret: "ignored-for-public"},
		{Client: clients.Client{ClientID: "svc", Enabled: true, ServiceAccountsEnabled: true}, Secret: clients.MaskedSecret},
	}
}

// Import adds clients with their ids, Extra and secrets: a short secret is
// kept (and named weak), a masked or absent one generated.
func testImportAddsClients(t *testing.T, h Harness) {
	svc := clients.New(h.Store)
	res, err := svc.Import(ctx(t), "acme", "", importList())
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 3 || len(res.Outcomes) != 3 || !slices.Equal(res.WeakSecrets, []string{"test-app"}) {
		t.Fatalf("result = %+v", res)
	}
	app, err := svc.Authenticate(ctx(t), "acme", "test-app", "password")
	if err != nil || app.ID != "0190d6a4-0000-7000-8000-0000000000c1" || app.FullScopeAllowed() ||
		!app.Extra.Equal(iam.Extra{"consentRequired": json.RawMessage(`false`)}) {
		t.Fatalf("test-app = %+v, %v", app, err)
	}
	if _, err := svc.Authenticate(ctx(t), "acme", "spa", ""); err != nil {
		t.Fatalf("the public client: %v", err)
	}
	if _, err := svc.GetByClientID(ctx(t), "acme", clients.AdminCLI); err != nil {
		t.Fatalf("the realm's default client, made first: %v", err)
	}
	secret, err := svc.Secret(ctx(t), "acme", res.Outcomes[2].Client.ID)
	if err != nil || len(secret) < clients.MinSecretLength || secret == clients.MaskedSecret {
		t.Fatalf("svc's secret = %q, %v; want a generated one", secret, err)
	}
	var created []string
	for _, e := range h.Events(t) {
		var d clients.CreatedEvent
		if e.Type != iam.TopicClientCreated || e.Decode(&d) != nil {
			t.Fatalf("event %s", e.Type)
		}
		created = append(created, d.ClientID)
	}
	if n := len(created); n < 3 || !slices.Equal(created[n-3:], []string{"test-app", "spa", "svc"}) {
		t.Fatalf("client.created of %v (the realm's defaults, then the three clients)", created)
	}
}

// FAIL refuses a clientId that exists, SKIP keeps the client, OVERWRITE
// replaces its settings, keeping its id and (none given) its secret.
func testImportModes(t *testing.T, h Harness) {
	svc := clients.New(h.Store)
	old, err := svc.Create(ctx(t), "acme", clients.Client{ClientID: "svc", Enabled: true, Description: "old",
		ServiceAccountsEnabled: true}, "the-old-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	before := len(h.Events(t))
	_, err = svc.Import(ctx(t), "acme", iam.ImportFail, importList())
	if iam.ErrorCode(err) != iam.CodeConflict || iam.ErrorField(err) != "clients[2].clientId" {
		t.Fatalf("FAIL = %v (field %q)", err, iam.ErrorField(err))
	}
	if _, err := svc.GetByClientID(ctx(t), "acme", "test-app"); iam.ErrorCode(err) != iam.CodeNotFound || len(h.Events(t)) != before {
		t.Fatalf("a failed import left something: %v", err)
	}
	res, err := svc.Import(ctx(t), "acme", iam.ImportSkip, importList())
	if err != nil || res.Added != 2 || res.Skipped != 1 || res.Outcomes[2].Client.Description != "old" {
		t.Fatalf("SKIP = %+v, %v", res, err)
	}
	res, err = svc.Import(ctx(t), "acme", iam.ImportOverwrite, importList())
	if err != nil || res.Overwritten != 3 {
		t.Fatalf("OVERWRITE = %+v, %v", res, err)
	}
	got, err := svc.Get(ctx(t), "acme", old.ID)
	if err != nil || got.Description != "" || !got.ServiceAccountsEnabled {
		t.Fatalf("overwritten svc = %+v, %v", got, err)
	}
	if _, err := svc.Authenticate(ctx(t), "acme", "svc", "the-old-secret-0123456789"); err != nil {
		t.Fatalf("an overwritten client without a secret given keeps its own: %v", err)
	}
	if _, err := svc.Authenticate(ctx(t), "acme", "test-app", "password"); err != nil {
		t.Fatalf("an overwritten client takes the secret given: %v", err)
	}
}

// A client that fails late in the list leaves nothing of the import.
func testImportFailureLeavesNothing(t *testing.T, h Harness) {
	svc := clients.New(h.Store)
	list := importList()
	list = append(list, clients.ImportClient{Client: clients.Client{ClientID: "bad", Enabled: true,
		RedirectURIs: []string{"javascript:alert(1)"}}})
	_, err := svc.Import(ctx(t), "acme", "", list)
	if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "clients[3].redirectUris" {
		t.Fatalf("err = %v (field %q), want invalid clients[3].redirectUris", err, iam.ErrorField(err))
	}
	list = importList()
	list = append(list, clients.ImportClient{Client: clients.Client{ID: list[0].Client.ID, ClientID: "same-id", Enabled: true}})
	_, err = svc.Import(ctx(t), "acme", "", list)
	if iam.ErrorCode(err) != iam.CodeConflict {
		t.Fatalf("an id given twice: %v", err)
	}
	if cs, err := svc.List(ctx(t), "acme", clients.Filter{}); err != nil || len(cs) != 0 || len(h.Events(t)) != 0 {
		t.Fatalf("after failed imports: %v, %v, %d events (not even admin-cli)", cs, err, len(h.Events(t)))
	}
}
