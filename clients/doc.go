// Package clients is OpenGate's clients service: the OAuth 2.0 Client
// (Keycloak's ClientRepresentation), the Store interface every backend
// implements (clientsmem, clientspg) with its guarantees, and the Service
// with the rules — validation, redirect-URI registration and matching
// (RFC 9700, RFC 8252), secrets generated with 256 bits and checked in
// constant time against the store's keyed verifier (clientspg seals them at
// rest with AES-GCM and keys their verifiers with HMAC-SHA-256, both under
// the deployment key), rotation, client.created/updated/deleted events, the
// default admin-cli client of every realm and the realm.created/deleted
// consumer.
//
// Other services read clients through Reader (Get, GetByClientID,
// Authenticate), served in-process by *Service (cached) and remotely by
// clientshttp.Client wrapped in a CachedReader:
//
//	svc := clients.New(clientsmem.New(bus)) // or a store from clientspg.New(pool, sealer)
//	c, err := svc.Create(ctx, "acme", clients.Client{
//		ClientID: "web", Enabled: true, StandardFlowEnabled: true,
//		RedirectURIs: []string{"https://app.example.com/callback"},
//	}, "") // "": generate a secret
//	secret, err := svc.Secret(ctx, "acme", c.ID)
//	...
//	c, err = svc.Authenticate(ctx, "acme", "web", secret) // cached, constant time
//	ok := clients.MatchRedirectURI(c, "https://app.example.com/callback")
package clients
