package iam

import "strings"

// ServiceAccountPrefix starts the names of a client's service account, as
// Keycloak spells service-account users: its subject is
// ServiceAccountPrefix + the client's UUID (ServiceAccountSubject), its
// preferred_username ServiceAccountPrefix + the public clientId.
const ServiceAccountPrefix = "service-account-"

// ServiceAccountSubject returns the subject of the service account of the
// client with UUID clientUUID: the sub claim of the client's
// client-credentials tokens, and the user id under which it holds roles
// (rbac maps roles to it, auth resolves them for it). It is the one place
// that spells it; ServiceAccountClient reads it back.
func ServiceAccountSubject(clientUUID string) string { return ServiceAccountPrefix + clientUUID }

// ServiceAccountClient reads a subject made by ServiceAccountSubject: it
// returns what follows ServiceAccountPrefix (the client UUID; "" if nothing
// does) and true, or "" and false for a subject without the prefix (a user
// id).
func ServiceAccountClient(subject string) (clientUUID string, ok bool) {
	clientUUID, ok = strings.CutPrefix(subject, ServiceAccountPrefix)
	if !ok {
		return "", false
	}
	return clientUUID, true
}
