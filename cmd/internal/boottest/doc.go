// Package boottest helps test the OpenGate binaries through their run
// function, in-process: Start runs a binary until the test ends and waits for
// it to listen; Issuer is a token issuer that serves a JWKS and signs access
// tokens; Started.Call, Started.GetOK, Events, Eventually and Count drive and
// observe the running binary.
//
//	func TestServes(t *testing.T) {
//		iss := boottest.NewIssuer(t)
//		srv := boottest.StartService(t, run, []string{"-addr", "127.0.0.1:0"}, map[string]string{
//			"OPENGATE_POSTGRES_URL": iamtest.PostgresURL(t),
//			"OPENGATE_ISSUER_BASE":  iss.URL(),
//		})
//		srv.GetOK(t, "/healthz", "/readyz", "/metrics")
//		admin := iss.Token(t, "master", "root", iam.RoleAdmin)
//		if resp, body := srv.Call(t, "GET", "/admin/realms", admin, ""); resp.StatusCode != 200 {
//			t.Fatalf("GET /admin/realms = %d %s", resp.StatusCode, body)
//		}
//	}
package boottest
