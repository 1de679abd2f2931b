package e2e

import (
	"bufio"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam/iamtest"
)

// outage is how long the broker stays down at least: a few seconds, long
// enough for every producer and consumer to notice.
const outage = 3 * time.Second

// stopBroker stops the Kafka broker (its data kept) while users are
// created and a session is ended through the gateway, and starts it again
// at the same address. While it is down, every request still answers
// within the e2e client's timeout (35 s, above the services' 30 s request
// timeout) and user-service keeps the users' user.created in its outbox;
// once it is back, each new user gets its default role and its welcome
// mail exactly once. users is user-service's own URL, for its /metrics.
func stopBroker(t *testing.T, w *world, kafka *iamtest.RestartableKafka, users string) {
	w.adminToken(t) // the scenario's token may be near its end
	c := newClient(t, w.d.base)
	doraID := path.Base(c.want(201, "POST", "/admin/realms/e2e/users", w.admin, `{"username":"dora","enabled":true,`+
		`"credentials":[{"type":"password","value":"`+alicePass+`","temporary":false}]}`).header.Get("Location"))
	dora := c.wantTokens(c.token(realm, url.Values{"grant_type": {"password"}, "client_id": {"web"}, "username": {"dora"}, "password": {alicePass}}))
	sid, _ := claims(t, dora.Access)["sid"].(string)
	// session-service records the session from auth.login.success.
	waitFor(t, 15*time.Second, "dora's session in the admin list", func() bool {
		var list []map[string]any
		c.want(200, "GET", "/admin/realms/e2e/users/"+doraID+"/sessions", w.admin, "").json(t, &list)
		return len(list) == 1 && list[0]["id"] == sid
	})
	backlog := unsentEvents(t, users)

	kafka.Stop()
	stopped := time.Now()
	var slowest time.Duration
	var slowestWhat string
	timed := func(what string, f func()) {
		t.Helper()
		began := time.Now()
		f()
		if d := time.Since(began); d > slowest {
			slowest, slowestWhat = d, what
		}
	}
	const n = 4
	ids := map[string]string{} // address → id
	for i := range n {
		a := fmt.Sprintf("outage%d@e2e.example", i)
		timed("create a user", func() {
			loc := c.want(201, "POST", "/admin/realms/e2e/users", w.admin,
				fmt.Sprintf(`{"username":"outage%d","email":%q,"emailVerified":true,"enabled":true}`, i, a)).header.Get("Location")
			ids[a] = path.Base(loc)
		})
	}
	// session-service publishes session.terminated itself (it has no
	// outbox): the request waits for the bus at most its publish timeout,
	// and the event stays pending in Redis for its relay.
	timed("end a session", func() { c.want(204, "DELETE", "/admin/realms/e2e/sessions/"+sid, w.admin, "") })
	if a := w.refresh(c, dora.Refresh); a.status != 400 {
		t.Errorf("the ended session's refresh token = %d %s during the outage", a.status, a.body)
	}
	if got := unsentEvents(t, users); got < backlog+n {
		t.Errorf("user-service's outbox holds %d unsent events during the outage, want at least %d (%d before + %d users)", got, backlog+n, backlog, n)
	}
	if d := time.Since(stopped); d < outage {
		time.Sleep(outage - d)
	}
	kafka.Start()
	down := time.Since(stopped)
	back := time.Now()

	waitFor(t, 60*time.Second, "every new user's welcome mail and default role", func() bool {
		for a, id := range ids {
			if w.mailsTo(a)["Welcome to E2E"] < 1 || !hasRealmRole(c, w, id, "default-roles-e2e") {
				return false
			}
		}
		return true
	})
	arrived := time.Since(back)
	waitFor(t, 30*time.Second, "user-service's outbox to be drained", func() bool { return unsentEvents(t, users) == 0 })
	time.Sleep(time.Second) // a duplicate would come right behind
	for a, id := range ids {
		if got := w.mailsTo(a); len(got) != 1 || got["Welcome to E2E"] != 1 {
			t.Errorf("mails to %s: %v, want one welcome", a, got)
		}
		if got := w.deliveries(c, id); got["welcome"] != 1 {
			t.Errorf("delivery log of %s: %v, want one welcome", a, got)
		}
	}
	t.Logf("broker down %.1f s; slowest request meanwhile %.1f s (%s); every effect %.1f s after it came back",
		down.Seconds(), slowest.Seconds(), slowestWhat, arrived.Seconds())
}

// hasRealmRole reports whether user id holds realm role name directly.
func hasRealmRole(c *client, w *world, id, name string) bool {
	c.t.Helper()
	var mapped []map[string]any
	c.want(200, "GET", "/admin/realms/e2e/users/"+id+"/role-mappings/realm", w.admin, "").json(c.t, &mapped)
	for _, r := range mapped {
		if r["name"] == name {
			return true
		}
	}
	return false
}

// unsentEvents reads the service's opengate_outbox_unsent_events from its
// /metrics (the service's own port: the gateway does not route it).
func unsentEvents(t *testing.T, service string) int {
	t.Helper()
	a := newClient(t, service).do("GET", "/metrics", "", "", nil)
	if a.status != 200 {
		t.Fatalf("%s/metrics = %d", service, a.status)
	}
	lines := bufio.NewScanner(strings.NewReader(a.body))
	for lines.Scan() {
		line := lines.Text()
		if !strings.HasPrefix(line, "opengate_outbox_unsent_events{") {
			continue
		}
		n, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return int(n)
	}
	t.Fatalf("%s/metrics has no opengate_outbox_unsent_events", service)
	return 0
}
