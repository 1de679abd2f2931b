package iam_test

import (
	"testing"

	"github.com/opengate-iam/opengate/iam"
)

func TestServiceAccountSubject(t *testing.T) {
	const client = "0b3f5b2a-8c1e-4d5f-9a6b-7c8d9e0f1a2b"
	if got := iam.ServiceAccountSubject(client); got != "service-account-"+client {
		t.Fatalf("ServiceAccountSubject = %q: Keycloak's spelling is service-account-{clientUUID}", got)
	}
	tests := []struct {
		name    string
		subject string
		client  string
		ok      bool
	}{
		{"ReadsBackTheClient", iam.ServiceAccountSubject(client), client, true},
		{"UserIDIsNoServiceAccount", client, "", false},
		{"PrefixAloneNamesNoClient", iam.ServiceAccountPrefix, "", true},
		{"PrefixIsCaseSensitive", "Service-Account-" + client, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := iam.ServiceAccountClient(tt.subject)
			if got != tt.client || ok != tt.ok {
				t.Fatalf("ServiceAccountClient(%q) = %q, %v; want %q, %v", tt.subject, got, ok, tt.client, tt.ok)
			}
		})
	}
}
