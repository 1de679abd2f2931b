package main

import (
	"encoding/json"
	"testing"
)

// The bootstrap administrator's username confers nothing by itself: after
// the administrator renamed itself, a user imported (partialImport, without
// roles) under the configured username is not made administrator when a
// replica starts (issue 10, item 1).
func TestRestartDoesNotMakeAnImportedNamesakeAdmin(t *testing.T) {
	env := productionEnv(t)
	a := start(t, env)
	admin := a.token(t, "master", "admin-cli", "admin", "bootstrap-Passw0rd")
	resp, body := a.Call(t, "GET", "/admin/realms/master/users?username=admin&exact=true", admin, "")
	var found []struct {
		ID string `json:"id"`
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &found) != nil || len(found) != 1 {
		t.Fatalf("find admin: %d %s", resp.StatusCode, body)
	}
	if resp, body := a.Call(t, "PUT", "/admin/realms/master/users/"+found[0].ID, admin, `{"username":"boss"}`); resp.StatusCode != 204 {
		t.Fatalf("rename admin: %d %s", resp.StatusCode, body)
	}
	resp, body = a.Call(t, "POST", "/admin/realms/master/partialImport", admin,
		`{"ifResourceExists":"FAIL","users":[{"username":"admin","enabled":true,`+
			`"credentials":[{"type":"password","value":"impostor-Passw0rd"}]}]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("partialImport: %d %s", resp.StatusCode, body)
	}

	b := start(t, env) // a second replica runs the bootstrap again
	impostor := b.token(t, "master", "admin-cli", "admin", "impostor-Passw0rd")
	if resp, body := b.Call(t, "GET", "/admin/realms/master/users", impostor, ""); resp.StatusCode != 403 {
		t.Fatalf("the imported namesake on the admin API: %d %s, want 403", resp.StatusCode, body)
	}
}
