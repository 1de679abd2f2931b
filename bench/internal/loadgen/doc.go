// Package loadgen drives a running OpenGate deployment over HTTP with a
// fixed number of concurrent workers for a bounded time or request count,
// and measures throughput and latency. It only talks to the base URL it is
// given. The commands bench/load (one scenario), bench/run (every scenario
// on every mode, as a markdown table) and bench/seed use it.
//
// A run against a deployment prepared by Setup:
//
//	admin := loadgen.Admin{User: "admin", Password: os.Getenv("ADMIN_PASSWORD")}
//	err := loadgen.Setup{Base: base, Admin: admin, Realm: "bench", Algorithm: "ES256",
//		ClientID: "svc", Secret: secret, RedirectURI: "http://127.0.0.1:9/callback",
//		Users: 100, UserPrefix: "user-", Password: userPassword}.Run(ctx)
//	res, err := loadgen.Run(ctx, loadgen.Config{Base: base, Realm: "bench", ClientID: "svc",
//		Secret: secret, Username: "user-0", Password: userPassword,
//		Scenario: "refresh", Workers: 8, Duration: 5 * time.Second})
//	fmt.Printf("%.0f req/s, p99 %s\n", res.Rate(), res.Percentile(0.99))
package loadgen
