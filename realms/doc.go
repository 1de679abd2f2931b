// Package realms is OpenGate's realms service: the Realm (a tenant and its
// settings), the Store interface every backend implements (realmsmem,
// realmspg) with its guarantees, and the Service with the rules — defaults,
// validation, Keycloak's password policy string, the protected master realm,
// realm.created/updated/deleted events and a read cache.
//
// Other services read realms through the one-method Getter interface, served
// in-process by *Service (cached) and remotely by realmshttp.Client wrapped
// in a CachedGetter:
//
//	store := realmsmem.New(bus) // or realmspg.New(pool)
//	svc := realms.New(store)
//	if _, err := svc.EnsureMaster(ctx); err != nil { ... }
//	acme, err := svc.Create(ctx, realms.Realm{Name: "acme", Enabled: true}) // defaults applied
//	...
//	r, err := svc.Get(ctx, "acme") // cached; invalidated on update/delete
//	fmt.Println(r.AccessTokenLifespan, r.PasswordPolicy) // 5m0s, ""
package realms
