// Package session is OpenGate's session service, the authority on login
// sessions: a session has an id (the sid of its tokens), a realm, a user,
// the clients that used it, the IP address and user agent of its login, and
// its start and last access. It ends when idle for the realm's
// ssoSessionIdleTimeout, at its ssoSessionMaxLifespan whatever its use, or
// when terminated — by its client's logout, an administrator, the user, or
// because the user was deleted or changed credentials.
//
// Sessions are created from auth.login.success and ended by auth.logout,
// user.deleted, user.credentials_changed and realm.deleted (HandleEvent,
// group Consumer). Auth asks Alive when it introspects a token and Touch
// when it refreshes one (auth.SessionChecker): *Service answers in
// process, sessionhttp.Client over the network.
//
// Every termination publishes exactly one session.terminated (realm, user,
// sid, reason), on which auth revokes the session's refresh and access
// tokens. The termination and its event are recorded together in the Store,
// so a repeated or concurrent termination (a redelivered auth.logout)
// publishes nothing more; an event the bus refuses stays pending and Run
// publishes it later with the same id (at least once: consumers deduplicate
// on the id).
//
// The Store interface has a memory (sessionmem) and a Redis (sessionredis)
// implementation, both checked by sessiontest:
//
//	store := sessionredis.New(redisClient) // or sessionmem.New()
//	svc := session.New(store, realmsService, session.WithPublisher(bus))
//	go svc.Run(ctx)                                          // relays pending events
//	go bus.Subscribe(ctx, session.Consumer, session.Topics(), svc.HandleEvent)
//	alive, err := svc.Alive(ctx, "acme", sid)
//	err = svc.Terminate(ctx, "acme", sid, session.ReasonAdmin)
package session
