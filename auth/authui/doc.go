// Package authui is OpenGate's browser sign-in: the OpenID Connect
// authorization endpoint, the hosted login pages (password, second factor,
// required actions, registration), RP-initiated logout and the account
// pages, rendered on the server with html/template and working without
// JavaScript. It drives auth.Service's browser steps (brute-force
// protection, second factors, SSO sessions, codes) and asks the users,
// session and MFA services through small interfaces (Accounts, Sessions,
// Authenticators) that the in-process services and their remote clients
// both implement.
//
// Every page is sent with a CSP without inline script, frame-ancestors
// 'none', X-Frame-Options DENY, Referrer-Policy no-referrer and no-store;
// every form carries a CSRF token; a form that signs in ends with a 303.
// Realms pick a theme with their loginTheme: see WithThemes and
// docs/login.md.
//
//	ui, err := authui.New(authService, usersService,
//		authui.WithSessions(sessionService), authui.WithAuthenticators(mfaService),
//		authui.WithThemes(os.DirFS("/etc/opengate/themes")))
//	if err != nil { ... }
//	authhttp.NewHandler(authService, authhttp.WithBrowser(ui)).MountPublic(router)
package authui
